// The typed face of the addon's directory functions (native/dirs.cc). lib/binding.ts stays the
// only loader of the addon; this file only names what its `dirs` export holds.
import { binding } from './binding.js';

/** A listing: the names (each followed by a NUL), one UV_DIRENT_* type byte per name, and the fd when kept. */
export type NativeListing = [Buffer, Uint8Array, number?];

/** getdents64-based directory reads: results, or -errno (native/dirs.cc). */
export interface NativeDirs {
  /** open + getdents64 until the end (+ close unless flags & 2): flags & 1 sorts the names by bytes (strcmp). */
  list(path: Buffer, flags: number): NativeListing | number;
  /**
   * The same on libuv's thread pool; `done` gets what list() returns. Returns 0 (or -EFAULT for a bad
   * path). With a kept fd, `done` writes 1 into `ack[0]` once the fd is held (lib/held.ts): a callback
   * cut short before that (the worker terminated) leaves the fd to native, which closes it.
   */
  listAsync(path: Buffer, flags: number, done: (result: NativeListing | number) => void, ack?: Int32Array): number;
  /** open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC): the fd or -errno. */
  open(path: Buffer): number;
  /** open() on libuv's thread pool; `ack` as for listAsync. */
  openAsync(path: Buffer, done: (result: number) => void, ack?: Int32Array): number;
  /** One getdents64 call (more while it found only "." and ".."): a listing in the kernel's order, null at the end. */
  read(fd: number): NativeListing | null | number;
  /** read() on libuv's thread pool. */
  readAsync(fd: number, done: (result: NativeListing | null | number) => void): number;
  /** close(fd) on libuv's thread pool: 0 or -errno. */
  closeAsync(fd: number, done: (result: number) => void): number;
}

export const dirs = (binding as unknown as { dirs: NativeDirs }).dirs;

/** The `ack` cell of listAsync/openAsync (one per environment: callbacks run one at a time). */
export const fdAck = new Int32Array(1);
