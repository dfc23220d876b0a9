// The sync flavour: like node:fs's *Sync functions. Single operations are
// one direct syscall each on the calling thread (open=openat, read=pread or
// read, readv=preadv or readv, stat=statx, ...); readFileSync and
// writeFileSync run the same steps as their async twins, synchronously.
import type { Buffer } from 'node:buffer';
import { mkdirArgs, openArgs, readFileArgs, readSyncArgs, statOptions, writeArgs, writeFileArgs } from './args.js';
import {
  closeSteps, fsyncSteps, mkdirSteps, openSteps, readFileSteps, readSteps, renameSteps, statSteps, unlinkSteps,
  vectorSteps, writeFileSteps, writeSteps,
} from './operations.js';
import { runSync } from './run.js';
import type { BigIntStats, Stats } from './stats.js';
import { validateBufferArray, validateFd, validatePath, writePosition, validateReadPosition, type PathLike } from './validate.js';

type View = NodeJS.ArrayBufferView;

/** Like fs.openSync: returns a file descriptor. Syscall: openat (with O_CLOEXEC, as libuv does). */
export function openSync(path: PathLike, flags?: string | number, mode?: string | number): number {
  const a = openArgs(path, flags, mode);
  return runSync(openSteps(a.path, a.flags, a.mode));
}

/** Like fs.closeSync. Syscall: close. */
export function closeSync(fd: number): void {
  runSync(closeSteps(validateFd(fd)));
}

/** Like fs.readSync: returns bytes read. Syscall: pread, or read when position is null/-1. */
export function readSync(fd: number, buffer: View, offsetOrOptions?: number | { offset?: number; length?: number; position?: number | bigint | null } | null, length?: number, position?: number | bigint | null): number {
  validateFd(fd);
  // eslint-disable-next-line prefer-rest-params
  const a = readSyncArgs(buffer, offsetOrOptions, length, position, arguments.length);
  if (a === null) return 0;
  return runSync(readSteps(fd, a.buffer, a.offset, a.length, a.position));
}

/** Like fs.writeSync: returns bytes written. Syscall: pwrite, or write when position is not a number. */
export function writeSync(fd: number, buffer: View | string, offsetOrOptions?: unknown, length?: unknown, position?: unknown): number {
  validateFd(fd);
  const a = writeArgs(buffer, offsetOrOptions, length, position);
  return runSync(writeSteps(fd, a.buffer, a.offset, a.length, a.position));
}

/** Like fs.readvSync. Syscall: preadv, or readv when position is null. */
export function readvSync(fd: number, buffers: readonly View[], position?: number | null): number {
  validateFd(fd);
  const views = validateBufferArray(buffers);
  return runSync(vectorSteps(false, fd, views, typeof position === 'number' ? validateReadPosition(position, 0) : -1));
}

/** Like fs.writevSync. Syscall: pwritev, or writev when position is null. */
export function writevSync(fd: number, buffers: readonly View[], position?: number | null): number {
  validateFd(fd);
  const views = validateBufferArray(buffers);
  return runSync(vectorSteps(true, fd, views, writePosition(position)));
}

/** Like fs.fsyncSync. Syscall: fsync. */
export function fsyncSync(fd: number): void {
  runSync(fsyncSteps(validateFd(fd), false));
}

/** Like fs.fdatasyncSync. Syscall: fdatasync. */
export function fdatasyncSync(fd: number): void {
  runSync(fsyncSteps(validateFd(fd), true));
}

/** Like fs.fstatSync. Syscall: statx(fd, "", AT_EMPTY_PATH). */
export function fstatSync(fd: number, options?: { bigint?: boolean }): Stats | BigIntStats {
  return runSync(statSteps(validateFd(fd), null, true, statOptions(options).bigint))!;
}

/** Like fs.statSync (including `throwIfNoEntry: false`). Syscall: statx. */
export function statSync(path: PathLike, options?: { bigint?: boolean; throwIfNoEntry?: boolean }): Stats | BigIntStats | undefined {
  const o = statOptions(options);
  return runSync(statSteps(null, validatePath(path), true, o.bigint, o.throwIfNoEntry));
}

/** Like fs.lstatSync. Syscall: statx with AT_SYMLINK_NOFOLLOW. */
export function lstatSync(path: PathLike, options?: { bigint?: boolean; throwIfNoEntry?: boolean }): Stats | BigIntStats | undefined {
  const o = statOptions(options);
  return runSync(statSteps(null, validatePath(path), false, o.bigint, o.throwIfNoEntry));
}

/** Like fs.readFileSync. Syscalls: openat, statx, pread until the statx size (read until EOF when it is 0), close. */
export function readFileSync(path: PathLike | number, options?: { encoding?: BufferEncoding | null; flag?: string | number } | BufferEncoding | null): Buffer | string {
  const a = readFileArgs(path, options);
  return runSync(readFileSteps(a.target, a.flags, a.encoding));
}

/** Like fs.writeFileSync. Syscalls: openat, write until all is written, (fsync with `flush`), close. */
export function writeFileSync(path: PathLike | number, data: string | View, options?: unknown): void {
  const a = writeFileArgs(path, data, options, 'w');
  runSync(writeFileSteps(a.target, a.data, a.flags, a.mode, a.flush));
}

/** Like fs.appendFileSync: writeFileSync with flag 'a'. */
export function appendFileSync(path: PathLike | number, data: string | View, options?: unknown): void {
  const a = writeFileArgs(path, data, options, 'a');
  runSync(writeFileSteps(a.target, a.data, a.flags, a.mode, a.flush));
}

/** Like fs.unlinkSync. Syscall: unlinkat. */
export function unlinkSync(path: PathLike): void {
  runSync(unlinkSteps(validatePath(path)));
}

/** Like fs.renameSync. Syscall: renameat. */
export function renameSync(oldPath: PathLike, newPath: PathLike): void {
  runSync(renameSteps(validatePath(oldPath, 'oldPath'), validatePath(newPath, 'newPath')));
}

/** Like fs.mkdirSync: with `recursive`, returns the first directory created. Syscall: mkdirat (statx on EEXIST when recursive). */
export function mkdirSync(path: PathLike, options?: number | string | { recursive?: boolean; mode?: number | string }): string | undefined {
  const a = mkdirArgs(path, options);
  return runSync(mkdirSteps(a.path, a.mode, a.recursive));
}
