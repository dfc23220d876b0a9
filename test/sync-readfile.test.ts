// readFileSync of a path is one native call (open, fstat, read, close), compared with node:fs:
// the bytes, and where their memory comes from — a result smaller than half of Buffer.poolSize is
// a view of Buffer's shared pool, as node:fs's (so that transferring its ArrayBuffer copies it
// rather than emptying the caller's Buffer) — for regular files below, at and past the pool's
// half, a file whose size overstates its content (sysfs), files of unknown size (/proc, FIFOs fed
// in pieces), files larger than the one call reads (read by the steps instead), and a call made
// inside another.
import { Buffer } from 'node:buffer';
import { spawn, spawnSync } from 'node:child_process';
import * as nodeFs from 'node:fs';
import { join } from 'node:path';
import { MessageChannel } from 'node:worker_threads';
import { afterAll, describe, expect, it } from 'vitest';
import { Sandbox, bytes, impls, type Impl } from './helpers-differential.js';

const sb = new Sandbox('sync-readfile');
afterAll(() => sb.cleanup());

const sizes = [1, 100, 4095, 4096, 4097, 65536, (1 << 20) - 1, 1 << 20, (1 << 20) + 1, 3 << 20];

/** What a program can see of a Buffer readFileSync gave: its bytes, whether it is a view of a larger ArrayBuffer, and whether posting its ArrayBuffer as transferred empties it. */
function seen(data: Buffer, expected?: Buffer): Record<string, unknown> {
  const out: Record<string, unknown> = {
    isBuffer: Buffer.isBuffer(data),
    length: data.length,
    same: expected === undefined ? undefined : data.equals(expected),
    sharesItsMemory: data.buffer.byteLength !== data.length,
  };
  const { port1, port2 } = new MessageChannel();
  try {
    port1.postMessage(data, [data.buffer as ArrayBuffer]);
    out.lengthAfterTransfer = data.length;
  } catch (e) {
    out.transferError = (e as Error).name;
  } finally {
    port1.close();
    port2.close();
  }
  return out;
}

/**
 * A process that writes the file `source` into the FIFO `fifo` in 4 KiB writes. It opens the FIFO
 * before anything else and closes it whatever happens, so that a readFileSync of the FIFO, blocked
 * in its open and then its reads, always returns; it is killed after 30 s at the latest.
 */
function feedFifo(fifo: string, source: string): void {
  spawn(process.execPath, ['-e', `
    const fs = require('node:fs');
    const fd = fs.openSync(${JSON.stringify(fifo)}, 'w');
    try {
      const data = fs.readFileSync(${JSON.stringify(source)});
      for (let at = 0; at < data.length; at += 4096) fs.writeSync(fd, data, at, Math.min(4096, data.length - at));
    } finally {
      fs.closeSync(fd);
    }
  `], { stdio: 'ignore', timeout: 30_000 });
}

describe('readFileSync of a path, in one native call', () => {
  it.each(sizes)('a regular file of %i bytes: the same bytes in memory of the same kind', (size) => {
    const dir = sb.fresh();
    const path = join(dir, 'f');
    const content = bytes(size, size);
    nodeFs.writeFileSync(path, content);
    const results = impls.map((impl) => seen(impl.fs.readFileSync(path) as Buffer, content));
    expect(results[0].same).toBe(true);
    expect(results[1]).toEqual(results[0]);
    // And as text, through the UTF-8 path.
    expect(impls[1].fs.readFileSync(path, 'utf8')).toBe(nodeFs.readFileSync(path, 'utf8'));
  });

  it.each(['/proc/version', '/sys/devices/system/cpu/online', '/proc/self/cmdline'])('%s (a size that is not its length): the same bytes in memory of the same kind', (path) => {
    if (!nodeFs.existsSync(path)) return;
    const results = impls.map((impl) => seen(impl.fs.readFileSync(path) as Buffer));
    // /proc/self/cmdline is each side's own process: the same here.
    expect(results[1]).toEqual(results[0]);
    expect(impls[1].fs.readFileSync(path, 'latin1')).toBe(nodeFs.readFileSync(path, 'latin1'));
  });

  it('a Buffer.poolSize changed by the program moves the line between pooled and not, as for node:fs', () => {
    const saved = Buffer.poolSize;
    try {
      const dir = sb.fresh();
      const path = join(dir, 'f');
      nodeFs.writeFileSync(path, bytes(3000, 3));
      for (const poolSize of [1024, 16 * 1024, 0]) {
        Buffer.poolSize = poolSize;
        const results = impls.map((impl: Impl) => seen(impl.fs.readFileSync(path) as Buffer));
        expect(results[1], `poolSize ${poolSize}`).toEqual(results[0]);
      }
    } finally {
      Buffer.poolSize = saved;
    }
  });

  it('a readFileSync started inside another (from a getter of Buffer.poolSize) leaves the first its own bytes', () => {
    const dir = sb.fresh();
    const inner = join(dir, 'inner');
    const outer = join(dir, 'outer');
    const fifo = join(dir, 'fifo');
    nodeFs.writeFileSync(inner, 'hello');
    const outerBytes = bytes(3000, 5);
    nodeFs.writeFileSync(outer, outerBytes);
    const fifoBytes = bytes(100 * 1024, 6);
    const source = join(dir, 'source');
    nodeFs.writeFileSync(source, fifoBytes);
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const saved = Object.getOwnPropertyDescriptor(Buffer, 'poolSize')!;
    let nested = false;
    const innerReads: string[] = [];
    // Buffer.allocUnsafe reads Buffer.poolSize: between the native call and the copy of its bytes.
    Object.defineProperty(Buffer, 'poolSize', {
      configurable: true,
      get() {
        if (!nested) {
          nested = true;
          try {
            innerReads.push(impls[1].fs.readFileSync(inner, 'latin1') as string);
          } finally {
            nested = false;
          }
        }
        return saved.value as number;
      },
    });
    try {
      // Into the room for small results, then kept natively (a file of unknown size past the room).
      expect((impls[1].fs.readFileSync(outer) as Buffer).equals(outerBytes)).toBe(true);
      feedFifo(fifo, source);
      expect((impls[1].fs.readFileSync(fifo) as Buffer).equals(fifoBytes)).toBe(true);
    } finally {
      Object.defineProperty(Buffer, 'poolSize', saved);
    }
    expect(innerReads.length).toBeGreaterThan(0);
    expect(new Set(innerReads)).toEqual(new Set(['hello']));
  });

  for (const size of [100, 300 * 1024]) {
    it(`a FIFO fed ${size} bytes in 4 KiB writes, read until the writer closes it, as node:fs reads it`, () => {
      const dir = sb.fresh();
      const fifo = join(dir, 'fifo');
      const source = join(dir, 'source');
      const data = bytes(size, 7);
      nodeFs.writeFileSync(source, data);
      const results = [];
      for (const impl of impls) {
        nodeFs.rmSync(fifo, { force: true });
        expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
        feedFifo(fifo, source);
        results.push(seen(impl.fs.readFileSync(fifo) as Buffer, data));
      }
      expect(results[0].same).toBe(true);
      expect(results[1]).toEqual(results[0]);
    });
  }
});
