// The promise flavour: like node:fs/promises, every operation going through
// the environment's io_uring ring. Bad arguments reject (the functions are
// async, as in Node).
import type { Buffer } from 'node:buffer';
import { mkdirArgs, openArgs, readFileArgs, readOptionsArgs, statOptions, writeArgs, writeFileArgs } from './args.js';
import { systemError } from './errors.js';
import {
  closeSteps, fsyncSteps, mkdirSteps, openSteps, readFileSteps, readSteps, renameSteps, statSteps, unlinkSteps,
  vectorSteps, writeFileSteps, writeSteps,
} from './operations.js';
import { defaultRing } from './ring.js';
import { runPromise, type Steps } from './run.js';
import type { BigIntStats, Stats } from './stats.js';
import { checkAborted, validateBufferArray, validatePath, validateReadPosition, writePosition, type PathLike } from './validate.js';

type View = NodeJS.ArrayBufferView;

function run<T>(steps: Steps<T>): Promise<T> {
  return runPromise(defaultRing(), steps);
}

const EBADF = -9;

/**
 * Like node:fs/promises FileHandle. Its fd stays open while any of its
 * operations is queued or in flight: close() waits for them first, so an
 * op can never land on a reused fd number.
 */
export class FileHandle {
  #fd: number;
  #pending = 0;
  #closing: Promise<void> | null = null;
  #idle: (() => void) | null = null;

  constructor(fd: number) {
    this.#fd = fd;
  }

  /** The file descriptor, or -1 once closed. */
  get fd(): number {
    return this.#fd;
  }

  async #use<T>(syscall: string, steps: (fd: number) => Steps<T>): Promise<T> {
    if (this.#fd === -1 || this.#closing) throw systemError(EBADF, syscall);
    this.#pending++;
    try {
      return await run(steps(this.#fd));
    } finally {
      if (--this.#pending === 0 && this.#idle) this.#idle();
    }
  }

  /** Like FileHandle.read(buffer, offset, length, position) / read(options) / read(buffer, options). */
  async read<T extends View = Buffer>(bufferOrOptions?: T | { buffer?: T; offset?: number; length?: number; position?: number | bigint | null }, offset?: number | null | { offset?: number; length?: number; position?: number | bigint | null }, length?: number | null, position?: number | bigint | null): Promise<{ bytesRead: number; buffer: T }> {
    const a = readOptionsArgs(bufferOrOptions, offset, length, position);
    if ('empty' in a) return { bytesRead: 0, buffer: a.empty as T };
    const bytesRead = await this.#use('read', (fd) => readSteps(fd, a.buffer, a.offset, a.length, a.position));
    return { bytesRead, buffer: a.buffer as T };
  }

  /** Like FileHandle.write(buffer, offset?, length?, position?) / write(buffer, options) / write(string, position?, encoding?). */
  async write<T extends View | string>(buffer: T, offsetOrOptions?: unknown, length?: unknown, position?: unknown): Promise<{ bytesWritten: number; buffer: T }> {
    if ((buffer as View | undefined)?.byteLength === 0) return { bytesWritten: 0, buffer };
    const a = writeArgs(buffer, offsetOrOptions, length, position);
    const bytesWritten = await this.#use('write', (fd) => writeSteps(fd, a.buffer, a.offset, a.length, a.position));
    return { bytesWritten, buffer };
  }

  /** Like FileHandle.readv(buffers, position?). */
  async readv<T extends View[]>(buffers: T, position?: number | null): Promise<{ bytesRead: number; buffers: T }> {
    const views = validateBufferArray(buffers);
    const pos = typeof position === 'number' ? validateReadPosition(position, 0) : -1;
    const bytesRead = await this.#use('read', (fd) => vectorSteps(false, fd, views, pos));
    return { bytesRead, buffers };
  }

  /** Like FileHandle.writev(buffers, position?). */
  async writev<T extends View[]>(buffers: T, position?: number | null): Promise<{ bytesWritten: number; buffers: T }> {
    const views = validateBufferArray(buffers);
    const bytesWritten = await this.#use('write', (fd) => vectorSteps(true, fd, views, writePosition(position)));
    return { bytesWritten, buffers };
  }

  /** Like FileHandle.stat(options?). */
  stat(options?: { bigint?: false }): Promise<Stats>;
  stat(options: { bigint: true }): Promise<BigIntStats>;
  async stat(options?: { bigint?: boolean }): Promise<Stats | BigIntStats> {
    const { bigint } = statOptions(options);
    return (await this.#use('fstat', (fd) => statSteps(fd, null, true, bigint)))!;
  }

  /** Like FileHandle.sync() (fsync). */
  sync(): Promise<void> {
    return this.#use('fsync', (fd) => fsyncSteps(fd, false));
  }

  /** Like FileHandle.datasync() (fdatasync). */
  datasync(): Promise<void> {
    return this.#use('fdatasync', (fd) => fsyncSteps(fd, true));
  }

  /** Like FileHandle.readFile(options?): the rest of the file from the current position. */
  async readFile(options?: { encoding?: BufferEncoding | null; signal?: AbortSignal } | BufferEncoding | null): Promise<Buffer | string> {
    const a = readFileArgs(this.#fd === -1 ? 0 : this.#fd, options);
    checkAborted(a.signal);
    return this.#use('read', (fd) => readFileSteps(fd, a.flags, a.encoding));
  }

  /** Like FileHandle.writeFile(data, options?): writes at the current position. */
  async writeFile(data: string | View, options?: unknown): Promise<void> {
    const a = writeFileArgs(this.#fd === -1 ? 0 : this.#fd, data, options, 'w');
    checkAborted(a.signal);
    return this.#use('write', (fd) => writeFileSteps(fd, a.data, a.flags, a.mode, a.flush));
  }

  /** Like FileHandle.appendFile(data, options?). */
  async appendFile(data: string | View, options?: unknown): Promise<void> {
    return this.writeFile(data, options);
  }

  /** Like FileHandle.close(): waits for this handle's pending ops, then closes the fd. */
  close(): Promise<void> {
    if (this.#fd === -1) return Promise.resolve();
    this.#closing ??= (async () => {
      if (this.#pending > 0) await new Promise<void>((resolve) => { this.#idle = resolve; });
      const fd = this.#fd;
      try {
        await run(closeSteps(fd));
      } finally {
        this.#fd = -1;
      }
    })();
    return this.#closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/** Like fsPromises.open(path, flags?, mode?): resolves with a FileHandle. */
export async function open(path: PathLike, flags?: string | number, mode?: string | number): Promise<FileHandle> {
  const a = openArgs(path, flags, mode);
  return new FileHandle(await run(openSteps(a.path, a.flags, a.mode)));
}

/** Like fsPromises.readFile(path | FileHandle, options?). */
export async function readFile(path: PathLike | FileHandle, options?: { encoding?: BufferEncoding | null; flag?: string | number; signal?: AbortSignal } | BufferEncoding | null): Promise<Buffer | string> {
  if (path instanceof FileHandle) return path.readFile(options);
  const a = readFileArgs(path, options);
  checkAborted(a.signal);
  return run(readFileSteps(a.target, a.flags, a.encoding));
}

/** Like fsPromises.writeFile(path | FileHandle, data, options?). */
export async function writeFile(path: PathLike | FileHandle, data: string | View, options?: unknown): Promise<void> {
  if (path instanceof FileHandle) return path.writeFile(data, options);
  const a = writeFileArgs(path, data, options, 'w');
  checkAborted(a.signal);
  return run(writeFileSteps(a.target, a.data, a.flags, a.mode, a.flush));
}

/** Like fsPromises.appendFile(path | FileHandle, data, options?). */
export async function appendFile(path: PathLike | FileHandle, data: string | View, options?: unknown): Promise<void> {
  if (path instanceof FileHandle) return path.appendFile(data, options);
  const a = writeFileArgs(path, data, options, 'a');
  checkAborted(a.signal);
  return run(writeFileSteps(a.target, a.data, a.flags, a.mode, a.flush));
}

/** Like fsPromises.stat(path, options?). */
export async function stat(path: PathLike, options?: { bigint?: boolean }): Promise<Stats | BigIntStats> {
  const p = validatePath(path);
  return (await run(statSteps(null, p, true, statOptions(options).bigint)))!;
}

/** Like fsPromises.lstat(path, options?). */
export async function lstat(path: PathLike, options?: { bigint?: boolean }): Promise<Stats | BigIntStats> {
  const p = validatePath(path);
  return (await run(statSteps(null, p, false, statOptions(options).bigint)))!;
}

/** Like fsPromises.unlink(path). */
export async function unlink(path: PathLike): Promise<void> {
  return run(unlinkSteps(validatePath(path)));
}

/** Like fsPromises.rename(oldPath, newPath). */
export async function rename(oldPath: PathLike, newPath: PathLike): Promise<void> {
  return run(renameSteps(validatePath(oldPath, 'oldPath'), validatePath(newPath, 'newPath')));
}

/** Like fsPromises.mkdir(path, options?): with `recursive`, resolves with the first directory created. */
export async function mkdir(path: PathLike, options?: number | string | { recursive?: boolean; mode?: number | string }): Promise<string | undefined> {
  const a = mkdirArgs(path, options);
  return run(mkdirSteps(a.path, a.mode, a.recursive));
}

export { Stats, BigIntStats } from './stats.js';
export { Ring, defaultRing, setDefaultRing } from './ring.js';
export type { RingOptions, RingStats } from './ring.js';
export { readFiles } from './readfiles.js';
export type { ReadFilesOptions } from './readfiles.js';
export { Batch } from './batch.js';
export type { Outcome } from './batch.js';
