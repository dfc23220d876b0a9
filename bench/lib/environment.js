// The environment recorded with every result: machine, kernel, Node/libuv,
// uringfs (version, commit, backends and ring setup), filesystem and device,
// and whether this Node's libuv honours UV_USE_IO_URING=1.
import fs from 'node:fs';
import os from 'node:os';
import { basename, join } from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { fioVersion } from './methods/fio.js';
import { buildFloor } from '../floor/build.mjs';
import { hasFincore } from './workset.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const PROBE = fileURLToPath(new URL('../probe.js', import.meta.url));

/** Environment for a child: only the variables a case is about are set. */
export function childEnv(extra) {
  const env = { ...process.env };
  delete env.URINGFS_BACKEND;
  env.UV_USE_IO_URING = '0';
  return { ...env, ...extra };
}

function probe(what, env) {
  const r = spawnSync(process.execPath, [PROBE, what], { cwd: ROOT, env: childEnv(env), encoding: 'utf8', timeout: 30_000 });
  try {
    return JSON.parse(r.stdout.trim().split('\n').pop());
  } catch {
    return { ok: false, error: (r.stderr || `probe exited ${r.status}`).trim().split('\n').slice(-3).join(' | ') };
  }
}

function quiet(cmd, args) {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

function readSys(path) {
  try {
    return fs.readFileSync(path, 'utf8').trim();
  } catch {
    return null;
  }
}

function filesystemOf(dir) {
  fs.mkdirSync(dir, { recursive: true });
  const out = quiet('findmnt', ['-n', '-J', '-o', 'TARGET,SOURCE,FSTYPE,OPTIONS', '-T', dir]);
  let fsInfo = { dir, type: null, source: null, mount: null, options: null };
  if (out) {
    const f = JSON.parse(out).filesystems[0];
    fsInfo = { dir, type: f.fstype, source: f.source, mount: f.target, options: f.options };
  }
  // The block device under it (a partition's queue settings are its disk's).
  let device = null;
  if (fsInfo.source?.startsWith('/dev/')) {
    let name = basename(fs.realpathSync(fsInfo.source));
    if (!fs.existsSync(`/sys/block/${name}`)) {
      try {
        name = basename(fs.realpathSync(`/sys/class/block/${name}/..`));
      } catch {
        // not a block device we can see
      }
    }
    const q = `/sys/block/${name}/queue`;
    device = {
      name,
      model: readSys(`/sys/block/${name}/device/model`),
      rotational: readSys(`${q}/rotational`),
      scheduler: readSys(`${q}/scheduler`),
      logicalBlockSize: Number(readSys(`${q}/logical_block_size`)) || null,
      nrRequests: Number(readSys(`${q}/nr_requests`)) || null,
    };
  }
  return { filesystem: fsInfo, device };
}

/**
 * Everything about the machine plus the probes. `backends` is the list of
 * uringfs backends this build can run, each probed in a fresh process.
 */
export function captureEnvironment(config) {
  const cpus = os.cpus();
  const pkg = JSON.parse(fs.readFileSync(join(ROOT, 'package.json'), 'utf8'));
  const commit = quiet('git', ['-C', ROOT, 'rev-parse', '--short=12', 'HEAD']);
  const dirty = quiet('git', ['-C', ROOT, 'status', '--porcelain', '--', 'lib', 'native', 'binding.gyp']);

  const defaultProbe = probe('uringfs', {});
  const backends = [];
  if (defaultProbe.ok) {
    if (defaultProbe.has.backendOption) {
      for (const name of ['io_uring', 'threads']) {
        const p = probe('uringfs', { URINGFS_BACKEND: name });
        backends.push({ name, env: { URINGFS_BACKEND: name }, ...p, usable: p.ok && p.backend === name });
      }
    } else {
      backends.push({ name: 'io_uring', env: {}, ...defaultProbe, usable: true, note: 'this build has one backend (Ring has no `backend` property)' });
    }
  }

  const uvOff = probe('uv', { UV_USE_IO_URING: '0' });
  const uvOn = probe('uv', { UV_USE_IO_URING: '1' });
  // libuv falls back to its thread pool when its ring's SQ is full, so not
  // every read shows up as an SQE: most of them going to the ring is the sign.
  const honoured = typeof uvOn.sqes === 'number' && uvOn.sqes >= uvOn.reads / 2 && uvOff.sqes === 0;
  const uvIoUring = {
    honoured,
    evidence: uvOn.error
      ? `probe failed: ${uvOn.error}`
      : `${uvOn.reads} fs.read calls consumed ${uvOn.sqes} SQEs on libuv's rings with UV_USE_IO_URING=1, ${uvOff.sqes} with UV_USE_IO_URING=0`,
    summary: honoured
      ? `UV_USE_IO_URING=1 is honoured by Node ${process.version} (libuv ${process.versions.uv}): fs ops go to io_uring`
      : `UV_USE_IO_URING=1 is NOT honoured by Node ${process.version} (libuv ${process.versions.uv}): fs ops stay on the thread pool`,
  };

  return {
    hostname: os.hostname(),
    kernel: { release: os.release(), version: os.version(), arch: os.arch() },
    cpu: { model: cpus[0]?.model ?? null, count: cpus.length, availableParallelism: os.availableParallelism?.() ?? cpus.length },
    memoryBytes: os.totalmem(),
    loadavgAtStart: os.loadavg(),
    node: { version: process.version, uv: process.versions.uv, v8: process.versions.v8, uvThreadpoolSize: process.env.UV_THREADPOOL_SIZE ?? '4 (default)' },
    uringfs: {
      version: pkg.version,
      commit,
      dirty: dirty === null ? null : dirty.length > 0,
      probe: defaultProbe,
      backends,
    },
    uvIoUring,
    ...filesystemOf(config.dataDir),
    tools: { fio: fioVersion(), fincore: hasFincore(), floor: buildFloor() ?? true },
  };
}
