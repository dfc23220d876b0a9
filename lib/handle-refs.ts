// How a stream holds a FileHandle of uringfs (node:fs's kRef / kUnref): set by FileHandle's static
// block (lib/promises.ts), used by lib/streams.ts; kept out of the public modules.
import type { FileHandle } from './promises.js';

export const handleRefs = {
  /** A stream holds the handle: close() then waits for the stream to let go. */
  ref: (handle: FileHandle): void => { void handle; },
  /** A stream lets go of the handle: the last holder closes the fd. */
  unref: (handle: FileHandle): void => { void handle; },
};
