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
import { defaultRing, read, readv, Ring } from '../lib/index.js';
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
