// Argument forms shared by the flavours, following node:fs function by
// function so that the same call is accepted or refused the same way.
import { Buffer } from 'node:buffer';
import { invalidArgType, invalidArgValue } from './errors.js';
import {
  getOptions, isArrayBufferView, parseFlags, parseMode, validateBuffer, validateEncoding, validateInteger,
  validateObject, validateOffsetLengthRead, validateOffsetLengthWrite, validatePath, validateReadPosition,
  writePosition, dataBytes, type Encoding,
} from './validate.js';

type View = NodeJS.ArrayBufferView;

export interface ReadArgs { buffer: View; offset: number; length: number; position: number | bigint }
export interface WriteArgs { buffer: View; offset: number; length: number; position: number; text?: string }

/**
 * The checks node:fs makes after the argument forms are resolved into
 * buffer, offset, length, position. Returns null for a zero-length read
 * (which completes with 0 without a syscall, as in Node).
 */
export function checkRead(buffer: unknown, offset: unknown, length: unknown, position: unknown): ReadArgs | null {
  validateBuffer(buffer);
  if (offset == null) offset = 0;
  else validateInteger(offset, 'offset', 0);
  const len = (length as number) | 0;
  if (len === 0) return null;
  if (buffer.byteLength === 0) throw invalidArgValue('buffer', buffer, 'is empty and cannot be written');
  validateOffsetLengthRead(offset as number, len, buffer.byteLength);
  const pos = validateReadPosition(position as number | bigint | null, len);
  return { buffer, offset: offset as number, length: len, position: pos };
}

/** readSync(fd, buffer, offset?, length?, position?) or readSync(fd, buffer, options?) */
export function readSyncArgs(buffer: unknown, offsetOrOptions: unknown, length: unknown, position: unknown, argc: number): ReadArgs | null {
  validateBuffer(buffer);
  let offset = offsetOrOptions;
  if (argc <= 3 || typeof offsetOrOptions === 'object') {
    if (offsetOrOptions !== undefined) validateObject(offsetOrOptions, 'options', true);
    const o = (offsetOrOptions ?? {}) as { offset?: unknown; length?: unknown; position?: unknown };
    offset = o.offset ?? 0;
    length = o.length ?? buffer.byteLength - (offset as number);
    position = o.position ?? null;
  }
  return checkRead(buffer, offset, length, position);
}

/** Resolved form of the read(fd, ...) argument juggling of callbacks and FileHandle.read. */
export function readOptionsArgs(bufferOrOptions: unknown, offset: unknown, length: unknown, position: unknown): ReadArgs | { empty: View } {
  let buffer = bufferOrOptions;
  if (!isArrayBufferView(buffer)) {
    if (bufferOrOptions !== undefined) validateObject(bufferOrOptions, 'options', true);
    const o = (bufferOrOptions ?? {}) as { buffer?: unknown; offset?: unknown; length?: unknown; position?: unknown };
    buffer = o.buffer ?? Buffer.alloc(16384);
    validateBuffer(buffer);
    offset = o.offset ?? 0;
    length = o.length ?? buffer.byteLength - (offset as number);
    position = o.position ?? null;
  }
  if (offset !== null && typeof offset === 'object') {
    const o = offset as { offset?: unknown; length?: unknown; position?: unknown };
    offset = o.offset ?? 0;
    length = o.length ?? (buffer as View).byteLength - (offset as number);
    position = o.position ?? null;
  }
  const r = checkRead(buffer, offset, length, position);
  return r ?? { empty: buffer as View };
}

/** write(fd, buffer, offset?, length?, position?) / write(fd, buffer, options) / write(fd, string, position?, encoding?) */
export function writeArgs(buffer: unknown, offsetOrOptions: unknown, length: unknown, position: unknown): WriteArgs {
  if (isArrayBufferView(buffer)) {
    let offset = offsetOrOptions;
    if (typeof offset === 'object' && offset !== null) {
      const o = offset as { offset?: unknown; length?: unknown; position?: unknown };
      offset = o.offset ?? 0;
      length = o.length ?? buffer.byteLength - (offset as number);
      position = o.position ?? null;
    }
    if (offset == null || typeof offset === 'function') offset = 0;
    else validateInteger(offset, 'offset', 0);
    if (typeof length !== 'number') length = buffer.byteLength - (offset as number);
    validateOffsetLengthWrite(offset as number, length as number, buffer.byteLength);
    return { buffer, offset: offset as number, length: length as number, position: writePosition(position) };
  }
  if (typeof buffer !== 'string') throw invalidArgType('buffer', ['string', 'Buffer', 'TypedArray', 'DataView'], buffer);
  // String form: (string, position, encoding)
  const encoding = validateEncoding(length ?? 'utf8') ?? 'utf8';
  const bytes = Buffer.from(buffer, (encoding === 'buffer' ? 'utf8' : encoding) as BufferEncoding);
  return { buffer: bytes, offset: 0, length: bytes.length, position: writePosition(offsetOrOptions), text: buffer };
}

export interface OpenArgs { path: string | Buffer; flags: number; mode: number }

export function openArgs(path: unknown, flags: unknown, mode: unknown): OpenArgs {
  const p = validatePath(path);
  return { path: p, flags: parseFlags(flags, 'r'), mode: parseMode(mode, 0o666) };
}

export interface MkdirArgs { path: string | Buffer; mode: number; recursive: boolean }

export function mkdirArgs(path: unknown, options: unknown): MkdirArgs {
  let mode: unknown = 0o777;
  let recursive: unknown = false;
  if (typeof options === 'number' || typeof options === 'string') mode = options;
  else if (options && typeof options === 'object') {
    const o = options as { mode?: unknown; recursive?: unknown };
    if (o.recursive !== undefined) recursive = o.recursive;
    if (o.mode !== undefined) mode = o.mode;
  }
  const p = validatePath(path);
  if (typeof recursive !== 'boolean') throw invalidArgType('options.recursive', 'boolean', recursive);
  return { path: p, mode: parseMode(mode, 0o777), recursive };
}

export interface StatArgs { bigint: boolean; throwIfNoEntry: boolean }

export function statOptions(options: unknown): StatArgs {
  const o = (options && typeof options === 'object' ? options : {}) as { bigint?: unknown; throwIfNoEntry?: unknown };
  return { bigint: Boolean(o.bigint), throwIfNoEntry: o.throwIfNoEntry !== false };
}

export interface ReadFileArgs { target: string | Buffer | number; flags: number; encoding: Encoding | undefined; signal?: AbortSignal }

export function readFileArgs(path: unknown, options: unknown): ReadFileArgs {
  const o = getOptions(options as object, { flag: 'r' as string | number, signal: undefined as AbortSignal | undefined });
  const target = typeof path === 'number' ? validateFdLike(path) : validatePath(path);
  return { target, flags: parseFlags(o.flag || 'r'), encoding: o.encoding ?? undefined, signal: o.signal };
}

export interface WriteFileArgs { target: string | Buffer | number; data: Uint8Array; flags: number; mode: number; flush: boolean; signal?: AbortSignal }

export function writeFileArgs(path: unknown, data: unknown, options: unknown, defaultFlag: 'w' | 'a'): WriteFileArgs {
  const o = getOptions(options as object, {
    encoding: 'utf8' as Encoding, mode: 0o666 as number | string, flag: defaultFlag as string | number, flush: false as unknown, signal: undefined as AbortSignal | undefined,
  });
  if (typeof o.flush !== 'boolean') throw invalidArgType('options.flush', 'boolean', o.flush);
  const isFd = typeof path === 'number';
  const target = isFd ? validateFdLike(path) : validatePath(path);
  // appendFile forces append on an fd the caller gave.
  const flag = defaultFlag === 'a' && isFd ? 'a' : o.flag || defaultFlag;
  return {
    target, data: dataBytes(data, o.encoding ?? 'utf8'), flags: parseFlags(flag), mode: parseMode(o.mode, 0o666), flush: o.flush, signal: o.signal,
  };
}

function validateFdLike(fd: number): number {
  validateInteger(fd, 'fd', 0, 2 ** 31 - 1);
  return fd;
}
