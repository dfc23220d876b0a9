// write / writeSync / FileHandle.write and writev / writevSync /
// FileHandle.writev, compared with node:fs: bytes written, the file
// afterwards, the file position afterwards, O_APPEND, string encodings,
// result shapes, and errors.
import { Buffer } from 'node:buffer';
import * as nodeFs from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, it } from 'vitest';
import {
  Sandbox, backingBytes, bytes, detachedBuffer, expectSame, flavours, onFile, type Flavour, type Known,
} from './helpers-differential.js';

const sb = new Sandbox('write');
afterAll(() => sb.cleanup());

const setup = (dir: string): void => {
  nodeFs.writeFileSync(join(dir, 'f'), bytes(20, 3));
  nodeFs.mkdirSync(join(dir, 'd'));
};

/** The next bytes at the fd's current position (or why they cannot be read). */
function nextBytes(fd: number): string {
  const b = Buffer.alloc(4);
  try {
    const n = nodeFs.readSync(fd, b, 0, 4, null);
    return b.subarray(0, n).toString('hex');
  } catch (e) {
    return `error ${(e as NodeJS.ErrnoException).code}`;
  }
}

interface WriteCase {
  name: string;
  args: () => { args: unknown[]; known: Known };
  only?: Flavour[];
  file?: string;
  flags?: string;
}

/** A Buffer over its own ArrayBuffer (not Node's shared pool), so its whole backing memory can be compared. */
const own = (text: string): Buffer => Buffer.from(new TextEncoder().encode(text).buffer);

const withData = (rest: unknown[]): (() => { args: unknown[]; known: Known }) => () => {
  const data = own('ABCDEFGH');
  return { args: [data, ...rest], known: { data } };
};
const str = (...args: unknown[]): (() => { args: unknown[]; known: Known }) => () => ({ args, known: {} });

const writeCases: WriteCase[] = [
  { name: 'a buffer', args: withData([]) },
  { name: 'buffer, offset', args: withData([2]) },
  { name: 'buffer, offset, length', args: withData([2, 3]) },
  { name: 'buffer, offset, length, position', args: withData([2, 3, 5]) },
  { name: 'past EOF (leaves a hole)', args: withData([0, 8, 30]) },
  { name: 'position null', args: withData([0, 8, null]) },
  { name: 'position -1', args: withData([0, 8, -1]) },
  { name: 'position -5 (the current position in node:fs)', args: withData([0, 8, -5]) },
  { name: 'position a bigint (the current position in node:fs)', args: withData([0, 8, 5n]) },
  { name: 'position 2 ** 53 (the current position in node:fs)', args: withData([0, 8, 2 ** 53]) },
  { name: 'position fractional (the current position in node:fs)', args: withData([0, 8, 1.5]) },
  { name: 'position a string (the current position in node:fs)', args: withData([0, 8, '3']) },
  { name: 'options object', args: withData([{ offset: 1, length: 2, position: 4 }]) },
  { name: 'empty options object', args: withData([{}]) },
  { name: 'options null', args: withData([null]) },
  { name: 'offset undefined, position given', args: withData([undefined, undefined, 3]) },
  { name: 'length 0', args: withData([0, 0, 0]) },
  { name: 'length a string (the rest of the buffer)', args: withData([2, '3', 0]) },
  { name: 'length undefined with a position', args: withData([6, undefined, 1]) },
  {
    name: 'a Uint16Array',
    args: () => { const data = new Uint16Array([0x4241, 0x4443, 0x4645]); return { args: [data, 2, 4, 1], known: { data } }; },
  },
  {
    name: 'a DataView with a byte offset',
    args: () => { const data = new DataView(own('0123456789').buffer, 3, 5); return { args: [data, 1, 3, 2], known: { data } }; },
  },
  {
    name: 'a subarray (only its window is written)',
    args: () => { const whole = own('0123456789'); const data = whole.subarray(4, 8); return { args: [data], known: { data, whole } }; },
  },
  { name: 'an empty buffer', args: () => { const data = Buffer.alloc(0); return { args: [data], known: { data } }; } },
  { name: 'an empty buffer at a position', args: () => { const data = Buffer.alloc(0); return { args: [data, 0, 0, 2], known: { data } }; } },
  { name: 'a detached buffer', args: () => { const data = detachedBuffer(); return { args: [data], known: { data } }; } },
  { name: 'a detached buffer with a length', args: () => { const data = detachedBuffer(); return { args: [data, 0, 4, 0], known: { data } }; } },
  // Strings.
  { name: 'a string', args: str('héllo') },
  { name: 'a string at a position', args: str('héllo', 3) },
  { name: 'a string, position, latin1', args: str('héllo', 3, 'latin1') },
  { name: 'a string, null position, hex', args: str('abcd', null, 'hex') },
  { name: 'a string, hex of odd length', args: str('abc', 0, 'hex') },
  { name: 'a string, not hex at all', args: str('zz', 0, 'hex') },
  { name: 'a string, HEX in capitals', args: str('4142', 0, 'HEX') },
  { name: 'a string, an unknown encoding (utf8 in node:fs)', args: str('héllo', 0, 'bogus') },
  { name: 'a string, encoding a number (utf8 in node:fs)', args: str('héllo', 0, 5) },
  { name: 'a string, base64', args: str('aGVsbG8=', 1, 'base64') },
  { name: 'a string, ucs2', args: str('hi', 1, 'ucs2') },
  { name: 'a string, ascii', args: str('héllo', 1, 'ascii') },
  { name: 'a string, position an object', args: str('abc', {}) },
  { name: 'a string, position a bigint', args: str('abc', 2n) },
  { name: 'a string, position -1', args: str('abc', -1) },
  { name: 'an empty string', args: str('', 4) },
  // Bad input.
  { name: 'offset negative', args: withData([-1]) },
  { name: 'offset fractional', args: withData([1.5]) },
  { name: 'offset a string', args: withData(['1']) },
  { name: 'offset past the buffer', args: withData([9]) },
  { name: 'length past the buffer', args: withData([0, 9]) },
  { name: 'offset + length past the buffer', args: withData([4, 5]) },
  { name: 'length negative', args: withData([0, -1]) },
  { name: 'length fractional', args: withData([0, 1.5]) },
  { name: 'length 2 ** 31', args: withData([0, 2 ** 31]) },
  { name: 'data a number', args: str(5) },
  { name: 'data null', args: str(null, 0, 1) },
  { name: 'data an object', args: str({ toString: () => 'x' }) },
  { name: 'data an array', args: str([1, 2]) },
  // Descriptors and flags.
  { name: 'a read-only fd', args: withData([0, 4, 0]), flags: 'r' },
  { name: 'a directory', args: withData([0, 4, 0]), file: 'd', flags: 'r' },
  { name: 'O_APPEND ignores the position', args: withData([0, 4, 0]), flags: 'a' },
  { name: 'O_APPEND (a+) ignores the position', args: withData([0, 4, 2]), flags: 'a+' },
  { name: 'O_APPEND with a string at a position', args: str('xyz', 1), flags: 'a+' },
  { name: 'O_APPEND numeric flags', args: withData([1, 2, 0]), flags: String(nodeFs.constants.O_RDWR | nodeFs.constants.O_APPEND) },
];

describe.each(flavours)('write, %s flavour', (flavour) => {
  for (const c of writeCases) {
    if (c.only && !c.only.includes(flavour)) continue;
    it(c.name, async () => {
      await expectSame(sb, {
        setup,
        run: async (impl, dir) => {
          const { args, known } = c.args();
          const flags = c.flags && /^\d+$/.test(c.flags) ? Number(c.flags) : c.flags ?? 'r+';
          const o = await onFile(flavour, impl, join(dir, c.file ?? 'f'), flags, {
            sync: (fs, fd) => ({ r: fs.writeSync(fd, ...args), next: nextBytes(fd) }),
            callback: (fs, fd, cb) => fs.write(fd, ...args, (...a: unknown[]) => cb(...a, nextBytes(fd))),
            promise: async (fh) => ({ r: await fh.write(...args), next: nextBytes(fh.fd) }),
          }, known);
          return { ...o, backing: backingBytes(known) };
        },
      });
    });
  }
});

interface WritevCase { name: string; make: () => { bufs: unknown; position?: unknown[]; known: Known }; flags?: string }
const writevCases: WritevCase[] = [
  { name: 'two buffers at 0', make: () => { const a = own('abc'), b = own('DEFG'); return { bufs: [a, b], position: [0], known: { a, b } }; } },
  { name: 'past EOF', make: () => { const a = own('abc'); return { bufs: [a], position: [25], known: { a } }; } },
  { name: 'no position (current position)', make: () => { const a = own('abc'); return { bufs: [a], position: [], known: { a } }; } },
  { name: 'position null', make: () => { const a = own('abc'); return { bufs: [a], position: [null], known: { a } }; } },
  { name: 'position -5 (current position in node:fs)', make: () => { const a = own('abc'); return { bufs: [a], position: [-5], known: { a } }; } },
  { name: 'position a bigint (current position in node:fs)', make: () => { const a = own('abc'); return { bufs: [a], position: [3n], known: { a } }; } },
  { name: 'position fractional', make: () => { const a = own('abc'); return { bufs: [a], position: [1.5], known: { a } }; } },
  { name: 'no buffers', make: () => ({ bufs: [], position: [0], known: {} }) },
  { name: 'mixed views', make: () => { const a = new Uint16Array([0x4241]), b = new DataView(own('xyz').buffer); return { bufs: [a, b], position: [1], known: { a, b } }; } },
  { name: 'an empty buffer among others', make: () => { const a = Buffer.alloc(0), b = own('q'); return { bufs: [a, b], position: [2], known: { a, b } }; } },
  { name: 'a detached buffer among others', make: () => { const a = detachedBuffer(), b = own('q'); return { bufs: [a, b], position: [2], known: { a, b } }; } },
  { name: 'not an array', make: () => { const a = own('abc'); return { bufs: a, position: [0], known: { a } }; } },
  { name: 'an array with a string', make: () => ({ bufs: ['abc'], position: [0], known: {} }) },
  { name: 'O_APPEND ignores the position', make: () => { const a = own('abc'); return { bufs: [a], position: [0], known: { a } }; }, flags: 'a+' },
  { name: 'a read-only fd', make: () => { const a = own('abc'); return { bufs: [a], position: [0], known: { a } }; }, flags: 'r' },
];

describe.each(flavours)('writev, %s flavour', (flavour) => {
  for (const c of writevCases) {
    it(c.name, async () => {
      await expectSame(sb, {
        setup,
        run: (impl, dir) => {
          const { bufs, position = [], known } = c.make();
          return onFile(flavour, impl, join(dir, 'f'), c.flags ?? 'r+', {
            sync: (fs, fd) => { nodeFs.readSync(fd, Buffer.alloc(5)); return { r: fs.writevSync(fd, bufs, ...position), next: nextBytes(fd) }; },
            callback: (fs, fd, cb) => { nodeFs.readSync(fd, Buffer.alloc(5)); return fs.writev(fd, bufs, ...position, (...a: unknown[]) => cb(...a, nextBytes(fd))); },
            promise: async (fh) => { nodeFs.readSync(fh.fd, Buffer.alloc(5)); return { r: await fh.writev(bufs, ...position), next: nextBytes(fh.fd) }; },
          }, { ...known, bufs: bufs as object });
        },
      });
    });
  }
});

it.each(flavours)('writes on a closed fd / FileHandle give EBADF, %s flavour', async (flavour) => {
  await expectSame(sb, {
    setup,
    run: async (impl, dir) => {
      const { callCallback, callPromise, callSync } = await import('./helpers-differential.js');
      const data = own('abc');
      if (flavour === 'promise') {
        const fh = await impl.fsp.open(join(dir, 'f'), 'r+');
        await fh.close();
        return {
          write: await callPromise(() => fh.write(data, 0, 3, 0)),
          writeString: await callPromise(() => fh.write('abc')),
          writev: await callPromise(() => fh.writev([data])),
          badArgsToo: await callPromise(() => fh.write(42)),
          fd: fh.fd,
        };
      }
      const fd = nodeFs.openSync(join(dir, 'f'), 'r+');
      nodeFs.closeSync(fd);
      if (flavour === 'sync') {
        return {
          write: callSync(() => impl.fs.writeSync(fd, data, 0, 3, 0)),
          writev: callSync(() => impl.fs.writevSync(fd, [data])),
          writevNone: callSync(() => impl.fs.writevSync(fd, [])),
        };
      }
      return {
        write: await callCallback((cb) => impl.fs.write(fd, data, 0, 3, 0, cb)),
        writev: await callCallback((cb) => impl.fs.writev(fd, [data], cb)),
      };
    },
  });
});


