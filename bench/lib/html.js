// A self-contained HTML report: the chart drawn live by Vega (inlined, no
// network; hover a point for its values), the results per scenario with
// intervals and latency, the summary, the environment, and the full JSON
// embedded for whoever wants it.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { BASELINE_WHY } from './scenarios.js';
import { si } from './report.js';
import { comparisonText, fmtLatency, fmtRatio, kneeText } from './summary.js';

const require = createRequire(import.meta.url);

/** vega's browser bundle (the package's exports do not list it, so look for it where vega is installed). */
function vegaBundle() {
  for (const dir of require.resolve.paths('vega') ?? []) {
    const p = join(dir, 'vega', 'build', 'vega.min.js');
    if (fs.existsSync(p)) return p;
  }
  throw new Error('vega/build/vega.min.js not found (npm ci installs it)');
}
const esc = (s) => String(s ?? '').replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);
// JSON inside <script>: no "</script>" or "<!--" can end it early.
const scriptJson = (x) => JSON.stringify(x).replace(/</g, '\\u003c');

function resultRows(rows) {
  return rows.map((r) => {
    if (r.status !== 'ok') {
      const what = r.status === 'skipped' ? `skipped: ${r.reason}` : `FAILED: ${r.error?.message}`;
      return `<tr class="${r.status}"><td>${esc(r.method)}</td><td>${esc(r.backend)}</td><td>${esc(r.depthLabel)}</td><td colspan="11">${esc(what)}</td></tr>`;
    }
    const l = r.latency;
    return `<tr${r.isBaseline ? ' class="baseline"' : ''}><td title="${esc(r.description)}">${esc(r.method)}</td><td>${esc(r.backend)}</td><td class="n">${esc(r.depthLabel)}</td>`
      + `<td class="n">${si(r.opsPerSec.mean)}</td><td class="n">${r.mbPerSec.mean.toFixed(1)}</td>`
      + `<td class="n">${r.isBaseline ? '1 (baseline)' : r.ratio ? fmtRatio(r.ratio) : '–'}</td><td>${r.isBaseline || !r.ratio ? '' : esc(r.ratio.verdict)}</td>`
      + `<td class="n">${fmtLatency(l?.p50)}</td><td class="n">${fmtLatency(l?.p90)}</td><td class="n">${fmtLatency(l?.p99)}</td><td class="n">${fmtLatency(l?.p999)}</td>`
      + `<td class="n">${r.entersPerOp === null ? '–' : r.entersPerOp.toFixed(3)}</td>`
      + `<td class="n">${r.cpuPerWall === null ? '–' : `${Math.round(r.cpuPerWall * 100)}%`}</td><td class="n">${r.runs}</td></tr>`;
  }).join('\n');
}

function summaryHtml(doc) {
  const items = [];
  for (const s of doc.summary ?? []) {
    const lines = s.comparisons.map((c) => (c.kind === 'best'
      ? `<b>best: ${esc(`${c.subject.method} @ ${c.subject.depthLabel} [${c.subject.backend}]`)}, ${esc(fmtRatio(c))} ${esc(c.reference.method)}</b> — ${esc(c.verdict)}`
      : esc(comparisonText(c, doc.config.targetCi ?? 0.1))));
    for (const k of s.knees) lines.push(esc(kneeText(k)));
    if (lines.length) items.push(`<li>${esc(s.label)}<ul>${lines.map((l) => `<li>${l}</li>`).join('')}</ul></li>`);
  }
  return items.length ? `<h2>Summary</h2><ul class="summary">${items.join('')}</ul>` : '';
}

export function renderHtml(doc, spec) {
  const env = doc.environment;
  const sections = doc.scenarios.map((s) => {
    const rows = doc.results.filter((r) => r.scenario === s.key);
    return `<h2>${esc(s.label)}</h2>
<p>Baseline: ${esc(BASELINE_WHY[s.kind])}. ${s.skip ? `<b>Skipped: ${esc(s.skip)}</b>` : ''} ${esc(JSON.stringify(s.pageCache ?? {}))}</p>
${s.notes?.length ? `<p class="note">${esc(s.notes.join('; '))}</p>` : ''}
<table><thead><tr><th>method</th><th>backend</th><th>batch/depth</th><th>ops/s</th><th>MB/s</th><th>× base (95% CI)</th><th>verdict</th><th>p50</th><th>p90</th><th>p99</th><th>p99.9</th><th>enters/op</th><th>cpu</th><th>rounds</th></tr></thead>
<tbody>${resultRows(rows)}</tbody></table>`;
  }).join('\n');
  const envRows = [
    ['CPU', `${env.cpu.model} × ${env.cpu.count}`],
    ['Kernel', `${env.kernel.release} ${env.kernel.version}`],
    ['Node / libuv', `${env.node.version} / ${env.node.uv} (threadpool ${env.node.uvThreadpoolSize})`],
    ['UV_USE_IO_URING', `${env.uvIoUring.summary} — ${env.uvIoUring.evidence}`],
    ['uringfs', `${env.uringfs.version} @ ${env.uringfs.commit ?? '?'}${env.uringfs.dirty ? ' (uncommitted changes)' : ''}`],
    ['uringfs backends', env.uringfs.backends.map((b) => `${b.name}: ${b.usable ? 'usable' : `unusable (${b.fallbackReason ?? b.error ?? b.backend})`}, SQ ${b.sqEntries}, CQ ${b.cqEntries}, setup flags ${b.setupFlags ?? 'not exposed'}`).join('; ')],
    ['Filesystem', `${env.filesystem.type} on ${env.filesystem.source} (${env.filesystem.dir})`],
    ['Device', env.device ? `${env.device.name}, rotational=${env.device.rotational}, scheduler ${env.device.scheduler}` : 'unknown'],
    ['Tools', `fio: ${env.tools.fio ?? 'not installed'}; fincore: ${env.tools.fincore ? 'yes' : 'no'}`],
    ['Load', `1-minute load ${env.loadavgAtStart?.[0]?.toFixed(2) ?? '?'} at the start, ${env.loadavgAtEnd?.[0]?.toFixed(2) ?? '?'} at the end`],
    ['Run', `${doc.command ?? ''}: ${doc.config.rounds} interleaved rounds (up to ${doc.config.maxRounds ?? doc.config.rounds} for the summary's comparisons) in ${doc.config.processes ?? 1} process(es) per case, one after another, + ${doc.config.warmup} warm-up per process; ${doc.startedAt}, ${(doc.durationMs / 1000).toFixed(0)} s${doc.config.quick ? '; --quick' : ''}`],
  ];
  const vegaJs = spec ? fs.readFileSync(vegaBundle(), 'utf8').replace(/<\/script/gi, '<\\/script') : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>uringfs benchmark</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 2em; color: #222; max-width: 1300px; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; font-size: 13px; }
td, th { border-bottom: 1px solid #ddd; padding: 3px 8px; text-align: left; vertical-align: top; }
td.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.baseline td { font-weight: 600; }
tr.failed td { color: #b00; } tr.skipped td { color: #888; }
.note { color: #666; }
#chart svg { max-width: 100%; height: auto; }
#vg-tooltip-element { font-size: 12px; }
</style></head><body>
<h1>uringfs benchmark</h1>
<table>${envRows.map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`).join('')}</table>
${summaryHtml(doc)}
<p>ops/s is the geometric mean of the rounds (each process weighing the same); × base divides by the scenario's baseline (bold) round by round, with its 95% interval
(paired t on log ratios; with several processes per case, the processes are the samples, or the rounds when those spread more: see bench/README.md);
verdict: faster / slower when the interval is wholly above / below 1×. p50–p99.9: per-op latency, over every process's runs.
enters/op is io_uring_enter calls per op from uringfs's <code>ring.stats()</code>; cpu is the child's CPU time ÷ wall time during the runs.
Hover a point in the chart for its values.</p>
<div id="chart">${spec ? '<p id="chart-status">drawing the chart…</p>' : '<p>(no chart: no successful results)</p>'}</div>
${sections}
<script type="application/json" id="results">${scriptJson(doc)}</script>
${spec ? `<script type="application/json" id="chart-spec">${scriptJson(spec)}</script>
<script>${vegaJs}</script>
<script>
(function () {
  var el = document.getElementById('chart');
  var spec = JSON.parse(document.getElementById('chart-spec').textContent);
  new vega.View(vega.parse(spec), { renderer: 'svg', container: el, hover: true })
    .runAsync()
    .then(function () { var s = document.getElementById('chart-status'); if (s) s.remove(); el.setAttribute('data-rendered', 'yes'); })
    .catch(function (e) { el.textContent = 'chart failed: ' + e; el.setAttribute('data-rendered', 'error'); });
})();
</script>` : ''}
</body></html>
`;
}
