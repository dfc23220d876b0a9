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
import { defaultRing, Ring } from '../lib/index.js';
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
