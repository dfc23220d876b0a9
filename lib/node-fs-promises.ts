// The names of node:fs/promises that uringfs does not run itself (yet): Node's own, re-exported (see
// lib/node-fs.ts) — and the directory functions, uringfs's own, which reach uringfs/promises from
// here (lib/dirs.ts, lib/dir.ts).
import fsp from 'node:fs/promises';

export { readdirPromise as readdir } from './dirs.js';
export { opendirPromise as opendir } from './dir.js';

// Names of newer Nodes: node:fs/promises' own where the running Node has them, undefined on older ones.
const untyped = fsp as unknown as Record<string, unknown>;
/** node:fs/promises' own `glob` (Node 22 and later; undefined before). */
export const glob = untyped.glob as ((...args: unknown[]) => AsyncIterable<unknown>) | undefined;
/** node:fs/promises' own `mkdtempDisposable` (Node 24 and later; undefined before). */
export const mkdtempDisposable = untyped.mkdtempDisposable as ((...args: unknown[]) => Promise<unknown>) | undefined;
/** node:fs/promises' own `fsPromises.copyFile` (not run by uringfs yet). */
export const copyFile = fsp.copyFile;
/** node:fs/promises' own `fsPromises.cp` (not run by uringfs yet). */
export const cp = fsp.cp;
/** node:fs/promises' own `fsPromises.rm` (not run by uringfs yet). */
export const rm = fsp.rm;
/** node:fs/promises' own `fsPromises.readlink` (not run by uringfs yet). */
export const readlink = fsp.readlink;
/** node:fs/promises' own `fsPromises.statfs` (not run by uringfs yet). */
export const statfs = fsp.statfs;
/** node:fs/promises' own `fsPromises.chmod` (not run by uringfs yet). */
export const chmod = fsp.chmod;
/** node:fs/promises' own `fsPromises.lchmod` (not run by uringfs yet). */
export const lchmod = fsp.lchmod;
/** node:fs/promises' own `fsPromises.lchown` (not run by uringfs yet). */
export const lchown = fsp.lchown;
/** node:fs/promises' own `fsPromises.chown` (not run by uringfs yet). */
export const chown = fsp.chown;
/** node:fs/promises' own `fsPromises.utimes` (not run by uringfs yet). */
export const utimes = fsp.utimes;
/** node:fs/promises' own `fsPromises.lutimes` (not run by uringfs yet). */
export const lutimes = fsp.lutimes;
/** node:fs/promises' own `fsPromises.realpath` (not run by uringfs yet). */
export const realpath = fsp.realpath;
/** node:fs/promises' own `fsPromises.watch` (watching is inotify's work, not I/O uringfs can speed up). */
export const watch = fsp.watch;
/** node:fs/promises' own `fsPromises.constants` (the same values). */
export const constants = fsp.constants;
