#!/usr/bin/env node
// `npm run bench`: plan the cases, make the working sets, and per scenario
// start one child process per case, then run the cases one at a time in
// interleaved rounds; again with fresh processes (--processes), each taking
// its share of the rounds; print the table and the summary and write the JSON,
// CSV, chart and HTML report. Exit code 1 when any case failed, 2 for bad
// arguments. `--compare A.json B.json` compares two runs instead.
import fs from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { parseConfig, USAGE } from './lib/config.js';
import { captureEnvironment } from './lib/environment.js';
import { catalog } from './lib/methods/index.js';
import { matches as methodMatches, planCases } from './lib/plan.js';
import { makeProgress } from './lib/progress.js';
import { computeRatios, makeRecord, renderCsv, renderTable } from './lib/report.js';
import { CaseProcess, caseRuns } from './lib/runner.js';
import { mergeProcesses, splitRounds } from './lib/processes.js';
import { compareRows, headlinePairs, renderSummary, summarize } from './lib/summary.js';
import { prepareScenario, recheckScenario, scenarioInstances, BASELINE } from './lib/scenarios.js';

export const SCHEMA_VERSION = 3;
const LOADERS = 3;

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

/** Exit 2 with the valid names when a --method pattern matches no method. */
function checkMethods(config) {
  if (!config.methods) return;
  const ids = [...new Set(catalog({ testMethods: config.testMethods }).map((m) => m.id))];
  const unknown = config.methods.filter((p) => !ids.some((id) => methodMatches([p], id)));
  if (unknown.length) throw new Error(`unknown method ${unknown.join(', ')}; known: ${ids.join(', ')} (or a prefix such as uringfs, or a glob such as *FileHandle*)`);
}

/** A case seen as a row for the summary's comparisons (during the rounds): its runs so far, over its processes. */
function liveRow(c, runs, proc) {
  return {
    proc, method: c.method.id, family: c.method.family, backend: c.backend, depth: c.depth, depthLabel: c.depthLabel,
    isBaseline: Boolean(c.baseline), samplesNs: runs.samplesNs, rounds: runs.rounds, process: runs.process, opsPerRunEach: runs.opsEach,
  };
}

/**
 * Cases of one scenario, in --processes processes per case, one after
 * another: each time start every case's child, warm each up, run that
 * process's share of the rounds interleaved (and of the extra rounds), then
 * collect. Rounds are numbered over the whole scenario, so a round's number
 * says which process it came from.
 */
async function runScenario(s, cases, config, progress) {
  const runnable = s.skip ? [] : cases.filter((c) => !c.skip);
  const state = new Map(runnable.map((c) => [c, { runs: caseRuns(), parts: [], ended: null }]));
  const regular = splitRounds(config.rounds, config.processes);
  const extra = splitRounds(config.maxRounds - config.rounds, config.processes);
  const round = async (r, list) => {
    // Rotate the order each round (A B C, B C A, C A B ...) so that no case
    // always runs first, or right after the same neighbour.
    const live = list.filter((p) => p.alive);
    const k = live.length ? r % live.length : 0;
    for (const p of [...live.slice(k), ...live.slice(0, k)]) {
      await p.run(r);
      progress.step();
    }
  };
  const processes = [];
  let r = 0;
  let regularDone = 0;
  for (let k = 0; k < config.processes; k++) {
    // A case that failed or was skipped in an earlier process is not started again.
    const live = runnable.filter((c) => !state.get(c).ended);
    if (live.length === 0) break;
    const of = config.processes > 1 ? ` (process ${k + 1} of ${config.processes})` : '';
    const t0 = Date.now();
    // Load and set up LOADERS children at a time (nothing is timed meanwhile),
    // then warm up and calibrate each one alone.
    const procs = live.map((c) => new CaseProcess(c, config, state.get(c).runs, k));
    progress.note(`${s.label}: starting ${procs.length} case processes${of}`);
    let next = 0;
    await Promise.all(Array.from({ length: LOADERS }, async () => {
      while (next < procs.length) await procs[next++].load();
    }));
    for (const p of procs) {
      progress.note(`${s.label}: warming up ${p.c.method.id} · ${p.c.backend} · ${p.c.depthLabel}${of}`);
      await p.warmup();
      progress.step();
    }
    const t1 = Date.now();
    const first = r;
    for (let i = 0; i < regular[k]; i++, r++) {
      progress.note(`${s.label}: round ${++regularDone} of ${config.rounds}${of}, ${procs.filter((p) => p.alive).length} cases`);
      await round(r, procs);
    }
    // Extra rounds for the summary's comparisons only, while one of their
    // intervals (from the runs of every process so far) is wider than the
    // target: this process's share of --max-rounds, within a time budget of
    // half what its regular rounds took.
    const budget = 0.5 * (Date.now() - t1);
    const t2 = Date.now();
    let extras = 0;
    while (extras < extra[k] && Date.now() - t2 < budget) {
      const rows = procs.filter((p) => p.alive).map((p) => liveRow(p.c, p.runs, p));
      const wide = headlinePairs(s, rows, config).filter((pair) => {
        const c = compareRows(pair.subject, pair.reference);
        return c && (c.halfWidth === null || c.halfWidth > config.targetCi);
      });
      if (wide.length === 0) break;
      const more = [...new Set(wide.flatMap((pair) => [pair.subject.proc, pair.reference.proc]))];
      progress.grow(more.length);
      progress.note(`${s.label}: extra round ${extras + 1} of up to ${extra[k]}${of} for ${wide.length} comparison(s) wider than ±${Math.round(config.targetCi * 100)}%`);
      await round(r, more);
      r++;
      extras++;
    }
    for (const p of procs) {
      const f = await p.finish();
      const st = state.get(p.c);
      if (f.status === 'ok') st.parts.push(f);
      else st.ended = f.status === 'failed' && of ? { ...f, error: { ...f.error, message: `${f.error.message}${of}` } } : f;
    }
    processes.push({ index: k, rounds: Array.from({ length: r - first }, (_, i) => first + i), extraRounds: extras, startMs: t1 - t0, roundsMs: Date.now() - t1 });
  }
  s.processes = processes;
  const records = [];
  for (const c of cases) {
    const st = state.get(c);
    let rec;
    if (!st) rec = makeRecord(c, { status: 'skipped', reason: c.skip ?? s.skip });
    else if (st.ended) rec = makeRecord(c, st.ended);
    else rec = makeRecord(c, mergeProcesses(st.parts, st.runs));
    records.push(rec);
  }
  computeRatios(records);
  for (let i = 0; i < cases.length; i++) progress.done(cases[i], records[i]);
  return records;
}

function writeOutputs(doc, config, svg, html) {
  const written = [];
  const put = (path, text) => {
    if (!path || text === null || text === undefined) return;
    write(path, text);
    written.push(path);
  };
  let paths = { json: config.json, csv: config.csv, chart: config.chart, html: config.html };
  if (config.defaultOutputs) {
    // One name per run, so no run overwrites another; latest.* are replaced
    // together, after the run's own files are written, never mixed.
    const stamp = doc.startedAt.replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
    const commit = doc.environment.uringfs.commit ? `${String(doc.environment.uringfs.commit).slice(0, 10)}${doc.environment.uringfs.dirty ? '-dirty' : ''}` : 'nocommit';
    const stem = join(config.resultsDir, `${stamp}-${commit}`);
    paths = { json: `${stem}.json`, csv: null, chart: `${stem}.svg`, html: `${stem}.html` };
  }
  put(paths.json, `${JSON.stringify(doc, null, 2)}\n`);
  put(paths.csv, config.csv ? renderCsv(doc.results) : null);
  put(paths.chart, svg);
  put(paths.html, html);
  if (config.defaultOutputs) {
    for (const [k, ext] of [['json', 'json'], ['chart', 'svg'], ['html', 'html']]) {
      const latest = join(config.resultsDir, `latest.${ext}`);
      if (paths[k] && fs.existsSync(paths[k])) fs.copyFileSync(paths[k], latest);
      else fs.rmSync(latest, { force: true });
    }
    written.push(`(copied to ${join(config.resultsDir, 'latest.*')})`);
  }
  return written;
}

async function main() {
  let config;
  try {
    config = parseConfig(process.argv.slice(2));
    checkMethods(config);
  } catch (e) {
    process.stderr.write(`${e.message}\n\n${USAGE}\n`);
    process.exit(2);
  }
  if (config.help) return void process.stdout.write(`${USAGE}\n`);
  if (config.list) return void process.stdout.write(`${listMethods(config)}\n`);
  if (config.compare) {
    const { runCompare } = await import('./lib/compare.js');
    process.exitCode = runCompare(config.compare[0], config.compare[1]);
    return;
  }

  const startedAt = new Date();
  const environment = captureEnvironment(config);
  const scenarios = scenarioInstances(config);
  const cases = planCases(scenarios, environment, config);
  const runnable = cases.filter((c) => !c.skip).length;
  const progress = makeProgress(runnable * (config.rounds + config.processes));
  progress.note(`${environment.uvIoUring.summary}`);

  const records = [];
  for (const s of scenarios) {
    const mine = cases.filter((c) => c.scenario === s);
    if (mine.length === 0) continue;
    progress.note(`preparing ${s.label} in ${config.dataDir}`);
    const prep = prepareScenario(s);
    s.pageCache = prep.pageCache;
    s.created = prep.created;
    if (prep.skip) s.skip = prep.skip;
    records.push(...(await runScenario(s, mine, config, progress)));
    s.pageCache = recheckScenario(s, s.pageCache);
  }
  progress.stop();

  const finishedAt = new Date();
  environment.loadavgAtEnd = os.loadavg();
  const doc = {
    schemaVersion: SCHEMA_VERSION,
    tool: 'uringfs-bench',
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    durationMs: finishedAt - startedAt,
    command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
    config: {
      quick: config.quick, runs: config.rounds, rounds: config.rounds, maxRounds: config.maxRounds, processes: config.processes, repeat: config.repeat, targetCi: config.targetCi,
      warmup: config.warmup, minRunMs: config.minRunMs,
      batches: config.batches, concurrency: config.concurrency, concurrencies: config.concurrencies, methods: config.methods, backends: config.backends,
      dataDir: config.dataDir, scenarios: config.scenarioIds.map((id) => ({ id, ...config.scenarios[id] })),
    },
    environment,
    scenarios: scenarios.map((s) => ({
      key: s.key, id: s.id, kind: s.kind, label: s.label, size: s.size, files: s.files ?? null, fileSize: s.fileSize ?? null,
      opsPerPass: s.opsPerPass, baseline: BASELINE[s.kind], pageCache: s.pageCache ?? null, skip: s.skip ?? null, notes: s.notes ?? [],
      processes: s.processes ?? [],
    })),
    results: computeRatios(records),
  };
  doc.summary = summarize(doc);

  process.stdout.write(`${renderTable(doc.results, doc.scenarios, { color: process.stdout.isTTY })}\n`);
  process.stdout.write(`${renderSummary(doc.summary, config.targetCi)}\n\n`);
  process.stdout.write(`* baseline of the ratios in its block. × base: this row's throughput ÷ the baseline's, geometric mean over the rounds both ran${config.processes > 1 ? ' (each process weighing the same)' : ''}, with its 95% interval${config.processes > 1 ? ', which takes in how much the processes differed' : ''}; verdict: faster / slower when the interval is wholly above / below 1×, else ≈ same. p50/p99/p99.9: per-op latency (see bench/README.md for what is timed). ${environment.uvIoUring.summary}.\n`);
  for (const b of environment.uringfs.backends) {
    const flags = Array.isArray(b.setupFlags) ? b.setupFlags.join('|') || 'none' : (b.setupFlags ?? 'not exposed');
    process.stdout.write(`uringfs backend ${b.name}: ${b.usable ? `SQ ${b.sqEntries}, CQ ${b.cqEntries}, setup flags ${flags}` : `unusable (${b.fallbackReason ?? b.error ?? b.backend})`}\n`);
  }
  process.stdout.write(`${environment.cpu.model} ×${environment.cpu.count}, Linux ${environment.kernel.release}, Node ${environment.node.version} (libuv ${environment.node.uv}), ${environment.filesystem.type} on ${environment.filesystem.source}; ${config.rounds} rounds${config.maxRounds > config.rounds ? ` (up to ${config.maxRounds} for the summary)` : ''}, cases interleaved, in ${config.processes} process${config.processes > 1 ? `es per case, one after another (rounds ${splitRounds(config.rounds, config.processes).join('+')})` : ' per case'}; ${(doc.durationMs / 1000).toFixed(0)} s\n`);

  let svg = null;
  let html = null;
  if (config.defaultOutputs || config.chart || config.html) {
    // The chart libraries load only when a chart is asked for.
    const { renderChart, chartSpec } = await import('./lib/chart.js');
    const { renderHtml } = await import('./lib/html.js');
    svg = await renderChart(doc);
    html = renderHtml(doc, chartSpec(doc));
  }
  const written = writeOutputs(doc, config, svg, html);
  // Other processes steal CPU from the cases, and a sync loop then shows cpu well under 100%:
  // say so rather than let noisy numbers pass for a measurement.
  const load = Math.max(environment.loadavgAtStart[0], environment.loadavgAtEnd[0]);
  if (load > environment.cpu.count * 0.5) {
    process.stdout.write(`WARNING: the machine was busy (1-minute load ${load.toFixed(1)} on ${environment.cpu.count} CPUs): intervals are wider and absolute numbers lower; ratios from interleaved rounds hold up better.\n`);
  }
  if (written.length) process.stdout.write(`wrote ${written.join(', ')}\n`);

  const failed = doc.results.filter((r) => r.status === 'failed');
  if (failed.length) {
    process.stdout.write(`${failed.length} case(s) FAILED:\n${failed.map((r) => `  ${r.scenarioLabel} · ${r.method} · ${r.backend} · ${r.depthLabel}: ${r.error?.message}`).join('\n')}\n`);
    process.exitCode = 1;
  }
}

await main();
