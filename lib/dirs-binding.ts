// The typed face of the addon's directory functions (native/dirs.cc). lib/binding.ts stays the
// only loader of the addon; this file only names what its `dirs` export holds.
import { binding } from './binding.js';

/** A listing: the names (each followed by a NUL), one UV_DIRENT_* type byte per name, and the fd when kept. */
export type NativeListing = [Buffer, Uint8Array, number?];

/** getdents64-based directory reads: results, or -errno (native/dirs.cc). */
export interface NativeDirs {
  /**
   * open + getdents64 until the end (+ close unless flags & 2): flags & 1 sorts the names by bytes
   * (strcmp). A kept fd is listed in held-fd `slot` (lib/held.ts reserveSlot) before it is returned.
   */
  list(path: Buffer, flags: number, slot?: number): NativeListing | number;
  /** The same on libuv's thread pool; `done` gets what list() returns. Returns 0 (or -EFAULT for a bad path). */
  listAsync(path: Buffer, flags: number, done: (result: NativeListing | number) => void, slot?: number): number;
  /** open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC): the fd, listed in held-fd `slot`, or -errno. */
  open(path: Buffer, slot: number): number;
  /** open() on libuv's thread pool. */
  openAsync(path: Buffer, done: (result: number) => void, slot: number): number;
  /** One getdents64 call (more while it found only "." and ".."): a listing in the kernel's order, null at the end. */
  read(fd: number): NativeListing | null | number;
  /** read() on libuv's thread pool. */
  readAsync(fd: number, done: (result: NativeListing | null | number) => void): number;
  /** Take the fd out of held-fd `slot` and close it on libuv's thread pool: `done` gets 0 or -errno. */
  closeAsync(slot: number, done: (result: number) => void): number;
}

export const dirs = (binding as unknown as { dirs: NativeDirs }).dirs;

