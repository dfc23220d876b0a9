// Registered files and registered buffers against the real kernel, on each
// backend: ops on a registered file (IOSQE_FIXED_FILE on io_uring, the slot's
// own dup on the pool) read and write the same bytes as node:fs; the slot
// holds its own reference (closing the fd, even reusing its number, changes
// nothing); unregister() lets ops issued before it finish and fails later
// ones with EBADF, freeing the slot only then; a refused link ends its chain;
// reads and writes inside a registered buffer go as READ/WRITE_FIXED (counted
// by stats) with the right bytes; bad input gets Node-style errors; nothing
// leaks (fds counted in /proc/self/fd).
import * as nodeFs from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ring, RegisteredFile, read as readCb, write as writeCb, type Outcome } from '../lib/index.js';
import * as fsp from '../lib/promises.js';
import { openFdsUnder, Prng, tempDir } from './fixtures/helpers.js';

let tmp: ReturnType<typeof tempDir>;
let dataPath: string;
let data: Buffer;

beforeAll(() => {
  tmp = tempDir('registered');
  dataPath = join(tmp.dir, 'data.bin');
  data = new Prng(0x5e9f1).bytes(256 * 1024);
  nodeFs.writeFileSync(dataPath, data);
});
afterAll(() => tmp.remove());

let counter = 0;
function fresh(name: string): string {
  return join(tmp.dir, `${name}-${counter++}`);
}

/** Register the file at `path` with `ring`, keeping no fd of our own. */
function registerPath(ring: Ring, path: string): RegisteredFile {
  const fd = nodeFs.openSync(path, 'r');
  try {
    return ring.registerFile(fd);
  } finally {
    nodeFs.closeSync(fd);
  }
}

function values(out: Outcome[]): unknown[] {
  return out.map((o) => (o.ok ? o.value : (o.error as NodeJS.ErrnoException).code));
}

function thrown(f: () => unknown): NodeJS.ErrnoException {
  try {
    f();
  } catch (e) {
    return e as NodeJS.ErrnoException;
  }
  throw new Error('expected a throw');
}

const modes = [
  ['submit', (b: ReturnType<Ring['batch']>) => b.submit()],
  ['submitSync', async (b: ReturnType<Ring['batch']>) => b.submitSync()],
] as const;

describe.each(modes)('registered files (%s)', (_mode, send) => {
  it('read, write, readv, writev, fsync and fdatasync on a registered file match node:fs', async () => {
    const ring = new Ring();
    const path = fresh('rw');
    nodeFs.writeFileSync(path, data.subarray(0, 8192));
    const fd = nodeFs.openSync(path, 'r+');
    const file = ring.registerFile(fd);
    expect(file).toBeInstanceOf(RegisteredFile);
    expect(file.registered).toBe(true);
    expect(file.index).toBe(0);
    const a = Buffer.alloc(4096);
    const v1 = Buffer.alloc(100);
    const v2 = Buffer.alloc(200);
    const patch = Buffer.from('patched bytes');
    const b = ring.batch()
      .read(file, a, 0, 4096, 1000)
      .readv(file, [v1, v2], 5000)
      .write(file, patch, 0, patch.length, 10)
      .writev(file, [Buffer.from('AB'), Buffer.from('CD')], 8192)
      .fsync(file)
      .fdatasync(file);
    expect(values(await send(b))).toEqual([4096, 300, patch.length, 4, undefined, undefined]);
    expect(a).toEqual(data.subarray(1000, 5096));
    expect(Buffer.concat([v1, v2])).toEqual(data.subarray(5000, 5300));
    const expected = Buffer.concat([data.subarray(0, 8192), Buffer.from('ABCD')]);
    patch.copy(expected, 10);
    expect(nodeFs.readFileSync(path)).toEqual(expected);
    const s = ring.stats();
    expect(s.fixedFileOps).toBe(6);
    expect(s.registeredFiles).toBe(1);
    nodeFs.closeSync(fd);
    ring.close();
  });

  it('the slot holds its own reference: the fd can be closed, and its number reused by another file', async () => {
    const ring = new Ring();
    const file = registerPath(ring, dataPath);
    const other = fresh('other');
    nodeFs.writeFileSync(other, 'not the data file');
    const reused = nodeFs.openSync(other, 'r');
    const buf = Buffer.alloc(1024);
    const out = await send(ring.batch().read(file, buf, 0, 1024, 2048).read(reused, Buffer.alloc(64), 0, 64, 0));
    expect(values(out)).toEqual([1024, 17]);
    expect(buf).toEqual(data.subarray(2048, 3072));
    nodeFs.closeSync(reused);
    ring.close();
  });

  it('in chains: write → fdatasync on a registered file', async () => {
    const ring = new Ring();
    const path = fresh('chain');
    const fd = nodeFs.openSync(path, 'w');
    const file = ring.registerFile(fd);
    nodeFs.closeSync(fd);
    const b = ring.batch();
    // Two chains run independently: each writes at a position of its own.
    b.chain((c) => c.write(file, 'first\n', 0).fdatasync(file));
    b.chain((c) => c.write(file, 'second\n', 6).fdatasync(file));
    expect(values(await send(b))).toEqual([6, undefined, 7, undefined]);
    expect(nodeFs.readFileSync(path, 'utf8')).toBe('first\nsecond\n');
    ring.close();
  });

  it('unregister(): ops issued before it run, ops issued after fail with EBADF, the slot is freed only then', async () => {
    const ring = new Ring({ registeredFiles: 1 });
    const file = registerPath(ring, dataPath);
    const bufs = Array.from({ length: 32 }, () => Buffer.alloc(4096));
    const before = ring.batch();
    bufs.forEach((buf, i) => before.read(file, buf, 0, 4096, i * 4096));
    const pending = send(before);
    file.unregister();
    file.unregister();  // twice: nothing more
    expect(file.registered).toBe(false);
    expect(file.index).toBe(-1);
    // Issued after unregister(): EBADF, with node:fs's shape.
    const after = await send(ring.batch().read(file, Buffer.alloc(10), 0, 10, 0));
    expect(after[0].ok).toBe(false);
    const err = (after[0] as { error: NodeJS.ErrnoException }).error;
    expect({ code: err.code, errno: err.errno, syscall: err.syscall }).toEqual({ code: 'EBADF', errno: -9, syscall: 'read' });
    expect(err.message).toBe('EBADF: bad file descriptor, read');
    // The ops issued before it all read their bytes.
    const out = await pending;
    expect(values(out)).toEqual(bufs.map(() => 4096));
    bufs.forEach((buf, i) => expect(buf).toEqual(data.subarray(i * 4096, (i + 1) * 4096)));
    // Now the one slot is free again.
    expect(ring.stats().registeredFiles).toBe(0);
    const again = registerPath(ring, dataPath);
    expect(again.index).toBe(0);
    const buf = Buffer.alloc(8);
    expect(values(await send(ring.batch().read(again, buf, 0, 8, 8)))).toEqual([8]);
    expect(buf).toEqual(data.subarray(8, 16));
    ring.close();
    expect(again.registered).toBe(false);
  });

  it('a link refused for an unregistered file fails, cancels the rest, and ends its chain', async () => {
    const ring = new Ring();
    const path = fresh('refused');
    const fd = nodeFs.openSync(path, 'w+');
    const gone = ring.registerFile(fd);
    gone.unregister();
    const b = ring.batch();
    b.chain((c) => c.write(fd, 'kept\n', 0).read(gone, Buffer.alloc(4), 0, 4, 0).fsync(fd));
    b.write(fd, 'after\n', 5);  // not part of the chain: it runs whatever happened there
    expect(values(await send(b))).toEqual([5, 'EBADF', 'ECANCELED', 6]);
    expect(nodeFs.readFileSync(path, 'utf8')).toBe('kept\nafter\n');
    nodeFs.closeSync(fd);
    ring.close();
  });
});

describe('registered files: bounds, errors and leaks', () => {
  it('a full table, a bad fd, bad arguments, another ring, a closed ring', () => {
    const ring = new Ring({ registeredFiles: 2 });
    const fd = nodeFs.openSync(dataPath, 'r');
    ring.registerFile(fd);
    ring.registerFile(fd);
    const full = thrown(() => ring.registerFile(fd));
    expect(full.code).toBe('ERR_URINGFS_NO_FILE_SLOT');
    expect(full.message).toMatch(/registeredFiles/);

    const other = new Ring();
    const bad = thrown(() => other.registerFile(1_000_000));
    expect({ code: bad.code, errno: bad.errno }).toEqual({ code: 'EBADF', errno: -9 });
    expect(['io_uring_register', 'dup']).toContain(bad.syscall);
    expect(thrown(() => other.registerFile('3' as unknown as number)).code).toBe('ERR_INVALID_ARG_TYPE');
    expect(thrown(() => other.registerFile(-1)).code).toBe('ERR_OUT_OF_RANGE');
    expect(thrown(() => other.registerFile(1.5)).code).toBe('ERR_OUT_OF_RANGE');

    const mine = other.registerFile(fd);
    const wrongRing = thrown(() => ring.batch().read(mine, Buffer.alloc(1)));
    expect(wrongRing.code).toBe('ERR_INVALID_ARG_VALUE');
    expect(thrown(() => ring.batch().fsync({} as unknown as number)).code).toBe('ERR_INVALID_ARG_TYPE');

    other.close();
    expect(mine.registered).toBe(false);
    expect(thrown(() => other.registerFile(fd)).code).toBe('ERR_URINGFS_RING_CLOSED');
    for (const entries of [0, 32769, 1.5]) {
      expect(thrown(() => new Ring({ registeredFiles: entries })).code).toBe('ERR_OUT_OF_RANGE');
    }
    expect(thrown(() => new Ring({ registeredFiles: '8' as unknown as number })).code).toBe('ERR_INVALID_ARG_TYPE');
    nodeFs.closeSync(fd);
    ring.close();
  });

  it('leaves no descriptor behind: after unregister() and after close()', async () => {
    const dir = tempDir('registered-fds');
    try {
      const path = join(dir.dir, 'f');
      nodeFs.writeFileSync(path, 'x');
      const ring = new Ring();
      const files = Array.from({ length: 8 }, () => registerPath(ring, path));
      // io_uring holds the files in its table, the pool in dups of its own.
      expect(openFdsUnder(dir.dir)).toBe(ring.backend === 'threads' ? 8 : 0);
      const b = ring.batch();
      for (const file of files) b.read(file, Buffer.alloc(1), 0, 1, 0);
      const pending = b.submit();
      for (const file of files.slice(0, 4)) file.unregister();
      expect(values(await pending)).toEqual(files.map(() => 1));
      expect(openFdsUnder(dir.dir)).toBe(ring.backend === 'threads' ? 4 : 0);
      ring.close();
      expect(openFdsUnder(dir.dir)).toBe(0);
    } finally {
      dir.remove();
    }
  });

  it('close() with ops pending on registered files hands out their real results', async () => {
    const ring = new Ring();
    const file = registerPath(ring, dataPath);
    const b = ring.batch();
    for (let i = 0; i < 64; i++) b.read(file, Buffer.alloc(4096), 0, 4096, i * 4096);
    const pending = b.submit();
    ring.close();
    const out = await pending;
    expect(out).toHaveLength(64);
    for (const o of out) {
      if (o.ok) expect(o.value).toBe(4096);
      else expect(['ECANCELED', 'ERR_URINGFS_RING_CLOSED']).toContain((o.error as NodeJS.ErrnoException).code);
    }
  });

  it('20,000 random reads over 8 registered files, each byte right', async () => {
    const ring = new Ring({ entries: 64 });
    const files = Array.from({ length: 8 }, () => registerPath(ring, dataPath));
    const rng = new Prng(0xf17e5);
    const slab = Buffer.alloc(20_000 * 64);
    const positions: number[] = [];
    const b = ring.batch();
    for (let i = 0; i < 20_000; i++) {
      const pos = rng.int(0, data.length - 64);
      positions.push(pos);
      b.read(files[i % 8], slab, i * 64, 64, pos);
    }
    const out = await b.submit();
    expect(out.every((o) => o.ok && o.value === 64)).toBe(true);
    positions.forEach((pos, i) => {
      if (!slab.subarray(i * 64, i * 64 + 64).equals(data.subarray(pos, pos + 64))) throw new Error(`read ${i} at ${pos} is wrong`);
    });
    expect(ring.stats().fixedFileOps).toBe(20_000);
    ring.close();
  });
});

describe('registered buffers', () => {
  const fixedOn = (ring: Ring) => (ring.backend === 'io_uring' ? 1 : 0);

  it('reads and writes inside a registered buffer go as READ/WRITE_FIXED, through every flavour, with the right bytes', async () => {
    const ring = new Ring();
    const big = Buffer.alloc(64 * 1024);
    ring.registerBuffers([big]);
    expect(ring.stats().registeredBuffers).toBe(1);
    const fd = nodeFs.openSync(dataPath, 'r');
    // A batch read into a slice of it.
    const slice = big.subarray(4096, 8192);
    expect(values(await ring.batch().read(fd, slice, 0, 4096, 0).submit())).toEqual([4096]);
    expect(slice).toEqual(data.subarray(0, 4096));
    expect(ring.stats().fixedBufferOps).toBe(fixedOn(ring));
    // A read into a Uint32Array view of the same memory, at an offset.
    const u32 = new Uint32Array(big.buffer, big.byteOffset + 16384, 1024);
    expect(values(await ring.batch().read(fd, u32, 8, 512, 100).submit())).toEqual([512]);
    expect(Buffer.from(u32.buffer, u32.byteOffset + 8, 512)).toEqual(data.subarray(100, 612));
    expect(ring.stats().fixedBufferOps).toBe(2 * fixedOn(ring));
    // A write from it.
    const out = nodeFs.openSync(fresh('fixed-write'), 'w+');
    expect(values(await ring.batch().write(out, big, 4096, 4096, 0).submit())).toEqual([4096]);
    expect(nodeFs.readFileSync(`/proc/self/fd/${out}`)).toEqual(data.subarray(0, 4096));
    expect(ring.stats().fixedBufferOps).toBe(3 * fixedOn(ring));
    nodeFs.closeSync(out);
    nodeFs.closeSync(fd);
    ring.close();
  });

  it('a range not wholly inside a registered buffer goes as a plain read, with the right bytes', async () => {
    const ring = new Ring();
    const big = Buffer.alloc(8192);
    ring.registerBuffers([big.subarray(0, 4096)]);
    const fd = nodeFs.openSync(dataPath, 'r');
    // Straddles the registered range's end; and a buffer of its own.
    expect(values(await ring.batch().read(fd, big, 2048, 4096, 0).read(fd, Buffer.alloc(16), 0, 16, 0).submit())).toEqual([4096, 16]);
    expect(big.subarray(2048, 6144)).toEqual(data.subarray(0, 4096));
    expect(ring.stats().fixedBufferOps).toBe(0);
    nodeFs.closeSync(fd);
    ring.close();
  });

  it('the registeredBuffers option; replacing and unregistering a set', async () => {
    const ring = new Ring({ registeredBuffers: [Buffer.alloc(1024), Buffer.alloc(2048)] });
    expect(ring.stats().registeredBuffers).toBe(2);
    ring.registerBuffers([Buffer.alloc(16)]);  // replaces the set
    expect(ring.stats().registeredBuffers).toBe(1);
    ring.unregisterBuffers();
    ring.unregisterBuffers();  // twice: nothing more
    expect(ring.stats().registeredBuffers).toBe(0);
    const buf = Buffer.alloc(64);
    ring.registerBuffers([buf]);
    const fd = nodeFs.openSync(dataPath, 'r');
    expect(values(await ring.batch().read(fd, buf, 0, 64, 64).submit())).toEqual([64]);
    expect(buf).toEqual(data.subarray(64, 128));
    expect(ring.stats().fixedBufferOps).toBe(fixedOn(ring));
    ring.unregisterBuffers();
    expect(values(await ring.batch().read(fd, buf, 0, 64, 0).submit())).toEqual([64]);
    expect(ring.stats().fixedBufferOps).toBe(fixedOn(ring));
    nodeFs.closeSync(fd);
    ring.close();
    // And a closed ring refuses.
    expect(thrown(() => ring.registerBuffers([buf])).code).toBe('ERR_URINGFS_RING_CLOSED');
    ring.unregisterBuffers();  // nothing to do on a closed ring
  });

  it('the default ring: promise and callback reads into a registered buffer', async () => {
    const { defaultRing } = await import('../lib/index.js');
    const ring = defaultRing();
    const buf = Buffer.alloc(4096);
    ring.registerBuffers([buf]);
    try {
      const before = ring.stats().fixedBufferOps;
      const fh = await fsp.open(dataPath, 'r');
      const { bytesRead } = await fh.read(buf, 0, 1024, 4096);
      expect(bytesRead).toBe(1024);
      expect(buf.subarray(0, 1024)).toEqual(data.subarray(4096, 5120));
      const n = await new Promise<number>((resolve, reject) => readCb(fh.fd, buf, 1024, 1024, 0, (err, count) => (err ? reject(err) : resolve(count))));
      expect(n).toBe(1024);
      expect(buf.subarray(1024, 2048)).toEqual(data.subarray(0, 1024));
      const path = fresh('cb-write');
      const out = nodeFs.openSync(path, 'w');
      await new Promise<void>((resolve, reject) => writeCb(out, buf, 0, 2048, 0, (err) => (err ? reject(err) : resolve())));
      nodeFs.closeSync(out);
      expect(nodeFs.readFileSync(path)).toEqual(Buffer.concat([data.subarray(4096, 5120), data.subarray(0, 1024)]));
      await fh.close();
      expect(ring.stats().fixedBufferOps - before).toBe(3 * fixedOn(ring));
    } finally {
      ring.unregisterBuffers();
    }
  });

  it('bad input gets Node-style errors', () => {
    const ring = new Ring();
    expect(thrown(() => ring.registerBuffers('x' as unknown as Buffer[])).code).toBe('ERR_INVALID_ARG_TYPE');
    expect(thrown(() => ring.registerBuffers([])).code).toBe('ERR_OUT_OF_RANGE');
    expect(thrown(() => ring.registerBuffers([Buffer.alloc(1), 'x' as unknown as Buffer])).code).toBe('ERR_INVALID_ARG_TYPE');
    expect(thrown(() => ring.registerBuffers([Buffer.alloc(0)])).code).toBe('ERR_INVALID_ARG_VALUE');
    expect(thrown(() => new Ring({ registeredBuffers: [Buffer.alloc(0)] })).code).toBe('ERR_INVALID_ARG_VALUE');
    // A refused set leaves the previous one in place.
    ring.registerBuffers([Buffer.alloc(8)]);
    expect(thrown(() => ring.registerBuffers([new Uint8Array(0)])).code).toBe('ERR_INVALID_ARG_VALUE');
    expect(ring.stats().registeredBuffers).toBe(1);
    ring.close();
  });
});
