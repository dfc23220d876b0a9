// Random reads (random-read, random-read-direct). One op = one read of
// `size` bytes at an offset aligned to `size`, on one file opened before the
// runs. Offsets come from a seeded generator, so every method reads the same
// sequence; each read's tag is checked against its offset.
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import { checkBlock } from '../workset.js';
import { buffers, directBuffers, driveAsync, driveSync, lanesCallback, lanesPromise, latency, unwrap } from './common.js';

function openFlags(direct) {
  return fs.constants.O_RDONLY | (direct ? fs.constants.O_DIRECT : 0);
}

/** The buffers a method reads into, one per read in flight (O_DIRECT: aligned for it), as the C floor's too. */
export function laneBuffers(fd, count, { size, direct }) {
  return direct ? directBuffers(fd, count, size) : buffers(count, size);
}

function readSyncLoop(api) {
  return ({ scenario: s }) => {
    const a = api();
    const fd = a.openSync(s.path, openFlags(s.direct));
    const [buf] = laneBuffers(fd, 1, s);
    return {
      pass(p) {
        const offsets = s.offsetsFor(p);
        for (let j = 0; j < offsets.length; j++) {
          const n = a.readSync(fd, buf, 0, s.size, offsets[j]);
          if (n !== s.size) throw new Error(`verification failed: read ${n} bytes at ${offsets[j]}, expected ${s.size}`);
          checkBlock(buf, offsets[j]);
        }
        return { ops: offsets.length, bytes: offsets.length * s.size };
      },
      close() {
        a.closeSync(fd);
      },
    };
  };
}

function readCallbacks(api) {
  return ({ scenario: s, depth }) => {
    const a = api();
    const fd = a.openSync(s.path, openFlags(s.direct));
    const bufs = laneBuffers(fd, depth, s);
    return {
      async pass(p) {
        const offsets = s.offsetsFor(p);
        await lanesCallback(offsets.length, depth, (j, lane, done) => {
          a.read(fd, bufs[lane], 0, s.size, offsets[j], (err, n) => {
            if (err) return done(err);
            if (n !== s.size) return done(new Error(`verification failed: read ${n} bytes at ${offsets[j]}`));
            try {
              checkBlock(bufs[lane], offsets[j]);
            } catch (e) {
              return done(e);
            }
            done();
          });
        });
        return { ops: offsets.length, bytes: offsets.length * s.size };
      },
      close() {
        a.closeSync(fd);
      },
    };
  };
}

function fileHandleReads(api) {
  return async ({ scenario: s, depth }) => {
    const fh = await api().open(s.path, openFlags(s.direct));
    const bufs = laneBuffers(fh.fd, depth, s);
    return {
      async pass(p) {
        const offsets = s.offsetsFor(p);
        await lanesPromise(offsets.length, depth, async (j, lane) => {
          const { bytesRead } = await fh.read(bufs[lane], 0, s.size, offsets[j]);
          if (bytesRead !== s.size) throw new Error(`verification failed: read ${bytesRead} bytes at ${offsets[j]}`);
          checkBlock(bufs[lane], offsets[j]);
        });
        return { ops: offsets.length, bytes: offsets.length * s.size };
      },
      close: () => fh.close(),
    };
  };
}

/** B reads per batch, one buffer per slot of the batch. */
function* batchFlow(ring, fd, bufs, offsets, size, depth) {
  for (let first = 0; first < offsets.length; first += depth) {
    const m = Math.min(depth, offsets.length - first);
    const t0 = performance.now();
    const b = ring.batch();
    for (let k = 0; k < m; k++) b.read(fd, bufs[k], 0, size, offsets[first + k]);
    const out = yield b;
    latency.record(performance.now() - t0, m);
    for (let k = 0; k < m; k++) {
      const n = unwrap(out[k], `read at ${offsets[first + k]}`);
      if (n !== size) throw new Error(`verification failed: read ${n} bytes at ${offsets[first + k]}`);
      checkBlock(bufs[k], offsets[first + k]);
    }
  }
  return { ops: offsets.length, bytes: offsets.length * size };
}

/** With `registered`: the file and the lane buffers registered with the ring (IOSQE_FIXED_FILE, READ_FIXED). */
function batchedReads(sync, registered = false) {
  return ({ scenario: s, depth, ring, u }) => {
    const fd = u.openSync(s.path, openFlags(s.direct));
    const bufs = laneBuffers(fd, depth, s);
    const drive = sync ? driveSync : driveAsync;
    let file = fd;
    if (registered) {
      file = ring.registerFile(fd);
      ring.registerBuffers(bufs);
    }
    return {
      pass: (p) => drive(batchFlow(ring, file, bufs, s.offsetsFor(p), s.size, depth)),
      close() {
        if (registered) {
          file.unregister();
          ring.unregisterBuffers();
        }
        u.closeSync(fd);
      },
    };
  };
}

export default [
  {
    id: 'fs.readSync', family: 'node', kinds: ['random'], depths: ['one'], baselineOf: ['random'],
    describe: 'loop of fs.readSync(fd, buffer, 0, size, offset), one reused buffer',
    setup: readSyncLoop(() => fs),
  },
  {
    id: 'fs.read', family: 'node', kinds: ['random'], depths: ['concurrency'], uv: true,
    describe: 'fs.read(fd, buffer, 0, size, offset, cb), N in flight',
    setup: readCallbacks(() => fs),
  },
  {
    id: 'fs.promises.FileHandle.read', family: 'node', kinds: ['random'], depths: ['concurrency'], uv: true,
    describe: 'fs.promises FileHandle.read(buffer, 0, size, offset), N in flight',
    setup: fileHandleReads(() => fsp),
  },
  {
    id: 'uringfs.readSync', family: 'uringfs', kinds: ['random'], depths: ['one'],
    describe: 'loop of uringfs readSync(fd, buffer, 0, size, offset)',
    setup: (ctx) => readSyncLoop(() => ctx.u)(ctx),
  },
  {
    id: 'uringfs.read', family: 'uringfs', kinds: ['random'], depths: ['concurrency'],
    describe: 'uringfs read(fd, buffer, 0, size, offset, cb), N in flight',
    setup: (ctx) => readCallbacks(() => ctx.u)(ctx),
  },
  {
    id: 'uringfs.promises.FileHandle.read', family: 'uringfs', kinds: ['random'], depths: ['concurrency'],
    describe: 'uringfs/promises FileHandle.read(buffer, 0, size, offset), N in flight',
    setup: (ctx) => fileHandleReads(() => ctx.up)(ctx),
  },
  {
    id: 'uringfs.batch', family: 'uringfs', kinds: ['random'], depths: ['batch'], requires: ['batch'],
    describe: 'ring.batch() of B reads, await submit()',
    setup: batchedReads(false),
  },
  {
    id: 'uringfs.batchSync', family: 'uringfs', kinds: ['random'], depths: ['batch'], requires: ['batch'],
    describe: 'ring.batch() of B reads, submitSync()',
    setup: batchedReads(true),
  },
  {
    id: 'uringfs.batch+registered', family: 'uringfs', kinds: ['random'], depths: ['batch'], requires: ['batch', 'registered'], optIn: true,
    describe: 'as uringfs.batch, on a registered file into registered buffers (FIXED_FILE, READ_FIXED)',
    setup: batchedReads(false, true),
  },
  {
    id: 'uringfs.batchSync+registered', family: 'uringfs', kinds: ['random'], depths: ['batch'], requires: ['batch', 'registered'], optIn: true,
    describe: 'as uringfs.batchSync, on a registered file into registered buffers (FIXED_FILE, READ_FIXED)',
    setup: batchedReads(true, true),
  },
];
