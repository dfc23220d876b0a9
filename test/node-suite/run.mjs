// Runs Node's own tests of fs (test/parallel/test-fs-*, see fetch.mjs) on the running Node: each file
// once as it is, and once per backend with `fs` swapped for uringfs (swap-fs.cjs). A file's `// Flags:`
// are passed as Node's test runner passes them; each run gets a scratch NODE_TEST_DIR of its own.
//
//   node test/node-suite/run.mjs [name-filter]   prints one line per file that differs
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nodeTests } from './fetch.mjs';

const swap = fileURLToPath(new URL('./swap-fs.cjs', import.meta.url));
export const backends = ['io_uring', 'threads'];

/** The `// Flags:` of a test file, as Node's tools/test.py reads them. */
function flagsOf(source) {
  return [...source.matchAll(/\/\/\s+Flags:(.*)/g)].flatMap((m) => m[1].trim().split(/\s+/).filter(Boolean));
}

/** One run of one file: its exit and the end of its output. */
function runOne(dir, file, backend, timeoutMs) {
  const flags = flagsOf(readFileSync(join(dir, 'test', 'parallel', file), 'utf8'));
  const scratch = mkdtempSync(join(tmpdir(), 'uringfs-nodetest-'));
  const args = [...flags, ...(backend ? ['--require', swap] : []), join('test', 'parallel', file)];
  const env = { ...process.env, NODE_TEST_DIR: scratch, URINGFS_BACKEND: backend ?? '' };
  delete env.NODE_OPTIONS;
  if (!backend) delete env.URINGFS_BACKEND;
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let output = '';
    const keep = (chunk) => { output = (output + chunk).slice(-4000); };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    const timer = setTimeout(() => { try { process.kill(-child.pid, 'SIGKILL'); } catch {} }, timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      rmSync(scratch, { recursive: true, force: true });
      resolve({ passed: code === 0, code, signal, ms: Date.now() - started, output });
    });
  });
}

/**
 * Every file (matching `filter`), as it is and swapped on each backend. A swapped run that fails is
 * run again once, as is a plain run, so that a test that is flaky on its own is not taken for a
 * difference; `plain` and `swapped[backend]` are the last runs.
 */
export async function runNodeTests({ filter = '', concurrency = availableParallelism(), timeoutMs = 120_000 } = {}) {
  const { version, dir } = await nodeTests();
  const files = readdirSync(join(dir, 'test', 'parallel')).filter((f) => /^test-fs-.*\.m?js$/.test(f) && f.includes(filter)).sort();
  const jobs = files.map((file) => ({ file, plain: null, swapped: {} }));
  const queue = jobs.flatMap((job) => [null, ...backends].map((backend) => ({ job, backend })));
  const worker = async () => {
    for (let next = queue.shift(); next; next = queue.shift()) {
      const { job, backend } = next;
      let result = await runOne(dir, job.file, backend, timeoutMs);
      if (!result.passed) result = await runOne(dir, job.file, backend, timeoutMs);
      if (backend) job.swapped[backend] = result;
      else job.plain = result;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { version, dir, results: jobs };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const started = Date.now();
  const { version, results } = await runNodeTests({ filter: process.argv[2] ?? '' });
  const plainPasses = results.filter((r) => r.plain.passed);
  for (const r of results) {
    const failing = backends.filter((b) => !r.swapped[b].passed);
    if (r.plain.passed && failing.length > 0) console.log(`DIFFERS  ${r.file} (${failing.join(', ')})`);
    else if (!r.plain.passed && failing.length < backends.length) console.log(`plain-fails-swapped-passes ${r.file}`);
  }
  console.log(`Node ${process.version}, tests of ${version}: ${results.length} files, ${plainPasses.length} pass as they are; ${((Date.now() - started) / 1000).toFixed(0)} s`);
}
