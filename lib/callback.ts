// The callback flavour: like node:fs's callback functions, every one going
// through the environment's io_uring ring. Bad arguments throw synchronously
// (as in Node); I/O errors arrive as the callback's first argument.
import type { Buffer } from 'node:buffer';
import { mkdirArgs, openArgs, readFileArgs, readOptionsArgs, statOptions, writeArgs, writeFileArgs } from './args.js';
import {
  closeSteps, fsyncSteps, mkdirSteps, openSteps, readFileSteps, readSteps, renameSteps, statSteps, unlinkSteps,
  vectorSteps, writeFileSteps, writeSteps,
} from './operations.js';
import { defaultRing } from './ring.js';
import { runCallback, type Steps } from './run.js';
import type { BigIntStats, Stats } from './stats.js';
import { checkAborted, validateBufferArray, validateFd, validateFunction, validatePath, validateObject, validateReadPosition, writePosition, type PathLike } from './validate.js';

type View = NodeJS.ArrayBufferView;
type Callback<T> = (err: NodeJS.ErrnoException | null, value?: T) => void;

function run<T>(steps: Steps<T>, callback: Callback<T>): void {
  runCallback(defaultRing(), steps, callback as (err: Error | null, value?: T) => void);
}

/** The callback: the last function argument (Node accepts omitted optionals). */
function takeCallback(args: IArguments | unknown[], name = 'cb'): (...a: any[]) => void {
  const cb = args[args.length - 1];
  validateFunction(cb, name);
  return cb;
}

/** Like fs.open(path[, flags[, mode]], callback). */
export function open(path: PathLike, ...rest: unknown[]): void {
  const cb = takeCallback(rest);
  const [flags, mode] = rest.slice(0, -1);
  const a = openArgs(path, flags, mode);
  run(openSteps(a.path, a.flags, a.mode), cb);
}

/** Like fs.close(fd[, callback]). */
export function close(fd: number, callback: Callback<void> = () => {}): void {
  validateFd(fd);
  validateFunction(callback, 'cb');
  run(closeSteps(fd), callback);
}

/**
 * Like fs.read: (fd, buffer, offset, length, position, cb), (fd, buffer, options, cb),
 * (fd, options, cb), (fd, cb). The callback gets (err, bytesRead, buffer).
 */
export function read(fd: number, ...rest: unknown[]): void {
  validateFd(fd);
  const cb = takeCallback(rest);
  const args = rest.slice(0, -1);
  let a: ReturnType<typeof readOptionsArgs>;
  if (args.length === 4) {
    a = readOptionsArgs(args[0], args[1], args[2], args[3]);
  } else {
    if (args.length === 2) validateObject(args[1], 'options', true);
    a = readOptionsArgs(args[0], args[1] ?? undefined, undefined, undefined);
  }
  if ('empty' in a) {
    const buffer = a.empty;
    process.nextTick(cb, null, 0, buffer);
    return;
  }
  const { buffer } = a;
  run(readSteps(fd, a.buffer, a.offset, a.length, a.position), (err, n) => cb(err, n ?? 0, buffer));
}

/**
 * Like fs.write: (fd, buffer[, offset[, length[, position]]], cb), (fd, buffer, options, cb)
 * or (fd, string[, position[, encoding]], cb). The callback gets (err, written, buffer|string).
 */
export function write(fd: number, buffer: View | string, ...rest: unknown[]): void {
  validateFd(fd);
  const cb = takeCallback(rest);
  const [offset, length, position] = rest.slice(0, -1);
  const a = writeArgs(buffer, offset, length, position);
  const given = a.text ?? a.buffer;
  run(writeSteps(fd, a.buffer, a.offset, a.length, a.position), (err, n) => cb(err, n ?? 0, given));
}

/** Like fs.readv(fd, buffers[, position], cb): callback gets (err, bytesRead, buffers). */
export function readv(fd: number, buffers: readonly View[], ...rest: unknown[]): void {
  validateFd(fd);
  const views = validateBufferArray(buffers);
  const cb = takeCallback(rest);
  const position = rest.length > 1 ? rest[0] : null;
  const pos = typeof position === 'number' ? validateReadPosition(position, 0) : -1;
  run(vectorSteps(false, fd, views, pos), (err, n) => cb(err, n ?? 0, buffers));
}

/** Like fs.writev(fd, buffers[, position], cb): callback gets (err, bytesWritten, buffers). */
export function writev(fd: number, buffers: readonly View[], ...rest: unknown[]): void {
  validateFd(fd);
  const views = validateBufferArray(buffers);
  const cb = takeCallback(rest);
  const position = rest.length > 1 ? rest[0] : null;
  run(vectorSteps(true, fd, views, writePosition(position)), (err, n) => cb(err, n ?? 0, buffers));
}

/** Like fs.fsync(fd, cb). */
export function fsync(fd: number, callback: Callback<void>): void {
  validateFd(fd);
  validateFunction(callback, 'cb');
  run(fsyncSteps(fd, false), callback);
}

/** Like fs.fdatasync(fd, cb). */
export function fdatasync(fd: number, callback: Callback<void>): void {
  validateFd(fd);
  validateFunction(callback, 'cb');
  run(fsyncSteps(fd, true), callback);
}

/** Like fs.fstat(fd[, options], cb). */
export function fstat(fd: number, ...rest: unknown[]): void {
  validateFd(fd);
  const cb = takeCallback(rest);
  run(statSteps(fd, null, true, statOptions(rest.length > 1 ? rest[0] : undefined).bigint), cb as Callback<Stats | BigIntStats | undefined>);
}

/** Like fs.stat(path[, options], cb). */
export function stat(path: PathLike, ...rest: unknown[]): void {
  const cb = takeCallback(rest);
  const p = validatePath(path);
  const o = statOptions(rest.length > 1 ? rest[0] : undefined);
  run(statSteps(null, p, true, o.bigint), cb as Callback<Stats | BigIntStats | undefined>);
}

/** Like fs.lstat(path[, options], cb). */
export function lstat(path: PathLike, ...rest: unknown[]): void {
  const cb = takeCallback(rest);
  const p = validatePath(path);
  const o = statOptions(rest.length > 1 ? rest[0] : undefined);
  run(statSteps(null, p, false, o.bigint), cb as Callback<Stats | BigIntStats | undefined>);
}

/** Like fs.readFile(path | fd[, options], cb). */
export function readFile(path: PathLike | number, ...rest: unknown[]): void {
  const cb = takeCallback(rest);
  const a = readFileArgs(path, rest.length > 1 ? rest[0] : undefined);
  try {
    checkAborted(a.signal);
  } catch (err) {
    process.nextTick(cb, err);
    return;
  }
  run(readFileSteps(a.target, a.flags, a.encoding), cb as Callback<Buffer | string>);
}

/** Like fs.writeFile(path | fd, data[, options], cb). */
export function writeFile(path: PathLike | number, data: string | View, ...rest: unknown[]): void {
  const cb = takeCallback(rest);
  const a = writeFileArgs(path, data, rest.length > 1 ? rest[0] : undefined, 'w');
  run(writeFileSteps(a.target, a.data, a.flags, a.mode, a.flush), cb as Callback<void>);
}

/** Like fs.appendFile(path | fd, data[, options], cb). */
export function appendFile(path: PathLike | number, data: string | View, ...rest: unknown[]): void {
  const cb = takeCallback(rest);
  const a = writeFileArgs(path, data, rest.length > 1 ? rest[0] : undefined, 'a');
  run(writeFileSteps(a.target, a.data, a.flags, a.mode, a.flush), cb as Callback<void>);
}

/** Like fs.unlink(path, cb). */
export function unlink(path: PathLike, callback: Callback<void>): void {
  const p = validatePath(path);
  validateFunction(callback, 'cb');
  run(unlinkSteps(p), callback);
}

/** Like fs.rename(oldPath, newPath, cb). */
export function rename(oldPath: PathLike, newPath: PathLike, callback: Callback<void>): void {
  const from = validatePath(oldPath, 'oldPath');
  const to = validatePath(newPath, 'newPath');
  validateFunction(callback, 'cb');
  run(renameSteps(from, to), callback);
}

/** Like fs.mkdir(path[, options], cb): with `recursive`, the callback gets the first directory created. */
export function mkdir(path: PathLike, ...rest: unknown[]): void {
  const cb = takeCallback(rest);
  const a = mkdirArgs(path, rest.length > 1 ? rest[0] : undefined);
  run(mkdirSteps(a.path, a.mode, a.recursive), cb as Callback<string | undefined>);
}
