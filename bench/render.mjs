#!/usr/bin/env node
// `node bench/render.mjs RESULT.json OUT.svg [OUT.html]`: the chart (and the HTML report) of a run
// already made, from its JSON — e.g. to put a run's chart in the docs without running it again.
import fs from 'node:fs';
import { chartSpec, renderChart } from './lib/chart.js';
import { renderHtml } from './lib/html.js';

const [input, svgOut, htmlOut] = process.argv.slice(2);
if (!input || !svgOut) {
  console.error('usage: node bench/render.mjs RESULT.json OUT.svg [OUT.html]');
  process.exit(2);
}
const doc = JSON.parse(fs.readFileSync(input, 'utf8'));
const svg = await renderChart(doc);
if (svg === null) {
  console.error(`${input}: no results to chart`);
  process.exit(1);
}
fs.writeFileSync(svgOut, svg);
if (htmlOut) fs.writeFileSync(htmlOut, renderHtml(doc, chartSpec(doc)));
