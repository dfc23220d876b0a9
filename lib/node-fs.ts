// The names of node:fs that uringfs does not run itself (yet): node:fs's own, re-exported, so that
// every import that works with node:fs works with uringfs. README ("How each function runs") lists
// them; as uringfs takes one over, it moves from here to callback.ts / sync.ts.
import fs from 'node:fs';

// Names node:fs has that its type declarations leave out (deprecated aliases, an internal helper).
const untyped = fs as unknown as Record<string, unknown>;

/** node:fs's own `fs.access`: on libuv's pool it is faster than a statx on the ring (bench/metadata-ops.mjs). */
export const access = fs.access;
/** node:fs's own `fs.accessSync`: one syscall either way, and node:fs's path to it is the shorter. */
export const accessSync = fs.accessSync;
/** node:fs's own `fs.chown` (not run by uringfs yet). */
export const chown = fs.chown;
/** node:fs's own `fs.chownSync` (not run by uringfs yet). */
export const chownSync = fs.chownSync;
/** node:fs's own `fs.chmod` (not run by uringfs yet). */
export const chmod = fs.chmod;
/** node:fs's own `fs.chmodSync` (not run by uringfs yet). */
export const chmodSync = fs.chmodSync;
/** node:fs's own `fs.copyFile` (not run by uringfs yet). */
export const copyFile = fs.copyFile;
/** node:fs's own `fs.copyFileSync` (not run by uringfs yet). */
export const copyFileSync = fs.copyFileSync;
/** node:fs's own `fs.cp` (not run by uringfs yet). */
export const cp = fs.cp;
/** node:fs's own `fs.cpSync` (not run by uringfs yet). */
export const cpSync = fs.cpSync;
/** node:fs's own `fs.exists` (not run by uringfs yet). */
export const exists = fs.exists;
/** node:fs's own `fs.existsSync` (not run by uringfs yet). */
export const existsSync = fs.existsSync;
/** node:fs's own `fs.fchown` (not run by uringfs yet). */
export const fchown = fs.fchown;
/** node:fs's own `fs.fchownSync` (not run by uringfs yet). */
export const fchownSync = fs.fchownSync;
/** node:fs's own `fs.fchmod` (not run by uringfs yet). */
export const fchmod = fs.fchmod;
/** node:fs's own `fs.fchmodSync` (not run by uringfs yet). */
export const fchmodSync = fs.fchmodSync;
/** node:fs's own `fs.futimes` (not run by uringfs yet). */
export const futimes = fs.futimes;
/** node:fs's own `fs.futimesSync` (not run by uringfs yet). */
export const futimesSync = fs.futimesSync;
/** node:fs's own `fs.lchown` (not run by uringfs yet). */
export const lchown = fs.lchown;
/** node:fs's own `fs.lchownSync` (not run by uringfs yet). */
export const lchownSync = fs.lchownSync;
/** node:fs's own `fs.lchmod` (not run by uringfs yet). */
export const lchmod = fs.lchmod;
/** node:fs's own `fs.lchmodSync` (not run by uringfs yet). */
export const lchmodSync = fs.lchmodSync;
/** node:fs's own `fs.lutimes` (not run by uringfs yet). */
export const lutimes = fs.lutimes;
/** node:fs's own `fs.lutimesSync` (not run by uringfs yet). */
export const lutimesSync = fs.lutimesSync;
/** node:fs's own `fs.openAsBlob` (not run by uringfs yet). */
export const openAsBlob = fs.openAsBlob;
/** node:fs's own `fs.readlink` (not run by uringfs yet). */
export const readlink = fs.readlink;
/** node:fs's own `fs.readlinkSync` (not run by uringfs yet). */
export const readlinkSync = fs.readlinkSync;
/** node:fs's own `fs.realpath` (not run by uringfs yet). */
export const realpath = fs.realpath;
/** node:fs's own `fs.realpathSync` (not run by uringfs yet). */
export const realpathSync = fs.realpathSync;
/** node:fs's own `fs.rm` (not run by uringfs yet). */
export const rm = fs.rm;
/** node:fs's own `fs.rmSync` (not run by uringfs yet). */
export const rmSync = fs.rmSync;
/** node:fs's own `fs.statfs` (not run by uringfs yet). */
export const statfs = fs.statfs;
/** node:fs's own `fs.statfsSync` (not run by uringfs yet). */
export const statfsSync = fs.statfsSync;
/** node:fs's own `fs.unwatchFile` (watching is inotify's work, not I/O uringfs can speed up). */
export const unwatchFile = fs.unwatchFile;
/** node:fs's own `fs.utimes` (not run by uringfs yet). */
export const utimes = fs.utimes;
/** node:fs's own `fs.utimesSync` (not run by uringfs yet). */
export const utimesSync = fs.utimesSync;
/** node:fs's own `fs.watch` (watching is inotify's work, not I/O uringfs can speed up). */
export const watch = fs.watch;
/** node:fs's own `fs.watchFile` (watching is inotify's work, not I/O uringfs can speed up). */
export const watchFile = fs.watchFile;
/** node:fs's own `fs.Dirent`, which uringfs's readdir and Dir return (so `instanceof fs.Dirent` holds). */
export const Dirent = fs.Dirent;
/** The type of node:fs's `fs.Dirent`. */
export type Dirent = fs.Dirent;
// Names of newer Nodes: node:fs's own where the running Node has them, undefined on older ones.
/** node:fs's own `fs.glob` (Node 22 and later; undefined before). */
export const glob = untyped.glob as ((...args: unknown[]) => void) | undefined;
/** node:fs's own `fs.globSync` (Node 22 and later; undefined before). */
export const globSync = untyped.globSync as ((...args: unknown[]) => string[]) | undefined;
/** node:fs's own `fs.Utf8Stream` (Node 24 and later; undefined before). */
export const Utf8Stream = untyped.Utf8Stream as (new (...args: unknown[]) => unknown) | undefined;
/** node:fs's own `fs.mkdtempDisposableSync` (Node 24 and later; undefined before). */
export const mkdtempDisposableSync = untyped.mkdtempDisposableSync as ((...args: unknown[]) => unknown) | undefined;
/** node:fs's own `fs._toUnixTimestamp` (Node's internal helper, kept for name parity). */
export const _toUnixTimestamp = untyped._toUnixTimestamp as (time: number | string | Date) => number;
/** node:fs's own `fs.F_OK` (the same values). */
export const F_OK = fs.constants.F_OK;
/** node:fs's own `fs.R_OK` (the same values). */
export const R_OK = fs.constants.R_OK;
/** node:fs's own `fs.W_OK` (the same values). */
export const W_OK = fs.constants.W_OK;
/** node:fs's own `fs.X_OK` (the same values). */
export const X_OK = fs.constants.X_OK;
/** node:fs's own `fs.constants` (the same values). */
export const constants = fs.constants;
