// scan / scanSync on real trees, against a plain node:fs walk (readdirSync + lstatSync/statSync):
// the same entries, types and stats; depth, filter, symlinks (loops included), errors, early exit.
import { Buffer } from 'node:buffer';
import { execFileSync } from 'node:child_process';
import * as nodeFs from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ring, scan, scanSync, ScanType, type ScanBatch, type ScanOptions } from '../lib/index.js';
import { tempDir } from './fixtures/helpers.js';

let tmp: ReturnType<typeof tempDir>;
let root: string;

beforeAll(() => {
  tmp = tempDir('scan');
  root = join(tmp.dir, 'root');
  for (let d = 0; d < 12; d++) {
    const dir = join(root, `d${d}`, d % 3 === 0 ? 'inner' : '');
    nodeFs.mkdirSync(dir, { recursive: true });
    for (let f = 0; f < 30 + d; f++) nodeFs.writeFileSync(join(dir, `f${f}.txt`), 'x'.repeat((d * 31 + f) % 200));
  }
  nodeFs.mkdirSync(join(root, 'empty'));
  nodeFs.mkdirSync(join(root, 'a', 'b', 'c', 'd'), { recursive: true });
  nodeFs.writeFileSync(join(root, 'a', 'b', 'c', 'd', 'deep.txt'), 'deep');
  nodeFs.writeFileSync(Buffer.concat([Buffer.from(`${root}/odd-`), Buffer.from([0xc3, 0x28]), Buffer.from('.bin')]), 'odd');
  // A directory reachable only through a link (so that which path reaches it first is not a matter of order).
  nodeFs.mkdirSync(join(tmp.dir, 'outside', 'more'), { recursive: true });
  for (const n of ['o1', 'o2', 'more/o3']) nodeFs.writeFileSync(join(tmp.dir, 'outside', n), n);
  nodeFs.symlinkSync('../outside', join(root, 'link-to-outside'));
  nodeFs.symlinkSync('../..', join(root, 'a', 'b', 'loop'));  // points back at root
  nodeFs.symlinkSync('missing', join(root, 'dangling'));
  nodeFs.symlinkSync('d0/inner/f0.txt', join(root, 'link-to-file'));
  execFileSync('mkfifo', [join(root, 'fifo')]);
});

afterAll(() => tmp.remove());

interface Seen { type: number; size?: number; mode?: number; ino?: number; mtimeMs?: number }

/** The reference: node:fs's readdir + lstat (or stat, following links), depth first. */
function nodeWalk(dir: string, depth: number, options: ScanOptions, out = new Map<string, Seen>(), walked = new Set<string>()): Map<string, Seen> {
  if (depth === 0 && options.followSymlinks) {
    const st = nodeFs.statSync(dir);
    walked.add(`${st.dev}:${st.ino}`);
  }
  // Names as bytes, so that a name that is not UTF-8 is stat'ed by its real bytes.
  for (const d of nodeFs.readdirSync(dir, { withFileTypes: true, encoding: 'buffer' })) {
    const type = d.isFile() ? 1 : d.isDirectory() ? 2 : d.isSymbolicLink() ? 3 : d.isFIFO() ? 4 : d.isSocket() ? 5 : 0;
    const name = d.name.toString();
    if (options.filter && !options.filter(name, dir, type)) continue;
    const path = join(dir, name);
    const bytes = Buffer.concat([Buffer.from(`${dir}/`), d.name]);
    const seen: Seen = { type };
    let st: nodeFs.Stats | undefined;
    try {
      st = options.followSymlinks ? nodeFs.statSync(bytes) : nodeFs.lstatSync(bytes);
    } catch { /* a dangling link, followed */ }
    if (options.stats && st) Object.assign(seen, { size: st.size, mode: st.mode, ino: st.ino, mtimeMs: st.mtimeMs });
    out.set(path, seen);
    const isDir = type === 2 || (options.followSymlinks && type === 3 && st?.isDirectory());
    if (isDir && depth < (options.depth ?? Infinity)) {
      const id = `${st!.dev}:${st!.ino}`;
      if (options.followSymlinks) {
        if (walked.has(id)) continue;
        walked.add(id);
      }
      nodeWalk(path, depth + 1, options, out, walked);
    }
  }
  return out;
}

function collect(batches: Iterable<ScanBatch>, options: ScanOptions): Map<string, Seen> {
  const out = new Map<string, Seen>();
  for (const b of batches) {
    for (let i = 0; i < b.length; i++) {
      const seen: Seen = { type: b.types[i] };
      if (options.stats && b.statErrors![i] === 0) Object.assign(seen, { size: b.size(i), mode: b.mode(i), ino: b.ino(i), mtimeMs: b.mtimeMs(i) });
      expect(out.has(b.path(i)), b.path(i)).toBe(false);
      out.set(b.path(i), seen);
    }
  }
  return out;
}

async function collectAsync(options: ScanOptions): Promise<Map<string, Seen>> {
  const batches: ScanBatch[] = [];
  for await (const b of scan(root, options)) batches.push(b);
  return collect(batches, options);
}

async function fromAsync<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

const sorted = (m: Map<string, Seen>) => [...m.entries()].sort(([a], [b]) => (a < b ? -1 : 1));

describe('scan / scanSync', () => {
  it.each<[string, ScanOptions]>([
    ['names and types', {}],
    ['with stats (lstat)', { stats: true }],
    ['depth 0', { depth: 0, stats: true }],
    ['depth 2', { depth: 2 }],
    ['a filter that prunes', { stats: true, filter: (name, _dir, type) => !(type === ScanType.Directory && name === 'a') && !name.startsWith('f1') }],
    ['following symlinks (a loop, a dangling link)', { followSymlinks: true, stats: true }],
    ['following symlinks, no stats', { followSymlinks: true }],
    ['concurrency 1', { stats: true, concurrency: 1 }],
  ])('%s: the entries, types and stats of a node:fs walk', async (_, options) => {
    const expected = sorted(nodeWalk(root, 0, options));
    expect(expected.length).toBeGreaterThan(options.depth === 0 ? 10 : 100);
    expect(sorted(collect(scanSync(root, options), options))).toStrictEqual(expected);
    expect(sorted(await collectAsync(options))).toStrictEqual(expected);
  });

  it('batches: one per directory, its dir and depth, Stats objects equal to lstat', async () => {
    for (const batches of [[...scanSync(root, { stats: true })], await fromAsync(scan(root, { stats: true }))]) {
      const dirs = batches.map((b) => b.dir).sort();
      expect(dirs).toContain(root);
      expect(dirs).toContain(join(root, 'a', 'b', 'c', 'd'));
      expect(new Set(dirs).size).toBe(dirs.length);
      const deepest = batches.find((b) => b.dir === join(root, 'a', 'b', 'c', 'd'))!;
      expect(deepest.depth).toBe(4);
      expect(deepest.names).toStrictEqual(['deep.txt']);
      const st = deepest.stats(0)!;
      const ref = nodeFs.lstatSync(join(deepest.dir, 'deep.txt'));
      for (const k of ['dev', 'ino', 'mode', 'nlink', 'uid', 'gid', 'size', 'blocks', 'mtimeMs', 'ctimeMs'] as const) expect(st[k], k).toBe(ref[k]);
      expect(st.isFile()).toBe(true);
      const top = batches.find((b) => b.depth === 0)!;
      expect(top.dir).toBe(root);
      const dangling = top.names.indexOf('dangling');
      expect(top.types[dangling]).toBe(ScanType.SymbolicLink);
    }
  });

  it('a dangling link followed: its statx error is its own, the scan goes on', async () => {
    for (const b of scanSync(root, { depth: 0, stats: true, followSymlinks: true })) {
      const i = b.names.indexOf('dangling');
      expect(b.statErrors![i]).toBe(-2);
      expect(b.statError(i)).toMatchObject({ code: 'ENOENT', syscall: 'stat', path: join(root, 'dangling') });
      expect(b.stats(i)).toBeUndefined();
      expect(b.size(i)).toBe(-1);
      expect(b.statError(b.names.indexOf('link-to-file'))).toBeUndefined();
    }
    for (const b of scanSync(root, { depth: 0, stats: true })) expect(b.statError(b.names.indexOf('dangling'))).toBeUndefined();
  });

  it('a large directory: 10,000 entries, their statx in few submissions (io_uring)', async () => {
    const big = join(tmp.dir, 'big');
    nodeFs.mkdirSync(big);
    for (let i = 0; i < 10_000; i++) nodeFs.writeFileSync(join(big, `e${i}`), '');
    const ring = new Ring();
    try {
      let count = 0;
      for await (const b of scan(big, { stats: true, ring })) {
        count += b.length;
        for (let i = 0; i < b.length; i++) expect(b.size(i)).toBe(0);
      }
      expect(count).toBe(10_000);
      const stats = ring.stats();
      expect(stats.submitted).toBe(10_000);
      // io-wq completes statx off the JS thread, a few at a time: the ring's backlog still refills
      // a full SQ per io_uring_enter (lib/ring.ts, #refillStep), not a few ops per enter.
      if (ring.backend === 'io_uring') expect(stats.enters).toBeLessThan(10_000 / 128);
    } finally {
      ring.close();
    }
  });

  it('errors: the root (scandir, node:fs shape), arguments; a subdirectory gone goes to onError', async () => {
    const missing = join(tmp.dir, 'missing');
    const expected = { code: 'ENOENT', errno: -2, syscall: 'scandir', path: missing, message: `ENOENT: no such file or directory, scandir '${missing}'` };
    expect(() => [...scanSync(missing)]).toThrow(expect.objectContaining(expected));
    await expect(fromAsync(scan(missing))).rejects.toMatchObject(expected);
    const file = join(root, 'd0', 'inner', 'f0.txt');
    await expect(fromAsync(scan(file))).rejects.toMatchObject({ code: 'ENOTDIR', syscall: 'scandir' });
    expect(() => scanSync(root, { depth: -1 }).next()).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => scanSync(root, { filter: 1 as unknown as () => boolean }).next()).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    await expect(scan(42 as unknown as string).next()).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
    // A directory removed between its parent's listing and its own.
    const shaky = join(tmp.dir, 'shaky');
    nodeFs.mkdirSync(join(shaky, 'gone'), { recursive: true });
    nodeFs.mkdirSync(join(shaky, 'kept'));
    const errors: Error[] = [];
    const seen: string[] = [];
    for (const b of scanSync(shaky, { onError: (e) => errors.push(e) })) {
      seen.push(b.dir);
      if (b.depth === 0) nodeFs.rmdirSync(join(shaky, 'gone'));
    }
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: 'ENOENT', syscall: 'scandir', path: join(shaky, 'gone') });
    expect(seen.sort()).toStrictEqual([shaky, join(shaky, 'kept')]);
    nodeFs.mkdirSync(join(shaky, 'gone'));
    const asyncSeen: string[] = [];
    await expect((async () => {
      for await (const b of scan(shaky, { concurrency: 1 })) {
        asyncSeen.push(b.dir);
        if (b.depth === 0) nodeFs.rmdirSync(join(shaky, 'gone'));
      }
    })()).rejects.toMatchObject({ code: 'ENOENT', path: join(shaky, 'gone') });
  });

  it('leaving the loop early closes every directory it opened', async () => {
    const fds = () => nodeFs.readdirSync('/proc/self/fd').length;
    const before = fds();
    for (const b of scanSync(root, { stats: true })) { void b; break; }
    for await (const b of scan(root, { stats: true, concurrency: 8 })) { void b; break; }
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(fds()).toBe(before);
  });
});
