#!/usr/bin/env node
// `npm run prebuilds` / `npm run prebuilds:arm64`: Node-API prebuilds with prebuildify, written to
// prebuilds/<platform>-<arch>/uringfs.glibc.node (node-gyp-build loads them before trying a source build).
//
// prebuildify runs `node-gyp rebuild` in its working directory, which would wipe build/ in the
// checkout (a source build someone may be using). So the native sources are copied into a
// temporary directory, built there, and only the prebuild comes back.
//
// Cross builds (linux-arm64 on an x64 host): needs a cross compiler (Debian: g++-aarch64-linux-gnu)
// and liburing's static library for arm64. The script finds it in $URINGFS_LIBURING_SYSROOT
// (a directory with usr/include/liburing.h and usr/lib/aarch64-linux-gnu/liburing.a), or
// fetches it with `apt-get download liburing-dev:arm64` (needs `dpkg --add-architecture arm64`).
// --if-stale: only build when the prebuild is missing or older than the native sources.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { newestNativeSource } from './native-sources.mjs';
import { nodeHeadersPrefix } from './node-headers.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const args = process.argv.slice(2);
const archFlag = args.indexOf('--arch');
const arch = archFlag >= 0 ? args[archFlag + 1] : process.arch;
const prebuilt = join(root, 'prebuilds', `linux-${arch}`, 'uringfs.glibc.node');

// --if-stale: keep a prebuild that is newer than every native source.
const ifStale = args.indexOf('--if-stale');
if (ifStale >= 0) {
  args.splice(ifStale, 1);
  if (existsSync(prebuilt) && statSync(prebuilt).mtimeMs >= newestNativeSource(root)) {
    console.log(`${relative(root, prebuilt)} is up to date`);
    process.exit(0);
  }
}

const cross = {
  arm64: { triplet: 'aarch64-linux-gnu', debArch: 'arm64' },
  x64: { triplet: 'x86_64-linux-gnu', debArch: 'amd64' },
};

const work = mkdtempSync(join(tmpdir(), 'uringfs-prebuild-'));
try {
  for (const entry of ['package.json', 'binding.gyp', 'native', 'scripts/check-liburing.sh']) {
    cpSync(join(root, entry), join(work, entry), { recursive: true });
  }
  // node-gyp, prebuildify and node-addon-api resolve from the checkout's node_modules.
  symlinkSync(join(root, 'node_modules'), join(work, 'node_modules'));

  const env = { ...process.env };
  // Build against Node headers already on this machine (no download from nodejs.org): the result
  // loads on every Node from 20 on.
  env.npm_config_nodedir ??= nodeHeadersPrefix();
  if (arch !== process.arch) {
    const target = cross[arch];
    if (!target) throw new Error(`no cross toolchain known for --arch ${arch}`);
    const compiler = `${target.triplet}-g++`;
    if (spawnSync(compiler, ['--version']).status !== 0) {
      throw new Error(`cross build for ${arch} needs ${compiler} (Debian: apt-get install g++-${target.triplet})`);
    }
    const sysroot = env.URINGFS_LIBURING_SYSROOT ?? fetchLiburing(target.debArch, work);
    Object.assign(env, {
      CC: `${target.triplet}-gcc`,
      CXX: compiler,
      LINK: compiler,
      // scripts/check-liburing.sh asks pkg-config; pkgconf prefixes the sysroot to the paths it prints.
      PKG_CONFIG_LIBDIR: join(sysroot, 'usr/lib', target.triplet, 'pkgconfig'),
      PKG_CONFIG_SYSROOT_DIR: sysroot,
    });
    args.push('--strip-bin', `${target.triplet}-strip`);
  }

  const prebuildify = join(dirname(require.resolve('prebuildify/package.json')), 'bin.js');
  const result = spawnSync(
    process.execPath,
    [prebuildify, '--napi', '--strip', '--tag-libc', '--target', process.versions.node, '--out', root, ...args],
    { cwd: work, env, stdio: 'inherit' },
  );
  if (result.status !== 0) throw new Error(`prebuildify failed (exit ${result.status ?? result.signal})`);
  if (!existsSync(prebuilt)) throw new Error(`prebuildify did not make ${prebuilt}`);
  console.log(relative(root, prebuilt));
} catch (err) {
  console.error(`prebuild: ${err.message}`);
  process.exitCode = 1;
} finally {
  rmSync(work, { recursive: true, force: true });
}

/** liburing-dev for another architecture, from apt, unpacked into a private sysroot. */
function fetchLiburing(debArch, into) {
  const debs = join(into, 'debs');
  mkdirSync(debs, { recursive: true });
  const got = spawnSync('apt-get', ['download', `liburing-dev:${debArch}`], { cwd: debs, stdio: 'inherit' });
  const deb = readdirSync(debs).find((f) => f.endsWith('.deb'));
  if (got.status !== 0 || !deb) {
    throw new Error(
      `liburing-dev:${debArch} is not available: set URINGFS_LIBURING_SYSROOT, or enable it with ` +
        `\`dpkg --add-architecture ${debArch} && apt-get update\``,
    );
  }
  const sysroot = join(into, 'sysroot');
  execFileSync('dpkg-deb', ['-x', join(debs, deb), sysroot]);
  return sysroot;
}
