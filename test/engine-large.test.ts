// A sparse file larger than 4 GiB: writes and reads at positions beyond 2^32
// (and straddling 2^32 and 2^33) through each flavour land where they should
// (not wrapped to 32 bits) and read back right, through every flavour and
// through node:fs, with number and bigint positions.
import * as nodeFs from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as fs from '../lib/index.js';
import * as fsp from '../lib/promises.js';
import { Prng, tempDir } from './fixtures/helpers.js';

const GiB = 2 ** 30;
const FILE_SIZE = 9 * GiB + 123;
const FLAVOURS = ['sync', 'callback', 'promise'] as const;
type Flavour = typeof FLAVOURS[number];

interface Block { flavour: Flavour; position: number; data: Buffer }

let tmp: ReturnType<typeof tempDir>;
let path: string;
let blocks: Block[];

beforeAll(() => {
  tmp = tempDir('large');
  path = join(tmp.dir, 'sparse.bin');
  const fd = nodeFs.openSync(path, 'w');
  nodeFs.ftruncateSync(fd, FILE_SIZE);
  nodeFs.closeSync(fd);
  const prng = new Prng(0x1a26e);
  // Positions beyond 2^32, some straddling 2^32 or 2^33; each flavour gets its
  // own copy of each, 1 MiB apart; blocks are at most 40,000 bytes, so none overlap.
  const bases = [2 ** 32 - 7, 2 ** 32 + 65_536, 2 ** 32 + 204_093, 5 * GiB + 1, 2 ** 33 - 3, 2 ** 33 + 112_345, FILE_SIZE - 3 * (1 << 20) - 40_000];
  blocks = [];
  FLAVOURS.forEach((flavour, f) => {
    for (const base of bases) blocks.push({ flavour, position: base + f * (1 << 20), data: prng.bytes(prng.int(1, 40_000)) });
  });
});
afterAll(() => tmp?.remove());

function cbWrite(fd: number, data: Buffer, position: number): Promise<number> {
  return new Promise((resolve, reject) => fs.write(fd, data, 0, data.length, position, (err: Error | null, n: number) => (err ? reject(err) : resolve(n))));
}

function cbRead(fd: number, buffer: Buffer, position: number | bigint): Promise<number> {
  return new Promise((resolve, reject) => fs.read(fd, buffer, 0, buffer.length, position, (err: Error | null, n: number) => (err ? reject(err) : resolve(n))));
}

/** Read `length` bytes at `position` with node:fs, for comparison. */
function nodeRead(position: number, length: number): Buffer {
  const fd = nodeFs.openSync(path, 'r');
  try {
    const b = Buffer.alloc(length);
    expect(nodeFs.readSync(fd, b, 0, length, position)).toBe(length);
    return b;
  } finally {
    nodeFs.closeSync(fd);
  }
}

describe('a sparse file over 4 GiB', () => {
  it('writes beyond 2^32 through each flavour land at the right position', async () => {
    const fd = fs.openSync(path, 'r+');
    const handle = await fsp.open(path, 'r+');
    try {
      const pending: Promise<number>[] = [];
      for (const b of blocks) {
        if (b.flavour === 'sync') pending.push(Promise.resolve(fs.writeSync(fd, b.data, 0, b.data.length, b.position)));
        else if (b.flavour === 'callback') pending.push(cbWrite(fd, b.data, b.position));
        else pending.push(handle.write(b.data, 0, b.data.length, b.position).then((r) => r.bytesWritten));
      }
      expect(await Promise.all(pending)).toEqual(blocks.map((b) => b.data.length));
    } finally {
      fs.closeSync(fd);
      await handle.close();
    }
    expect(nodeFs.statSync(path).size).toBe(FILE_SIZE);
    for (const b of blocks) {
      expect(nodeRead(b.position, b.data.length).equals(b.data), `${b.flavour} block at ${b.position}`).toBe(true);
      // Not wrapped to a 32-bit offset: the same place modulo 2^32 is still a hole.
      const wrapped = b.position % 2 ** 32;
      const covered = blocks.some((o) => o.position < wrapped + 64 && wrapped < o.position + o.data.length);
      if (!covered) expect(nodeRead(wrapped, 64).equals(Buffer.alloc(64)), `hole at ${wrapped}`).toBe(true);
    }
  });

  it('reads beyond 2^32 through each flavour, with number and bigint positions, return the right bytes', async () => {
    const fd = fs.openSync(path, 'r');
    const handle = await fsp.open(path, 'r');
    try {
      for (const b of blocks) {
        const len = b.data.length;
        for (const position of [b.position, BigInt(b.position)]) {
          const s = Buffer.alloc(len);
          expect(fs.readSync(fd, s, 0, len, position)).toBe(len);
          expect(s.equals(b.data)).toBe(true);
          const c = Buffer.alloc(len);
          expect(await cbRead(fd, c, position)).toBe(len);
          expect(c.equals(b.data)).toBe(true);
          const { bytesRead, buffer } = await handle.read<Buffer>(Buffer.alloc(len), 0, len, position);
          expect(bytesRead).toBe(len);
          expect(buffer.equals(b.data)).toBe(true);
        }
      }
      // A hole beyond 2^32 reads as zeros; the end of the file is EOF beyond 2^33.
      const hole = Buffer.alloc(4096, 0xff);
      expect(fs.readSync(fd, hole, 0, 4096, 7 * GiB)).toBe(4096);
      expect(hole.equals(Buffer.alloc(4096))).toBe(true);
      expect(await cbRead(fd, Buffer.alloc(100), FILE_SIZE - 10)).toBe(10);
      expect((await handle.read(Buffer.alloc(100), 0, 100, FILE_SIZE)).bytesRead).toBe(0);
      expect(fs.readSync(fd, Buffer.alloc(100), 0, 100, BigInt(FILE_SIZE) + 5n)).toBe(0);
    } finally {
      fs.closeSync(fd);
      await handle.close();
    }
  });

  it('readv/writev beyond 2^32 through each flavour', async () => {
    const prng = new Prng(0xbeef);
    const position = (f: number) => 2 ** 32 + 6 * (1 << 20) + f * 100_000 - 50;
    const lists = FLAVOURS.map(() => Array.from({ length: prng.int(2, 8) }, () => prng.bytes(prng.int(0, 5000))));
    const fd = fs.openSync(path, 'r+');
    const handle = await fsp.open(path, 'r+');
    try {
      const total = (l: Buffer[]) => l.reduce((a, b) => a + b.length, 0);
      expect(fs.writevSync(fd, lists[0], position(0))).toBe(total(lists[0]));
      expect(await new Promise<number>((resolve, reject) => fs.writev(fd, lists[1], position(1), (err: Error | null, n: number) => (err ? reject(err) : resolve(n))))).toBe(total(lists[1]));
      expect((await handle.writev(lists[2], position(2))).bytesWritten).toBe(total(lists[2]));
      for (let f = 0; f < 3; f++) {
        const expected = Buffer.concat(lists[f]);
        expect(nodeRead(position(f), expected.length).equals(expected)).toBe(true);
        // Read back through each flavour with a different split into buffers.
        const split = () => [Buffer.alloc(Math.floor(expected.length / 3)), Buffer.alloc(expected.length - Math.floor(expected.length / 3))];
        const a = split();
        expect(fs.readvSync(fd, a, position(f))).toBe(expected.length);
        expect(Buffer.concat(a).equals(expected)).toBe(true);
        const b = split();
        expect(await new Promise<number>((resolve, reject) => fs.readv(fd, b, position(f), (err: Error | null, n: number) => (err ? reject(err) : resolve(n))))).toBe(expected.length);
        expect(Buffer.concat(b).equals(expected)).toBe(true);
        const c = split();
        expect((await handle.readv(c, position(f))).bytesRead).toBe(expected.length);
        expect(Buffer.concat(c).equals(expected)).toBe(true);
      }
    } finally {
      fs.closeSync(fd);
      await handle.close();
    }
  });

  it('every flavour reports the size beyond 2^32 (number and bigint)', async () => {
    expect(fs.statSync(path)!.size).toBe(FILE_SIZE);
    expect(fs.statSync(path, { bigint: true })!.size).toBe(BigInt(FILE_SIZE));
    const viaCallback = await new Promise<fs.Stats>((resolve, reject) => fs.stat(path, (err: Error | null, st: fs.Stats) => (err ? reject(err) : resolve(st))));
    expect(viaCallback.size).toBe(FILE_SIZE);
    const handle = await fsp.open(path, 'r');
    try {
      expect((await handle.stat()).size).toBe(FILE_SIZE);
      expect((await handle.stat({ bigint: true })).size).toBe(BigInt(FILE_SIZE));
    } finally {
      await handle.close();
    }
  });
});
