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
    series: `${r.method} · ${r.backend}`, depth: r.depth, depthLabel: r.depthLabel,
    ops: r.opsPerSec.median, min: r.opsPerSec.min, max: r.opsPerSec.max, ratio: r.ratioToBaseline,
  }));
  const rules = rows.filter((r) => r.family === 'node').map((r) => ({
    series: `${r.method}${r.depth > 1 ? ` @${r.depth}` : ''} · ${r.backend}${r.isBaseline ? ' (baseline)' : ''}`,
    ops: r.opsPerSec.median, label: `${r.method}${r.depth > 1 ? ` @${r.depth}` : ''}${r.backend === 'node' ? '' : ` (${r.backend})`}: ${si(r.opsPerSec.median)}/s`,
  }));
  const depths = rows.map((r) => r.depth);
  const maxDepth = Math.max(2, ...depths);
  const values = rows.map((r) => r.opsPerSec.max).concat(rows.map((r) => r.opsPerSec.min));
  const logY = Math.max(...values) / Math.max(1, Math.min(...values)) > 30;
  const x = { field: 'depth', type: 'quantitative', title: 'batch size / ops in flight', scale: { type: 'log', base: 2, domain: [0.7, maxDepth * 1.45], nice: false }, axis: { values: [...new Set(depths)].sort((a, b) => a - b) } };
  const y = { field: 'ops', type: 'quantitative', title: `ops/s (median${logY ? ', log scale' : ''})`, scale: logY ? { type: 'log' } : { zero: true } };
  return {
    title: { text: s.label, subtitle: `× baseline = ops/s ÷ ${BASELINE_WHY[s.kind].split(' (')[0]}`, anchor: 'start' },
    width: 640,
    height: 300,
    layer: [
      {
        data: { values: rules },
        mark: { type: 'rule', strokeDash: [6, 4], strokeWidth: 1.5 },
        encoding: { y, color: { field: 'series', type: 'nominal', title: 'method · backend', scale: { scheme: 'tableau20' } } },
      },
      {
        data: { values: rules },
        mark: { type: 'text', align: 'right', dx: -4, dy: -6, fontSize: 10 },
        encoding: { y, x: { datum: maxDepth * 1.45, type: 'quantitative', scale: x.scale }, text: { field: 'label' }, color: { field: 'series', type: 'nominal' } },
      },
      {
        data: { values: points },
        mark: { type: 'rule' },
        encoding: { x, y: { field: 'min', type: 'quantitative', scale: y.scale, title: y.title }, y2: { field: 'max' }, color: { field: 'series', type: 'nominal' } },
      },
      {
        data: { values: points },
        mark: { type: 'line', point: { filled: true, size: 50 } },
        encoding: {
          x, y, color: { field: 'series', type: 'nominal' },
          tooltip: [{ field: 'series' }, { field: 'depthLabel', title: 'depth' }, { field: 'ops', format: ',.0f' }, { field: 'ratio', format: '.2f' }],
        },
      },
    ],
    resolve: { scale: { color: 'shared' } },
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
    resolve: { scale: { color: 'independent', y: 'independent', x: 'independent' } },
    config: { font: 'sans-serif', view: { stroke: '#ddd' }, legend: { labelLimit: 360 } },
  };
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  return view.toSVG();
}
