// A case runs in several processes, one after another (--processes): one
// process's rounds share its memory layout, its JIT state and its cores, so
// they differ less from each other than from another process's rounds, and
// only rounds from several processes show how much a process matters. Here:
// how the rounds are split among the processes, and how the processes'
// totals become one case's.
import hdr from 'hdr-histogram-js';
import { median } from './stats.js';

/** `total` rounds over `parts` processes, the first ones taking what does not divide: 10 over 3 → [4, 3, 3]. */
export function splitRounds(total, parts) {
  const base = Math.floor(total / parts);
  return Array.from({ length: parts }, (_, k) => base + (k < total % parts ? 1 : 0));
}

/** Latency percentiles of the runs of every process: their histograms added, or fio's per-run percentiles. */
function mergeLatency(parts) {
  const encoded = parts.map((p) => p.latencyHistogram).filter(Boolean);
  if (encoded.length) {
    const hist = hdr.build({ numberOfSignificantValueDigits: 3 });
    for (const e of encoded) hist.add(hdr.decodeFromCompressedBase64(e));
    return {
      source: 'harness', count: hist.totalCount, p50: hist.getValueAtPercentile(50), p90: hist.getValueAtPercentile(90),
      p99: hist.getValueAtPercentile(99), p999: hist.getValueAtPercentile(99.9), max: hist.maxValue, mean: hist.mean,
    };
  }
  const fio = parts.flatMap((p) => p.fioLatency ?? []);
  if (fio.length) {
    // fio's percentiles per run; the median of each across the runs.
    const m = (k) => median(fio.map((l) => l[k]));
    return { source: 'fio', count: fio.reduce((a, l) => a + l.count, 0), p50: m('p50'), p90: m('p90'), p99: m('p99'), p999: m('p999'), max: Math.max(...fio.map((l) => l.max)), mean: m('mean') };
  }
  return null;
}

const sum = (xs) => xs.reduce((a, x) => a + x, 0);

/**
 * One case's result from its processes' final reports (`parts`, each with
 * its process index, all 'ok') and the runs the parent collected over all of
 * them (`runs`: samplesNs, rounds, process, opsEach, bytesEach). Counters are
 * added up before they are divided; per-process details stay in `processes`.
 */
export function mergeProcesses(parts, runs) {
  const first = parts[0];
  const ops = sum(parts.map((p) => p.totalOps));
  let ringStats = null;
  if (parts.every((p) => p.ringStats)) {
    const total = (k) => sum(parts.map((p) => p.ringStats[k]));
    ringStats = {
      enters: total('enters'), submitted: total('submitted'), completed: total('completed'),
      maxInFlight: Math.max(...parts.map((p) => p.ringStats.maxInFlight)), cqOverflows: total('cqOverflows'),
    };
  }
  const cpu = parts.every((p) => p.cpuNs !== null && p.cpuNs !== undefined) ? sum(parts.map((p) => p.cpuNs)) : null;
  const wall = sum(parts.map((p) => p.wallNs));
  return {
    status: 'ok',
    pid: first.pid,
    // The calibration is each process's own: runs of different processes may hold different numbers of passes.
    passes: first.passes,
    repeat: first.repeat,
    opsPerRun: first.opsPerRun,
    bytesPerRun: first.bytesPerRun,
    ring: first.ring,
    command: first.command,
    warmupNs: parts.flatMap((p) => p.warmupNs),
    ringStats,
    entersPerOp: ringStats ? ringStats.enters / ops : null,
    cpuPerWall: cpu === null ? null : cpu / wall,
    ioUringSqesPerOp: sum(parts.map((p) => p.ioUringSqes)) / ops,
    ioUringRings: Math.max(...parts.map((p) => p.ioUringRings)),
    totalOps: ops,
    latency: mergeLatency(parts),
    processes: parts.map((p) => ({
      index: p.index, pid: p.pid, passes: p.passes, warmupNs: p.warmupNs, runs: runs.process.filter((k) => k === p.index).length,
    })),
    samplesNs: runs.samplesNs,
    rounds: runs.rounds,
    process: runs.process,
    opsPerRunEach: runs.opsEach,
    bytesPerRunEach: runs.bytesEach,
  };
}
