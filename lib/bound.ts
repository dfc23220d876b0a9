// ring.callbacks and ring.promises: the callback and promise flavours with
// every op on one given ring. Each function is the ordinary one called with
// the ring bound for the synchronous part of the call (run.ts callOnRing);
// the function claims it on entry and passes it along, so one set of
// functions serves every ring and the default.
import * as callback from './callback.js';
import * as promises from './promises-flavour.js';
import { readFiles, readFilesEither } from './readfiles.js';
import type { Ring } from './ring.js';
import { callOnRing } from './run.js';

/**
 * The callback flavour of `uringfs` (like `node:fs`'s callback functions) with every op on one ring:
 * what {@link Ring.callbacks} returns. Same signatures, arguments checks and errors as the
 * functions exported from `uringfs`.
 */
export interface RingCallbacks {
  /** Like fs.open, on this ring. */
  readonly open: typeof callback.open;
  /** Like fs.close, on this ring. */
  readonly close: typeof callback.close;
  /** Like fs.read, on this ring. */
  readonly read: typeof callback.read;
  /** Like fs.write, on this ring. */
  readonly write: typeof callback.write;
  /** Like fs.readv, on this ring. */
  readonly readv: typeof callback.readv;
  /** Like fs.writev, on this ring. */
  readonly writev: typeof callback.writev;
  /** Like fs.fsync, on this ring. */
  readonly fsync: typeof callback.fsync;
  /** Like fs.fdatasync, on this ring. */
  readonly fdatasync: typeof callback.fdatasync;
  /** Like fs.fstat, on this ring. */
  readonly fstat: typeof callback.fstat;
  /** Like fs.stat, on this ring. */
  readonly stat: typeof callback.stat;
  /** Like fs.lstat, on this ring. */
  readonly lstat: typeof callback.lstat;
  /** Like fs.readFile, on this ring. */
  readonly readFile: typeof callback.readFile;
  /** Like fs.writeFile, on this ring. */
  readonly writeFile: typeof callback.writeFile;
  /** Like fs.appendFile, on this ring. */
  readonly appendFile: typeof callback.appendFile;
  /** Like fs.unlink, on this ring. */
  readonly unlink: typeof callback.unlink;
  /** Like fs.rmdir, on this ring (with options: node:fs's own). */
  readonly rmdir: typeof callback.rmdir;
  /** Like fs.rename, on this ring. */
  readonly rename: typeof callback.rename;
  /** Like fs.mkdir, on this ring. */
  readonly mkdir: typeof callback.mkdir;
  /** Like fs.mkdtemp, on this ring. */
  readonly mkdtemp: typeof callback.mkdtemp;
  /** Like fs.link, on this ring. */
  readonly link: typeof callback.link;
  /** Like fs.ftruncate, on this ring. */
  readonly ftruncate: typeof callback.ftruncate;
  /** Like fs.truncate, on this ring. */
  readonly truncate: typeof callback.truncate;
  /** Like fs.symlink, on this ring. */
  readonly symlink: typeof callback.symlink;
  /** `readFiles` of `uringfs` (callback last, or a promise without one), on this ring unless `options.ring` names another. */
  readonly readFiles: typeof readFilesEither;
}

/**
 * The promise flavour (`uringfs/promises`, like `node:fs/promises`) with every op on one ring: what
 * {@link Ring.promises} returns. A FileHandle it opens keeps the ring for all its methods; a
 * FileHandle given to `readFile`/`writeFile`/`appendFile` is used on its own ring (one of node:fs/promises, by
 * node:fs/promises' own function).
 */
export interface RingPromises {
  /** Like fsPromises.access, on this ring (modes other than F_OK: node:fs/promises' own). */
  readonly access: typeof promises.access;
  /** Like fsPromises.open, on this ring: the FileHandle keeps the ring for all its methods and its close. */
  readonly open: typeof promises.open;
  /** Like fsPromises.readFile, on this ring (a FileHandle: on its own ring). */
  readonly readFile: typeof promises.readFile;
  /** Like fsPromises.writeFile, on this ring (a FileHandle: on its own ring). */
  readonly writeFile: typeof promises.writeFile;
  /** Like fsPromises.appendFile, on this ring (a FileHandle: on its own ring). */
  readonly appendFile: typeof promises.appendFile;
  /** Like fsPromises.stat, on this ring. */
  readonly stat: typeof promises.stat;
  /** Like fsPromises.lstat, on this ring. */
  readonly lstat: typeof promises.lstat;
  /** Like fsPromises.unlink, on this ring. */
  readonly unlink: typeof promises.unlink;
  /** Like fsPromises.rmdir, on this ring (with options: node:fs/promises' own). */
  readonly rmdir: typeof promises.rmdir;
  /** Like fsPromises.rename, on this ring. */
  readonly rename: typeof promises.rename;
  /** Like fsPromises.mkdir, on this ring. */
  readonly mkdir: typeof promises.mkdir;
  /** Like fsPromises.mkdtemp, on this ring. */
  readonly mkdtemp: typeof promises.mkdtemp;
  /** Like fsPromises.link, on this ring. */
  readonly link: typeof promises.link;
  /** Like fsPromises.truncate, on this ring. */
  readonly truncate: typeof promises.truncate;
  /** Like fsPromises.symlink, on this ring. */
  readonly symlink: typeof promises.symlink;
  /** `readFiles` of `uringfs/promises`, on this ring unless `options.ring` names another. */
  readonly readFiles: typeof readFiles;
}

/** The callback functions with their ops on `ring` (a frozen object). */
export function callbacksOn(ring: Ring): RingCallbacks {
  const on = <F extends (...args: never[]) => unknown>(fn: F): F => callOnRing(ring, fn);
  return Object.freeze({
    open: on(callback.open),
    close: on(callback.close),
    read: on(callback.read),
    write: on(callback.write),
    readv: on(callback.readv),
    writev: on(callback.writev),
    fsync: on(callback.fsync),
    fdatasync: on(callback.fdatasync),
    fstat: on(callback.fstat),
    stat: on(callback.stat),
    lstat: on(callback.lstat),
    readFile: on(callback.readFile),
    writeFile: on(callback.writeFile),
    appendFile: on(callback.appendFile),
    unlink: on(callback.unlink),
    rmdir: on(callback.rmdir),
    rename: on(callback.rename),
    mkdir: on(callback.mkdir),
    mkdtemp: on(callback.mkdtemp),
    link: on(callback.link),
    ftruncate: on(callback.ftruncate),
    truncate: on(callback.truncate),
    symlink: on(callback.symlink),
    readFiles: on(readFilesEither),
  });
}

/** The promise functions with their ops on `ring` (a frozen object). */
export function promisesOn(ring: Ring): RingPromises {
  const on = <F extends (...args: never[]) => unknown>(fn: F): F => callOnRing(ring, fn);
  return Object.freeze({
    open: on(promises.open),
    readFile: on(promises.readFile),
    writeFile: on(promises.writeFile),
    appendFile: on(promises.appendFile),
    stat: on(promises.stat),
    lstat: on(promises.lstat),
    unlink: on(promises.unlink),
    rmdir: on(promises.rmdir),
    rename: on(promises.rename),
    mkdir: on(promises.mkdir),
    mkdtemp: on(promises.mkdtemp),
    access: on(promises.access),
    link: on(promises.link),
    truncate: on(promises.truncate),
    symlink: on(promises.symlink),
    readFiles: on(readFiles),
  });
}
