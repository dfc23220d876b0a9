// readdir, opendir and Dir against node:fs itself, on real trees: every flavour, option and file
// type gives node:fs's results (names, order, Dirents) and node:fs's errors.
import { Buffer } from 'node:buffer';
import { execFileSync } from 'node:child_process';
import * as nodeFs from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as uringfs from '../lib/index.js';
import * as uringfsPromises from '../lib/promises.js';
import { tempDir } from './fixtures/helpers.js';

let tmp: ReturnType<typeof tempDir>;
let server: Server;
/** A tree with every file type, odd names, symlinks and subdirectories (no symlink loop: node:fs's recursive readdir follows links). */
let tree: string;
let big: string;
let empty: string;
let file: string;

beforeAll(async () => {
  tmp = tempDir('dirs');
  tree = join(tmp.dir, 'tree');
  nodeFs.mkdirSync(join(tree, 'sub', 'deeper', 'deepest'), { recursive: true });
  nodeFs.mkdirSync(join(tree, 'other'));
  for (const name of ['plain.txt', 'with space', 'new\nline', 'ünïcødé', '日本語', '-dash', '.hidden', 'Z', 'a', 'B']) nodeFs.writeFileSync(join(tree, name), name);
  // A name that is not UTF-8, made through a Buffer path.
  nodeFs.writeFileSync(Buffer.concat([Buffer.from(`${tree}/bad-`), Buffer.from([0xff, 0xfe, 0x80]), Buffer.from('-name')]), 'x');
  for (let i = 0; i < 40; i++) nodeFs.writeFileSync(join(tree, 'sub', `f${i}`), '');
  nodeFs.writeFileSync(join(tree, 'sub', 'deeper', 'deepest', 'leaf'), 'leaf');
  nodeFs.symlinkSync('plain.txt', join(tree, 'link-to-file'));
  // Not empty, so that a recursive listing that follows the link (as node:fs's does in some forms) shows it.
  nodeFs.writeFileSync(join(tree, 'other', 'inside'), 'inside');
  nodeFs.symlinkSync('other', join(tree, 'link-to-dir'));
  nodeFs.symlinkSync('nowhere', join(tree, 'dangling'));
  execFileSync('mkfifo', [join(tree, 'fifo')]);
  server = createServer();
  await new Promise<void>((resolve) => server.listen(join(tree, 'socket'), resolve));
  big = join(tmp.dir, 'big');
  nodeFs.mkdirSync(big);
  for (let i = 0; i < 10_000; i++) nodeFs.writeFileSync(join(big, `entry-${i.toString(36)}-${'x'.repeat(i % 40)}`), '');
  empty = join(tmp.dir, 'empty');
  nodeFs.mkdirSync(empty);
  file = join(tree, 'plain.txt');
}, 120_000);

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  tmp.remove();
});

/** An error as node:fs shows it: class, message and fields. */
function shape(err: unknown): Record<string, unknown> {
  const e = err as NodeJS.ErrnoException;
  return { ctor: e?.constructor?.name, message: e?.message, code: e?.code, errno: e?.errno, syscall: e?.syscall, path: e?.path, hasPath: e !== undefined && 'path' in e };
}

function syncOutcome(f: () => unknown): unknown {
  try {
    return { ok: f() };
  } catch (err) {
    return { error: shape(err) };
  }
}

async function asyncOutcome(f: () => Promise<unknown>): Promise<unknown> {
  try {
    return { ok: await f() };
  } catch (err) {
    return { error: shape(err) };
  }
}

type Readdir = (path: unknown, options: unknown, cb: (err: Error | null, v: unknown) => void) => void;
function viaCallback(readdir: unknown, path: unknown, options: unknown): Promise<unknown> {
  return new Promise((resolve, reject) => (readdir as Readdir)(path, options, (err, v) => (err ? reject(err) : resolve(v))));
}

const optionSets: unknown[] = [
  undefined, null, {}, 'utf8', 'buffer', 'latin1', 'hex', 'base64', 'ucs2', { encoding: 'buffer' },
  { withFileTypes: true }, { withFileTypes: true, encoding: 'buffer' }, { withFileTypes: true, encoding: 'latin1' },
];

describe('readdir', () => {
  it.each(optionSets.map((o) => [JSON.stringify(o) ?? 'undefined', o]))('%s: the same names, order and Dirents as node:fs in every flavour', async (_, options) => {
    for (const dir of [tree, join(tree, 'sub'), empty, Buffer.from(tree), new URL(`file://${tree}`)]) {
      const expected = nodeFs.readdirSync(dir, options as undefined);
      expect(uringfs.readdirSync(dir, options as undefined)).toStrictEqual(expected);
      expect(await uringfsPromises.readdir(dir, options as undefined)).toStrictEqual(await nodeFs.promises.readdir(dir, options as undefined));
      expect(await viaCallback(uringfs.readdir, dir, options)).toStrictEqual(await viaCallback(nodeFs.readdir, dir, options));
    }
  });

  it('returns node:fs Dirents of every file type (instanceof fs.Dirent, parentPath as given)', () => {
    const dirents = uringfs.readdirSync(tree, { withFileTypes: true });
    expect(dirents.every((d) => d instanceof nodeFs.Dirent)).toBe(true);
    const kinds = Object.fromEntries(dirents.map((d) => [d.name, [d.isFile(), d.isDirectory(), d.isSymbolicLink(), d.isFIFO(), d.isSocket()].map(Number).join('')]));
    expect(kinds).toMatchObject({ 'plain.txt': '10000', sub: '01000', 'link-to-dir': '00100', dangling: '00100', fifo: '00010', socket: '00001' });
    expect(dirents[0].parentPath).toBe(tree);
  });

  it('keeps names that are not UTF-8 intact as Buffers, and decodes them as node:fs does', () => {
    const raw = uringfs.readdirSync(tree, 'buffer') as Buffer[];
    const bad = raw.find((b) => b.includes(0xff));
    expect(bad).toBeDefined();
    expect(nodeFs.readFileSync(Buffer.concat([Buffer.from(`${tree}/`), bad!]), 'utf8')).toBe('x');
    expect(uringfs.readdirSync(tree)).toStrictEqual(nodeFs.readdirSync(tree));
  });

  it('10,000 entries: identical in every flavour', async () => {
    const expected = nodeFs.readdirSync(big);
    expect(expected.length).toBe(10_000);
    expect(uringfs.readdirSync(big)).toStrictEqual(expected);
    expect(await uringfsPromises.readdir(big)).toStrictEqual(expected);
    expect(await viaCallback(uringfs.readdir, big, undefined)).toStrictEqual(expected);
    expect(uringfs.readdirSync(big, { withFileTypes: true })).toStrictEqual(nodeFs.readdirSync(big, { withFileTypes: true }));
  });

  it.each([
    ['recursive', { recursive: true }],
    ['recursive + withFileTypes', { recursive: true, withFileTypes: true }],
    ['recursive + latin1', { recursive: true, encoding: 'latin1' }],
  ])('%s: node:fs walk order in each flavour (symlinks to directories as node:fs treats them)', async (_, options) => {
    expect(uringfs.readdirSync(tree, options as object)).toStrictEqual(nodeFs.readdirSync(tree, options as object));
    expect(await uringfsPromises.readdir(tree, options as object)).toStrictEqual(await nodeFs.promises.readdir(tree, options as object));
    expect(await viaCallback(uringfs.readdir, tree, options)).toStrictEqual(nodeFs.readdirSync(tree, options as object));
  });

  it('recursive with Buffers fails as node:fs fails (its path.join takes no Buffer name)', async () => {
    for (const options of [{ recursive: true, encoding: 'buffer' }, { recursive: true, withFileTypes: true, encoding: 'buffer' }]) {
      expect(syncOutcome(() => uringfs.readdirSync(tree, options as object))).toStrictEqual(syncOutcome(() => nodeFs.readdirSync(tree, options as object)));
      expect(await asyncOutcome(() => uringfsPromises.readdir(tree, options as object))).toStrictEqual(await asyncOutcome(() => nodeFs.promises.readdir(tree, options as object)));
    }
  });

  it('fails with node:fs errors: ENOENT, ENOTDIR (scandir), argument errors', async () => {
    const cases: [unknown, unknown][] = [
      [join(tmp.dir, 'missing'), undefined], [file, undefined], [join(file, 'below'), undefined],
      [join(tmp.dir, 'missing'), { recursive: true }], [file, { withFileTypes: true }],
      [42, undefined], ['a\0b', undefined], [tree, 'no-such-encoding'], [tree, { recursive: 'yes' }], [tree, 42],
    ];
    for (const [path, options] of cases) {
      const expected = syncOutcome(() => nodeFs.readdirSync(path as string, options as undefined));
      expect(expected).toHaveProperty('error');
      expect(syncOutcome(() => uringfs.readdirSync(path as string, options as undefined))).toStrictEqual(expected);
      if ((options as { recursive?: unknown })?.recursive !== 'yes') {
        expect(await asyncOutcome(() => uringfsPromises.readdir(path as string, options as undefined))).toStrictEqual(await asyncOutcome(() => nodeFs.promises.readdir(path as string, options as undefined)));
      }
      const mine = await asyncOutcome(() => viaCallback(uringfs.readdir, path, options));
      // node:fs 20 runs a recursive callback readdir synchronously and throws its error; the error is the same.
      expect(mine).toStrictEqual(await asyncOutcome(async () => viaCallback(nodeFs.readdir, path, options)));
    }
    expect(syncOutcome(() => (uringfs.readdir as unknown as (p: string) => void)(tree))).toStrictEqual(syncOutcome(() => (nodeFs.readdir as unknown as (p: string) => void)(tree)));
  });

  it('reads a directory that is not readable as node:fs does (EACCES: root without its capabilities)', () => {
    if (process.getuid?.() !== 0) return;
    const locked = join(tmp.dir, 'locked');
    // Mode 0: its owner (root) may not read it either once root's capabilities are dropped (the
    // process stays root, so it can still read the package wherever the checkout lies).
    nodeFs.mkdirSync(locked, { mode: 0 });
    const script = `const u=require(${JSON.stringify(join(process.cwd(), 'dist/cjs/index.cjs'))}); const fs=require('fs');
      const f=(g)=>{try{return g()}catch(e){return [e.code,e.syscall,e.path,e.message]}};
      console.log(JSON.stringify([f(()=>u.readdirSync(${JSON.stringify(locked)})), f(()=>fs.readdirSync(${JSON.stringify(locked)}))]))`;
    if (!nodeFs.existsSync(join(process.cwd(), 'dist/cjs/index.cjs'))) return;
    const out = execFileSync('setpriv', ['--inh-caps=-all', '--ambient-caps=-all', '--bounding-set=-all', process.execPath, '-e', script], { encoding: 'utf8' });
    const [mine, node] = JSON.parse(out);
    expect(node[0]).toBe('EACCES');
    expect(mine).toStrictEqual(node);
  });
});

/** Every entry of a Dir, read with `read` ('sync' | 'promise' | 'callback'). */
async function drain(dir: nodeFs.Dir, how: 'sync' | 'promise' | 'callback'): Promise<nodeFs.Dirent[]> {
  const out: nodeFs.Dirent[] = [];
  for (;;) {
    const d = how === 'sync' ? dir.readSync()
      : how === 'promise' ? await dir.read()
        : await new Promise<nodeFs.Dirent | null>((resolve, reject) => dir.read((err, e) => (err ? reject(err) : resolve(e))));
    if (d === null) return out;
    out.push(d);
  }
}

describe('opendir / Dir', () => {
  it('is an fs.Dir with node:fs path and entries in the kernel order, identical to node:fs in every flavour', async () => {
    for (const dir of [tree, big, empty, Buffer.from(tree)]) {
      for (const how of ['sync', 'promise', 'callback'] as const) {
        const mine = how === 'sync' ? uringfs.opendirSync(dir) : how === 'promise' ? await uringfsPromises.opendir(dir)
          : await new Promise<nodeFs.Dir>((resolve, reject) => uringfs.opendir(dir, (err, d) => (err ? reject(err) : resolve(d))));
        const node = nodeFs.opendirSync(dir);
        expect(mine).toBeInstanceOf(nodeFs.Dir);
        expect(mine.path).toStrictEqual(node.path);
        expect(await drain(mine, how)).toStrictEqual(await drain(node, how));
        mine.closeSync();
        node.closeSync();
      }
    }
  });

  it('encoding and recursive options as node:fs (subdirectories smaller than bufferSize)', async () => {
    const small = join(tmp.dir, 'small-tree');
    nodeFs.mkdirSync(join(small, 'x', 'y'), { recursive: true });
    for (const n of ['1', '2', 'x/3', 'x/y/4']) nodeFs.writeFileSync(join(small, n), '');
    for (const options of [{ encoding: 'buffer' }, { encoding: 'hex' }, { recursive: true }, { recursive: true, bufferSize: 2 }]) {
      const mine = uringfs.opendirSync(small, options as object);
      const node = nodeFs.opendirSync(small, options as object);
      expect(await drain(mine, 'promise')).toStrictEqual(await drain(node, 'promise'));
      await mine.close();
      await node.close();
    }
  });

  it('recursive walks every entry of a subdirectory larger than bufferSize (Node 20 stops at bufferSize)', async () => {
    const dir = uringfs.opendirSync(tree, { recursive: true });
    const paths = (await drain(dir, 'sync')).map((d) => join(d.parentPath, d.name)).sort();
    dir.closeSync();
    // A Dir walks real directories only; readdirSync follows the link to one from Node 22.
    const expected = (nodeFs.readdirSync(tree, { recursive: true, withFileTypes: true }) as nodeFs.Dirent[]).map((d) => join(d.parentPath, d.name))
      .filter((p) => !p.startsWith(join(tree, 'link-to-dir', '/'))).sort();
    expect(expected.length).toBeGreaterThan(40);
    expect(paths).toStrictEqual(expected);
    if (Number(process.versions.node.split('.')[0]) >= 22) {
      const node = nodeFs.opendirSync(tree, { recursive: true });
      expect((await drain(node, 'sync')).map((d) => join(d.parentPath, d.name)).sort()).toStrictEqual(expected);
      node.closeSync();
    }
  });

  it('the async iterator yields every entry, then closes the directory', async () => {
    const dir = await uringfsPromises.opendir(big);
    const names: string[] = [];
    for await (const d of dir) names.push(d.name);
    expect(names.sort()).toStrictEqual(nodeFs.readdirSync(big).sort());
    await expect(dir.close()).rejects.toMatchObject({ code: 'ERR_DIR_CLOSED', message: 'Directory handle was closed' });
    const early = uringfs.opendirSync(big);
    for await (const d of early) { void d; break; }
    expect(() => early.readSync()).toThrow(expect.objectContaining({ code: 'ERR_DIR_CLOSED' }));
  });

  it('after close: ERR_DIR_CLOSED from read, readSync, close and closeSync, as node:fs', async () => {
    const seen: unknown[] = [];
    for (const open of [uringfs.opendirSync, nodeFs.opendirSync]) {
      const dir = open(tree);
      dir.closeSync();
      // Thrown (Node 20) or a rejected promise (Node 22+): whichever node:fs does here.
      const read = await (async () => {
        let pending: Promise<unknown>;
        try {
          pending = dir.read();
        } catch (err) {
          return { thrown: shape(err) };
        }
        return pending.then((v) => ({ resolved: v }), (err) => ({ rejected: shape(err) }));
      })();
      const readCb = syncOutcome(() => dir.read(() => {}));
      const readSync = syncOutcome(() => dir.readSync());
      const closeSync = syncOutcome(() => dir.closeSync());
      const closeP = await asyncOutcome(() => dir.close());
      const closeCb = await new Promise((resolve) => dir.close((err) => resolve(shape(err))));
      // Disposing of a closed Dir: ERR_DIR_CLOSED on Node 20, nothing from Node 22.
      const d = dir as unknown as Record<symbol, () => unknown>;
      const dispose = syncOutcome(() => d[Symbol.dispose]());
      const asyncDispose = await asyncOutcome(async () => d[Symbol.asyncDispose]());
      seen.push({ read, readCb, readSync, closeSync, closeP, closeCb, dispose, asyncDispose });
    }
    expect(seen[0]).toMatchObject({ readSync: { error: { code: 'ERR_DIR_CLOSED' } } });
    expect(seen[0]).toStrictEqual(seen[1]);
  });

  it('while a read is under way: sync work is ERR_DIR_CONCURRENT_OPERATION, async work queues', async () => {
    for (const open of [uringfs.opendirSync, nodeFs.opendirSync]) {
      const dir = open(tree);
      const first = dir.read();
      expect(() => dir.readSync()).toThrow(expect.objectContaining({ code: 'ERR_DIR_CONCURRENT_OPERATION', message: 'Cannot do synchronous work on directory handle with concurrent asynchronous operations' }));
      expect(() => dir.closeSync()).toThrow(expect.objectContaining({ code: 'ERR_DIR_CONCURRENT_OPERATION' }));
      const second = dir.read();
      const closed = dir.close();
      const [a, b] = await Promise.all([first, second]);
      expect(a!.name).not.toBe(b!.name);
      await closed;
      expect(() => dir.readSync()).toThrow(expect.objectContaining({ code: 'ERR_DIR_CLOSED' }));
    }
  });

  it('fails as node:fs: ENOENT/ENOTDIR (opendir; the sync form without path), bad options and callbacks', async () => {
    const cases: [unknown, unknown][] = [
      [join(tmp.dir, 'missing'), undefined], [file, undefined], [tree, { encoding: 'nope' }], [42, undefined], ['a\0b', undefined],
    ];
    type OpenDir = (path: unknown, options: unknown, cb: (err: Error | null, d?: unknown) => void) => void;
    const viaCb = (f: unknown, path: unknown, options: unknown) => asyncOutcome(() => new Promise((resolve, reject) => (f as OpenDir)(path, options, (err, d) => (err ? reject(err) : resolve(d)))));
    for (const [path, options] of cases) {
      const expected = syncOutcome(() => nodeFs.opendirSync(path as string, options as undefined));
      expect(expected).toHaveProperty('error');
      expect(syncOutcome(() => uringfs.opendirSync(path as string, options as undefined))).toStrictEqual(expected);
      expect(await asyncOutcome(() => uringfsPromises.opendir(path as string, options as undefined))).toStrictEqual(await asyncOutcome(() => nodeFs.promises.opendir(path as string, options as undefined)));
      expect(await viaCb(uringfs.opendir, path, options)).toStrictEqual(await viaCb(nodeFs.opendir, path, options));
    }
    // A bad bufferSize: node:fs checks it once the directory is open; its async forms then throw
    // from inside their completion (uncaught, the callback never called), so only the sync form
    // is compared — the async forms here report the same error to their caller.
    for (const options of [{ bufferSize: 0 }, { bufferSize: 'x' }, { bufferSize: 1.5 }]) {
      const expected = syncOutcome(() => nodeFs.opendirSync(tree, options as object));
      expect(expected).toHaveProperty('error');
      expect(syncOutcome(() => uringfs.opendirSync(tree, options as object))).toStrictEqual(expected);
      expect(await asyncOutcome(() => uringfsPromises.opendir(tree, options as object))).toStrictEqual(expected);
      expect(await viaCb(uringfs.opendir, tree, options)).toStrictEqual(expected);
    }
    expect(syncOutcome(() => (uringfs.opendir as unknown as (p: string) => void)(tree))).toStrictEqual(syncOutcome(() => (nodeFs.opendir as unknown as (p: string) => void)(tree)));
    // `new Dir()` without arguments: node:fs's ERR_MISSING_ARGS, not a TypeError from inside.
    expect(syncOutcome(() => new (uringfs.Dir as unknown as new () => unknown)())).toStrictEqual(syncOutcome(() => new (nodeFs.Dir as unknown as new () => unknown)()));
    const dir = uringfs.opendirSync(tree);
    expect(syncOutcome(() => (dir.read as unknown as (cb: number) => void)(1))).toStrictEqual(syncOutcome(() => (nodeFs.opendirSync(tree).read as unknown as (cb: number) => void)(1)));
    dir.closeSync();
  });
});

describe('worker termination', () => {
  it('a worker terminated while it lists, reads a Dir and scans: no crash, no directory fd left open', async () => {
    const { runNode, fixture } = await import('./fixtures/helpers.js');
    const r = await runNode([fixture('dirs-worker-terminate.mjs'), tree, '10'], 60_000);
    expect(r.code, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(summary.errors).toEqual([]);
    expect(summary.exitCodes).toHaveLength(10);
    expect(summary.fdsAfter, `left open: ${summary.leftDetails.join(', ')}; after each round: ${summary.fdsAfterRound.join(' ')}`).toBe(0);
    if (summary.closedLate.length > 0) console.warn(`directory fds closed only after the 300 ms wait: ${summary.closedLate.join(', ')}`);
  }, 90_000);

  it('a worker stopped just before, or just after, each of its calls into the addon: no directory fd left open', async () => {
    const { runNode, fixture } = await import('./fixtures/helpers.js');
    const root = tempDir('exit');
    const r = await runNode([fixture('dirs-exit-at-each-call.mjs'), root.dir], 120_000);
    root.remove();
    expect(r.code, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout);
    // The work (two Dirs, both scans, a recursive readdir) makes a few dozen calls; each was a stop, twice.
    expect(summary.calls).toBeGreaterThan(20);
    expect(summary.stops).toBeGreaterThanOrEqual(2 * summary.calls - 2);
    expect(summary.left.slice(0, 10)).toEqual([]);
  }, 150_000);
});

describe('a listing that fails after its directory opened', () => {
  it('reports the error and closes the directory, in every form that lists whole directories', async () => {
    const { runNode, fixture } = await import('./fixtures/helpers.js');
    const r = await runNode([fixture('dirs-getdents-error.mjs'), big], 60_000, { ...process.env, URINGFS_TEST_GETDENTS_EIO: '1' });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      codes: { readdirSync: 'EIO', 'promises.readdir': 'EIO', scanSync: 'EIO', scan: 'EIO' },
      fdsAfter: 0,
    });
  }, 90_000);
});
