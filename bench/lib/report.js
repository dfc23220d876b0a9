// From raw child results to the records written as JSON/CSV, and the
// terminal table. Ratios to the baseline are computed here, against the
// baseline row of the same scenario instance, paired over the rounds both
// ran in, with the process each round ran in (bench/lib/stats.js), and
// nowhere else.
import Table from 'cli-table3';
import { BASELINE_WHY } from './scenarios.js';
import { fmtLatency, fmtRatio } from './summary.js';

const VERDICT_SHORT = { faster: 'faster', slower: 'slower', 'no clear difference': '≈ same' };

import { geoMean, median, pairedRatio } from './stats.js';
import { roundProcesses, roundRates } from './summary.js';

export { median };

/** One record per case: the case, what the child reported, and the derived rates. */
export function makeRecord(c, raw) {
  const rec = {
    scenario: c.scenario.key,
    scenarioId: c.scenario.id,
    scenarioLabel: c.scenario.label,
    kind: c.scenario.kind,
    method: c.method.id,
    family: c.method.family,
    description: c.method.describe,
    backend: c.backend,
    ringOptions: c.ringOptions ?? null,
    depth: c.depth,
    depthLabel: c.depthLabel,
    batchSeries: c.depthKind === 'batch',
    isBaseline: Boolean(c.baseline),
    baselineMethod: c.scenario.baseline,
    status: raw.status,
  };
  if (raw.status === 'skipped') return { ...rec, reason: raw.reason };
  if (raw.status !== 'ok') return { ...rec, error: raw.error };
  if (raw.samplesNs.length === 0) return { ...rec, status: 'failed', error: { message: 'no measured run' } };
  const ops = raw.samplesNs.map((ns, i) => raw.opsPerRunEach[i] / (ns / 1e9));
  const bytes = raw.samplesNs.map((ns, i) => raw.bytesPerRunEach[i] / (ns / 1e9));
  // Without a process per run (one process), every run is process 0.
  const runProcess = raw.process ?? raw.samplesNs.map(() => 0);
  const g = geoMean(ops, undefined, runProcess);
  const opsPerSec = { mean: g.value, lo: g.lo, hi: g.hi, median: median(ops), min: Math.min(...ops), max: Math.max(...ops), samples: ops };
  // A listing scenario moves no bytes: 0 MB/s (a geometric mean of zeros has no value).
  const mbPerSec = { mean: (geoMean(bytes, undefined, runProcess)?.value ?? 0) / 1e6, median: median(bytes) / 1e6, min: Math.min(...bytes) / 1e6, max: Math.max(...bytes) / 1e6 };
  return {
    ...rec,
    runs: raw.samplesNs.length,
    rounds: raw.rounds,
    process: runProcess,
    processes: raw.processes ?? [{ index: 0, pid: raw.pid ?? null, passes: raw.passes, warmupNs: raw.warmupNs, runs: raw.samplesNs.length }],
    passes: raw.passes,
    opsPerRun: raw.opsPerRun,
    bytesPerRun: raw.bytesPerRun,
    opsPerRunEach: raw.opsPerRunEach,
    bytesPerRunEach: raw.bytesPerRunEach,
    samplesNs: raw.samplesNs,
    warmupNs: raw.warmupNs,
    opsPerSec,
    mbPerSec,
    nsPerOp: 1e9 / opsPerSec.mean,
    spreadPct: ((opsPerSec.max - opsPerSec.min) / opsPerSec.median) * 100,
    ratioToBaseline: null,
    ratio: null,
    latency: raw.latency ?? null,
    entersPerOp: raw.entersPerOp ?? null,
    cpuPerWall: raw.cpuPerWall ?? null,
    ioUringSqesPerOp: raw.ioUringSqesPerOp,
    ringStats: raw.ringStats ?? null,
    ring: raw.ring ?? null,
    command: raw.command ?? null,
  };
}

/**
 * Fill ratioToBaseline (and `ratio`: interval, verdict) in every ok record
 * from its scenario's baseline row, paired round by round.
 */
export function computeRatios(records) {
  const base = new Map();
  for (const r of records) if (r.isBaseline && r.status === 'ok') base.set(r.scenario, r);
  for (const r of records) {
    if (r.status !== 'ok') continue;
    const b = base.get(r.scenario);
    const c = b ? pairedRatio(roundRates(r), roundRates(b), undefined, roundProcesses(r)) : null;
    r.ratio = c;
    r.ratioToBaseline = c ? c.ratio : null;
  }
  return records;
}

export function si(n) {
  if (n === null || n === undefined || !Number.isFinite(n)) return '–';
  const abs = Math.abs(n);
  const [div, suffix] = abs >= 1e9 ? [1e9, 'G'] : abs >= 1e6 ? [1e6, 'M'] : abs >= 1e3 ? [1e3, 'k'] : [1, ''];
  const v = n / div;
  return `${v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2)}${suffix}`;
}

function fixed(n, digits) {
  return n === null || n === undefined || !Number.isFinite(n) ? '–' : n.toFixed(digits);
}

function pageCacheText(pc) {
  if (!pc) return '';
  if (pc.state === 'hot') {
    if (pc.before) {
      const pct = (x) => (x && x.fraction !== undefined ? `${(x.fraction * 100).toFixed(1)}%` : '?');
      return `page cache hot: ${pct(pc.before)} resident before${pc.after ? `, ${pct(pc.after)} after` : ''} (fincore)`;
    }
    return 'page cache: pre-read (not verified)';
  }
  if (pc.state === 'direct') return 'O_DIRECT (page cache bypassed)';
  if (pc.state === 'cold') {
    const pct = pc.before?.fraction !== undefined ? `, ${(pc.before.fraction * 100).toFixed(1)}% resident after eviction (fincore)` : '';
    return `page cache cold: the files are evicted before every run${pct}`;
  }
  return pc.note ?? '';
}

/**
 * The terminal output: per scenario a heading (label, baseline, page-cache
 * state), a table, and numbered footnotes for skipped and failed cases (long
 * reasons would otherwise stretch every column).
 */
export function renderTable(records, scenarios, { color = false } = {}) {
  const out = [];
  for (const s of scenarios) {
    const rows = records.filter((r) => r.scenario === s.key);
    if (rows.length === 0 && !s.skip) continue;
    out.push('', `${s.label}`, `  baseline (× base = 1.00): ${BASELINE_WHY[s.kind]}`);
    if (s.pageCache) out.push(`  ${pageCacheText(s.pageCache)}`);
    if (s.skip) out.push(`  SKIPPED: ${s.skip}`);
    for (const n of s.notes ?? []) out.push(`  note: ${n}`);
    if (rows.length === 0) continue;
    const table = new Table({
      head: ['method', 'backend', 'batch/depth', 'ops/s', 'MB/s', '× base (95% CI)', 'verdict', 'p50', 'p99', 'p99.9', 'enters/op', 'cpu', 'note'],
      colAligns: ['left', 'left', 'right', 'right', 'right', 'right', 'left', 'right', 'right', 'right', 'right', 'right', 'left'],
      style: { head: color ? ['cyan'] : [], border: color ? ['grey'] : [], compact: true },
    });
    const footnotes = [];
    for (const r of rows) {
      if (r.status === 'ok') {
        const notes = [];
        if (r.backend === 'uv_io_uring') notes.push(`${fixed(r.ioUringSqesPerOp, 2)} libuv SQEs/op`);
        if (r.family === 'fio') notes.push('fio clock and latency, no data check');
        if (r.family === 'floor') notes.push('the floor: the same work in C with liburing');
        if (r.ratio && !r.isBaseline && r.ratio.halfWidth !== null && r.ratio.halfWidth > 0.1) notes.push('CI > ±10%');
        const lat = r.latency;
        table.push([
          r.isBaseline ? `${r.method} *` : r.method, r.backend, r.depthLabel, si(r.opsPerSec.mean), fixed(r.mbPerSec.mean, 1),
          r.isBaseline ? '1 (baseline)' : r.ratio ? fmtRatio(r.ratio) : '–',
          r.isBaseline || !r.ratio ? '' : VERDICT_SHORT[r.ratio.verdict],
          fmtLatency(lat?.p50), fmtLatency(lat?.p99), fmtLatency(lat?.p999),
          r.entersPerOp === null ? '–' : fixed(r.entersPerOp, 3), r.cpuPerWall === null ? '–' : `${Math.round(r.cpuPerWall * 100)}%`, notes.join('; '),
        ]);
      } else {
        const text = r.status === 'skipped' ? `skipped: ${r.reason}` : `FAILED: ${r.error?.message ?? 'unknown error'}`;
        let n = footnotes.indexOf(text);
        if (n < 0) n = footnotes.push(text) - 1;
        const mark = r.status === 'skipped' ? `skipped [${n + 1}]` : `FAILED [${n + 1}]`;
        table.push([r.method, r.backend, r.depthLabel, mark, '', '', '', '', '', '', '', '', '']);
      }
    }
    out.push(table.toString());
    footnotes.forEach((t, i) => out.push(`  [${i + 1}] ${t}`));
  }
  return out.join('\n');
}

const CSV_COLUMNS = [
  'scenario', 'scenarioLabel', 'method', 'backend', 'depth', 'depthLabel', 'status', 'isBaseline', 'baselineMethod',
  'opsPerSecMean', 'opsPerSecMedian', 'opsPerSecMin', 'opsPerSecMax', 'mbPerSecMean', 'nsPerOp', 'spreadPct', 'ratioToBaseline',
  'ratioLo', 'ratioHi', 'verdict', 'latencyP50Ns', 'latencyP90Ns', 'latencyP99Ns', 'latencyP999Ns',
  'entersPerOp', 'cpuPerWall', 'ioUringSqesPerOp', 'runs', 'passes', 'opsPerRun', 'bytesPerRun', 'rounds', 'process', 'samplesNs', 'reason',
];

function csvCell(v) {
  if (v === null || v === undefined) return '';
  const s = String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function renderCsv(records) {
  const lines = [CSV_COLUMNS.join(',')];
  for (const r of records) {
    const row = {
      ...r,
      opsPerSecMean: r.opsPerSec?.mean, opsPerSecMedian: r.opsPerSec?.median, opsPerSecMin: r.opsPerSec?.min, opsPerSecMax: r.opsPerSec?.max,
      mbPerSecMean: r.mbPerSec?.mean, ratioLo: r.ratio?.lo, ratioHi: r.ratio?.hi, verdict: r.isBaseline ? null : r.ratio?.verdict,
      latencyP50Ns: r.latency?.p50, latencyP90Ns: r.latency?.p90, latencyP99Ns: r.latency?.p99, latencyP999Ns: r.latency?.p999,
      rounds: r.rounds?.join(';'),
      process: r.process?.join(';'),
      samplesNs: r.samplesNs?.join(';'),
      reason: r.reason ?? r.error?.message,
    };
    lines.push(CSV_COLUMNS.map((k) => csvCell(row[k])).join(','));
  }
  return `${lines.join('\n')}\n`;
}
