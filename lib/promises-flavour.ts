// The promise flavour: like node:fs/promises, every operation going through
// the environment's io_uring ring (or the ring of ring.promises). The
// functions are async, so bad arguments reject (as in Node), checked in
// node:fs/promises' order.
import { Buffer } from 'node:buffer';
import { EventEmitter } from 'node:events';
import type { Interface } from 'node:readline';
import { readline } from './builtins.js';
import * as fs from 'node:fs';
import type { ReadStream, WriteStream } from 'node:fs';
import nodeFsp, { type FileHandle as NodeFileHandle, type ReadableWebStreamOptions } from 'node:fs/promises';
import type { ReadableStream } from 'node:stream/web';
// Used at call time only (lib/streams.ts imports this module).
import { ReadStream as RingReadStream, WriteStream as RingWriteStream } from './streams.js';
import { checkSymlinkTypeFirst, checkSymlinkTypeLast, mkdirPromiseArgs, mkdtempArgs, openArgs, readHandleArgs, statOptions, writeHandleArgs, vectorPosition } from './args.js';
import {
  accessByStatx, accessSteps, closeHeldOn, fsyncSteps, ftruncateSteps, kAbortableChunk, linkSteps, truncateLength, truncateSteps, mkdirSteps, mkdtempSteps, symlinkSteps, needsStreamProbe, openSteps, readFileSteps, readSteps, renameSteps, statSteps,
  rmdirSteps, unlinkSteps, vectorSteps, writeAll, writeSteps,
} from './operations.js';
import { defaultRing, type Ring } from './ring.js';
import { claimBoundRing, runPromise, type OpenedFds, type Steps } from './run.js';
import { closeHeldFd, holdFd } from './held.js';
import { handleRefs } from './handle-refs.js';
import type { BigIntStats, Stats } from './stats.js';
import { invalidArgType, notAFileHandle, withCode } from './errors.js';
import { mergeableRing, readFileInTurn } from './readfiles.js';
import { promiseStatTakesThrowIfNoEntry, syncChecksFdLast } from './node-rules.js';
import { readableWebStream } from './webstream.js';
import {
  checkAborted, checkReadFileBufferOption, copyObject, getOptions, isArrayBufferView, isNodeFileHandle, validateAbortSignal, validateBoolean,
  parseFlags, validateBufferArray, validateFd, validateFdNative, validatePath, viewBytes, type Encoding, type PathLike,
} from './validate.js';

type View = NodeJS.ArrayBufferView;

// node:fs/promises' own functions that uringfs/promises hands some calls to, as they were when it
// loaded: a program that puts uringfs's functions into node:fs/promises (or mocks them there) must
// not have uringfs call itself, nor a mock.
const nodeOwn = {
  readFile: nodeFsp.readFile, writeFile: nodeFsp.writeFile, appendFile: nodeFsp.appendFile,
  access: nodeFsp.access, rmdir: nodeFsp.rmdir, truncate: nodeFsp.truncate,
};

/**
 * Run on `ring` (undefined: the default ring of the moment). An async function
 * runs synchronously only up to its first await, so each public function
 * claims its ring first thing (claimBoundRing) and passes it along.
 */
function run<T, U = T>(ring: Ring | undefined, steps: Steps<T>, adopt?: (value: T, opened: OpenedFds) => U): Promise<U> {
  return runPromise(ring ?? defaultRing(), steps, adopt);
}

/** What node:fs/promises rejects with for an operation on a closed FileHandle. */
function fileClosed(syscall: string): Error {
  const err = new Error('file closed') as Error & { code: string; syscall: string };
  err.code = 'EBADF';
  err.syscall = syscall;
  return err;
}

/** What node:fs/promises throws for a web stream of a handle that is closed, closing or has one already. */
function invalidState(what: string): Error {
  return withCode(new Error(`Invalid state: The FileHandle is ${what}`), 'ERR_INVALID_STATE');
}

/** Results of FileHandle.read/write(v) are null-prototype objects, as in node:fs/promises. */
function result<T extends object>(fields: T): T {
  return Object.assign(Object.create(null) as object, fields) as T;
}

/** Module-internal: the ring of a handle's ops (undefined: the default ring of the moment). */
let ringOfHandle: (handle: FileHandle) => Ring | undefined;
/** Module-internal: a handle whose ops all go to `ring` (undefined: follow the default ring). */
let handleOn: (fd: number, ring: Ring | undefined, slot: number) => FileHandle;

/** A node:fs callback function as a promise; its synchronous argument errors reject it. */
function onNodeFs(start: (callback: (err: Error | null) => void) => void): Promise<void> {
  return new Promise((resolve, reject) => start((err) => (err ? reject(err) : resolve())));
}

let warnedCollected = false;
/**
 * As node:fs/promises does, a FileHandle collected while open has its fd closed, with node:fs's
 * warning for each fd and its deprecation (DEP0137) once per process.
 */
const collectedHandles = new FinalizationRegistry<{ fd: number; slot: number }>(({ fd, slot }) => {
  closeHeldFd(slot);
  process.emitWarning(`Closing file descriptor ${fd} on garbage collection`);
  if (!warnedCollected) {
    warnedCollected = true;
    process.emitWarning(
      'Closing a FileHandle object on garbage collection is deprecated. Please close FileHandle objects explicitly using FileHandle.prototype.close(). In the future, an error will be thrown if a file descriptor is closed during garbage collection.',
      'DeprecationWarning',
      'DEP0137',
    );
  }
});

/**
 * Like node:fs/promises FileHandle. As in Node, its fd stays open while any
 * of its operations is in flight: close() marks it closing and the fd is
 * closed when the last one finishes, so an op can never land on a reused fd
 * number. `fd` is -1 from the moment it is closed (or closing with nothing in
 * flight); operations then reject with `Error: file closed` (code EBADF).
 *
 * A handle opened through `ring.promises.open` keeps that ring: every method,
 * and the close of the fd, runs on it. One opened with the ordinary `open`
 * follows the default ring ({@link setDefaultRing}) at each call.
 */
export class FileHandle extends EventEmitter {
  #fd: number;
  /** The fd's slot in the held-fd table (lib/held.ts): closed for us if this JS environment is torn down. */
  readonly #held: number;
  #ring: Ring | undefined;
  #refs = 1;
  #closePromise: Promise<void> | null = null;
  #closeResolve: (() => void) | null = null;
  #closeReject: ((err: unknown) => void) | null = null;
  /** Whether its reads and writes probe the fd (a pipe, socket, tty...): asked at the first one. */
  #probe: boolean | undefined;
  /** Whether readableWebStream was called: once per handle, as in Node. */
  #locked = false;

  static {
    ringOfHandle = (handle) => handle.#ring;
    handleOn = (fd, ring, slot) => {
      const handle = new FileHandle(fd, slot);
      handle.#ring = ring;
      return handle;
    };
    // A stream on the handle holds it (node:fs's kRef): close() then waits for the stream to let
    // go, which it does once it has closed on the handle's 'close' event.
    handleRefs.isHandle = (value): value is FileHandle => value instanceof FileHandle;
    handleRefs.ref = (handle) => { (handle as FileHandle).#refs++; };
    handleRefs.unref = (handle) => (handle as FileHandle).#unref();
  }

  /** @internal An open fd, held in `slot` of the held-fd table already, or held here (-1). */
  constructor(fd: number, slot = -1) {
    super();
    this.#fd = fd;
    this.#held = slot === -1 ? holdFd(fd) : slot;
    collectedHandles.register(this, { fd, slot: this.#held }, this);
  }

  /** The file descriptor, or -1 once closed. */
  get fd(): number {
    return this.#fd;
  }

  /**
   * node:fs/promises' fsCall: a method called on another object rejects with node:fs's internal
   * assertion, a closed handle is refused, and a reference is held while the operation runs.
   */
  static async #call<T>(handle: FileHandle, syscall: string, body: (fd: number) => Promise<T>): Promise<T> {
    // node:fs reads a private symbol of `this` first: null and undefined fail there.
    if (handle === null || handle === undefined) throw new TypeError(`Cannot read properties of ${handle} (reading 'Symbol(kRefs)')`);
    if (typeof handle !== 'object' || !(#fd in handle)) throw notAFileHandle();
    if (handle.#fd === -1) throw fileClosed(syscall);
    handle.#refs++;
    try {
      return await body(handle.#fd);
    } finally {
      handle.#unref();
    }
  }

  #unref(): void {
    if (--this.#refs === 0) {
      const fd = this.#fd;
      this.#fd = -1;
      this.#closeFd(fd).then(this.#closeResolve ?? undefined, this.#closeReject ?? undefined);
    }
  }

  /** Like FileHandle.read(buffer, offset, length, position) / read(buffer, options) / read(options). */
  read<T extends View = Buffer>(bufferOrOptions?: T | { buffer?: T; offset?: number; length?: number; position?: number | bigint | null } | null, offset?: number | null | { offset?: number; length?: number; position?: number | bigint | null }, length?: number | null, position?: number | bigint | null): Promise<{ bytesRead: number; buffer: T }> {
    return FileHandle.#call(this, 'read', async (fd) => {
      const a = readHandleArgs(bufferOrOptions, offset, length, position);
      if ('empty' in a) return result({ bytesRead: 0, buffer: a.empty as T });
      const bytesRead = await run(this.#ring, readSteps(fd, a.buffer, a.offset, a.length, a.position, this.#probe ??= needsStreamProbe(fd)));
      return result({ bytesRead: bytesRead || 0, buffer: a.buffer as T });
    });
  }

  /** Like FileHandle.write(buffer, offset?, length?, position?) / write(buffer, options) / write(string, position?, encoding?). */
  write<T extends View | string>(buffer: T, offsetOrOptions?: unknown, length?: unknown, position?: unknown): Promise<{ bytesWritten: number; buffer: T }> {
    return FileHandle.#call(this, 'write', async (fd) => {
      const a = writeHandleArgs(buffer, offsetOrOptions, length, position);
      if (a === null) return result({ bytesWritten: 0, buffer });
      const bytesWritten = await run(this.#ring, writeSteps(fd, a.buffer, a.offset, a.length, a.position, this.#probe ??= needsStreamProbe(fd)));
      return result({ bytesWritten: bytesWritten || 0, buffer });
    });
  }

  /** Like FileHandle.readv(buffers, position?). */
  readv<T extends View[]>(buffers: T, position?: number | null): Promise<{ bytesRead: number; buffers: T }> {
    return FileHandle.#call(this, 'readv', async (fd) => {
      const views = validateBufferArray(buffers);
      const bytesRead = await run(this.#ring, vectorSteps(false, fd, views, vectorPosition(position), this.#probe ??= needsStreamProbe(fd)));
      return result({ bytesRead: bytesRead || 0, buffers });
    });
  }

  /** Like FileHandle.writev(buffers, position?). */
  writev<T extends View[]>(buffers: T, position?: number | null): Promise<{ bytesWritten: number; buffers: T }> {
    return FileHandle.#call(this, 'writev', async (fd) => {
      const views = validateBufferArray(buffers);
      if (views.length === 0) return result({ bytesWritten: 0, buffers });
      const bytesWritten = await run(this.#ring, vectorSteps(true, fd, views, vectorPosition(position), this.#probe ??= needsStreamProbe(fd)));
      return result({ bytesWritten: bytesWritten || 0, buffers });
    });
  }

  /** Like FileHandle.stat(options?). */
  stat(options?: { bigint?: false }): Promise<Stats>;
  stat(options: { bigint: true }): Promise<BigIntStats>;
  stat(options: unknown = { bigint: false }): Promise<Stats | BigIntStats> {
    return FileHandle.#call(this, 'fstat', async (fd) => (await run(this.#ring, statSteps(fd, null, true, statOptions(options).bigint)))!);
  }

  /** Like FileHandle.sync() (fsync). */
  sync(): Promise<void> {
    return FileHandle.#call(this, 'fsync', (fd) => run(this.#ring, fsyncSteps(fd, false)));
  }

  /** Like FileHandle.datasync() (fdatasync). */
  datasync(): Promise<void> {
    return FileHandle.#call(this, 'fdatasync', (fd) => run(this.#ring, fsyncSteps(fd, true)));
  }

  /**
   * Like FileHandle.truncate(len?): ftruncate on the ring (where io_uring lacks it, before Linux
   * 6.9, node:fs's own ftruncate on the handle's fd, on libuv's pool), the handle held
   * open while it runs; arguments checked and errors shaped as node:fs's.
   */
  truncate(len?: number): Promise<void> {
    return FileHandle.#call(this, 'ftruncate', async (fd) => {
      const length = truncateLength(len);
      if (!(this.#ring ?? defaultRing()).takesFtruncate) return onNodeFs((cb) => fs.ftruncate(fd, length, cb));
      return run(this.#ring, ftruncateSteps(fd, length));
    });
  }

  /** Like FileHandle.chmod(mode): node:fs's own fchmod on the handle's fd. */
  chmod(mode: string | number): Promise<void> {
    return FileHandle.#call(this, 'fchmod', (fd) => onNodeFs((cb) => fs.fchmod(fd, mode, cb)));
  }

  /** Like FileHandle.chown(uid, gid): node:fs's own fchown on the handle's fd. */
  chown(uid: number, gid: number): Promise<void> {
    return FileHandle.#call(this, 'fchown', (fd) => onNodeFs((cb) => fs.fchown(fd, uid, gid, cb)));
  }

  /** Like FileHandle.utimes(atime, mtime): node:fs's own futimes on the handle's fd. */
  utimes(atime: string | number | Date, mtime: string | number | Date): Promise<void> {
    return FileHandle.#call(this, 'futimes', (fd) => onNodeFs((cb) => fs.futimes(fd, atime, mtime, cb)));
  }

  /** Like FileHandle.readFile(options?): the rest of the file from the current position. */
  readFile(options?: { encoding?: null; signal?: AbortSignal } | null): Promise<Buffer>;
  readFile(options: { encoding: BufferEncoding; signal?: AbortSignal } | BufferEncoding): Promise<string>;
  readFile(options?: { encoding?: BufferEncoding | null; signal?: AbortSignal } | BufferEncoding | null): Promise<Buffer | string>;
  readFile(options?: { encoding?: BufferEncoding | null; signal?: AbortSignal } | BufferEncoding | null): Promise<Buffer | string> {
    return FileHandle.#call(this, 'readFile', () => readFile(this, options));
  }

  /** Like FileHandle.writeFile(data, options?): writes at the current position. */
  writeFile(data: unknown, options?: unknown): Promise<void> {
    return FileHandle.#call(this, 'writeFile', () => writeFile(this, data, options));
  }

  /** Like FileHandle.appendFile(data, options?): as writeFile (at the current position). */
  appendFile(data: unknown, options?: unknown): Promise<void> {
    return FileHandle.#call(this, 'writeFile', () => writeFile(this, data, options));
  }

  /**
   * Close the fd on the handle's ring — or, when that ring was closed (before the close op, or
   * under it), with a direct close(2) on this thread: the fd of a FileHandle is never left open.
   */
  #closeFd(fd: number): Promise<void> {
    collectedHandles.unregister(this);
    return new Promise((resolve, reject) => closeHeldOn(this.#ring ?? defaultRing(), fd, this.#held, (err) => (err ? reject(err) : resolve())));
  }

  /**
   * Like FileHandle.close(): the fd is closed once the operations in flight have finished. On a
   * handle whose ring was closed, the fd is closed directly (its other methods reject).
   */
  close(): Promise<void> {
    if (this.#fd === -1) return Promise.resolve();
    if (this.#closePromise) return this.#closePromise;
    this.#refs--;
    if (this.#refs === 0) {
      const fd = this.#fd;
      this.#fd = -1;
      this.#closePromise = this.#closeFd(fd).finally(() => { this.#closePromise = null; });
    } else {
      this.#closePromise = new Promise<void>((resolve, reject) => {
        this.#closeResolve = resolve;
        this.#closeReject = reject;
      }).finally(() => {
        this.#closePromise = null;
        this.#closeResolve = null;
        this.#closeReject = null;
      });
    }
    // As node:fs/promises' FileHandle does: streams on it close then.
    this.emit('close');
    return this.#closePromise;
  }

  /**
   * Like FileHandle.createReadStream(options): a ReadStream of uringfs on this handle, its reads on
   * the handle's ring (lib/streams.ts). With `autoClose` (the default) it closes the handle.
   */
  createReadStream(options?: { encoding?: BufferEncoding | null; autoClose?: boolean; emitClose?: boolean; start?: number; end?: number; highWaterMark?: number; signal?: AbortSignal }): ReadStream {
    return new RingReadStream(undefined, { ...options, fd: this });
  }

  /** Like FileHandle.createWriteStream(options): a WriteStream of uringfs on this handle. */
  createWriteStream(options?: { encoding?: BufferEncoding | null; autoClose?: boolean; emitClose?: boolean; start?: number; highWaterMark?: number; flush?: boolean }): WriteStream {
    return new RingWriteStream(undefined, { ...options, fd: this });
  }

  /**
   * Like FileHandle.readableWebStream(options): a web `ReadableStream` of the file's bytes from the
   * current position, its reads those of this handle, on its ring. As the running Node makes it:
   * on Node 20 a byte stream with `{ type: 'bytes' }` and otherwise a stream of ArrayBuffers; from
   * Node 22.15 and 23.8 always a byte stream (another `type` warns); `autoClose: true` (Node 22.17,
   * 24.2 and later) closes the handle when the stream ends or is cancelled. A BYOB reader's reads go
   * straight into its view; with `autoClose` a default reader's chunks are read a few ahead. Throws
   * `ERR_INVALID_STATE` on a handle closed, closing, or that made one already; closing the handle
   * ends the stream. See docs/streams.md.
   */
  readableWebStream(options?: ReadableWebStreamOptions): ReadableStream {
    if (this.#fd === -1) throw invalidState('closed');
    if (this.#closePromise) throw invalidState('closing');
    if (this.#locked) throw invalidState('locked');
    this.#locked = true;
    return readableWebStream(this, options);
  }

  /** Like FileHandle.readLines(options): a readline Interface over {@link createReadStream}. */
  readLines(options?: Parameters<FileHandle['createReadStream']>[0]): Interface {
    return readline().createInterface({ input: this.createReadStream(options), crlfDelay: Infinity });
  }

  async [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/** Like fsPromises.open(path, flags?, mode?): resolves with a FileHandle. */
export async function open(path: PathLike, flags?: string | number, mode?: string | number): Promise<FileHandle> {
  return openOn(claimBoundRing(), path, flags, mode);
}

async function openOn(ring: Ring | undefined, path: PathLike, flags?: string | number, mode?: string | number): Promise<FileHandle> {
  const a = openArgs(path, flags, mode);
  // The handle takes over the fd's held-fd slot from the steps, in the same turn: never unlisted.
  return run(ring, openSteps(a.path, a.flags, a.mode), (fd, opened) => handleOn(fd, ring, opened.adopt(fd)));
}

/** Close after `op`, keeping op's error first (node:fs/promises' handleFdClose). */
async function closingAfter<T>(fh: FileHandle, op: Promise<T>): Promise<T> {
  let value: T;
  try {
    value = await op;
  } catch (err) {
    await fh.close();
    throw err;
  }
  await fh.close();
  return value;
}

/**
 * Like fsPromises.readFile(path | FileHandle, options?). A FileHandle is read from its current
 * position, on its own ring (the one it was opened on), whichever ring's `promises` this is; one
 * of node:fs/promises by node:fs/promises' own readFile, which holds it while it reads.
 */
export function readFile(path: PathLike | FileHandle | NodeFileHandle, options?: { encoding?: null; flag?: string | number; signal?: AbortSignal } | null): Promise<Buffer>;
export function readFile(path: PathLike | FileHandle | NodeFileHandle, options: { encoding: BufferEncoding; flag?: string | number; signal?: AbortSignal } | BufferEncoding): Promise<string>;
export function readFile(path: PathLike | FileHandle | NodeFileHandle, options?: { encoding?: BufferEncoding | null; flag?: string | number; signal?: AbortSignal } | BufferEncoding | null): Promise<Buffer | string>;
export function readFile(path: PathLike | FileHandle | NodeFileHandle, options?: unknown): Promise<Buffer | string> {
  const ring = claimBoundRing();
  if (path instanceof FileHandle) return readFileOn(ring, path, options);
  if (isNodeFileHandle(path)) return nodeOwn.readFile(path, options as Parameters<typeof nodeFsp.readFile>[1]);
  let merged: { on: Ring; path: string | Buffer; encoding: BufferEncoding | 'buffer' | undefined } | null = null;
  try {
    // The common case (a path, read-only, no signal, on io_uring) joins the other readFile calls
    // of this turn: one native op for all of them (lib/readfiles.ts), one promise per call.
    const o = getOptions(options, { flag: 'r' as unknown });
    const into = checkReadFileBufferOption(o);
    const encoding = (o.encoding || undefined) as BufferEncoding | 'buffer' | undefined;
    const on = into === undefined && (encoding === undefined || Buffer.isEncoding(encoding)) ? mergeableRing(ring, parseFlags(o.flag || 'r', 'options.flag'), o.signal as AbortSignal | undefined) : null;
    if (on !== null) merged = { on, path: validatePath(path), encoding };
  } catch {
    merged = null;  // the ordinary path reports it, as and when node:fs does
  }
  if (merged === null) return readFileOn(ring, path, options);
  const { on, path: p, encoding } = merged;
  return new Promise((resolve, reject) => {
    readFileInTurn(on, p, (outcome) => {
      if (outcome instanceof Error) reject(outcome);
      else resolve(encoding === undefined || encoding === 'buffer' ? outcome : outcome.toString(encoding));
    });
  });
}

async function readFileOn(ring: Ring | undefined, path: PathLike | FileHandle, options: unknown): Promise<Buffer | string> {
  const o = getOptions(options, { flag: 'r' as unknown });
  const into = checkReadFileBufferOption(o);
  const flag = o.flag || 'r';
  const encoding = o.encoding as Encoding | undefined;
  const signal = o.signal;
  const steps = (fd: number) => readFileSteps(fd, 0, encoding || undefined, signal, { encodingFirst: true, into });
  // A closed FileHandle's fd is -1, which node:fs's fstat refuses (in C++) as an argument.
  if (path instanceof FileHandle) return run(ringOfHandle(path), steps(validateFdNative(path.fd)));
  checkAborted(signal);
  const fh = await openOn(ring, path as PathLike, flag as string | number, 0o666);
  return closingAfter(fh, run(ring, steps(fh.fd)));
}

/** node:fs/promises' isCustomIterable: what writeFile takes besides strings and views. */
function isCustomIterable(obj: unknown): obj is Iterable<unknown> | AsyncIterable<unknown> {
  if (obj == null || isArrayBufferView(obj) || typeof obj === 'string') return false;
  const o = obj as Record<symbol, unknown>;
  return typeof o[Symbol.asyncIterator] === 'function' || typeof o[Symbol.iterator] === 'function';
}

/**
 * Write data (a view, or each chunk of an iterable) from `position`: -1, the current position (a
 * FileHandle the caller gave), or 0 for a file writeFile opened itself (see writeFileSteps in
 * lib/operations.ts: explicit positions do not depend on the file position io_uring leaves after a
 * short write).
 */
async function writeToHandle(ring: Ring | undefined, fd: number, data: View | Iterable<unknown> | AsyncIterable<unknown>, signal: AbortSignal | undefined, encoding: unknown, position = -1): Promise<void> {
  checkAborted(signal);
  const perWrite = signal === undefined ? Infinity : kAbortableChunk;
  if (isCustomIterable(data)) {
    for await (const chunk of data) {
      checkAborted(signal);
      const view = isArrayBufferView(chunk) ? chunk : Buffer.from(chunk as string, (encoding || 'utf8') as BufferEncoding);
      const written = await run(ring, writeAll(checkedWriteFd(fd), viewBytes(view), position, signal, perWrite));
      if (position >= 0) position += written;
      checkAborted(signal);
    }
    return;
  }
  // As in node:fs/promises, a detached buffer fails here (TypeError), once the file is open.
  const given = data as View;
  const view = new Uint8Array(given.buffer, given.byteOffset, given.byteLength);
  if (view.byteLength === 0) return;
  await run(ring, writeAll(checkedWriteFd(fd), view, position, signal, perWrite));
}

/**
 * The fd of a write as node:fs/promises' writeFile passes it to its binding: from Node 22 the
 * binding refuses a closed FileHandle's fd -1 (ERR_OUT_OF_RANGE) where Node 20's wrote and got EBADF.
 */
function checkedWriteFd(fd: number): number {
  return syncChecksFdLast('writeSync') ? validateFdNative(fd) : fd;
}

/**
 * Like fsPromises.writeFile(path | FileHandle, data, options?): data a string, a view, or an (async)
 * iterable of them. A FileHandle is written on its own ring, one of node:fs/promises by Node's own
 * writeFile, as in {@link readFile}.
 */
export async function writeFile(path: PathLike | FileHandle | NodeFileHandle, data: unknown, options?: unknown): Promise<void> {
  const ring = claimBoundRing();
  if (isNodeFileHandle(path)) return nodeOwn.writeFile(path, data as string, options as Parameters<typeof nodeFsp.writeFile>[2]);
  return writeFileOn(ring, path, data, options);
}

async function writeFileOn(ring: Ring | undefined, path: PathLike | FileHandle, data: unknown, options?: unknown): Promise<void> {
  const o = getOptions(options, { encoding: 'utf8' as unknown, mode: 0o666 as unknown, flag: 'w' as unknown, flush: false as unknown });
  const flag = o.flag || 'w';
  const flush = o.flush ?? false;
  validateBoolean(flush, 'options.flush');
  let bytes: View | Iterable<unknown> | AsyncIterable<unknown>;
  if (isArrayBufferView(data)) bytes = data;
  else if (isCustomIterable(data)) bytes = data;
  else if (typeof data === 'string') bytes = Buffer.from(data, (o.encoding || 'utf8') as BufferEncoding);
  else throw invalidArgType('data', ['string', 'Buffer', 'TypedArray', 'DataView'], data);
  validateAbortSignal(o.signal, 'options.signal');
  if (path instanceof FileHandle) return writeToHandle(ringOfHandle(path), path.fd, bytes, o.signal, o.encoding);
  checkAborted(o.signal);
  const fh = await openOn(ring, path as PathLike, flag as string | number, o.mode as string | number);
  let op = writeToHandle(ring, fh.fd, bytes, o.signal, o.encoding, 0);
  if (flush) op = op.then(() => fh.sync());
  return closingAfter(fh, op);
}

/** Like fsPromises.appendFile(path | FileHandle, data, options?): flag 'a' unless one is given. */
export async function appendFile(path: PathLike | FileHandle | NodeFileHandle, data: unknown, options?: unknown): Promise<void> {
  const ring = claimBoundRing();
  if (isNodeFileHandle(path)) return nodeOwn.appendFile(path, data as string, options as Parameters<typeof nodeFsp.appendFile>[2]);
  const o = copyObject(getOptions(options, { encoding: 'utf8' as unknown, mode: 0o666 as unknown, flag: 'a' as unknown }));
  o.flag = o.flag || 'a';
  return writeFileOn(ring, path, data, o);
}

/**
 * Like fsPromises.stat(path, options?); with `throwIfNoEntry: false`, resolves undefined for a
 * missing path where the running node:fs/promises does (Node 24).
 */
export async function stat(path: PathLike, options: unknown = { bigint: false, throwIfNoEntry: true }): Promise<Stats | BigIntStats> {
  const ring = claimBoundRing();
  const p = validatePath(path);
  const o = statOptions(options);
  const throwIfNoEntry = o.throwIfNoEntry || !(await promiseStatTakesThrowIfNoEntry());
  // Typed as node:fs/promises' stat is (its types leave out `throwIfNoEntry`).
  return (await run(ring, statSteps(null, p, true, o.bigint, throwIfNoEntry)))!;
}

/** Like fsPromises.lstat(path, options?). */
export async function lstat(path: PathLike, options: unknown = { bigint: false }): Promise<Stats | BigIntStats> {
  const ring = claimBoundRing();
  const p = validatePath(path);
  return (await run(ring, statSteps(null, p, false, statOptions(options).bigint)))!;
}

/**
 * Like fsPromises.access(path[, mode]). Whether the path exists (F_OK, the default) is a statx on
 * the ring; other modes (R_OK, W_OK, X_OK: access(2)'s permission check) are node:fs/promises' own.
 */
export async function access(path: PathLike, mode: number = fs.constants.F_OK): Promise<void> {
  const ring = claimBoundRing();
  if (!accessByStatx(mode)) return nodeOwn.access(path, mode);
  return run(ring, accessSteps(validatePath(path)));
}

/** Like fsPromises.unlink(path). */
export async function unlink(path: PathLike): Promise<void> {
  const ring = claimBoundRing();
  return run(ring, unlinkSteps(validatePath(path)));
}

/** Like fsPromises.rmdir(path[, options]). Without options, on the ring; with them, node:fs/promises' own. */
export async function rmdir(path: PathLike, options?: fs.RmDirOptions): Promise<void> {
  if (options !== undefined) return nodeOwn.rmdir(path, options);
  const ring = claimBoundRing();
  return run(ring, rmdirSteps(validatePath(path)));
}

/** Like fsPromises.rename(oldPath, newPath). */
export async function rename(oldPath: PathLike, newPath: PathLike): Promise<void> {
  const ring = claimBoundRing();
  const from = validatePath(oldPath, 'oldPath');
  const to = validatePath(newPath, 'newPath');
  return run(ring, renameSteps(from, to));
}

/**
 * Like fsPromises.truncate(path, len?): open 'r+', ftruncate (`len` checked after the open, as
 * node:fs checks it), close.
 */
export async function truncate(path: PathLike, len = 0): Promise<void> {
  const ring = claimBoundRing();
  if (!(ring ?? defaultRing()).takesFtruncate) return nodeOwn.truncate(path, len);
  return run(ring, truncateSteps(validatePath(path), len));
}

/** Like fsPromises.link(existingPath, newPath): a hard link. */
export async function link(existingPath: PathLike, newPath: PathLike): Promise<void> {
  const ring = claimBoundRing();
  const existing = validatePath(existingPath, 'existingPath');
  const to = validatePath(newPath, 'newPath');
  return run(ring, linkSteps(existing, to));
}

/** Like fsPromises.symlink(target, path, type?): `type` is checked as the running Node checks it, and means nothing on Linux. */
export async function symlink(target: PathLike, path: PathLike, type?: string | null): Promise<void> {
  const ring = claimBoundRing();
  checkSymlinkTypeFirst(type);
  const t = validatePath(target, 'target');
  const p = validatePath(path);
  checkSymlinkTypeLast(type);
  return run(ring, symlinkSteps(t, p));
}

/** Like fsPromises.mkdir(path, options?): with `recursive`, resolves with the first directory created. */
export async function mkdir(path: PathLike, options?: number | string | { recursive?: boolean; mode?: number | string }): Promise<string | undefined> {
  const ring = claimBoundRing();
  const a = mkdirPromiseArgs(path, options);
  return run(ring, mkdirSteps(a.path, a.mode, a.recursive));
}

/**
 * Like fsPromises.mkdtemp(prefix, options?): a new directory named `prefix` and six random
 * characters (mode 0o700); resolves with its path in `options.encoding`.
 */
export async function mkdtemp(prefix: PathLike, options?: fs.ObjectEncodingOptions | BufferEncoding | null): Promise<string>;
export async function mkdtemp(prefix: PathLike, options: fs.BufferEncodingOption): Promise<Buffer>;
export async function mkdtemp(prefix: PathLike, options?: fs.ObjectEncodingOptions | BufferEncoding | fs.BufferEncodingOption | null): Promise<string | Buffer>;
export async function mkdtemp(prefix: PathLike, options?: unknown): Promise<string | Buffer> {
  const ring = claimBoundRing();
  const a = mkdtempArgs(prefix, options);
  return run(ring, mkdtempSteps(a.prefix, a.encoding, false));
}
