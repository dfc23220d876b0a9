// Whole-file reads of many files at once. Each file goes open → statx →
// read (continued after short reads) → close as its own small state machine
// of raw Ops; the ring's per-turn flush puts every file's next step into one
// io_uring_enter, so N files cost a handful of syscalls, not 4N.
// On the thread pool, where every op is a cross-thread hand-off, a file is
// one fused op instead (open + fstat + read + close on one worker: see
// startFused); only files it does not read by itself take the steps above.
import { Buffer } from 'node:buffer';
import { constants, readFileSync } from 'node:fs';
import { binding } from './binding.js';
import { fileBuffer } from './memory.js';
import { closeHeldFd, keepCarried, releaseFd } from './held.js';
import { invalidArgType, ringClosed } from './errors.js';
import { AT_EMPTY_PATH, closeOp, HANDED_OVER, openOp, readFilesOp, readOp, readWholeOp, STATX_MASK, STATX_SIZE, statxOp, type Op } from './op.js';
import { defaultRing, ECANCELED, resultError, RING_CLOSED, RING_LOST, type Ring } from './ring.js';
import { fileTooLarge, ringLost } from './errors.js';
import { claimBoundRing } from './run.js';
import type { Outcome } from './batch.js';
import { statxTypeAndSize } from './stats.js';
import { kIoMaxLength, parseFlags, pathBytes, validateEncoding, validatePath, type Encoding, type PathLike } from './validate.js';

export interface ReadFilesOptions {
  /** Decode each file with this encoding (strings instead of Buffers). */
  encoding?: BufferEncoding | null;
  /** Open flags (default 'r'). */
  flag?: string | number;
  /** Report every file's outcome ({ ok, value } / { ok, error }) instead of failing on the first error. */
  settle?: boolean;
  /** The ring to use (default: the ring of `ring.promises` / `ring.callbacks` when called through one, else this environment's). */
  ring?: Ring;
}

// Small files are carved from shared slabs, like Node's own Buffer pool but
// for larger sizes: allocating a fresh 4 KiB Buffer costs more than reading
// the file. The trade-off: a Buffer kept alive keeps its slab alive.
const kSlabSize = 1024 * 1024;
const kSlabMaxFile = 64 * 1024;
const kUnknownSizeChunk = 64 * 1024;
const DIRECT_FSTAT = process.env.URINGFS_READFILES_STATX !== 'ring';
/** native ReadWholeFile's answer for a file it left to the ordinary ops (fd open). */
const FUSED_STAGES = ['open', 'fstat', 'read', 'close'] as const;
/** The room given to a file before any size is known, and the step sizes are rounded to. */
const kFirstGuess = 16 * 1024;
const kGuessStep = 4096;

/** Files carved from a slab start 64 bytes apart (a copy to or from a destination off by 8 bytes is several times slower on some CPUs). */
function alignUp(n: number): number {
  return (n + 63) & ~63;
}

class SlabAllocator {
  #slab: Buffer | null = null;
  #used = 0;

  alloc(size: number, largeMemory: boolean): Buffer {
    if (size > kSlabMaxFile) return fileBuffer(size, largeMemory);
    const offset = this.reserve(alignUp(size));
    return this.slab.subarray(offset, offset + size);
  }

  /** The slab the last reserve() carved from. */
  get slab(): Buffer {
    return this.#slab!;
  }

  /** Room for up to `capacity` (<= kSlabMaxFile) bytes: its offset in `slab`. */
  reserve(capacity: number): number {
    if (this.#slab === null || this.#used + capacity > kSlabSize) {
      // Uninitialized memory, as Buffer.allocUnsafe gives: the kernel
      // overwrites it, and a zero-filled `new ArrayBuffer` would cost a
      // memset (and fresh pages) per slab.
      this.#slab = Buffer.allocUnsafeSlow(kSlabSize);
      this.#used = 0;
    }
    const offset = this.#used;
    this.#used += capacity;
    return offset;
  }

  /** `used` of `capacity` bytes reserved at `offset` hold data: the rest goes back if nothing was reserved after it. */
  trim(slab: Buffer, offset: number, capacity: number, used: number): void {
    if (slab === this.#slab && this.#used === offset + capacity) this.#used = offset + alignUp(used);
  }
}

/** One file's progress through open → statx → read → close. */
class FileRead {
  fd = -1;
  /** The fd's slot in the held-fd table (lib/held.ts) while it is open. */
  held = -1;
  size = 0;
  filled = 0;
  data: Buffer | null = null;
  chunks: Buffer[] | null = null;
  error: Error | null = null;
  constructor(readonly path: string | Buffer, readonly index: number) {}
}

interface Job {
  ring: Ring;
  flags: number;
  sync: boolean;
  slabs: SlabAllocator;
  /** fstat by direct syscall (see start()); else IORING_OP_STATX. */
  directFstat: boolean;
  /** Output of the direct fstat, reused file after file. */
  statx: Buffer;
  /** On the thread pool: each file as one fused op (open+fstat+read+close on a worker); [stage, fd] pairs by file index. */
  fused: Int32Array | null;
  /** Room given to the next fused file: the largest size seen so far, rounded up (kFirstGuess until one is seen). */
  guess: number;
  largest: number;
  onFileDone(file: FileRead): void;
}

let fdLimit: number | undefined;

/** The soft RLIMIT_NOFILE of this process (read once; Node has no getrlimit). */
function softFdLimit(): number {
  if (fdLimit === undefined) {
    const m = /^Max open files\s+(\d+|unlimited)/m.exec(readFileSync('/proc/self/limits', 'latin1'));
    fdLimit = m === null || m[1] === 'unlimited' ? 1 << 20 : Number(m[1]);
  }
  return fdLimit;
}

/**
 * Files open at once: enough to fill the CQ with every file's next step,
 * few enough that thousands of paths never run into RLIMIT_NOFILE (EMFILE):
 * at most a quarter of the process's fd limit, leaving the rest to others.
 */
function openWindow(ring: Ring): number {
  return Math.max(1, Math.min(ring.cqEntries >> 1, softFdLimit() >> 2));
}

/** Start the first files, and each next one as one finishes: files in flight stay within the window. */
function runFiles(job: Job, files: FileRead[], onFileDone: (file: FileRead) => void): void {
  let next = 0;
  job.onFileDone = (file) => {
    onFileDone(file);
    if (next < files.length) start(job, files[next++]);
  };
  const first = Math.min(files.length, openWindow(job.ring));
  while (next < first) start(job, files[next++]);
}

function send(job: Job, op: Op, done: (result: number) => void): void {
  op.sync = job.sync;
  op.done = done;
  job.ring.submit(op);
}

function start(job: Job, file: FileRead): void {
  if (job.fused !== null) return startFused(job, file, job.fused);
  const open = openOp(pathBytes(file.path), job.flags, 0o666);
  send(job, open, (fd) => {
    if (fd < 0) {
      file.error = resultError(fd, 'open', file.path);
      job.onFileDone(file);
      return;
    }
    file.fd = fd;
    file.held = keepCarried(open.heldSlot, fd);
    if (job.directFstat) {
      // statx on a file just opened reads its in-memory inode: a direct
      // syscall (~0.3 µs) instead of IORING_OP_STATX, which the kernel always
      // hands to an io-wq worker thread (a cross-thread round trip per file).
      sized(job, file, binding.sync.statx(fd, null, AT_EMPTY_PATH, STATX_MASK, job.statx), job.statx);
    } else {
      const st = statxOp(fd, null, 0);
      send(job, st, (r) => sized(job, file, r, st.scratch!));
    }
  });
}

/**
 * One hand-off for the whole file: a worker opens, fstats, reads into slab room
 * of `job.guess` bytes, closes. A file it does not read (larger than the room,
 * not regular, size 0) comes back open and goes on as the ordinary path does.
 */
function startFused(job: Job, file: FileRead, status: Int32Array): void {
  const capacity = job.guess;
  const offset = job.slabs.reserve(capacity);
  const slab = job.slabs.slab;
  const whole = readWholeOp(pathBytes(file.path), job.flags, slab, offset, capacity, status, file.index);
  send(job, whole, (n) => {
    if (n >= 0) {
      job.slabs.trim(slab, offset, capacity, n);
      noteSize(job, n);
      file.data = slab.subarray(offset, offset + n);
      job.onFileDone(file);
      return;
    }
    job.slabs.trim(slab, offset, capacity, 0);
    if (n !== HANDED_OVER) {
      const stage = FUSED_STAGES[status[2 * file.index]] ?? 'open';
      file.error = resultError(n, stage, stage === 'open' ? file.path : undefined);
      job.onFileDone(file);
      return;
    }
    file.fd = status[2 * file.index + 1];
    file.held = keepCarried(whole.heldSlot, file.fd);
    const r = binding.sync.statx(file.fd, null, AT_EMPTY_PATH, STATX_MASK, job.statx);
    if (r >= 0) {
      const { isFile, size } = statxTypeAndSize(job.statx);
      if (isFile) noteSize(job, size);
    }
    sized(job, file, r, job.statx);
  });
}

function noteSize(job: Job, size: number): void {
  if (size <= job.largest) return;
  job.largest = size;
  job.guess = Math.min(kSlabMaxFile, Math.max(kGuessStep, Math.ceil(size / kGuessStep) * kGuessStep));
}

/** With the file's statx: a buffer of its size, or chunks when the size is unknown (0: /proc, pipes). */
function sized(job: Job, file: FileRead, result: number, statx: Buffer): void {
  if (result < 0) return fail(job, file, resultError(result, 'fstat'));
  const { isFile, size } = statxTypeAndSize(statx);
  if (isFile && size > kIoMaxLength) {
    return fail(job, file, Object.assign(new RangeError(`File size (${size}) is greater than 2 GiB`), { code: 'ERR_FS_FILE_TOO_LARGE' }));
  }
  if (isFile && size > 0) {
    file.size = size;
    file.data = job.slabs.alloc(size, !job.sync);
  } else {
    file.chunks = [];
  }
  readMore(job, file);
}

function readMore(job: Job, file: FileRead): void {
  const known = file.chunks === null;
  const target = known ? file.data! : Buffer.allocUnsafe(kUnknownSizeChunk);
  const offset = known ? file.filled : 0;
  const length = known ? file.size - file.filled : target.length;
  send(job, readOp(file.fd, target, offset, length, known ? file.filled : -1), (n) => {
    if (n < 0) return fail(job, file, resultError(n, 'read'));
    if (known) {
      file.filled += n;
      if (n > 0 && file.filled < file.size) return readMore(job, file);
      if (file.filled < file.size) file.data = file.data!.subarray(0, file.filled);  // it shrank
    } else if (n > 0) {
      file.chunks!.push(n < target.length ? target.subarray(0, n) : target);
      file.filled += n;
      if (file.filled > kIoMaxLength) return fail(job, file, Object.assign(new RangeError('File size is greater than 2 GiB'), { code: 'ERR_FS_FILE_TOO_LARGE' }));
      return readMore(job, file);
    } else {
      file.data = Buffer.concat(file.chunks!, file.filled);
    }
    finishFile(job, file);
  });
}

function fail(job: Job, file: FileRead, error: Error): void {
  file.error = error;
  finishFile(job, file);
}

function finishFile(job: Job, file: FileRead): void {
  if (job.ring.closed) {
    // The ring was closed under us: the fd is still ours to close.
    closeHeldFd(file.held);
    if (file.error === null) file.error = ringClosed('read');
    job.onFileDone(file);
    return;
  }
  send(job, closeOp(file.fd, file.held), (r) => {
    // Never run (the ring was closed meanwhile): the fd is still open, and ours to close.
    if (r === RING_CLOSED || r === RING_LOST || r === ECANCELED) r = closeHeldFd(file.held);
    else releaseFd(file.held);
    if (r < 0 && file.error === null) file.error = resultError(r, 'close');
    job.onFileDone(file);
  });
}

// On io_uring a whole readFiles call is one op of the ring (native/file_group.cc): the native
// side opens, reads and closes every file, with no JS and no fstat per file on the common path,
// and lib/ sees one completion with every file's result.
const GROUP_STAGES = ['open', 'read', 'fstat', 'close'] as const;
const STAGE_TOO_LARGE = 4;

function usesGroup(ring: Ring): boolean {
  return ring.backend === 'io_uring' && ring.groupWindow > 0 && ring.sqEntries >= 2;
}

/** The paths NUL-terminated one after the other, as the native group reads them. */
function joinPaths(paths: (string | Buffer)[]): Buffer {
  if (paths.every((p) => typeof p === 'string')) return Buffer.from(`${paths.join('\0')}\0`);
  const nul = Buffer.alloc(1);
  return Buffer.concat(paths.flatMap((p) => [typeof p === 'string' ? Buffer.from(p) : p, nul]));
}

/** Each file's outcome: its bytes, or its error. */
export type FileOutcome = Buffer | Error;
const { O_RDONLY } = constants;

/**
 * What memory a group's results are in: views of shared slabs (readFilesSync); the same, with
 * files of 2 MiB or more in large memory (readFiles: lib/memory.ts); or each file in an
 * ArrayBuffer of its own, of Node's memory, as node:fs's readFile gives them, so that one
 * transfers to a worker alone (the readFile calls of a turn: copied out of the slabs, which costs
 * less than a Buffer of Node's made natively per file).
 */
const enum GroupMemory { Slabs, SlabsAndLarge, OwnBuffers }

/** Queue the group; `done` gets every file's outcome, in order. */
function startGroup(ring: Ring, paths: (string | Buffer)[], flags: number, sync: boolean, memory: GroupMemory, done: (outcomes: FileOutcome[]) => void): void {
  const results = new Int32Array(4 * paths.length);
  const op = readFilesOp(joinPaths(paths), paths.length, flags, results, ring.groupWindow, memory === GroupMemory.SlabsAndLarge);
  const key = op.tag;
  op.sync = sync;
  op.done = (result) => done(groupOutcomes(ring, result, key, results, paths, memory === GroupMemory.OwnBuffers));
  ring.submit(op);
}

/** A file's bytes at `offset` of `chunk`: a view, or with `ownBuffer` in an ArrayBuffer of their own (a copy unless the chunk is the file's alone). */
function fileBytes(chunk: ArrayBuffer | undefined, offset: number, length: number, ownBuffer: boolean): Buffer {
  if (chunk === undefined) return Buffer.alloc(0);
  if (!ownBuffer || (offset === 0 && chunk.byteLength === length)) return Buffer.from(chunk, offset, length);
  const own = Buffer.allocUnsafeSlow(length);
  own.set(new Uint8Array(chunk, offset, length));
  return own;
}

function groupOutcomes(ring: Ring, result: number, key: number, results: Int32Array, paths: (string | Buffer)[], ownBuffers: boolean): FileOutcome[] {
  // Refused as a whole (a closed or lost ring, an SQPOLL ring's credentials): every file's first step failed.
  if (result < 0) return paths.map((p) => resultError(result, 'open', p));
  const chunks = ring.takeFiles(key);
  const out: FileOutcome[] = new Array(paths.length);
  for (let i = 0; i < paths.length; i++) {
    const n = results[4 * i];
    if (n >= 0) {
      out[i] = fileBytes(chunks[results[4 * i + 2]], results[4 * i + 3], n, ownBuffers);
      continue;
    }
    const stage = results[4 * i + 1];
    // Cancelled by the ring's close (or its loss): the error that says so.
    out[i] = n === ECANCELED && ring.closed ? (ring.lost ? ringLost : ringClosed)(GROUP_STAGES[stage])
      : stage === STAGE_TOO_LARGE
      ? fileTooLarge((results[4 * i + 2] >>> 0) + results[4 * i + 3] * 2 ** 32)
      : resultError(n, GROUP_STAGES[stage], stage === 0 ? paths[i] : undefined);
  }
  return out;
}

/** The readFile calls (promise and callback flavours) made on a ring in the current JS turn. */
interface TurnGroup {
  paths: (string | Buffer)[];
  done: ((outcome: FileOutcome) => void)[];
}
const turnGroups = new Map<Ring, TurnGroup>();

/**
 * @internal
 * The ring a readFile of a path with these options can be merged on (io_uring, read-only, no
 * signal), or null. Calls merged in one turn go to the kernel as one group at its end.
 */
export function mergeableRing(ring: Ring | undefined, flags: number, signal: AbortSignal | undefined): Ring | null {
  if (flags !== O_RDONLY || signal !== undefined) return null;
  const r = ring ?? defaultRing();
  return usesGroup(r) ? r : null;
}

/**
 * @internal
 * Read `path` whole with the other readFile calls of this turn on `ring` (see mergeableRing):
 * `done` gets its bytes or its error, asynchronously. A throwing `done` surfaces as uncaught
 * without losing the others'.
 */
export function readFileInTurn(ring: Ring, path: string | Buffer, done: (outcome: FileOutcome) => void): void {
  let group = turnGroups.get(ring);
  if (group === undefined) {
    const g: TurnGroup = (group = { paths: [], done: [] });
    turnGroups.set(ring, g);
    queueMicrotask(() => {
      turnGroups.delete(ring);
      startGroup(ring, g.paths, O_RDONLY, false, GroupMemory.OwnBuffers, (outcomes) => {
        for (let i = 0; i < outcomes.length; i++) {
          try {
            g.done[i](outcomes[i]);
          } catch (err) {
            process.nextTick(() => { throw err; });
          }
        }
      });
    });
  }
  group.paths.push(path);
  group.done.push(done);
}

function outcomeValue(outcome: FileOutcome, encoding: Encoding | undefined): Buffer | string {
  const data = outcome as Buffer;
  return encoding && encoding !== 'buffer' ? data.toString(encoding) : data;
}

function settled(outcomes: FileOutcome[], encoding: Encoding | undefined): Outcome<Buffer | string>[] {
  return outcomes.map((o) => (o instanceof Error ? { ok: false, error: o } : { ok: true, value: outcomeValue(o, encoding) }));
}

function fusedState(ring: Ring, count: number): Pick<Job, 'fused' | 'guess' | 'largest'> {
  return { fused: ring.backend === 'threads' ? new Int32Array(2 * count) : null, guess: kFirstGuess, largest: -1 };
}

/** `bound`: the ring of ring.promises / ring.callbacks, when called through one (an explicit `ring` option wins). */
function parse(paths: unknown, options: ReadFilesOptions | undefined, bound: Ring | undefined): { paths: (string | Buffer)[]; flags: number; encoding: Encoding | undefined; settle: boolean; ring: Ring } {
  if (!Array.isArray(paths)) throw invalidArgType('paths', 'Array', paths);
  const valid = paths.map((p: PathLike, i) => validatePath(p, `paths[${i}]`));
  if (options !== undefined && (options === null || typeof options !== 'object')) throw invalidArgType('options', 'Object', options);
  const o = options ?? {};
  return {
    paths: valid,
    flags: parseFlags(o.flag ?? 'r'),
    encoding: validateEncoding(o.encoding) ?? undefined,
    settle: Boolean(o.settle),
    ring: o.ring ?? bound ?? defaultRing(),
  };
}

function value(file: FileRead, encoding: Encoding | undefined): Buffer | string {
  return encoding && encoding !== 'buffer' ? file.data!.toString(encoding) : file.data!;
}

/**
 * Read many whole files with as few syscalls as the kernel allows. Resolves
 * with one Buffer (or string, with `encoding`) per path, in order; rejects
 * with the first error, like Promise.all. With `settle: true`, resolves with
 * one `{ ok, value }` / `{ ok, error }` per path instead.
 */
export function readFiles(paths: readonly PathLike[], options: ReadFilesOptions & { settle: true }): Promise<Outcome<Buffer | string>[]>;
export function readFiles(paths: readonly PathLike[], options?: ReadFilesOptions): Promise<(Buffer | string)[]>;
export function readFiles(paths: readonly PathLike[], options?: ReadFilesOptions): Promise<unknown[]> {
  return readFilesOn(claimBoundRing(), paths, options);
}

function readFilesOn(bound: Ring | undefined, paths: readonly PathLike[], options: ReadFilesOptions | undefined): Promise<unknown[]> {
  return new Promise((resolve, reject) => {
    const { paths: valid, flags, encoding, settle, ring } = parse(paths, options, bound);
    if (valid.length > 0 && usesGroup(ring)) {
      startGroup(ring, valid, flags, false, GroupMemory.SlabsAndLarge, (outcomes) => {
        if (settle) return resolve(settled(outcomes, encoding));
        const failed = outcomes.find((o) => o instanceof Error);
        if (failed !== undefined) return reject(failed);
        resolve(outcomes.map((o) => outcomeValue(o, encoding)));
      });
      return;
    }
    const files = valid.map((p, i) => new FileRead(p, i));
    const out: unknown[] = new Array(files.length);
    let remaining = files.length;
    let failed = false;
    if (remaining === 0) return resolve(out);
    const job: Job = { ring, flags, sync: false, slabs: new SlabAllocator(), directFstat: DIRECT_FSTAT, statx: Buffer.allocUnsafe(STATX_SIZE), ...fusedState(ring, files.length), onFileDone() {} };
    runFiles(job, files, (file) => {
      if (file.error !== null && !settle && !failed) {
        failed = true;
        reject(file.error);
      }
      out[file.index] = settle
        ? (file.error ? { ok: false, error: file.error } : { ok: true, value: value(file, encoding) })
        : (file.error ? undefined : value(file, encoding));
      if (--remaining === 0 && !failed) resolve(out);
    });
  });
}

/** readFiles on the calling thread: submits through the ring and waits; same results, or throws the first error. */
export function readFilesSync(paths: readonly PathLike[], options: ReadFilesOptions & { settle: true }): Outcome<Buffer | string>[];
export function readFilesSync(paths: readonly PathLike[], options?: ReadFilesOptions): (Buffer | string)[];
export function readFilesSync(paths: readonly PathLike[], options?: ReadFilesOptions): unknown[] {
  const { paths: valid, flags, encoding, settle, ring } = parse(paths, options, undefined);
  if (valid.length > 0 && usesGroup(ring)) {
    let outcomes: FileOutcome[] | undefined;
    startGroup(ring, valid, flags, true, GroupMemory.Slabs, (o) => { outcomes = o; });
    ring.flush();
    ring.runUntil(() => outcomes !== undefined);
    if (settle) return settled(outcomes!, encoding);
    const failed = outcomes!.find((o) => o instanceof Error);
    if (failed !== undefined) throw failed;
    return outcomes!.map((o) => outcomeValue(o, encoding));
  }
  const files = valid.map((p, i) => new FileRead(p, i));
  let remaining = files.length;
  const job: Job = { ring, flags, sync: true, slabs: new SlabAllocator(), directFstat: true, statx: Buffer.allocUnsafe(STATX_SIZE), ...fusedState(ring, files.length), onFileDone() {} };
  runFiles(job, files, () => { remaining--; });
  ring.flush();
  ring.runUntil(() => remaining === 0);
  if (!settle) {
    const failed = files.find((f) => f.error !== null);
    if (failed) throw failed.error;
    return files.map((f) => value(f, encoding));
  }
  return files.map((f) => (f.error ? { ok: false, error: f.error } : { ok: true, value: value(f, encoding) }));
}

type ReadFilesCallback = (err: Error | null, result?: unknown[]) => void;

/**
 * The form exported from 'uringfs': with a callback last, Node-style
 * (err, buffers) — or (null, outcomes) with `settle`; without one, the promise.
 */
export function readFilesEither(paths: readonly PathLike[], options?: ReadFilesOptions | ReadFilesCallback, callback?: ReadFilesCallback): Promise<unknown[]> | undefined {
  const bound = claimBoundRing();
  if (typeof options === 'function') [options, callback] = [undefined, options];
  if (callback === undefined) return readFilesOn(bound, paths, options);
  if (typeof callback !== 'function') throw invalidArgType('cb', 'function', callback);
  parse(paths, options, bound);  // the callback form throws bad arguments, as node:fs does
  const cb = callback;
  readFilesOn(bound, paths, options).then((r) => process.nextTick(cb, null, r), (e: Error) => process.nextTick(cb, e));
  return undefined;
}
