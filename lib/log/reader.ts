// Reading records back: segment by segment, in windows, verifying each record's CRC and LSN.
// The async form reads through the log's ring, the sync form with direct syscalls.
import { constants } from 'node:fs';
import type { Ring } from '../ring.js';
import { closeSync, openSync, readSync } from '../sync.js';
import { logCorrupt } from './errors.js';
import { FRAME_HEADER, HEADER_SIZE, scanFrame } from './format.js';
import { runOps } from './io.js';
import type { Segment } from './segments.js';

/** One record of the log. */
export interface LogRecord {
  /** Its log sequence number. */
  lsn: number;
  /** Its bytes (a view of a buffer owned by this record only). */
  data: Buffer;
}

const WINDOW = 1 << 20;

/** Where a read of one segment stands. */
interface Cursor {
  seg: Segment;
  pos: number;
  lsn: number;
}

/** The segments holding records of [from, to], with where to start in the first. */
export function cursors(segments: readonly Segment[], from: number, to: number): Cursor[] {
  return segments
    .filter((s) => s.firstLsn !== 0 && s.lastLsn >= from && s.firstLsn <= to)
    .map((seg) => ({ seg, pos: HEADER_SIZE, lsn: seg.firstLsn }));
}

/**
 * Decode the records of a window read at `c.pos`; advance `c`. Returns the records, and how
 * many bytes the next read must hold at least (0 when the segment is done).
 */
function decodeWindow(c: Cursor, window: Buffer, from: number, to: number, out: LogRecord[]): number {
  let at = 0;
  while (c.lsn <= to && c.pos + at < c.seg.end) {
    const f = scanFrame(window, at, c.lsn, c.seg.size - (c.pos + at));
    if (f.kind === 'partial') {
      c.pos += at;
      const length = window.length - at >= 4 ? window.readUInt32LE(at) : 0;
      return Math.max(WINDOW, FRAME_HEADER + length);
    }
    if (f.kind === 'end') throw logCorrupt(`LSN ${c.lsn} did not read back intact from ${c.seg.path} at offset ${c.pos + at}: ${f.reason}`);
    if (c.lsn >= from) out.push({ lsn: c.lsn, data: window.subarray(f.start, f.end) });
    c.lsn++;
    at = f.end;
  }
  c.pos += at;
  return 0;
}

/** Read the records of [from, to] through `ring`. */
export async function* readRecords(ring: Ring, segments: readonly Segment[], from: number, to: number): AsyncGenerator<LogRecord> {
  for (const c of cursors(segments, from, to)) {
    const [fd] = (await runOps(ring, (b) => b.open(c.seg.path, constants.O_RDONLY))) as number[];
    try {
      let size = WINDOW;
      while (c.lsn <= to && c.pos < c.seg.end) {
        const window = Buffer.allocUnsafe(Math.min(size, c.seg.end - c.pos));
        const [n] = (await runOps(ring, (b) => b.read(fd, window, 0, window.length, c.pos))) as number[];
        const records: LogRecord[] = [];
        size = decodeWindow(c, window.subarray(0, n), from, to, records);
        if (n === 0) throw logCorrupt(`${c.seg.path} ends at ${c.pos}, before LSN ${c.lsn}`);
        yield* records;
        if (size === 0) break;
      }
    } finally {
      await runOps(ring, (b) => b.close(fd));
    }
  }
}

/** Read the records of [from, to] with direct syscalls. */
export function* readRecordsSync(segments: readonly Segment[], from: number, to: number): Generator<LogRecord> {
  for (const c of cursors(segments, from, to)) {
    const fd = openSync(c.seg.path, 'r');
    try {
      let size = WINDOW;
      while (c.lsn <= to && c.pos < c.seg.end) {
        const window = Buffer.allocUnsafe(Math.min(size, c.seg.end - c.pos));
        const n = readSync(fd, window, 0, window.length, c.pos);
        const records: LogRecord[] = [];
        size = decodeWindow(c, window.subarray(0, n), from, to, records);
        if (n === 0) throw logCorrupt(`${c.seg.path} ends at ${c.pos}, before LSN ${c.lsn}`);
        yield* records;
        if (size === 0) break;
      }
    } finally {
      closeSync(fd);
    }
  }
}
