// Worker threads, each case in a child process: every worker has its own
// ring; terminating a worker with I/O in flight (a FIFO read that never
// completes, a flood of reads) must not crash or hang, and the main thread
// keeps doing I/O on its ring throughout and afterwards; files the worker had open for a
// whole-file operation, a FileHandle or a stream it opened from a path are closed.
import * as nodeFs from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixture, mkfifo, packageRoot, Prng, runNode, tempDir, type ChildResult } from './fixtures/helpers.js';

let tmp: ReturnType<typeof tempDir>;
let dataPath: string;
let fifo: string;

beforeAll(() => {
  if (!nodeFs.existsSync(join(packageRoot, 'dist', 'index.js'))) throw new Error('dist/ is missing: run `npm run build:ts` (npm test does it)');
  tmp = tempDir('workers');
  dataPath = join(tmp.dir, 'data.bin');
  nodeFs.writeFileSync(dataPath, new Prng(8).bytes(1 << 20));
  fifo = join(tmp.dir, 'never.fifo');
  mkfifo(fifo);
});
afterAll(() => tmp.remove());

function describeChild(r: ChildResult): string {
  return `code ${r.code} signal ${r.signal}${r.timedOut ? ' (killed: hung)' : ''}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`;
}

function summaryOf(r: ChildResult): any {
  expect(r.timedOut, describeChild(r)).toBe(false);
  expect(r.signal, describeChild(r)).toBe(null);
  expect(r.code, describeChild(r)).toBe(0);
  expect(r.stderr, describeChild(r)).toBe('');
  return JSON.parse(r.stdout.trim());
}

describe('worker.terminate() mid-I/O', () => {
  it('with FIFO reads pending inside the worker: no crash, and the parent keeps doing I/O', async () => {
    const rounds = 5;
    const s = summaryOf(await runNode([fixture('worker-terminate.mjs'), 'fifo', dataPath, fifo, String(rounds)], 30_000));
    // Each worker reported its reads in flight (8 callback + 1 promise FIFO reads) before being terminated.
    expect(s.messages).toEqual(Array(rounds).fill({ pending: 9 }));
    expect(s.exitCodes).toEqual(Array(rounds).fill(1));
    expect(s.mainReadsOk).toBe(true);
    expect(s.mainDuring).toBeGreaterThan(0);
    expect(s.afterOk).toBe(true);
  });

  it('with a flood of reads in flight inside the worker: no crash, and the parent keeps doing I/O', async () => {
    const rounds = 5;
    const s = summaryOf(await runNode([fixture('worker-terminate.mjs'), 'flood', dataPath, fifo, String(rounds)], 30_000));
    expect(s.messages).toHaveLength(rounds);
    for (const m of s.messages) expect(m.busy).toBeGreaterThanOrEqual(5000);
    expect(s.exitCodes).toEqual(Array(rounds).fill(1));
    expect(s.mainReadsOk).toBe(true);
    expect(s.afterOk).toBe(true);
  });

  it('terminated at varied points from startup to mid-flood: no crash, no hang', async () => {
    const rounds = 12;
    const s = summaryOf(await runNode([fixture('worker-terminate.mjs'), 'immediate', dataPath, fifo, String(rounds)], 30_000));
    expect(s.exitCodes).toHaveLength(rounds);
    for (const code of s.exitCodes) expect([0, 1]).toContain(code);
    expect(s.messages.filter((m: unknown) => typeof m === 'string' && m.startsWith('error'))).toEqual([]);
    expect(s.mainReadsOk).toBe(true);
    expect(s.afterOk).toBe(true);
  });
});

describe('worker.terminate() while whole files are written, appended, read, a FileHandle is used, or streams are open', () => {
  it('no file of the worker is left open (callback and promise forms, read and write streams from a path)', async () => {
    const dir = tempDir('terminate-files');
    const s = summaryOf(await runNode([fixture('files-worker-terminate.mjs'), dir.dir, '12'], 90_000));
    dir.remove();
    expect(s).toEqual({ writeFile: [], appendFile: [], 'promises.writeFile': [], readFile: [], FileHandle: [], readStream: [], writeStream: [] });
  }, 120_000);
});

describe('worker.terminate() after a stream with autoClose: false handed its fd over', () => {
  it("the fd, closed by its user and its number reused by the main thread, is not closed by the worker's teardown", async () => {
    const dir = tempDir('terminate-handover');
    const s = summaryOf(await runNode([fixture('streams-handover-terminate.mjs'), dir.dir], 30_000));
    dir.remove();
    // sameNumber: the main thread's open did get the number the worker's stream had.
    expect(s).toEqual({ readStream: { sameNumber: true, stillOpen: true }, writeStream: { sameNumber: true, stillOpen: true } });
  });
});

describe('rings made while their worker is being terminated', () => {
  it('no abort: the ring gives up quietly, the process goes on (both backends)', async () => {
    const r = await runNode([fixture('life-ring-during-terminate.mjs'), '40'], 60_000);
    expect(r.stderr).not.toContain('FATAL');
    expect([r.code, r.stdout.trim()]).toEqual([0, 'survived']);
  });
});

describe('many workers at once', () => {
  it('8 workers each doing I/O on their own ring, alongside the main thread, all get their data right', async () => {
    const count = 8;
    const out = join(tmp.dir, 'many');
    nodeFs.mkdirSync(out);
    const results = summaryOf(await runNode([fixture('many-workers.mjs'), String(count), dataPath, out], 30_000));
    expect(results).toEqual([
      ...Array.from({ length: count }, (_, i) => ({ done: i, writesOk: true, readsOk: true, inFlight: 0, exitCode: 0 })),
      { main: true },
    ]);
  });
});
