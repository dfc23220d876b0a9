// How many worker threads the thread-pool backend should have: the table in
// docs/backends.md. Each (workload, threads) case runs in a fresh process,
// `--reps` times; prints the median (and range) in thousands of ops/s, with
// io_uring for reference. Needs `npm run build` first (imports dist/).
//   node bench/pool-size.mjs [--reps 5] [--threads 1,2,4,8,16] [--dir /tmp/uringfs-pool-size]
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const WORKLOADS = {
  read4k: '4 KiB random reads, page cache, 64 in flight',
  read1m: '1 MiB random reads, page cache, 16 in flight',
  files: 'whole 4 KiB files (open+statx+read+close), 64 in flight',
  fsync: '4 KiB write + fdatasync, 16 files in flight',
};

async function child(dir, backend, threads, workload) {
  const { Ring } = await import('../dist/index.js');
  const { runPromise } = await import('../dist/run.js');
  const ops = await import('../dist/operations.js');
  const ring = new Ring({ backend, threads });
  const pool = async (total, depth, make) => {
    let next = 0;
    const lane = async () => { while (next < total) await make(next++); };
    const t = process.hrtime.bigint();
    await Promise.all(Array.from({ length: depth }, lane));
    return Number(process.hrtime.bigint() - t) / 1e6;
  };
  const random = (size, unit) => Math.floor(Math.random() * (size / unit)) * unit;
  let count, ms;
  if (workload === 'read4k' || workload === 'read1m') {
    const unit = workload === 'read4k' ? 4096 : 1 << 20, depth = workload === 'read4k' ? 64 : 16;
    count = workload === 'read4k' ? 100_000 : 2000;
    const fd = fs.openSync(join(dir, 'big'), 'r');
    const size = fs.fstatSync(fd).size;
    const bufs = Array.from({ length: depth }, () => Buffer.allocUnsafe(unit));
    ms = await pool(count, depth, (i) => runPromise(ring, ops.readSteps(fd, bufs[i % depth], 0, unit, random(size, unit))));
  } else if (workload === 'files') {
    count = 20_000;
    ms = await pool(count, 64, (i) => runPromise(ring, ops.readFileSteps(join(dir, 'small', String(i % 1000)), 0, undefined)));
  } else {
    count = 800;
    const fds = Array.from({ length: 16 }, (_, i) => fs.openSync(join(dir, `w${i}`), 'w'));
    const data = Buffer.alloc(4096, 1);
    ms = await pool(count, 16, async (i) => {
      await runPromise(ring, ops.writeSteps(fds[i % 16], data, 0, 4096, 0));
      await runPromise(ring, ops.fsyncSteps(fds[i % 16], true));
    });
  }
  process.stdout.write(JSON.stringify({ kops: count / ms, backend: ring.backend }));
}

const { values } = parseArgs({
  options: {
    reps: { type: 'string', default: '5' },
    threads: { type: 'string', default: '1,2,4,8,16' },
    dir: { type: 'string', default: '/tmp/uringfs-pool-size' },
    child: { type: 'string' },
  },
});

if (values.child) {
  const [backend, threads, workload] = values.child.split(':');
  await child(values.dir, backend, Number(threads), workload);
} else {
  const dir = values.dir;
  fs.mkdirSync(join(dir, 'small'), { recursive: true });
  if (!fs.existsSync(join(dir, 'big'))) {
    const fd = fs.openSync(join(dir, 'big'), 'w');
    const chunk = Buffer.alloc(1 << 20);
    for (let i = 0; i < 256; i++) fs.writeSync(fd, chunk.fill(i));
    fs.closeSync(fd);
    for (let i = 0; i < 1000; i++) fs.writeFileSync(join(dir, 'small', String(i)), Buffer.alloc(4096, i));
  }
  fs.readFileSync(join(dir, 'big'));  // into the page cache
  const threadCounts = values.threads.split(',').map(Number);
  const columns = [...threadCounts.map((t) => ['threads', t]), ['io_uring', 4]];
  console.log(`| workload | ${threadCounts.join(' | ')} | io_uring |\n|---|${columns.map(() => '---|').join('')}`);
  for (const [workload, label] of Object.entries(WORKLOADS)) {
    const cells = [];
    for (const [backend, threads] of columns) {
      const runs = [];
      for (let r = 0; r < Number(values.reps); r++) {
        const out = execFileSync(process.execPath, [new URL(import.meta.url).pathname, '--dir', dir, '--child', `${backend}:${threads}:${workload}`], { encoding: 'utf8' });
        const { kops, backend: got } = JSON.parse(out);
        if (got !== backend) throw new Error(`asked for ${backend}, got ${got}`);
        runs.push(kops);
      }
      runs.sort((a, b) => a - b);
      const median = runs[Math.floor(runs.length / 2)];
      cells.push(`${median.toFixed(median < 20 ? 1 : 0)} (${runs[0].toFixed(1)}–${runs[runs.length - 1].toFixed(1)})`);
    }
    console.log(`| ${label} | ${cells.join(' | ')} |`);
  }
}
