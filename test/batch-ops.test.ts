// Explicit batches against the real kernel: one outcome per op in the order
// the ops were added, Node-shaped errors equal to node:fs's, linked chains
// (ECANCELED after a failed or short link, a cancelled fsync never reads as
// success), chains at the SQ boundary (never split across submits, shown by
// the per-submit histogram and by ECANCELED reaching every op after the
// failure), batch sizes 1 / 64 / SQ / 4 x SQ + 1, buffers detached before
// submit, batches submitted twice, empty batches and closed rings — each
// through submit() and submitSync().
import * as nodeFs from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ring, type Outcome, type RingStats } from '../lib/index.js';
import { mkfifo, Prng, runNode, tempDir, type ChildResult } from './fixtures/helpers.js';

let tmp: ReturnType<typeof tempDir>;
/** 64 KiB of seeded random bytes. */
let dataPath: string;
let data: Buffer;
/** An fd number that is certainly not open. */
const BAD_FD = 1_000_000;

beforeAll(() => {
  tmp = tempDir('batch-ops');
  dataPath = join(tmp.dir, 'data.bin');
  data = new Prng(0xba7c4).bytes(64 * 1024);
  nodeFs.writeFileSync(dataPath, data);
});
afterAll(() => tmp.remove());

let counter = 0;
/** A fresh path in the temp dir. */
function fresh(name: string): string {
  return join(tmp.dir, `${name}-${counter++}`);
}

type Shape = { name: string; message: string; code: unknown; errno: unknown; syscall: unknown; path: unknown; dest: unknown };

function shape(e: unknown): Shape {
  const x = e as Error & Record<string, unknown>;
  return { name: x.constructor.name, message: x.message, code: x.code, errno: x.errno, syscall: x.syscall, path: x.path, dest: x.dest };
}

/** The error node:fs throws for the same operation. */
function nodeError(f: () => unknown): Shape {
  try {
    f();
  } catch (e) {
    return shape(e);
  }
  throw new Error('expected node:fs to throw');
}

function value(o: Outcome | undefined): unknown {
  expect(o, 'outcome').toBeDefined();
  if (!o!.ok) throw new Error(`expected success, got ${o!.error.message}`);
  return o!.value;
}

function error(o: Outcome | undefined): Shape {
  expect(o, 'outcome').toBeDefined();
  if (o!.ok) throw new Error(`expected an error, got ${String(o!.value)}`);
  expect(o!.error).toBeInstanceOf(Error);
  return shape(o!.error);
}

function codes(out: Outcome[]): string[] {
  return out.map((o) => (o.ok ? 'ok' : String((o.error as NodeJS.ErrnoException).code)));
}

function delta(after: RingStats, before: RingStats): { submitted: number; enters: number; completed: number; hist: Record<string, number> } {
  const hist: Record<string, number> = {};
  for (const [k, v] of Object.entries(after.opsPerSubmit)) if (v - (before.opsPerSubmit[k] ?? 0) > 0) hist[k] = v - (before.opsPerSubmit[k] ?? 0);
  return { submitted: after.submitted - before.submitted, enters: after.enters - before.enters, completed: after.completed - before.completed, hist };
}

/** Both ways of sending a batch, with the same result type. */
const modes = [
  ['submit', (b: ReturnType<Ring['batch']>) => b.submit()],
  ['submitSync', async (b: ReturnType<Ring['batch']>) => b.submitSync()],
] as const;

/** Rings made by a test, closed after it. */
function withRing<T>(entries: number, f: (ring: Ring) => Promise<T>): Promise<T> {
  const ring = new Ring({ entries });
  return f(ring).finally(() => ring.close());
}

describe.each(modes)('results in order (%s)', (_name, send) => {
  it('every op kind in one batch gives its own outcome, at its own index, equal to node:fs', async () => {
    await withRing(32, async (ring) => {
      const readFd = nodeFs.openSync(dataPath, 'r');
      const wPath = fresh('w');
      const wvPath = fresh('wv');
      const wFd = nodeFs.openSync(wPath, 'w+');
      const wvFd = nodeFs.openSync(wvPath, 'w+');
      const toUnlink = fresh('unlink');
      const renameFrom = fresh('from');
      const renameTo = fresh('to');
      const newDir = fresh('dir');
      const hard = fresh('hard');
      const soft = fresh('soft');
      const toClose = nodeFs.openSync(dataPath, 'r');
      nodeFs.writeFileSync(toUnlink, 'x');
      nodeFs.writeFileSync(renameFrom, 'moved');
      try {
        const rbuf = Buffer.alloc(100);
        const rv = [Buffer.alloc(3), Buffer.alloc(5)];
        const b = ring.batch();
        b.read(readFd, rbuf, 0, 100, 1000)                          // 0
          .write(wFd, Buffer.from('hello batch'), 0, 11, 0)          // 1
          .readv(readFd, rv, 7)                                      // 2
          .writev(wvFd, [Buffer.from('ab'), Buffer.from('cde')], 0)  // 3
          .fsync(wFd)                                                // 4
          .fdatasync(wvFd)                                           // 5
          .stat(dataPath)                                            // 6
          .statx(dataPath, { bigint: true })                         // 7
          .fstat(readFd)                                             // 8
          .unlink(toUnlink)                                          // 9
          .rename(renameFrom, renameTo)                              // 10
          .mkdir(newDir, 0o750)                                      // 11
          .nop()                                                     // 12
          .open(dataPath, 'r')                                       // 13
          .close(toClose)                                            // 14
          .write(wFd, 'a string', 100)                               // 15
          .link(dataPath, hard)                                      // 16
          .symlink(dataPath, soft);                                  // 17
        expect(b.length).toBe(18);
        const out = await send(b);
        expect(out).toHaveLength(18);
        expect(codes(out)).toEqual(Array(18).fill('ok'));

        expect(value(out[0])).toBe(100);
        expect(rbuf.equals(data.subarray(1000, 1100))).toBe(true);
        expect(value(out[1])).toBe(11);
        expect(value(out[2])).toBe(8);
        expect(Buffer.concat(rv).equals(data.subarray(7, 15))).toBe(true);
        expect(value(out[3])).toBe(5);
        expect(value(out[4])).toBeUndefined();
        expect(value(out[5])).toBeUndefined();
        const st = nodeFs.statSync(dataPath);
        const s6 = value(out[6]) as nodeFs.Stats;
        expect([s6.size, s6.ino, s6.mode, s6.isFile()]).toEqual([st.size, st.ino, st.mode, true]);
        const s7 = value(out[7]) as nodeFs.BigIntStats;
        expect([s7.size, s7.ino]).toEqual([BigInt(st.size), BigInt(st.ino)]);
        const s8 = value(out[8]) as nodeFs.Stats;
        expect([s8.size, s8.ino, s8.dev]).toEqual([st.size, st.ino, st.dev]);
        expect(value(out[9])).toBeUndefined();
        expect(nodeFs.existsSync(toUnlink)).toBe(false);
        expect(value(out[10])).toBeUndefined();
        expect(nodeFs.readFileSync(renameTo, 'utf8')).toBe('moved');
        expect(nodeFs.existsSync(renameFrom)).toBe(false);
        expect(value(out[11])).toBeUndefined();
        expect(nodeFs.statSync(newDir).isDirectory()).toBe(true);
        expect([value(out[16]), nodeFs.statSync(hard).ino]).toEqual([undefined, nodeFs.statSync(dataPath).ino]);
        expect([value(out[17]), nodeFs.readlinkSync(soft)]).toEqual([undefined, dataPath]);
        expect(nodeFs.statSync(newDir).mode & 0o777).toBe(0o750 & ~process.umask());
        expect(value(out[12])).toBeUndefined();
        const openedFd = value(out[13]) as number;
        expect(Number.isInteger(openedFd) && openedFd >= 0).toBe(true);
        expect(nodeFs.fstatSync(openedFd).ino).toBe(st.ino);
        nodeFs.closeSync(openedFd);
        expect(value(out[14])).toBeUndefined();
        expect(() => nodeFs.fstatSync(toClose)).toThrow(expect.objectContaining({ code: 'EBADF' }));
        expect(value(out[15])).toBe(8);
        const written = nodeFs.readFileSync(wPath);
        expect(written.subarray(0, 11).toString()).toBe('hello batch');
        expect(written.subarray(100).toString()).toBe('a string');
        expect(nodeFs.readFileSync(wvPath, 'utf8')).toBe('abcde');
      } finally {
        nodeFs.closeSync(readFd);
        nodeFs.closeSync(wFd);
        nodeFs.closeSync(wvFd);
      }
    });
  });

  it('per-op errors are Node-shaped (message, code, errno, syscall, path, dest) and equal node:fs errors, neighbours unaffected', async () => {
    await withRing(16, async (ring) => {
      const missing = join(tmp.dir, 'no', 'such', 'file');
      const existingDir = fresh('existing');
      nodeFs.mkdirSync(existingDir);
      const roFd = nodeFs.openSync(dataPath, 'r');
      const dirFd = nodeFs.openSync(tmp.dir, 'r');
      try {
        const b = ring.batch();
        const cases: [string, () => unknown][] = [];
        b.open(missing); cases.push(['open', () => nodeFs.openSync(missing, 'r')]);
        b.nop(); cases.push(['ok', () => undefined]);
        b.stat(missing); cases.push(['stat', () => nodeFs.statSync(missing)]);
        b.rename(missing, join(tmp.dir, 'target')); cases.push(['rename', () => nodeFs.renameSync(missing, join(tmp.dir, 'target'))]);
        b.link(missing, join(tmp.dir, 'target')); cases.push(['link', () => nodeFs.linkSync(missing, join(tmp.dir, 'target'))]);
        b.symlink('anything', existingDir); cases.push(['symlink', () => nodeFs.symlinkSync('anything', existingDir)]);
        b.unlink(missing); cases.push(['unlink', () => nodeFs.unlinkSync(missing)]);
        b.mkdir(existingDir); cases.push(['mkdir', () => nodeFs.mkdirSync(existingDir)]);
        b.mkdir(missing); cases.push(['mkdir', () => nodeFs.mkdirSync(missing)]);
        b.unlink(existingDir); cases.push(['unlink', () => nodeFs.unlinkSync(existingDir)]);
        b.stat(dataPath); cases.push(['ok', () => undefined]);
        b.fstat(BAD_FD); cases.push(['fstat', () => nodeFs.fstatSync(BAD_FD)]);
        b.close(BAD_FD); cases.push(['close', () => nodeFs.closeSync(BAD_FD)]);
        b.fsync(BAD_FD); cases.push(['fsync', () => nodeFs.fsyncSync(BAD_FD)]);
        b.fdatasync(BAD_FD); cases.push(['fdatasync', () => nodeFs.fdatasyncSync(BAD_FD)]);
        b.read(BAD_FD, Buffer.alloc(4)); cases.push(['read', () => nodeFs.readSync(BAD_FD, Buffer.alloc(4))]);
        b.write(roFd, Buffer.from('nope')); cases.push(['write', () => nodeFs.writeSync(roFd, Buffer.from('nope'))]);
        b.read(dirFd, Buffer.alloc(4), 0, 4, 0); cases.push(['read', () => nodeFs.readSync(dirFd, Buffer.alloc(4), 0, 4, 0)]);
        b.open(dataPath, 'wx'); cases.push(['open', () => nodeFs.openSync(dataPath, 'wx')]);
        b.nop(); cases.push(['ok', () => undefined]);
        const out = await send(b);
        expect(out).toHaveLength(cases.length);
        cases.forEach(([syscall, f], i) => {
          if (syscall === 'ok') {
            expect(out[i].ok, `op ${i}`).toBe(true);
            return;
          }
          const got = error(out[i]);
          expect(got.syscall, `op ${i}`).toBe(syscall);
          expect(typeof got.errno).toBe('number');
          expect(got.errno as number).toBeLessThan(0);
          expect(got, `op ${i} (${syscall})`).toEqual(nodeError(f));
        });
        expect(ring.stats().inFlight).toBe(0);
      } finally {
        nodeFs.closeSync(roFd);
        nodeFs.closeSync(dirFd);
      }
    });
  });

  it('Buffer and file: URL paths work like strings', async () => {
    await withRing(8, async (ring) => {
      const missingUrl = pathToFileURL(join(tmp.dir, 'missing-url'));
      const b = ring.batch();
      b.stat(Buffer.from(dataPath)).stat(pathToFileURL(dataPath)).open(missingUrl);
      const out = await send(b);
      expect((value(out[0]) as nodeFs.Stats).size).toBe(data.length);
      expect((value(out[1]) as nodeFs.Stats).size).toBe(data.length);
      expect(error(out[2])).toEqual(nodeError(() => nodeFs.openSync(missingUrl, 'r')));
    });
  });

  // (Was a bug until 0e25141: the error kept the Buffer as `path`.)
  it('an error for a Buffer path has `path` as a string, like node:fs', async () => {
    await withRing(8, async (ring) => {
      const missing = Buffer.from(join(tmp.dir, 'missing-buf'));
      const b = ring.batch();
      b.open(missing).stat(missing);
      const out = await send(b);
      expect(error(out[0])).toEqual(nodeError(() => nodeFs.openSync(missing, 'r')));
      expect(error(out[1])).toEqual(nodeError(() => nodeFs.statSync(missing)));
    });
  });
});

describe('argument validation', () => {
  it('bad arguments throw synchronously with node:fs codes and add nothing to the batch', () => {
    const ring = new Ring({ entries: 8 });
    try {
      const b = ring.batch();
      b.nop();
      const fd = nodeFs.openSync(dataPath, 'r');
      try {
        const attempts: [() => unknown, () => unknown][] = [
          [() => b.read(-1, Buffer.alloc(1)), () => nodeFs.readSync(-1, Buffer.alloc(1))],
          [() => b.read(fd, 'str' as never), () => nodeFs.readSync(fd, 'str' as never)],
          [() => b.read(fd, Buffer.alloc(4), 2, 4, 0), () => nodeFs.readSync(fd, Buffer.alloc(4), 2, 4, 0)],
          [() => b.open(123 as never), () => nodeFs.openSync(123 as never, 'r')],
          [() => b.open(dataPath, 'bogus'), () => nodeFs.openSync(dataPath, 'bogus')],
          [() => b.stat('a\0b'), () => nodeFs.statSync('a\0b')],
          [() => b.fsync(1.5), () => nodeFs.fsyncSync(1.5)],
          [() => b.write(fd, 42 as never), () => nodeFs.writeSync(fd, 42 as never)],
          [() => b.readv(fd, 'x' as never), () => nodeFs.readvSync(fd, 'x' as never)],
        ];
        for (const [ours, theirs] of attempts) {
          const expected = nodeError(theirs);
          const got = nodeError(ours);
          expect([got.name, got.code], String(ours)).toEqual([expected.name, expected.code]);
        }
        expect(b.length).toBe(1);
        expect(codes(b.submitSync())).toEqual(['ok']);
      } finally {
        nodeFs.closeSync(fd);
      }
    } finally {
      ring.close();
    }
  });
});

describe.each(modes)('linked chains (%s)', (_name, send) => {
  it('write → fsync and write → fdatasync succeed in order, and the data is in the file', async () => {
    await withRing(8, async (ring) => {
      const p = fresh('synced');
      const fd = nodeFs.openSync(p, 'w');
      try {
        const b = ring.batch();
        b.chain((c) => c.write(fd, Buffer.from('first '), 0, 6, 0).fsync(fd));
        b.chain((c) => c.write(fd, Buffer.from('second'), 0, 6, 6).fdatasync(fd));
        const out = await send(b);
        expect(out.map((o) => (o.ok ? o.value : o.error))).toEqual([6, undefined, 6, undefined]);
        expect(nodeFs.readFileSync(p, 'utf8')).toBe('first second');
      } finally {
        nodeFs.closeSync(fd);
      }
    });
  });

  it('a failed write cancels the fsync/fdatasync after it: ECANCELED with its own syscall, never success', async () => {
    await withRing(8, async (ring) => {
      const fd = nodeFs.openSync(dataPath, 'r');  // writes fail with EBADF
      try {
        const b = ring.batch();
        b.chain((c) => c.write(fd, Buffer.from('x'), 0, 1, 0).fsync(fd).fdatasync(fd).nop());
        const out = await send(b);
        expect(codes(out)).toEqual(['EBADF', 'ECANCELED', 'ECANCELED', 'ECANCELED']);
        expect(error(out[0])).toEqual(nodeError(() => nodeFs.writeSync(fd, Buffer.from('x'), 0, 1, 0)));
        const [, fsyncErr, fdatasyncErr, nopErr] = out.map((o) => (o.ok ? null : shape(o.error)));
        expect(fsyncErr).toMatchObject({ code: 'ECANCELED', errno: -125, syscall: 'fsync', message: 'ECANCELED: operation canceled, fsync' });
        expect(fdatasyncErr).toMatchObject({ code: 'ECANCELED', errno: -125, syscall: 'fdatasync' });
        expect(nopErr).toMatchObject({ code: 'ECANCELED', errno: -125, syscall: 'nop' });
      } finally {
        nodeFs.closeSync(fd);
      }
    });
  });

  it('a failure in the middle: ops before it take effect, ops after it report ECANCELED and have no effect', async () => {
    await withRing(16, async (ring) => {
      const p = fresh('mid');
      const victim = fresh('victim');
      const newName = fresh('renamed');
      const newDir = fresh('nodir');
      nodeFs.writeFileSync(victim, 'keep me');
      const fd = nodeFs.openSync(p, 'w');
      try {
        const b = ring.batch();
        b.chain((c) => c
          .write(fd, 'AAAA', 0)
          .write(fd, 'BBBB', 4)
          .open(join(tmp.dir, 'missing-link'))  // fails: ENOENT
          .write(fd, 'CCCC', 8)
          .unlink(victim)
          .rename(victim, newName)
          .mkdir(newDir)
          .fsync(fd));
        b.nop();  // not in the chain: runs regardless
        const out = await send(b);
        expect(codes(out)).toEqual(['ok', 'ok', 'ENOENT', 'ECANCELED', 'ECANCELED', 'ECANCELED', 'ECANCELED', 'ECANCELED', 'ok']);
        expect(error(out[2])).toEqual(nodeError(() => nodeFs.openSync(join(tmp.dir, 'missing-link'), 'r')));
        expect(nodeFs.readFileSync(p, 'utf8')).toBe('AAAABBBB');
        expect(nodeFs.readFileSync(victim, 'utf8')).toBe('keep me');
        expect(nodeFs.existsSync(newName)).toBe(false);
        expect(nodeFs.existsSync(newDir)).toBe(false);
        expect(out.slice(3, 8).map((o) => (o.ok ? null : shape(o.error).syscall))).toEqual(['write', 'unlink', 'rename', 'mkdir', 'fsync']);
      } finally {
        nodeFs.closeSync(fd);
      }
    });
  });

  // Regression (fixed): a chain does not stop after a failed stat/statx/fstat, unlink,
  // rename or mkdir: the ops after it run (and report success). The kernel
  // (6.18 here) fails a link only for ops that mark themselves failed
  // (read/write/open/close/fsync... do); io_statx, io_unlinkat, io_renameat,
  // io_mkdirat, io_linkat and io_symlinkat just post their -errno, so IOSQE_IO_LINK does not cancel the
  // next SQE. uringfs relies on the kernel and so breaks its own promise
  // ("run this op only after the previous one succeeded"). Repro:
  //   b.chain(c => c.stat('/missing').unlink(victim)); await b.submit()
  //   -> [ENOENT, ok] and `victim` is gone.
  it('a failed stat, fstat, unlink, rename, mkdir, link or symlink cancels the rest of its chain', async () => {
    await withRing(8, async (ring) => {
      const missing = join(tmp.dir, 'missing-head');
      const existing = fresh('existing-dir');
      nodeFs.mkdirSync(existing);
      const victims = Array.from({ length: 7 }, () => fresh('victim'));
      for (const v of victims) nodeFs.writeFileSync(v, 'keep me');
      const b = ring.batch();
      b.chain((c) => c.stat(missing).unlink(victims[0]));
      b.chain((c) => c.fstat(BAD_FD).unlink(victims[1]));
      b.chain((c) => c.unlink(missing).unlink(victims[2]));
      b.chain((c) => c.rename(missing, join(tmp.dir, 'x')).unlink(victims[3]));
      b.chain((c) => c.mkdir(existing).unlink(victims[4]));
      b.chain((c) => c.link(missing, join(tmp.dir, 'x')).unlink(victims[5]));
      b.chain((c) => c.symlink('x', existing).unlink(victims[6]));
      const out = await send(b);
      const kept = victims.map((v) => nodeFs.existsSync(v));
      expect({ codes: codes(out), kept }).toEqual({
        codes: ['ENOENT', 'ECANCELED', 'EBADF', 'ECANCELED', 'ENOENT', 'ECANCELED', 'ENOENT', 'ECANCELED', 'EEXIST', 'ECANCELED', 'ENOENT', 'ECANCELED', 'EEXIST', 'ECANCELED'],
        kept: [true, true, true, true, true, true, true],
      });
    });
  });

  it('a short read succeeds with its count and cancels the rest of the chain', async () => {
    await withRing(8, async (ring) => {
      const fd = nodeFs.openSync(dataPath, 'r');
      try {
        const buf = Buffer.alloc(100);
        const b = ring.batch();
        b.chain((c) => c.read(fd, buf, 0, 100, data.length - 10).fstat(fd).fsync(fd));
        b.chain((c) => c.read(fd, Buffer.alloc(10), 0, 10, 0).fstat(fd));  // full read: the chain goes on
        const out = await send(b);
        expect(codes(out)).toEqual(['ok', 'ECANCELED', 'ECANCELED', 'ok', 'ok']);
        expect(value(out[0])).toBe(10);
        expect(buf.subarray(0, 10).equals(data.subarray(data.length - 10))).toBe(true);
        expect((value(out[4]) as nodeFs.Stats).size).toBe(data.length);
      } finally {
        nodeFs.closeSync(fd);
      }
    });
  });

  it('links run in order: one-byte writes at the current file position spell their order', async () => {
    await withRing(16, async (ring) => {
      const files = Array.from({ length: 4 }, () => fresh('order'));
      const fds = files.map((p) => nodeFs.openSync(p, 'w'));
      try {
        const b = ring.batch();
        fds.forEach((fd, k) => b.chain((c) => {
          for (let i = 0; i < 10; i++) c.write(fd, String.fromCharCode(97 + ((i + k) % 26)), null);
        }));
        const out = await send(b);
        expect(out.every((o) => o.ok && o.value === 1)).toBe(true);
        files.forEach((p, k) => {
          expect(nodeFs.readFileSync(p, 'latin1')).toBe(Array.from({ length: 10 }, (_, i) => String.fromCharCode(97 + ((i + k) % 26))).join(''));
        });
      } finally {
        for (const fd of fds) nodeFs.closeSync(fd);
      }
    });
  });

  it('open → read → close cannot pass the new fd, so chains work on open fds: read → fstat → close closes it; a cancelled close leaves it open', async () => {
    await withRing(8, async (ring) => {
      const okFd = nodeFs.openSync(dataPath, 'r');
      const wrFd = nodeFs.openSync(fresh('wronly'), 'w');  // reads fail with EBADF
      let wrOpen = true;
      try {
        const buf = Buffer.alloc(16);
        const b = ring.batch();
        b.chain((c) => c.read(okFd, buf, 0, 16, 0).fstat(okFd).close(okFd));
        b.chain((c) => c.read(wrFd, Buffer.alloc(16), 0, 16, 0).fstat(wrFd).close(wrFd));
        const out = await send(b);
        expect(codes(out)).toEqual(['ok', 'ok', 'ok', 'EBADF', 'ECANCELED', 'ECANCELED']);
        expect(buf.equals(data.subarray(0, 16))).toBe(true);
        expect(() => nodeFs.fstatSync(okFd)).toThrow(expect.objectContaining({ code: 'EBADF' }));
        expect(nodeFs.fstatSync(wrFd).isFile()).toBe(true);  // the cancelled close did not run
        nodeFs.closeSync(wrFd);
        wrOpen = false;
      } finally {
        if (wrOpen) nodeFs.closeSync(wrFd);
      }
    });
  });

  it('a writev of no buffers inside a chain completes without the kernel and keeps the chain going', async () => {
    await withRing(8, async (ring) => {
      const p = fresh('wv0');
      const fd = nodeFs.openSync(p, 'w');
      try {
        const b = ring.batch();
        b.chain((c) => c.write(fd, 'ab', 0).writev(fd, []).write(fd, 'cd', 2).fsync(fd));
        const out = await send(b);
        expect(out.map((o) => (o.ok ? o.value : shape(o.error).code))).toEqual([2, 0, 2, undefined]);
        expect(nodeFs.readFileSync(p, 'utf8')).toBe('abcd');
      } finally {
        nodeFs.closeSync(fd);
      }
    });
  });
  // Regression (fixed): an op that finishes without the kernel (writev/readv of no
  // buffers) is settled when it is added, so inside a chain it reports
  // success even when an earlier link failed; the rest of the chain reports
  // ECANCELED. Repro: b.chain(c => c.write(roFd, 'x', 0).writev(roFd, []).fsync(roFd))
  //   -> [EBADF, { ok: true, value: 0 }, ECANCELED].
  it('after a failed link, a kernel-free op (writev/readv of no buffers) reports ECANCELED too', async () => {
    await withRing(8, async (ring) => {
      const fd = nodeFs.openSync(dataPath, 'r');
      try {
        const b = ring.batch();
        b.chain((c) => c.write(fd, 'x', 0).writev(fd, []).readv(fd, []).fsync(fd));
        expect(codes(await send(b))).toEqual(['EBADF', 'ECANCELED', 'ECANCELED', 'ECANCELED']);
      } finally {
        nodeFs.closeSync(fd);
      }
    });
  });
});

describe('chain construction', () => {
  it('nested chains throw ERR_URINGFS_BATCH_CHAIN; an empty chain adds nothing', async () => {
    await withRing(8, async (ring) => {
      const b = ring.batch();
      expect(() => b.chain((c) => c.chain(() => {}))).toThrow(expect.objectContaining({ code: 'ERR_URINGFS_BATCH_CHAIN' }));
      const e = ring.batch();
      e.chain(() => {});
      expect(e.length).toBe(0);
      expect(await e.submit()).toEqual([]);
    });
  });

  it('a chain longer than the SQ throws RangeError when built', () => {
    const ring = new Ring({ entries: 8 });
    try {
      const b = ring.batch();
      expect(() => b.chain((c) => { for (let i = 0; i <= ring.sqEntries; i++) c.nop(); })).toThrow(RangeError);
    } finally {
      ring.close();
    }
  });

  // (Was a bug until f425494: the rejected chain's ops stayed in the batch and came back as `null`.)
  it('a chain rejected for its length leaves nothing behind: later outcomes are all real Outcomes', async () => {
    await withRing(4, async (ring) => {
      const b = ring.batch();
      b.nop();
      expect(() => b.chain((c) => { for (let i = 0; i < 5; i++) c.nop(); })).toThrow(RangeError);
      b.nop();
      const out = await b.submit();
      expect(out.every((o) => o !== null && typeof o === 'object' && typeof o.ok === 'boolean')).toBe(true);
      expect(out).toHaveLength(2);
      expect(b.length).toBe(2);
    });
  });

  it('a chain whose builder throws leaves nothing behind: later outcomes are all real Outcomes', async () => {
    await withRing(8, async (ring) => {
      const b = ring.batch();
      b.nop();
      expect(() => b.chain((c) => { c.nop(); c.read(-1, Buffer.alloc(1)); })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
      b.nop();
      const out = b.submitSync();
      expect(out.every((o) => o !== null && typeof o === 'object' && typeof o.ok === 'boolean')).toBe(true);
      expect(out).toHaveLength(2);
    });
  });
});

describe.each(modes)('chains at the SQ boundary (%s)', (_name, send) => {
  it('a chain of exactly sqEntries ops goes to the kernel in one submit; a failure at its head cancels all the others', async () => {
    await withRing(8, async (ring) => {
      const sq = ring.sqEntries;
      expect(sq).toBe(8);
      const fd = nodeFs.openSync(dataPath, 'r');
      try {
        let before = ring.stats();
        const ok = ring.batch();
        ok.chain((c) => { for (let i = 0; i < sq; i++) c.read(fd, Buffer.alloc(8), 0, 8, 8 * i); });
        const okOut = await send(ok);
        expect(codes(okOut)).toEqual(Array(sq).fill('ok'));
        expect(delta(ring.stats(), before)).toMatchObject({ submitted: sq, enters: 1, hist: { '8-15': 1 } });

        before = ring.stats();
        const bad = ring.batch();
        bad.chain((c) => { c.write(fd, 'x', 0); for (let i = 1; i < sq; i++) c.nop(); });
        const badOut = await send(bad);
        expect(codes(badOut)).toEqual(['EBADF', ...Array(sq - 1).fill('ECANCELED')]);
        expect(delta(ring.stats(), before)).toMatchObject({ submitted: sq, enters: 1, hist: { '8-15': 1 } });
      } finally {
        nodeFs.closeSync(fd);
      }
    });
  });

  it('a chain that would straddle a SQ-full point goes whole into the next submit (histogram and ECANCELED prove it)', async () => {
    await withRing(8, async (ring) => {
      const fd = nodeFs.openSync(dataPath, 'r');
      try {
        const before = ring.stats();
        const b = ring.batch();
        for (let i = 0; i < 5; i++) b.nop();
        // 3 SQ slots are left: a split chain would be 3 + 3, and the 3 ops in
        // the second submit would run unlinked (and succeed).
        b.chain((c) => { c.write(fd, 'x', 0); for (let i = 0; i < 5; i++) c.nop(); });
        const out = await send(b);
        expect(codes(out)).toEqual([...Array(5).fill('ok'), 'EBADF', ...Array(5).fill('ECANCELED')]);
        // Two submits of 5 and 6 SQEs, not 8 + 3.
        expect(delta(ring.stats(), before)).toMatchObject({ submitted: 11, completed: 11, enters: 2, hist: { '4-7': 2 } });
      } finally {
        nodeFs.closeSync(fd);
      }
    });
  });

  it('one op then a chain of sqEntries: submits of 1 and 8; chains of 3, 3, 3: submits of 6 and 3', async () => {
    await withRing(8, async (ring) => {
      let before = ring.stats();
      const b = ring.batch();
      b.nop();
      b.chain((c) => { for (let i = 0; i < 8; i++) c.nop(); });
      expect(codes(await send(b))).toEqual(Array(9).fill('ok'));
      expect(delta(ring.stats(), before)).toMatchObject({ submitted: 9, enters: 2, hist: { '1': 1, '8-15': 1 } });

      before = ring.stats();
      const b2 = ring.batch();
      for (let k = 0; k < 3; k++) b2.chain((c) => c.nop().nop().nop());
      expect(codes(await send(b2))).toEqual(Array(9).fill('ok'));
      expect(delta(ring.stats(), before)).toMatchObject({ submitted: 9, enters: 2, hist: { '4-7': 1, '2-3': 1 } });
    });
  });

  it('a chain that does not fit the in-flight cap waits whole in the backlog, in order, and still cancels after a failure', async () => {
    await withRing(2, async (ring) => {
      expect([ring.sqEntries, ring.cqEntries]).toEqual([2, 8]);
      const roFd = nodeFs.openSync(dataPath, 'r');
      const p = fresh('backlog');
      const wFd = nodeFs.openSync(p, 'w');
      try {
        const b = ring.batch();
        for (let i = 0; i < 7; i++) b.nop();
        b.chain((c) => c.write(roFd, 'x', 0).nop());   // 7 + 2 > 8 in flight: waits
        b.chain((c) => c.write(wFd, 'a', null).write(wFd, 'b', null));
        b.nop();
        const pending = send(b);
        const out = await pending;
        expect(codes(out)).toEqual([...Array(7).fill('ok'), 'EBADF', 'ECANCELED', 'ok', 'ok', 'ok']);
        expect(nodeFs.readFileSync(p, 'utf8')).toBe('ab');
        const s = ring.stats();
        expect(s.maxInFlight).toBeLessThanOrEqual(ring.cqEntries);
        expect([s.inFlight, s.waiting]).toEqual([0, 0]);
        expect(s.submitted).toBe(12);
        expect(s.completed).toBe(12);
      } finally {
        nodeFs.closeSync(roFd);
        nodeFs.closeSync(wFd);
      }
    });
  });
});

it('while the first ops are in the kernel, the rest of a batch larger than the CQ waits in the backlog (stats().waiting)', async () => {
  await withRing(2, async (ring) => {
    const b = ring.batch();
    for (let i = 0; i < 7; i++) b.nop();
    b.chain((c) => c.nop().nop());
    b.nop();
    const pending = b.submit();
    const mid = ring.stats();
    expect(mid.inFlight).toBe(7);
    expect(mid.waiting).toBe(3);
    expect(codes(await pending)).toEqual(Array(10).fill('ok'));
    expect(ring.stats().waiting).toBe(0);
  });
});

describe.each(modes)('batch sizes (%s)', (_name, send) => {
  const cases: [number, (sq: number) => number][] = [];
  for (const entries of [8, 64, 256]) {
    cases.push([entries, () => 1], [entries, () => 64], [entries, (sq) => sq], [entries, (sq) => 4 * sq + 1]);
  }
  it.each(cases)('entries %i: N reads come back in order with the right bytes, in at most ceil(N / sqEntries) enters (io_uring; pool: refills after completions)', async (entries, size) => {
    await withRing(entries, async (ring) => {
      const N = size(ring.sqEntries);
      const fd = nodeFs.openSync(dataPath, 'r');
      try {
        const rng = new Prng(N * 1000 + entries);
        const positions = Array.from({ length: N }, () => rng.int(0, data.length - 8));
        const bufs = positions.map(() => Buffer.alloc(8));
        const b = ring.batch();
        positions.forEach((pos, i) => b.read(fd, bufs[i], 0, 8, pos));
        expect(b.length).toBe(N);
        const before = ring.stats();
        const out = await send(b);
        const d = delta(ring.stats(), before);
        expect(out).toHaveLength(N);
        out.forEach((o, i) => {
          if (!o.ok || o.value !== 8) throw new Error(`read ${i}: ${o.ok ? o.value : o.error.message}`);
          if (!bufs[i].equals(data.subarray(positions[i], positions[i] + 8))) throw new Error(`read ${i}: wrong bytes`);
        });
        expect(d.submitted).toBe(N);
        expect(d.completed).toBe(N);
        expect(d.enters).toBeGreaterThanOrEqual(1);
        // io_uring completes hot reads inside the enter, so the queue refills by whole SQ-fulls. The
        // pool completes them one by one: past what the CQ holds, each wait that reaps a few can be
        // followed by a hand-off of as many (see RingStats.enters).
        const sqFulls = (n: number) => Math.ceil(n / ring.sqEntries);
        const bound = ring.backend === 'io_uring' ? sqFulls(N) : sqFulls(Math.min(N, ring.cqEntries)) + Math.max(0, N - ring.cqEntries);
        expect(d.enters).toBeLessThanOrEqual(bound);
        const s = ring.stats();
        expect(s.maxInFlight).toBeLessThanOrEqual(ring.cqEntries);
        expect([s.inFlight, s.waiting]).toEqual([0, 0]);
      } finally {
        nodeFs.closeSync(fd);
      }
    });
  });
});

// submit() only: submitSync() hangs on these (see the child-process tests at the end).
describe('ops that fail at submission', () => {
  const send = modes[0][1];
  it('a buffer detached after adding fails that op with EFAULT before the kernel sees it, and cancels the rest of its chain only', async () => {
    await withRing(16, async (ring) => {
      const fd = nodeFs.openSync(dataPath, 'r');
      const wPath = fresh('detached-w');
      const wFd = nodeFs.openSync(wPath, 'w');
      try {
        const abRead = new ArrayBuffer(16);
        const abChain = new ArrayBuffer(16);
        const abWrite = new ArrayBuffer(4);
        new Uint8Array(abWrite).set([1, 2, 3, 4]);
        const good = Buffer.alloc(16);
        const b = ring.batch();
        b.nop();                                                      // 0 ok
        b.read(fd, new Uint8Array(abRead), 0, 16, 0);                 // 1 EFAULT
        b.read(fd, good, 0, 16, 0);                                   // 2 ok
        b.chain((c) => c.nop()                                        // 3 ok (before the bad link)
          .read(fd, new Uint8Array(abChain), 0, 16, 0)                // 4 EFAULT
          .write(wFd, 'never', 0)                                     // 5 ECANCELED
          .fsync(wFd));                                               // 6 ECANCELED
        b.write(wFd, new Uint8Array(abWrite), 0, 4, 100);             // 7 EFAULT
        b.nop();                                                      // 8 ok
        for (const ab of [abRead, abChain, abWrite]) structuredClone(ab, { transfer: [ab] });
        expect(abRead.byteLength).toBe(0);
        const before = ring.stats();
        const out = await send(b);
        expect(codes(out)).toEqual(['ok', 'EFAULT', 'ok', 'ok', 'EFAULT', 'ECANCELED', 'ECANCELED', 'EFAULT', 'ok']);
        expect(error(out[1])).toMatchObject({ code: 'EFAULT', errno: -14, syscall: 'read', message: 'EFAULT: bad address in system call argument, read' });
        expect(error(out[4])).toMatchObject({ code: 'EFAULT', errno: -14, syscall: 'read' });
        expect(error(out[5])).toMatchObject({ code: 'ECANCELED', syscall: 'write' });
        expect(error(out[6])).toMatchObject({ code: 'ECANCELED', syscall: 'fsync' });
        expect(error(out[7])).toMatchObject({ code: 'EFAULT', errno: -14, syscall: 'write' });
        expect(good.equals(data.subarray(0, 16))).toBe(true);
        // Only the 4 good ops reached the kernel.
        expect(delta(ring.stats(), before)).toMatchObject({ submitted: 4, completed: 4 });
        expect(nodeFs.readFileSync(wPath).length).toBe(0);
      } finally {
        nodeFs.closeSync(fd);
        nodeFs.closeSync(wFd);
      }
    });
  });

  it('a resizable ArrayBuffer shrunk after adding fails the ops whose range no longer fits; a range that still fits is read', async () => {
    await withRing(8, async (ring) => {
      const fd = nodeFs.openSync(dataPath, 'r');
      try {
        // Resizable ArrayBuffers (ES2024) are in Node 20's V8, not in this project's TS lib.
        const ab = new (ArrayBuffer as unknown as new (n: number, o: { maxByteLength: number }) => ArrayBuffer & { resize(n: number): void })(16, { maxByteLength: 32 });
        const fixed = new Uint8Array(ab, 0, 16);
        const tracking = new Uint8Array(ab);
        const b = ring.batch();
        b.read(fd, fixed, 0, 16, 0).read(fd, tracking, 0, 16, 0).read(fd, tracking, 0, 4, 0);
        ab.resize(4);
        const before = ring.stats();
        const out = await send(b);
        expect(codes(out)).toEqual(['EFAULT', 'EFAULT', 'ok']);
        expect(value(out[2])).toBe(4);
        expect(Buffer.from(ab).equals(data.subarray(0, 4))).toBe(true);
        expect(delta(ring.stats(), before).submitted).toBe(1);
      } finally {
        nodeFs.closeSync(fd);
      }
    });
  });
});

describe.each(modes)('submitting (%s)', (_name, send) => {
  it('a batch submitted twice: the second attempt fails with ERR_URINGFS_BATCH_SUBMITTED and sends nothing; adding after submit throws', async () => {
    await withRing(8, async (ring) => {
      const b = ring.batch();
      b.nop().nop();
      const first = await send(b);
      expect(codes(first)).toEqual(['ok', 'ok']);
      const before = ring.stats();
      await expect(b.submit()).rejects.toMatchObject({ code: 'ERR_URINGFS_BATCH_SUBMITTED' });
      expect(() => b.submitSync()).toThrow(expect.objectContaining({ code: 'ERR_URINGFS_BATCH_SUBMITTED' }));
      expect(() => b.nop()).toThrow(expect.objectContaining({ code: 'ERR_URINGFS_BATCH_SUBMITTED' }));
      expect(() => b.chain((c) => c.nop())).toThrow(expect.objectContaining({ code: 'ERR_URINGFS_BATCH_SUBMITTED' }));
      expect(b.length).toBe(2);
      expect(delta(ring.stats(), before)).toMatchObject({ submitted: 0, enters: 0 });
    });
  });

  it('an empty batch resolves with no outcomes and no syscall', async () => {
    await withRing(8, async (ring) => {
      const before = ring.stats();
      const b = ring.batch();
      expect(b.length).toBe(0);
      expect(await send(b)).toEqual([]);
      // Ops that finish without the kernel (a writev of no buffers) cost nothing either.
      const fd = nodeFs.openSync(fresh('empty-wv'), 'w');
      try {
        const w = ring.batch();
        w.writev(fd, []).readv(fd, []);
        expect((await send(w)).map((o) => o.ok && o.value)).toEqual([0, 0]);
      } finally {
        nodeFs.closeSync(fd);
      }
      expect(delta(ring.stats(), before)).toMatchObject({ submitted: 0, enters: 0 });
    });
  });

  it('a batch on a closed ring: nothing reaches the kernel; every op fails with ERR_URINGFS_RING_CLOSED (submit) or submitSync throws it', async () => {
    const ring = new Ring({ entries: 8 });
    const b = ring.batch();
    b.nop().stat(dataPath).chain((c) => c.nop().nop());
    ring.close();
    if (send === modes[0][1]) {
      const out = await send(b);
      expect(out).toHaveLength(4);
      for (const o of out) expect(error(o)).toMatchObject({ code: 'ERR_URINGFS_RING_CLOSED' });
    } else {
      await expect(send(b)).rejects.toMatchObject({ code: 'ERR_URINGFS_RING_CLOSED' });
    }
    expect(ring.stats()).toMatchObject({ submitted: 0, inFlight: 0 });
  });
});

it('closing the ring while a batch is in flight settles it: ops done before report success, the blocked one ECANCELED (the kernel cancelled it)', async () => {
  const ring = new Ring({ entries: 8 });
  const fifo = fresh('fifo');
  mkfifo(fifo);
  const fifoFd = nodeFs.openSync(fifo, 'r+');  // O_RDWR: the open does not block; an io_uring read waits for data
  try {
    const b = ring.batch();
    b.nop().read(fifoFd, Buffer.alloc(1), 0, 1, null).nop();
    const pending = b.submit();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(ring.stats().inFlight).toBe(1);  // only the FIFO read is left
    ring.close();
    const out = await pending;
    expect(codes(out)).toEqual(['ok', 'ECANCELED', 'ok']);
  } finally {
    nodeFs.closeSync(fifoFd);
  }
});

describe('submitSync with ops failing at submission (child processes: a hang is reported, not waited for)', () => {
  const script = (mixed: boolean) => `
    import * as fs from 'node:fs';
    const { Ring } = await import(${JSON.stringify(new URL('../dist/index.js', import.meta.url).href)});
    const ring = new Ring({ entries: 8 });
    const fd = fs.openSync(${JSON.stringify(new URL('../package.json', import.meta.url).pathname)}, 'r');
    const ab = new ArrayBuffer(16);
    const b = ring.batch();
    ${mixed ? 'b.nop();' : ''}
    b.read(fd, new Uint8Array(ab), 0, 16, 0);
    structuredClone(ab, { transfer: [ab] });
    const out = b.submitSync();
    console.log(JSON.stringify(out.map((o) => (o.ok ? 'ok' : o.error.code))));
    ring.close();
  `;
  // Both children run at once, so a hang costs the timeout once.
  let alone: Promise<ChildResult>;
  let mixed: Promise<ChildResult>;
  beforeAll(() => {
    alone = runNode(['--input-type=module', '-e', script(false)], 3000);
    mixed = runNode(['--input-type=module', '-e', script(true)], 3000);
  });

  // Regression (fixed): Batch.#send settles an op that fails before the kernel (EFAULT for a
  // detached/shrunk buffer, ECANCELED for the rest of its chain) with
  // queueMicrotask, even for submitSync. submitSync then spins in
  // Ring.runUntil: no microtask can run inside the synchronous loop, and
  // waitCompletions(1) with nothing pending returns 0 at once — a 100% CPU
  // hang. Repro: b = ring.batch(); b.read(fd, new Uint8Array(ab));
  // structuredClone(ab, { transfer: [ab] }); b.submitSync()  // never returns
  it('a batch whose only op has a detached buffer: submitSync returns [EFAULT]', async () => {
    const r = await alone;
    expect(r.timedOut).toBe(false);
    expect(r.stdout.trim()).toBe('["EFAULT"]');
  });

  // Regression (fixed): same as above, with a good op before the bad one.
  it('a nop and a detached-buffer read: submitSync returns [ok, EFAULT]', async () => {
    const r = await mixed;
    expect(r.timedOut).toBe(false);
    expect(r.stdout.trim()).toBe('["ok","EFAULT"]');
  });
});
