// fs.Stats results, read from the kernel's struct statx (the same call libuv makes for node:fs, so
// the fields agree), and built by the running Node's own Stats and BigIntStats classes: the
// objects are node:fs's in every respect (`instanceof fs.Stats`, own keys, the date fields as
// own properties on Node 20 and as lazy getters from Node 22, util.inspect, JSON), on whatever
// version runs.
import fs, { constants } from 'node:fs';

const { S_IFMT, S_IFREG } = constants;

// Offsets in struct statx (linux/stat.h).
const STX_BLKSIZE = 4, STX_NLINK = 16, STX_UID = 20, STX_GID = 24, STX_MODE = 28, STX_INO = 32,
  STX_SIZE = 40, STX_BLOCKS = 48, STX_ATIME = 64, STX_BTIME = 80, STX_CTIME = 96, STX_MTIME = 112,
  STX_RDEV_MAJOR = 128, STX_RDEV_MINOR = 132, STX_DEV_MAJOR = 136, STX_DEV_MINOR = 140;

/**
 * node:fs's constructors take what its binding reads from the kernel, in this order: dev, mode,
 * nlink, uid, gid, rdev, blksize, ino, size, blocks, then atime, mtime, ctime and birthtime — in
 * milliseconds for Stats, in nanoseconds for BigIntStats.
 */
type StatsClass<T, S> = new (
  dev: T, mode: T, nlink: T, uid: T, gid: T, rdev: T, blksize: T, ino: T, size: T, blocks: T,
  atime: T, mtime: T, ctime: T, birthtime: T,
) => S;

/** node:fs's `fs.Stats`, the very same value: what uringfs's stat functions return (without `bigint`) is an instance of it. */
export const Stats = fs.Stats;
/** node:fs's `fs.Stats`. */
export type Stats = fs.Stats;
/** node:fs's `fs.BigIntStats` (what `{ bigint: true }` gives). */
export type BigIntStats = fs.BigIntStats;

// The class behind fs.Stats, which node:fs itself calls. From Node 22 `fs.Stats` is a deprecated
// wrapper that warns when called (DEP0180); it shares its prototype with the class, whose
// `constructor` is the class.
const statsClass = fs.Stats.prototype.constructor as StatsClass<number, Stats>;

/**
 * node:fs's BigIntStats class, which node:fs does not export: found on what node:fs's own
 * `statSync('/', { bigint: true })` returns, once, when this module loads. Where that stat is
 * refused (a permission model that hides '/'), a stand-in built on the same base class with
 * the date fields as fs.Stats has them.
 */
function nodeBigIntStats(): StatsClass<bigint, BigIntStats> {
  const base = Object.getPrototypeOf(fs.Stats.prototype) as object;
  try {
    const found = Object.getPrototypeOf(fs.statSync('/', { bigint: true })) as { constructor?: unknown } | null;
    if (found && found !== fs.Stats.prototype && Object.getPrototypeOf(found) === base && typeof found.constructor === 'function') {
      return found.constructor as StatsClass<bigint, BigIntStats>;
    }
  } catch { /* the stand-in below */ }
  const datesAreGetters = typeof Object.getOwnPropertyDescriptor(fs.Stats.prototype, 'atime')?.get === 'function';
  const names = ['dev', 'mode', 'nlink', 'uid', 'gid', 'rdev', 'blksize', 'ino', 'size', 'blocks'] as const;
  const times = ['atime', 'mtime', 'ctime', 'birthtime'] as const;
  function BigIntStats(this: Record<string, unknown>, ...v: bigint[]): void {
    names.forEach((k, i) => { this[k] = v[i]; });
    times.forEach((t, i) => { this[`${t}Ms`] = v[10 + i] / 1000000n; });
    times.forEach((t, i) => { this[`${t}Ns`] = v[10 + i]; });
    if (!datesAreGetters) times.forEach((t) => { this[t] = new Date(Math.round(Number(this[`${t}Ms`]))); });
  }
  const proto = Object.create(base) as Record<string, unknown>;
  Object.defineProperty(proto, 'constructor', { value: BigIntStats, writable: true, configurable: true });
  Object.defineProperty(proto, '_checkModeProperty', {
    value(this: { mode: bigint }, property: number) { return (this.mode & BigInt(S_IFMT)) === BigInt(property); },
    writable: true, configurable: true,
  });
  // Node's date getters read `${name}Ms` and convert with Number(), so they serve bigints too.
  if (datesAreGetters) for (const t of times) Object.defineProperty(proto, t, Object.getOwnPropertyDescriptor(fs.Stats.prototype, t)!);
  BigIntStats.prototype = proto;
  return BigIntStats as unknown as StatsClass<bigint, BigIntStats>;
}

/** node:fs's BigIntStats class (node:fs does not export it): what `{ bigint: true }` gives is an instance of it. */
export const BigIntStats = nodeBigIntStats();

/** glibc's makedev(), which libuv applies to statx's split device numbers. */
function makedev(major: number, minor: number): bigint {
  const ma = BigInt(major >>> 0), mi = BigInt(minor >>> 0);
  return ((ma & 0xfffff000n) << 32n) | ((ma & 0xfffn) << 8n) | ((mi & 0xffffff00n) << 12n) | (mi & 0xffn);
}

/**
 * makedev() as a Number: what Number(makedev(…)) gives, without BigInts. Bits 0-43 are summed
 * exactly first, so adding bits 44-63 rounds once, as the BigInt's conversion does.
 */
function makedevNumber(major: number, minor: number): number {
  const low = (minor & 0xff) + (major & 0xfff) * 0x100 + ((minor & 0xffffff00) >>> 0) * 0x1000;
  return ((major & 0xfffff000) >>> 0) * 2 ** 32 + low;
}

/**
 * A statx buffer as 32-bit words (the struct's fields are all 4-byte aligned), read far faster
 * than through Buffer's readers. The last one is kept: the sync calls and readFile reuse theirs.
 */
const STATX_WORDS = (STX_DEV_MINOR + 4) / 4;
let lastBytes: Buffer | null = null;
let lastWords: Uint32Array = new Uint32Array(0);

function words(b: Buffer): Uint32Array {
  if (b !== lastBytes) {
    const aligned = b.byteOffset % 4 === 0;
    lastWords = aligned ? new Uint32Array(b.buffer, b.byteOffset, STATX_WORDS) : new Uint32Array(Uint8Array.prototype.slice.call(b, 0, STATX_WORDS * 4).buffer);
    // An unaligned buffer is read from a copy, which must not be taken for it next time.
    lastBytes = aligned ? b : null;
  }
  return lastWords;
}

/** An unsigned 64-bit field as a Number (one rounding past 2^53, as Number(bigint) does). */
function u64(w: Uint32Array, at: number): number {
  return w[at / 4 + 1] * 2 ** 32 + w[at / 4];
}

/** A time as node:fs's binding gives it to Stats: seconds * 1e3 + nanoseconds / 1e6. */
function ms(w: Uint32Array, at: number): number {
  const i = at / 4;
  return ((w[i + 1] | 0) * 2 ** 32 + w[i]) * 1e3 + w[i + 2] / 1e6;
}

function ns(b: Buffer, at: number): bigint {
  return b.readBigInt64LE(at) * 1000000000n + BigInt(b.readUInt32LE(at + 8));
}

function numberStats(b: Buffer): Stats {
  const w = words(b);
  return new statsClass(
    makedevNumber(w[STX_DEV_MAJOR / 4], w[STX_DEV_MINOR / 4]),
    w[STX_MODE / 4] & 0xffff,  // stx_mode is 16 bits (little-endian: the word's low half)
    w[STX_NLINK / 4],
    w[STX_UID / 4],
    w[STX_GID / 4],
    makedevNumber(w[STX_RDEV_MAJOR / 4], w[STX_RDEV_MINOR / 4]),
    w[STX_BLKSIZE / 4],
    u64(w, STX_INO),
    u64(w, STX_SIZE),
    u64(w, STX_BLOCKS),
    ms(w, STX_ATIME), ms(w, STX_MTIME), ms(w, STX_CTIME), ms(w, STX_BTIME),
  );
}

function bigintStats(b: Buffer): BigIntStats {
  return new BigIntStats(
    makedev(b.readUInt32LE(STX_DEV_MAJOR), b.readUInt32LE(STX_DEV_MINOR)),
    BigInt(b.readUInt16LE(STX_MODE)),
    BigInt(b.readUInt32LE(STX_NLINK)),
    BigInt(b.readUInt32LE(STX_UID)),
    BigInt(b.readUInt32LE(STX_GID)),
    makedev(b.readUInt32LE(STX_RDEV_MAJOR), b.readUInt32LE(STX_RDEV_MINOR)),
    BigInt(b.readUInt32LE(STX_BLKSIZE)),
    b.readBigUInt64LE(STX_INO),
    b.readBigUInt64LE(STX_SIZE),
    b.readBigUInt64LE(STX_BLOCKS),
    ns(b, STX_ATIME), ns(b, STX_MTIME), ns(b, STX_CTIME), ns(b, STX_BTIME),
  );
}

export function makeStats(statx: Buffer, bigint: boolean): Stats | BigIntStats {
  return bigint ? bigintStats(statx) : numberStats(statx);
}

/** File type and size straight from a statx buffer (readFile needs no full Stats). */
export function statxTypeAndSize(b: Buffer): { isFile: boolean; size: number } {
  const w = words(b);
  return { isFile: (w[STX_MODE / 4] & S_IFMT) === S_IFREG, size: u64(w, STX_SIZE) };
}
