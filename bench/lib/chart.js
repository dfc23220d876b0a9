// The chart: one row per scenario, two panels. Left: throughput as a ratio to
// the scenario's baseline (log₂ axis, the 1× line drawn), against batch size
// or ops in flight (log₂); batch-size series are lines with their 95%
// intervals as bands, the knee circled; methods with one depth are points
// with interval bars. Right: per-op p99 latency on the same x axis (log).
// One colour per method across every panel; the backend is the point shape
// and the dash. No labels are drawn in the plot (the legend names series),
// so none can overlap. Vega-Lite spec → Vega → SVG string, headless
// (renderer 'none', no canvas); the HTML report renders the same spec live.
import * as vega from 'vega';
import { compile } from 'vega-lite';
import { BASELINE_WHY } from './scenarios.js';
import { catalog } from './methods/index.js';

// uringfs methods get strong, distinct colours; node:fs methods (the
// references) greys and browns; fio black. A method keeps its colour in
// every panel, and in every run (the order is the catalog's).
const STRONG = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#17becf', '#e377c2', '#bcbd22', '#8c564b',
  '#393b79', '#e6550d', '#31a354', '#756bb1', '#d6616b', '#3182bd', '#637939', '#7b4173', '#ad494a'];
const MUTED = ['#7f7f7f', '#a6761d', '#525252', '#bdbdbd', '#8c6d31', '#636363', '#c49c94', '#969696', '#6b4c2a', '#d9c7a7'];
const BACKENDS = ['node', 'uv_io_uring', 'io_uring', 'threads', 'fio', 'c'];
const SHAPES = ['square', 'diamond', 'circle', 'triangle-up', 'cross', 'triangle-down', 'wedge', 'stroke'];
const DASHES = [[6, 3], [2, 2], [1, 0], [8, 3, 2, 3], [4, 4], [10, 2], [1, 3], [12, 4, 4, 4]];

// µs labels: 100k, 1M, but 0.1 (not "100m") below 1 µs.
const LAT_LABEL = "datum.value >= 1e6 ? format(datum.value / 1e6, '~g') + 'M' : datum.value >= 1e3 ? format(datum.value / 1e3, '~g') + 'k' : format(datum.value, '~g')";

const us = (ns) => (ns === null || ns === undefined ? null : ns / 1e3);

function points(doc, s, kneeKeys) {
  const rows = doc.results.filter((r) => r.scenario === s.key && r.status === 'ok' && r.ratio);
  // Methods with one depth often share it (every sync loop is at 1): spread
  // them a little sideways so their points and bars do not hide each other.
  const spread = new Map();
  for (const d of new Set(rows.filter((r) => !r.batchSeries).map((r) => r.depth))) {
    const same = rows.filter((r) => !r.batchSeries && r.depth === d);
    same.forEach((r, i) => spread.set(r, d * 2 ** ((i - (same.length - 1) / 2) * Math.min(0.1, 0.9 / same.length))));
  }
  return rows.map((r) => ({
    x: spread.get(r) ?? r.depth,
    scenario: s.label,
    method: r.method,
    backend: r.backend,
    series: `${r.method} · ${r.backend}`,
    line: r.batchSeries,
    depth: r.depth,
    depthLabel: r.depthLabel,
    ratio: r.ratio.ratio,
    lo: r.ratio.lo ?? r.ratio.ratio,
    hi: r.ratio.hi ?? r.ratio.ratio,
    ratioText: r.isBaseline ? '1× (baseline)' : `${r.ratio.ratio.toFixed(2)}× (${(r.ratio.lo ?? r.ratio.ratio).toFixed(2)}–${(r.ratio.hi ?? r.ratio.ratio).toFixed(2)}), ${r.ratio.verdict}`,
    ops: r.opsPerSec.mean,
    p50: us(r.latency?.p50),
    p99: us(r.latency?.p99),
    p999: us(r.latency?.p999),
    knee: kneeKeys.has(`${r.method}|${r.backend}|${r.depth}`),
  }));
}

function panels(doc, s, colorScale, shapeScale, dashScale, maxX) {
  const kneeKeys = new Set((doc.summary?.find((x) => x.scenario === s.key)?.knees ?? []).map((k) => `${k.method}|${k.backend}|${k.kneeDepth}`));
  const values = points(doc, s, kneeKeys);
  const depths = [...new Set(values.map((v) => v.depth))].sort((a, b) => a - b);
  const x = {
    field: 'x', type: 'quantitative', title: 'batch size / ops in flight (log₂)',
    scale: { type: 'log', base: 2, domain: [0.7, maxX * 1.4], nice: false },
    axis: { values: depths, labelOverlap: 'greedy', format: 'd' },
  };
  const color = { field: 'method', type: 'nominal', title: 'method (colour)', scale: colorScale, legend: { orient: 'bottom', columns: 2, symbolLimit: 60, direction: 'vertical' } };
  const shape = { field: 'backend', type: 'nominal', title: 'backend (shape, dash)', scale: shapeScale, legend: { orient: 'right', direction: 'vertical' } };
  const dash = { field: 'backend', type: 'nominal', title: 'backend (shape, dash)', scale: dashScale };
  const tooltip = [
    { field: 'series', title: 'method · backend' }, { field: 'depthLabel', title: 'batch/depth' },
    { field: 'ratioText', title: '× baseline' }, { field: 'ops', title: 'ops/s', format: ',.0f' },
    { field: 'p50', title: 'p50 µs', format: ',.1f' }, { field: 'p99', title: 'p99 µs', format: ',.1f' }, { field: 'p999', title: 'p99.9 µs', format: ',.1f' },
  ];
  const ratios = values.flatMap((v) => [v.lo, v.hi]);
  const yr = { min: Math.min(1, ...ratios), max: Math.max(1, ...ratios) };
  const yRatio = {
    field: 'ratio', type: 'quantitative', title: '× baseline (log₂)',
    scale: { type: 'log', base: 2, domain: [yr.min / 1.15, yr.max * 1.15], nice: false },
    axis: { format: '.2~f', labelExpr: "datum.label + '×'" },
  };
  const W = 280;
  const H = 190;
  const left = {
    width: W, height: H,
    title: { text: s.label, subtitle: `÷ ${BASELINE_WHY[s.kind].split(' (')[0]}; 95% bands; ○ knee`, anchor: 'start', fontSize: 13, subtitleFontSize: 10 },
    layer: [
      { mark: { type: 'rule', color: '#000', strokeWidth: 1 }, encoding: { y: { datum: 1, type: 'quantitative', scale: yRatio.scale } } },
      { data: { values: values.filter((v) => v.line) }, mark: { type: 'area', opacity: 0.15 }, encoding: { x, y: { field: 'lo', type: 'quantitative', scale: yRatio.scale, title: yRatio.title, axis: yRatio.axis }, y2: { field: 'hi' }, color, detail: { field: 'series' } } },
      { data: { values: values.filter((v) => !v.line) }, mark: { type: 'rule', strokeWidth: 2, opacity: 0.7 }, encoding: { x, y: { field: 'lo', type: 'quantitative', scale: yRatio.scale, title: yRatio.title, axis: yRatio.axis }, y2: { field: 'hi' }, color } },
      { data: { values: values.filter((v) => v.line) }, mark: { type: 'line', strokeWidth: 1.8 }, encoding: { x, y: yRatio, color, strokeDash: dash, detail: { field: 'series' } } },
      { data: { values }, mark: { type: 'point', filled: true, size: 45, opacity: 0.95 }, encoding: { x, y: yRatio, color, shape, tooltip } },
      { data: { values: values.filter((v) => v.knee) }, mark: { type: 'point', filled: false, size: 260, strokeWidth: 1.5, color: '#000', shape: 'circle' }, encoding: { x, y: yRatio, tooltip } },
    ],
  };
  const withLat = values.filter((v) => v.p99 !== null);
  const right = withLat.length === 0 ? null : {
    width: W, height: H,
    title: { text: ' ', subtitle: 'per-op p99 latency (async methods, fio)', anchor: 'start', fontSize: 13, subtitleFontSize: 10 },
    data: { values: withLat },
    layer: [
      { transform: [{ filter: 'datum.line' }], mark: { type: 'line', strokeWidth: 1.8 }, encoding: { x, y: { field: 'p99', type: 'quantitative', title: 'p99 latency (µs, log)', scale: { type: 'log' }, axis: { tickCount: 5, labelExpr: LAT_LABEL } }, color, strokeDash: dash, detail: { field: 'series' } } },
      { mark: { type: 'point', filled: true, size: 45 }, encoding: { x, y: { field: 'p99', type: 'quantitative', scale: { type: 'log' }, axis: { tickCount: 5, labelExpr: LAT_LABEL } }, color, shape, tooltip } },
    ],
  };
  // Flush bounds: every row lays its panels out by their plot areas alone
  // (titles and axes sit in the spacing), so the rows line up.
  return { hconcat: right ? [left, right] : [left], bounds: 'flush', spacing: 100 };
}

/** The Vega spec (compiled from Vega-Lite) of the whole run, or null when nothing succeeded. */
export function chartSpec(doc, { aria = true } = {}) {
  const ok = doc.results.filter((r) => r.status === 'ok' && r.ratio);
  if (ok.length === 0) return null;
  // Colours follow the catalog's order, so a method has the same colour in every run.
  const ids = [...new Set(catalog({ testMethods: true }).map((m) => m.id))];
  const family = new Map(catalog({ testMethods: true }).map((m) => [m.id, m.family]));
  const ran = new Set(ok.map((r) => r.method));
  const node = ids.filter((id) => family.get(id) === 'node' || family.get(id) === 'test');
  const uring = ids.filter((id) => family.get(id) === 'uringfs');
  const colorOf = new Map([...node.map((id, i) => [id, MUTED[i % MUTED.length]]), ...uring.map((id, i) => [id, STRONG[i % STRONG.length]]), ['fio.io_uring', '#000000'], ['floor.c', '#7f7f7f']]);
  const methods = [...node, ...uring, 'fio.io_uring', 'floor.c'].filter((id) => ran.has(id));
  const colorScale = { domain: methods, range: methods.map((id) => colorOf.get(id)) };
  const backends = [...new Set(ok.map((r) => r.backend))].sort((a, b) => (BACKENDS.indexOf(a.split('[')[0]) - BACKENDS.indexOf(b.split('[')[0])) || a.localeCompare(b));
  const shapeScale = { domain: backends, range: backends.map((_, i) => SHAPES[i % SHAPES.length]) };
  const dashScale = { domain: backends, range: backends.map((_, i) => DASHES[i % DASHES.length]) };
  const rows = [];
  for (const s of doc.scenarios) {
    if (!ok.some((r) => r.scenario === s.key)) continue;
    const maxX = Math.max(2, ...ok.filter((r) => r.scenario === s.key).map((r) => r.depth));
    rows.push(panels(doc, s, colorScale, shapeScale, dashScale, maxX));
  }
  const env = doc.environment;
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: 'uringfs benchmark: throughput relative to each scenario\'s baseline, and p99 latency',
      subtitle: `${env.cpu.model} ×${env.cpu.count} · Linux ${env.kernel.release} · Node ${env.node.version} · ${env.filesystem.type ?? '?'} · ${doc.config.rounds} interleaved rounds`,
      anchor: 'start',
    },
    vconcat: rows,
    spacing: 18,
    resolve: { scale: { y: 'independent', x: 'independent' } },
    config: {
      font: 'sans-serif',
      view: { stroke: '#ddd' },
      legend: { labelLimit: 0, titleLimit: 0, labelFontSize: 11, titleFontSize: 11, symbolOpacity: 1 },
      axis: { labelFontSize: 10, titleFontSize: 11, titleLimit: 0 },
      ...(aria ? {} : { aria: false }),
    },
  };
  return compile(spec).spec;
}

/** SVG of every scenario that has results. Its marks carry no ARIA labels: the
 * file is shown as an image (README, docs), whose alt text is what a screen
 * reader reads, and a label per mark would make it several times larger. */
export async function renderChart(doc) {
  const spec = chartSpec(doc, { aria: false });
  if (!spec) return null;
  const view = new vega.View(vega.parse(spec), { renderer: 'none' });
  return view.toSVG();
}
