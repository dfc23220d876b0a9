// Asynchronous replication: a loop beside the log ships durable records, in order, to a
// follower — another log directory, or a stream whose far end runs followLog() — and learns
// what the follower has made durable. Appends never wait for it unless asked to ('remote' ack).
import type { Duplex, Writable } from 'node:stream';
import { invalidArgType, invalidArgValue, withCode } from '../errors.js';
import { validateInteger, validateObject } from '../validate.js';
import { encodeFrame, FRAME_HEADER, scanFrame } from './format.js';
import type { LogRecord } from './reader.js';

/** How far a follower is behind. */
export interface ReplicationLag {
  /** Records appended on the leader and not yet shipped. */
  records: number;
  /** Bytes (framed) written on the leader since replication started and not yet shipped. */
  bytes: number;
  /** The last LSN shipped to the follower. */
  shippedLsn: number;
  /** The last LSN the follower reported durable. */
  durableLsn: number;
}

/** Options of `log.replicateTo()`. */
export interface ReplicateOptions {
  /**
   * `'local'` (default): appends resolve by the log's commit mode alone, and the follower lags
   * behind. `'remote'`: an append resolves only once the follower has it durable too (as
   * Postgres's synchronous replication), which costs the follower's round trip per group.
   */
  ack?: 'local' | 'remote';
  /** Most bytes shipped at once (default 1 MiB). */
  batchBytes?: number;
  /** For a write-only stream: the first LSN to ship (default: the log's first). A duplex stream asks its follower. */
  from?: number;
}

/** What a follower offers the replication loop. */
export interface FollowerSink {
  /** Where shipping starts (the follower's last LSN + 1). */
  start(): Promise<number>;
  /** Ship records, in order; resolves when they are handed over (not necessarily durable). */
  write(records: LogRecord[]): Promise<void>;
  /** The last LSN the follower made durable. */
  readonly durableLsn: number;
  /** Resolves when durableLsn advances (or the follower goes away). */
  durableAdvanced(): Promise<void>;
  close(): Promise<void>;
}

/** What the replication loop needs of the leader. */
export interface LeaderView {
  readonly durableLsn: number;
  readonly lastLsn: number;
  readonly bytesWritten: number;
  readonly closing: boolean;
  durableAdvanced(): Promise<void>;
  read(from: number, to: number): AsyncIterable<LogRecord>;
}

function replicationError(message: string, cause?: Error): Error {
  const err = withCode(new Error(message), 'ERR_URINGFS_REPLICATION');
  if (cause !== undefined) (err as Error & { cause: Error }).cause = cause;
  return err;
}

/**
 * One follower of a log, fed by a loop that ships durable records in order. Made by
 * `log.replicateTo()`; `lag` tells how far behind the follower is; `stop()` ends it once
 * everything durable has been shipped.
 */
export class Replication {
  readonly #leader: LeaderView;
  readonly #sink: FollowerSink;
  readonly #batchBytes: number;
  /** Whether appends wait for the follower. */
  readonly remoteAck: boolean;
  #shipped = 0;
  #shippedBytes = 0;
  readonly #startBytes: number;
  #stopping = false;
  #finished = false;
  #error: Error | null = null;
  readonly #done: Promise<void>;
  #wake: (() => void) | null = null;
  readonly #waiters: { lsn: number; resolve: () => void; reject: (err: Error) => void }[] = [];

  readonly #onStopped: () => void;

  /** @internal Use `log.replicateTo()`. */
  constructor(leader: LeaderView, sink: FollowerSink, options: { remoteAck: boolean; batchBytes: number }, onStopped: () => void) {
    this.#onStopped = onStopped;
    this.#leader = leader;
    this.#sink = sink;
    this.remoteAck = options.remoteAck;
    this.#batchBytes = options.batchBytes;
    this.#startBytes = leader.bytesWritten;
    this.#done = this.#run();
    void this.#watchFollower();
  }

  /** How far behind the follower is: records and bytes not yet shipped, last LSN shipped and durable on it. */
  get lag(): ReplicationLag {
    return {
      records: Math.max(0, this.#leader.lastLsn - this.#shipped),
      bytes: Math.max(0, this.#leader.bytesWritten - this.#startBytes - this.#shippedBytes),
      shippedLsn: this.#shipped,
      durableLsn: this.#sink.durableLsn,
    };
  }

  /** Why replication stopped on its own (the follower failed or went away), or null. */
  get error(): Error | null { return this.#error; }

  /** Resolves once the follower has every record up to `lsn` durable (default: the leader's last LSN now). */
  caughtUp(lsn = this.#leader.lastLsn): Promise<void> {
    if (this.#sink.durableLsn >= lsn) return Promise.resolve();
    if (this.#error) return Promise.reject(this.#error);
    if (this.#stopping) return Promise.reject(replicationError('Replication was stopped before the follower had this LSN durable'));
    return new Promise((resolve, reject) => this.#waiters.push({ lsn, resolve, reject }));
  }

  /** Ship what is durable, then stop and close the follower's side (a follower log, or the stream). */
  async stop(): Promise<void> {
    this.#stopping = true;
    this.#onStopped();
    this.#wake?.();
    await this.#done;
    await this.#sink.close().catch(() => {});
    const err = this.#error ?? replicationError('Replication stopped before the follower had this LSN durable');
    for (const w of this.#waiters.splice(0)) w.reject(err);
  }

  async #run(): Promise<void> {
    try {
      await this.#shipAll();
    } finally {
      this.#finished = true;
    }
  }

  async #shipAll(): Promise<void> {
    try {
      this.#shipped = (await this.#sink.start()) - 1;
      if (this.#shipped > this.#leader.durableLsn) {
        throw replicationError(`The follower is ahead of the leader (LSN ${this.#shipped} > ${this.#leader.durableLsn}): it follows another history`);
      }
      for (;;) {
        const upTo = this.#leader.durableLsn;
        if (upTo <= this.#shipped) {
          if (this.#stopping || this.#leader.closing) return;
          await new Promise<void>((resolve) => {
            this.#wake = resolve;
            void this.#leader.durableAdvanced().then(resolve);
          });
          this.#wake = null;
          continue;
        }
        let batch: LogRecord[] = [];
        let bytes = 0;
        for await (const r of this.#leader.read(this.#shipped + 1, upTo)) {
          batch.push(r);
          bytes += FRAME_HEADER + r.data.length;
          if (bytes >= this.#batchBytes) {
            await this.#ship(batch, bytes);
            batch = [];
            bytes = 0;
          }
        }
        if (batch.length > 0) await this.#ship(batch, bytes);
      }
    } catch (err) {
      this.#error = err instanceof Error && (err as { code?: string }).code === 'ERR_URINGFS_REPLICATION' ? err : replicationError(`Replication failed: ${(err as Error).message}`, err as Error);
      for (const w of this.#waiters.splice(0)) w.reject(this.#error);
    }
  }

  async #ship(batch: LogRecord[], bytes: number): Promise<void> {
    await this.#sink.write(batch);
    this.#shipped = batch[batch.length - 1].lsn;
    this.#shippedBytes += bytes;
  }

  /** Settle caughtUp() waiters as the follower reports progress. */
  async #watchFollower(): Promise<void> {
    for (;;) {
      const durable = this.#sink.durableLsn;
      let i = 0;
      while (i < this.#waiters.length) {
        if (this.#waiters[i].lsn <= durable) this.#waiters.splice(i, 1)[0].resolve();
        else i++;
      }
      // Once the shipping loop has ended, stop() settles whoever still waits.
      if (this.#error !== null || this.#finished) return;
      await Promise.race([this.#sink.durableAdvanced(), this.#done]);
    }
  }
}

export function replicateOptions(options: ReplicateOptions | undefined): { remoteAck: boolean; batchBytes: number; from: number | undefined } {
  if (options !== undefined) validateObject(options, 'options');
  const ack = options?.ack ?? 'local';
  if (ack !== 'local' && ack !== 'remote') throw invalidArgValue('options.ack', ack, "must be 'local' or 'remote'");
  const batchBytes = options?.batchBytes ?? 1 << 20;
  validateInteger(batchBytes, 'options.batchBytes', 1, 2 ** 31 - 1);
  if (options?.from !== undefined) validateInteger(options.from, 'options.from', 1);
  return { remoteAck: ack === 'remote', batchBytes, from: options?.from };
}

// ---- Over a stream: frames as on disk one way, 8-byte durable LSNs the other way. ----

function lsnBytes(lsn: number): Buffer {
  const b = Buffer.allocUnsafe(8);
  b.writeUInt32LE(lsn >>> 0, 0);
  b.writeUInt32LE(Math.floor(lsn / 2 ** 32), 4);
  return b;
}

/** Ship frames into `stream`; read the follower's durable LSNs back when it is a duplex. */
export function streamSink(stream: Writable | Duplex, from: () => number): FollowerSink {
  if (stream === null || typeof stream !== 'object' || typeof (stream as Writable).write !== 'function') {
    throw invalidArgType('target', ['string', 'Writable'], stream);
  }
  const readable = typeof (stream as Duplex).read === 'function' && (stream as Duplex).readable;
  let durable = 0;
  let first: ((lsn: number) => void) | null = null;
  let gone: Error | null = null;
  const waiters: (() => void)[] = [];
  const wake = (): void => { for (const w of waiters.splice(0)) w(); };
  let pending: Buffer = Buffer.alloc(0);
  if (readable) {
    (stream as Duplex).on('data', (chunk: Buffer) => {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      let at = 0;
      for (; at + 8 <= pending.length; at += 8) {
        const lsn = pending.readUInt32LE(at) + pending.readUInt32LE(at + 4) * 2 ** 32;
        if (first !== null) {
          const f = first;
          first = null;
          durable = lsn;
          f(lsn + 1);
        } else if (lsn > durable) {
          durable = lsn;
        }
      }
      pending = pending.subarray(at);
      wake();
    });
  }
  const onGone = (err?: Error): void => {
    gone ??= err ?? replicationError('The follower stream closed');
    wake();
  };
  stream.on('error', onGone);
  stream.on('close', () => onGone());
  return {
    start: () => {
      if (!readable) return Promise.resolve(from());
      return new Promise((resolve, reject) => {
        first = resolve;
        waiters.push(() => { if (gone && first) reject(gone); });
      });
    },
    write: async (records) => {
      if (gone) throw gone;
      const size = records.reduce((n, r) => n + FRAME_HEADER + r.data.length, 0);
      const out = Buffer.allocUnsafe(size);
      let at = 0;
      for (const r of records) at = encodeFrame(out, at, r.lsn, r.data);
      if (!stream.write(out)) {
        await new Promise<void>((resolve) => {
          const done = (): void => { stream.off('drain', done); resolve(); };
          stream.on('drain', done);
          waiters.push(done);
        });
      }
      if (gone) throw gone;
      if (!readable) durable = records[records.length - 1].lsn;  // nothing to learn it from: shipped is all we know
    },
    get durableLsn() { return durable; },
    durableAdvanced: () => (gone ? Promise.resolve() : new Promise((resolve) => waiters.push(resolve))),
    close: async () => {
      stream.end();
    },
  };
}

/** Parse frames arriving on a stream, in LSN order from `next`: calls `onRecord` per record. */
export function frameParser(next: number, onRecord: (lsn: number, data: Buffer) => void): (chunk: Buffer) => void {
  let pending: Buffer = Buffer.alloc(0);
  return (chunk) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    let at = 0;
    for (;;) {
      const f = scanFrame(pending, at, next, 2 ** 31);
      if (f.kind === 'partial') break;
      if (f.kind === 'end') throw replicationError(`A record from the leader did not arrive intact (expected LSN ${next}): ${f.reason}`);
      onRecord(f.lsn, Buffer.from(pending.subarray(f.start, f.end)));
      next = f.lsn + 1;
      at = f.end;
    }
    pending = pending.subarray(at);
  };
}

export { lsnBytes };
