// readdir in its three flavours, on the native getdents64 listing (native/dirs.cc): one native
// call per directory, names packed in one Buffer and decoded in one go, node:fs's own Dirent.
// Results, order and errors are node:fs's: a directory's names in strcmp (byte) order, as libuv's
// scandir sorts them, and recursive listings walked in the order node:fs walks them.
import { Buffer } from 'node:buffer';
import fs from 'node:fs';
import pathModule from 'node:path';
import { binding } from './binding.js';
import { dirs, type NativeListing } from './dirs-binding.js';
import { systemError } from './errors.js';
import { AT_FDCWD, AT_SYMLINK_NOFOLLOW, STATX_MASK, STATX_SIZE } from './op.js';
import { recursiveDirentsFollowLinks } from './node-rules.js';
import {
  getOptions, pathBytes, validateBoolean, validateFunction, validatePath, type PathLike,
} from './validate.js';

type Listing = NativeListing;

/** @internal native list() flags (native/dirs.cc). */
export const SORT_BY_NAME = 1;
/** @internal */
export const KEEP_FD = 2;

/** @internal libuv's UV_DIRENT_* numbering, which node:fs's Dirent uses. */
export const DirentType = { Unknown: 0, File: 1, Dir: 2, Link: 3, Fifo: 4, Socket: 5, Char: 6, Block: 7 } as const;

/** The names a readdir returns: strings in `encoding`, or Buffers. */
type Names = string[] | Buffer[];

/**
 * @internal
 * The names of a listing: for UTF-8 (and latin1/ascii, whose decoding is per byte), one string for
 * all of them, split at the NULs — the same decoding node:fs applies to each name alone, since a
 * NUL ends any incomplete UTF-8 sequence before it; other encodings name by name.
 */
export function decodeNames(names: Buffer, encoding: string | null | undefined): Names {
  if (names.length === 0) return [];
  if (encoding === 'buffer') {
    const out: Buffer[] = [];
    for (let at = 0; at < names.length;) {
      const end = names.indexOf(0, at);
      out.push(Buffer.from(names.subarray(at, end)));
      at = end + 1;
    }
    return out;
  }
  const enc = (encoding || 'utf8') as BufferEncoding;
  if (enc === 'utf8' || enc === 'utf-8' || enc === 'latin1' || enc === 'binary' || enc === 'ascii') {
    const all = names.toString(enc, 0, names.length - 1);
    return all.split('\0');
  }
  const out: string[] = [];
  for (let at = 0; at < names.length;) {
    const end = names.indexOf(0, at);
    out.push(names.toString(enc, at, end));
    at = end + 1;
  }
  return out;
}

type DirentConstructor = new (name: string | Buffer, type: number, path: string | Buffer) => fs.Dirent;
const NodeDirent = fs.Dirent as unknown as DirentConstructor;

/**
 * @internal
 * node:fs's own Dirent (so `instanceof fs.Dirent` holds), built as node:fs builds it:
 * `new Dirent(name, type, parentPath)` on Node 20, 22 and 24.
 */
export function makeDirent(name: string | Buffer, type: number, parentPath: string | Buffer): fs.Dirent {
  return new NodeDirent(name, type, parentPath);
}

/** The UV_DIRENT_* type of an lstat mode. */
export function typeOfMode(mode: number): number {
  switch (mode & fs.constants.S_IFMT) {
    case fs.constants.S_IFREG: return DirentType.File;
    case fs.constants.S_IFDIR: return DirentType.Dir;
    case fs.constants.S_IFLNK: return DirentType.Link;
    case fs.constants.S_IFIFO: return DirentType.Fifo;
    case fs.constants.S_IFSOCK: return DirentType.Socket;
    case fs.constants.S_IFCHR: return DirentType.Char;
    case fs.constants.S_IFBLK: return DirentType.Block;
    default: return DirentType.Unknown;
  }
}

const STX_MODE = 28;
let statxScratch: Buffer | undefined;

/**
 * @internal
 * A direct statx (AT_FDCWD): the mode, or -errno. For the few entries whose type getdents64 does
 * not tell (DT_UNKNOWN), and for what node:fs stats itself (a recursive listing's symlinks).
 */
export function statxMode(path: string | Buffer, follow: boolean): number {
  const out = (statxScratch ??= Buffer.alloc(STATX_SIZE));
  const r = binding.sync.statx(AT_FDCWD, pathBytes(path), follow ? 0 : AT_SYMLINK_NOFOLLOW, STATX_MASK, out);
  return r < 0 ? r : out.readUInt16LE(STX_MODE);
}

/** node:fs's join of a parent path and a name (string or Buffer each), for lstat of an unknown type. */
function joinName(path: string | Buffer, name: string | Buffer): string | Buffer {
  if (typeof path === 'string' && typeof name === 'string') return pathModule.join(path, name);
  const head = typeof path === 'string' ? Buffer.from(pathModule.join(path, pathModule.sep)) : Buffer.concat([path, Buffer.from(pathModule.sep)]);
  return Buffer.concat([head, typeof name === 'string' ? Buffer.from(name) : name]);
}

/** The Dirents of one listing; DT_UNKNOWN entries get their type from lstat, as node:fs does. */
function direntsOf(path: string | Buffer, names: Names, types: Uint8Array): fs.Dirent[] {
  const out = new Array<fs.Dirent>(names.length);
  for (let i = 0; i < names.length; i++) {
    let type = types[i];
    if (type === DirentType.Unknown) {
      const target = joinName(path, names[i]);
      const mode = statxMode(target, false);
      if (mode < 0) throw systemError(mode, 'lstat', target);
      type = typeOfMode(mode);
    }
    out[i] = makeDirent(names[i], type, path);
  }
  return out;
}

interface ReaddirOptions {
  encoding?: BufferEncoding | 'buffer' | null;
  withFileTypes?: boolean;
  recursive?: boolean;
}

interface ReaddirArgs {
  path: string | Buffer;
  encoding: string | null | undefined;
  withFileTypes: boolean;
  recursive: boolean;
}

/** Options and path checked in node:fs's order (getOptions, getValidatedPath, recursive). */
function readdirArgs(path: unknown, options: unknown, checkRecursive = true): ReaddirArgs {
  const o = getOptions(options, {} as ReaddirOptions);
  const p = validatePath(path);
  // fs.promises.readdir takes any truthy `recursive`; the other two want a boolean.
  if (checkRecursive && o.recursive != null) validateBoolean(o.recursive, 'options.recursive');
  return { path: p, encoding: o.encoding as string | null | undefined, withFileTypes: Boolean(o.withFileTypes), recursive: Boolean(o.recursive) };
}

/** The native listing of one directory (sorted), or the scandir error. */
function listSync(path: string | Buffer): Listing {
  const r = dirs.list(pathBytes(path), SORT_BY_NAME);
  if (typeof r === 'number') throw systemError(r, 'scandir', path);
  return r;
}

/** The same on libuv's pool: `done(error, listing)`. */
function listAsync(path: string | Buffer, done: (err: Error | null, listing?: Listing) => void): void {
  dirs.listAsync(pathBytes(path), SORT_BY_NAME, (r) => {
    if (typeof r === 'number') done(systemError(r, 'scandir', path));
    else done(null, r);
  });
}

function listPromise(path: string | Buffer): Promise<Listing> {
  return new Promise((resolve, reject) => listAsync(path, (err, listing) => (err ? reject(err) : resolve(listing!))));
}

/** Whether node:fs's internalModuleStat (stat, following links) calls the entry a directory. */
function isDirectoryFollowing(path: string): boolean {
  const mode = statxMode(path, true);
  return mode >= 0 && (mode & fs.constants.S_IFMT) === fs.constants.S_IFDIR;
}

/**
 * One directory's results in a recursive listing, as node:fs's readdir builds them: Dirents (a
 * directory among them is walked next), or paths relative to the root (an entry that stats as a
 * directory, a symlink to one included, is walked next; so is a Dirent's where node:fs's form
 * follows links: `direntsFollowLinks`). Only symlinks and unknown types are stat'ed: getdents64
 * already says which entries are directories.
 */
function recursiveStep(base: string | Buffer, path: string | Buffer, listing: Listing, a: ReaddirArgs, results: unknown[], walk: (dir: string) => void, direntsFollowLinks: boolean): void {
  const names = decodeNames(listing[0], a.encoding);
  const types = listing[1];
  if (a.withFileTypes) {
    const dirents = direntsOf(path, names, types);
    for (const dirent of dirents) {
      results.push(dirent);
      const full = pathModule.join(dirent.parentPath as string, dirent.name as string);
      if (dirent.isDirectory() || (direntsFollowLinks && dirent.isSymbolicLink() && isDirectoryFollowing(full))) walk(full);
    }
    return;
  }
  for (let i = 0; i < names.length; i++) {
    const resultPath = pathModule.join(path as string, names[i] as string);
    results.push(pathModule.relative(base as string, resultPath));
    const type = types[i];
    if (type === DirentType.Dir || ((type === DirentType.Link || type === DirentType.Unknown) && isDirectoryFollowing(resultPath))) walk(resultPath);
  }
}

/** node:fs's readdirSyncRecursive: breadth first, a queue of directories. */
function readdirRecursiveSync(a: ReaddirArgs): unknown[] {
  const results: unknown[] = [];
  const queue: (string | Buffer)[] = [a.path];
  for (let i = 0; i < queue.length; i++) {
    recursiveStep(a.path, queue[i], listSync(queue[i]), a, results, (dir) => queue.push(dir), a.withFileTypes && recursiveDirentsFollowLinks());
  }
  return results;
}

/** The same walk (same order) with each directory listed on the pool. */
function readdirRecursiveCallback(a: ReaddirArgs, callback: (err: Error | null, results?: unknown[]) => void): void {
  const results: unknown[] = [];
  const queue: (string | Buffer)[] = [a.path];
  let i = 0;
  const next = (): void => {
    if (i === queue.length) return callback(null, results);
    const path = queue[i++];
    listAsync(path, (err, listing) => {
      if (err) return callback(err);
      try {
        recursiveStep(a.path, path, listing!, a, results, (dir) => queue.push(dir), a.withFileTypes && recursiveDirentsFollowLinks());
      } catch (error) {
        return callback(error as Error);
      }
      next();
    });
  };
  next();
}

/**
 * node:fs/promises' readdirRecursive: a stack of listed directories; each directory found is
 * listed (awaited) as it is met, and the last one listed is walked next.
 */
async function readdirRecursivePromise(a: ReaddirArgs): Promise<unknown[]> {
  const results: unknown[] = [];
  const stack: [string | Buffer, Listing][] = [[a.path, await listPromise(a.path)]];
  while (stack.length > 0) {
    const [path, listing] = stack.pop()!;
    const found: string[] = [];
    recursiveStep(a.path, path, listing, a, results, (dir) => found.push(dir), false);
    // node:fs lists each directory when it meets it: the listings happen in the order found.
    for (const dir of found) stack.push([dir, await listPromise(dir)]);
  }
  return results;
}

function readdirResult(a: ReaddirArgs, listing: Listing): Names | fs.Dirent[] {
  const names = decodeNames(listing[0], a.encoding);
  return a.withFileTypes ? direntsOf(a.path, names, listing[1]) : names;
}

type ReaddirCallback<T> = (err: NodeJS.ErrnoException | null, files: T) => void;

/**
 * Like `fs.readdirSync`: the names of the entries of a directory (without `.` and `..`), sorted
 * by bytes as node:fs sorts them; `encoding` (`'buffer'` for Buffers), `withFileTypes`
 * (node:fs's own `fs.Dirent` objects), `recursive` (paths relative to `path`, walked in node:fs's
 * order). The listing is one native call per directory: getdents64 in 64 KiB batches.
 * Throws node:fs's errors (`ENOENT`/`ENOTDIR`, `syscall: 'scandir'`).
 */
export function readdirSync(path: PathLike, options?: { encoding?: BufferEncoding | null; withFileTypes?: false; recursive?: boolean } | BufferEncoding | null): string[];
export function readdirSync(path: PathLike, options: { encoding: 'buffer'; withFileTypes?: false; recursive?: boolean } | 'buffer'): Buffer[];
export function readdirSync(path: PathLike, options: { encoding?: BufferEncoding | 'buffer' | null; withFileTypes: true; recursive?: boolean }): fs.Dirent[];
export function readdirSync(path: PathLike, options?: ReaddirOptions | BufferEncoding | 'buffer' | null): string[] | Buffer[] | fs.Dirent[];
export function readdirSync(path: PathLike, options?: unknown): string[] | Buffer[] | fs.Dirent[] {
  const a = readdirArgs(path, options);
  if (a.recursive) return readdirRecursiveSync(a) as string[];
  return readdirResult(a, listSync(a.path));
}

/**
 * Like `fs.readdir`: {@link readdirSync}'s results, the listing done on libuv's thread pool
 * (io_uring has no getdents op). With `recursive`, the callback is called asynchronously (Node 20's
 * own calls it before returning) with the same results in the same order.
 */
export function readdir(path: PathLike, options: { encoding?: BufferEncoding | null; withFileTypes?: false; recursive?: boolean } | BufferEncoding | null | undefined, callback: ReaddirCallback<string[]>): void;
export function readdir(path: PathLike, options: { encoding: 'buffer'; withFileTypes?: false; recursive?: boolean } | 'buffer', callback: ReaddirCallback<Buffer[]>): void;
export function readdir(path: PathLike, options: { encoding?: BufferEncoding | 'buffer' | null; withFileTypes: true; recursive?: boolean }, callback: ReaddirCallback<fs.Dirent[]>): void;
export function readdir(path: PathLike, callback: ReaddirCallback<string[]>): void;
export function readdir(path: PathLike, options: unknown, callback?: unknown): void {
  const cb = (typeof options === 'function' ? options : callback) as ReaddirCallback<unknown>;
  validateFunction(cb, 'cb');
  const a = readdirArgs(path, typeof options === 'function' ? undefined : options);
  if (a.recursive) {
    readdirRecursiveCallback(a, (err, results) => (err ? cb(err, undefined) : cb(null, results)));
    return;
  }
  listAsync(a.path, (err, listing) => {
    if (err) return cb(err, undefined);
    let result: unknown;
    try {
      result = readdirResult(a, listing!);
    } catch (error) {
      return cb(error as Error, undefined);
    }
    cb(null, result);
  });
}

/** Like `fsPromises.readdir`: {@link readdirSync}'s results, listed on libuv's thread pool. */
export async function readdirPromise(path: PathLike, options?: { encoding?: BufferEncoding | null; withFileTypes?: false; recursive?: boolean } | BufferEncoding | null): Promise<string[]>;
export async function readdirPromise(path: PathLike, options: { encoding: 'buffer'; withFileTypes?: false; recursive?: boolean } | 'buffer'): Promise<Buffer[]>;
export async function readdirPromise(path: PathLike, options: { encoding?: BufferEncoding | 'buffer' | null; withFileTypes: true; recursive?: boolean }): Promise<fs.Dirent[]>;
export async function readdirPromise(path: PathLike, options?: ReaddirOptions | BufferEncoding | 'buffer' | null): Promise<string[] | Buffer[] | fs.Dirent[]>;
export async function readdirPromise(path: PathLike, options?: unknown): Promise<string[] | Buffer[] | fs.Dirent[]> {
  const a = readdirArgs(path, options, false);
  if (a.recursive) return (await readdirRecursivePromise(a)) as string[];
  return readdirResult(a, await listPromise(a.path));
}
