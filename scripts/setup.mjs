#!/usr/bin/env node
// Run first by `npm test` and `npm run bench` (their pre-scripts), so that a fresh clone needs
// nothing typed before them. In order, each step only when something is missing:
//   1. the system packages a source build needs (a C++ compiler, make, python3, liburing's headers
//      and static library), and for `npm test` xz (Node's own fs tests come as a .tar.xz, see
//      test/node-suite/fetch.mjs): installed with apt-get when running as root on Debian/Ubuntu,
//      otherwise one line naming the exact command, and exit 1;
//   2. the npm dependencies (`npm ci`, which also builds the addon);
//   3. the addon (`node-gyp rebuild`) when build/ is missing or older than the native sources.
// Only Node's own modules are used here: it runs before node_modules exists.
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { newestNativeSource } from './native-sources.mjs';
import { nodeHeadersPrefix } from './node-headers.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const APT_PACKAGES = ['g++', 'make', 'python3', 'liburing-dev'];

function say(line) {
  console.error(`uringfs setup: ${line}`);
}

function succeeds(cmd, args, options = {}) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'ignore', ...options });
  return r.status === 0;
}

function run(cmd, args, env = process.env) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env });
  if (r.status !== 0) {
    say(`\`${[cmd, ...args].join(' ')}\` failed (${r.error?.message ?? `exit ${r.status ?? r.signal}`})`);
    process.exit(1);
  }
}

/** What a source build lacks, as the Debian/Ubuntu packages that provide it. */
function missingPackages() {
  const missing = [];
  if (!succeeds('sh', ['-c', 'command -v c++ || command -v g++'])) missing.push('g++');
  if (!succeeds('sh', ['-c', 'command -v make'])) missing.push('make');
  if (!succeeds('sh', ['-c', 'command -v python3'])) missing.push('python3');
  if (!succeeds('sh', ['scripts/check-liburing.sh', 'libfile'])) missing.push('liburing-dev');
  if (process.env.npm_lifecycle_event === 'pretest' && !succeeds('sh', ['-c', 'command -v xz'])) missing.push('xz-utils');
  return missing;
}

const missing = missingPackages();
if (missing.length > 0) {
  const isRoot = process.getuid?.() === 0;
  const hasApt = succeeds('sh', ['-c', 'command -v apt-get']);
  if (isRoot && hasApt) {
    say(`installing ${missing.join(', ')} with apt-get`);
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    run('apt-get', ['update', '-qq'], env);
    run('apt-get', ['install', '-y', '-qq', ...missing], env);
  } else {
    const line = hasApt
      ? `sudo apt-get install -y ${missing.join(' ')}`
      : `install ${missing.join(', ')} (Fedora/RHEL: sudo dnf install gcc-c++ make python3 liburing-devel; Alpine: apk add g++ make python3 liburing-dev)`;
    const who = missing.includes('xz-utils') ? 'a source build and its tests need' : 'a source build needs';
    say(`${who} ${missing.join(', ')}, which this machine lacks. Run: ${line}`);
    process.exit(1);
  }
}

if (!existsSync(join(root, 'node_modules', '.package-lock.json'))) {
  say('installing the npm dependencies (npm ci)');
  run('npm', ['ci', '--no-audit', '--no-fund']);
}

const addon = join(root, 'build', 'Release', 'uringfs.node');
if (!existsSync(addon) || statSync(addon).mtimeMs < newestNativeSource(root)) {
  say('building the native addon');
  const nodedir = process.env.npm_config_nodedir ?? nodeHeadersPrefix();
  run(process.execPath, [join(root, 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'), 'rebuild'], { ...process.env, ...(nodedir ? { npm_config_nodedir: nodedir } : {}) });
}
