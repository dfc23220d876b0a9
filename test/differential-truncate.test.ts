// ftruncate / truncate (sync, callback, promise; FileHandle.truncate) compared with node:fs: the
// file afterwards (size and bytes: cut, or extended with zeros), `len`'s checks and their order
// against the path's and the fd's, and errors. Runs on both backends; on io_uring also as on a
// kernel without IORING_OP_FTRUNCATE (node:fs's own ftruncate then), by URINGFS_TEST_NO_FTRUNCATE.
import { Buffer } from 'node:buffer';
import * as nodeFs from 'node:fs';
import { release } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as uringFs from '../lib/index.js';
import { defaultRing } from '../lib/index.js';
import * as uringFsp from '../lib/promises.js';
import { Sandbox, callCallback, callPromise, callSync, expectSame, flavours, withFd, withHandle, type Flavour, type Impl, type Outcome } from './helpers-differential.js';

const sb = new Sandbox('truncate');
afterAll(() => sb.cleanup());

const setup = (dir: string): void => {
  nodeFs.writeFileSync(join(dir, 'f'), 'twelve bytes');
  nodeFs.mkdirSync(join(dir, 'd'));
  nodeFs.symlinkSync('f', join(dir, 'link'));
  nodeFs.symlinkSync('missing', join(dir, 'dangling'));
};

/** An fd number no process has open (RLIMIT_NOFILE cannot reach it). */
const kNoFd = 2 ** 31 - 1;

const lengths: [string, unknown[]][] = [
  ['no len (0)', []],
  ['len undefined', [undefined]],
  ['len 5: cut', [5]],
  ['len 12: the same size', [12]],
  ['len 100: extended with zeros', [100]],
  ['len 0', [0]],
  ['len -5: counts as 0', [-5]],
  ['len 1.5', [1.5]],
  ['len NaN', [Number.NaN]],
  ['len 2 ** 53', [2 ** 53]],
  ['len a string', ['3']],
  ['len null', [null]],
  ['len a bigint', [3n]],
];

function callTruncate(flavour: Flavour, impl: Impl, args: unknown[]): Promise<Outcome> | Outcome {
  if (flavour === 'sync') return callSync(() => impl.fs.truncateSync(...args));
  if (flavour === 'callback') return callCallback((cb) => impl.fs.truncate(...args, cb));
  return callPromise(() => impl.fsp.truncate(...args));
}

/** ftruncate on an fd opened with node:fs (sync, callback), or FileHandle.truncate on the implementation's own handle (promise). */
function callFtruncate(flavour: Flavour, impl: Impl, path: string, flags: string, args: unknown[]): Promise<Outcome> {
  if (flavour === 'promise') return withHandle(impl, path, flags, (fh) => callPromise(() => fh.truncate(...args)));
  return withFd(path, flags, (fd) => (flavour === 'sync' ? callSync(() => impl.fs.ftruncateSync(fd, ...args)) : callCallback((cb) => impl.fs.ftruncate(fd, ...args, cb))));
}

describe.each(flavours)('truncate, %s flavour', (flavour) => {
  for (const [name, len] of lengths) {
    it(`a file, ${name}`, async () => {
      await expectSame(sb, { setup, run: (impl, dir) => callTruncate(flavour, impl, [join(dir, 'f'), ...len]) });
    });
  }
  const paths: [string, (d: string) => unknown[]][] = [
    ['through a symlink (its target)', (d) => [join(d, 'link'), 4]],
    ['a dangling symlink', (d) => [join(d, 'dangling'), 4]],
    ['a missing file (the open fails before len is looked at)', (d) => [join(d, 'missing'), 'bad']],
    ['a directory', (d) => [join(d, 'd'), 0]],
    ['through a file', (d) => [join(d, 'f', 'x'), 0]],
    ['a Buffer path', (d) => [Buffer.from(join(d, 'f')), 3]],
    ['a file: URL', (d) => [pathToFileURL(join(d, 'f')), 3]],
    ['a NUL byte', (d) => [`${d}/f\u0000`, 3]],
    ['an empty path', () => ['', 3]],
    ['a path that is an object', () => [{}, 3]],
    ['an fd number not open (the deprecated fd form on Node 20 and 22)', () => [kNoFd, 3]],
  ];
  for (const [name, args] of paths) {
    it(name, async () => {
      await expectSame(sb, { setup, run: (impl, dir) => callTruncate(flavour, impl, args(dir)) });
    });
  }
});

describe.each(flavours)('ftruncate (FileHandle.truncate for promises), %s flavour', (flavour) => {
  for (const [name, len] of lengths) {
    it(`an fd open for writing, ${name}`, async () => {
      await expectSame(sb, { setup, run: (impl, dir) => callFtruncate(flavour, impl, join(dir, 'f'), 'r+', len) });
    });
  }
  it('an fd open only for reading (EINVAL)', async () => {
    await expectSame(sb, { setup, run: (impl, dir) => callFtruncate(flavour, impl, join(dir, 'f'), 'r', [3]) });
  });
  it('an fd opened with O_APPEND', async () => {
    await expectSame(sb, { setup, run: (impl, dir) => callFtruncate(flavour, impl, join(dir, 'f'), 'a', [3]) });
  });
  if (flavour !== 'promise') {
    const fds: [string, unknown[]][] = [
      ['an fd not open', [kNoFd, 3]],
      ['fd -1', [-1, 3]],
      ['fd a string', ['3', 3]],
      ['fd 1.5', [1.5, 3]],
      ['fd a string and len a string (len is checked first)', ['3', 'x']],
    ];
    for (const [name, args] of fds) {
      it(name, async () => {
        await expectSame(sb, {
          setup,
          run: (impl) => (flavour === 'sync' ? callSync(() => impl.fs.ftruncateSync(...args)) : callCallback((cb) => impl.fs.ftruncate(...args, cb))),
        });
      });
    }
  }
});

describe('callback argument forms', () => {
  const forms: [string, (fs: Impl['fs'], d: string, cb: (...a: unknown[]) => void) => unknown][] = [
    ['truncate (path, cb)', (fs, d, cb) => fs.truncate(join(d, 'f'), cb)],
    ['truncate (path, undefined, cb)', (fs, d, cb) => fs.truncate(join(d, 'f'), undefined, cb)],
    ['truncate without a callback', (fs, d) => fs.truncate(join(d, 'f'), 3)],
    ['truncate with a bad len and no callback (len first)', (fs, d) => fs.truncate(join(d, 'f'), 'x')],
    ['truncate with a bad path and no callback (callback first)', (fs) => fs.truncate({}, 3)],
    ['ftruncate without a callback', (fs) => fs.ftruncate(kNoFd, 3)],
  ];
  for (const [name, fn] of forms) {
    it(name, async () => {
      await expectSame(sb, { setup, run: (impl, dir) => callCallback((cb) => fn(impl.fs, dir, cb)) });
    });
  }
  it('ftruncate (fd, cb)', async () => {
    await expectSame(sb, { setup, run: (impl, dir) => withFd(join(dir, 'f'), 'r+', (fd) => callCallback((cb) => impl.fs.ftruncate(fd, cb))) });
  });
});

describe('where ftruncate runs', () => {
  const [major, minor] = release().split('.').map(Number);
  const kernelHasFtruncate = major > 6 || (major === 6 && minor >= 9);

  it('on the ring: io_uring on a kernel with IORING_OP_FTRUNCATE (6.9), and the thread pool (one op per ftruncate, three per truncate)', async () => {
    const ring = defaultRing();
    if (ring.backend === 'io_uring') expect(ring.takesFtruncate).toBe(kernelHasFtruncate);
    else expect(ring.takesFtruncate).toBe(true);
    if (!ring.takesFtruncate) return;
    const dir = sb.fresh();
    setup(dir);
    await withFd(join(dir, 'f'), 'r+', async (fd) => {
      const before = ring.stats().submitted;
      await new Promise<void>((resolve, reject) => uringFs.ftruncate(fd, 3, (err) => (err ? reject(err) : resolve())));
      expect(ring.stats().submitted - before).toBe(1);
    });
    const before = ring.stats().submitted;
    await uringFsp.truncate(join(dir, 'f'), 1);
    expect(ring.stats().submitted - before).toBe(3);
    expect(nodeFs.readFileSync(join(dir, 'f'), 'latin1')).toBe('t');
  });

  describe('as on a kernel without IORING_OP_FTRUNCATE (URINGFS_TEST_NO_FTRUNCATE=1): node:fs\'s own on io_uring, the pool still its own', () => {
    beforeAll(() => { process.env.URINGFS_TEST_NO_FTRUNCATE = '1'; });
    afterAll(() => { delete process.env.URINGFS_TEST_NO_FTRUNCATE; });

    it('takes no op of the ring on io_uring', async () => {
      const ring = defaultRing();
      expect(ring.takesFtruncate).toBe(ring.backend !== 'io_uring');
      const dir = sb.fresh();
      setup(dir);
      const before = ring.stats().submitted;
      await uringFsp.truncate(join(dir, 'f'), 4);
      await withFd(join(dir, 'f'), 'r+', (fd) => new Promise<void>((resolve, reject) => uringFs.ftruncate(fd, 2, (err) => (err ? reject(err) : resolve()))));
      expect(ring.stats().submitted - before).toBe(ring.backend === 'io_uring' ? 0 : 4);
      expect(nodeFs.readFileSync(join(dir, 'f'), 'latin1')).toBe('tw');
    });

    const cases: [string, (impl: Impl, dir: string) => Promise<Outcome> | Outcome][] = [
      ['truncate, callback', (impl, dir) => callTruncate('callback', impl, [join(dir, 'f'), 5])],
      ['truncate, callback, a missing file', (impl, dir) => callTruncate('callback', impl, [join(dir, 'missing'), 5])],
      ['truncate, promise', (impl, dir) => callTruncate('promise', impl, [join(dir, 'f'), 100])],
      ['truncate, promise, len a string', (impl, dir) => callTruncate('promise', impl, [join(dir, 'f'), 'x'])],
      ['ftruncate, callback', (impl, dir) => callFtruncate('callback', impl, join(dir, 'f'), 'r+', [3])],
      ['ftruncate, callback, an fd open only for reading', (impl, dir) => callFtruncate('callback', impl, join(dir, 'f'), 'r', [3])],
      ['FileHandle.truncate', (impl, dir) => callFtruncate('promise', impl, join(dir, 'f'), 'r+', [-1])],
      ['FileHandle.truncate, len 1.5', (impl, dir) => callFtruncate('promise', impl, join(dir, 'f'), 'r+', [1.5])],
    ];
    for (const [name, run] of cases) {
      it(name, async () => {
        await expectSame(sb, { setup, run });
      });
    }
  });
});
