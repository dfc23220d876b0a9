// How a stream holds a FileHandle of uringfs (node:fs's kRef / kUnref) and tells one from an fd:
// set by FileHandle's static block (lib/promises-flavour.ts), used by lib/streams.ts and
// lib/webstream.ts, which so import nothing of lib/promises-flavour.ts (that imports them); kept
// out of the public modules.
import type { EventEmitter } from 'node:events';

type View = NodeJS.ArrayBufferView;

/**
 * A FileHandle of uringfs, as streams use it: its fd, its reads and writes, `sync`, `close`, and
 * its 'close' event. lib/promises-flavour.ts's FileHandle is one.
 */
export interface StreamHandle extends Pick<EventEmitter, 'on' | 'off'> {
  readonly fd: number;
  read(buffer: View, offset: number, length: number, position: number | null): Promise<{ bytesRead: number }>;
  readv<T extends View[]>(buffers: T, position?: number | null): Promise<{ bytesRead: number; buffers: T }>;
  write<T extends View>(buffer: T, offset?: unknown, length?: unknown, position?: unknown): Promise<{ bytesWritten: number; buffer: T }>;
  writev<T extends View[]>(buffers: T, position?: number | null): Promise<{ bytesWritten: number; buffers: T }>;
  sync(): Promise<void>;
  close(): Promise<void>;
}

export const handleRefs = {
  /** Whether `value` is a FileHandle of uringfs (asked here, so that streams need not import lib/promises-flavour.ts). */
  isHandle: (value: unknown): value is StreamHandle => { void value; return false; },
  /** A stream holds the handle: close() then waits for the stream to let go. */
  ref: (handle: StreamHandle): void => { void handle; },
  /** A stream lets go of the handle: the last holder closes the fd. */
  unref: (handle: StreamHandle): void => { void handle; },
};
