// Data integrity through each flavour: thousands of writes of random sizes at
// random offsets (seeded, so a failure reproduces), recorded in an in-memory
// model, then read back through the API and through node:fs and compared by
// sha256. The async flavours issue each round of writes all at once; ranges
// within a round never overlap (the kernel may complete them in any order),
// ranges of different rounds do, so later rounds must win.
import * as nodeFs from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as fs from '../lib/index.js';
import * as fsp from '../lib/promises.js';
import { Prng, sha256, tempDir } from './fixtures/helpers.js';

const FILE_SIZE = 4 << 20;
const WRITES = 3000;
const PER_ROUND = 250;

interface Write { offset: number; data: Buffer }

/** A random length: mostly small, some up to 64 KiB. */
function randomLength(prng: Prng): number {
  const r = prng.int(0, 99);
  if (r < 80) return prng.int(1, 4096);
  if (r < 98) return prng.int(4097, 16384);
  return prng.int(16385, 65536);
}

/**
 * `total` writes in rounds of `perRound`; within a round no two ranges
 * overlap, so they may be issued concurrently and land in any order.
 */
function planWrites(prng: Prng, total: number, perRound: number, fileSize: number): Write[][] {
  const rounds: Write[][] = [];
  let planned = 0;
  while (planned < total) {
    const used = new Uint8Array(fileSize);
    const round: Write[] = [];
    while (round.length < perRound && planned < total) {
      const length = Math.min(randomLength(prng), fileSize);
      const offset = prng.int(0, fileSize - length);
      if (used.subarray(offset, offset + length).includes(1)) continue;
      used.fill(1, offset, offset + length);
      round.push({ offset, data: prng.bytes(length) });
      planned++;
    }
    rounds.push(round);
  }
  return rounds;
}

function applyToModel(model: Buffer, writes: Write[]): void {
  for (const w of writes) w.data.copy(model, w.offset);
}

/** Random chunks covering [0, size): [offset, length] pairs. */
function planChunks(prng: Prng, size: number): [number, number][] {
  const chunks: [number, number][] = [];
  for (let at = 0; at < size;) {
    const length = Math.min(randomLength(prng), size - at);
    chunks.push([at, length]);
    at += length;
  }
  return chunks;
}

/** A random list of views (Buffers, Uint8Arrays at odd offsets, DataViews, empty ones) and their bytes concatenated. */
function randomViews(prng: Prng, fill: boolean): { views: NodeJS.ArrayBufferView[]; total: number } {
  const count = prng.int(1, 16);
  const views: NodeJS.ArrayBufferView[] = [];
  let total = 0;
  for (let i = 0; i < count; i++) {
    const length = prng.int(0, 9) === 0 ? 0 : prng.int(1, 3000);
    const bytes = fill ? prng.bytes(length) : Buffer.alloc(length, 0xee);
    const kind = prng.int(0, 2);
    if (kind === 0) {
      views.push(bytes);
    } else {
      // A view into the middle of a larger ArrayBuffer: the engine must use byteOffset.
      const pad = prng.int(1, 64);
      const backing = new Uint8Array(length + 2 * pad).fill(0xaa);
      backing.set(bytes, pad);
      views.push(kind === 1 ? new Uint8Array(backing.buffer, pad, length) : new DataView(backing.buffer, pad, length));
    }
    total += length;
  }
  return { views, total };
}

function viewBytes(v: NodeJS.ArrayBufferView): Buffer {
  return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
}

function concatViews(views: NodeJS.ArrayBufferView[]): Buffer {
  return Buffer.concat(views.map(viewBytes));
}

/** Writes vectored: each entry is a writev at `offset` of `views`. Non-overlapping within a round. */
function planVectorRounds(prng: Prng, rounds: number, perRound: number, fileSize: number): { offset: number; views: NodeJS.ArrayBufferView[]; total: number }[][] {
  const out: { offset: number; views: NodeJS.ArrayBufferView[]; total: number }[][] = [];
  for (let r = 0; r < rounds; r++) {
    const used = new Uint8Array(fileSize);
    const round: { offset: number; views: NodeJS.ArrayBufferView[]; total: number }[] = [];
    while (round.length < perRound) {
      const { views, total } = randomViews(prng, true);
      const offset = prng.int(0, fileSize - total);
      if (used.subarray(offset, offset + total).includes(1)) continue;
      used.fill(1, offset, offset + total);
      round.push({ offset, views, total });
    }
    out.push(round);
  }
  return out;
}

let tmp: ReturnType<typeof tempDir>;
beforeAll(() => { tmp = tempDir('integrity'); });
afterAll(() => tmp.remove());

/** A file of FILE_SIZE random bytes (so untouched ranges are checked too), and its model. */
function makeFile(name: string, prng: Prng, size = FILE_SIZE): { path: string; model: Buffer } {
  const path = join(tmp.dir, name);
  const initial = prng.bytes(size);
  nodeFs.writeFileSync(path, initial);
  return { path, model: Buffer.from(initial) };
}

function callbackWrite(fd: number, data: Buffer, position: number): Promise<number> {
  return new Promise((resolve, reject) => {
    fs.write(fd, data, 0, data.length, position, (err: Error | null, n: number) => (err ? reject(err) : resolve(n)));
  });
}

function callbackRead(fd: number, buffer: Buffer, offset: number, length: number, position: number | null): Promise<number> {
  return new Promise((resolve, reject) => {
    fs.read(fd, buffer, offset, length, position, (err: Error | null, n: number) => (err ? reject(err) : resolve(n)));
  });
}

function callbackReadFile(path: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    fs.readFile(path, (err: Error | null, data?: Buffer) => (err ? reject(err) : resolve(data!)));
  });
}

function callbackWritev(fd: number, views: NodeJS.ArrayBufferView[], position: number): Promise<number> {
  return new Promise((resolve, reject) => {
    fs.writev(fd, views, position, (err: Error | null, n: number) => (err ? reject(err) : resolve(n)));
  });
}

function callbackReadv(fd: number, views: NodeJS.ArrayBufferView[], position: number): Promise<number> {
  return new Promise((resolve, reject) => {
    fs.readv(fd, views, position, (err: Error | null, n: number) => (err ? reject(err) : resolve(n)));
  });
}

describe('random writes, read back by hash', () => {
  it('sync flavour: writeSync at random offsets, read back with readSync, readFileSync and node:fs', () => {
    const prng = new Prng(0x5eed0001);
    const { path, model } = makeFile('sync.bin', prng);
    const rounds = planWrites(prng, WRITES, PER_ROUND, FILE_SIZE);
    const fd = fs.openSync(path, 'r+');
    try {
      for (const round of rounds) {
        for (const w of round) expect(fs.writeSync(fd, w.data, 0, w.data.length, w.offset)).toBe(w.data.length);
        applyToModel(model, round);
      }
      const expected = sha256(model);

      // Positional reads in random chunks, in random order.
      const positional = Buffer.alloc(FILE_SIZE);
      for (const [offset, length] of prng.shuffle(planChunks(prng, FILE_SIZE))) {
        expect(fs.readSync(fd, positional, offset, length, offset)).toBe(length);
      }
      expect(sha256(positional)).toBe(expected);

      // Reads from the current position (pwrite never moved it from 0).
      const sequential = Buffer.alloc(FILE_SIZE);
      for (const [offset, length] of planChunks(prng, FILE_SIZE)) {
        expect(fs.readSync(fd, sequential, offset, length, null)).toBe(length);
      }
      expect(fs.readSync(fd, Buffer.alloc(16), 0, 16, null)).toBe(0);
      expect(sha256(sequential)).toBe(expected);
    } finally {
      fs.closeSync(fd);
    }
    expect(sha256(fs.readFileSync(path) as Buffer)).toBe(sha256(model));
    expect(sha256(nodeFs.readFileSync(path))).toBe(sha256(model));
  });

  it('callback flavour: each round of writes in flight at once, read back concurrently, with readFile and node:fs', async () => {
    const prng = new Prng(0x5eed0002);
    const { path, model } = makeFile('callback.bin', prng);
    const rounds = planWrites(prng, WRITES, PER_ROUND, FILE_SIZE);
    const fd = await new Promise<number>((resolve, reject) => fs.open(path, 'r+', (err: Error | null, fd?: number) => (err ? reject(err) : resolve(fd!))));
    try {
      for (const round of rounds) {
        const written = await Promise.all(round.map((w) => callbackWrite(fd, w.data, w.offset)));
        expect(written).toEqual(round.map((w) => w.data.length));
        applyToModel(model, round);
      }
      const expected = sha256(model);

      const back = Buffer.alloc(FILE_SIZE);
      const chunks = prng.shuffle(planChunks(prng, FILE_SIZE));
      const counts = await Promise.all(chunks.map(([offset, length]) => callbackRead(fd, back, offset, length, offset)));
      expect(counts).toEqual(chunks.map(([, length]) => length));
      expect(sha256(back)).toBe(expected);
    } finally {
      await new Promise<void>((resolve, reject) => fs.close(fd, (err) => (err ? reject(err) : resolve())));
    }
    expect(sha256(await callbackReadFile(path))).toBe(sha256(model));
    expect(sha256(nodeFs.readFileSync(path))).toBe(sha256(model));
  });

  it('promise flavour: FileHandle writes in flight at once, read back with FileHandle.read, readFile and node:fs', async () => {
    const prng = new Prng(0x5eed0003);
    const { path, model } = makeFile('promise.bin', prng);
    const rounds = planWrites(prng, WRITES, PER_ROUND, FILE_SIZE);
    const handle = await fsp.open(path, 'r+');
    try {
      for (const round of rounds) {
        const results = await Promise.all(round.map((w) => handle.write(w.data, 0, w.data.length, w.offset)));
        results.forEach((r, i) => {
          expect(r.bytesWritten).toBe(round[i].data.length);
          expect(r.buffer).toBe(round[i].data);
        });
        applyToModel(model, round);
      }
      const expected = sha256(model);

      const back = Buffer.alloc(FILE_SIZE);
      const chunks = prng.shuffle(planChunks(prng, FILE_SIZE));
      const reads = await Promise.all(chunks.map(([offset, length]) => handle.read(back, offset, length, offset)));
      expect(reads.map((r) => r.bytesRead)).toEqual(chunks.map(([, length]) => length));
      expect(sha256(back)).toBe(expected);

      // FileHandle.readFile reads from the current position, still 0.
      expect(sha256(await handle.readFile() as Buffer)).toBe(expected);
    } finally {
      await handle.close();
    }
    expect(sha256(await fsp.readFile(path) as Buffer)).toBe(sha256(model));
    expect(sha256(nodeFs.readFileSync(path))).toBe(sha256(model));
  });

  it('the three flavours agree: writes interleaved across flavours on one file, concurrently per round', async () => {
    const prng = new Prng(0x5eed0004);
    const { path, model } = makeFile('mixed.bin', prng, 1 << 20);
    const rounds = planWrites(prng, 1500, 150, 1 << 20);
    const handle = await fsp.open(path, 'r+');
    const fd = handle.fd;
    try {
      for (const round of rounds) {
        const pending: Promise<number>[] = [];
        for (const w of round) {
          const flavour = prng.int(0, 2);
          if (flavour === 0) pending.push(Promise.resolve(fs.writeSync(fd, w.data, 0, w.data.length, w.offset)));
          else if (flavour === 1) pending.push(callbackWrite(fd, w.data, w.offset));
          else pending.push(handle.write(w.data, 0, w.data.length, w.offset).then((r) => r.bytesWritten));
        }
        expect(await Promise.all(pending)).toEqual(round.map((w) => w.data.length));
        applyToModel(model, round);
      }
    } finally {
      await handle.close();
    }
    expect(sha256(nodeFs.readFileSync(path))).toBe(sha256(model));
    expect(sha256(fs.readFileSync(path) as Buffer)).toBe(sha256(model));
  });
});

describe('readv/writev with random buffer lists', () => {
  const SIZE = 1 << 20;

  /** Reads `count` random ranges with random view lists through `readv` and compares each to the model. */
  async function checkRandomReadvs(prng: Prng, model: Buffer, count: number, readv: (views: NodeJS.ArrayBufferView[], position: number) => Promise<number> | number): Promise<void> {
    const jobs: Promise<void>[] = [];
    for (let i = 0; i < count; i++) {
      const { views, total } = randomViews(prng, false);
      const position = prng.int(0, SIZE - total);
      jobs.push(Promise.resolve(readv(views, position)).then((n) => {
        expect(n).toBe(total);
        expect(concatViews(views).equals(model.subarray(position, position + total))).toBe(true);
      }));
    }
    await Promise.all(jobs);
  }

  it('sync flavour: writevSync/readvSync', async () => {
    const prng = new Prng(0x5eed0101);
    const { path, model } = makeFile('v-sync.bin', prng, SIZE);
    const fd = fs.openSync(path, 'r+');
    try {
      for (const round of planVectorRounds(prng, 6, 100, SIZE)) {
        for (const w of round) {
          expect(fs.writevSync(fd, w.views, w.offset)).toBe(w.total);
          concatViews(w.views).copy(model, w.offset);
        }
      }
      await checkRandomReadvs(prng, model, 600, (views, position) => fs.readvSync(fd, views, position));
    } finally {
      fs.closeSync(fd);
    }
    expect(sha256(nodeFs.readFileSync(path))).toBe(sha256(model));
  });

  it('callback flavour: writev/readv, each round in flight at once', async () => {
    const prng = new Prng(0x5eed0102);
    const { path, model } = makeFile('v-callback.bin', prng, SIZE);
    const fd = fs.openSync(path, 'r+');
    try {
      for (const round of planVectorRounds(prng, 6, 100, SIZE)) {
        const written = await Promise.all(round.map((w) => callbackWritev(fd, w.views, w.offset)));
        expect(written).toEqual(round.map((w) => w.total));
        for (const w of round) concatViews(w.views).copy(model, w.offset);
      }
      await checkRandomReadvs(prng, model, 600, (views, position) => callbackReadv(fd, views, position));
    } finally {
      fs.closeSync(fd);
    }
    expect(sha256(nodeFs.readFileSync(path))).toBe(sha256(model));
  });

  it('promise flavour: FileHandle.writev/readv, each round in flight at once', async () => {
    const prng = new Prng(0x5eed0103);
    const { path, model } = makeFile('v-promise.bin', prng, SIZE);
    const handle = await fsp.open(path, 'r+');
    try {
      for (const round of planVectorRounds(prng, 6, 100, SIZE)) {
        const results = await Promise.all(round.map((w) => handle.writev(w.views, w.offset)));
        expect(results.map((r) => r.bytesWritten)).toEqual(round.map((w) => w.total));
        for (const w of round) concatViews(w.views).copy(model, w.offset);
      }
      await checkRandomReadvs(prng, model, 600, async (views, position) => (await handle.readv(views, position)).bytesRead);
    } finally {
      await handle.close();
    }
    expect(sha256(nodeFs.readFileSync(path))).toBe(sha256(model));
  });

  it('writev at the current position appends the lists in order; readv from the current position reads them back', async () => {
    const prng = new Prng(0x5eed0104);
    const path = join(tmp.dir, 'v-sequential.bin');
    const handle = await fsp.open(path, 'w+');
    const expected: Buffer[] = [];
    try {
      // Sequential (position null) writes must be issued one after another:
      // two in flight at once could both take the same file position.
      for (let i = 0; i < 200; i++) {
        const { views, total } = randomViews(prng, true);
        const flavour = i % 3;
        let n: number;
        if (flavour === 0) n = fs.writevSync(handle.fd, views);
        else if (flavour === 1) n = await new Promise<number>((resolve, reject) => fs.writev(handle.fd, views, (err: Error | null, k: number) => (err ? reject(err) : resolve(k))));
        else n = (await handle.writev(views)).bytesWritten;
        expect(n).toBe(total);
        expected.push(concatViews(views));
      }
      const all = Buffer.concat(expected);
      expect(sha256(nodeFs.readFileSync(path))).toBe(sha256(all));

      // Read it all back from the current position with random lists.
      const reopened = await fsp.open(path, 'r');
      try {
        const parts: Buffer[] = [];
        for (;;) {
          const { views } = randomViews(prng, false);
          const { bytesRead } = await reopened.readv(views);
          if (bytesRead === 0 && views.some((v) => v.byteLength > 0)) break;
          parts.push(concatViews(views).subarray(0, bytesRead));
        }
        expect(sha256(Buffer.concat(parts))).toBe(sha256(all));
      } finally {
        await reopened.close();
      }
    } finally {
      await handle.close();
    }
  });
});
