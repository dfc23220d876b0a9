// One operation, described once and carried out by either executor: the
// io_uring engine (lib/ring.ts) or the direct-syscall executor (lib/sync.ts).
// While an op is in flight it pins every piece of memory the kernel was
// handed (buffers, path bytes, iovec scratch, statx output).
import { Buffer } from 'node:buffer';
import type { RegisteredFile } from './registered.js';

export enum OpCode { Read, Write, Readv, Writev, Open, Close, Fsync, Ftruncate, Statx, Unlink, Rename, Mkdir, Link, Symlink, Nop, ReadWhole, ReadFiles, Records }

/** The statx mask libuv (and so node:fs) asks for: basic stats and birth time. */
export const STATX_MASK = 0xfff;
export const AT_SYMLINK_NOFOLLOW = 0x100;
export const AT_EMPTY_PATH = 0x1000;
export const AT_REMOVEDIR = 0x200;
export const STATX_SIZE = 256;
const IOVEC_SIZE = 16;

export class Op {
  code: OpCode;
  fd = -1;
  /** A registered file named instead of `fd` (batches only). */
  file: RegisteredFile | null = null;
  view: NodeJS.ArrayBufferView | null = null;
  views: NodeJS.ArrayBufferView[] | null = null;
  offset = 0;
  length = 0;
  /** -1: the current file position. */
  position: number | bigint = -1;
  /** A string, or bytes ending in NUL (validate.ts opPath). ReadWhole, ReadFiles: bytes of their own form. */
  path: string | Buffer | null = null;
  path2: string | Buffer | null = null;
  flags = 0;
  mode = 0;
  /** iovec array (readv/writev) or statx output. */
  scratch: Buffer | null = null;
  /** ReadWhole: where the pool reports [stage, handed-over fd], at pair `tag`; ReadFiles, Records: the results. */
  status: Int32Array | null = null;
  /** Records: 6 numbers per read or write (see recordsOp). */
  records: Float64Array | null = null;
  /** Called once with the result (>= 0) or -errno (and the op, so one function can serve many ops). */
  done: ((result: number, op: Op) => void) | null = null;
  /** For ops that stand alone (batches): the path and rename destination as the user gave them, for errors. */
  userPath: string | Buffer | undefined = undefined;
  userDest: string | Buffer | undefined = undefined;
  /** statx: build BigIntStats. */
  bigint = false;
  /** Free for the op's owner (a batch keeps the op's index here). */
  tag = 0;
  /** Completions this op may have in flight at once in the kernel (a whole-file group: two per file of its window). */
  weight = 1;
  /** Set by a synchronous wait (Ring.runUntil): its completion is dispatched there, not deferred. */
  sync = false;
  /**
   * A slot of the held-fd table (lib/held.ts), or -1. Open, ReadWhole: the ring listed the op's
   * carriedFd there as the result came; `done` keeps it (lib/ holds the fd) or releases it (the
   * fd is the caller's). Close: the slot of the fd it closes, which the ring marks closing as the
   * op goes to the kernel or the pool; `done` releases it.
   */
  heldSlot = -1;
  /**
   * A read or write of the node:fs-shaped flavours: the ring probes its fd where it queues it
   * (ESPIPE for a position on a pipe; a read from one goes through memory of the op's own).
   */
  probe = false;
  /**
   * A read from a pipe (or the like) into `view` (then the op's own memory): the caller's ranges
   * its bytes go to on completion, each a window on the caller's memory and the window's length.
   */
  delivery: [Uint8Array, number][] | null = null;
  /** The bytes a read with a `delivery` dropped because a destination was detached meanwhile. */
  dropped = 0;

  constructor(code: OpCode) {
    this.code = code;
  }
}

export function readOp(fd: number, view: NodeJS.ArrayBufferView, offset: number, length: number, position: number | bigint): Op {
  const op = new Op(OpCode.Read);
  op.fd = fd; op.view = view; op.offset = offset; op.length = length; op.position = position;
  return op;
}

export function writeOp(fd: number, view: NodeJS.ArrayBufferView, offset: number, length: number, position: number | bigint): Op {
  const op = new Op(OpCode.Write);
  op.fd = fd; op.view = view; op.offset = offset; op.length = length; op.position = position;
  return op;
}

export function vectorOp(write: boolean, fd: number, views: NodeJS.ArrayBufferView[], position: number | bigint): Op {
  const op = new Op(write ? OpCode.Writev : OpCode.Readv);
  op.fd = fd; op.views = views; op.position = position;
  op.scratch = Buffer.allocUnsafe(Math.max(1, views.length) * IOVEC_SIZE);
  return op;
}

/** ReadWhole's result for a file it did not read: it came back open, its fd at status[2 * tag + 1]. */
export const HANDED_OVER = -(2 ** 30);

/** The fd a finished op's result hands to JS — an open's, or one a whole-file read handed over — or -1. */
export function carriedFd(op: Op, result: number): number {
  if (op.code === OpCode.Open) return result >= 0 ? result : -1;
  if (op.code === OpCode.ReadWhole && result === HANDED_OVER) return op.status![2 * op.tag + 1];
  return -1;
}

export function openOp(path: string | Buffer, flags: number, mode: number): Op {
  const op = new Op(OpCode.Open);
  op.path = path; op.flags = flags; op.mode = mode;
  return op;
}

export function closeOp(fd: number, heldSlot = -1): Op {
  const op = new Op(OpCode.Close);
  op.fd = fd;
  op.heldSlot = heldSlot;
  return op;
}

/** ftruncate(fd, length): `length` already checked (a safe integer, at least 0). */
export function ftruncateOp(fd: number, length: number): Op {
  const op = new Op(OpCode.Ftruncate);
  op.fd = fd; op.length = length;
  return op;
}

export function fsyncOp(fd: number, datasync: boolean): Op {
  const op = new Op(OpCode.Fsync);
  op.fd = fd; op.flags = datasync ? 1 : 0;
  return op;
}

/** statx of a path (fd = AT_FDCWD) or, with path null, of the fd itself. */
export function statxOp(fd: number, path: string | Buffer | null, flags: number): Op {
  const op = new Op(OpCode.Statx);
  op.fd = fd; op.path = path; op.flags = path === null ? flags | AT_EMPTY_PATH : flags; op.mode = STATX_MASK;
  // The kernel fills the whole struct on success; nothing is read on failure.
  op.scratch = Buffer.allocUnsafe(STATX_SIZE);
  return op;
}

export function unlinkOp(path: string | Buffer, flags = 0): Op {
  const op = new Op(OpCode.Unlink);
  op.path = path; op.flags = flags;
  return op;
}

/** An op on two paths: rename's from and to, link's existing and new, symlink's target and path. */
function twoPathsOp(code: OpCode.Rename | OpCode.Link | OpCode.Symlink, first: string | Buffer, second: string | Buffer): Op {
  const op = new Op(code);
  op.path = first; op.path2 = second;
  return op;
}

export function renameOp(from: string | Buffer, to: string | Buffer): Op {
  return twoPathsOp(OpCode.Rename, from, to);
}

/** A hard link `to` of `existing` (linkat). */
export function linkOp(existing: string | Buffer, to: string | Buffer): Op {
  return twoPathsOp(OpCode.Link, existing, to);
}

/** A symbolic link at `path` holding `target` (symlinkat). */
export function symlinkOp(target: string | Buffer, path: string | Buffer): Op {
  return twoPathsOp(OpCode.Symlink, target, path);
}

export function mkdirOp(path: string | Buffer, mode: number): Op {
  const op = new Op(OpCode.Mkdir);
  op.path = path; op.mode = mode;
  return op;
}

/**
 * The thread pool's fused whole-file read: open + fstat + read + close on one
 * worker, into `capacity` bytes of `view` at `offset` (see native ReadWholeFile).
 */
export function readWholeOp(path: Buffer, flags: number, view: Buffer, offset: number, capacity: number, status: Int32Array, slot: number): Op {
  const op = new Op(OpCode.ReadWhole);
  op.path = path; op.flags = flags; op.view = view; op.offset = offset; op.length = capacity;
  op.status = status; op.tag = slot;
  return op;
}

/**
 * Tells one compound op's SQEs (and a file group's output, takeFiles) from another's: one counter
 * for both kinds, never 0, in `op.tag`.
 */
let lastCompoundKey = 0;
function nextCompoundKey(): number {
  lastCompoundKey = (lastCompoundKey + 1) >>> 0 || 1;
  return lastCompoundKey;
}

/** A bit beside the open flags of a ReadFiles op (native kGroupLargeMemory): see readFilesOp. */
const GROUP_LARGE_MEMORY = 1 << 30;

/**
 * io_uring's whole-file reads of `count` files as one op (native FileGroup): `paths` holds them
 * NUL-terminated one after the other; `results` gets 4 int32 per file; `op.tag` is the key that
 * names the group's output memory (NativeRing.takeFiles). `largeMemory`: large files may go into
 * large memory (the async readFiles only: lib/memory.ts).
 */
export function readFilesOp(paths: Buffer, count: number, flags: number, results: Int32Array, window: number, largeMemory: boolean): Op {
  const op = new Op(OpCode.ReadFiles);
  op.path = paths; op.length = count;
  op.flags = (flags & ~GROUP_LARGE_MEMORY) | (largeMemory ? GROUP_LARGE_MEMORY : 0); op.status = results; op.tag = nextCompoundKey();
  op.weight = 2 * Math.min(window, count);
  return op;
}

/** The first number of a record: what the op does. */
export const RECORD_READ = 0;
export const RECORD_WRITE = 1;
/** Numbers per record: [RECORD_READ | RECORD_WRITE, fd, index of its view in `views`, offset, length, position]. */
export const RECORD_SIZE = 6;

/**
 * io_uring's batch of `count` reads and writes as one op, handed down as records in one native
 * call (NativeRing.records); `results` gets each one's bytes or -errno.
 */
export function recordsOp(records: Float64Array, views: NodeJS.ArrayBufferView[], count: number, results: Int32Array): Op {
  const op = new Op(OpCode.Records);
  op.records = records; op.views = views; op.length = count; op.status = results; op.tag = nextCompoundKey();
  op.weight = count;
  return op;
}

export const AT_FDCWD = -100;
