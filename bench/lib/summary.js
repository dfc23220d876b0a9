// What a reader wants from a run: per scenario, which method and batch size
// won and by how much (with its 95% interval and a verdict), a few fixed
// comparisons people ask about, and per batch-size series the knee. Every
// number is computed from this run's rows, never stored.
import { pairedRatio } from './stats.js';
import { catalog } from './methods/index.js';

const C = 'concurrency';

/** [scenario id, subject method, subject depth, reference method, reference depth]; subjects on every uringfs backend. */
export const HEADLINES = [
  ['small-files', 'uringfs.readFiles', 'all', 'fs.readFileSync', 1],
  ['small-files', 'uringfs.readFiles', 'all', 'fs.promises.readFile', C],
  ['large-files', 'uringfs.readFiles', 'all', 'fs.readFileSync', 1],
  ['random-read', 'uringfs.batch', 64, 'fs.readSync', 1],
  ['random-read', 'uringfs.promises.FileHandle.read', C, 'fs.promises.FileHandle.read', C],
  ['random-read-direct', 'uringfs.batch', 64, 'fs.readSync', 1],
  ['random-read-direct', 'uringfs.promises.FileHandle.read', C, 'fs.promises.FileHandle.read', C],
  ['append-commit', 'uringfs.batch.group', 64, 'fs.writeSync+fdatasyncSync', 1],
  ['append-commit', 'uringfs.log.group', C, 'fs.writeSync+fdatasyncSync', 1],
  ['tree-stats', 'uringfs.scan', 1, 'fdir+lstat', C],
  ['tree-stats', 'uringfs.scan', 1, 'fast-glob', 1],
  ['tree-stats', 'uringfs.scan.nostats', 1, 'fdir', 1],
  ['stream-pipe', 'uringfs.createReadStream', 'all', 'fs.createReadStream', 'all'],
  ['stream-files', 'uringfs.createReadStream', 'all', 'fs.createReadStream', 'all'],
];

// Methods that acknowledge before the data is durable (catalog flag `durable: false`): faster
// by doing less, so never the best of a scenario whose baseline makes every op durable.
const NOT_DURABLE = new Set(catalog({ testMethods: true }).filter((m) => m.durable === false).map((m) => m.id));

/** The share of a series' best throughput at which its knee is placed. */
export const KNEE_SHARE = 0.9;

/** { round → ops/s } of a record (or of a case's runs so far). */
export function roundRates(r) {
  const m = new Map();
  r.samplesNs.forEach((ns, i) => m.set(r.rounds[i], r.opsPerRunEach[i] / (ns / 1e9)));
  return m;
}

/** { round → the process it ran in } of a record; null when it has no such list (one process). */
export function roundProcesses(r) {
  if (!r.process) return null;
  const m = new Map();
  r.rounds.forEach((round, i) => m.set(round, r.process[i]));
  return m;
}

function depthOf(d, config, s) {
  return d === C ? config.concurrency : d === 'all' ? s.opsPerPass : d;
}

/**
 * The comparisons of scenario `s` among `rows` (each with method, backend,
 * depth and per-round samples): the fixed headlines, then the best row
 * against the baseline. Rows are records or anything with the same fields.
 */
export function headlinePairs(s, rows, config) {
  const ok = rows.filter((r) => r.samplesNs?.length);
  const pairs = [];
  for (const [id, subject, sd, reference, rd] of HEADLINES) {
    if (id !== s.id) continue;
    const ref = ok.find((r) => r.method === reference && r.backend === 'node' && r.depth === depthOf(rd, config, s));
    if (!ref) continue;
    for (const sub of ok.filter((r) => r.method === subject && r.family === 'uringfs' && r.depth === depthOf(sd, config, s))) {
      pairs.push({ kind: 'headline', subject: sub, reference: ref });
    }
  }
  const base = ok.find((r) => r.isBaseline);
  if (base) {
    let best = null;
    let bestRate = -Infinity;
    for (const r of ok) {
      if (r.isBaseline || r.family === 'fio' || r.family === 'floor' || r.family === 'test' || NOT_DURABLE.has(r.method)) continue;
      // Judged on the same rounds, by the same estimate as the ratio it will be shown with.
      const g = compareRows(r, base);
      if (g && g.ratio > bestRate) {
        bestRate = g.ratio;
        best = r;
      }
    }
    if (best) pairs.unshift({ kind: 'best', subject: best, reference: base });
  }
  return pairs;
}

/** Subject ÷ reference, paired by round; a round's process is the same for every case of the scenario. */
export function compareRows(subject, reference) {
  return pairedRatio(roundRates(subject), roundRates(reference), undefined, roundProcesses(subject));
}

function rowRef(r) {
  return { method: r.method, backend: r.backend, depth: r.depth, depthLabel: r.depthLabel };
}

/** Knee per batch-size series (one method × backend over ≥ 3 batch sizes). */
export function knees(s, rows) {
  const series = new Map();
  for (const r of rows) {
    if (r.status !== 'ok' || !r.batchSeries) continue;
    const k = `${r.method}|${r.backend}`;
    if (!series.has(k)) series.set(k, []);
    series.get(k).push(r);
  }
  const out = [];
  for (const list of series.values()) {
    if (list.length < 3) continue;
    list.sort((a, b) => a.depth - b.depth);
    const best = list.reduce((a, b) => (b.opsPerSec.mean > a.opsPerSec.mean ? b : a));
    const knee = list.find((r) => r.opsPerSec.mean >= KNEE_SHARE * best.opsPerSec.mean);
    out.push({
      scenario: s.key, method: best.method, backend: best.backend, kneeDepth: knee.depth, bestDepth: best.depth,
      kneeRatio: knee.ratioToBaseline, bestRatio: best.ratioToBaseline,
      kneeP99: knee.latency?.p99 ?? null, bestP99: best.latency?.p99 ?? null,
    });
  }
  return out;
}

/** The summary of a whole run (scenarios × records), for the JSON and the text. */
export function summarize(doc) {
  const out = [];
  for (const s of doc.scenarios) {
    const rows = doc.results.filter((r) => r.scenario === s.key && r.status === 'ok');
    const pairs = headlinePairs(s, rows, doc.config).map((p) => ({
      kind: p.kind, subject: rowRef(p.subject), reference: rowRef(p.reference), ...compareRows(p.subject, p.reference),
    }));
    out.push({ scenario: s.key, label: s.label, comparisons: pairs, knees: knees(s, doc.results.filter((r) => r.scenario === s.key)) });
  }
  return out;
}

const at = (x) => (x.depth === 1 && !/^all/.test(x.depthLabel) ? '' : ` @ ${x.depthLabel}`);
export const fmtRatio = (c) => `${c.ratio.toFixed(2)}×${c.lo === null ? '' : ` (${c.lo.toFixed(2)}–${c.hi.toFixed(2)})`}`;
const us = (ns) => (ns === null || ns === undefined ? '–' : ns >= 1e6 ? `${(ns / 1e6).toFixed(1)} ms` : `${(ns / 1e3).toFixed(ns >= 1e5 ? 0 : 1)} µs`);
export { us as fmtLatency };

export function comparisonText(c, target = 0.1) {
  const wide = c.halfWidth === null ? ' (one round: no interval)' : c.halfWidth > target ? ` (interval wider than ±${Math.round(target * 100)}%)` : '';
  return `${c.subject.method}${at(c.subject)} [${c.subject.backend}] vs ${c.reference.method}${at(c.reference)}: ${fmtRatio(c)}, ${c.verdict}${wide}`;
}

export function kneeText(k) {
  if (k.kneeDepth === k.bestDepth) return `${k.method} [${k.backend}]: best at batch ${k.bestDepth}, no smaller batch within ${Math.round(KNEE_SHARE * 100)}% of it; p99 ${us(k.bestP99)}`;
  return `${k.method} [${k.backend}]: knee at batch ${k.kneeDepth} (first to reach ${Math.round(KNEE_SHARE * 100)}% of its best, at ${k.bestDepth}); p99 ${us(k.kneeP99)} at ${k.kneeDepth}, ${us(k.bestP99)} at ${k.bestDepth}`;
}

export function renderSummary(summary, target = 0.1) {
  const lines = ['', 'Summary (ratio of throughputs, 95% interval, paired over the rounds of this run):'];
  for (const s of summary) {
    if (s.comparisons.length === 0 && s.knees.length === 0) continue;
    lines.push(`  ${s.label}`);
    for (const c of s.comparisons) {
      if (c.kind === 'best') lines.push(`    best: ${c.subject.method}${at(c.subject)} [${c.subject.backend}], ${fmtRatio(c)} ${c.reference.method} — ${c.verdict}${c.halfWidth !== null && c.halfWidth > target ? ` (interval wider than ±${Math.round(target * 100)}%)` : ''}`);
      else lines.push(`    ${comparisonText(c, target)}`);
    }
    for (const k of s.knees) lines.push(`    ${kneeText(k)}`);
  }
  return lines.join('\n');
}
