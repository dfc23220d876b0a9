// The on-disk format of a log segment: a 32-byte header, then records back to back, each
// framed as [length u32][crc32c u32][lsn u64][data], little-endian. The CRC covers the
// lsn, the length and the data, so a zeroed (preallocated) tail never reads as a record.
import { crc32c } from './crc32c.js';

export const SEGMENT_MAGIC = Buffer.from('uringlog', 'latin1');
export const FORMAT_VERSION = 1;
export const HEADER_SIZE = 32;
export const FRAME_HEADER = 16;

/** The 32-byte segment header: magic, version, sequence number, segment size, CRC of the rest. */
export function encodeHeader(seq: number, segmentSize: number): Buffer {
  const h = Buffer.alloc(HEADER_SIZE);
  SEGMENT_MAGIC.copy(h, 0);
  h.writeUInt32LE(FORMAT_VERSION, 8);
  h.writeUInt32LE(seq, 12);
  h.writeBigUInt64LE(BigInt(segmentSize), 16);
  h.writeUInt32LE(crc32c(h, 0, 0, 28), 28);
  return h;
}

/** A header's sequence number and size, or a reason it is not one. */
export function decodeHeader(h: Uint8Array): { seq: number; segmentSize: number } | string {
  if (h.length < HEADER_SIZE) return 'short header';
  const b = Buffer.from(h.buffer, h.byteOffset, HEADER_SIZE);
  if (!b.subarray(0, 8).equals(SEGMENT_MAGIC)) return 'not a log segment (bad magic)';
  if (b.readUInt32LE(28) !== crc32c(b, 0, 0, 28)) return 'header checksum mismatch';
  const version = b.readUInt32LE(8);
  if (version !== FORMAT_VERSION) return `unsupported format version ${version}`;
  return { seq: b.readUInt32LE(12), segmentSize: Number(b.readBigUInt64LE(16)) };
}

/** Write one record's frame into `out` at `at`; returns the offset after it. */
export function encodeFrame(out: Buffer, at: number, lsn: number, data: Uint8Array): number {
  out.writeUInt32LE(data.length, at);
  // LSNs stay below 2^53: two 32-bit halves, without a BigInt per record.
  out.writeUInt32LE(lsn >>> 0, at + 8);
  out.writeUInt32LE(Math.floor(lsn / 2 ** 32), at + 12);
  out.set(data, at + FRAME_HEADER);
  const crc = crc32c(out, crc32c(out, 0, at + 8, at + 16), at + FRAME_HEADER, at + FRAME_HEADER + data.length);
  out.writeUInt32LE(crc32c(out, crc, at, at + 4), at + 4);
  return at + FRAME_HEADER + data.length;
}

/** What a scan found at a place in a segment. */
export type FrameScan =
  | { kind: 'record'; lsn: number; start: number; end: number }
  /** More bytes are needed to decide (the frame runs past the end of `bytes`). */
  | { kind: 'partial' }
  /** No record here: the end of the log in this segment, and why. */
  | { kind: 'end'; reason: string };

/**
 * Decode the frame at `at` in `bytes` (a window of a segment), expecting `lsn` (-1: any). `room` is the
 * most a frame may span from `at` in its segment. The data is `bytes[start, end)`.
 */
export function scanFrame(bytes: Buffer, at: number, lsn: number, room: number): FrameScan {
  if (room < FRAME_HEADER) return { kind: 'end', reason: 'end of segment' };
  if (bytes.length - at < FRAME_HEADER) return { kind: 'partial' };
  const length = bytes.readUInt32LE(at);
  const stored = bytes.readUInt32LE(at + 4);
  const found = bytes.readUInt32LE(at + 8) + bytes.readUInt32LE(at + 12) * 2 ** 32;
  if (length === 0 && stored === 0 && found === 0) return { kind: 'end', reason: 'zeroed space' };
  if (FRAME_HEADER + length > room) return { kind: 'end', reason: `record length ${length} runs past the segment` };
  if (bytes.length - at < FRAME_HEADER + length) return { kind: 'partial' };
  const start = at + FRAME_HEADER;
  const crc = crc32c(bytes, crc32c(bytes, crc32c(bytes, 0, at + 8, at + 16), start, start + length), at, at + 4);
  if (crc !== stored) return { kind: 'end', reason: 'checksum mismatch' };
  if (found < 1 || (lsn >= 0 && found !== lsn)) return { kind: 'end', reason: `LSN ${found} where ${lsn < 0 ? 'one from 1' : lsn} was expected` };
  return { kind: 'record', lsn: found, start, end: start + length };
}

/** The file name of segment `seq`: sorted by name is sorted by sequence. */
export function segmentName(seq: number): string {
  return `${String(seq).padStart(10, '0')}.seg`;
}

/** The sequence number in a segment's file name, or -1 for another file. */
export function segmentSeq(name: string): number {
  const m = /^(\d{10})\.seg$/.exec(name);
  return m === null ? -1 : Number(m[1]);
}
