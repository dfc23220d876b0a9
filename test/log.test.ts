// The log on a real disk: what each commit mode issues (counted by the log and cross-checked
// with its own ring's stats), when appends resolve, reading back, recovery from torn tails made
// on disk, segment rotation and trimming, and the errors of bad input.
import { closeSync, openSync, readdirSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openLog, type Log } from '../lib/log/index.js';
import { FRAME_HEADER, HEADER_SIZE } from '../lib/log/format.js';
import { Prng, tempDir } from './fixtures/helpers.js';

let tmp: ReturnType<typeof tempDir>;
beforeEach(() => { tmp = tempDir('log'); });
afterEach(() => tmp.remove());

const record = (i: number, size = 100): Buffer => Buffer.from(`record ${i} `.padEnd(size, String.fromCharCode(97 + (i % 26))));

async function readAll(log: Log): Promise<{ lsn: number; data: Buffer }[]> {
  const out = [];
  for await (const r of log.read()) out.push({ lsn: r.lsn, data: Buffer.from(r.data) });
  return out;
}

function segmentFiles(dir: string): string[] {
  return readdirSync(dir).filter((n) => n.endsWith('.seg')).sort();
}

describe('commit modes', () => {
  it("'group': 64 concurrent appends cost one writev and one fdatasync, and none resolves before it is durable", async () => {
    const log = await openLog(tmp.dir, { mode: 'group' });
    try {
      await log.append('warm-up');
      const before = log.stats();
      const early: number[] = [];
      const lsns = await Promise.all(Array.from({ length: 64 }, (_, i) => log.append(record(i)).then((lsn) => {
        if (log.durableLsn < lsn) early.push(lsn);
        return lsn;
      })));
      const after = log.stats();
      expect(early).toEqual([]);
      expect(lsns).toEqual(Array.from({ length: 64 }, (_, i) => i + 2));
      expect(after.fdatasyncs - before.fdatasyncs).toBe(1);
      expect(after.writes - before.writes).toBe(1);
      expect(after.groups - before.groups).toBe(1);
      // The ring belongs to the log: it saw exactly those two ops, in one io_uring_enter
      // (one hand-off on the thread pool).
      expect(after.ring.submitted - before.ring.submitted).toBe(2);
      expect(after.ring.enters - before.ring.enters).toBe(1);
      expect(log.durableLsn).toBe(65);
    } finally {
      await log.close();
    }
  });

  it("'group': appends arriving while a group is in flight form the next group, not one each", async () => {
    const log = await openLog(tmp.dir, { mode: 'group' });
    try {
      const before = log.stats();
      const first = Array.from({ length: 8 }, (_, i) => log.append(record(i)));
      // The first group is in flight after this turn; these arrive meanwhile, over several turns.
      const later: Promise<number>[] = [];
      for (let t = 0; t < 5; t++) {
        await new Promise((r) => setImmediate(r));
        for (let i = 0; i < 10; i++) later.push(log.append(record(100 + i)));
      }
      await Promise.all([...first, ...later]);
      const groups = log.stats().groups - before.groups;
      expect(groups).toBeGreaterThanOrEqual(2);
      expect(groups).toBeLessThan(8);
      expect(log.stats().fdatasyncs - before.fdatasyncs).toBe(groups);
    } finally {
      await log.close();
    }
  });

  it("'group' with groupDelayMs: appends of several turns within the delay share one fdatasync; groupBytes caps a group", async () => {
    const log = await openLog(tmp.dir, { mode: 'group', groupDelayMs: 500, groupBytes: 10 * 1024 });
    try {
      const before = log.stats();
      const all: Promise<number>[] = [];
      for (let t = 0; t < 4; t++) {
        all.push(log.append(record(t)));
        await new Promise((r) => setImmediate(r));
      }
      await Promise.all(all);
      expect(log.stats().fdatasyncs - before.fdatasyncs).toBe(1);
      // 40 KiB at once: at most 10 KiB per group.
      const mid = log.stats();
      await Promise.all(Array.from({ length: 40 }, (_, i) => log.append(record(i, 1024 - FRAME_HEADER))));
      expect(log.stats().groups - mid.groups).toBe(4);
    } finally {
      await log.close();
    }
  });

  it("'sync': each append is its own write linked to an fdatasync, all of a turn in one submit", async () => {
    const log = await openLog(tmp.dir, { mode: 'sync' });
    try {
      const before = log.stats();
      const early: number[] = [];
      await Promise.all(Array.from({ length: 16 }, (_, i) => log.append(record(i)).then((lsn) => {
        if (log.durableLsn < lsn) early.push(lsn);
      })));
      const after = log.stats();
      expect(early).toEqual([]);
      expect(after.fdatasyncs - before.fdatasyncs).toBe(16);
      expect(after.ring.submitted - before.ring.submitted).toBe(32);
      expect(after.ring.enters - before.ring.enters).toBe(1);
    } finally {
      await log.close();
    }
  });

  it("'async': resolves once written; durable after flush() or by the background flush", async () => {
    const log = await openLog(tmp.dir, { mode: 'async', flushIntervalMs: 20 });
    try {
      const before = log.stats();
      const lsns = await Promise.all(Array.from({ length: 32 }, (_, i) => log.append(record(i))));
      expect(log.writtenLsn).toBe(32);
      expect(log.stats().fdatasyncs - before.fdatasyncs).toBe(0);
      expect(lsns.at(-1)).toBe(32);
      await log.flush();
      expect(log.durableLsn).toBe(32);
      expect(log.stats().fdatasyncs - before.fdatasyncs).toBe(1);
      await log.flush();  // nothing new: no fdatasync
      expect(log.stats().fdatasyncs - before.fdatasyncs).toBe(1);
      await log.append('by the flusher');
      const deadline = Date.now() + 5000;
      while (log.durableLsn < 33 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
      expect(log.durableLsn).toBe(33);
    } finally {
      await log.close();
    }
  });

  it('mixes modes per append: a durable append after async ones waits for them to be durable too', async () => {
    const log = await openLog(tmp.dir, { mode: 'async', flushIntervalMs: 60_000 });
    try {
      const a = log.append('a1');
      const b = log.append('a2');
      const c = log.append('durable', { mode: 'sync' });
      expect(await c).toBe(3);
      expect(log.durableLsn).toBeGreaterThanOrEqual(3);
      expect([await a, await b]).toEqual([1, 2]);
      const g = await log.append('grouped', { mode: 'group' });
      expect(log.durableLsn).toBeGreaterThanOrEqual(g);
    } finally {
      await log.close();
    }
  });
});

describe('reading', () => {
  it('reads back every record, by range, async and sync, across segments and windows', async () => {
    const prng = new Prng(3);
    const log = await openLog(tmp.dir, { mode: 'group', segmentSize: 1 << 20 });
    const written: Buffer[] = [];
    try {
      for (let round = 0; round < 6; round++) {
        const batch = Array.from({ length: 20 }, () => prng.bytes(prng.int(0, round === 3 ? 600_000 : 5000)));
        written.push(...batch);
        await Promise.all(batch.map((b) => log.append(b)));
      }
      expect(log.stats().rotations).toBeGreaterThan(0);
      const all = await readAll(log);
      expect(all.map((r) => r.lsn)).toEqual(written.map((_, i) => i + 1));
      all.forEach((r, i) => expect(r.data.equals(written[i])).toBe(true));
      const sync = [...log.readSync({ from: 50, to: 70 })];
      expect(sync.map((r) => r.lsn)).toEqual(Array.from({ length: 21 }, (_, i) => 50 + i));
      sync.forEach((r) => expect(r.data.equals(written[r.lsn - 1])).toBe(true));
      const tail = await (async () => { const out = []; for await (const r of log.read({ from: 110 })) out.push(r.lsn); return out; })();
      expect(tail).toEqual([110, 111, 112, 113, 114, 115, 116, 117, 118, 119, 120]);
    } finally {
      await log.close();
    }
    const again = await openLog(tmp.dir, { segmentSize: 1 << 20 });
    try {
      expect(again.recovery).toMatchObject({ records: 120, firstLsn: 1, lastLsn: 120, truncatedBytes: 0, droppedSegments: [], reason: null });
      expect((await readAll(again)).every((r, i) => r.data.equals(written[i]))).toBe(true);
    } finally {
      await again.close();
    }
  });

  it('truncateBefore removes whole segments below an LSN; reads below it are refused; LSNs go on after reopen', async () => {
    const log = await openLog(tmp.dir, { segmentSize: 16 * 1024 });
    for (let i = 0; i < 300; i++) await log.append(record(i, 200), { mode: i % 50 === 49 ? 'sync' : 'async' });
    await log.flush();
    const before = segmentFiles(tmp.dir);
    const removed = await log.truncateBefore(150);
    expect(removed).toBeGreaterThan(0);
    // The oldest files are gone (a spare being made meanwhile may add one at the end).
    expect(segmentFiles(tmp.dir).filter((f) => before.slice(0, removed).includes(f))).toEqual([]);
    const first = log.firstLsn;
    expect(first).toBeGreaterThan(1);
    expect(first).toBeLessThanOrEqual(150);
    expect(() => log.read({ from: 1 })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect((await readAll(log)).map((r) => r.lsn)).toEqual(Array.from({ length: 301 - first }, (_, i) => first + i));
    expect(await log.truncateBefore(1_000_000)).toBeGreaterThan(0);
    await log.close();
    const again = await openLog(tmp.dir, { segmentSize: 16 * 1024 });
    try {
      expect(again.recovery.lastLsn).toBe(300);
      expect(again.firstLsn).toBeGreaterThan(first);
      expect(await again.append('next')).toBe(301);
    } finally {
      await again.close();
    }
  });
});

describe('recovery from a torn tail (bytes changed on disk, as a power loss leaves them)', () => {
  async function fiftyRecords(): Promise<string> {
    const log = await openLog(tmp.dir, { mode: 'sync', segmentSize: SMALL });
    for (let i = 1; i <= 50; i++) await log.append(record(i));
    await log.close();
    return join(tmp.dir, segmentFiles(tmp.dir)[0]);
  }
  const frame = 100 + FRAME_HEADER;
  const SMALL = 256 * 1024;
  const offsetOf = (lsn: number): number => HEADER_SIZE + (lsn - 1) * frame;

  function patch(path: string, at: number, bytes: Buffer): void {
    const fd = openSync(path, 'r+');
    writeSync(fd, bytes, 0, bytes.length, at);
    closeSync(fd);
  }

  async function reopenExpect(lastLsn: number, truncated: number, reason: RegExp | null): Promise<void> {
    const log = await openLog(tmp.dir, { segmentSize: SMALL });
    try {
      expect(log.recovery.lastLsn).toBe(lastLsn);
      expect(log.recovery.truncatedBytes).toBe(truncated);
      if (reason === null) expect(log.recovery.reason).toBeNull();
      else expect(log.recovery.reason).toMatch(reason);
      const all = await readAll(log);
      expect(all.length).toBe(lastLsn);
      all.forEach((r) => expect(r.data.equals(record(r.lsn))).toBe(true));
      expect(await log.append(record(lastLsn + 1))).toBe(lastLsn + 1);
    } finally {
      await log.close();
    }
    // The cut is made once, durably: the next open finds a clean log that goes on.
    const again = await openLog(tmp.dir, { segmentSize: SMALL });
    try {
      expect(again.recovery).toMatchObject({ lastLsn: lastLsn + 1, truncatedBytes: 0, reason: null });
    } finally {
      await again.close();
    }
  }

  it('a half-written last record is cut off and zeroed', async () => {
    const path = await fiftyRecords();
    patch(path, offsetOf(50) + 60, Buffer.alloc(frame - 60));
    await reopenExpect(49, 60, /checksum mismatch at offset/);
  });

  it('a record with a flipped bit ends the log there: it and everything after it are dropped', async () => {
    const path = await fiftyRecords();
    const bytes = readFileSync(path);
    patch(path, offsetOf(30) + FRAME_HEADER + 5, Buffer.from([bytes[offsetOf(30) + FRAME_HEADER + 5] ^ 0x04]));
    await reopenExpect(29, 21 * frame, /checksum mismatch/);
  });

  it('garbage after the last record (a later page written, an earlier not) is zeroed', async () => {
    const path = await fiftyRecords();
    patch(path, offsetOf(51) + 4096, Buffer.alloc(512, 0xff));
    await reopenExpect(50, 4096 + 512, /zeroed space/);
  });

  it('a segment after a gap is dropped, and reported', async () => {
    const log = await openLog(tmp.dir, { mode: 'group', segmentSize: 8192 });
    for (let i = 1; i <= 200; i++) await log.append(record(i));
    await log.close();
    const files = segmentFiles(tmp.dir);
    expect(files.length).toBeGreaterThan(3);
    // Tear the middle of the second segment: the segments after it follow a gap.
    patch(join(tmp.dir, files[1]), HEADER_SIZE + 3 * frame + 20, Buffer.from('torn'));
    const again = await openLog(tmp.dir, { segmentSize: 8192 });
    try {
      const perSegment = Math.floor((8192 - HEADER_SIZE) / frame);
      expect(again.recovery.lastLsn).toBe(perSegment + 3);
      expect(again.recovery.droppedSegments.length).toBeGreaterThan(0);
      expect(again.recovery.droppedSegments).toContain(files[2]);
      expect((await readAll(again)).length).toBe(perSegment + 3);
      expect(await again.append('after the gap')).toBe(perSegment + 4);
    } finally {
      await again.close();
    }
  });
});

describe('errors', () => {
  it('bad arguments are Node-style errors; append after close is ERR_URINGFS_LOG_CLOSED', async () => {
    await expect(openLog(tmp.dir, { mode: 'later' as never })).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_VALUE' });
    await expect(openLog(tmp.dir, { segmentSize: 100 })).rejects.toMatchObject({ code: 'ERR_OUT_OF_RANGE' });
    await expect(openLog(tmp.dir, { groupBytes: 1.5 })).rejects.toMatchObject({ code: 'ERR_OUT_OF_RANGE' });
    await expect(openLog(tmp.dir, { preallocate: 'yes' as never })).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
    await expect(openLog(42 as never)).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_VALUE' });
    const log = await openLog(tmp.dir, { segmentSize: 4096 });
    await expect(log.append(42 as never)).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
    await expect(log.append(Buffer.alloc(log.maxRecordSize + 1))).rejects.toMatchObject({ code: 'ERR_OUT_OF_RANGE' });
    expect(await log.append(Buffer.alloc(log.maxRecordSize))).toBe(1);
    await expect(log.append('x', { mode: 'eventually' as never })).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_VALUE' });
    await expect(log.truncateBefore(-1)).rejects.toMatchObject({ code: 'ERR_OUT_OF_RANGE' });
    expect(() => log.read({ from: 'x' as never })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    const pending = log.append('taken before close');
    await log.close();
    expect(await pending).toBe(2);
    await expect(log.append('late')).rejects.toMatchObject({ code: 'ERR_URINGFS_LOG_CLOSED', message: expect.stringMatching(/closed/) });
    await expect(log.flush()).rejects.toMatchObject({ code: 'ERR_URINGFS_LOG_CLOSED' });
    expect(() => log.readSync()).toThrow(expect.objectContaining({ code: 'ERR_URINGFS_LOG_CLOSED' }));
    await log.close();  // again: fine
  });

  it('a directory that is not a log is refused, not overwritten', async () => {
    const bogus = join(tmp.dir, '0000000001.seg');
    const fd = openSync(bogus, 'w');
    writeSync(fd, 'not a log segment at all, just text');
    closeSync(fd);
    const log = await openLog(tmp.dir, { segmentSize: 64 * 1024 });
    try {
      expect(log.recovery.reason).toMatch(/bad magic/);
      expect(log.recovery.droppedSegments).toEqual(['0000000001.seg']);
    } finally {
      await log.close();
    }
  });
});
