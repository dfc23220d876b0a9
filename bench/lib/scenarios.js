// Scenario instances: what each scenario reads or writes, its unit of work,
// and its baseline. The parent makes the working sets and checks the page
// cache; the child turns an instance into what methods use (paths, offsets).
import fs from 'node:fs';
import { join } from 'node:path';
import { directBuffers } from './methods/common.js';
import {
  ensureRandomFile, ensureSmallFiles, ensureTree, evict, warmTree, filePaths, preRead, randomFilePath, residency, smallFilesDir, treeDir, treeShape,
} from './workset.js';

export function formatBytes(n) {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && n % 1024 === 0 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${n} ${units[i]}`;
}

const KIND = {
  'small-files': 'files',
  'large-files': 'files',
  'random-read': 'random',
  'random-read-direct': 'random',
  'append-commit': 'append',
  'tree-stats': 'tree',
  'stream-pipe': 'stream',
  'stream-files': 'stream',
  'stream-files-cold': 'stream',
};

/** Scenarios read from disk: their files are evicted from the page cache before every run. */
const COLD = new Set(['stream-files-cold']);

/** Kinds whose working set is a set of whole files (filePaths of `dir`): read whole, or streamed. */
const onFileSet = (kind) => kind === 'files' || kind === 'stream';

/** What every ratio in a scenario of this kind is measured against. */
export const BASELINE = {
  files: 'fs.readFileSync',
  random: 'fs.readSync',
  append: 'fs.writeSync+fdatasyncSync',
  tree: 'fs.readdirSync+lstatSync',
  stream: 'fs.createReadStream',
};

export const BASELINE_WHY = {
  files: 'fs.readFileSync loop',
  random: 'fs.readSync loop (no whole-file read in this scenario; fs.readFileSync of a 1 GiB file is not the same work)',
  append: 'fs.writeSync + fs.fdatasyncSync loop (a write scenario: no read baseline applies)',
  tree: 'fs.readdirSync + fs.lstatSync walk (a listing scenario: one op = one entry found and lstat\'ed)',
  stream: "node:fs's own read streams (a streaming scenario: one op = one file streamed to its end)",
};

export function scenarioInstances(config) {
  const out = [];
  for (const id of config.scenarioIds) {
    const p = config.scenarios[id];
    const kind = KIND[id];
    for (const size of p.sizes) {
      const base = { key: `${id}/${size}`, id, kind, size, baseline: BASELINE[kind] };
      if (onFileSet(kind)) {
        out.push({
          ...base, files: p.files, opsPerPass: p.files, dir: smallFilesDir(config.dataDir, size, p.files),
          cache: COLD.has(id) ? 'cold' : 'hot', label: `${id} ${formatBytes(size)} ×${p.files}`,
        });
      } else if (kind === 'tree') {
        const shape = treeShape(p.files, p.perDir);
        out.push({
          ...base, files: p.files, perDir: p.perDir, dirs: shape.dirs, fileBytes: shape.fileBytes, opsPerPass: p.files + shape.dirs,
          root: treeDir(config.dataDir, p.files, p.perDir), label: `${id} ${p.files} files in ${shape.dirs} dirs`,
        });
      } else if (kind === 'random') {
        const direct = id === 'random-read-direct';
        out.push({
          ...base, direct, fileSize: p.fileSize, opsPerPass: p.opsPerPass, path: randomFilePath(config.dataDir, p.fileSize),
          seed: 0x5eed, label: `${id} ${formatBytes(size)} in ${formatBytes(p.fileSize)}`,
        });
      } else {
        out.push({
          ...base, opsPerPass: p.opsPerPass, dir: join(config.dataDir, 'append'),
          label: `${id} ${formatBytes(size)} ×${p.opsPerPass}`,
        });
      }
    }
  }
  return out;
}

/** Every path a read scenario depends on being in the page cache. */
function hotPaths(s) {
  if (s.cache === 'cold') return [];
  if (onFileSet(s.kind)) return filePaths(s.dir, s.files);
  if (s.kind === 'random' && !s.direct) return [s.path];
  return [];
}

/**
 * Make the working set (if not already there), then put it in the page cache
 * and check that it is there. Returns { created, pageCache, skip? }.
 */
export function prepareScenario(s) {
  if (s.kind === 'tree') {
    const created = ensureTree(s.root, s.files, s.perDir);
    warmTree(s.root);
    return { created, pageCache: { state: 'n/a', note: 'dentry and inode caches warmed by a readdir+lstat walk before the cases (fincore cannot see them)' } };
  }
  fs.mkdirSync(s.kind === 'random' ? join(s.path, '..') : s.dir, { recursive: true });
  let created = false;
  if (onFileSet(s.kind)) created = ensureSmallFiles(s.dir, s.size, s.files);
  if (s.kind === 'random') {
    if (s.fileSize % s.size !== 0 || s.size % 512 !== 0) return { created, skip: `I/O size ${s.size} must divide the file size and be a multiple of 512` };
    created = ensureRandomFile(s.path, s.fileSize);
  }
  if (s.kind === 'random' && s.direct) {
    const refusal = directRefusal(s.path, s.size);
    if (refusal) return { created, skip: refusal, pageCache: { state: 'direct' } };
    return { created, pageCache: { state: 'direct', note: 'O_DIRECT bypasses the page cache' } };
  }
  if (s.kind === 'append') return { created, pageCache: { state: 'n/a', note: 'writes made durable with fdatasync' } };
  if (s.cache === 'cold') {
    const paths = filePaths(s.dir, s.files);
    const refusal = evict(paths);
    if (refusal) return { created, skip: refusal, pageCache: { state: 'cold' } };
    const r = residency(paths);
    return {
      created,
      pageCache: r === null
        ? { state: 'cold', verified: false, note: 'evicted before every run; fincore (util-linux) not found to verify' }
        : { state: 'cold', verified: r.error === undefined && r.fraction <= 0.001, before: r },
    };
  }
  const paths = hotPaths(s);
  preRead(paths);
  const r = residency(paths);
  return {
    created,
    pageCache: r === null
      ? { state: 'hot', verified: false, note: 'pre-read; fincore (util-linux) not found to verify residency' }
      : { state: 'hot', verified: r.error === undefined && r.fraction >= 0.999, before: r },
  };
}

/** Residency again after the scenario's cases ran: did anything get evicted? */
export function recheckScenario(s, pageCache) {
  if (pageCache?.state !== 'hot' || pageCache.before === undefined) return pageCache;
  const after = residency(hotPaths(s));
  return { ...pageCache, after, verified: pageCache.verified && after !== null && after.error === undefined && after.fraction >= 0.999 };
}

/** Why O_DIRECT cannot be used on `path`, or null when it can. */
function directRefusal(path, size) {
  let fd;
  try {
    fd = fs.openSync(path, fs.constants.O_RDONLY | fs.constants.O_DIRECT);
  } catch (e) {
    return `the filesystem refuses O_DIRECT (open: ${e.code})`;
  }
  try {
    directBuffers(fd, 1, size);
    return null;
  } catch (e) {
    return `O_DIRECT reads fail here (${e.code ?? e.message})`;
  } finally {
    fs.closeSync(fd);
  }
}

// --- in the child ----------------------------------------------------------

const SEGMENTS = 8;

/** A small seeded generator (mulberry32): the same offsets for every method (and the statistics tests' samples). */
export function generator(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** What the methods see: the instance plus paths (files) or offsets (random). */
export function hydrate(s) {
  if (onFileSet(s.kind)) return { ...s, paths: filePaths(s.dir, s.files) };
  if (s.kind === 'tree') return { ...s };
  if (s.kind === 'random') {
    const blocks = s.fileSize / s.size;
    const segments = [];
    const offsetsFor = (pass) => {
      const k = pass % SEGMENTS;
      if (!segments[k]) {
        const next = generator(s.seed + k);
        const o = new Array(s.opsPerPass);
        for (let j = 0; j < o.length; j++) o[j] = Math.floor(next() * blocks) * s.size;
        segments[k] = o;
      }
      return segments[k];
    };
    return { ...s, offsetsFor };
  }
  fs.mkdirSync(s.dir, { recursive: true });
  return { ...s };
}
