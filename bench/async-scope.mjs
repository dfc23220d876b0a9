// What carrying each callback op's async context costs (lib/run.ts runCallback):
// an AsyncResource made at the call and runInAsyncScope at completion, beside
// a plain call, with and without an AsyncLocalStorage in use. Then hot 4 KiB
// callback reads end to end, for scale. `node bench/async-scope.mjs`
import { AsyncLocalStorage, AsyncResource } from 'node:async_hooks';
import { openSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { read } from 'uringfs';

const N = 1_000_000;
const cb = (a, b) => a + b;
function plain() {
  let t = process.hrtime.bigint();
  for (let i = 0; i < N; i++) cb(i, 1);
  return Number(process.hrtime.bigint() - t) / N;
}
function scoped() {
  let t = process.hrtime.bigint();
  for (let i = 0; i < N; i++) new AsyncResource('FSREQCALLBACK').runInAsyncScope(cb, null, i, 1);
  return Number(process.hrtime.bigint() - t) / N;
}
const median = (f) => { const r = [f(), f(), f(), f(), f()].sort((a, b) => a - b); return r[2]; };
const row = (label) => {
  const p = median(plain), s = median(scoped);
  console.log(`${label}: plain ${p.toFixed(1)} ns, AsyncResource+runInAsyncScope ${s.toFixed(1)} ns, +${(s - p).toFixed(0)} ns per op`);
};
row('no AsyncLocalStorage');
const als = new AsyncLocalStorage();
als.enterWith({ request: 1 });
row('AsyncLocalStorage in use');

const path = join(tmpdir(), `uringfs-async-scope-${process.pid}`);
writeFileSync(path, Buffer.alloc(1 << 20, 1));
const fd = openSync(path, 'r');
const buf = Buffer.alloc(4096);
const reads = (count) => new Promise((resolve) => {
  let issued = 0, left = count;
  const t = process.hrtime.bigint();
  const next = () => read(fd, buf, 0, 4096, (issued++ % 256) * 4096, () => {
    if (--left === 0) resolve(Number(process.hrtime.bigint() - t) / count);
    else if (issued < count) next();
  });
  for (let k = 0; k < 64; k++) next();
});
await reads(20000);
const r = [];
for (let k = 0; k < 5; k++) r.push(await reads(100000));
r.sort((a, b) => a - b);
console.log(`callback read 4 KiB hot, 64 in flight: ${r[2].toFixed(0)} ns per read (median of 5)`);
rmSync(path);
