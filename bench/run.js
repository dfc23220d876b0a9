#!/usr/bin/env node
// `npm run bench`: plan the cases, make the working sets, run every case in a
// fresh child process (one at a time), then print the table and write the
// JSON, CSV, chart and HTML report. Exit code 1 when any case failed.
import fs from 'node:fs';
import os from 'node:os';
import { dirname } from 'node:path';
import { parseConfig, USAGE } from './lib/config.js';
import { captureEnvironment } from './lib/environment.js';
import { catalog } from './lib/methods/index.js';
import { planCases } from './lib/plan.js';
import { makeProgress } from './lib/progress.js';
import { computeRatios, makeRecord, renderCsv, renderTable } from './lib/report.js';
import { runCase } from './lib/runner.js';
import { evaluateTargets, renderTargets } from './lib/targets.js';
import { prepareScenario, recheckScenario, scenarioInstances, BASELINE } from './lib/scenarios.js';

export const SCHEMA_VERSION = 1;

function write(path, text) {
  fs.mkdirSync(dirname(path), { recursive: true });
  fs.writeFileSync(path, text);
}

function listMethods(config) {
  const lines = ['Scenarios:'];
  for (const s of scenarioInstances({ ...config, scenarioIds: Object.keys(config.scenarios) })) lines.push(`  ${s.id.padEnd(20)} ${s.label} (baseline ${s.baseline})`);
  lines.push('', 'Methods (id · applies to · depths):');
  for (const m of catalog({ testMethods: config.testMethods })) {
    lines.push(`  ${m.id.padEnd(44)} ${m.kinds.join(',').padEnd(8)} ${m.depths.join(',').padEnd(18)} ${m.describe}`);
  }
  return lines.join('\n');
}

async function main() {
  let config;
  try {
    config = parseConfig(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`${e.message}\n\n${USAGE}\n`);
    process.exit(2);
  }
  if (config.help) return void process.stdout.write(`${USAGE}\n`);
  if (config.list) return void process.stdout.write(`${listMethods(config)}\n`);

  const startedAt = new Date();
  const environment = captureEnvironment(config);
  const scenarios = scenarioInstances(config);
  const cases = planCases(scenarios, environment, config);
  const progress = makeProgress(cases.length);
  progress.note(`${environment.uvIoUring.summary}`);

  const records = [];
  let current = null;
  for (const c of cases) {
    const s = c.scenario;
    if (current !== s) {
      if (current) current.pageCache = recheckScenario(current, current.pageCache);
      current = s;
      progress.note(`preparing ${s.label} in ${config.dataDir}`);
      const prep = prepareScenario(s);
      s.pageCache = prep.pageCache;
      s.created = prep.created;
      if (prep.skip) s.skip = prep.skip;
    }
    progress.start(c);
    let rec;
    if (c.skip || s.skip) rec = makeRecord(c, { status: 'skipped', reason: c.skip ?? s.skip });
    else {
      const t0 = Date.now();
      rec = makeRecord(c, await runCase(c, config));
      rec.wallMs = Date.now() - t0;
    }
    records.push(rec);
    computeRatios(records);
    progress.done(c, rec);
  }
  if (current) current.pageCache = recheckScenario(current, current.pageCache);
  progress.stop();

  const finishedAt = new Date();
  environment.loadavgAtEnd = os.loadavg();
  const doc = {
    schemaVersion: SCHEMA_VERSION,
    tool: 'uringfs-bench',
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    durationMs: finishedAt - startedAt,
    config: {
      quick: config.quick, runs: config.runs, warmup: config.warmup, minRunMs: config.minRunMs,
      batches: config.batches, concurrency: config.concurrency, methods: config.methods, backends: config.backends,
      dataDir: config.dataDir, scenarios: config.scenarioIds.map((id) => ({ id, ...config.scenarios[id] })),
    },
    environment,
    scenarios: scenarios.map((s) => ({
      key: s.key, id: s.id, kind: s.kind, label: s.label, size: s.size, files: s.files ?? null, fileSize: s.fileSize ?? null,
      opsPerPass: s.opsPerPass, baseline: BASELINE[s.kind], pageCache: s.pageCache ?? null, skip: s.skip ?? null, notes: s.notes ?? [],
    })),
    results: computeRatios(records),
  };
  doc.targets = evaluateTargets(doc);

  process.stdout.write(`${renderTable(doc.results, doc.scenarios, { color: process.stdout.isTTY })}\n`);
  const targetText = renderTargets(doc.targets);
  if (targetText) process.stdout.write(`${targetText}\n\n`);
  process.stdout.write(`* baseline of the ratios in its block. ${environment.uvIoUring.summary}.\n`);
  for (const b of environment.uringfs.backends) {
    const flags = Array.isArray(b.setupFlags) ? b.setupFlags.join('|') || 'none' : (b.setupFlags ?? 'not exposed');
    process.stdout.write(`uringfs backend ${b.name}: ${b.usable ? `SQ ${b.sqEntries}, CQ ${b.cqEntries}, setup flags ${flags}` : `unusable (${b.fallbackReason ?? b.error ?? b.backend})`}\n`);
  }
  process.stdout.write(`${environment.cpu.model} ×${environment.cpu.count}, Linux ${environment.kernel.release}, Node ${environment.node.version} (libuv ${environment.node.uv}), ${environment.filesystem.type} on ${environment.filesystem.source}; ${config.runs} run${config.runs === 1 ? "" : "s"} per case; ${(doc.durationMs / 1000).toFixed(0)} s\n`);

  if (config.json) write(config.json, `${JSON.stringify(doc, null, 2)}\n`);
  if (config.csv) write(config.csv, renderCsv(doc.results));
  if (config.chart || config.html) {
    // The chart libraries load only when a chart is asked for.
    const { renderChart } = await import('./lib/chart.js');
    const { renderHtml } = await import('./lib/html.js');
    const svg = await renderChart(doc.results, doc.scenarios, environment);
    if (config.chart && svg) write(config.chart, svg);
    if (config.html) write(config.html, renderHtml(doc, svg));
  }
  // Other processes steal CPU from the cases, and a sync loop then shows cpu well under 100%:
  // say so rather than let noisy numbers pass for a measurement.
  const load = Math.max(environment.loadavgAtStart[0], environment.loadavgAtEnd[0]);
  if (load > environment.cpu.count * 0.5) {
    process.stdout.write(`WARNING: the machine was busy (1-minute load ${load.toFixed(1)} on ${environment.cpu.count} CPUs): the numbers are noisy; run again on an idle machine.\n`);
  }
  const written = [config.json, config.csv, config.chart, config.html].filter(Boolean);
  if (written.length) process.stdout.write(`wrote ${written.join(', ')}\n`);

  const failed = doc.results.filter((r) => r.status === 'failed');
  if (failed.length) {
    process.stdout.write(`${failed.length} case(s) FAILED:\n${failed.map((r) => `  ${r.scenarioLabel} · ${r.method} · ${r.backend} · ${r.depthLabel}: ${r.error?.message}`).join('\n')}\n`);
    process.exitCode = 1;
  }
}

await main();
