// One case, in its own process, kept for the whole scenario so the parent can
// interleave the variants round by round (A B C, B C A, ...): set the method
// up, warm up and calibrate how many passes make a run last --min-run-ms,
// then time one run each time the parent says `run` (over the IPC channel),
// and report the totals on `finish`. Every reply is one line
// `@@uringfs-bench {json}` on stdout (synchronous on a pipe, so even a reply
// written while the process exits arrives); a crash shows up as a missing line.
import hdr from 'hdr-histogram-js';
import { findMethod } from './lib/methods/index.js';
import { latency, Skip } from './lib/methods/common.js';
import { hydrate } from './lib/scenarios.js';
import { evict } from './lib/workset.js';
import { ioUringSqes } from './lib/sqes.js';
import { MARKER } from './lib/protocol.js';
import { ringInfo } from './lib/ring-info.js';

const MAX_PASSES = 10_000;

let finished = false;
let liveRing = null;
let phase = 'loading';

function reply(msg) {
  process.stdout.write(`${MARKER}${JSON.stringify(msg)}\n`);
}

/** The last word of this process: ok totals, a skip or a failure. */
function final(result) {
  finished = true;
  reply({ type: 'final', ...result });
  process.exit(0);
}

function describeError(e) {
  if (!(e instanceof Error)) return { message: String(e) };
  return { message: e.message, code: e.code, errno: e.errno, syscall: e.syscall, stack: e.stack?.split('\n').slice(0, 6).join('\n') };
}

function checkPass(r, s, method) {
  if (method.fixedPasses) return;
  if (r === undefined || r.ops !== s.opsPerPass || r.bytes !== s.opsPerPass * s.size) {
    throw new Error(`verification failed: a pass reported ${r?.ops} ops / ${r?.bytes} bytes, expected ${s.opsPerPass} / ${s.opsPerPass * s.size}`);
  }
}

/** Before a run of a cold scenario, outside its time: its files leave the page cache. */
function coldStart(s) {
  if (s.cache !== 'cold') return;
  const refusal = evict(s.paths);
  if (refusal) throw new Error(refusal);
}

async function runPasses(impl, passes, s) {
  let ops = 0;
  let bytes = 0;
  let fioNs = 0;
  const fioLatency = [];
  latency.n = 0;
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  for (let p = 0; p < passes; p++) {
    let r = impl.pass(p);
    if (r !== null && typeof r === 'object' && typeof r.then === 'function') r = await r;
    checkPass(r, s, impl);
    ops += r.ops;
    bytes += r.bytes;
    if (r.elapsedNs !== undefined) fioNs += r.elapsedNs;
    if (r.latency) fioLatency.push(r.latency);
  }
  const ns = Number(process.hrtime.bigint() - t0);
  const cpu = process.cpuUsage(cpu0);
  return { ops, bytes, ns: impl.fixedPasses ? fioNs : ns, wallNs: ns, cpuNs: (cpu.user + cpu.system) * 1000, fioLatency };
}

async function main() {
  const spec = JSON.parse(process.argv[2]);
  const method = findMethod(spec.methodId, spec.scenario.kind, { testMethods: spec.testMethods });
  if (!method) throw new Error(`no method ${spec.methodId} for ${spec.scenario.kind}`);
  const scenario = hydrate(spec.scenario);
  const ctx = { scenario, depth: spec.depth, minRunMs: spec.minRunMs, fioMinMs: spec.fioMinMs ?? 250 };
  let ring = null;
  if (method.family === 'uringfs') {
    ctx.u = await import('uringfs');
    ctx.up = await import('uringfs/promises');
    // A --ring variant: a ring with those options becomes the default one, so
    // every flavour (callbacks, promises, readFiles, batches) uses it.
    if (spec.ringOptions) ctx.u.setDefaultRing(new ctx.u.Ring(spec.ringOptions));
    ring = liveRing = ctx.ring = ctx.u.defaultRing();
    const has = { batch: typeof ring.batch === 'function', registered: typeof ring.registerFile === 'function', readFiles: typeof ctx.up.readFiles === 'function', readFilesSync: typeof ctx.u.readFilesSync === 'function' };
    for (const r of method.requires ?? []) if (!has[r]) throw new Skip(`this uringfs has no ${r === 'batch' ? 'ring.batch()' : r === 'registered' ? 'ring.registerFile()' : r}`);
  }

  phase = 'setup';
  const impl = await method.setup(ctx);
  // Loaded and set up (the parent starts several at once); the warm-up and
  // calibration wait for the parent's word, so that they run alone.
  phase = 'waiting';
  reply({ type: 'loaded' });
  const first = await nextMessage();
  if (first.cmd !== 'warmup') return finishEarly(impl);
  const warmupNs = [];
  phase = 'warm-up';
  for (let w = 0; w < spec.warmup; w++) {
    coldStart(scenario);
    await impl.beforeRun?.();
    const r = await runPasses(impl, 1, scenario);
    await impl.afterRun?.();
    warmupNs.push(r.ns);
  }
  latency.drain(null);
  let passes = 1;
  // A cold run is one pass: a second would find the files the first read in the cache.
  if (!impl.fixedPasses && warmupNs.length > 0 && scenario.cache !== 'cold') {
    const perPass = Math.min(...warmupNs);
    passes = Math.min(MAX_PASSES, Math.max(1, Math.ceil((spec.minRunMs * 1e6) / Math.max(perPass, 1))));
  }

  // Totals over the measured runs, reported on `finish`.
  const hist = hdr.build({ numberOfSignificantValueDigits: 3 });
  const fioLatency = [];
  const stats0 = ring?.stats();
  const sqes0 = ioUringSqes();
  const t = { ops: 0, wallNs: 0, cpuNs: 0, runs: 0 };
  let opsPerRun = null;
  let bytesPerRun = null;

  // One round's sample: the fastest of `repeat` back-to-back runs. On a
  // shared machine a run is slowed by whatever else gets the CPU meanwhile;
  // the fastest of a few short runs is the least disturbed one.
  const runOnce = async () => {
    let best = null;
    // fio's own clock leaves its start-up out; one fio job per round is enough.
    const repeat = impl.fixedPasses ? 1 : (spec.repeat ?? 1);
    for (let k = 0; k < repeat; k++) {
      phase = `run ${t.runs + 1}`;
      coldStart(scenario);
      await impl.beforeRun?.();
      // While a run is in flight the IPC channel must not keep the process
      // alive: if the method loses a completion, the loop empties and the
      // exit handler says so instead of the case hanging until its timeout.
      process.channel?.unref();
      const r = await runPasses(impl, passes, scenario);
      process.channel?.ref();
      await impl.afterRun?.();
      latency.drain(hist);
      fioLatency.push(...r.fioLatency);
      if (opsPerRun === null) {
        opsPerRun = r.ops;
        bytesPerRun = r.bytes;
      } else if (r.ops !== opsPerRun && !impl.fixedPasses) {
        throw new Error(`run ${t.runs} did ${r.ops} ops, run 0 did ${opsPerRun}`);
      }
      t.ops += r.ops;
      t.wallNs += r.wallNs;
      t.cpuNs += r.cpuNs;
      t.runs++;
      if (best === null || r.ns / r.ops < best.ns / best.ops) best = r;
    }
    phase = 'waiting';
    reply({ type: 'run', ns: best.ns, ops: best.ops, bytes: best.bytes });
  };

  // The totals go back raw (counts, not ratios; the histogram itself, not its
  // percentiles): the parent adds up the processes of a case before it divides.
  const finish = async () => {
    phase = 'finish';
    const sqes1 = ioUringSqes();
    const result = { status: 'ok', pid: process.pid, warmupNs, passes, repeat: spec.repeat, opsPerRun, bytesPerRun, ring: ring ? ringInfo(ring) : null };
    if (ring) {
      const s1 = ring.stats();
      result.ringStats = {
        enters: s1.enters - stats0.enters,
        submitted: s1.submitted - stats0.submitted,
        completed: s1.completed - stats0.completed,
        maxInFlight: s1.maxInFlight,
        cqOverflows: s1.cqOverflows - stats0.cqOverflows,
      };
    }
    result.totalOps = t.ops;
    // CPU time of this process (all its threads, io_uring's io-wq workers too)
    // and wall time in the measured runs; fio's CPU is not this process's.
    result.cpuNs = impl.fixedPasses ? null : t.cpuNs;
    result.wallNs = t.wallNs;
    result.ioUringSqes = sqes1.total - sqes0.total;
    result.ioUringRings = sqes1.rings;
    result.latencyHistogram = hist.totalCount > 0 ? hdr.encodeIntoCompressedBase64(hist) : null;
    result.fioLatency = fioLatency;
    if (impl.command) result.command = impl.command;
    await impl.close?.();
    final(result);
  };

  phase = 'waiting';
  reply({ type: 'ready', passes, warmupNs });
  for (;;) {
    const msg = await nextMessage();
    if (msg.cmd === 'run') await runOnce();
    else return finish();
  }
}

// Commands from the parent, one at a time.
const inbox = [];
let waiting = null;
process.on('message', (msg) => {
  if (waiting) {
    const w = waiting;
    waiting = null;
    w(msg);
  } else inbox.push(msg);
});
function nextMessage() {
  if (inbox.length) return Promise.resolve(inbox.shift());
  return new Promise((resolve) => (waiting = resolve));
}

/** Told to stop before warming up: close and leave. */
async function finishEarly(impl) {
  await impl.close?.();
  final({ status: 'skipped', reason: 'stopped before its warm-up' });
}

// If the event loop empties while the method still waits for something
// (a lost completion, an unreferenced handle), say so instead of vanishing.
process.on('exit', (code) => {
  if (finished) return;
  const stats = liveRing ? JSON.stringify(liveRing.stats()) : 'n/a';
  reply({ type: 'final', status: 'failed', error: { message: `the process exited (code ${code}) during ${phase} with work still pending: the event loop ran empty; ring stats ${stats}` } });
});
// The parent went away: nothing will ask for more runs.
process.on('disconnect', () => { if (!finished) { finished = true; process.exit(0); } });
process.on('uncaughtException', (e) => final({ status: 'failed', error: describeError(e) }));
process.on('unhandledRejection', (e) => final({ status: 'failed', error: describeError(e) }));
main().catch((e) => {
  if (e instanceof Skip) final({ status: 'skipped', reason: e.message });
  final({ status: 'failed', error: describeError(e) });
});
