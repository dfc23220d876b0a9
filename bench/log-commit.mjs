#!/usr/bin/env node
// Commit throughput and latency of uringfs/log against the ways Node programs make appends
// durable today, side by side in one process on one disk:
//   node bench/log-commit.mjs [--sizes 100,1024,4096] [--appenders 1,16,64,256] [--seconds 1]
//                             [--rounds 3] [--dir DIR] [--json FILE] [--only name,name]
// For each record size and number of concurrent appenders, every method appends for --seconds
// (in --rounds interleaved rounds) to a fresh file in DIR (default: a temp dir on the disk of os.tmpdir()), and reports appends/s
// and the p50/p99 latency of one append (call to acknowledgement). Durable methods are compared
// with `fs.appendFileSync + fs.fdatasyncSync`; page-cache methods with plain buffered appends
// (`fs.appendFileSync` alone). Peers run when installed (devDependencies), and are named as
// skipped otherwise.
import { execFileSync } from 'node:child_process';
import { appendFileSync, closeSync, fdatasyncSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { open as openHandle } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { release, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({
  options: {
    sizes: { type: 'string', default: '100,1024,4096' },
    appenders: { type: 'string', default: '1,16,64,256' },
    seconds: { type: 'string', default: '1.5' },
    rounds: { type: 'string', default: '3' },
    dir: { type: 'string' },
    json: { type: 'string' },
    only: { type: 'string' },
  },
});
const sizes = args.sizes.split(',').map(Number);
const appenderCounts = args.appenders.split(',').map(Number);
const seconds = Number(args.seconds);
const ROUNDS = Number(args.rounds);
const only = args.only ? new Set(args.only.split(',')) : null;
const root = mkdtempSync(join(args.dir ?? tmpdir(), 'uringfs-log-bench-'));
const require = createRequire(import.meta.url);

const { openLog } = await import('../dist/log/index.js');
const { defaultRing } = await import('../dist/index.js');

/** An optional peer, or the reason it is not here. */
function peer(name) {
  try {
    return { module: require(name) };
  } catch (err) {
    return { skipped: `${name} is not installed (${err.code ?? err.message})` };
  }
}
const sonicBoom = peer('sonic-boom');
const lmdb = peer('lmdb');
const betterSqlite = peer('better-sqlite3');

let fileNo = 0;
const freshPath = () => join(root, `f${fileNo++}`);

/**
 * Run `appenders` concurrent loops of `appendOne()` (a promise, or undefined when it completed
 * synchronously) for `seconds`; returns appends/s and latency percentiles in µs.
 */
async function measure(appenders, appendOne, seconds, latencies) {
  const deadline = performance.now() + seconds * 1000;
  let count = 0;
  const loop = async () => {
    while (performance.now() < deadline) {
      const t0 = performance.now();
      const p = appendOne();
      if (p !== undefined) await p;
      latencies.push(performance.now() - t0);
      count++;
      // A synchronous method never yields by itself: let the other loops (and timers) run.
      if (p === undefined && count % 64 === 0) await new Promise((r) => setImmediate(r));
    }
  };
  const start = performance.now();
  await Promise.all(Array.from({ length: appenders }, loop));
  return { count, elapsed: (performance.now() - start) / 1000 };
}

/** Appends/s over every round, and latency percentiles (µs) over every append. */
function summarize(rounds, latencies) {
  const count = rounds.reduce((n, r) => n + r.count, 0);
  const elapsed = rounds.reduce((n, r) => n + r.elapsed, 0);
  latencies.sort((a, b) => a - b);
  const pct = (q) => (latencies.length ? latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] * 1000 : NaN);
  return { perSecond: count / elapsed, p50: pct(0.5), p99: pct(0.99), count };
}

/** Each method: `durable` says which baseline it is compared with; `setup` returns { append, close }. */
const methods = [
  {
    name: 'fs.appendFileSync+fdatasyncSync', durable: true, baseline: true,
    async setup(data) {
      const fd = openSync(freshPath(), 'a');
      return { append: () => { appendFileSync(fd, data); fdatasyncSync(fd); }, close: () => closeSync(fd) };
    },
  },
  {
    name: 'FileHandle.appendFile+datasync', durable: true,
    async setup(data) {
      const fh = await openHandle(freshPath(), 'a');
      return { append: async () => { await fh.appendFile(data); await fh.datasync(); }, close: () => fh.close() };
    },
  },
  ...['sync', 'group', 'async'].map((mode) => ({
    name: `uringfs/log '${mode}'`, durable: mode !== 'async',
    async setup(data) {
      const log = await openLog(freshPath(), { mode });
      // idle: after its round, nothing of it is left for a later method's round to pay for.
      return { append: () => log.append(data), idle: () => log.flush(), close: () => log.close() };
    },
  })),
  {
    name: 'fs.appendFileSync (buffered)', durable: false, baseline: true,
    async setup(data) {
      const fd = openSync(freshPath(), 'a');
      return { append: () => { appendFileSync(fd, data); }, close: () => closeSync(fd) };
    },
  },
  {
    name: 'sonic-boom sync+fsync', durable: true, peer: sonicBoom,
    async setup(data) {
      const fd = openSync(freshPath(), 'a');
      const SonicBoom = sonicBoom.module.SonicBoom ?? sonicBoom.module;
      const boom = new SonicBoom({ fd, sync: true, fsync: true });
      const text = data.toString('latin1');
      return { append: () => { boom.write(text); }, close: () => { boom.flushSync(); closeSync(fd); } };
    },
  },
  {
    name: 'sonic-boom async (buffered)', durable: false, peer: sonicBoom,
    async setup(data) {
      const fd = openSync(freshPath(), 'a');
      const SonicBoom = sonicBoom.module.SonicBoom ?? sonicBoom.module;
      const boom = new SonicBoom({ fd, sync: false, minLength: 4096 });
      const text = data.toString('latin1');
      return {
        append: () => { boom.write(text); },
        close: () => new Promise((resolve) => { boom.end(); boom.once('close', resolve); }),
      };
    },
  },
  {
    name: 'lmdb put (a turn per commit)', durable: true, peer: lmdb,
    async setup(data) {
      const db = lmdb.module.open({ path: freshPath(), compression: false });
      let key = 0;
      return { append: () => db.put(++key, data), close: () => db.close() };
    },
  },
  {
    name: 'better-sqlite3 INSERT (synchronous=FULL)', durable: true, peer: betterSqlite,
    async setup(data) {
      const db = new betterSqlite.module(freshPath());
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = FULL');
      db.exec('CREATE TABLE log (data BLOB)');
      const insert = db.prepare('INSERT INTO log (data) VALUES (?)');
      return { append: () => { insert.run(data); }, close: () => db.close() };
    },
  },
].filter((m) => only === null || only.has(m.name));

const load = () => execFileSync('uptime', { encoding: 'utf8' }).trim();
const env = {
  kernel: release(), node: process.version, backend: defaultRing().backend, dir: root,
  disk: execFileSync('df', ['-T', root], { encoding: 'utf8' }).trim().split('\n').at(-1).split(/\s+/).slice(0, 2).join(' '),
  loadBefore: load(),
};
console.log(`uringfs/log commit bench — kernel ${env.kernel}, Node ${env.node}, backend ${env.backend}, ${env.disk}`);
console.log(`load before: ${env.loadBefore}`);
for (const m of methods) if (m.peer?.skipped) console.log(`skipped: ${m.name} — ${m.peer.skipped}`);

const rows = [];
const pad = (s, n) => String(s).padEnd(n);
const lpad = (s, n) => String(s).padStart(n);
console.log(`\n${pad('size', 6)}${lpad('appenders', 10)}  ${pad('method', 42)}${lpad('appends/s', 11)}${lpad('p50 µs', 10)}${lpad('p99 µs', 10)}${lpad('×', 8)}`);
for (const size of sizes) {
  const data = Buffer.alloc(size, 'x');
  for (const appenders of appenderCounts) {
    // Every method is set up first, then measured in interleaved rounds, so that a change of
    // load (or of the disk's mood) during the cell touches every method alike.
    const live = [];
    for (const m of methods) if (!m.peer?.skipped) live.push({ m, ...(await m.setup(data)), rounds: [], latencies: [] });
    for (let round = 0; round < ROUNDS; round++) {
      for (const x of live) {
        x.rounds.push(await measure(appenders, x.append, seconds / ROUNDS, x.latencies));
        await x.idle?.();
      }
    }
    const results = [];
    for (const x of live) {
      await x.close();
      results.push({ m: x.m, r: summarize(x.rounds, x.latencies) });
    }
    const base = (durable) => results.find((x) => x.m.baseline && x.m.durable === durable)?.r.perSecond;
    for (const { m, r } of results) {
      const ratio = r.perSecond / base(m.durable);
      rows.push({ size, appenders, method: m.name, durable: m.durable, ...r, ratio });
      console.log(`${pad(size, 6)}${lpad(appenders, 10)}  ${pad(m.name, 42)}${lpad(Math.round(r.perSecond), 11)}${lpad(r.p50.toFixed(0), 10)}${lpad(r.p99.toFixed(0), 10)}${lpad(ratio.toFixed(2), 8)}`);
    }
  }
}
env.loadAfter = load();
console.log(`\nload after: ${env.loadAfter}`);
console.log('× : durable methods against fs.appendFileSync+fdatasyncSync, buffered ones against fs.appendFileSync (buffered), same size and appenders, same run.');
if (args.json) (await import('node:fs')).writeFileSync(args.json, JSON.stringify({ env, rows }, null, 2));
rmSync(root, { recursive: true, force: true });
