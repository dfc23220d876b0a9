// Errors in Node's own shapes. System errors are built here from the
// negative errno a syscall or CQE returned (the native layer never builds
// errors); argument errors carry Node's `code`s.
import { getSystemErrorMap } from 'node:util';
import { inspect } from 'node:util';

const systemErrors = getSystemErrorMap();

export interface SystemError extends Error {
  errno: number;
  code: string;
  syscall: string;
  path?: string;
  dest?: string;
}

/** A path as a system error names it: UTF-8 decoded from what the kernel got (see systemError). */
function shownPath(path: string | Buffer): string {
  if (typeof path !== 'string') return path.toString();
  // String.prototype.isWellFormed and toWellFormed (ES2024; in Node 20 and later).
  const s = path as string & { isWellFormed(): boolean; toWellFormed(): string };
  return s.isWellFormed() ? path : s.toWellFormed();
}

/**
 * The error Node's fs raises for a failed syscall, e.g.
 * `ENOENT: no such file or directory, open '/x'` with `errno` (negative),
 * `code`, `syscall`, `path` and, for rename, `dest`.
 */
export function systemError(errno: number, syscall: string, path?: string | Buffer, dest?: string | Buffer): SystemError {
  const [code, description] = systemErrors.get(errno) ?? ['UNKNOWN', 'unknown error'];
  // Paths are reported as the kernel got them, decoded: a Buffer's invalid bytes and a string's
  // lone surrogates as U+FFFD, as node:fs reports them.
  if (path !== undefined) path = shownPath(path);
  if (dest !== undefined) dest = shownPath(dest);
  let message = `${code}: ${description}, ${syscall}`;
  if (path !== undefined) message += ` '${path}'`;
  if (dest !== undefined) message += ` -> '${dest}'`;
  // The stack is captured once, below, without this function's frame (as Node's uvException
  // does): `new Error` would capture one of its own first, which costs as much again.
  const err = withoutStack(() => new Error(message)) as SystemError;
  err.errno = errno;
  err.code = code;
  err.syscall = syscall;
  if (path !== undefined) err.path = path;
  if (dest !== undefined) err.dest = dest;
  Error.captureStackTrace?.(err, systemError);
  return err;
}

/**
 * Give `err`, if it was made without a stack (withoutStack), the frames below `fn`'s: in a sync
 * call, its caller's; in a promise's rejection handler, those of the async functions awaiting it.
 */
export function addFrames(err: unknown, fn: (...args: any[]) => unknown): void {
  if (err instanceof Error && typeof err.stack === 'string' && !err.stack.includes('\n    at ')) Error.captureStackTrace?.(err, fn);
}

/**
 * `make()` with Error.stackTraceLimit 0 where it can be set (not with frozen intrinsics, nor where
 * the limit was removed): errors made in it have no stack. (Asked with Reflect.set, not a property
 * descriptor: this runs on every failed call, and existence checks fail often.)
 */
export function withoutStack<T>(make: () => T): T {
  const limit = Error.stackTraceLimit;
  if (typeof limit !== 'number' || !Reflect.set(Error, 'stackTraceLimit', 0)) return make();
  try {
    return make();
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/** How Node names the value an argument error received (its determineSpecificType). */
function describeReceived(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  switch (typeof value) {
    case 'bigint': return `type bigint (${value}n)`;
    case 'number':
      if (Object.is(value, -0)) return 'type number (-0)';
      return `type number (${value})`;
    case 'boolean': return `type boolean (${value})`;
    case 'symbol': return `type symbol (${String(value)})`;
    case 'function': return `function ${(value as { name?: string }).name}`;
    case 'object': {
      const ctor = (value as object).constructor;
      if (ctor && 'name' in ctor) return `an instance of ${ctor.name}`;
      return inspect(value, { depth: -1 });
    }
    case 'string': {
      let s = value as string;
      if (s.length > 28) s = `${s.slice(0, 25)}...`;
      return s.includes("'") ? `type string (${JSON.stringify(s)})` : `type string ('${s}')`;
    }
    default: return `type ${typeof value} (${inspect(value, { colors: false })})`;
  }
}

/**
 * How node:fs's C++ names a received value (its DetermineSpecificErrorType),
 * used where node:fs checks an argument in C++ rather than JS (the fd of
 * close, fsync, fdatasync, fstat; from Node 22 also readSync, writeSync,
 * readvSync, writevSync): bigints without the `n`, functions without their
 * name, symbols bare, objects by constructor.
 */
function describeReceivedNative(value: unknown): string {
  if (typeof value === 'bigint') return `type bigint (${value})`;
  if (typeof value === 'function') return 'function';
  if (typeof value === 'symbol') return String(value);
  if (value !== null && typeof value === 'object') return `an instance of ${(value as object).constructor?.name ?? 'Object'}`;
  return describeReceived(value);
}

/** `ERR_INVALID_ARG_TYPE` / `ERR_OUT_OF_RANGE` for an fd, worded as node:fs's C++ words them. */
export function invalidFdNative(fd: unknown): Error {
  if (typeof fd !== 'number') {
    return withCode(new TypeError(`The "fd" argument must be of type number. Received ${describeReceivedNative(fd)}`), 'ERR_INVALID_ARG_TYPE', true);
  }
  const range = fd < 0 || fd > 2 ** 31 - 1;
  const must = range && Number.isFinite(fd) ? `>= 0 && <= ${2 ** 31 - 1}` : 'an integer';
  return withCode(new RangeError(`The value of "fd" is out of range. It must be ${must}. Received ${String(fd)}`), 'ERR_OUT_OF_RANGE', true);
}

/** `String(err)` of Node's own errors with a code: "TypeError [ERR_X]: message". */
function toStringWithCode(this: Error & { code: string }): string {
  return `${this.name} [${this.code}]: ${this.message}`;
}

/**
 * Node's error classes carry `code` as an own enumerable field and show it in the stack's first
 * line and in `String(err)` (their toString; here an own hidden one, the class being the plain one).
 * The errors node:fs raises from C++ (`fromCpp`) are plain errors: String(err) has no code.
 */
export function withCode<E extends Error>(err: E, code: string, fromCpp = false): E & { code: string } {
  const e = err as E & { code: string };
  Object.defineProperty(e, 'code', { value: code, enumerable: true, writable: true, configurable: true });
  if (!fromCpp) Object.defineProperty(e, 'toString', { value: toStringWithCode, writable: true, configurable: true });
  // The stack's first line shows the code ("TypeError [ERR_X]: ..."), as it
  // does for most of Node's own errors; `name` stays the inherited one.
  Object.defineProperty(e, 'name', { value: `${e.name} [${code}]`, configurable: true, writable: true });
  void e.stack;
  delete (e as { name?: string }).name;
  return e;
}

const kTypes = ['string', 'function', 'number', 'object', 'Function', 'Object', 'boolean', 'bigint', 'symbol'];
const classRegExp = /^[A-Z][a-zA-Z0-9]*$/;

function formatList(a: string[], type: string): string {
  if (a.length <= 2) return a.join(` ${type} `);
  return `${a.slice(0, -1).join(', ')}, ${type} ${a[a.length - 1]}`;
}

/** `ERR_INVALID_ARG_TYPE`: a TypeError naming the argument and what it must be, worded as Node words it. */
export function invalidArgType(name: string, expected: string | string[], actual: unknown): TypeError {
  const list = Array.isArray(expected) ? expected : [expected];
  let msg = 'The ';
  if (name.endsWith(' argument')) msg += `${name} `;
  else msg += `"${name}" ${name.includes('.') ? 'property' : 'argument'} `;
  msg += 'must be ';
  const types: string[] = [];
  const instances: string[] = [];
  const other: string[] = [];
  for (const e of list) {
    if (kTypes.includes(e)) types.push(e.toLowerCase());
    else if (classRegExp.test(e)) instances.push(e);
    else other.push(e);
  }
  if (instances.length > 0) {
    const pos = types.indexOf('object');
    if (pos !== -1) {
      types.splice(pos, 1);
      instances.push('Object');
    }
  }
  if (types.length > 0) {
    msg += `${types.length > 1 ? 'one of type' : 'of type'} ${formatList(types, 'or')}`;
    if (instances.length > 0 || other.length > 0) msg += ' or ';
  }
  if (instances.length > 0) {
    msg += `an instance of ${formatList(instances, 'or')}`;
    if (other.length > 0) msg += ' or ';
  }
  if (other.length > 0) {
    if (other.length > 1) msg += `one of ${formatList(other, 'or')}`;
    else msg += `${other[0].toLowerCase() !== other[0] ? 'an ' : ''}${other[0]}`;
  }
  msg += `. Received ${describeReceived(actual)}`;
  return withCode(new TypeError(msg), 'ERR_INVALID_ARG_TYPE');
}

/** `ERR_OUT_OF_RANGE`: a RangeError with Node's wording. */
export function outOfRange(name: string, range: string, received: unknown): RangeError {
  let shown: string;
  if (typeof received === 'number' && Number.isInteger(received) && Math.abs(received) > 2 ** 32) {
    shown = addUnderscores(String(received));
  } else if (typeof received === 'bigint') {
    shown = `${received > 2n ** 32n || received < -(2n ** 32n) ? addUnderscores(String(received)) : String(received)}n`;
  } else {
    shown = inspect(received);
  }
  return withCode(new RangeError(`The value of "${name}" is out of range. It must be ${range}. Received ${shown}`), 'ERR_OUT_OF_RANGE');
}

function addUnderscores(s: string): string {
  const neg = s.startsWith('-');
  let digits = neg ? s.slice(1) : s;
  let out = '';
  while (digits.length > 3) {
    out = `_${digits.slice(-3)}${out}`;
    digits = digits.slice(0, -3);
  }
  return `${neg ? '-' : ''}${digits}${out}`;
}

/** `ERR_INVALID_ARG_VALUE`: a TypeError (or RangeError) for a value of the right type but unusable. */
export function invalidArgValue(name: string, value: unknown, reason = 'is invalid', Ctor: ErrorConstructor | TypeErrorConstructor | RangeErrorConstructor = TypeError): Error {
  const kind = name.includes('.') ? 'property' : 'argument';
  let shown = inspect(value);
  if (shown.length > 128) shown = `${shown.slice(0, 128)}...`;
  return withCode(new Ctor(`The ${kind} '${name}' ${reason}. Received ${shown}`), 'ERR_INVALID_ARG_VALUE');
}

/** `ERR_UNKNOWN_ENCODING` */
export function unknownEncoding(encoding: unknown): TypeError {
  return withCode(new TypeError(`Unknown encoding: ${String(encoding)}`), 'ERR_UNKNOWN_ENCODING');
}

/** `ERR_FS_FILE_TOO_LARGE`: a RangeError for a file readFile cannot hold in one Buffer. */
export function fileTooLarge(size: number): RangeError {
  return withCode(new RangeError(`File size (${size}) is greater than 2 GiB`), 'ERR_FS_FILE_TOO_LARGE');
}

/**
 * What a caller gets when closing after a failure fails too, as node:fs gives it: the first error
 * alone when only one happened, else an AggregateError of both with the first one's message and
 * code (or the first one itself, with the second added, when it is an AggregateError already).
 */
export function firstThenClose(first: Error | null, closeErr: Error | null): Error | null {
  if (first === null || closeErr === null || first === closeErr) return first ?? closeErr;
  const errors = (first as { errors?: unknown }).errors;
  if (Array.isArray(errors)) {
    errors.push(closeErr);
    return first;
  }
  const both = new AggregateError([first, closeErr], first.message) as AggregateError & { code?: unknown };
  both.code = (first as Error & { code?: unknown }).code;
  return both;
}

/**
 * What node:fs/promises rejects with when a FileHandle method is called on an object that is not
 * one (its fsCall's internal assertion), text and all.
 */
export function notAFileHandle(): Error {
  const err = new Error('handle must be an instance of FileHandle\nThis is caused by either a bug in Node.js or incorrect usage of Node.js internals.\n' +
    'Please open an issue with this stack trace at https://github.com/nodejs/node/issues\n');
  return withCode(err, 'ERR_INTERNAL_ASSERTION');
}

/** Node's AbortError (what an aborted `signal` rejects with). */
export class AbortError extends Error {
  code: string;
  constructor(message = 'The operation was aborted', options?: { cause?: unknown }) {
    super(message, options);
    this.code = 'ABORT_ERR';
    this.name = 'AbortError';
  }
}

/** Raised by ops on a ring that was closed. */
/**
 * A read from a pipe, FIFO, socket or tty completed after its buffer was detached (transferred):
 * the bytes it consumed could not be delivered. `bytesRead` says how many were dropped.
 */
export function bufferDetached(syscall: string, dropped: number): Error {
  const err = withCode(new Error(`The buffer was detached (transferred) while the ${syscall} was in flight; the ${dropped} bytes read were dropped`), 'ERR_URINGFS_BUFFER_DETACHED');
  return Object.assign(err, { syscall, bytesRead: dropped });
}

export function ringClosed(syscall: string): Error {
  return withCode(new Error(`The ring is closed; cannot ${syscall}`), 'ERR_URINGFS_RING_CLOSED');
}

/**
 * Raised by ops on an SQPOLL ring once the process's effective uid or gid differ from those the
 * ring was made with: its kernel thread would still run them with the old credentials.
 */
export function sqpollCredentials(syscall: string): Error {
  return withCode(new Error(
    `The ring's SQPOLL thread keeps the credentials the ring was made with, and the process's effective uid or gid changed since; cannot ${syscall}. Make a new Ring after changing credentials`,
  ), 'ERR_URINGFS_SQPOLL_CREDENTIALS');
}

/** An op that did not complete because the ring lost an fd of its own (closed behind its back). */
export function ringLost(syscall: string): Error {
  return withCode(new Error(`The ring was lost: an fd of its own was closed by code that does not own it; cannot ${syscall}`), 'ERR_URINGFS_RING_LOST');
}
