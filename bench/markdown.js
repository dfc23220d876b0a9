#!/usr/bin/env node
// `node bench/markdown.js RESULT.json`: the Performance section's table for
// README.md, from one run's JSON: per scenario its baseline, the summary's
// rows (best, fixed comparisons) and fio's deepest row, each with ops/s, the
// ratio to the baseline with its 95% interval, the verdict and p99 latency.
import fs from 'node:fs';
import { si } from './lib/report.js';
import { fmtLatency, fmtRatio } from './lib/summary.js';

const doc = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const env = doc.environment;
const key = (x) => `${x.method}|${x.backend}|${x.depth}`;
const lines = [];
const load = [env.loadavgAtStart?.[0], env.loadavgAtEnd?.[0]].map((x) => (x === undefined ? '?' : x.toFixed(1)));
lines.push(`Machine: ${env.cpu.model} ×${env.cpu.count}, Linux ${env.kernel.release}, Node ${env.node.version} (libuv ${env.node.uv}), ${env.filesystem.type} on ${env.filesystem.source}; 1-minute load ${load[0]} at the start, ${load[1]} at the end. Command: \`${doc.command}\`, ${doc.config.rounds} rounds (up to ${doc.config.maxRounds} for the summary) in ${doc.config.processes ?? 1} process${(doc.config.processes ?? 1) === 1 ? '' : 'es'} per case, ${(doc.durationMs / 60000).toFixed(1)} minutes, ${doc.startedAt.slice(0, 10)}.`);
lines.push('');
lines.push('| scenario | method | backend | batch / in flight | ops/s | × baseline (95% CI) | verdict | p99 |');
lines.push('|---|---|---|---|---|---|---|---|');
for (const s of doc.scenarios) {
  const rows = doc.results.filter((r) => r.scenario === s.key && r.status === 'ok');
  if (rows.length === 0) continue;
  const sum = doc.summary.find((x) => x.scenario === s.key);
  const wanted = [];
  const add = (r, why) => {
    if (r && !wanted.some((w) => w.r === r)) wanted.push({ r, why });
  };
  add(rows.find((r) => r.isBaseline), 'baseline');
  for (const c of sum?.comparisons ?? []) {
    add(rows.find((r) => key(r) === key(c.subject)), c.kind === 'best' ? 'best' : '');
    add(rows.find((r) => key(r) === key(c.reference)), '');
  }
  const fio = rows.filter((r) => r.family === 'fio').sort((a, b) => b.depth - a.depth)[0];
  add(fio, 'reference');
  const floor = rows.filter((r) => r.family === 'floor').sort((a, b) => b.opsPerSec.mean - a.opsPerSec.mean)[0];
  add(floor, 'floor');
  let first = true;
  for (const { r, why } of wanted) {
    const name = `\`${r.method}\`${why === 'baseline' ? ' (baseline)' : why === 'best' ? ' **(best)**' : why === 'reference' ? ' (reference, no JS)' : why === 'floor' ? ' (the floor: C with liburing)' : ''}`;
    const ratio = r.isBaseline ? '1×' : fmtRatio(r.ratio);
    const verdict = r.isBaseline ? '' : r.ratio.verdict;
    lines.push(`| ${first ? s.label : ''} | ${name} | ${r.backend} | ${r.depthLabel} | ${si(r.opsPerSec.mean)} | ${ratio} | ${verdict} | ${fmtLatency(r.latency?.p99)} |`);
    first = false;
  }
}
lines.push('');
for (const s of doc.summary) {
  const best = s.comparisons.find((c) => c.kind === 'best');
  if (best) lines.push(`- ${s.label}: best ${best.subject.method}${best.subject.depth > 1 ? ` @ ${best.subject.depthLabel}` : ''} [${best.subject.backend}], ${fmtRatio(best)} ${best.reference.method}, ${best.verdict}.${s.knees.length ? ` Knees: ${s.knees.map((k) => `${k.method} [${k.backend}] at ${k.kneeDepth}`).join(', ')}.` : ''}`);
}
process.stdout.write(`${lines.join('\n')}\n`);
