// Large-file memory (native/large_memory.h, lib/memory.ts): the async readFiles puts a file of
// 2 MiB or more into memory of the addon's own (huge pages where the kernel gives them, pooled once
// collected); readFilesSync and the drop-in readFile forms keep to Node's, whose results transfer
// to a worker as node:fs's do. Checked against node:fs for the bytes, with the addon's counters
// for where they went, and in a child process with --expose-gc for the memory's way back to the
// pool, its reuse, and the cap.
import * as nodeFs from 'node:fs';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { binding } from '../lib/binding.js';
import { promises as fsp, readFile, readFileSync, readFiles, readFilesSync } from '../lib/index.js';
import { fixture, runNode, tempDir, writeSizedFiles } from './fixtures/helpers.js';

const MiB = 1 << 20;
const SIZES = [2 * MiB - 1, 2 * MiB, 3 * MiB + 1, 5 * MiB - 3];
let tmp: ReturnType<typeof tempDir>;
const files: string[] = [];

beforeAll(() => {
  tmp = tempDir('large-memory');
  files.push(...writeSizedFiles(tmp.dir, SIZES, 0x1a46e));
});
afterAll(() => tmp.remove());

const large = SIZES.filter((s) => s >= binding.largeMemoryMin);
const largeBytes = large.reduce((n, s) => n + s, 0);
const held = () => binding.largeMemory().held;
// Results kept to the end of the file: memory collected meanwhile would be given back and move the counter.
const kept: Buffer[][] = [];

describe('large-file memory', () => {
  it('readFiles: node:fs\'s bytes, files of 2 MiB or more in large memory while held', async () => {
    const before = held();
    const got = (await readFiles(files)) as Buffer[];
    kept.push(got);
    got.forEach((b, i) => expect(b.equals(nodeFs.readFileSync(files[i])), files[i]).toBe(true));
    expect(held() - before).toBeGreaterThanOrEqual(largeBytes);
  });

  it('readFilesSync and the drop-in readFile forms keep to Node\'s memory, which transfers as node:fs\'s does', async () => {
    const forms: [string, () => Promise<Buffer[]> | Buffer[]][] = [
      ['readFilesSync', () => readFilesSync(files) as Buffer[]],
      ['readFileSync', () => files.map((f) => readFileSync(f) as Buffer)],
      ['promises.readFile', () => Promise.all(files.map((f) => fsp.readFile(f)))],
      ['callback readFile', () => Promise.all(files.map((f) => promisify(readFile)(f) as Promise<Buffer>))],
      ['FileHandle.readFile', () => Promise.all(files.map(async (f) => {
        const h = await fsp.open(f);
        try { return await h.readFile(); } finally { await h.close(); }
      }))],
    ];
    for (const [name, read] of forms) {
      const before = held();
      const got = await read();
      expect(held(), name).toBe(before);
      got.forEach((b, i) => {
        const expected = nodeFs.readFileSync(files[i]);
        expect(b.equals(expected), `${name} ${files[i]}`).toBe(true);
        // Transferred, as a node:fs result is: the copy has the bytes, the original is detached.
        const moved = structuredClone(b.buffer as ArrayBuffer, { transfer: [b.buffer as ArrayBuffer] });
        expect(Buffer.from(moved, b.byteOffset, expected.length).equals(expected), name).toBe(true);
        expect(b.buffer.byteLength, name).toBe(0);
      });
    }
  });

  it('is given back when collected, reused with only the new file in view, and refused past its cap', async () => {
    const r = await runNode(['--expose-gc', fixture('large-memory.mjs'), tmp.dir], 60_000);
    expect(r.code, r.stderr).toBe(0);
    const o = JSON.parse(r.stdout);
    const file = 3 * MiB + 1000;
    expect(o.firstRight).toBe(true);
    expect(o.whileHeld.held - o.start.held).toBeGreaterThanOrEqual(file);
    expect(o.afterCollect.held).toBe(o.start.held);
    expect(o.afterCollect.pooled).toBeGreaterThanOrEqual(file);
    // The next file of about that size took the pooled memory, and shows its own bytes only.
    expect(o.reused.pooled).toBe(o.afterCollect.pooled - (o.reused.held - o.afterCollect.held));
    expect(o.reused.held).toBeGreaterThan(o.afterCollect.held);
    expect(o.againRight).toBe(true);
    expect(o.againLength).toBe(3 * MiB + 100);
    expect(o.againArrayBuffer).toBe(3 * MiB + 100);
    expect(o.groupRight).toBe(true);
    expect(o.groupArrayBuffer).toBe(3 * MiB + 100);
    // At most 512 MiB handed out; past that, reads go on in Node's memory.
    expect(o.taken + o.beforeCap.held).toBeGreaterThan(500 * MiB);
    expect(o.taken + o.beforeCap.held).toBeLessThanOrEqual(512 * MiB);
    expect(o.pastCap).toBe(true);
    expect(o.pastCapRight).toBe(true);
    expect(o.pastCapHeldSame).toBe(true);
    expect(o.end.held).toBe(o.start.held);
  }, 90_000);

  it('is backed by huge pages where transparent huge pages are enabled', async () => {
    let mode = 'never';
    try {
      mode = /\[(\w+)\]/.exec(nodeFs.readFileSync('/sys/kernel/mm/transparent_hugepage/enabled', 'utf8'))?.[1] ?? 'never';
    } catch {
      // no THP in this kernel
    }
    if (mode === 'never') return void console.warn('skipped: transparent huge pages are off on this machine');
    const huge = () => Number(/AnonHugePages:\s+(\d+) kB/.exec(nodeFs.readFileSync('/proc/self/smaps_rollup', 'utf8'))![1]) * 1024;
    const got = (await readFiles(files)) as Buffer[];
    // Each 2 MiB stretch of a file of 2 MiB or more: a huge page (memory reused from the pool
    // may have been counted before this read: the total, not its growth).
    const pages = large.reduce((n, s) => n + Math.floor(s / (2 * MiB)), 0);
    expect(huge()).toBeGreaterThanOrEqual(pages * 2 * MiB);
    expect(got.length).toBe(files.length);
  });
});
