// `npm run bench -- --compare A.json B.json`: two runs (two machines, two
// commits, two kernels) case by case. For every case both ran, B's
// throughput ÷ A's with a 95% Welch interval on log rates, the p-value's
// stars as in Node's benchmark/compare.js, and a verdict. A run whose case
// ran in several processes counts its processes as the samples (the mean of
// their mean log rates, and their spread or the rounds', whichever is larger:
// stats.js groupedMean), the same model as the run's own intervals; a run
// with one process (--quick, or a file from before --processes) counts its
// rounds, which cannot show how much another process would differ. The two runs'
// summary comparisons (ratios within each run) are set side by side, with
// whether each lies in the other's interval, and a test of their difference.
import fs from 'node:fs';
import Table from 'cli-table3';
import { ratioDifference, welchRatio, stars } from './stats.js';
import { compareRows, fmtRatio } from './summary.js';
import { si } from './report.js';

function load(path) {
  let doc;
  try {
    doc = JSON.parse(fs.readFileSync(path, 'utf8'));
  } catch (e) {
    throw new Error(`cannot read ${path}: ${e.message}`);
  }
  if (doc?.tool !== 'uringfs-bench' || !Array.isArray(doc.results)) throw new Error(`${path} is not a uringfs-bench result`);
  return doc;
}

const caseKey = (r) => `${r.scenario}|${r.method}|${r.backend}|${r.depth}`;
const rates = (r) => r.opsPerSec?.samples ?? [];
// The process of each sample; files written before --processes have none (one process).
const processOf = (r) => r.process ?? null;

/**
 * A's best case may not be B's best: then B's ratio of that same case to the
 * same reference, from B's own records (`recordsB`, by caseKey), so the two
 * runs still face each other.
 */
function sameCaseIn(recordsB, scenario, c) {
  const subject = recordsB.get(caseKey({ scenario, ...c.subject }));
  const reference = recordsB.get(caseKey({ scenario, ...c.reference }));
  return subject?.samplesNs?.length && reference?.samplesNs?.length ? compareRows(subject, reference) : null;
}

/** The per-case comparison of two result documents (B ÷ A). */
export function compareDocs(a, b) {
  const recordsB = new Map(b.results.filter((r) => r.status === 'ok').map((r) => [caseKey(r), r]));
  const inB = new Map(recordsB);
  const rows = [];
  const onlyA = [];
  for (const ra of a.results.filter((r) => r.status === 'ok')) {
    const rb = inB.get(caseKey(ra));
    if (!rb) {
      onlyA.push(caseKey(ra));
      continue;
    }
    inB.delete(caseKey(ra));
    const c = welchRatio(rates(rb), rates(ra), undefined, processOf(rb), processOf(ra));
    rows.push({ ...c, test: c?.method, scenario: ra.scenario, label: ra.scenarioLabel, method: ra.method, backend: ra.backend, depth: ra.depth, depthLabel: ra.depthLabel, a: ra.opsPerSec.mean ?? ra.opsPerSec.median, b: rb.opsPerSec.mean ?? rb.opsPerSec.median, stars: stars(c?.p) });
  }
  const summary = [];
  const sumB = new Map();
  for (const s of b.summary ?? []) for (const c of s.comparisons) sumB.set(`${s.scenario}|${c.kind === 'best' ? 'best' : ''}|${c.subject.method}|${c.subject.backend}|${c.subject.depth}|${c.reference.method}|${c.reference.depth}`, c);
  for (const s of a.summary ?? []) {
    for (const ca of s.comparisons) {
      const cb = sumB.get(`${s.scenario}|${ca.kind === 'best' ? 'best' : ''}|${ca.subject.method}|${ca.subject.backend}|${ca.subject.depth}|${ca.reference.method}|${ca.reference.depth}`)
        ?? (ca.kind === 'best' ? sameCaseIn(recordsB, s.scenario, ca) : null);
      if (!cb) continue;
      const overlap = ca.lo !== null && cb.lo !== null && ca.lo <= cb.hi && cb.lo <= ca.hi;
      const within = ca.lo !== null && cb.lo !== null && cb.ratio >= ca.lo && cb.ratio <= ca.hi && ca.ratio >= cb.lo && ca.ratio <= cb.hi;
      summary.push({ label: s.label, kind: ca.kind, subject: ca.subject, reference: ca.reference, a: ca, b: cb, overlap, within, difference: ratioDifference(ca, cb) });
    }
  }
  return { rows, onlyA, onlyB: [...inB.keys()], summary };
}

function describe(doc) {
  const e = doc.environment ?? {};
  return `${doc.startedAt ?? '?'} · ${e.uringfs?.commit ? String(e.uringfs.commit).slice(0, 10) : '?'}${e.uringfs?.dirty ? '-dirty' : ''} · Linux ${e.kernel?.release ?? '?'} · ${e.cpu?.model ?? '?'} ×${e.cpu?.count ?? '?'} · Node ${e.node?.version ?? '?'}`;
}

export function renderCompare(result, aPath, bPath, a, b) {
  const out = [`A: ${aPath}`, `   ${describe(a)}`, `B: ${bPath}`, `   ${describe(b)}`, ''];
  const table = new Table({
    head: ['scenario', 'method', 'backend', 'batch/depth', 'A ops/s', 'B ops/s', 'B ÷ A (95% CI)', '', 'verdict'],
    colAligns: ['left', 'left', 'left', 'right', 'right', 'right', 'right', 'left', 'left'],
    style: { head: [], border: [], compact: true },
  });
  for (const r of result.rows) {
    table.push([r.label, r.method, r.backend, r.depthLabel, si(r.a), si(r.b), r.ratio === undefined ? '–' : fmtRatio(r), r.stars, r.verdict === 'faster' ? 'B faster' : r.verdict === 'slower' ? 'B slower' : '≈ same']);
  }
  out.push(table.toString());
  out.push('B ÷ A: geometric mean of B\'s runs over A\'s (each process weighing the same), Welch t interval on log ops/s with each run\'s processes as its samples (its rounds when it had one process); *** p < 0.001, ** p < 0.01, * p < 0.05.');
  const one = [a, b].filter((d) => (d.config?.processes ?? 1) < 2).length;
  if (one) out.push(`${one === 2 ? 'Both runs' : 'One run'} had one process per case: ${one === 2 ? 'their' : 'its'} rounds cannot show how much another process would differ, so the intervals can be too narrow (see --processes).`);
  out.push('Absolute throughput moves with the machine\'s load: compare runs made under similar load, or compare the ratios below.');
  if (result.onlyA.length) out.push(`only in A (${result.onlyA.length}): ${result.onlyA.join(', ')}`);
  if (result.onlyB.length) out.push(`only in B (${result.onlyB.length}): ${result.onlyB.join(', ')}`);
  if (result.summary.length) {
    out.push('', 'Summary ratios of each run (within-run, paired), side by side:');
    for (const s of result.summary) {
      const at = (x) => (x.depth === 1 ? '' : ` @ ${x.depthLabel}`);
      const d = s.difference;
      const differ = d !== null && d.p !== null && d.p < 0.05;
      const test = d === null ? '' : `; B ÷ A ${fmtRatio(d)}${stars(d.p) ? ` ${stars(d.p)}` : ''}`;
      const word = s.within ? 'agree (each inside the other\'s interval)' : differ ? 'DIFFER' : s.overlap ? 'intervals overlap, no clear difference' : 'intervals apart';
      out.push(`  ${s.label}: ${s.kind === 'best' ? 'best of A: ' : ''}${s.subject.method}${at(s.subject)} [${s.subject.backend}] vs ${s.reference.method}${at(s.reference)}: A ${fmtRatio(s.a)}, B ${fmtRatio(s.b)} — ${word}${test}`);
    }
    const n = result.summary.length;
    const count = (f) => result.summary.filter(f).length;
    const differing = count((s) => s.difference !== null && s.difference.p !== null && s.difference.p < 0.05);
    out.push(`  ${count((s) => s.within)} of ${n} agree, ${n - count((s) => s.within) - differing} more lie within what their intervals allow, ${differing} differ (B ÷ A of the two ratios: Welch t on their logs, * p < 0.05).`);
  }
  return out.join('\n');
}

/** Prints the comparison; returns the exit code (0, or 2 when a file is unusable). */
export function runCompare(aPath, bPath) {
  let a;
  let b;
  try {
    a = load(aPath);
    b = load(bPath);
  } catch (e) {
    process.stderr.write(`${e.message}\n`);
    return 2;
  }
  const result = compareDocs(a, b);
  process.stdout.write(`${renderCompare(result, aPath, bPath, a, b)}\n`);
  if (result.rows.length === 0) {
    process.stderr.write('no case is in both files\n');
    return 2;
  }
  return 0;
}
