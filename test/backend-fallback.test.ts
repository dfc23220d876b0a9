// io_uring blocked for real: a seccomp filter (test/seccomp/launcher.c,
// compiled here with the system compiler) makes io_uring_setup, _enter and
// _register fail with EPERM or ENOSYS, as Docker's default profile and old
// or locked-down kernels do. Under it, 'auto' must take the thread pool and
// say why, file I/O must work, and an explicit io_uring request must throw
// that reason. Each case is a child process (backend-report.mjs).
import { execFile, execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixture, packageRoot, tempDir } from './fixtures/helpers.js';
import { ioUringAvailable, needsIoUring } from './fixtures/io-uring.js';

const EXPECTED_IO = [
  'hello, world', 5, 'world', 5, 2, 14, 'HELLO, world!?', true, 'HELLO, world!?', 'HELLO, world!?', true, 'ENOENT open',
];

function haveCompiler(): boolean {
  try {
    execFileSync('cc', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

interface Report {
  backend?: string;
  fallbackReason?: string | null;
  defaultRingError?: Record<string, unknown>;
  explicit?: Record<string, unknown>;
  io?: unknown[];
}

/** The fixture's report, run under `launcher <errno>` (or directly), with URINGFS_BACKEND = `backend`. */
function report(blockWith: 'EPERM' | 'ENOSYS' | null, backend: string | undefined, args: string[] = []): Promise<Report> {
  const env = { ...process.env };
  delete env.URINGFS_BACKEND;
  if (backend !== undefined) env.URINGFS_BACKEND = backend;
  const node = [process.execPath, fixture('backend-report.mjs'), ...args];
  const [file, argv] = blockWith === null ? [node[0], node.slice(1)] : [launcher, [blockWith, ...node]];
  return new Promise((resolve, reject) => {
    // The timeout only catches a hang (the child is killed, the test fails).
    execFile(file, argv, { cwd: packageRoot, env, timeout: 30_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${err.message}\nstdout: ${stdout}\nstderr: ${stderr}`));
      else if (stderr !== '') reject(new Error(`unexpected stderr: ${stderr}`));
      else resolve(JSON.parse(stdout) as Report);
    });
  });
}

const build = tempDir('seccomp');
const launcher = join(build.dir, 'launcher');
afterAll(() => build.remove());

/** What 'auto' says after EPERM here: the sysctl decides which words apply. */
function expectedEpermReason(): string {
  let disabled = 0;
  try { disabled = Number.parseInt(readFileSync('/proc/sys/kernel/io_uring_disabled', 'latin1'), 10); } catch { /* no sysctl */ }
  return disabled > 0
    ? `io_uring_setup failed: EPERM — blocked by kernel.io_uring_disabled=${disabled}`
    : "io_uring_setup failed: EPERM — blocked by a seccomp profile (Docker's default profile blocks io_uring) or kernel.io_uring_disabled";
}

const compiler = haveCompiler();

describe.skipIf(!compiler)(`io_uring blocked by seccomp${compiler ? '' : ' (skipped: no `cc` to build test/seccomp/launcher.c)'}`, () => {
  beforeAll(() => {
    execFileSync('cc', ['-O2', '-Wall', '-o', launcher, join(packageRoot, 'test', 'seccomp', 'launcher.c')]);
  });

  it('the launcher really blocks io_uring (the explicit request fails with the filter\'s errno)', async () => {
    const r = await report('EPERM', 'threads', ['explicit-io_uring']);
    expect(r.explicit).toMatchObject({ code: 'EPERM', errno: -1, syscall: 'io_uring_setup' });
    // Not blocked without the launcher.
    if (ioUringAvailable) expect((await report(null, 'threads', ['explicit-io_uring'])).explicit).toEqual({ backend: 'io_uring' });
  });

  for (const backend of [undefined, 'auto'] as const) {
    it(`EPERM: ${backend === undefined ? 'no URINGFS_BACKEND' : `URINGFS_BACKEND=${backend}`} falls back to threads with the reason, and I/O works`, async () => {
      const r = await report('EPERM', backend);
      expect(r).toEqual({ backend: 'threads', fallbackReason: expectedEpermReason(), io: EXPECTED_IO });
    });
  }

  it('ENOSYS: falls back to threads with the reason, and I/O works', async () => {
    const r = await report('ENOSYS', undefined);
    expect(r).toEqual({
      backend: 'threads',
      fallbackReason: 'io_uring_setup failed: ENOSYS — io_uring not available in this kernel (CONFIG_IO_URING off, or before Linux 5.1) or blocked by seccomp',
      io: EXPECTED_IO,
    });
  });

  for (const errno of ['EPERM', 'ENOSYS'] as const) {
    it(`${errno}: an explicit io_uring request throws a system error carrying the reason (option and URINGFS_BACKEND)`, async () => {
      const r = await report(errno, 'io_uring', ['explicit-io_uring']);
      const reason = errno === 'EPERM' ? expectedEpermReason() : expect.stringMatching(/^io_uring_setup failed: ENOSYS — io_uring not available/);
      const error = { code: errno, errno: errno === 'EPERM' ? -1 : -38, syscall: 'io_uring_setup', message: reason, reason };
      expect(r).toEqual({ explicit: error, defaultRingError: error });
    });
  }

  it('URINGFS_BACKEND=threads forces the pool where io_uring works, with no fallback reason', async () => {
    const r = await report(null, 'threads');
    expect(r).toEqual({ backend: 'threads', fallbackReason: null, io: EXPECTED_IO });
  });

  it.skipIf(!ioUringAvailable)(`URINGFS_BACKEND=io_uring where io_uring works gives io_uring, and the same I/O results${needsIoUring}`, async () => {
    const r = await report(null, 'io_uring');
    expect(r).toEqual({ backend: 'io_uring', fallbackReason: null, io: EXPECTED_IO });
  });
});
