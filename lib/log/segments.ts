// Segment files: making a preallocated one (zero-filled, synced, then renamed into place, so a
// crash never leaves a half-made segment under a segment's name), and finding, at open, where
// the log ends — verifying every record, cutting a torn tail, dropping what follows a gap.
import { constants, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Ring } from '../ring.js';
import { decodeHeader, encodeHeader, HEADER_SIZE, scanFrame, segmentName, segmentSeq } from './format.js';
import { runOps, syncDirectory, writeZeros } from './io.js';

/** A segment of an open log. */
export interface Segment {
  seq: number;
  path: string;
  /** Its size on disk (records never cross it). */
  size: number;
  /** LSN of its first record, 0 while it has none. */
  firstLsn: number;
  /** LSN of its last record, 0 while it has none. */
  lastLsn: number;
  /** Offset after its last record: where the next record goes. */
  end: number;
}

/** What opening a log found and did. */
export interface RecoveryReport {
  /** Records found intact. */
  records: number;
  /** First and last LSN found (0 when the log is empty). */
  firstLsn: number;
  lastLsn: number;
  /** Bytes after the last intact record that were not zero (a torn tail) and were zeroed. */
  truncatedBytes: number;
  /** Segment files removed because they came after the end of the log (a gap or a torn tail). */
  droppedSegments: string[];
  /** Why the log ends where it does, when that is not clean (null when it is). */
  reason: string | null;
}

/**
 * Create segment `seq` of `size` bytes: header, zeros (when `preallocate`: later writes then
 * overwrite allocated blocks, so an fdatasync has no metadata to journal), fdatasync, rename into
 * place, fsync of the directory.
 */
export async function createSegment(ring: Ring, dir: string, seq: number, size: number, preallocate: boolean): Promise<Segment> {
  const path = join(dir, segmentName(seq));
  const tmp = `${path}.tmp`;
  const [fd] = (await runOps(ring, (b) => b.open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC, 0o644))) as number[];
  try {
    await runOps(ring, (b) => b.write(fd, encodeHeader(seq, size), 0, HEADER_SIZE, 0));
    if (preallocate) await writeZeros(ring, fd, HEADER_SIZE, size);
    await runOps(ring, (b) => b.fdatasync(fd));
  } catch (err) {
    await runOps(ring, (b) => b.close(fd).unlink(tmp)).catch(() => {});
    throw err;
  }
  await runOps(ring, (b) => b.close(fd));
  await runOps(ring, (b) => b.rename(tmp, path));
  await syncDirectory(ring, dir);
  return { seq, path, size, firstLsn: 0, lastLsn: 0, end: HEADER_SIZE };
}

/** The segment files of `dir` by sequence, and leftovers of segments being made when the process died. */
function listSegments(dir: string): { seqs: number[]; leftovers: string[] } {
  const names = readdirSync(dir);
  const seqs = names.map(segmentSeq).filter((s) => s >= 0).sort((a, b) => a - b);
  const leftovers = names.filter((n) => /^\d{10}\.seg\.tmp$/.test(n));
  return { seqs, leftovers };
}

/**
 * Scan every segment of `dir` in order and make the log end at its last intact record:
 * zero a torn tail (and sync it), remove segments after the end. Returns the segments kept
 * (the last one may be empty: the next to write) and the report.
 */
export async function recoverSegments(ring: Ring, dir: string): Promise<{ segments: Segment[]; report: RecoveryReport }> {
  const { seqs, leftovers } = listSegments(dir);
  const report: RecoveryReport = { records: 0, firstLsn: 0, lastLsn: 0, truncatedBytes: 0, droppedSegments: [], reason: null };
  const segments: Segment[] = [];
  let expected = -1;  // the LSN the next record must have (-1: any, before the first record)
  let cut = -1;       // index in seqs of the first segment to drop
  for (let i = 0; i < seqs.length && cut < 0; i++) {
    const path = join(dir, segmentName(seqs[i]));
    const bytes = (await ring.promises.readFile(path)) as Buffer;
    const header = decodeHeader(bytes);
    if (typeof header === 'string' || header.seq !== seqs[i] || (segments.length > 0 && seqs[i] !== segments[segments.length - 1].seq + 1)) {
      report.reason = `${segmentName(seqs[i])}: ${typeof header === 'string' ? header : 'out of sequence'}`;
      cut = i;
      break;
    }
    // A segment after one that ended early (not full) must be empty, else it follows a gap.
    const prev = segments[segments.length - 1];
    const seg: Segment = { seq: seqs[i], path, size: header.segmentSize, firstLsn: 0, lastLsn: 0, end: HEADER_SIZE };
    let at = HEADER_SIZE;
    let reason = '';
    for (;;) {
      const f = scanFrame(bytes, at, expected, seg.size - at);
      if (f.kind === 'record') {
        if (seg.firstLsn === 0) seg.firstLsn = f.lsn;
        seg.lastLsn = f.lsn;
        expected = f.lsn + 1;
        report.records++;
        at = f.end;
        continue;
      }
      reason = f.kind === 'end' ? f.reason : 'record cut short by the end of the file';
      break;
    }
    seg.end = at;
    if (seg.firstLsn !== 0 && prev !== undefined && prev.firstLsn === 0) {
      // Records after an empty segment: they follow a gap.
      report.reason = `${segmentName(seqs[i])} follows an empty segment`;
      cut = i;
      break;
    }
    segments.push(seg);
    const dirty = lastNonZero(bytes, at, bytes.length);
    if (dirty > at) {
      report.truncatedBytes += dirty - at;
      report.reason = `${segmentName(seg.seq)}: ${reason} at offset ${at}`;
      await zeroTail(ring, path, at, dirty);
      cut = i + 1;
    }
  }
  if (cut >= 0) {
    for (const seq of seqs.slice(cut)) {
      const path = join(dir, segmentName(seq));
      report.droppedSegments.push(segmentName(seq));
      await runOps(ring, (b) => b.unlink(path));
    }
  }
  for (const name of leftovers) await runOps(ring, (b) => b.unlink(join(dir, name)));
  if (cut >= 0 || leftovers.length > 0) await syncDirectory(ring, dir);
  // Keep the segments up to the one holding the last record, and one empty one after it.
  let last = segments.length - 1;
  while (last > 0 && segments[last].firstLsn === 0 && segments[last - 1].firstLsn === 0) last--;
  for (const extra of segments.splice(last + 1)) {
    await runOps(ring, (b) => b.unlink(extra.path));
  }
  const withRecords = segments.filter((s) => s.firstLsn !== 0);
  report.firstLsn = withRecords[0]?.firstLsn ?? 0;
  report.lastLsn = withRecords[withRecords.length - 1]?.lastLsn ?? 0;
  return { segments, report };
}

/** One past the last non-zero byte of `bytes[from, to)`, or `from` when all are zero. */
function lastNonZero(bytes: Buffer, from: number, to: number): number {
  let i = to;
  // Words first: a clean tail is megabytes of zeros.
  while (i - 8 >= from && bytes.readBigUInt64LE(i - 8) === 0n) i -= 8;
  while (i > from && bytes[i - 1] === 0) i--;
  return i;
}

async function zeroTail(ring: Ring, path: string, from: number, to: number): Promise<void> {
  const [fd] = (await runOps(ring, (b) => b.open(path, constants.O_WRONLY))) as number[];
  try {
    await writeZeros(ring, fd, from, to);
    await runOps(ring, (b) => b.fdatasync(fd));
  } finally {
    await runOps(ring, (b) => b.close(fd));
  }
}
