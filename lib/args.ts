// Argument forms shared by the flavours, following node:fs function by
// function (including its quirks, e.g. `length |= 0` in read) so that the same
// call is accepted or refused the same way, with the same error. The
// differential tests (test/differential-*.test.ts) hold each form to node:fs.
import { Buffer } from 'node:buffer';
import { invalidArgType, invalidArgValue, withCode } from './errors.js';
import { handleReadChecksPosition, mkdirReadsOptionsFirst, readChecksPositionFirst, symlinkChecksTypeFirst } from './node-rules.js';
import {
  isArrayBufferView, parseFlags, parseMode, validateBoolean, validateBuffer, validateInteger, validateObject,
  validateOffsetLengthRead, validateOffsetLengthWrite, validatePath, validateReadPosition, writePosition,
  isInt32, stringEncoding, validateFunction, getOptions, type Encoding,
} from './validate.js';

type View = NodeJS.ArrayBufferView;
type Loose = Record<string, unknown>;

export interface ReadArgs { buffer: View; offset: number; length: number; position: number | bigint }
export interface WriteArgs { buffer: View; offset: number; length: number; position: number; text?: string }

/** A property as destructuring with a default reads it: the default replaces only `undefined`. */
function prop(obj: unknown, key: string, fallback: () => unknown): unknown {
  const v = obj == null ? undefined : (obj as Loose)[key];
  return v === undefined ? fallback() : v;
}

const kEmptyBufferReason = 'is empty and cannot be written';

/**
 * A read length as fs.read truncates it (`length | 0`: 1.5 is 1, '4' is 4, NaN is 0), except
 * that a finite number outside the int32 range is truncated without wrapping: node:fs's
 * `length |= 0` turns 2^32 + 16 into 16 (a view over 4 GiB then gets 16 bytes) and 2^31 into
 * -2^31. The kernel is asked for at most 0x7ffff000 bytes (native clamp), as read(2) returns.
 */
export function readLength(length: unknown): number {
  if (typeof length === 'number' && Number.isFinite(length) && (length > 2 ** 31 - 1 || length < -(2 ** 31))) return Math.trunc(length);
  return (length as number) | 0;
}

/**
 * The checks fs.read and fs.readSync make once buffer, offset, length and
 * position are known: offset an integer >= 0, `length |= 0` (never wrapped:
 * see readLength), a zero length completes with 0 without a syscall (null
 * here), then the range and the position — or the position right after the
 * length, where the running node:fs checks it there (Node 24). Negative
 * positions (-1, or a negative bigint where node:fs takes one) mean the
 * current file position (returned as -1), as they do through libuv.
 */
export function checkRead(buffer: unknown, offset: unknown, length: unknown, position: unknown): ReadArgs | null {
  validateBuffer(buffer);
  if (offset == null) offset = 0;
  else validateInteger(offset, 'offset', 0);
  const len = readLength(length);
  const early = readChecksPositionFirst() ? validateReadPosition(position, len) : undefined;
  if (len === 0) return null;
  if (buffer.byteLength === 0) throw invalidArgValue('buffer', buffer, kEmptyBufferReason);
  validateOffsetLengthRead(offset as number, len, buffer.byteLength);
  return { buffer, offset: offset as number, length: len, position: early ?? validateReadPosition(position, len) };
}

/** readSync(fd, buffer, offset?, length?, position?) or readSync(fd, buffer, options?); `argc` counts fd too. */
export function readSyncArgs(buffer: unknown, offsetOrOptions: unknown, length: unknown, position: unknown, argc: number): ReadArgs | null {
  validateBuffer(buffer);
  let offset = offsetOrOptions;
  if (argc <= 3 || typeof offsetOrOptions === 'object') {
    if (offsetOrOptions !== undefined) validateObject(offsetOrOptions, 'options', true);
    const o = offsetOrOptions;
    offset = prop(o, 'offset', () => 0);
    length = prop(o, 'length', () => buffer.byteLength - (offset as number));
    position = prop(o, 'position', () => null);
  }
  if (offset === undefined) offset = 0;
  return checkRead(buffer, offset, length, position);
}

export interface ReadCallbackArgs { read: ReadArgs | null; buffer: View; callback: (...a: unknown[]) => void }

/**
 * fs.read's forms, decided by the argument count (fd included) as node:fs
 * does: (fd, buffer, offset, length, position, cb), (fd, buffer, options, cb),
 * (fd, buffer, cb), (fd, options, cb), (fd, cb).
 */
export function readCallbackArgs(argc: number, bufferArg: unknown, offsetOrOptions: unknown, lengthArg: unknown, positionArg: unknown, callbackArg: unknown): ReadCallbackArgs {
  let buffer = bufferArg;
  let offset = offsetOrOptions;
  let length = lengthArg;
  let position = positionArg;
  let callback = callbackArg;
  let params: unknown = null;
  if (argc <= 4) {
    if (argc === 4) {
      validateObject(offsetOrOptions, 'options', true);
      callback = lengthArg;
      params = offsetOrOptions;
    } else if (argc === 3) {
      if (!isArrayBufferView(buffer)) {
        params = buffer;
        buffer = prop(params, 'buffer', () => Buffer.alloc(16384));
      }
      callback = offsetOrOptions;
    } else {
      callback = bufferArg;
      buffer = Buffer.alloc(16384);
    }
    if (params !== undefined) validateObject(params, 'options', true);
    offset = prop(params, 'offset', () => 0);
    length = prop(params, 'length', () => (buffer as View | undefined)?.byteLength as number - (offset as number));
    position = prop(params, 'position', () => null);
  }
  validateBuffer(buffer);
  validateFunction(callback, 'cb');
  return { read: checkRead(buffer, offset, length, position), buffer, callback: callback as (...a: unknown[]) => void };
}

/**
 * FileHandle.read's forms: (buffer, offset, length, position), (buffer, options), (options), ().
 * Unlike fs.read there is no `length |= 0`. The position is checked as fs.read checks it
 * where the running node:fs does so (Node 22 and later; in fs.read's place, Node 24 first);
 * on Node 20 a position that is not a safe integer means the current position. Two departures
 * from node:fs, which it documents otherwise: a bigint position is honoured (node:fs 20 silently
 * reads at the current position), and a length that is not an integer is truncated as fs.read
 * does (node:fs aborts the process in C++).
 */
export function readHandleArgs(bufferOrParams: unknown, offsetArg: unknown, lengthArg: unknown, positionArg: unknown): ReadArgs | { empty: View } {
  let buffer = bufferOrParams;
  let offset = offsetArg;
  let length = lengthArg;
  let position = positionArg;
  if (!isArrayBufferView(buffer)) {
    if (bufferOrParams !== undefined) validateObject(bufferOrParams, 'options', true);
    const o = bufferOrParams;
    buffer = prop(o, 'buffer', () => Buffer.alloc(16384));
    offset = prop(o, 'offset', () => 0);
    length = prop(o, 'length', () => (buffer as View).byteLength - (offset as number));
    position = prop(o, 'position', () => null);
    validateBuffer(buffer);
  }
  const view = buffer as View;
  if (offset !== null && typeof offset === 'object') {
    const o = offset;
    offset = prop(o, 'offset', () => 0);
    length = prop(o, 'length', () => view.byteLength - (offset as number));
    position = prop(o, 'position', () => null);
  }
  if (offset == null) offset = 0;
  else validateInteger(offset, 'offset', 0);
  length ??= view.byteLength - (offset as number);
  const checked = handleReadChecksPosition();
  const early = checked && readChecksPositionFirst() ? validateReadPosition(position, readLength(length)) : undefined;
  if (length === 0) return { empty: view };
  if (view.byteLength === 0) throw invalidArgValue('buffer', view, kEmptyBufferReason);
  validateOffsetLengthRead(offset as number, length as number, view.byteLength);
  let len = length as number;
  if (!isInt32(len)) {
    len = readLength(len);
    if (len === 0) return { empty: view };
  }
  let pos: number | bigint = -1;
  if (checked) pos = early ?? validateReadPosition(position, len);
  else if (Number.isSafeInteger(position)) pos = (position as number) < 0 ? -1 : position as number;
  else if (typeof position === 'bigint' && position >= 0n && position < 2n ** 63n) pos = position;
  return { buffer: view, offset: offset as number, length: len, position: pos };
}

/** fs.writeSync's forms: (fd, buffer, offset?, length?, position?), (fd, buffer, options), (fd, string, position?, encoding?). */
export function writeArgs(buffer: unknown, offsetOrOptions: unknown, length: unknown, position: unknown): WriteArgs {
  if (isArrayBufferView(buffer)) {
    let offset = offsetOrOptions;
    if (typeof offset === 'object') {
      const o = offsetOrOptions;
      offset = prop(o, 'offset', () => 0);
      length = prop(o, 'length', () => buffer.byteLength - (offset as number));
      position = prop(o, 'position', () => null);
    }
    return bufferWrite(buffer, offset, length, position);
  }
  return stringWrite(buffer, offsetOrOptions, length);
}

function bufferWrite(buffer: View, offset: unknown, length: unknown, position: unknown, functionOffsetIsZero = false): WriteArgs {
  // Only fs.write (callback) takes a function in the offset place (it is the callback) as 0.
  if (offset == null || (functionOffsetIsZero && typeof offset === 'function')) offset = 0;
  else validateInteger(offset, 'offset', 0);
  if (typeof length !== 'number') length = buffer.byteLength - (offset as number);
  validateOffsetLengthWrite(offset as number, length as number, buffer.byteLength);
  return { buffer, offset: offset as number, length: length as number, position: writePosition(position) };
}

/** A string write: position as node:fs's C++ takes it (a safe integer, else the current position), any encoding it does not know is utf8. */
function stringWrite(text: unknown, position: unknown, encoding: unknown): WriteArgs {
  if (typeof text !== 'string') throw invalidArgType('buffer', ['string', 'Buffer', 'TypedArray', 'DataView'], text);
  const enc = stringEncoding(encoding);
  if (enc.toLowerCase() === 'hex' && text.length % 2 !== 0) {
    throw invalidArgValue('encoding', encoding, `is invalid for data of length ${text.length}`);
  }
  const bytes = Buffer.from(text, enc);
  return { buffer: bytes, offset: 0, length: bytes.length, position: writePosition(position), text };
}

export interface WriteCallbackArgs { write: WriteArgs; given: View | string; callback: (...a: unknown[]) => void }

/** fs.write's forms (after fd), with the callback found where node:fs looks for it. */
export function writeCallbackArgs(buffer: unknown, offsetOrOptions: unknown, lengthArg: unknown, positionArg: unknown, callbackArg: unknown): WriteCallbackArgs {
  let offset = offsetOrOptions;
  let length = lengthArg;
  let position = positionArg;
  let callback = callbackArg;
  if (isArrayBufferView(buffer)) {
    callback ||= position || length || offset;
    validateFunction(callback, 'cb');
    if (typeof offset === 'object') {
      const o = offsetOrOptions;
      offset = prop(o, 'offset', () => 0);
      length = prop(o, 'length', () => buffer.byteLength - (offset as number));
      position = prop(o, 'position', () => null);
    }
    return { write: bufferWrite(buffer, offset, length, position, true), given: buffer, callback: callback as (...a: unknown[]) => void };
  }
  if (typeof buffer !== 'string') throw invalidArgType('buffer', ['string', 'Buffer', 'TypedArray', 'DataView'], buffer);
  if (typeof position !== 'function') {
    if (typeof offset === 'function') {
      position = offset;
      offset = null;
    } else {
      position = length;
    }
    length = 'utf8';
  }
  const write = stringWrite(buffer, offset, length);
  validateFunction(position, 'cb');
  return { write, given: buffer, callback: position as (...a: unknown[]) => void };
}

/** FileHandle.write's forms: (buffer, offset?, length?, position?), (buffer, options), (string, position?, encoding?). */
export function writeHandleArgs(buffer: unknown, offsetOrOptions: unknown, length: unknown, position: unknown): WriteArgs | null {
  if ((buffer as View | undefined)?.byteLength === 0) return null;
  return writeArgs(buffer, offsetOrOptions, length, position);
}

/** readv/writev position: a number that is a safe integer >= 0, else the current position. */
export function vectorPosition(position: unknown): number {
  return writePosition(position);
}

export interface OpenArgs { path: string | Buffer; flags: number; mode: number }

/** fs.openSync's and fsPromises.open's checks, in their order: the path, the flags, the mode. */
export function openArgs(path: unknown, flags: unknown, mode: unknown): OpenArgs {
  const p = validatePath(path);
  return { path: p, flags: parseFlags(flags), mode: parseMode(mode, 0o666) };
}

/** fs.open's (the callback form's) checks, in its order: the path, the mode, the flags. */
export function openCallbackArgs(path: unknown, flags: unknown, mode: unknown): OpenArgs {
  const p = validatePath(path);
  const m = parseMode(mode, 0o666);
  return { path: p, flags: parseFlags(flags), mode: m };
}

export interface MkdirArgs { path: string | Buffer; mode: number; recursive: boolean }

/**
 * fs.mkdir / mkdirSync options: a mode (number or octal string) or { recursive, mode }. Node 20
 * checks the path, then `recursive`, then the mode (named `mode`); Node 22 and later check the
 * options as they read them (`options.recursive`, then the mode, named `options.mode` when it
 * came in the object), then the path.
 */
export function mkdirArgs(path: unknown, options: unknown): MkdirArgs {
  let mode: unknown = 0o777;
  let recursive: unknown = false;
  if (mkdirReadsOptionsFirst()) {
    if (typeof options === 'number' || typeof options === 'string') {
      mode = parseMode(options, undefined);
    } else if (options) {
      const o = options as { mode?: unknown; recursive?: unknown };
      if (o.recursive !== undefined) {
        recursive = o.recursive;
        validateBoolean(recursive, 'options.recursive');
      }
      if (o.mode !== undefined) mode = parseMode(o.mode, undefined, 'options.mode');
    }
    return { path: validatePath(path), mode: mode as number, recursive: recursive as boolean };
  }
  if (typeof options === 'number' || typeof options === 'string') {
    mode = options;
  } else if (options) {
    const o = options as { mode?: unknown; recursive?: unknown };
    if (o.recursive !== undefined) recursive = o.recursive;
    if (o.mode !== undefined) mode = o.mode;
  }
  const p = validatePath(path);
  validateBoolean(recursive, 'options.recursive');
  // No default here (a `mode: null` is refused, as node:fs refuses it): the default was set above.
  return { path: p, mode: parseMode(mode, undefined), recursive };
}

/** fsPromises.mkdir options: destructured, so `mode: undefined` means the default. */
export function mkdirPromiseArgs(path: unknown, options: unknown): MkdirArgs {
  if (typeof options === 'number' || typeof options === 'string') options = { mode: options };
  const recursive = prop(options || {}, 'recursive', () => false);
  const mode = prop(options || {}, 'mode', () => 0o777);
  const p = validatePath(path);
  validateBoolean(recursive, 'options.recursive');
  return { path: p, mode: parseMode(mode, 0o777), recursive };
}

export interface StatArgs { bigint: boolean; throwIfNoEntry: boolean }

/**
 * Stat options as node:fs reads them: `options.bigint` (so `null` options
 * throw the same TypeError as in node:fs), and throwIfNoEntry for the sync
 * flavour (only `false` turns it off).
 */
export function statOptions(options: unknown = { bigint: false, throwIfNoEntry: true }): StatArgs {
  const o = options as { bigint?: unknown; throwIfNoEntry?: unknown };
  // node:fs's C++ takes `bigint: true` only (not merely truthy), and only `false` turns throwIfNoEntry off.
  return { bigint: o.bigint === true, throwIfNoEntry: o.throwIfNoEntry !== false };
}

const kSymlinkTypes: unknown[] = ['dir', 'file', 'junction', null, undefined];

/** symlink's `type`, before its paths, where the running Node checks it there (symlinkChecksTypeFirst). */
export function checkSymlinkTypeFirst(type: unknown): void {
  if (symlinkChecksTypeFirst() && !kSymlinkTypes.includes(type)) {
    throw invalidArgValue('type', type, "must be one of: 'dir', 'file', 'junction', null, undefined");
  }
}

/**
 * symlink's `type`, after its paths: a string other than 'dir', 'file' or 'junction' is node:fs's
 * ERR_FS_INVALID_SYMLINK_TYPE (any other value means none). The type itself changes nothing on
 * Linux, where a link has no kind.
 */
export function checkSymlinkTypeLast(type: unknown): void {
  if (typeof type === 'string' && type !== 'dir' && type !== 'file' && type !== 'junction') {
    throw withCode(new Error(`Symlink type must be one of "dir", "file", or "junction". Received "${type}"`), 'ERR_FS_INVALID_SYMLINK_TYPE');
  }
}

export interface MkdtempArgs { prefix: string | Buffer; encoding: Encoding | undefined }

let nonPortableTemplateWarned = false;

/**
 * mkdtemp's options and prefix, in node:fs's order (options first). As node:fs does, the first
 * prefix that ends with 'X' warns, once: such templates are handled differently on other systems.
 */
export function mkdtempArgs(prefix: unknown, options: unknown): MkdtempArgs {
  const o = getOptions(options, {});
  const p = validatePath(prefix, 'prefix');
  if (!nonPortableTemplateWarned && p.length > 0 && (typeof p === 'string' ? p.endsWith('X') : p[p.length - 1] === 0x58)) {
    nonPortableTemplateWarned = true;
    process.emitWarning('mkdtemp() templates ending with X are not portable. For details see: https://nodejs.org/api/fs.html');
  }
  return { prefix: p, encoding: o.encoding as Encoding | undefined };
}
