// Working sets: the files each scenario reads, made once and reused between
// runs (a marker file says a set is complete). Every file carries tags so a
// method that read the wrong bytes, or too few, is caught: whole files have
// their index in their first and last 4 bytes; the random-read file has each
// 4 KiB block's index in the block's first 4 bytes.
import fs from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

export const TAG_BLOCK = 4096;

export function smallFilesDir(dataDir, size, count) {
  return join(dataDir, `files-${size}x${count}`);
}

export function filePath(dir, i) {
  return join(dir, `${String(i).padStart(6, '0')}.dat`);
}

export function filePaths(dir, count) {
  const paths = new Array(count);
  for (let i = 0; i < count; i++) paths[i] = filePath(dir, i);
  return paths;
}

export function randomFilePath(dataDir, size) {
  return join(dataDir, `random-${size}.dat`);
}

/** The content of whole file `i` of `size` bytes. */
export function fileContent(i, size) {
  const b = Buffer.alloc(size, i & 0xff);
  if (size >= 4) b.writeUInt32LE(i, 0);
  if (size >= 8) b.writeUInt32LE(i, size - 4);
  return b;
}

/** Throws unless `buf[0, length)` is whole file `i` of `size` bytes (tags at both ends). */
export function checkFile(buf, length, i, size) {
  if (length !== size) throw new Error(`verification failed: file ${i} read ${length} bytes, expected ${size}`);
  if (size >= 4 && buf.readUInt32LE(0) !== i) throw new Error(`verification failed: file ${i} has the wrong first tag`);
  if (size >= 8 && buf.readUInt32LE(size - 4) !== i) throw new Error(`verification failed: file ${i} has the wrong last tag`);
}

/** Throws unless `buf` holds the block read from byte `offset` of the random-read file. */
export function checkBlock(buf, offset) {
  if (offset % TAG_BLOCK === 0 && buf.readUInt32LE(0) !== offset / TAG_BLOCK) {
    throw new Error(`verification failed: read at offset ${offset} returned block ${buf.readUInt32LE(0)}`);
  }
}

function complete(marker, expect) {
  try {
    return fs.readFileSync(marker, 'utf8') === expect;
  } catch {
    return false;
  }
}

export function ensureSmallFiles(dir, size, count) {
  const marker = join(dir, '.complete');
  const expect = `${size}x${count}\n`;
  if (complete(marker, expect)) return false;
  fs.mkdirSync(dir, { recursive: true });
  for (let i = 0; i < count; i++) fs.writeFileSync(filePath(dir, i), fileContent(i, size));
  fs.writeFileSync(marker, expect);
  return true;
}

export function ensureRandomFile(path, size) {
  const marker = `${path}.complete`;
  const expect = `${size}\n`;
  if (complete(marker, expect)) return false;
  const chunk = Buffer.alloc(1024 * 1024);
  const fd = fs.openSync(path, 'w');
  try {
    for (let pos = 0; pos < size; pos += chunk.length) {
      const n = Math.min(chunk.length, size - pos);
      for (let off = 0; off < n; off += TAG_BLOCK) chunk.writeUInt32LE((pos + off) / TAG_BLOCK, off);
      let done = 0;
      while (done < n) done += fs.writeSync(fd, chunk, done, n - done, pos + done);
    }
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.writeFileSync(marker, expect);
  return true;
}

/**
 * Drop `paths` from the page cache (the "cold" state): written back first, then
 * posix_fadvise(POSIX_FADV_DONTNEED) on each, which evicts a file's clean pages
 * without privileges and without touching the rest of the cache. Node has no
 * fadvise, so one python3 process does them all. Returns null, or why it could not.
 */
export function evict(paths) {
  const r = spawnSync('python3', ['-c', [
    'import os, sys',
    'for p in sys.argv[1:]:',
    '    fd = os.open(p, os.O_RDONLY)',
    '    os.fdatasync(fd)',
    '    os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)',
    '    os.close(fd)',
  ].join('\n'), ...paths], { encoding: 'utf8' });
  if (r.error) return `cannot evict files from the page cache: ${r.error.code === 'ENOENT' ? 'python3 not found' : r.error.message}`;
  return r.status === 0 ? null : `cannot evict files from the page cache: ${(r.stderr || `python3 exited ${r.status}`).trim()}`;
}

/** Read every byte once so the page cache holds the set (the "hot" state). */
export function preRead(paths) {
  const buf = Buffer.allocUnsafe(1024 * 1024);
  for (const p of paths) {
    const fd = fs.openSync(p, 'r');
    try {
      while (fs.readSync(fd, buf, 0, buf.length, null) > 0);
    } finally {
      fs.closeSync(fd);
    }
  }
}

let fincoreChecked;
export function hasFincore() {
  if (fincoreChecked === undefined) {
    const r = spawnSync('fincore', ['--version'], { encoding: 'utf8' });
    fincoreChecked = r.status === 0;
  }
  return fincoreChecked;
}

/**
 * How much of `paths` is in the page cache, from util-linux fincore (mincore(2)
 * underneath). Returns null when fincore is not installed.
 */
export function residency(paths) {
  if (!hasFincore()) return null;
  let resident = 0;
  let total = 0;
  // Many paths: a few calls, well under ARG_MAX.
  for (let i = 0; i < paths.length; i += 500) {
    const r = spawnSync('fincore', ['--json', '--bytes', '--output', 'RES,SIZE', ...paths.slice(i, i + 500)], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    if (r.status !== 0) return { error: (r.stderr || `fincore exited ${r.status}`).trim() };
    for (const f of JSON.parse(r.stdout).fincore) {
      // Residency is counted in pages: compare against the size rounded up to one.
      const pages = Math.ceil(Number(f.size) / 4096) * 4096;
      resident += Math.min(Number(f.res), pages);
      total += pages;
    }
  }
  return { residentBytes: resident, totalBytes: total, fraction: total > 0 ? resident / total : 1 };
}

/** The tree of tree-stats: `files` files, `perDir` to a directory. */
export function treeDir(dataDir, files, perDir) {
  return join(dataDir, `tree-${files}x${perDir}`);
}

/** What a walk of the tree must see: its directories, and the files' sizes summed (file j has j % 61 bytes). */
export function treeShape(files, perDir) {
  let fileBytes = 0;
  for (let j = 0; j < files; j++) fileBytes += j % 61;
  return { dirs: Math.ceil(files / perDir), fileBytes };
}

/** Make the tree (once: the marker sits beside it, so that no walk sees it). */
export function ensureTree(root, files, perDir) {
  const marker = `${root}.complete`;
  const expect = `${files}x${perDir}\n`;
  if (complete(marker, expect)) return false;
  fs.rmSync(root, { recursive: true, force: true });
  fs.mkdirSync(root, { recursive: true });
  for (let j = 0; j < files; j++) {
    const dir = join(root, `d${String(Math.floor(j / perDir)).padStart(5, '0')}`);
    if (j % perDir === 0) fs.mkdirSync(dir);
    fs.writeFileSync(join(dir, `f${String(j).padStart(7, '0')}`), Buffer.alloc(j % 61, 0x61));
  }
  fs.writeFileSync(marker, expect);
  return true;
}

/** Walk the tree once (readdir + lstat of every entry), so that its dentries and inodes are cached. */
export function warmTree(root) {
  const stack = [root];
  while (stack.length) {
    const dir = stack.pop();
    for (const d of fs.readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, d.name);
      fs.lstatSync(path);
      if (d.isDirectory()) stack.push(path);
    }
  }
}
