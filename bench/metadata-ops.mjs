// The metadata operations uringfs runs on the ring (link, symlink, truncate, ftruncate, unlink),
// against node:fs's, side by side in one process and in alternating rounds: per file of a set,
// a symlink to it, a hard link of it, a truncate through the path, an ftruncate of an open fd,
// then both links unlinked. Callback forms with `DEPTH` files in flight (node:fs's run on libuv's
// pool of 4 threads; uringfs's on the ring), promise forms likewise, and the *Sync loops. Then
// lookups, as code that checks whether files exist makes them: the promise `access` and `stat`, the
// callback `stat` and `statSync` of each file and of a missing name beside it (ENOENT).
// `node bench/metadata-ops.mjs [files] [depth]` — prints the median ns per operation of each and
// each uringfs form's ratio to node:fs's same form.
import * as nodeFs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as uringFs from 'uringfs';

const FILES = Number(process.argv[2] ?? 2000);
const DEPTH = Number(process.argv[3] ?? 64);
const ROUNDS = 9;
const OPS_PER_FILE = 6;  // symlink, link, truncate, ftruncate, unlink ×2

const dir = nodeFs.mkdtempSync(join(tmpdir(), 'uringfs-metadata-'));
const paths = Array.from({ length: FILES }, (_, i) => join(dir, `f${i}`));
for (const p of paths) nodeFs.writeFileSync(p, Buffer.alloc(4096, 1));
const fds = paths.map((p) => nodeFs.openSync(p, 'r+'));

/** One file's operations, one after the other, in the callback form of `fs`. */
function fileCallback(fs, i, done) {
  const p = paths[i];
  fs.symlink(p, `${p}.s`, (e1) => {
    if (e1) throw e1;
    fs.link(p, `${p}.h`, (e2) => {
      if (e2) throw e2;
      fs.truncate(p, 1000, (e3) => {
        if (e3) throw e3;
        fs.ftruncate(fds[i], 4096, (e4) => {
          if (e4) throw e4;
          fs.unlink(`${p}.s`, (e5) => {
            if (e5) throw e5;
            fs.unlink(`${p}.h`, (e6) => {
              if (e6) throw e6;
              done();
            });
          });
        });
      });
    });
  });
}

function runCallback(fs) {
  return new Promise((resolve) => {
    let next = 0, left = FILES;
    const one = () => {
      if (next >= FILES) return;
      fileCallback(fs, next++, () => (--left === 0 ? resolve() : one()));
    };
    for (let k = 0; k < DEPTH; k++) one();
  });
}

async function runPromise(fsp, fs) {
  let next = 0;
  await Promise.all(Array.from({ length: DEPTH }, async () => {
    while (next < FILES) {
      const i = next++;
      const p = paths[i];
      await fsp.symlink(p, `${p}.s`);
      await fsp.link(p, `${p}.h`);
      await fsp.truncate(p, 1000);
      await new Promise((resolve, reject) => fs.ftruncate(fds[i], 4096, (e) => (e ? reject(e) : resolve())));
      await fsp.unlink(`${p}.s`);
      await fsp.unlink(`${p}.h`);
    }
  }));
}

function runSync(fs) {
  for (let i = 0; i < FILES; i++) {
    const p = paths[i];
    fs.symlinkSync(p, `${p}.s`);
    fs.linkSync(p, `${p}.h`);
    fs.truncateSync(p, 1000);
    fs.ftruncateSync(fds[i], 4096);
    fs.unlinkSync(`${p}.s`);
    fs.unlinkSync(`${p}.h`);
  }
}

/** `lookup(path, cb)` of each file, then of a missing name beside it, `DEPTH` files at a time. */
function lookupCallback(lookup) {
  return new Promise((resolve) => {
    let next = 0, left = FILES;
    const one = () => {
      if (next >= FILES) return;
      const p = paths[next++];
      lookup(p, (e1) => {
        if (e1) throw e1;
        lookup(`${p}.missing`, (e2) => {
          if (e2?.code !== 'ENOENT') throw e2 ?? new Error(`${p}.missing exists`);
          if (--left === 0) resolve();
          else one();
        });
      });
    };
    for (let k = 0; k < DEPTH; k++) one();
  });
}

/** The same with `lookup(path)` a promise. */
async function lookupPromise(lookup) {
  let next = 0;
  await Promise.all(Array.from({ length: DEPTH }, async () => {
    while (next < FILES) {
      const p = paths[next++];
      await lookup(p);
      await lookup(`${p}.missing`).then(() => { throw new Error(`${p}.missing exists`); }, (e) => { if (e.code !== 'ENOENT') throw e; });
    }
  }));
}

/** The same, one after the other, with `lookup(path)` synchronous. */
function lookupSync(lookup) {
  for (const p of paths) {
    lookup(p);
    try {
      lookup(`${p}.missing`);
    } catch (e) {
      if (e.code === 'ENOENT') continue;
      throw e;
    }
    throw new Error(`${p}.missing exists`);
  }
}

const sets = {
  'symlink, link, truncate, ftruncate, unlink ×2': {
    opsPerFile: OPS_PER_FILE,
    forms: {
      callback: { node: () => runCallback(nodeFs), uringfs: () => runCallback(uringFs) },
      promise: { node: () => runPromise(nodeFs.promises, nodeFs), uringfs: () => runPromise(uringFs.promises, uringFs) },
      sync: { node: () => runSync(nodeFs), uringfs: () => runSync(uringFs) },
    },
  },
  // uringfs/promises' access is a statx on the ring; the callback access and accessSync are
  // node:fs's own, which the callback and sync stat forms show the reason for.
  'lookups of a file and of a missing name (ENOENT)': {
    opsPerFile: 2,
    forms: {
      'promise access': { node: () => lookupPromise(nodeFs.promises.access), uringfs: () => lookupPromise(uringFs.promises.access) },
      'promise stat': { node: () => lookupPromise(nodeFs.promises.stat), uringfs: () => lookupPromise(uringFs.promises.stat) },
      'callback stat': { node: () => lookupCallback(nodeFs.stat), uringfs: () => lookupCallback(uringFs.stat) },
      'sync stat': { node: () => lookupSync(nodeFs.statSync), uringfs: () => lookupSync(uringFs.statSync) },
    },
  },
};

const median = (a) => a.slice().sort((x, y) => x - y)[Math.floor(a.length / 2)];
console.log(`${FILES} files, ${DEPTH} in flight (callback, promise), ${ROUNDS - 1} rounds after a warm-up; backend ${uringFs.defaultRing().backend}`);
for (const [set, { opsPerFile, forms }] of Object.entries(sets)) {
  const times = {};
  for (let round = 0; round < ROUNDS; round++) {
    for (const [form, impls] of Object.entries(forms)) {
      for (const name of round % 2 ? ['uringfs', 'node'] : ['node', 'uringfs']) {
        const t0 = process.hrtime.bigint();
        await impls[name]();
        const ns = Number(process.hrtime.bigint() - t0) / (FILES * opsPerFile);
        if (round > 0) ((times[form] ??= { node: [], uringfs: [] })[name]).push(ns);  // round 0 warms up
      }
    }
  }
  console.log(`${set}:`);
  for (const [form, t] of Object.entries(times)) {
    const node = median(t.node), ours = median(t.uringfs);
    console.log(`  ${form}: node:fs ${node.toFixed(0)} ns/op, uringfs ${ours.toFixed(0)} ns/op, uringfs ${(node / ours).toFixed(2)}× node:fs`);
  }
}
for (const fd of fds) nodeFs.closeSync(fd);
nodeFs.rmSync(dir, { recursive: true });
