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

/** The index a record carries in its first bytes: 4 bytes little-endian (binary records). */
const binaryTag = (data, at) => data.readUInt32LE(at);
/** 8 hex digits (text records, for the string-only writers). */
const hexTag = (data, at) => parseInt(data.toString('latin1', at, at + 8), 16);
const hex8 = (i) => i.toString(16).padStart(8, '0');

function verifyAppends(path, count, size, tagAt = binaryTag) {
  const data = fs.readFileSync(path);
  if (data.length !== count * size) throw new Error(`verification failed: file has ${data.length} bytes, expected ${count * size}`);
  for (let i = 0; i < count; i++) {
    if (tagAt(data, i * size) !== i) throw new Error(`verification failed: block ${i} holds append ${tagAt(data, i * size)}`);
  }
}

function checkWritten(n, size) {
  if (n !== size) throw new Error(`verification failed: wrote ${n} bytes, expected ${size}`);
}

/**
 * The per-run file for APIs with fds (`openSync`/`closeSync`) or with
 * FileHandles (`open` → handle.close()); `appended` counts ops this run.
 */
function runFile(s, open, close, tagAt = binaryTag) {
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
      verifyAppends(path, state.appended, s.size, tagAt);
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

// --- what a Node program appends a durable log with today ---------------------

/** appendFileSync on an fd opened 'a', then fdatasyncSync (or nothing: buffered, not durable). */
function appendFileSyncs(durable) {
  return ({ scenario: s }) => {
    const f = runFile(s, (p) => fs.openSync(p, 'a'), (fd) => fs.closeSync(fd));
    const [buf] = buffers(1, s.size);
    buf.fill(0xa5);
    return {
      ...f,
      pass() {
        for (let j = 0; j < s.opsPerPass; j++) {
          buf.writeUInt32LE(f.appended++, 0);
          fs.appendFileSync(f.fd, buf);
          if (durable) fs.fdatasyncSync(f.fd);
        }
        return { ops: s.opsPerPass, bytes: s.opsPerPass * s.size };
      },
    };
  };
}

function fileHandleAppendFiles({ scenario: s }) {
  const f = runFile(s, (p) => fsp.open(p, 'a'), (h) => h.close());
  const [buf] = buffers(1, s.size);
  buf.fill(0xa5);
  return {
    ...f,
    async pass() {
      for (let j = 0; j < s.opsPerPass; j++) {
        buf.writeUInt32LE(f.appended++, 0);
        const t0 = performance.now();
        await f.handle.appendFile(buf);
        await f.handle.datasync();
        latency.record(performance.now() - t0);
      }
      return { ops: s.opsPerPass, bytes: s.opsPerPass * s.size };
    },
  };
}

/** A peer from npm, or Skip with the reason it does not load here. */
async function peer(name) {
  try {
    return await import(name);
  } catch (e) {
    throw new Skip(`${name} does not load: ${e.message.split('\n')[0]}`);
  }
}

/**
 * sonic-boom (pino's writer) with sync and fsync: each write() is a writeSync
 * then an fsyncSync. It writes strings as UTF-8, so a record is ASCII text
 * (latin1 bytes above 127 would grow to two), its index in 8 hex digits.
 */
async function sonicBoomAppends({ scenario: s }) {
  const SonicBoom = (await peer('sonic-boom')).default;
  if (s.size < 8) throw new Skip('a text record carries its index in 8 hex digits: the size must be at least 8 bytes');
  let boom = null;
  const f = runFile(s, (p) => fs.openSync(p, 'a'), (fd) => {
    boom.flushSync();
    boom = null;
    fs.closeSync(fd);
  }, hexTag);
  const tail = 'x'.repeat(s.size - 8);
  return {
    async beforeRun() {
      await f.beforeRun();
      boom = new SonicBoom({ fd: f.fd, sync: true, fsync: true });
    },
    afterRun: f.afterRun,
    pass() {
      for (let j = 0; j < s.opsPerPass; j++) boom.write(hex8(f.appended++) + tail);
      return { ops: s.opsPerPass, bytes: s.opsPerPass * s.size };
    },
  };
}

/**
 * lmdb-js, N appenders each awaiting db.put(index, record): the puts of a turn
 * share one write transaction. overlappingSync (its default on Linux) resolves a
 * put at commit and syncs later; off, a put resolves once its commit is synced.
 */
async function lmdbPuts({ scenario: s, depth }) {
  const { open } = await peer('lmdb');
  const options = { encoding: 'binary', compression: false, overlappingSync: false };
  // lmdb reads a value from its buffer on the write thread: a lane reuses its buffer only once its put resolved.
  const bufs = buffers(Math.min(depth, s.opsPerPass), s.size);
  for (const b of bufs) b.fill(0xa5);
  let db = null;
  let dir = '';
  let appended = 0;
  return {
    beforeRun() {
      fs.mkdirSync(s.dir, { recursive: true });
      dir = fs.mkdtempSync(join(s.dir, 'lmdb-'));
      db = open({ path: dir, ...options });
      appended = 0;
    },
    async pass() {
      await lanesPromise(s.opsPerPass, depth, (i, lane) => {
        const idx = appended + i;
        bufs[lane].writeUInt32LE(idx, 0);
        return db.put(idx, bufs[lane]);
      });
      appended += s.opsPerPass;
      return { ops: s.opsPerPass, bytes: s.opsPerPass * s.size };
    },
    async afterRun() {
      await db.close();
      // Reopened: every key 0..n-1, each with its own record.
      const again = open({ path: dir, ...options });
      let n = 0;
      try {
        for (const { key, value } of again.getRange()) {
          if (key !== n || value.length !== s.size || value.readUInt32LE(0) !== n) {
            throw new Error(`verification failed: entry ${n} is key ${key} with ${value.length} bytes holding append ${value.readUInt32LE(0)}`);
          }
          n++;
        }
      } finally {
        await again.close();
      }
      fs.rmSync(dir, { recursive: true, force: true });
      if (n !== appended) throw new Error(`verification failed: the database holds ${n} keys, ${appended} were put`);
    },
  };
}

/** better-sqlite3 in WAL mode, one autocommitted INSERT per record. */
function sqliteInserts(synchronous) {
  return async ({ scenario: s }) => {
    const Database = (await peer('better-sqlite3')).default;
    // The native part loads with the first database: a build that does not fit this Node is a skip.
    try {
      new Database(':memory:').close();
    } catch (e) {
      throw new Skip(`better-sqlite3 does not load: ${e.message.split('\n')[0]}`);
    }
    const [buf] = buffers(1, s.size);
    buf.fill(0xa5);
    let db = null;
    let insert = null;
    let dir = '';
    let appended = 0;
    return {
      beforeRun() {
        fs.mkdirSync(s.dir, { recursive: true });
        dir = fs.mkdtempSync(join(s.dir, 'sqlite-'));
        db = new Database(join(dir, 'log.db'));
        if (db.pragma('journal_mode = WAL', { simple: true }) !== 'wal') throw new Error('SQLite refused WAL mode here');
        db.pragma(`synchronous = ${synchronous}`);
        db.exec('CREATE TABLE log (id INTEGER PRIMARY KEY, data BLOB NOT NULL)');
        insert = db.prepare('INSERT INTO log (data) VALUES (?)');
        appended = 0;
      },
      pass() {
        for (let j = 0; j < s.opsPerPass; j++) {
          buf.writeUInt32LE(appended++, 0);
          insert.run(buf);
        }
        return { ops: s.opsPerPass, bytes: s.opsPerPass * s.size };
      },
      afterRun() {
        db.close();
        // Reopened: rows 1..n in order, row k holding append k-1.
        const again = new Database(join(dir, 'log.db'), { readonly: true });
        let n = 0;
        try {
          for (const [id, data] of again.prepare('SELECT id, data FROM log ORDER BY id').raw().iterate()) {
            if (id !== n + 1 || data.length !== s.size || data.readUInt32LE(0) !== n) {
              throw new Error(`verification failed: row ${n + 1} is id ${id} with ${data.length} bytes holding append ${data.readUInt32LE(0)}`);
            }
            n++;
          }
        } finally {
          again.close();
        }
        fs.rmSync(dir, { recursive: true, force: true });
        if (n !== appended) throw new Error(`verification failed: the table holds ${n} rows, ${appended} were inserted`);
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
    id: 'fs.appendFileSync+fdatasyncSync', family: 'node', kinds: ['append'], depths: ['one'],
    describe: "fd opened 'a': fs.appendFileSync(fd, record) then fs.fdatasyncSync(fd), one append at a time",
    setup: appendFileSyncs(true),
  },
  {
    id: 'fs.promises.FileHandle.appendFile+datasync', family: 'node', kinds: ['append'], depths: ['one'], uv: true,
    describe: "FileHandle opened 'a': await handle.appendFile(record) then handle.datasync(), one append at a time",
    setup: fileHandleAppendFiles,
  },
  {
    id: 'fs.appendFileSync (buffered)', family: 'node', kinds: ['append'], depths: ['one'], durable: false,
    describe: "fd opened 'a': fs.appendFileSync(fd, record) alone, NOT durable (the page cache only): the reference for uringfs.log.async",
    setup: appendFileSyncs(false),
  },
  {
    id: 'sonic-boom sync+fsync', family: 'node', kinds: ['append'], depths: ['one'],
    describe: 'sonic-boom { fd, sync: true, fsync: true }: write(text record) is writeSync + fsyncSync, one append at a time',
    setup: sonicBoomAppends,
  },
  {
    id: 'lmdb put', family: 'node', kinds: ['append'], depths: ['concurrency'],
    describe: 'lmdb-js (overlappingSync off), N appenders each awaiting db.put(index, record): a turn\'s puts share one transaction, resolved once synced',
    setup: lmdbPuts,
  },
  {
    id: 'better-sqlite3 INSERT (synchronous=FULL)', family: 'node', kinds: ['append'], depths: ['one'],
    describe: 'better-sqlite3, WAL mode, synchronous=FULL: one autocommitted INSERT per record, the WAL synced at each commit',
    setup: sqliteInserts('FULL'),
  },
  {
    id: 'better-sqlite3 INSERT (synchronous=NORMAL)', family: 'node', kinds: ['append'], depths: ['one'], durable: false,
    describe: 'better-sqlite3, WAL mode, synchronous=NORMAL: one autocommitted INSERT per record; NOT durable at each commit (the WAL is synced at checkpoints only), the less durable variant',
    setup: sqliteInserts('NORMAL'),
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
    id: 'uringfs.log.async', family: 'uringfs', kinds: ['append'], depths: ['concurrency'], durable: false,
    describe: "uringfs/log, mode 'async': acknowledged once written, made durable within flushIntervalMs (less durable than the baseline); N appenders",
    setup: logAppends('async'),
  },
];
