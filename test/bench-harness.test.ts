// The benchmark harness on a tiny configuration: its JSON follows the schema,
// every method runs, ratios use the right baseline, failures are reported.
// Nothing here asserts a speed.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import AjvModule from 'ajv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const runJs = join(root, 'bench', 'run.js');

interface Ratio { ratio: number; lo: number | null; hi: number | null; n: number; df: number | null; verdict: string; halfWidth: number | null; processes: number; varianceFrom: string | null }
interface Rec {
  scenario: string; kind: string; method: string; family: string; backend: string; depth: number; depthLabel: string;
  status: 'ok' | 'failed' | 'skipped'; isBaseline: boolean; baselineMethod: string; batchSeries: boolean;
  ratioToBaseline: number | null; ratio?: Ratio | null; opsPerSec?: { mean: number; median: number; samples: number[] };
  reason?: string; error?: { message: string };
  opsPerRun?: number; bytesPerRun?: number; rounds?: number[]; samplesNs?: number[]; opsPerRunEach?: number[];
  process?: number[]; processes?: { index: number; pid: number; passes: number; runs: number }[];
  latency?: { source: string; count: number; p50: number; p90: number; p99: number; p999: number } | null;
}
interface Summary { scenario: string; comparisons: (Ratio & { kind: string; subject: { method: string } })[]; knees: { method: string; kneeDepth: number }[] }
interface Doc {
  results: Rec[]; summary: Summary[]; config: { rounds: number; concurrency: number; processes: number; repeat: number };
  scenarios: {
    key: string; id: string; kind: string; baseline: string; notes: string[]; processes: { index: number; rounds: number[] }[];
    pageCache: { state: string; verified?: boolean; before?: { fraction: number } } | null;
  }[];
  environment: { uringfs: { backends: { name: string; usable: boolean }[] } };
}

// Headless Chromium renders the HTML report in the chart test; without it that test is skipped, saying why.
const chromium = ['chromium', 'chromium-browser', 'google-chrome'].find((b) => spawnSync('sh', ['-c', `command -v ${b}`]).status === 0);
if (!chromium) console.warn('bench-harness: no chromium on PATH (apt-get install chromium): the HTML chart rendering test is skipped');

// The tiny run takes under a minute on an idle 2-core machine, several beside the rest of the
// suite. A case that hangs is killed by the harness (--timeout) and reported as failed; the
// run's own limit stays below the hook's, so that its output reaches the failure message.
const RUN_LIMIT_MS = 420_000;

function bench(dir: string, args: string[]) {
  return spawnSync(process.execPath, [runJs, '--timeout', '60', ...args], {
    cwd: root, encoding: 'utf8', timeout: RUN_LIMIT_MS, env: { ...process.env, INIT_CWD: dir },
  });
}

/** The end of a run's output, for a failure message. */
function tail(r: ReturnType<typeof bench>): string {
  return `status ${r.status} signal ${r.signal}\n${(r.stdout ?? '').slice(-3000)}\n${(r.stderr ?? '').slice(-2000)}`;
}

// The harness runs every backend itself (URINGFS_BACKEND per child), so when
// vitest runs the suite once per backend, this file runs in one of them only;
// and not under `npm run test:seccomp`, where io_uring (fio's, libuv's) is blocked.
const once = process.env.URINGFS_BACKEND === 'threads' || process.env.URINGFS_TEST_SECCOMP === '1';

let dir: string;
let doc: Doc;
let run: ReturnType<typeof bench>;

beforeAll(() => {
  if (once) return;
  dir = mkdtempSync(join(tmpdir(), 'uringfs-bench-test-'));
  run = bench(dir, [
    '--quick', '--direct', '--test-methods', '--files', '12', '--size', '4k', '--file-size', '1m', '--ops', '8',
    '--rounds', '3', '--warmup', '1', '--min-run-ms', '0', '--batch', '1,2,4', '--concurrency', '4',
    // One uringfs backend is enough to test the harness; the threads backend has its own check below.
    '--backend', 'node,uv_io_uring,io_uring,fio,c',
    '--data-dir', join(dir, 'data'), '--json', 'out.json', '--csv', 'out.csv', '--chart', 'out.svg', '--html', 'out.html',
  ]);
  if (!existsSync(join(dir, 'out.json'))) throw new Error(`the bench wrote no JSON:\n${tail(run)}`);
  doc = JSON.parse(readFileSync(join(dir, 'out.json'), 'utf8')) as Doc;
}, RUN_LIMIT_MS + 60_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(once)('npm run bench (tiny configuration)', () => {
  it('writes JSON that matches bench/schema.json, and CSV, SVG and HTML', () => {
    const schema = JSON.parse(readFileSync(join(root, 'bench', 'schema.json'), 'utf8'));
    // ajv is CommonJS: under NodeNext its class is the default export's `default`.
    const Ajv = (AjvModule as unknown as { default: typeof AjvModule.default }).default;
    const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);
    expect(validate(doc), JSON.stringify(validate.errors, null, 1)).toBe(true);
    const csv = readFileSync(join(dir, 'out.csv'), 'utf8').trim().split('\n');
    expect(csv.length).toBe(doc.results.length + 1);
    expect(readFileSync(join(dir, 'out.svg'), 'utf8')).toMatch(/^<svg/);
    const html = readFileSync(join(dir, 'out.html'), 'utf8');
    expect(html).toContain('id="chart-spec"');
    // Self-contained: vega is inlined, nothing is fetched.
    expect(html).not.toMatch(/<script[^>]+src=/);
    // The user-facing output speaks of results, not of internal targets.
    expect(run.stdout).not.toMatch(/Targets|issue \d|MISSED/);
    expect(run.stdout).toContain('Summary');
  });

  it.skipIf(!chromium)('draws the HTML report\'s chart in a real browser (headless Chromium)', () => {
    const r = spawnSync(chromium!, [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--virtual-time-budget=15000',
      '--dump-dom', `file://${join(dir, 'out.html')}`,
    ], { encoding: 'utf8', timeout: 90_000, maxBuffer: 256 * 1024 * 1024 });
    expect(r.status, r.stderr).toBe(0);
    const dom = r.stdout;
    // The page's script marks the chart once Vega has drawn it (or says it failed).
    expect(dom).toContain('data-rendered="yes"');
    const chart = dom.slice(dom.indexOf('<div id="chart"'), dom.indexOf('</svg>', dom.indexOf('<div id="chart"')));
    expect(chart).toContain('<svg');
    const count = (re: RegExp) => (chart.match(re) ?? []).length;
    // Points, lines, interval bands and the 1× rules are drawn as marks with geometry.
    expect(count(/class="mark-symbol role-mark/g)).toBeGreaterThan(0);
    expect(count(/class="mark-line role-mark/g)).toBeGreaterThan(0);
    expect(count(/class="mark-area role-mark/g)).toBeGreaterThan(0);
    const ok = doc.results.filter((x) => x.status === 'ok').length;
    expect(count(/<path [^>]*d="M/g)).toBeGreaterThan(ok);
    // Every method that ran has its legend entry.
    for (const m of new Set(doc.results.filter((x) => x.status === 'ok').map((x) => x.method))) expect(chart).toContain(`>${m}<`);
  }, 180_000);

  it('renders the chart and report of a run already made from its JSON (bench/render.mjs)', () => {
    const render = (args: string[]) => spawnSync(process.execPath, [join(root, 'bench', 'render.mjs'), ...args], { cwd: root, encoding: 'utf8' });
    const r = render([join(dir, 'out.json'), join(dir, 'again.svg'), join(dir, 'again.html')]);
    expect(r.status, r.stderr).toBe(0);
    expect(readFileSync(join(dir, 'again.svg'), 'utf8')).toMatch(/^<svg/);
    expect(readFileSync(join(dir, 'again.html'), 'utf8')).toContain('id="chart-spec"');
    expect(render([]).status).toBe(2);
  });

  it('runs every method of the catalog in every scenario it applies to', () => {
    const list = spawnSync(process.execPath, [runJs, '--list', '--test-methods'], { cwd: root, encoding: 'utf8' }).stdout;
    const catalog = [...list.matchAll(/^ {2}(\S(?:.*?\S)?) {2,}(files|random|append|tree|stream)\s/gm)].map((m) => ({ id: m[1], kind: m[2] }));
    expect(catalog.length).toBeGreaterThan(20);
    for (const s of doc.scenarios) {
      for (const m of catalog.filter((c) => c.kind === s.kind)) {
        const rows = doc.results.filter((r) => r.scenario === s.key && r.method === m.id);
        // --quick may leave a method out (fio's start-up is slow), but says so in the scenario's notes.
        if (rows.length === 0 && s.notes.some((n) => n.startsWith(`${m.id} left out`))) continue;
        expect(rows.length, `${m.id} in ${s.key}`).toBeGreaterThan(0);
        for (const r of rows) {
          if (m.id.startsWith('test.')) continue;
          // Skips must say why (fio missing, a chain longer than the SQ...).
          if (r.status === 'skipped') expect(r.reason).toBeTruthy();
          else expect(r.status, `${r.method} ${r.backend} ${r.depth} in ${s.key}: ${r.error?.message}`).toBe('ok');
        }
      }
    }
  });

  it('evicts the cold scenario\'s files from the page cache (checked with fincore where it is installed)', () => {
    const cold = doc.scenarios.find((s) => s.id === 'stream-files-cold')!;
    expect(cold.pageCache?.state).toBe('cold');
    if (cold.pageCache?.before !== undefined) {
      expect(cold.pageCache.before.fraction).toBeLessThanOrEqual(0.001);
      expect(cold.pageCache.verified).toBe(true);
    }
    const hot = doc.scenarios.find((s) => s.id === 'stream-files')!;
    expect(hot.pageCache?.state).toBe('hot');
    expect(doc.results.filter((r) => r.scenario === cold.key && r.status === 'ok').length).toBeGreaterThanOrEqual(2);
  });

  it('checks what every method did: the same ops and bytes per pass', () => {
    for (const r of doc.results.filter((x) => x.status === 'ok' && x.family !== 'fio')) {
      const s = doc.scenarios.find((x) => x.key === r.scenario)!;
      expect(r.bytesPerRun! % r.opsPerRun!, `${r.method} in ${s.key}`).toBe(0);
      // A tree walk moves no data: its ops are entries found and stat'ed.
      expect(r.bytesPerRun! / r.opsPerRun!).toBe(s.kind === 'tree' ? 0 : 4096);
    }
  });

  it('computes every ratio against its own scenario baseline, paired round by round, with an interval', () => {
    const expected: Record<string, string> = { files: 'fs.readFileSync', random: 'fs.readSync', append: 'fs.writeSync+fdatasyncSync', tree: 'fs.readdirSync+lstatSync', stream: 'fs.createReadStream' };
    const rate = (r: Rec, i: number) => r.opsPerRunEach![i] / (r.samplesNs![i] / 1e9);
    for (const s of doc.scenarios) {
      expect(s.baseline).toBe(expected[s.kind]);
      const base = doc.results.filter((r) => r.scenario === s.key && r.isBaseline);
      expect(base.map((b) => [b.method, b.backend])).toEqual([[expected[s.kind], 'node']]);
      if (base[0].status !== 'ok') continue;
      expect(base[0].ratioToBaseline).toBeCloseTo(1, 12);
      for (const r of doc.results.filter((x) => x.scenario === s.key && x.status === 'ok')) {
        expect(r.baselineMethod).toBe(expected[s.kind]);
        // Every case ran once per round, in the same rounds as its baseline, all in one process (--quick).
        expect(r.rounds).toEqual([0, 1, 2]);
        expect(r.process).toEqual([0, 0, 0]);
        expect(r.processes!.length).toBe(1);
        // The ratio is the geometric mean of the per-round ratios.
        let logSum = 0;
        for (let i = 0; i < r.rounds!.length; i++) logSum += Math.log(rate(r, i) / rate(base[0], base[0].rounds!.indexOf(r.rounds![i])));
        expect(r.ratioToBaseline).toBeCloseTo(Math.exp(logSum / r.rounds!.length), 10);
        expect(r.ratio!.n).toBe(3);
        expect(r.ratio!.processes).toBe(1);
        if (r.isBaseline) continue;
        expect(r.ratio!.lo!).toBeLessThanOrEqual(r.ratio!.ratio);
        expect(r.ratio!.hi!).toBeGreaterThanOrEqual(r.ratio!.ratio);
        const v = r.ratio!.lo! > 1 ? 'faster' : r.ratio!.hi! < 1 ? 'slower' : 'no clear difference';
        expect(r.ratio!.verdict).toBe(v);
      }
    }
  });

  it('records per-op latency percentiles for every async method, none for synchronous loops', () => {
    const ok = doc.results.filter((r) => r.status === 'ok');
    // Async: no "Sync" in the name (nor one of the npm peers' synchronous calls: sonic-boom in sync mode,
    // better-sqlite3); explicit batches and whole-set calls (readFilesSync) are timed per call too.
    const syncLoop = (m: string) => /Sync|^sonic-boom sync|^better-sqlite3 /.test(m);
    const asyncRows = ok.filter((r) => r.family !== 'fio' && r.family !== 'floor' && r.family !== 'test' && (!syncLoop(r.method) || r.batchSeries || /^all/.test(r.depthLabel)));
    expect(asyncRows.length).toBeGreaterThan(10);
    for (const r of asyncRows) {
      expect(r.latency, `${r.method} ${r.backend} ${r.depth}`).toBeTruthy();
      const l = r.latency!;
      expect(l.source).toBe('harness');
      expect(l.count).toBeGreaterThan(0);
      expect(l.p50).toBeGreaterThan(0);
      expect(l.p50).toBeLessThanOrEqual(l.p90);
      expect(l.p90).toBeLessThanOrEqual(l.p99);
      expect(l.p99).toBeLessThanOrEqual(l.p999);
    }
    for (const r of ok.filter((x) => syncLoop(x.method) && !x.batchSeries && !/^all/.test(x.depthLabel))) {
      expect(r.latency, `${r.method}`).toBeNull();
    }
    // fio rows carry fio's own completion-latency percentiles.
    for (const r of ok.filter((x) => x.family === 'fio' && x.kind === 'random')) expect(r.latency?.source).toBe('fio');
  });

  it('summarizes each scenario: the best row against the baseline, and the knee of each batch-size series', () => {
    const random = doc.summary.find((s) => s.scenario.startsWith('random-read/'))!;
    const best = random.comparisons.find((c) => c.kind === 'best')!;
    expect(best).toBeTruthy();
    // The best is the non-baseline row with the highest ratio that is not a reference (fio, the C floor).
    const rows = doc.results.filter((r) => r.scenario === random.scenario && r.status === 'ok' && !r.isBaseline && r.family !== 'fio' && r.family !== 'floor' && r.family !== 'test');
    const top = Math.max(...rows.map((r) => r.ratioToBaseline!));
    expect(best.ratio).toBeCloseTo(top, 10);
    expect(run.stdout).toMatch(/best: \S+ .*\d+\.\d\d× \(\d+\.\d\d–\d+\.\d\d\) fs\.readSync/);
    // Batch sizes 1, 2, 4: every batch series has a knee at one of them.
    const series = random.knees.filter((k) => k.method === 'uringfs.batch');
    expect(series.length).toBeGreaterThan(0);
    for (const k of series) expect([1, 2, 4]).toContain(k.kneeDepth);
    expect(run.stdout).toMatch(/uringfs\.batch \[io_uring\]: (knee|best) at batch [124][ ,]/);
  });

  it('reports a failing method (throwing, miscounting, crashing) and exits 1', () => {
    const failed = doc.results.filter((r) => r.method.startsWith('test.'));
    expect(failed.length).toBe(3 * doc.scenarios.length);
    for (const r of failed) expect(r.status).toBe('failed');
    const msg = (id: string) => failed.find((r) => r.method === id)!.error!.message;
    expect(msg('test.throws')).toContain('deliberate failure');
    expect(msg('test.short')).toContain('verification failed');
    expect(msg('test.crash')).toMatch(/exited|code 70/);
    expect(run.stdout).toMatch(/FAILED/);
    expect(run.stdout).toContain('test.throws');
    expect(run.status).toBe(1);
  });

  it('always runs the baseline, even when --method leaves it out', () => {
    const r = bench(dir, [
      '--scenario', 'random-read', '--method', 'uringfs.readSync', '--file-size', '1m', '--ops', '8', '--runs', '1',
      '--warmup', '0', '--data-dir', join(dir, 'data'), '--json', 'filtered.json', '--no-report',
    ]);
    expect(r.status, r.stderr).toBe(0);
    const d = JSON.parse(readFileSync(join(dir, 'filtered.json'), 'utf8')) as Doc;
    expect(new Set(d.results.map((x) => x.method))).toEqual(new Set(['fs.readSync', 'uringfs.readSync']));
    expect(existsSync(join(dir, 'out.svg'))).toBe(true);
  }, 180_000);

  it('runs uringfs methods on every backend this build has (URINGFS_BACKEND per child)', () => {
    const backends = doc.environment.uringfs.backends.filter((b) => b.usable).map((b) => b.name);
    const r = bench(dir, [
      '--scenario', 'random-read', '--method', 'uringfs.readSync,uringfs.read', '--concurrency', '4', '--file-size', '1m',
      '--ops', '8', '--runs', '1', '--warmup', '0', '--data-dir', join(dir, 'data'), '--json', 'backends.json', '--no-report',
    ]);
    expect(r.status, r.stderr).toBe(0);
    const d = JSON.parse(readFileSync(join(dir, 'backends.json'), 'utf8')) as Doc;
    for (const b of backends) {
      for (const m of ['uringfs.readSync', 'uringfs.read']) {
        const row = d.results.find((x) => x.method === m && x.backend === b);
        expect(row?.status, `${m} on ${b}`).toBe('ok');
      }
    }
  }, 180_000);

  it('runs one case per --concurrency value, and compares at the largest', () => {
    const r = bench(dir, [
      '--scenario', 'random-read', '--method', 'uringfs.read', '--concurrency', '4,1', '--file-size', '1m',
      '--ops', '8', '--runs', '1', '--warmup', '0', '--data-dir', join(dir, 'data'), '--json', 'depths.json', '--no-report',
    ]);
    expect(r.status, r.stderr).toBe(0);
    const d = JSON.parse(readFileSync(join(dir, 'depths.json'), 'utf8')) as Doc;
    const depths = d.results.filter((x) => x.method === 'uringfs.read' && x.backend === 'io_uring').map((x) => x.depth);
    expect(depths.sort((a, b) => a - b)).toEqual([1, 4]);
    expect(d.config.concurrency).toBe(4);
  }, 180_000);

  it('splits the rounds among --processes processes per case, and takes the processes into the intervals', () => {
    const r = bench(dir, [
      '--quick', '--scenario', 'random-read', '--method', 'uringfs.batchSync', '--backend', 'node,io_uring', '--batch', '4', '--file-size', '1m',
      '--ops', '8', '--rounds', '4', '--processes', '2', '--warmup', '1', '--min-run-ms', '0', '--data-dir', join(dir, 'data'),
      '--json', 'procs.json', '--no-report',
    ]);
    expect(r.status, tail(r)).toBe(0);
    const d = JSON.parse(readFileSync(join(dir, 'procs.json'), 'utf8')) as Doc;
    const schema = JSON.parse(readFileSync(join(root, 'bench', 'schema.json'), 'utf8'));
    const Ajv = (AjvModule as unknown as { default: typeof AjvModule.default }).default;
    const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);
    expect(validate(d), JSON.stringify(validate.errors, null, 1)).toBe(true);
    expect(d.config.processes).toBe(2);
    // Rounds 0–1 in the first process, 2–3 in the second (--quick: no extra rounds).
    expect(d.scenarios[0].processes.map((p) => p.rounds)).toEqual([[0, 1], [2, 3]]);
    const ok = d.results.filter((x) => x.status === 'ok');
    expect(ok.map((x) => x.method).sort()).toEqual(['fs.readSync', 'uringfs.batchSync']);
    const base = ok.find((x) => x.isBaseline)!;
    for (const x of ok) {
      expect(x.rounds).toEqual([0, 1, 2, 3]);
      expect(x.process).toEqual([0, 0, 1, 1]);
      expect(x.processes!.map((p) => [p.index, p.runs])).toEqual([[0, 2], [1, 2]]);
      // Two processes, two pids.
      expect(x.processes![0].pid).not.toBe(x.processes![1].pid);
      if (x.isBaseline) continue;
      // The ratio: the mean of the two processes' mean log ratios; the interval around it, and its verdict.
      const rate = (y: Rec, i: number) => y.opsPerRunEach![i] / (y.samplesNs![i] / 1e9);
      const logs = x.rounds!.map((_, i) => Math.log(rate(x, i) / rate(base, i)));
      expect(Math.log(x.ratioToBaseline!)).toBeCloseTo(((logs[0] + logs[1]) / 2 + (logs[2] + logs[3]) / 2) / 2, 10);
      expect(x.ratio!.processes).toBe(2);
      expect(x.ratio!.n).toBe(4);
      // 1 degree of freedom from 2 process means, or 2 from the rounds around them.
      expect(x.ratio!.df).toBe(x.ratio!.varianceFrom === 'processes' ? 1 : 2);
      expect(x.ratio!.lo!).toBeGreaterThan(0);
      expect(x.ratio!.lo!).toBeLessThanOrEqual(x.ratio!.ratio);
      expect(x.ratio!.hi!).toBeGreaterThanOrEqual(x.ratio!.ratio);
      const v = x.ratio!.lo! > 1 ? 'faster' : x.ratio!.hi! < 1 ? 'slower' : 'no clear difference';
      expect(x.ratio!.verdict).toBe(v);
      // Latency over both processes' histograms: a batch times every op of every run (--repeat runs per round).
      expect(x.latency!.count).toBe(d.config.repeat * x.opsPerRunEach!.reduce((a, b) => a + b, 0));
    }
    expect(r.stdout).toMatch(/in 2 processes per case, one after another \(rounds 2\+2\)/);
    // --compare treats each run's processes as its samples.
    const cmp = bench(dir, ['--compare', 'procs.json', 'procs.json']);
    expect(cmp.status, cmp.stderr).toBe(0);
    expect(cmp.stdout).toMatch(/uringfs\.batchSync .*1\.00× \(\d+\.\d\d–\d+\.\d\d\).*≈ same/);
    expect(cmp.stdout).not.toMatch(/had one process per case/);
  }, 180_000);

  it('rejects bad arguments with exit code 2 and the valid names, running nothing', () => {
    const r = bench(dir, ['--scenario', 'nope']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('unknown scenario nope');
    expect(r.stderr).toContain('random-read');
    expect(r.stderr).toContain('Usage');
    const m = bench(dir, ['--scenario', 'random-read', '--method', 'nosuch', '--data-dir', join(dir, 'data')]);
    expect(m.status).toBe(2);
    expect(m.stderr).toContain('unknown method nosuch');
    expect(m.stderr).toContain('uringfs.batchSync');
    expect(m.stdout).toBe('');
    const o = bench(dir, ['--nosuch-option']);
    expect(o.status).toBe(2);
    expect(o.stderr).toMatch(/Unknown option '--nosuch-option'/);
    expect(o.stderr).toContain('--compare');
    const p = bench(dir, ['--quick', 'stray']);
    expect(p.status).toBe(2);
    const c = bench(dir, ['--compare', 'only-one.json']);
    expect(c.status).toBe(2);
    const k = bench(dir, ['--concurrency', '4,0']);
    expect(k.status).toBe(2);
    expect(k.stderr).toContain('--concurrency wants a positive integer');
    const n = bench(dir, ['--rounds', '2', '--processes', '3']);
    expect(n.status).toBe(2);
    expect(n.stderr).toContain('--processes 3 wants at least as many --rounds');
  }, 180_000);

  it('names its default output files per run, and replaces latest.* only with one run\'s complete set', () => {
    const results = join(dir, 'results');
    const r = bench(dir, [
      '--scenario', 'random-read', '--method', 'uringfs.batchSync', '--batch', '4', '--file-size', '1m', '--ops', '8', '--rounds', '2',
      '--warmup', '0', '--data-dir', join(dir, 'data'), '--results-dir', 'results',
    ]);
    expect(r.status, r.stderr).toBe(0);
    const files = readdirSync(results).sort();
    const json = files.filter((f) => /^\d{8}T\d{6}Z-[0-9a-f]{4,}(-dirty)?\.json$|^\d{8}T\d{6}Z-nocommit\.json$/.test(f));
    expect(json.length, files.join(' ')).toBe(1);
    const stem = json[0].replace(/\.json$/, '');
    for (const ext of ['json', 'svg', 'html']) {
      expect(files).toContain(`${stem}.${ext}`);
      expect(readFileSync(join(results, `latest.${ext}`), 'utf8')).toBe(readFileSync(join(results, `${stem}.${ext}`), 'utf8'));
    }
    // Asking for one file writes that file only: latest.* stay as they were.
    const before = readFileSync(join(results, 'latest.json'), 'utf8');
    const r2 = bench(dir, [
      '--scenario', 'random-read', '--method', 'uringfs.batchSync', '--batch', '4', '--file-size', '1m', '--ops', '8', '--rounds', '2',
      '--warmup', '0', '--data-dir', join(dir, 'data'), '--results-dir', 'results', '--json', 'b.json',
    ]);
    expect(r2.status, r2.stderr).toBe(0);
    expect(readFileSync(join(results, 'latest.json'), 'utf8')).toBe(before);
    expect(readdirSync(results).length).toBe(files.length);
    expect(existsSync(join(dir, 'b.json'))).toBe(true);

    // --compare on two real runs: per-case ratio, interval, verdict.
    const cmp = bench(dir, ['--compare', join(results, `${stem}.json`), 'b.json']);
    expect(cmp.status, cmp.stderr).toBe(0);
    expect(cmp.stdout).toMatch(/B ÷ A/);
    expect(cmp.stdout).toMatch(/uringfs\.batchSync .*\d+\.\d\d× \(\d+\.\d\d–\d+\.\d\d\).*(B faster|B slower|≈ same)/);
    expect(cmp.stdout).toMatch(/fs\.readSync .*(B faster|B slower|≈ same)/);
    expect(cmp.stdout).toMatch(/Summary ratios of each run/);
    const bad = bench(dir, ['--compare', join(results, `${stem}.json`), 'missing.json']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('missing.json');
  }, 180_000);
});
