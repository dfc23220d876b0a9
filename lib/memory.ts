// Memory for a whole file's bytes in readFiles' results. From 2 MiB on, the async readFiles takes
// it from the addon's large memory (native/large_memory.h): huge pages where the kernel gives
// them, reused once a collected Buffer gives it back, so that a large file costs its copy and not
// a page fault per 4 KiB. Two limits keep it to readFiles: the engine gives that memory back only
// when the event loop turns, which a synchronous loop may never let happen (so not readFilesSync),
// and an ArrayBuffer over it cannot be transferred to a worker (Node 22 and later throw, Node 20
// copies), where node:fs's readFile results can (so not the drop-in readFile).
import { Buffer } from 'node:buffer';
import { binding } from './binding.js';

const LARGE_MEMORY_MIN = binding.largeMemoryMin;

/** `size` bytes, uninitialized (as Buffer.allocUnsafe); large memory when `large` and size allows. */
export function fileBuffer(size: number, large: boolean): Buffer {
  if (large && size >= LARGE_MEMORY_MIN) {
    const memory = binding.allocLarge(size);
    if (memory !== undefined) return Buffer.from(memory, 0, size);
  }
  return Buffer.allocUnsafe(size);
}
