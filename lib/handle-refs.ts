// How a stream holds a FileHandle of uringfs (node:fs's kRef / kUnref) and tells one from an fd:
// set by FileHandle's static block (lib/promises-flavour.ts), used by lib/streams.ts, which so imports no
// value of lib/promises-flavour.ts (that imports it); kept out of the public modules.
import type { FileHandle } from './promises-flavour.js';

export const handleRefs = {
  /** Whether `value` is a FileHandle of uringfs (asked here, so that streams need not import lib/promises-flavour.ts). */
  isHandle: (value: unknown): value is FileHandle => { void value; return false; },
  /** A stream holds the handle: close() then waits for the stream to let go. */
  ref: (handle: FileHandle): void => { void handle; },
  /** A stream lets go of the handle: the last holder closes the fd. */
  unref: (handle: FileHandle): void => { void handle; },
};
