// stat / lstat / fstat (and fsPromises.stat, lstat, FileHandle.stat)
// compared with node:fs field by field (numbers and bigints, Dates, key
// order, the is*() predicates) on one fixture that both stat, plus errors,
// throwIfNoEntry and argument forms.
import { execFileSync } from 'node:child_process';
import * as nodeFs from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as uringFs from '../lib/index.js';
import { makeStats } from '../lib/stats.js';
import { Prng } from './fixtures/helpers.js';
import { Sandbox, callCallback, callPromise, callSync, expectSame, flavours, type Flavour, type Impl, type Outcome } from './helpers-differential.js';

const sb = new Sandbox('stat');
const fx = join(sb.base, 'fixture');
beforeAll(() => {
  nodeFs.mkdirSync(fx);
  nodeFs.writeFileSync(join(fx, 'f'), 'twelve bytes');
  nodeFs.writeFileSync(join(fx, 'empty'), '');
  nodeFs.writeFileSync(join(fx, 'x'), '#!/bin/sh\n', { mode: 0o755 });
  nodeFs.mkdirSync(join(fx, 'd'), { mode: 0o700 });
  nodeFs.symlinkSync('f', join(fx, 'link'));
  nodeFs.symlinkSync('missing', join(fx, 'dangling'));
  nodeFs.symlinkSync('loop', join(fx, 'loop'));
  execFileSync('mkfifo', [join(fx, 'fifo')]);
  const fd = nodeFs.openSync(join(fx, 'sparse'), 'w');
  nodeFs.ftruncateSync(fd, 2 ** 33 + 3);
  nodeFs.closeSync(fd);
});
afterAll(() => sb.cleanup());

const targets: [string, () => unknown][] = [
  ['a file', () => join(fx, 'f')],
  ['an empty file', () => join(fx, 'empty')],
  ['an executable', () => join(fx, 'x')],
  ['a directory', () => join(fx, 'd')],
  ['a symlink', () => join(fx, 'link')],
  ['a dangling symlink', () => join(fx, 'dangling')],
  ['a symlink loop', () => join(fx, 'loop')],
  ['a FIFO', () => join(fx, 'fifo')],
  ['a sparse 8 GiB file', () => join(fx, 'sparse')],
  ['/dev/null (a character device)', () => '/dev/null'],
  ['/proc/self/status (size 0)', () => '/proc/version'],
  ['/', () => '/'],
  ['a missing file', () => join(fx, 'missing')],
  ['through a file', () => join(fx, 'f', 'x')],
  ['an empty path', () => ''],
  ['a NUL byte', () => `${fx}/f\u0000`],
  ['a Buffer path', () => Buffer.from(join(fx, 'f'))],
  ['a missing Buffer path', () => Buffer.from(join(fx, 'nope'))],
  ['a file: URL', () => pathToFileURL(join(fx, 'link'))],
  ['a number', () => 7],
  ['undefined', () => undefined],
];

const optionSets: [string, unknown[]][] = [
  ['no options', []],
  ['{ bigint: true }', [{ bigint: true }]],
  ['{ bigint: false }', [{ bigint: false }]],
  ['{}', [{}]],
  ['{ bigint: 1 } (truthy)', [{ bigint: 1 }]],
];

function statBy(flavour: Flavour, impl: Impl, fn: 'stat' | 'lstat', target: unknown, opts: unknown[]): Promise<Outcome> | Outcome {
  if (flavour === 'sync') return callSync(() => impl.fs[`${fn}Sync`](target, ...opts));
  if (flavour === 'callback') return callCallback((cb) => impl.fs[fn](target, ...opts, cb));
  return callPromise(() => impl.fsp[fn](target, ...opts));
}

describe.each(['stat', 'lstat'] as const)('%s', (fn) => {
  describe.each(flavours)('%s flavour', (flavour) => {
    for (const [name, target] of targets) {
      for (const [optName, opts] of optionSets) {
        if (optName !== 'no options' && optName !== '{ bigint: true }' && !['a file', 'a symlink', 'a missing file'].includes(name)) continue;
        it(`${name}, ${optName}`, async () => {
          await expectSame(sb, { snapshot: false, run: (impl) => statBy(flavour, impl, fn, target(), opts) });
        });
      }
    }

    it('options null (node:fs reads options.bigint: a TypeError)', async () => {
      await expectSame(sb, { snapshot: false, run: (impl) => statBy(flavour, impl, fn, join(fx, 'f'), [null]) });
    });

    it('options null and a bad path (the path is checked first)', async () => {
      await expectSame(sb, { snapshot: false, run: (impl) => statBy(flavour, impl, fn, 5, [null]) });
    });
  });

  describe('throwIfNoEntry: false (sync flavour)', () => {
    for (const [name, target] of [
      ['a missing file', () => join(fx, 'missing')], ['through a file (ENOTDIR)', () => join(fx, 'f', 'x')],
      ['a symlink loop (ELOOP still throws)', () => join(fx, 'loop')], ['a file', () => join(fx, 'f')],
      ['a dangling symlink', () => join(fx, 'dangling')], ['a NUL byte (still an argument error)', () => 'a\u0000'],
    ] as [string, () => unknown][]) {
      it(name, async () => {
        await expectSame(sb, {
          snapshot: false,
          run: (impl) => ({
            off: callSync(() => impl.fs[`${fn}Sync`](target(), { throwIfNoEntry: false })),
            offBigint: callSync(() => impl.fs[`${fn}Sync`](target(), { throwIfNoEntry: false, bigint: true })),
            on: callSync(() => impl.fs[`${fn}Sync`](target(), { throwIfNoEntry: true })),
            falsy: callSync(() => impl.fs[`${fn}Sync`](target(), { throwIfNoEntry: 0 })),
          }),
        });
      });
    }
  });

  describe('throwIfNoEntry: false (promise flavour: honoured by node:fs/promises 24\'s stat)', () => {
    for (const [name, target] of [
      ['a missing file', () => join(fx, 'missing')], ['through a file (ENOTDIR)', () => join(fx, 'f', 'x')],
      ['a symlink loop (ELOOP still rejects)', () => join(fx, 'loop')], ['a file', () => join(fx, 'f')],
      ['a dangling symlink', () => join(fx, 'dangling')],
    ] as [string, () => unknown][]) {
      it(name, async () => {
        await expectSame(sb, {
          snapshot: false,
          run: async (impl) => ({
            off: await callPromise(() => impl.fsp[fn](target(), { throwIfNoEntry: false })),
            offBigint: await callPromise(() => impl.fsp[fn](target(), { throwIfNoEntry: false, bigint: true })),
            on: await callPromise(() => impl.fsp[fn](target(), { throwIfNoEntry: true })),
          }),
        });
      });
    }
  });

  it('callback forms: (path, cb), (path, options, cb), (path, undefined, cb), and no callback', async () => {
    await expectSame(sb, {
      snapshot: false,
      run: async (impl) => ({
        plain: await callCallback((cb) => impl.fs[fn](join(fx, 'f'), cb)),
        options: await callCallback((cb) => impl.fs[fn](join(fx, 'f'), { bigint: true }, cb)),
        undefinedOptions: await callCallback((cb) => impl.fs[fn](join(fx, 'f'), undefined, cb)),
        noCallback: callSync(() => impl.fs[fn](join(fx, 'f'))),
        noCallbackBadPath: callSync(() => impl.fs[fn](5)),
        optionsNoCallback: callSync(() => impl.fs[fn](join(fx, 'f'), {})),
      }),
    });
  });
});

describe('fstat', () => {
  const files: [string, string, string][] = [
    ['a file', 'f', 'r'], ['a directory', 'd', 'r'], ['a FIFO', 'fifo', 'r+'], ['/dev/null', '/dev/null', 'r'], ['a sparse file', 'sparse', 'r'],
  ];
  for (const [name, file, flags] of files) {
    it.each(flavours)(`${name}, %s flavour`, async (flavour) => {
      await expectSame(sb, {
        snapshot: false,
        run: async (impl) => {
          const path = file.startsWith('/') ? file : join(fx, file);
          if (flavour === 'promise') {
            const fh = await impl.fsp.open(path, flags);
            try {
              return {
                plain: await callPromise(() => fh.stat()),
                bigint: await callPromise(() => fh.stat({ bigint: true })),
                nullOptions: await callPromise(() => fh.stat(null)),
              };
            } finally {
              await fh.close();
            }
          }
          const fd = nodeFs.openSync(path, flags);
          try {
            if (flavour === 'sync') {
              return {
                plain: callSync(() => impl.fs.fstatSync(fd)),
                bigint: callSync(() => impl.fs.fstatSync(fd, { bigint: true })),
                nullOptions: callSync(() => impl.fs.fstatSync(fd, null)),
              };
            }
            return {
              plain: await callCallback((cb) => impl.fs.fstat(fd, cb)),
              bigint: await callCallback((cb) => impl.fs.fstat(fd, { bigint: true }, cb)),
              nullOptions: await callCallback((cb) => impl.fs.fstat(fd, null, cb)),
            };
          } finally {
            nodeFs.closeSync(fd);
          }
        },
      });
    });
  }

  const badFds: [string, unknown][] = [['-1', -1], ['a string', '1'], ['fractional', 1.5], ['2 ** 31', 2 ** 31], ['not open', 1_000_000]];
  for (const [name, fd] of badFds) {
    it.each(['sync', 'callback'] as const)(`fd ${name}, %s flavour`, async (flavour) => {
      await expectSame(sb, {
        snapshot: false,
        run: (impl) => (flavour === 'sync' ? callSync(() => impl.fs.fstatSync(fd)) : callCallback((cb) => impl.fs.fstat(fd, cb))),
      });
    });
  }

  it('a closed FileHandle', async () => {
    await expectSame(sb, {
      snapshot: false,
      run: async (impl) => {
        const fh = await impl.fsp.open(join(fx, 'f'));
        await fh.close();
        return callPromise(() => fh.stat());
      },
    });
  });
});

it('Stats from uringfs are node:fs Stats and BigIntStats, built as the running Node builds them', () => {
  for (const options of [{ bigint: false }, { bigint: true }]) {
    const ours = uringFs.statSync(join(fx, 'f'), options)!;
    const theirs = nodeFs.statSync(join(fx, 'f'), options);
    expect(Object.getPrototypeOf(ours)).toBe(Object.getPrototypeOf(theirs));
    expect(ours instanceof nodeFs.Stats).toBe(theirs instanceof nodeFs.Stats);
    expect(ours).toBeInstanceOf(options.bigint ? uringFs.BigIntStats : uringFs.Stats);
    // Own properties and their descriptors, before any date is read (Node 22 and later make the
    // dates lazy getters that turn into own properties once read), and again after.
    expect(Object.getOwnPropertyNames(ours)).toEqual(Object.getOwnPropertyNames(theirs));
    const descriptors = (s: object) => Object.entries(Object.getOwnPropertyDescriptors(s)).map(([k, d]) => [k, d.enumerable, d.writable, typeof d.value]);
    expect(descriptors(ours)).toEqual(descriptors(theirs));
    const json = (s: object) => JSON.stringify(s, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v));
    expect(json(ours)).toEqual(json(theirs));
    for (const k of ['atime', 'mtime', 'ctime', 'birthtime'] as const) expect(ours[k]).toEqual(theirs[k]);
    expect(descriptors(ours)).toEqual(descriptors(theirs));
    expect(inspect(ours)).toBe(inspect(theirs));
  }
  expect(uringFs.Stats).toBe(nodeFs.Stats);
});

describe('callback stat with an aborted options.signal', () => {
  it('does what the running node:fs does (Node 24: AbortError to the callback, at once)', async () => {
    type Stat = (path: string, options: object, cb: (err: Error | null, st?: unknown) => void) => void;
    const outcome = (stat: Stat) => new Promise((resolve) => {
      const signal = AbortSignal.abort();
      let sync = true;
      stat(join(fx, 'sparse'), { signal }, (err, st) => resolve({ sync, name: err?.name, code: (err as NodeJS.ErrnoException | null)?.code, causeIsReason: err?.cause === signal.reason, stats: st !== undefined }));
      sync = false;
    });
    expect(await outcome(uringFs.stat as unknown as Stat)).toEqual(await outcome(nodeFs.stat as unknown as Stat));
  });
});

describe('Stats from the kernel struct, every bit pattern', () => {
  // Stats fields are read as Numbers without BigInts; the BigIntStats path (BigInts throughout) is
  // the reference: each number field must be Number() of the bigint one, as node:fs's binding
  // converts them (device numbers with high bits in major and minor, 64-bit sizes, times before 1970).
  it('number fields equal Number() of the bigint ones, for random and edge values', () => {
    const prng = new Prng(41);
    const edges = [0, 1, 0xff, 0x100, 0xfff, 0x1000, 0x7fffffff, 0x80000000, 0xfffff000, 0xffffff00, 0xffffffff];
    for (let i = 0; i < 2000; i++) {
      const b = Buffer.from(prng.bytes(256));
      if (i < edges.length ** 2) {
        for (const at of [128, 136]) b.writeUInt32LE(edges[i % edges.length], at);
        for (const at of [132, 140]) b.writeUInt32LE(edges[Math.floor(i / edges.length)], at);
      }
      if (i % 3 === 0) for (const at of [64, 80, 96, 112]) b.writeInt32LE(-1, at + 4);  // before 1970
      for (const at of [64, 80, 96, 112]) b.writeUInt32LE(b.readUInt32LE(at + 8) % 1e9, at + 8);
      const n = makeStats(b, false) as unknown as Record<string, number>;
      const big = makeStats(b, true) as unknown as Record<string, bigint>;
      for (const k of ['dev', 'mode', 'nlink', 'uid', 'gid', 'rdev', 'blksize', 'ino', 'size', 'blocks']) {
        expect(n[k], `${k} of pattern ${i}`).toBe(Number(big[k]));
      }
      // Times as node:fs's binding makes them: seconds * 1e3 + nanoseconds / 1e6, in doubles.
      for (const [t, at] of [['atime', 64], ['btime', 80], ['ctime', 96], ['mtime', 112]] as const) {
        const name = t === 'btime' ? 'birthtimeMs' : `${t}Ms`;
        expect(n[name], `${t} of pattern ${i}`).toBe(Number(b.readBigInt64LE(at)) * 1e3 + b.readUInt32LE(at + 8) / 1e6);
      }
    }
  });
});
