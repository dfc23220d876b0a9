// opendir and Dir: a directory open on an fd, read in getdents64 batches (the kernel's order, as
// node:fs's Dir gives it), with node:fs's Dir semantics — one operation at a time (async ones queue,
// sync ones throw ERR_DIR_CONCURRENT_OPERATION), ERR_DIR_CLOSED after close, the async iterator
// that closes the directory. The class extends node:fs's Dir, so `instanceof fs.Dir` holds.
import { Buffer } from 'node:buffer';
import fs from 'node:fs';
import pathModule from 'node:path';
import { binding } from './binding.js';
import { dirs, type NativeListing } from './dirs-binding.js';
import { decodeNames, makeDirent, statxMode, typeOfMode, DirentType } from './dirs.js';
import { systemError, withCode } from './errors.js';
import { closeHeldFd, releaseFd, reserveSlot } from './held.js';
import { disposeAgainIsNoop } from './node-rules.js';
import { getOptions, pathBytes, validateFunction, validatePath, type PathLike } from './validate.js';

/** Options of {@link opendir}: as node:fs's (`encoding`, `bufferSize`, `recursive`). */
export interface OpenDirOptions {
  /** Encoding of the names (`'buffer'` for Buffers). Default `'utf8'`. */
  encoding?: BufferEncoding | 'buffer' | null;
  /**
   * Entries node:fs's Dir reads per call into libuv (default 32, must be >= 1). Accepted and
   * checked the same way; here each read takes one getdents64 batch (64 KiB) whatever its value.
   */
  bufferSize?: number;
  /** Also walk subdirectories (each read as a whole, when its entry is read). */
  recursive?: boolean;
}

function dirClosed(): Error {
  return withCode(new Error('Directory handle was closed'), 'ERR_DIR_CLOSED');
}

function concurrentOperation(): Error {
  return withCode(new Error('Cannot do synchronous work on directory handle with concurrent asynchronous operations'), 'ERR_DIR_CONCURRENT_OPERATION');
}

type DirentCallback = (err: NodeJS.ErrnoException | null, dirent: fs.Dirent | null) => void;
type NodeDirConstructor = new (handle: object, path: string | Buffer, options?: object) => fs.Dir;
// node:fs's Dir checks its options (bufferSize: validateUint32, positive) in its constructor and
// keeps the path its `path` getter returns; every other method is replaced below, so the handle it
// is given is never used — but for close(), which Node 22's constructor calls before it throws
// an options error (the fd is closed here then).
const NodeDir = fs.Dir as unknown as NodeDirConstructor;
const unusedHandle = Object.freeze({ close(): void {} });

let closedReadRejects: boolean | undefined;
/**
 * Whether this Node's `dir.read()` (no callback) on a closed Dir returns a rejected promise (Node 22
 * and later) rather than throwing (Node 20), found once by asking node:fs's own Dir.
 */
function closedReadIsRejection(): boolean {
  if (closedReadRejects === undefined) {
    try {
      const probe = fs.opendirSync('/');
      probe.closeSync();
      const pending = probe.read();
      pending.catch(() => {});
      closedReadRejects = true;
    } catch (err) {
      closedReadRejects = (err as { code?: string }).code !== 'ERR_DIR_CLOSED' && Number(process.versions.node.split('.')[0]) >= 22;
    }
  }
  return closedReadRejects;
}

/** As node:fs does, a Dir collected while open has its fd closed, with a warning. */
const collected = new FinalizationRegistry<number>((slot) => {
  closeHeldFd(slot);
  process.emitWarning('Closing directory handle on garbage collection');
});

/**
 * A directory stream, as node:fs's `fs.Dir` (which it extends: `instanceof fs.Dir` is true): from
 * {@link opendir}, {@link opendirSync} or `promises.opendir`. Entries come in the kernel's order,
 * read with getdents64 in 64 KiB batches — `readSync()` on the calling thread, `read()` on libuv's
 * thread pool (io_uring has no getdents op).
 */
export class Dir extends NodeDir {
  readonly #path: string | Buffer;
  readonly #encoding: string | null | undefined;
  readonly #recursive: boolean;
  #fd: number;
  #slot: number;
  #closed = false;
  readonly #bufferSize: number;
  readonly #buffered: fs.Dirent[] = [];
  /**
   * Entries getdents64 returned beyond the `bufferSize` node:fs's Dir takes per read: handed out
   * `bufferSize` at a time, so that a recursive Dir interleaves subdirectories as node:fs's does.
   */
  #unread: NativeListing | null = null;
  #unreadAt = 0;
  #unreadNames: (string | Buffer)[] = [];
  /** Operations waiting for the async read under way; null when none is. */
  #queue: (() => void)[] | null = null;

  // Where node:fs's Dir has them (newer Node), explicit resource management closes the directory;
  // disposing of one already closed does nothing where node:fs's does nothing (Node 22 and later).
  static {
    const nodeProto = fs.Dir.prototype as unknown as Record<symbol, unknown>;
    const { asyncDispose, dispose } = Symbol as unknown as { asyncDispose?: symbol; dispose?: symbol };
    if (asyncDispose !== undefined && asyncDispose in nodeProto) {
      Object.defineProperty(Dir.prototype, asyncDispose, {
        value(this: Dir) { return this.#closed && disposeAgainIsNoop() ? Promise.resolve() : this.close(); },
        enumerable: false, writable: true, configurable: true,
      });
    }
    if (dispose !== undefined && dispose in nodeProto) {
      Object.defineProperty(Dir.prototype, dispose, {
        value(this: Dir) { if (!(this.#closed && disposeAgainIsNoop())) this.closeSync(); },
        enumerable: false, writable: true, configurable: true,
      });
    }
  }

  /**
   * @internal Made by opendir/opendirSync from an open fd listed in a held-fd slot (closed here if
   * the options are refused). node:fs's three parameters, the first its handle.
   */
  constructor(held: { fd: number; slot: number }, path: string | Buffer, options: Record<string, unknown>) {
    try {
      // `new Dir()` without a handle: node:fs's constructor throws its ERR_MISSING_ARGS.
      super((held === undefined ? undefined : unusedHandle) as object, path, options);
    } catch (err) {
      if (held !== undefined) closeHeldFd(held.slot);
      throw err;
    }
    this.#fd = held.fd;
    this.#slot = held.slot;
    collected.register(this, held.slot, this);
    this.#path = path;
    this.#encoding = (options.encoding as string | null | undefined) ?? 'utf8';
    this.#recursive = Boolean(options.recursive);
    this.#bufferSize = (options.bufferSize as number | undefined) ?? 32;
  }

  /**
   * The next entry (a node:fs `Dirent`), or null at the end: a promise without `callback`.
   * Once closed: ERR_DIR_CLOSED, thrown — or, for the promise form on Node 22 and later, as those
   * Nodes do, a rejection. Reads issued while one is under way wait their turn.
   */
  override read(): Promise<fs.Dirent | null>;
  override read(callback: DirentCallback): void;
  override read(callback?: DirentCallback): Promise<fs.Dirent | null> | void {
    return this.#read(true, callback);
  }

  #read(maybeSync: boolean, callback?: DirentCallback): Promise<fs.Dirent | null> | void {
    if (this.#closed) {
      if (callback === undefined && closedReadIsRejection()) return Promise.reject(dirClosed());
      throw dirClosed();
    }
    if (callback === undefined) {
      return new Promise((resolve, reject) => this.#read(false, (err, dirent) => (err ? reject(err) : resolve(dirent))));
    }
    validateFunction(callback, 'callback');
    if (this.#queue !== null) {
      this.#queue.push(() => this.#read(maybeSync, callback));
      return;
    }
    if (this.#buffered.length > 0 || this.#unread !== null) {
      let dirent: fs.Dirent;
      try {
        if (this.#buffered.length === 0) this.#takeUnread();
        dirent = this.#next();
      } catch (error) {
        return callback(error as Error, null);
      }
      if (maybeSync) process.nextTick(callback, null, dirent);
      else callback(null, dirent);
      return;
    }
    this.#queue = [];
    dirs.readAsync(this.#fd, (r) => {
      process.nextTick(() => {
        const queue = this.#queue!;
        this.#queue = null;
        for (const op of queue) op();
      });
      if (typeof r === 'number') return callback(systemError(r, 'scandir', this.#path), null);
      if (r === null) return callback(null, null);
      let dirent: fs.Dirent;
      try {
        this.#setUnread(r);
        this.#takeUnread();
        dirent = this.#next();
      } catch (error) {
        return callback(error as Error, null);
      }
      callback(null, dirent);
    });
  }

  /** The first buffered entry; with `recursive`, a directory's entries are buffered when it is read. */
  #next(): fs.Dirent {
    const dirent = this.#buffered.shift()!;
    if (this.#recursive && dirent.isDirectory()) {
      const path = pathModule.join(dirent.parentPath as string, dirent.name as string);
      const listing = dirs.list(pathBytes(path), 0);
      if (typeof listing === 'number') throw systemError(listing, 'opendir', path);
      const names = decodeNames(listing[0], this.#encoding);
      this.#buffer(path, names, listing[1], 0, names.length);
    }
    return dirent;
  }

  #setUnread(listing: NativeListing): void {
    this.#unread = listing;
    this.#unreadAt = 0;
    this.#unreadNames = decodeNames(listing[0], this.#encoding);
  }

  /** The next `bufferSize` entries of the last getdents64 batch, as node:fs's Dir's next read gives them. */
  #takeUnread(): void {
    const names = this.#unreadNames;
    const end = Math.min(names.length, this.#unreadAt + this.#bufferSize);
    this.#buffer(this.#path, names, this.#unread![1], this.#unreadAt, end);
    this.#unreadAt = end;
    if (end === names.length) this.#unread = null;
  }

  #buffer(path: string | Buffer, names: (string | Buffer)[], types: Uint8Array, start: number, end: number): void {
    for (let i = start; i < end; i++) {
      let type = types[i];
      if (type === DirentType.Unknown) {
        const target = typeof path === 'string' && typeof names[i] === 'string' ? pathModule.join(path, names[i] as string) : Buffer.concat([Buffer.from(path), Buffer.from('/'), Buffer.from(names[i])]);
        const mode = statxMode(target, false);
        if (mode < 0) throw systemError(mode, 'lstat', target);
        type = typeOfMode(mode);
      }
      this.#buffered.push(makeDirent(names[i], type, path));
    }
  }

  /** The next entry, or null at the end, read on this thread. Throws ERR_DIR_CLOSED, ERR_DIR_CONCURRENT_OPERATION. */
  override readSync(): fs.Dirent | null {
    if (this.#closed) throw dirClosed();
    if (this.#queue !== null) throw concurrentOperation();
    if (this.#buffered.length > 0) return this.#next();
    if (this.#unread === null) {
      const r = dirs.read(this.#fd);
      if (typeof r === 'number') throw systemError(r, 'scandir', this.#path);
      if (r === null) return null;
      this.#setUnread(r);
    }
    this.#takeUnread();
    return this.#next();
  }

  /**
   * Close the directory: a promise without `callback` (rejected with ERR_DIR_CLOSED when already
   * closed). Waits for a read under way.
   */
  override close(): Promise<void>;
  override close(callback: fs.NoParamCallback): void;
  override close(callback?: fs.NoParamCallback): Promise<void> | void {
    if (callback === undefined) {
      if (this.#closed) return Promise.reject(dirClosed());
      return new Promise((resolve, reject) => this.close((err) => (err ? reject(err) : resolve())));
    }
    validateFunction(callback, 'callback');
    if (this.#closed) {
      process.nextTick(callback, dirClosed());
      return;
    }
    if (this.#queue !== null) {
      this.#queue.push(() => this.close(callback));
      return;
    }
    this.#closed = true;
    const slot = this.#release();
    const r = dirs.closeAsync(slot, (result) => callback(result < 0 ? systemError(result, 'close') : null));
    releaseFd(slot);  // closeAsync took the fd out of it
    if (r < 0) process.nextTick(callback, systemError(r, 'close'));
  }

  /** Close the directory on this thread. Throws ERR_DIR_CLOSED, ERR_DIR_CONCURRENT_OPERATION. */
  override closeSync(): void {
    if (this.#closed) throw dirClosed();
    if (this.#queue !== null) throw concurrentOperation();
    this.#closed = true;
    const r = closeHeldFd(this.#release());
    if (r < 0) throw systemError(r, 'close', this.#path);
  }

  /** No longer collectable as open: the held-fd slot, for the close to take the fd out of. */
  #release(): number {
    collected.unregister(this);
    this.#fd = -1;
    return this.#slot;
  }

  /** Every entry, then closes the directory (also when the loop is left early). */
  async *entries(): AsyncGenerator<fs.Dirent> {
    try {
      while (true) {
        const dirent = await (this.#read(false) as Promise<fs.Dirent | null>);
        if (dirent === null) break;
        yield dirent;
      }
    } finally {
      await this.close();
    }
  }
}

// As in node:fs, iterating a Dir is its entries() (a non-enumerable property).
Object.defineProperty(Dir.prototype, Symbol.asyncIterator, {
  value: Dir.prototype.entries,
  enumerable: false,
  writable: true,
  configurable: true,
});

// Where node:fs's Dir has a synchronous iterator (not Node 20's), so does this one: readSync until
// the end, then closeSync.
if (Symbol.iterator in fs.Dir.prototype) {
  Object.defineProperty(Dir.prototype, Symbol.iterator, {
    *value(this: Dir): Generator<fs.Dirent> {
      try {
        for (let dirent = this.readSync(); dirent !== null; dirent = this.readSync()) yield dirent;
      } finally {
        this.closeSync();
      }
    },
    enumerable: false, writable: true, configurable: true,
  });
}

function opendirOptions(options: unknown): Record<string, unknown> {
  return getOptions(options, { encoding: 'utf8' }) as Record<string, unknown>;
}

/**
 * Like `fs.opendirSync`: open a directory as a {@link Dir}. Errors as node:fs's
 * (`syscall: 'opendir'`, without `path`, as node:fs's sync form has them).
 */
export function opendirSync(path: PathLike, options?: OpenDirOptions): Dir {
  const p = validatePath(path);
  const o = opendirOptions(options);
  const slot = reserveSlot();
  const fd = dirs.open(pathBytes(p), slot);
  if (fd < 0) {
    releaseFd(slot);
    throw systemError(fd, 'opendir');
  }
  return new Dir({ fd, slot }, p, o);
}

/** Like `fs.opendir`: the directory is opened on libuv's thread pool. */
export function opendir(path: PathLike, callback: (err: NodeJS.ErrnoException | null, dir: Dir) => void): void;
export function opendir(path: PathLike, options: OpenDirOptions | undefined, callback: (err: NodeJS.ErrnoException | null, dir: Dir) => void): void;
export function opendir(path: PathLike, options: unknown, callback?: unknown): void {
  const cb = (typeof options === 'function' ? options : callback) as (err: Error | null, dir?: Dir) => void;
  validateFunction(cb, 'callback');
  const p = validatePath(path);
  const o = opendirOptions(typeof options === 'function' ? undefined : options);
  const slot = reserveSlot();
  const r = dirs.openAsync(pathBytes(p), (fd) => {
    if (fd < 0) {
      releaseFd(slot);
      return cb(systemError(fd, 'opendir', p));
    }
    let dir: Dir;
    try {
      dir = new Dir({ fd, slot }, p, o);
    } catch (err) {
      return cb(err as Error);
    }
    cb(null, dir);
  }, slot);
  if (r < 0) {
    releaseFd(slot);
    process.nextTick(cb, systemError(r, 'opendir', p));
  }
}

/** Like `fsPromises.opendir`. */
export function opendirPromise(path: PathLike, options?: OpenDirOptions): Promise<Dir> {
  return new Promise((resolve, reject) => {
    opendir(path, options, (err, dir) => (err ? reject(err) : resolve(dir)));
  });
}
// node:fs/promises' opendir is util.promisify(opendir), which keeps the callback function's length.
Object.defineProperty(opendirPromise, 'length', { value: opendir.length });
