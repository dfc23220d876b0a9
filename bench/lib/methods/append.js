// Durable appends (append-commit). One op = one `size`-byte write at the end
// of the file, made durable with fdatasync before the op counts as done.
// Each run starts a fresh file; after the run the file is read back and every
// block's tag checked, so a lost or misplaced write fails the method.
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import { join } from 'node:path';
import { buffers, driveAsync, driveSync, lanesPromise, latency, Skip, unwrap } from './common.js';

function appendFile(dir) {
  return join(dir, `append-${process.pid}.dat`);
}

function verifyAppends(path, count, size) {
  const data = fs.readFileSync(path);
  if (data.length !== count * size) throw new Error(`verification failed: file has ${data.length} bytes, expected ${count * size}`);
  for (let i = 0; i < count; i++) {
    if (data.readUInt32LE(i * size) !== i) throw new Error(`verification failed: block ${i} holds append ${data.readUInt32LE(i * size)}`);
  }
}

function checkWritten(n, size) {
  if (n !== size) throw new Error(`verification failed: wrote ${n} bytes, expected ${size}`);
}

/**
 * The per-run file for APIs with fds (`openSync`/`closeSync`) or with
 * FileHandles (`open` → handle.close()); `appended` counts ops this run.
 */
function runFile(s, open, close) {
  const path = appendFile(s.dir);
  const state = {
    fd: -1, handle: null, appended: 0,
    async beforeRun() {
      const h = await open(path);
      if (typeof h === 'number') state.fd = h;
      else state.handle = h;
      state.appended = 0;
    },
    async afterRun() {
      await close(state.handle ?? state.fd);
      verifyAppends(path, state.appended, s.size);
      fs.unlinkSync(path);
    },
  };
  return state;
}

function syncAppends(api) {
  return ({ scenario: s }) => {
    const a = api();
    const f = runFile(s, (p) => a.openSync(p, 'w'), (fd) => a.closeSync(fd));
    const [buf] = buffers(1, s.size);
    buf.fill(0xa5);
    return {
      ...f,
      pass() {
        for (let j = 0; j < s.opsPerPass; j++) {
          const idx = f.appended++;
          buf.writeUInt32LE(idx, 0);
          checkWritten(a.writeSync(f.fd, buf, 0, s.size, idx * s.size), s.size);
          a.fdatasyncSync(f.fd);
        }
        return { ops: s.opsPerPass, bytes: s.opsPerPass * s.size };
      },
    };
  };
}

function callbackAppends(api) {
  return ({ scenario: s }) => {
    const a = api();
    const f = runFile(s, (p) => a.openSync(p, 'w'), (fd) => a.closeSync(fd));
    const [buf] = buffers(1, s.size);
    buf.fill(0xa5);
    return {
      ...f,
      pass() {
        return new Promise((resolve, reject) => {
          let left = s.opsPerPass;
          const next = () => {
            if (left-- === 0) return resolve({ ops: s.opsPerPass, bytes: s.opsPerPass * s.size });
            const idx = f.appended++;
            buf.writeUInt32LE(idx, 0);
            const t0 = performance.now();
            a.write(f.fd, buf, 0, s.size, idx * s.size, (err, n) => {
              if (err) return reject(err);
              if (n !== s.size) return reject(new Error(`verification failed: wrote ${n} bytes`));
              a.fdatasync(f.fd, (err2) => {
                if (err2) return reject(err2);
                latency.record(performance.now() - t0);
                next();
              });
            });
          };
          next();
        });
      },
    };
  };
}

function fileHandleAppends(api) {
  return ({ scenario: s }) => {
    const a = api();
    const f = runFile(s, (p) => a.open(p, 'w'), (h) => h.close());
    const [buf] = buffers(1, s.size);
    buf.fill(0xa5);
    return {
      ...f,
      async pass() {
        for (let j = 0; j < s.opsPerPass; j++) {
          const idx = f.appended++;
          buf.writeUInt32LE(idx, 0);
          const t0 = performance.now();
          checkWritten((await f.handle.write(buf, 0, s.size, idx * s.size)).bytesWritten, s.size);
          await f.handle.datasync();
          latency.record(performance.now() - t0);
        }
        return { ops: s.opsPerPass, bytes: s.opsPerPass * s.size };
      },
    };
  };
}

/** B chains per batch, each write → fdatasync (IOSQE_IO_LINK). */
function* chainsFlow(ring, f, bufs, s, depth) {
  for (let first = 0; first < s.opsPerPass; first += depth) {
    const m = Math.min(depth, s.opsPerPass - first);
    const t0 = performance.now();
    const b = ring.batch();
    for (let k = 0; k < m; k++) {
      const idx = f.appended + k;
      bufs[k].writeUInt32LE(idx, 0);
      b.chain((c) => {
        c.write(f.fd, bufs[k], 0, s.size, idx * s.size);
        c.fdatasync(f.fd);
      });
    }
    const out = yield b;
    latency.record(performance.now() - t0, m);
    for (let k = 0; k < m; k++) {
      checkWritten(unwrap(out[2 * k], 'write'), s.size);
      unwrap(out[2 * k + 1], 'fdatasync');
    }
    f.appended += m;
  }
  return { ops: s.opsPerPass, bytes: s.opsPerPass * s.size };
}

/** One chain per batch: B writes → one fdatasync (group commit). */
function* groupFlow(ring, f, bufs, s, depth) {
  for (let first = 0; first < s.opsPerPass; first += depth) {
    const m = Math.min(depth, s.opsPerPass - first);
    const t0 = performance.now();
    const b = ring.batch();
    b.chain((c) => {
      for (let k = 0; k < m; k++) {
        const idx = f.appended + k;
        bufs[k].writeUInt32LE(idx, 0);
        c.write(f.fd, bufs[k], 0, s.size, idx * s.size);
      }
      c.fdatasync(f.fd);
    });
    const out = yield b;
    latency.record(performance.now() - t0, m);
    for (let k = 0; k < m; k++) checkWritten(unwrap(out[k], 'write'), s.size);
    unwrap(out[m], 'fdatasync');
    f.appended += m;
  }
  return { ops: s.opsPerPass, bytes: s.opsPerPass * s.size };
}

function batchedAppends(flow, sync) {
  return ({ scenario: s, depth, ring, u }) => {
    if (flow === groupFlow && Math.min(depth, s.opsPerPass) + 1 > ring.sqEntries) {
      throw new Skip(`a chain of ${depth} writes + fdatasync is longer than the ring's SQ (${ring.sqEntries})`);
    }
    const f = runFile(s, (p) => u.openSync(p, 'w'), (fd) => u.closeSync(fd));
    const bufs = buffers(Math.min(depth, s.opsPerPass), s.size);
    for (const b of bufs) b.fill(0xa5);
    const drive = sync ? driveSync : driveAsync;
    return { ...f, pass: () => drive(flow(ring, f, bufs, s, depth)) };
  };
}

/**
 * uringfs/log in one commit mode, N appenders (each awaits its append, then makes the next).
 * Each run appends to a fresh log; after it, the log is reopened and must hold every record.
 */
function logAppends(mode) {
  return async ({ scenario: s, depth }) => {
    const { openLog } = await import('uringfs/log');
    const bufs = buffers(Math.min(depth, s.opsPerPass), s.size);
    for (const b of bufs) b.fill(0xa5);
    let log = null;
    let dir = '';
    let appended = 0;
    return {
      async beforeRun() {
        fs.mkdirSync(s.dir, { recursive: true });
        dir = fs.mkdtempSync(join(s.dir, 'log-'));
        log = await openLog(dir, { mode });
        appended = 0;
      },
      async pass() {
        await lanesPromise(s.opsPerPass, depth, (i, lane) => {
          bufs[lane].writeUInt32LE(appended + i, 0);
          return log.append(bufs[lane]);
        });
        appended += s.opsPerPass;
        return { ops: s.opsPerPass, bytes: s.opsPerPass * s.size };
      },
      async afterRun() {
        await log.close();
        const again = await openLog(dir);
        const { records } = again.recovery;
        await again.close();
        fs.rmSync(dir, { recursive: true, force: true });
        if (records !== appended) throw new Error(`verification failed: the log holds ${records} records, ${appended} were appended`);
      },
    };
  };
}

export default [
  {
    id: 'fs.writeSync+fdatasyncSync', family: 'node', kinds: ['append'], depths: ['one'], baselineOf: ['append'],
    describe: 'loop of fs.writeSync + fs.fdatasyncSync, one append at a time',
    setup: syncAppends(() => fs),
  },
  {
    id: 'fs.write+fdatasync', family: 'node', kinds: ['append'], depths: ['one'], uv: true,
    describe: 'fs.write then fs.fdatasync callbacks, one append at a time',
    setup: callbackAppends(() => fs),
  },
  {
    id: 'fs.promises.FileHandle.write+datasync', family: 'node', kinds: ['append'], depths: ['one'], uv: true,
    describe: 'await handle.write then handle.datasync(), one append at a time',
    setup: fileHandleAppends(() => fsp),
  },
  {
    id: 'uringfs.writeSync+fdatasyncSync', family: 'uringfs', kinds: ['append'], depths: ['one'],
    describe: 'loop of uringfs writeSync + fdatasyncSync',
    setup: (ctx) => syncAppends(() => ctx.u)(ctx),
  },
  {
    id: 'uringfs.write+fdatasync', family: 'uringfs', kinds: ['append'], depths: ['one'],
    describe: 'uringfs write then fdatasync callbacks, one append at a time',
    setup: (ctx) => callbackAppends(() => ctx.u)(ctx),
  },
  {
    id: 'uringfs.promises.FileHandle.write+datasync', family: 'uringfs', kinds: ['append'], depths: ['one'],
    describe: 'uringfs/promises handle.write then handle.datasync(), one append at a time',
    setup: (ctx) => fileHandleAppends(() => ctx.up)(ctx),
  },
  {
    id: 'uringfs.batch.chains', family: 'uringfs', kinds: ['append'], depths: ['batch'], requires: ['batch'],
    describe: 'ring.batch() of B linked chains write → fdatasync, await submit()',
    setup: batchedAppends(chainsFlow, false),
  },
  {
    id: 'uringfs.batch.group', family: 'uringfs', kinds: ['append'], depths: ['batch'], requires: ['batch'],
    describe: 'ring.batch() of one linked chain: B writes → one fdatasync (group commit), await submit()',
    setup: batchedAppends(groupFlow, false),
  },
  {
    id: 'uringfs.log.sync', family: 'uringfs', kinds: ['append'], depths: ['concurrency'],
    describe: "uringfs/log, mode 'sync': each append durable on its own (write linked to fdatasync); N appenders",
    setup: logAppends('sync'),
  },
  {
    id: 'uringfs.log.group', family: 'uringfs', kinds: ['append'], depths: ['concurrency'],
    describe: "uringfs/log, mode 'group': appends waiting together share one writev and one fdatasync; N appenders",
    setup: logAppends('group'),
  },
  {
    id: 'uringfs.log.async', family: 'uringfs', kinds: ['append'], depths: ['concurrency'],
    describe: "uringfs/log, mode 'async': acknowledged once written, made durable within flushIntervalMs (less durable than the baseline); N appenders",
    setup: logAppends('async'),
  },
];
