// Fds that lib/ holds across turns — a file of readFiles between its open and
// its close, the fd of a FileHandle — listed in a table the native side
// closes from when this JS environment is torn down (a worker terminated
// mid-I/O), since no JS runs then to close them (native/held_fds.cc).
import { binding } from './binding.js';

let table: Int32Array | null = null;
const free: number[] = [];
let used = 0;

/** List `fd` as held; returns its slot for releaseFd/closingFd. */
export function holdFd(fd: number): number {
  let slot = free.pop();
  if (slot === undefined) {
    if (table === null || used === table.length) table = binding.heldFds(Math.max(64, used * 2));
    slot = used++;
  }
  table![slot] = fd;
  return slot;
}

/**
 * The fd is about to be closed by an op that may not have run when the environment goes: left
 * alone by the teardown from now on, rather than close a number someone else may have been given.
 */
export function closingFd(slot: number): void {
  table![slot] = ~table![slot];
}

/** The fd is closed, or no longer lib/'s to close. */
export function releaseFd(slot: number): void {
  table![slot] = -1;
  free.push(slot);
}

/** Let go of a held fd and close it on this thread (its owner is done with it, or was collected). */
export function closeHeldFd(slot: number, fd: number): void {
  releaseFd(slot);
  binding.sync.close(fd);
}
