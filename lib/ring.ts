// The engine: turns Ops into SQEs, flushes once per JS turn, dispatches
// completions, and holds every in-flight op (and so its memory) in a slot
// table until its completion arrives. All async flavours go through here.
import { createBackend, ioUringTruncates, type BackendName, type BackendOptions, type RingSetup } from './backend.js';
import type { NativeRing, NativeThreadRing } from './binding.js';
import { invalidArgType, invalidArgValue, ringClosed, ringLost, sqpollCredentials, systemError } from './errors.js';
import { Buffer } from 'node:buffer';
import { carriedFd, Op, OpCode } from './op.js';
import { heldTable, holdFd } from './held.js';
import { RegisteredBuffers, RegisteredFile } from './registered.js';
import { pathBytes, validateFd, validateInteger, validateObject } from './validate.js';

// Results that are not errnos (an errno is -1 to -4095), each a value of its own. The native side
// writes RING_LOST and RING_LOST_HELD (kRingLost, kRingLostHeld in native/completion_port.h); the
// others only lib/ uses.
/** Completions a unit of work may have in the kernel at once: an op's weight, or a chain's ops. */
function weightOf(work: Op | Op[]): number {
  return Array.isArray(work) ? work.length : work.weight;
}

/** The ring was closed before the op ran. */
export const RING_CLOSED = -(2 ** 31);
/**
 * The op did not complete because an fd of the ring's own was closed behind its back; with
 * RING_LOST_HELD the kernel may still hold the op's memory, which is then kept for good.
 */
export const RING_LOST = -(2 ** 31) + 1;
const RING_LOST_HELD = -(2 ** 31) + 2;
/** Refused on an SQPOLL ring whose creator's credentials are no longer the process's. */
export const SQPOLL_CREDENTIALS = -(2 ** 31) + 3;
/** A read from a pipe completed after its buffer was detached (its bytes were dropped). */
export const BUFFER_DETACHED = -(2 ** 31) + 4;
/** Ops of lost rings whose memory the kernel may still hold: kept reachable for good. */
const keptForTheKernel: Op[] = [];
/** Slot of the native `state` array set before the delivery that says the ring was lost. */
const STATE_LOST = 1;
export const ECANCELED = -125;
export const EBADF = -9;
/** IOSQE_FIXED_FILE: the SQE's fd is a slot of the ring's registered-file table. */
const IOSQE_FIXED_FILE = 1 << 0;
/** IOSQE_IO_LINK: the next SQE starts only if this one succeeds. */
const IOSQE_IO_LINK = 1 << 2;
/** Not an IOSQE flag: the native queue probes the fd of a node:fs-shaped read or write (native kProbeStreamFlag). */
const PROBE_STREAM = 1 << 8;
/** The native answer for a read at the current position of a pipe, FIFO, socket or tty (kStreamRead). */
const STREAM_READ = 2;
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
  /**
   * Slots in the table of registered files ({@link Ring.registerFile}), made on the first
   * registration. Default 64; at most 32768 (and the kernel refuses more than RLIMIT_NOFILE).
   */
  registeredFiles?: number;
  /** Buffers to register now (see {@link Ring.registerBuffers}). */
  registeredBuffers?: NodeJS.ArrayBufferView[];
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
  /** Files registered now ({@link Ring.registerFile}), and buffers ({@link Ring.registerBuffers}). */
  registeredFiles: number;
  registeredBuffers: number;
  /** Ops issued on a registered file (IOSQE_FIXED_FILE). */
  fixedFileOps: number;
  /** Reads and writes issued as READ_FIXED / WRITE_FIXED (io_uring only: the pool has no pages to pin). */
  fixedBufferOps: number;
}

/** Ops that go to the kernel together, each linked to the next (IOSQE_IO_LINK). */
type Chain = Op[];

/** What became of an op handed to the SQ: queued; not queued (SQ full, retry later); refused (its error is on the way). */
const QUEUED = 1;
const NOT_QUEUED = 0;
const REFUSED = -1;
type StartResult = typeof QUEUED | typeof NOT_QUEUED | typeof REFUSED;

/** The NOP that ends a chain whose next op was refused; its completion matters to nobody. */
function chainEnd(): Op {
  const op = new Op(OpCode.Nop);
  op.done = () => {};
  return op;
}

const DEFAULT_ENTRIES = 256;
/** How long the backlog waits for a full refill step before it refills with the room there is. */
const BACKLOG_WAIT_MS = 1;
const MAX_ENTRIES = 16384;  // the CQ (4x) must stay within the kernel's 65536
const DEFAULT_FILE_SLOTS = 64;
const MAX_FILE_SLOTS = 32768;

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
  /** Ops of a synchronous wait that completed without the kernel: dispatched by that wait. */
  #localSync: [Op, number][] = [];
  /** Completions reaped by a synchronous wait that belong to async ops: dispatched on the next tick. */
  #deferred: [Op, number][] = [];
  #backlogHead = 0;
  /**
   * The backlog refills the ring in steps of at least this many ops (a full SQ, at most a quarter
   * of the CQ): ops that complete off the submitting thread (statx, opens on io-wq) trickle in, and
   * a refill per trickle would cost an io_uring_enter per few ops. A step not reached within
   * BACKLOG_WAIT_MS goes anyway (`#refillTimer`), so ops that stay in flight (a pipe's reads)
   * never hold the backlog back.
   */
  readonly #refillStep: number;
  /** A refill due in BACKLOG_WAIT_MS whatever the room: a step not reached, or an SQ the kernel would not take. */
  #refillTimer: ReturnType<typeof setTimeout> | null = null;
  /**
   * Pairs in `completions` (async drain) and `syncCompletions` (synchronous wait) that a dispatch
   * under way was handed (0: none). A close() from one of its callbacks takes those not yet taken.
   */
  #drainPairs = 0;
  #syncPairs = 0;
  #inFlight = 0;
  readonly #maxInFlight: number;
  readonly #backend: BackendName;
  readonly #fallbackReason: string | null;
  #flushScheduled = false;
  #closed = false;
  #lost = false;
  /** IOSQE_* flags the native ring applies to the SQEs it fills now. */
  #sqeFlags = 0;
  readonly #fileSlots: number;
  /**
   * SQPOLL rings only: the effective uid and gid when the ring was made. The kernel's SQPOLL
   * thread picks SQEs up without a syscall and runs them with those credentials whatever the
   * process became since (setuid, setgid: CVE-2024-22017), so ops are refused once they differ.
   */
  readonly #sqpollOwner: { uid: number; gid: number } | null = null;
  /** The registered-file table (made on first use): the file in each slot, or null. */
  #files: (RegisteredFile | null)[] | null = null;
  #freeSlots: number[] = [];
  #buffers: RegisteredBuffers | null = null;
  #fixedFileOps = 0;
  #fixedBufferOps = 0;
  /** In liveRings: this ring may hold ops (queued, in flight or in the backlog). */
  #listed = false;
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
    this.#fileSlots = options.registeredFiles ?? DEFAULT_FILE_SLOTS;
    validateInteger(this.#fileSlots, 'options.registeredFiles', 1, MAX_FILE_SLOTS);
    const buffers = options.registeredBuffers === undefined ? null : new RegisteredBuffers(options.registeredBuffers);
    const chosen = createBackend(entries, setupAttempts(options), this.#onCompletions, options);
    this.#native = chosen.native;
    this.#backend = chosen.backend;
    this.#fallbackReason = chosen.fallbackReason;
    this.#completions = this.#native.completions;
    this.#state = this.#native.state;
    this.#maxInFlight = this.#native.cqEntries;
    this.#refillStep = Math.max(1, Math.min(this.#native.sqEntries, this.#maxInFlight >> 2));
    if ((this.#native.setupFlags & SetupFlags.SQPOLL) !== 0) this.#sqpollOwner = { uid: process.geteuid!(), gid: process.getegid!() };
    if (buffers !== null) {
      try {
        this.#setBuffers(buffers);
      } catch (err) {
        this.close();
        throw err;
      }
    }
  }

  /** The io_uring_setup flags in force, by name (e.g. ['SUBMIT_ALL', 'COOP_TASKRUN', 'SINGLE_ISSUER']). */
  get setupFlags(): string[] {
    const flags = this.#native.setupFlags;
    return Object.entries(SetupFlags).filter(([, bit]) => (flags & bit) !== 0).map(([name]) => name);
  }

  /** SQ size the kernel gave: the most ops one io_uring_enter carries. */
  get sqEntries(): number { return this.#native.sqEntries; }
  /** CQ size: the most ops in flight at once (more wait in order). */
  get cqEntries(): number { return this.#native.cqEntries; }

  /**
   * @internal
   * io_uring only: files one whole-file read group has in flight at once, and the output memory
   * of a finished group (see readFilesOp).
   */
  get groupWindow(): number { return this.#native.groupWindow ?? 0; }
  /** @internal */
  takeFiles(key: number): ArrayBuffer[] { return this.#native.takeFiles!(key); }

  /**
   * @internal
   * Whether `count` plain reads and writes can go down as one records op (recordsOp): io_uring,
   * no registered buffers to match them against, room in the CQ beside other work.
   */
  takesRecords(count: number): boolean {
    return this.#backend === 'io_uring' && this.#buffers === null && !this.#closed && count <= this.#maxInFlight >> 1;
  }
  /**
   * @internal Whether ftruncate runs on this ring: always on the thread pool, on io_uring where the
   * kernel has IORING_OP_FTRUNCATE (6.9); elsewhere the node:fs-shaped functions use node:fs's own.
   */
  get takesFtruncate(): boolean {
    return this.#backend === 'threads' || ioUringTruncates();
  }
  /** True once close() was called, or the ring was lost (see {@link Ring.lost}). */
  get closed(): boolean { return this.#closed; }
  /**
   * True once the ring found an fd of its own (its io_uring fd, its eventfd, the thread pool's
   * wake-up eventfd) closed behind its back — by code closing fd numbers it does not own. The
   * ring is then closed: what did not complete failed with `ERR_URINGFS_RING_LOST`, and so do
   * later ops on it. The default ring is replaced by a new one on its next use.
   */
  get lost(): boolean { return this.#lost; }
  /** 'io_uring', or 'threads' (blocking syscalls on worker threads). */
  get backend(): BackendName { return this.#backend; }
  /** Why the thread pool runs although io_uring was wanted ('auto'); null otherwise. */
  get fallbackReason(): string | null { return this.#fallbackReason; }

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
      const result = this.#lost ? RING_LOST : RING_CLOSED;
      for (const op of Array.isArray(work) ? work : [work]) queueMicrotask(() => complete(op, result));
      return;
    }
    if (!this.#listed) {
      this.#listed = true;
      liveRings.add(this);
    }
    // An op on a registered file holds its slot from now until it completes.
    if (Array.isArray(work)) {
      for (const op of work) if (op.file !== null) op.fd = op.file.acquire();
    } else if (work.file !== null) {
      work.fd = work.file.acquire();
    }
    const size = weightOf(work);
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
      queued = this.#startOp(work, 0) !== NOT_QUEUED;
    } else {
      queued = this.#native.reserve(work.length);
      if (queued) {
        for (let i = 0; i < work.length; i++) {
          if (this.#startOp(work[i], i === work.length - 1 ? 0 : IOSQE_IO_LINK, i > 0) === QUEUED) continue;
          // Refused before reaching the kernel (memory that does not fit, an
          // unregistered file): the op has its error, the rest of the chain
          // is cancelled, and a NOP without the link flag ends the chain the
          // ops before it started, so that nothing queued later joins it.
          if (i > 0) this.#startOp(chainEnd(), 0);
          for (let j = i + 1; j < work.length; j++) this.#completeLocally(work[j], ECANCELED);
          break;
        }
      }
    }
    if (!queued) {
      // The kernel would not take more SQEs right now (EBUSY/EAGAIN): keep
      // the work first in line and retry once something completes.
      this.#backlog.splice(this.#backlogHead, 0, work);
      if (this.#inFlight === 0) this.#refillTimer ??= setTimeout(this.#pumpLate, BACKLOG_WAIT_MS);
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

  /** Queue one op into the SQ with the IOSQE flags `link`; `afterLink`: an op of a chain after its first. */
  #startOp(op: Op, link: number, afterLink = false): StartResult {
    let flags: number;
    if (op.file !== null) flags = link | IOSQE_FIXED_FILE;
    else if (op.probe) flags = link | PROBE_STREAM;
    else if (op.code <= OpCode.Writev) flags = link;  // a batch's read or write: io_uring's semantics
    else flags = link | (this.#sqeFlags & PROBE_STREAM);  // means nothing to other ops: no switch
    if (flags !== this.#sqeFlags) {
      this.#sqeFlags = flags;
      this.#native.setSqeFlags(flags);
    }
    const id = this.#freeIds.length > 0 ? this.#freeIds.pop()! : this.#ops.length;
    this.#ops[id] = op;
    const bufferIndex = this.#bufferIndex(op, afterLink);
    // fd -1 on a registered-file op: the file was unregistered before the op was issued.
    // Checked before the SQE is written: an SQPOLL thread may take it before any flush.
    const r = op.file !== null && op.fd === -1 ? EBADF
      : this.#sqpollOwner !== null && !this.#sqpollOwnerIsCurrent() ? SQPOLL_CREDENTIALS
        : this.#queue(id, op, bufferIndex);
    if (r === 1) {
      this.#inFlight += op.weight;
      if (op.file !== null) this.#fixedFileOps++;
      if (bufferIndex >= 0) this.#fixedBufferOps++;
      return QUEUED;
    }
    this.#ops[id] = undefined;
    this.#freeIds.push(id);
    if (r === 0) return NOT_QUEUED;
    if (r === STREAM_READ) {
      readThroughOwnMemory(op);
      return this.#startOp(op, link, afterLink);
    }
    this.#completeLocally(op, r);
    return REFUSED;
  }

  /** Whether the process still has the effective uid and gid the SQPOLL ring was made with. */
  #sqpollOwnerIsCurrent(): boolean {
    return process.geteuid!() === this.#sqpollOwner!.uid && process.getegid!() === this.#sqpollOwner!.gid;
  }

  /**
   * @internal
   * Before a direct close(2) of `fd` (closeSync): ops on `fd` this ring accepted must reach the
   * kernel (which resolves their fd as it issues them) before the number can be reused — those
   * waiting in the backlog for room in the CQ go now, beyond the cap (the kernel keeps overflowed
   * completions), then everything queued is submitted; the pool also waits until they ran.
   */
  settleFd(fd: number): void {
    if (this.#closed) return;
    if (this.#backlogHead < this.#backlog.length) {
      const waiting = this.#backlog.slice(this.#backlogHead);
      const onFd = waiting.filter((work) => [work].flat().some((op) => op.fd === fd && op.file === null));
      if (onFd.length > 0) {
        this.#backlog = waiting.filter((work) => !onFd.includes(work));
        this.#backlogHead = 0;
        for (const work of onFd) {
          if (!this.#start(work, true)) break;  // the SQ would not take it: back first in line
        }
      }
    }
    this.#native.settleFd(fd);
  }

  /**
   * Complete an op that never reached the kernel: on the microtask queue, or — for an op a
   * synchronous wait is waiting for, which no microtask can reach — inside that wait.
   */
  #completeLocally(op: Op, result: number): void {
    if (op.sync) this.#localSync.push([op, result]);
    else queueMicrotask(() => complete(op, result));
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
      if (this.#localSync.length > 0) {
        const local = this.#localSync;
        this.#localSync = [];
        for (const [op, result] of local) complete(op, result);
        continue;
      }
      if (this.#closed) throw this.#lost ? ringLost('wait') : ringClosed('wait');
      const out = (this.#syncCompletions ??= new Int32Array(this.#completions.length));
      const count = this.#native.waitCompletions(1, out);
      if (count < 0) throw systemError(count, 'io_uring_enter');
      // Nothing can complete any more: fail loudly rather than spin.
      if (count === 0 && this.#inFlight === 0 && this.#backlogHead === this.#backlog.length) {
        throw new Error('uringfs internal error: a synchronous wait has nothing left to wait for');
      }
      this.#dispatch(out, count, true);
    }
  }

  /** The registered buffer holding a read's or write's bytes (the op then goes as READ/WRITE_FIXED), or -1. */
  #bufferIndex(op: Op, afterLink: boolean): number {
    // An empty range has nothing to pin. A linked op's buffer is looked up when the kernel starts
    // it, after the op before it — by then the set may have been replaced (EFAULT): links after
    // the first go as plain reads and writes.
    if (this.#buffers === null || (op.code !== OpCode.Read && op.code !== OpCode.Write)) return -1;
    if (this.#backend !== 'io_uring' || op.length === 0 || afterLink) return -1;
    return this.#buffers.indexOf(op.view!, op.offset, op.length);
  }

  /** `bufferIndex`: for a read or write, the registered buffer it lies in, or -1. */
  #queue(id: number, op: Op, bufferIndex: number): number {
    const n = this.#native;
    // Native code reads a path until the op completes: its bytes, kept on the op till then.
    if (typeof op.path === 'string') op.path = pathBytes(op.path);
    if (typeof op.path2 === 'string') op.path2 = pathBytes(op.path2);
    switch (op.code) {
      // Six arguments unless a registered buffer is named: node-addon-api takes a 7th from the heap.
      case OpCode.Read: return bufferIndex < 0 ? n.read(id, op.fd, op.view!, op.offset, op.length, op.position) : n.read(id, op.fd, op.view!, op.offset, op.length, op.position, bufferIndex);
      case OpCode.Write: return bufferIndex < 0 ? n.write(id, op.fd, op.view!, op.offset, op.length, op.position) : n.write(id, op.fd, op.view!, op.offset, op.length, op.position, bufferIndex);
      case OpCode.Readv: return n.readv(id, op.fd, op.views!, op.scratch!, op.position);
      case OpCode.Writev: return n.writev(id, op.fd, op.views!, op.scratch!, op.position);
      case OpCode.Open: return n.open(id, op.path!, op.flags, op.mode);
      case OpCode.Close: {
        if (op.heldSlot < 0) return n.close(id, op.fd);
        // The fd's held-fd entry says "closing" once the close is the native ring's, with no call
        // in between for a worker's termination to stop at (lib/held.ts).
        const table = heldTable();
        const r = n.close(id, op.fd);
        if (r === 1) table[op.heldSlot] = ~table[op.heldSlot];
        return r;
      }
      case OpCode.Fsync: return n.fsync(id, op.fd, op.flags === 1);
      case OpCode.Ftruncate: return n.ftruncate(id, op.fd, op.length);
      case OpCode.Statx: return n.statx(id, op.fd, op.path, op.flags, op.mode, op.scratch!);
      case OpCode.Unlink: return n.unlink(id, op.path!, op.flags);
      case OpCode.Rename: return n.rename(id, op.path!, op.path2!);
      case OpCode.Mkdir: return n.mkdir(id, op.path!, op.mode);
      case OpCode.Link: return n.link(id, op.path!, op.path2!);
      case OpCode.Symlink: return n.symlink(id, op.path!, op.path2!);
      case OpCode.Nop: return n.nop(id);
      // Queued only when backend is 'threads' (lib/readfiles.ts).
      case OpCode.ReadWhole: return (n as NativeThreadRing).readWhole(id, op.path!, op.flags, op.view!, op.offset, op.length, op.status!, op.tag);
      // Queued only when backend is 'io_uring' (lib/readfiles.ts).
      case OpCode.ReadFiles: return n.readFiles!(id, op.tag, op.path!, op.length, op.flags, op.status!);
      // Likewise (Ring.takesRecords).
      case OpCode.Records: return n.records!(id, op.tag, op.records!, op.views!, op.length, op.status!);
    }
  }

  /** Called by the native drain with `count` [id, result] pairs in `completions`. */
  #dispatch(c: Int32Array, count: number, syncWait = false): void {
    if (this.#state[STATE_LOST] !== 0) return this.#dispatchLost(c, count);
    const ops = this.#ops;
    const outer = syncWait ? this.#syncPairs : this.#drainPairs;
    if (syncWait) this.#syncPairs = count;
    else this.#drainPairs = count;
    // A callback that closes the ring takes the pairs left (close() → #takeUndispatched) and empties
    // `ops`: the rest of this loop then finds no op for any id (the array may hold shutdown's pairs).
    for (let i = 0; i < count; i++) {
      const id = c[2 * i];
      const op = ops[id];
      // An fd the result carries is listed as held first, then the pair taken (native
      // CompletionPort::kTaken): were this environment torn down before the pair is taken, the
      // native side would close that fd; once it is taken, the held-fd table's teardown does.
      if (op !== undefined) {
        const fd = carriedFd(op, c[2 * i + 1]);
        if (fd >= 0) op.heldSlot = holdFd(fd);
      }
      c[2 * i] = -1;
      // An unknown id can only come from a ring shared across fork(): ignore it.
      if (op === undefined) continue;
      ops[id] = undefined;
      this.#freeIds.push(id);
      this.#inFlight -= op.weight;
      if (syncWait && !op.sync) {
        if (this.#deferred.push([op, c[2 * i + 1]]) === 1) process.nextTick(this.#dispatchDeferred);
        continue;
      }
      complete(op, c[2 * i + 1]);
    }
    if (syncWait) this.#syncPairs = outer;
    else this.#drainPairs = outer;
    // A synchronous wait blocks the loop's timers: it refills with whatever room there is.
    this.#pump(syncWait);
    if (this.#inFlight === 0 && this.#backlogHead === this.#backlog.length && this.#listed) {
      this.#listed = false;
      liveRings.delete(this);
    }
  }

  /**
   * The native ring found an fd of its own closed behind its back and stopped: these are the
   * results of everything that was pending (real ones, or RING_LOST). The ring closes.
   */
  #dispatchLost(c: Int32Array, count: number): void {
    const finished: [Op, number][] = [];
    for (let i = 0; i < count; i++) {
      const id = c[2 * i];
      c[2 * i] = -1;
      const op = id >= 0 ? this.#ops[id] : undefined;
      if (op === undefined) continue;
      this.#ops[id] = undefined;
      let result = c[2 * i + 1];
      if (result === RING_LOST_HELD) {
        keptForTheKernel.push(op);
        result = RING_LOST;
      }
      finished.push([op, result]);
    }
    this.#lost = true;
    this.close();
    for (const [op, result] of finished) complete(op, result);
  }

  readonly #pumpLate = (): void => {
    this.#refillTimer = null;
    this.#pump(true);
  };

  readonly #dispatchDeferred = (): void => {
    const deferred = this.#deferred;
    this.#deferred = [];
    for (const [op, result] of deferred) complete(op, result);
  };

  /** Start backlog work that now fits; `now`: without waiting for a full refill step. */
  #pump(now = false): void {
    if (this.#backlogHead === this.#backlog.length || this.#closed) return;
    if (!now && this.#maxInFlight - this.#inFlight < this.#refillStep) {
      this.#refillTimer ??= setTimeout(this.#pumpLate, BACKLOG_WAIT_MS);
      return;
    }
    if (this.#refillTimer !== null) {
      clearTimeout(this.#refillTimer);
      this.#refillTimer = null;
    }
    while (this.#backlogHead < this.#backlog.length && !this.#closed) {
      const work = this.#backlog[this.#backlogHead];
      if (this.#inFlight + weightOf(work) > this.#maxInFlight) break;
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

  /**
   * Register a file with this ring: a slot of its file table now refers to the file `fd` refers to
   * (the slot holds its own reference; `fd` may be closed afterwards). Pass the returned
   * {@link RegisteredFile} in place of an fd to this ring's batch ops (read, write, readv, writev,
   * fsync, fdatasync): the kernel then skips looking the fd up and taking a reference per op.
   * The table (`registeredFiles` slots, default 64) is made on the first call.
   *
   * Throws `ERR_URINGFS_RING_CLOSED` on a closed ring, `ERR_URINGFS_NO_FILE_SLOT` when every slot
   * is taken, and a system error for an fd the kernel refuses (`EBADF`; syscall `io_uring_register`,
   * or `dup` on the thread pool).
   */
  registerFile(fd: number): RegisteredFile {
    validateFd(fd);
    if (this.#closed) throw ringClosed('io_uring_register');
    if (this.#files === null) {
      const r = this.#native.registerFiles(this.#fileSlots);
      if (r < 0) throw systemError(r, 'io_uring_register');
      this.#files = new Array<RegisteredFile | null>(this.#fileSlots).fill(null);
      for (let slot = this.#fileSlots - 1; slot >= 0; slot--) this.#freeSlots.push(slot);
    }
    const slot = this.#freeSlots.pop();
    if (slot === undefined) {
      throw Object.assign(new Error(`Every slot of the ring's file table is taken (${this.#fileSlots}; see the registeredFiles option)`), { code: 'ERR_URINGFS_NO_FILE_SLOT' });
    }
    const r = this.#native.updateFile(slot, fd);
    if (r < 0) {
      this.#freeSlots.push(slot);
      throw systemError(r, this.#backend === 'io_uring' ? 'io_uring_register' : 'dup');
    }
    const file = new RegisteredFile(this, slot, this.#releaseSlot);
    this.#files[slot] = file;
    return file;
  }

  /** Empty a slot once no op issued on it is pending (RegisteredFile.unregister). */
  readonly #releaseSlot = (slot: number): void => {
    if (this.#closed || this.#files === null) return;
    this.#files[slot] = null;
    // A slot the kernel would not empty stays out of use rather than be handed out again.
    if (this.#native.updateFile(slot, -1) === 0) this.#freeSlots.push(slot);
  };

  /**
   * Register buffers with this ring (replacing any registered before). The kernel pins their pages
   * once; from then on every read and write on this ring — batches and the ordinary API alike —
   * whose bytes lie inside one of them goes as READ_FIXED / WRITE_FIXED, skipping the per-op
   * pinning. The ring keeps the buffers alive until they are unregistered or it is closed. At most
   * 16384 buffers of up to 1 GiB each; pinned memory counts against RLIMIT_MEMLOCK on older
   * kernels (a system error `ENOMEM`, syscall `io_uring_register`). On the thread pool there is
   * nothing to pin: registering succeeds and reads and writes stay plain.
   */
  registerBuffers(buffers: NodeJS.ArrayBufferView[]): void {
    const registered = new RegisteredBuffers(buffers);
    if (this.#closed) throw ringClosed('io_uring_register');
    this.#setBuffers(registered);
  }

  /** Unregister the buffers (ops already issued keep using them safely). */
  unregisterBuffers(): void {
    if (this.#closed || this.#buffers === null) return;
    this.flush();
    this.#buffers = null;
    const r = this.#native.unregisterBuffers();
    if (r < 0) throw systemError(r, 'io_uring_register');
  }

  #setBuffers(buffers: RegisteredBuffers): void {
    // What is queued was matched against the old set: let it go first.
    this.flush();
    this.#buffers = null;
    const r = this.#native.registerBuffers(buffers.views);
    if (r < 0) throw systemError(r, 'io_uring_register');
    this.#buffers = buffers;
  }

  /** Move the first `count` pairs of `c` that no dispatch has taken yet to `finished`, marking them taken. */
  #takeUndispatched(c: Int32Array, count: number, ops: (Op | undefined)[], finished: [Op, number][]): void {
    for (let i = 0; i < count; i++) {
      const id = c[2 * i];
      const op = id >= 0 ? ops[id] : undefined;
      if (op === undefined) continue;
      c[2 * i] = -1;
      ops[id] = undefined;
      finished.push([op, c[2 * i + 1]]);
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
    return {
      submitted, enters, completed, inFlight, maxInFlight, waiting, cqOverflows, opsPerSubmit,
      registeredFiles: this.#files === null ? 0 : this.#files.length - this.#freeSlots.length,
      registeredBuffers: this.#buffers === null ? 0 : this.#buffers.views.length,
      fixedFileOps: this.#fixedFileOps,
      fixedBufferOps: this.#fixedBufferOps,
    };
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
    const ops = this.#ops.slice();
    const finished: [Op, number][] = [];
    // Closed from a callback of a drain: the completions that drain was handed and has not
    // dispatched yet are real results (an open's fd, a write done) — taken before shutdown()
    // writes its own pairs over them.
    this.#takeUndispatched(this.#completions, this.#drainPairs, ops, finished);
    if (this.#syncCompletions !== undefined) this.#takeUndispatched(this.#syncCompletions, this.#syncPairs, ops, finished);
    this.#listed = false;
    liveRings.delete(this);
    // The kernel's real results for what was pending (an open that completed
    // returned an fd its owner must close) — handed out on the next tick,
    // never from inside close().
    const count = this.#native.shutdown() ?? 0;
    const results = this.#completions.slice(0, 2 * count);
    for (let i = 0; i < count; i++) {
      const op = ops[results[2 * i]];
      if (op === undefined) continue;
      ops[results[2 * i]] = undefined;
      finished.push([op, results[2 * i + 1]]);
    }
    const notRun = this.#lost ? RING_LOST : RING_CLOSED;
    for (const op of ops) if (op !== undefined) finished.push([op, notRun]);
    for (let i = this.#backlogHead; i < this.#backlog.length; i++) {
      for (const op of [this.#backlog[i]].flat()) finished.push([op, notRun]);
    }
    for (const file of this.#files ?? []) file?.forget();
    this.#files = null;
    this.#freeSlots = [];
    this.#buffers = null;
    this.#ops.length = 0;
    this.#freeIds.length = 0;
    this.#backlog = [];
    this.#backlogHead = 0;
    this.#inFlight = 0;
    if (this.#refillTimer !== null) clearTimeout(this.#refillTimer);
    this.#refillTimer = null;
    if (finished.length > 0) process.nextTick(() => { for (const [op, result] of finished) complete(op, result); });
  }
}

/**
 * Rings of this JS environment that may hold ops: closeSync settles each before closing (see
 * Ring.settleFd). A ring is listed from its first op until it has none left, so an idle ring is
 * not held here.
 */
const liveRings = new Set<Ring>();

/** @internal Before closing `fd` with a direct syscall: see Ring.settleFd. */
export function settleFdEverywhere(fd: number): void {
  for (const ring of liveRings) ring.settleFd(fd);
}

/** The most a read from a stream reads into the op's own memory at once. */
const MAX_STREAM_READ = 1 << 20;

/**
 * Turn a read (or readv) from a pipe, FIFO, socket or tty — which can wait without bound — into a
 * read into memory the op owns: were the caller's buffer transferred and freed meanwhile, the
 * kernel (or a worker) would write into memory that is no longer the buffer's. The bytes are
 * copied into the caller's ranges on completion (deliverRead).
 */
function readThroughOwnMemory(op: Op): void {
  const views = op.views ?? [op.view!];
  const delivery: [Uint8Array, number][] = [];
  let total = 0;
  for (const view of views) {
    const offset = op.views === null ? op.offset : 0;
    const length = op.views === null ? op.length : view.byteLength;
    delivery.push([new Uint8Array(view.buffer, view.byteOffset + offset, length), length]);
    total += length;
  }
  // A stream gives what it has, up to the length asked: a longer read is short, as reads of pipes
  // and sockets may be anyway (1 MiB: the most a pipe holds by default, pipe-max-size).
  const size = Math.min(total, MAX_STREAM_READ);
  op.code = OpCode.Read;
  op.view = Buffer.allocUnsafeSlow(size);
  op.views = null;
  op.offset = 0;
  op.length = size;
  op.delivery = delivery;
  op.probe = false;  // what it is is known now; the position is the current one
}

/** Copy a completed read's bytes from the op's memory to the caller's ranges; BUFFER_DETACHED if one is gone. */
function deliverRead(op: Op, result: number): number {
  const from = op.view as Buffer;
  let at = 0;
  for (const [window, length] of op.delivery!) {
    if (at === result) break;
    const n = Math.min(length, result - at);
    if (window.byteLength < n) {
      op.dropped = result;
      return BUFFER_DETACHED;
    }
    window.set(from.subarray(at, at + n));
    at += n;
  }
  return result;
}

/** Hand a result to an op's `done`, once. A throwing user callback surfaces as uncaught, without losing the others. */
function complete(op: Op, result: number): void {
  const done = op.done!;
  op.done = null;
  if (op.delivery !== null && result > 0) result = deliverRead(op, result);
  if (op.file !== null && op.fd !== -1) op.file.settle();
  try {
    done(result, op);
  } catch (err) {
    process.nextTick(() => { throw err; });
  }
}

let defaultRingInstance: Ring | undefined;

/**
 * The ring of this JS environment (main thread or worker), created on first use — and made anew
 * when the one before was lost (an fd of its own closed behind its back: {@link Ring.lost}).
 */
export function defaultRing(): Ring {
  if (defaultRingInstance === undefined || defaultRingInstance.lost) defaultRingInstance = new Ring();
  return defaultRingInstance;
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
  if (result === SQPOLL_CREDENTIALS) return sqpollCredentials(syscall);
  if (result === RING_LOST) return ringLost(syscall);
  return systemError(result, syscall, path, dest);
}
