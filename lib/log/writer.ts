// The commit pipeline of a log: appends become frames in LSN order; frames are written in
// units (one writev each), a unit is linked to an fdatasync when its appends need durability,
// and an append resolves only once every record up to its own is written ('async') or durable
// ('sync', 'group'). Units may complete in any order; durability is only ever a prefix.
import { constants } from 'node:fs';
import type { Batch, Outcome } from '../batch.js';
import type { Ring } from '../ring.js';
import { writevSync } from '../sync.js';
import { FRAME_HEADER, encodeFrame } from './format.js';
import { runOps } from './io.js';
import { createSegment, type Segment } from './segments.js';
import { logClosed, logFailed } from './errors.js';

/** How an append is acknowledged. */
export type CommitMode = 'sync' | 'group' | 'async';

export interface WriterOptions {
  mode: CommitMode;
  groupDelayMs: number;
  groupBytes: number;
  flushIntervalMs: number;
  segmentSize: number;
  preallocate: boolean;
}

/** One append, from its call until it resolves or rejects. */
interface Entry {
  lsn: number;
  frame: Buffer;
  mode: CommitMode;
  resolve: (lsn: number) => void;
  reject: (err: Error) => void;
  settled: boolean;
}

/** A flush() waiting for `lsn` to be durable. */
interface FlushWaiter {
  lsn: number;
  resolve: () => void;
  reject: (err: Error) => void;
}

/** Frames written by one writev (and, when `linked`, made durable by the fdatasync linked to it). */
interface Unit {
  first: number;
  last: number;
  entries: Entry[];
  views: Buffer[];
  bytes: number;
  position: number;
  fd: number;
  linked: boolean;
  group: boolean;
  /** Every LSN up to this one was written before the unit was sent: its fdatasync covers them too. */
  coversUpTo: number;
  written: boolean;
  durable: boolean;
}

/** Counters of what the log issued (its ring's `stats()` counts the same ops among all others). */
export interface WriterCounters {
  appends: number;
  writes: number;
  fdatasyncs: number;
  groups: number;
  bytesWritten: number;
  rotations: number;
}

const SLAB = 1 << 20;
const IOV_MAX = 1024;

export class Writer {
  readonly #ring: Ring;
  readonly #dir: string;
  readonly #o: WriterOptions;
  readonly segments: Segment[];
  #active: Segment;
  #fd: number;
  #tail: number;
  #nextLsn: number;
  #writtenLsn: number;
  #durableLsn: number;
  #slab = Buffer.allocUnsafeSlow(SLAB);
  #slabUsed = 0;
  /** Appends not yet sent, in LSN order. */
  #queue: Entry[] = [];
  #queueHead = 0;
  #queuedGroupBytes = 0;
  /** Units sent and not yet durable, in LSN order; #writtenHead: the first not yet written. */
  #units: Unit[] = [];
  #writtenHead = 0;
  #awaitWrite: Entry[] = [];
  #awaitDurable: (Entry | FlushWaiter)[] = [];
  #unitsInFlight = 0;
  #syncInFlight = false;
  #groupInFlight = false;
  #groupDue = false;
  /** Cancels the pending group delay (setImmediate or setTimeout), when one is pending. */
  #groupTimer: (() => void) | null = null;
  #linkedInFlight = 0;
  #pumpScheduled = false;
  #rotating = false;
  #spare: Promise<Segment> | null = null;
  #idle: (() => void)[] = [];
  #flusher: NodeJS.Timeout;
  #failed: Error | null = null;
  #closing = false;
  #notifiedDurable = 0;
  #durableWaiters: (() => void)[] = [];
  readonly counters: WriterCounters = { appends: 0, writes: 0, fdatasyncs: 0, groups: 0, bytesWritten: 0, rotations: 0 };

  constructor(ring: Ring, dir: string, options: WriterOptions, segments: Segment[], fd: number, spare: Segment | null, lastLsn: number) {
    this.#ring = ring;
    this.#dir = dir;
    this.#o = options;
    this.segments = segments;
    this.#active = segments[segments.length - 1];
    this.#fd = fd;
    this.#tail = this.#active.end;
    this.#nextLsn = lastLsn + 1;
    this.#writtenLsn = lastLsn;
    this.#durableLsn = lastLsn;
    this.#spare = spare !== null ? Promise.resolve(spare) : this.#makeSpare(this.#active.seq + 1);
    this.#flusher = setInterval(() => this.#maybeSync(true), options.flushIntervalMs);
    this.#flusher.unref();
  }

  get nextLsn(): number { return this.#nextLsn; }
  get writtenLsn(): number { return this.#writtenLsn; }
  get durableLsn(): number { return this.#durableLsn; }
  get failed(): Error | null { return this.#failed; }
  get closing(): boolean { return this.#closing; }
  /** The highest LSN a reader may see: written, or only durable once the log failed. */
  get visibleLsn(): number { return this.#failed ? this.#durableLsn : this.#writtenLsn; }

  /** Frame `data` and queue it; the promise settles by `mode`. */
  append(data: Uint8Array, mode: CommitMode): Promise<number> {
    if (this.#closing) return Promise.reject(logClosed('append'));
    if (this.#failed) return Promise.reject(logFailed(this.#failed));
    const size = FRAME_HEADER + data.length;
    let frame: Buffer;
    if (size > SLAB / 4) {
      frame = Buffer.allocUnsafeSlow(size);
    } else {
      if (this.#slabUsed + size > SLAB) {
        this.#slab = Buffer.allocUnsafeSlow(SLAB);
        this.#slabUsed = 0;
      }
      // Frames back to back: those of one unit then go as one iovec.
      frame = this.#slab.subarray(this.#slabUsed, this.#slabUsed + size);
      this.#slabUsed += size;
    }
    const lsn = this.#nextLsn++;
    encodeFrame(frame, 0, lsn, data);
    this.counters.appends++;
    return new Promise<number>((resolve, reject) => {
      const entry: Entry = { lsn, frame, mode, resolve, reject, settled: false };
      this.#queue.push(entry);
      if (mode === 'async') this.#awaitWrite.push(entry);
      else this.#awaitDurable.push(entry);
      if (mode === 'group') this.#scheduleGroup(size);
      else this.#schedulePump();
    });
  }

  /** Resolves once everything appended before the call is durable. */
  flush(): Promise<void> {
    if (this.#failed) return Promise.reject(logFailed(this.#failed));
    const lsn = this.#nextLsn - 1;
    if (lsn <= this.#durableLsn) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.#awaitDurable.push({ lsn, resolve, reject });
      // A group waiting for its delay goes now.
      if (this.#queuedGroupBytes > 0) this.#groupDue = true;
      this.#schedulePump();
      this.#maybeSync(false);
    });
  }

  /** Stop taking appends, make what was taken durable, close the segment. */
  async close(): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    let error: unknown = null;
    try {
      if (!this.#failed) await this.flush();
    } catch (err) {
      error = err;
    }
    clearInterval(this.#flusher);
    for (const wake of this.#durableWaiters.splice(0)) wake();
    await this.#whenIdle();
    await this.#spare?.catch(() => {});
    await runOps(this.#ring, (b) => b.close(this.#fd)).catch(() => {});
    if (error !== null && !this.#failed) throw error;
  }

  #scheduleGroup(size: number): void {
    this.#queuedGroupBytes += size;
    if (this.#queuedGroupBytes >= this.#o.groupBytes) {
      this.#groupDue = true;
      this.#schedulePump();
    } else if (this.#groupTimer === null && !this.#groupDue) {
      const fire = (): void => {
        this.#groupTimer = null;
        this.#groupDue = true;
        this.#pump();
      };
      // 0: the end of this turn of the event loop, after every append made in it.
      if (this.#o.groupDelayMs > 0) {
        const t = setTimeout(fire, this.#o.groupDelayMs);
        this.#groupTimer = () => clearTimeout(t);
      } else {
        const t = setImmediate(fire);
        this.#groupTimer = () => clearImmediate(t);
      }
    }
  }

  #schedulePump(): void {
    if (this.#pumpScheduled) return;
    this.#pumpScheduled = true;
    queueMicrotask(() => this.#pump());
  }

  /** Send what is queued, in LSN order, as far as the rules allow now. */
  #pump(): void {
    this.#pumpScheduled = false;
    if (this.#failed || this.#rotating) return;
    let syncBatch: Batch | null = null;
    let groupBatch: Batch | null = null;
    const syncUnits: Unit[] = [];
    const groupUnits: Unit[] = [];
    const asyncUnits: Unit[] = [];
    const q = this.#queue;
    while (this.#queueHead < q.length) {
      const head = q[this.#queueHead];
      if (head.frame.length > this.#active.size - this.#tail) {
        void this.#rotate();
        break;
      }
      if (head.mode === 'sync') {
        const unit = this.#take(1, 'sync', Infinity);
        (syncBatch ??= this.#ring.batch()).chain((c) => c.writev(unit.fd, unit.views, unit.position).fdatasync(unit.fd));
        syncUnits.push(unit);
      } else if (head.mode === 'group') {
        if (this.#groupInFlight || !this.#groupDue) break;
        const unit = this.#take(Infinity, 'group', this.#o.groupBytes);
        groupBatch = this.#ring.batch().chain((c) => c.writev(unit.fd, unit.views, unit.position).fdatasync(unit.fd));
        groupUnits.push(unit);
        this.#groupInFlight = true;
        this.#groupDue = false;
        this.counters.groups++;
      } else {
        asyncUnits.push(this.#take(Infinity, 'async', Infinity));
      }
    }
    if (this.#queueHead === q.length) {
      this.#queue = [];
      this.#queueHead = 0;
    } else if (this.#queueHead > 1024) {
      this.#queue = q.slice(this.#queueHead);
      this.#queueHead = 0;
    }
    if (syncBatch) this.#send(syncBatch, syncUnits);
    if (groupBatch) this.#send(groupBatch, groupUnits);
    // A write to the page cache is cheaper done here than handed to the kernel's workers
    // (ext4 buffered writes do not complete inline in io_uring) and waited for: 'async' only
    // needs the page cache, which is what a direct pwritev gives, as appendFileSync does.
    for (const unit of asyncUnits) {
      let write: Outcome;
      try {
        write = { ok: true, value: writevSync(unit.fd, unit.views, unit.position) };
      } catch (err) {
        write = { ok: false, error: err as Error };
      }
      this.#settleUnit(unit, write, null, 0);
    }
  }

  /** Take consecutive frames of `mode` from the queue (at most `count`, `maxBytes` after the first, what fits the segment) as a unit. */
  #take(count: number, mode: CommitMode, maxBytes: number): Unit {
    const q = this.#queue;
    const entries: Entry[] = [];
    const views: Buffer[] = [];
    let bytes = 0;
    const room = this.#active.size - this.#tail;
    while (this.#queueHead < q.length && entries.length < count && views.length < IOV_MAX) {
      const e = q[this.#queueHead];
      if (e.mode !== mode || bytes + e.frame.length > room) break;
      if (entries.length > 0 && bytes + e.frame.length > maxBytes) break;
      this.#queueHead++;
      entries.push(e);
      // Frames next to each other in one slab go as one iovec.
      const prev = views[views.length - 1];
      if (prev !== undefined && prev.buffer === e.frame.buffer && prev.byteOffset + prev.length === e.frame.byteOffset) {
        views[views.length - 1] = Buffer.from(prev.buffer, prev.byteOffset, prev.length + e.frame.length);
      } else {
        views.push(e.frame);
      }
      bytes += e.frame.length;
    }
    if (mode === 'group') this.#queuedGroupBytes -= bytes;
    const unit: Unit = {
      first: entries[0].lsn, last: entries[entries.length - 1].lsn, entries, views, bytes,
      position: this.#tail, fd: this.#fd, linked: mode !== 'async', group: mode === 'group', coversUpTo: this.#writtenLsn, written: false, durable: false,
    };
    this.#tail += bytes;
    const seg = this.#active;
    if (seg.firstLsn === 0) seg.firstLsn = unit.first;
    seg.lastLsn = unit.last;
    seg.end = this.#tail;
    this.#units.push(unit);
    this.#unitsInFlight++;
    this.counters.writes++;
    if (unit.linked) {
      this.counters.fdatasyncs++;
      this.#linkedInFlight++;
    }
    this.counters.bytesWritten += bytes;
    return unit;
  }

  #send(batch: Batch, units: Unit[]): void {
    batch.submit().then((out) => {
      let i = 0;
      for (const unit of units) {
        const write = out[i++];
        const sync = unit.linked ? out[i++] : null;
        this.#settleUnit(unit, write, sync, 0);
      }
    }, (err: Error) => {
      for (const unit of units) this.#unitFailed(unit, err);
    });
  }

  /** A unit's write (and linked fdatasync) completed; `done`: bytes written by earlier tries. */
  #settleUnit(unit: Unit, write: Outcome, sync: Outcome | null, done: number): void {
    if (!write.ok) return this.#unitFailed(unit, write.error);
    const total = done + (write.value as number);
    if (total < unit.bytes) {
      // Short (the disk filled up, or a signal): write the rest; the retry says why if it fails.
      void this.#retry(unit, total);
      return;
    }
    if (sync !== null && !sync.ok) return this.#unitFailed(unit, sync.error);
    this.#unitDone(unit);
    unit.written = true;
    if (unit.linked) {
      unit.durable = true;
      this.#coverUpTo(unit.coversUpTo);
    }
    this.#progress();
  }

  async #retry(unit: Unit, done: number): Promise<void> {
    const rest: Buffer[] = [];
    let skip = done;
    for (const v of unit.views) {
      if (skip >= v.length) { skip -= v.length; continue; }
      rest.push(v.subarray(skip));
      skip = 0;
    }
    const batch = this.#ring.batch();
    if (unit.linked) batch.chain((c) => c.writev(unit.fd, rest, unit.position + done).fdatasync(unit.fd));
    else batch.writev(unit.fd, rest, unit.position + done);
    this.counters.writes++;
    try {
      const out = await batch.submit();
      this.#settleUnit(unit, out[0], unit.linked ? out[1] : null, done);
    } catch (err) {
      this.#unitFailed(unit, err as Error);
    }
  }

  #unitDone(unit: Unit): void {
    this.#unitsInFlight--;
    if (unit.linked) this.#linkedInFlight--;
    if (unit.group) this.#groupInFlight = false;
  }

  #unitFailed(unit: Unit, err: Error): void {
    this.#unitDone(unit);
    this.#fail(err, unit.entries);
  }

  /** Mark written units up to `lsn` durable (an fdatasync that started after their writes completed). */
  #coverUpTo(lsn: number): void {
    for (let i = 0; i < this.#writtenHead && this.#units[i].last <= lsn; i++) this.#units[i].durable = true;
  }

  /** Advance the written and durable prefixes, settle who waits for them, send more. */
  #progress(): void {
    if (this.#failed) return this.#notifyIdle();
    const units = this.#units;
    while (this.#writtenHead < units.length && units[this.#writtenHead].written) {
      this.#writtenLsn = units[this.#writtenHead++].last;
    }
    let durable = 0;
    while (durable < this.#writtenHead && units[durable].durable) this.#durableLsn = units[durable++].last;
    if (durable > 0) {
      units.splice(0, durable);
      this.#writtenHead -= durable;
    }
    let w = 0;
    const aw = this.#awaitWrite;
    while (w < aw.length && aw[w].lsn <= this.#writtenLsn) settle(aw[w++]);
    if (w > 0) aw.splice(0, w);
    if (this.#durableLsn > this.#notifiedDurable) {
      this.#notifiedDurable = this.#durableLsn;
      for (const wake of this.#durableWaiters.splice(0)) wake();
    }
    let d = 0;
    const ad = this.#awaitDurable;
    while (d < ad.length && ad[d].lsn <= this.#durableLsn) settle(ad[d++]);
    if (d > 0) ad.splice(0, d);
    if (this.#queuedGroupBytes > 0 && !this.#groupInFlight && this.#groupTimer === null) this.#groupDue = true;
    this.#maybeSync(false);
    if (this.#queueHead < this.#queue.length) this.#pump();
    this.#notifyIdle();
  }

  /**
   * A standalone fdatasync when written records wait to become durable and no linked one is
   * coming to do it — or, from the background flusher (`timer`), whenever written > durable.
   */
  #maybeSync(timer: boolean): void {
    if (this.#failed || this.#syncInFlight || this.#rotating || this.#writtenLsn <= this.#durableLsn) return;
    if (!timer) {
      const head = this.#awaitDurable[0];
      if (head === undefined || head.lsn > this.#writtenLsn) return;
      if (this.#linkedInFlight > 0) return;
    }
    void this.#syncNow();
  }

  /** fdatasync the active segment; on success every record written before it is durable. */
  async #syncNow(): Promise<void> {
    const upTo = this.#writtenLsn;
    this.#syncInFlight = true;
    this.counters.fdatasyncs++;
    try {
      await runOps(this.#ring, (b) => b.fdatasync(this.#fd));
    } catch (err) {
      this.#syncInFlight = false;
      // Every record not yet durable is in doubt.
      this.#fail(err as Error, this.#units.flatMap((u) => u.entries));
      return;
    }
    this.#syncInFlight = false;
    this.#coverUpTo(upTo);
    this.#progress();
  }

  #whenIdle(): Promise<void> {
    if (this.#unitsInFlight === 0 && !this.#syncInFlight) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  #notifyIdle(): void {
    if (this.#unitsInFlight !== 0 || this.#syncInFlight) return;
    for (const resolve of this.#idle.splice(0)) resolve();
  }

  /** Move to the next segment once everything sent to this one is durable. */
  async #rotate(): Promise<void> {
    this.#rotating = true;
    try {
      await this.#whenIdle();
      if (this.#failed) return;
      if (this.#writtenLsn > this.#durableLsn) {
        await this.#syncNow();
        if (this.#failed) return;
      }
      const next = await (this.#spare ?? this.#makeSpare(this.#active.seq + 1));
      this.#spare = null;
      const [fd] = (await runOps(this.#ring, (b) => b.open(next.path, constants.O_WRONLY))) as number[];
      const old = this.#fd;
      this.#fd = fd;
      this.#active = next;
      this.#tail = next.end;
      if (this.segments[this.segments.length - 1] !== next) this.segments.push(next);
      this.counters.rotations++;
      await runOps(this.#ring, (b) => b.close(old));
      this.#spare = this.#makeSpare(next.seq + 1);
    } catch (err) {
      // The appends waiting for this segment fail with the reason (ENOSPC making it, most likely).
      this.#fail(err as Error, this.#queue.slice(this.#queueHead));
    } finally {
      this.#rotating = false;
    }
    this.#pump();
  }

  /** Make the next segment in the background; a failure surfaces at the rotation that needs it. */
  #makeSpare(seq: number): Promise<Segment> {
    const spare = createSegment(this.#ring, this.#dir, seq, this.#o.segmentSize, this.#o.preallocate);
    spare.catch(() => {});
    return spare;
  }

  /** Resolves the next time durableLsn advances, or the log fails or closes. */
  durableAdvanced(): Promise<void> {
    if (this.#failed || this.#closing) return Promise.resolve();
    return new Promise((resolve) => this.#durableWaiters.push(resolve));
  }

  /** Wait until a spare segment is ready (after open, and in tests before counting ops). */
  async spareReady(): Promise<void> {
    await this.#spare?.catch(() => {});
  }

  /**
   * The log cannot go on: `culprits` reject with `err` itself (the system error of their
   * write or fdatasync), every other append not yet settled with ERR_URINGFS_LOG_FAILED.
   */
  #fail(err: Error, culprits: Entry[]): void {
    if (this.#failed) return this.#notifyIdle();
    this.#failed = err;
    this.#groupTimer?.();
    this.#groupTimer = null;
    const own = new Set(culprits);
    const wrapped = logFailed(err);
    for (const e of [...this.#awaitWrite, ...this.#awaitDurable]) {
      if ('mode' in e) {
        if (!e.settled) {
          e.settled = true;
          e.reject(own.has(e) ? err : wrapped);
        }
      } else {
        e.reject(wrapped);
      }
    }
    this.#awaitWrite = [];
    this.#awaitDurable = [];
    for (const wake of this.#durableWaiters.splice(0)) wake();
    this.#queue = [];
    this.#queueHead = 0;
    this.#notifyIdle();
  }
}

function settle(e: Entry | FlushWaiter): void {
  if (!('mode' in e)) return e.resolve();
  if (e.settled) return;
  e.settled = true;
  e.resolve(e.lsn);
}

