// Concurrency against the real kernel: tens of thousands of ops in flight at
// once complete exactly once each with the right data; ops issued in one JS
// turn share io_uring_enter calls; a tiny ring (SQ of 2) flooded with
// thousands of ops drains without hanging; a throwing callback does not lose
// the rest of its batch.
import * as nodeFs from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as fs from '../lib/index.js';
import * as fsp from '../lib/promises.js';
import { Op, OpCode } from '../lib/op.js';
import { closeSteps, openSteps, readFileSteps, readSteps, statSteps, writeSteps } from '../lib/operations.js';
import { defaultRing, Ring } from '../lib/ring.js';
import { runPromise } from '../lib/run.js';
import { fixture, mkfifo, Prng, runNode, sha256, tempDir } from './fixtures/helpers.js';

const RECORD = 16;

let tmp: ReturnType<typeof tempDir>;
/** 100,000 records of 16 random bytes: read i at offset 16 * i. */
let patternPath: string;
let pattern: Buffer;

beforeAll(() => {
  tmp = tempDir('concurrency');
  patternPath = join(tmp.dir, 'pattern.bin');
  pattern = new Prng(0xc0ffee).bytes(100_000 * RECORD);
  nodeFs.writeFileSync(patternPath, pattern);
});
afterAll(() => tmp.remove());

/** Lets any late (duplicate) completion arrive before counts are checked. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 30));

function expectIdle(ring: Ring): void {
  const s = ring.stats();
  expect(s.inFlight).toBe(0);
  expect(s.waiting).toBe(0);
}

describe('many ops in flight at once', () => {
  it('10,000 promise reads at distinct offsets complete exactly once each with the right data', async () => {
    const N = 10_000;
    const ring = defaultRing();
    const before = ring.stats();
    const handle = await fsp.open(patternPath, 'r');
    try {
      const settled = new Array<number>(N).fill(0);
      const order = new Prng(1).shuffle([...Array(N).keys()]);
      const reads = order.map((i) => handle.read<Buffer>(Buffer.alloc(RECORD), 0, RECORD, i * RECORD).then((r) => {
        settled[i]++;
        return [i, r] as const;
      }));
      // Issued in one turn: the engine holds all of them (in the kernel or in its backlog).
      const mid = ring.stats();
      expect(mid.inFlight + mid.waiting).toBe(N);
      for (const [i, { bytesRead, buffer }] of await Promise.all(reads)) {
        expect(bytesRead).toBe(RECORD);
        if (!buffer.equals(pattern.subarray(i * RECORD, (i + 1) * RECORD))) throw new Error(`read ${i} returned the wrong bytes`);
      }
      await settle();
      expect(settled.every((c) => c === 1)).toBe(true);
    } finally {
      await handle.close();
    }
    const after = ring.stats();
    // open + N reads + close: every one submitted and reaped exactly once.
    expect(after.submitted - before.submitted).toBe(N + 2);
    expect(after.completed - before.completed).toBe(N + 2);
    expect(after.maxInFlight).toBeLessThanOrEqual(ring.cqEntries);
    expectIdle(ring);
  });

  it('10,000 callback reads at distinct offsets each call back exactly once with the right data', async () => {
    const N = 10_000;
    const fd = fs.openSync(patternPath, 'r');
    try {
      const calls = new Array<number>(N).fill(0);
      const out = Buffer.alloc(N * RECORD);
      const errors: unknown[] = [];
      await new Promise<void>((resolve) => {
        let done = 0;
        for (const i of new Prng(2).shuffle([...Array(N).keys()])) {
          fs.read(fd, out, i * RECORD, RECORD, i * RECORD, (err: Error | null, n: number, buffer: Buffer) => {
            calls[i]++;
            if (err || n !== RECORD || buffer !== out) errors.push(err ?? `read ${i}: ${n} bytes`);
            if (++done === N) resolve();
          });
        }
      });
      await settle();
      expect(errors).toEqual([]);
      expect(calls.every((c) => c === 1)).toBe(true);
      expect(out.equals(pattern.subarray(0, N * RECORD))).toBe(true);
    } finally {
      fs.closeSync(fd);
    }
    expectIdle(defaultRing());
  });

  it('100,000 one-byte callback reads complete exactly once each', async () => {
    const N = 100_000;
    const fd = fs.openSync(patternPath, 'r');
    const ring = defaultRing();
    const before = ring.stats();
    try {
      const calls = new Uint8Array(N);
      const out = Buffer.alloc(N);
      let bad = 0;
      await new Promise<void>((resolve) => {
        let done = 0;
        for (let i = 0; i < N; i++) {
          fs.read(fd, out, i, 1, i, (err: Error | null, n: number) => {
            calls[i]++;
            if (err || n !== 1) bad++;
            if (++done === N) resolve();
          });
        }
      });
      await settle();
      expect(bad).toBe(0);
      expect(calls.every((c) => c === 1)).toBe(true);
      expect(out.equals(pattern.subarray(0, N))).toBe(true);
    } finally {
      fs.closeSync(fd);
    }
    const after = ring.stats();
    expect(after.completed - before.completed).toBe(N);
    expectIdle(ring);
  });

  it('100,000 nops submitted to the default ring complete exactly once each', async () => {
    const N = 100_000;
    const ring = defaultRing();
    const before = ring.stats();
    const calls = new Uint8Array(N);
    const results = new Int32Array(N).fill(-1);
    await new Promise<void>((resolve) => {
      let done = 0;
      for (let i = 0; i < N; i++) {
        const op = new Op(OpCode.Nop);
        op.done = (r) => {
          calls[i]++;
          results[i] = r;
          if (++done === N) resolve();
        };
        ring.submit(op);
      }
    });
    await settle();
    expect(calls.every((c) => c === 1)).toBe(true);
    expect(results.every((r) => r === 0)).toBe(true);
    const after = ring.stats();
    expect(after.submitted - before.submitted).toBe(N);
    expect(after.completed - before.completed).toBe(N);
    expectIdle(ring);
  });

  it('mixed op kinds in flight at once each give the right result', async () => {
    const dir = join(tmp.dir, 'mixed');
    nodeFs.mkdirSync(dir);
    const K = 200;
    for (let i = 0; i < K; i++) {
      nodeFs.writeFileSync(join(dir, `existing-${i}`), `existing ${i}`);
      nodeFs.writeFileSync(join(dir, `to-rename-${i}`), `renamed ${i}`);
      nodeFs.writeFileSync(join(dir, `to-unlink-${i}`), 'x');
    }
    const target = join(dir, 'target.bin');
    nodeFs.writeFileSync(target, Buffer.alloc(K * 4096));
    const prng = new Prng(3);
    const blocks = Array.from({ length: K }, () => prng.bytes(4096));
    const handle = await fsp.open(target, 'r+');
    const patternHandle = await fsp.open(patternPath, 'r');
    const jobs: Promise<unknown>[] = [];
    const cb = <T>(f: (done: (err: Error | null, v?: T) => void) => void) => new Promise<T>((resolve, reject) => f((err, v) => (err ? reject(err) : resolve(v as T))));
    try {
      for (let i = 0; i < K; i++) {
        const p = prng.int(0, 99_999);
        jobs.push(patternHandle.read<Buffer>(Buffer.alloc(RECORD), 0, RECORD, p * RECORD).then(({ buffer }) => {
          expect(buffer.equals(pattern.subarray(p * RECORD, (p + 1) * RECORD))).toBe(true);
        }));
        jobs.push(handle.write(blocks[i], 0, 4096, i * 4096).then(({ bytesWritten }) => expect(bytesWritten).toBe(4096)));
        jobs.push(fsp.readFile(join(dir, `existing-${i}`), 'utf8').then((s) => expect(s).toBe(`existing ${i}`)));
        jobs.push(fsp.writeFile(join(dir, `new-${i}`), `new ${i}`));
        jobs.push(cb<fs.Stats>((d) => fs.stat(join(dir, `existing-${i}`), d)).then((st) => {
          expect(st.isFile()).toBe(true);
          expect(st.size).toBe(`existing ${i}`.length);
        }));
        jobs.push(fsp.rename(join(dir, `to-rename-${i}`), join(dir, `renamed-${i}`)));
        jobs.push(cb<void>((d) => fs.unlink(join(dir, `to-unlink-${i}`), d)));
        jobs.push(fsp.mkdir(join(dir, `sub-${i}`, 'deeper'), { recursive: true }).then((first) => expect(first).toBe(join(dir, `sub-${i}`))));
        jobs.push(cb<number>((d) => fs.open(join(dir, `existing-${i}`), 'r', d)).then((fd) => cb<void>((d) => fs.close(fd, d))));
        if (i % 20 === 0) jobs.push(handle.datasync(), patternHandle.stat().then((st) => expect(st.size).toBe(pattern.length)));
        // An error in the middle of the crowd stays with its own op.
        if (i % 50 === 0) jobs.push(fsp.readFile(join(dir, `missing-${i}`)).then(() => { throw new Error('expected ENOENT'); }, (err: NodeJS.ErrnoException) => expect(err.code).toBe('ENOENT')));
      }
      await Promise.all(jobs);
    } finally {
      await handle.close();
      await patternHandle.close();
    }
    expect(sha256(nodeFs.readFileSync(target))).toBe(sha256(Buffer.concat(blocks)));
    for (let i = 0; i < K; i++) {
      expect(nodeFs.readFileSync(join(dir, `new-${i}`), 'utf8')).toBe(`new ${i}`);
      expect(nodeFs.readFileSync(join(dir, `renamed-${i}`), 'utf8')).toBe(`renamed ${i}`);
      expect(nodeFs.existsSync(join(dir, `to-rename-${i}`))).toBe(false);
      expect(nodeFs.existsSync(join(dir, `to-unlink-${i}`))).toBe(false);
      expect(nodeFs.statSync(join(dir, `sub-${i}`, 'deeper')).isDirectory()).toBe(true);
    }
    expectIdle(defaultRing());
  });
});

describe('batching', () => {
  it('N reads issued in one turn use about ceil(N / sqEntries) io_uring_enter calls', async () => {
    const ring = defaultRing();
    // At most what the CQ holds, so all N go to the kernel in this turn.
    const N = Math.min(1000, ring.cqEntries);
    const fd = fs.openSync(patternPath, 'r');
    try {
      expectIdle(ring);
      const before = ring.stats();
      const out = Buffer.alloc(N);
      await new Promise<void>((resolve, reject) => {
        let done = 0;
        for (let i = 0; i < N; i++) {
          fs.read(fd, out, i, 1, i, (err: Error | null) => {
            if (err) reject(err);
            else if (++done === N) resolve();
          });
        }
      });
      const after = ring.stats();
      expect(out.equals(pattern.subarray(0, N))).toBe(true);
      expect(after.submitted - before.submitted).toBe(N);
      expect(after.enters - before.enters).toBeLessThanOrEqual(Math.ceil(N / ring.sqEntries) + 2);
      expect(after.maxInFlight).toBeGreaterThanOrEqual(N);
      expectIdle(ring);
    } finally {
      fs.closeSync(fd);
    }
  });

  it('10,000 reads (more than the CQ holds) still average many SQEs per enter', async () => {
    const ring = defaultRing();
    const N = 10_000;
    const handle = await fsp.open(patternPath, 'r');
    try {
      const before = ring.stats();
      await Promise.all(Array.from({ length: N }, (_, i) => handle.read(Buffer.alloc(1), 0, 1, i)));
      const after = ring.stats();
      expect(after.submitted - before.submitted).toBe(N);
      // Not per op: at least 16 SQEs per enter on average (about sqEntries in practice).
      expect(after.enters - before.enters).toBeLessThanOrEqual(N / 16);
      expect(after.maxInFlight).toBeLessThanOrEqual(ring.cqEntries);
      expectIdle(ring);
    } finally {
      await handle.close();
    }
  });
});

describe('a tiny ring', () => {
  it('new Ring({ entries: 2 }) flooded with thousands of ops completes all of them', async () => {
    const ring = new Ring({ entries: 2 });
    try {
      expect(ring.sqEntries).toBe(2);
      const fd = fs.openSync(patternPath, 'r');
      const outPath = join(tmp.dir, 'tiny-out.bin');
      nodeFs.writeFileSync(outPath, '');
      const outFd = fs.openSync(outPath, 'r+');
      const prng = new Prng(4);
      const writes = Array.from({ length: 1000 }, () => prng.bytes(RECORD));
      try {
        const jobs: Promise<void>[] = [];
        for (let i = 0; i < 5000; i++) {
          const buffer = Buffer.alloc(RECORD);
          jobs.push(runPromise(ring, readSteps(fd, buffer, 0, RECORD, i * RECORD)).then((n) => {
            expect(n).toBe(RECORD);
            if (!buffer.equals(pattern.subarray(i * RECORD, (i + 1) * RECORD))) throw new Error(`read ${i} wrong`);
          }));
        }
        for (let i = 0; i < writes.length; i++) {
          jobs.push(runPromise(ring, writeSteps(outFd, writes[i], 0, RECORD, i * RECORD)).then((n) => expect(n).toBe(RECORD)));
        }
        // Multi-step operations: open, stat, read, close, each step a new op.
        for (let i = 0; i < 200; i++) {
          jobs.push(runPromise(ring, (function* () {
            const own = yield* openSteps(patternPath, 0, 0);
            const st = yield* statSteps(own, null, true, false);
            const b = Buffer.alloc(RECORD);
            const n = yield* readSteps(own, b, 0, RECORD, (i + 7) * RECORD);
            yield* closeSteps(own);
            return { size: st!.size, n, b };
          })()).then(({ size, n, b }) => {
            expect(size).toBe(pattern.length);
            expect(n).toBe(RECORD);
            expect(b.equals(pattern.subarray((i + 7) * RECORD, (i + 8) * RECORD))).toBe(true);
          }));
        }
        for (let i = 0; i < 20; i++) {
          jobs.push(runPromise(ring, readFileSteps(patternPath, 0, undefined)).then((data) => {
            expect(sha256(data as Buffer)).toBe(sha256(pattern));
          }));
        }
        await Promise.all(jobs);
      } finally {
        fs.closeSync(fd);
        fs.closeSync(outFd);
      }
      expect(nodeFs.readFileSync(outPath).equals(Buffer.concat(writes))).toBe(true);
      const s = ring.stats();
      expect(s.maxInFlight).toBeLessThanOrEqual(ring.cqEntries);
      expect(s.completed).toBe(s.submitted);
      expectIdle(ring);
    } finally {
      ring.close();
    }
  });

  it('the backlog moves while ops that never complete hold most of the CQ (it refills in steps, or after a short wait)', async () => {
    // SQ of 4, CQ of 16: the backlog refills 4 at a time. 13 reads on a FIFO wait for data, so at
    // most 3 slots are ever free; the reads of the file behind them must still all complete.
    const ring = new Ring({ entries: 4 });
    const fifo = join(tmp.dir, 'backlog-fifo');
    mkfifo(fifo);
    const fifoFd = nodeFs.openSync(fifo, nodeFs.constants.O_RDWR);
    const fd = fs.openSync(patternPath, 'r');
    try {
      expect(ring.cqEntries).toBe(16);
      const waiting = Array.from({ length: 13 }, () => runPromise(ring, readSteps(fifoFd, Buffer.alloc(1), 0, 1, -1)));
      const reads = Array.from({ length: 200 }, (_, i) => {
        const buffer = Buffer.alloc(RECORD);
        return runPromise(ring, readSteps(fd, buffer, 0, RECORD, i * RECORD)).then((n) => n === RECORD && buffer.equals(pattern.subarray(i * RECORD, (i + 1) * RECORD)));
      });
      expect((await Promise.all(reads)).every(Boolean)).toBe(true);
      expect(ring.stats().inFlight).toBe(13);
      nodeFs.writeSync(fifoFd, Buffer.alloc(13, 7));
      expect(await Promise.all(waiting)).toStrictEqual(new Array(13).fill(1));
    } finally {
      fs.closeSync(fd);
      ring.close();
      nodeFs.closeSync(fifoFd);
    }
  });

  it('closing a ring with ops in flight settles every op exactly once (the kernel\'s result, ECANCELED for the cancelled, ERR_URINGFS_RING_CLOSED for those it never had), and later ops fail with ERR_URINGFS_RING_CLOSED', async () => {
    const ring = new Ring({ entries: 4 });
    const fifo = join(tmp.dir, 'close-fifo');
    mkfifo(fifo);
    // O_RDWR: this process is a writer too, so the read waits for data that never comes.
    const fifoFd = nodeFs.openSync(fifo, nodeFs.constants.O_RDWR);
    const fd = fs.openSync(patternPath, 'r');
    try {
      const outcomes: string[] = [];
      const settledCount = new Array<number>(0);
      const track = (i: number, p: Promise<number>) => p.then(
        () => { settledCount[i] = (settledCount[i] ?? 0) + 1; outcomes[i] = 'ok'; },
        (err: NodeJS.ErrnoException) => { settledCount[i] = (settledCount[i] ?? 0) + 1; outcomes[i] = err.code ?? String(err); },
      );
      const jobs: Promise<void>[] = [];
      jobs.push(track(0, runPromise(ring, readSteps(fifoFd, Buffer.alloc(8), 0, 8, -1))));
      for (let i = 1; i <= 500; i++) jobs.push(track(i, runPromise(ring, readSteps(fd, Buffer.alloc(RECORD), 0, RECORD, i * RECORD))));
      // Let the first batch reach the kernel, then close with the FIFO read (at least) in flight.
      await new Promise((resolve) => setImmediate(resolve));
      expect(ring.stats().inFlight).toBeGreaterThan(0);
      ring.close();
      expect(ring.closed).toBe(true);
      await Promise.all(jobs);
      await settle();
      expect(settledCount.length).toBe(501);
      expect(settledCount.every((c) => c === 1)).toBe(true);
      expect(outcomes[0]).toBe('ECANCELED');  // the FIFO read was in the kernel: cancelled
      for (const o of outcomes) expect(['ok', 'ECANCELED', 'ERR_URINGFS_RING_CLOSED']).toContain(o);

      await expect(runPromise(ring, readSteps(fd, Buffer.alloc(1), 0, 1, 0))).rejects.toMatchObject({ code: 'ERR_URINGFS_RING_CLOSED' });
      ring.close();  // twice is fine
    } finally {
      nodeFs.closeSync(fifoFd);
      fs.closeSync(fd);
    }
    // The default ring is unaffected.
    expect(sha256(await fsp.readFile(patternPath) as Buffer)).toBe(sha256(pattern));
  });
});

describe('a throwing callback', () => {
  it('surfaces as uncaughtException and the other completions of its batch still run (child process)', async () => {
    const COUNT = 512;
    const EVERY = 7;
    const r = await runNode([fixture('throwing-callbacks.mjs'), patternPath, String(COUNT), String(EVERY)], 20_000);
    expect(r.timedOut, `child hung; stdout: ${r.stdout} stderr: ${r.stderr}`).toBe(false);
    expect(r.code, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout.trim());
    expect(summary).toEqual({
      calls: COUNT,
      allOnce: true,
      wrong: 0,
      caught: Math.ceil(COUNT / EVERY),
      caughtDistinct: Math.ceil(COUNT / EVERY),
      completed: COUNT,
      inFlight: 0,
      readFileAfter: true,
    });
  });
});
