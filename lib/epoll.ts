// The readiness API: wait until pollable fds (pipes, FIFOs, sockets, eventfds,
// timerfds, inotify, ttys) are readable or writable — level- or edge-triggered,
// or one-shot — by callback, by async iterator, or synchronously with wait().
// Each Poller owns one epoll set, watched on this environment's loop only while
// someone listens. Regular files are refused with an error that points to the
// io_uring API: they are always "ready", and only io_uring makes file I/O
// asynchronous.
import { AsyncResource } from 'node:async_hooks';
import { fstatSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { binding, type NativeEpoll } from './binding.js';
import { invalidArgType, invalidArgValue, systemError, type SystemError } from './errors.js';

/** An Error with a Node-style `code` (uringfs's own error codes). */
function coded(err: Error, code: string): Error & { code: string } {
  return Object.assign(err, { code });
}
import { validateFd, validateFunction, validateInteger, validateObject } from './validate.js';

// <sys/epoll.h>
const EPOLLIN = 0x001;
const EPOLLOUT = 0x004;
const EPOLLERR = 0x008;
const EPOLLHUP = 0x010;
const EPOLLRDHUP = 0x2000;
const EPOLLONESHOT = 1 << 30;
const EPOLLET = 1 << 31;
/** Reported by the native side, never by the kernel: the registration's fd was found closed. */
const FD_CLOSED = EPOLLONESHOT;

const { EBADF, EEXIST, EINVAL, ELOOP, ENOENT, EPERM } = osConstants.errno;

const DEFAULT_MAX_EVENTS = 1024;
const DEFAULT_CLOSED_FD_CHECK_MS = 1000;

/** What a registration waits for. */
export interface PollOptions {
  /** Wake when the fd is readable (EPOLLIN; also reports a peer's shutdown as `hangup`). Default: true unless `writable` is true. */
  readable?: boolean;
  /** Wake when the fd is writable (EPOLLOUT). Default: false. */
  writable?: boolean;
  /** Edge-triggered (EPOLLET): one event per change, not one per turn while the state lasts. Default: false. */
  edge?: boolean;
  /** Report one event, then nothing until `registration.modify()` re-arms it (EPOLLONESHOT). Default: false. */
  oneShot?: boolean;
}

/** One readiness event. */
export interface PollEvent {
  readonly fd: number;
  readonly readable: boolean;
  readonly writable: boolean;
  /** EPOLLERR: an error is pending on the fd (e.g. the read end of a pipe was closed, seen from the write end). */
  readonly error: boolean;
  /** EPOLLHUP or EPOLLRDHUP: the peer hung up (a pipe's last writer closed, a socket's peer shut down). */
  readonly hangup: boolean;
}

export type PollCallback = (event: PollEvent) => void;

export interface PollerOptions {
  /** Most events taken from the kernel per batch (one JS call per batch), and per wait(). Default 1024. */
  maxEvents?: number;
  /**
   * While the poller is watching, how often (ms) to look for registered fds that were closed without
   * `remove()`; those registrations are dropped. 0 turns it off. Default 1000.
   */
  closedFdCheckInterval?: number;
}

export interface PollerStats {
  /** Live registrations. */
  registrations: number;
  /** Whether the epoll set is watched on the loop (someone listens). */
  watching: boolean;
  /** Whether the poller keeps the event loop alive right now. */
  keepsAlive: boolean;
  /** Times the loop found the epoll fd readable. */
  wakeups: number;
  /** JS calls made to deliver events (one per batch). */
  batches: number;
  /** Events taken from the kernel, asynchronously or by wait(). */
  events: number;
  /** Times the epoll set was rebuilt to get rid of an item whose fd was closed while a dup lived on. */
  rebuilds: number;
  /** Registrations dropped because their fd was found closed. */
  closedFds: number;
}

const DONE: IteratorReturnResult<undefined> = Object.freeze({ value: undefined, done: true });

function makeEvent(fd: number, bits: number): PollEvent {
  return {
    fd,
    readable: (bits & EPOLLIN) !== 0,
    writable: (bits & EPOLLOUT) !== 0,
    error: (bits & EPOLLERR) !== 0,
    hangup: (bits & (EPOLLHUP | EPOLLRDHUP)) !== 0,
  };
}

function normalizeOptions(options: unknown): Required<PollOptions> {
  if (options === undefined || options === null) return { readable: true, writable: false, edge: false, oneShot: false };
  validateObject(options, 'options');
  const o = options as Record<string, unknown>;
  for (const name of ['readable', 'writable', 'edge', 'oneShot']) {
    if (o[name] !== undefined && typeof o[name] !== 'boolean') throw invalidArgType(`options.${name}`, 'boolean', o[name]);
  }
  const writable = (o.writable as boolean | undefined) ?? false;
  const readable = (o.readable as boolean | undefined) ?? !writable;
  if (!readable && !writable) throw invalidArgValue('options', options, 'must ask for readable and/or writable events');
  return { readable, writable, edge: (o.edge as boolean | undefined) ?? false, oneShot: (o.oneShot as boolean | undefined) ?? false };
}

function kernelEvents(o: Required<PollOptions>): number {
  return (o.readable ? EPOLLIN | EPOLLRDHUP : 0) | (o.writable ? EPOLLOUT : 0) | (o.edge ? EPOLLET : 0) | (o.oneShot ? EPOLLONESHOT : 0);
}

/** Node's system error for an epoll syscall, with a sentence of explanation after it. */
function epollError(errno: number, syscall: string, detail?: string): SystemError {
  const err = systemError(errno, syscall);
  if (detail !== undefined) {
    err.message = `${err.message} (${detail})`;
    Error.captureStackTrace?.(err, epollError);  // so that the stack's first line shows the new message
  }
  return err;
}

function addError(errno: number, fd: number): SystemError {
  if (errno === -EPERM) {
    let kind = '';
    try {
      const st = fstatSync(fd);
      kind = st.isFile() ? 'a regular file' : st.isDirectory() ? 'a directory' : '';
    } catch {
      // Closed meanwhile: explain in general terms.
    }
    if (kind !== '') {
      return epollError(errno, 'epoll_ctl', `fd ${fd} is ${kind}. Regular files and directories are always ready, so epoll ` +
        'refuses to watch them; to read or write files without blocking, use the file API of uringfs, which runs on io_uring');
    }
    return epollError(errno, 'epoll_ctl', `fd ${fd} does not support polling (e.g. /dev/null, or a regular file). ` +
      'For file I/O without blocking, use the file API of uringfs, which runs on io_uring');
  }
  if (errno === -EEXIST) return alreadyRegistered(fd);
  if (errno === -EINVAL || errno === -ELOOP) {
    return epollError(errno, 'epoll_ctl', `fd ${fd} cannot be watched by this poller (an epoll set cannot watch itself or a set that watches it)`);
  }
  return epollError(errno, 'epoll_ctl');
}

function alreadyRegistered(fd: number): SystemError {
  return epollError(-EEXIST, 'epoll_ctl', `fd ${fd} is already registered with this poller; use registration.modify() to change what it waits for`);
}

function pollerClosed(what: string): Error {
  return coded(new Error(`The poller is closed; cannot ${what}`), 'ERR_URINGFS_POLLER_CLOSED');
}

type Waiter = (result: IteratorResult<PollEvent, undefined>) => void;

/** The internal state of a registration (PollRegistration is its public face). */
class RegState {
  active = true;
  fdClosed = false;
  /** False after a one-shot event, until modify(). */
  armed = true;
  /** Level-triggered with nobody to hand events to: disarmed in the kernel by us until someone asks. */
  paused = false;
  /** Event bits collected while nobody was there to take them (OR-ed: readiness is a state, not a count). */
  pending = 0;
  iterator: EventIterator | null = null;
  /** As last counted by the core. */
  listening = false;
  keepsAlive = false;
  /**
   * The async context of the add() that gave the callback: its events run there, as a listener of
   * fs.watch or of a socket runs in the context that made the handle, not the Poller's.
   */
  readonly scope: AsyncResource | null;

  constructor(
    readonly token: number,
    readonly fd: number,
    public options: Required<PollOptions>,
    readonly callback: PollCallback | null,
  ) {
    this.scope = callback === null ? null : new AsyncResource('URINGFS_POLL');
  }
}

class EventIterator implements AsyncIterableIterator<PollEvent> {
  readonly waiters: Waiter[] = [];
  done = false;

  constructor(private readonly core: PollerCore, private readonly reg: RegState) {}

  next(): Promise<IteratorResult<PollEvent, undefined>> {
    return this.core.iteratorNext(this.reg, this);
  }

  return(): Promise<IteratorResult<PollEvent, undefined>> {
    this.core.endIterator(this.reg, this);
    return Promise.resolve(DONE);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}

/**
 * The engine behind Poller and PollRegistration. The rule for the loop, as for a
 * libuv handle: the epoll fd is watched while some registration has a listener
 * (a callback, or an open iterator), and the watch keeps the loop alive while
 * some registration is armed and someone waits on it (a callback, or an
 * iterator's pending next()) — unless the poller is unref()'d.
 */
class PollerCore {
  readonly native: NativeEpoll;
  readonly #events: Int32Array;
  readonly #waitEvents: Int32Array;
  readonly #byToken = new Map<number, RegState>();
  readonly #byFd = new Map<number, RegState>();
  /** Registrations without a listener that hold events for the next wait(). */
  readonly #pendingPassive = new Set<RegState>();
  readonly #paused = new Set<RegState>();
  readonly #closedFdCheckInterval: number;
  #nextToken = 1;
  #listening = 0;
  #keepingAlive = 0;
  #userRef = true;
  #watching = false;
  #keptAlive = false;
  #sweepTimer: NodeJS.Timeout | null = null;
  closed = false;

  constructor(maxEvents: number, closedFdCheckInterval: number) {
    try {
      this.native = new binding.Epoll(maxEvents, (count) => this.#dispatch(count));
    } catch (e) {
      const err = e as { errno?: number; syscall?: string };
      if (typeof err.errno === 'number') throw systemError(err.errno, err.syscall ?? 'epoll_create1');
      throw e;
    }
    this.#events = this.native.events;
    this.#waitEvents = this.native.waitEvents;
    this.#closedFdCheckInterval = closedFdCheckInterval;
  }

  get size(): number { return this.#byToken.size; }
  get userRef(): boolean { return this.#userRef; }

  add(fdArg: unknown, options: unknown, callback: unknown): RegState {
    if (this.closed) throw pollerClosed('add');
    const fd = validateFd(fdArg);
    if (typeof options === 'function' && callback === undefined) {
      callback = options;
      options = undefined;
    }
    const opts = normalizeOptions(options);
    if (callback !== undefined) validateFunction(callback, 'callback');
    const existing = this.#byFd.get(fd);
    if (existing !== undefined) {
      // One live registration per fd number: epoll_ctl MOD/DEL by fd number must only ever reach its own item.
      if (this.native.check(existing.token) === 1) throw alreadyRegistered(fd);
      this.drop(existing, true);
    }
    const token = this.#takeToken();
    const r = this.native.add(fd, kernelEvents(opts), token);
    if (r < 0) throw addError(r, fd);
    const reg = new RegState(token, fd, opts, (callback as PollCallback | undefined) ?? null);
    this.#byToken.set(token, reg);
    this.#byFd.set(fd, reg);
    this.recount(reg);
    return reg;
  }

  #takeToken(): number {
    for (;;) {
      const t = this.#nextToken;
      this.#nextToken = t >= 0x7fffffff ? 1 : t + 1;
      if (!this.#byToken.has(t)) return t;
    }
  }

  modify(reg: RegState, options: unknown): void {
    if (!reg.active) {
      throw coded(new Error(`The registration of fd ${reg.fd} was removed${reg.fdClosed ? ' (its fd was closed)' : ''}; add the fd again`),
        'ERR_URINGFS_REGISTRATION_REMOVED');
    }
    const opts = options === undefined ? reg.options : normalizeOptions(options);
    const r = this.native.modify(reg.token, kernelEvents(opts));
    if (r < 0) {
      if (r === -EBADF || r === -ENOENT) this.drop(reg, true);
      throw epollError(r, 'epoll_ctl', r === -EBADF || r === -ENOENT ? `fd ${reg.fd} was closed without removing its registration` : undefined);
    }
    reg.options = opts;
    reg.armed = true;
    reg.paused = false;
    this.#paused.delete(reg);
    // What was collected before describes the old interest; the kernel reports the current state again.
    reg.pending = 0;
    this.#pendingPassive.delete(reg);
    this.recount(reg);
  }

  remove(reg: RegState): void {
    if (!reg.active) return;
    const r = this.native.remove(reg.token);
    this.drop(reg, false);
    if (r < 0) throw epollError(r, 'epoll_ctl');
  }

  /** Forget a registration (the native side already has, or the caller does it). */
  drop(reg: RegState, fdClosed: boolean): void {
    if (!reg.active) return;
    reg.active = false;
    reg.fdClosed = fdClosed;
    this.#byToken.delete(reg.token);
    if (this.#byFd.get(reg.fd) === reg) this.#byFd.delete(reg.fd);
    this.#pendingPassive.delete(reg);
    this.#paused.delete(reg);
    reg.pending = 0;
    if (reg.iterator !== null) this.endIterator(reg, reg.iterator);
    this.recount(reg);
  }

  #dispatch(count: number): void {
    const ev = this.#events;
    for (let i = 0; i < count; i++) {
      const reg = this.#byToken.get(ev[2 * i]);
      if (reg === undefined) continue;  // removed earlier in this batch
      const bits = ev[2 * i + 1];
      if (bits === FD_CLOSED) this.drop(reg, true);
      else this.#deliver(reg, bits);
    }
  }

  #deliver(reg: RegState, bits: number): void {
    if (!reg.active) return;
    if (reg.paused) {
      // Our own one-shot pause fired (error or hang-up): keep it for whoever asks next.
      reg.pending |= bits;
      if (reg.iterator === null) this.#pendingPassive.add(reg);
      return;
    }
    if (reg.options.oneShot) reg.armed = false;
    const cb = reg.callback;
    const it = reg.iterator;
    if (it !== null && it.waiters.length > 0) {
      it.waiters.shift()!({ value: makeEvent(reg.fd, bits), done: false });
    } else if (it !== null || cb === null) {
      reg.pending |= bits;
      if (it === null) this.#pendingPassive.add(reg);
      if (cb === null) this.#pause(reg);
    }
    if (cb !== null) {
      try {
        reg.scope!.runInAsyncScope(cb, null, makeEvent(reg.fd, bits));
      } catch (err) {
        // Surface it as Node would (uncaught), without losing the rest of the batch.
        process.nextTick(() => { throw err; });
      }
    }
    this.recount(reg);
  }

  /** A level-triggered fd that nobody reads would wake the loop on every turn: disarm it until asked. */
  #pause(reg: RegState): void {
    if (reg.paused || reg.options.edge || reg.options.oneShot) return;
    const r = this.native.modify(reg.token, EPOLLONESHOT);
    if (r < 0) {
      this.#lost(reg, r);
      return;
    }
    reg.paused = true;
    this.#paused.add(reg);
  }

  /** Re-arm a paused registration with its own interest; false if its fd turned out closed. */
  #resume(reg: RegState): boolean {
    if (!reg.paused) return true;
    reg.paused = false;
    this.#paused.delete(reg);
    const r = this.native.modify(reg.token, kernelEvents(reg.options));
    if (r < 0) {
      this.#lost(reg, r);
      return false;
    }
    return true;
  }

  /**
   * An internal epoll_ctl MOD failed. ENOENT/EBADF (the only failures MOD can have on an item we
   * added) mean the fd was closed; the native side has already forgotten it.
   */
  #lost(reg: RegState, errno: number): void {
    const closed = errno === -EBADF || errno === -ENOENT;
    if (!closed) this.native.remove(reg.token);
    this.drop(reg, closed);
  }

  iterate(reg: RegState): EventIterator {
    if (reg.iterator !== null) {
      throw coded(new Error(`Invalid state: the registration of fd ${reg.fd} is already being iterated`), 'ERR_INVALID_STATE');
    }
    const it = new EventIterator(this, reg);
    if (!reg.active) {
      it.done = true;
      return it;
    }
    reg.iterator = it;
    this.#pendingPassive.delete(reg);  // the iterator takes what was collected
    this.recount(reg);
    return it;
  }

  iteratorNext(reg: RegState, it: EventIterator): Promise<IteratorResult<PollEvent, undefined>> {
    if (it.done) return Promise.resolve(DONE);
    if (reg.pending !== 0) {
      const bits = reg.pending;
      reg.pending = 0;
      return Promise.resolve({ value: makeEvent(reg.fd, bits), done: false });
    }
    if (!this.#resume(reg) || !reg.active) return Promise.resolve(DONE);
    return new Promise((resolve) => {
      it.waiters.push(resolve);
      this.recount(reg);
    });
  }

  endIterator(reg: RegState, it: EventIterator): void {
    if (it.done) return;
    it.done = true;
    for (const w of it.waiters.splice(0)) w(DONE);
    if (reg.iterator === it) {
      reg.iterator = null;
      if (reg.active && reg.pending !== 0) this.#pendingPassive.add(reg);
    }
    this.recount(reg);
  }

  wait(timeoutMs: unknown): PollEvent[] {
    if (this.closed) throw pollerClosed('wait');
    validateInteger(timeoutMs, 'timeoutMs', -1, 2 ** 31 - 1);
    // Events the loop collected for registrations nobody listens to come first...
    const found = new Map<RegState, number>();
    for (const reg of this.#pendingPassive) {
      if (reg.pending !== 0) found.set(reg, reg.pending);
      reg.pending = 0;
    }
    this.#pendingPassive.clear();
    // ...and what was paused for want of a listener is armed again, so the kernel reports it anew.
    for (const reg of this.#paused) if (reg.iterator === null && reg.callback === null) this.#resume(reg);
    const n = this.native.wait(found.size > 0 ? 0 : timeoutMs);
    if (n < 0) throw systemError(n, 'epoll_wait');
    const w = this.#waitEvents;
    for (let i = 0; i < n; i++) {
      const reg = this.#byToken.get(w[2 * i]);
      if (reg === undefined) continue;
      const bits = w[2 * i + 1];
      if (bits === FD_CLOSED) {
        this.drop(reg, true);
        continue;
      }
      if (reg.options.oneShot && !reg.paused && reg.armed) {
        reg.armed = false;
        this.recount(reg);
      }
      found.set(reg, (found.get(reg) ?? 0) | bits);
    }
    const events: PollEvent[] = [];
    for (const [reg, bits] of found) events.push(makeEvent(reg.fd, bits));
    return events;
  }

  /** Count what listens and what keeps the loop alive, then apply the rule (see the class comment). */
  recount(reg: RegState): void {
    const listening = reg.active && (reg.callback !== null || reg.iterator !== null);
    const keepsAlive = listening && reg.armed && (reg.callback !== null || reg.iterator!.waiters.length > 0);
    if (listening !== reg.listening) {
      reg.listening = listening;
      this.#listening += listening ? 1 : -1;
    }
    if (keepsAlive !== reg.keepsAlive) {
      reg.keepsAlive = keepsAlive;
      this.#keepingAlive += keepsAlive ? 1 : -1;
    }
    this.#apply();
  }

  #apply(): void {
    const watch = !this.closed && this.#listening > 0;
    const keepAlive = watch && this.#userRef && this.#keepingAlive > 0;
    if (watch !== this.#watching || keepAlive !== this.#keptAlive) {
      this.#watching = watch;
      this.#keptAlive = keepAlive;
      this.native.setWatching(watch, keepAlive);
    }
    if (watch && this.#sweepTimer === null && this.#closedFdCheckInterval > 0) {
      this.#sweepTimer = setInterval(() => this.#sweep(), this.#closedFdCheckInterval).unref();
    } else if (!watch && this.#sweepTimer !== null) {
      clearInterval(this.#sweepTimer);
      this.#sweepTimer = null;
    }
  }

  /** Drop the registrations whose fd was closed without remove() (epoll forgets them silently). */
  #sweep(): void {
    if (this.closed) return;
    const n = this.native.sweep();
    const w = this.#waitEvents;
    for (let i = 0; i < n; i++) {
      const reg = this.#byToken.get(w[2 * i]);
      if (reg !== undefined) this.drop(reg, true);
    }
  }

  setRef(ref: boolean): void {
    this.#userRef = ref;
    this.#apply();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.native.close();
    for (const reg of [...this.#byToken.values()]) this.drop(reg, false);
    this.#apply();
  }

  stats(): PollerStats {
    const [wakeups, batches, events, rebuilds, closedFds] = this.native.counters();
    return {
      registrations: this.#byToken.size,
      watching: this.#watching,
      keepsAlive: this.#keptAlive,
      wakeups, batches, events, rebuilds, closedFds,
    };
  }
}

const kInternal = Symbol('uringfs.internal');

/**
 * One fd registered with a Poller. Events go to its callback (if it was given one), to its async
 * iterator (`for await (const ev of registration)`), or to `poller.wait()`.
 */
export class PollRegistration implements AsyncIterable<PollEvent> {
  readonly #core: PollerCore;
  readonly #state: RegState;

  /** @internal Made by `Poller.add()`. */
  constructor(key: symbol, core: PollerCore, state: RegState) {
    if (key !== kInternal) throw new TypeError('Illegal constructor: use poller.add()');
    this.#core = core;
    this.#state = state;
  }

  get fd(): number { return this.#state.fd; }
  /** False once removed: by remove(), by poller.close(), or because its fd was found closed. */
  get active(): boolean { return this.#state.active; }
  /** True when the registration was dropped because its fd was closed without remove(). */
  get fdClosed(): boolean { return this.#state.fdClosed; }
  get options(): Readonly<Required<PollOptions>> { return { ...this.#state.options }; }

  /** Change what the registration waits for (all options at once, as epoll_ctl MOD); without options, re-arm a one-shot. */
  modify(options?: PollOptions): void {
    this.#core.modify(this.#state, options);
  }

  /** Stop watching the fd (remove before closing the fd). Ends its iterator. Idempotent. */
  remove(): void {
    this.#core.remove(this.#state);
  }

  /**
   * Events as they come; one iterator at a time. Events arriving while the loop body runs are
   * merged into one (readiness is a state). Breaking out of the loop ends the iterator, not the
   * registration; remove() or poller.close() ends the loop.
   */
  [Symbol.asyncIterator](): AsyncIterableIterator<PollEvent> {
    return this.#core.iterate(this.#state);
  }
}

/**
 * An epoll set of its own, for readiness on pollable fds. Watched on this thread's event loop (each
 * worker has its own); keeps the loop alive only while some armed registration has someone waiting
 * for it (a callback, or an iterator's pending next()), and not at all after unref().
 */
export class Poller {
  readonly #core: PollerCore;

  constructor(options: PollerOptions = {}) {
    validateObject(options, 'options');
    const maxEvents = options.maxEvents ?? DEFAULT_MAX_EVENTS;
    validateInteger(maxEvents, 'options.maxEvents', 1, 65536);
    const interval = options.closedFdCheckInterval ?? DEFAULT_CLOSED_FD_CHECK_MS;
    validateInteger(interval, 'options.closedFdCheckInterval', 0, 2 ** 31 - 1);
    this.#core = new PollerCore(maxEvents, interval);
  }

  /**
   * Watch `fd` (readable by default). Throws Node-style errors: EPERM (with an explanation) for
   * regular files, directories and other files that cannot be polled, EBADF for a closed fd,
   * EEXIST if this poller already watches it.
   */
  add(fd: number, callback?: PollCallback): PollRegistration;
  add(fd: number, options?: PollOptions, callback?: PollCallback): PollRegistration;
  add(fd: number, options?: PollOptions | PollCallback, callback?: PollCallback): PollRegistration {
    return new PollRegistration(kInternal, this.#core, this.#core.add(fd, options, callback));
  }

  /**
   * Block this thread until something is ready or `timeoutMs` passes (-1: no limit; 0: just look),
   * and return the events (one per fd, at most `maxEvents`). Events returned here are not also
   * delivered to callbacks or iterators.
   */
  wait(timeoutMs = -1): PollEvent[] {
    return this.#core.wait(timeoutMs);
  }

  /** Remove every registration (their iterators end) and close the epoll fd. Idempotent. */
  close(): void {
    this.#core.close();
  }

  get closed(): boolean { return this.#core.closed; }
  /** Live registrations. */
  get size(): number { return this.#core.size; }

  /** Let the poller keep the event loop alive while someone waits for events (the default). */
  ref(): this {
    this.#core.setRef(true);
    return this;
  }

  /** Never keep the event loop alive for this poller; events still arrive while something else does. */
  unref(): this {
    this.#core.setRef(false);
    return this;
  }

  hasRef(): boolean { return this.#core.userRef; }

  stats(): PollerStats {
    return this.#core.stats();
  }
}
