// Lifecycle correctness against the real kernel, on both backends: a ring
// closed from inside its own drain, teardown on kernels without
// IORING_ASYNC_CANCEL_ANY, the ring's own fds closed behind its back, and a
// drain that must let the event loop breathe. Whatever could crash or hang
// runs in a child process under a time limit (fixtures test/fixtures/life-*.mjs).
import * as nodeFs from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ring } from '../lib/index.js';
import { fixture, mkfifo, openFdsUnder, packageRoot, runNode, tempDir, type ChildResult } from './fixtures/helpers.js';

let tmp: ReturnType<typeof tempDir>;

beforeAll(() => {
  // The children import 'uringfs', which resolves to dist/ (built by `npm test`'s pretest).
  if (!nodeFs.existsSync(join(packageRoot, 'dist', 'index.js'))) throw new Error('dist/ is missing: run `npm run build:ts` (npm test does it)');
  tmp = tempDir('life');
});
afterAll(() => tmp.remove());

function describeChild(r: ChildResult): string {
  return `code ${r.code} signal ${r.signal}${r.timedOut ? ' (killed: hung)' : ''}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`;
}

/** Block this thread for `ms` (so that the ops issued before complete before the next drain). */
function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

describe('ring.close() from inside a completion callback', () => {
  it('delivers the opens already completed in that drain with their fds (none leaked, none failed)', async () => {
    const dir = join(tmp.dir, 'close-in-open');
    nodeFs.mkdirSync(dir);
    for (let i = 0; i < 8; i++) nodeFs.writeFileSync(join(dir, `f${i}`), `file ${i}`);
    const ring = new Ring();
    const results: { err: NodeJS.ErrnoException | null; fd: number }[] = [];
    await new Promise<void>((resolve) => {
      for (let i = 0; i < 8; i++) {
        ring.callbacks.open(join(dir, `f${i}`), 'r', (err, fd) => {
          if (results.length === 0) ring.close();
          results.push({ err, fd });
          if (results.length === 8) resolve();
        });
      }
      ring.flush();
      // Every open completes before the ring's next drain: all 8 arrive in one.
      sleepSync(100);
    });
    const fds = results.filter((r) => r.err === null).map((r) => r.fd);
    const errors = results.filter((r) => r.err !== null).map((r) => r.err!.code);
    for (const fd of fds) nodeFs.closeSync(fd);
    expect(errors).toEqual([]);
    expect(fds.length).toBe(8);
    expect(openFdsUnder(dir)).toBe(0);
  });

  it('reports the writes already completed in that drain as written', async () => {
    const path = join(tmp.dir, 'close-in-write');
    const fd = nodeFs.openSync(path, 'w');
    const ring = new Ring();
    const results: (string | number)[] = [];
    try {
      await new Promise<void>((resolve) => {
        for (let i = 0; i < 8; i++) {
          ring.callbacks.write(fd, Buffer.from(`record ${i}\n`), 0, 9, i * 9, (err, written) => {
            if (results.length === 0) ring.close();
            results.push(err === null ? written : String(err.code));
            if (results.length === 8) resolve();
          });
        }
        ring.flush();
        sleepSync(100);
      });
    } finally {
      nodeFs.closeSync(fd);
    }
    expect(results).toEqual([9, 9, 9, 9, 9, 9, 9, 9]);
    expect(nodeFs.readFileSync(path, 'latin1')).toBe(Array.from({ length: 8 }, (_, i) => `record ${i}\n`).join(''));
  });
});

describe('a drain lets the event loop run', () => {
  it('an `await batch.submit()` loop does not starve a 1 ms interval', async () => {
    const path = join(tmp.dir, 'starve.bin');
    nodeFs.writeFileSync(path, Buffer.alloc(4096, 7));
    const r = await runNode([fixture('life-starve.mjs'), path, '400'], 30_000);
    expect(r.timedOut, describeChild(r)).toBe(false);
    expect(r.code, describeChild(r)).toBe(0);
    const { elapsed, ticks, batches, wrong } = JSON.parse(r.stdout) as { elapsed: number; ticks: number; batches: number; wrong: number };
    expect(wrong).toBe(0);
    expect(batches).toBeGreaterThan(0);
    // A timer of 1 ms fires ~once per loop turn; a loaded 2-core machine may stretch turns, but a
    // drain that keeps the loop for the whole run gives it (almost) no turn at all.
    expect(ticks, `${ticks} ticks in ${elapsed} ms (${batches} batches)`).toBeGreaterThanOrEqual(Math.floor(elapsed / 20));
  });
});

describe('teardown where IORING_ASYNC_CANCEL_ANY is refused (kernels 5.15-5.18)', () => {
  // URINGFS_TEST_CANCEL_ANY_EINVAL makes this kernel refuse the cancel-any with EINVAL, as those
  // kernels do; the pool has nothing to cancel in the kernel, and must pass the same way.
  const env = { ...process.env, URINGFS_TEST_CANCEL_ANY_EINVAL: '1' };
  let fifo: string;
  let file: string;
  beforeAll(() => {
    fifo = join(tmp.dir, 'cancel.fifo');
    mkfifo(fifo);
    file = join(tmp.dir, 'cancel.bin');
    nodeFs.writeFileSync(file, Buffer.alloc(64, 1));
  });

  it('ring.close() with FIFO reads pending returns, and they fail with ECANCELED', async () => {
    const r = await runNode([fixture('life-cancel.mjs'), 'close', fifo, file], 15_000, env);
    expect(r.timedOut, describeChild(r)).toBe(false);
    expect(r.code, describeChild(r)).toBe(0);
    expect(r.stdout).toMatch(/pending 1[01]/);
    const results = JSON.parse(r.stdout.split('\n').find((l) => l.startsWith('['))!) as string[];
    // 8 plain reads and the chain's FIFO read and the read after it: cancelled; the file read: whatever it was.
    expect(results.filter((x) => x === 'ECANCELED').length, r.stdout).toBeGreaterThanOrEqual(10);
    expect(results.length).toBe(11);
  });

  it('process.exit with FIFO reads pending exits', async () => {
    const r = await runNode([fixture('life-cancel.mjs'), 'exit', fifo, file], 15_000, env);
    expect(r.timedOut, describeChild(r)).toBe(false);
    expect(r.code, describeChild(r)).toBe(3);
    expect(r.stderr).toBe('');
  });

  it('terminating a worker with FIFO reads pending finishes', async () => {
    const r = await runNode([fixture('life-cancel.mjs'), 'worker', fifo, file], 15_000, env);
    expect(r.timedOut, describeChild(r)).toBe(false);
    expect(r.code, describeChild(r)).toBe(0);
    expect(r.stdout).toContain('terminated');
  });
});

describe("the ring's own fds closed behind its back", () => {
  let fifo: string;
  let file: string;
  beforeAll(() => {
    fifo = join(tmp.dir, 'lost.fifo');
    mkfifo(fifo);
    file = join(tmp.dir, 'lost.bin');
    nodeFs.writeFileSync(file, Buffer.alloc(3000, 5));
  });

  for (const [which, victim] of [['first', 'file'], ['second', 'file'], ['all', 'file'], ['all', 'ring'], ['second', 'ring']]) {
    it(`pending ops fail clearly, later ones run on a new default ring, the numbers' new owner is left alone (${which}, ${victim})`, async () => {
      const r = await runNode([fixture('life-lost-fd.mjs'), which, file, fifo, victim], 20_000);
      expect(r.timedOut, describeChild(r)).toBe(false);
      expect(r.code, describeChild(r)).toBe(0);
      expect(r.stderr, describeChild(r)).toBe('');
      const lines = Object.fromEntries(r.stdout.trim().split('\n').map((l) => [l.slice(0, l.indexOf(' ')), l.slice(l.indexOf(' ') + 1)]));
      // io_uring: the ring's fd and its eventfd. The pool has none of its own (its workers wake the
      // loop through libuv's own fd, its poller with a signal): nothing there to close.
      expect(lines.ours === '' ? 0 : lines.ours.split(' ').length, r.stdout).toBe(lines.backend === 'threads' ? 0 : 2);
      if (r.stdout.includes('nothing to close')) return;
      // Issued before the ring noticed: done, or failed with the ring-lost error — never hung.
      expect(['same', 'ERR_URINGFS_RING_LOST'], r.stdout).toContain(lines.soon);
      expect(lines.pending, r.stdout).toBe('ERR_URINGFS_RING_LOST');
      expect(lines.later, r.stdout).toBe('same');
      expect(lines.lost, r.stdout).toBe('true closed true new-default true');
      expect(lines.victim, r.stdout).toBe('intact');
      // A new ring made at once takes the numbers (its eventfd that of the lost ring's eventfd).
      if (victim === 'ring') expect(lines.reused.split(' ')[0], r.stdout).not.toBe('');
    });
  }
});
