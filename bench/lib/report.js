// From raw child results to the records written as JSON/CSV, and the
// terminal table. Ratios are computed here, against the baseline row of the
// same scenario instance, and nowhere else.
import Table from 'cli-table3';
import { BASELINE_WHY } from './scenarios.js';

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

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
    isBaseline: Boolean(c.baseline),
    baselineMethod: c.scenario.baseline,
    status: raw.status,
  };
  if (raw.status === 'skipped') return { ...rec, reason: raw.reason };
  if (raw.status !== 'ok') return { ...rec, error: raw.error };
  const ops = raw.samplesNs.map((ns, i) => (raw.opsPerRunEach?.[i] ?? raw.opsPerRun) / (ns / 1e9));
  const bytes = raw.samplesNs.map((ns, i) => (raw.bytesPerRunEach?.[i] ?? raw.bytesPerRun) / (ns / 1e9));
  const opsPerSec = { median: median(ops), min: Math.min(...ops), max: Math.max(...ops), samples: ops };
  const mbPerSec = { median: median(bytes) / 1e6, min: Math.min(...bytes) / 1e6, max: Math.max(...bytes) / 1e6 };
  return {
    ...rec,
    runs: raw.samplesNs.length,
    passes: raw.passes,
    opsPerRun: raw.opsPerRun,
    bytesPerRun: raw.bytesPerRun,
    samplesNs: raw.samplesNs,
    warmupNs: raw.warmupNs,
    opsPerSec,
    mbPerSec,
    nsPerOp: 1e9 / opsPerSec.median,
    spreadPct: ((opsPerSec.max - opsPerSec.min) / opsPerSec.median) * 100,
    ratioToBaseline: null,
    entersPerOp: raw.entersPerOp ?? null,
    cpuPerWall: raw.cpuPerWall ?? null,
    ioUringSqesPerOp: raw.ioUringSqesPerOp,
    ringStats: raw.ringStats ?? null,
    ring: raw.ring ?? null,
    command: raw.command ?? null,
  };
}

/** Fill ratioToBaseline in every ok record from its scenario's baseline row. */
export function computeRatios(records) {
  const base = new Map();
  for (const r of records) if (r.isBaseline && r.status === 'ok') base.set(r.scenario, r.opsPerSec.median);
  for (const r of records) {
    if (r.status !== 'ok') continue;
    const b = base.get(r.scenario);
    r.ratioToBaseline = b ? r.opsPerSec.median / b : null;
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
      head: ['method', 'backend', 'batch/depth', 'ops/s', 'MB/s', 'min–max ops/s', '× base', 'enters/op', 'cpu', 'note'],
      colAligns: ['left', 'left', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'left'],
      style: { head: color ? ['cyan'] : [], border: color ? ['grey'] : [], compact: true },
    });
    const footnotes = [];
    for (const r of rows) {
      if (r.status === 'ok') {
        const notes = [];
        if (r.backend === 'uv_io_uring') notes.push(`${fixed(r.ioUringSqesPerOp, 2)} libuv SQEs/op`);
        if (r.family === 'fio') notes.push('fio clock, no data check');
        table.push([
          r.isBaseline ? `${r.method} *` : r.method, r.backend, r.depthLabel, si(r.opsPerSec.median), fixed(r.mbPerSec.median, 1),
          `${si(r.opsPerSec.min)}–${si(r.opsPerSec.max)}`, r.ratioToBaseline === null ? '–' : `${r.ratioToBaseline.toFixed(2)}×`,
          r.entersPerOp === null ? '–' : fixed(r.entersPerOp, 3), r.cpuPerWall === null ? '–' : `${Math.round(r.cpuPerWall * 100)}%`, notes.join('; '),
        ]);
      } else {
        const text = r.status === 'skipped' ? `skipped: ${r.reason}` : `FAILED: ${r.error?.message ?? 'unknown error'}`;
        let n = footnotes.indexOf(text);
        if (n < 0) n = footnotes.push(text) - 1;
        const mark = r.status === 'skipped' ? `skipped [${n + 1}]` : `FAILED [${n + 1}]`;
        table.push([r.method, r.backend, r.depthLabel, mark, '', '', '', '', '', '']);
      }
    }
    out.push(table.toString());
    footnotes.forEach((t, i) => out.push(`  [${i + 1}] ${t}`));
  }
  return out.join('\n');
}

const CSV_COLUMNS = [
  'scenario', 'scenarioLabel', 'method', 'backend', 'depth', 'depthLabel', 'status', 'isBaseline', 'baselineMethod',
  'opsPerSecMedian', 'opsPerSecMin', 'opsPerSecMax', 'mbPerSecMedian', 'nsPerOp', 'spreadPct', 'ratioToBaseline',
  'entersPerOp', 'cpuPerWall', 'ioUringSqesPerOp', 'runs', 'passes', 'opsPerRun', 'bytesPerRun', 'samplesNs', 'reason',
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
      opsPerSecMedian: r.opsPerSec?.median, opsPerSecMin: r.opsPerSec?.min, opsPerSecMax: r.opsPerSec?.max,
      mbPerSecMedian: r.mbPerSec?.median,
      samplesNs: r.samplesNs?.join(';'),
      reason: r.reason ?? r.error?.message,
    };
    lines.push(CSV_COLUMNS.map((k) => csvCell(row[k])).join(','));
  }
  return `${lines.join('\n')}\n`;
}
