// The same seeded random sequence of operations — many of them failing: bad
// fds, missing paths, directories, reads past EOF, writes to read-only fds —
// run on an io_uring ring and on a thread-pool ring, each in a directory of
// its own, must give identical results, error codes and file bytes. Steps
// are issued one at a time (the order of conflicting ops would otherwise be
// the scheduler's), except groups of reads and of writes to disjoint ranges,
// which are in flight together.
import * as nodeFs from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Ring } from '../lib/index.js';
import {
  closeSteps, fsyncSteps, mkdirSteps, openSteps, readFileSteps, readSteps, renameSteps, statSteps, unlinkSteps,
  vectorSteps, writeFileSteps, writeSteps,
} from '../lib/operations.js';
import { runPromise, type Steps } from '../lib/run.js';
import type { Stats } from '../lib/stats.js';
import { Prng, sha256, tempDir } from './fixtures/helpers.js';
import { ioUringAvailable, needsIoUring } from './fixtures/io-uring.js';

const { O_RDONLY, O_WRONLY, O_RDWR, O_CREAT, O_TRUNC, O_APPEND, O_EXCL, O_DIRECTORY } = nodeFs.constants;
const BAD_FD = 2 ** 30;
const SLOTS = 4;
const NAMES = ['a', 'b', 'c', 'd/e', 'd', 'missing/x', 'd/f/g'];
const OPEN_FLAGS = [
  O_RDONLY, O_RDWR, O_WRONLY, O_RDWR | O_CREAT, O_WRONLY | O_CREAT | O_TRUNC, O_WRONLY | O_CREAT | O_APPEND,
  O_RDWR | O_CREAT | O_EXCL, O_RDONLY | O_DIRECTORY,
];

/** One step of the plan: a function of the run's state, drawn from the seed only. */
type Step = (ctx: Context) => Promise<unknown>;

interface Context {
  ring: Ring;
  dir: string;
  slots: (number | null)[];
  /** Whether the fd in each slot was opened with O_APPEND (its writes land at the end, whatever the position). */
  appends: boolean[];
}

function outcome(p: Promise<unknown>, dir: string): Promise<unknown> {
  return p.then(
    (value) => ({ ok: typeof value === 'string' ? value.replace(dir, '<dir>') : value }),
    (e: { code?: string; syscall?: string; path?: string; dest?: string; message: string }) => ({
      code: e.code ?? e.message,
      syscall: e.syscall,
      path: e.path?.toString().replace(dir, '<dir>'),
      dest: e.dest?.toString().replace(dir, '<dir>'),
    }),
  );
}

function run<T>(ctx: Context, steps: Steps<T>): Promise<unknown> {
  return outcome(runPromise(ctx.ring, steps), ctx.dir);
}

function statSummary(s: unknown): unknown {
  const st = s as Stats;
  return { size: st.size, type: st.mode & 0o170000, perm: st.mode & 0o777, nlink: st.nlink, isFile: st.isFile(), isDirectory: st.isDirectory() };
}

/** A position: the current one, inside or just past the file, or far past it. */
function position(prng: Prng): number {
  const r = prng.int(0, 9);
  if (r < 3) return -1;
  if (r < 9) return prng.int(0, 12_000);
  return 2 ** 40 + prng.int(0, 100);
}

function plan(seed: number, count: number): Step[] {
  const prng = new Prng(seed);
  const steps: Step[] = [];
  const name = () => NAMES[prng.int(0, NAMES.length - 1)];
  const fdOf = (ctx: Context, slot: number) => ctx.slots[slot] ?? BAD_FD;
  for (let i = 0; i < count; i++) {
    const slot = prng.int(0, SLOTS - 1);
    const kind = prng.int(0, 17);
    switch (kind) {
      case 0: case 1: {
        const path = name(), flags = OPEN_FLAGS[prng.int(0, OPEN_FLAGS.length - 1)];
        steps.push(async (ctx) => {
          if (ctx.slots[slot] !== null) await run(ctx, closeSteps(ctx.slots[slot]!));
          ctx.slots[slot] = null;
          const r = await run(ctx, openSteps(join(ctx.dir, path), flags, 0o640)) as { ok?: number };
          if (typeof r.ok === 'number') ctx.slots[slot] = r.ok;
          ctx.appends[slot] = (flags & O_APPEND) !== 0;
          return { open: path, flags, ok: typeof r.ok === 'number', r: typeof r.ok === 'number' ? 'fd' : r };
        });
        break;
      }
      case 2: {
        steps.push(async (ctx) => {
          const r = await run(ctx, closeSteps(fdOf(ctx, slot)));
          ctx.slots[slot] = null;
          return r;
        });
        break;
      }
      case 3: case 4: case 5: {
        const length = prng.int(0, 6000), pos = position(prng), offset = prng.int(0, 64);
        steps.push(async (ctx) => {
          const buf = Buffer.alloc(offset + length + 16, 0xee);
          const r = await run(ctx, readSteps(fdOf(ctx, slot), buf, offset, length, pos));
          return { r, bytes: sha256(buf) };
        });
        break;
      }
      case 6: case 7: case 8: {
        const data = prng.bytes(prng.int(0, 5000)), pos = position(prng);
        steps.push((ctx) => run(ctx, writeSteps(fdOf(ctx, slot), data, 0, data.length, pos)));
        break;
      }
      case 9: {
        const write = prng.int(0, 1) === 1, pos = position(prng);
        const sizes = Array.from({ length: prng.int(1, 4) }, () => prng.int(0, 2000));
        const data = sizes.map((n) => prng.bytes(n));
        steps.push(async (ctx) => {
          const views = write ? data : sizes.map((n) => Buffer.alloc(n, 0xee));
          const r = await run(ctx, vectorSteps(write, fdOf(ctx, slot), views, pos));
          return write ? r : { r, bytes: views.map(sha256) };
        });
        break;
      }
      case 10: {
        const datasync = prng.int(0, 1) === 1;
        steps.push((ctx) => run(ctx, fsyncSteps(fdOf(ctx, slot), datasync)));
        break;
      }
      case 11: {
        const byPath = prng.int(0, 1) === 1, path = name();
        steps.push(async (ctx) => {
          const r = await run(ctx, byPath ? statSteps(null, join(ctx.dir, path), true, false) : statSteps(fdOf(ctx, slot), null, true, false)) as { ok?: unknown };
          return 'ok' in r ? { ok: statSummary(r.ok) } : r;
        });
        break;
      }
      case 12: {
        const what = prng.int(0, 2), path = name(), to = name(), recursive = prng.int(0, 1) === 1;
        steps.push((ctx) => {
          if (what === 0) return run(ctx, unlinkSteps(join(ctx.dir, path)));
          if (what === 1) return run(ctx, renameSteps(join(ctx.dir, path), join(ctx.dir, to)));
          return run(ctx, mkdirSteps(join(ctx.dir, path), 0o750, recursive));
        });
        break;
      }
      case 13: {
        const path = name();
        steps.push(async (ctx) => {
          const r = await run(ctx, readFileSteps(join(ctx.dir, path), O_RDONLY, undefined)) as { ok?: Buffer };
          return r.ok ? { ok: sha256(r.ok) } : r;
        });
        break;
      }
      case 14: {
        const path = name(), data = prng.bytes(prng.int(0, 9000));
        const flags = [O_WRONLY | O_CREAT | O_TRUNC, O_WRONLY | O_CREAT | O_APPEND, O_WRONLY | O_CREAT | O_EXCL][prng.int(0, 2)];
        steps.push((ctx) => run(ctx, writeFileSteps(join(ctx.dir, path), data, flags, 0o644)));
        break;
      }
      case 15: {
        // Reads in flight together: they do not conflict.
        const reads = Array.from({ length: prng.int(2, 24) }, () => ({ length: prng.int(0, 3000), pos: prng.int(0, 10_000) }));
        steps.push(async (ctx) => {
          const bufs = reads.map((r) => Buffer.alloc(r.length, 0xee));
          const rs = await Promise.all(reads.map((r, j) => run(ctx, readSteps(fdOf(ctx, slot), bufs[j], 0, r.length, r.pos))));
          return { rs, bytes: bufs.map(sha256) };
        });
        break;
      }
      case 16: {
        // Writes to disjoint ranges in flight together: any order gives the same bytes (unless O_APPEND).
        const count = prng.int(2, 16), stride = prng.int(1, 800);
        const writes = Array.from({ length: count }, (_, j) => ({ pos: j * stride, data: prng.bytes(prng.int(0, stride)) }));
        prng.shuffle(writes);
        steps.push(async (ctx) => {
          const write = (w: (typeof writes)[number]) => run(ctx, writeSteps(fdOf(ctx, slot), w.data, 0, w.data.length, w.pos));
          // With O_APPEND every write lands at the end: their order is the file's, so one at a time.
          if (ctx.appends[slot]) {
            const rs = [];
            for (const w of writes) rs.push(await write(w));
            return rs;
          }
          return Promise.all(writes.map(write));
        });
        break;
      }
      case 17: {
        // Ops on an fd that was never open.
        const which = prng.int(0, 3);
        steps.push((ctx) => {
          const buf = Buffer.alloc(8);
          if (which === 0) return run(ctx, readSteps(BAD_FD, buf, 0, 8, -1));
          if (which === 1) return run(ctx, writeSteps(BAD_FD, buf, 0, 8, 0));
          if (which === 2) return run(ctx, fsyncSteps(BAD_FD, false));
          return run(ctx, statSteps(BAD_FD, null, true, false));
        });
        break;
      }
    }
  }
  return steps;
}

/** A file's bytes by hash; for the sparse giants that writes at 2^40 make, its size and both ends. */
function fileDigest(path: string): string {
  const size = nodeFs.statSync(path).size;
  if (size <= 16 << 20) return sha256(nodeFs.readFileSync(path));
  const fd = nodeFs.openSync(path, 'r');
  const head = Buffer.alloc(1 << 20), tail = Buffer.alloc(1 << 20);
  nodeFs.readSync(fd, head, 0, head.length, 0);
  nodeFs.readSync(fd, tail, 0, tail.length, size - tail.length);
  nodeFs.closeSync(fd);
  return `${size} ${sha256(head)} ${sha256(tail)}`;
}

/** Every entry under `dir`: its type, and a file's bytes by hash. */
function snapshot(dir: string, rel = ''): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of nodeFs.readdirSync(join(dir, rel), { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const path = rel === '' ? entry.name : `${rel}/${entry.name}`;
    if (entry.isDirectory()) {
      out[path] = 'dir';
      Object.assign(out, snapshot(dir, path));
    } else {
      out[path] = fileDigest(join(dir, path));
    }
  }
  return out;
}

async function execute(backend: 'io_uring' | 'threads', seed: number, count: number, root: string): Promise<{ results: unknown[]; files: Record<string, string> }> {
  const dir = join(root, `${backend}-${seed}`);
  nodeFs.mkdirSync(dir);
  nodeFs.mkdirSync(join(dir, 'd'));
  nodeFs.writeFileSync(join(dir, 'a'), new Prng(seed).bytes(7000));
  const ring = new Ring({ backend, entries: 16 });
  expect(ring.backend).toBe(backend);
  const ctx: Context = { ring, dir, slots: Array(SLOTS).fill(null), appends: Array(SLOTS).fill(false) };
  const results: unknown[] = [];
  for (const step of plan(seed, count)) results.push(await step(ctx));
  for (const fd of ctx.slots) if (fd !== null) results.push(await run(ctx, closeSteps(fd)));
  ring.close();
  return { results, files: snapshot(dir) };
}

describe.skipIf(!ioUringAvailable)(`differential: io_uring and thread-pool backends${needsIoUring}`, () => {
  const root = tempDir('backend-diff');
  afterAll(() => root.remove());

  for (const seed of [1, 2, 3, 0xdecafbad]) {
    it(`seed ${seed}: 400 random ops give identical results, errors and bytes`, async () => {
      const uring = await execute('io_uring', seed, 400, root.dir);
      const threads = await execute('threads', seed, 400, root.dir);
      expect(threads.results).toEqual(uring.results);
      expect(threads.files).toEqual(uring.files);
      // The sequence must exercise both outcomes to mean anything.
      const text = JSON.stringify(uring.results);
      for (const code of ['EBADF', 'ENOENT', 'EEXIST', 'EISDIR', 'ENOTDIR']) expect(text).toContain(code);
      expect(Object.keys(uring.files).length).toBeGreaterThan(2);
    });
  }
});
