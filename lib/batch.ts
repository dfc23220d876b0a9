// Explicit batches: ops collected without touching the kernel, then sent
// together — one io_uring_enter when they fit the SQ — with results in
// submission order. Linked chains (IOSQE_IO_LINK) run an op only if the one
// before it succeeded.
import { checkRead, mkdirArgs, openArgs, statOptions, writeArgs } from './args.js';
import { invalidArgValue } from './errors.js';
import { Op, OpCode } from './op.js';
import {
  closeSteps, fsyncSteps, mkdirSteps, openSteps, readSteps, renameSteps, statSteps, unlinkSteps, vectorSteps, writeSteps,
} from './operations.js';
import { ECANCELED, resultError, type Ring } from './ring.js';
import type { Steps } from './run.js';
import { validateBufferArray, validateFd, validatePath, validateReadPosition, writePosition, type PathLike } from './validate.js';

type View = NodeJS.ArrayBufferView;

/** One op's outcome: its value, or the Node-style error it failed with. */
export type Outcome<T = unknown> = { ok: true; value: T } | { ok: false; error: Error };

interface Entry {
  steps: Steps<unknown>;
  /** The op to send, or null when the operation completed without the kernel (e.g. writev of no buffers). */
  op: Op | null;
  outcome: Outcome | null;
}

function batchError(message: string, code: string): Error {
  return Object.assign(new Error(message), { code });
}

/**
 * A batch of operations for one ring. Build it with the op methods (same
 * arguments and validation as the node:fs-style API), then `submit()` or
 * `submitSync()` once. Results come back in the order the ops were added.
 */
export class Batch {
  readonly #ring: Ring;
  readonly #entries: Entry[] = [];
  /** Ops grouped for sending: a single entry, or a linked chain. */
  readonly #groups: Entry[][] = [];
  #chain: Entry[] | null = null;
  #submitted = false;

  constructor(ring: Ring) {
    this.#ring = ring;
  }

  /** How many ops the batch holds. */
  get length(): number {
    return this.#entries.length;
  }

  #add(steps: Steps<unknown>): this {
    if (this.#submitted) throw batchError('This batch was already submitted; make a new one with ring.batch()', 'ERR_URINGFS_BATCH_SUBMITTED');
    const first = steps.next(0);
    const entry: Entry = { steps, op: first.done ? null : first.value, outcome: first.done ? { ok: true, value: first.value } : null };
    this.#entries.push(entry);
    if (this.#chain) this.#chain.push(entry);
    else this.#groups.push([entry]);
    return this;
  }

  /** Like fs.read: resolves to bytes read. `position` null or -1 reads at the file position. */
  read(fd: number, buffer: View, offset?: number | null, length?: number | null, position?: number | bigint | null): this {
    validateFd(fd);
    const a = checkRead(buffer, offset, length ?? buffer?.byteLength - (offset ?? 0), position);
    // A zero-length read still goes to the kernel, so that it keeps its place in a chain.
    return this.#add(readSteps(fd, buffer, a?.offset ?? 0, a?.length ?? 0, a?.position ?? -1));
  }

  /** Like fs.write (buffer or string forms): resolves to bytes written. */
  write(fd: number, buffer: View | string, offsetOrPosition?: unknown, length?: unknown, position?: unknown): this {
    validateFd(fd);
    const a = writeArgs(buffer, offsetOrPosition, length, position);
    return this.#add(writeSteps(fd, a.buffer, a.offset, a.length, a.position));
  }

  /** Like fs.readv: resolves to bytes read. */
  readv(fd: number, buffers: View[], position?: number | null): this {
    validateFd(fd);
    const views = validateBufferArray(buffers);
    return this.#add(vectorSteps(false, fd, views, typeof position === 'number' ? validateReadPosition(position, 0) : -1));
  }

  /** Like fs.writev: resolves to bytes written. */
  writev(fd: number, buffers: View[], position?: number | null): this {
    validateFd(fd);
    const views = validateBufferArray(buffers);
    return this.#add(vectorSteps(true, fd, views, writePosition(position)));
  }

  /** Like fs.open: resolves to the fd. */
  open(path: PathLike, flags?: string | number, mode?: string | number): this {
    const a = openArgs(path, flags, mode);
    return this.#add(openSteps(a.path, a.flags, a.mode));
  }

  /** Like fs.close. */
  close(fd: number): this {
    return this.#add(closeSteps(validateFd(fd)));
  }

  /** Like fs.fsync. */
  fsync(fd: number): this {
    return this.#add(fsyncSteps(validateFd(fd), false));
  }

  /** Like fs.fdatasync. */
  fdatasync(fd: number): this {
    return this.#add(fsyncSteps(validateFd(fd), true));
  }

  /** Like fs.stat (statx): resolves to Stats (BigIntStats with `bigint`). */
  stat(path: PathLike, options?: { bigint?: boolean }): this {
    return this.#add(statSteps(null, validatePath(path), true, statOptions(options).bigint));
  }

  /** Same as stat(): the io_uring op is statx. */
  statx(path: PathLike, options?: { bigint?: boolean }): this {
    return this.stat(path, options);
  }

  /** Like fs.fstat. */
  fstat(fd: number, options?: { bigint?: boolean }): this {
    return this.#add(statSteps(validateFd(fd), null, true, statOptions(options).bigint));
  }

  /** Like fs.unlink. */
  unlink(path: PathLike): this {
    return this.#add(unlinkSteps(validatePath(path)));
  }

  /** Like fs.rename. */
  rename(oldPath: PathLike, newPath: PathLike): this {
    return this.#add(renameSteps(validatePath(oldPath, 'oldPath'), validatePath(newPath, 'newPath')));
  }

  /** Like fs.mkdir without `recursive` (one op per directory). */
  mkdir(path: PathLike, mode?: number | string): this {
    const a = mkdirArgs(path, mode);
    return this.#add(mkdirSteps(a.path, a.mode, false));
  }

  /** A no-op that still goes through the kernel: for measuring the ring itself. */
  nop(): this {
    return this.#add(nopSteps());
  }

  /**
   * Ops added inside `build` form a linked chain: each runs only if the one
   * before it succeeded; after a failure (or a short read/write) the rest
   * fail with ECANCELED. A chain reaches the kernel in one submit, so it can
   * be at most the ring's SQ size. Example: `b.chain(c => c.write(fd, buf).fdatasync(fd))`.
   */
  chain(build: (batch: this) => void): this {
    if (this.#chain) throw batchError('Chains cannot be nested', 'ERR_URINGFS_BATCH_CHAIN');
    const chain: Entry[] = [];
    this.#chain = chain;
    try {
      build(this);
    } finally {
      this.#chain = null;
    }
    if (chain.length > this.#ring.sqEntries) {
      throw invalidArgValue('chain', `${chain.length} ops`, `is longer than the ring's SQ (${this.#ring.sqEntries} entries)`, RangeError);
    }
    if (chain.length > 0) this.#groups.push(chain);
    return this;
  }

  /** Send every op (one io_uring_enter per SQ-full) and resolve with one outcome per op, in order. */
  submit(): Promise<Outcome[]> {
    return new Promise((resolve, reject) => {
      try {
        this.#send(false, () => resolve(this.#outcomes()));
      } catch (err) {
        reject(err);
      }
    });
  }

  /** Like submit(), on the calling thread: submits, waits for every completion, returns the outcomes. */
  submitSync(): Outcome[] {
    let finished = false;
    this.#send(true, () => { finished = true; });
    this.#ring.runUntil(() => finished);
    return this.#outcomes();
  }

  #outcomes(): Outcome[] {
    return this.#entries.map((e) => e.outcome!);
  }

  #send(sync: boolean, onFinished: () => void): void {
    if (this.#submitted) throw batchError('This batch was already submitted; make a new one with ring.batch()', 'ERR_URINGFS_BATCH_SUBMITTED');
    this.#submitted = true;
    let remaining = 0;
    const settle = (entry: Entry, result: number): void => {
      try {
        const next = entry.steps.next(result);
        entry.outcome = next.done ? { ok: true, value: next.value } : { ok: false, error: new Error('internal: a batch op needed a second step') };
      } catch (error) {
        entry.outcome = { ok: false, error: error as Error };
      }
      if (--remaining === 0) onFinished();
    };
    for (const group of this.#groups) {
      const ops: Op[] = [];
      let broken = false;
      for (const entry of group) {
        if (entry.op === null) continue;
        remaining++;
        // A buffer detached or shrunk since the op was added would make the
        // kernel fail mid-chain: catch it here, before anything is sent.
        if (broken || !memoryStillFits(entry.op)) {
          const result = broken ? ECANCELED : -14;  // EFAULT
          broken = true;
          queueMicrotask(() => settle(entry, result));
          continue;
        }
        entry.op.sync = sync;
        entry.op.done = (result) => settle(entry, result);
        ops.push(entry.op);
      }
      if (ops.length === 1) this.#ring.submit(ops[0]);
      else if (ops.length > 1) this.#ring.submitChain(ops);
    }
    if (remaining === 0) {
      if (sync) onFinished();
      else queueMicrotask(onFinished);
      return;
    }
    this.#ring.flush();
  }
}

function* nopSteps(): Steps<undefined> {
  const r = yield new Op(OpCode.Nop);
  if (r < 0) throw resultError(r, 'nop');
  return undefined;
}

/** A view in a vector op that was detached meanwhile just reads/writes nothing; a single view must still hold its range. */
function memoryStillFits(op: Op): boolean {
  return op.view === null || op.offset + op.length <= op.view.byteLength;
}
