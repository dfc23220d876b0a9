// createReadStream / createWriteStream, ReadStream / WriteStream: node:fs's own stream classes, given
// an `fs` option (the hook node:fs's streams have for it: open, read, write, writev, fsync, close)
// whose functions run on the ring. Node's classes keep every option, event and argument check
// exactly as the running Node has them, and `instanceof fs.ReadStream` holds; uringfs adds what
// the hook lets it: FileHandles of uringfs as `fd`, and reads ahead of the consumer. A FileHandle
// of node:fs/promises as `fd` is left to node:fs's class, which reads and writes with it.
import fs from 'node:fs';
import { Buffer } from 'node:buffer';
import { close, fsync, open, read, write, writev } from './callback.js';
import { releaseFd } from './held.js';
import { closeHeldOn, needsStreamProbe, openSteps, readSteps } from './operations.js';
import { defaultRing } from './ring.js';
import { runCallback } from './run.js';
import { withCode } from './errors.js';
import type { FileHandle as NodeFileHandle } from 'node:fs/promises';
import { handleRefs, type StreamHandle } from './handle-refs.js';
import { openCallbackArgs } from './args.js';
import { copyObject, isNodeFileHandle } from './validate.js';
import { callModule, moduleThis, replaced } from './replaced.js';

type Callback = (err: Error | null, ...values: any[]) => void;
type Options = Record<string, unknown>;

/**
 * @internal How many reads of `highWaterMark` bytes a read stream keeps in flight ahead of the one
 * its consumer asked for (0: none, one read at a time as node:fs does), and how many such reads all
 * streams together may have: with many streams at once, their own reads already keep the ring busy,
 * and reads ahead would only hold more memory (measured in docs/streams.md). For the bench and tests.
 */
export const streamReadAhead = { depth: 3, budget: 8 };
/** Reads ahead issued (or read) and not yet taken by their stream, or dropped and still in flight, over every stream. */
let aheadTotal = 0;
const releaseShare = (): void => { aheadTotal--; };

/**
 * @internal The same budget for the reads ahead of FileHandle.readableWebStream (lib/webstream.ts),
 * one share per read of up to 64 KiB: with many streams of both kinds at once, the ring is as busy
 * and the memory held as bounded as with one kind.
 */
export const readAheadShares = {
  /** Take one share, if all streams together hold fewer than the budget. */
  take(): boolean {
    if (aheadTotal >= streamReadAhead.budget) return false;
    aheadTotal++;
    return true;
  },
  /** Give `n` shares back. */
  give(n: number): void {
    aheadTotal -= n;
  },
};

/** A read the stream has not asked for yet, or has and waits on. */
interface Chunk {
  pos: number;
  len: number;
  buf: Buffer;
  done: boolean;
  err: Error | null;
  bytes: number;
  /** The stream's callback, once it asked for this chunk before it was read. */
  then: ((chunk: Chunk) => void) | null;
}

/** What node:fs throws for a FileHandle given with an `fs` option, and for open() on a FileHandle's ops. */
function methodNotImplemented(method: string): Error {
  return withCode(new Error(`The ${method} method is not implemented`), 'ERR_METHOD_NOT_IMPLEMENTED');
}

/** What a stream's `fs` reads of the stream: its `end` (reads) and whether it closes its fd itself. */
type StreamState = { end: number; destroyed: boolean; autoClose: boolean };

/**
 * The fd a stream opened from its path, listed as held (lib/held.ts) while the stream is the one to
 * close it: a worker terminated meanwhile has it closed by its teardown, as a FileHandle's is.
 */
class OwnedFd {
  /** Whether the stream opened its file itself, with uringfs's open. */
  ours = false;
  /** Its slot in the held-fd table, or -1 (not opened here, or no longer the stream's to close). */
  #slot = -1;
  #fd = -1;

  /**
   * Open as fs.open(path, flags, mode, cb) does (its checks, its callback), the fd held; through the
   * `open` the caller put on uringfs's default object if there is one (the fd is then not held).
   */
  open(path: string | Buffer, flags: string | number, mode: string | number, cb: Callback): void {
    const theirs = replaced('open', open);
    if (theirs !== undefined) return void Reflect.apply(theirs, moduleThis(), [path, flags, mode, cb]);
    // The fd is listed as held from the moment it comes.
    const a = openCallbackArgs(path, flags, mode);
    runCallback(defaultRing(), openSteps(a.path, a.flags, a.mode), (err: Error | null, opened?: { fd: number; slot: number }) => {
      if (err !== null) return cb(err);
      this.ours = true;
      this.#fd = opened!.fd;
      this.#slot = opened!.slot;
      cb(null, opened!.fd);
    }, (fd, held) => ({ fd, slot: held.adopt(fd) }));
  }

  /** After each read or write: with `autoClose` off, the stream will not close the fd, which is its user's to close. */
  check(stream: StreamState | null): void {
    if (this.#slot >= 0 && stream !== null && !stream.autoClose) this.#letGo();
  }

  /**
   * Close `fd` for the stream: through the `close` the caller put on uringfs's default object if
   * there is one (the fd is then no longer ours to list), else on the ring.
   */
  close(fd: number, cb: Callback): void {
    const theirs = replaced('close', close);
    if (theirs !== undefined || fd !== this.#fd) this.#letGo();
    if (theirs !== undefined) return void Reflect.apply(theirs, moduleThis(), [fd, cb]);
    if (this.#slot < 0) return close(fd, (err) => cb(err));
    const slot = this.#slot;
    this.#slot = -1;
    closeHeldOn(defaultRing(), fd, slot, (err) => cb(err));
  }

  #letGo(): void {
    if (this.#slot < 0) return;
    releaseFd(this.#slot);
    this.#slot = -1;
  }
}

/**
 * The `fs` of one read stream. Reads on a seekable file go at explicit positions — the stream's own
 * (`start`), or, on a file the stream opened itself, a cursor from 0 (the position such an fd has) —
 * so up to `depth` next chunks can be read while the consumer handles this one. Anything else (a
 * FIFO, a character device, an fd or FileHandle given without `start`) reads at the current
 * position, one read at a time, as node:fs does. The fd is closed only when no read is in flight,
 * and a chunk that ends the stream (EOF, an error) is handed over only then too, so an fd left open
 * (`autoClose: false`) has no read of ours on it once the stream has ended.
 */
class RingReads {
  readonly #handle: StreamHandle | null;
  readonly #depth: number;
  /** The fd, when the stream opened it itself (from a path). */
  readonly #fd = new OwnedFd();
  #seekable: boolean | undefined;
  /** On an fd of our own read at "the current position": where that is. */
  #cursor = 0;
  /** On an fd of our own, the kernel's position in it (our reads at positions leave it behind). */
  #kernelPos = 0;
  #inflight = 0;
  #idle: (() => void)[] = [];
  /** The reads issued ahead, in order of position. */
  #queue: Chunk[] = [];
  /** The position after the last read issued. */
  #next = 0;
  /** Whether the last chunk handed over was full (reading ahead is worth it). */
  #streaming = false;
  /** The length node:fs asked for last: the size of the reads ahead. */
  #lastLength = 0;
  #ended = false;
  #closing = false;
  /** Buffers node:fs's _read allocated for chunks that had already been read: the next reads ahead go there. */
  #spare: Buffer[] = [];
  /** The stream, for its `end`, `destroyed` and `autoClose`. */
  stream: StreamState | null = null;

  constructor(handle: StreamHandle | null) {
    this.#handle = handle;
    this.#depth = streamReadAhead.depth;
  }

  open = (path: string | Buffer, flags: string | number, mode: string | number, cb: Callback): void => {
    if (this.#handle !== null) throw methodNotImplemented('open()');
    this.#fd.open(path, flags, mode, cb);
  };

  read = (fd: number, buf: Buffer, offset: number, length: number, position: number | null | undefined, cb: Callback): void => {
    const theirs = this.#handle === null ? replaced('read', read) : undefined;
    if (theirs !== undefined) return this.#readTheirs(theirs, fd, buf, offset, length, position, cb);
    this.#seekable ??= !needsStreamProbe(fd);
    let pos: number;
    if (offset !== 0) pos = -1;  // never from node:fs's streams; read as asked
    else if (typeof position === 'number' && position >= 0 && this.#seekable) pos = position;
    else if ((position === undefined || position === null) && this.#fd.ours && this.#seekable) pos = this.#cursor;
    else pos = -1;
    if (pos === -1) {
      // At the current position (or a position node:fs will refuse for this fd): as node:fs reads.
      this.#readAt(fd, buf, offset, length, typeof position === 'number' ? position : -1, (err, n) => cb(err, n, buf));
      return;
    }
    const deliver = (chunk: Chunk): void => this.#deliver(fd, chunk, length, cb);
    const head = this.#queue[0];
    if (head !== undefined && head.pos === pos && head.len >= length) {
      this.#queue.shift();
      aheadTotal--;
      if (buf.length === head.len) this.#spare.push(buf);
      if (head.done) process.nextTick(deliver, head);
      else head.then = deliver;
    } else if (this.#ended) {
      // After a short chunk (the end of the file so far), the next read waits for the loop's next
      // turn, whose timers run first, as they do before node:fs's read comes back from libuv's pool:
      // a file still growing (a log being followed, by a timer) has the same chance to grow in
      // between. On io_uring a cached read completes at once, and would see the same end.
      this.#inflight++;
      setImmediate(() => setImmediate(() => {
        this.#inflight--;
        this.#issue(fd, pos, length, buf).then = deliver;
        this.#next = pos + length;
      }));
      return;
    } else {
      // Not what was read ahead (a first read, or the stream moved): those reads are dropped
      // (still counted until they finish), and this one goes to the kernel now.
      this.#drop();
      this.#issue(fd, pos, length, buf).then = deliver;
      this.#next = pos + length;
    }
    this.#ahead(fd);
  };

  close = (fd: number, cb: Callback): void => {
    this.#closing = true;
    this.#drop();
    this.#whenIdle(() => {
      if (this.#handle !== null) return closeHandle(this.#handle, cb);
      this.#fd.close(fd, cb);
    });
  };

  /**
   * A read through the `fs.read` the caller put on uringfs's default object, with node:fs's
   * arguments, one at a time. On an fd of our own, read so far at explicit positions, the kernel's
   * position is behind the stream's: such a read is given the stream's position instead.
   */
  #readTheirs(theirs: (...args: unknown[]) => unknown, fd: number, buf: Buffer, offset: number, length: number, position: number | null | undefined, cb: Callback): void {
    this.#drop();
    this.#streaming = false;
    const current = position === undefined || position === null;
    const behind = current && this.#fd.ours && this.#kernelPos !== this.#cursor;
    this.#inflight++;
    Reflect.apply(theirs, moduleThis(), [fd, buf, offset, length, behind ? this.#cursor : position, (err: Error | null, n: number, ...rest: unknown[]) => {
      if (!err && current && typeof n === 'number') {
        this.#cursor += n;
        if (!behind) this.#kernelPos += n;
      }
      this.#settled();
      cb(err, n, ...rest);
    }]);
  }

  /** Issue the reads ahead, up to `depth` of the chunk size, within the stream's `end`. */
  #ahead(fd: number): void {
    const stream = this.stream;
    if (!this.#streaming || this.#ended || this.#closing || stream === null || stream.destroyed) return;
    const size = this.#lastLength;
    while (this.#queue.length < this.#depth && aheadTotal < streamReadAhead.budget && this.#next <= stream.end) {
      const len = Math.min(size, stream.end - this.#next + 1);
      const spare = this.#spare.length > 0 && this.#spare[this.#spare.length - 1].length === len ? this.#spare.pop()! : Buffer.allocUnsafeSlow(len);
      this.#queue.push(this.#issue(fd, this.#next, len, spare));
      aheadTotal++;
      this.#next += len;
    }
  }

  /**
   * Forget the reads ahead. One still in flight stays counted in #inflight, and keeps its share of
   * the budget, until it finishes: the budget bounds the reads in flight over all streams.
   */
  #drop(): void {
    for (const chunk of this.#queue) {
      if (chunk.done) aheadTotal--;
      else chunk.then = releaseShare;
    }
    this.#queue.length = 0;
  }

  #deliver(fd: number, chunk: Chunk, length: number, cb: Callback): void {
    const bytes = Math.min(chunk.bytes, length);
    if (chunk.err !== null || chunk.bytes < chunk.len) {
      // The end of the file, or an error: the stream may end (and its fd be closed by its owner)
      // once this is handed over, so nothing of ours may still be reading it.
      this.#ended = true;
      this.#drop();
      this.#whenIdle(() => {
        if (chunk.err === null) this.#cursor = chunk.pos + bytes;
        cb(chunk.err, bytes, chunk.buf);
      });
      return;
    }
    this.#cursor = chunk.pos + bytes;
    this.#lastLength = length;
    this.#streaming = true;
    cb(null, bytes, chunk.buf);
    this.#ahead(fd);
  }

  #issue(fd: number, pos: number, len: number, buf: Buffer): Chunk {
    const chunk: Chunk = { pos, len, buf, done: false, err: null, bytes: 0, then: null };
    this.#readAt(fd, buf, 0, len, pos, (err, n) => {
      chunk.done = true;
      chunk.err = err;
      chunk.bytes = n;
      const then = chunk.then;
      chunk.then = null;
      then?.(chunk);
    });
    return chunk;
  }

  #readAt(fd: number, buf: Buffer, offset: number, length: number, position: number, cb: (err: Error | null, n: number) => void): void {
    this.#inflight++;
    const done = (err: Error | null, n: number): void => {
      this.#settled();
      cb(err, n);
    };
    if (this.#handle !== null) {
      this.#handle.read(buf, offset, length, position < 0 ? null : position).then((r) => done(null, r.bytesRead), (err: Error) => done(err, 0));
    } else {
      runCallback(defaultRing(), readSteps(fd, buf, offset, length, position, !this.#seekable), (err, n) => done(err, n ?? 0));
    }
  }

  /** A read of ours is over: what waited for none to be in flight runs. */
  #settled(): void {
    this.#fd.check(this.stream);
    if (--this.#inflight === 0 && this.#idle.length > 0) {
      const idle = this.#idle;
      this.#idle = [];
      for (const fn of idle) fn();
    }
  }

  #whenIdle(fn: () => void): void {
    if (this.#inflight === 0) fn();
    else this.#idle.push(fn);
  }
}

/** A stream lets go of the FileHandle it held and closes it (the last holder closes the fd). */
function closeHandle(handle: StreamHandle, cb: Callback): void {
  handleRefs.unref(handle);
  handle.close().then(() => cb(null), cb);
}

/** The `fs` of a write stream on a FileHandle of uringfs (node:fs's FileHandleOperations). */
function handleWrites(handle: StreamHandle): Options {
  return {
    open: () => { throw methodNotImplemented('open()'); },
    close: (fd: number, cb: Callback) => closeHandle(handle, cb),
    fsync: (fd: number, cb: Callback) => { handle.sync().then(() => cb(null), cb); },
    write: (fd: number, buf: Buffer, offset: number, length: number, pos: number | null | undefined, cb: Callback) => {
      handle.write(buf, offset, length, pos ?? null).then((r) => cb(null, r.bytesWritten, r.buffer), (err: Error) => cb(err, 0, buf));
    },
    writev: (fd: number, buffers: Buffer[], pos: number | null | undefined, cb: Callback) => {
      handle.writev(buffers, pos ?? null).then((r) => cb(null, r.bytesWritten, r.buffers), (err: Error) => cb(err, 0, buffers));
    },
  };
}

/** `ours`, or what the caller has put in its place on uringfs's default object, called as node:fs's stream calls it. */
function viaModule(name: string, ours: (...args: any[]) => void): (...args: unknown[]) => void {
  return (...args) => void callModule(name, ours, ...args);
}

/** The `fs` of a write stream on a path or an fd: uringfs's callback functions, or their replacements. */
class RingWrites {
  readonly #fd = new OwnedFd();
  /** The stream, for its `autoClose`. */
  stream: StreamState | null = null;

  open = (path: string | Buffer, flags: string | number, mode: string | number, cb: Callback): void => this.#fd.open(path, flags, mode, cb);
  close = (fd: number, cb: Callback): void => this.#fd.close(fd, cb);
  write = (...args: unknown[]): void => this.#call('write', write, args);
  writev = (...args: unknown[]): void => this.#call('writev', writev, args);
  fsync = viaModule('fsync', fsync);

  /** node:fs's call of `name`, whose callback (last) first looks at the stream's `autoClose`. */
  #call(name: string, ours: (...args: any[]) => void, args: unknown[]): void {
    const cb = args[args.length - 1] as Callback;
    args[args.length - 1] = (err: Error | null, ...values: unknown[]) => {
      this.#fd.check(this.stream);
      cb(err, ...values);
    };
    callModule(name, ours, ...args);
  }
}

/**
 * The options node:fs's class gets: the caller's, with an `fs` of uringfs unless they gave their
 * own or an fd that is node:fs's FileHandle, and a FileHandle of uringfs as its fd. Options node:fs
 * refuses are passed on untouched, so that it throws what it throws.
 */
function ringOptions(options: unknown, reads: boolean): { options: unknown; handle: StreamHandle | null; ops: RingReads | RingWrites | null } {
  let o: Options;
  if (options === null || options === undefined || typeof options === 'function') o = {};
  else if (typeof options === 'string') o = { encoding: options };
  else if (typeof options === 'object') o = copyObject(options);  // inherited options count, as in node:fs
  else return { options, handle: null, ops: null };
  const fd = o.fd;
  // Node's own FileHandle: node:fs's class reads and writes with it as Node does, holding it.
  if (isNodeFileHandle(fd)) return { options: o, handle: null, ops: null };
  if (handleRefs.isHandle(fd)) {
    if (o.fs) throw methodNotImplemented('FileHandle with fs');
    const ops = reads ? new RingReads(fd) : null;
    o.fs = ops ?? handleWrites(fd);
    o.fd = fd.fd;
    return { options: o, handle: fd, ops };
  }
  if (o.fs) return { options: o, handle: null, ops: null };
  const ops = reads ? new RingReads(null) : new RingWrites();
  o.fs = ops;
  return { options: o, handle: null, ops };
}

/** After node:fs's constructor accepted it: the stream holds the handle, and closes when it closes (as node:fs's importFd does). */
function attach(stream: fs.ReadStream | fs.WriteStream, handle: StreamHandle | null, ops: RingReads | RingWrites | null): void {
  if (ops !== null) ops.stream = stream as unknown as StreamState;
  if (handle !== null) {
    handleRefs.ref(handle);
    handle.on('close', () => stream.close());
  }
}

/**
 * A subclass of node:fs's stream class `Base` (callable with or without `new`, as node:fs's are)
 * whose options get the ring's `fs` (ringOptions) and which holds a FileHandle given as `fd`.
 */
function ringStreamClass<T extends fs.ReadStream | fs.WriteStream>(Base: typeof fs.ReadStream | typeof fs.WriteStream, reads: boolean, name: string): unknown {
  const base = Base as unknown as (this: unknown, path: unknown, options: unknown) => void;
  const RingStream = function (this: unknown, path: unknown, options?: unknown): T {
    if (!(this instanceof RingStream)) return new (RingStream as unknown as new (p: unknown, o: unknown) => T)(path, options);
    const r = ringOptions(options, reads);
    Reflect.apply(base, this, [path, r.options]);
    attach(this as T, r.handle, r.ops);
    return this as T;
  };
  Object.defineProperty(RingStream, 'name', { value: name });
  Object.setPrototypeOf(RingStream.prototype, Base.prototype);
  Object.setPrototypeOf(RingStream, Base);
  return RingStream;
}

/**
 * uringfs's ReadStream class: like fs.ReadStream, with its I/O on the ring — node:fs's class
 * (`instanceof fs.ReadStream` holds), with every option, event and error as the running Node has
 * them. `fd` may be a number or a FileHandle (of uringfs, or of node:fs/promises: then node:fs's own
 * reads). Reads a few chunks ahead on a seekable file
 * (docs/streams.md). `new ReadStream(path, options)`.
 */
const ReadStreamClass = ringStreamClass<fs.ReadStream>(fs.ReadStream, true, 'ReadStream') as typeof fs.ReadStream & (new (path: fs.PathLike | null | undefined, options?: unknown) => fs.ReadStream);
/**
 * uringfs's WriteStream class: like fs.WriteStream, with its I/O on the ring — node:fs's class
 * (`instanceof fs.WriteStream` holds), with every option, event and error as the running Node has
 * them. `fd` may be a number or a FileHandle (of uringfs, or of node:fs/promises: then node:fs's own
 * writes). `new WriteStream(path, options)`.
 */
const WriteStreamClass = ringStreamClass<fs.WriteStream>(fs.WriteStream, false, 'WriteStream') as typeof fs.WriteStream & (new (path: fs.PathLike | null | undefined, options?: unknown) => fs.WriteStream);
export { ReadStreamClass as ReadStream, WriteStreamClass as WriteStream };
/** The type of node:fs's `fs.ReadStream`, which uringfs's ReadStream is. */
export type ReadStream = fs.ReadStream;
/** The type of node:fs's `fs.WriteStream`, which uringfs's WriteStream is. */
export type WriteStream = fs.WriteStream;

type ReadStreamOptions = Parameters<typeof fs.createReadStream>[1];
type WriteStreamOptions = Parameters<typeof fs.createWriteStream>[1];
type StreamFd = number | StreamHandle | NodeFileHandle;

/**
 * Like fs.createReadStream(path, options): a {@link ReadStream} whose reads run on the ring. `fd`
 * may be a number or a FileHandle (of node:fs/promises: read by node:fs's own); an `fs` option of the caller's is used as node:fs
 * uses it.
 */
export function createReadStream(path: fs.PathLike | null | undefined, options?: BufferEncoding | (Omit<Exclude<ReadStreamOptions, string | undefined>, 'fd'> & { fd?: StreamFd })): fs.ReadStream {
  return new ReadStreamClass(path, options);
}

/**
 * Like fs.createWriteStream(path, options): a {@link WriteStream} whose writes run on the ring. `fd`
 * may be a number or a FileHandle (of node:fs/promises: written by node:fs's own); an `fs` option of the caller's is used as node:fs
 * uses it.
 */
export function createWriteStream(path: fs.PathLike | null | undefined, options?: BufferEncoding | (Omit<Exclude<WriteStreamOptions, string | undefined>, 'fd'> & { fd?: StreamFd })): fs.WriteStream {
  return new WriteStreamClass(path, options);
}

/** node:fs's deprecated alias of ReadStream, as uringfs's ReadStream. */
export const FileReadStream = ReadStreamClass;
/** The type of node:fs's `fs.ReadStream`. */
export type FileReadStream = fs.ReadStream;
/** node:fs's deprecated alias of WriteStream, as uringfs's WriteStream. */
export const FileWriteStream = WriteStreamClass;
/** The type of node:fs's `fs.WriteStream`. */
export type FileWriteStream = fs.WriteStream;
