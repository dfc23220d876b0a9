// Whole-file reads as one op of the ring (io_uring: native/file_group.cc), and readFile calls of
// one JS turn merged into one such op. Each file is read into a room with a second read linked
// behind it, whose 0 is the end of the file: no fstat, unless bytes remain after the room. Checked
// against node:fs at the edges of the room (32 KiB) and its tail (4 KiB), for files whose reads
// come in pieces (a FIFO fed slowly), sparse files beyond 2 GiB, closes under way, and the shape
// of the results (64-byte aligned views). On the pool the same calls take the ordinary paths: the
// results must be the same.
import { AsyncLocalStorage } from 'node:async_hooks';
import * as nodeFs from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { promises as fsp, readFile, readFiles, readFilesSync, Ring, defaultRing } from '../lib/index.js';
import { mkfifo, openFdsUnder, startNode, tempDir, writeSizedFiles } from './fixtures/helpers.js';

const ROOM = 32 * 1024;
const TAIL = 4 * 1024;
let tmp: ReturnType<typeof tempDir>;
const files: string[] = [];
const SIZES = [0, 1, 63, 64, 4095, 4096, ROOM - 1, ROOM, ROOM + 1, ROOM + TAIL - 1, ROOM + TAIL, ROOM + TAIL + 1, 100_000, 3 << 20];

beforeAll(() => {
  tmp = tempDir('group');
  files.push(...writeSizedFiles(tmp.dir, SIZES, 0x6b0));
});
afterAll(() => tmp.remove());

function expectSame(got: (Buffer | string)[], paths: string[]): void {
  expect(got.map((b) => b.length)).toEqual(paths.map((p) => nodeFs.statSync(p).size));
  paths.forEach((p, i) => expect((got[i] as Buffer).equals(nodeFs.readFileSync(p))).toBe(true));
}

describe('sizes around the room and its tail', () => {
  it('readFilesSync and readFiles: every size read whole, in order, equal to node:fs', async () => {
    const list = [...files, ...files.slice().reverse()];
    expectSame(readFilesSync(list), list);
    expectSame((await readFiles(list)) as Buffer[], list);
  });

  it('the files of a call that share memory lie 64 bytes apart or a multiple of it', async () => {
    const small = files.filter((p) => nodeFs.statSync(p).size <= ROOM + TAIL);
    const out = (await readFiles([...small, ...small, ...small])) as Buffer[];
    const first = new Map<ArrayBufferLike, number>();
    for (const b of out) if (!first.has(b.buffer)) first.set(b.buffer, b.byteOffset);
    expect(new Set(out.map((b) => b.buffer)).size).toBeLessThan(out.length);
    expect(out.filter((b) => (b.byteOffset - first.get(b.buffer)!) % 64 !== 0).map((b) => b.byteOffset)).toEqual([]);
  });

  it('a sparse file larger than 2 GiB: ERR_FS_FILE_TOO_LARGE, like node:fs; the others still read', () => {
    const big = join(tmp.dir, 'sparse');
    const fd = nodeFs.openSync(big, 'w');
    nodeFs.ftruncateSync(fd, 3 * 2 ** 30);
    nodeFs.closeSync(fd);
    let nodeError: NodeJS.ErrnoException | undefined;
    try {
      nodeFs.readFileSync(big);
    } catch (e) {
      nodeError = e as NodeJS.ErrnoException;
    }
    expect(nodeError?.code).toBe('ERR_FS_FILE_TOO_LARGE');
    const out = readFilesSync([files[3], big, files[4]], { settle: true });
    expect(out[1]).toMatchObject({ ok: false, error: { code: 'ERR_FS_FILE_TOO_LARGE', name: 'RangeError', message: nodeError!.message } });
    expect(out[0].ok && out[2].ok).toBe(true);
    nodeFs.rmSync(big);
  });
});

describe('files whose reads come in pieces', () => {
  it('a FIFO fed in pieces, slower than the reads: every byte, in order', async () => {
    const fifo = join(tmp.dir, 'pieces.fifo');
    mkfifo(fifo);
    // 5 pieces of 10,000 bytes, 30 ms apart: the first read gets one piece, the linked read
    // another, the rest comes through the reads after them.
    const writer = startNode(['-e', `
      const fs = require('fs'); const fd = fs.openSync(${JSON.stringify(fifo)}, 'w');
      let i = 0; const t = setInterval(() => { fs.writeSync(fd, Buffer.alloc(10000, 65 + i)); if (++i === 5) { clearInterval(t); fs.closeSync(fd); } }, 30);`], 20_000);
    try {
      const [data, other] = (await readFiles([fifo, files[5]])) as Buffer[];
      expect(data.length).toBe(50_000);
      for (let i = 0; i < 5; i++) expect(data.subarray(i * 10000, (i + 1) * 10000).every((b) => b === 65 + i)).toBe(true);
      expect(other.equals(nodeFs.readFileSync(files[5]))).toBe(true);
    } finally {
      writer.child.kill();
    }
  });

  it('/proc files (size 0 to stat) read whole', () => {
    const [cmdline, limits] = readFilesSync(['/proc/self/cmdline', '/proc/self/limits']) as Buffer[];
    expect(cmdline.equals(nodeFs.readFileSync('/proc/self/cmdline'))).toBe(true);
    expect(limits.toString()).toMatch(/^Limit\s+Soft Limit/);
  });
});

describe('readFile calls of one turn', () => {
  it('promises and callbacks: each call gets its own file or its own error, as node:fs', async () => {
    const missing = join(tmp.dir, 'missing');
    const paths = [...files.slice(0, 8), missing, tmp.dir, ...files.slice(8)];
    const viaCallback = (p: string) => new Promise<unknown>((resolve) => readFile(p, (err, data) => resolve(err ?? data)));
    const [promised, called] = await Promise.all([
      Promise.allSettled(paths.map((p) => fsp.readFile(p))),
      Promise.all(paths.map(viaCallback)),
    ]);
    paths.forEach((p, i) => {
      let want: Buffer | NodeJS.ErrnoException;
      try {
        want = nodeFs.readFileSync(p);
      } catch (e) {
        want = e as NodeJS.ErrnoException;
      }
      const p1 = promised[i];
      const c1 = called[i];
      if (Buffer.isBuffer(want)) {
        expect(p1.status === 'fulfilled' && want.equals(p1.value as Buffer)).toBe(true);
        expect(Buffer.isBuffer(c1) && want.equals(c1)).toBe(true);
      } else {
        for (const err of [p1.status === 'rejected' ? p1.reason : undefined, c1] as NodeJS.ErrnoException[]) {
          expect(err).toBeInstanceOf(Error);
          expect([err.code, err.syscall, err.message]).toEqual([want.code, want.syscall === 'open' ? 'open' : 'read', want.message]);
        }
      }
    });
  });

  it('each result has an ArrayBuffer of its own, as node:fs\'s: transferring one to a worker leaves the others', async () => {
    // Sizes that take every way through the group (slab room, the fstat path, a /proc file read to
    // its end in memory of the group's own), called in one turn through each async form.
    const paths = [...files, '/proc/self/smaps'];
    const viaCallback = (p: string) => new Promise<Buffer>((resolve, reject) => readFile(p, (err, data) => (err ? reject(err) : resolve(data))));
    const viaHandle = async (p: string) => {
      const h = await fsp.open(p);
      try { return await h.readFile(); } finally { await h.close(); }
    };
    for (const [name, read] of [['promises.readFile', fsp.readFile], ['callback readFile', viaCallback], ['FileHandle.readFile', viaHandle]] as const) {
      const got = await Promise.all(paths.map((p) => read(p)));
      const copies = got.map((b) => Buffer.from(b));
      got.forEach((b, i) => {
        // As node:fs/promises.readFile and fs.readFile give them: at offset 0, no byte beyond the file.
        expect([b.byteOffset, b.buffer.byteLength], `${name} ${paths[i]}`).toEqual([0, b.length]);
      });
      const moved = structuredClone(got[3].buffer as ArrayBuffer, { transfer: [got[3].buffer as ArrayBuffer] });
      expect(Buffer.from(moved).equals(copies[3]), name).toBe(true);
      got.forEach((b, i) => {
        if (i !== 3) expect(b.equals(copies[i]), `${name} ${paths[i]} after another's transfer`).toBe(true);
      });
    }
  });

  it('encodings, and the calls of a turn share one op of the ring (io_uring) or go as usual (pool)', async () => {
    const ring = new Ring();
    try {
      const list = files.slice(0, 10);
      const before = ring.stats();
      const texts = await Promise.all(list.map((p) => ring.promises.readFile(p, 'latin1')));
      expect(texts).toEqual(list.map((p) => nodeFs.readFileSync(p, 'latin1')));
      const after = ring.stats();
      if (ring.backend === 'io_uring') {
        // open, the read and its linked read, close: per file; one op (the group) completed for JS.
        expect(after.submitted - before.submitted).toBe(4 * list.length);
        expect(after.enters - before.enters).toBeLessThanOrEqual(6);
      }
      const hex = await new Promise<string>((resolve, reject) => ring.callbacks.readFile(list[5], { encoding: 'hex' }, (e, d) => (e ? reject(e) : resolve(d))));
      expect(hex).toBe(nodeFs.readFileSync(list[5], 'hex'));
    } finally {
      ring.close();
    }
  });

  it('each callback runs in the async context of its own call', async () => {
    const als = new AsyncLocalStorage<number>();
    const seen = await Promise.all(files.slice(0, 6).map((p, i) => als.run(i, () => new Promise<number | undefined>((resolve) => readFile(p, () => resolve(als.getStore()))))));
    expect(seen).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('a throwing callback surfaces as uncaught and the other calls of its turn still complete', async () => {
    const errors: unknown[] = [];
    const onUncaught = (e: unknown) => errors.push(e);
    const listeners = process.listeners('uncaughtException');
    process.removeAllListeners('uncaughtException');
    process.on('uncaughtException', onUncaught);
    try {
      const rest = files.slice(1, 5).map((p) => new Promise<Buffer>((resolve, reject) => readFile(p, (e, d) => (e ? reject(e) : resolve(d)))));
      readFile(files[0], () => { throw new Error('boom'); });
      expectSame(await Promise.all(rest), files.slice(1, 5));
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(errors.map((e) => (e as Error).message)).toEqual(['boom']);
    } finally {
      process.removeListener('uncaughtException', onUncaught);
      for (const l of listeners) process.on('uncaughtException', l);
    }
  });

  it('the ring closed in the same turn: every call fails with ERR_URINGFS_RING_CLOSED, no fd left', async () => {
    const ring = new Ring();
    const pending = Promise.allSettled(files.slice(0, 5).map((p) => ring.promises.readFile(p)));
    ring.close();
    const out = await pending;
    // ECANCELED: an op the pool had taken, cancelled by the close.
    for (const o of out) expect(['ERR_URINGFS_RING_CLOSED', 'ECANCELED']).toContain(o.status === 'rejected' ? (o.reason as NodeJS.ErrnoException).code : 'ok');
    expect(openFdsUnder(tmp.dir)).toBe(0);
  });

  it('thousands of calls in one turn: all right, never more in flight than the CQ', async () => {
    const list = Array.from({ length: 3000 }, (_, i) => files[i % 8]);
    const out = await Promise.all(list.map((p) => fsp.readFile(p)));
    expect(out.every((b, i) => b.equals(nodeFs.readFileSync(list[i])))).toBe(true);
    const s = defaultRing().stats();
    expect(s.maxInFlight).toBeLessThanOrEqual(defaultRing().cqEntries);
    expect(openFdsUnder(tmp.dir)).toBe(0);
  });
});
