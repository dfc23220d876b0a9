// The durable append log: openLog() recovers a directory of segments and returns a Log whose
// appends go through the commit pipeline (writer.ts) on a ring the log owns.
import { constants, mkdirSync } from 'node:fs';
import { invalidArgType, invalidArgValue, outOfRange } from '../errors.js';
import '../faces.js';  // the log uses its ring's batches and promise face
import { Ring, type RingOptions, type RingStats } from '../ring.js';
import { dataBytes, validateBoolean, validateInteger, validateObject } from '../validate.js';
import { logClosed } from './errors.js';
import { FRAME_HEADER, HEADER_SIZE } from './format.js';
import { runOps, syncDirectory } from './io.js';
import { readRecords, readRecordsSync, type LogRecord } from './reader.js';
import { createSegment, recoverSegments, type RecoveryReport, type Segment } from './segments.js';
import {
  frameParser, lsnBytes, Replication, replicateOptions, streamSink, type FollowerSink, type ReplicateOptions, type ReplicationLag,
} from './replication.js';
import type { Duplex, Writable } from 'node:stream';
import { Writer, type CommitMode, type WriterCounters, type WriterOptions } from './writer.js';

/** Options of {@link openLog}. */
export interface LogOptions {
  /**
   * How appends are acknowledged unless an append says otherwise (default `'group'`):
   * `'sync'` — each append is written and fdatasync'ed on its own (a linked write → fdatasync)
   * before it resolves; `'group'` — appends arriving while a flush is in flight (or within
   * `groupDelayMs`, up to `groupBytes`) are written together by one writev and made durable by
   * one fdatasync, and each resolves when its group is durable; `'async'` — an append resolves
   * once written to the page cache, and a background flush makes it durable within
   * `flushIntervalMs`.
   */
  mode?: CommitMode;
  /** How long a group waits for more appends before it is written (default 0: until the end of the event-loop turn). */
  groupDelayMs?: number;
  /** The most bytes one group writes (default 1 MiB); a group reaching it goes at once. */
  groupBytes?: number;
  /** How often the background flush makes written records durable (default 100 ms). */
  flushIntervalMs?: number;
  /** Size of each segment file (default 16 MiB; 4 KiB to 1 GiB). A record must fit in one. */
  segmentSize?: number;
  /**
   * Zero-fill each segment when making it (default true), as databases do with their WAL: a
   * write then overwrites allocated blocks, so its fdatasync has no file-size or extent change to
   * journal. With `false` a segment grows as it is written.
   */
  preallocate?: boolean;
  /** Options of the log's own ring (`backend`, `entries`, …; see `new Ring()`). */
  ring?: RingOptions;
}

/** Options of {@link Log.append}. */
export interface AppendOptions {
  /** This append's commit mode, in place of the log's. */
  mode?: CommitMode;
}

/** Options of {@link Log.read} and {@link Log.readSync}. */
export interface ReadOptions {
  /** The first LSN to read (default: the log's first). */
  from?: number;
  /** The last LSN to read (default: the last written when the read starts). */
  to?: number;
}

/** What {@link Log.stats} returns. */
export interface LogStats extends WriterCounters {
  /** LSN the next append gets. */
  nextLsn: number;
  /** Every record up to this LSN is written (in the page cache at least). */
  writtenLsn: number;
  /** Every record up to this LSN is durable. */
  durableLsn: number;
  /** Segment files holding records (and the one being written). */
  segments: number;
  /** The counters of the log's own ring: every op the log issued, and only those. */
  ring: RingStats;
}

const MODES: readonly CommitMode[] = ['sync', 'group', 'async'];

function validateMode(mode: unknown, name: string): CommitMode {
  if (!MODES.includes(mode as CommitMode)) throw invalidArgValue(name, mode, "must be 'sync', 'group' or 'async'");
  return mode as CommitMode;
}

function writerOptions(options: LogOptions): WriterOptions {
  validateObject(options, 'options');
  const o: WriterOptions = {
    mode: validateMode(options.mode ?? 'group', 'options.mode'),
    groupDelayMs: options.groupDelayMs ?? 0,
    groupBytes: options.groupBytes ?? 1 << 20,
    flushIntervalMs: options.flushIntervalMs ?? 100,
    segmentSize: options.segmentSize ?? 16 << 20,
    preallocate: options.preallocate ?? true,
  };
  validateInteger(o.groupDelayMs, 'options.groupDelayMs', 0, 2 ** 31 - 1);
  validateInteger(o.groupBytes, 'options.groupBytes', 1, 2 ** 31 - 1);
  validateInteger(o.flushIntervalMs, 'options.flushIntervalMs', 1, 2 ** 31 - 1);
  validateInteger(o.segmentSize, 'options.segmentSize', 4096, 2 ** 30);
  validateBoolean(o.preallocate, 'options.preallocate');
  if (options.ring !== undefined) validateObject(options.ring, 'options.ring');
  return o;
}

/**
 * An append-only log of records in a directory of segment files, each record framed with its
 * length, CRC32C and LSN. Made by {@link openLog}. Appends are acknowledged by commit mode
 * (`'sync'`, `'group'`, `'async'`; see {@link LogOptions.mode}); a crash loses no acknowledged
 * `'sync'`/`'group'` record and, in `'async'` mode, at most what came after {@link Log.durableLsn}
 * — never a record in the middle, never a corrupt one. One process at a time may open a log.
 */
export class Log {
  readonly #dir: string;
  readonly #ring: Ring;
  readonly #writer: Writer;
  readonly #mode: CommitMode;
  readonly #recovery: RecoveryReport;
  readonly #maxData: number;
  #closed: Promise<void> | null = null;
  readonly #replications = new Set<Replication>();

  /** @internal Use {@link openLog}. */
  constructor(dir: string, ring: Ring, writer: Writer, mode: CommitMode, recovery: RecoveryReport, segmentSize: number) {
    this.#dir = dir;
    this.#ring = ring;
    this.#writer = writer;
    this.#mode = mode;
    this.#recovery = recovery;
    this.#maxData = segmentSize - HEADER_SIZE - FRAME_HEADER;
  }

  /** The log's directory. */
  get dir(): string { return this.#dir; }
  /** The log's default commit mode. */
  get mode(): CommitMode { return this.#mode; }
  /** What opening the log found: records, the LSN range, a torn tail cut off, segments dropped. */
  get recovery(): RecoveryReport { return this.#recovery; }
  /** Every record up to this LSN is durable (0: none yet). */
  get durableLsn(): number { return this.#writer.durableLsn; }
  /** Every record up to this LSN is written, in the page cache at least. */
  get writtenLsn(): number { return this.#writer.writtenLsn; }
  /** The LSN of the last append made (written or not; 0 when none). */
  get lastLsn(): number { return this.#writer.nextLsn - 1; }
  /** The LSN of the first record still in the log (after {@link Log.truncateBefore}); `lastLsn + 1` when it is empty. */
  get firstLsn(): number {
    return this.#writer.segments.find((s) => s.firstLsn !== 0)?.firstLsn ?? this.#writer.nextLsn;
  }
  /** The largest record `append` takes: the segment size less the segment header and the record's frame. */
  get maxRecordSize(): number { return this.#maxData; }

  /**
   * Append a record (a Buffer, TypedArray, DataView or string, UTF-8) and resolve with its LSN
   * once it is committed by the mode: durable (`'sync'`, `'group'`) or written (`'async'`). The
   * bytes are copied at the call: the caller may reuse its buffer at once. Rejects with the
   * system error of the write or fdatasync that failed for it (`ENOSPC`, `EIO`, …), with
   * `ERR_URINGFS_LOG_FAILED` once the log has failed, `ERR_URINGFS_LOG_CLOSED` after close, and
   * Node's argument errors for bad input.
   */
  append(data: string | NodeJS.ArrayBufferView, options?: AppendOptions): Promise<number> {
    let mode = this.#mode;
    let bytes: Uint8Array;
    try {
      if (this.#closed !== null) throw logClosed('append');
      bytes = dataBytes(data, 'utf8');
      if (bytes.length > this.#maxData) throw outOfRange('data.byteLength', `<= ${this.#maxData} (the segment size less headers)`, bytes.length);
      if (options !== undefined) {
        validateObject(options, 'options');
        if (options.mode !== undefined) mode = validateMode(options.mode, 'options.mode');
      }
    } catch (err) {
      return Promise.reject(err);
    }
    const appended = this.#writer.append(bytes, mode);
    if (this.#replications.size === 0) return appended;
    const remote = [...this.#replications].filter((r) => r.remoteAck);
    if (remote.length === 0) return appended;
    return appended.then(async (lsn) => {
      await Promise.all(remote.map((r) => r.caughtUp(lsn)));
      return lsn;
    });
  }

  /**
   * Ship this log's records, as they become durable, to a follower: a directory (another log,
   * opened there in `'group'` mode, with the same LSNs — on another disk, say), or a stream whose
   * far end runs {@link followLog} (a socket: shipping resumes from what the follower has; a
   * write-only stream gets frames from `options.from`). Shipping runs beside the appends on the
   * log's ring; appends do not wait for it unless `options.ack` is `'remote'`. Segments not yet
   * shipped are kept by {@link Log.truncateBefore}. {@link Replication.lag} tells how far behind
   * the follower is; the log's `close()` ships what is durable and stops it.
   */
  replicateTo(target: string | Writable | Duplex, options?: ReplicateOptions): Replication {
    if (this.#closed !== null) throw logClosed('replicateTo');
    const o = replicateOptions(options);
    const sink = typeof target === 'string' ? dirSink(target) : streamSink(target, () => o.from ?? this.firstLsn);
    const writer = this.#writer;
    const ring = this.#ring;
    const log = this;
    const replication = new Replication({
      get durableLsn() { return writer.durableLsn; },
      get lastLsn() { return writer.nextLsn - 1; },
      get bytesWritten() { return writer.counters.bytesWritten; },
      get closing() { return writer.closing; },
      durableAdvanced: () => writer.durableAdvanced(),
      read: (from, to) => {
        if (from < log.firstLsn) throw outOfRange('from', `>= ${log.firstLsn} (records before it were removed by truncateBefore)`, from);
        return readRecords(ring, writer.segments.slice(), from, to);
      },
    }, sink, o, () => this.#replications.delete(replication));
    this.#replications.add(replication);
    return replication;
  }

  /** Make every record appended so far durable; resolves when it is (at once if it already is). */
  flush(): Promise<void> {
    if (this.#closed !== null) return Promise.reject(logClosed('flush'));
    return this.#writer.flush();
  }

  #range(options: ReadOptions | undefined): [number, number] {
    if (options !== undefined) validateObject(options, 'options');
    const first = this.firstLsn;
    const visible = this.#writer.visibleLsn;
    const from = options?.from ?? first;
    const to = options?.to ?? visible;
    validateInteger(from, 'options.from', 0);
    validateInteger(to, 'options.to', 0);
    if (from < first && first <= visible) throw outOfRange('options.from', `>= ${first} (records before it were removed by truncateBefore)`, from);
    return [Math.max(from, 1), Math.min(to, visible)];
  }

  /**
   * The records from `from` to `to` (default: all written when the call is made), in LSN order,
   * each `{ lsn, data }`, read through the log's ring and checked against its CRC. After a failed
   * write or fdatasync, only durable records are read. Throws `ERR_OUT_OF_RANGE` for a `from`
   * below {@link Log.firstLsn}.
   */
  read(options?: ReadOptions): AsyncIterableIterator<LogRecord> {
    if (this.#closed !== null) throw logClosed('read');
    const [from, to] = this.#range(options);
    return readRecords(this.#ring, this.#writer.segments.slice(), from, to);
  }

  /** Like {@link Log.read}, with direct syscalls on the calling thread. */
  readSync(options?: ReadOptions): IterableIterator<LogRecord> {
    if (this.#closed !== null) throw logClosed('read');
    const [from, to] = this.#range(options);
    return readRecordsSync(this.#writer.segments.slice(), from, to);
  }

  /**
   * Remove the segment files that hold only records below `lsn` (whole segments: records of the
   * segment holding `lsn` stay). Resolves with how many were removed. The segment holding the last
   * durable record is always kept, so the LSNs go on after a reopen.
   */
  async truncateBefore(lsn: number): Promise<number> {
    validateInteger(lsn, 'lsn', 0);
    if (this.#closed !== null) throw logClosed('truncateBefore');
    // Records not yet shipped to a follower stay.
    for (const r of this.#replications) if (r.error === null) lsn = Math.min(lsn, r.lag.shippedLsn + 1);
    const segs = this.#writer.segments;
    const durable = this.#writer.durableLsn;
    let n = 0;
    while (n < segs.length - 1 && segs[n].lastLsn < lsn && segs[n + 1].firstLsn !== 0 && segs[n + 1].firstLsn <= durable) n++;
    const removed: Segment[] = segs.splice(0, n);
    if (removed.length === 0) return 0;
    await runOps(this.#ring, (b) => { for (const s of removed) b.unlink(s.path); });
    await syncDirectory(this.#ring, this.#dir);
    return removed.length;
  }

  /** Counters: appends, writes, fdatasyncs and groups the log issued, its LSNs, and its ring's stats. */
  stats(): LogStats {
    return {
      ...this.#writer.counters,
      nextLsn: this.#writer.nextLsn,
      writtenLsn: this.#writer.writtenLsn,
      durableLsn: this.#writer.durableLsn,
      segments: this.#writer.segments.length,
      ring: this.#ring.stats(),
    };
  }

  /**
   * Stop taking appends, make every record taken durable, close the files and the log's ring.
   * Appends made after it reject with `ERR_URINGFS_LOG_CLOSED`. Calling it again returns the same
   * promise.
   */
  close(): Promise<void> {
    this.#closed ??= this.#writer.close()
      .finally(() => Promise.all([...this.#replications].map((r) => r.stop())))
      .finally(() => this.#ring.close());
    return this.#closed;
  }
}

/**
 * Open (or create) the log in directory `dir` (made if missing). Opening scans every segment,
 * verifies each record's CRC and LSN, and makes the log end at its last intact record: a torn
 * tail is zeroed, segments after a gap are removed; {@link Log.recovery} reports what was dropped.
 * Rejects with a system error when the directory cannot be read or written, and with Node's
 * argument errors for bad options.
 */
export async function openLog(dir: string, options: LogOptions = {}): Promise<Log> {
  if (typeof dir !== 'string' || dir === '') throw invalidArgValue('dir', dir, 'must be a non-empty string');
  const o = writerOptions(options);
  mkdirSync(dir, { recursive: true });
  const ring = new Ring(options.ring);
  try {
    const { segments, report } = await recoverSegments(ring, dir);
    if (segments.length === 0) segments.push(await createSegment(ring, dir, 1, o.segmentSize, o.preallocate));
    const spare = segments.length > 1 && segments[segments.length - 1].firstLsn === 0 ? segments.pop()! : null;
    const active = segments[segments.length - 1];
    const [fd] = (await runOps(ring, (b) => b.open(active.path, constants.O_WRONLY))) as number[];
    const writer = new Writer(ring, dir, o, segments, fd, spare, report.lastLsn);
    await writer.spareReady();
    return new Log(dir, ring, writer, o.mode, report, o.segmentSize);
  } catch (err) {
    ring.close();
    throw err;
  }
}

/** A follower that went through {@link followLog}: its log, and when it is done. */
export interface Follower {
  /** The follower's log (read it; appending to it yourself would break the LSN sequence). */
  log: Log;
  /** Resolves when the stream ends, once the follower's log is durable and closed; rejects if a record arrived corrupt. */
  done: Promise<void>;
}

/**
 * The far end of `log.replicateTo(stream)`: open (or create) the log in `dir`, tell the leader
 * where it stands (its last LSN), append every record the leader ships — checked against its
 * CRC and LSN — in `'group'` mode, and send back each durable LSN. A reconnect resumes where the
 * follower left off. Resolves once the log is open.
 */
export async function followLog(stream: Duplex, dir: string, options: LogOptions = {}): Promise<Follower> {
  if (stream === null || typeof stream !== 'object' || typeof stream.write !== 'function' || typeof stream.on !== 'function') {
    throw invalidArgType('stream', 'Duplex', stream);
  }
  const log = await openLog(dir, { ...options, mode: 'group' });
  let acked = log.lastLsn;
  stream.write(lsnBytes(acked));
  let failure: Error | null = null;
  const appends: Promise<unknown>[] = [];
  const parse = frameParser(log.lastLsn + 1, (lsn, data) => {
    appends.push(log.append(data).then((got) => {
      if (got !== lsn) throw new Error(`LSN ${got} where the leader sent ${lsn}: the follower's log was appended to by someone else`);
      if (log.durableLsn > acked && !stream.destroyed) {
        acked = log.durableLsn;
        stream.write(lsnBytes(acked));
      }
    }).catch((err: Error) => {
      failure ??= err;
      stream.destroy(err);
    }));
    if (appends.length > 4096) appends.splice(0, 2048);
  });
  const done = new Promise<void>((resolve, reject) => {
    stream.on('data', (chunk: Buffer) => {
      try {
        parse(chunk);
      } catch (err) {
        failure ??= err as Error;
        stream.destroy(err as Error);
      }
    });
    stream.on('error', (err) => { failure ??= err; });
    stream.on('close', () => {
      void Promise.allSettled(appends).then(() => log.close()).then(() => (failure ? reject(failure) : resolve()), reject);
    });
  });
  done.catch(() => {});
  return { log, done };
}

/** A follower that is another log directory, opened when replication starts. */
function dirSink(dir: string): FollowerSink {
  let follower: Log | null = null;
  const waiters: (() => void)[] = [];
  return {
    start: async () => {
      follower = await openLog(dir, { mode: 'group' });
      return follower.lastLsn + 1;
    },
    write: async (records) => {
      const lsns = await Promise.all(records.map((r) => follower!.append(r.data)));
      const wrong = lsns.findIndex((lsn, i) => lsn !== records[i].lsn);
      if (wrong >= 0) throw new Error(`the follower in ${dir} gave LSN ${lsns[wrong]} to the leader's ${records[wrong].lsn}`);
      for (const w of waiters.splice(0)) w();
    },
    get durableLsn() { return follower?.durableLsn ?? 0; },
    durableAdvanced: () => new Promise((resolve) => waiters.push(resolve)),
    close: async () => {
      for (const w of waiters.splice(0)) w();
      await follower?.close();
    },
  };
}

export type { CommitMode, LogRecord, RecoveryReport, ReplicateOptions, ReplicationLag };
export { Replication };
