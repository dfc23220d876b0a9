// Argument validation and conversion, mirroring node:fs so that the same
// bad input gives the same error `code`. The native layer trusts what leaves
// this file (it still bounds-checks memory ranges as a last line).
import { Buffer } from 'node:buffer';
import { constants } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { invalidArgType, invalidArgValue, outOfRange, unknownEncoding } from './errors.js';

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

export function validateFd(fd: unknown): number {
  validateInt32(fd, 'fd', 0);
  return fd;
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
  if (typeof fn !== 'function') throw invalidArgType(name, 'function', fn);
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
 * A read position: null/undefined/-1 mean "the current file position"
 * (returned as -1); otherwise an integer or bigint within what the kernel's
 * 64-bit offset can address.
 */
export function validateReadPosition(position: Position, length: number): number | bigint {
  if (position == null) return -1;
  if (typeof position === 'number') {
    validateInteger(position, 'position', -1);
    return position;
  }
  if (typeof position === 'bigint') {
    const max = 2n ** 63n - 1n - BigInt(length);
    if (!(position >= -1n && position <= max)) throw outOfRange('position', `>= -1 && <= ${max}`, position);
    return position;
  }
  throw invalidArgType('position', ['integer', 'bigint'], position);
}

/** Node's write position: anything but a safe non-negative integer means the current position. */
export function writePosition(position: unknown): number {
  return typeof position === 'number' && Number.isSafeInteger(position) && position >= 0 ? position : -1;
}

/** A path as Node accepts it (string, Buffer, file: URL), kept for error messages. */
export function validatePath(path: unknown, name = 'path'): string | Buffer {
  if (typeof path === 'string') {
    if (path.includes('\u0000')) throw invalidArgValue(name, path, 'must be a string, Uint8Array, or URL without null bytes');
    return path;
  }
  if (path instanceof Uint8Array) {
    if (path.includes(0)) throw invalidArgValue(name, path, 'must be a string, Uint8Array, or URL without null bytes');
    return Buffer.isBuffer(path) ? path : Buffer.from(path.buffer, path.byteOffset, path.byteLength);
  }
  if (path instanceof URL || (path != null && typeof (path as URL).href === 'string' && (path as URL).protocol !== undefined)) {
    return validatePath(fileURLToPath(path as URL), name);
  }
  throw invalidArgType(name, ['string', 'Buffer', 'URL'], path);
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

/** Open flags as Node takes them: a string like 'r+' or a number. */
export function parseFlags(flags: unknown, fallback: string | number = 'r'): number {
  if (flags == null) flags = fallback;
  if (typeof flags === 'number') {
    validateInt32(flags, 'flags');
    return flags;
  }
  if (typeof flags === 'string') {
    const f = stringFlags[flags];
    if (f !== undefined) return f;
  }
  throw invalidArgValue('flags', flags);
}

/** A file mode as Node takes it: a number or an octal string. */
export function parseMode(mode: unknown, fallback: number, name = 'mode'): number {
  if (mode == null) return fallback;
  if (typeof mode === 'string') {
    if (!/^[0-7]+$/.test(mode)) throw invalidArgValue(name, mode, 'must be a 32-bit unsigned integer or an octal string');
    mode = parseInt(mode, 8);
  }
  validateInt32(mode, name, 0, 2 ** 32 - 1);
  return mode as number;
}

export type Encoding = BufferEncoding | 'buffer' | null;

export function validateEncoding(encoding: unknown): Encoding {
  if (encoding == null || encoding === 'buffer') return encoding as Encoding;
  if (typeof encoding === 'string' && Buffer.isEncoding(encoding)) return encoding as BufferEncoding;
  throw invalidArgValue('encoding', encoding, 'is invalid encoding');
}

export interface CommonOptions {
  encoding?: Encoding;
  flag?: string | number;
  mode?: number | string;
  signal?: AbortSignal;
}

/** Options given as an object or as an encoding string, merged over defaults. */
export function getOptions<T extends object>(options: unknown, defaults: T): T & { encoding?: Encoding } {
  if (options == null || typeof options === 'function') return defaults;
  if (typeof options === 'string') {
    return { ...defaults, encoding: validateEncoding(options) };
  }
  if (typeof options !== 'object') throw invalidArgType('options', ['string', 'Object'], options);
  const merged = { ...defaults, ...(options as object) } as T & { encoding?: Encoding };
  if (merged.encoding != null && merged.encoding !== 'buffer' && !Buffer.isEncoding(merged.encoding)) {
    throw invalidArgValue('encoding', merged.encoding, 'is invalid encoding');
  }
  return merged;
}

/** Data for writeFile/appendFile: strings are encoded, views are used as they are. */
export function dataBytes(data: unknown, encoding: Encoding | undefined, name = 'data'): Uint8Array {
  if (typeof data === 'string') return Buffer.from(data, (encoding && encoding !== 'buffer' ? encoding : 'utf8') as BufferEncoding);
  if (isArrayBufferView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  throw invalidArgType(name, ['string', 'Buffer', 'TypedArray', 'DataView'], data);
}

export function checkAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) {
    const err = new Error('The operation was aborted') as Error & { code: string; cause?: unknown };
    err.name = 'AbortError';
    err.code = 'ABORT_ERR';
    err.cause = signal.reason;
    throw err;
  }
}

export { unknownEncoding };
