// FileHandle.readableWebStream: a web ReadableStream over a FileHandle of uringfs, made as the
// running Node makes its own (the versions differ: webStreamRules), whose reads are the handle's
// own read and readv, on its ring. A BYOB reader's reads go straight into its view; a default
// reader gets chunks of 16 KiB, as Node's, read 64 KiB at a time and a few reads ahead where the
// file position cannot be seen afterwards (the handle closes with the stream: `autoClose`).
import { Buffer } from 'node:buffer';
import { readFileSync } from 'node:fs';
import type { ReadableStream, ReadableByteStreamController, ReadableStreamDefaultController } from 'node:stream/web';
import { webStreams } from './builtins.js';
import { invalidArgType } from './errors.js';
import { handleRefs, type StreamHandle } from './handle-refs.js';
import { needsStreamProbe } from './operations.js';
import { readAheadShares, streamReadAhead } from './streams.js';
import { validateBoolean, validateObject } from './validate.js';

/** The chunk a default reader gets: Node's autoAllocateChunkSize. */
const kChunk = 16 * 1024;
/** Chunks per read when reading for a default reader: one readv fills 4 chunks. */
const kChunksPerRead = 4;
/** Node 20's stream of ArrayBuffers reads 64 KiB at a time (its FileHandle's StreamBase reads). */
const kArrayBufferChunk = 64 * 1024;

export interface WebStreamRules {
  /** Always a byte stream; `options` an object, a `type` other than 'bytes' only warns. */
  bytesOnly: boolean;
  /** The `autoClose` option. */
  autoClose: boolean;
}

let rules: WebStreamRules | undefined;

/**
 * Which readableWebStream the running Node has. A FileHandle of node:fs cannot be had without
 * opening a file and waiting for it, so this goes by Node's version, from Node's changelog (20.20,
 * 22.23 and 24.21 checked against the real thing): a byte stream always from 22.15 and 23.8, the
 * `autoClose` option from 22.17 and 24.2; before, Node 20's, where `type: 'bytes'` asks for a byte
 * stream and anything else gives a stream of ArrayBuffers.
 */
export function webStreamRules(): WebStreamRules {
  if (rules === undefined) {
    const [major, minor] = process.versions.node.split('.').map(Number);
    rules = {
      bytesOnly: major >= 24 || (major === 23 && minor >= 8) || (major === 22 && minor >= 15),
      autoClose: major >= 25 || (major === 24 && minor >= 2) || (major === 22 && minor >= 17),
    };
  }
  return rules;
}

/** The file position of `fd` (of its open file description), from /proc; undefined where it cannot say. */
function filePosition(fd: number): number | undefined {
  try {
    const m = /^pos:\s*(\d+)$/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'latin1'));
    return m === null ? undefined : Number(m[1]);
  } catch {
    return undefined;
  }
}

/** One readv of chunks for a default reader: asked for now, or ahead of the reader. */
interface Read {
  pos: number;
  len: number;
  /** Each chunk its own ArrayBuffer: enqueue() transfers a chunk's buffer. */
  bufs: Buffer[];
  /** Chunks handed over. */
  taken: number;
  /** Whether it holds a share of the read-ahead budget (until it is the one being handed over). */
  share: boolean;
  bytes: Promise<number>;
}

/** The underlying source: what the stream reads with, and when it lets go of the handle. */
class Source {
  readonly #handle: StreamHandle;
  readonly #autoClose: boolean;
  /** Node 20's stream of ArrayBuffers: a cancel closes the fd (its StreamBase's shutdown does). */
  readonly #closeOnCancel: boolean;
  #controller: ReadableByteStreamController | ReadableStreamDefaultController | null = null;
  /** Done with the handle: ended, cancelled, failed, or closed with it. No read starts after. */
  #finished = false;
  #released = false;
  /**
   * Where the next byte the reader gets is, when reads go at explicit positions (reading ahead);
   * -1: each read at the current file position, one at a time, as Node reads; undefined: not
   * decided yet (at the first read).
   */
  #pos: number | undefined;
  /** Reads for a default reader in position order: the first is being handed over, the rest are ahead. */
  #queue: Read[] = [];
  /** Where the next read ahead goes. */
  #next = 0;
  /** The last read came back full: reading ahead is worth it (a short one is the end of the file). */
  #streaming = false;
  /** A pull is running (its read may be writing into a BYOB reader's view). */
  #pulling = false;
  /** Reads issued ahead and not finished, those dropped too (each holds the handle until it finishes). */
  readonly #inFlight = new Set<Promise<unknown>>();

  constructor(handle: StreamHandle, autoClose: boolean, closeOnCancel: boolean) {
    this.#handle = handle;
    this.#autoClose = autoClose;
    this.#closeOnCancel = closeOnCancel;
  }

  start = (controller: ReadableByteStreamController | ReadableStreamDefaultController): void => {
    this.#controller = controller;
  };

  pullBytes = async (controller: ReadableByteStreamController): Promise<void> => {
    this.#pulling = true;
    try {
      const request = controller.byobRequest;
      if (request !== null) {
        // A BYOB reader: straight into its view, where the reader is.
        const v = request.view!;
        const view = new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
        this.#drop();
        const n = await this.#readInto(view);
        if (n === 0 && !this.#finished) await this.#idle();
        if (this.#finished) {
          // Closed with the handle: the reader's read ends (after a cancel there is no request).
          try { request.respond(0); } catch { /* invalidated by a cancel */ }
          return;
        }
        if (n === 0) {
          controller.close();
          await this.#done();
          request.respond(0);
          return;
        }
        request.respond(n);
        return;
      }
      const chunk = await this.#nextChunk();
      if (this.#finished) return;
      if (chunk === null) {
        controller.close();
        await this.#done();
        return;
      }
      controller.enqueue(chunk);
    } catch (err) {
      this.#fail();
      throw err;
    } finally {
      this.#pulling = false;
    }
  };

  pullArrayBuffers = async (controller: ReadableStreamDefaultController): Promise<void> => {
    try {
      const buf = new Uint8Array(new ArrayBuffer(kArrayBufferChunk));
      const { bytesRead } = await this.#handle.read(buf, 0, buf.length, null);
      if (this.#finished) return;
      if (bytesRead === 0) {
        controller.close();
        await this.#done();
        return;
      }
      controller.enqueue(bytesRead === buf.length ? buf.buffer : buf.buffer.slice(0, bytesRead));
    } catch (err) {
      this.#fail();
      throw err;
    }
  };

  cancel = async (): Promise<void> => {
    if (this.#finished) return;
    if (this.#closeOnCancel) {
      this.#finish();
      await this.#handle.close();
      return;
    }
    await this.#done();
  };

  /** The handle's 'close': the stream ends, as Node cancels its own (a pending read ends, done). */
  onHandleClose = (): void => {
    if (this.#finished) return;
    this.#finish();
    const controller = this.#controller;
    try {
      controller?.close();
      // A BYOB read asked for with no pull running (the stream calls none once closed): it ends
      // here. One that a pull is reading into ends when that read has finished with the view.
      if (!this.#pulling && controller !== null && 'byobRequest' in controller) controller.byobRequest?.respond(0);
    } catch {
      // Already closed, or a BYOB read with part of an element: the stream has ended either way.
    }
  };

  /** The end of the file, or a cancel: let go of the handle, and close it with `autoClose`. */
  async #done(): Promise<void> {
    this.#finish();
    if (this.#autoClose) await this.#handle.close();
  }

  /**
   * A read failed: the stream errors with it. Node's stream keeps its hold on the handle then, and
   * the handle's close() never settles; this one lets go (the fd stays open, as in Node).
   */
  #fail(): void {
    if (!this.#finished) this.#finish();
  }

  #finish(): void {
    this.#finished = true;
    this.#drop();
    if (this.#released) return;
    this.#released = true;
    this.#handle.off('close', this.onHandleClose);
    handleRefs.unref(this.#handle);
  }

  /**
   * At the first read: read ahead at explicit positions only where the file position cannot be
   * seen once the stream is done — with autoClose the handle closes then — on a seekable file
   * whose position /proc tells. Elsewhere each read is at the current position, as Node's.
   */
  #decide(): number {
    if (this.#pos !== undefined) return this.#pos;
    this.#pos = -1;
    const fd = this.#handle.fd;
    if (this.#autoClose && streamReadAhead.depth > 0 && fd !== -1 && !needsStreamProbe(fd)) this.#pos = filePosition(fd) ?? -1;
    return this.#pos;
  }

  async #readInto(view: Uint8Array): Promise<number> {
    const pos = this.#decide();
    const { bytesRead } = await this.#handle.read(view, 0, view.byteLength, pos === -1 ? null : pos);
    if (pos !== -1 && this.#pos === pos) this.#pos = pos + bytesRead;
    return bytesRead;
  }

  /** The next chunk for a default reader, or null at the end of the file. */
  async #nextChunk(): Promise<Uint8Array | null> {
    if (this.#decide() === -1) {
      const buf = new Uint8Array(new ArrayBuffer(kChunk));
      const n = await this.#readInto(buf);
      return n === 0 ? null : buf.subarray(0, n);
    }
    const head = this.#queue[0] ?? this.#issue(this.#pos!, false);
    this.#ahead();
    const n = await head.bytes;
    if (this.#finished) return null;
    if (n === 0) {
      this.#drop();
      // The end is handed over once no read of ours is left: the handle's close() (autoClose) then
      // closes the fd at once, as Node's does, and nothing of ours reads a file whose stream ended.
      await this.#idle();
      return null;
    }
    const off = head.taken * kChunk;
    const len = Math.min(kChunk, n - off);
    const buf = head.bufs[head.taken++];
    this.#pos! += len;
    if (n < head.len) {
      // A short read: the end of the file as it ran. The reads ahead went past it; the next read
      // goes where this one stopped, and finds the end (0 bytes) or what was appended since.
      this.#streaming = false;
      if (off + len >= n) this.#drop();
    } else {
      this.#streaming = true;
      if (head.taken === head.bufs.length) {
        this.#queue.shift();
        this.#unshare(this.#queue[0]);
      }
      this.#ahead();
    }
    return new Uint8Array(buf.buffer, buf.byteOffset, len);
  }

  #issue(pos: number, share: boolean): Read {
    const bufs = Array.from({ length: kChunksPerRead }, () => Buffer.allocUnsafeSlow(kChunk));
    const bytes = this.#handle.readv(bufs, pos).then((r) => r.bytesRead);
    // A read dropped before it finished: its outcome is nobody's.
    const settled = bytes.then(() => {}, () => {});
    this.#inFlight.add(settled);
    void settled.then(() => this.#inFlight.delete(settled));
    const read: Read = { pos, len: kChunk * kChunksPerRead, bufs, taken: 0, share, bytes };
    this.#queue.push(read);
    this.#next = pos + read.len;
    return read;
  }

  /** Keep up to `depth` reads ahead of the one being handed over, within the budget of all streams. */
  #ahead(): void {
    if (!this.#streaming || this.#finished) return;
    while (this.#queue.length <= streamReadAhead.depth && readAheadShares.take()) this.#issue(this.#next, true);
  }

  async #idle(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.all(this.#inFlight);
  }

  #unshare(read: Read | undefined): void {
    if (read?.share) {
      read.share = false;
      readAheadShares.give(1);
    }
  }

  /**
   * Forget the reads queued: those still in flight finish on their own (each holds the handle),
   * and keep their share of the budget until they do, so that the budget bounds the reads in flight.
   */
  #drop(): void {
    for (const read of this.#queue) {
      if (!read.share) continue;
      read.share = false;
      const release = (): void => readAheadShares.give(1);
      void read.bytes.then(release, release);
    }
    this.#queue.length = 0;
  }
}

/**
 * FileHandle.readableWebStream(options) of a handle the caller has checked (not closed, closing or
 * locked) and locked: the options as the running Node takes them, then the stream, which holds the
 * handle until it is done with it and ends when the handle is closed.
 */
export function readableWebStream(handle: StreamHandle, options: unknown = {}): ReadableStream {
  const r = webStreamRules();
  let bytes = true;
  let autoClose = false;
  if (r.bytesOnly) {
    validateObject(options, 'options');
    const o = options as { type?: unknown; autoClose?: unknown };
    // Defaults as destructuring gives them: for undefined only.
    const type = o.type === undefined ? 'bytes' : o.type;
    if (r.autoClose) {
      const given = o.autoClose === undefined ? false : o.autoClose;
      validateBoolean(given, 'options.autoClose');
      autoClose = given;
    }
    if (type !== 'bytes') {
      process.emitWarning('A non-"bytes" options.type has no effect. A byte-oriented steam is always created.', 'ExperimentalWarning');
    }
  } else {
    // Node 20 reads `type` off whatever it was given: null throws the TypeError property access throws.
    const type = (options as { type?: unknown }).type;
    if (type !== undefined && typeof type !== 'string') throw invalidArgType('options.type', 'string', type);
    bytes = type === 'bytes';
  }
  const source = new Source(handle, autoClose, !bytes);
  const { ReadableStream } = webStreams();
  const stream = bytes
    ? new ReadableStream({ type: 'bytes', start: source.start, pull: source.pullBytes, cancel: source.cancel })
    // Node 20's default queue of one chunk: as its StreamBase, one read ahead of the reader.
    : new ReadableStream<ArrayBuffer>({ start: source.start, pull: source.pullArrayBuffers, cancel: source.cancel });
  handleRefs.ref(handle);
  handle.on('close', source.onHandleClose);
  return stream as ReadableStream;
}
