// Registered files and buffers under abuse, against the real kernel, on each
// backend: unregistering with ops still in uringfs's backlog or waiting in a
// link, a slot reused while the old registration has ops in flight (the new
// file must never see them), buffer sets replaced under queued and linked
// reads, memory that moves or is decommitted after being registered
// (detached, resizable, shared), chains mixing registered and plain fds,
// refused ops in synchronous waits, workers terminated mid-I/O, tables larger
// than RLIMIT_NOFILE. Anything that could hang or crash runs in a child
// process (test/fixtures/registered-child.mjs) that is killed if it hangs.
import * as nodeFs from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ring, defaultRing, type Outcome } from '../lib/index.js';
import * as fsp from '../lib/promises.js';
import { fixturesDir, openFdsUnder, Prng, runNode, sha256, tempDir } from './fixtures/helpers.js';

let tmp: ReturnType<typeof tempDir>;
let dataPath: string;
let data: Buffer;

beforeAll(() => {
  tmp = tempDir('registered-adv');
  dataPath = join(tmp.dir, 'data.bin');
  data = new Prng(0xad5e).bytes(1 << 20);
  nodeFs.writeFileSync(dataPath, data);
});
afterAll(() => tmp.remove());

let counter = 0;
function fresh(name: string): string {
  return join(tmp.dir, `${name}-${counter++}`);
}

function codes(out: Outcome[]): unknown[] {
  return out.map((o) => (o.ok ? o.value : (o.error as NodeJS.ErrnoException).code));
}

function openRegistered(ring: Ring, path: string, flags = 'r') {
  const fd = nodeFs.openSync(path, flags);
  const file = ring.registerFile(fd);
  nodeFs.closeSync(fd);
  return file;
}

async function child(mode: string, extra: string[] = [], timeoutMs = 60_000): Promise<Record<string, unknown>> {
  const dir = tempDir(`registered-${mode}`);
  try {
    const r = await runNode([...extra, join(fixturesDir, 'registered-child.mjs'), mode, dir.dir], timeoutMs);
    expect({ timedOut: r.timedOut, code: r.code, signal: r.signal, stderr: r.stderr }).toEqual({ timedOut: false, code: 0, signal: null, stderr: '' });
    return JSON.parse(r.stdout) as Record<string, unknown>;
  } finally {
    dir.remove();
  }
}

describe('registered files under abuse', () => {
  it('unregister() while 1000 reads on the file wait in the backlog of a 4-entry ring: all run, on the right file', async () => {
    const ring = new Ring({ entries: 4, registeredFiles: 1 });
    const file = openRegistered(ring, dataPath);
    const slab = Buffer.alloc(1000 * 512);
    const b = ring.batch();
    for (let i = 0; i < 1000; i++) b.read(file, slab, i * 512, 512, i * 1000);
    const pending = b.submit();
    expect(ring.stats().waiting).toBeGreaterThan(900);
    file.unregister();
    // The one slot is still held by the backlog.
    expect(() => openRegistered(ring, dataPath)).toThrow(expect.objectContaining({ code: 'ERR_URINGFS_NO_FILE_SLOT' }));
    const late = ring.batch().read(file, Buffer.alloc(8), 0, 8, 0).submit();
    const out = await pending;
    expect(out.every((o) => o.ok && o.value === 512)).toBe(true);
    for (let i = 0; i < 1000; i++) {
      if (!slab.subarray(i * 512, i * 512 + 512).equals(data.subarray(i * 1000, i * 1000 + 512))) throw new Error(`read ${i} wrong`);
    }
    expect(codes(await late)).toEqual(['EBADF']);
    expect(ring.stats().registeredFiles).toBe(0);
    expect(openRegistered(ring, dataPath).index).toBe(0);
    ring.close();
  });

  it('a slot reused after unregister(): the new file never receives the old registration\'s writes (plain, linked, backlogged)', async () => {
    const ring = new Ring({ entries: 8, registeredFiles: 2 });
    const pathA = fresh('slot-a');
    const pathB = fresh('slot-b');
    nodeFs.writeFileSync(pathA, '');
    nodeFs.writeFileSync(pathB, '');
    const a = openRegistered(ring, pathA, 'r+');
    expect(a.index).toBe(0);
    const chunk = (tag: number) => Buffer.alloc(4096, tag);
    const b = ring.batch();
    // A big write first in each chain, so that the linked writes reach the file late.
    for (let i = 0; i < 16; i++) b.chain((c) => c.write(a, Buffer.alloc(256 * 1024, 0xa0), 0, 256 * 1024, (i + 2) * 2 ** 20).write(a, chunk(0xa1), 0, 4096, i * 4096).fdatasync(a));
    for (let i = 0; i < 200; i++) b.write(a, chunk(0xa2), 0, 4096, (64 + i) * 4096);
    const pendingA = b.submit();
    a.unregister();
    // Slot 0 is held until A's ops are done: B gets slot 1.
    const bFile = openRegistered(ring, pathB, 'r+');
    expect(bFile.index).toBe(1);
    const wb = ring.batch();
    for (let i = 0; i < 32; i++) wb.write(bFile, chunk(0xb0), 0, 4096, i * 4096);
    const pendingB = wb.submit();
    const outA = await pendingA;
    expect(outA.every((o) => o.ok)).toBe(true);
    // Now slot 0 is free again: C takes it, while B's writes may still run.
    const pathC = fresh('slot-c');
    nodeFs.writeFileSync(pathC, '');
    const cFile = openRegistered(ring, pathC, 'r+');
    expect(cFile.index).toBe(0);
    const wc = ring.batch();
    for (let i = 0; i < 8; i++) wc.write(cFile, chunk(0xc0), 0, 4096, i * 4096);
    await Promise.all([pendingB, wc.submit()]);
    const fileA = nodeFs.readFileSync(pathA);
    const fileB = nodeFs.readFileSync(pathB);
    const fileC = nodeFs.readFileSync(pathC);
    expect(fileA.length).toBe(17 * 2 ** 20 + 256 * 1024);
    for (let i = 0; i < 16; i++) expect(fileA.subarray(i * 4096, (i + 1) * 4096).equals(chunk(0xa1))).toBe(true);
    for (let i = 0; i < 200; i++) expect(fileA.subarray((64 + i) * 4096, (65 + i) * 4096).equals(chunk(0xa2))).toBe(true);
    expect(fileB.equals(Buffer.alloc(32 * 4096, 0xb0))).toBe(true);
    expect(fileC.equals(Buffer.alloc(8 * 4096, 0xc0))).toBe(true);
    ring.close();
  });

  it('the same fd registered twice takes two slots; unregistering one leaves the other working', async () => {
    const ring = new Ring();
    const fd = nodeFs.openSync(dataPath, 'r');
    const one = ring.registerFile(fd);
    const two = ring.registerFile(fd);
    nodeFs.closeSync(fd);
    expect(one.index).not.toBe(two.index);
    expect(ring.stats().registeredFiles).toBe(2);
    one.unregister();
    const buf = Buffer.alloc(64);
    expect(codes(await ring.batch().read(one, Buffer.alloc(1), 0, 1, 0).read(two, buf, 0, 64, 4096).submit())).toEqual(['EBADF', 64]);
    expect(buf).toEqual(data.subarray(4096, 4160));
    expect(ring.stats().registeredFiles).toBe(1);
    ring.close();
  });

  it('chains mixing registered and plain fds: a short read breaks the link, the rest get ECANCELED, nothing after it runs', async () => {
    const ring = new Ring();
    const path = fresh('mixed');
    nodeFs.writeFileSync(path, data.subarray(0, 1000));
    const fd = nodeFs.openSync(path, 'r+');
    const file = ring.registerFile(fd);
    const b = ring.batch();
    // Short read on the registered file (50 of 100 bytes): the plain write after it must not happen.
    b.chain((c) => c.read(file, Buffer.alloc(100), 0, 100, 950).write(fd, 'NOPE', 0).fsync(file));
    // Short read on the plain fd: the registered write after it must not happen.
    b.chain((c) => c.read(fd, Buffer.alloc(100), 0, 100, 990).write(file, 'NOPE', 4).fsync(fd));
    // A failing plain op (EBADF) first: the registered ops after it must not run.
    b.chain((c) => c.write(1_000_000, 'x', 0).write(file, 'NOPE', 8).read(file, Buffer.alloc(4), 0, 4, 0));
    // A full success with both kinds interleaved.
    b.chain((c) => c.write(file, 'ok1', 100).write(fd, 'ok2', 103).read(file, Buffer.alloc(6), 0, 6, 100).fdatasync(fd));
    expect(codes(await b.submit())).toEqual([50, 'ECANCELED', 'ECANCELED', 10, 'ECANCELED', 'ECANCELED', 'EBADF', 'ECANCELED', 'ECANCELED', 3, 3, 6, undefined]);
    const now = nodeFs.readFileSync(path);
    expect(now.subarray(0, 12)).toEqual(data.subarray(0, 12));
    expect(now.subarray(100, 106).toString()).toBe('ok1ok2');
    nodeFs.closeSync(fd);
    ring.close();
  });

  it('ring.close() with ops pending on registered files, then unregister(): no throw, every op settles', async () => {
    for (let round = 0; round < 10; round++) {
      const ring = new Ring({ entries: 4 });
      const files = Array.from({ length: 4 }, () => openRegistered(ring, dataPath));
      const b = ring.batch();
      for (let i = 0; i < 200; i++) b.read(files[i % 4], Buffer.alloc(4096), 0, 4096, (i * 4096) % data.length);
      const pending = b.submit();
      if (round % 2 === 0) files[0].unregister();
      if (round % 3 === 0) await new Promise((resolve) => setImmediate(resolve));
      ring.close();
      for (const file of files) {
        expect(() => file.unregister()).not.toThrow();
        expect(file.registered).toBe(false);
        expect(file.index).toBe(-1);
      }
      const out = await pending;
      expect(out).toHaveLength(200);
      for (const o of out) {
        if (o.ok) expect(o.value).toBe(4096);
        else expect(['ECANCELED', 'ERR_URINGFS_RING_CLOSED']).toContain((o.error as NodeJS.ErrnoException).code);
      }
      expect(ring.stats().registeredFiles).toBe(0);
    }
  });

  it('a 32768-slot table: registers when RLIMIT_NOFILE allows it, else a system error with a code', async () => {
    const ring = new Ring({ registeredFiles: 32768 });
    const fd = nodeFs.openSync(dataPath, 'r');
    try {
      let file;
      try {
        file = ring.registerFile(fd);
      } catch (err) {
        // The kernel refuses a table larger than RLIMIT_NOFILE.
        expect(ring.backend).toBe('io_uring');
        expect(err).toMatchObject({ code: 'EMFILE', errno: -24, syscall: 'io_uring_register' });
        return;
      }
      expect(file.index).toBe(0);
      const buf = Buffer.alloc(16);
      expect(codes(await ring.batch().read(file, buf, 0, 16, 32).submit())).toEqual([16]);
      expect(buf).toEqual(data.subarray(32, 48));
    } finally {
      nodeFs.closeSync(fd);
      ring.close();
    }
  });

  it('registeredFiles above RLIMIT_NOFILE (child under ulimit -n 128): EMFILE with syscall, not a crash; the process can still open files', async () => {
    const r = await child('rlimit');
    const expected = r.backend === 'io_uring'
      // io_uring: the table itself is refused, on the first registerFile.
      ? { registered: 0, error: { code: 'EMFILE', errno: -24, syscall: 'io_uring_register', message: 'EMFILE: too many open files, io_uring_register', isError: true } }
      // The pool makes any table, and each slot is a dup: registering stops when descriptors run out.
      : { registered: expect.any(Number), error: { code: 'EMFILE', errno: -24, syscall: 'dup', message: 'EMFILE: too many open files, dup', isError: true } };
    expect(r['32768']).toEqual(expected);
    expect(r['1000']).toEqual(expected);
    expect(r.small).toEqual([6]);
    expect(r.leftOpen).toBe(0);
  });

  it('submitSync with refused ops (unregistered file, detached buffer), alone, in chains, beyond the CQ: no hang, right codes', async () => {
    const r = await child('sync', [], 30_000);
    expect(r).toEqual({
      alone: ['EBADF'],
      onlyRefused: ['EBADF', 'EBADF', 'EBADF'],
      chains: [4096, 'EBADF', 'ECANCELED', 'EBADF', 'ECANCELED', 4096],
      chainBytes: true,
      detached: ['EFAULT', 4, 'EFAULT', 'ECANCELED'],
      manyAfterUnregister: [16, 'EBADF'],
      after: [16],
      afterAsync: [16],
    });
  });

  it('workers that register files and buffers, terminated mid-I/O: no crash, no leaked descriptor', async () => {
    const r = await child('worker');
    expect(r.errors).toEqual([]);
    expect((r.exitCodes as number[]).every((c) => c === 0 || c === 1)).toBe(true);
    expect(r.leftOpen).toBe(0);
    expect(r.after).toEqual([4096]);
    expect(r.afterOk).toBe(true);
  });
});

describe('registered buffers under abuse', () => {
  const fixedOn = (ring: Ring) => (ring.backend === 'io_uring' ? 1 : 0);

  it('buffers replaced and unregistered while reads into the old set are queued in the same turn: right bytes', async () => {
    const ring = new Ring({ entries: 8 });
    const fd = nodeFs.openSync(dataPath, 'r');
    const oldSet = Buffer.alloc(64 * 4096);
    const newSet = Buffer.alloc(64 * 4096);
    ring.registerBuffers([oldSet]);
    const b = ring.batch();
    // 64 reads: 32 (the CQ) go to the kernel, the rest wait in the backlog.
    for (let i = 0; i < 64; i++) b.read(fd, oldSet, i * 4096, 4096, i * 8192);
    const pending = b.submit();
    ring.registerBuffers([newSet]);
    const b2 = ring.batch();
    for (let i = 0; i < 64; i++) b2.read(fd, i % 2 ? newSet : oldSet, i * 4096, 4096, i * 4096);
    const pending2 = b2.submit();
    ring.unregisterBuffers();
    const [out, out2] = await Promise.all([pending, pending2]);
    expect(out.every((o) => o.ok && o.value === 4096)).toBe(true);
    expect(out2.every((o) => o.ok && o.value === 4096)).toBe(true);
    // Odd slots: oldSet read once (first batch), newSet once (second). Even slots of oldSet were
    // read by both batches, in no set order, so only odd ones are checked.
    for (let i = 1; i < 64; i += 2) {
      expect(oldSet.subarray(i * 4096, (i + 1) * 4096).equals(data.subarray(i * 8192, i * 8192 + 4096))).toBe(true);
      expect(newSet.subarray(i * 4096, (i + 1) * 4096).equals(data.subarray(i * 4096, (i + 1) * 4096))).toBe(true);
    }
    nodeFs.closeSync(fd);
    ring.close();
  });

  it('buffers replaced or unregistered while a READ_FIXED waits in a link: the read still lands (ops already issued keep their buffers)', async () => {
    const ring = new Ring();
    const fd = nodeFs.openSync(dataPath, 'r');
    const out = nodeFs.openSync(fresh('slow'), 'w');
    const big = Buffer.alloc(32 << 20, 1);
    for (const how of ['replace', 'unregister'] as const) {
      const target = Buffer.alloc(8192);
      ring.registerBuffers([target]);
      const b = ring.batch();
      // The linked read is issued by the kernel only when the write and fsync before it are done.
      b.chain((c) => c.write(out, big, 0, big.length, 0).fsync(out).read(fd, target, 0, 8192, 8192));
      const pending = b.submit();
      if (how === 'replace') ring.registerBuffers([Buffer.alloc(8192)]);
      else ring.unregisterBuffers();
      expect({ how, result: codes(await pending) }).toEqual({ how, result: [big.length, undefined, 8192] });
      expect(target.equals(data.subarray(8192, 16384))).toBe(true);
    }
    nodeFs.closeSync(out);
    nodeFs.closeSync(fd);
    ring.close();
  });

  it('a registered resizable ArrayBuffer shrunk and grown again: reads into it are right (or it is refused at registration)', async () => {
    const ring = new Ring();
    const fd = nodeFs.openSync(dataPath, 'r');
    // ES2024 (resizable ArrayBuffer) is beyond the configured lib, but Node 20 has it.
    type Resizable = ArrayBuffer & { resize(length: number): void };
    const ResizableBuffer = ArrayBuffer as unknown as new (length: number, options: { maxByteLength: number }) => Resizable;
    const ab = new ResizableBuffer(64 * 1024, { maxByteLength: 256 * 1024 });
    let registered = true;
    try {
      ring.registerBuffers([new Uint8Array(ab, 0, 64 * 1024)]);
    } catch (err) {
      registered = false;
      expect((err as NodeJS.ErrnoException).code).toBe('ERR_INVALID_ARG_VALUE');
    }
    ab.resize(4096);
    ab.resize(64 * 1024);
    const view = new Uint8Array(ab);
    const result = codes(await ring.batch().read(fd, view, 0, view.length, 0).submit());
    expect({ registered, result }).toEqual({ registered, result: [64 * 1024] });
    // Every byte the kernel says it read must be visible in the buffer.
    expect(Buffer.from(ab).equals(data.subarray(0, 64 * 1024))).toBe(true);
    nodeFs.closeSync(fd);
    ring.close();
  });

  it('a registered buffer detached afterwards: reads into it are refused, reads into other memory are plain and right (child with --expose-gc)', async () => {
    const r = await child('detach-gc', ['--expose-gc']);
    expect(r).toEqual({ ok: true });
  });

  it('a registered buffer detached in this process while reads into other memory run', async () => {
    const ring = new Ring();
    const fd = nodeFs.openSync(dataPath, 'r');
    const reg = Buffer.alloc(64 * 1024);
    ring.registerBuffers([reg]);
    const first = ring.batch().read(fd, reg, 0, 4096, 0).submit();
    const moved = new Uint8Array(structuredClone(reg.buffer, { transfer: [reg.buffer] }));
    expect(reg.byteLength).toBe(0);
    expect(codes(await first)).toEqual([4096]);
    expect(Buffer.from(moved.buffer, 0, 4096)).toEqual(data.subarray(0, 4096));
    const other = Buffer.alloc(4096);
    const out = await ring.batch().read(fd, reg, 0, 0, 0).read(fd, other, 0, 4096, 4096).read(fd, moved, 100, 100, 0).submit();
    expect(codes(out)).toEqual([0, 4096, 100]);
    expect(other).toEqual(data.subarray(4096, 8192));
    expect(Buffer.from(moved.buffer, 100, 100)).toEqual(data.subarray(0, 100));
    // Via postMessage too: a MessageChannel moves the memory away.
    const reg2 = Buffer.alloc(8192);
    ring.registerBuffers([reg2, Buffer.alloc(16)]);
    const { port1, port2 } = new MessageChannel();
    const got = new Promise<ArrayBuffer>((resolve) => port2.once('message', resolve));
    port1.postMessage(reg2.buffer, [reg2.buffer]);
    const arrived = new Uint8Array(await got);
    port1.close();
    expect(codes(await ring.batch().read(fd, arrived, 0, 8192, 0).submit())).toEqual([8192]);
    expect(Buffer.from(arrived)).toEqual(data.subarray(0, 8192));
    ring.unregisterBuffers();
    nodeFs.closeSync(fd);
    ring.close();
  });

  it('views of a SharedArrayBuffer: READ_FIXED and WRITE_FIXED with the right bytes', async () => {
    const ring = new Ring();
    const sab = new SharedArrayBuffer(128 * 1024);
    const u8 = new Uint8Array(sab);
    const i32 = new Int32Array(sab, 64 * 1024, 16 * 1024);
    ring.registerBuffers([u8.subarray(0, 64 * 1024), i32]);
    const fd = nodeFs.openSync(dataPath, 'r');
    const outPath = fresh('sab');
    const outFd = nodeFs.openSync(outPath, 'w+');
    // Ops of one batch may run in any order (on the pool, at once): overlapping targets go in turns.
    const b = ring.batch()
      .read(fd, u8, 0, 64 * 1024, 0)
      .read(fd, i32, 0, 64 * 1024, 64 * 1024);
    expect(codes(await b.submit())).toEqual([65536, 65536]);
    expect(codes(await ring.batch().read(fd, new DataView(sab, 1000, 5000), 0, 5000, 300).submit())).toEqual([5000]);
    expect(Buffer.from(sab, 1000, 5000)).toEqual(data.subarray(300, 5300));
    expect(Buffer.from(sab, 0, 1000)).toEqual(data.subarray(0, 1000));
    expect(Buffer.from(sab, 6000, 128 * 1024 - 6000)).toEqual(data.subarray(6000, 128 * 1024));
    expect(ring.stats().fixedBufferOps).toBe(3 * fixedOn(ring));
    expect(codes(await ring.batch().write(outFd, u8, 0, 128 * 1024, 0).submit())).toEqual([128 * 1024]);
    expect(codes(await ring.batch().write(outFd, i32, 0, 4, 0).submit())).toEqual([4]);
    // The first write spans both registered views, so it goes plain.
    expect(ring.stats().fixedBufferOps).toBe(4 * fixedOn(ring));
    const written = nodeFs.readFileSync(outPath);
    const expected = Buffer.from(data.subarray(0, 128 * 1024));
    expected.set(data.subarray(300, 5300), 1000);
    expected.set(expected.subarray(64 * 1024, 64 * 1024 + 4), 0);
    expect(sha256(written)).toBe(sha256(expected));
    nodeFs.closeSync(outFd);
    nodeFs.closeSync(fd);
    ring.close();
  });

  it('WRITE_FIXED from registered buffers into 4 registered files, random ranges, verified by sha256', async () => {
    const ring = new Ring({ entries: 16 });
    const rng = new Prng(0xf1e1d);
    const slabs = [rng.bytes(256 * 1024), rng.bytes(128 * 1024)];
    ring.registerBuffers(slabs);
    const paths = Array.from({ length: 4 }, () => fresh('wfixed'));
    const files = paths.map((p) => openRegistered(ring, p, 'w+'));
    const shadows = paths.map(() => Buffer.alloc(512 * 1024));
    const b = ring.batch();
    // Non-overlapping 4 KiB blocks per file, written in random order from random places in the slabs.
    const blocks = rng.shuffle(Array.from({ length: 4 * 128 }, (_, i) => i));
    for (const block of blocks) {
      const f = block % 4;
      const at = Math.floor(block / 4) * 4096;
      const slab = slabs[rng.int(0, 1)];
      const from = rng.int(0, slab.length - 4096);
      b.write(files[f], slab, from, 4096, at);
      slab.copy(shadows[f], at, from, from + 4096);
    }
    const out = await b.submit();
    expect(out.every((o) => o.ok && o.value === 4096)).toBe(true);
    expect(ring.stats().fixedBufferOps).toBe(512 * fixedOn(ring));
    expect(ring.stats().fixedFileOps).toBe(512);
    paths.forEach((p, f) => expect(sha256(nodeFs.readFileSync(p))).toBe(sha256(shadows[f])));
    ring.close();
  });

  it('the default ring with registered buffers under the promise API: FileHandle.read/write, sha256 of the result', async () => {
    const ring = defaultRing();
    const slab = Buffer.alloc(256 * 1024);
    ring.registerBuffers([slab]);
    try {
      const before = ring.stats().fixedBufferOps;
      const src = await fsp.open(dataPath, 'r');
      const dstPath = fresh('fh');
      const dst = await fsp.open(dstPath, 'w+');
      // Copy 1 MiB through the registered slab, 64 KiB at a time, 4 at once.
      for (let pos = 0; pos < data.length; pos += 256 * 1024) {
        const reads = [0, 1, 2, 3].map((k) => src.read(slab, k * 65536, 65536, pos + k * 65536));
        for (const r of await Promise.all(reads)) expect(r.bytesRead).toBe(65536);
        const writes = [0, 1, 2, 3].map((k) => dst.write(slab, k * 65536, 65536, pos + k * 65536));
        for (const w of await Promise.all(writes)) expect(w.bytesWritten).toBe(65536);
      }
      await src.close();
      await dst.close();
      expect(sha256(nodeFs.readFileSync(dstPath))).toBe(sha256(data));
      expect(ring.stats().fixedBufferOps - before).toBe(32 * fixedOn(ring));
    } finally {
      ring.unregisterBuffers();
    }
  });

  it('leaves no descriptor behind on the pool after registering, unregistering and closing many times', async () => {
    const dir = tempDir('registered-adv-fds');
    try {
      const path = join(dir.dir, 'f');
      nodeFs.writeFileSync(path, 'y');
      for (let round = 0; round < 20; round++) {
        const ring = new Ring({ registeredFiles: 8 });
        const files = Array.from({ length: 8 }, () => openRegistered(ring, path));
        const b = ring.batch();
        for (const f of files) b.read(f, Buffer.alloc(1), 0, 1, 0);
        const pending = b.submit();
        files.forEach((f, i) => { if (i % 2 === round % 2) f.unregister(); });
        if (round % 2 === 0) await pending;
        ring.close();
        await pending;
      }
      expect(openFdsUnder(dir.dir)).toBe(0);
    } finally {
      dir.remove();
    }
  });
});
