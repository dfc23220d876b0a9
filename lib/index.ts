/**
 * node:fs-shaped file I/O on io_uring. This entry mirrors `node:fs`: the callback functions and the
 * `*Sync` functions, plus {@link Ring}, {@link Batch}, {@link readFiles}, the tree walk {@link scan}
 * and the epoll readiness API ({@link Poller}). `uringfs/promises` mirrors `node:fs/promises` and is also available here as
 * `promises`. Every other name of `node:fs` is node:fs's own, re-exported, and the default export is
 * all of it as one object (`import fs from 'uringfs'`).
 *
 * Errors have `node:fs`'s shapes, so code written for `node:fs` handles them unchanged:
 * - a failed syscall is an `Error` like `ENOENT: no such file or directory, open '/x'` with `code`,
 *   `errno` (negative), `syscall`, `path` (and `dest` for rename) — see {@link SystemError}; it is
 *   passed to the callback, thrown by `*Sync` functions, or the rejection of a promise;
 * - a bad argument is a `TypeError` / `RangeError` with Node's `code` (`ERR_INVALID_ARG_TYPE`,
 *   `ERR_OUT_OF_RANGE`, `ERR_INVALID_ARG_VALUE`, …), thrown (callback and sync flavours) or rejected
 *   (promises) before anything reaches the kernel;
 * - uringfs's own: `ERR_URINGFS_RING_CLOSED` (an op on a closed ring), `ERR_URINGFS_RING_LOST` (an
 *   op on a ring whose own fd was closed behind its back: {@link Ring.lost}),
 *   `ERR_URINGFS_BATCH_SUBMITTED` (a batch submitted twice).
 *
 * Loaded with `import` or `require()` (through require(esm)), it is the same module: one default ring
 * per JS environment either way.
 *
 * @module uringfs
 */
export {
  open, close, read, write, readv, writev, fsync, fdatasync, fstat, stat, lstat, readFile, writeFile, appendFile,
  unlink, rmdir, rename, mkdir, mkdtemp, link, symlink, ftruncate, truncate,
} from './callback.js';
export {
  openSync, closeSync, readSync, writeSync, readvSync, writevSync, fsyncSync, fdatasyncSync, fstatSync, statSync,
  lstatSync, readFileSync, writeFileSync, appendFileSync, unlinkSync, rmdirSync, renameSync, mkdirSync, mkdtempSync, linkSync, symlinkSync,
  ftruncateSync, truncateSync,
} from './sync.js';
/**
 * One ring: a Submission Queue of `entries` slots and a Completion Queue four times larger, on one
 * backend — io_uring, or a pool of threads doing blocking syscalls where io_uring is blocked or too
 * old (`backend` option, `URINGFS_BACKEND`; `ring.backend` and `ring.fallbackReason` tell which
 * runs and why). The ordinary API uses the environment's default ring ({@link defaultRing}); make
 * one with other {@link RingOptions} for a part of a program and call the API through it —
 * {@link Ring.promises} and {@link Ring.callbacks} are the promise and callback flavours with every
 * op on that ring (a FileHandle opened there keeps it) — or pass it to {@link setDefaultRing},
 * `readFiles({ ring })`, or use {@link Ring.batch}. {@link Ring.registerFile} and
 * {@link Ring.registerBuffers} register files and buffers with the ring (IOSQE_FIXED_FILE,
 * READ_FIXED/WRITE_FIXED).
 *
 * `new Ring()` throws a `TypeError`/`RangeError` (`ERR_INVALID_ARG_TYPE`, `ERR_OUT_OF_RANGE`,
 * `ERR_INVALID_ARG_VALUE`) for bad options, and — only when io_uring was asked for explicitly — a
 * system error with `syscall: 'io_uring_setup'` whose message says why the kernel refuses the ring
 * (e.g. `EPERM` under a seccomp filter or `kernel.io_uring_disabled`, `ENOMEM` under RLIMIT_MEMLOCK,
 * `ENOSYS`); the default, `'auto'`, falls back to the thread pool instead. `close()` cancels what is
 * in flight, waits until the kernel (or the pool) is done with every buffer, and fails later ops with
 * `ERR_URINGFS_RING_CLOSED`. No `node:fs` counterpart.
 */
// A ring's batches and callback/promise faces are handed to the engine from above.
import './faces.js';
export { Ring } from './ring.js';
export { defaultRing, setDefaultRing } from './ring.js';
/** Options of `new Ring(options)`: backend and pool size, SQ size, task-run mode, SQPOLL, when the ordinary API submits, and registered files and buffers. */
export type { RingOptions } from './ring.js';
/** What {@link Ring.stats} returns: counters kept by the native ring, cheap enough to leave on. */
export type { RingStats } from './ring.js';
/** What {@link Ring.callbacks} returns: the callback functions of this module (and readFiles) on one ring. */
export type { RingCallbacks } from './bound.js';
/** What {@link Ring.promises} returns: the functions of `uringfs/promises` on one ring. */
export type { RingPromises } from './bound.js';
/** The backend a ring runs on: `'io_uring'` (completion-based) or `'threads'` (blocking syscalls on a pool of threads). */
export type { BackendName } from './backend.js';
/** The `backend` option of `new Ring()`: a {@link BackendName}, or `'auto'` (io_uring, falling back to threads). */
export type { BackendRequest } from './backend.js';
export { Stats, BigIntStats } from './stats.js';
/**
 * The error of a failed system call, as `node:fs` raises it: message
 * `ENOENT: no such file or directory, open '/x'`, `code` (`'ENOENT'`), `errno` (negative, `-2`),
 * `syscall` (`'open'`), `path` and, for rename, `dest`.
 */
export type { SystemError } from './errors.js';
/**
 * The promise API, mirroring `node:fs/promises`: the very object that is `uringfs/promises`'
 * default export and `require('uringfs/promises')`, as `fs.promises` is node:fs/promises'.
 */
export { default as promises } from './promises.js';
export { Batch } from './batch.js';
export type { Outcome } from './batch.js';
export { RegisteredFile } from './registered.js';
export { readFilesEither as readFiles, readFilesSync } from './readfiles.js';
/**
 * Options of {@link readFiles} / {@link readFilesSync}: `encoding`, open `flag`, `settle` (an
 * {@link Outcome} per file instead of failing on the first error), and the `ring` to use.
 */
export type { ReadFilesOptions } from './readfiles.js';
export { readdir, readdirSync } from './dirs.js';
export { Dir, opendir, opendirSync, type OpenDirOptions } from './dir.js';
export { scan, scanSync, ScanBatch, ScanType, type ScanOptions } from './scan.js';
export { Poller, PollRegistration, type PollEvent, type PollOptions } from './epoll.js';
/** Options of `new Poller(options)`: events per batch, and how often closed fds are looked for. */
export type { PollerOptions } from './epoll.js';
/** What {@link Poller.stats} returns: registrations, watching state and event counters. */
export type { PollerStats } from './epoll.js';
/** A callback given to {@link Poller.add}: called with each {@link PollEvent} of the registration. */
export type { PollCallback } from './epoll.js';
export { createReadStream, createWriteStream, ReadStream, WriteStream, FileReadStream, FileWriteStream } from './streams.js';
export * from './node-fs.js';

import nodeFs from 'node:fs';
import { namedExports } from './default-export.js';
import { setModuleObject } from './replaced.js';
import * as uringfs from './index.js';
/**
 * Every export of this module as one object, as node:fs's default export is: `import fs from
 * 'uringfs'` in place of `import fs from 'node:fs'`, with `fs.promises` the promise API.
 */
const defaultExport = namedExports(uringfs, nodeFs);
setModuleObject(defaultExport);
export default defaultExport;
