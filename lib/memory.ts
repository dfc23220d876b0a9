// Memory for a whole file's bytes. From 2 MiB on, the async forms take it
// from the addon's large memory (native/large_memory.h): huge pages where the
// kernel gives them, reused once a collected Buffer gives it back, so that a
// large file costs its copy and not a page fault per 4 KiB. The sync forms
// keep to Node's memory: large memory comes back only when the event loop
// turns, which a synchronous loop may never let happen.
import { Buffer } from 'node:buffer';
import { binding } from './binding.js';

export const LARGE_MEMORY_MIN = binding.largeMemoryMin;

/** `size` bytes, uninitialized (as Buffer.allocUnsafe); large memory when `sync` is false and size allows. */
export function fileBuffer(size: number, sync: boolean): Buffer {
  if (!sync && size >= LARGE_MEMORY_MIN) {
    const memory = binding.allocLarge(size);
    if (memory !== undefined) return Buffer.from(memory, 0, size);
  }
  return Buffer.allocUnsafe(size);
}
