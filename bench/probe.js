// Small probes run in fresh processes (so their environment variables take
// effect as they would for a case): `node bench/probe.js uringfs` and
// `node bench/probe.js uv`. Each prints one JSON line.
import fs from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { ioUringSqes } from './lib/sqes.js';
import { ringInfo } from './lib/ring-info.js';

async function uringfsProbe() {
  try {
    const u = await import('uringfs');
    const up = await import('uringfs/promises');
    const ring = u.defaultRing();
    return {
      ok: true,
      ...ringInfo(ring),
      has: {
        batch: typeof ring.batch === 'function',
        readFiles: typeof up.readFiles === 'function',
        readFilesSync: typeof u.readFilesSync === 'function',
        backendOption: ring.backend !== undefined,
      },
    };
  } catch (e) {
    return { ok: false, error: e.message };
  }
}

/** Does this Node's libuv put fs ops on io_uring? Count the SQEs its rings consume for 64 reads. */
async function uvProbe() {
  const path = join(tmpdir(), `uringfs-bench-probe-${process.pid}`);
  fs.writeFileSync(path, Buffer.alloc(4096));
  const fd = fs.openSync(path, 'r');
  const buf = Buffer.alloc(4096);
  const before = ioUringSqes();
  await new Promise((resolve, reject) => {
    let left = 64;
    for (let i = 0; i < 64; i++) fs.read(fd, buf, 0, 4096, 0, (err) => (err ? reject(err) : --left === 0 && resolve()));
  });
  const after = ioUringSqes();
  fs.closeSync(fd);
  fs.unlinkSync(path);
  return { reads: 64, sqes: after.total - before.total, rings: after.rings, env: process.env.UV_USE_IO_URING ?? null };
}

const what = process.argv[2];
const result = what === 'uv' ? await uvProbe() : await uringfsProbe();
process.stdout.write(`${JSON.stringify(result)}\n`);
process.exit(0);
