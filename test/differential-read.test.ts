// read / readSync / FileHandle.read and readv / readvSync / FileHandle.readv,
// compared with node:fs: bytes read, the buffer afterwards (every byte, so a
// stray write outside the asked range shows), the file position afterwards,
// the result shapes, and errors.
import { Buffer } from 'node:buffer';
import * as nodeFs from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  Sandbox, backingBytes, bytes, callCallback, callPromise, callSync, canary, detachedBuffer, expectSame, flavours, onFile, type Flavour, type Known,
} from './helpers-differential.js';

const sb = new Sandbox('read');
afterAll(() => sb.cleanup());

const content = bytes(100, 7);
const setup = (dir: string): void => {
  nodeFs.writeFileSync(join(dir, 'f'), content);
  nodeFs.writeFileSync(join(dir, 'empty'), '');
  nodeFs.mkdirSync(join(dir, 'd'));
};

/** Where the fd's position is after the call: the next bytes a read at the current position gets. */
function nextBytes(fd: number): string {
  const b = Buffer.alloc(4);
  try {
    const n = nodeFs.readSync(fd, b, 0, 4, null);
    return b.subarray(0, n).toString('hex');
  } catch (e) {
    return `error ${(e as NodeJS.ErrnoException).code}`;
  }
}

interface ReadCase {
  name: string;
  /** Fresh arguments (after the fd) and the objects whose identity and bytes matter. */
  args: () => { args: unknown[]; known: Known };
  only?: Flavour[];
  file?: string;
  flags?: string;
  /**
   * Intentional differences in the promise flavour (docs/differences.md):
   * node:fs 20 ignores a bigint position in FileHandle.read; uringfs honours
   * it, so node:fs is given the same position as a number (or, where a
   * number cannot say it, another position with the same outcome).
   */
  promiseNodeArgs?: unknown[];
}

const withBuf = (rest: unknown[], size = 32): (() => { args: unknown[]; known: Known }) => () => {
  const buf = canary(size);
  return { args: [buf, ...rest], known: { buf } };
};

const readCases: ReadCase[] = [
  { name: 'buffer, offset, length, position', args: withBuf([0, 10, 0]) },
  { name: 'at an offset in the buffer', args: withBuf([5, 10, 20]) },
  { name: 'a short read past EOF', args: withBuf([0, 32, 90]) },
  { name: 'at EOF', args: withBuf([0, 10, 100]) },
  { name: 'far beyond EOF', args: withBuf([0, 10, 5000]) },
  { name: 'an empty file', args: withBuf([0, 10, 0]), file: 'empty' },
  { name: 'an empty file at the current position', args: withBuf([0, 10, null]), file: 'empty' },
  { name: 'position null (current position, which moves)', args: withBuf([0, 10, null]) },
  { name: 'position -1', args: withBuf([0, 10, -1]) },
  { name: 'position undefined', args: withBuf([0, 10, undefined]) },
  { name: 'position a bigint', args: withBuf([0, 10, 7n]), promiseNodeArgs: [0, 10, 7] },
  { name: 'position -1n', args: withBuf([0, 10, -1n]) },
  { name: 'position -5n', args: withBuf([0, 10, -5n]) },
  { name: 'position 2n ** 62n', args: withBuf([0, 10, 2n ** 62n]), promiseNodeArgs: [0, 10, 5000] },
  { name: 'position Number.MAX_SAFE_INTEGER', args: withBuf([0, 10, Number.MAX_SAFE_INTEGER]) },
  { name: 'length 0', args: withBuf([0, 0, 0]) },
  { name: 'length 0 with a bad position', args: withBuf([0, 0, -5]) },
  { name: 'length 0 with an offset past the buffer', args: withBuf([33, 0, 0]) },
  { name: 'options object', args: withBuf([{ offset: 2, length: 5, position: 3 }]) },
  { name: 'empty options object', args: withBuf([{}]) },
  { name: 'options null', args: withBuf([null]) },
  { name: 'buffer only', args: withBuf([]) },
  { name: 'offset undefined', args: withBuf([undefined, 10, 0]) },
  { name: 'offset null', args: withBuf([null, 10, 0]) },
  { name: 'length undefined', args: withBuf([2, undefined, 0]) },
  // node:fs 20's FileHandle.read aborts the process on these (a C++ CHECK):
  // uringfs truncates the length as fs.read does (tested below).
  { name: 'length fractional', args: withBuf([0, 3.7, 0]), only: ['sync', 'callback'] },
  { name: 'length a numeric string', args: withBuf([0, '4', 0]), only: ['sync', 'callback'] },
  {
    name: 'a Uint16Array',
    args: () => { const buf = new Uint16Array(8).fill(0xeeee); return { args: [buf, 2, 6, 1], known: { buf } }; },
  },
  {
    name: 'a Float64Array',
    args: () => { const buf = new Float64Array(2); return { args: [buf, 0, 16, 0], known: { buf } }; },
  },
  {
    name: 'a DataView with a byte offset',
    args: () => {
      const ab = new ArrayBuffer(24); new Uint8Array(ab).fill(0xee);
      const buf = new DataView(ab, 4, 16);
      return { args: [buf, 1, 14, 0], known: { buf, whole: new Uint8Array(ab) } };
    },
  },
  {
    name: 'a subarray of a larger buffer (the rest stays untouched)',
    args: () => {
      const whole = canary(64);
      const buf = whole.subarray(16, 32);
      return { args: [buf, 0, 16, 0], known: { buf, whole } };
    },
  },
  // Forms only the callback and promise flavours take.
  {
    name: 'options with a buffer', only: ['callback', 'promise'],
    args: () => { const buf = canary(16); return { args: [{ buffer: buf, position: 1 }], known: { buf } }; },
  },
  {
    name: 'options with buffer, offset, length, position', only: ['callback', 'promise'],
    args: () => { const buf = canary(16); return { args: [{ buffer: buf, offset: 4, length: 8, position: 2 }], known: { buf } }; },
  },
  { name: 'no arguments (a fresh 16 KiB buffer)', only: ['callback', 'promise'], args: () => ({ args: [], known: {} }) },
  { name: 'options without a buffer', only: ['callback', 'promise'], args: () => ({ args: [{ position: 95 }], known: {} }) },
  // Bad input: the same error, and not a byte touched.
  { name: 'position a string', args: withBuf([0, 10, '3']) },
  { name: 'position fractional', args: withBuf([0, 10, 1.5]) },
  { name: 'position -2', args: withBuf([0, 10, -2]) },
  { name: 'position 2 ** 53 (beyond safe integers)', args: withBuf([0, 10, 2 ** 53]) },
  { name: 'position 2n ** 63n', args: withBuf([0, 10, 2n ** 63n]) },
  { name: 'position -(2n ** 63n) - 1n', args: withBuf([0, 10, -(2n ** 63n) - 1n]) },
  { name: 'position 2n ** 63n - 1n', args: withBuf([0, 10, 2n ** 63n - 1n]), only: ['sync', 'callback'] },
  { name: 'offset negative', args: withBuf([-1, 10, 0]) },
  { name: 'offset fractional', args: withBuf([1.5, 10, 0]) },
  { name: 'offset a string', args: withBuf(['1', 10, 0]) },
  { name: 'offset 2 ** 53', args: withBuf([2 ** 53, 10, 0]) },
  { name: 'length past the buffer', args: withBuf([0, 33, 0]) },
  { name: 'offset + length past the buffer', args: withBuf([30, 5, 0]) },
  { name: 'length negative', args: withBuf([0, -1, 0]) },
  { name: 'length 2 ** 31 - 1 (past the buffer)', args: withBuf([0, 2 ** 31 - 1, 0]) },
  { name: 'offset past the buffer', args: withBuf([40, 1, 0]) },
  { name: 'options not an object', args: withBuf([{ offset: 'x' }]) },
  { name: 'buffer a string', args: () => ({ args: ['abc', 0, 1, 0], known: {} }) },
  { name: 'buffer an ArrayBuffer', args: () => ({ args: [new ArrayBuffer(8), 0, 4, 0], known: {} }) },
  { name: 'buffer null with more arguments', args: () => ({ args: [null, 0, 4, 0], known: {} }) },
  { name: 'buffer empty', args: () => ({ args: [new Uint8Array(0), 0, 1, 0], known: {} }) },
  { name: 'buffer detached', args: () => { const buf = detachedBuffer(); return { args: [buf, 0, 4, 0], known: { buf } }; } },
  { name: 'buffer detached, defaults', args: () => { const buf = detachedBuffer(); return { args: [buf], known: { buf } }; } },
  { name: 'buffer detached, options', args: () => { const buf = detachedBuffer(); return { args: [buf, { length: 4 }], known: { buf } }; } },
  { name: 'options buffer a string', only: ['callback', 'promise'], args: () => ({ args: [{ buffer: 'abc' }], known: {} }) },
  // Bad descriptors.
  { name: 'a directory', args: withBuf([0, 10, 0]), file: 'd' },
  { name: 'a directory at the current position', args: withBuf([0, 10, null]), file: 'd' },
  { name: 'a write-only fd', args: withBuf([0, 10, 0]), flags: 'a' },
];

describe.each(flavours)('read, %s flavour', (flavour) => {
  for (const c of readCases) {
    if (c.only && !c.only.includes(flavour)) continue;
    it(c.name, async () => {
      await expectSame(sb, {
        setup,
        run: async (impl, dir) => {
          // Where the position is after the call, via a second neutral read on the same fd.
          const { args: given, known } = c.args();
          const args = flavour === 'promise' && impl.name === 'node:fs' && c.promiseNodeArgs ? [given[0], ...c.promiseNodeArgs] : given;
          const path = join(dir, c.file ?? 'f');
          return onFile(flavour, impl, path, c.flags ?? 'r', {
            sync: (fs, fd) => { const r = fs.readSync(fd, ...args); return { r, next: nextBytes(fd) }; },
            callback: (fs, fd, cb) => fs.read(fd, ...args, (...a: unknown[]) => cb(...a, nextBytes(fd))),
            promise: async (fh) => ({ r: await fh.read(...args), next: nextBytes(fh.fd) }),
          }, known).then((o) => ({ ...o, backing: backingBytes(known) }));
        },
      });
    });
  }
});

it('FileHandle.read honours a bigint position (node:fs 20 reads at the current position), and at 2n ** 63n - 1n fails as fs.readSync does (the kernel refuses it; Node 22 and later refuse it first)', async () => {
  const dir = sb.fresh();
  setup(dir);
  const { open } = await import('../lib/promises.js');
  const fh = await open(join(dir, 'f'));
  try {
    const buf = canary(8);
    expect((await fh.read(buf, 0, 8, 90n)).bytesRead).toBe(8);
    expect(buf).toEqual(content.subarray(90, 98));
    let expected: unknown;
    try { nodeFs.readSync(fh.fd, buf, 0, 8, 2n ** 63n - 1n); } catch (e) { expected = e; }
    expect(expected).toBeInstanceOf(Error);
    const { constructor, code, syscall, message } = expected as NodeJS.ErrnoException;
    const got = await fh.read(buf, 0, 8, 2n ** 63n - 1n).then(() => undefined, (e: unknown) => e as NodeJS.ErrnoException);
    expect(got).toBeInstanceOf(constructor);
    expect({ code: got?.code, syscall: got?.syscall, message: got?.message }).toEqual({ code, syscall, message });
  } finally {
    await fh.close();
  }
});

// node:fs's `length |= 0` wraps lengths past int32 (2 ** 32 + 4 reads 4 bytes, 2 ** 31 is
// -2 ** 31); uringfs does not (docs/differences.md), so they are lengths past this buffer.
// Views over 4 GiB: test/correctness-data.test.ts.
it.each([['2 ** 32 + 4', 2 ** 32 + 4], ['2 ** 31', 2 ** 31], ['2 ** 53', 2 ** 53]])('read with a length of %s is not wrapped: past a 32-byte buffer, ERR_OUT_OF_RANGE', async (_name, length) => {
  const dir = sb.fresh();
  setup(dir);
  const { readSync, read } = await import('../lib/index.js');
  const { open } = await import('../lib/promises.js');
  const fd = nodeFs.openSync(join(dir, 'f'), 'r');
  const fh = await open(join(dir, 'f'));
  try {
    const message = `The value of "length" is out of range. It must be <= 32. Received ${length > 2 ** 32 ? String(length).replace(/\B(?=(\d{3})+$)/g, '_') : length}`;
    expect(() => readSync(fd, canary(32), 0, length, 0)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE', message }) as Error);
    expect(() => read(fd, canary(32), 0, length, 0, () => {})).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE', message }) as Error);
    await expect(fh.read(canary(32), 0, length, 0)).rejects.toMatchObject({ code: 'ERR_OUT_OF_RANGE', message });
  } finally {
    nodeFs.closeSync(fd);
    await fh.close();
  }
});

it.each([
  ['fractional', 3.7, 3], ['a numeric string', '4', 4], ['NaN', NaN, 0], ['true', true, 1],
])('FileHandle.read with a length that is %s reads as fs.read does (node:fs 20 aborts)', async (_name, length, expected) => {
  const dir = sb.fresh();
  setup(dir);
  const { open } = await import('../lib/promises.js');
  const fh = await open(join(dir, 'f'));
  try {
    const buf = canary(32);
    const r = await fh.read(buf, 0, length as number, 0);
    expect(r.bytesRead).toBe(expected);
    expect(r.buffer).toBe(buf);
    expect(buf.subarray(0, expected)).toEqual(content.subarray(0, expected));
    expect(buf.subarray(expected)).toEqual(canary(32 - expected));
  } finally {
    await fh.close();
  }
});

describe.each(['sync', 'callback'] as const)('read with bad fds, %s flavour', (flavour) => {
  const badFds: [string, unknown][] = [
    ['fd -1', -1], ['fd a string', '3'], ['fd fractional', 1.5], ['fd 2 ** 31', 2 ** 31], ['fd null', null],
    ['fd not open', 1_000_000], ['fd -0 (is fd 0)', -0],
  ];
  for (const [name, fd] of badFds) {
    it(name, async () => {
      await expectSame(sb, {
        run: (impl) => {
          const buf = canary(8);
          // fd 0 is vitest's stdin: a length-0 read keeps it out of the way.
          const length = fd === 0 ? 0 : 4;
          return flavour === 'sync'
            ? callSync(() => impl.fs.readSync(fd, buf, 0, length, 0), { buf })
            : callCallback((cb) => impl.fs.read(fd, buf, 0, length, 0, cb), { buf });
        },
      });
    });
  }
});

it.each(flavours)('read on a closed fd / FileHandle gives EBADF, %s flavour', async (flavour) => {
  await expectSame(sb, {
    setup,
    run: async (impl, dir) => {
      const buf = canary(8);
      if (flavour === 'promise') {
        const fh = await impl.fsp.open(join(dir, 'f'));
        await fh.close();
        return callPromise(() => fh.read(buf, 0, 4, 0), { buf });
      }
      const fd = nodeFs.openSync(join(dir, 'f'), 'r');
      nodeFs.closeSync(fd);
      return flavour === 'sync'
        ? callSync(() => impl.fs.readSync(fd, buf, 0, 4, 0), { buf })
        : callCallback((cb) => impl.fs.read(fd, buf, 0, 4, 0, cb), { buf });
    },
  });
});

interface ReadvCase {
  name: string;
  make: () => { bufs: unknown; position?: unknown[]; known: Known };
  /** node:fs calls this callback synchronously (libuv refuses at once); uringfs always calls back asynchronously. */
  nodeCallsBackSynchronously?: boolean;
}
const readvCases: ReadvCase[] = [
  { name: 'two buffers from 0', make: () => { const a = canary(5), b = canary(7); return { bufs: [a, b], position: [0], known: { a, b } }; } },
  { name: 'past EOF (short)', make: () => { const a = canary(8), b = canary(8); return { bufs: [a, b], position: [95], known: { a, b } }; } },
  { name: 'at EOF', make: () => { const a = canary(8); return { bufs: [a], position: [100], known: { a } }; } },
  { name: 'no position (current position)', make: () => { const a = canary(3), b = canary(4); return { bufs: [a, b], position: [], known: { a, b } }; } },
  { name: 'position null', make: () => { const a = canary(3); return { bufs: [a], position: [null], known: { a } }; } },
  { name: 'position -1', make: () => { const a = canary(3); return { bufs: [a], position: [-1], known: { a } }; } },
  { name: 'position -7 (current position in node:fs)', make: () => { const a = canary(3); return { bufs: [a], position: [-7], known: { a } }; } },
  { name: 'position fractional', make: () => { const a = canary(3); return { bufs: [a], position: [2.5], known: { a } }; } },
  { name: 'position a bigint (ignored by node:fs)', make: () => { const a = canary(3); return { bufs: [a], position: [5n], known: { a } }; } },
  { name: 'position a string', make: () => { const a = canary(3); return { bufs: [a], position: ['5'], known: { a } }; } },
  { name: 'position 2 ** 53', make: () => { const a = canary(3); return { bufs: [a], position: [2 ** 53], known: { a } }; } },
  { name: 'no buffers', make: () => ({ bufs: [], position: [0], known: {} }), nodeCallsBackSynchronously: true },
  { name: 'mixed views', make: () => { const a = new Uint16Array(2), b = new DataView(new ArrayBuffer(5)); return { bufs: [a, b], position: [1], known: { a, b } }; } },
  { name: 'an empty buffer among others', make: () => { const a = canary(0), b = canary(4); return { bufs: [a, b], position: [0], known: { a, b } }; } },
  { name: 'not an array', make: () => { const a = canary(3); return { bufs: a, position: [0], known: { a } }; } },
  { name: 'an array with a non-buffer', make: () => { const a = canary(3); return { bufs: [a, 'x'], position: [0], known: { a } }; } },
  { name: 'a detached buffer among others', make: () => { const a = detachedBuffer(), b = canary(4); return { bufs: [a, b], position: [0], known: { a, b } }; } },
];

describe.each(flavours)('readv, %s flavour', (flavour) => {
  for (const c of readvCases) {
    it(c.name, async () => {
      await expectSame(sb, {
        setup,
        run: async (impl, dir) => {
          const { bufs, position = [], known } = c.make();
          const o = await onFile(flavour, impl, join(dir, 'f'), 'r', {
            sync: (fs, fd) => { nodeFs.readSync(fd, Buffer.alloc(10)); return { r: fs.readvSync(fd, bufs, ...position), next: nextBytes(fd) }; },
            callback: (fs, fd, cb) => { nodeFs.readSync(fd, Buffer.alloc(10)); return fs.readv(fd, bufs, ...position, (...a: unknown[]) => cb(...a, nextBytes(fd))); },
            promise: async (fh) => { nodeFs.readSync(fh.fd, Buffer.alloc(10)); return { r: await fh.readv(bufs, ...position), next: nextBytes(fh.fd) }; },
          }, { ...known, bufs: bufs as object });
          return o;
        },
        normalize: (o, impl) => (c.nodeCallsBackSynchronously && impl.name === 'node:fs' && o.synchronous === true ? { ...o, synchronous: false } : o),
      });
    });
  }
});

it.each(flavours)('readv on a directory, %s flavour', async (flavour) => {
  await expectSame(sb, {
    setup,
    run: (impl, dir) => {
      const a = canary(4);
      return onFile(flavour, impl, join(dir, 'd'), 'r', {
        sync: (fs, fd) => fs.readvSync(fd, [a], 0),
        callback: (fs, fd, cb) => fs.readv(fd, [a], 0, cb),
        promise: (fh) => fh.readv([a], 0),
      }, { a });
    },
  });
});
