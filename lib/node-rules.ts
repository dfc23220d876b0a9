// How the running Node's node:fs checks the arguments whose checks changed between Node 20 and
// Node 24, found out by asking node:fs itself, once, the first time it matters: each probe but
// the last is a call node:fs refuses before it makes any syscall (an argument no version
// accepts), and the answer is read from what node:fs threw, so a Node that changes again is
// followed as long as it keeps the shape of its errors; where it does not, the newest known rule
// applies. (lib/stats.ts finds node:fs's BigIntStats class the same way.)
import { Buffer } from 'node:buffer';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

type Loose = (...args: unknown[]) => unknown;

/** An fd no process can have open (RLIMIT_NOFILE cannot reach it): should a probe ever get as far as a syscall, EBADF. */
const kNoFd = 2 ** 31 - 1;

function thrown(call: () => unknown): Error | undefined {
  try {
    call();
  } catch (e) {
    return e as Error;
  }
  return undefined;
}

function once<T>(probe: () => T): () => T {
  let known: { value: T } | undefined;
  return () => (known ??= { value: probe() }).value;
}

export interface BigIntPositionRange { min: bigint; max: bigint }

const boundsPattern = /must be >= (-?\d+) && <= (-?\d+)\./;

/** The bigint range node:fs's fs.read/readSync take, for a read of `length` bytes. */
const readBigIntBounds = once((): { min: bigint; max: bigint; lessLength: boolean } => {
  // 2^63 is past every version's range; the bounds node:fs names for lengths 1 and 2 say whether
  // they depend on the length (Node 22: position + length must fit in 63 bits; Node 20: int64).
  const bounds = (length: number) => boundsPattern.exec(thrown(() => fs.readSync(kNoFd, Buffer.alloc(2), 0, length, 2n ** 63n))?.message ?? '');
  const one = bounds(1);
  const two = bounds(2);
  if (!one || !two) return { min: -1n, max: 2n ** 63n - 1n, lessLength: true };
  const lessLength = BigInt(one[2]) !== BigInt(two[2]);
  return { min: BigInt(one[1]), max: BigInt(one[2]) + (lessLength ? 1n : 0n), lessLength };
});

/** The range a bigint position of fs.read / fs.readSync (and FileHandle.read, where it checks) must be in. */
export function bigIntPositionRange(length: number): BigIntPositionRange {
  const b = readBigIntBounds();
  return { min: b.min, max: b.lessLength ? b.max - BigInt(Math.max(0, Math.trunc(length))) : b.max };
}

/**
 * Whether fs.read / fs.readSync check the position before they return 0 for a zero length (and
 * before the buffer and range checks): Node 24 does, Node 20 and 22 check it last.
 */
export const readChecksPositionFirst = once((): boolean => thrown(() => fs.readSync(kNoFd, Buffer.alloc(1), 0, 0, 'x' as unknown as number)) !== undefined);

/**
 * Whether FileHandle.read checks its position as fs.read does (Node 22 and later) rather than
 * reading at the current position for anything that is not a safe integer (Node 20). A
 * FileHandle cannot be probed without opening a file; the change came with the one that made
 * fs.read's bigint range depend on the length, which is what is probed.
 */
export function handleReadChecksPosition(): boolean {
  return readBigIntBounds().lessLength;
}

export type FdFirstSync = 'readSync' | 'writeSync' | 'readvSync' | 'writevSync';

const fdCheckedLast = new Map<FdFirstSync, boolean>();

/**
 * Whether node:fs's `name` leaves the fd to its C++ binding, which checks it after the other
 * arguments and words the error its own way (Node 22 and later), instead of checking it first in
 * JS (Node 20). Probed with a bigint fd and no buffer: which of the two node:fs names.
 */
export function syncChecksFdLast(name: FdFirstSync): boolean {
  let last = fdCheckedLast.get(name);
  if (last === undefined) {
    const err = thrown(() => (fs[name] as Loose)(1n, null));
    last = err !== undefined && !/"fd"/.test(err.message);
    fdCheckedLast.set(name, last);
  }
  return last;
}

/**
 * Whether fs.mkdir / fs.mkdirSync read their options object before the path, checking
 * `options.recursive` as they read it and naming the mode `options.mode` (Node 22 and later),
 * instead of checking the path first and naming it `mode` (Node 20).
 */
export const mkdirReadsOptionsFirst = once((): boolean => {
  const err = thrown(() => fs.mkdirSync(null as unknown as string, { mode: 'x' }));
  return err !== undefined && /options\.mode/.test(err.message);
});

/**
 * Whether `throwIfNoEntry: false` also turns ENOTDIR (a path through a file) into `undefined`
 * for node:fs's statSync / lstatSync: statSync does from Node 22, lstatSync does not, and on
 * Node 20 only ENOENT does. Probed with a stat of a path through /dev/null, once per function.
 */
function probeNotDir(stat: typeof fs.statSync): boolean | undefined {
  try {
    if (fs.statSync('/dev/null', { throwIfNoEntry: false })?.isDirectory() !== false) return undefined;
    return stat('/dev/null/x', { throwIfNoEntry: false }) === undefined;
  } catch {
    return false;
  }
}
const notDirHidden = {
  stat: once(() => probeNotDir(fs.statSync) ?? true),
  lstat: once(() => probeNotDir(fs.lstatSync) ?? false),
};

/** Whether the sync stat of `syscall` with `throwIfNoEntry: false` returns undefined for ENOTDIR too. */
export function noEntryIncludesNotDir(syscall: 'stat' | 'lstat'): boolean {
  return notDirHidden[syscall]();
}

let promiseStatProbe: Promise<boolean> | undefined;

/**
 * Whether node:fs/promises' stat takes `throwIfNoEntry: false` (Node 24: ENOENT and ENOTDIR
 * resolve `undefined`; before, the option is ignored there). Probed once, with node:fs/promises'
 * own stat of a path through /dev/null, the first time a stat asks for it.
 */
export function promiseStatTakesThrowIfNoEntry(): Promise<boolean> {
  promiseStatProbe ??= fsp.stat('/dev/null/x', { throwIfNoEntry: false } as never).then((s) => s === undefined, () => false);
  return promiseStatProbe;
}

/**
 * Whether node:fs's readFile checks an `options.buffer` (Node 24: a view or a function to read
 * into), before the path: a path with a NUL byte then fails on the option first.
 */
export const readFileChecksBufferOption = once((): boolean => {
  const e = thrown(() => fs.readFileSync('\u0000', { buffer: 1 } as unknown as { flag: string })) as NodeJS.ErrnoException | undefined;
  return e?.code === 'ERR_INVALID_ARG_TYPE' && e.message.includes('options.buffer');
});

/**
 * How node:fs's callback `stat` takes its options: 'options-first' (Node 22: `options.bigint` is
 * read before the path is checked, so null options are a TypeError), 'null-ok' (Node 24: null
 * options are none, and `throwIfNoEntry: false` is honoured), or 'path-first' (Node 20).
 */
export const callbackStatRule = once((): 'options-first' | 'null-ok' | 'path-first' => {
  const noop = () => {};
  const first = thrown(() => (fs.stat as Loose)(5, null, noop)) as NodeJS.ErrnoException | undefined;
  if (first !== undefined && first.code === undefined) return 'options-first';
  // With a valid path, Node 20 reads null's `bigint` (a TypeError); Node 24 takes null as no
  // options and stats '/' (one harmless syscall, its result dropped).
  return thrown(() => (fs.stat as Loose)('/', null, noop)) === undefined ? 'null-ok' : 'path-first';
});

/**
 * Whether node:fs's sync and callback `readdir` with `recursive` and `withFileTypes` walk into a
 * symlink to a directory, as they do without `withFileTypes` (Node 22 and later; Node 20.19 walks
 * only real directories; node:fs/promises' form never follows). The one probe here that needs a
 * file system: a scratch directory with a subdirectory and a link to it, listed and removed.
 * Where that cannot be made, the newest rule.
 */
export const recursiveDirentsFollowLinks = once((): boolean => {
  let dir: string | undefined;
  try {
    dir = fs.mkdtempSync(join(tmpdir(), 'uringfs-probe-'));
    fs.mkdirSync(join(dir, 'd', 'e'), { recursive: true });
    fs.symlinkSync('d', join(dir, 'l'));
    // d, d/e, l — and l/e where the link is followed.
    return fs.readdirSync(dir, { recursive: true, withFileTypes: true }).length === 4;
  } catch {
    return true;
  } finally {
    if (dir !== undefined) fs.rmSync(dir, { recursive: true, force: true });
  }
});

/** Whether disposing of a closed `fs.Dir` does nothing (Node 22 and later) rather than throw ERR_DIR_CLOSED. */
export const disposeAgainIsNoop = once((): boolean => {
  const dispose = (Symbol as unknown as { dispose?: symbol }).dispose;
  const dir = fs.opendirSync('/') as unknown as Record<symbol, () => void> & fs.Dir;
  dir.closeSync();
  return dispose === undefined || thrown(() => dir[dispose]()) === undefined;
});

/** Whether node:fs's callback `stat` honours an aborted `options.signal` (Node 24: AbortError, to the callback at once). */
export const callbackStatTakesSignal = once((): boolean => {
  let aborted = false;
  // Where the signal is not read, this stats '/' (one harmless syscall, its result dropped).
  fs.stat('/', { signal: AbortSignal.abort() } as fs.StatOptions, (err) => { aborted ||= err?.name === 'AbortError'; });
  return aborted;
});

/**
 * Whether truncate and truncateSync take an fd in place of a path (deprecated, DEP0081): Node 20
 * and 22 do, and warn; Node 24 refuses it as a path. By version, since asking node:fs would warn.
 */
export const truncateTakesFd = Number(process.versions.node.split('.')[0]) < 24;

let truncateFdWarned = false;
/** node:fs's warning for truncate(fd) where it is taken: once per process. */
export function warnTruncateFd(): void {
  if (truncateFdWarned) return;
  truncateFdWarned = true;
  process.emitWarning('Using fs.truncate with a file descriptor is deprecated. Please use fs.ftruncate with a file descriptor instead.', 'DeprecationWarning', 'DEP0081');
}

/**
 * Whether symlink's `type` must be 'dir', 'file', 'junction', null or undefined, checked before the
 * paths (Node 24), rather than any value, a string other than those failing after the paths
 * (Node 20 and 22). Asked with a type and paths that every version refuses before any syscall.
 */
export const symlinkChecksTypeFirst = once((): boolean =>
  (thrown(() => (fs.symlinkSync as Loose)(1, 2, 5)) as { code?: string } | undefined)?.code === 'ERR_INVALID_ARG_VALUE');
