// One case, in its own process: set the method up, warm up, calibrate how
// many passes make a run last --min-run-ms, then time the runs. Prints one
// line `@@uringfs-bench {json}` on stdout; any failure is reported the same
// way (status "failed"), and a crash shows up as a missing line.
import { findMethod } from './lib/methods/index.js';
import { Skip } from './lib/methods/common.js';
import { hydrate } from './lib/scenarios.js';
import { ioUringSqes } from './lib/sqes.js';
import { MARKER } from './lib/protocol.js';
import { ringInfo } from './lib/ring-info.js';

const MAX_PASSES = 10_000;

let reported = false;
let liveRing = null;
let phase = 'loading';

function report(result) {
  reported = true;
  process.stdout.write(`${MARKER}${JSON.stringify(result)}\n`);
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

async function runPasses(impl, passes, s) {
  let ops = 0;
  let bytes = 0;
  let fioNs = 0;
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  for (let p = 0; p < passes; p++) {
    let r = impl.pass(p);
    if (r !== null && typeof r === 'object' && typeof r.then === 'function') r = await r;
    checkPass(r, s, impl);
    ops += r.ops;
    bytes += r.bytes;
    if (r.elapsedNs !== undefined) fioNs += r.elapsedNs;
  }
  const ns = Number(process.hrtime.bigint() - t0);
  const cpu = process.cpuUsage(cpu0);
  return { ops, bytes, ns: impl.fixedPasses ? fioNs : ns, wallNs: ns, cpuNs: (cpu.user + cpu.system) * 1000 };
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
  const result = { status: 'ok', pid: process.pid, warmupNs: [], samplesNs: [], ring: ring ? ringInfo(ring) : null };

  phase = 'warm-up';
  for (let w = 0; w < spec.warmup; w++) {
    await impl.beforeRun?.();
    const r = await runPasses(impl, 1, scenario);
    await impl.afterRun?.();
    result.warmupNs.push(r.ns);
  }
  let passes = 1;
  if (!impl.fixedPasses && result.warmupNs.length > 0) {
    const perPass = Math.min(...result.warmupNs);
    passes = Math.min(MAX_PASSES, Math.max(1, Math.ceil((spec.minRunMs * 1e6) / Math.max(perPass, 1))));
  }
  result.passes = passes;

  const stats0 = ring?.stats();
  const sqes0 = ioUringSqes();
  let totalOps = 0;
  let wallNs = 0;
  let cpuNs = 0;
  for (let i = 0; i < spec.runs; i++) {
    phase = `run ${i + 1}`;
    await impl.beforeRun?.();
    const r = await runPasses(impl, passes, scenario);
    await impl.afterRun?.();
    result.samplesNs.push(r.ns);
    if (i === 0) {
      result.opsPerRun = r.ops;
      result.bytesPerRun = r.bytes;
    } else if (r.ops !== result.opsPerRun && !impl.fixedPasses) {
      throw new Error(`run ${i} did ${r.ops} ops, run 0 did ${result.opsPerRun}`);
    }
    if (impl.fixedPasses) {
      // fio: each run reports its own count; keep the per-run rate exact.
      (result.opsPerRunEach ??= []).push(r.ops);
      (result.bytesPerRunEach ??= []).push(r.bytes);
    }
    totalOps += r.ops;
    wallNs += r.wallNs;
    cpuNs += r.cpuNs;
  }
  const sqes1 = ioUringSqes();
  if (ring) {
    const s1 = ring.stats();
    result.ringStats = {
      enters: s1.enters - stats0.enters,
      submitted: s1.submitted - stats0.submitted,
      completed: s1.completed - stats0.completed,
      maxInFlight: s1.maxInFlight,
      cqOverflows: s1.cqOverflows - stats0.cqOverflows,
    };
    result.entersPerOp = result.ringStats.enters / totalOps;
  }
  // CPU time of this process (all its threads, io_uring's io-wq workers too)
  // over wall time in the measured runs: 1 = one core busy, <1 = waiting.
  result.cpuPerWall = impl.fixedPasses ? null : cpuNs / wallNs;
  result.ioUringSqesPerOp = (sqes1.total - sqes0.total) / totalOps;
  result.ioUringRings = sqes1.rings;
  result.totalOps = totalOps;
  if (impl.command) result.command = impl.command;
  await impl.close?.();
  report(result);
}

// If the event loop empties while the method still waits for something
// (a lost completion, an unreferenced handle), say so instead of vanishing.
process.on('exit', (code) => {
  if (reported) return;
  const stats = liveRing ? JSON.stringify(liveRing.stats()) : 'n/a';
  process.stdout.write(`${MARKER}${JSON.stringify({ status: 'failed', error: { message: `the process exited (code ${code}) during ${phase} with work still pending: the event loop ran empty; ring stats ${stats}` } })}\n`);
});
process.on('uncaughtException', (e) => report({ status: 'failed', error: describeError(e) }));
process.on('unhandledRejection', (e) => report({ status: 'failed', error: describeError(e) }));
main().catch((e) => {
  if (e instanceof Skip) report({ status: 'skipped', reason: e.message });
  report({ status: 'failed', error: describeError(e) });
});
