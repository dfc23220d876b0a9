// uringfs: node:fs-shaped file I/O on io_uring. This entry mirrors node:fs
// (callback functions and *Sync functions); `uringfs/promises` mirrors
// node:fs/promises and is also available here as `promises`.
export {
  open, close, read, write, readv, writev, fsync, fdatasync, fstat, stat, lstat, readFile, writeFile, appendFile,
  unlink, rename, mkdir,
} from './callback.js';
export {
  openSync, closeSync, readSync, writeSync, readvSync, writevSync, fsyncSync, fdatasyncSync, fstatSync, statSync,
  lstatSync, readFileSync, writeFileSync, appendFileSync, unlinkSync, renameSync, mkdirSync,
} from './sync.js';
export { Ring, defaultRing, setDefaultRing } from './ring.js';
export type { RingOptions, RingStats } from './ring.js';
export type { BackendName, BackendRequest } from './backend.js';
export { Stats, BigIntStats } from './stats.js';
export type { SystemError } from './errors.js';
export * as promises from './promises.js';
export { Batch } from './batch.js';
export type { Outcome } from './batch.js';
export { readFilesEither as readFiles, readFilesSync } from './readfiles.js';
export type { ReadFilesOptions } from './readfiles.js';
export { Poller, PollRegistration, type PollEvent, type PollOptions, type PollerOptions, type PollerStats, type PollCallback } from './epoll.js';
