// Fds that lib/ holds across turns — a file of readFiles between its open and its close, the fd of
// a FileHandle or a Dir — listed in a table the native side closes from when this JS environment is
// torn down (a worker terminated mid-I/O), since no JS runs then to close them (native/held_fds.cc).
// A worker's termination can stop JS between any two statements: fds that native code opens for
// lib/ to keep are listed by native code in a slot reserved here, and closeHeldFd closes in one
// native call, so that no such fd is ever unlisted and open.
import { binding } from './binding.js';

let table: Int32Array | null = null;
const free: number[] = [];
let used = 0;

/** A free slot of the table, for native code to list an fd in (dirs.list/open/listAsync/openAsync). */
export function reserveSlot(): number {
  let slot = free.pop();
  if (slot === undefined) {
    if (table === null || used === table.length) table = binding.heldFds(Math.max(64, used * 2));
    slot = used++;
  }
  return slot;
}

/** List `fd` as held; returns its slot for releaseFd/closingFd/closeHeldFd. */
export function holdFd(fd: number): number {
  const slot = reserveSlot();
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

/** The fd is closed, or no longer lib/'s to close (or the reserved slot was not used). */
export function releaseFd(slot: number): void {
  table![slot] = -1;
  free.push(slot);
}

/** Native code took the fd out of its slot (dirs.closeAsync): the slot is free. */
export function slotTaken(slot: number): void {
  free.push(slot);
}

/** Close a held fd on this thread and free its slot (its owner is done with it, or was collected): 0 or -errno. */
export function closeHeldFd(slot: number): number {
  const r = binding.closeHeld(slot);
  free.push(slot);
  return r;
}
