// Choosing a backend in-process: options, URINGFS_BACKEND, validation, the
// opcode probe, and the thread-pool backend's io_uring-shaped semantics
// (linked chains, pipes, teardown) checked against the io_uring backend on
// the same inputs. Blocked io_uring itself is in backend-fallback.test.ts.
import { execFileSync } from 'node:child_process';
import * as nodeFs from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createBackend, REQUIRED_OPCODES, resolveBackendRequest } from '../lib/backend.js';
import { binding, type NativeRing } from '../lib/binding.js';
import { defaultRing, Ring } from '../lib/index.js';
import { openSteps, readSteps } from '../lib/operations.js';
import { runPromise } from '../lib/run.js';
import { fixture, packageRoot, runNode, tempDir } from './fixtures/helpers.js';
import { availableBackends, ioUringAvailable, needsIoUring } from './fixtures/io-uring.js';

const ECANCELED = -125, EBADF = -9, EINVAL = -22, ENOENT = -2;
const IOSQE_IO_LINK = 4;
const tmp = tempDir('backend-choice');
afterAll(() => tmp.remove());

const savedEnv = process.env.URINGFS_BACKEND;
afterEach(() => {
  if (savedEnv === undefined) delete process.env.URINGFS_BACKEND;
  else process.env.URINGFS_BACKEND = savedEnv;
});

describe('choosing the backend', () => {
  it('the default ring follows URINGFS_BACKEND (each vitest project sets it)', () => {
    const wanted = process.env.URINGFS_BACKEND;
    if (wanted === 'auto') {
      // npm run test:seccomp: io_uring blocked, so auto falls back and says why.
      expect(defaultRing().backend).toBe(ioUringAvailable ? 'io_uring' : 'threads');
      if (ioUringAvailable) expect(defaultRing().fallbackReason).toBeNull();
      else expect(defaultRing().fallbackReason).toMatch(/^io_uring_setup failed: E[A-Z]+ — /);
      return;
    }
    expect(wanted === 'io_uring' || wanted === 'threads').toBe(true);
    expect(defaultRing().backend).toBe(wanted);
    expect(defaultRing().fallbackReason).toBeNull();
  });

  it.skipIf(!ioUringAvailable)(`an explicit backend option wins over URINGFS_BACKEND; auto and no option follow it${needsIoUring}`, () => {
    for (const env of ['io_uring', 'threads'] as const) {
      process.env.URINGFS_BACKEND = env;
      const other = env === 'io_uring' ? 'threads' : 'io_uring';
      const rings = [new Ring({ backend: other }), new Ring({ backend: 'auto' }), new Ring()];
      expect(rings.map((r) => r.backend)).toEqual([other, env, env]);
      expect(rings.map((r) => r.fallbackReason)).toEqual([null, null, null]);
      for (const r of rings) r.close();
    }
    delete process.env.URINGFS_BACKEND;
    const r = new Ring();
    expect(r.backend).toBe('io_uring');  // io_uring works on this machine
    r.close();
  });

  it('rejects unknown backends, bad thread counts and a bad URINGFS_BACKEND with Node-style errors', () => {
    expect(() => new Ring({ backend: 'epoll' as 'auto' })).toThrow(expect.objectContaining({
      code: 'ERR_INVALID_ARG_VALUE',
      message: "The property 'options.backend' must be one of: 'auto', 'io_uring', 'threads'. Received 'epoll'",
    }));
    expect(() => new Ring({ backend: 'threads', threads: 0 })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => new Ring({ backend: 'threads', threads: 1.5 })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => new Ring({ backend: 'threads', threads: '4' as unknown as number })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    process.env.URINGFS_BACKEND = 'uring';
    expect(() => resolveBackendRequest(undefined)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    expect(resolveBackendRequest('threads')).toBe('threads');
  });

  it.skipIf(!ioUringAvailable)(`falls back when the probe lacks a needed opcode, and names it; explicit io_uring throws${needsIoUring}`, () => {
    // Opcode 250 exists in no kernel: a real probe, a real missing op.
    delete process.env.URINGFS_BACKEND;
    const needed = [...REQUIRED_OPCODES, 250];
    const setup = { attempts: [0], idleMs: 0, explicit: false };
    const chosen = createBackend(8, setup, () => {}, { backend: 'auto' }, needed);
    expect(chosen.backend).toBe('threads');
    expect(chosen.fallbackReason).toBe("io_uring lacks opcode 250 — kernel too old for uringfs's io_uring backend");
    chosen.native.shutdown();
    let error: (Error & { code?: string; syscall?: string; reason?: string }) | undefined;
    try {
      createBackend(8, setup, () => {}, { backend: 'io_uring' }, needed);
    } catch (e) {
      error = e as typeof error;
    }
    expect(error).toMatchObject({ code: 'ENOTSUP', errno: -95, syscall: 'io_uring_register', reason: chosen.fallbackReason });
    expect(error!.message).toBe(chosen.fallbackReason);
  });

  it('a ring left idle survives garbage collection: its next op completes (child process, --expose-gc)', async () => {
    const code = `
      const { Ring } = await import(${JSON.stringify(join(packageRoot, 'dist', 'index.js'))});
      const { runPromise } = await import(${JSON.stringify(join(packageRoot, 'dist', 'run.js'))});
      const { statSteps } = await import(${JSON.stringify(join(packageRoot, 'dist', 'operations.js'))});
      for (const backend of ${JSON.stringify(availableBackends)}) {
        const ring = new Ring({ backend });
        globalThis.gc();
        await new Promise((resolve) => setTimeout(resolve, 10));
        globalThis.gc();
        const st = await runPromise(ring, statSteps(null, '/', true, false));
        console.log(backend, st.isDirectory());
      }`;
    const r = await runNode(['--expose-gc', '--input-type=module', '-e', code], 20_000);
    expect(r).toMatchObject({ timedOut: false, code: 0, stdout: availableBackends.map((b) => `${b} true\n`).join(''), stderr: '' });
  });

  it('reports the thread count and keeps working with one worker', async () => {
    const r = new Ring({ backend: 'threads', threads: 1 });
    const path = join(tmp.dir, 'one-worker');
    nodeFs.writeFileSync(path, 'abcdefgh');
    const fd = await runPromise(r, openSteps(path, 0, 0));
    const bufs = Array.from({ length: 8 }, () => Buffer.alloc(1));
    const got = await Promise.all(bufs.map((b, i) => runPromise(r, readSteps(fd, b, 0, 1, i))));
    expect(got).toEqual([1, 1, 1, 1, 1, 1, 1, 1]);
    expect(Buffer.concat(bufs).toString()).toBe('abcdefgh');
    nodeFs.closeSync(fd);
    r.close();
  });

  it('batches a turn of ops into one hand-off to the workers', async () => {
    const r = new Ring({ backend: 'threads' });
    const path = join(tmp.dir, 'batch');
    nodeFs.writeFileSync(path, Buffer.alloc(4096, 7));
    const fd = nodeFs.openSync(path, 'r');
    const before = r.stats();
    await Promise.all(Array.from({ length: 100 }, () => runPromise(r, readSteps(fd, Buffer.alloc(16), 0, 16, 0))));
    const after = r.stats();
    expect(after.submitted - before.submitted).toBe(100);
    expect(after.completed - before.completed).toBe(100);
    // 100 ops fit the pending list (256): one hand-off in the turn they were queued.
    expect(after.enters - before.enters).toBe(1);
    nodeFs.closeSync(fd);
    r.close();
  });
});

/** Run queue calls on a native ring and collect [id, result] pairs until `count` arrived. */
function collect(make: (cb: (n: number) => void) => NativeRing, queue: (ring: NativeRing) => void, count: number): Promise<Map<number, number>> {
  return new Promise((resolve) => {
    const results = new Map<number, number>();
    const ring = make((n) => {
      for (let i = 0; i < n; i++) results.set(ring.completions[2 * i], ring.completions[2 * i + 1]);
      if (results.size === count) {
        ring.shutdown();
        resolve(results);
      }
    });
    queue(ring);
    ring.flush();
  });
}

const makeUring = (cb: (n: number) => void): NativeRing => new binding.Ring(16, 0, 0, cb);
const makeThreads = (cb: (n: number) => void): NativeRing => new binding.ThreadRing(16, 0, 0, cb, 2);
const pathBuf = (p: string): Buffer => Buffer.from(`${p}\0`);

describe('thread-pool semantics match io_uring', () => {
  it.skipIf(!ioUringAvailable)(`linked chains: a short read or a failed op cancels the rest with ECANCELED; a flush ends a chain${needsIoUring}`, async () => {
    const path = join(tmp.dir, 'chain');
    nodeFs.writeFileSync(path, 'abcdef');
    const queue = (fd: number) => (ring: NativeRing): void => {
      const buf = Buffer.alloc(64);
      // read 16 of 6 bytes (short) -> nop -> nop: both cancelled
      ring.setSqeFlags(IOSQE_IO_LINK); ring.read(1, fd, buf, 0, 16, 0); ring.nop(2); ring.setSqeFlags(0); ring.nop(3);
      // full read -> close of a bad fd -> nop: the nop is cancelled
      ring.setSqeFlags(IOSQE_IO_LINK); ring.read(4, fd, buf, 16, 3, 0); ring.close(5, 2 ** 30); ring.setSqeFlags(0); ring.nop(6);
      // failed open ends its chain; the op after a flush is not part of it
      ring.setSqeFlags(IOSQE_IO_LINK); ring.open(7, pathBuf(join(tmp.dir, 'missing')), 0, 0); ring.flush(); ring.setSqeFlags(0); ring.nop(8);
      // a chain that succeeds all the way: readv (4 of 4 bytes) -> read at 2^62 (0 of 0) -> nop
      ring.setSqeFlags(IOSQE_IO_LINK);
      ring.readv(9, fd, [Buffer.alloc(2), Buffer.alloc(2)], Buffer.alloc(32), 1);
      ring.read(10, fd, buf, 0, 0, 2n ** 62n);
      ring.setSqeFlags(0); ring.nop(11);
      ring.read(12, fd, buf, 0, 4, -2);  // offset -2: EINVAL
      ring.read(13, 2 ** 30, buf, 0, 4, 0);  // bad fd
    };
    const fd = nodeFs.openSync(path, 'r');
    const uring = await collect(makeUring, queue(fd), 13);
    const threads = await collect(makeThreads, queue(fd), 13);
    nodeFs.closeSync(fd);
    const sorted = (m: Map<number, number>) => [...m].sort((a, b) => a[0] - b[0]);
    expect(sorted(threads)).toEqual(sorted(uring));
    expect(sorted(threads)).toEqual([
      [1, 6], [2, ECANCELED], [3, ECANCELED], [4, 3], [5, EBADF], [6, ECANCELED], [7, ENOENT], [8, 0],
      [9, 4], [10, 0], [11, 0], [12, EINVAL], [13, EBADF],
    ]);
  });

  it('pipes: an offset is ignored, and a non-blocking read waits for data instead of EAGAIN', async () => {
    for (const backend of availableBackends) {
      const fifo = join(tmp.dir, `fifo-${backend}`);
      nodeFs.rmSync(fifo, { force: true });
      execFileSync('mkfifo', [fifo]);
      const fd = nodeFs.openSync(fifo, nodeFs.constants.O_RDWR | nodeFs.constants.O_NONBLOCK);
      const r = new Ring({ backend });
      nodeFs.writeSync(fd, 'hello');
      const buf = Buffer.alloc(16);
      // The engine's own semantics (batches keep them): readSteps without the node:fs-shaped
      // flavours' stream probe, which would refuse the offset with ESPIPE (correctness-isolation).
      expect(await runPromise(r, readSteps(fd, buf, 0, 16, 5, false))).toBe(5);
      expect(buf.toString('latin1', 0, 5)).toBe('hello');
      const waiting = runPromise(r, readSteps(fd, buf, 0, 16, -1, false));
      setTimeout(() => nodeFs.writeSync(fd, 'later'), 20);
      expect(await waiting).toBe(5);
      expect(buf.toString('latin1', 0, 5)).toBe('later');
      r.close();
      nodeFs.closeSync(fd);
    }
  });

  it('reads waiting on FIFOs and sockets do not hold the workers: file I/O on the same pool goes on', async () => {
    const fifo = join(tmp.dir, 'fifo-starve');
    execFileSync('mkfifo', [fifo]);
    const fifoFd = nodeFs.openSync(fifo, nodeFs.constants.O_RDWR);
    const path = join(tmp.dir, 'starve-file');
    nodeFs.writeFileSync(path, 'file data');
    const fd = nodeFs.openSync(path, 'r');
    const r = new Ring({ backend: 'threads', threads: 2 });
    // 200 reads on a FIFO with no data (100 times the pool) are queued first...
    const bufs = Array.from({ length: 200 }, () => Buffer.alloc(4));
    let done = 0;
    let fourDone: () => void = () => {};
    const four = new Promise<void>((resolve) => { fourDone = resolve; });
    const waiting = bufs.map((b) => runPromise(r, readSteps(fifoFd, b, 0, 4, -1)).finally(() => { if (++done === 4) fourDone(); }));
    await new Promise((resolve) => setImmediate(resolve));
    // ...and a file read queued after them still completes (with io_uring it would too).
    const buf = Buffer.alloc(9);
    expect(await runPromise(r, readSteps(fd, buf, 0, 9, 0))).toBe(9);
    expect(buf.toString()).toBe('file data');
    // Data for four of them: four complete, the others wait on.
    nodeFs.writeSync(fifoFd, 'aaaabbbbccccdddd');
    await four;
    r.close();
    const outcomes = await Promise.allSettled(waiting);
    const read = outcomes.flatMap((o, i) => (o.status === 'fulfilled' ? [`${o.value}:${bufs[i].toString()}`] : []));
    expect(read.sort()).toEqual(['4:aaaa', '4:bbbb', '4:cccc', '4:dddd']);
    expect(outcomes.filter((o) => o.status === 'rejected' && (o.reason as { code: string }).code === 'ECANCELED').length).toBe(196);
    nodeFs.closeSync(fd);
    nodeFs.closeSync(fifoFd);
  });

  // In child processes: a teardown that cannot interrupt read(2) hangs, and
  // the runner kills a hanging child instead of the test run hanging.
  it('close() with workers blocked in read(2) on a FIFO returns; the ops fail with ECANCELED, as io_uring\'s cancelled ones do', async () => {
    const r = await runNode([fixture('threads-teardown.mjs'), 'close'], 20_000);
    expect(r).toMatchObject({ timedOut: false, code: 0, stderr: '' });
    expect(JSON.parse(r.stdout)).toEqual(Array(4).fill('ECANCELED'));
  });

  it('worker.terminate() returns while the worker\'s pool is blocked in read(2)', async () => {
    const r = await runNode([fixture('threads-teardown.mjs'), 'worker'], 20_000);
    expect(r).toMatchObject({ timedOut: false, code: 0, stdout: 'blocked on threads\nterminated\n' });
  });

  it('process.exit() with blocked ops pending exits with its code', async () => {
    const r = await runNode([fixture('threads-teardown.mjs'), 'exit'], 20_000);
    expect(r).toMatchObject({ timedOut: false, code: 7, stdout: 'exiting\n' });
  });

  it('a pool whose ops are done does not keep the process alive', async () => {
    const r = await runNode([fixture('threads-teardown.mjs'), 'idle'], 20_000);
    expect(r).toMatchObject({ timedOut: false, code: 0, stdout: 'read 4\n' });
  });
});
