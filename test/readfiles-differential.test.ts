// readFiles / readFilesSync against fs.readFileSync on 3,000+ paths of mixed
// sizes (0 B, 1 B, 4 KiB, 64 KiB, 64 KiB + 1, 1 MiB, random), size-0 /proc
// files, /dev/null, symlinks, Buffer and URL paths, a missing path, a dangling
// symlink and a directory: same bytes, same errors (message, code, errno,
// syscall, path), same order. Also: reject-first vs settle mode, encodings,
// the callback form, files growing while they are read (appended to by a
// child process: the result is a prefix of the final content, at least the
// size at the start), slab-carved Buffers that do not overlap, no fd left
// open, and few io_uring_enter calls for many files.
import * as nodeFs from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as uringfs from '../lib/index.js';
import { defaultRing, readFilesSync, Ring, type Outcome } from '../lib/index.js';
import * as fsp from '../lib/promises.js';
import { readFiles } from '../lib/readfiles.js';
import { Prng, startNode, tempDir, openFdsUnder } from './fixtures/helpers.js';

type PathLike = string | Buffer | URL;

let tmp: ReturnType<typeof tempDir>;
/** 3,000 regular files of mixed sizes. */
let files: string[];
/** The files with the special paths mixed in. */
let paths: PathLike[];
/** Index of special paths in `paths`. */
const special: Record<string, number> = {};
/** Paths whose content changes between two reads of this process: checked apart. */
const volatile = new Set<string>(['/proc/self/status']);
const FILES = 3000;

function sizeFor(i: number, rng: Prng): number {
  if (i % 500 === 7) return 1024 * 1024;
  if (i % 100 === 3) return 64 * 1024 + 1;
  if (i % 100 === 4) return 64 * 1024;
  switch (i % 10) {
    case 0: return 0;
    case 1: return 1;
    case 2: return 4096;
    case 5: return 4095;
    case 6: return rng.int(4097, 60_000);
    default: return rng.int(2, 3000);
  }
}

beforeAll(() => {
  tmp = tempDir('readfiles');
  const rng = new Prng(0x3000);
  files = [];
  for (let i = 0; i < FILES; i++) {
    const p = join(tmp.dir, `f${i}`);
    nodeFs.writeFileSync(p, rng.bytes(sizeFor(i, rng)));
    files.push(p);
  }
  paths = [...files];
  const at = (name: string, index: number, p: PathLike) => {
    paths.splice(index, 0, p);
    for (const k of Object.keys(special)) if (special[k] >= index) special[k]++;
    special[name] = index;
  };
  const text = join(tmp.dir, 'text.txt');
  nodeFs.writeFileSync(text, 'héllo wörld € ✓\n'.repeat(50));
  nodeFs.symlinkSync(files[2], join(tmp.dir, 'link'));
  nodeFs.symlinkSync(join(tmp.dir, 'nowhere'), join(tmp.dir, 'dangling'));
  nodeFs.mkdirSync(join(tmp.dir, 'subdir'));
  at('missing', 17, join(tmp.dir, 'no-such-file'));
  at('dir', 250, join(tmp.dir, 'subdir'));
  at('procVersion', 900, '/proc/version');
  at('procStatus', 901, '/proc/self/status');
  at('procCmdline', 1500, '/proc/self/cmdline');
  at('devNull', 1800, '/dev/null');
  at('link', 2000, join(tmp.dir, 'link'));
  at('dangling', 2100, join(tmp.dir, 'dangling'));
  at('bufferPath', 2500, Buffer.from(files[5]));
  at('urlPath', 2600, pathToFileURL(files[6]));
  at('missingBuffer', 2650, Buffer.from(join(tmp.dir, 'no-such-buffer-path')));
  at('text', 2700, text);
  at('duplicate', 2800, files[3]);
  at('missing2', paths.length, join(tmp.dir, 'no-such-dir', 'file'));
});
afterAll(() => tmp.remove());

type Shape = { name: string; message: string; code: unknown; errno: unknown; syscall: unknown; path: unknown };

function shape(e: unknown): Shape {
  const x = e as Error & Record<string, unknown>;
  return { name: x.constructor.name, message: x.message, code: x.code, errno: x.errno, syscall: x.syscall, path: x.path };
}

type Expected = { ok: true; value: Buffer } | { ok: false; error: Shape };

function expectedFor(p: PathLike): Expected {
  try {
    return { ok: true, value: nodeFs.readFileSync(p) };
  } catch (e) {
    return { ok: false, error: shape(e) };
  }
}

/** Compare readFiles outcomes with fs.readFileSync, path by path; collect every mismatch. */
function compareOutcomes(list: PathLike[], out: Outcome[], decode?: (b: Buffer) => unknown): void {
  expect(out).toHaveLength(list.length);
  const bad: string[] = [];
  list.forEach((p, i) => {
    const o = out[i];
    const name = `#${i} ${String(p)}`;
    if (typeof p === 'string' && volatile.has(p)) {
      if (!o.ok) bad.push(`${name}: ${o.error.message}`);
      else if (!String(o.value).startsWith('Name:') || !String(o.value).includes(`\nPid:\t${process.pid}\n`)) bad.push(`${name}: not this process's status`);
      return;
    }
    const e = expectedFor(p);
    if (e.ok !== o.ok) {
      bad.push(`${name}: expected ${e.ok ? 'success' : e.error.message}, got ${o.ok ? 'success' : o.error.message}`);
    } else if (e.ok && o.ok) {
      const want = decode ? decode(e.value) : e.value;
      const same = Buffer.isBuffer(want) ? Buffer.isBuffer(o.value) && want.equals(o.value as Buffer) : want === o.value;
      if (!same) bad.push(`${name}: different content (${Buffer.isBuffer(o.value) ? o.value.length : typeof o.value} vs ${Buffer.isBuffer(want) ? want.length : typeof want})`);
    } else if (!e.ok && !o.ok) {
      const got = shape(o.error);
      if (JSON.stringify(got) !== JSON.stringify(e.error)) bad.push(`${name}: error ${JSON.stringify(got)} != ${JSON.stringify(e.error)}`);
    }
  });
  expect(bad).toEqual([]);
}

/** fds of this process open on files in the temp dir. */
const openFds = (): number => openFdsUnder(tmp.dir);

async function idle(ring: Ring): Promise<void> {
  for (let i = 0; i < 500; i++) {
    const s = ring.stats();
    if (s.inFlight === 0 && s.waiting === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  throw new Error('ring never went idle');
}

describe('against fs.readFileSync, 3,000+ paths', () => {
  it('readFiles({ settle: true }): same bytes, same errors, same order; no fd left open', async () => {
    const fds = openFds();
    const out = await readFiles(paths, { settle: true });
    compareOutcomes(paths, out);
    // The special cases really are what they claim.
    expect(shape((out[special.missing] as { error: Error }).error)).toMatchObject({ code: 'ENOENT', syscall: 'open' });
    expect(shape((out[special.dir] as { error: Error }).error)).toMatchObject({ code: 'EISDIR', syscall: 'read' });
    expect(shape((out[special.dangling] as { error: Error }).error)).toMatchObject({ code: 'ENOENT', syscall: 'open' });
    expect(((out[special.procVersion] as { value: Buffer }).value).toString()).toMatch(/^Linux version /);
    expect(((out[special.devNull] as { value: Buffer }).value).length).toBe(0);
    expect(((out[special.procCmdline] as { value: Buffer }).value).length).toBeGreaterThan(0);
    await idle(defaultRing());
    expect(fds).toBe(0);
    expect(openFds()).toBe(0);
  });

  it('readFilesSync({ settle: true }): same bytes, same errors, same order; no fd left open', () => {
    const fds = openFds();
    compareOutcomes(paths, readFilesSync(paths, { settle: true }));
    expect(fds).toBe(0);
    expect(openFds()).toBe(0);
  });

  it('on a fresh ring, thousands of files take few io_uring_enter calls (many SQEs per enter)', async () => {
    const ring = new Ring({ entries: 256 });
    try {
      const good = files;
      const out = await readFiles(good, { ring });
      expect(out).toHaveLength(good.length);
      const s = ring.stats();
      // io_uring: open, a read and the read linked behind it, close per file (no fstat); the pool: one fused op per file.
      expect(s.submitted).toBeGreaterThanOrEqual((ring.backend === 'threads' ? 1 : 4) * good.length);
      expect(s.completed).toBe(s.submitted);
      expect(s.enters).toBeLessThanOrEqual(s.submitted / 16);
      expect(s.maxInFlight).toBeLessThanOrEqual(ring.cqEntries);
    } finally {
      ring.close();
    }
  });
});

describe('reject-first mode (default) vs settle mode', () => {
  const goodOnes = (): PathLike[] => paths.filter((p, i) => !Object.values(special).includes(i) || i === special.procVersion || i === special.link);

  it('all good: resolves with one Buffer per path, equal to fs.readFileSync', async () => {
    const list = goodOnes();
    const out = await readFiles(list);
    expect(out).toHaveLength(list.length);
    const bad = list.filter((p, i) => !Buffer.isBuffer(out[i]) || !(out[i] as Buffer).equals(nodeFs.readFileSync(p)));
    expect(bad).toEqual([]);
    const sync = readFilesSync(list);
    expect(list.filter((p, i) => !(sync[i] as Buffer).equals(nodeFs.readFileSync(p)))).toEqual([]);
  });

  it('one bad path among thousands: rejects (and readFilesSync throws) with exactly its node:fs error; fds are all closed', async () => {
    const ring = defaultRing();
    const fds = openFds();
    for (const bad of [join(tmp.dir, 'absent'), join(tmp.dir, 'subdir')]) {
      const list = goodOnes();
      list.splice(1234, 0, bad);
      const expected = (expectedFor(bad) as { error: Shape }).error;
      await expect(readFiles(list).catch((e) => Promise.reject(shape(e)))).rejects.toEqual(expected);
      expect(shape(nodeErrorOf(() => readFilesSync(list)))).toEqual(expected);
    }
    await idle(ring);
    expect(fds).toBe(0);
    expect(openFds()).toBe(0);
  });

  it('several bad paths: the promise rejects with one of their errors (like Promise.all); readFilesSync throws the first in path order', async () => {
    const list = goodOnes().slice(0, 500);
    list.splice(10, 0, join(tmp.dir, 'subdir'));      // EISDIR (found at the read)
    list.splice(300, 0, join(tmp.dir, 'absent-a'));   // ENOENT (found at the open)
    list.splice(400, 0, join(tmp.dir, 'absent-b'));
    const candidates = [list[10], list[300], list[400]].map((p) => JSON.stringify((expectedFor(p) as { error: Shape }).error));
    const err = await readFiles(list).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(candidates).toContain(JSON.stringify(shape(err)));
    expect(shape(nodeErrorOf(() => readFilesSync(list)))).toEqual((expectedFor(list[10]) as { error: Shape }).error);
    // settle mode reports all three, each at its index.
    const settled = await readFiles(list, { settle: true });
    expect(settled.map((o, i) => (o.ok ? null : [i, (o.error as NodeJS.ErrnoException).code])).filter(Boolean)).toEqual([[10, 'EISDIR'], [300, 'ENOENT'], [400, 'ENOENT']]);
  });

  it('an empty list resolves (and returns) [] without touching the kernel', async () => {
    const ring = new Ring({ entries: 8 });
    try {
      expect(await readFiles([], { ring })).toEqual([]);
      expect(await readFiles([], { ring, settle: true })).toEqual([]);
      expect(readFilesSync([], { ring })).toEqual([]);
      expect(ring.stats()).toMatchObject({ submitted: 0, enters: 0 });
    } finally {
      ring.close();
    }
  });
});

function nodeErrorOf(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  throw new Error('expected a throw');
}

describe('encodings and flags', () => {
  const encodings: BufferEncoding[] = ['utf8', 'latin1', 'ascii', 'base64', 'base64url', 'hex', 'utf16le', 'ucs2'];

  it.each(encodings)('encoding %s: strings equal fs.readFileSync(p, encoding), promise and sync', async (encoding) => {
    const list = [paths[special.text], ...files.slice(0, 150), paths[special.procVersion], paths[special.missing]];
    const decode = (b: Buffer) => b.toString(encoding);
    compareOutcomes(list, await readFiles(list, { encoding, settle: true }), decode);
    compareOutcomes(list, readFilesSync(list, { encoding, settle: true }), decode);
    const good = list.slice(0, -1);
    const strings = await readFiles(good, { encoding });
    expect(strings.every((s, i) => s === nodeFs.readFileSync(good[i], { encoding }))).toBe(true);
  });

  it('encoding null / undefined / "buffer" give Buffers', async () => {
    const list = files.slice(0, 20);
    for (const encoding of [null, undefined, 'buffer' as BufferEncoding]) {
      const out = await readFiles(list, { encoding });
      expect(out.every((b, i) => Buffer.isBuffer(b) && b.equals(nodeFs.readFileSync(list[i])))).toBe(true);
      const sync = readFilesSync(list, { encoding });
      expect(sync.every((b) => Buffer.isBuffer(b))).toBe(true);
    }
  });

  it('an unknown encoding fails like fs.readFileSync (ERR_INVALID_ARG_VALUE), before any I/O', async () => {
    const expected = shape(nodeErrorOf(() => nodeFs.readFileSync(files[1], { encoding: 'bogus' as BufferEncoding })));
    await expect(readFiles([files[1]], { encoding: 'bogus' as BufferEncoding }).catch((e) => Promise.reject(shape(e)))).rejects.toMatchObject({ name: expected.name, code: expected.code });
    expect(shape(nodeErrorOf(() => readFilesSync([files[1]], { encoding: 'bogus' as BufferEncoding })))).toMatchObject({ name: expected.name, code: expected.code });
  });

  it('flag: "a+" creates a missing file like fs.readFileSync does; "r+" reads; a bad flag is ERR_INVALID_ARG_VALUE', async () => {
    const created = join(tmp.dir, 'created-by-a-plus');
    const [empty] = await readFiles([created], { flag: 'a+' });
    expect((empty as Buffer).length).toBe(0);
    expect(nodeFs.statSync(created).isFile()).toBe(true);
    const createdSync = join(tmp.dir, 'created-by-a-plus-sync');
    expect((readFilesSync([createdSync], { flag: 'a+' })[0] as Buffer).length).toBe(0);
    expect(nodeFs.existsSync(createdSync)).toBe(true);
    const [rw] = await readFiles([files[2]], { flag: 'r+' });
    expect((rw as Buffer).equals(nodeFs.readFileSync(files[2]))).toBe(true);
    await expect(readFiles([files[2]], { flag: 'bogus' })).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_VALUE' });
  });

  it('bad arguments: non-array paths, a non-path entry, non-object options → TypeError ERR_INVALID_ARG_TYPE', async () => {
    for (const [args, code] of [
      [['not an array'], 'ERR_INVALID_ARG_TYPE'],
      [[[files[0], 42]], 'ERR_INVALID_ARG_TYPE'],
      [[[files[0]], 'utf8'], 'ERR_INVALID_ARG_TYPE'],
      [[['a\0b']], 'ERR_INVALID_ARG_VALUE'],
    ] as [unknown[], string][]) {
      await expect((readFiles as (...a: unknown[]) => Promise<unknown>)(...args)).rejects.toMatchObject({ name: 'TypeError', code });
      expect(() => (readFilesSync as (...a: unknown[]) => unknown)(...args)).toThrow(expect.objectContaining({ name: 'TypeError', code }));
    }
  });
});

describe('the other entry points', () => {
  it('the callback form (uringfs.readFiles(paths[, options], cb)) calls back once, asynchronously, like the promise', async () => {
    const list = files.slice(0, 300);
    const call = (...args: unknown[]) => new Promise<{ err: Error | null; result: unknown; sync: boolean; returned: unknown; calls: number }>((resolve) => {
      let returnedYet = false;
      let calls = 0;
      let ranSync = false;
      const returned = (uringfs.readFiles as (...a: unknown[]) => unknown)(...args, (err: Error | null, result: unknown) => {
        calls++;
        ranSync ||= !returnedYet;
        // Wait a little so that a second call would be seen.
        setTimeout(() => resolve({ err, result, sync: ranSync, returned, calls }), 10);
      });
      returnedYet = true;
    });
    const plain = await call(list);
    expect(plain.returned).toBeUndefined();
    expect(plain.sync).toBe(false);
    expect(plain.calls).toBe(1);
    expect(plain.err).toBeNull();
    expect((plain.result as Buffer[]).every((b, i) => b.equals(nodeFs.readFileSync(list[i])))).toBe(true);

    const text = await call([paths[special.text]], { encoding: 'utf8' });
    expect(text.result).toEqual([nodeFs.readFileSync(paths[special.text], 'utf8')]);

    const failing = await call([files[0], paths[special.missing]]);
    expect(failing.calls).toBe(1);
    expect(shape(failing.err)).toEqual((expectedFor(paths[special.missing]) as { error: Shape }).error);
    expect(failing.result).toBeUndefined();

    const settled = await call([files[0], paths[special.missing]], { settle: true });
    expect(settled.err).toBeNull();
    compareOutcomes([files[0], paths[special.missing]], settled.result as Outcome[]);
  });

  it('without a callback, uringfs.readFiles returns the promise; promises.readFiles is the same function', async () => {
    const list = files.slice(0, 50);
    const p = uringfs.readFiles(list);
    expect(p).toBeInstanceOf(Promise);
    const out = (await p) as Buffer[];
    expect(out.every((b, i) => b.equals(nodeFs.readFileSync(list[i])))).toBe(true);
    expect(fsp.readFiles).toBe(readFiles);
    const viaPromises = await fsp.readFiles(list, { encoding: 'latin1' });
    expect(viaPromises.every((s, i) => s === nodeFs.readFileSync(list[i], 'latin1'))).toBe(true);
  });
});

describe('slab-carved Buffers', () => {
  it('no two results share bytes: mutating every result leaves every other one intact, and later reads are unaffected', async () => {
    for (const read of [() => readFiles(files), async () => readFilesSync(files)]) {
      const out = (await read()) as Buffer[];
      // Byte ranges per backing ArrayBuffer must not overlap.
      const byBacking = new Map<ArrayBufferLike, [number, number][]>();
      for (const b of out) {
        if (b.length === 0) continue;
        const list = byBacking.get(b.buffer) ?? [];
        list.push([b.byteOffset, b.byteOffset + b.length]);
        byBacking.set(b.buffer, list);
      }
      for (const ranges of byBacking.values()) {
        ranges.sort((a, b) => a[0] - b[0]);
        for (let i = 1; i < ranges.length; i++) expect(ranges[i][0]).toBeGreaterThanOrEqual(ranges[i - 1][1]);
      }
      // Small files really are carved from shared slabs (else this test proves little).
      const small = out.filter((b) => b.length > 0 && b.length <= 4096).length;
      expect(byBacking.size).toBeLessThan(small);
      // Overwrite each result with its own byte value; then every result must hold only its own.
      out.forEach((b, i) => b.fill(i & 0xff));
      const clobbered = out.findIndex((b, i) => !b.equals(Buffer.alloc(b.length, i & 0xff)));
      expect(clobbered).toBe(-1);
      // A new call reads the files again, untouched by the mutations.
      const again = (await readFiles(files.slice(0, 200))) as Buffer[];
      expect(again.every((b, i) => b.equals(nodeFs.readFileSync(files[i])))).toBe(true);
    }
  });

  it('the same path twice gives two independent Buffers', async () => {
    const p = files[2];
    const [a, b] = (await readFiles([p, p])) as Buffer[];
    expect(a.equals(b)).toBe(true);
    a.fill(0);
    expect(b.equals(nodeFs.readFileSync(p))).toBe(true);
  });
});

describe('files growing while being read', () => {
  // Appends numbered lines to each file in argv until killed (or a size cap).
  const appender = `
    const fs = require('node:fs');
    const files = process.argv.slice(1);
    const line = (i) => 'line ' + String(i).padStart(9, '0') + ' ' + 'x'.repeat(50) + '\\n';
    const next = new Map(files.map((f) => [f, 0]));
    const append = (f, count) => { let s = ''; for (let k = 0; k < count; k++) s += line(next.get(f) + k); next.set(f, next.get(f) + count); fs.appendFileSync(f, s); };
    append(files[0], 1);                 // small: 65 bytes, carved from a slab
    append(files[1], 4000);              // large: ~260 KB, its own Buffer
    console.log('started');
    const pause = new Int32Array(new SharedArrayBuffer(4));
    while (fs.statSync(files[1]).size < 48 * 1024 * 1024) {
      append(files[0], 1);               // stays under 64 KiB for a while: the slab path
      append(files[1], 30);
      Atomics.wait(pause, 0, 0, 0.2);
    }
    console.log('cap');
  `;

  it.each(['readFiles', 'readFilesSync'])('%s: the result is the first N bytes of the final content, N >= the size at the start', async (which) => {
    const small = join(tmp.dir, `grow-small-${which}`);
    const large = join(tmp.dir, `grow-large-${which}`);
    const child = startNode(['-e', appender, small, large], 20_000);
    try {
      await child.waitFor('started');
      await new Promise((resolve) => setTimeout(resolve, 20));  // let it grow a little first
      const list = [...files.slice(0, 1000), small, ...files.slice(1000, 2000), large, ...files.slice(2000)];
      const sizeBefore = [nodeFs.statSync(small).size, nodeFs.statSync(large).size];
      const out = (which === 'readFiles' ? await readFiles(list) : readFilesSync(list)) as Buffer[];
      const got = [out[1000], out[2001]];
      child.child.kill('SIGKILL');
      await child.result;
      const finals = [nodeFs.readFileSync(small), nodeFs.readFileSync(large)];
      for (let k = 0; k < 2; k++) {
        expect(got[k].length).toBeGreaterThanOrEqual(sizeBefore[k]);
        expect(got[k].equals(finals[k].subarray(0, got[k].length))).toBe(true);
      }
      // The files really were growing during the call.
      expect(finals[1].length).toBeGreaterThan(sizeBefore[1]);
      expect(child.stdout()).not.toContain('cap');
      // The other files are unaffected.
      const others = [...out.slice(0, 1000), ...out.slice(1001, 2001), ...out.slice(2002)];
      expect(files.filter((p, i) => !others[i].equals(nodeFs.readFileSync(p)))).toEqual([]);
    } finally {
      child.child.kill('SIGKILL');
      await child.result;
    }
  });
});
