// util.promisify of the callback read / write / readv / writev, compared with node:fs's: node:fs
// resolves `{ bytesRead, buffer }`, `{ bytesWritten, buffer }`, `{ bytesRead, buffers }` and, for
// writev, `{ bytesWritten, buffer }` (the very buffers given), where a plain promisify would
// resolve the count alone. Also through ring.callbacks, on that ring.
import { Buffer } from 'node:buffer';
import * as nodeFs from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import * as uringFs from '../lib/index.js';
import { Ring } from '../lib/index.js';
import { Sandbox, bytes, callPromise, expectSame, withFd, type Known } from './helpers-differential.js';

const sb = new Sandbox('promisify');
afterAll(() => sb.cleanup());

const setup = (dir: string): void => {
  nodeFs.writeFileSync(join(dir, 'f'), bytes(20, 5));
};

interface Case { name: string; fn: 'read' | 'write' | 'readv' | 'writev'; flags: string; make: () => { args: unknown[]; known: Known } }

const cases: Case[] = [
  { name: 'read(fd, buffer, offset, length, position)', fn: 'read', flags: 'r', make: () => { const b = Buffer.alloc(8, 0xee); return { args: [b, 1, 4, 2], known: { b } }; } },
  { name: 'read(fd, buffer, options)', fn: 'read', flags: 'r', make: () => { const b = Buffer.alloc(8, 0xee); return { args: [b, { position: 3 }], known: { b } }; } },
  { name: 'read(fd, options)', fn: 'read', flags: 'r', make: () => { const b = new Uint8Array(6); return { args: [{ buffer: b, position: 0 }], known: { b } }; } },
  { name: 'read at EOF', fn: 'read', flags: 'r', make: () => { const b = Buffer.alloc(4); return { args: [b, 0, 4, 100], known: { b } }; } },
  { name: 'read of a write-only fd (rejects)', fn: 'read', flags: 'w', make: () => { const b = Buffer.alloc(4); return { args: [b, 0, 4, 0], known: { b } }; } },
  { name: 'write(fd, buffer, offset, length, position)', fn: 'write', flags: 'r+', make: () => { const b = Buffer.from('abcdef'); return { args: [b, 1, 3, 2], known: { b } }; } },
  { name: 'write(fd, string, position, encoding)', fn: 'write', flags: 'r+', make: () => ({ args: ['6869', 4, 'hex'], known: {} }) },
  { name: 'write of a read-only fd (rejects)', fn: 'write', flags: 'r', make: () => { const b = Buffer.from('abc'); return { args: [b], known: { b } }; } },
  { name: 'readv(fd, buffers, position)', fn: 'readv', flags: 'r', make: () => { const a = Buffer.alloc(3), b = Buffer.alloc(5); const bufs = [a, b]; return { args: [bufs, 2], known: { bufs, a, b } }; } },
  { name: 'writev(fd, buffers, position)', fn: 'writev', flags: 'r+', make: () => { const a = Buffer.from('xy'), b = Buffer.from('zw'); const bufs = [a, b]; return { args: [bufs, 6], known: { bufs, a, b } }; } },
];

describe('util.promisify of read, write, readv, writev resolves what node:fs\'s resolves', () => {
  for (const c of cases) {
    it(c.name, async () => {
      await expectSame(sb, {
        setup,
        run: (impl, dir) => withFd(join(dir, 'f'), c.flags, (fd) => {
          const { args, known } = c.make();
          return callPromise(() => promisify(impl.fs[c.fn])(fd, ...args), known);
        }),
      });
    });
  }

  it('keeps the function\'s name, and promisify gives the same function each time', () => {
    for (const name of ['read', 'write', 'readv', 'writev'] as const) {
      const uring = promisify(uringFs[name]);
      expect(uring.name).toBe(promisify(nodeFs[name]).name);
      expect(promisify(uringFs[name])).toBe(uring);
    }
  });
});

type Promisified<T> = (...args: unknown[]) => Promise<T>;

it('ring.callbacks.read and .write promisify the same way, with their ops on that ring', async () => {
  const dir = sb.fresh();
  setup(dir);
  const ring = new Ring();
  try {
    await withFd(join(dir, 'f'), 'r+', async (fd) => {
      const before = ring.stats().submitted;
      const b = Buffer.alloc(4);
      const read = await (promisify(ring.callbacks.read) as unknown as Promisified<{ bytesRead: number; buffer: Buffer }>)(fd, b, 0, 4, 0);
      expect(read).toEqual({ bytesRead: 4, buffer: b });
      expect(read.buffer).toBe(b);
      const w = Buffer.from('QQ');
      const written = await (promisify(ring.callbacks.write) as unknown as Promisified<{ bytesWritten: number; buffer: Buffer }>)(fd, w, 0, 2, 0);
      expect(written).toEqual({ bytesWritten: 2, buffer: w });
      expect(ring.stats().submitted - before).toBe(2);
    });
  } finally {
    ring.close();
  }
});
