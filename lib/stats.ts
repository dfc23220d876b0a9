// fs.Stats-shaped results, read from the kernel's struct statx (the same
// call libuv makes for node:fs, so the fields agree).
import { constants } from 'node:fs';

const { S_IFMT, S_IFREG, S_IFDIR, S_IFCHR, S_IFBLK, S_IFIFO, S_IFLNK, S_IFSOCK } = constants;

// Offsets in struct statx (linux/stat.h).
const STX_BLKSIZE = 4, STX_NLINK = 16, STX_UID = 20, STX_GID = 24, STX_MODE = 28, STX_INO = 32,
  STX_SIZE = 40, STX_BLOCKS = 48, STX_ATIME = 64, STX_BTIME = 80, STX_CTIME = 96, STX_MTIME = 112,
  STX_RDEV_MAJOR = 128, STX_RDEV_MINOR = 132, STX_DEV_MAJOR = 136, STX_DEV_MINOR = 140;

/** glibc's makedev(), which libuv applies to statx's split device numbers. */
function makedev(major: number, minor: number): bigint {
  const ma = BigInt(major >>> 0), mi = BigInt(minor >>> 0);
  return ((ma & 0xfffff000n) << 32n) | ((ma & 0xfffn) << 8n) | ((mi & 0xffffff00n) << 12n) | (mi & 0xffn);
}

abstract class StatsBase<T extends number | bigint> {
  abstract dev: T; abstract ino: T; abstract mode: T; abstract nlink: T; abstract uid: T; abstract gid: T;
  abstract rdev: T; abstract size: T; abstract blksize: T; abstract blocks: T;
  abstract atime: Date; abstract mtime: Date; abstract ctime: Date; abstract birthtime: Date;

  #type(): number { return Number(this.mode) & S_IFMT; }
  isFile(): boolean { return this.#type() === S_IFREG; }
  isDirectory(): boolean { return this.#type() === S_IFDIR; }
  isBlockDevice(): boolean { return this.#type() === S_IFBLK; }
  isCharacterDevice(): boolean { return this.#type() === S_IFCHR; }
  isSymbolicLink(): boolean { return this.#type() === S_IFLNK; }
  isFIFO(): boolean { return this.#type() === S_IFIFO; }
  isSocket(): boolean { return this.#type() === S_IFSOCK; }
}

/** Like node:fs Stats: numbers, times in ms and as Dates. */
export class Stats extends StatsBase<number> {
  // Declared in node:fs's order, which is the order of Object.keys().
  dev: number; mode: number; nlink: number; uid: number; gid: number; rdev: number; blksize: number;
  ino: number; size: number; blocks: number;
  atimeMs: number; mtimeMs: number; ctimeMs: number; birthtimeMs: number;
  atime: Date; mtime: Date; ctime: Date; birthtime: Date;

  constructor(b: Buffer) {
    super();
    this.dev = Number(makedev(b.readUInt32LE(STX_DEV_MAJOR), b.readUInt32LE(STX_DEV_MINOR)));
    this.mode = b.readUInt16LE(STX_MODE);
    this.nlink = b.readUInt32LE(STX_NLINK);
    this.uid = b.readUInt32LE(STX_UID);
    this.gid = b.readUInt32LE(STX_GID);
    this.rdev = Number(makedev(b.readUInt32LE(STX_RDEV_MAJOR), b.readUInt32LE(STX_RDEV_MINOR)));
    this.blksize = b.readUInt32LE(STX_BLKSIZE);
    this.ino = Number(b.readBigUInt64LE(STX_INO));
    this.size = Number(b.readBigUInt64LE(STX_SIZE));
    this.blocks = Number(b.readBigUInt64LE(STX_BLOCKS));
    this.atimeMs = ms(b, STX_ATIME);
    this.mtimeMs = ms(b, STX_MTIME);
    this.ctimeMs = ms(b, STX_CTIME);
    this.birthtimeMs = ms(b, STX_BTIME);
    this.atime = dateFromMs(this.atimeMs);
    this.mtime = dateFromMs(this.mtimeMs);
    this.ctime = dateFromMs(this.ctimeMs);
    this.birthtime = dateFromMs(this.birthtimeMs);
  }
}

/** Like node:fs BigIntStats (`{ bigint: true }`): bigints, plus nanosecond times. */
export class BigIntStats extends StatsBase<bigint> {
  // Declared in node:fs's order, which is the order of Object.keys().
  dev: bigint; mode: bigint; nlink: bigint; uid: bigint; gid: bigint; rdev: bigint; blksize: bigint;
  ino: bigint; size: bigint; blocks: bigint;
  atimeMs: bigint; mtimeMs: bigint; ctimeMs: bigint; birthtimeMs: bigint;
  atimeNs: bigint; mtimeNs: bigint; ctimeNs: bigint; birthtimeNs: bigint;
  atime: Date; mtime: Date; ctime: Date; birthtime: Date;

  constructor(b: Buffer) {
    super();
    this.dev = makedev(b.readUInt32LE(STX_DEV_MAJOR), b.readUInt32LE(STX_DEV_MINOR));
    this.mode = BigInt(b.readUInt16LE(STX_MODE));
    this.nlink = BigInt(b.readUInt32LE(STX_NLINK));
    this.uid = BigInt(b.readUInt32LE(STX_UID));
    this.gid = BigInt(b.readUInt32LE(STX_GID));
    this.rdev = makedev(b.readUInt32LE(STX_RDEV_MAJOR), b.readUInt32LE(STX_RDEV_MINOR));
    this.blksize = BigInt(b.readUInt32LE(STX_BLKSIZE));
    this.ino = b.readBigUInt64LE(STX_INO);
    this.size = b.readBigUInt64LE(STX_SIZE);
    this.blocks = b.readBigUInt64LE(STX_BLOCKS);
    this.atimeNs = ns(b, STX_ATIME);
    this.mtimeNs = ns(b, STX_MTIME);
    this.ctimeNs = ns(b, STX_CTIME);
    this.birthtimeNs = ns(b, STX_BTIME);
    this.atimeMs = this.atimeNs / 1000000n;
    this.mtimeMs = this.mtimeNs / 1000000n;
    this.ctimeMs = this.ctimeNs / 1000000n;
    this.birthtimeMs = this.birthtimeNs / 1000000n;
    this.atime = dateFromMs(Number(this.atimeMs));
    this.mtime = dateFromMs(Number(this.mtimeMs));
    this.ctime = dateFromMs(Number(this.ctimeMs));
    this.birthtime = dateFromMs(Number(this.birthtimeMs));
  }
}

function ms(b: Buffer, at: number): number {
  return Number(b.readBigInt64LE(at)) * 1e3 + b.readUInt32LE(at + 8) / 1e6;
}

function ns(b: Buffer, at: number): bigint {
  return b.readBigInt64LE(at) * 1000000000n + BigInt(b.readUInt32LE(at + 8));
}

function dateFromMs(ms: number): Date {
  // Node rounds to the nearest whole millisecond.
  return new Date(Math.round(ms));
}

export function makeStats(statx: Buffer, bigint: boolean): Stats | BigIntStats {
  return bigint ? new BigIntStats(statx) : new Stats(statx);
}

/** File type and size straight from a statx buffer (readFile needs no full Stats). */
export function statxTypeAndSize(b: Buffer): { isFile: boolean; size: number } {
  return { isFile: (b.readUInt16LE(STX_MODE) & S_IFMT) === S_IFREG, size: Number(b.readBigUInt64LE(STX_SIZE)) };
}
