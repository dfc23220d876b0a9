// Every file operation, written once as a generator of Ops (see run.ts) and
// shared by the sync, callback and promise flavours. Arguments arrive here
// already validated; these functions hold the I/O logic and error shapes.
import { Buffer } from 'node:buffer';
import { crypto } from './builtins.js';
import { binding } from './binding.js';
import { AbortError, addFrames, bufferDetached, fileTooLarge, firstThenClose, invalidArgValue, unknownEncoding, withoutStack } from './errors.js';
import { AT_FDCWD, AT_REMOVEDIR, AT_SYMLINK_NOFOLLOW, type Op, closeOp, fsyncOp, ftruncateOp, linkOp, mkdirOp, openOp, readOp, renameOp, statxOp, symlinkOp, unlinkOp, vectorOp, writeOp, AT_EMPTY_PATH, STATX_MASK, STATX_SIZE } from './op.js';
import { noEntryIncludesNotDir } from './node-rules.js';
import { releaseFd } from './held.js';
import { BUFFER_DETACHED, resultError, type Ring } from './ring.js';
import { runCallback, runSync, type Steps } from './run.js';
import { makeStats, statxTypeAndSize, type BigIntStats, type Stats } from './stats.js';
import { constants } from 'node:fs';
import { kIoMaxLength, opPath, validateBuffer, validateInteger, type Encoding } from './validate.js';

type Path = string | Buffer;

const EEXIST = -17, ENOENT = -2, ENOTDIR = -20;
type View = NodeJS.ArrayBufferView;

export function* openSteps(path: Path, flags: number, mode: number): Steps<number> {
  return openResult(yield openOp(opPath(path), flags, mode), path);
}

/** An open's fd, or its error. */
export function openResult(r: number, path: Path): number {
  if (r < 0) throw resultError(r, 'open', path);
  return r;
}

export function* closeSteps(fd: number, heldSlot = -1): Steps<void> {
  closeResult(yield closeOp(fd, heldSlot));
}

/** A close's error, if it failed. */
export function closeResult(r: number): void {
  if (r < 0) throw resultError(r, 'close');
}

/** Codes of a close that never ran (its ring was closed or lost under it): the fd is still open. */
const notRun = new Set(['ERR_URINGFS_RING_CLOSED', 'ERR_URINGFS_RING_LOST', 'ECANCELED']);

/**
 * Close `fd`, listed as held at `slot` (lib/held.ts), and free the slot: on `ring` while it is open;
 * with a direct close(2) on this thread when the ring was closed (before the close op, or under
 * it), so that a held fd is never left open. `done` gets the close's error, or null (at once after
 * a direct close).
 */
export function closeHeldOn(ring: Ring, fd: number, slot: number, done: (err: Error | null) => void): void {
  const direct = (): void => {
    let err: Error | null = null;
    try {
      runSync(closeSteps(fd, slot));
    } catch (e) {
      err = e as Error;
    }
    releaseFd(slot);
    done(err);
  };
  if (ring.closed) return direct();
  runCallback(ring, closeSteps(fd, slot), (err) => {
    if (err !== null && notRun.has((err as { code?: unknown }).code as string)) return direct();
    releaseFd(slot);
    done(err);
  });
}

/**
 * @internal For bench/stream-probe.mjs only: whether node:fs-shaped reads and writes probe their
 * fd (ESPIPE for a position on a pipe, reads from pipes through the op's own memory).
 */
export const streamProbe = { enabled: true };

const S_IFMT = 0o170000, S_IFREG = 0o100000, S_IFDIR = 0o040000, S_IFBLK = 0o060000;
const STATX_TYPE = 1;

/**
 * Whether reads and writes on `fd` need the per-op probe (ring.ts PROBE_STREAM): false for a regular
 * file, directory or block device, which can always seek. For an fd held by its owner for its
 * lifetime (a FileHandle), asked once: its later reads and writes then cost no syscall more.
 */
export function needsStreamProbe(fd: number): boolean {
  const out = Buffer.allocUnsafe(STATX_SIZE);
  if (binding.sync.statx(fd, null, AT_EMPTY_PATH, STATX_TYPE, out) < 0) return true;
  const type = out.readUInt16LE(28) & S_IFMT;  // stx_mode
  return !(type === S_IFREG || type === S_IFDIR || type === S_IFBLK);
}

/** A read of the node:fs-shaped flavours. `probe`: false when the caller knows the fd can seek (see needsStreamProbe). */
export function probedReadOp(fd: number, view: View, offset: number, length: number, position: number | bigint, probe = true): Op {
  const op = readOp(fd, view, offset, length, position);
  op.probe = probe && streamProbe.enabled;
  return op;
}

export function* readSteps(fd: number, view: View, offset: number, length: number, position: number | bigint, probe = true): Steps<number> {
  const op = probedReadOp(fd, view, offset, length, position, probe);
  return readResult(yield op, op);
}

/** A read's bytes, or its error. */
export function readResult(r: number, op: { dropped: number }): number {
  if (r < 0) throw r === BUFFER_DETACHED ? bufferDetached('read', op.dropped) : resultError(r, 'read');
  return r;
}

export function* writeSteps(fd: number, view: View, offset: number, length: number, position: number | bigint, probe = true): Steps<number> {
  const op = writeOp(fd, view, offset, length, position);
  op.probe = probe && streamProbe.enabled;
  return writeResult(yield op);
}

/** A write's bytes, or its error. */
export function writeResult(r: number): number {
  if (r < 0) throw resultError(r, 'write');
  return r;
}

/** IOV_MAX on Linux: the most buffers one readv/writev takes (more is EINVAL). */
export const kIovMax = 1024;

/**
 * readv/writev. With no buffers, a write does nothing (0) and a read fails with EINVAL, as in node:fs
 * (libuv refuses zero iovecs). Past IOV_MAX buffers, as libuv does: a read fills the first 1024; a
 * write goes in groups of up to 1024 (see writevGroupSteps).
 */
export function* vectorSteps(write: boolean, fd: number, views: View[], position: number | bigint, probe = true): Steps<number> {
  if (views.length === 0) {
    if (write) return 0;
    throw resultError(-22, 'read');
  }
  if (views.length > kIovMax) {
    if (!write) views = views.slice(0, kIovMax);
    else {
      const r = yield* writevGroupSteps(fd, views, Number(position), probe);
      if (r < 0) throw resultError(r, 'write');
      return r;
    }
  }
  const op = vectorOp(write, fd, views, position);
  op.probe = probe && streamProbe.enabled;
  const r = yield op;
  if (r < 0) throw r === BUFFER_DETACHED ? bufferDetached('read', op.dropped) : resultError(r, write ? 'write' : 'read');
  return r;
}

/**
 * A writev of more than IOV_MAX buffers, as libuv's uv__fs_write_all does it: writev of up to 1024
 * buffers at a time from where the last one stopped (mid-buffer after a short write), until all is
 * written or a write fails or writes nothing. Returns the bytes written, or the -errno of the
 * first write when it wrote nothing (a later failure returns what was written before it).
 * `probe`: as vectorSteps (the node:fs-shaped flavours; batches do not probe).
 */
export function* writevGroupSteps(fd: number, views: View[], position: number, probe = false): Steps<number> {
  let total = 0;
  let index = 0;
  let skip = 0;  // bytes of views[index] already written
  while (index < views.length) {
    const group = views.slice(index, index + kIovMax);
    if (skip > 0) group[0] = new Uint8Array(group[0].buffer, group[0].byteOffset + skip, group[0].byteLength - skip);
    const op = vectorOp(true, fd, group, position);
    op.probe = probe && streamProbe.enabled;
    const r = yield op;
    if (r <= 0) return total === 0 ? r : total;
    total += r;
    if (position >= 0) position += r;
    let left = r + skip;
    while (index < views.length && left >= views[index].byteLength) left -= views[index++].byteLength;
    skip = left;
  }
  return total;
}

export function* fsyncSteps(fd: number, datasync: boolean): Steps<void> {
  const r = yield fsyncOp(fd, datasync);
  if (r < 0) throw resultError(r, datasync ? 'fdatasync' : 'fsync');
}

/**
 * access(path, F_OK) as a statx of the path, following symlinks: the same lookup, so the same
 * errors (ENOENT, ENOTDIR, EACCES on a directory on the way, ELOOP, ENAMETOOLONG); see accessByStatx.
 */
export function* accessSteps(path: Path): Steps<void> {
  const r = yield statxOp(AT_FDCWD, opPath(path), 0);
  if (r < 0) throw resultError(r, 'access', path);
}

/**
 * Whether access(path, `mode`) is a statx on the ring (accessSteps, in uringfs/promises): for
 * F_OK (0, the default: null or undefined), whether the path exists, while the real and effective
 * ids agree — access(2) looks the path up with the real ones, a statx with the effective ones. Any
 * other mode is node:fs's own access, which checks it as the running Node does (R_OK, W_OK, X_OK
 * ask for access(2)'s permission check, which io_uring has no op for).
 */
export function accessByStatx(mode: unknown): boolean {
  return (mode === undefined || mode === null || mode === constants.F_OK)
    && process.getuid!() === process.geteuid!() && process.getgid!() === process.getegid!();
}

export function* statSteps(fd: number | null, path: Path | null, follow: boolean, bigint: boolean, throwIfNoEntry = true): Steps<Stats | BigIntStats | undefined> {
  const op = path === null ? statxOp(fd!, null, 0) : statxOp(AT_FDCWD, opPath(path), statFlags(path, follow));
  return statResult(yield op, op.scratch!, path, follow, bigint, throwIfNoEntry);
}

/** statx's flags for fstat (path null: the fd itself), stat (`follow`) and lstat. */
export function statFlags(path: Path | null, follow: boolean): number {
  return path === null ? AT_EMPTY_PATH : follow ? 0 : AT_SYMLINK_NOFOLLOW;
}

/** What a statx into `statx` gives: the Stats, undefined for a missing path where throwIfNoEntry is false, or the error. */
export function statResult(r: number, statx: Buffer, path: Path | null, follow: boolean, bigint: boolean, throwIfNoEntry = true): Stats | BigIntStats | undefined {
  if (r < 0) {
    // ENOENT, and ENOTDIR where the running node:fs hides it too (statSync from Node 22).
    if (!throwIfNoEntry && path !== null && (r === ENOENT || (r === ENOTDIR && noEntryIncludesNotDir(follow ? 'stat' : 'lstat')))) return undefined;
    throw resultError(r, path === null ? 'fstat' : follow ? 'stat' : 'lstat', path ?? undefined);
  }
  return makeStats(statx, bigint);
}

export function* unlinkSteps(path: Path): Steps<void> {
  const r = yield unlinkOp(opPath(path));
  if (r < 0) throw resultError(r, 'unlink', path);
}

/** rmdir(2) as unlinkat(AT_REMOVEDIR), which io_uring has (UNLINKAT): the same errors. */
export function* rmdirSteps(path: Path): Steps<void> {
  const r = yield unlinkOp(opPath(path), AT_REMOVEDIR);
  if (r < 0) throw resultError(r, 'rmdir', path);
}

export function* renameSteps(from: Path, to: Path): Steps<void> {
  const r = yield renameOp(opPath(from), opPath(to));
  if (r < 0) throw resultError(r, 'rename', from, to);
}

/** ftruncate(2): the file cut, or extended with zeros, to `length` bytes (checked: a safe integer, at least 0). */
export function* ftruncateSteps(fd: number, length: number): Steps<void> {
  const r = yield ftruncateOp(fd, length);
  if (r < 0) throw resultError(r, 'ftruncate');
}

/** node:fs's ftruncate `len`: a safe integer (0 when left out); below 0 counts as 0. */
export function truncateLength(len: unknown): number {
  if (len === undefined) return 0;
  validateInteger(len, 'len');
  return Math.max(0, len);
}

/**
 * truncate(path, len) as node:fs does it: open 'r+', ftruncate — `len` checked only now, after the
 * open, as fsPromises.truncate checks it — and close, also after a failure (an error of both is
 * node:fs's AggregateError).
 */
export function* truncateSteps(path: Path, len: unknown): Steps<void> {
  const fd = yield* openSteps(path, constants.O_RDWR, 0o666);
  let failure: Error | null = null;
  try {
    yield* ftruncateSteps(fd, truncateLength(len));
  } catch (err) {
    failure = err as Error;
  }
  const r = yield closeOp(fd);
  const err = firstThenClose(failure, r < 0 ? resultError(r, 'close') : null);
  if (err !== null) throw err;
}

/** link(2) as linkat, which io_uring has (LINKAT): errors name both paths, as node:fs's. */
export function* linkSteps(existing: Path, to: Path): Steps<void> {
  const r = yield linkOp(opPath(existing), opPath(to));
  if (r < 0) throw resultError(r, 'link', existing, to);
}

/** symlink(2) as symlinkat (io_uring's SYMLINKAT): `path` made a link holding `target`, which need not exist. */
export function* symlinkSteps(target: Path, path: Path): Steps<void> {
  const r = yield symlinkOp(opPath(target), opPath(path));
  if (r < 0) throw resultError(r, 'symlink', target, path);
}


/**
 * mkdir; with `recursive`, creates missing parents and returns the first
 * directory created. The recursive walk is node:fs's (its C++ MKDirp): a
 * stack of paths, parents found by cutting at the last '/', a stat when
 * mkdir says the path exists; errors name the path the caller gave. node:fs's
 * sync and async walks differ in one answer (an existing non-directory on
 * the way is ENOENT/EEXIST from mkdirSync, ENOTDIR from mkdir), so the
 * flavour says which walk to take.
 */
export function* mkdirSteps(path: Path, mode: number, recursive: boolean, syncWalk = false): Steps<string | undefined> {
  if (!recursive) {
    const r = yield mkdirOp(opPath(path), mode);
    if (r < 0) throw resultError(r, 'mkdir', path);
    return undefined;
  }
  const r = yield* mkdirpSteps(typeof path === 'string' ? path : path.toString(), mode, syncWalk);
  // mkdirSync names the path it was given; mkdir names the one it was at.
  if ('err' in r) throw resultError(r.err, 'mkdir', syncWalk ? path : r.at);
  return r.first;
}

/** mkdtemp(3)'s letters: the six that replace a template's XXXXXX are drawn from these. */
const TEMP_LETTERS = Buffer.from('abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789');
/** As many names as glibc's mkdtemp tries (62³) before it gives up on EEXIST. */
const TEMP_ATTEMPTS = 62 ** 3;
const randomPool = Buffer.allocUnsafe(256);
let randomAt = randomPool.length;

/** One random letter of TEMP_LETTERS, without modulo bias (bytes past 4 × 62 are drawn again). */
function randomLetter(): number {
  for (;;) {
    if (randomAt === randomPool.length) {
      crypto().randomFillSync(randomPool);
      randomAt = 0;
    }
    const byte = randomPool[randomAt++];
    if (byte < 4 * TEMP_LETTERS.length) return TEMP_LETTERS[byte % TEMP_LETTERS.length];
  }
}

/**
 * mkdtemp: `prefix` and six random letters, made with mode 0o700 (mkdtemp(3)'s), drawn again
 * while the name exists. Returns the path in `encoding`. node:fs's errors name the template
 * (prefix + 'XXXXXX') from mkdtempSync and the last name tried from the async forms (libuv's copy
 * of the template, which mkdtemp(3) fills in); the flavour says which.
 */
export function* mkdtempSteps(prefix: Path, encoding: Encoding | undefined, sync: boolean): Steps<string | Buffer> {
  const start = typeof prefix === 'string' ? Buffer.from(prefix) : prefix;
  const name = Buffer.allocUnsafe(start.length + 7);
  start.copy(name);
  name[name.length - 1] = 0;
  const path = name.subarray(0, name.length - 1);
  for (let attempt = 1; ; attempt++) {
    for (let i = start.length; i < path.length; i++) name[i] = randomLetter();
    const r = yield mkdirOp(name, 0o700);
    if (r === 0) return encoding === 'buffer' ? Buffer.from(path) : path.toString(encoding ?? 'utf8');
    if (r !== EEXIST || attempt === TEMP_ATTEMPTS) {
      throw resultError(r, 'mkdtemp', sync ? Buffer.concat([start, Buffer.from('XXXXXX')]) : path);
    }
  }
}

const EACCES = -13, ENOSPC = -28, EPERM = -1;

/** The MKDirp walk: the first directory created, or the errno to report and the path it was at. */
function* mkdirpSteps(path: string, mode: number, syncWalk: boolean): Steps<{ first: string | undefined } | { err: number; at: string }> {
  const paths = [path];
  let first: string | undefined;
  while (paths.length > 0) {
    const next = paths.pop()!;
    let err = yield mkdirOp(opPath(next), mode);
    if (err === 0) {
      first ??= next;
      continue;
    }
    if (err === EACCES || err === ENOSPC || err === ENOTDIR || err === EPERM) return { err, at: next };
    if (err === ENOENT) {
      const cut = next.lastIndexOf('/');
      const parent = cut === -1 ? next : next.slice(0, cut);
      if (parent !== next) {
        paths.push(next, parent);
        continue;
      }
      if (paths.length > 0) continue;
      err = EEXIST;
    }
    // Some other answer (EEXIST mostly): what is there?
    const st = statxOp(AT_FDCWD, opPath(next), 0);
    const s = yield st;
    const isDir = s === 0 && makeStats(st.scratch!, false).isDirectory();
    if (syncWalk) {
      if (s === 0 && !isDir) return { err: err === EEXIST && paths.length > 0 ? ENOTDIR : EEXIST, at: next };
      if (s < 0) return { err: s, at: next };
      continue;
    }
    if (err === EEXIST && paths.length > 0) {
      if (isDir) continue;
      return { err: ENOTDIR, at: next };
    }
    if (s < 0) return { err: s, at: next };
    if (!isDir) return { err: EEXIST, at: next };
    break;
  }
  return { first };
}

/** Output of readFile's fstat, reused call after call (read right away, never kept). */
const fstatScratch = Buffer.allocUnsafe(STATX_SIZE);

// Read files of unknown size (size 0 in statx: /proc, pipes) in chunks of this.
const kUnknownSizeChunk = 64 * 1024;

/**
 * With an AbortSignal, node:fs reads and writes whole files in chunks of this (its
 * kReadFileBufferLength and kWriteFileMaxChunkSize) and checks the signal before each: an abort
 * then stops the operation at the same point as in node:fs. Without one, a file is read or
 * written in one go.
 */
export const kAbortableChunk = 512 * 1024;

function checkSignal(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new AbortError(undefined, { cause: signal.reason });
}

export interface ReadFileOptions {
  /** statx first and read up to its size (default); false: read until EOF, as node:fs's utf8 readFileSync does for an fd. */
  stat?: boolean;
  /** Refuse an encoding Buffer cannot decode before reading (node:fs/promises does; the others fail after reading). */
  encodingFirst?: boolean;
  /**
   * readFileSync's steps: a file of known size goes into Buffer.allocUnsafe's memory (a small one
   * a view of Buffer's pool), as node:fs's readFileSync does; the async forms give every file an
   * ArrayBuffer of its own (allocUnsafeSlow), as node:fs's do, so that it transfers alone.
   */
  sync?: boolean;
  /** readFile's `options.buffer` (checkReadFileBufferOption): read into the caller's memory. */
  into?: unknown;
}

/**
 * A whole file, by path (opened with `flags`, closed after) or by an fd the
 * caller owns (read from its current position). Like node:fs, reads up to the
 * size statx reported at the start (continuing after short reads; stopping
 * early if the file shrank), and reads until EOF when statx says 0 or the
 * fd is not a regular file (/proc files, pipes). Any truthy `encoding`
 * decodes the result (so 'buffer' fails as Buffer#toString fails, as in node:fs).
 * A `signal` is checked before each read.
 */
export function* readFileSteps(target: Path | number, flags: number, encoding: Encoding | undefined, signal?: AbortSignal, options: ReadFileOptions = {}): Steps<Buffer | string> {
  const ownFd = typeof target !== 'number';
  const fd = ownFd ? yield* openSteps(target, flags, 0o666) : target;
  let data: Buffer;
  try {
    if (options.encodingFirst && encoding && !Buffer.isEncoding(encoding)) throw unknownEncoding(encoding);
    checkSignal(signal);
    if (options.stat === false && options.into === undefined) {
      data = yield* readToEnd(fd, signal);
    } else {
      let stat: Buffer = fstatScratch;
      if (signal === undefined) {
        // statx of a file just opened reads its in-memory inode: a direct
        // syscall (~0.3 µs) rather than IORING_OP_STATX, which the kernel always
        // hands to an io-wq worker thread (a cross-thread round trip per file).
        const r = binding.sync.statx(fd, null, AT_EMPTY_PATH, STATX_MASK, fstatScratch);
        if (r < 0) throw resultError(r, 'fstat');
      } else {
        // node:fs awaits its fstat and checks the signal after it, so an abort right after the
        // call (even on a FileHandle, which has no open to wait for) stops it before any read.
        const op = statxOp(fd, null, 0);
        const r = yield op;
        if (r < 0) throw resultError(r, 'fstat');
        stat = op.scratch!;
        checkSignal(signal);
      }
      const { isFile, size } = statxTypeAndSize(stat);
      if (isFile && size > kIoMaxLength) throw fileTooLarge(size);
      if (options.into !== undefined) data = yield* readIntoCallers(fd, isFile ? size : 0, options.into, signal);
      else data = isFile && size > 0 ? yield* readKnownSize(fd, size, ownFd, signal, options.sync === true) : yield* readToEnd(fd, signal);
    }
  } catch (err) {
    if (ownFd) yield closeOp(fd);  // the first error is the one to report
    throw err;
  }
  if (ownFd) yield* closeSteps(fd);
  return encoding ? data.toString(encoding as BufferEncoding) : data;
}

// What a number from the native readFile means: readFileOut[0] (native/sync.cc ReadFileOutcome).
const readFileStepNames = ['open', 'fstat', 'read', 'close'];
const IN_ROOM = 4, TOO_LARGE = 5, LARGE = 6, PENDING = 7;
const readFileOut = new Int32Array(2);
let readFileRoom = Buffer.allocUnsafeSlow(Buffer.poolSize >>> 1);
// A readFileNow under way: one started inside it (from a getter of Buffer.poolSize, which
// Buffer.allocUnsafe reads before the bytes are copied out) runs the steps, so that it cannot
// write over the room or let go of the bytes kept for the first.
let readingNow = false;
// What opens the file again where the one call handed it to the steps: created and truncated
// already, as the caller's flags said.
const { O_CREAT, O_EXCL, O_TRUNC } = constants;

/**
 * readFileSync of a path, in one native call: readFileSteps' open, fstat, reads and close, with
 * their errors, where no JS runs while the fd is open; decoded as `encoding` says (UTF-8 by the
 * native call itself). A result smaller than half of Buffer.poolSize is, as node:fs's, a view of
 * Buffer's shared pool (Buffer.allocUnsafe's). A file larger than the native call reads (a MiB),
 * and a call made inside this one, run readFileSteps, which also serve an fd, `options.buffer`
 * and the async flavours.
 */
export function readFileNow(path: Path, flags: number, encoding?: Encoding): Buffer | string {
  if (readingNow) return runSync(readFileSteps(path, flags, encoding, undefined, { sync: true }));
  readingNow = true;
  try {
    const utf8 = encoding === 'utf8' || encoding === 'utf-8';
    // Buffer.allocUnsafe takes from the pool below half its size (which a program may change).
    const small = Buffer.poolSize >>> 1;
    if (readFileRoom.length !== small) readFileRoom = Buffer.allocUnsafeSlow(small);
    const r = binding.sync.readFile(opPath(path), flags, kIoMaxLength, readFileOut, utf8, readFileRoom);
    if (typeof r === 'string') return r;
    let data: Buffer;
    if (typeof r !== 'number') data = readFileOut[1] < 0 ? r : r.subarray(0, readFileOut[1]);
    else if (readFileOut[0] === IN_ROOM) {
      data = Buffer.allocUnsafe(r);
      readFileRoom.copy(data, 0, 0, r);
    } else if (readFileOut[0] === PENDING) {
      // Bytes of a file of unknown size, in native memory: into a Buffer made here, whose failure
      // is Node's RangeError (and lets go of them).
      try {
        data = Buffer.allocUnsafe(r);
      } catch (err) {
        binding.sync.readFileRest(null);
        throw err;
      }
      binding.sync.readFileRest(data);
    } else if (readFileOut[0] === LARGE) {
      return runSync(readFileSteps(path, flags & ~(O_CREAT | O_EXCL | O_TRUNC), encoding, undefined, { sync: true }));
    } else if (readFileOut[0] === TOO_LARGE) throw fileTooLarge(r);
    else {
      const step = readFileOut[0];
      const err = withoutStack(() => resultError(r, readFileStepNames[step], step === 0 ? path : undefined));
      addFrames(err, readFileNow);
      throw err;
    }
    return encoding ? data.toString(encoding as BufferEncoding) : data;
  } finally {
    readingNow = false;
  }
}

/**
 * node:fs's readFile with `options.buffer`: into the caller's view (or the one its function returns
 * for `size`), which must hold `size` bytes; up to `size` bytes, or, where the size is not known
 * (0), until EOF — refused if a byte is left once the view is full. Returns the part filled.
 */
function* readIntoCallers(fd: number, size: number, option: unknown, signal: AbortSignal | undefined): Steps<Buffer> {
  const name = typeof option === 'function' ? 'options.buffer().byteLength' : 'options.buffer.byteLength';
  let view = option;
  if (typeof option === 'function') {
    view = option(size);
    validateBuffer(view, 'options.buffer()');
  }
  const into = Buffer.isBuffer(view) ? view : Buffer.from((view as NodeJS.ArrayBufferView).buffer, (view as NodeJS.ArrayBufferView).byteOffset, (view as NodeJS.ArrayBufferView).byteLength);
  if (size > into.byteLength) throw invalidArgValue(name, into.byteLength, `is smaller than the file size of ${size} bytes`);
  const end = size > 0 ? size : into.byteLength;
  let filled = 0;
  while (filled < end) {
    checkSignal(signal);
    // At the current position, as node:fs reads here (a pipe's bytes are copied in after the read).
    const n = yield* readSteps(fd, into, filled, Math.min(end - filled, signal === undefined ? end : kAbortableChunk), -1);
    if (n === 0) return into.subarray(0, filled);
    filled += n;
  }
  if (size === 0) {
    const n = yield* readSteps(fd, Buffer.allocUnsafe(1), 0, 1, -1);
    if (n !== 0) throw invalidArgValue(name, into.byteLength, 'is too small to contain the entire file');
  }
  return into.subarray(0, filled);
}

function* readKnownSize(fd: number, size: number, fromStart: boolean, signal: AbortSignal | undefined, sync: boolean): Steps<Buffer> {
  const buffer = sync ? Buffer.allocUnsafe(size) : Buffer.allocUnsafeSlow(size);
  let filled = 0;
  const chunk = signal === undefined ? size : kAbortableChunk;
  while (filled < size) {
    checkSignal(signal);
    // A regular file (statx said so), into memory of our own: no probe.
    const n = yield* readSteps(fd, buffer, filled, Math.min(size - filled, chunk), fromStart ? filled : -1, false);
    if (n === 0) break;
    filled += n;
  }
  return filled < size ? buffer.subarray(0, filled) : buffer;
}

function* readToEnd(fd: number, signal: AbortSignal | undefined): Steps<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for (;;) {
    checkSignal(signal);
    const chunk = Buffer.allocUnsafe(kUnknownSizeChunk);
    // At the current position, into memory of our own: nothing for a probe to refuse or protect.
    const n = yield* readSteps(fd, chunk, 0, chunk.length, -1, false);
    if (n === 0) break;
    chunks.push(n < chunk.length ? chunk.subarray(0, n) : chunk);
    total += n;
    if (total > kIoMaxLength) throw fileTooLarge(total);
  }
  return Buffer.concat(chunks, total);
}

export interface WriteFileOptions {
  /** Checked before each write. */
  signal?: AbortSignal;
  /** Make one write(2) even for empty data (node:fs's callback writeFile does; the others do not). */
  emptyWrite?: boolean;
}

/**
 * Write all of `data` to a path (opened with `flags` and `mode`, closed
 * after) or to an fd the caller owns (at its current position), continuing
 * after short writes; with `flush`, fsync before closing.
 *
 * A file this opened is written at explicit positions from 0 (O_APPEND
 * ignores them): io_uring does not move the file position after a write at
 * the current position that is cut short (ENOSPC, EFBIG), so the next chunk
 * must not depend on it. An fd the caller owns is written at its current
 * position (-1), as node:fs does — it may be a pipe, or O_APPEND, where a
 * position of our own would be wrong; the io_uring backend moves the
 * position after such a short write itself (native/ring.cc).
 */
export function* writeFileSteps(target: Path | number, data: Uint8Array, flags: number, mode: number, flush = false, options: WriteFileOptions = {}): Steps<void> {
  const ownFd = typeof target !== 'number';
  const fd = ownFd ? yield* openSteps(target, flags, mode) : target;
  try {
    checkSignal(options.signal);
    if (data.byteLength === 0 && options.emptyWrite) yield* writeSteps(fd, data, 0, 0, -1);
    else yield* writeAll(fd, data, ownFd ? 0 : -1, options.signal);
    if (flush) yield* fsyncSteps(fd, false);
  } catch (err) {
    if (ownFd) yield closeOp(fd);
    throw err;
  }
  if (ownFd) yield* closeSteps(fd);
}

/**
 * Write every byte of `data`, from `position` (-1: the current position), at most `chunk` bytes
 * per write, checking `signal` before each.
 */
export function* writeAll(fd: number, data: Uint8Array, position: number, signal?: AbortSignal, chunk = data.byteLength): Steps<number> {
  let written = 0;
  while (written < data.byteLength) {
    checkSignal(signal);
    const n = yield* writeSteps(fd, data, written, Math.min(data.byteLength - written, chunk), position < 0 ? -1 : position + written);
    written += n;
  }
  return written;
}
