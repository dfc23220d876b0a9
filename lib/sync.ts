// The sync flavour: like node:fs's *Sync functions. Single operations are
// one direct syscall each on the calling thread (open=openat, read=pread or
// read, readv=preadv or readv, stat=statx, ...); readFileSync of a path is
// one native call; writeFileSync, and readFileSync of an fd or a large file,
// run the same steps as their async twins, synchronously.
import { Buffer } from 'node:buffer';
import { checkSymlinkTypeFirst, checkSymlinkTypeLast, mkdirArgs, mkdtempArgs, openArgs, readSyncArgs, statOptions, writeArgs, vectorPosition } from './args.js';
import {
  closeResult, fsyncSteps, ftruncateSteps, linkSteps, truncateLength, mkdirSteps, mkdtempSteps, symlinkSteps, openResult, readFileNow, readFileSteps, readResult, renameSteps,
  rmdirSteps, statFlags, statResult, unlinkSteps, vectorSteps, writeFileSteps, writeResult,
} from './operations.js';
import { AT_FDCWD, STATX_MASK, STATX_SIZE } from './op.js';
import { binding } from './binding.js';
import * as nodeFs from 'node:fs';
import { settleFdEverywhere } from './ring.js';
import { syncChecksFdLast, truncateTakesFd, warnTruncateFd } from './node-rules.js';
import { runSync, settled } from './run.js';
import { fileTooLarge } from './errors.js';
import { asNodeGives, callModule, moduleThis, replaced } from './replaced.js';
import type { BigIntStats, Stats } from './stats.js';
import {
  checkReadFileBufferOption, copyObject, dataBytes, getOptions, isInt32, opPath, parseFlags, parseMode, validateBoolean, validateBufferArray, validateFd, validateFdNative, validatePath, kIoMaxLength,
  type Encoding, type PathLike,
} from './validate.js';

type View = NodeJS.ArrayBufferView;

// The single-syscall functions below call these directly, with the arguments their ops would
// carry (lib/op.ts), and read the result as their steps would (lib/operations.ts): no op object,
// no steps, for calls whose syscall may take well under a microsecond.
const native = binding.sync;
// Where the stat functions' statx lands: read into Stats before anything else can run here.
const statxOut = Buffer.allocUnsafe(STATX_SIZE);
// A read's op as readResult reads it: nothing is dropped by a direct read.
const directRead = { dropped: 0 };

/** Like fs.openSync: returns a file descriptor. Syscall: openat (with O_CLOEXEC, as libuv does). */
export function openSync(path: PathLike, flags?: string | number, mode?: string | number): number {
  const a = openArgs(path, flags, mode);
  return settled(native.open(opPath(a.path), a.flags, a.mode), (r) => openResult(r, a.path));
}

/** Like fs.closeSync. Syscall: close. */
export function closeSync(fd: number): void {
  const n = validateFdNative(fd);
  // Ops on this fd the rings accepted go first: after close(2) its number can be reused.
  settleFdEverywhere(n);
  settled(native.close(n), closeResult);
}

/** Like fs.readSync: returns bytes read. Syscall: pread, or read when position is null/-1. */
export function readSync(fd: number, buffer: View, offsetOrOptions?: number | { offset?: number; length?: number; position?: number | bigint | null } | null, length?: number, position?: number | bigint | null): number {
  const last = syncChecksFdLast('readSync');
  if (!last) validateFd(fd);
  // eslint-disable-next-line prefer-rest-params
  const a = readSyncArgs(buffer, offsetOrOptions, length, position, arguments.length);
  if (a === null) return 0;
  if (last) validateFdNative(fd);
  return settled(native.read(fd, a.buffer, a.offset, a.length, a.position), (r) => readResult(r, directRead));
}

/** Like fs.writeSync: returns bytes written. Syscall: pwrite, or write when position is not a number. */
export function writeSync(fd: number, buffer: View | string, offsetOrOptions?: unknown, length?: unknown, position?: unknown): number {
  const last = syncChecksFdLast('writeSync');
  if (!last) validateFd(fd);
  const a = writeArgs(buffer, offsetOrOptions, length, position);
  if (last) validateFdNative(fd);
  return settled(native.write(fd, a.buffer, a.offset, a.length, a.position), writeResult);
}

/** Like fs.readvSync. Syscall: preadv, or readv when position is null. */
export function readvSync(fd: number, buffers: readonly View[], position?: number | null): number {
  const last = syncChecksFdLast('readvSync');
  if (!last) validateFd(fd);
  const views = validateBufferArray(buffers);
  if (last) validateFdNative(fd);
  return runSync(vectorSteps(false, fd, views, vectorPosition(position)));
}

/** Like fs.writevSync. Syscall: pwritev, or writev when position is null. */
export function writevSync(fd: number, buffers: readonly View[], position?: number | null): number {
  const last = syncChecksFdLast('writevSync');
  if (!last) validateFd(fd);
  const views = validateBufferArray(buffers);
  if (views.length === 0) return 0;
  if (last) validateFdNative(fd);
  return runSync(vectorSteps(true, fd, views, vectorPosition(position)));
}

/** Like fs.fsyncSync. Syscall: fsync. */
export function fsyncSync(fd: number): void {
  runSync(fsyncSteps(validateFdNative(fd), false));
}

/** Like fs.fdatasyncSync. Syscall: fdatasync. */
export function fdatasyncSync(fd: number): void {
  runSync(fsyncSteps(validateFdNative(fd), true));
}

/** Like fs.fstatSync. Syscall: statx(fd, "", AT_EMPTY_PATH). */
export function fstatSync(fd: number, options: { bigint?: boolean } = { bigint: false }): Stats | BigIntStats {
  const { bigint } = statOptions(options);
  return statNow(validateFdNative(fd), null, true, bigint)!;
}

/** Like fs.statSync (including `throwIfNoEntry: false`). Syscall: statx. */
export function statSync(path: PathLike, options: { bigint?: boolean; throwIfNoEntry?: boolean } = { bigint: false, throwIfNoEntry: true }): Stats | BigIntStats | undefined {
  const p = validatePath(path);
  const o = statOptions(options);
  return statNow(AT_FDCWD, p, true, o.bigint, o.throwIfNoEntry);
}

/** Like fs.lstatSync. Syscall: statx with AT_SYMLINK_NOFOLLOW. */
export function lstatSync(path: PathLike, options: { bigint?: boolean; throwIfNoEntry?: boolean } = { bigint: false, throwIfNoEntry: true }): Stats | BigIntStats | undefined {
  const p = validatePath(path);
  const o = statOptions(options);
  return statNow(AT_FDCWD, p, false, o.bigint, o.throwIfNoEntry);
}

/** fstat (`fd`, path null), stat or lstat (`follow`): the statx straight to the addon, read as statResult reads it. */
function statNow(fd: number, path: string | Buffer | null, follow: boolean, bigint: boolean, throwIfNoEntry = true): Stats | BigIntStats | undefined {
  const r = native.statx(fd, path === null ? null : opPath(path), statFlags(path, follow), STATX_MASK, statxOut);
  return settled(r, (r) => statResult(r, statxOut, path, follow, bigint, throwIfNoEntry), statNow);
}

/**
 * Like fs.readFileSync: an int32 is an fd (read from its current position,
 * left open), anything else a path. Syscalls: openat, fstat, read until the
 * fstat size (until EOF when it is 0 or the file is not a regular one), close.
 */
export function readFileSync(path: PathLike | number, options?: { encoding?: null; flag?: string | number } | null): Buffer;
export function readFileSync(path: PathLike | number, options: { encoding: BufferEncoding; flag?: string | number } | BufferEncoding): string;
export function readFileSync(path: PathLike | number, options?: { encoding?: BufferEncoding | null; flag?: string | number } | BufferEncoding | null): Buffer | string;
export function readFileSync(path: PathLike | number, options?: { encoding?: BufferEncoding | null; flag?: string | number } | BufferEncoding | null): Buffer | string {
  const o = getOptions(options, { flag: 'r' as unknown });
  const into = checkReadFileBufferOption(o);
  const encoding = o.encoding as Encoding | undefined;
  // Checked in node:fs's order: its utf8 path checks the path, then the flags
  // (also for an fd); otherwise an fd takes no flags, and a path is opened
  // with openSync's checks.
  if ((encoding === 'utf8' || encoding === 'utf-8') && into === undefined) {
    // node:fs's utf8 path reads an fd until EOF without checking it first (so fd -1 is EBADF, read).
    if (!isInt32(path)) return readFileNow(validatePath(path), parseFlags(o.flag), 'utf8');
    return runSync(readFileSteps(path as number, parseFlags(o.flag), 'utf8', undefined, { stat: false, sync: true }));
  }
  // Here node:fs's readFileSync calls fs.openSync, fs.readSync and fs.closeSync of its module:
  // where the caller replaced one of them on the default object, so does this one.
  if (into === undefined && (replaced('openSync', openSync) ?? replaced('readSync', readSync) ?? replaced('closeSync', closeSync))) {
    return readFileSyncThroughModule(path, o.flag, encoding);
  }
  if (isInt32(path)) return runSync(readFileSteps(validateFdNative(path), 0, encoding || undefined, undefined, { sync: true, into }));
  const p = validatePath(path);
  const flags = parseFlags(o.flag);
  if (into === undefined) return readFileNow(p, flags, encoding || undefined);
  return runSync(readFileSteps(p, flags, encoding || undefined, undefined, { sync: true, into }));
}

/**
 * readFileSync as node:fs runs it, through the module's openSync, readSync and closeSync as the
 * default object has them now: the size from fstat (0 for what is not a regular file: read until
 * a read gives nothing), reads until it is read, the fd closed (unless given) also when one fails.
 */
function readFileSyncThroughModule(path: unknown, flag: unknown, encoding: Encoding | undefined): Buffer | string {
  const fs = moduleThis() as Record<string, (...args: unknown[]) => unknown>;
  const ownFd = !isInt32(path);
  const fd = (ownFd ? fs.openSync(path, flag, 0o666) : path) as number;
  const closing = <T>(step: () => T): T => {
    try {
      return step();
    } catch (err) {
      if (ownFd) fs.closeSync(fd);
      throw err;
    }
  };
  const stats = closing(() => fstatSync(fd) as Stats);
  const size = stats.isFile() ? stats.size : 0;
  if (size > kIoMaxLength) closing(() => { throw fileTooLarge(size); });
  let bytes: Buffer;
  if (size > 0) {
    // One buffer of the size, filled from where the last read stopped.
    const buffer = Buffer.allocUnsafeSlow(size);
    let pos = 0;
    for (let n = -1; pos < size && n !== 0; pos += n) n = closing(() => fs.readSync(fd, buffer, pos, size - pos) as number);
    bytes = pos < size ? buffer.subarray(0, pos) : buffer;
  } else {
    const chunks: Buffer[] = [];
    for (;;) {
      const chunk = Buffer.allocUnsafe(8192);
      const n = closing(() => fs.readSync(fd, chunk, 0, 8192) as number);
      if (n === 0) break;
      chunks.push(chunk.subarray(0, n));
    }
    bytes = Buffer.concat(chunks);
  }
  if (ownFd) fs.closeSync(fd);
  return encoding ? bytes.toString(encoding as BufferEncoding) : bytes;
}

/** Like fs.writeFileSync. Syscalls: openat, write until all is written, (fsync with `flush`), close. */
export function writeFileSync(path: PathLike | number, data: string | View, options?: unknown): void {
  const o = getOptions(options, { encoding: 'utf8' as unknown, mode: 0o666 as unknown, flag: 'w' as unknown, flush: false as unknown });
  const flush = o.flush ?? false;
  validateBoolean(flush, 'options.flush');
  const flag = o.flag || 'w';
  if (typeof data === 'string' && (o.encoding === 'utf8' || o.encoding === 'utf-8')) {
    const target = isInt32(path) ? path as number : validatePath(path);
    const flags = parseFlags(flag);
    const mode = parseMode(o.mode, 0o666);
    runSync(writeFileSteps(target, Buffer.from(data, 'utf8'), flags, mode, flush));
    return;
  }
  const bytes = dataBytes(data, o.encoding || 'utf8');
  // Here node:fs's writeFileSync calls fs.openSync, fs.writeSync, fs.fsyncSync and fs.closeSync of
  // its module: where the caller replaced one of them on the default object, so does this one.
  if (replaced('openSync', openSync) ?? replaced('writeSync', writeSync) ?? replaced('closeSync', closeSync) ?? (flush ? replaced('fsyncSync', fsyncSync) : undefined)) {
    writeFileSyncThroughModule(path, flag, o.mode, asNodeGives(data, bytes), flush);
    return;
  }
  if (isInt32(path)) {
    // node:fs checks the fd when it first uses it: writeSync (in JS, or from Node 22 in C++), or
    // fsyncSync (in C++) for empty data.
    let fd = path as number;
    if (bytes.byteLength > 0) fd = syncChecksFdLast('writeSync') ? validateFdNative(path) : validateFd(path);
    else if (flush) fd = validateFdNative(path);
    runSync(writeFileSteps(fd, bytes, 0, 0, flush));
    return;
  }
  const p = validatePath(path);
  const flags = parseFlags(flag);
  const mode = parseMode(o.mode, 0o666);
  runSync(writeFileSteps(p, bytes, flags, mode, flush));
}

/** writeFileSync as node:fs runs it, through the module's openSync, writeSync, fsyncSync and closeSync as the default object has them now. */
function writeFileSyncThroughModule(path: unknown, flag: unknown, mode: unknown, bytes: View, flush: boolean): void {
  const fs = moduleThis() as Record<string, (...args: unknown[]) => unknown>;
  const ownFd = !isInt32(path);
  const fd = ownFd ? fs.openSync(path, flag, mode) : path;
  try {
    for (let offset = 0, length = bytes.byteLength; length > 0;) {
      const written = fs.writeSync(fd, bytes, offset, length) as number;
      offset += written;
      length -= written;
    }
    if (flush) fs.fsyncSync(fd);
  } finally {
    if (ownFd) fs.closeSync(fd);
  }
}

/** Like fs.appendFileSync: writeFileSync with flag 'a' by default, and always on an fd. */
export function appendFileSync(path: PathLike | number, data: string | View, options?: unknown): void {
  const o = copyObject(getOptions(options, { encoding: 'utf8' as unknown, mode: 0o666 as unknown, flag: 'a' as unknown }));
  if (!o.flag || isInt32(path)) o.flag = 'a';
  // node:fs's appendFileSync calls its module's fs.writeFileSync.
  const theirs = replaced('writeFileSync', writeFileSync);
  if (theirs !== undefined) return void Reflect.apply(theirs, moduleThis(), [path, data, o]);
  writeFileSync(path, data, o);
}

/** Like fs.unlinkSync. Syscall: unlinkat. */
export function unlinkSync(path: PathLike): void {
  runSync(unlinkSteps(validatePath(path)));
}

/** Like fs.rmdirSync. Syscall: unlinkat with AT_REMOVEDIR; with options, node:fs's own rmdirSync. */
export function rmdirSync(path: PathLike, options?: nodeFs.RmDirOptions): void {
  if (options !== undefined) return nodeFs.rmdirSync(path, options);
  runSync(rmdirSteps(validatePath(path)));
}

/** Like fs.renameSync. Syscall: renameat. */
export function renameSync(oldPath: PathLike, newPath: PathLike): void {
  runSync(renameSteps(validatePath(oldPath, 'oldPath'), validatePath(newPath, 'newPath')));
}

/** Like fs.ftruncateSync(fd[, len]). Syscall: ftruncate. */
export function ftruncateSync(fd: number, len: number | null = 0): void {
  const length = truncateLength(len);
  runSync(ftruncateSteps(validateFdNative(fd), length));
}

/**
 * Like fs.truncateSync(path[, len]): openSync 'r+', ftruncateSync (which checks `len`), closeSync —
 * the module's, as node:fs calls them. Node 20 and 22's deprecated fd form warns (DEP0081) and is
 * the module's ftruncateSync.
 */
export function truncateSync(path: PathLike, len?: number | null): void {
  if (typeof path === 'number' && truncateTakesFd) {
    // Node 20 and 22 warn, and hand the fd to their module's fs.ftruncateSync.
    warnTruncateFd();
    return void callModule('ftruncateSync', ftruncateSync, path, len);
  }
  const fd = callModule('openSync', openSync, path, 'r+') as number;
  try {
    callModule('ftruncateSync', ftruncateSync, fd, len === undefined ? 0 : len);
  } finally {
    callModule('closeSync', closeSync, fd);
  }
}

/** Like fs.linkSync. Syscall: linkat. */
export function linkSync(existingPath: PathLike, newPath: PathLike): void {
  runSync(linkSteps(validatePath(existingPath, 'existingPath'), validatePath(newPath, 'newPath')));
}

/** Like fs.symlinkSync(target, path[, type]). Syscall: symlinkat. `type` is checked as the running Node checks it. */
export function symlinkSync(target: PathLike, path: PathLike, type?: nodeFs.symlink.Type | null): void {
  checkSymlinkTypeFirst(type);
  const t = validatePath(target, 'target');
  const p = validatePath(path);
  checkSymlinkTypeLast(type);
  runSync(symlinkSteps(t, p));
}

/**
 * Like fs.mkdtempSync: a new directory named `prefix` and six random characters (mode 0o700, as
 * mkdtemp(3) makes it); returns its path in `options.encoding`. Syscall: mkdirat, again while the
 * name exists.
 */
export function mkdtempSync(prefix: PathLike, options?: nodeFs.EncodingOption): string;
export function mkdtempSync(prefix: PathLike, options: nodeFs.BufferEncodingOption): Buffer;
export function mkdtempSync(prefix: PathLike, options?: nodeFs.EncodingOption | nodeFs.BufferEncodingOption): string | Buffer;
export function mkdtempSync(prefix: PathLike, options?: unknown): string | Buffer {
  const a = mkdtempArgs(prefix, options);
  return runSync(mkdtempSteps(a.prefix, a.encoding, true));
}

/** Like fs.mkdirSync: with `recursive`, returns the first directory created. Syscall: mkdirat (statx on EEXIST when recursive). */
export function mkdirSync(path: PathLike, options?: number | string | { recursive?: boolean; mode?: number | string } | null): string | undefined {
  const a = mkdirArgs(path, options);
  const first = runSync(mkdirSteps(a.path, a.mode, a.recursive, true));
  return a.recursive ? first : undefined;
}
