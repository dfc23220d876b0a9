// A self-contained HTML report: the chart inline (SVG), the results per
// scenario, the environment, and the full JSON embedded for whoever wants it.
import { BASELINE_WHY } from './scenarios.js';
import { si } from './report.js';

const esc = (s) => String(s ?? '').replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);

function resultRows(rows) {
  return rows.map((r) => {
    if (r.status !== 'ok') {
      const what = r.status === 'skipped' ? `skipped: ${r.reason}` : `FAILED: ${r.error?.message}`;
      return `<tr class="${r.status}"><td>${esc(r.method)}</td><td>${esc(r.backend)}</td><td>${esc(r.depthLabel)}</td><td colspan="7">${esc(what)}</td></tr>`;
    }
    return `<tr${r.isBaseline ? ' class="baseline"' : ''}><td title="${esc(r.description)}">${esc(r.method)}</td><td>${esc(r.backend)}</td><td class="n">${esc(r.depthLabel)}</td>`
      + `<td class="n">${si(r.opsPerSec.median)}</td><td class="n">${r.mbPerSec.median.toFixed(1)}</td>`
      + `<td class="n">${si(r.opsPerSec.min)}–${si(r.opsPerSec.max)}</td>`
      + `<td class="n">${r.ratioToBaseline === null ? '–' : `${r.ratioToBaseline.toFixed(2)}×`}</td>`
      + `<td class="n">${r.entersPerOp === null ? '–' : r.entersPerOp.toFixed(3)}</td>`
      + `<td class="n">${r.cpuPerWall === null ? '–' : `${Math.round(r.cpuPerWall * 100)}%`}</td><td>${esc(r.description)}</td></tr>`;
  }).join('\n');
}

export function renderHtml(doc, svg) {
  const env = doc.environment;
  const sections = doc.scenarios.map((s) => {
    const rows = doc.results.filter((r) => r.scenario === s.key);
    return `<h2>${esc(s.label)}</h2>
<p>Baseline: ${esc(BASELINE_WHY[s.kind])}. ${s.skip ? `<b>Skipped: ${esc(s.skip)}</b>` : ''} ${esc(JSON.stringify(s.pageCache ?? {}))}</p>
${s.notes?.length ? `<p class="note">${esc(s.notes.join('; '))}</p>` : ''}
<table><thead><tr><th>method</th><th>backend</th><th>batch/depth</th><th>ops/s</th><th>MB/s</th><th>min–max ops/s</th><th>× base</th><th>enters/op</th><th>cpu</th><th>what it does</th></tr></thead>
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
    ['Run', `${doc.config.runs} runs + ${doc.config.warmup} warm-up per case, each case in a fresh process; ${doc.startedAt}, ${(doc.durationMs / 1000).toFixed(0)} s${doc.config.quick ? '; --quick' : ''}`],
  ];
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>uringfs benchmark</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 2em; color: #222; max-width: 1200px; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; font-size: 13px; }
td, th { border-bottom: 1px solid #ddd; padding: 3px 8px; text-align: left; vertical-align: top; }
td.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.baseline td { font-weight: 600; }
tr.failed td { color: #b00; } tr.skipped td { color: #888; }
.note { color: #666; }
svg { max-width: 100%; height: auto; }
</style></head><body>
<h1>uringfs benchmark</h1>
<table>${envRows.map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`).join('')}</table>
<p>ops/s is the median of the runs; min–max is the spread across runs; × base divides by the scenario's baseline (marked bold);
enters/op is io_uring_enter calls per op from uringfs's <code>ring.stats()</code>; cpu is the child's CPU time ÷ wall time during the runs.</p>
${svg ?? '<p>(no chart: no successful results)</p>'}
${doc.targets?.length ? `<h2>Targets (issue 5), from this run</h2><table><thead><tr><th></th><th>scenario</th><th>backend</th><th>ratio</th><th>target</th></tr></thead><tbody>${doc.targets.map((t) => `<tr class="${t.met ? '' : 'failed'}"><td>${t.met ? 'met' : 'MISSED'}</td><td>${esc(t.label)}</td><td>${esc(t.backend)}</td><td>${esc(`${t.subject.method}${t.subject.depth > 1 ? ` @${t.subject.depthLabel}` : ''} ÷ ${t.reference.method}${t.reference.depth > 1 ? ` @${t.reference.depthLabel}` : ''}`)} = ${t.ratio.toFixed(2)}×</td><td>≥ ${t.min}×</td></tr>`).join('')}</tbody></table>` : ''}
${sections}
<script type="application/json" id="results">${JSON.stringify(doc).replace(/</g, '\\u003c')}</script>
</body></html>
`;
}
