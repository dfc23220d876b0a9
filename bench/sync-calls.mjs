// uringfs's *Sync functions against node:fs's, side by side in one process and in alternating
// rounds (the order flipped every round), on hot files: the calls a drop-in replacement makes most
// — readFileSync of small files (4 KiB as a Buffer and as UTF-8; 1,000 bytes, which node:fs puts in
// Buffer's shared pool, as uringfs does too), statSync and lstatSync (of files, and
// of missing names with `throwIfNoEntry: false`), fstatSync, openSync + closeSync, 4 KiB readSync
// and writeSync at a position, and writeFileSync. Each is one syscall or a few, so what each side
// spends around the kernel's work decides the ratio.
// `node bench/sync-calls.mjs [files] [rounds]` — prints node:fs's median µs per call and
// uringfs's speed as a multiple of node:fs's: the median of the rounds' ratios, and the middle
// half of them.
import * as nodeFs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as uringFs from 'uringfs';

const FILES = Number(process.argv[2] ?? 500);
const ROUNDS = Number(process.argv[3] ?? 15);
const PASSES = 10;  // passes over the files per round and side

const dir = nodeFs.mkdtempSync(join(tmpdir(), 'uringfs-sync-calls-'));
const paths = Array.from({ length: FILES }, (_, i) => join(dir, `f${i}`));
for (const p of paths) {
  nodeFs.writeFileSync(p, 'x'.repeat(4096));
  nodeFs.writeFileSync(`${p}.small`, 'y'.repeat(1000));
}
const big = join(dir, 'big');
nodeFs.writeFileSync(big, Buffer.alloc(1 << 20, 7));
const readFd = nodeFs.openSync(big, 'r');
const writeFd = nodeFs.openSync(join(dir, 'written'), 'w');
const block = Buffer.alloc(4096, 1);

// Each case, given a module, is the call made for file `p`, the `i`th of a pass.
const cases = {
  'readFileSync, 4 KiB': (fs) => (p) => fs.readFileSync(p),
  "readFileSync, 4 KiB, 'utf8'": (fs) => (p) => fs.readFileSync(p, 'utf8'),
  'readFileSync, 1,000 bytes': (fs) => (p) => fs.readFileSync(`${p}.small`),
  statSync: (fs) => (p) => fs.statSync(p),
  lstatSync: (fs) => (p) => fs.lstatSync(p),
  'statSync of a missing name, throwIfNoEntry: false': (fs) => (p) => fs.statSync(`${p}.missing`, { throwIfNoEntry: false }),
  fstatSync: (fs) => () => fs.fstatSync(readFd),
  'openSync + closeSync': (fs) => (p) => fs.closeSync(fs.openSync(p, 'r')),
  'readSync, 4 KiB at a position': (fs) => (p, i) => fs.readSync(readFd, block, 0, 4096, (i & 255) * 4096),
  'writeSync, 4 KiB at a position': (fs) => (p, i) => fs.writeSync(writeFd, block, 0, 4096, (i & 63) * 4096),
  'writeFileSync, 4 KiB': (fs) => (p) => fs.writeFileSync(`${p}.w`, block),
};

/** Nanoseconds per call of `call` over PASSES passes of the files. */
function time(call) {
  const start = process.hrtime.bigint();
  for (let k = 0; k < PASSES; k++) for (let i = 0; i < paths.length; i++) call(paths[i], i);
  return Number(process.hrtime.bigint() - start) / (PASSES * paths.length);
}

const median = (v) => [...v].sort((a, b) => a - b)[v.length >> 1];
const quantile = (v, q) => [...v].sort((a, b) => a - b)[Math.min(v.length - 1, Math.floor(q * v.length))];

const results = Object.fromEntries(Object.keys(cases).map((k) => [k, { node: [], speed: [] }]));
for (let round = 0; round <= ROUNDS; round++) {
  for (const [name, make] of Object.entries(cases)) {
    const nodeCall = make(nodeFs), uringCall = make(uringFs);
    let nodeNs, uringNs;
    if (round % 2 === 0) { nodeNs = time(nodeCall); uringNs = time(uringCall); } else { uringNs = time(uringCall); nodeNs = time(nodeCall); }
    if (round === 0) continue;  // warm-up
    results[name].node.push(nodeNs);
    results[name].speed.push(nodeNs / uringNs);
  }
}

console.log(`${FILES} files, ${ROUNDS} rounds of ${PASSES} passes, Node ${process.version}`);
console.log('| call | node:fs, µs per call | uringfs, × node:fs speed (middle half of rounds) |');
console.log('|---|---|---|');
for (const [name, r] of Object.entries(results)) {
  const s = r.speed;
  console.log(`| ${name} | ${(median(r.node) / 1000).toFixed(2)} | ${median(s).toFixed(2)}× (${quantile(s, 0.25).toFixed(2)}–${quantile(s, 0.75).toFixed(2)}) |`);
}
nodeFs.closeSync(readFd);
nodeFs.closeSync(writeFd);
nodeFs.rmSync(dir, { recursive: true, force: true });
