// What the fd probe of the node:fs-shaped reads and writes costs (an
// lseek(fd, 0, SEEK_CUR) in the native call that queues the op, once per fd
// until the queue is handed over: ESPIPE for a position on a pipe, reads from
// pipes through the op's own memory), side by side in one process: hot 4 KiB
// positioned reads of a regular file through the callback API (a plain fd:
// probed) and FileHandle.read (which
// asks once, with a statx, and then does not probe a regular file), probe
// on and off in alternating rounds.
// `node bench/stream-probe.mjs`
import { openSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { read, promises } from 'uringfs';
import { streamProbe } from '../dist/operations.js';

const path = join(tmpdir(), `uringfs-stream-probe-${process.pid}`);
writeFileSync(path, Buffer.alloc(1 << 20, 1));
const fd = openSync(path, 'r');
const handle = await promises.open(path, 'r');
const DEPTH = 32, COUNT = 50_000;
const bufs = Array.from({ length: DEPTH }, () => Buffer.alloc(4096));

const start = () => ({ wall: process.hrtime.bigint(), cpu: process.cpuUsage() });
const stop = (t) => {
  const cpu = process.cpuUsage(t.cpu);
  return { cpu: ((cpu.user + cpu.system) * 1000) / COUNT, wall: Number(process.hrtime.bigint() - t.wall) / COUNT };
};
const callbackReads = () => new Promise((resolve) => {
  let issued = 0, left = COUNT;
  const t = start();
  const next = (b) => read(fd, b, 0, 4096, (issued++ % 256) * 4096, () => {
    if (--left === 0) resolve(stop(t));
    else if (issued < COUNT) next(b);
  });
  for (const b of bufs) next(b);
});
const promiseReads = async () => {
  let issued = 0;
  const t = start();
  await Promise.all(bufs.map(async (b) => {
    while (issued < COUNT) await handle.read(b, 0, 4096, (issued++ % 256) * 4096);
  }));
  return stop(t);
};

const results = { callback: { on: [], off: [] }, promise: { on: [], off: [] } };
for (let round = 0; round < 9; round++) {
  for (const on of round % 2 ? [true, false] : [false, true]) {
    streamProbe.enabled = on;
    results.callback[on ? 'on' : 'off'].push(await callbackReads());
    results.promise[on ? 'on' : 'off'].push(await promiseReads());
  }
}
streamProbe.enabled = true;
const median = (a) => a.slice(1).sort((x, y) => x - y)[Math.floor((a.length - 1) / 2)];  // first round is warm-up
for (const [api, r] of Object.entries(results)) {
  for (const kind of ['cpu', 'wall']) {
    const on = median(r.on.map((x) => x[kind])), off = median(r.off.map((x) => x[kind]));
    console.log(`${api} (${kind}): probe off ${off.toFixed(0)} ns/read, on ${on.toFixed(0)} ns/read (${on >= off ? '+' : ''}${(on - off).toFixed(0)} ns, ${((on / off - 1) * 100).toFixed(1)}%)`);
  }
}
await handle.close();
rmSync(path);
