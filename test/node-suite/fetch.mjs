// Node's own tests of fs for the running Node's major version, from Debian's source package of
// `nodejs` (deb.debian.org, the apt archive): the index of each suite names the versions it has,
// the one nearest the running Node is downloaded, checked against the index's SHA-256, and its
// test/common, test/fixtures and test/parallel/test-fs-* unpacked into a cache. Nothing of Node's is kept
// in this repository.
//
//   node test/node-suite/fetch.mjs        prints the directory (downloading on first use)
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';

const archive = process.env.URINGFS_DEBIAN_MIRROR || 'http://deb.debian.org/debian';
// Stable first: its versions stay in the archive longest.
const suites = ['trixie', 'forky', 'sid'];
const wanted = ['test/common/', 'test/fixtures/', 'test/parallel/test-fs-'];

export function cacheRoot() {
  return process.env.URINGFS_NODE_TESTS_DIR || join(homedir(), '.cache', 'uringfs', 'node-tests');
}

async function get(url) {
  let lastError;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const res = await fetch(url);
      if (res.status === 404) return null;
      if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
      return Buffer.from(await res.arrayBuffer());
    } catch (err) {
      lastError = err;
      await new Promise((r) => setTimeout(r, 2000 * (attempt + 1)));
    }
  }
  throw new Error(`${url}: ${lastError?.message}`, { cause: lastError });
}

const numbers = (version) => version.split(/[^0-9]+/).filter(Boolean).slice(0, 3).map(Number);

/** The nodejs source packages of the given major in the suites' indexes, nearest the running Node first. */
async function candidates(major) {
  const running = numbers(process.versions.node);
  const found = new Map();
  for (const suite of suites) {
    const index = await get(`${archive}/dists/${suite}/main/source/Sources.gz`);
    if (index === null) continue;
    for (const stanza of gunzipSync(index).toString('utf8').split('\n\n')) {
      if (!stanza.startsWith('Package: nodejs\n')) continue;
      const field = (name) => stanza.match(new RegExp(`^${name}:(.*(?:\\n .*)*)`, 'm'))?.[1];
      const version = field('Version')?.trim();
      if (!version || numbers(version)[0] !== major || found.has(version)) continue;
      const orig = field('Checksums-Sha256').split('\n').map((l) => l.trim().split(/\s+/))
        .find(([, , name]) => /^nodejs_[^_]+\.orig\.tar\.xz$/.test(name ?? ''));
      if (orig) found.set(version, { version, url: `${archive}/${field('Directory').trim()}/${orig[2]}`, sha256: orig[0] });
    }
  }
  const distance = (v) => numbers(v).reduce((d, n, i) => d * 1000 + Math.abs(n - running[i]), 0);
  return [...found.values()].sort((a, b) => distance(a.version) - distance(b.version));
}

/** The directory holding Node's tests for the running major (its test/ inside), fetched on first use. */
export async function nodeTests() {
  const major = numbers(process.versions.node)[0];
  const root = cacheRoot();
  const done = existsSync(root) ? readdirSync(root).filter((d) => d.startsWith(`${major}.`) && existsSync(join(root, d, '.complete'))) : [];
  if (done.length > 0) return { version: done[0], dir: join(root, done[0]) };
  const list = await candidates(major);
  if (list.length === 0) throw new Error(`no nodejs ${major}.x source package in Debian's ${suites.join(', ')} at ${archive}`);
  for (const { version, url, sha256 } of list) {
    const tarball = await get(url);
    if (tarball === null) continue; // listed, but already gone from the mirror
    const sum = createHash('sha256').update(tarball).digest('hex');
    if (sum !== sha256) throw new Error(`${url}: SHA-256 ${sum}, the index says ${sha256}`);
    mkdirSync(root, { recursive: true });
    const work = join(root, `.partial-${process.pid}`);
    rmSync(work, { recursive: true, force: true });
    mkdirSync(work, { recursive: true });
    try {
      writeFileSync(join(work, 'src.tar.xz'), tarball);
      execFileSync('tar', ['-xJf', 'src.tar.xz', '--strip-components=1', '--wildcards', ...wanted.map((w) => `*/${w}*`)], { cwd: work, stdio: ['ignore', 'ignore', 'pipe'] });
      rmSync(join(work, 'src.tar.xz'));
      writeFileSync(join(work, '.complete'), `${url}\n`);
      const dir = join(root, version);
      rmSync(dir, { recursive: true, force: true });
      renameSync(work, dir);
      return { version, dir };
    } catch (err) {
      rmSync(work, { recursive: true, force: true });
      throw err;
    }
  }
  throw new Error(`none of nodejs ${list.map((c) => c.version).join(', ')} could be downloaded from ${archive}`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { version, dir } = await nodeTests();
  console.log(`${version} ${dir}`);
}
