// Argument validation and conversion, mirroring node:fs so that the same
// bad input gives the same error `code`. The native layer trusts what leaves
// this file (it still bounds-checks memory ranges as a last line).
import { Buffer } from 'node:buffer';
import { constants } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { types } from 'node:util';
import type { FileHandle as NodeFileHandle } from 'node:fs/promises';
import { AbortError, invalidArgType, invalidArgValue, invalidFdNative, outOfRange, unknownEncoding } from './errors.js';
import { bigIntPositionRange, readFileChecksBufferOption } from './node-rules.js';

export const kIoMaxLength = 2 ** 31 - 1;
const kMaxInt32 = 2 ** 31 - 1;

export type PathLike = string | Buffer | URL;
export type Position = number | bigint | null | undefined;

export function isArrayBufferView(v: unknown): v is NodeJS.ArrayBufferView {
  return ArrayBuffer.isView(v);
}

export function validateInteger(value: unknown, name: string, min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER): asserts value is number {
  if (typeof value !== 'number') throw invalidArgType(name, 'number', value);
  if (!Number.isInteger(value)) throw outOfRange(name, 'an integer', value);
  if (value < min || value > max) throw outOfRange(name, `>= ${min} && <= ${max}`, value);
}

export function validateInt32(value: unknown, name: string, min = -(2 ** 31), max = kMaxInt32): asserts value is number {
  if (typeof value !== 'number') throw invalidArgType(name, 'number', value);
  if (!Number.isInteger(value)) throw outOfRange(name, 'an integer', value);
  if (value < min || value > max) throw outOfRange(name, `>= ${min} && <= ${max}`, value);
}

/** Node's getValidatedFd: an int32 >= 0 (-0 is 0). */
export function validateFd(fd: unknown): number {
  if (Object.is(fd, -0)) return 0;
  validateInt32(fd, 'fd', 0);
  return fd;
}

/** An fd checked as node:fs's C++ checks it (close, fsync, fdatasync, fstat): same rule, its own wording. */
export function validateFdNative(fd: unknown): number {
  if (typeof fd === 'number' && Number.isInteger(fd) && fd >= 0 && fd <= 2 ** 31 - 1) return fd === 0 ? 0 : fd;
  throw invalidFdNative(fd);
}

/** Node's isInt32, which is also how readFile/writeFile tell an fd from a path. */
export function isInt32(value: unknown): boolean {
  return value === ((value as number) | 0);
}

export function validateBoolean(value: unknown, name: string): asserts value is boolean {
  if (typeof value !== 'boolean') throw invalidArgType(name, 'boolean', value);
}

export function validateAbortSignal(signal: unknown, name: string): asserts signal is AbortSignal | undefined {
  if (signal !== undefined && (signal === null || typeof signal !== 'object' || !('aborted' in signal))) {
    throw invalidArgType(name, 'AbortSignal', signal);
  }
}

export function validateBuffer(buffer: unknown, name = 'buffer'): asserts buffer is NodeJS.ArrayBufferView {
  if (!isArrayBufferView(buffer)) throw invalidArgType(name, ['Buffer', 'TypedArray', 'DataView'], buffer);
}

export function validateBufferArray(buffers: unknown, name = 'buffers'): NodeJS.ArrayBufferView[] {
  if (!Array.isArray(buffers)) throw invalidArgType(name, 'ArrayBufferView[]', buffers);
  for (let i = 0; i < buffers.length; i++) {
    if (!isArrayBufferView(buffers[i])) throw invalidArgType(name, 'ArrayBufferView[]', buffers);
  }
  return buffers as NodeJS.ArrayBufferView[];
}

export function validateFunction(fn: unknown, name: string): asserts fn is (...args: any[]) => unknown {
  if (typeof fn !== 'function') throw invalidArgType(name, 'Function', fn);
}

export function validateObject(value: unknown, name: string, nullable = false): void {
  if ((!nullable && value === null) || Array.isArray(value) || (value !== null && typeof value !== 'object')) {
    throw invalidArgType(name, 'object', value);
  }
}

/** Node's validateOffsetLengthRead. */
export function validateOffsetLengthRead(offset: number, length: number, bufferLength: number): void {
  if (offset < 0) throw outOfRange('offset', '>= 0', offset);
  if (length < 0) throw outOfRange('length', '>= 0', length);
  if (offset + length > bufferLength) throw outOfRange('length', `<= ${bufferLength - offset}`, length);
}

/** Node's validateOffsetLengthWrite. */
export function validateOffsetLengthWrite(offset: number, length: number, byteLength: number): void {
  if (offset > byteLength) throw outOfRange('offset', `<= ${byteLength}`, offset);
  if (length > byteLength - offset) throw outOfRange('length', `<= ${byteLength - offset}`, length);
  if (length < 0) throw outOfRange('length', '>= 0', length);
  validateInt32(length, 'length', 0);
}

/**
 * A read position as fs.read and fs.readSync take it: null/undefined for the current position;
 * an integer >= -1; or a bigint in the range the running node:fs takes (Node 20: any int64, a
 * negative one meaning the current position; Node 22 and later: -1 to 2^63 - 1 - length).
 * Negative positions mean the current file position (libuv reads with read(2) then), returned
 * as -1.
 */
export function validateReadPosition(position: unknown, length = 0): number | bigint {
  if (position == null) return -1;
  if (typeof position === 'number') {
    validateInteger(position, 'position', -1);
    return position;
  }
  if (typeof position === 'bigint') {
    const { min, max } = bigIntPositionRange(length);
    if (!(position >= min && position <= max)) throw outOfRange('position', `>= ${min} && <= ${max}`, position);
    return position < 0n ? -1 : position;
  }
  throw invalidArgType('position', ['integer', 'bigint'], position);
}

/** Node's write position: anything but a safe non-negative integer means the current position. */
export function writePosition(position: unknown): number {
  return typeof position === 'number' && Number.isSafeInteger(position) && position >= 0 ? position : -1;
}

/** Node's isURL: what counts as a URL object for a path argument. */
function isURL(v: unknown): v is URL {
  const u = v as { href?: unknown; protocol?: unknown; auth?: unknown; path?: unknown } | null | undefined;
  return Boolean(u?.href && u.protocol && u.auth === undefined && u.path === undefined);
}

/** A path as Node accepts it (string, Uint8Array, file: URL), without NUL bytes; Uint8Arrays come back as Buffers. */
export function validatePath(path: unknown, name = 'path'): string | Buffer {
  if (isURL(path)) path = fileURLToPath(path);
  if (typeof path === 'string') {
    if (path.includes('\u0000')) throw invalidArgValue(name, path, 'must be a string, Uint8Array, or URL without null bytes');
    return path;
  }
  if (types.isUint8Array(path)) {
    if (path.includes(0)) throw invalidArgValue(name, path, 'must be a string, Uint8Array, or URL without null bytes');
    return Buffer.isBuffer(path) ? path : Buffer.from(path.buffer, path.byteOffset, path.byteLength);
  }
  throw invalidArgType(name, ['string', 'Buffer', 'URL'], path);
}

/**
 * A path as an op carries it: a string as it is, a Buffer as its bytes with a NUL appended. The
 * sync calls convert a string natively; a ring's queue makes it bytes (pathBytes) as the op goes
 * to native code, which needs them until the op completes.
 */
export function opPath(path: string | Buffer): string | Buffer {
  return typeof path === 'string' ? path : pathBytes(path);
}

/** The NUL-terminated bytes the kernel takes; the op pins them until completion. */
export function pathBytes(path: string | Buffer): Buffer {
  if (typeof path === 'string') return Buffer.from(`${path}\0`);
  const out = Buffer.allocUnsafe(path.length + 1);
  path.copy(out);
  out[path.length] = 0;
  return out;
}

const { O_RDONLY, O_WRONLY, O_RDWR, O_CREAT, O_TRUNC, O_APPEND, O_EXCL, O_SYNC } = constants;
const stringFlags: Record<string, number> = {
  r: O_RDONLY,
  rs: O_RDONLY | O_SYNC,
  sr: O_RDONLY | O_SYNC,
  'r+': O_RDWR,
  'rs+': O_RDWR | O_SYNC,
  'sr+': O_RDWR | O_SYNC,
  w: O_TRUNC | O_CREAT | O_WRONLY,
  wx: O_TRUNC | O_CREAT | O_WRONLY | O_EXCL,
  xw: O_TRUNC | O_CREAT | O_WRONLY | O_EXCL,
  'w+': O_TRUNC | O_CREAT | O_RDWR,
  'wx+': O_TRUNC | O_CREAT | O_RDWR | O_EXCL,
  'xw+': O_TRUNC | O_CREAT | O_RDWR | O_EXCL,
  a: O_APPEND | O_CREAT | O_WRONLY,
  ax: O_APPEND | O_CREAT | O_WRONLY | O_EXCL,
  xa: O_APPEND | O_CREAT | O_WRONLY | O_EXCL,
  as: O_APPEND | O_CREAT | O_WRONLY | O_SYNC,
  sa: O_APPEND | O_CREAT | O_WRONLY | O_SYNC,
  'a+': O_APPEND | O_CREAT | O_RDWR,
  'ax+': O_APPEND | O_CREAT | O_RDWR | O_EXCL,
  'xa+': O_APPEND | O_CREAT | O_RDWR | O_EXCL,
  'as+': O_APPEND | O_CREAT | O_RDWR | O_SYNC,
  'sa+': O_APPEND | O_CREAT | O_RDWR | O_SYNC,
};

/** Open flags as Node's stringToFlags takes them: a number (int32), a known string, or null/undefined for 'r'. */
export function parseFlags(flags: unknown, name = 'flags'): number {
  if (typeof flags === 'number') {
    validateInt32(flags, name);
    return flags;
  }
  if (flags == null) return O_RDONLY;
  if (typeof flags === 'string' && Object.hasOwn(stringFlags, flags)) return stringFlags[flags];
  throw invalidArgValue('flags', flags);
}

/** A file mode as Node takes it: a number or an octal string; null/undefined is `fallback` (none: refused). */
export function parseMode(mode: unknown, fallback: number | undefined, name = 'mode'): number {
  mode ??= fallback;
  if (typeof mode === 'string') {
    if (!/^[0-7]+$/.test(mode)) throw invalidArgValue(name, mode, 'must be a 32-bit unsigned integer or an octal string');
    mode = parseInt(mode, 8);
  }
  validateInt32(mode, name, 0, 2 ** 32 - 1);
  return mode as number;
}

export type Encoding = BufferEncoding | 'buffer' | null;

/** Node's assertEncoding: a falsy encoding is none; anything else must be one Buffer knows. */
export function validateEncoding(encoding: unknown): Encoding {
  if (encoding && encoding !== 'buffer' && !Buffer.isEncoding(encoding as string)) {
    throw invalidArgValue('encoding', encoding, 'is invalid encoding');
  }
  return (encoding || null) as Encoding;
}

/** The encoding of a string write, as node:fs's C++ parses it: one Buffer knows, else utf8. */
export function stringEncoding(encoding: unknown): BufferEncoding {
  return typeof encoding === 'string' && Buffer.isEncoding(encoding) ? encoding : 'utf8';
}

export interface CommonOptions {
  encoding?: Encoding;
  flag?: string | number;
  mode?: number | string;
  signal?: AbortSignal;
}

/**
 * Node's getOptions: null/undefined/a function give the defaults, a string
 * is the encoding, an object is used as it is (not merged: a missing field is
 * undefined and each caller applies its own default, as node:fs does).
 */
export function getOptions<T extends object>(options: unknown, defaults: T): Partial<T> & { encoding?: unknown; signal?: AbortSignal } & Record<string, unknown> {
  if (options == null || typeof options === 'function') return defaults as Partial<T> & Record<string, unknown>;
  let o: Record<string, unknown>;
  if (typeof options === 'string') o = { ...defaults, encoding: options };
  else if (typeof options !== 'object') throw invalidArgType('options', ['string', 'Object'], options);
  else o = options as Record<string, unknown>;
  if (o.encoding !== 'buffer') validateEncoding(o.encoding);
  if (o.signal !== undefined) validateAbortSignal(o.signal, 'options.signal');
  return o as Partial<T> & { encoding?: unknown; signal?: AbortSignal } & Record<string, unknown>;
}

/** The bytes of a view as a Uint8Array over the same memory (empty for a detached one, which has none). */
export function viewBytes(view: NodeJS.ArrayBufferView): Uint8Array {
  if (view.byteLength === 0) return new Uint8Array(0);
  return new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
}

/** Data for writeFile/appendFile: views as they are, strings encoded; anything else is refused. */
export function dataBytes(data: unknown, encoding: unknown, name = 'data'): Uint8Array {
  if (isArrayBufferView(data)) return viewBytes(data);
  if (typeof data === 'string') return Buffer.from(data, (encoding || 'utf8') as BufferEncoding);
  throw invalidArgType(name, ['string', 'Buffer', 'TypedArray', 'DataView'], data);
}

/** node:fs's copyObject: own and inherited enumerable properties, copied. */
export function copyObject(source: object): Record<string, unknown> {
  const target: Record<string, unknown> = {};
  // eslint-disable-next-line guard-for-in
  for (const key in source) target[key] = (source as Record<string, unknown>)[key];
  return target;
}

/** Node's checkAborted: an AbortError (code ABORT_ERR, the signal's reason as cause) when the signal fired. */
export function checkAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new AbortError(undefined, { cause: signal.reason });
}

export { unknownEncoding };

/**
 * readFile's `options.buffer` (a view to read into, or a function given the file's size that
 * returns one), where the running node:fs takes it (Node 24.21 and later): checked as node:fs
 * checks it, and returned for readFileSteps. Undefined where there is none, or where node:fs
 * ignores it.
 */
export function checkReadFileBufferOption(options: unknown): unknown {
  if (options === null || typeof options !== 'object' || !readFileChecksBufferOption()) return undefined;
  const buffer = (options as { buffer?: unknown }).buffer;
  if (buffer !== undefined && typeof buffer !== 'function' && !isArrayBufferView(buffer)) {
    throw invalidArgType('options.buffer', ['function', 'Buffer', 'TypedArray', 'DataView'], buffer);
  }
  return buffer;
}

/**
 * Whether `value` is a FileHandle of node:fs/promises. Node does not export the class; its
 * instances are told by their class's name and the kHandle and kFd symbols Node 20, 22 and 24 give
 * them. uringfs passes such a handle to Node's own function, which holds it while it works (as
 * Node's functions do): a read of its fd on the ring could not stop the handle's close meanwhile,
 * nor the fd's number going to another file after it.
 */
export function isNodeFileHandle(value: unknown): value is NodeFileHandle {
  if (typeof value !== 'object' || value === null) return false;
  try {
    if (value.constructor?.name !== 'FileHandle') return false;
    const names = Object.getOwnPropertySymbols(value).map((s) => s.description);
    return names.includes('kHandle') && names.includes('kFd');
  } catch {
    return false;  // a revoked Proxy, a throwing `constructor` getter: not a FileHandle
  }
}
