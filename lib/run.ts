// Drivers for operations written once as generators of Ops: the same
// generator runs on the calling thread with direct syscalls (runSync), or on
// a ring, resolved as a promise (runPromise) or through a Node-style
// callback (runCallback).
import { AsyncResource } from 'node:async_hooks';
import { binding } from './binding.js';
import { addFrames, withoutStack } from './errors.js';
import { keepCarried, releaseFd } from './held.js';
import { Op, OpCode } from './op.js';
import type { Ring } from './ring.js';

/** An operation: yields Ops, receives each one's result (or -errno), returns the value. */
export type Steps<T> = Generator<Op, T, number>;

const native = binding.sync;

/** Carry out one op with a direct syscall on this thread. */
export function execSync(op: Op): number {
  switch (op.code) {
    case OpCode.Read: return native.read(op.fd, op.view!, op.offset, op.length, op.position);
    case OpCode.Write: return native.write(op.fd, op.view!, op.offset, op.length, op.position);
    case OpCode.Readv: return native.readv(op.fd, op.views!, op.scratch!, op.position);
    case OpCode.Writev: return native.writev(op.fd, op.views!, op.scratch!, op.position);
    case OpCode.Open: return native.open(op.path!, op.flags, op.mode);
    // A held fd is taken out of the table as it is closed, in the same call.
    case OpCode.Close: return op.heldSlot >= 0 ? binding.closeHeld(op.heldSlot) : native.close(op.fd);
    case OpCode.Fsync: return native.fsync(op.fd, op.flags === 1);
    case OpCode.Ftruncate: return native.ftruncate(op.fd, op.length);
    case OpCode.Statx: return native.statx(op.fd, op.path, op.flags, op.mode, op.scratch!);
    case OpCode.Unlink: return native.unlink(op.path!, op.flags);
    case OpCode.Rename: return native.rename(op.path!, op.path2!);
    case OpCode.Mkdir: return native.mkdir(op.path!, op.mode);
    case OpCode.Link: return native.link(op.path!, op.path2!);
    case OpCode.Symlink: return native.symlink(op.path!, op.path2!);
    case OpCode.Nop: return 0;
    case OpCode.ReadWhole: return -22;  // EINVAL: the thread pool's op only (lib/readfiles.ts)
    case OpCode.ReadFiles: return -22;  // EINVAL: io_uring's op only (lib/readfiles.ts)
    case OpCode.Records: return -22;  // EINVAL: io_uring's op only (lib/batch.ts)
  }
}

// The ring that ring.callbacks / ring.promises chose for the public function
// being called right now; see callOnRing.
let boundRing: Ring | undefined;

/**
 * The ring the current call was bound to (through ring.callbacks or
 * ring.promises), or undefined: the default ring, looked up at each op. Every
 * public async function calls this first, and it clears the binding, so that
 * user code the call runs synchronously (a callback for an already aborted
 * signal, an options getter) gets the ordinary API, not this ring.
 */
export function claimBoundRing(): Ring | undefined {
  const ring = boundRing;
  boundRing = undefined;
  return ring;
}

/**
 * `fn` with its ops on `ring`: the binding holds only while `fn` runs
 * synchronously (it captures the ring on entry, with claimBoundRing), so it
 * never reaches callbacks or promise continuations. Rest arguments keep
 * `arguments.length`, which the callback functions read.
 */
/** util.promisify.custom (a registered symbol). */
const kPromisifyCustom = Symbol.for('nodejs.util.promisify.custom');

export function callOnRing<F extends (...args: never[]) => unknown>(ring: Ring, fn: F): F {
  const call = fn as unknown as (...args: unknown[]) => unknown;
  const bound = (...args: unknown[]): unknown => {
    const outer = boundRing;
    boundRing = ring;
    try {
      return call(...args);
    } finally {
      boundRing = outer;
    }
  };
  Object.defineProperty(bound, 'name', { value: fn.name });
  Object.defineProperty(bound, 'length', { value: fn.length });
  // util.promisify's form of the function (read, write, readv, writev name their results), on the same ring.
  const custom = (fn as unknown as Record<symbol, unknown>)[kPromisifyCustom];
  if (typeof custom === 'function' && custom !== fn) {
    Object.defineProperty(bound, kPromisifyCustom, { value: callOnRing(ring, custom as (...args: never[]) => unknown), configurable: true });
  }
  return bound as unknown as F;
}

/**
 * The fds an operation's steps opened and have not closed, listed as held (lib/held.ts) between
 * its steps: a worker terminated while a writeFile waits for its writes has them closed by the
 * environment's teardown. Whatever is still open when the steps end is theirs to return (open's
 * fd): let go of, not closed.
 */
export class OpenedFds {
  #slots: Map<number, number> | null = null;

  /** Before `op` is issued: a close of a held fd names its slot (the ring marks it closing). */
  issuing(op: Op): void {
    if (op.code === OpCode.Close && this.#slots !== null) op.heldSlot = this.#slots.get(op.fd) ?? op.heldSlot;
  }

  /** `op` finished with `result`. */
  finished(op: Op, result: number): void {
    if (op.code === OpCode.Open) {
      if (result >= 0) (this.#slots ??= new Map()).set(result, keepCarried(op.heldSlot, result));
    } else if (op.code === OpCode.Close && this.#slots !== null) {
      const slot = this.#slots.get(op.fd);
      if (slot === undefined) return;
      releaseFd(slot);
      this.#slots.delete(op.fd);
    }
  }

  /** The held-fd slot of `fd`, which the caller lists from now on (a FileHandle's); -1 if none. */
  adopt(fd: number): number {
    const slot = this.#slots?.get(fd);
    if (slot === undefined) return -1;
    this.#slots!.delete(fd);
    return slot;
  }

  /** The steps ended (returned or threw). */
  letGo(): void {
    if (this.#slots === null) return;
    for (const slot of this.#slots.values()) releaseFd(slot);
    this.#slots = null;
  }
}

export function runSync<T>(steps: Steps<T>): T {
  const opened = new OpenedFds();
  try {
    let next = steps.next(0);
    while (!next.done) {
      const op = next.value;
      opened.issuing(op);
      const result = execSync(op);
      opened.finished(op, result);
      // A failed op's error gets one stack, from the caller of the *Sync function down (as node:fs's).
      next = result < 0 ? withoutStack(() => steps.next(result)) : steps.next(result);
    }
    return next.value;
  } catch (err) {
    addFrames(err, runSync);
    throw err;
  } finally {
    opened.letGo();
  }
}

/**
 * A direct syscall's result `r` through `value`, which gives the *Sync function's value or throws
 * its error: an error made without a stack, then given the frames from the caller of the *Sync
 * function down, as runSync gives them (for the single-syscall functions, which skip the steps).
 * `below`: the frames start below it (a helper of the *Sync function that calls this one).
 */
export function settled<U>(r: number, value: (r: number) => U, below: (...args: never[]) => unknown = settled): U {
  if (r >= 0) return value(r);
  try {
    return withoutStack(() => value(r));
  } catch (err) {
    addFrames(err, below);
    throw err;
  }
}

/**
 * Drive `steps` on `ring`: each op's result goes back into them; `end` gets the outcome, once,
 * before the fds the steps left open are let go of (so that it can adopt one).
 */
function runOnRing<T>(ring: Ring, steps: Steps<T>, end: (err: Error | null, value: T | undefined, opened: OpenedFds) => void): void {
  const opened = new OpenedFds();
  const advance = (result: number, op?: Op): void => {
    if (op !== undefined) opened.finished(op, result);
    let next: IteratorResult<Op, T>;
    try {
      // A failed op's error is made here, in the drain, where no frame is the caller's: without a
      // stack, as node:fs's callback errors are (and capturing one costs more than the op).
      next = result < 0 ? withoutStack(() => steps.next(result)) : steps.next(result);
    } catch (err) {
      opened.letGo();
      end(err as Error, undefined, opened);
      return;
    }
    if (next.done) {
      try {
        end(null, next.value, opened);
      } finally {
        opened.letGo();
      }
    } else {
      opened.issuing(next.value);
      next.value.done = advance;
      ring.submit(next.value);
    }
  };
  advance(0);
}

/** `steps` on `ring`, as a promise of their value (or of `adopt(value, opened)`, made as they end). */
export function runPromise<T, U = T>(ring: Ring, steps: Steps<T>, adopt?: (value: T, opened: OpenedFds) => U): Promise<U> {
  return new Promise<U>((resolve, reject) => {
    runOnRing(ring, steps, (err, value, opened) => {
      if (err !== null) reject(err);
      else resolve(adopt === undefined ? (value as unknown as U) : adopt(value as T, opened));
    });
  }).then(undefined, withCallerFrames);
}

/** A rejection's error, made in the drain without a stack, gets the frames of the async functions awaiting it (as node:fs/promises' do). */
function withCallerFrames(err: unknown): never {
  addFrames(err, withCallerFrames);
  throw err;
}

/**
 * How the callback flavour calls back: asynchronously even when the operation settled without
 * touching the kernel (nextTick, as node:fs does), else in the async context of the call that
 * issued it, as node:fs's do (an async resource per pending operation, FSReqCallback there):
 * completions arrive in the drain, whose context is the ring's.
 */
class CallbackSettle<U> {
  #scope: AsyncResource | undefined = undefined;
  #settled = false;

  constructor(readonly callback: (err: Error | null, value?: U) => void) {}

  settle(err: Error | null, value?: U): void {
    this.#settled = true;
    if (this.#scope === undefined) process.nextTick(this.callback, err, value);
    else this.#scope.runInAsyncScope(this.callback, null, err, value);
  }

  /** The operation was issued: if it has not settled yet, it settles in the drain, later. */
  issued(): void {
    if (!this.#settled) this.#scope = new AsyncResource('FSREQCALLBACK');
  }
}

/** `steps` on `ring`, through a Node-style callback with their value (or `adopt(value, opened)`, made as they end). */
export function runCallback<T, U = T>(ring: Ring, steps: Steps<T>, callback: (err: Error | null, value?: U) => void, adopt?: (value: T, opened: OpenedFds) => U): void {
  const s = new CallbackSettle(callback);
  runOnRing(ring, steps, (err, value, opened) => {
    if (err !== null) s.settle(err);
    else s.settle(null, adopt === undefined ? (value as unknown as U) : adopt(value as T, opened));
  });
  s.issued();
}

/**
 * One op on `ring` through a Node-style callback, as runCallback runs steps of one op, without their
 * generator and its bookkeeping (for the hot single-op functions; the op must not open or close an
 * fd): `value(result, op)` gives the callback's value, or throws its error.
 */
export function runOneCallback<U>(ring: Ring, op: Op, value: (result: number, op: Op) => U, callback: (err: Error | null, value?: U) => void): void {
  const s = new CallbackSettle(callback);
  op.done = (result) => {
    let v: U;
    try {
      v = result < 0 ? withoutStack(() => value(result, op)) : value(result, op);
    } catch (err) {
      s.settle(err as Error);
      return;
    }
    s.settle(null, v);
  };
  ring.submit(op);
  s.issued();
}
