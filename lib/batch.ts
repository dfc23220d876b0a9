// Explicit batches: ops collected without touching the kernel, then sent
// together — one io_uring_enter when they fit the SQ — with results in
// submission order. Linked chains (IOSQE_IO_LINK) run an op only if the one
// before it succeeded.
import { mkdirArgs, openArgs, readSyncArgs, statOptions, vectorPosition, writeArgs } from './args.js';
import { invalidArgValue } from './errors.js';
import { kIovMax, writevGroupSteps } from './operations.js';
import {
  AT_FDCWD, AT_SYMLINK_NOFOLLOW, closeOp, fsyncOp, mkdirOp, Op, OpCode, openOp, readOp, RECORD_READ, RECORD_SIZE, RECORD_WRITE, recordsOp,
  linkOp, renameOp, statxOp, symlinkOp, unlinkOp, vectorOp, writeOp,
} from './op.js';
import { opError, opValue } from './outcome.js';
import { releaseFd } from './held.js';
import { RegisteredFile } from './registered.js';
import { EBADF, ECANCELED, RING_LOST, type Ring } from './ring.js';
import { pathBytes, validateBufferArray, validateFd, validateFunction, validatePath, type PathLike } from './validate.js';

type View = NodeJS.ArrayBufferView;
const EFAULT = -14;
const spareArrays: { records: Float64Array; results: Int32Array }[] = [];

/** One op's outcome: its value, or the Node-style error it failed with. */
export type Outcome<T = unknown> = { ok: true; value: T } | { ok: false; error: Error };

function batchError(message: string, code: string): Error {
  return Object.assign(new Error(message), { code });
}

function outcomeOf(op: Op, result: number): Outcome {
  return result < 0 ? { ok: false, error: opError(op, result) } : { ok: true, value: opValue(op, result) };
}

/**
 * A batch of operations for one ring. Build it with the op methods (same
 * arguments and validation as the node:fs-style API), then `submit()` or
 * `submitSync()` once. Results come back in the order the ops were added.
 */
export class Batch {
  readonly #ring: Ring;
  readonly #ops: Op[] = [];
  /** Linked chains as [first, end) index ranges into #ops. */
  readonly #chains: [number, number][] = [];
  #chainStart = -1;
  /** Ops complete without the kernel, by index, with their value. */
  readonly #done = new Map<number, number>();
  #submitted = false;
  #outcomes: Outcome[] = [];
  #remaining = 0;
  #onFinished: (() => void) | null = null;
  #sync = false;
  // One completion function for every op of the batch: the op carries its index.
  readonly #settle = (result: number, op: Op): void => {
    // An fd the batch opened is the caller's: not one the environment's teardown closes.
    if (op.heldSlot >= 0) releaseFd(op.heldSlot);
    this.#outcomes[op.tag] = this.#outcomeOf(op, result);
    if (--this.#remaining === 0) this.#onFinished!();
  };

  constructor(ring: Ring) {
    this.#ring = ring;
  }

  /** How many ops the batch holds. */
  get length(): number {
    return this.#ops.length;
  }

  #add(op: Op, userPath?: string | Buffer, userDest?: string | Buffer): this {
    if (this.#submitted) throw batchError('This batch was already submitted; make a new one with ring.batch()', 'ERR_URINGFS_BATCH_SUBMITTED');
    op.tag = this.#ops.length;
    op.userPath = userPath;
    op.userDest = userDest;
    this.#ops.push(op);
    return this;
  }

  #truncate(length: number): void {
    this.#ops.length = length;
    for (const index of this.#done.keys()) if (index >= length) this.#done.delete(index);
  }

  /** An op that is complete without the kernel (it is skipped when sent, chain or not). */
  #addDone(value: number): this {
    this.#done.set(this.#ops.length, value);
    return this.#add(new Op(OpCode.Nop));
  }

  /** Check `fd` — a plain fd, or a file registered with this batch's ring — first, as node:fs does. */
  #checkFd(fd: number | RegisteredFile): number | RegisteredFile {
    if (!(fd instanceof RegisteredFile)) return validateFd(fd);
    if (!fd.belongsTo(this.#ring)) throw invalidArgValue('fd', fd, 'is registered with another ring');
    return fd;
  }

  /** Add `op` on `target` (from #checkFd). */
  #addOn(target: number | RegisteredFile, op: Op): this {
    if (target instanceof RegisteredFile) op.file = target;
    else op.fd = target;
    return this.#add(op);
  }

  /**
   * Like fs.readSync: (fd, buffer, offset, length, position) or (fd, buffer, { offset, length,
   * position }), with its argument checks; resolves to bytes read. `position` null or -1 reads at
   * the file position. `fd` may be a {@link RegisteredFile} of this ring (as for write, readv,
   * writev, fsync, fdatasync).
   */
  read(fd: number | RegisteredFile, buffer: View, offsetOrOptions?: number | null | { offset?: number; length?: number; position?: number | bigint | null }, length?: number | null, position?: number | bigint | null): this {
    const target = this.#checkFd(fd);
    // eslint-disable-next-line prefer-rest-params
    const a = readSyncArgs(buffer, offsetOrOptions, length, position, arguments.length);
    // A zero-length read still goes to the kernel, so that it keeps its place in a chain.
    return this.#addOn(target, readOp(-1, buffer, a?.offset ?? 0, a?.length ?? 0, a?.position ?? -1));
  }

  /** Like fs.write (buffer or string forms): resolves to bytes written. */
  write(fd: number | RegisteredFile, buffer: View | string, offsetOrPosition?: unknown, length?: unknown, position?: unknown): this {
    const target = this.#checkFd(fd);
    const a = writeArgs(buffer, offsetOrPosition, length, position);
    return this.#addOn(target, writeOp(-1, a.buffer, a.offset, a.length, a.position));
  }

  /** Like fs.readv: resolves to bytes read. Past 1024 (IOV_MAX) buffers, fills the first 1024, as node:fs does. */
  readv(fd: number | RegisteredFile, buffers: View[], position?: number | null): this {
    const target = this.#checkFd(fd);
    let views = validateBufferArray(buffers);
    if (views.length > kIovMax) views = views.slice(0, kIovMax);
    const pos = vectorPosition(position);
    // No buffers: 0 without a syscall, as in node:fs.
    return views.length > 0 ? this.#addOn(target, vectorOp(false, -1, views, pos)) : this.#addDone(0);
  }

  /**
   * Like fs.writev: resolves to bytes written. Past 1024 (IOV_MAX) buffers, which one writev
   * cannot take, it is several writevs of up to 1024 buffers and one outcome, their sum (what
   * node:fs writes, looping as libuv does): on its own, each writev goes once the one before has
   * completed, from where it stopped; in a {@link Batch.chain}, they are linked (each counts
   * against the chain's SQ limit), so a short or failed one cancels the rest of the chain and the
   * outcome is what was written (an error when nothing was).
   */
  writev(fd: number | RegisteredFile, buffers: View[], position?: number | null): this {
    const target = this.#checkFd(fd);
    const views = validateBufferArray(buffers);
    return views.length > 0 ? this.#addOn(target, vectorOp(true, -1, views, vectorPosition(position))) : this.#addDone(0);
  }

  /** Like fs.open: resolves to the fd. */
  open(path: PathLike, flags?: string | number, mode?: string | number): this {
    const a = openArgs(path, flags, mode);
    return this.#add(openOp(pathBytes(a.path), a.flags, a.mode), a.path);
  }

  /** Like fs.close. */
  close(fd: number): this {
    return this.#add(closeOp(validateFd(fd)));
  }

  /** Like fs.fsync. */
  fsync(fd: number | RegisteredFile): this {
    const target = this.#checkFd(fd);
    return this.#addOn(target, fsyncOp(-1, false));
  }

  /** Like fs.fdatasync. */
  fdatasync(fd: number | RegisteredFile): this {
    const target = this.#checkFd(fd);
    return this.#addOn(target, fsyncOp(-1, true));
  }

  /** Like fs.stat (statx): resolves to Stats (BigIntStats with `bigint`). */
  stat(path: PathLike, options?: { bigint?: boolean }): this {
    const p = validatePath(path);
    const op = statxOp(AT_FDCWD, pathBytes(p), 0);
    op.bigint = statOptions(options).bigint;
    return this.#add(op, p);
  }

  /** Same as stat(): the io_uring op is statx. */
  statx(path: PathLike, options?: { bigint?: boolean }): this {
    return this.stat(path, options);
  }

  /** Like fs.lstat. */
  lstat(path: PathLike, options?: { bigint?: boolean }): this {
    const p = validatePath(path);
    const op = statxOp(AT_FDCWD, pathBytes(p), AT_SYMLINK_NOFOLLOW);
    op.bigint = statOptions(options).bigint;
    return this.#add(op, p);
  }

  /** Like fs.fstat. */
  fstat(fd: number, options?: { bigint?: boolean }): this {
    const op = statxOp(validateFd(fd), null, 0);
    op.bigint = statOptions(options).bigint;
    return this.#add(op);
  }

  /** Like fs.unlink. */
  unlink(path: PathLike): this {
    const p = validatePath(path);
    return this.#add(unlinkOp(pathBytes(p)), p);
  }

  /** Like fs.rename. */
  rename(oldPath: PathLike, newPath: PathLike): this {
    const from = validatePath(oldPath, 'oldPath');
    const to = validatePath(newPath, 'newPath');
    return this.#add(renameOp(pathBytes(from), pathBytes(to)), from, to);
  }

  /** Like fs.link: a hard link `newPath` of `existingPath`. */
  link(existingPath: PathLike, newPath: PathLike): this {
    const existing = validatePath(existingPath, 'existingPath');
    const to = validatePath(newPath, 'newPath');
    return this.#add(linkOp(pathBytes(existing), pathBytes(to)), existing, to);
  }

  /** Like fs.symlink(target, path): `path` made a symbolic link holding `target` (no `type`: Linux has none). */
  symlink(target: PathLike, path: PathLike): this {
    const t = validatePath(target, 'target');
    const p = validatePath(path);
    return this.#add(symlinkOp(pathBytes(t), pathBytes(p)), t, p);
  }

  /** Like fs.mkdir without `recursive` (one op per directory). */
  mkdir(path: PathLike, mode?: number | string): this {
    const a = mkdirArgs(path, mode);
    return this.#add(mkdirOp(pathBytes(a.path), a.mode), a.path);
  }

  /** A no-op that still goes through the kernel: for measuring the ring itself. */
  nop(): this {
    return this.#add(new Op(OpCode.Nop));
  }

  /**
   * Ops added inside `build` form a linked chain: each runs only if the one
   * before it succeeded; after a failure (or a short read/write) the rest
   * fail with ECANCELED. A chain reaches the kernel in one submit, so it can
   * be at most the ring's SQ size. Example: `b.chain(c => c.write(fd, buf).fdatasync(fd))`.
   */
  chain(build: (batch: this) => void): this {
    validateFunction(build, 'build');
    if (this.#chainStart >= 0) throw batchError('Chains cannot be nested', 'ERR_URINGFS_BATCH_CHAIN');
    const start = this.#ops.length;
    this.#chainStart = start;
    try {
      build(this);
    } catch (err) {
      this.#truncate(start);  // a chain is added whole or not at all
      throw err;
    } finally {
      this.#chainStart = -1;
    }
    let length = 0;
    for (let i = start; i < this.#ops.length; i++) length += sqesOf(this.#ops[i]);
    if (length > this.#ring.sqEntries) {
      this.#truncate(start);
      throw invalidArgValue('chain', `${length} ops`, `is longer than the ring's SQ (${this.#ring.sqEntries} entries)`, RangeError);
    }
    if (this.#ops.length - start > 1) this.#chains.push([start, this.#ops.length]);
    return this;
  }

  /** Send every op (one io_uring_enter per SQ-full) and resolve with one outcome per op, in order. */
  submit(): Promise<Outcome[]> {
    return new Promise((resolve, reject) => {
      try {
        this.#send(false, () => resolve(this.#outcomes));
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
    return this.#outcomes;
  }

  #send(sync: boolean, onFinished: () => void): void {
    if (this.#submitted) throw batchError('This batch was already submitted; make a new one with ring.batch()', 'ERR_URINGFS_BATCH_SUBMITTED');
    this.#submitted = true;
    const ops = this.#ops;
    this.#outcomes = new Array(ops.length);
    this.#remaining = ops.length;
    this.#onFinished = onFinished;
    this.#sync = sync;
    if (this.#sendAsRecords()) return;
    // Count this turn's work as one more pending unit, so that ops settled
    // without the kernel cannot finish the batch before everything is sent.
    this.#remaining++;
    let next = 0;
    for (const [start, end] of this.#chains) {
      for (; next < start; next++) this.#sendOne(ops[next]);
      this.#sendChain(ops.slice(start, end));
      next = end;
    }
    for (; next < ops.length; next++) this.#sendOne(ops[next]);
    this.#ring.flush();
    this.#settleLocal(null, 0);
  }

  /**
   * A batch of plain reads and writes (no chain, no registered file, Number positions) goes down
   * as records in one native call, one op of the ring: no call and no ring bookkeeping per op.
   */
  #sendAsRecords(): boolean {
    const ops = this.#ops;
    const count = ops.length;
    if (count === 0 || this.#chains.length > 0 || this.#done.size > 0 || !this.#ring.takesRecords(count)) return false;
    for (let i = 0; i < count; i++) {
      const op = ops[i];
      if ((op.code !== OpCode.Read && op.code !== OpCode.Write) || op.file !== null || typeof op.position !== 'number') return false;
    }
    // Typed arrays of a finished records op are reused: a fresh one costs an allocation and a
    // collection of its memory per batch.
    const arrays = spareArrays.pop();
    const records = arrays !== undefined && arrays.results.length >= count ? arrays.records : new Float64Array(RECORD_SIZE * Math.max(count, 64));
    const results = arrays !== undefined && arrays.results.length >= count ? arrays.results : new Int32Array(Math.max(count, 64));
    const views: View[] = [];
    let last: View | null = null;
    for (let i = 0, at = 0; i < count; i++, at += RECORD_SIZE) {
      const op = ops[i];
      if (op.view !== last) views.push((last = op.view!));
      records[at] = op.code === OpCode.Write ? RECORD_WRITE : RECORD_READ;
      records[at + 1] = op.fd;
      records[at + 2] = views.length - 1;
      records[at + 3] = op.offset;
      records[at + 4] = op.length;
      records[at + 5] = op.position as number;
    }
    const whole = recordsOp(records, views, count, results);
    whole.sync = this.#sync;
    whole.done = (result) => {
      // Refused as a whole (closed ring, SQPOLL credentials): every op with that result.
      for (let i = 0; i < count; i++) this.#outcomes[i] = outcomeOf(ops[i], result < 0 ? result : results[i]);
      // Done with them unless the kernel may still hold them (a lost ring keeps the op for good).
      if (result !== RING_LOST && spareArrays.length < 4) spareArrays.push({ records, results });
      this.#remaining = 0;
      this.#onFinished!();
    };
    this.#ring.submit(whole, true);
    this.#ring.flush();
    return true;
  }

  #sendOne(op: Op): void {
    const value = this.#done.get(op.tag);
    if (value !== undefined) return this.#settleLocal(op, value);
    const refused = refusal(op, this.#ring);
    if (refused !== 0) return this.#settleLocal(op, refused);
    op.sync = this.#sync;
    op.done = this.#settle;
    if (isSplitWritev(op)) this.#sendWritevGroups(op);
    else this.#ring.submit(op, true);
  }

  /** A lone writev past IOV_MAX buffers: writevGroupSteps, each writev sent once the one before completed. */
  #sendWritevGroups(op: Op): void {
    const steps = writevGroupSteps(op.fd, op.views!, Number(op.position));
    const advance = (result: number): void => {
      const next = steps.next(result);
      if (next.done) {
        op.done!(next.value, op);
        return;
      }
      const part = next.value;
      part.file = op.file;
      part.sync = op.sync;
      part.done = advance;
      this.#ring.submit(part, true);
      if (!this.#sync) this.#ring.flush();
    };
    advance(0);
  }

  /**
   * Settle an op without the kernel (or, with op null, the batch's own
   * pending unit): at once in a sync wait, on the microtask queue otherwise
   * (never synchronously inside submit()).
   */
  #settleLocal(op: Op | null, result: number): void {
    const settle = (): void => {
      if (op !== null) this.#outcomes[op.tag] = this.#outcomeOf(op, result);
      if (--this.#remaining === 0) this.#onFinished!();
    };
    if (this.#sync) settle();
    else queueMicrotask(settle);
  }

  #outcomeOf(op: Op, result: number): Outcome {
    const value = this.#done.get(op.tag);
    if (value !== undefined && result >= 0) return { ok: true, value };
    return outcomeOf(op, result);
  }

  /**
   * Send a chain. The kernel does not break a link when statx, unlinkat,
   * renameat, mkdirat, linkat or symlinkat fail (it does for reads, writes, fsync, open and
   * close), so a chain is sent in segments that end at such an op: the next
   * segment goes only once that op succeeded, else the rest are cancelled.
   */
  #sendChain(chain: Op[]): void {
    // An op the ring would refuse would fail mid-chain: catch it here,
    // before anything is sent.
    const bad = chain.findIndex((op) => refusal(op, this.#ring) !== 0);
    if (bad >= 0) {
      for (let i = bad; i < chain.length; i++) this.#settleLocal(chain[i], i === bad ? refusal(chain[bad], this.#ring) : ECANCELED);
      chain = chain.slice(0, bad);
    }
    const cut = chain.findIndex((op, i) => i < chain.length - 1 && !breaksLinkOnFailure(op));
    const segment = cut < 0 ? chain : chain.slice(0, cut + 1);
    const rest = cut < 0 ? [] : chain.slice(cut + 1);
    for (const op of segment) {
      // Ops complete without the kernel (an empty readv) go as NOPs, so that
      // a failure before them still cancels them.
      op.sync = this.#sync;
      op.done = this.#settle;
    }
    if (rest.length > 0) {
      const last = segment[segment.length - 1];
      last.done = (result, op) => {
        this.#settle(result, op);
        if (result >= 0) this.#sendChain(rest);
        else for (const later of rest) this.#settleLocal(later, ECANCELED);
      };
    }
    if (segment.length > 0) this.#ring.submitChain(segment.flatMap(linkedParts), true);
  }
}

/** A writev of more buffers than one SQE takes (see Batch.writev). */
function isSplitWritev(op: Op): boolean {
  return op.code === OpCode.Writev && op.views!.length > kIovMax;
}

/** SQEs an op takes in a chain. */
function sqesOf(op: Op): number {
  return isSplitWritev(op) ? Math.ceil(op.views!.length / kIovMax) : 1;
}

/**
 * An op of a chain as the SQEs it takes: itself, or for a writev past IOV_MAX, linked writevs of
 * up to 1024 buffers at consecutive positions whose results settle `op` once, with their sum (or
 * the first one's error when nothing was written; parts cancelled after a short one add nothing).
 */
function linkedParts(op: Op): Op[] {
  if (!isSplitWritev(op)) return [op];
  const views = op.views!;
  const parts: Op[] = [];
  let position = Number(op.position);
  let total = 0;
  let firstError = 0;
  let pending = 0;
  const settlePart = (result: number): void => {
    if (result >= 0) total += result;
    else if (firstError === 0) firstError = result;
    if (--pending === 0) op.done!(total > 0 || firstError === 0 ? total : firstError, op);
  };
  for (let i = 0; i < views.length; i += kIovMax) {
    const group = views.slice(i, i + kIovMax);
    const part = vectorOp(true, op.fd, group, position);
    part.file = op.file;
    part.sync = op.sync;
    part.done = settlePart;
    parts.push(part);
    if (position >= 0) for (const v of group) position += v.byteLength;
  }
  pending = parts.length;
  return parts;
}

/** Ops whose failure the kernel treats as a failed link (see #sendChain). */
function breaksLinkOnFailure(op: Op): boolean {
  switch (op.code) {
    case OpCode.Statx: case OpCode.Unlink: case OpCode.Rename: case OpCode.Mkdir: case OpCode.Link: case OpCode.Symlink:
      return false;
    default:
      return true;
  }
}

/**
 * Why the ring would refuse an op now, before the kernel sees it (0: it would not): a buffer
 * detached or shrunk since the op was added (EFAULT), a registered file unregistered since (EBADF).
 */
function refusal(op: Op, ring: Ring): number {
  if (!memoryStillFits(op)) return EFAULT;
  // On a closed ring every file is unregistered: the ring's own error says why.
  if (op.file !== null && !op.file.registered && !ring.closed) return EBADF;
  return 0;
}

/** A view in a vector op that was detached meanwhile just reads/writes nothing; a single view must still hold its range. */
function memoryStillFits(op: Op): boolean {
  return op.view === null || op.offset + op.length <= op.view.byteLength;
}
