// ring.callbacks and ring.promises: every function of the callback and promise
// flavours (and every FileHandle method) issues its ops on the given ring —
// proven by that ring's `submitted` counter moving while the default ring's
// stays put — in interleavings with other rings and the default one; the
// binding never outlives the synchronous call (callbacks, promise
// continuations, user code run inside the call get the ordinary API); a
// closed ring fails them with ERR_URINGFS_RING_CLOSED; results are node:fs's.
import * as nodeFs from 'node:fs';
import * as nodeFsp from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import * as uringFs from '../lib/index.js';
import * as uringFsp from '../lib/promises.js';
import * as callbackModule from '../lib/callback.js';
import { defaultRing, Ring, setDefaultRing } from '../lib/index.js';
import type { FileHandle } from '../lib/promises.js';
import { callCallback, callPromise, describeValue } from './helpers-differential.js';
import { openFdsUnder, tempDir } from './fixtures/helpers.js';

let tmp: ReturnType<typeof tempDir>;
let dir: string;
/** A 4-line text file, rewritten before each test. */
let file: string;
const TEXT = 'one\ntwo\nthree\nfour\n';

beforeAll(() => {
  tmp = tempDir('bound-ring');
  dir = tmp.dir;
  file = join(dir, 'text');
  defaultRing();  // made up front, so that its counters exist before the first measurement
});
afterAll(() => tmp.remove());
beforeEach(() => nodeFs.writeFileSync(file, TEXT));

/** Every ring made by a test, closed after it. */
const made: Ring[] = [];
/** Ops readFiles spends on one small file: open, read, close; on the pool one fused op. */
/** SQEs per file of readFiles: on io_uring open, the read and the read linked behind it (its 0 is the end), close; one fused op on the pool. */
function readFilesOps(r: Ring): number {
  return r.backend === 'threads' ? 1 : 4;
}

function ring(): Ring {
  const r = new Ring({ entries: 32 });
  made.push(r);
  return r;
}
afterAll(() => { for (const r of made) r.close(); });

/** `submitted` of each ring from now on: call the result for the deltas. */
function counting(...rings: Ring[]): () => number[] {
  const start = rings.map((r) => r.stats().submitted);
  return () => rings.map((r, i) => r.stats().submitted - start[i]);
}

/** A callback call as a promise of its callback's arguments (rejects with its error). */
function called<T extends unknown[] = unknown[]>(start: (cb: (err: Error | null, ...values: unknown[]) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => {
    start((err, ...values) => (err ? reject(err) : resolve(values as T)));
  });
}

let seq = 0;
/** A fresh path in the temp dir. */
function fresh(name: string): string {
  return join(dir, `${name}-${seq++}`);
}

/**
 * Run `body` and check that it put `expected` SQEs (at least `expected`, with `atLeast`) on `r`
 * and none on the default ring.
 */
async function onlyOn<T>(r: Ring, expected: number, body: () => Promise<T>, atLeast = false): Promise<T> {
  const deltas = counting(r, defaultRing());
  const value = await body();
  const [mine, theirs] = deltas();
  if (atLeast) expect(mine).toBeGreaterThanOrEqual(expected);
  else expect(mine).toBe(expected);
  expect(theirs, 'ops on the default ring').toBe(0);
  return value;
}

describe('ring.callbacks and ring.promises: the objects', () => {
  it('hold every function of the callback flavour (plus readFiles) and of the promise flavour', () => {
    const r = ring();
    expect(Object.keys(r.callbacks).sort()).toEqual([...Object.keys(callbackModule), 'readFiles'].sort());
    // Every function of uringfs/promises that does I/O on a ring: not the classes (its own, and
    // node:fs's Stats and BigIntStats), not the default-ring accessors, not the names that are
    // node:fs/promises' own (they use no ring), not the directory listings (getdents64 on a
    // thread: no ring either).
    const promiseFunctions = Object.entries(uringFsp)
      .filter(([name, v]) => typeof v === 'function' && !/^class\b/.test(Function.prototype.toString.call(v)) && !/DefaultRing$|^defaultRing$/.test(name))
      .filter(([, v]) => v !== uringFsp.Stats && v !== uringFsp.BigIntStats)
      .filter(([name, v]) => v !== (nodeFsp as Record<string, unknown>)[name] && name !== 'readdir' && name !== 'opendir')
      .map(([name]) => name);
    expect(promiseFunctions).toContain('readFile');
    expect(Object.keys(r.promises).sort()).toEqual(promiseFunctions.sort());
  });

  it('are made once per ring, frozen, and keep the functions\' names and lengths', () => {
    const a = ring();
    const b = ring();
    expect(a.callbacks).toBe(a.callbacks);
    expect(a.promises).toBe(a.promises);
    expect(a.callbacks).not.toBe(b.callbacks);
    expect(a.promises.stat).not.toBe(b.promises.stat);
    expect(Object.isFrozen(a.callbacks)).toBe(true);
    expect(Object.isFrozen(a.promises)).toBe(true);
    expect(() => { (a.promises as { stat: unknown }).stat = null; }).toThrow(TypeError);
    for (const [name, fn] of Object.entries(a.callbacks)) {
      const original = name === 'readFiles' ? uringFs.readFiles : (uringFs as unknown as Record<string, (...args: unknown[]) => unknown>)[name];
      expect(fn.name, name).toBe(original.name);
      expect(fn.length, name).toBe(original.length);
    }
    expect(a.promises.readFile.name).toBe('readFile');
  });

  it("a Ring imported from 'uringfs/promises' alone has them, and its batch (child process)", async () => {
    const { runNode } = await import('./fixtures/helpers.js');
    const script = `
      import { Ring } from 'uringfs/promises';
      const ring = new Ring();
      const batch = ring.batch();
      console.log(JSON.stringify({
        batch: batch.constructor.name,
        callbacks: typeof ring.callbacks.readFile,
        promises: (await ring.promises.readFile('package.json', 'utf8')).includes('"name"'),
        accessors: ['callbacks', 'promises', 'batch'].map((name) => Object.keys(ring).includes(name)),
      }));
      ring.close();
    `;
    const r = await runNode(['--input-type=module', '-e', script], 30_000);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ batch: 'Batch', callbacks: 'function', promises: true, accessors: [false, false, false] });
  });
});

describe('ring.callbacks: each function runs on the ring', () => {
  it('open, read, write, readv, writev, fsync, fdatasync, fstat, close', async () => {
    const r = ring();
    const cbs = r.callbacks;
    const [fd] = await onlyOn(r, 1, () => called<[number]>((cb) => cbs.open(file, 'r+', cb)));
    try {
      const buf = Buffer.alloc(3);
      const [n] = await onlyOn(r, 1, () => called<[number]>((cb) => cbs.read(fd, buf, 0, 3, 0, cb)));
      expect([n, buf.toString()]).toEqual([3, 'one']);
      await onlyOn(r, 1, () => called((cb) => cbs.write(fd, Buffer.from('ONE'), 0, 3, 0, cb)));
      const parts = [Buffer.alloc(4), Buffer.alloc(4)];
      await onlyOn(r, 1, () => called((cb) => cbs.readv(fd, parts, 0, cb)));
      expect(Buffer.concat(parts).toString()).toBe('ONE\ntwo\n');
      await onlyOn(r, 1, () => called((cb) => cbs.writev(fd, [Buffer.from('TW'), Buffer.from('O')], 4, cb)));
      await onlyOn(r, 1, () => called((cb) => cbs.fsync(fd, cb)));
      await onlyOn(r, 1, () => called((cb) => cbs.fdatasync(fd, cb)));
      const [st] = await onlyOn(r, 1, () => called<[uringFs.Stats]>((cb) => cbs.fstat(fd, cb)));
      expect(st.size).toBe(TEXT.length);
      // ftruncate runs on a ring whose kernel has IORING_OP_FTRUNCATE (6.9), and on the pool.
      await onlyOn(r, r.takesFtruncate ? 1 : 0, () => called((cb) => cbs.ftruncate(fd, TEXT.length + 1, cb)));
      expect(nodeFs.fstatSync(fd).size).toBe(TEXT.length + 1);
      await onlyOn(r, r.takesFtruncate ? 1 : 0, () => called((cb) => cbs.ftruncate(fd, TEXT.length, cb)));
    } finally {
      await onlyOn(r, 1, () => called((cb) => cbs.close(fd, cb)));
    }
    expect(nodeFs.readFileSync(file, 'utf8')).toBe(TEXT.replace('one\ntwo', 'ONE\nTWO'));
  });

  it('stat, lstat, readFile, writeFile, appendFile, mkdir, rename, link, symlink, unlink, rmdir, readFiles', async () => {
    const r = ring();
    const cbs = r.callbacks;
    const [st] = await onlyOn(r, 1, () => called<[uringFs.Stats]>((cb) => cbs.stat(file, cb)));
    const [lst] = await onlyOn(r, 1, () => called<[uringFs.Stats]>((cb) => cbs.lstat(file, cb)));
    expect([st.size, lst.isFile()]).toEqual([TEXT.length, true]);
    // open, at least one read, close (the size comes from a direct statx).
    const [text] = await onlyOn(r, 3, () => called<[string]>((cb) => cbs.readFile(file, 'utf8', cb)), true);
    expect(text).toBe(TEXT);
    const out = fresh('cb-out');
    await onlyOn(r, 3, () => called((cb) => cbs.writeFile(out, 'written', cb)), true);
    await onlyOn(r, 3, () => called((cb) => cbs.appendFile(out, ' and appended', cb)), true);
    expect(nodeFs.readFileSync(out, 'utf8')).toBe('written and appended');
    const sub = fresh('cb-dir');
    await onlyOn(r, 1, () => called((cb) => cbs.mkdir(sub, cb)));
    await onlyOn(r, r.takesFtruncate ? 3 : 0, () => called((cb) => cbs.truncate(out, 7, cb)));  // open, ftruncate, close
    expect(nodeFs.readFileSync(out, 'utf8')).toBe('written');
    nodeFs.writeFileSync(out, 'written and appended');
    await onlyOn(r, 1, () => called((cb) => cbs.rename(out, join(sub, 'moved'), cb)));
    await onlyOn(r, 1, () => called((cb) => cbs.link(join(sub, 'moved'), join(sub, 'hard'), cb)));
    await onlyOn(r, 1, () => called((cb) => cbs.symlink('hard', join(sub, 'soft'), cb)));
    expect(nodeFs.readFileSync(join(sub, 'soft'), 'utf8')).toBe('written and appended');
    expect(nodeFs.statSync(join(sub, 'moved')).nlink).toBe(2);
    for (const name of ['moved', 'hard', 'soft']) await onlyOn(r, 1, () => called((cb) => cbs.unlink(join(sub, name), cb)));
    expect(nodeFs.readdirSync(sub)).toEqual([]);
    await onlyOn(r, 1, () => called((cb) => cbs.rmdir(sub, cb)));
    expect(nodeFs.existsSync(sub)).toBe(false);
    // readFiles, callback form and promise form: open, read, close (one fused op on the pool).
    const [texts] = await onlyOn(r, readFilesOps(r), () => called<[string[]]>((cb) => cbs.readFiles([file], { encoding: 'utf8' }, cb)), true);
    expect(texts).toEqual([TEXT]);
    expect(await onlyOn(r, readFilesOps(r), () => cbs.readFiles([file], { encoding: 'utf8' })!, true)).toEqual([TEXT]);
  });

  it('an fd given to readFile/writeFile/appendFile, and mkdir recursive', async () => {
    const r = ring();
    const cbs = r.callbacks;
    const fd = nodeFs.openSync(file, 'r+');
    try {
      const [data] = await onlyOn(r, 1, () => called<[Buffer]>((cb) => cbs.readFile(fd, cb)), true);
      expect(data.toString()).toBe(TEXT);
      await onlyOn(r, 1, () => called((cb) => cbs.writeFile(fd, 'five\n', cb)), true);
      await onlyOn(r, 1, () => called((cb) => cbs.appendFile(fd, 'six\n', cb)), true);
    } finally {
      nodeFs.closeSync(fd);
    }
    expect(nodeFs.readFileSync(file, 'utf8')).toBe(`${TEXT}five\nsix\n`);
    const deep = fresh('cb-deep');
    const [first] = await onlyOn(r, 2, () => called<[string]>((cb) => cbs.mkdir(join(deep, 'a', 'b'), { recursive: true }, cb)), true);
    expect(first).toBe(deep);
  });
});

describe('ring.promises: each function runs on the ring', () => {
  it('stat, lstat, readFile, writeFile, appendFile, mkdir, rename, link, symlink, unlink, rmdir, readFiles', async () => {
    const r = ring();
    const fsp = r.promises;
    expect((await onlyOn(r, 1, () => fsp.stat(file))).size).toBe(TEXT.length);
    expect((await onlyOn(r, 1, () => fsp.lstat(file))).isFile()).toBe(true);
    expect(await onlyOn(r, 3, () => fsp.readFile(file, 'utf8'), true)).toBe(TEXT);
    const out = fresh('p-out');
    await onlyOn(r, 3, () => fsp.writeFile(out, 'written'), true);
    await onlyOn(r, 3, () => fsp.appendFile(out, ' and appended'), true);
    // An iterable: each chunk is written on the ring too, after the first await.
    await onlyOn(r, 5, () => fsp.writeFile(out, ['x', 'y', 'z']), true);
    const before = r.stats().submitted;
    await fsp.writeFile(out, ['x', 'y', 'z', 'w']);
    expect(r.stats().submitted - before).toBe(6);  // open, four writes, close
    expect(nodeFs.readFileSync(out, 'utf8')).toBe('xyzw');
    const sub = fresh('p-dir');
    expect(await onlyOn(r, 1, () => fsp.mkdir(sub))).toBeUndefined();
    await onlyOn(r, r.takesFtruncate ? 3 : 0, () => fsp.truncate(out, 2));  // open, ftruncate, close
    expect(nodeFs.readFileSync(out, 'utf8')).toBe('xy');
    nodeFs.writeFileSync(out, 'xyzw');
    await onlyOn(r, 1, () => fsp.rename(out, join(sub, 'moved')));
    await onlyOn(r, 1, () => fsp.link(join(sub, 'moved'), join(sub, 'hard')));
    await onlyOn(r, 1, () => fsp.symlink('hard', join(sub, 'soft'), 'file'));
    expect(nodeFs.readFileSync(join(sub, 'soft'), 'utf8')).toBe('xyzw');
    expect(nodeFs.statSync(join(sub, 'moved')).nlink).toBe(2);
    for (const name of ['moved', 'hard', 'soft']) await onlyOn(r, 1, () => fsp.unlink(join(sub, name)));
    expect(nodeFs.readdirSync(sub)).toEqual([]);
    await onlyOn(r, 1, () => fsp.rmdir(sub));
    expect(nodeFs.existsSync(sub)).toBe(false);
    expect(await onlyOn(r, readFilesOps(r), () => fsp.readFiles([file], { encoding: 'utf8' }), true)).toEqual([TEXT]);
    const deep = fresh('p-deep');
    expect(await onlyOn(r, 2, () => fsp.mkdir(join(deep, 'a'), { recursive: true }), true)).toBe(deep);
  });

  it('writeFile with flush: the fsync goes to the ring too', async () => {
    const r = ring();
    const out = fresh('flush');
    const plain = await onlyOn(r, 3, () => r.promises.writeFile(out, 'data'), true);
    expect(plain).toBeUndefined();
    const deltas = counting(r, defaultRing());
    await r.promises.writeFile(out, 'data', { flush: true });
    expect(deltas()).toEqual([4, 0]);  // open, write, fsync, close
  });

  it('a FileHandle from ring.promises.open runs every method, and its close, on the ring', async () => {
    const r = ring();
    const fh = await onlyOn(r, 1, () => r.promises.open(file, 'r+'));
    const { bytesRead, buffer } = await onlyOn(r, 1, () => fh.read(Buffer.alloc(3), 0, 3, 0));
    expect([bytesRead, buffer.toString()]).toEqual([3, 'one']);
    await onlyOn(r, 1, () => fh.write(Buffer.from('ONE'), 0, 3, 0));
    await onlyOn(r, 1, () => fh.write('TWO', 4));
    const parts = [Buffer.alloc(4), Buffer.alloc(4)];
    await onlyOn(r, 1, () => fh.readv(parts, 0));
    expect(Buffer.concat(parts).toString()).toBe('ONE\nTWO\n');
    await onlyOn(r, 1, () => fh.writev([Buffer.from('thr'), Buffer.from('ee')], 8));
    expect((await onlyOn(r, 1, () => fh.stat())).size).toBe(TEXT.length);
    expect((await onlyOn(r, 1, () => fh.stat({ bigint: true }))).size).toBe(BigInt(TEXT.length));
    await onlyOn(r, 1, () => fh.sync());
    await onlyOn(r, 1, () => fh.datasync());
    // The handle's position is still 0 (positioned I/O only so far).
    expect(await onlyOn(r, 1, () => fh.readFile('utf8'), true)).toBe(TEXT.replace('one\ntwo', 'ONE\nTWO'));
    await onlyOn(r, 1, () => fh.writeFile('five\n'), true);
    await onlyOn(r, 1, () => fh.appendFile('six\n'), true);
    await onlyOn(r, 1, () => fh.close());
    expect(fh.fd).toBe(-1);
    expect(nodeFs.readFileSync(file, 'utf8')).toBe(`${TEXT.replace('one\ntwo', 'ONE\nTWO')}five\nsix\n`);
  });

  it('a FileHandle closed while an op is in flight: the deferred close runs on its ring', async () => {
    const r = ring();
    const fh = await r.promises.open(file, 'r');
    const deltas = counting(r, defaultRing());
    const reading = fh.read(Buffer.alloc(4), 0, 4, 0);
    const closing = fh.close();  // the fd is closed once the read has finished
    expect(fh.fd).not.toBe(-1);
    expect((await reading).bytesRead).toBe(4);
    await closing;
    expect(fh.fd).toBe(-1);
    expect(deltas()).toEqual([2, 0]);
  });

  it('a FileHandle disposed with Symbol.asyncDispose closes on its ring', async () => {
    const r = ring();
    const fh = await r.promises.open(file, 'r');
    await onlyOn(r, 1, () => fh[Symbol.asyncDispose]());
    expect(fh.fd).toBe(-1);
  });

  it('a FileHandle given to readFile/writeFile/appendFile is used on its own ring, whichever API is called', async () => {
    const a = ring();
    const b = ring();
    const fh = await b.promises.open(file, 'r+');
    try {
      const deltas = counting(a, b, defaultRing());
      expect(await a.promises.readFile(fh, 'utf8')).toBe(TEXT);
      await a.promises.writeFile(fh, 'A');
      await a.promises.appendFile(fh, 'B');
      await uringFsp.writeFile(fh, 'C');
      await uringFsp.appendFile(fh, 'D');
      expect(await uringFsp.readFile(fh)).toEqual(Buffer.alloc(0));  // at the end by now
      expect(deltas()).toEqual([0, 6, 0]);
    } finally {
      await fh.close();
    }
    expect(nodeFs.readFileSync(file, 'utf8')).toBe(`${TEXT}ABCD`);
  });

  it('a FileHandle from the ordinary open follows the default ring; one from ring.promises keeps its ring', async () => {
    const a = ring();
    const c = ring();
    const plain = await uringFsp.open(file, 'r');
    const bound = await a.promises.open(file, 'r');
    const previous = setDefaultRing(c);
    try {
      const deltas = counting(a, c);
      await plain.stat();
      await bound.stat();
      await plain.close();
      await bound.close();
      expect(deltas()).toEqual([2, 2]);
    } finally {
      setDefaultRing(previous!);
    }
  });
});

describe('interleavings', () => {
  it('two rings and the default one, used in the same turn: each op on its own ring, one submit per ring', async () => {
    const a = ring();
    const b = ring();
    const deltas = counting(a, b, defaultRing());
    const entersA = a.stats().enters;
    const entersB = b.stats().enters;
    const results = await Promise.all([
      a.promises.stat(file),
      b.promises.stat(file),
      uringFsp.stat(file),
      called<[uringFs.Stats]>((cb) => b.callbacks.stat(file, cb)).then(([s]) => s),
      a.promises.lstat(file),
      called<[uringFs.Stats]>((cb) => uringFs.lstat(file, cb)).then(([s]) => s),
      b.promises.stat(dir),
    ]);
    expect(deltas()).toEqual([2, 3, 2]);
    expect(results.map((s) => s.isFile())).toEqual([true, true, true, true, true, true, false]);
    if (a.backend === 'io_uring') {
      // Everything a ring got in that turn went to the kernel in one io_uring_enter.
      expect([a.stats().enters - entersA, b.stats().enters - entersB]).toEqual([1, 1]);
    }
  });

  it('whole-file reads on two rings at once, each file read entirely on its ring', async () => {
    const a = ring();
    const b = ring();
    const files = Array.from({ length: 8 }, (_, i) => {
      const p = fresh(`many-${i}`);
      nodeFs.writeFileSync(p, `file ${i}\n`.repeat(i + 1));
      return p;
    });
    const deltas = counting(a, b, defaultRing());
    const [onA, onB, each] = await Promise.all([
      a.promises.readFiles(files.slice(0, 4), { encoding: 'utf8' }),
      called<[string[]]>((cb) => b.callbacks.readFiles(files.slice(4), { encoding: 'utf8' }, cb)).then(([t]) => t),
      Promise.all(files.map((p, i) => (i % 2 ? a : b).promises.readFile(p, 'utf8'))),
    ]);
    expect([...onA, ...onB]).toEqual(files.map((p) => nodeFs.readFileSync(p, 'utf8')));
    expect(each).toEqual(files.map((p) => nodeFs.readFileSync(p, 'utf8')));
    const [da, db, dd] = deltas();
    expect(dd).toBe(0);
    // Each file costs the same on either ring. readFile on io_uring joins the whole-file reads of
    // its turn (as readFiles); on the pool it is open, one read, close.
    const perFile = readFilesOps(a);
    const perReadFile = a.backend === 'threads' ? 3 : perFile;
    expect([da, db]).toEqual([4 * perFile + 4 * perReadFile, 4 * perFile + 4 * perReadFile]);
  });

  it('a handle opened on ring A, used while the default ring is busy with many ops', async () => {
    const a = ring();
    const fh = await a.promises.open(file, 'r+');
    try {
      const deltas = counting(a, defaultRing());
      const busy = Array.from({ length: 100 }, () => uringFsp.stat(file));
      const reading = fh.read(Buffer.alloc(3), 0, 3, 0);
      const mine = [reading, fh.stat(), fh.write('!', TEXT.length), fh.datasync()];
      const busyCallbacks = Array.from({ length: 50 }, () => called((cb) => uringFs.readFile(file, cb)));
      await Promise.all(mine);
      expect((await reading).buffer.toString()).toBe('one');
      await Promise.all([...busy, ...busyCallbacks]);
      const [da, dd] = deltas();
      expect(da).toBe(4);
      expect(dd).toBeGreaterThanOrEqual(100 + 50 * 3);
    } finally {
      await fh.close();
    }
  });
});

describe('the binding does not outlive the synchronous call', () => {
  it('a callback of a bound call that calls the ordinary API uses the default ring', async () => {
    const a = ring();
    const deltas = counting(a, defaultRing());
    const inner = await new Promise<uringFs.Stats>((resolve, reject) => {
      a.callbacks.stat(file, (err) => {
        if (err) return reject(err);
        uringFs.stat(file, (err2, st) => (err2 ? reject(err2) : resolve(st)));
      });
    });
    expect(inner.isFile()).toBe(true);
    expect(deltas()).toEqual([1, 1]);
  });

  it('a callback called synchronously inside a bound call (an already aborted signal) gets the ordinary API', async () => {
    const a = ring();
    const deltas = counting(a, defaultRing());
    let synchronous = false;
    let innerDone: Promise<unknown> = Promise.resolve();
    let outerError: Error | null = null;
    let returned = false;
    a.callbacks.readFile(file, { signal: AbortSignal.abort() }, (err) => {
      synchronous = !returned;
      outerError = err;
      innerDone = uringFsp.stat(file);  // inside the bound call: must still be the default ring
    });
    returned = true;
    await innerDone;
    expect(synchronous).toBe(true);
    expect((outerError as Error | null)?.name).toBe('AbortError');
    expect(deltas()).toEqual([0, 1]);
  });

  it('user code run inside a bound call (an options getter) gets the ordinary API; the call stays on its ring', async () => {
    const a = ring();
    const deltas = counting(a, defaultRing());
    let inner: Promise<unknown> | undefined;
    const options = {
      get encoding(): BufferEncoding {
        inner ??= uringFsp.stat(file);
        return 'utf8';
      },
    };
    expect(await a.promises.readFile(file, options)).toBe(TEXT);
    await inner;
    const [da, dd] = deltas();
    expect(dd).toBe(1);
    expect(da).toBeGreaterThanOrEqual(3);
  });

  it('a bound call nested inside another (from a getter) runs on its own ring, and the outer one on its', async () => {
    const a = ring();
    const b = ring();
    const deltas = counting(a, b, defaultRing());
    let inner: Promise<unknown> | undefined;
    const options = {
      get encoding(): BufferEncoding {
        inner ??= b.promises.stat(file);
        return 'utf8';
      },
    };
    const outer = await new Promise<string>((resolve, reject) => {
      a.callbacks.readFile(file, options, (err, text) => (err ? reject(err) : resolve(text as string)));
    });
    await inner;
    expect(outer).toBe(TEXT);
    const [da, db, dd] = deltas();
    expect([da >= 3, db, dd]).toEqual([true, 1, 0]);
  });

  it('promise continuations of a bound call get the ordinary API', async () => {
    const a = ring();
    const deltas = counting(a, defaultRing());
    await a.promises.stat(file).then(() => uringFsp.stat(file));
    await a.promises.readFile(file).then(() => new Promise((resolve) => uringFs.stat(file, resolve)));
    const fh = await a.promises.open(file);
    await fh.read(Buffer.alloc(1), 0, 1, 0).then(() => uringFsp.lstat(file));
    await fh.close();
    const [da, dd] = deltas();
    expect(dd).toBe(3);
    expect(da).toBeGreaterThanOrEqual(1 + 3 + 1 + 1 + 1);
  });

  it('a bound call that throws or rejects for a bad argument leaves no binding behind', async () => {
    const a = ring();
    const deltas = counting(a, defaultRing());
    expect(() => a.callbacks.stat(42 as unknown as string, () => {})).toThrow(TypeError);
    expect(() => a.callbacks.read(0, null as unknown as Buffer, 0, 1, 0, undefined as unknown as () => void)).toThrow();
    await expect(a.promises.stat(42 as unknown as string)).rejects.toThrow(TypeError);
    await expect(a.promises.open(file, 'no-such-flag')).rejects.toThrow(TypeError);
    await uringFsp.stat(file);
    await called((cb) => uringFs.stat(file, cb));
    expect(deltas()).toEqual([0, 2]);
  });

  it('recursion: a bound call from the callback of a bound call, on another ring, and back', async () => {
    const a = ring();
    const b = ring();
    const deltas = counting(a, b, defaultRing());
    const hops: string[] = [];
    await new Promise<void>((resolve, reject) => {
      const hop = (depth: number): void => {
        const r = depth % 2 === 0 ? a : b;
        r.callbacks.stat(file, (err) => {
          if (err) return reject(err);
          hops.push(r === a ? 'a' : 'b');
          if (depth < 5) hop(depth + 1);
          else uringFs.stat(file, () => resolve());
        });
      };
      hop(0);
    });
    expect(hops.join('')).toBe('ababab');
    expect(deltas()).toEqual([3, 3, 1]);
  });
});

describe('a closed ring', () => {
  it('fails calls through ring.callbacks and ring.promises, and its handles, with ERR_URINGFS_RING_CLOSED', async () => {
    const r = new Ring({ entries: 8 });
    const fh: FileHandle = await r.promises.open(file, 'r');
    const fd = fh.fd;
    r.close();
    try {
      const code = (e: unknown) => (e as { code?: string }).code;
      await expect(r.promises.stat(file)).rejects.toMatchObject({ code: 'ERR_URINGFS_RING_CLOSED' });
      await expect(r.promises.readFile(file)).rejects.toMatchObject({ code: 'ERR_URINGFS_RING_CLOSED' });
      await expect(r.promises.writeFile(fresh('closed'), 'x')).rejects.toMatchObject({ code: 'ERR_URINGFS_RING_CLOSED' });
      await expect(r.promises.open(file)).rejects.toMatchObject({ code: 'ERR_URINGFS_RING_CLOSED' });
      await expect(r.promises.readFiles([file])).rejects.toMatchObject({ code: 'ERR_URINGFS_RING_CLOSED' });
      await expect(fh.read(Buffer.alloc(1), 0, 1, 0)).rejects.toMatchObject({ code: 'ERR_URINGFS_RING_CLOSED' });
      await expect(fh.readFile()).rejects.toMatchObject({ code: 'ERR_URINGFS_RING_CLOSED' });
      await expect(uringFsp.readFile(fh)).rejects.toMatchObject({ code: 'ERR_URINGFS_RING_CLOSED' });
      expect(code(await called((cb) => r.callbacks.stat(file, cb)).catch((e) => e))).toBe('ERR_URINGFS_RING_CLOSED');
      expect(code(await called((cb) => r.callbacks.open(file, cb)).catch((e) => e))).toBe('ERR_URINGFS_RING_CLOSED');
      expect(code(await called((cb) => r.callbacks.readFile(file, cb)).catch((e) => e))).toBe('ERR_URINGFS_RING_CLOSED');
      expect(code(await called((cb) => r.callbacks.readFiles([file], cb)).catch((e) => e))).toBe('ERR_URINGFS_RING_CLOSED');
      expect(code(await called((cb) => r.callbacks.fsync(fd, cb)).catch((e) => e))).toBe('ERR_URINGFS_RING_CLOSED');
      // The fd is never left open: closed directly, since the ring cannot.
      const open = openFdsUnder(dir);
      await fh.close();
      expect(fh.fd).toBe(-1);
      expect(openFdsUnder(dir)).toBe(open - 1);
      // The ordinary API is not affected.
      expect(await uringFsp.readFile(file, 'utf8')).toBe(TEXT);
    } finally {
      if (fh.fd !== -1) nodeFs.closeSync(fd);
    }
  });

  it('made lazily after the close, they fail the same way', async () => {
    const r = new Ring({ entries: 8 });
    r.close();
    await expect(r.promises.unlink(file)).rejects.toMatchObject({ code: 'ERR_URINGFS_RING_CLOSED', message: expect.stringContaining('unlink') });
    const err = await called((cb) => r.callbacks.mkdir(fresh('never'), cb)).catch((e) => e);
    expect(err).toMatchObject({ code: 'ERR_URINGFS_RING_CLOSED' });
    expect(nodeFs.existsSync(file)).toBe(true);
  });
});

describe('results are node:fs\'s', () => {
  it('data written and read, through both flavours', async () => {
    const r = ring();
    const data = Buffer.from(Array.from({ length: 70_000 }, (_, i) => (i * 31) & 0xff));
    const p1 = fresh('same-1');
    const p2 = fresh('same-2');
    await r.promises.writeFile(p1, data);
    await called((cb) => r.callbacks.writeFile(p2, data, cb));
    await r.promises.appendFile(p1, 'tail');
    await called((cb) => r.callbacks.appendFile(p2, 'tail', cb));
    const expected = Buffer.concat([data, Buffer.from('tail')]);
    expect(nodeFs.readFileSync(p1)).toEqual(expected);
    expect(nodeFs.readFileSync(p2)).toEqual(expected);
    expect(await r.promises.readFile(p1)).toEqual(await nodeFsp.readFile(p1));
    const [viaCallback] = await called<[Buffer]>((cb) => r.callbacks.readFile(p2, cb));
    expect(viaCallback).toEqual(nodeFs.readFileSync(p2));
    const fh = await r.promises.open(p1, 'r');
    try {
      const mine = await fh.read(Buffer.alloc(100), 0, 100, 69_990);
      const theirs = Buffer.alloc(100);
      const fd = nodeFs.openSync(p1, 'r');
      const n = nodeFs.readSync(fd, theirs, 0, 100, 69_990);
      nodeFs.closeSync(fd);
      expect([mine.bytesRead, mine.buffer]).toEqual([n, theirs]);
    } finally {
      await fh.close();
    }
  });

  it('stat fields, mkdir results and errors', async () => {
    const r = ring();
    const known = {};
    const [mine] = await called<[uringFs.Stats]>((cb) => r.callbacks.stat(file, cb));
    expect(describeValue(mine)).toEqual(describeValue(nodeFs.statSync(file)));
    expect(describeValue(await r.promises.lstat(file, { bigint: true }))).toEqual(describeValue(nodeFs.lstatSync(file, { bigint: true })));
    const base = fresh('mk');
    expect(await r.promises.mkdir(join(base, 'x', 'y'), { recursive: true })).toBe(nodeFs.mkdirSync(join(`${base}-node`, 'x', 'y'), { recursive: true })?.replace(`${base}-node`, base));
    const missing = join(dir, 'no', 'such');
    expect(await callPromise(() => r.promises.readFile(missing), known)).toEqual(await callPromise(() => nodeFsp.readFile(missing), known));
    expect(await callPromise(() => r.promises.rename(missing, file), known)).toEqual(await callPromise(() => nodeFsp.rename(missing, file), known));
    expect(await callCallback((cb) => r.callbacks.open(missing, 'r', cb), known)).toEqual(await callCallback((cb) => nodeFs.open(missing, 'r', cb), known));
    // Bad arguments: the same synchronous throw, the same rejection.
    expect(await callCallback((cb) => r.callbacks.stat(7 as unknown as string, cb), known)).toEqual(await callCallback((cb) => nodeFs.stat(7 as unknown as string, cb), known));
    expect(await callPromise(() => r.promises.stat(7 as unknown as string), known)).toEqual(await callPromise(() => nodeFsp.stat(7 as unknown as string), known));
  });
});
