// Whole-file reads (small-files, large-files). One op = one whole file; a
// pass reads every file of the set once, each checked by its tags.
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import { checkFile } from '../workset.js';
import { buffers, driveAsync, driveSync, lanesCallback, lanesPromise, latency, SAMPLE, timed, unwrap } from './common.js';

const O_RDONLY = fs.constants.O_RDONLY;

// --- the same loops over node:fs and uringfs ------------------------------

function readFileSyncLoop(api) {
  return ({ scenario: { paths, size } }) => ({
    pass() {
      let bytes = 0;
      for (let i = 0; i < paths.length; i++) {
        const b = api().readFileSync(paths[i]);
        checkFile(b, b.length, i, size);
        bytes += b.length;
      }
      return { ops: paths.length, bytes };
    },
  });
}

function readSyncLoop(api) {
  return ({ scenario: { paths, size } }) => {
    const buf = Buffer.allocUnsafe(size);
    return {
      pass() {
        const a = api();
        let bytes = 0;
        for (let i = 0; i < paths.length; i++) {
          const fd = a.openSync(paths[i], O_RDONLY);
          let got = 0;
          try {
            while (got < size) {
              const n = a.readSync(fd, buf, got, size - got, got);
              if (n === 0) break;
              got += n;
            }
          } finally {
            a.closeSync(fd);
          }
          checkFile(buf, got, i, size);
          bytes += got;
        }
        return { ops: paths.length, bytes };
      },
    };
  };
}

function readFileCallbacks(api) {
  return ({ scenario: { paths, size }, depth }) => ({
    async pass() {
      const a = api();
      let bytes = 0;
      await lanesCallback(paths.length, depth, (i, _lane, done) => {
        a.readFile(paths[i], (err, b) => {
          if (err) return done(err);
          try {
            checkFile(b, b.length, i, size);
          } catch (e) {
            return done(e);
          }
          bytes += b.length;
          done();
        });
      });
      return { ops: paths.length, bytes };
    },
  });
}

function readFilePromises(api) {
  return ({ scenario: { paths, size }, depth }) => ({
    async pass() {
      const a = api();
      let bytes = 0;
      if (depth >= paths.length) {
        // Everything at once, the way people write it.
        const all = await Promise.all(paths.map((p, i) => (i % SAMPLE === 0 ? timed(a.readFile(p)) : a.readFile(p))));
        for (let i = 0; i < all.length; i++) {
          checkFile(all[i], all[i].length, i, size);
          bytes += all[i].length;
        }
      } else {
        await lanesPromise(paths.length, depth, async (i) => {
          const b = await a.readFile(paths[i]);
          checkFile(b, b.length, i, size);
          bytes += b.length;
        });
      }
      return { ops: paths.length, bytes };
    },
  });
}

function checkAll(bufs, size) {
  let bytes = 0;
  for (let i = 0; i < bufs.length; i++) {
    checkFile(bufs[i], bufs[i].length, i, size);
    bytes += bufs[i].length;
  }
  return bytes;
}

/**
 * Explicit batches of B files: a batch of B opens, a batch of B reads into
 * reused buffers (the size is known, as for the readSync loop; short reads
 * continue in a further batch), a batch of B closes. Three submits per B files.
 * Written once as a generator that yields each batch and receives its
 * outcomes, so the submit() and submitSync() methods do the same work.
 */
function* batchFlow(ring, paths, size, depth, bufs) {
  const fds = new Array(bufs.length);
  const got = new Array(bufs.length);
  let bytes = 0;
  for (let first = 0; first < paths.length; first += depth) {
    const m = Math.min(depth, paths.length - first);
    const t0 = performance.now();
    let b = ring.batch();
    for (let k = 0; k < m; k++) b.open(paths[first + k], O_RDONLY);
    const opened = yield b;
    for (let k = 0; k < m; k++) fds[k] = unwrap(opened[k], `open ${paths[first + k]}`);
    got.fill(0, 0, m);
    let pending = m;
    while (pending > 0) {
      b = ring.batch();
      const which = [];
      for (let k = 0; k < m; k++) {
        if (got[k] >= 0 && got[k] < size) {
          b.read(fds[k], bufs[k], got[k], size - got[k], got[k]);
          which.push(k);
        }
      }
      const reads = yield b;
      pending = 0;
      for (let j = 0; j < which.length; j++) {
        const k = which[j];
        const n = unwrap(reads[j], `read ${paths[first + k]}`);
        if (n === 0) got[k] = -got[k] - 1;  // EOF before `size`: stop; checkFile reports it
        else got[k] += n;
        if (got[k] >= 0 && got[k] < size) pending++;
      }
    }
    b = ring.batch();
    for (let k = 0; k < m; k++) b.close(fds[k]);
    const closed = yield b;
    latency.record(performance.now() - t0, m);
    for (let k = 0; k < m; k++) {
      unwrap(closed[k], `close ${paths[first + k]}`);
      const n = got[k] < 0 ? -got[k] - 1 : got[k];
      checkFile(bufs[k], n, first + k, size);
      bytes += n;
    }
  }
  return { ops: paths.length, bytes };
}

function batchedReads(sync) {
  return ({ scenario: { paths, size }, depth, ring }) => {
    const bufs = buffers(Math.min(depth, paths.length), size);
    return sync
      ? { pass: () => driveSync(batchFlow(ring, paths, size, depth, bufs)) }
      : { pass: () => driveAsync(batchFlow(ring, paths, size, depth, bufs)) };
  };
}

export default [
  {
    id: 'fs.readFileSync', family: 'node', kinds: ['files'], depths: ['one'], baselineOf: ['files'],
    describe: 'loop of fs.readFileSync(path) (a new Buffer per file)',
    setup: readFileSyncLoop(() => fs),
  },
  {
    id: 'fs.readSync', family: 'node', kinds: ['files'], depths: ['one'],
    describe: 'loop of openSync + readSync into one reused buffer (size known) + closeSync',
    setup: readSyncLoop(() => fs),
  },
  {
    id: 'fs.readFile', family: 'node', kinds: ['files'], depths: ['concurrency'], uv: true,
    describe: 'fs.readFile(path, cb), N in flight',
    setup: readFileCallbacks(() => fs),
  },
  {
    id: 'fs.promises.readFile', family: 'node', kinds: ['files'], depths: ['concurrency'], uv: true,
    describe: 'fs.promises.readFile(path), N in flight',
    setup: readFilePromises(() => fsp),
  },
  {
    id: 'uringfs.readFileSync', family: 'uringfs', kinds: ['files'], depths: ['one'],
    describe: 'loop of uringfs readFileSync(path)',
    setup: (ctx) => readFileSyncLoop(() => ctx.u)(ctx),
  },
  {
    id: 'uringfs.readSync', family: 'uringfs', kinds: ['files'], depths: ['one'],
    describe: 'loop of uringfs openSync + readSync into one reused buffer + closeSync',
    setup: (ctx) => readSyncLoop(() => ctx.u)(ctx),
  },
  {
    id: 'uringfs.readFile', family: 'uringfs', kinds: ['files'], depths: ['concurrency'],
    describe: 'uringfs readFile(path, cb), N in flight',
    setup: (ctx) => readFileCallbacks(() => ctx.u)(ctx),
  },
  {
    id: 'uringfs.promises.readFile', family: 'uringfs', kinds: ['files'], depths: ['concurrency', 'all'],
    describe: "uringfs/promises readFile(path), N in flight; 'all' = Promise.all(paths.map(readFile))",
    setup: (ctx) => readFilePromises(() => ctx.up)(ctx),
  },
  {
    id: 'uringfs.readFiles', family: 'uringfs', kinds: ['files'], depths: ['all'], requires: ['readFiles'],
    describe: 'await readFiles(paths) from uringfs/promises, all paths in one call',
    setup: ({ scenario: { paths, size }, up }) => ({
      async pass() {
        const t0 = performance.now();
        const bufs = await up.readFiles(paths);
        latency.record(performance.now() - t0, paths.length);
        return { ops: paths.length, bytes: checkAll(bufs, size) };
      },
    }),
  },
  {
    id: 'uringfs.readFilesSync', family: 'uringfs', kinds: ['files'], depths: ['all'], requires: ['readFilesSync'],
    describe: 'readFilesSync(paths), all paths in one call',
    setup: ({ scenario: { paths, size }, u }) => ({
      pass() {
        const t0 = performance.now();
        const bufs = u.readFilesSync(paths);
        latency.record(performance.now() - t0, paths.length);
        return { ops: paths.length, bytes: checkAll(bufs, size) };
      },
    }),
  },
  {
    id: 'uringfs.batch', family: 'uringfs', kinds: ['files'], depths: ['batch'], requires: ['batch'],
    describe: 'ring.batch(): B opens, B reads into reused buffers, B closes; await submit() each',
    setup: batchedReads(false),
  },
  {
    id: 'uringfs.batchSync', family: 'uringfs', kinds: ['files'], depths: ['batch'], requires: ['batch'],
    describe: 'the same batches with submitSync()',
    setup: batchedReads(true),
  },
];
