// The package as users get it: `npm pack`, then `npm install <tarball>` into a fresh project on a
// PATH where cc/g++/make are fakes that fail (and log that they were called), then use it from an
// ES module, from CommonJS, from both in one process, from TypeScript (`tsc --noEmit`, with the
// package's own declarations checked), and on a second Node major (the npm registry's `node`
// package) with the same Node-API prebuild. Also: the prebuild needs no liburing at run time.
//
// Setup builds what is missing: dist/ (if older than lib/) and prebuilds/linux-<arch> (if older
// than native/, via scripts/prebuild.mjs, which builds in a scratch copy: build/ is left alone).
// The pack uses --ignore-scripts: prepack would rewrite dist/ under the feet of other test files.
import { spawn } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixture, packageRoot as root, tempDir } from './fixtures/helpers.js';

interface Result {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/** The environment without the outer npm's npm_* variables (they would steer the inner npm). */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^npm_/i.test(k)) env[k] = v;
  return { ...env, ...extra };
}

/** Run a command to completion; a child that outlives `timeoutMs` is killed and reported as hung. */
function run(cmd: string, args: string[], opts: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (s: string) => { stdout += s; });
    child.stderr.setEncoding('utf8').on('data', (s: string) => { stderr += s; });
    const timer = setTimeout(() => { timedOut = true; child.kill('SIGKILL'); }, opts.timeoutMs ?? 60_000);
    child.on('error', (err) => { clearTimeout(timer); reject(err); });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, timedOut });
    });
  });
}

function describeResult(what: string, r: Result): string {
  return `${what}: code ${r.code} signal ${r.signal}${r.timedOut ? ' (killed: hung)' : ''}\nstdout: ${r.stdout.slice(-4000)}\nstderr: ${r.stderr.slice(-4000)}`;
}

async function runOk(what: string, cmd: string, args: string[], opts: Parameters<typeof run>[2]): Promise<Result> {
  const r = await run(cmd, args, opts);
  if (r.code !== 0) throw new Error(describeResult(what, r));
  return r;
}

/** stderr minus what Node may legitimately print about require(esm) on versions that still warn. */
function unexpectedStderr(stderr: string): string {
  return stderr
    .split('\n')
    .filter((l) => l !== '' && !/ExperimentalWarning: .*(ES Module|require\(\))/.test(l) && !/node --trace-warnings/.test(l))
    .join('\n');
}

function* walk(dir: string): Generator<string> {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.isDirectory()) yield* walk(join(dir, e.name));
    else yield join(dir, e.name);
  }
}

const arch = process.arch;
const prebuild = join(root, 'prebuilds', `linux-${arch}`, 'uringfs.glibc.node');
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
const FAKE_TOOLS = ['cc', 'gcc', 'g++', 'c++', 'clang', 'clang++', 'cpp', 'ld', 'make', 'gmake'];

let tmp: ReturnType<typeof tempDir>;
let packed: { filename: string; files: { path: string; size: number }[]; size: number; unpackedSize: number; entryCount: number };
let tarball: string;
let project: string;
let fakeBin: string;
let compilerLog: string;
let install: Result;

/** Node headers on this machine (as scripts/prebuild.mjs finds them): node-gyp then needs no download. */
function nodedir(): Record<string, string> {
  const prefix = [dirname(dirname(process.execPath)), '/usr/local', '/usr'].find((p) => existsSync(join(p, 'include', 'node', 'node_api.h')));
  return prefix ? { npm_config_nodedir: prefix } : {};
}

/** PATH with the fake toolchain first. */
function fakeToolchainEnv(extraPath: string[] = []): NodeJS.ProcessEnv {
  return cleanEnv({
    PATH: [fakeBin, ...extraPath, dirname(process.execPath), process.env.PATH ?? '/usr/bin:/bin'].join(':'),
    CC: join(fakeBin, 'cc'),
    CXX: join(fakeBin, 'g++'),
    npm_config_build_from_source: 'false',
  });
}

beforeAll(async () => {
  // dist/ as of lib/ (npm test's pretest builds it; a lone run of this file may not have).
  const stale = [...walk(join(root, 'lib'))].some((src) => {
    const out = join(root, 'dist', relative(join(root, 'lib'), src).replace(/\.ts$/, '.js').replace(/\.cts$/, '.cjs'));
    return !existsSync(out) || statSync(out).mtimeMs < statSync(src).mtimeMs;
  });
  if (stale) await runOk('tsc (dist/)', process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: root, timeoutMs: 120_000 });
  // The prebuild for this machine, if missing or older than native/.
  await runOk('scripts/prebuild.mjs --if-stale', process.execPath, [join(root, 'scripts', 'prebuild.mjs'), '--if-stale'], {
    cwd: root,
    env: cleanEnv(nodedir()),
    timeoutMs: 240_000,
  });

  tmp = tempDir('consumer');
  const pack = await runOk('npm pack', 'npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', tmp.dir], { cwd: root, timeoutMs: 120_000 });
  packed = JSON.parse(pack.stdout)[0];
  tarball = join(tmp.dir, packed.filename);

  // A fresh project, and a toolchain that fails and tells on whoever calls it.
  project = join(tmp.dir, 'project');
  fakeBin = join(tmp.dir, 'fake-bin');
  compilerLog = join(tmp.dir, 'compiler-calls.log');
  mkdirSync(project);
  mkdirSync(fakeBin);
  writeFileSync(compilerLog, '');
  for (const tool of FAKE_TOOLS) {
    writeFileSync(join(fakeBin, tool), `#!/bin/sh\necho "$0 $*" >> '${compilerLog}'\nexit 1\n`);
    chmodSync(join(fakeBin, tool), 0o755);
  }
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'uringfs-consumer', private: true, type: 'module' }, null, 2));
  for (const f of ['esm.mjs', 'cjs.cjs', 'both.cjs', 'worker.cjs']) cpSync(fixture(join('consumer', f)), join(project, f));

  install = await run('npm', ['install', tarball, '--prefer-offline', '--no-audit', '--no-fund', '--foreground-scripts'], {
    cwd: project,
    env: fakeToolchainEnv(),
    timeoutMs: 180_000,
  });
}, 600_000);

afterAll(() => tmp?.remove());

describe('npm pack', () => {
  it('ships the JavaScript, declarations, native sources, prebuild, README and LICENSE — nothing else', () => {
    const paths = packed.files.map((f) => f.path);
    const native = readdirSync(join(root, 'native')).map((f) => `native/${f}`);
    for (const p of [
      'package.json', 'README.md', 'LICENSE', 'binding.gyp', 'scripts/check-liburing.sh',
      'dist/index.js', 'dist/index.d.ts', 'dist/promises.js', 'dist/promises.d.ts', 'dist/binding.js',
      'dist/cjs/index.cjs', 'dist/cjs/index.d.cts', 'dist/cjs/promises.cjs', 'dist/cjs/promises.d.cts',
      'dist/log/index.js', 'dist/log/index.d.ts', 'dist/cjs/log.cjs', 'dist/cjs/log.d.cts',
      `prebuilds/linux-${arch}/uringfs.glibc.node`, ...native,
    ]) expect(paths, p).toContain(p);
    // Every module in lib/ has its JavaScript and its declarations.
    for (const src of walk(join(root, 'lib'))) {
      const base = relative(join(root, 'lib'), src).replace(/\.c?ts$/, '');
      const cjs = src.endsWith('.cts');
      expect(paths).toContain(`dist/${base}${cjs ? '.cjs' : '.js'}`);
      expect(paths).toContain(`dist/${base}${cjs ? '.d.cts' : '.d.ts'}`);
    }
    const allowed = /^(package\.json|README\.md|LICENSE|binding\.gyp|scripts\/check-liburing\.sh|docs\/[^/]+\.md|docs\/bench\/chart\.svg|native\/[^/]+\.(cc|h)|dist\/.+\.(js|cjs|d\.ts|d\.cts)|prebuilds\/linux-[a-z0-9]+\/[^/]+\.node)$/;
    expect(paths.filter((p) => !allowed.test(p))).toEqual([]);
    expect(paths.filter((p) => /^(test|bench|build|lib|node_modules)\/|\.map$|\.tgz$/.test(p))).toEqual([]);
    // A size budget, not a speed: catches a stray data file or an unstripped binary.
    expect(packed.unpackedSize).toBeLessThan(2_000_000);
    console.log(`npm pack: ${packed.entryCount} files, ${packed.size} bytes packed, ${packed.unpackedSize} unpacked`);
  });

  it("has every file README.md links to (so the package's README has no dead links)", () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const links = [...readme.matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)].map((m) => m[1]).filter((l) => !/^[a-z]+:/i.test(l));
    const paths = new Set(packed.files.map((f) => f.path));
    expect(links.filter((l) => !paths.has(l.replace(/^\.\//, '')))).toEqual([]);
  });

  it('has every target of "exports", "main" and "types" in the tarball', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
    const targets: string[] = [pkg.main, pkg.types];
    const collect = (v: unknown): void => {
      if (typeof v === 'string') targets.push(v);
      else if (v && typeof v === 'object') Object.values(v).forEach(collect);
    };
    collect(pkg.exports);
    collect(pkg.typesVersions);
    const paths = new Set(packed.files.map((f) => f.path));
    for (const t of targets) expect(paths, t).toContain(t.replace(/^\.\//, ''));
  });
});

describe('prebuilds', () => {
  const allowedNeeded = /^(libc\.so\.6|libm\.so\.6|libpthread\.so\.0|libstdc\+\+\.so\.6|libgcc_s\.so\.1|ld-linux-[a-z0-9_-]+\.so\.[0-9]+)$/;

  it('need nothing at run time beyond libc, libpthread, libm, libstdc++ and libgcc (liburing is linked in)', async (ctx) => {
    const which = await run('sh', ['-c', 'command -v readelf'], { cwd: root });
    if (which.code !== 0) ctx.skip('readelf (binutils) is not installed');
    const files = [...walk(join(root, 'prebuilds'))].filter((f) => f.endsWith('.node'));
    expect(files).toContain(prebuild);
    for (const file of files) {
      const dyn = await runOk('readelf -d', 'readelf', ['-d', '-W', file], { cwd: root });
      const needed = [...dyn.stdout.matchAll(/\(NEEDED\)\s+Shared library: \[([^\]]+)\]/g)].map((m) => m[1]);
      expect(needed.length, file).toBeGreaterThan(0);
      expect(needed.filter((n) => !allowedNeeded.test(n)), file).toEqual([]);
      // No io_uring_* symbol left for the dynamic linker to find elsewhere.
      const syms = await runOk('readelf --dyn-syms', 'readelf', ['--dyn-syms', '-W', file], { cwd: root });
      const undefinedUring = syms.stdout.split('\n').filter((l) => / UND /.test(l) && /io_uring|liburing/.test(l));
      expect(undefinedUring, file).toEqual([]);
      expect(syms.stdout, file).toMatch(/napi_register_module_v1/);
    }
  });

  // RHEL 8 and Debian 10 have glibc 2.28 and GCC 8's libstdc++ (GLIBCXX_3.4.25, CXXABI_1.3.11):
  // no symbol may ask for a newer version (native/glibc_compat.h binds the older ones).
  it('ask for no symbol version newer than GLIBC_2.28, GLIBCXX_3.4.25 and CXXABI_1.3.11', async (ctx) => {
    const which = await run('sh', ['-c', 'command -v readelf'], { cwd: root });
    if (which.code !== 0) ctx.skip('readelf (binutils) is not installed');
    const limits: Record<string, number[]> = { GLIBC: [2, 28], GLIBCXX: [3, 4, 25], CXXABI: [1, 3, 11] };
    const newer = (v: number[], limit: number[]) => {
      for (let i = 0; i < Math.max(v.length, limit.length); i++) {
        if ((v[i] ?? 0) !== (limit[i] ?? 0)) return (v[i] ?? 0) > (limit[i] ?? 0);
      }
      return false;
    };
    const files = [...walk(join(root, 'prebuilds'))].filter((f) => f.endsWith('.node'));
    expect(files).toContain(prebuild);
    for (const file of files) {
      const syms = await runOk('readelf --dyn-syms', 'readelf', ['--dyn-syms', '-W', file], { cwd: root });
      const versions = [...syms.stdout.matchAll(/@+(GLIBC|GLIBCXX|CXXABI)_([0-9.]+)/g)];
      expect(versions.length, file).toBeGreaterThan(10);
      const tooNew = versions
        .filter(([, lib, v]) => newer(v.split('.').map(Number), limits[lib]))
        .map(([m]) => m);
      expect([...new Set(tooNew)], file).toEqual([]);
    }
  });

  it(`loads here: ldd finds every library of the linux-${arch} prebuild`, async (ctx) => {
    const which = await run('sh', ['-c', 'command -v ldd'], { cwd: root });
    if (which.code !== 0) ctx.skip('ldd is not installed');
    const r = await runOk('ldd', 'ldd', [prebuild], { cwd: root });
    expect(r.stdout).not.toMatch(/not found|uring/);
  });
});

describe('npm install <tarball> without a compiler', () => {
  it('installs from the prebuild and never calls the compiler, make or node-gyp', () => {
    expect(install.code, describeResult('npm install', install)).toBe(0);
    expect(readFileSync(compilerLog, 'utf8')).toBe('');
    const installed = join(project, 'node_modules', 'uringfs');
    expect(existsSync(join(installed, `prebuilds/linux-${arch}/uringfs.glibc.node`))).toBe(true);
    expect(existsSync(join(installed, 'build'))).toBe(false);
  });

  it('node-gyp-build resolves the installed package to its prebuild', async () => {
    const r = await runOk('node-gyp-build resolve', process.execPath, ['-p', "require('node-gyp-build').resolve('node_modules/uringfs')"], { cwd: project });
    expect(r.stdout.trim()).toBe(join(project, 'node_modules', 'uringfs', 'prebuilds', `linux-${arch}`, 'uringfs.glibc.node'));
  });

  // The control: the fake toolchain really is in the way, so a package without a matching
  // prebuild does reach for it (and fails) — the clean log above means something.
  it('without the prebuild, the same install step tries to compile (and the fakes catch it)', async () => {
    expect(install.code).toBe(0);
    const copy = join(tmp.dir, 'no-prebuild', 'uringfs');
    cpSync(join(project, 'node_modules', 'uringfs'), copy, { recursive: true, dereference: true });
    rmSync(join(copy, 'prebuilds'), { recursive: true });
    writeFileSync(compilerLog, '');
    const r = await run(process.execPath, [join(project, 'node_modules', 'node-gyp-build', 'bin.js')], {
      cwd: copy,
      // node-gyp and node-addon-api from this checkout; headers from the running Node.
      env: { ...fakeToolchainEnv([join(root, 'node_modules', '.bin')]), NODE_PATH: join(root, 'node_modules'), ...nodedir() },
      timeoutMs: 120_000,
    });
    expect(r.code, describeResult('node-gyp-build without prebuilds', r)).not.toBe(0);
    expect(readFileSync(compilerLog, 'utf8'), describeResult('node-gyp-build without prebuilds', r)).toMatch(/make|g\+\+|cc/);
    writeFileSync(compilerLog, '');
  });
});

describe('a prebuild that does not load', () => {
  it('fails with the loader\'s own reason and the command that builds from source', async () => {
    expect(install.code).toBe(0);
    const broken = join(tmp.dir, 'broken');
    const copy = join(broken, 'node_modules', 'uringfs');
    cpSync(join(project, 'node_modules', 'uringfs'), copy, { recursive: true, dereference: true });
    cpSync(join(project, 'node_modules', 'node-gyp-build'), join(broken, 'node_modules', 'node-gyp-build'), { recursive: true, dereference: true });
    writeFileSync(join(copy, 'prebuilds', `linux-${arch}`, 'uringfs.glibc.node'), 'not a shared object');
    const r = await run(process.execPath, ['-e', "try { require('uringfs') } catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message })) }"], { cwd: broken });
    expect(r.code, describeResult('require a broken prebuild', r)).toBe(0);
    const err = JSON.parse(r.stdout) as { code: string; message: string };
    expect(err.code).toBe('ERR_URINGFS_NO_ADDON');
    expect(err.message).toMatch(/the native addon did not load: .*(invalid ELF header|file too short)/);
    expect(err.message).toMatch(/liburing-dev.*npm rebuild uringfs/s);
  });
});

interface ConsumerOutput {
  sync: string;
  callback: string;
  promise: string;
  onRing: string;
  bytesRead: number;
  error: { code: string; syscall: string; errno: number };
  completed: number;
  log: { lsn: number; logged: string };
}

function expectConsumer(r: Result, text: string): void {
  expect(r.code, describeResult('consumer', r)).toBe(0);
  expect(unexpectedStderr(r.stderr), describeResult('consumer', r)).toBe('');
  const out = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as ConsumerOutput;
  expect(out).toMatchObject({ sync: text, callback: text, promise: text, onRing: text, bytesRead: 5, error: { code: 'ENOENT', syscall: 'open', errno: -2 }, log: { lsn: 1, logged: 'logged' } });
  expect(out.completed).toBeGreaterThan(0);
}

function expectOneModule(r: Result): void {
  expect(r.code, describeResult('both.cjs', r)).toBe(0);
  expect(unexpectedStderr(r.stderr), describeResult('both.cjs', r)).toBe('');
  expect(JSON.parse(r.stdout.trim().split('\n').at(-1)!)).toEqual({
    sameReadFile: true,
    samePromisesModule: true,
    sameRingClass: true,
    sameDefaultRing: true,
    countedAcross: expect.any(Number),
    redirected: true,
    worker: { sameDefaultRing: true, startCompleted: 0, completed: expect.any(Number) },
    mainUntouchedByWorker: true,
  });
  const out = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
  expect(out.countedAcross).toBeGreaterThan(0);
  expect(out.worker.completed).toBeGreaterThan(0);
}

/** The module-system checks, for one node binary. */
function moduleSystemTests(node: () => string | undefined, skipReason: () => string): void {
  const runScript = async (ctx: { skip: (note?: string) => never }, ...args: string[]): Promise<Result> => {
    const bin = node();
    if (!bin) ctx.skip(skipReason());
    expect(install.code, describeResult('npm install', install)).toBe(0);
    return run(bin!, args, { cwd: project, timeoutMs: 60_000 });
  };
  it("import from 'uringfs' and 'uringfs/promises'", async (ctx) => {
    expectConsumer(await runScript(ctx, 'esm.mjs'), 'hello from an ES module');
  });
  it("require('uringfs') and require('uringfs/promises')", async (ctx) => {
    expectConsumer(await runScript(ctx, 'cjs.cjs'), 'hello from CommonJS');
  });
  it('require() then import(): one module, one default ring; a worker has its own', async (ctx) => {
    expectOneModule(await runScript(ctx, 'both.cjs', 'require-first'));
  });
  it('import() then require(): one module, one default ring; a worker has its own', async (ctx) => {
    expectOneModule(await runScript(ctx, 'both.cjs', 'import-first'));
  });
}

describe(`module systems on Node ${process.versions.node}`, () => {
  moduleSystemTests(() => process.execPath, () => '');

  it('require() where this Node has no require(esm): a clear error naming what to do', async () => {
    // --no-experimental-require-module turns require(esm) off where it is on by default (20.19+).
    const args = process.features.require_module ? ['--no-experimental-require-module', 'cjs.cjs'] : ['cjs.cjs'];
    const r = await run(process.execPath, args, { cwd: project });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("require('uringfs') needs require(esm), on by default from Node.js 20.19 and 22.12");
    expect(r.stderr).toContain("code: 'ERR_REQUIRE_ESM'");
  });
});

// Node-API promises one binary for every later Node: the npm registry's `node` package ships
// Node binaries in its tarball. Skipped, saying why, where it cannot be installed.
describe('on a second Node major (node@24 from the npm registry)', () => {
  let node24: string | undefined;
  let reason = '';
  beforeAll(async () => {
    const r = await run('npx', ['--prefer-offline', '-y', 'node@24', '-p', 'process.execPath + " " + process.versions.node'], {
      cwd: tmp.dir,
      timeoutMs: 240_000,
    });
    const [path, version] = r.stdout.trim().split('\n').at(-1)?.split(' ') ?? [];
    if (r.code === 0 && path && version?.startsWith('24.') && existsSync(path)) node24 = path;
    else reason = `node@24 could not be installed from the npm registry: ${describeResult('npx node@24', r)}`;
  }, 300_000);
  moduleSystemTests(() => node24, () => reason);
});

describe('TypeScript consumers (tsc --noEmit, the package declarations checked too)', () => {
  const compilerOptions = {
    target: 'ES2022',
    strict: true,
    noEmit: true,
    skipLibCheck: false,
    types: ['node'],
    typeRoots: [join(root, 'node_modules', '@types')],
  };

  async function typecheck(name: string, options: Record<string, unknown>, files: Record<string, string>): Promise<Result> {
    const dir = join(project, name);
    mkdirSync(dir, { recursive: true });
    for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, file), text);
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { ...compilerOptions, ...options }, files: Object.keys(files) }, null, 2));
    return run(process.execPath, [tsc, '-p', join(dir, 'tsconfig.json')], { cwd: dir, timeoutMs: 120_000 });
  }

  it('ES module and CommonJS (.cts) files, module nodenext', async () => {
    expect(install.code, describeResult('npm install', install)).toBe(0);
    const r = await typecheck('ts-nodenext', { module: 'nodenext', moduleResolution: 'nodenext' }, {
      'esm.ts': `
import { readFileSync, readFile, defaultRing, setDefaultRing, Ring, Batch, Stats, readFiles, type RingOptions, type RingStats, type SystemError, type Outcome } from 'uringfs';
import * as fsp from 'uringfs/promises';
import { open, FileHandle } from 'uringfs/promises';
import { openLog, Log, type LogOptions, type CommitMode, type LogRecord } from 'uringfs/log';

const logOptions: LogOptions = { mode: 'group', groupDelayMs: 0, segmentSize: 1 << 20 };
const mode: CommitMode = 'sync';
const log: Promise<Log> = openLog('/tmp/log', logOptions);
void log.then(async (l) => { const lsn: number = await l.append('x', { mode }); for await (const r of l.read()) { const rec: LogRecord = r; void rec; } void lsn; });
// @ts-expect-error: not a commit mode
openLog('/tmp/log', { mode: 'eventually' });

const data: Buffer | string = readFileSync('/etc/hostname', 'utf8');
readFile('/etc/hostname', 'utf8', (err: NodeJS.ErrnoException | null, text: string) => { void err; void text; });
const options: RingOptions = { entries: 64, taskrun: 'coop', submit: 'turn' };
const ring: Ring = new Ring(options);
const previous: Ring | undefined = setDefaultRing(ring);
const stats: RingStats = defaultRing().stats();
const n: number = stats.completed + stats.enters;
const batch: Batch = ring.batch();
const outcomes: Promise<Outcome[]> = batch.nop().submit();
const handle: Promise<FileHandle> = open('/etc/hostname', 'r');
const text: Promise<Buffer | string> = fsp.readFile('/etc/hostname', 'utf8');
const st: Promise<Stats> = fsp.stat('/etc/hostname') as Promise<Stats>;
const files = readFiles(['/etc/hostname']);
const viaRing: Promise<string> = ring.promises.readFile('/etc/hostname', 'utf8');
ring.callbacks.stat('/etc/hostname', (err: NodeJS.ErrnoException | null, s: Stats) => { void err; void s; });
const handleOnRing: Promise<FileHandle> = ring.promises.open('/etc/hostname');
function describeError(e: SystemError): string { return e.code + e.errno + e.syscall; }
// @ts-expect-error: a path is required
readFileSync();
// @ts-expect-error: not a Ring option
new Ring({ entriez: 64 });
// @ts-expect-error: stats are numbers
const wrong: string = stats.submitted;
// @ts-expect-error: ring.promises is read-only
ring.promises.readFile = fsp.readFile;
export { data, previous, n, outcomes, handle, text, st, files, viaRing, handleOnRing, describeError, wrong };
`,
      'cjs.cts': `
import uringfs = require('uringfs');
import promises = require('uringfs/promises');
import uringlog = require('uringfs/log');
const opened: Promise<uringlog.Log> = uringlog.openLog('/tmp/log');
const data: Buffer | string = uringfs.readFileSync('/etc/hostname');
const ring: uringfs.Ring = uringfs.defaultRing();
const p: Promise<Buffer | string> = promises.readFile('/etc/hostname');
const same: boolean = uringfs.promises.readFile === promises.readFile;
// @ts-expect-error: no such export
uringfs.readFileSynk('/etc/hostname');
export = { data, ring, p, same, opened };
`,
    });
    expect(r.code, describeResult('tsc (nodenext)', r)).toBe(0);
  });

  it('a CommonJS project with the legacy resolver (module commonjs, moduleResolution node10)', async () => {
    expect(install.code, describeResult('npm install', install)).toBe(0);
    const r = await typecheck('ts-node10', { module: 'commonjs', moduleResolution: 'node10', esModuleInterop: true }, {
      'legacy.ts': `
import { readFileSync, defaultRing } from 'uringfs';
import { readFile } from 'uringfs/promises';
import { openLog, type Log } from 'uringfs/log';
const log: Promise<Log> = openLog('/tmp/log');
const data: Buffer | string = readFileSync('/etc/hostname');
const completed: number = defaultRing().stats().completed;
const p: Promise<Buffer | string> = readFile('/etc/hostname');
// @ts-expect-error: no such export
import { readFileSynk } from 'uringfs';
export { data, completed, p, readFileSynk, log };
`,
    });
    expect(r.code, describeResult('tsc (node10)', r)).toBe(0);
  });

  it('results narrow by encoding as with node:fs (string with one, Buffer without)', async () => {
    expect(install.code, describeResult('npm install', install)).toBe(0);
    const r = await typecheck('ts-narrow', { module: 'nodenext', moduleResolution: 'nodenext' }, {
      'narrow.ts': `
import { readFileSync } from 'uringfs';
import { readFile } from 'uringfs/promises';
const text: string = readFileSync('/etc/hostname', 'utf8');
const bytes: Buffer = readFileSync('/etc/hostname');
const later: Promise<string> = readFile('/etc/hostname', 'utf8');
export { text, bytes, later };
`,
    });
    expect(r.code, describeResult('tsc (narrowing)', r)).toBe(0);
  });
});
