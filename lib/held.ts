// Fds that lib/ holds across turns — a file of readFiles between its open and its close, the fd of
// a FileHandle or a Dir — listed in a table the native side closes from when this JS environment is
// torn down (a worker terminated mid-I/O), since no JS runs then to close them (native/held_fds.cc).
// A worker's termination can stop JS between any two statements (at a call), so an fd is listed
// before anything lets go of it: native code lists the fds it opens for lib/ to keep (a Dir's, a
// scan's) in a slot reserved here; the ring lists an fd a result carries (Op.heldSlot) before it
// marks the result taken, and marks a close op's fd closing in the statement after the op went
// to the native ring, which then carries the close out even at teardown; closeHeldFd closes in
// one native call. No such fd is ever unlisted and open.
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

/** List `fd` as held; returns its slot for releaseFd/closeHeldFd (or a close op's heldSlot). */
export function holdFd(fd: number): number {
  const slot = reserveSlot();
  table![slot] = fd;
  return slot;
}

/**
 * The table, for lib/ring.ts to mark an fd closing (~fd) in the statement right after its close op
 * went to the native ring, which carries it out even if the environment goes: the teardown then
 * leaves the entry alone rather than close a number someone else may have been given since.
 */
export function heldTable(): Int32Array {
  return table!;
}

/** The fd is closed, or no longer lib/'s to close (or the reserved slot was not used). */
export function releaseFd(slot: number): void {
  table![slot] = -1;
  free.push(slot);
}

/** The slot the ring listed an fd in as it came (Op.heldSlot), or a new one: the caller keeps the fd. */
export function keepCarried(slot: number, fd: number): number {
  return slot >= 0 ? slot : holdFd(fd);
}

/** Close a held fd on this thread and free its slot (its owner is done with it, or was collected): 0 or -errno. */
export function closeHeldFd(slot: number): number {
  const r = binding.closeHeld(slot);
  free.push(slot);
  return r;
}
