// The engine: turns Ops into SQEs, flushes once per JS turn, dispatches
// completions, and holds every in-flight op (and so its memory) in a slot
// table until its completion arrives. All async flavours go through here.
import { createBackend, type BackendName, type BackendOptions, type RingSetup } from './backend.js';
import type { NativeRing } from './binding.js';
import { invalidArgType, invalidArgValue, ringClosed, systemError } from './errors.js';
import { Batch } from './batch.js';
import { callbacksOn, promisesOn, type RingCallbacks, type RingPromises } from './bound.js';
import { Op, OpCode } from './op.js';
import { validateInteger, validateObject } from './validate.js';

/** A result that is not an errno: the ring was closed before the op ran. */
export const RING_CLOSED = -(2 ** 31);
export const ECANCELED = -125;
/** IOSQE_IO_LINK: the next SQE starts only if this one succeeds. */
const IOSQE_IO_LINK = 1 << 2;
const HISTOGRAM_LABELS = ['1', '2-3', '4-7', '8-15', '16-31', '32-63', '64-127', '128-255', '256-511', '512+'];

// io_uring_setup flags (linux/io_uring.h).
export const SetupFlags = {
  SQPOLL: 1 << 1,
  SUBMIT_ALL: 1 << 7,
  COOP_TASKRUN: 1 << 8,
  SINGLE_ISSUER: 1 << 12,
  DEFER_TASKRUN: 1 << 13,
} as const;

export interface RingOptions extends BackendOptions {
  /**
   * SQ size: how many ops one io_uring_enter can carry (rounded up to a power
   * of two by the kernel). The CQ is 4x, and at most that many ops are in
   * flight; more wait in uringfs's queue, in order. Default 256. Max 16384.
   */
  entries?: number;
  /**
   * How the kernel runs completion work for this thread:
   * - 'coop' (default): IORING_SETUP_COOP_TASKRUN + SINGLE_ISSUER — no
   *   interrupting IPIs; work runs when the thread enters the kernel anyway.
   * - 'defer': SINGLE_ISSUER + DEFER_TASKRUN — work runs only when uringfs
   *   asks, in batches (kernel 6.1+).
   * - 'normal': neither (what older kernels support).
   * The default falls back to 'normal' on kernels that refuse it; an explicit
   * choice that the kernel refuses throws.
   */
  taskrun?: 'coop' | 'defer' | 'normal';
  /**
   * IORING_SETUP_SQPOLL: a kernel thread polls the SQ, so submitting needs
   * no syscall while it is awake (`idleMs`, default 1000, after the last op).
   * Off by default: it burns a core while busy, and an SQPOLL ring keeps its
   * creator's credentials after setuid() (CVE-2024-22017).
   */
  sqpoll?: boolean | { idleMs?: number };
  /**
   * When ops from the ordinary API reach the kernel: 'turn' (default) — once
   * at the end of the current JS turn, so everything issued together shares
   * one io_uring_enter; 'immediate' — one enter per op (lowest latency for a
   * lone op, most syscalls); a number N — every N ops, and at the end of the turn.
   */
  submit?: 'turn' | 'immediate' | number;
}

export interface RingStats {
  /** SQEs the kernel accepted. */
  submitted: number;
  /**
   * io_uring_enter calls (submits and overflow fetches). On the thread pool: hand-offs to the
   * workers (one wake-up each), which follow completions when more ops wait than the CQ holds.
   */
  enters: number;
  /** CQEs reaped. */
  completed: number;
  /** Ops queued or in flight in the kernel right now. */
  inFlight: number;
  /** The most ops ever in flight at once. */
  maxInFlight: number;
  /**
   * Ops waiting in uringfs: for room in the CQ, or completed during a
   * synchronous wait (submitSync, readFilesSync) and delivered on the next tick.
   */
  waiting: number;
  /** Drains that found the kernel holding overflowed completions. */
  cqOverflows: number;
  /** How many submits carried how many SQEs: { '1': n, '2-3': n, ..., '512+': n }. */
  opsPerSubmit: Record<string, number>;
}

/** Ops that go to the kernel together, each linked to the next (IOSQE_IO_LINK). */
type Chain = Op[];

const DEFAULT_ENTRIES = 256;
const MAX_ENTRIES = 16384;  // the CQ (4x) must stay within the kernel's 65536

/** The setup flags to try, most wanted first: only the defaults fall back. */
function setupAttempts(options: RingOptions): RingSetup {
  const { SQPOLL, SUBMIT_ALL, COOP_TASKRUN, SINGLE_ISSUER, DEFER_TASKRUN } = SetupFlags;
  const sqpoll = options.sqpoll ?? false;
  if (typeof sqpoll !== 'boolean') validateObject(sqpoll, 'options.sqpoll');
  const idleMs = typeof sqpoll === 'object' ? (sqpoll.idleMs ?? 1000) : 0;
  validateInteger(idleMs, 'options.sqpoll.idleMs', 0, 2 ** 32 - 1);
  const taskrun = options.taskrun;
  if (taskrun !== undefined && taskrun !== 'coop' && taskrun !== 'defer' && taskrun !== 'normal') {
    throw invalidArgValue('options.taskrun', taskrun, "must be 'coop', 'defer' or 'normal'");
  }
  const explicit = taskrun !== undefined || sqpoll !== false;
  let flags = sqpoll !== false ? SQPOLL : 0;
  if (taskrun === 'defer') flags |= SINGLE_ISSUER | DEFER_TASKRUN;
  else if (taskrun === 'coop' || (taskrun === undefined && sqpoll === false)) flags |= COOP_TASKRUN | SINGLE_ISSUER;
  if (explicit) return { attempts: [flags | SUBMIT_ALL, flags], idleMs, explicit };
  return { attempts: [flags | SUBMIT_ALL, SUBMIT_ALL, 0], idleMs, explicit };
}

/**
 * One io_uring instance: an SQ of `entries` slots, a CQ four times larger,
 * an eventfd watched by this thread's event loop. `defaultRing()` is the one
 * the ordinary API uses; make more with `new Ring(options)` for rings with
 * other options, use them through `ring.promises` and `ring.callbacks`, and
 * make batches with `ring.batch()`.
 */
export class Ring {
  readonly #native!: NativeRing;
  /** Flush after this many ops queued in one turn (Infinity: only at the end of the turn). */
  readonly #submitEvery: number;
  #queuedThisTurn = 0;
  readonly #completions: Int32Array;
  readonly #state: Int32Array;
  readonly #ops: (Op | undefined)[] = [];
  readonly #freeIds: number[] = [];
  /** Ops (and chains) beyond what the CQ can hold wait here, in submission order. */
  #backlog: (Op | Chain)[] = [];
  /** Where synchronous waits receive completions (allocated on first use). */
  #syncCompletions: Int32Array | undefined;
  /** Completions reaped by a synchronous wait that belong to async ops: dispatched on the next tick. */
  #deferred: [Op, number][] = [];
  #backlogHead = 0;
  #inFlight = 0;
  readonly #maxInFlight: number;
  readonly #backend: BackendName;
  readonly #fallbackReason: string | null;
  #flushScheduled = false;
  #closed = false;
  #callbacks: RingCallbacks | undefined;
  #promises: RingPromises | undefined;
  // Held here: the native ring references it weakly while idle (strongly
  // while ops are pending), so that an idle ring can be collected.
  readonly #onCompletions = (count: number): void => this.#dispatch(this.#completions, count);
  readonly #flush = () => {
    this.#flushScheduled = false;
    this.#queuedThisTurn = 0;
    if (!this.#closed) this.#native.flush();
  };

  constructor(options: RingOptions = {}) {
    validateObject(options, 'options');
    const entries = options.entries ?? DEFAULT_ENTRIES;
    validateInteger(entries, 'options.entries', 1, MAX_ENTRIES);
    const submit = options.submit ?? 'turn';
    if (submit !== 'turn' && submit !== 'immediate') validateInteger(submit, 'options.submit', 1, 2 ** 31 - 1);
    this.#submitEvery = submit === 'turn' ? Infinity : submit === 'immediate' ? 1 : submit;
    const chosen = createBackend(entries, setupAttempts(options), this.#onCompletions, options);
    this.#native = chosen.native;
    this.#backend = chosen.backend;
    this.#fallbackReason = chosen.fallbackReason;
    this.#completions = this.#native.completions;
    this.#state = this.#native.state;
    this.#maxInFlight = this.#native.cqEntries;
  }

  /** The io_uring_setup flags in force, by name (e.g. ['SUBMIT_ALL', 'COOP_TASKRUN', 'SINGLE_ISSUER']). */
  get setupFlags(): string[] {
    const flags = this.#native.setupFlags;
    return Object.entries(SetupFlags).filter(([, bit]) => (flags & bit) !== 0).map(([name]) => name);
  }

  /** SQ and CQ sizes the kernel gave. */
  /** SQ size the kernel gave: the most ops one io_uring_enter carries. */
  get sqEntries(): number { return this.#native.sqEntries; }
  /** CQ size: the most ops in flight at once (more wait in order). */
  get cqEntries(): number { return this.#native.cqEntries; }
  /** True once close() was called. */
  get closed(): boolean { return this.#closed; }
  /** 'io_uring', or 'threads' (blocking syscalls on worker threads). */
  get backend(): BackendName { return this.#backend; }
  /** Why the thread pool runs although io_uring was wanted ('auto'); null otherwise. */
  get fallbackReason(): string | null { return this.#fallbackReason; }

  /**
   * The callback flavour of `uringfs` (open, read, readFile, stat, …, and readFiles) with every op
   * on this ring instead of the default one; the same object each time. Once the ring is closed,
   * its functions call back with `ERR_URINGFS_RING_CLOSED`.
   */
  get callbacks(): RingCallbacks {
    return (this.#callbacks ??= callbacksOn(this));
  }

  /**
   * The promise flavour of `uringfs/promises` (open, readFile, writeFile, stat, …, and readFiles)
   * with every op on this ring; the same object each time. A FileHandle it opens keeps this ring
   * for all its methods and its close; a FileHandle passed to its readFile/writeFile runs on the
   * handle's own ring. Once the ring is closed, its functions reject with `ERR_URINGFS_RING_CLOSED`.
   */
  get promises(): RingPromises {
    return (this.#promises ??= promisesOn(this));
  }

  /**
   * @internal
   * Queue an op; its `done` is called once, asynchronously, with the result
   * or -errno. `explicit`: the caller (a batch) flushes by itself, so the
   * auto-submit policy does not apply.
   */
  submit(op: Op, explicit = false): void {
    this.#enqueue(op, explicit);
  }

  /**
   * @internal
   * Queue ops that run in order, each only if the one before succeeded
   * (IOSQE_IO_LINK). The chain reaches the kernel in one submit, never split;
   * when a link fails, the ops after it complete with -ECANCELED.
   */
  submitChain(chain: Op[], explicit = false): void {
    if (chain.length > this.sqEntries) throw new RangeError(`A chain of ${chain.length} ops does not fit the SQ (${this.sqEntries} entries)`);
    if (chain.length === 1) this.#enqueue(chain[0], explicit);
    else if (chain.length > 1) this.#enqueue(chain, explicit);
  }

  #enqueue(work: Op | Chain, explicit: boolean): void {
    if (this.#closed) {
      for (const op of Array.isArray(work) ? work : [work]) queueMicrotask(() => complete(op, RING_CLOSED));
      return;
    }
    const size = Array.isArray(work) ? work.length : 1;
    if (this.#inFlight + size > this.#maxInFlight || this.#backlogHead < this.#backlog.length) {
      this.#backlog.push(work);
      return;
    }
    this.#start(work, explicit);
  }

  /** Hand work to the kernel; false when the SQ would not take it (it is then first in line). */
  #start(work: Op | Chain, explicit = false): boolean {
    let queued: boolean;
    if (!Array.isArray(work)) {
      queued = this.#startOp(work);
    } else {
      queued = this.#native.reserve(work.length);
      if (queued) {
        this.#native.setSqeFlags(IOSQE_IO_LINK);
        for (let i = 0; i < work.length; i++) {
          if (i === work.length - 1) this.#native.setSqeFlags(0);
          // Memory was validated when the chain was built; a failure here
          // would break the link, so it is reported for that op and the rest.
          if (!this.#startOp(work[i])) {
            this.#native.setSqeFlags(0);
            for (let j = i + 1; j < work.length; j++) queueMicrotask(() => complete(work[j], ECANCELED));
            break;
          }
        }
      }
    }
    if (!queued) {
      // The kernel would not take more SQEs right now (EBUSY/EAGAIN): keep
      // the work first in line and retry once something completes.
      this.#backlog.splice(this.#backlogHead, 0, work);
      if (this.#inFlight === 0) setTimeout(() => this.#pump(), 1);
      return false;
    }
    if (explicit || this.#state[0] !== 0) {
      // A batch flushes when it is all queued; a drain flushes when it ends.
    } else if (++this.#queuedThisTurn >= this.#submitEvery) {
      this.#queuedThisTurn = 0;
      this.#native.flush();
    } else if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      queueMicrotask(this.#flush);
    }
    return true;
  }

  #startOp(op: Op): boolean {
    const id = this.#freeIds.length > 0 ? this.#freeIds.pop()! : this.#ops.length;
    this.#ops[id] = op;
    const r = this.#queue(id, op);
    if (r === 1) {
      this.#inFlight++;
      return true;
    }
    this.#ops[id] = undefined;
    this.#freeIds.push(id);
    if (r === 0) return false;
    queueMicrotask(() => complete(op, r));
    return true;
  }

  /** A new, empty batch of ops for this ring (see Batch). */
  batch(): Batch {
    return new Batch(this);
  }

  /** Send what is queued to the kernel now (one io_uring_enter per SQ-full), instead of at the end of the turn. */
  flush(): void {
    if (!this.#closed) this.#native.flush();
  }

  /**
   * @internal
   * Block this thread until `isDone()`: submit what is queued, wait for
   * completions and dispatch those of ops marked `sync`. Completions of other
   * (async) ops found meanwhile are dispatched on the next tick, so no user
   * callback runs inside a synchronous call.
   */
  runUntil(isDone: () => boolean): void {
    while (!isDone()) {
      if (this.#closed) throw ringClosed('wait');
      const out = (this.#syncCompletions ??= new Int32Array(this.#completions.length));
      const count = this.#native.waitCompletions(1, out);
      if (count < 0) throw systemError(count, 'io_uring_enter');
      this.#dispatch(out, count, true);
    }
  }

  #queue(id: number, op: Op): number {
    const n = this.#native;
    switch (op.code) {
      case OpCode.Read: return n.read(id, op.fd, op.view!, op.offset, op.length, op.position);
      case OpCode.Write: return n.write(id, op.fd, op.view!, op.offset, op.length, op.position);
      case OpCode.Readv: return n.readv(id, op.fd, op.views!, op.scratch!, op.position);
      case OpCode.Writev: return n.writev(id, op.fd, op.views!, op.scratch!, op.position);
      case OpCode.Open: return n.open(id, op.path!, op.flags, op.mode);
      case OpCode.Close: return n.close(id, op.fd);
      case OpCode.Fsync: return n.fsync(id, op.fd, op.flags === 1);
      case OpCode.Statx: return n.statx(id, op.fd, op.path, op.flags, op.mode, op.scratch!);
      case OpCode.Unlink: return n.unlink(id, op.path!, op.flags);
      case OpCode.Rename: return n.rename(id, op.path!, op.path2!);
      case OpCode.Mkdir: return n.mkdir(id, op.path!, op.mode);
      case OpCode.Nop: return n.nop(id);
    }
  }

  /** Called by the native drain with `count` [id, result] pairs in `completions`. */
  #dispatch(c: Int32Array, count: number, syncWait = false): void {
    const ops = this.#ops;
    for (let i = 0; i < count; i++) {
      const id = c[2 * i];
      const op = ops[id];
      // An unknown id can only come from a ring shared across fork(): ignore it.
      if (op === undefined) continue;
      ops[id] = undefined;
      this.#freeIds.push(id);
      this.#inFlight--;
      if (syncWait && !op.sync) {
        if (this.#deferred.push([op, c[2 * i + 1]]) === 1) process.nextTick(this.#dispatchDeferred);
        continue;
      }
      complete(op, c[2 * i + 1]);
    }
    this.#pump();
  }

  readonly #dispatchDeferred = (): void => {
    const deferred = this.#deferred;
    this.#deferred = [];
    for (const [op, result] of deferred) complete(op, result);
  };

  #pump(): void {
    while (this.#backlogHead < this.#backlog.length && !this.#closed) {
      const work = this.#backlog[this.#backlogHead];
      const size = Array.isArray(work) ? work.length : 1;
      if (this.#inFlight + size > this.#maxInFlight) break;
      this.#backlog[this.#backlogHead++] = undefined as unknown as Op;
      if (!this.#start(work)) break;  // SQ still busy: it went back first in line
    }
    if (this.#backlogHead === this.#backlog.length) {
      this.#backlog = [];
      this.#backlogHead = 0;
    } else if (this.#backlogHead > 1024 && this.#backlogHead * 2 > this.#backlog.length) {
      this.#backlog = this.#backlog.slice(this.#backlogHead);
      this.#backlogHead = 0;
    }
  }

  /** Counters since the ring was made. Cheap: read from a few native integers. */
  stats(): RingStats {
    const counters = this.#native.counters();
    const [submitted, enters, completed, inFlight, maxInFlight, cqOverflows] = counters;
    const opsPerSubmit: Record<string, number> = {};
    HISTOGRAM_LABELS.forEach((label, i) => { opsPerSubmit[label] = counters[6 + i] ?? 0; });
    let waiting = this.#deferred.length;
    for (let i = this.#backlogHead; i < this.#backlog.length; i++) {
      const work = this.#backlog[i];
      waiting += Array.isArray(work) ? work.length : 1;
    }
    return { submitted, enters, completed, inFlight, maxInFlight, waiting, cqOverflows, opsPerSubmit };
  }

  /**
   * Cancel what is in flight, wait until the kernel is done with every
   * buffer, and free the ring. Ops the kernel had get their real result
   * (ECANCELED if the cancel reached them first); ops not yet given to the
   * kernel fail with ERR_URINGFS_RING_CLOSED.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    // The kernel's real results for what was pending (an open that completed
    // returned an fd its owner must close) — handed out on the next tick,
    // never from inside close().
    const count = this.#native.shutdown() ?? 0;
    const results = this.#completions.slice(0, 2 * count);
    const ops = this.#ops.slice();
    const finished: [Op, number][] = [];
    for (let i = 0; i < count; i++) {
      const op = ops[results[2 * i]];
      if (op === undefined) continue;
      ops[results[2 * i]] = undefined;
      finished.push([op, results[2 * i + 1]]);
    }
    for (const op of ops) if (op !== undefined) finished.push([op, RING_CLOSED]);
    for (let i = this.#backlogHead; i < this.#backlog.length; i++) {
      for (const op of [this.#backlog[i]].flat()) finished.push([op, RING_CLOSED]);
    }
    this.#ops.length = 0;
    this.#freeIds.length = 0;
    this.#backlog = [];
    this.#backlogHead = 0;
    this.#inFlight = 0;
    if (finished.length > 0) process.nextTick(() => { for (const [op, result] of finished) complete(op, result); });
  }
}

/** Hand a result to an op's `done`, once. A throwing user callback surfaces as uncaught, without losing the others. */
function complete(op: Op, result: number): void {
  const done = op.done!;
  op.done = null;
  try {
    done(result, op);
  } catch (err) {
    process.nextTick(() => { throw err; });
  }
}

let defaultRingInstance: Ring | undefined;

/** The ring of this JS environment (main thread or worker), created on first use. */
export function defaultRing(): Ring {
  return (defaultRingInstance ??= new Ring());
}

/**
 * Point the ordinary API of this JS environment (callbacks, promises,
 * FileHandle methods, readFiles) at `ring` for every op issued from now on,
 * e.g. a ring made with other options. Returns the ring it replaces (undefined if none was made yet);
 * that ring keeps working for ops already issued and is not closed. For a part of a program only,
 * call through `ring.promises` / `ring.callbacks` instead.
 */
export function setDefaultRing(ring: Ring): Ring | undefined {
  if (!(ring instanceof Ring)) throw invalidArgType('ring', 'Ring', ring);
  const previous = defaultRingInstance;
  defaultRingInstance = ring;
  return previous;
}

/** The error for a failed op: Node's system error, or the ring-closed error. */
export function resultError(result: number, syscall: string, path?: string | Buffer, dest?: string | Buffer): Error {
  if (result === RING_CLOSED) return ringClosed(syscall);
  return systemError(result, syscall, path, dest);
}
