// The engine: turns Ops into SQEs, flushes once per JS turn, dispatches
// completions, and holds every in-flight op (and so its memory) in a slot
// table until its completion arrives. All async flavours go through here.
import { createBackend, type BackendName, type BackendOptions } from './backend.js';
import type { NativeRing } from './binding.js';
import { ringClosed, systemError } from './errors.js';
import { Op, OpCode } from './op.js';

/** A result that is not an errno: the ring was closed before the op ran. */
export const RING_CLOSED = -(2 ** 31);

// io_uring_setup flags (linux/io_uring.h).
export const SetupFlags = {
  SUBMIT_ALL: 1 << 7,
  COOP_TASKRUN: 1 << 8,
  SINGLE_ISSUER: 1 << 12,
} as const;

export interface RingOptions extends BackendOptions {
  /** SQ size (rounded up to a power of two by the kernel); the CQ is 4x. Default 256. */
  entries?: number;
}

export interface RingStats {
  /** SQEs the kernel accepted. */
  submitted: number;
  /** io_uring_enter calls (submits and overflow fetches). */
  enters: number;
  /** CQEs reaped. */
  completed: number;
  /** Ops queued or in flight in the kernel right now. */
  inFlight: number;
  /** The most ops ever in flight at once. */
  maxInFlight: number;
  /** Ops waiting in uringfs's own queue because the CQ was full. */
  waiting: number;
  /** Drains that found the kernel holding overflowed completions. */
  cqOverflows: number;
}

const DEFAULT_ENTRIES = 256;

export class Ring {
  readonly #native: NativeRing;
  readonly #completions: Int32Array;
  readonly #state: Int32Array;
  readonly #ops: (Op | undefined)[] = [];
  readonly #freeIds: number[] = [];
  /** Ops beyond what the CQ can hold wait here, in submission order. */
  #backlog: Op[] = [];
  #backlogHead = 0;
  #inFlight = 0;
  readonly #maxInFlight: number;
  readonly #backend: BackendName;
  readonly #fallbackReason: string | null;
  #flushScheduled = false;
  #closed = false;
  // The native side holds this callback only weakly while no op is pending
  // (so an idle Ring can be collected): the Ring must hold it, or a GC
  // between ops collects it and later completions have nowhere to go.
  readonly #onCompletions = (count: number): void => this.#dispatch(count);
  readonly #flush = () => {
    this.#flushScheduled = false;
    if (!this.#closed) this.#native.flush();
  };

  constructor(options: RingOptions = {}) {
    const entries = options.entries ?? DEFAULT_ENTRIES;
    const flags = SetupFlags.SUBMIT_ALL | SetupFlags.COOP_TASKRUN | SetupFlags.SINGLE_ISSUER;
    const chosen = createBackend(entries, flags, this.#onCompletions, options);
    this.#native = chosen.native;
    this.#backend = chosen.backend;
    this.#fallbackReason = chosen.fallbackReason;
    this.#completions = this.#native.completions;
    this.#state = this.#native.state;
    this.#maxInFlight = this.#native.cqEntries;
  }

  /** SQ and CQ sizes the kernel gave. */
  get sqEntries(): number { return this.#native.sqEntries; }
  get cqEntries(): number { return this.#native.cqEntries; }
  get closed(): boolean { return this.#closed; }
  /** 'io_uring', or 'threads' (blocking syscalls on worker threads). */
  get backend(): BackendName { return this.#backend; }
  /** Why the thread pool runs although io_uring was wanted ('auto'); null otherwise. */
  get fallbackReason(): string | null { return this.#fallbackReason; }

  /** Queue an op; its `done` is called once, asynchronously, with the result or -errno. */
  submit(op: Op): void {
    if (this.#closed) {
      queueMicrotask(() => op.done!(RING_CLOSED));
      return;
    }
    if (this.#inFlight >= this.#maxInFlight || this.#backlogHead < this.#backlog.length) {
      this.#backlog.push(op);
      return;
    }
    this.#start(op);
  }

  #start(op: Op): void {
    const id = this.#freeIds.length > 0 ? this.#freeIds.pop()! : this.#ops.length;
    this.#ops[id] = op;
    const r = this.#queue(id, op);
    if (r === 1) {
      this.#inFlight++;
      if (!this.#flushScheduled && this.#state[0] === 0) {
        this.#flushScheduled = true;
        queueMicrotask(this.#flush);
      }
      return;
    }
    this.#ops[id] = undefined;
    this.#freeIds.push(id);
    if (r === 0) {
      // The kernel would not take more SQEs right now (EBUSY/EAGAIN): keep
      // the op first in line and retry once something completes.
      this.#backlog.splice(this.#backlogHead, 0, op);
      if (this.#inFlight === 0) setTimeout(() => this.#pump(), 1);
      return;
    }
    queueMicrotask(() => op.done!(r));
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
  #dispatch(count: number): void {
    const c = this.#completions;
    const ops = this.#ops;
    for (let i = 0; i < count; i++) {
      const id = c[2 * i];
      const op = ops[id];
      // An unknown id can only come from a ring shared across fork(): ignore it.
      if (op === undefined) continue;
      ops[id] = undefined;
      this.#freeIds.push(id);
      this.#inFlight--;
      const done = op.done!;
      op.done = null;
      try {
        done(c[2 * i + 1]);
      } catch (err) {
        // A user callback threw: surface it as Node would (uncaught), without
        // losing the completions that follow it in this batch.
        process.nextTick(() => { throw err; });
      }
    }
    this.#pump();
  }

  #pump(): void {
    while (this.#inFlight < this.#maxInFlight && this.#backlogHead < this.#backlog.length && !this.#closed) {
      const op = this.#backlog[this.#backlogHead];
      this.#backlog[this.#backlogHead++] = undefined as unknown as Op;
      this.#start(op);
      if (this.#backlog[this.#backlogHead - 1] === op) break;  // re-queued: SQ still busy
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
    const [submitted, enters, completed, inFlight, maxInFlight, cqOverflows] = this.#native.counters();
    return { submitted, enters, completed, inFlight, maxInFlight, waiting: this.#backlog.length - this.#backlogHead, cqOverflows };
  }

  /**
   * Cancel what is in flight, wait until the kernel is done with every
   * buffer, and free the ring. Ops still pending fail with
   * ERR_URINGFS_RING_CLOSED (they may or may not have taken effect).
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#native.shutdown();
    const pending: Op[] = [];
    for (const op of this.#ops) if (op !== undefined) pending.push(op);
    for (let i = this.#backlogHead; i < this.#backlog.length; i++) pending.push(this.#backlog[i]);
    this.#ops.length = 0;
    this.#backlog = [];
    this.#backlogHead = 0;
    this.#inFlight = 0;
    for (const op of pending) queueMicrotask(() => op.done!(RING_CLOSED));
  }
}

let defaultRingInstance: Ring | undefined;

/** The ring of this JS environment (main thread or worker), created on first use. */
export function defaultRing(): Ring {
  return (defaultRingInstance ??= new Ring());
}

/** The error for a failed op: Node's system error, or the ring-closed error. */
export function resultError(result: number, syscall: string, path?: string | Buffer, dest?: string | Buffer): Error {
  if (result === RING_CLOSED) return ringClosed(syscall);
  return systemError(result, syscall, path, dest);
}
