// The chart: one panel per scenario, throughput (median ops/s, with min–max
// bars) against batch size / ops in flight; node:fs methods are horizontal
// lines (they have one depth each), uringfs and fio are points and lines.
// Vega-Lite spec → Vega → SVG string, headless (renderer 'none', no canvas).
import * as vega from 'vega';
import { compile } from 'vega-lite';
import { BASELINE_WHY } from './scenarios.js';
import { si } from './report.js';

function panel(s, rows) {
  const points = rows.filter((r) => r.family !== 'node').map((r) => ({
    method: r.method, backend: r.backend, series: `${r.method} · ${r.backend}`, depth: r.depth, depthLabel: r.depthLabel,
    ops: r.opsPerSec.median, min: r.opsPerSec.min, max: r.opsPerSec.max, ratio: r.ratioToBaseline,
  }));
  const rules = rows.filter((r) => r.family === 'node').map((r) => ({
    baseline: r.isBaseline,
    ops: r.opsPerSec.median,
    label: `${r.method}${r.depth > 1 ? ` @${r.depth}` : ''}${r.backend === 'node' ? '' : ` (${r.backend})`}${r.isBaseline ? ' = baseline' : ''}: ${si(r.opsPerSec.median)}/s`,
  }));
  const depths = rows.map((r) => r.depth);
  const maxDepth = Math.max(2, ...depths);
  const values = rows.map((r) => r.opsPerSec.max).concat(rows.map((r) => r.opsPerSec.min));
  const logY = Math.max(...values) / Math.max(1, Math.min(...values)) > 30;
  const x = { field: 'depth', type: 'quantitative', title: 'batch size / ops in flight', scale: { type: 'log', base: 2, domain: [0.7, maxDepth * 1.45], nice: false }, axis: { values: [...new Set(depths)].sort((a, b) => a - b) } };
  const y = { field: 'ops', type: 'quantitative', title: `ops/s (median${logY ? ', log scale' : ''})`, scale: logY ? { type: 'log' } : { zero: true } };
  // node:fs rules in grey (the baseline in black), labelled in place; uringfs
  // and fio coloured by method, with the backend as the point shape and dash.
  const ruleColor = { condition: { test: 'datum.baseline', value: '#000' }, value: '#8a8a8a' };
  const color = { field: 'method', type: 'nominal', title: 'method (colour)', scale: { scheme: 'category10' } };
  // io_uring solid, then threads, fio and ring variants with their own dashes.
  const order = ['io_uring', 'threads', 'fio'];
  const backends = [...new Set(points.map((p) => p.backend))].sort((a, b) => (order.indexOf(a) + 1 || 9) - (order.indexOf(b) + 1 || 9) || a.localeCompare(b));
  const dashes = [[1, 0], [6, 3], [2, 2], [8, 3, 2, 3], [4, 4], [10, 2], [1, 3], [12, 4, 4, 4]];
  const backend = { field: 'backend', type: 'nominal', title: 'backend (shape, dash)', scale: { domain: backends } };
  const backendDash = { ...backend, scale: { domain: backends, range: backends.map((_, i) => dashes[i % dashes.length]) } };
  return {
    title: { text: s.label, subtitle: `dashed grey lines: node:fs methods; × baseline = ops/s ÷ ${BASELINE_WHY[s.kind].split(' (')[0]}`, anchor: 'start' },
    width: 640,
    height: 300,
    layer: [
      {
        data: { values: rules },
        mark: { type: 'rule', strokeDash: [6, 4], strokeWidth: 1.2 },
        encoding: { y, color: ruleColor },
      },
      {
        data: { values: rules },
        mark: { type: 'text', align: 'right', dx: -4, dy: -5, fontSize: 10 },
        encoding: { y, x: { datum: maxDepth * 1.45, type: 'quantitative', scale: x.scale }, text: { field: 'label' }, color: ruleColor },
      },
      {
        data: { values: points },
        mark: { type: 'rule', opacity: 0.6 },
        encoding: { x, y: { field: 'min', type: 'quantitative', scale: y.scale, title: y.title }, y2: { field: 'max' }, color },
      },
      {
        data: { values: points },
        mark: { type: 'line', point: { filled: true, size: 60 } },
        encoding: {
          x, y, color, shape: backend, strokeDash: backendDash, detail: { field: 'series' },
          tooltip: [{ field: 'series' }, { field: 'depthLabel', title: 'depth' }, { field: 'ops', format: ',.0f' }, { field: 'ratio', format: '.2f' }],
        },
      },
    ],
  };
}

/** SVG of every scenario that has results. */
export async function renderChart(records, scenarios, env) {
  const panels = [];
  for (const s of scenarios) {
    const rows = records.filter((r) => r.scenario === s.key && r.status === 'ok');
    if (rows.length > 0) panels.push(panel(s, rows));
  }
  if (panels.length === 0) return null;
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: 'uringfs benchmark: throughput vs batch size', subtitle: `${env.cpu.model} ×${env.cpu.count} · Linux ${env.kernel.release} · Node ${env.node.version} · ${env.filesystem.type ?? '?'}` },
    vconcat: panels,
    resolve: { scale: { color: 'independent', y: 'independent', x: 'independent', shape: 'independent', strokeDash: 'independent' } },
    config: { font: 'sans-serif', view: { stroke: '#ddd' }, legend: { labelLimit: 360 } },
  };
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  return view.toSVG();
}
