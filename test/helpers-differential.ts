// Differential testing against node:fs: run the same call through node:fs and
// uringfs, describe everything observable (return values, callback
// arguments, resolved values, thrown/rejected errors, file contents after the
// call) as plain data, and compare the two descriptions.
//
// Each implementation runs in the same directory path, recreated from the
// same setup, so paths inside error messages are identical too.
import { Buffer } from 'node:buffer';
import * as nodeFs from 'node:fs';
import * as nodeFsp from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import * as uringFs from '../lib/index.js';
import * as uringFsp from '../lib/promises.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
// Tests call both modules with deliberately wrong argument types.
export type LooseModule = Record<string, (...args: any[]) => any>;

export interface Impl {
  name: 'node:fs' | 'uringfs';
  fs: LooseModule;
  fsp: LooseModule;
}

export const nodeImpl: Impl = { name: 'node:fs', fs: nodeFs as unknown as LooseModule, fsp: nodeFsp as unknown as LooseModule };
export const uringImpl: Impl = { name: 'uringfs', fs: uringFs as unknown as LooseModule, fsp: uringFsp as unknown as LooseModule };
export const impls: readonly Impl[] = [nodeImpl, uringImpl];

export type Flavour = 'sync' | 'callback' | 'promise';
export const flavours: readonly Flavour[] = ['sync', 'callback', 'promise'];

/** Objects the caller passed in, so that results can say "the same object you gave". */
export type Known = Record<string, object>;

const STAT_FIELDS = [
  'dev', 'ino', 'mode', 'nlink', 'uid', 'gid', 'rdev', 'size', 'blksize', 'blocks',
  'atimeMs', 'mtimeMs', 'ctimeMs', 'birthtimeMs', 'atimeNs', 'mtimeNs', 'ctimeNs', 'birthtimeNs',
  'atime', 'mtime', 'ctime', 'birthtime',
];
const STAT_PREDICATES = ['isFile', 'isDirectory', 'isBlockDevice', 'isCharacterDevice', 'isSymbolicLink', 'isFIFO', 'isSocket'];

function isStats(v: any): boolean {
  return v !== null && typeof v === 'object' && typeof v.isFile === 'function' && 'mode' in v && 'blksize' in v;
}

export function errorShape(e: any, known: Known = {}): Record<string, unknown> {
  return {
    class: e?.constructor?.name,
    name: e?.name,
    message: e?.message,
    // What String(err) and assert.throws(fn, /regexp/) see: "TypeError [ERR_X]: …" for Node's own.
    text: e instanceof Error ? String(e) : undefined,
    code: e?.code,
    errno: e?.errno,
    syscall: e?.syscall,
    path: describeValue(e?.path, known),
    dest: describeValue(e?.dest, known),
    // The set of own enumerable keys (their order differs even between node:fs's own functions).
    ownKeys: e !== null && typeof e === 'object' ? Object.keys(e).sort() : [],
    cause: e?.cause === undefined ? undefined : describeValue(e.cause, known),
  };
}

/** A plain-data description of a value, comparable with toEqual. */
export function describeValue(v: unknown, known: Known = {}): unknown {
  for (const [label, obj] of Object.entries(known)) {
    if (v === obj) return { same: label, value: describeValue(v) };
  }
  if (v === undefined) return '<undefined>';
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'number') return Object.is(v, -0) ? '<-0>' : v;
  if (typeof v === 'bigint') return `${v}n`;
  if (typeof v === 'function') return `<function ${v.name}>`;
  if (v instanceof Error) return { error: errorShape(v, known) };
  if (ArrayBuffer.isView(v)) return { [v.constructor.name]: hexOf(v), byteLength: v.byteLength };
  if (v instanceof ArrayBuffer) return { ArrayBuffer: hexOf(v) };
  if (v instanceof Date) return { Date: v.getTime() };
  if (Array.isArray(v)) return v.map((x) => describeValue(x, known));
  if (isStats(v)) {
    const s = v as any;
    const out: Record<string, unknown> = { class: s.constructor.name, keys: Object.keys(s) };
    for (const f of STAT_FIELDS) out[f] = describeValue(s[f]);
    for (const p of STAT_PREDICATES) out[p] = s[p]();
    return out;
  }
  if (typeof v === 'object') {
    const ctor = (v as object).constructor?.name;
    if (ctor === 'FileHandle') return { FileHandle: typeof (v as { fd: unknown }).fd };
    const out: Record<string, unknown> = { class: ctor ?? null };
    for (const k of Object.keys(v as object)) out[k] = describeValue((v as Record<string, unknown>)[k], known);
    return out;
  }
  return `<${typeof v}>`;
}

/** The bytes of a view or ArrayBuffer as hex ('' when detached). */
export function hexOf(v: unknown): string {
  if (ArrayBuffer.isView(v)) return v.byteLength === 0 ? '' : Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex');
  const ab = v as ArrayBuffer;
  return ab.byteLength === 0 ? '' : Buffer.from(ab).toString('hex');
}

/** The whole backing memory of each known view, so a write outside the view's window shows. */
export function backingBytes(known: Known): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(known)) {
    if (ArrayBuffer.isView(v)) out[k] = hexOf(v.buffer);
  }
  return out;
}

export type Outcome = Record<string, unknown>;

/** A sync call: what it returned or threw. */
export function callSync(fn: () => unknown, known: Known = {}): Outcome {
  try {
    return { returned: describeValue(fn(), known) };
  } catch (e) {
    return { threw: describeValue(e, known) };
  }
}

const kNeverCalledMs = 3_000;

/**
 * A callback call: what it threw synchronously, or the arguments its callback
 * got, whether the callback came synchronously, and whether it came twice.
 */
export function callCallback(fn: (cb: (...args: unknown[]) => void) => unknown, known: Known = {}, neverCalledMs = kNeverCalledMs): Promise<Outcome> {
  return new Promise((resolve) => {
    let synchronous = true;
    let calls = 0;
    let returned: unknown;
    let first: unknown;
    const cb = (...args: unknown[]): void => {
      calls++;
      if (calls > 1) return;
      first = describeValue(args, known);
      const wasSync = synchronous;
      clearTimeout(timer);
      // Give a second (wrong) call the chance to show up.
      setImmediate(() => setImmediate(() => resolve({ callback: first, synchronous: wasSync, calls, returned })));
    };
    const timer = setTimeout(() => resolve({ neverCalled: true }), neverCalledMs);
    try {
      returned = describeValue(fn(cb), known);
    } catch (e) {
      clearTimeout(timer);
      resolve({ threw: describeValue(e, known), calls });
      return;
    }
    synchronous = false;
  });
}

/** A promise call: what it resolved or rejected with (or threw before returning a promise). */
export async function callPromise(fn: () => unknown, known: Known = {}): Promise<Outcome> {
  let p: unknown;
  try {
    p = fn();
  } catch (e) {
    return { threwSync: describeValue(e, known) };
  }
  if (!(p instanceof Promise)) return { notAPromise: describeValue(p, known) };
  try {
    return { resolved: describeValue(await p, known) };
  } catch (e) {
    return { rejected: describeValue(e, known) };
  }
}

/** Run an op in the given flavour; the three bodies receive the impl. */
export function callFlavour(
  flavour: Flavour,
  impl: Impl,
  body: {
    sync: (fs: LooseModule) => unknown;
    callback: (fs: LooseModule, cb: (...args: unknown[]) => void) => unknown;
    promise: (fsp: LooseModule) => unknown;
  },
  known: Known = {},
): Promise<Outcome> | Outcome {
  if (flavour === 'sync') return callSync(() => body.sync(impl.fs), known);
  if (flavour === 'callback') return callCallback((cb) => body.callback(impl.fs, cb), known);
  return callPromise(() => body.promise(impl.fsp), known);
}

/** What a directory holds: names, types, modes, sizes and (small) contents. */
export function snapshotDir(dir: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const walk = (d: string, prefix: string): void => {
    for (const name of nodeFs.readdirSync(d).sort()) {
      const p = join(d, name);
      const st = nodeFs.lstatSync(p);
      const key = prefix + name;
      if (st.isDirectory()) {
        out[key] = { dir: true, mode: (st.mode & 0o7777).toString(8) };
        walk(p, `${key}/`);
      } else if (st.isFile()) {
        out[key] = {
          file: true, mode: (st.mode & 0o7777).toString(8), size: st.size,
          content: st.size <= 1 << 20 ? nodeFs.readFileSync(p).toString('hex') : '<large>',
        };
      } else {
        out[key] = { other: st.mode.toString(8) };
      }
    }
  };
  walk(dir, '');
  return out;
}

/** A temp dir for one test file; `work` is recreated for each implementation's run. */
export class Sandbox {
  readonly base: string;
  readonly work: string;

  constructor(name: string, root = tmpdir()) {
    this.base = nodeFs.mkdtempSync(join(root, `uringfs-${name}-`));
    this.work = join(this.base, 'w');
  }

  fresh(): string {
    nodeFs.rmSync(this.work, { recursive: true, force: true });
    nodeFs.mkdirSync(this.work);
    return this.work;
  }

  cleanup(): void {
    nodeFs.rmSync(this.base, { recursive: true, force: true });
  }
}

export interface Differential {
  /** Prepare the work dir (with node:fs); runs once per implementation. */
  setup?: (dir: string) => void;
  /** The call under test, returning its outcome (use callSync/callCallback/callPromise). */
  run: (impl: Impl, dir: string) => Promise<Outcome> | Outcome;
  /** Compare the work dir after the call (default true). */
  snapshot?: boolean;
  /** Adjust an outcome before comparing (for documented, intentional differences). */
  normalize?: (outcome: Outcome, impl: Impl) => Outcome;
}

/**
 * Run `run` with node:fs and with uringfs on identical fresh directories at
 * the same path, and expect identical outcomes and directory contents.
 * Returns both outcomes for extra assertions.
 */
export async function expectSame(sb: Sandbox, d: Differential): Promise<{ node: Outcome; uring: Outcome }> {
  const results: Outcome[] = [];
  for (const impl of impls) {
    const dir = sb.fresh();
    d.setup?.(dir);
    let outcome = await d.run(impl, dir);
    if (d.normalize) outcome = d.normalize(outcome, impl);
    const after = d.snapshot === false ? {} : snapshotDir(dir);
    results.push({ outcome, after });
  }
  expect(results[1]).toEqual(results[0]);
  return { node: results[0].outcome as Outcome, uring: results[1].outcome as Outcome };
}

/** Open with node:fs (neutral), run, always close. */
export async function withFd<T>(path: string, flags: string | number, fn: (fd: number) => Promise<T> | T): Promise<T> {
  const fd = nodeFs.openSync(path, flags);
  try {
    return await fn(fd);
  } finally {
    nodeFs.closeSync(fd);
  }
}

/** Open with the implementation's own promises API, run, always close. */
export async function withHandle<T>(impl: Impl, path: string, flags: string | number, fn: (fh: any) => Promise<T> | T): Promise<T> {
  const fh = await impl.fsp.open(path, flags);
  try {
    return await fn(fh);
  } finally {
    await fh.close();
  }
}

/** Run a call in one flavour, with fd (sync/callback: an fd from node:fs) or FileHandle (promise, from impl). */
export async function onFile(
  flavour: Flavour,
  impl: Impl,
  path: string,
  flags: string | number,
  body: {
    sync: (fs: LooseModule, fd: number) => unknown;
    callback: (fs: LooseModule, fd: number, cb: (...args: unknown[]) => void) => unknown;
    promise: (fh: any) => unknown;
  },
  known: Known = {},
): Promise<Outcome> {
  if (flavour === 'promise') return withHandle(impl, path, flags, (fh) => callPromise(() => body.promise(fh), known));
  return withFd(path, flags, (fd) => (flavour === 'sync'
    ? callSync(() => body.sync(impl.fs, fd), known)
    : callCallback((cb) => body.callback(impl.fs, fd, cb), known)));
}

/** A buffer whose every byte is known, so a stray write anywhere shows. */
export function canary(size: number, fill = 0xee): Buffer {
  return Buffer.alloc(size, fill);
}

export function bytes(n: number, seed = 1): Buffer {
  const b = Buffer.allocUnsafe(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    b[i] = x & 0xff;
  }
  return b;
}

/** A view whose ArrayBuffer was transferred away (detached). */
export function detachedBuffer(size = 16): Buffer {
  const b = Buffer.alloc(size);
  structuredClone(b.buffer, { transfer: [b.buffer] });
  return b;
}
