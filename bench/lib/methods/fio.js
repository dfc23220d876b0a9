// fio's io_uring engine as the reference for what the kernel can do at the
// same depth. Each run is one fio process; its own clock (runtime, in ms) is
// used, so fio's start-up is not counted. fio reports milliseconds, so the
// first run sizes the job to last at least --min-run-ms and at least ~150 ms
// (40 ms with --quick). fio checks no data.
import fs from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { Skip } from './common.js';

export function fioVersion() {
  const r = spawnSync('fio', ['--version'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

function runFio(args) {
  const r = spawnSync('fio', [...args, '--output-format=json'], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`fio exited ${r.status}: ${(r.stderr || r.stdout).trim().split('\n').slice(-3).join(' | ')}`);
  const json = JSON.parse(r.stdout.slice(r.stdout.indexOf('{')));
  const job = json.jobs[0];
  if (job.error) throw new Error(`fio job error ${job.error}`);
  return job;
}

function fioRunner(ctx, makeArgs, dir) {
  if (!fioVersion()) throw new Skip('fio is not installed');
  let ops = ctx.scenario.opsPerPass;
  let calibrated = false;
  const minMs = Math.max(ctx.fioMinMs, ctx.minRunMs);
  return {
    fixedPasses: true,
    command: `fio ${makeArgs(ops).join(' ')}`,
    pass() {
      const job = runFio(makeArgs(ops));
      const side = job[dir];
      if (side.total_ios === 0 || side.runtime === 0) throw new Error('fio did no I/O');
      const result = { ops: side.total_ios, bytes: side.io_bytes, elapsedNs: side.runtime * 1e6 };
      // fio's own completion-latency percentiles (submission → completion of each I/O).
      const pct = dir === 'read' ? side.clat_ns?.percentile : null;
      if (pct) {
        const at = (q) => pct[Object.keys(pct).find((k) => Math.abs(Number(k) - q) < 1e-6)];
        result.latency = { p50: at(50), p90: at(90), p99: at(99), p999: at(99.9), mean: side.clat_ns.mean, max: side.clat_ns.max, count: side.total_ios };
      }
      if (!calibrated) {
        calibrated = true;
        const rate = side.total_ios / side.runtime;  // ops per ms
        ops = Math.max(ops, Math.ceil(rate * minMs));
        this.command = `fio ${makeArgs(ops).join(' ')}`;
      }
      return result;
    },
  };
}

export default [
  {
    id: 'fio.io_uring', family: 'fio', kinds: ['random'], depths: ['batch'], depthsQuick: ['concurrency'],
    describe: 'fio --ioengine=io_uring --rw=randread at iodepth D, submitting D at a time (reference; no data check)',
    setup: (ctx) => {
      const s = ctx.scenario;
      const d = ctx.depth;
      return fioRunner(ctx, (ops) => [
        '--name=ref', `--filename=${s.path}`, '--ioengine=io_uring', '--rw=randread', `--bs=${s.size}`,
        `--iodepth=${d}`, `--iodepth_batch_submit=${d}`, `--iodepth_batch_complete_max=${d}`,
        `--direct=${s.direct ? 1 : 0}`, '--invalidate=0', `--size=${s.fileSize}`, `--io_size=${ops * s.size}`,
        '--randrepeat=1', '--norandommap',
      ], 'read');
    },
  },
  {
    id: 'fio.io_uring', family: 'fio', kinds: ['append'], depths: ['one'], depthsQuick: [],
    describe: 'fio --ioengine=io_uring --rw=write --file_append=1 --fdatasync=1 at iodepth 1 (reference; no data check)',
    setup: (ctx) => {
      const s = ctx.scenario;
      const path = join(s.dir, `fio-append-${process.pid}.dat`);
      const runner = fioRunner(ctx, (ops) => [
        '--name=ref', `--filename=${path}`, '--ioengine=io_uring', '--rw=write', `--bs=${s.size}`,
        '--iodepth=1', '--fdatasync=1', '--file_append=1', '--fallocate=none', `--size=${ops * s.size}`,
      ], 'write');
      const pass = runner.pass.bind(runner);
      runner.pass = () => {
        fs.rmSync(path, { force: true });
        try {
          return pass();
        } finally {
          fs.rmSync(path, { force: true });
        }
      };
      return runner;
    },
  },
];
