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
  path?: string | Buffer;
  dest?: string | Buffer;
}

/**
 * The error Node's fs raises for a failed syscall, e.g.
 * `ENOENT: no such file or directory, open '/x'` with `errno` (negative),
 * `code`, `syscall`, `path` and, for rename, `dest`.
 */
export function systemError(errno: number, syscall: string, path?: string | Buffer, dest?: string | Buffer): SystemError {
  const [code, description] = systemErrors.get(errno) ?? ['UNKNOWN', 'unknown error'];
  let message = `${code}: ${description}, ${syscall}`;
  if (path !== undefined) message += ` '${path}'`;
  if (dest !== undefined) message += ` -> '${dest}'`;
  const err = new Error(message) as SystemError;
  err.errno = errno;
  err.code = code;
  err.syscall = syscall;
  if (path !== undefined) err.path = path;
  if (dest !== undefined) err.dest = dest;
  Error.captureStackTrace?.(err, systemError);
  return err;
}

function describeReceived(value: unknown): string {
  if (value == null) return ` Received ${value}`;
  if (typeof value === 'function') return ` Received function ${(value as { name?: string }).name || '<anonymous>'}`;
  if (typeof value === 'object') {
    const ctor = (value as object).constructor?.name;
    return ctor ? ` Received an instance of ${ctor}` : ` Received ${inspect(value, { depth: -1 })}`;
  }
  let shown = inspect(value, { colors: false });
  if (shown.length > 28) shown = `${shown.slice(0, 25)}...`;
  return ` Received type ${typeof value} (${shown})`;
}

function withCode<E extends Error>(err: E, code: string): E & { code: string } {
  const e = err as E & { code: string };
  Object.defineProperty(e, 'code', { value: code, enumerable: true, writable: true, configurable: true });
  // Node shows the code in the stack's first line: "TypeError [ERR_X]: ...".
  const name = e.name;
  e.name = `${name} [${code}]`;
  void e.stack;
  e.name = name;
  return e;
}


/** `ERR_INVALID_ARG_TYPE`: a TypeError naming the argument and what it must be. */
export function invalidArgType(name: string, expected: string | string[], actual: unknown): TypeError {
  const list = Array.isArray(expected) ? expected : [expected];
  const types: string[] = [];
  const instances: string[] = [];
  for (const e of list) (/^[A-Z]/.test(e) ? instances : types).push(e);
  const join = (a: string[]) => (a.length <= 2 ? a.join(' or ') : `${a.slice(0, -1).join(', ')}, or ${a[a.length - 1]}`);
  const kind = name.includes('.') ? 'property' : 'argument';
  let msg = `The "${name}" ${kind} must be `;
  if (types.length) msg += `${types.length > 1 ? 'one of type' : 'of type'} ${join(types)}`;
  if (types.length && instances.length) msg += ' or ';
  if (instances.length) msg += `${types.length ? '' : ''}an instance of ${join(instances)}`;
  msg += `.${describeReceived(actual)}`;
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

/** Raised by ops on a ring that was closed. */
export function ringClosed(syscall: string): Error {
  return withCode(new Error(`The ring is closed; cannot ${syscall}`), 'ERR_URINGFS_RING_CLOSED');
}

