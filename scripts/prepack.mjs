#!/usr/bin/env node
// `prepack` (runs before `npm pack` and `npm publish`): make what the tarball ships.
// - dist/: the JavaScript and the type declarations (tsc), checked for leftovers of deleted sources;
// - prebuilds/linux-<this arch>: rebuilt when older than the native sources;
// - prebuilds for other architectures (made by `npm run prebuilds:arm64`) ship as they are, but a
//   stale one (older than the native sources) stops the pack rather than ship an old binary.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { newestNativeSource } from './native-sources.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const run = (script, ...args) => execFileSync(process.execPath, [script, ...args], { cwd: root, stdio: 'inherit' });

run(require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json');

// tsc never deletes: a dist file whose source is gone would ship anyway.
const leftovers = [];
for (const file of walk(join(root, 'dist'))) {
  const rel = relative(join(root, 'dist'), file).replace(/\.d\.(c|m)?ts$|\.(c|m)?js(\.map)?$/, '');
  const sources = ['.ts', '.cts', '.mts'].map((ext) => join(root, 'lib', rel + ext));
  if (!sources.some(existsSync)) leftovers.push(relative(root, file));
}
if (leftovers.length > 0) {
  fail(`dist/ has files without a source in lib/: ${leftovers.join(', ')}\n  rm -rf dist && npm run build:ts`);
}

run(join(root, 'scripts/prebuild.mjs'), '--if-stale');

const newestSource = newestNativeSource(root);
for (const dir of readdirSync(join(root, 'prebuilds'))) {
  for (const file of walk(join(root, 'prebuilds', dir))) {
    if (statSync(file).mtimeMs < newestSource) {
      fail(`${relative(root, file)} is older than the native sources: npm run prebuilds -- --arch ${dir.split('-')[1]}, or delete it`);
    }
    console.log(`prepack: ships ${relative(root, file)}`);
  }
}

function* walk(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(path);
    else yield path;
  }
}

function fail(message) {
  console.error(`prepack: ${message}`);
  process.exit(1);
}
