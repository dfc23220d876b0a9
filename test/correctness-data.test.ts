// Data correctness against the real kernel, on both backends: short writes
// at the current position (RLIMIT_FSIZE), pool reads of files partly in the
// page cache, readv/writev past IOV_MAX, SQPOLL rings after setuid, batch
// read argument forms, lengths past what one read can return, and
// batch.chain's argument check. Cases that change process-wide state
// (rlimits, credentials) run in child processes under a time limit.
import { spawnSync } from 'node:child_process';
import * as nodeFs from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultRing, read, readSync, readv, readvSync, Ring, writeSync, writev, writevSync } from '../lib/index.js';
import { open as openHandle } from '../lib/promises.js';
import { fixture, packageRoot, tempDir } from './fixtures/helpers.js';

let tmp: ReturnType<typeof tempDir>;

beforeAll(() => {
  if (!nodeFs.existsSync(join(packageRoot, 'dist', 'index.js'))) throw new Error('dist/ is missing: run `npm run build:ts` (npm test does it)');
  tmp = tempDir('correctness-data');
});
afterAll(() => tmp.remove());

let counter = 0;
function fresh(name: string): string {
  return join(tmp.dir, `${name}-${counter++}`);
}

/** Run a fixture under a time limit (and optionally a command in front, e.g. prlimit); its stdout's last line parsed as JSON. */
function runJson(prefix: string[], args: string[], timeoutMs = 30_000): Record<string, unknown> {
  const cmd = [...prefix, process.execPath, ...args];
  const r = spawnSync(cmd[0], cmd.slice(1), { cwd: packageRoot, encoding: 'utf8', timeout: timeoutMs, env: process.env });
  const info = `status ${r.status} signal ${r.signal}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`;
  expect(r.signal, info).toBe(null);
  expect(r.status, info).toBe(0);
  const lines = r.stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]) as Record<string, unknown>;
}

describe('a write cut short at the current position (RLIMIT_FSIZE)', () => {
  it('reports EFBIG after the short count, as node:fs does, and never overwrites the head of the file', () => {
    const dir = fresh('fsize');
    nodeFs.mkdirSync(dir);
    const out = runJson(['prlimit', '--fsize=5000'], [fixture('data-short-write.mjs'), dir]);
    const { batch, ...cases } = out as Record<string, { uringfs: unknown; node: unknown }> & { batch: unknown };
    expect(Object.keys(cases).length).toBe(7);
    for (const [name, c] of Object.entries(cases)) {
      expect(c.uringfs, name).toEqual(c.node);
      expect((c.node as { disk: unknown }).disk, name).toEqual({ size: 5000, prefix: true });
    }
    expect(batch).toEqual({ first: { n: 5000 }, second: { err: 'EFBIG' }, disk: { size: 5000, prefix: true } });
  });
});

/** Bytes of `path` in the page cache (fincore), or null when fincore is missing. */
function cachedBytes(path: string): number | null {
  const r = spawnSync('fincore', ['--bytes', '--noheadings', '--output', 'RES', path], { encoding: 'utf8' });
  return r.status === 0 ? Number(r.stdout.trim()) : null;
}

describe('reads of a regular file partly in the page cache', () => {
  const size = 8 << 20;
  let path: string;
  let source: string;
  let data: Buffer;
  beforeAll(() => {
    path = fresh('partly-cached');
    source = `${path}.source`;
    data = Buffer.alloc(size);
    for (let i = 0; i < size; i += 4) data.writeUInt32LE((i * 2654435761) >>> 0, i);
    nodeFs.writeFileSync(source, data);
  });

  /**
   * Rewrite the file with O_DIRECT (which leaves none of it in the page cache; posix_fadvise
   * DONTNEED cannot drop pages ext4's journal still holds), then read its first 4 KiB through the
   * cache (with readahead, 16 KiB get cached; a larger read starts an asynchronous readahead that
   * soon caches it all): a read of the whole file then finds its head cached and the rest not.
   */
  function cacheOnlyTheHead(): void {
    const r = spawnSync('dd', [`if=${source}`, `of=${path}`, 'oflag=direct', 'bs=1M', 'conv=notrunc', 'status=none'], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const fd = nodeFs.openSync(path, 'r');
    nodeFs.readSync(fd, Buffer.alloc(4096), 0, 4096, 0);
    nodeFs.closeSync(fd);
    const cached = cachedBytes(path);
    if (cached !== null) expect(cached).toBeLessThan(size / 2);
  }

  it('a read in a chain returns every byte asked for (not the cached prefix, then ECANCELED)', async () => {
    cacheOnlyTheHead();
    const fd = nodeFs.openSync(path, 'r');
    try {
      const buf = Buffer.alloc(size);
      const out = await defaultRing().batch().chain((c) => c.read(fd, buf, 0, size, 0).fstat(fd)).submit();
      expect(out.map((o) => o.ok)).toEqual([true, true]);
      expect(out[0].ok && out[0].value).toBe(size);
      expect(buf.equals(data)).toBe(true);
    } finally {
      nodeFs.closeSync(fd);
    }
  });

  it('a lone read and readv, at a position and at the current position, return every byte', async () => {
    for (const position of [0, null]) {
      // A fresh fd for each read: at the current position, each starts at 0.
      cacheOnlyTheHead();
      let fd = nodeFs.openSync(path, 'r');
      const buf = Buffer.alloc(size);
      const n = await new Promise<number>((resolve, reject) => read(fd, buf, 0, size, position, (err, bytes) => (err ? reject(err) : resolve(bytes))));
      nodeFs.closeSync(fd);
      expect(n, `read at ${position}`).toBe(size);
      expect(buf.equals(data)).toBe(true);
      cacheOnlyTheHead();
      fd = nodeFs.openSync(path, 'r');
      const halves = [Buffer.alloc(size / 2), Buffer.alloc(size / 2)];
      const m = await new Promise<number>((resolve, reject) => readv(fd, halves, position, (err, bytes) => (err ? reject(err) : resolve(bytes))));
      nodeFs.closeSync(fd);
      expect(m, `readv at ${position}`).toBe(size);
      expect(Buffer.concat(halves).equals(data)).toBe(true);
    }
  });
});

describe('readv/writev with more buffers than IOV_MAX (1024)', () => {
  const count = 2500;
  /** `count` views of 1 to 3 bytes (some Uint16Arrays), with the bytes they hold when written. */
  function views(seed: number): { views: NodeJS.ArrayBufferView[]; bytes: Buffer } {
    const list: NodeJS.ArrayBufferView[] = [];
    for (let i = 0; i < count; i++) {
      if (i % 7 === 3) list.push(new Uint16Array([(i * seed) & 0xffff]));
      else list.push(Buffer.alloc(1 + (i % 3), (i * seed) & 0xff));
    }
    return { views: list, bytes: Buffer.concat(list.map((v) => Buffer.from(v.buffer, v.byteOffset, v.byteLength))) };
  }
  function emptyViews(): Buffer[] {
    return Array.from({ length: count }, () => Buffer.alloc(1));
  }
  let source: string;
  beforeAll(() => {
    source = fresh('iov-source');
    // Longer than what the writev writes, so that a readv at the position it leaves has data.
    nodeFs.writeFileSync(source, Buffer.from(Array.from({ length: 20000 }, (_, i) => (i * 7) & 0xff)));
  });

  type Flavour = { name: string; writev: (fd: number, v: NodeJS.ArrayBufferView[], pos: number | null) => Promise<number>; readv: (fd: number, v: NodeJS.ArrayBufferView[], pos: number | null) => Promise<number> };
  const flavours: Flavour[] = [
    { name: 'sync', writev: async (fd, v, pos) => writevSync(fd, v, pos), readv: async (fd, v, pos) => readvSync(fd, v, pos) },
    {
      name: 'callback',
      writev: (fd, v, pos) => new Promise((resolve, reject) => writev(fd, v, pos, (err, n) => (err ? reject(err) : resolve(n)))),
      readv: (fd, v, pos) => new Promise((resolve, reject) => readv(fd, v, pos, (err, n) => (err ? reject(err) : resolve(n)))),
    },
    {
      name: 'FileHandle',
      // One handle for the writev and the readv after it (its own file position, moved as the fd's).
      writev: async (fd, v, pos) => { const fh = await openHandle(pathOfFd(fd), 'r+'); handles.set(fd, fh); return (await fh.writev(v, pos)).bytesWritten; },
      readv: async (fd, v, pos) => { const fh = handles.get(fd)!; try { return (await fh.readv(v, pos)).bytesRead; } finally { await fh.close(); } },
    },
    {
      name: 'batch',
      writev: async (fd, v, pos) => { const [o] = await defaultRing().batch().writev(fd, v, pos).submit(); if (!o.ok) throw o.error; return o.value as number; },
      readv: async (fd, v, pos) => { const [o] = await defaultRing().batch().readv(fd, v, pos).submit(); if (!o.ok) throw o.error; return o.value as number; },
    },
    {
      name: 'batch (submitSync)',
      writev: async (fd, v, pos) => { const [o] = defaultRing().batch().writev(fd, v, pos).submitSync(); if (!o.ok) throw o.error; return o.value as number; },
      readv: async (fd, v, pos) => { const [o] = defaultRing().batch().readv(fd, v, pos).submitSync(); if (!o.ok) throw o.error; return o.value as number; },
    },
  ];
  const paths = new Map<number, string>();
  const handles = new Map<number, Awaited<ReturnType<typeof openHandle>>>();
  function pathOfFd(fd: number): string {
    return paths.get(fd)!;
  }

  for (const f of flavours) {
    for (const position of [0, 5, null]) {
      it(`${f.name}: writev writes every buffer and readv fills the first 1024, as node:fs does (position ${position})`, async () => {
        const { views: ours, bytes } = views(3);
        const { views: theirs } = views(3);
        const mine = fresh('iov-ours');
        const node = fresh('iov-node');
        nodeFs.copyFileSync(source, mine);
        nodeFs.copyFileSync(source, node);
        const fd = nodeFs.openSync(mine, 'r+');
        const nfd = nodeFs.openSync(node, 'r+');
        paths.set(fd, mine);
        try {
          const written = await f.writev(fd, ours, position);
          expect(written).toBe(nodeFs.writevSync(nfd, theirs, position ?? undefined));
          expect(written).toBe(bytes.length);
          expect(nodeFs.readFileSync(mine).equals(nodeFs.readFileSync(node))).toBe(true);
          const into = emptyViews();
          const nodeInto = emptyViews();
          const read = await f.readv(fd, into, position);
          expect(read).toBe(nodeFs.readvSync(nfd, nodeInto, position ?? undefined));
          expect(read).toBe(1024);
          expect(Buffer.concat(into).equals(Buffer.concat(nodeInto))).toBe(true);
        } finally {
          nodeFs.closeSync(fd);
          nodeFs.closeSync(nfd);
        }
      });
    }
  }

  it('batch: a writev of more than 1024 buffers in a chain is linked as one op (the ops after it run once it is all written)', async () => {
    const { views: ours, bytes } = views(5);
    const path = fresh('iov-chain');
    const fd = nodeFs.openSync(path, 'w+');
    try {
      const check = Buffer.alloc(bytes.length);
      const out = await defaultRing().batch().chain((c) => c.writev(fd, ours, 0).read(fd, check, 0, check.length, 0)).submit();
      expect(out.map((o) => (o.ok ? o.value : (o.error as NodeJS.ErrnoException).code))).toEqual([bytes.length, bytes.length]);
      expect(check.equals(bytes)).toBe(true);
      const bad = await defaultRing().batch().chain((c) => c.writev(1_000_000, ours, 0).nop()).submit();
      expect(bad.map((o) => (o.ok ? o.value : (o.error as NodeJS.ErrnoException).code))).toEqual(['EBADF', 'ECANCELED']);
    } finally {
      nodeFs.closeSync(fd);
    }
  });
});

describe('an SQPOLL ring after the process changed its credentials', () => {
  const root = process.getuid?.() === 0;
  it.skipIf(!root)('refuses ops (ERR_URINGFS_SQPOLL_CREDENTIALS) instead of opening a root-only file as root', () => {
    const dir = fresh('sqpoll');
    nodeFs.mkdirSync(dir, { mode: 0o755 });
    nodeFs.chmodSync(tmp.dir, 0o755);  // nobody may walk to the file: only its own mode stops it
    const secret = join(dir, 'secret');
    nodeFs.writeFileSync(secret, 'root only', { mode: 0o600 });
    const out = runJson([], [fixture('data-sqpoll-setuid.mjs'), secret]);
    expect(out.asRoot).toBe('root only');
    expect(out.nodeFs).toBe('EACCES');
    expect(out.plain).toBe('EACCES');
    // The thread pool ignores sqpoll: its threads follow the process's credentials.
    const expected = out.sqpoll ? 'ERR_URINGFS_SQPOLL_CREDENTIALS' : 'EACCES';
    expect(out.sqpoll).toBe(out.backend === 'io_uring');
    expect({ promise: out.promise, callback: out.callback, batch: out.batch, batchSync: out.batchSync })
      .toEqual({ promise: expected, callback: expected, batch: expected, batchSync: expected });
    if (out.sqpoll) expect(out.message).toMatch(/SQPOLL.*credentials.*new Ring/s);
  });
});

/** An outcome or a thrown error, in a comparable shape. */
function settle(fn: () => unknown): unknown {
  try {
    return { value: fn() };
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    return { error: err.name, code: err.code, message: err.message };
  }
}

describe('batch.read and batch.readv take the arguments node:fs takes', () => {
  let path: string;
  beforeAll(() => {
    path = fresh('read-forms');
    nodeFs.writeFileSync(path, Buffer.from('0123456789abcdefghij'));
  });

  type Args = unknown[];
  const readForms: [string, Args][] = [
    ['options', [{ offset: 2, length: 5, position: 3 }]],
    ['options, position only', [{ position: 10 }]],
    ['options, bigint position', [{ length: 4, position: 6n }]],
    ['options, empty', [{}]],
    ['options null', [null]],
    ['options undefined', [undefined]],
    ['no more arguments', []],
    ['positional', [1, 4, 2]],
    ['positional, length undefined', [0, undefined, 0]],
    ['options, bad offset', [{ offset: -1 }]],
    ['options, length past the buffer', [{ length: 100 }]],
    ['options, bad position', [{ position: 'x' }]],
    ['options, length 0', [{ length: 0, position: 0 }]],
  ];
  for (const [name, args] of readForms) {
    it(`read(fd, buffer, ${name}) as readSync does`, () => {
      // One fd each: a read at the current position moves it.
      const fd = nodeFs.openSync(path, 'r');
      const nfd = nodeFs.openSync(path, 'r');
      try {
        const theirs = Buffer.alloc(12, '.');
        const expected = settle(() => (nodeFs.readSync as (...a: unknown[]) => number)(nfd, theirs, ...args));
        const ours = Buffer.alloc(12, '.');
        const got = settle(() => {
          const batch = defaultRing().batch() as unknown as { read: (...a: unknown[]) => { submitSync(): { ok: boolean; value?: unknown; error?: Error }[] } };
          const [o] = batch.read(fd, ours, ...args).submitSync();
          if (!o.ok) throw o.error;
          return o.value;
        });
        expect(got).toEqual(expected);
        expect(ours.toString()).toBe(theirs.toString());
      } finally {
        nodeFs.closeSync(fd);
        nodeFs.closeSync(nfd);
      }
    });
  }

  for (const position of [-5, 1.5, 2, null, undefined, 4n]) {
    it(`readv(fd, buffers, ${String(position)}) as readvSync does`, () => {
      const fd = nodeFs.openSync(path, 'r');
      const nfd = nodeFs.openSync(path, 'r');
      try {
        nodeFs.readSync(fd, Buffer.alloc(3), 0, 3, null);
        nodeFs.readSync(nfd, Buffer.alloc(3), 0, 3, null);
        const theirs = [Buffer.alloc(4), Buffer.alloc(3)];
        const expected = settle(() => nodeFs.readvSync(nfd, theirs, position as number));
        const ours = [Buffer.alloc(4), Buffer.alloc(3)];
        const got = settle(() => {
          const [o] = defaultRing().batch().readv(fd, ours, position as number).submitSync();
          if (!o.ok) throw o.error;
          return o.value;
        });
        expect(got).toEqual(expected);
        expect(Buffer.concat(ours).toString()).toBe(Buffer.concat(theirs).toString());
      } finally {
        nodeFs.closeSync(fd);
        nodeFs.closeSync(nfd);
      }
    });
  }
});

describe('batch.chain', () => {
  for (const bad of [undefined, null, 42, 'c => c', {}]) {
    it(`chain(${String(bad)}) throws ERR_INVALID_ARG_TYPE and adds nothing`, () => {
      const b = defaultRing().batch();
      let err: NodeJS.ErrnoException | undefined;
      try {
        b.chain(bad as never);
      } catch (e) {
        err = e as NodeJS.ErrnoException;
      }
      expect(err).toBeInstanceOf(TypeError);
      expect(err!.code).toBe('ERR_INVALID_ARG_TYPE');
      expect(err!.message).toMatch(/^The "build" argument must be of type function\. Received /);
      expect(b.length).toBe(0);
      b.nop().chain((c) => c.nop().nop());
      expect(b.submitSync().every((o) => o.ok)).toBe(true);
    });
  }
});

describe('a read longer than 2^32 bytes (a view over 4 GiB)', () => {
  // One 4 GiB + 32 byte view (Node 20's Buffers stop at 4 GiB; a Float64Array does not). Its pages
  // are untouched zeros, so only the few that reads fill take memory. Freed after the block.
  let big: Float64Array | null = null;
  let bytes: Uint8Array;  // not a copy: a DataView's worth of access is enough
  let path: string;
  const fileSize = 100;
  beforeAll(() => {
    big = new Float64Array(2 ** 29 + 4);
    bytes = new Uint8Array(big.buffer, 0, 4096);
    path = fresh('len-4g');
    nodeFs.writeFileSync(path, Buffer.alloc(fileSize, 'x'));
  });
  afterAll(() => { big = null; });

  const length = 2 ** 32 + 16;
  const flavours: [string, (fd: number, view: Float64Array, len: number) => Promise<number>][] = [
    ['readSync', async (fd, view, len) => readSync(fd, view, 0, len, 0)],
    ['readSync (options)', async (fd, view, len) => readSync(fd, view, { offset: 0, length: len, position: 0 })],
    ['read (callback)', (fd, view, len) => new Promise((resolve, reject) => read(fd, view, 0, len, 0, (err, n) => (err ? reject(err) : resolve(n))))],
    ['FileHandle.read', async (fd, view, len) => {
      const fh = await openHandle(path, 'r');
      try { return (await fh.read(view, 0, len, 0)).bytesRead; } finally { await fh.close(); }
    }],
    ['batch.read', async (fd, view, len) => {
      const [o] = await defaultRing().batch().read(fd, view, 0, len, 0).submit();
      if (!o.ok) throw o.error;
      return o.value as number;
    }],
    ['batch.read (submitSync)', async (fd, view, len) => {
      const [o] = defaultRing().batch().read(fd, view, 0, len, 0).submitSync();
      if (!o.ok) throw o.error;
      return o.value as number;
    }],
  ];
  for (const [name, readInto] of flavours) {
    it(`${name}: asks the kernel for at most 0x7ffff000 bytes instead of the length modulo 2^32 (16)`, async () => {
      const fd = nodeFs.openSync(path, 'r');
      try {
        bytes.fill(0);
        expect(await readInto(fd, big!, length)).toBe(fileSize);
        expect(Buffer.from(bytes.subarray(0, fileSize + 1)).toString('latin1')).toBe(`${'x'.repeat(fileSize)}\0`);
        // 2^31, which node:fs 20 refuses after wrapping it to -2^31: a read like any other.
        expect(await readInto(fd, big!, 2 ** 31)).toBe(fileSize);
        // A negative length is refused, never wrapped into a positive one.
        await expect(readInto(fd, big!, -(2 ** 32) + 16)).rejects.toMatchObject({ code: 'ERR_OUT_OF_RANGE' });
      } finally {
        nodeFs.closeSync(fd);
      }
    });
  }

  it('a write longer than 2^31-1 bytes is ERR_OUT_OF_RANGE, as in node:fs', () => {
    const fd = nodeFs.openSync(fresh('len-4g-write'), 'w');
    try {
      expect(() => writeSync(fd, big!, 0, length, 0)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }) as Error);
      expect(() => nodeFs.writeSync(fd, big!, 0, length, 0)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }) as Error);
    } finally {
      nodeFs.closeSync(fd);
    }
  });
});
