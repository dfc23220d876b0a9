/**
 * A durable append log on io_uring: records in preallocated segment files, framed with length,
 * CRC32C and LSN, committed `'sync'` (write linked to fdatasync), `'group'` (many appends, one
 * writev and one fdatasync) or `'async'` (page cache now, durable within `flushIntervalMs`).
 * Opening recovers after a crash: every record is verified and a torn tail is cut. No `node:fs`
 * counterpart.
 *
 * @module log
 */
export { openLog, Log, followLog } from './log.js';
/**
 * A follower of a log, made by {@link Log.replicateTo}: `lag` (records and bytes not yet shipped,
 * last LSN shipped and durable on the follower), `caughtUp(lsn)`, `stop()`, `error`.
 */
export { Replication } from './log.js';
/** Options of {@link Log.replicateTo}: `ack` (`'local'` or `'remote'`), `batchBytes`, `from`. */
export type { ReplicateOptions } from './log.js';
/** What {@link Replication.lag} returns. */
export type { ReplicationLag } from './log.js';
/** What {@link followLog} resolves with: the follower's log and a promise of its end. */
export type { Follower } from './log.js';
/** Options of {@link openLog}: commit mode, group delay and size, flush interval, segment size, preallocation, the ring's options. */
export type { LogOptions } from './log.js';
/** Options of {@link Log.append}: this append's commit mode. */
export type { AppendOptions } from './log.js';
/** Options of {@link Log.read} / {@link Log.readSync}: the LSN range. */
export type { ReadOptions } from './log.js';
/** What {@link Log.stats} returns: the log's counters and LSNs, and its ring's stats. */
export type { LogStats } from './log.js';
/** How an append is acknowledged: `'sync'`, `'group'` or `'async'` (see {@link LogOptions.mode}). */
export type { CommitMode } from './log.js';
/** One record read back: `{ lsn, data }`. */
export type { LogRecord } from './log.js';
/** What {@link openLog} found and did: records, LSN range, bytes of a torn tail zeroed, segments dropped, why. */
export type { RecoveryReport } from './log.js';
