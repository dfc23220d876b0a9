// Which native backend a Ring runs on: io_uring (completion-based), or the
// thread pool (blocking syscalls offloaded to worker threads) when io_uring
// is blocked or too old. Both implement NativeRing, so nothing above
// lib/ring.ts knows which one runs; `fallbackReason` says why the pool was
// taken, in words a user can act on.
import { readFileSync } from 'node:fs';
import { getSystemErrorMap } from 'node:util';
import { binding, type NativeRing } from './binding.js';
import { invalidArgValue, systemError, type SystemError } from './errors.js';
import { validateInteger } from './validate.js';

export type BackendName = 'io_uring' | 'threads';
export type BackendRequest = 'auto' | BackendName;

export interface BackendOptions {
  /** 'auto' (default): io_uring, or the thread pool when io_uring is unavailable. Overridden by URINGFS_BACKEND. */
  backend?: BackendRequest;
  /** Worker threads of the thread-pool backend, 1 to 1024. Default 8 (see docs/backends.md for the measurement). */
  threads?: number;
}

/** io_uring_setup flags to try in turn (the next only after EINVAL), and SQPOLL's idle time. */
export interface RingSetup {
  attempts: number[];
  idleMs: number;
  /** The flags were asked for: a kernel refusing them (EINVAL) is an error, not a reason to fall back. */
  explicit: boolean;
}

export interface Backend {
  native: NativeRing;
  backend: BackendName;
  /** Why 'auto' fell back to the thread pool; null when it did not. */
  fallbackReason: string | null;
}

/** A system error for an io_uring that cannot be had, with the reason in its message. */
export interface IoUringUnavailableError extends SystemError {
  reason: string;
}

/** Worker threads of the pool backend unless told otherwise (bench/pool-size.mjs; docs/backends.md). */
export const DEFAULT_THREADS = 8;
const MAX_THREADS = 1024;
const REQUESTS: readonly BackendRequest[] = ['auto', 'io_uring', 'threads'];

/** The io_uring opcodes (linux/io_uring.h) the engine issues, by name. */
export const IoUringOpcodes = {
  IORING_OP_NOP: 0,
  IORING_OP_READV: 1,
  IORING_OP_WRITEV: 2,
  IORING_OP_FSYNC: 3,
  IORING_OP_ASYNC_CANCEL: 14,
  IORING_OP_OPENAT: 18,
  IORING_OP_CLOSE: 19,
  IORING_OP_STATX: 21,
  IORING_OP_READ: 22,
  IORING_OP_WRITE: 23,
  IORING_OP_RENAMEAT: 35,
  IORING_OP_UNLINKAT: 36,
  IORING_OP_MKDIRAT: 37,
  IORING_OP_SYMLINKAT: 38,
  IORING_OP_LINKAT: 39,
} as const;
export const REQUIRED_OPCODES: readonly number[] = Object.values(IoUringOpcodes);

const systemErrors = getSystemErrorMap();
const EOPNOTSUPP = -95;
const EINVAL = -22;

/** What to do about a failed setup syscall, by errno code. */
function setupHint(errno: number, syscall: string): string {
  const code = systemErrors.get(errno)?.[0];
  switch (code) {
    case 'EPERM': {
      const disabled = ioUringDisabledSysctl();
      if (disabled !== null && disabled > 0) {
        return `blocked by kernel.io_uring_disabled=${disabled}` +
          (disabled === 1 ? ' (only members of kernel.io_uring_group may use io_uring)' : '');
      }
      return "blocked by a seccomp profile (Docker's default profile blocks io_uring) or kernel.io_uring_disabled";
    }
    case 'ENOSYS':
      return 'io_uring not available in this kernel (CONFIG_IO_URING off, or before Linux 5.1) or blocked by seccomp';
    case 'ENOMEM':
      return 'RLIMIT_MEMLOCK too low for the ring (raise `ulimit -l`, or --ulimit memlock in Docker), or out of memory';
    case 'EINVAL':
      return syscall === 'io_uring_setup' ? 'kernel too old for the ring parameters' : 'kernel too old';
    case 'EMFILE': case 'ENFILE':
      return 'too many open files';
    default:
      return systemErrors.get(errno)?.[1] ?? 'unexpected error';
  }
}

/** kernel.io_uring_disabled (0 allowed, 1 group only, 2 disabled), or null where the sysctl does not exist. */
function ioUringDisabledSysctl(): number | null {
  try {
    const v = Number.parseInt(readFileSync('/proc/sys/kernel/io_uring_disabled', 'latin1'), 10);
    return Number.isNaN(v) ? null : v;
  } catch {
    return null;
  }
}

function unavailable(errno: number, syscall: string, reason: string): IoUringUnavailableError {
  const err = systemError(errno, syscall) as IoUringUnavailableError;
  err.message = reason;
  err.reason = reason;
  Error.captureStackTrace?.(err, createBackend);
  return err;
}

function setupFailure(errno: number, syscall: string): IoUringUnavailableError {
  const code = systemErrors.get(errno)?.[0] ?? String(errno);
  return unavailable(errno, syscall, `${syscall} failed: ${code} — ${setupHint(errno, syscall)}`);
}

// The kernel's opcode support does not change while the process runs; probe
// once per JS environment (each worker thread has its own module instance).
let supportedOpcodes: Set<number> | number | undefined;

function probe(): Set<number> | number {
  if (supportedOpcodes === undefined) {
    const r = binding.probeIoUring();
    supportedOpcodes = typeof r === 'number' ? r : new Set(r);
  }
  return supportedOpcodes;
}

/** IORING_OP_FTRUNCATE: Linux 6.9. Not required: where the kernel lacks it, ftruncate is node:fs's own. */
const IORING_OP_FTRUNCATE = 55;

/**
 * @internal Whether this kernel's io_uring truncates (IORING_OP_FTRUNCATE). URINGFS_TEST_NO_FTRUNCATE=1
 * answers no, so that the path of older kernels is tested here too.
 */
export function ioUringTruncates(): boolean {
  if (process.env.URINGFS_TEST_NO_FTRUNCATE === '1') return false;
  const supported = probe();
  return typeof supported !== 'number' && supported.has(IORING_OP_FTRUNCATE);
}

function opcodeName(op: number): string {
  for (const [name, value] of Object.entries(IoUringOpcodes)) if (value === op) return name;
  return `opcode ${op}`;
}

/** Why io_uring cannot carry the ops the engine needs, or null when it can. */
function missingOpcodes(required: readonly number[]): IoUringUnavailableError | null {
  const supported = probe();
  if (typeof supported === 'number') {
    if (supported === EINVAL) {
      return unavailable(supported, 'io_uring_register', 'io_uring_register failed: EINVAL — kernel too old to probe io_uring opcodes (before Linux 5.6)');
    }
    return setupFailure(supported, 'io_uring_setup');
  }
  const missing = required.filter((op) => !supported.has(op));
  if (missing.length === 0) return null;
  return unavailable(EOPNOTSUPP, 'io_uring_register',
    `io_uring lacks ${missing.map(opcodeName).join(', ')} — kernel too old for uringfs's io_uring backend`);
}

/**
 * The backend asked for: an explicit 'io_uring' or 'threads' option wins;
 * otherwise (no option, or 'auto') URINGFS_BACKEND decides, like libuv's
 * UV_USE_IO_URING; otherwise 'auto'.
 */
export function resolveBackendRequest(option: unknown): BackendRequest {
  if (option !== undefined && !REQUESTS.includes(option as BackendRequest)) {
    throw invalidArgValue('options.backend', option, "must be one of: 'auto', 'io_uring', 'threads'");
  }
  if (option === 'io_uring' || option === 'threads') return option;
  const env = process.env.URINGFS_BACKEND;
  if (env === undefined || env === '') return 'auto';
  if (!REQUESTS.includes(env as BackendRequest)) {
    throw invalidArgValue('URINGFS_BACKEND', env, "must be one of: 'auto', 'io_uring', 'threads'");
  }
  return env as BackendRequest;
}

/**
 * Create the native ring: io_uring if asked for or if 'auto' can have it,
 * else the thread pool. An explicit io_uring request that cannot be met
 * throws a system error whose message (and `reason`) says why.
 * `requiredOpcodes` is what the probe must find (tests pass more).
 */
export function createBackend(
  entries: number,
  setup: RingSetup,
  onCompletions: (count: number) => void,
  options: BackendOptions = {},
  requiredOpcodes: readonly number[] = REQUIRED_OPCODES,
): Backend {
  const request = resolveBackendRequest(options.backend);
  const threads = options.threads ?? DEFAULT_THREADS;
  validateInteger(threads, 'options.threads', 1, MAX_THREADS);
  const pool = (): NativeRing => new binding.ThreadRing(entries, setup.attempts[0], setup.idleMs, onCompletions, threads);
  if (request === 'threads') return { native: pool(), backend: 'threads', fallbackReason: null };

  let native: NativeRing | null = null;
  let failure: IoUringUnavailableError | null = null;
  let lastError: unknown;
  for (const flags of setup.attempts) {
    try {
      native = new binding.Ring(entries, flags, setup.idleMs, onCompletions);
      break;
    } catch (e) {
      lastError = e;
      // Only EINVAL (a flag this kernel lacks) is worth another attempt.
      if ((e as { errno?: number }).errno !== EINVAL) break;
    }
  }
  if (native === null) {
    const err = lastError as { errno?: number; syscall?: string };
    if (typeof err.errno !== 'number') throw lastError;
    const syscall = err.syscall ?? 'io_uring_setup';
    // Options this kernel refuses (SQPOLL, DEFER_TASKRUN...) are the caller's to change.
    if (err.errno === EINVAL && setup.explicit) throw systemError(err.errno, syscall);
    failure = setupFailure(err.errno, syscall);
  }
  if (native !== null) {
    failure = missingOpcodes(requiredOpcodes);
    if (failure === null) return { native, backend: 'io_uring', fallbackReason: null };
    native.shutdown();
  }
  if (request === 'io_uring') throw failure!;
  return { native: pool(), backend: 'threads', fallbackReason: failure!.reason };
}
