// The only loader of the native addon. Everything native is typed here; the
// rest of lib/ imports from this file, never from the .node file.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** A position for the kernel: -1 = the current file position. */
type Pos = number | bigint;
type View = NodeJS.ArrayBufferView;

/**
 * One io_uring ring (Ring) or its thread-pool stand-in (ThreadRing), which
 * implement this same interface. Each queue method fills one SQE (no
 * syscall) and returns 1, 0 when the SQ is full even after a submit (try
 * again after the next completions), or a negative errno for memory that
 * does not fit. On ThreadRing, "SQE" means an entry of the pending list and
 * "submit" a hand-off to the worker threads.
 */
export interface NativeRing {
  /** With `bufferIndex` >= 0 (a registered buffer holding the whole range): READ_FIXED. */
  read(id: number, fd: number, view: View, offset: number, length: number, position: Pos, bufferIndex?: number): number;
  write(id: number, fd: number, view: View, offset: number, length: number, position: Pos, bufferIndex?: number): number;
  readv(id: number, fd: number, views: View[], iovScratch: Buffer, position: Pos): number;
  writev(id: number, fd: number, views: View[], iovScratch: Buffer, position: Pos): number;
  open(id: number, path: Buffer, flags: number, mode: number): number;
  close(id: number, fd: number): number;
  fsync(id: number, fd: number, datasync: boolean): number;
  ftruncate(id: number, fd: number, length: number): number;
  statx(id: number, dirfd: number, path: Buffer | null, flags: number, mask: number, out: Buffer): number;
  unlink(id: number, path: Buffer, flags: number): number;
  rename(id: number, from: Buffer, to: Buffer): number;
  mkdir(id: number, path: Buffer, mode: number): number;
  link(id: number, existing: Buffer, to: Buffer): number;
  symlink(id: number, target: Buffer, path: Buffer): number;
  nop(id: number): number;
  /**
   * io_uring only: read `count` whole files (paths NUL-terminated one after the other) as one op;
   * `results` gets [bytes or -errno, stage (0 open, 1 read, 2 fstat, 3 close, 4 too large), chunk,
   * offset] per file; the op's result is 0 when all are done (-ECANCELED when the ring closed).
   */
  readFiles?(id: number, key: number, paths: Buffer, count: number, flags: number, results: Int32Array): number;
  /** io_uring only: the memory a finished readFiles group's results point into (each `chunk` an index). */
  takeFiles?(key: number): ArrayBuffer[];
  /**
   * io_uring only: `count` reads and writes as one op, each a record of 6 numbers [0 read | 1 write,
   * fd, index into `views`, offset, length, position (-1: current)]; results[i] gets each one's
   * bytes or -errno, and the op's result is 0 when all are in.
   */
  records?(id: number, key: number, records: Float64Array, views: View[], count: number, results: Int32Array): number;
  /** io_uring only: files a readFiles group has in flight at once. */
  readonly groupWindow?: number;
  /** Submit everything queued: one io_uring_enter per SQ-full. Returns SQEs taken or -errno. */
  flush(): number;
  /**
   * IOSQE_* flags (e.g. IOSQE_IO_LINK = 4) applied to every op queued from now on, until changed;
   * bit 8 (PROBE_STREAM in ring.ts) makes read/write/readv/writev probe the fd first: -ESPIPE for
   * an explicit position on a file that cannot seek, 2 (not queued) for a read at its current position.
   */
  setSqeFlags(flags: number): void;
  /** Before a direct close(2) of `fd`: submit what is queued (on the pool, also wait until the ops queued on `fd` have run). */
  settleFd(fd: number): void;
  /** Make room for `count` ops to go to the kernel in one submit (submitting what is queued first if needed); false if impossible. */
  reserve(count: number): boolean;
  /**
   * Submit what is queued, block until at least `min` completions are ready, copy them as
   * [id, result] pairs into `out` (not `completions`: a wait from inside a drain must not
   * overwrite it) without calling onCompletions, and return how many (or -errno). For sync batches.
   */
  waitCompletions(min: number, out: Int32Array): number;
  /**
   * Cancel what is in flight, wait for every completion, free the ring. Returns how many
   * [id, result] pairs of the ops that were pending it wrote into `completions`.
   */
  shutdown(): number;
  /** [submitted, enters, completed, pending, maxPending, overflows, ...10 buckets of SQEs per submit: 1, 2-3, 4-7, ..., 512+] */
  counters(): number[];
  /** A table of `count` empty registered-file slots (ops name a slot with IOSQE_FIXED_FILE = 1). 0 or -errno. */
  registerFiles(count: number): number;
  /** Point `slot` at the file `fd` refers to (a reference of its own), or empty it with -1. 0 or -errno. */
  updateFile(slot: number, fd: number): number;
  /** Register these buffers, replacing the previous set. 0 or -errno. */
  registerBuffers(views: View[]): number;
  unregisterBuffers(): number;
  /** [id, result] pairs written before each onCompletions(count) call. */
  readonly completions: Int32Array;
  /**
   * [inDrain, lost, ...]: inDrain is 1 while completions are being dispatched; the native side
   * flushes after. lost is set before the delivery of the results of a ring that found an fd of
   * its own closed behind its back and stopped (results RING_LOST / RING_LOST_HELD in lib/ring.ts).
   */
  readonly state: Int32Array;
  readonly sqEntries: number;
  readonly cqEntries: number;
  readonly setupFlags: number;
  readonly features: number;
}

export interface NativeRingConstructor {
  /** Throws an Error with `errno` (negative) and `syscall` when io_uring_setup (or eventfd) fails. */
  new (entries: number, setupFlags: number, sqThreadIdleMs: number, onCompletions: (count: number) => void): NativeRing;
}

/** The thread-pool backend: the NativeRing interface over blocking syscalls on worker threads. */
export interface NativeThreadRing extends NativeRing {
  /** Worker threads (started on the first hand-off). */
  readonly threads: number;
  /**
   * Open `path`, fstat, read a regular file of 1..`capacity` bytes into `view` at `offset`, close:
   * one op. Result: bytes read; -errno with the failing stage (0 open, 1 fstat, 2 read, 3 close)
   * at status[2 * slot]; or HANDED_OVER (-2^30) with the open fd at status[2 * slot + 1] for a
   * file it does not read (not regular, size 0, larger than `capacity`).
   */
  readWhole(id: number, path: Buffer, flags: number, view: View, offset: number, capacity: number, status: Int32Array, slot: number): number;
}

export interface NativeThreadRingConstructor {
  /** The io_uring Ring's arguments (`setupFlags` and `sqThreadIdleMs` are ignored), then `threads`: default 8, clamped to [1, 1024]. */
  new (entries: number, setupFlags: number, sqThreadIdleMs: number, onCompletions: (count: number) => void, threads?: number): NativeThreadRing;
}

/** A path of the sync calls: a string (converted natively), or bytes ending in NUL. */
type SyncPath = string | Buffer;

/** Direct syscalls for the sync flavour: each returns its result or -errno (readFile: as it says). */
export interface NativeSync {
  open(path: SyncPath, flags: number, mode: number): number;
  close(fd: number): number;
  read(fd: number, view: View, offset: number, length: number, position: Pos): number;
  write(fd: number, view: View, offset: number, length: number, position: Pos): number;
  readv(fd: number, views: View[], iovScratch: Buffer, position: Pos): number;
  writev(fd: number, views: View[], iovScratch: Buffer, position: Pos): number;
  fsync(fd: number, datasync: boolean): number;
  ftruncate(fd: number, length: number): number;
  statx(dirfd: number, path: SyncPath | null, flags: number, mask: number, out: Buffer): number;
  unlink(path: SyncPath, flags: number): number;
  rename(from: SyncPath, to: SyncPath): number;
  mkdir(path: SyncPath, mode: number): number;
  link(existing: SyncPath, to: SyncPath): number;
  symlink(target: SyncPath, path: SyncPath): number;
  /**
   * readFileSync of a path in one call (open, fstat, read, close): a new Buffer (of which only
   * the first out[1] bytes were read where out[1] is not -1: the file shrank), or with `utf8` a
   * string (a Buffer past 256 MiB); or a number, which out[0] says the meaning of: -errno of
   * step 0 open, 1 fstat, 2 read or 3 close; 4: that many bytes (fewer than room's length) put
   * into `room`; 5: the size of a file larger than `max`, not read; 6: a regular file larger than
   * one call reads (a MiB), not read; 7: that many bytes of a file of unknown size, kept for
   * readFileRest.
   */
  readFile(path: SyncPath, flags: number, max: number, out: Int32Array, utf8: boolean, room: Buffer): Buffer | string | number;
  /** The bytes readFile kept (its 7) copied into `into` and let go of (null: let go of only): the count, or -EFAULT. */
  readFileRest(into: Buffer | null): number;
}

/**
 * One epoll set (the readiness API), its fd watched on this environment's loop while
 * `setWatching(true, ...)`. Registrations are known by a token chosen in lib/. Methods
 * return 0 or -errno unless said otherwise.
 */
export interface NativeEpoll {
  /** epoll_ctl ADD with `events` (EPOLL* bits, EPOLLET/EPOLLONESHOT included). */
  add(fd: number, events: number, token: number): number;
  /** epoll_ctl MOD (re-arms a fired one-shot item). -ENOENT/-EBADF: the fd was closed; the entry is dropped. */
  modify(token: number, events: number): number;
  /** epoll_ctl DEL; a registration whose fd is already closed is simply forgotten. */
  remove(token: number): number;
  /** 1 if the token's fd still refers to the registered file, 0 if not (entry dropped), -ENOENT if unknown. */
  check(token: number): number;
  /** Drop the entries whose fd was closed; writes [token, FD_CLOSED] pairs into `waitEvents` and returns how many. */
  sweep(): number;
  /** Block in epoll_wait (-1 = no limit); writes [token, events] pairs into `waitEvents`; count or -errno. */
  wait(timeoutMs: number): number;
  /** Watch the epoll fd on the loop (calling onEvents per batch), and whether that keeps the loop alive. */
  setWatching(watch: boolean, keepAlive: boolean): void;
  /** Close the epoll fd and stop watching. Idempotent. */
  close(): void;
  /** [wakeups, batches, events, rebuilds, closedFds, registrations] */
  counters(): number[];
  /** [token, events] pairs written before each onEvents(count) call. */
  readonly events: Int32Array;
  /** [token, events] pairs written by wait() and sweep(). */
  readonly waitEvents: Int32Array;
  /** The epoll fd (stable for the life of the object). */
  readonly fd: number;
}

export interface NativeEpollConstructor {
  new (maxEvents: number, onEvents: (count: number) => void): NativeEpoll;
}

export interface Binding {
  Ring: NativeRingConstructor;
  ThreadRing: NativeThreadRingConstructor;
  /** The io_uring opcodes this kernel supports (from a small ring of its own), or -errno. */
  probeIoUring(): number[] | number;
  sync: NativeSync;
  Epoll: NativeEpollConstructor;
  /**
   * A new table of `count` held fds (-1 free, fd held, ~fd being closed), with the entries of the
   * previous one; when the environment is torn down, the fds it holds are closed (lib/held.ts).
   */
  heldFds(count: number): Int32Array;
  /** Take the fd out of a held-fd slot and close it, in one call: 0 or -errno (-EBADF for an empty slot). */
  closeHeld(slot: number): number;
  /** CRC32C of `view[start, end)` continuing `crc` (0 to start), or -1 for a range outside the view. */
  crc32c(view: Uint8Array, crc: number, start: number, end: number): number;
  /** Whether crc32c runs on the CPU's CRC32C instruction (SSE4.2) rather than a table. */
  readonly crc32cHardware: boolean;
  /**
   * An ArrayBuffer of `size` uninitialized bytes of large memory (native/large_memory.h), given back
   * to the addon's pool when collected; undefined below largeMemoryMin, past the cap on memory
   * handed out, or where the runtime allows no external memory.
   */
  allocLarge(size: number): ArrayBuffer | undefined;
  /** The size from which allocLarge gives memory (2 MiB). */
  readonly largeMemoryMin: number;
  /** Bytes of large memory handed out and not given back (`held`), and idle in the pool (`pooled`); process-wide. */
  largeMemory(): { held: number; pooled: number };
}

const require = createRequire(import.meta.url);
const loadBinding = require('node-gyp-build') as (dir: string) => unknown;
// lib/binding.ts (tests) and dist/binding.js (package) both sit one level
// below the package root, where build/ and prebuilds/ are.
const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * The addon, or an error that says why it did not load (the loader's own message: a missing
 * prebuild for this platform, a glibc too old, ...) and how to build it from source instead.
 */
function loadAddon(): Binding {
  try {
    return loadBinding(packageRoot) as Binding;
  } catch (err) {
    const reason = err instanceof Error ? err.message.trim() : String(err);
    const message =
      `uringfs: the native addon did not load: ${reason}\n` +
      'Build it from source (needs a C++ compiler, make, python3 and liburing-dev; ' +
      'Debian/Ubuntu: apt-get install g++ make python3 liburing-dev), then: npm rebuild uringfs --foreground-scripts ' +
      '(npm 11 and later run a dependency\'s install script only once allowed: npm install-scripts approve uringfs)';
    throw Object.assign(new Error(message, { cause: err }), { code: 'ERR_URINGFS_NO_ADDON' });
  }
}

export const binding = loadAddon();
