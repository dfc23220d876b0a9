// A batch of plain reads and writes (no chain, no registered file) goes down on io_uring as records:
// one native call and one op of the ring for the whole batch, each op's result written into a
// shared array. Checked against node:fs byte for byte, with per-op errors in Node's shape, views
// detached before submit, the CQ limit (larger batches take the per-op path), a closed ring, and
// the counters (an SQE and a CQE per op). On the pool the same batches take the per-op path: the
// outcomes must be the same.
import * as nodeFs from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ring, type Outcome } from '../lib/index.js';
import { mkfifo, Prng, tempDir } from './fixtures/helpers.js';

let tmp: ReturnType<typeof tempDir>;
let dataPath: string;
let data: Buffer;
const BAD_FD = 1_000_000;

beforeAll(() => {
  tmp = tempDir('records');
  dataPath = join(tmp.dir, 'data.bin');
  data = new Prng(0x5ec0).bytes(1 << 20);
  nodeFs.writeFileSync(dataPath, data);
});
afterAll(() => tmp.remove());

function values(outcomes: Outcome[]): unknown[] {
  return outcomes.map((o) => (o.ok ? o.value : (o.error as NodeJS.ErrnoException).code));
}

describe.each([['submit', false], ['submitSync', true]] as const)('through %s()', (_, sync) => {
  const run = (b: ReturnType<Ring['batch']>): Promise<Outcome[]> => (sync ? Promise.resolve(b.submitSync()) : b.submit());

  it('random reads into one buffer and into many: every byte where node:fs puts it', async () => {
    const ring = new Ring();
    const fd = nodeFs.openSync(dataPath, 'r');
    try {
      const rng = new Prng(7);
      const shared = Buffer.alloc(200 * 512);
      const own = Array.from({ length: 100 }, () => Buffer.alloc(700));
      const positions = Array.from({ length: 300 }, () => rng.int(0, data.length - 100));
      const b = ring.batch();
      for (let i = 0; i < 200; i++) b.read(fd, shared, i * 512, 512, positions[i]);
      for (let i = 0; i < 100; i++) b.read(fd, own[i], 0, 700, positions[200 + i]);
      const before = ring.stats();
      const out = await run(b);
      const after = ring.stats();
      // Reads near the end are short, as pread's are.
      expect(values(out)).toEqual(positions.map((p, i) => Math.min(i < 200 ? 512 : 700, data.length - p)));
      for (let i = 0; i < 200; i++) expect(shared.subarray(i * 512, i * 512 + 512).equals(data.subarray(positions[i], positions[i] + 512))).toBe(true);
      for (let i = 0; i < 100; i++) expect(own[i].subarray(0, 700).equals(data.subarray(positions[200 + i], positions[200 + i] + 700))).toBe(true);
      expect(after.submitted - before.submitted).toBe(300);
      expect(after.completed - before.completed).toBe(300);
      expect(after.inFlight).toBe(0);
    } finally {
      nodeFs.closeSync(fd);
      ring.close();
    }
  });

  it('writes at explicit positions and reads in one batch, errors per op in Node\'s shape', async () => {
    const ring = new Ring();
    const path = join(tmp.dir, `w-${sync}`);
    const fd = nodeFs.openSync(path, 'w+');
    try {
      const chunks = Array.from({ length: 40 }, (_, i) => Buffer.alloc(1000, i + 1));
      const b = ring.batch();
      chunks.forEach((c, i) => b.write(fd, c, 0, c.length, (39 - i) * 1000));
      b.read(BAD_FD, Buffer.alloc(8), 0, 8, 0);
      b.write(BAD_FD, Buffer.alloc(8), 0, 8, 0);
      const gone = new ArrayBuffer(64);
      b.read(fd, new Uint8Array(gone), 0, 64, 0);
      structuredClone(gone, { transfer: [gone] });  // detached before submit
      const out = await run(b);
      expect(values(out)).toEqual([...chunks.map(() => 1000), 'EBADF', 'EBADF', 'EFAULT']);
      const bad = out[40] as { ok: false; error: NodeJS.ErrnoException };
      let nodeError: NodeJS.ErrnoException | undefined;
      try {
        nodeFs.readSync(BAD_FD, Buffer.alloc(8), 0, 8, 0);
      } catch (e) {
        nodeError = e as NodeJS.ErrnoException;
      }
      expect([bad.error.message, bad.error.code, bad.error.errno, bad.error.syscall]).toEqual([nodeError!.message, nodeError!.code, nodeError!.errno, nodeError!.syscall]);
      expect((out[41] as { ok: false; error: NodeJS.ErrnoException }).error.syscall).toBe('write');
      const file = nodeFs.readFileSync(path);
      expect(file.length).toBe(40_000);
      for (let i = 0; i < 40; i++) expect(file.subarray((39 - i) * 1000, (40 - i) * 1000).every((x) => x === i + 1)).toBe(true);
    } finally {
      nodeFs.closeSync(fd);
      ring.close();
    }
  });

  it('a batch larger than half the CQ, and one of a single op: same outcomes', async () => {
    const ring = new Ring({ entries: 8 });  // CQ 32: past 16 ops, the per-op path
    const fd = nodeFs.openSync(dataPath, 'r');
    try {
      for (const count of [1, 16, 17, 100]) {
        const bufs = Array.from({ length: count }, () => Buffer.alloc(64));
        const b = ring.batch();
        bufs.forEach((buf, i) => b.read(fd, buf, 0, 64, i * 4096));
        expect(values(await run(b))).toEqual(bufs.map(() => 64));
        bufs.forEach((buf, i) => expect(buf.equals(data.subarray(i * 4096, i * 4096 + 64))).toBe(true));
      }
      expect(ring.stats().maxInFlight).toBeLessThanOrEqual(ring.cqEntries);
    } finally {
      nodeFs.closeSync(fd);
      ring.close();
    }
  });
});

it('a batch waiting on a FIFO when the ring closes: every op settles (done, or cancelled/closed), nothing hangs', async () => {
  const ring = new Ring();
  const fifo = join(tmp.dir, 'records.fifo');
  mkfifo(fifo);
  const fd = nodeFs.openSync(fifo, nodeFs.constants.O_RDWR);  // a writer that never writes
  const file = nodeFs.openSync(dataPath, 'r');
  try {
    const b = ring.batch();
    b.read(file, Buffer.alloc(16), 0, 16, 0);
    b.read(fd, Buffer.alloc(16), 0, 16, -1);
    const pending = b.submit();
    await new Promise((resolve) => setTimeout(resolve, 30));
    ring.close();
    const out = await pending;
    expect(out[0]).toEqual({ ok: true, value: 16 });
    expect(['ECANCELED', 'ERR_URINGFS_RING_CLOSED']).toContain(values(out)[1]);
  } finally {
    nodeFs.closeSync(fd);
    nodeFs.closeSync(file);
  }
});

it('on a closed ring: every op fails with ERR_URINGFS_RING_CLOSED', async () => {
  const ring = new Ring();
  ring.close();
  const b = ring.batch();
  for (let i = 0; i < 4; i++) b.read(0, Buffer.alloc(4), 0, 4, 0);
  expect(values(await b.submit())).toEqual(Array(4).fill('ERR_URINGFS_RING_CLOSED'));
});
