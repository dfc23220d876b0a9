// Process lifecycle, each case in a child process (fixtures in
// test/fixtures/, importing the built package 'uringfs' from dist/): exit
// with ops pending, natural exit with ops pending, a FIFO read that keeps the
// process alive, and idle rings that keep nothing alive. Every child runs
// under a timeout that kills it and fails the test: that only detects hangs,
// nothing here measures speed.
import * as nodeFs from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixture, mkfifo, packageRoot, Prng, runNode, startNode, tempDir, type ChildResult } from './fixtures/helpers.js';

let tmp: ReturnType<typeof tempDir>;
let dataPath: string;

beforeAll(() => {
  // The children import 'uringfs', which resolves to dist/ (built by `npm test`'s pretest).
  if (!nodeFs.existsSync(join(packageRoot, 'dist', 'index.js'))) throw new Error('dist/ is missing: run `npm run build:ts` (npm test does it)');
  tmp = tempDir('lifecycle');
  dataPath = join(tmp.dir, 'data.bin');
  nodeFs.writeFileSync(dataPath, new Prng(7).bytes(1 << 20));
});
afterAll(() => tmp.remove());

function describeChild(r: ChildResult): string {
  return `code ${r.code} signal ${r.signal}${r.timedOut ? ' (killed: hung)' : ''}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`;
}

/** No crash signal, no abort, no hang. */
function expectCleanExit(r: ChildResult, code: number): void {
  expect(r.timedOut, describeChild(r)).toBe(false);
  expect(r.signal, describeChild(r)).toBe(null);
  expect(r.code, describeChild(r)).toBe(code);
  expect(r.stderr, describeChild(r)).toBe('');
}

describe('process.exit(3) with many ops pending', () => {
  for (const mode of ['same-turn', 'in-kernel', 'from-callback', 'with-worker']) {
    it(`exits promptly with code 3 (${mode})`, async () => {
      const fifo = join(tmp.dir, `exit-${mode}.fifo`);
      mkfifo(fifo);
      const r = await runNode([fixture('exit-pending.mjs'), mode, dataPath, fifo]);
      expectCleanExit(r, 3);
      expect(r.stdout).toMatch(/^issued/);
      // The 'exit' handler ran with the FIFO reads (at least) still in flight.
      expect(r.stdout).toContain('exiting 3 pending yes');
    });
  }
});

describe('natural exit', () => {
  it('with ops in flight, the process stays until every callback has run, then exits with 0', async () => {
    const out = join(tmp.dir, 'natural');
    nodeFs.mkdirSync(out);
    const r = await runNode([fixture('natural-exit.mjs'), dataPath, out], 30_000);
    expectCleanExit(r, 0);
    const summary = JSON.parse(r.stdout.split('\n').find((l) => l.startsWith('{'))!);
    expect(summary).toEqual({
      code: 0, callbackReads: 3000, promiseReads: 3000, chained: 300, chainedPromise: 300, readFiles: 50, writeFiles: 50, wrong: 0,
    });
  });
});

describe('a FIFO read with no data yet', () => {
  for (const flavour of ['callback', 'promise']) {
    it(`keeps the process alive while in flight, and the process ends by itself once data arrives (${flavour})`, async () => {
      const fifo = join(tmp.dir, `alive-${flavour}.fifo`);
      mkfifo(fifo);
      // The test holds a write end, so the child's read waits for data (no EOF).
      const writeEnd = nodeFs.openSync(fifo, nodeFs.constants.O_RDWR);
      try {
        const child = startNode([fixture('fifo-read.mjs'), fifo, flavour], 15_000);
        await child.waitFor('pending');
        // The child has nothing but the read to wait for: it must not exit.
        await new Promise((resolve) => setTimeout(resolve, 1000));
        expect(child.child.exitCode, child.stdout()).toBe(null);
        expect(child.child.signalCode).toBe(null);
        expect(child.stdout()).not.toContain('got:');
        nodeFs.writeSync(writeEnd, 'hello');
        const r = await child.result;
        expectCleanExit(r, 0);
        expect(r.stdout).toContain('got:hello');
      } finally {
        nodeFs.closeSync(writeEnd);
      }
    });
  }

  it('process.exit from a signal handler while the read is in flight exits with its code (no hang cancelling it)', async () => {
    const fifo = join(tmp.dir, 'sigterm.fifo');
    mkfifo(fifo);
    const writeEnd = nodeFs.openSync(fifo, nodeFs.constants.O_RDWR);
    try {
      const child = startNode([fixture('fifo-read.mjs'), fifo, 'callback', 'exit-on-sigterm']);
      await child.waitFor('pending');
      child.child.kill('SIGTERM');
      const r = await child.result;
      expectCleanExit(r, 4);
      expect(r.stdout).not.toContain('got:');
    } finally {
      nodeFs.closeSync(writeEnd);
    }
  });
});

describe('an idle ring keeps nothing alive', () => {
  it('node -e "import(\'uringfs\')" exits by itself', async () => {
    expectCleanExit(await runNode(['-e', "import('uringfs')"]), 0);
  });

  it('node -e "import(\'uringfs/promises\')" exits by itself', async () => {
    expectCleanExit(await runNode(['-e', "import('uringfs/promises')"]), 0);
  });

  it('an idle defaultRing() that never did I/O lets the process exit', async () => {
    const r = await runNode(['--input-type=module', '-e', "import { defaultRing } from 'uringfs'; process.stdout.write(String(defaultRing().sqEntries));"]);
    expectCleanExit(r, 0);
    expect(Number(r.stdout)).toBeGreaterThan(0);
  });

  it('an idle defaultRing() after I/O in every flavour lets the process exit', async () => {
    const r = await runNode([fixture('idle-after-io.mjs'), dataPath]);
    expectCleanExit(r, 0);
    expect(r.stdout).toMatch(/^done 0 \d+/);
  });

  it('an extra Ring that is never closed lets the process exit too', async () => {
    const r = await runNode([fixture('idle-after-io.mjs'), dataPath, 'extra-ring']);
    expectCleanExit(r, 0);
    expect(r.stdout).toMatch(/^done 0 \d+/);
  });
});

describe('an idle ring survives garbage collection', () => {
  // Regression: native/ring.cc holds the JS completion callback weakly while
  // no op is pending (so an idle ring can be collected); lib/ring.ts must keep
  // its own reference, or a full GC while idle drops later completions.
  it('I/O after a full GC of an idle ring still completes', async () => {
    const r = await runNode(['--expose-gc', fixture('gc-idle-ring.mjs'), dataPath]);
    expectCleanExit(r, 0);
    expect(r.stdout).toBe('ok 4\n');
  });
});
