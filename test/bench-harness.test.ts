// The benchmark harness on a tiny configuration: its JSON follows the schema,
// every method runs, ratios use the right baseline, failures are reported.
// Nothing here asserts a speed.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import AjvModule from 'ajv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const runJs = join(root, 'bench', 'run.js');

interface Rec {
  scenario: string; kind: string; method: string; family: string; backend: string; depth: number;
  status: 'ok' | 'failed' | 'skipped'; isBaseline: boolean; baselineMethod: string;
  ratioToBaseline: number | null; opsPerSec?: { median: number }; reason?: string; error?: { message: string };
  opsPerRun?: number; bytesPerRun?: number;
}
interface Doc { results: Rec[]; scenarios: { key: string; kind: string; baseline: string; notes: string[] }[]; environment: { uringfs: { backends: { name: string; usable: boolean }[] } } }

function bench(dir: string, args: string[]) {
  return spawnSync(process.execPath, [runJs, ...args], {
    cwd: root, encoding: 'utf8', timeout: 120_000, env: { ...process.env, INIT_CWD: dir },
  });
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
    '--runs', '2', '--warmup', '1', '--min-run-ms', '0', '--batch', '1,4', '--concurrency', '4',
    // One uringfs backend is enough to test the harness; the threads backend has its own check below.
    '--backend', 'node,uv_io_uring,io_uring,fio',
    '--data-dir', join(dir, 'data'), '--json', 'out.json', '--csv', 'out.csv', '--chart', 'out.svg', '--html', 'out.html',
  ]);
  doc = JSON.parse(readFileSync(join(dir, 'out.json'), 'utf8')) as Doc;
}, 120_000);

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
    expect(html).toContain('<svg');
    expect(html).not.toMatch(/<script[^>]+src=/);
  });

  it('runs every method of the catalog in every scenario it applies to', () => {
    const list = spawnSync(process.execPath, [runJs, '--list', '--test-methods'], { cwd: root, encoding: 'utf8' }).stdout;
    const catalog = [...list.matchAll(/^ {2}(\S+)\s+(files|random|append)\s/gm)].map((m) => ({ id: m[1], kind: m[2] }));
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

  it('checks what every method did: the same ops and bytes per pass', () => {
    for (const r of doc.results.filter((x) => x.status === 'ok' && x.family !== 'fio')) {
      const s = doc.scenarios.find((x) => x.key === r.scenario)!;
      expect(r.bytesPerRun! % r.opsPerRun!, `${r.method} in ${s.key}`).toBe(0);
      expect(r.bytesPerRun! / r.opsPerRun!).toBe(4096);
    }
  });

  it('computes every ratio against its own scenario baseline', () => {
    const expected: Record<string, string> = { files: 'fs.readFileSync', random: 'fs.readSync', append: 'fs.writeSync+fdatasyncSync' };
    for (const s of doc.scenarios) {
      expect(s.baseline).toBe(expected[s.kind]);
      const base = doc.results.filter((r) => r.scenario === s.key && r.isBaseline);
      expect(base.map((b) => [b.method, b.backend])).toEqual([[expected[s.kind], 'node']]);
      if (base[0].status !== 'ok') continue;
      expect(base[0].ratioToBaseline).toBe(1);
      for (const r of doc.results.filter((x) => x.scenario === s.key && x.status === 'ok')) {
        expect(r.baselineMethod).toBe(expected[s.kind]);
        expect(r.ratioToBaseline).toBeCloseTo(r.opsPerSec!.median / base[0].opsPerSec!.median, 10);
      }
    }
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
  });

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
  });

  it('rejects bad arguments with usage', () => {
    const r = bench(dir, ['--scenario', 'nope']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('unknown scenario nope');
    expect(r.stderr).toContain('Usage');
  });
});
