// The callback flavour: like node:fs's callback functions, every one going
// through the environment's io_uring ring (or the ring of ring.callbacks). Each function checks its
// arguments in the order node:fs does (so the same bad call throws the same
// error synchronously), and calls back with the same arguments: (err) or
// (null) for operations without a result, (err, value) otherwise, and
// (err, count, buffer) for read and write.
import { openCallbackArgs, readCallbackArgs, statOptions, mkdirArgs, mkdtempArgs, writeCallbackArgs, vectorPosition, checkSymlinkTypeFirst, checkSymlinkTypeLast } from './args.js';
import {
  closeSteps, fsyncSteps, ftruncateSteps, linkSteps, truncateLength, truncateSteps, mkdirSteps, mkdtempSteps, symlinkSteps, openSteps, probedReadOp, readFileSteps, readResult, renameSteps, rmdirSteps, statSteps, unlinkSteps,
  vectorSteps, writeFileSteps, writeSteps,
} from './operations.js';
import * as nodeFs from 'node:fs';
import { defaultRing, type Ring } from './ring.js';
import { claimBoundRing, runCallback, runOneCallback, type Steps } from './run.js';
import { AbortError, firstThenClose } from './errors.js';
import { asNodeGives, moduleThis, replaced } from './replaced.js';
import type { BigIntStats, Stats } from './stats.js';
import { Buffer } from 'node:buffer';
import { AsyncResource } from 'node:async_hooks';
import { mergeableRing, readFileInTurn } from './readfiles.js';
import { callbackStatRule, callbackStatTakesSignal, symlinkChecksTypeFirst, truncateTakesFd, warnTruncateFd } from './node-rules.js';
import {
  checkReadFileBufferOption, copyObject, dataBytes, getOptions, isArrayBufferView, isInt32, parseFlags, parseMode, validateBoolean, validateBufferArray, validateFd, validateFdNative,
  validateFunction, validatePath, type Encoding, type PathLike,
} from './validate.js';

type View = NodeJS.ArrayBufferView;
type AnyCallback = (...args: any[]) => unknown;
type ErrnoException = NodeJS.ErrnoException;
type NoParamCallback = (err: ErrnoException | null) => void;
type Flags = string | number;
type Mode = string | number;
type Position = number | bigint | null;
interface ReadOptions { offset?: number; length?: number; position?: Position }
interface ReadOptionsWithBuffer<T> extends ReadOptions { buffer?: T }
interface WriteOptions { offset?: number; length?: number; position?: number | null }
interface StatOptions { bigint?: boolean }
interface ReadFileOptions { encoding?: BufferEncoding | null; flag?: Flags; signal?: AbortSignal }
interface WriteFileOptions { encoding?: BufferEncoding | null; mode?: Mode; flag?: Flags; flush?: boolean; signal?: AbortSignal }
interface MkdirOptions { recursive?: boolean; mode?: Mode }

/**
 * Run on `ring` (undefined: the default ring); `deliver` turns (err, value) into the callback's
 * arguments. Each public function claims its ring first thing (claimBoundRing).
 */
function run<T>(ring: Ring | undefined, steps: Steps<T>, deliver: (err: Error | null, value?: T) => void): void {
  runCallback(ring ?? defaultRing(), steps, deliver);
}

/** node:fs's makeCallback: the callback must be a function. */
function makeCallback(cb: unknown): AnyCallback {
  validateFunction(cb, 'cb');
  return cb;
}

/** How node:fs calls back for operations without a result: (err) or (null). */
function noResult(cb: AnyCallback): (err: Error | null) => void {
  return (err) => { cb(err); };
}

/** How node:fs calls back with a result: (err), or (null, value), or (null) when the value is undefined. */
function withResult(cb: AnyCallback): (err: Error | null, value?: unknown) => void {
  return (err, value) => {
    if (err) cb(err);
    else if (value === undefined) cb(null);
    else cb(null, value);
  };
}

/** Like fs.open(path[, flags[, mode]], callback). */
export function open(path: PathLike, flags: Flags | undefined, mode: Mode | undefined | null, callback: (err: ErrnoException | null, fd: number) => void): void;
export function open(path: PathLike, flags: Flags | undefined, callback: (err: ErrnoException | null, fd: number) => void): void;
export function open(path: PathLike, callback: (err: ErrnoException | null, fd: number) => void): void;
export function open(path: PathLike, flags?: unknown, mode?: unknown, callback?: unknown): void {
  const ring = claimBoundRing();
  if (arguments.length < 3) [flags, mode, callback] = ['r', undefined, flags];
  else if (typeof mode === 'function') [mode, callback] = [undefined, mode];
  const a = openCallbackArgs(path, flags, mode);
  const cb = makeCallback(callback);
  run(ring, openSteps(a.path, a.flags, a.mode), withResult(cb));
}

function defaultCloseCallback(err: Error | null): void {
  if (err != null) throw err;
}

/** Like fs.close(fd[, callback]): without a callback, an error is thrown (uncaught), as in node:fs. */
export function close(fd: number, callback?: NoParamCallback): void;
export function close(fd: number, callback: unknown = defaultCloseCallback): void {
  const ring = claimBoundRing();
  const cb = callback === defaultCloseCallback ? defaultCloseCallback : makeCallback(callback);
  run(ring, closeSteps(validateFdNative(fd)), noResult(cb));
}

/**
 * Like fs.read: (fd, buffer, offset, length, position, cb), (fd, buffer, options, cb),
 * (fd, buffer, cb), (fd, options, cb), (fd, cb). The callback gets (err, bytesRead, buffer).
 */
export function read<T extends View>(fd: number, buffer: T, offset: number | null | undefined, length: number | null | undefined, position: Position | undefined, callback: (err: ErrnoException | null, bytesRead: number, buffer: T) => void): void;
export function read<T extends View>(fd: number, buffer: T, options: ReadOptions | null, callback: (err: ErrnoException | null, bytesRead: number, buffer: T) => void): void;
export function read<T extends View>(fd: number, buffer: T, callback: (err: ErrnoException | null, bytesRead: number, buffer: T) => void): void;
export function read<T extends View = Buffer>(fd: number, options: ReadOptionsWithBuffer<T> | null, callback: (err: ErrnoException | null, bytesRead: number, buffer: T) => void): void;
export function read(fd: number, callback: (err: ErrnoException | null, bytesRead: number, buffer: Buffer) => void): void;
export function read(fd: number, buffer?: unknown, offsetOrOptions?: unknown, length?: unknown, position?: unknown, callback?: unknown): void {
  const ring = claimBoundRing();
  validateFd(fd);
  const a = readCallbackArgs(arguments.length, buffer, offsetOrOptions, length, position, callback);
  const cb = a.callback;
  const view = a.buffer;
  if (a.read === null) {
    process.nextTick(() => cb(null, 0, view));
    return;
  }
  const r = a.read;
  runOneCallback(ring ?? defaultRing(), probedReadOp(fd, r.buffer, r.offset, r.length, r.position), readResult, (err, n) => cb(err, n || 0, view));
}

/**
 * Like fs.write: (fd, buffer[, offset[, length[, position]]], cb), (fd, buffer, options, cb)
 * or (fd, string[, position[, encoding]], cb). The callback gets (err, written, buffer | string).
 */
export function write<T extends View>(fd: number, buffer: T, offset: number | null | undefined, length: number | null | undefined, position: number | null | undefined, callback: (err: ErrnoException | null, written: number, buffer: T) => void): void;
export function write<T extends View>(fd: number, buffer: T, offset: number | null | undefined, length: number | null | undefined, callback: (err: ErrnoException | null, written: number, buffer: T) => void): void;
export function write<T extends View>(fd: number, buffer: T, offset: number | null | undefined, callback: (err: ErrnoException | null, written: number, buffer: T) => void): void;
export function write<T extends View>(fd: number, buffer: T, options: WriteOptions | null, callback: (err: ErrnoException | null, written: number, buffer: T) => void): void;
export function write<T extends View>(fd: number, buffer: T, callback: (err: ErrnoException | null, written: number, buffer: T) => void): void;
export function write(fd: number, string: string, position: number | null | undefined, encoding: BufferEncoding | null | undefined, callback: (err: ErrnoException | null, written: number, str: string) => void): void;
export function write(fd: number, string: string, position: number | null | undefined, callback: (err: ErrnoException | null, written: number, str: string) => void): void;
export function write(fd: number, string: string, callback: (err: ErrnoException | null, written: number, str: string) => void): void;
export function write(fd: number, buffer: View | string, offsetOrOptions?: unknown, length?: unknown, position?: unknown, callback?: unknown): void {
  const ring = claimBoundRing();
  validateFd(fd);
  const a = writeCallbackArgs(buffer, offsetOrOptions, length, position, callback);
  const w = a.write;
  const { given, callback: cb } = a;
  run(ring, writeSteps(fd, w.buffer, w.offset, w.length, w.position), (err, n) => cb(err, n || 0, given));
}

/** Like fs.readv(fd, buffers[, position], cb): callback gets (err, bytesRead, buffers). */
export function readv<T extends readonly View[]>(fd: number, buffers: T, callback: (err: ErrnoException | null, bytesRead: number, buffers: T) => void): void;
export function readv<T extends readonly View[]>(fd: number, buffers: T, position: number | null | undefined, callback: (err: ErrnoException | null, bytesRead: number, buffers: T) => void): void;
export function readv(fd: number, buffers: readonly View[], position?: unknown, callback?: unknown): void {
  const ring = claimBoundRing();
  validateFd(fd);
  const views = validateBufferArray(buffers);
  callback ||= position;
  const cb = makeCallback(callback);
  run(ring, vectorSteps(false, fd, views, vectorPosition(position)), (err, n) => cb(err, n || 0, buffers));
}

/** Like fs.writev(fd, buffers[, position], cb): callback gets (err, bytesWritten, buffers). */
export function writev<T extends readonly View[]>(fd: number, buffers: T, callback: (err: ErrnoException | null, bytesWritten: number, buffers: T) => void): void;
export function writev<T extends readonly View[]>(fd: number, buffers: T, position: number | null | undefined, callback: (err: ErrnoException | null, bytesWritten: number, buffers: T) => void): void;
export function writev(fd: number, buffers: readonly View[], position?: unknown, callback?: unknown): void {
  const ring = claimBoundRing();
  validateFd(fd);
  const views = validateBufferArray(buffers);
  callback ||= position;
  const cb = makeCallback(callback);
  if (views.length === 0) {
    process.nextTick(() => cb(null, 0, buffers));
    return;
  }
  run(ring, vectorSteps(true, fd, views, vectorPosition(position)), (err, n) => cb(err, n || 0, buffers));
}

/** Like fs.fsync(fd, cb). */
export function fsync(fd: number, callback: NoParamCallback): void;
export function fsync(fd: number, callback: unknown): void {
  const ring = claimBoundRing();
  const cb = makeCallback(callback);
  run(ring, fsyncSteps(validateFdNative(fd), false), noResult(cb));
}

/** Like fs.fdatasync(fd, cb). */
export function fdatasync(fd: number, callback: NoParamCallback): void;
export function fdatasync(fd: number, callback: unknown): void {
  const ring = claimBoundRing();
  const cb = makeCallback(callback);
  run(ring, fsyncSteps(validateFdNative(fd), true), noResult(cb));
}

/** Like fs.fstat(fd[, options], cb). */
export function fstat(fd: number, callback: (err: ErrnoException | null, stats: Stats) => void): void;
export function fstat(fd: number, options: (StatOptions & { bigint?: false }) | undefined, callback: (err: ErrnoException | null, stats: Stats) => void): void;
export function fstat(fd: number, options: StatOptions & { bigint: true }, callback: (err: ErrnoException | null, stats: BigIntStats) => void): void;
export function fstat(fd: number, options: StatOptions | undefined, callback: (err: ErrnoException | null, stats: Stats | BigIntStats) => void): void;
export function fstat(fd: number, options: unknown = { bigint: false }, callback?: unknown): void {
  const ring = claimBoundRing();
  if (typeof options === 'function') {
    callback = options;
    options = {};
  }
  const cb = makeCallback(callback);
  const { bigint } = statOptions(options);
  run(ring, statSteps(validateFdNative(fd), null, true, bigint), withResult(cb));
}

/** Like fs.stat(path[, options], cb). */
export function stat(path: PathLike, callback: (err: ErrnoException | null, stats: Stats) => void): void;
export function stat(path: PathLike, options: (StatOptions & { bigint?: false }) | undefined, callback: (err: ErrnoException | null, stats: Stats) => void): void;
export function stat(path: PathLike, options: StatOptions & { bigint: true }, callback: (err: ErrnoException | null, stats: BigIntStats) => void): void;
export function stat(path: PathLike, options: StatOptions | undefined, callback: (err: ErrnoException | null, stats: Stats | BigIntStats) => void): void;
export function stat(path: PathLike, options: unknown = { bigint: false }, callback?: unknown): void {
  const ring = claimBoundRing();
  if (typeof options === 'function') {
    callback = options;
    options = {};
  }
  const cb = makeCallback(callback);
  // As the running node:fs takes them (lib/node-rules.ts): Node 22 reads options.bigint before
  // the path; Node 24 takes null as no options and honours throwIfNoEntry.
  const rule = callbackStatRule();
  if (rule === 'options-first') void (options as { bigint?: unknown }).bigint;
  if (rule === 'null-ok' && options === null) options = {};
  const p = validatePath(path);
  const signal = (options as { signal?: AbortSignal } | null)?.signal;
  if (signal?.aborted && callbackStatTakesSignal()) {
    cb(new AbortError(undefined, { cause: signal.reason }));
    return;
  }
  const done = withResult(cb);
  const quiet = rule === 'null-ok' && (options as { throwIfNoEntry?: unknown }).throwIfNoEntry === false;
  run(ring, statSteps(null, p, true, statOptions(options).bigint), quiet
    ? (err, value) => (err !== null && ['ENOENT', 'ENOTDIR'].includes((err as ErrnoException).code ?? '') ? cb(null, undefined) : done(err, value))
    : done);
}

/** Like fs.lstat(path[, options], cb). */
export function lstat(path: PathLike, callback: (err: ErrnoException | null, stats: Stats) => void): void;
export function lstat(path: PathLike, options: (StatOptions & { bigint?: false }) | undefined, callback: (err: ErrnoException | null, stats: Stats) => void): void;
export function lstat(path: PathLike, options: StatOptions & { bigint: true }, callback: (err: ErrnoException | null, stats: BigIntStats) => void): void;
export function lstat(path: PathLike, options: StatOptions | undefined, callback: (err: ErrnoException | null, stats: Stats | BigIntStats) => void): void;
export function lstat(path: PathLike, options: unknown = { bigint: false }, callback?: unknown): void {
  const ring = claimBoundRing();
  if (typeof options === 'function') {
    callback = options;
    options = {};
  }
  const cb = makeCallback(callback);
  const p = validatePath(path);
  run(ring, statSteps(null, p, false, statOptions(options).bigint), withResult(cb));
}

/** Like fs.readFile(path | fd[, options], cb). An int32 is an fd (read from its current position, left open). */
export function readFile(path: PathLike | number, options: (ReadFileOptions & { encoding?: null }) | undefined | null, callback: (err: ErrnoException | null, data: Buffer) => void): void;
export function readFile(path: PathLike | number, options: (ReadFileOptions & { encoding: BufferEncoding }) | BufferEncoding, callback: (err: ErrnoException | null, data: string) => void): void;
export function readFile(path: PathLike | number, options: ReadFileOptions | BufferEncoding | undefined | null, callback: (err: ErrnoException | null, data: string | Buffer) => void): void;
export function readFile(path: PathLike | number, callback: (err: ErrnoException | null, data: Buffer) => void): void;
export function readFile(path: PathLike | number, options?: unknown, callback?: unknown): void {
  const ring = claimBoundRing();
  callback ||= options;
  const cb = makeCallback(callback);
  const o = getOptions(options, { flag: 'r' as unknown });
  const into = checkReadFileBufferOption(o);
  const encoding = o.encoding as Encoding | undefined;
  const signal = o.signal;
  if (isInt32(path)) {
    // node:fs throws a bad fd (e.g. -1) from a later tick, as an uncaught
    // exception; uringfs calls back with that error instead.
    let fd: number;
    try {
      fd = validateFdNative(path);
    } catch (err) {
      process.nextTick(cb, err);
      return;
    }
    run(ring, readFileSteps(fd, 0, encoding, signal, { into }), withResult(cb));
    return;
  }
  if (signal?.aborted) {
    cb(new AbortError(undefined, { cause: signal.reason }));
    return;
  }
  const flags = parseFlags(o.flag, 'options.flag');
  const p = validatePath(path);
  const on = into === undefined && (encoding === undefined || encoding === null || Buffer.isEncoding(encoding)) ? mergeableRing(ring, flags, signal) : null;
  if (on !== null) {
    // Joins the other readFile calls of this turn: one native op for all (lib/readfiles.ts).
    // The callback runs in this call's async context, as node:fs's does.
    const scope = new AsyncResource('FSREQCALLBACK');
    readFileInTurn(on, p, (outcome) => {
      if (outcome instanceof Error) scope.runInAsyncScope(cb, null, outcome);
      else scope.runInAsyncScope(cb, null, null, encoding && encoding !== 'buffer' ? outcome.toString(encoding) : outcome);
    });
    return;
  }
  run(ring, readFileSteps(p, flags, encoding, signal, { into }), withResult(cb));
}

function writeFileWith(ring: Ring | undefined, path: PathLike | number, data: unknown, options: unknown, cb: AnyCallback): void {
  const o = getOptions(options, { encoding: 'utf8' as unknown, mode: 0o666 as unknown, flag: 'w' as unknown, flush: false as unknown });
  const flag = o.flag || 'w';
  const flush = o.flush ?? false;
  validateBoolean(flush, 'options.flush');
  const bytes = isArrayBufferView(data) ? dataBytes(data, undefined) : dataBytes(data, o.encoding || 'utf8');
  const signal = o.signal;
  if (signal?.aborted) {
    cb(new AbortError(undefined, { cause: signal.reason }));
    return;
  }
  // node:fs's writeFile calls fs.open, fs.write, fs.fsync and fs.close of its module: where the
  // caller replaced one of them on the default object, so does this one.
  if (ring === undefined && (replaced('open', open) ?? replaced('write', write) ?? replaced('close', close) ?? (flush ? replaced('fsync', fsync) : undefined))) {
    writeFileThroughModule(path, flag, o.mode, asNodeGives(data, bytes), flush, signal, cb);
    return;
  }
  if (isInt32(path)) {
    run(ring, writeFileSteps(validateFd(path), bytes, 0, 0, flush, { signal, emptyWrite: true }), noResult(cb));
    return;
  }
  // fs.open(path, flag, mode, ...): path, then mode, then flags.
  const p = validatePath(path);
  const mode = parseMode(o.mode, 0o666);
  const flags = parseFlags(flag);
  run(ring, writeFileSteps(p, bytes, flags, mode, flush, { signal, emptyWrite: true }), noResult(cb));
}

/**
 * writeFile as node:fs runs it, step by step through the module's fs.open, fs.write (until every
 * byte is written, the signal checked before each), fs.fsync (with `flush`) and fs.close (unless
 * given an fd), as the default object has them now.
 */
function writeFileThroughModule(path: unknown, flag: unknown, mode: unknown, bytes: View, flush: boolean, signal: AbortSignal | undefined, cb: AnyCallback): void {
  const fs = moduleThis() as Record<string, (...args: unknown[]) => void>;
  const ownFd = !isInt32(path);
  const finish = (fd: number, err: Error | null): void => {
    if (!ownFd) cb(err);
    else fs.close(fd, (closeErr: Error | null) => cb(firstThenClose(err, closeErr ?? null)));
  };
  const writeAll = (fd: number, offset: number, length: number): void => {
    if (signal?.aborted) return finish(fd, new AbortError(undefined, { cause: signal.reason }));
    fs.write(fd, bytes, offset, length, null, (err: Error | null, written: number) => {
      if (err) finish(fd, err);
      else if (written < length) writeAll(fd, offset + written, length - written);
      else if (flush) fs.fsync(fd, (syncErr: Error | null) => finish(fd, syncErr ?? null));
      else finish(fd, null);
    });
  };
  if (!ownFd) writeAll(path as number, 0, bytes.byteLength);
  else fs.open(path, flag, mode, (err: Error | null, fd: number) => (err ? cb(err) : writeAll(fd, 0, bytes.byteLength)));
}

/** Like fs.writeFile(path | fd, data[, options], cb). */
export function writeFile(path: PathLike | number, data: string | View, options: WriteFileOptions | BufferEncoding | undefined | null, callback: NoParamCallback): void;
export function writeFile(path: PathLike | number, data: string | View, callback: NoParamCallback): void;
export function writeFile(path: PathLike | number, data: string | View, options?: unknown, callback?: unknown): void {
  const ring = claimBoundRing();
  callback ||= options;
  const cb = makeCallback(callback);
  writeFileWith(ring, path, data, options, cb);
}

/** Like fs.appendFile(path | fd, data[, options], cb): flag 'a' by default, and always on an fd. */
export function appendFile(path: PathLike | number, data: string | View, options: WriteFileOptions | BufferEncoding | undefined | null, callback: NoParamCallback): void;
export function appendFile(path: PathLike | number, data: string | View, callback: NoParamCallback): void;
export function appendFile(path: PathLike | number, data: string | View, options?: unknown, callback?: unknown): void {
  const ring = claimBoundRing();
  callback ||= options;
  const cb = makeCallback(callback);
  const o = { ...copyObject(getOptions(options, { encoding: 'utf8' as unknown, mode: 0o666 as unknown, flag: 'a' as unknown })) };
  if (!o.flag || isInt32(path)) o.flag = 'a';
  // node:fs's appendFile calls its module's fs.writeFile.
  const theirs = ring === undefined ? replaced('writeFile', writeFile) : undefined;
  if (theirs !== undefined) return void Reflect.apply(theirs, moduleThis(), [path, data, o, callback]);
  writeFileWith(ring, path, data, o, cb);
}

/** Like fs.unlink(path, cb). */
export function unlink(path: PathLike, callback: NoParamCallback): void;
export function unlink(path: PathLike, callback: unknown): void {
  const ring = claimBoundRing();
  const cb = makeCallback(callback);
  run(ring, unlinkSteps(validatePath(path)), noResult(cb));
}

/**
 * Like fs.rmdir(path[, options], cb). Without options, on the ring (unlinkat with AT_REMOVEDIR);
 * with options, node:fs's own rmdir (its deprecated `recursive` mode and its checks of them).
 */
export function rmdir(path: PathLike, callback: NoParamCallback): void;
export function rmdir(path: PathLike, options: nodeFs.RmDirOptions | undefined, callback: NoParamCallback): void;
export function rmdir(path: PathLike, options: unknown, callback?: unknown): void {
  if (typeof options !== 'function' && options !== undefined) {
    return void Reflect.apply(nodeFs.rmdir, undefined, [path, options, callback]);
  }
  const ring = claimBoundRing();
  const cb = makeCallback(typeof options === 'function' ? options : callback);
  run(ring, rmdirSteps(validatePath(path)), noResult(cb));
}

/** Like fs.rename(oldPath, newPath, cb). */
export function rename(oldPath: PathLike, newPath: PathLike, callback: NoParamCallback): void;
export function rename(oldPath: PathLike, newPath: PathLike, callback: unknown): void {
  const ring = claimBoundRing();
  const cb = makeCallback(callback);
  const from = validatePath(oldPath, 'oldPath');
  const to = validatePath(newPath, 'newPath');
  run(ring, renameSteps(from, to), noResult(cb));
}

/**
 * Like fs.ftruncate(fd[, len], cb): the file cut, or extended with zeros, to `len` bytes (0 by
 * default, below 0 counts as 0). On io_uring where the kernel has no IORING_OP_FTRUNCATE (before
 * Linux 6.9), node:fs's own.
 */
export function ftruncate(fd: number, len: number | undefined | null, callback: NoParamCallback): void;
export function ftruncate(fd: number, callback: NoParamCallback): void;
export function ftruncate(fd: number, len: unknown = 0, callback?: unknown): void {
  ftruncateOn(claimBoundRing(), fd, len, callback);
}

function ftruncateOn(ring: Ring | undefined, fd: unknown, len: unknown, callback: unknown): void {
  if (len === undefined) len = 0;
  if (typeof len === 'function') {
    callback = len;
    len = 0;
  }
  const length = truncateLength(len);
  const cb = makeCallback(callback);
  const f = validateFdNative(fd);
  if (!(ring ?? defaultRing()).takesFtruncate) return void nodeFs.ftruncate(f, length, cb);
  run(ring, ftruncateSteps(f, length), noResult(cb));
}

/**
 * Like fs.truncate(path[, len], cb): open 'r+', ftruncate, close. Node 20 and 22's deprecated fd
 * form warns (DEP0081) and is the module's ftruncate.
 */
export function truncate(path: PathLike, len: number | undefined | null, callback: NoParamCallback): void;
export function truncate(path: PathLike, callback: NoParamCallback): void;
export function truncate(path: PathLike, len?: unknown, callback?: unknown): void {
  const ring = claimBoundRing();
  if (typeof path === 'number' && truncateTakesFd) {
    // Node 20 and 22 warn, and hand the fd to their module's fs.ftruncate.
    warnTruncateFd();
    const theirs = ring === undefined ? replaced('ftruncate', ftruncate) : undefined;
    if (theirs !== undefined) return void Reflect.apply(theirs, moduleThis(), [path, len, callback]);
    return ftruncateOn(ring, path, len, callback);
  }
  if (typeof len === 'function') {
    callback = len;
    len = 0;
  }
  const length = truncateLength(len);
  validateFunction(callback, 'cb');
  // node:fs's truncate opens and closes through its module's fs.open and fs.close.
  if (ring === undefined && (replaced('open', open) ?? replaced('close', close))) {
    const fs = moduleThis() as Record<string, (...args: unknown[]) => void>;
    fs.open(path, 'r+', (err: Error | null, fd: number) => {
      if (err) return void callback(err);
      ftruncate(fd, length, (truncErr) => fs.close(fd, (closeErr: Error | null) => callback(firstThenClose(truncErr, closeErr ?? null))));
    });
    return;
  }
  const p = validatePath(path);
  if (!(ring ?? defaultRing()).takesFtruncate) return void nodeFs.truncate(p, length, callback as NoParamCallback);
  run(ring, truncateSteps(p, length), noResult(callback));
}

/** Like fs.link(existingPath, newPath, cb): a hard link. */
export function link(existingPath: PathLike, newPath: PathLike, callback: NoParamCallback): void;
export function link(existingPath: PathLike, newPath: PathLike, callback: unknown): void {
  const ring = claimBoundRing();
  const cb = makeCallback(callback);
  const existing = validatePath(existingPath, 'existingPath');
  const to = validatePath(newPath, 'newPath');
  run(ring, linkSteps(existing, to), noResult(cb));
}

/**
 * Like fs.symlink(target, path[, type], cb): `path` made a symbolic link holding `target`. `type`
 * ('dir', 'file', 'junction') is checked as the running Node checks it, and means nothing on Linux.
 */
export function symlink(target: PathLike, path: PathLike, type: nodeFs.symlink.Type | undefined | null, callback: NoParamCallback): void;
export function symlink(target: PathLike, path: PathLike, callback: NoParamCallback): void;
export function symlink(target: PathLike, path: PathLike, type: unknown, callback?: unknown): void {
  const ring = claimBoundRing();
  let cb: AnyCallback;
  if (!symlinkChecksTypeFirst()) {
    // Node 20 and 22: the callback is the last argument, a type that is not a string none.
    cb = makeCallback(arguments[arguments.length - 1]);
    if (typeof type !== 'string') type = undefined;
  } else if (callback === undefined) {
    cb = makeCallback(type);
    type = undefined;
  } else {
    checkSymlinkTypeFirst(type);
    cb = makeCallback(callback);
  }
  const t = validatePath(target, 'target');
  const p = validatePath(path);
  checkSymlinkTypeLast(type);
  run(ring, symlinkSteps(t, p), noResult(cb));
}

/**
 * Like fs.mkdtemp(prefix[, options], cb): a new directory named `prefix` and six random characters
 * (mode 0o700); the callback gets its path in `options.encoding`.
 */
export function mkdtemp(prefix: PathLike, options: nodeFs.EncodingOption, callback: (err: ErrnoException | null, folder: string) => void): void;
export function mkdtemp(prefix: PathLike, options: nodeFs.BufferEncodingOption, callback: (err: ErrnoException | null, folder: Buffer) => void): void;
export function mkdtemp(prefix: PathLike, options: nodeFs.EncodingOption | nodeFs.BufferEncodingOption, callback: (err: ErrnoException | null, folder: string | Buffer) => void): void;
export function mkdtemp(prefix: PathLike, callback: (err: ErrnoException | null, folder: string) => void): void;
export function mkdtemp(prefix: PathLike, options: unknown, callback?: unknown): void {
  const ring = claimBoundRing();
  if (typeof options === 'function') {
    callback = options;
    options = undefined;
  }
  const cb = makeCallback(callback);
  const a = mkdtempArgs(prefix, options);
  run(ring, mkdtempSteps(a.prefix, a.encoding, false), withResult(cb));
}

/** Like fs.mkdir(path[, options], cb): with `recursive`, the callback gets the first directory created. */
export function mkdir(path: PathLike, options: MkdirOptions & { recursive: true }, callback: (err: ErrnoException | null, path?: string) => void): void;
export function mkdir(path: PathLike, options: Mode | (MkdirOptions & { recursive?: false }) | null | undefined, callback: NoParamCallback): void;
export function mkdir(path: PathLike, options: Mode | MkdirOptions | null | undefined, callback: (err: ErrnoException | null, path?: string) => void): void;
export function mkdir(path: PathLike, callback: NoParamCallback): void;
export function mkdir(path: PathLike, options?: unknown, callback?: unknown): void {
  const ring = claimBoundRing();
  if (typeof options === 'function') {
    callback = options;
    options = undefined;
  }
  const cb = makeCallback(callback);
  const a = mkdirArgs(path, options);
  run(ring, mkdirSteps(a.path, a.mode, a.recursive), a.recursive ? withResult(cb) : noResult(cb));
}

/**
 * util.promisify(read | write | readv | writev) resolves `{ bytesRead, buffer }`,
 * `{ bytesWritten, buffer }`, `{ bytesRead, buffers }`, and for writev `{ bytesWritten, buffer }`
 * (the array of buffers, under node:fs's singular name), as for node:fs's, which name the
 * callback's values with an internal symbol of util.promisify; the public way is
 * util.promisify.custom, registered as Symbol.for('nodejs.util.promisify.custom').
 */
function promisifyAs(fn: AnyCallback, names: readonly [string, string]): void {
  const promisified = function (this: unknown, ...args: unknown[]): Promise<unknown> {
    return new Promise((resolve, reject) => {
      Reflect.apply(fn, this, [...args, (err: Error | null, ...values: unknown[]) => {
        if (err) return reject(err);
        if (values.length <= 1) return resolve(values[0]);
        const named: Record<string, unknown> = {};
        names.forEach((name, i) => { named[name] = values[i]; });
        resolve(named);
      }]);
    });
  };
  Object.defineProperty(promisified, 'name', { value: fn.name });
  Object.defineProperty(fn, Symbol.for('nodejs.util.promisify.custom'), { value: promisified, enumerable: false, writable: false, configurable: true });
}
promisifyAs(read, ['bytesRead', 'buffer']);
promisifyAs(write, ['bytesWritten', 'buffer']);
promisifyAs(readv, ['bytesRead', 'buffers']);
promisifyAs(writev, ['bytesWritten', 'buffer']);
