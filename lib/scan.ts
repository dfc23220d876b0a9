// scan / scanSync: a tree walk that yields one batch per directory — names, types and, when asked,
// every entry's statx — without an object per entry. Directories are listed with getdents64 in one
// native call each (libuv's pool for the async form: io_uring has no getdents op); the async form's
// statx go through the ring, relative to the listed directory's fd, all of a directory's in one
// submission; the sync form calls statx directly (cheaper inline than a ring round trip).
import { Buffer } from 'node:buffer';
import pathModule from 'node:path';
import { binding } from './binding.js';
import { dirs, type NativeListing } from './dirs-binding.js';
import { DirentType, KEEP_FD, typeOfMode } from './dirs.js';
import { invalidArgType, systemError } from './errors.js';
import { closeHeldFd, releaseFd, reserveSlot } from './held.js';
import { AT_FDCWD, AT_SYMLINK_NOFOLLOW, Op, OpCode, STATX_MASK, STATX_SIZE } from './op.js';
import { defaultRing, resultError, Ring } from './ring.js';
import { makeStats, type Stats } from './stats.js';
import {
  pathBytes, validateBoolean, validateFunction, validateInteger, validateObject, validatePath, type PathLike,
} from './validate.js';

/**
 * The type of a scanned entry: libuv's `UV_DIRENT_*` numbering (the values node:fs's `Dirent`
 * uses), as getdents64 reports it. `Unknown` only on filesystems that do not report types
 * (then, with `stats`, the type comes from the entry's statx).
 */
export const ScanType = {
  Unknown: 0, File: 1, Directory: 2, SymbolicLink: 3, FIFO: 4, Socket: 5, CharacterDevice: 6, BlockDevice: 7,
} as const;

/** Options of {@link scan} and {@link scanSync}. */
export interface ScanOptions {
  /**
   * How deep to walk below the root: 0 lists the root's entries only, 1 also those of its
   * subdirectories, and so on. Default: no limit.
   */
  depth?: number;
  /**
   * Called for every entry before anything else is done with it, with the entry's name, the path
   * of its directory and its {@link ScanType}; an entry for which it returns false is left out —
   * not reported, not stat'ed and, for a directory, not walked.
   */
  filter?: (name: string, dir: string, type: number) => boolean;
  /**
   * Walk into symbolic links to directories (default false). Each directory is walked once: one
   * reached again (a symlink loop, or a second link to it) is reported but not walked again. With
   * `stats`, entries then carry the stats of what a symlink points to (stat, not lstat).
   */
  followSymlinks?: boolean;
  /** Fetch every entry's statx (lstat, or stat with `followSymlinks`); read it with the batch's methods. Default false. */
  stats?: boolean;
  /** Directories listed at once by {@link scan} (default 8; scanSync lists one at a time). */
  concurrency?: number;
  /**
   * Called with the error of a subdirectory that cannot be listed (removed meanwhile, no
   * permission); the scan then goes on without it. Without it, such an error ends the scan (it is
   * thrown). An error on the root is always thrown.
   */
  onError?: (error: Error) => void;
  /** The ring {@link scan}'s statx go through. Default: {@link defaultRing}. */
  ring?: Ring;
}

const STX_MODE = 28, STX_INO = 32, STX_SIZE = 40, STX_MTIME = 112, STX_DEV_MAJOR = 136, STX_DEV_MINOR = 140;

/**
 * The entries of one directory, as {@link scan} and {@link scanSync} yield them: parallel arrays
 * (entry `i` is `names[i]`, `types[i]`) in the kernel's order, and, with `stats`, each entry's
 * statx, read through the methods below (a full `Stats` object only where asked for).
 */
export class ScanBatch {
  /** The directory's path: the root as given, joined with the names of the directories leading here. */
  readonly dir: string;
  /** 0 for the root's entries, 1 for those of its subdirectories, … */
  readonly depth: number;
  /** The entries' names (UTF-8; bytes that are not UTF-8 appear as U+FFFD, as in node:fs's strings). */
  readonly names: string[];
  /** The entries' {@link ScanType}s. */
  readonly types: Uint8Array;
  /** With `stats`: the entries' struct statx, 256 bytes each (entry `i` at `i * 256`); otherwise null. */
  readonly statx: Buffer | null;
  /** With `stats`: 0 for each entry whose statx succeeded, else -errno (e.g. removed meanwhile); otherwise null. */
  readonly statErrors: Int32Array | null;
  /** The syscall node:fs would name for these stats: 'stat' when links were followed, else 'lstat'. */
  readonly #syscall: string;

  /** @internal */
  constructor(dir: string, depth: number, names: string[], types: Uint8Array, statx: Buffer | null, statErrors: Int32Array | null, followed = false) {
    this.#syscall = followed ? 'stat' : 'lstat';
    this.dir = dir;
    this.depth = depth;
    this.names = names;
    this.types = types;
    this.statx = statx;
    this.statErrors = statErrors;
  }

  /** How many entries the batch holds. */
  get length(): number {
    return this.names.length;
  }

  /** The path of entry `i`: `dir` joined with its name. */
  path(i: number): string {
    return pathModule.join(this.dir, this.names[i]);
  }

  #ok(i: number): boolean {
    return this.statErrors !== null && this.statErrors[i] === 0;
  }

  /** Entry `i`'s size in bytes, from its statx (-1 without stats or when its statx failed). */
  size(i: number): number {
    return this.#ok(i) ? Number(this.statx!.readBigUInt64LE(i * STATX_SIZE + STX_SIZE)) : -1;
  }

  /** Entry `i`'s mode (type and permission bits), as `Stats.mode` (-1 without stats or when its statx failed). */
  mode(i: number): number {
    return this.#ok(i) ? this.statx!.readUInt16LE(i * STATX_SIZE + STX_MODE) : -1;
  }

  /** Entry `i`'s modification time in ms, as `Stats.mtimeMs` (NaN without stats or when its statx failed). */
  mtimeMs(i: number): number {
    if (!this.#ok(i)) return NaN;
    const at = i * STATX_SIZE + STX_MTIME;
    return Number(this.statx!.readBigInt64LE(at)) * 1e3 + this.statx!.readUInt32LE(at + 8) / 1e6;
  }

  /** Entry `i`'s inode number, as `Stats.ino` (-1 without stats or when its statx failed). */
  ino(i: number): number {
    return this.#ok(i) ? Number(this.statx!.readBigUInt64LE(i * STATX_SIZE + STX_INO)) : -1;
  }

  /** Entry `i`'s stats as an `fs.Stats`-shaped object (built now), or undefined without stats or when its statx failed. */
  stats(i: number): Stats | undefined {
    return this.#ok(i) ? makeStats(this.statx!.subarray(i * STATX_SIZE, (i + 1) * STATX_SIZE), false) as Stats : undefined;
  }

  /**
   * The error of entry `i`'s statx in node:fs's shape (`syscall` `'lstat'`, or `'stat'` with
   * `followSymlinks`), or undefined when it succeeded or without stats.
   */
  statError(i: number): Error | undefined {
    if (this.statErrors === null || this.statErrors[i] === 0) return undefined;
    return systemError(this.statErrors[i], this.#syscall, this.path(i));
  }
}

interface ScanConfig {
  root: string;
  depth: number;
  filter: ((name: string, dir: string, type: number) => boolean) | null;
  follow: boolean;
  stats: boolean;
  concurrency: number;
  onError: ((error: Error) => void) | null;
  ring: Ring | null;
}

function scanConfig(root: unknown, options: unknown): ScanConfig {
  const path = validatePath(root, 'root');
  if (typeof path !== 'string') throw invalidArgType('root', ['string', 'URL'], root);
  if (options === undefined) options = {};
  validateObject(options, 'options');
  const o = options as ScanOptions;
  if (o.depth !== undefined && o.depth !== Infinity) validateInteger(o.depth, 'options.depth', 0);
  if (o.filter !== undefined) validateFunction(o.filter, 'options.filter');
  if (o.followSymlinks !== undefined) validateBoolean(o.followSymlinks, 'options.followSymlinks');
  if (o.stats !== undefined) validateBoolean(o.stats, 'options.stats');
  if (o.concurrency !== undefined) validateInteger(o.concurrency, 'options.concurrency', 1, 1024);
  if (o.onError !== undefined) validateFunction(o.onError, 'options.onError');
  if (o.ring !== undefined && !(o.ring instanceof Ring)) throw invalidArgType('options.ring', 'Ring', o.ring);
  return {
    root: path,
    depth: o.depth ?? Infinity,
    filter: o.filter ?? null,
    follow: o.followSymlinks ?? false,
    stats: o.stats ?? false,
    concurrency: o.concurrency ?? 8,
    onError: o.onError ?? null,
    ring: o.ring ?? null,
  };
}

/** A directory to list: its path as reported, the bytes to open it by, and its depth. */
interface DirTask { dir: string; bytes: Buffer; depth: number }

/** What one listed directory holds once filtered: names, their NUL-terminated bytes, types, and which need a statx. */
interface Entries {
  names: string[];
  paths: Buffer[];
  types: Uint8Array;
  /** Indexes of the entries to statx. */
  stat: number[];
}

/**
 * The kept entries of a listing. Names decode as UTF-8; each entry's path for statx is a view of
 * its bytes (with their NUL) in the listing's buffer, relative to the directory's fd.
 */
function entriesOf(task: DirTask, listing: NativeListing, c: ScanConfig): Entries {
  const bytes = listing[0];
  const allTypes = listing[1];
  const all = bytes.length === 0 ? [] : bytes.toString('utf8', 0, bytes.length - 1).split('\0');
  const names: string[] = [];
  const paths: Buffer[] = [];
  const kept: number[] = [];
  const stat: number[] = [];
  let at = 0;
  for (let i = 0; i < all.length; i++) {
    let end = at;
    while (bytes[end] !== 0) end++;
    const start = at;
    at = end + 1;
    const type = allTypes[i];
    if (c.filter !== null && !c.filter(all[i], task.dir, type)) continue;
    if (c.stats || type === DirentType.Unknown || (c.follow && (type === DirentType.Dir || type === DirentType.Link))) stat.push(names.length);
    names.push(all[i]);
    paths.push(bytes.subarray(start, at));
    kept.push(type);
  }
  return { names, paths, types: Uint8Array.from(kept), stat };
}

/** Directory identities (dev:ino) already walked, with followSymlinks. */
type Seen = Set<string>;

function identity(statx: Buffer, offset: number): string {
  return `${statx.readUInt32LE(offset + STX_DEV_MAJOR)}:${statx.readUInt32LE(offset + STX_DEV_MINOR)}:${statx.readBigUInt64LE(offset + STX_INO)}`;
}

/**
 * Finish a directory once its statx are in: fix unknown types, pick the subdirectories to walk,
 * and make the batch.
 */
function finishDirectory(task: DirTask, e: Entries, statx: Buffer | null, errors: Int32Array | null, c: ScanConfig, seen: Seen | null, walk: (t: DirTask) => void): ScanBatch {
  const { names, types } = e;
  const descend = task.depth < c.depth;
  for (let i = 0; i < names.length; i++) {
    let type = types[i];
    const stated = errors !== null && errors[i] === 0 && statx !== null;
    if (type === DirentType.Unknown && stated) {
      type = typeOfMode(statx!.readUInt16LE(i * STATX_SIZE + STX_MODE));
      types[i] = type;
    }
    if (!descend) continue;
    let isDir = type === DirentType.Dir;
    if (c.follow && type === DirentType.Link && stated) {
      isDir = typeOfMode(statx!.readUInt16LE(i * STATX_SIZE + STX_MODE)) === DirentType.Dir;
    }
    if (!isDir) continue;
    if (seen !== null && stated) {
      const id = identity(statx!, i * STATX_SIZE);
      if (seen.has(id)) continue;
      seen.add(id);
    }
    walk({ dir: pathModule.join(task.dir, names[i]), bytes: childBytes(task.bytes, e.paths[i]), depth: task.depth + 1 });
  }
  const keep = c.stats;
  return new ScanBatch(task.dir, task.depth, names, types, keep ? statx : null, keep ? errors : null, c.follow);
}

/** The NUL-terminated path of a child: the parent's bytes, '/', the child's name bytes (with their NUL). */
function childBytes(parent: Buffer, name: Buffer): Buffer {
  const length = parent.length - 1;  // without the parent's NUL
  const slash = parent[length - 1] === 0x2f ? 0 : 1;
  const out = Buffer.allocUnsafe(length + slash + name.length);
  parent.copy(out, 0, 0, length);
  if (slash === 1) out[length] = 0x2f;
  name.copy(out, length + slash);
  return out;
}

function rootTask(c: ScanConfig): DirTask {
  return { dir: c.root, bytes: pathBytes(c.root), depth: 0 };
}

/** With followSymlinks: the walked directories, the root's identity first. */
function seenWithRoot(c: ScanConfig): Seen | null {
  if (!c.follow) return null;
  const out = Buffer.allocUnsafe(STATX_SIZE);
  const r = binding.sync.statx(AT_FDCWD, pathBytes(c.root), 0, STATX_MASK, out);
  const seen: Seen = new Set();
  if (r >= 0) seen.add(identity(out, 0));
  return seen;
}

function listError(task: DirTask, r: number): Error {
  return systemError(r, 'scandir', task.dir);
}

/**
 * Walk the tree under `root` on this thread, yielding one {@link ScanBatch} per directory, depth
 * first (a directory's batch, then its subdirectories'), each in the kernel's order. Listing is
 * getdents64 (64 KiB per call); with `stats`, each entry's statx is a direct syscall relative to
 * its directory's fd. Throws node:fs-shaped errors (`syscall: 'scandir'`) for the root.
 */
export function* scanSync(root: PathLike, options?: ScanOptions): Generator<ScanBatch, void, undefined> {
  const c = scanConfig(root, options);
  const seen = seenWithRoot(c);
  const stack: DirTask[] = [rootTask(c)];
  while (stack.length > 0) {
    const task = stack.pop()!;
    const slot = reserveSlot();
    const listing = dirs.list(task.bytes, KEEP_FD, slot);
    if (typeof listing === 'number') {
      releaseFd(slot);
      const err = listError(task, listing);
      if (task.depth === 0 || c.onError === null) throw err;
      c.onError(err);
      continue;
    }
    const fd = listing[2]!;
    let batch: ScanBatch;
    const children: DirTask[] = [];
    try {
      const e = entriesOf(task, listing, c);
      let statx: Buffer | null = null;
      let errors: Int32Array | null = null;
      if (e.stat.length > 0) {
        statx = Buffer.allocUnsafeSlow(e.names.length * STATX_SIZE);
        errors = new Int32Array(e.names.length).fill(-1);
        const flags = c.follow ? 0 : AT_SYMLINK_NOFOLLOW;
        for (const i of e.stat) {
          const r = binding.sync.statx(fd, e.paths[i], flags, STATX_MASK, statx.subarray(i * STATX_SIZE, (i + 1) * STATX_SIZE));
          errors[i] = r < 0 ? r : 0;
        }
      }
      batch = finishDirectory(task, e, statx, errors, c, seen, (t) => children.push(t));
    } finally {
      closeHeldFd(slot);
    }
    // Depth first, the subdirectories in the kernel's order.
    for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]);
    yield batch;
  }
}

/**
 * Walk the tree under `root`, yielding one {@link ScanBatch} per directory:
 * `for await (const batch of scan(root, { stats: true }))`. Up to `concurrency` directories are
 * listed at once on libuv's thread pool (getdents64: io_uring has no getdents op); with `stats`,
 * a directory's statx go to the ring together, relative to its fd — one io_uring_enter for many.
 * Batches come as directories finish (not in a fixed order); entries within a batch are in the
 * kernel's order. Rejects with node:fs-shaped errors (`syscall: 'scandir'`) for the root. Leaving
 * the loop early stops the walk (what is under way finishes and is closed).
 */
export async function* scan(root: PathLike, options?: ScanOptions): AsyncGenerator<ScanBatch, void, undefined> {
  const walker = new AsyncWalker(scanConfig(root, options));
  try {
    while (true) {
      const batch = await walker.next();
      if (batch === null) return;
      yield batch;
    }
  } finally {
    walker.stop();
  }
}

/** The async walk: a pool of directories under way, batches handed out as they finish. */
class AsyncWalker {
  readonly #c: ScanConfig;
  readonly #ring: Ring;
  readonly #seen: Seen | null;
  readonly #pending: DirTask[];
  #active = 0;
  readonly #ready: ScanBatch[] = [];
  #error: Error | null = null;
  #stopped = false;
  #wake: (() => void) | null = null;

  constructor(c: ScanConfig) {
    this.#c = c;
    this.#ring = c.ring ?? defaultRing();
    this.#seen = seenWithRoot(c);
    this.#pending = [rootTask(c)];
  }

  /** The next batch, null at the end; throws the walk's error. */
  async next(): Promise<ScanBatch | null> {
    for (;;) {
      if (this.#ready.length > 0) {
        const batch = this.#ready.shift()!;
        this.#start();
        return batch;
      }
      if (this.#error !== null) throw this.#error;
      if (this.#active === 0 && this.#pending.length === 0) return null;
      this.#start();
      await new Promise<void>((resolve) => { this.#wake = resolve; });
    }
  }

  stop(): void {
    this.#stopped = true;
    this.#pending.length = 0;
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = null;
    wake?.();
  }

  /** List more directories while there is room (and not too many batches wait to be taken). */
  #start(): void {
    const c = this.#c;
    while (!this.#stopped && this.#error === null && this.#active < c.concurrency && this.#ready.length < c.concurrency && this.#pending.length > 0) {
      const task = this.#pending.pop()!;
      this.#active++;
      const slot = reserveSlot();
      const r = dirs.listAsync(task.bytes, KEEP_FD, (listing) => this.#listed(task, slot, listing), slot);
      if (r < 0) this.#listed(task, slot, r);
    }
  }

  /** A listing, its fd listed in held-fd `slot` (or -errno, the slot unused). */
  #listed(task: DirTask, slot: number, listing: NativeListing | number): void {
    if (typeof listing === 'number') {
      releaseFd(slot);
      this.#active--;
      const err = listError(task, listing);
      if (!this.#stopped) {
        if (task.depth === 0 || this.#c.onError === null) this.#error ??= err;
        else this.#callOnError(err);
      }
      this.#start();
      this.#notify();
      return;
    }
    const fd = listing[2]!;
    if (this.#stopped) {
      this.#active--;
      closeHeldFd(slot);
      return;
    }
    let e: Entries;
    try {
      e = entriesOf(task, listing, this.#c);
    } catch (err) {
      this.#done(task, slot, null, null, null, err as Error);
      return;
    }
    if (e.stat.length === 0) {
      this.#done(task, slot, e, null, null, null);
      return;
    }
    const statx = Buffer.allocUnsafeSlow(e.names.length * STATX_SIZE);
    const errors = new Int32Array(e.names.length).fill(-1);
    let remaining = e.stat.length;
    let failure: Error | null = null;
    const settle = (result: number, op: Op): void => {
      // Ring-level failures (a closed ring) end the scan; a file's own error is its entry's.
      if (result < -4095 && failure === null) failure = resultError(result, 'statx');
      errors[op.tag] = result < 0 ? result : 0;
      if (--remaining === 0) this.#done(task, slot, e, statx, errors, failure);
    };
    const flags = this.#c.follow ? 0 : AT_SYMLINK_NOFOLLOW;
    for (const i of e.stat) {
      const op = new Op(OpCode.Statx);
      op.fd = fd;
      op.path = e.paths[i];
      op.flags = flags;
      op.mode = STATX_MASK;
      op.scratch = statx.subarray(i * STATX_SIZE, (i + 1) * STATX_SIZE);
      op.tag = i;
      op.done = settle;
      this.#ring.submit(op);
    }
  }

  #done(task: DirTask, slot: number, e: Entries | null, statx: Buffer | null, errors: Int32Array | null, failure: Error | null): void {
    closeHeldFd(slot);
    this.#active--;
    if (!this.#stopped) {
      if (failure !== null || e === null) {
        this.#error ??= failure;
      } else {
        try {
          this.#ready.push(finishDirectory(task, e, statx, errors, this.#c, this.#seen, (t) => this.#pending.push(t)));
        } catch (err) {
          this.#error ??= err as Error;
        }
      }
    }
    this.#start();
    this.#notify();
  }

  #callOnError(err: Error): void {
    try {
      this.#c.onError!(err);
    } catch (thrown) {
      this.#error ??= thrown as Error;
    }
  }
}
