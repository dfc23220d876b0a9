// Node's own tests of fs (test/parallel/test-fs-* of the running Node's major version, from Debian's
// source package; see test/node-suite/) with `fs` swapped for uringfs, on both backends: every file
// that passes as it is must pass swapped, except those docs/differences.md lists with the reason,
// and that list must hold nothing that passes. Runs once (it runs both backends itself).
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { knownDifferences } from './node-suite/known.mjs';
import { backends, runNodeTests, type NodeTestFile } from './node-suite/run.mjs';

const swap = fileURLToPath(new URL('./node-suite/swap-fs.cjs', import.meta.url));
let suite: { version: string; results: NodeTestFile[] };

beforeAll(async () => {
  suite = await runNodeTests();
}, 40 * 60_000);

describe(`Node ${process.version}'s own fs tests with fs swapped for uringfs`, () => {
  it('the swap gives uringfs to require and import', () => {
    const script = `
      const fs = require('fs'), fsp = require('node:fs/promises');
      const uringfs = require(${JSON.stringify(fileURLToPath(new URL('../dist/cjs/index.cjs', import.meta.url)))});
      import('node:fs').then((esm) => console.log(JSON.stringify({
        cjs: fs === uringfs, promises: fsp === uringfs.promises, esm: esm.default === uringfs,
        readFiles: typeof fs.readFiles,
      })));`;
    // Run from outside the repository: the swap leaves uringfs's own code (and all under the repository) to node:fs.
    const r = spawnSync(process.execPath, ['--require', swap, '-e', script], { encoding: 'utf8', cwd: tmpdir() });
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ cjs: true, promises: true, esm: true, readFiles: 'function' });
  });

  it('ran the suite: files found, and most pass as they are', () => {
    expect(suite.results.length).toBeGreaterThan(200);
    expect(suite.results.filter((r) => r.plain.passed).length).toBeGreaterThan(suite.results.length * 0.9);
  });

  it('every file that passes as it is passes swapped, on both backends, or docs/differences.md says why not', () => {
    const known = knownDifferences();
    const unexplained = suite.results.flatMap((r) => r.plain.passed
      ? backends.filter((b) => !r.swapped[b].passed && !known.has(r.file)).map((b) => `${r.file} (${b}, exit ${r.swapped[b].code ?? r.swapped[b].signal}):\n${r.swapped[b].output.slice(-1500)}`)
      : []);
    expect(unexplained, `tests of ${suite.version}`).toEqual([]);
  });

  it('docs/differences.md lists only files that still differ', () => {
    const known = knownDifferences();
    const byFile = new Map(suite.results.map((r) => [r.file, r]));
    const stale = [...known].filter(([file, { sometimes }]) => {
      const r = byFile.get(file);
      return r === undefined || !r.plain.passed || (!sometimes && backends.every((b) => r.swapped[b].passed));
    }).map(([file]) => file);
    expect(stale, `tests of ${suite.version}: listed, but missing, failing as they are, or passing swapped`).toEqual([]);
  });
});
