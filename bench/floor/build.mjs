// Builds the floor addon (bench/floor/floor.c) when it is missing or older than its source; run by
// `npm run bench` before the cases. A failed build is reported, and the bench then runs without
// the floor rows (each says why), rather than not at all.
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nodeHeadersPrefix } from '../../scripts/node-headers.mjs';

const here = dirname(fileURLToPath(import.meta.url));
export const floorAddon = join(here, 'build', 'Release', 'floor.node');

/** Build if stale; returns null when the addon is there, or why it could not be built. */
export function buildFloor() {
  const sources = ['floor.c', 'binding.gyp'].map((f) => statSync(join(here, f)).mtimeMs);
  if (existsSync(floorAddon) && statSync(floorAddon).mtimeMs >= Math.max(...sources)) return null;
  const nodeGyp = createRequire(import.meta.url).resolve('node-gyp/bin/node-gyp.js');
  const nodedir = process.env.npm_config_nodedir ?? nodeHeadersPrefix();
  const r = spawnSync(process.execPath, [nodeGyp, 'rebuild'], {
    cwd: here, encoding: 'utf8', env: { ...process.env, ...(nodedir ? { npm_config_nodedir: nodedir } : {}) },
  });
  if (r.status === 0 && existsSync(floorAddon)) return null;
  return `the C floor (bench/floor) did not build: ${(r.stderr || r.error?.message || '').trim().split('\n').slice(-3).join(' ')}`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const why = buildFloor();
  if (why) console.error(why);
}
