// readFile / writeFile / appendFile (and the FileHandle methods of the same
// names) compared with node:fs: contents, encodings, flags, modes, fds and
// FileHandles at a position, files that report size 0 (/proc), and errors.
import { Buffer } from 'node:buffer';
import * as nodeFs from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import * as uringFs from '../lib/index.js';
import * as uringFsp from '../lib/promises.js';
import {
  Sandbox, bytes, callCallback, callPromise, callSync, errorShape, expectSame, flavours, type Flavour, type Impl, type Outcome,
} from './helpers-differential.js';

const sb = new Sandbox('whole');
afterAll(() => sb.cleanup());

const big = bytes(200 * 1024 + 17, 11);
// Bytes that are not UTF-8, each decoded to U+FFFD its own way: a stray continuation byte, 0xff,
// a lead byte cut short, an overlong '/', a surrogate (ED A0 80), a code point past U+10FFFF,
// and a sequence cut off by the end of the file.
const notUtf8 = Buffer.from([0x61, 0x80, 0x62, 0xff, 0xc3, 0x28, 0xc0, 0xaf, 0xed, 0xa0, 0x80, 0xf4, 0x90, 0x80, 0x80, 0x63, 0xe2, 0x82]);

const setup = (dir: string): void => {
  nodeFs.writeFileSync(join(dir, 'f'), 'héllo wörld\n');
  nodeFs.writeFileSync(join(dir, 'empty'), '');
  nodeFs.writeFileSync(join(dir, 'big'), big);
  nodeFs.writeFileSync(join(dir, 'ro'), 'read only', { mode: 0o444 });
  nodeFs.mkdirSync(join(dir, 'd'));
  nodeFs.writeFileSync(join(dir, 'notutf8'), notUtf8);
};

/**
 * A target: a path (relative to the work dir; absolute paths pass through),
 * an fd (opened with node:fs, moved `at` bytes in, closed after), or a
 * FileHandle (opened with the implementation's own promises API).
 */
type Target = string | { fd: string; flags?: string; at?: number } | { handle: string; flags?: string; at?: number } | { raw: unknown };

interface Case {
  name: string;
  target: Target;
  rest: (dir: string) => unknown[];
  only?: Flavour[];
  /** Compare a stable projection of the result instead of the result (e.g. /proc files). */
  project?: (o: Outcome) => Outcome;
}

async function runCase(op: 'readFile' | 'writeFile' | 'appendFile', flavour: Flavour, impl: Impl, dir: string, c: Case): Promise<Outcome> {
  const rest = c.rest(dir);
  let target: unknown;
  let cleanup = async (): Promise<void> => {};
  let position = (): unknown => undefined;
  if (typeof c.target === 'string') {
    target = c.target.startsWith('/') ? c.target : join(dir, c.target);
  } else if ('raw' in c.target) {
    target = c.target.raw;
  } else if ('fd' in c.target) {
    const fd = nodeFs.openSync(join(dir, c.target.fd), c.target.flags ?? 'r');
    if (c.target.at) nodeFs.readSync(fd, Buffer.alloc(c.target.at));
    target = fd;
    position = () => nextBytes(fd);
    cleanup = async () => nodeFs.closeSync(fd);
  } else {
    const fh = await impl.fsp.open(join(dir, c.target.handle), c.target.flags ?? 'r');
    if (c.target.at) nodeFs.readSync(fh.fd, Buffer.alloc(c.target.at));
    target = fh;
    position = () => nextBytes(fh.fd);
    cleanup = () => fh.close();
  }
  try {
    let outcome: Outcome;
    if (flavour === 'sync') outcome = callSync(() => impl.fs[`${op}Sync`](target, ...rest));
    else if (flavour === 'callback') outcome = await callCallback((cb) => impl.fs[op](target, ...rest, cb));
    else outcome = await callPromise(() => impl.fsp[op](target, ...rest));
    if (c.project) outcome = c.project(outcome);
    return { ...outcome, position: position() };
  } finally {
    await cleanup();
  }
}

function nextBytes(fd: number): string {
  const b = Buffer.alloc(4);
  try {
    return b.subarray(0, nodeFs.readSync(fd, b, 0, 4, null)).toString('hex');
  } catch (e) {
    return `error ${(e as NodeJS.ErrnoException).code}`;
  }
}

const aborted = (): AbortSignal => AbortSignal.abort(new Error('stop'));

/** /proc/self/status differs between any two reads (memory, context switches): keep the lines that do not. */
function stableStatus(o: Outcome): Outcome {
  const text = (o.returned ?? o.resolved ?? (o.callback as unknown[] | undefined)?.[1]) as string | undefined;
  if (typeof text !== 'string') return o;
  const keep = text.split('\n').filter((l) => /^(Name|Umask|Tgid|Pid|PPid|Uid|Gid):/.test(l));
  return { kind: Object.keys(o)[0], keep, lines: keep.length };
}

const readCases: Case[] = [
  { name: 'a file', target: 'f', rest: () => [] },
  { name: 'utf8 (string option)', target: 'f', rest: () => ['utf8'] },
  { name: 'utf-8 (object option)', target: 'f', rest: () => [{ encoding: 'utf-8' }] },
  { name: 'latin1', target: 'f', rest: () => ['latin1'] },
  { name: 'base64', target: 'f', rest: () => [{ encoding: 'base64' }] },
  { name: 'hex', target: 'f', rest: () => [{ encoding: 'hex' }] },
  { name: 'encoding null', target: 'f', rest: () => [{ encoding: null }] },
  { name: 'encoding empty string (a Buffer)', target: 'f', rest: () => [{ encoding: '' }] },
  { name: 'encoding "buffer" (fails decoding)', target: 'f', rest: () => [{ encoding: 'buffer' }] },
  { name: 'an unknown encoding', target: 'f', rest: () => ['bogus'] },
  { name: 'options null', target: 'f', rest: () => [null] },
  { name: 'options a number', target: 'f', rest: () => [5] },
  { name: 'bytes that are not UTF-8, as utf8', target: 'notutf8', rest: () => ['utf8'] },
  { name: 'bytes that are not UTF-8, as utf-8 (object option)', target: 'notutf8', rest: () => [{ encoding: 'utf-8' }] },
  { name: 'an empty file', target: 'empty', rest: () => [] },
  { name: 'an empty file as utf8', target: 'empty', rest: () => ['utf8'] },
  { name: 'a 200 KiB file', target: 'big', rest: () => [] },
  { name: 'a 200 KiB file as base64', target: 'big', rest: () => ['base64'] },
  { name: '/proc/version (size 0 in stat)', target: '/proc/version', rest: () => [] },
  { name: '/proc/self/cmdline', target: '/proc/self/cmdline', rest: () => ['latin1'] },
  { name: '/proc/self/status', target: '/proc/self/status', rest: () => ['utf8'], project: stableStatus },
  { name: 'a directory', target: 'd', rest: () => [] },
  { name: 'a directory as utf8', target: 'd', rest: () => ['utf8'] },
  { name: 'a missing file', target: 'missing', rest: () => [] },
  { name: 'a missing file as utf8', target: 'missing', rest: () => ['utf8'] },
  { name: 'a missing directory on the way', target: 'f/x', rest: () => [] },
  { name: 'a path with a NUL byte', target: { raw: '/tmp/a\u0000b' }, rest: () => [] },
  { name: 'a Buffer path', target: { raw: Buffer.from('/proc/version') }, rest: () => [] },
  { name: 'a Buffer path with a NUL byte', target: { raw: Buffer.from('/tmp/a\u0000b') }, rest: () => [] },
  { name: 'a file: URL', target: { raw: pathToFileURL('/proc/version') }, rest: () => [] },
  { name: 'an http: URL', target: { raw: new URL('http://example.com/x') }, rest: () => [] },
  { name: 'a file: URL with a host', target: { raw: new URL('file://host/x') }, rest: () => [] },
  { name: 'a file: URL with an encoded slash', target: { raw: new URL('file:///a%2fb') }, rest: () => [] },
  { name: 'a path that is a number', target: { raw: 1.5 }, rest: () => [] },
  { name: 'a path that is an object', target: { raw: {} }, rest: () => [] },
  { name: 'flag r', target: 'f', rest: () => [{ flag: 'r' }] },
  { name: 'flag a+ creates a missing file', target: 'new', rest: () => [{ flag: 'a+' }] },
  { name: 'flag w+ truncates', target: 'f', rest: () => [{ flag: 'w+' }] },
  { name: 'flag numeric O_RDONLY', target: 'f', rest: () => [{ flag: 0 }] },
  { name: 'flag unknown', target: 'f', rest: () => [{ flag: 'bogus' }] },
  { name: 'flag empty string', target: 'f', rest: () => [{ flag: '' }] },
  { name: 'flag empty string with utf8', target: 'f', rest: () => [{ flag: '', encoding: 'utf8' }] },
  { name: 'flag fractional', target: 'f', rest: () => [{ flag: 1.5 }] },
  { name: 'flag wx on an existing file', target: 'f', rest: () => [{ flag: 'wx' }] },
  { name: 'an aborted signal', target: 'f', rest: () => [{ signal: aborted() }] },
  { name: 'a signal that is not one', target: 'f', rest: () => [{ signal: 'nope' }] },
  // fds (node:fs/promises takes none: its readFile rejects them as paths)
  { name: 'an fd', target: { fd: 'f' }, rest: () => [] },
  { name: 'an fd moved in (the rest of the file)', target: { fd: 'f', at: 3 }, rest: () => ['utf8'] },
  { name: 'an fd at its end', target: { fd: 'big', at: big.length }, rest: () => [] },
  // node:fs's callback readFile drops read errors on an fd the caller owns
  // (calling back with an empty Buffer) and throws a bad fd as an uncaught
  // exception: uringfs reports both as readFileSync does (tested below).
  { name: 'an fd of a directory', target: { fd: 'd' }, rest: () => [], only: ['sync', 'promise'] },
  { name: 'an fd with a bad flag (ignored for fds)', target: { fd: 'f' }, rest: () => [{ flag: 'bogus' }] },
  { name: 'an fd with a bad flag, utf8', target: { fd: 'f' }, rest: () => [{ flag: 'bogus', encoding: 'utf8' }], only: ['sync', 'promise'] },
  { name: 'fd -1', target: { raw: -1 }, rest: () => [], only: ['sync', 'promise'] },
  { name: 'fd -1 as utf8', target: { raw: -1 }, rest: () => ['utf8'], only: ['sync', 'promise'] },
  { name: 'fd 2 ** 31 (a path, then)', target: { raw: 2 ** 31 }, rest: () => [] },
  { name: 'a write-only fd', target: { fd: 'f', flags: 'a' }, rest: () => [], only: ['sync', 'promise'] },
];

describe.each(flavours)('readFile, %s flavour', (flavour) => {
  for (const c of readCases) {
    if (c.only && !c.only.includes(flavour)) continue;
    it(c.name, async () => {
      await expectSame(sb, { setup, run: (impl, dir) => runCase('readFile', flavour, impl, dir, c) });
    });
  }
});

const writeCases: Case[] = [
  { name: 'a string to a new file', target: 'new', rest: () => ['héllo'] },
  { name: 'a string over a file', target: 'f', rest: () => ['x'] },
  { name: 'a Buffer', target: 'new', rest: () => [Buffer.from([0, 1, 2, 255])] },
  { name: 'a Uint16Array', target: 'new', rest: () => [new Uint16Array([0x4241, 0x4443])] },
  { name: 'a DataView with an offset', target: 'new', rest: () => [new DataView(new Uint8Array([1, 2, 3, 4, 5]).buffer, 1, 3)] },
  { name: 'an empty string', target: 'f', rest: () => [''] },
  { name: 'an empty string to a new file', target: 'new', rest: () => [''] },
  { name: 'a 200 KiB buffer', target: 'new', rest: () => [big] },
  { name: 'latin1 (string option)', target: 'new', rest: () => ['héllo', 'latin1'] },
  { name: 'hex', target: 'new', rest: () => ['cafe', { encoding: 'hex' }] },
  { name: 'base64', target: 'new', rest: () => ['aGk=', { encoding: 'base64' }] },
  { name: 'encoding ignored for a Buffer', target: 'new', rest: () => [Buffer.from('hi'), { encoding: 'hex' }] },
  { name: 'an unknown encoding', target: 'new', rest: () => ['x', { encoding: 'bogus' }] },
  { name: 'mode 0o600 for a new file', target: 'new', rest: () => ['x', { mode: 0o600 }] },
  { name: 'mode as an octal string', target: 'new', rest: () => ['x', { mode: '640' }] },
  { name: 'mode not octal', target: 'new', rest: () => ['x', { mode: '8' }] },
  { name: 'mode negative', target: 'new', rest: () => ['x', { mode: -1 }] },
  { name: 'mode ignored for an existing file', target: 'f', rest: () => ['x', { mode: 0o600 }] },
  { name: 'flag a appends', target: 'f', rest: () => ['++', { flag: 'a' }] },
  { name: 'flag wx on an existing file', target: 'f', rest: () => ['x', { flag: 'wx' }] },
  { name: 'flag r (a read-only fd)', target: 'f', rest: () => ['x', { flag: 'r' }] },
  { name: 'flag r with empty data', target: 'f', rest: () => ['', { flag: 'r' }] },
  { name: 'flag unknown', target: 'f', rest: () => ['x', { flag: 'bogus' }] },
  { name: 'flag empty string (w)', target: 'f', rest: () => ['x', { flag: '' }] },
  { name: 'flag numeric', target: 'new', rest: () => ['x', { flag: nodeFs.constants.O_CREAT | nodeFs.constants.O_WRONLY }] },
  { name: 'flush true', target: 'new', rest: () => ['x', { flush: true }] },
  { name: 'flush not a boolean', target: 'new', rest: () => ['x', { flush: 'yes' }] },
  { name: 'data a number', target: 'new', rest: () => [5] },
  { name: 'data null', target: 'new', rest: () => [null] },
  { name: 'data an object with toString', target: 'new', rest: () => [{ toString: () => 'x' }] },
  { name: 'options a number', target: 'new', rest: () => ['x', 5] },
  { name: 'a directory', target: 'd', rest: () => ['x'] },
  { name: 'a missing directory on the way', target: 'nope/new', rest: () => ['x'] },
  { name: 'a read-only file', target: 'ro', rest: () => ['x'] },
  { name: 'a path with a NUL byte', target: { raw: 'a\u0000b' }, rest: () => ['x'] },
  { name: 'an aborted signal', target: 'new', rest: () => ['x', { signal: aborted() }] },
  { name: 'an fd (at its position)', target: { fd: 'f', flags: 'r+', at: 2 }, rest: () => ['XY'] },
  { name: 'an fd in append mode', target: { fd: 'f', flags: 'a' }, rest: () => ['XY'] },
  { name: 'an fd with a bad flag (ignored for fds)', target: { fd: 'f', flags: 'r+' }, rest: () => [Buffer.from('XY'), { flag: 'bogus' }] },
  { name: 'a read-only fd', target: { fd: 'f', flags: 'r' }, rest: () => ['XY'] },
  { name: 'a read-only fd, empty data', target: { fd: 'f', flags: 'r' }, rest: () => [''] },
  { name: 'fd -1', target: { raw: -1 }, rest: () => ['x'] },
  { name: 'fd -1, a Buffer', target: { raw: -1 }, rest: () => [Buffer.from('x')] },
  { name: 'fd -1, empty data', target: { raw: -1 }, rest: () => [''] },
  { name: 'fd -1, empty data, flush', target: { raw: -1 }, rest: () => ['', { flush: true }] },
  { name: 'fd -1, an aborted signal', target: { raw: -1 }, rest: () => ['x', { signal: aborted() }] },
];

describe.each(flavours)('writeFile, %s flavour', (flavour) => {
  for (const c of writeCases) {
    if (c.only && !c.only.includes(flavour)) continue;
    it(c.name, async () => {
      await expectSame(sb, { setup, run: (impl, dir) => runCase('writeFile', flavour, impl, dir, c) });
    });
  }
});

const appendCases: Case[] = [
  { name: 'to an existing file', target: 'f', rest: () => ['++'] },
  { name: 'to a new file', target: 'new', rest: () => ['x'] },
  { name: 'to a new file with a mode', target: 'new', rest: () => ['x', { mode: 0o600 }] },
  { name: 'a Buffer', target: 'f', rest: () => [Buffer.from([0, 255])] },
  { name: 'encoding as a string', target: 'f', rest: () => ['é', 'latin1'] },
  { name: 'flag w (truncates)', target: 'f', rest: () => ['x', { flag: 'w' }] },
  { name: 'flag empty string (a)', target: 'f', rest: () => ['x', { flag: '' }] },
  { name: 'flag ax on an existing file', target: 'f', rest: () => ['x', { flag: 'ax' }] },
  { name: 'flag r', target: 'f', rest: () => ['x', { flag: 'r' }] },
  { name: 'an fd (its own position, flag forced to a)', target: { fd: 'f', flags: 'r+', at: 1 }, rest: () => ['XY', { flag: 'r' }] },
  { name: 'a directory', target: 'd', rest: () => ['x'] },
  { name: 'data a number', target: 'f', rest: () => [1] },
  { name: 'options not an object', target: 'f', rest: () => ['x', true] },
];

describe.each(flavours)('appendFile, %s flavour', (flavour) => {
  for (const c of appendCases) {
    if (c.only && !c.only.includes(flavour)) continue;
    it(c.name, async () => {
      await expectSame(sb, { setup, run: (impl, dir) => runCase('appendFile', flavour, impl, dir, c) });
    });
  }
});

describe('FileHandle.readFile / writeFile / appendFile', () => {
  const handleCases: [string, Target, 'readFile' | 'writeFile' | 'appendFile', unknown[]][] = [
    ['readFile from the start', { handle: 'f' }, 'readFile', []],
    ['readFile from a position', { handle: 'f', at: 4 }, 'readFile', ['utf8']],
    ['readFile at the end', { handle: 'f', at: 13 }, 'readFile', []],
    ['readFile of a 200 KiB file as hex', { handle: 'big' }, 'readFile', [{ encoding: 'hex' }]],
    ['readFile of /proc/version', { handle: '/proc/version' }, 'readFile', []],
    ['readFile with encoding "buffer"', { handle: 'f' }, 'readFile', [{ encoding: 'buffer' }]],
    ['readFile with an aborted signal', { handle: 'f' }, 'readFile', [{ signal: aborted() }]],
    ['readFile of a directory', { handle: 'd' }, 'readFile', []],
    ['readFile on a write-only handle', { handle: 'f', flags: 'a' }, 'readFile', []],
    ['writeFile at a position', { handle: 'f', flags: 'r+', at: 3 }, 'writeFile', ['XYZ']],
    ['writeFile with an encoding', { handle: 'f', flags: 'r+' }, 'writeFile', ['00ff', 'hex']],
    ['writeFile of an empty string', { handle: 'f', flags: 'r+' }, 'writeFile', ['']],
    ['writeFile of an iterable', { handle: 'f', flags: 'r+' }, 'writeFile', [['ab', Buffer.from('cd'), 'é']]],
    ['writeFile of an iterable with a bad chunk', { handle: 'f', flags: 'r+' }, 'writeFile', [['ab', 5]]],
    ['writeFile of a number', { handle: 'f', flags: 'r+' }, 'writeFile', [5]],
    ['writeFile on a read-only handle', { handle: 'f' }, 'writeFile', ['x']],
    ['writeFile with flush', { handle: 'f', flags: 'r+' }, 'writeFile', ['x', { flush: true }]],
    ['appendFile at a position (no O_APPEND)', { handle: 'f', flags: 'r+', at: 2 }, 'appendFile', ['++']],
    ['appendFile on an O_APPEND handle', { handle: 'f', flags: 'a' }, 'appendFile', ['++']],
  ];
  for (const [name, target, method, args] of handleCases) {
    it(name, async () => {
      await expectSame(sb, {
        setup,
        run: async (impl, dir) => {
          const t = target as { handle: string; flags?: string; at?: number };
          const path = t.handle.startsWith('/') ? t.handle : join(dir, t.handle);
          const fh = await impl.fsp.open(path, t.flags ?? 'r');
          try {
            if (t.at) nodeFs.readSync(fh.fd, Buffer.alloc(t.at));
            const o = await callPromise(() => fh[method](...args));
            return { ...o, position: nextBytes(fh.fd) };
          } finally {
            await fh.close();
          }
        },
      });
    });
  }

  it('module readFile/writeFile/appendFile take a FileHandle (read and written at its position)', async () => {
    await expectSame(sb, {
      setup,
      run: async (impl, dir) => {
        const fh = await impl.fsp.open(join(dir, 'f'), 'r+');
        try {
          nodeFs.readSync(fh.fd, Buffer.alloc(2));
          const read = await callPromise(() => impl.fsp.readFile(fh, 'utf8'));
          const written = await callPromise(() => impl.fsp.writeFile(fh, '<w>'));
          const appended = await callPromise(() => impl.fsp.appendFile(fh, '<a>', { flag: 'r' }));
          return { read, written, appended };
        } finally {
          await fh.close();
        }
      },
    });
  });

  it('on a closed FileHandle: "file closed" from the methods, EBADF from the kernel through the module functions', async () => {
    await expectSame(sb, {
      setup,
      run: async (impl, dir) => {
        const fh = await impl.fsp.open(join(dir, 'f'), 'r+');
        await fh.close();
        return {
          readFile: await callPromise(() => fh.readFile()),
          writeFile: await callPromise(() => fh.writeFile('x')),
          appendFile: await callPromise(() => fh.appendFile('x')),
          moduleReadFile: await callPromise(() => impl.fsp.readFile(fh)),
          moduleWriteFile: await callPromise(() => impl.fsp.writeFile(fh, 'x')),
          moduleWriteFileEmpty: await callPromise(() => impl.fsp.writeFile(fh, '')),
        };
      },
    });
  });
});

describe('promises writeFile takes iterables', () => {
  async function* chunks(): AsyncGenerator<string | Buffer> {
    yield 'a';
    yield Buffer.from('bc');
    yield 'é';
  }
  function* sync(): Generator<string> {
    yield 'x';
    yield 'y';
  }
  it.each([
    ['an array of strings and buffers', () => ['ab', Buffer.from('cd')]],
    ['a generator', () => sync()],
    ['an async generator', () => chunks()],
    ['an async generator with an encoding', () => chunks(), 'latin1'],
  ] as [string, () => unknown, string?][])('%s', async (_name, make, encoding) => {
    await expectSame(sb, {
      setup,
      run: async (impl, dir) => callPromise(() => impl.fsp.writeFile(join(dir, 'new'), make(), encoding)),
    });
  });
});

describe('readFile by fd in the callback flavour reports what readFileSync reports (node:fs loses these)', () => {
  it.each([
    ['a directory', 'd', 'r', 'EISDIR'],
    ['a write-only fd', 'f', 'a', 'EBADF'],
  ])('%s', async (_name, file, flags, code) => {
    const dir = sb.fresh();
    setup(dir);
    const fd = nodeFs.openSync(join(dir, file), flags);
    try {
      let expected: NodeJS.ErrnoException | undefined;
      try { nodeFs.readFileSync(fd); } catch (e) { expected = e as NodeJS.ErrnoException; }
      expect(expected?.code).toBe(code);
      const err = await new Promise<NodeJS.ErrnoException | null>((resolve) => uringFs.readFile(fd, (e) => resolve(e)));
      expect(err).toMatchObject({ code, syscall: expected!.syscall, errno: expected!.errno, message: expected!.message });
    } finally {
      nodeFs.closeSync(fd);
    }
  });

  it('fd -1 calls back with the RangeError readFileSync throws', async () => {
    let expected: Error | undefined;
    try { nodeFs.readFileSync(-1); } catch (e) { expected = e as Error; }
    const err = await new Promise<Error | null>((resolve) => uringFs.readFile(-1, (e) => resolve(e)));
    expect(err).toBeInstanceOf(RangeError);
    expect(err).toMatchObject({ code: 'ERR_OUT_OF_RANGE', message: expected!.message });
  });
});

it('readFile of /proc/self/status parses in every flavour, with the stable lines node:fs sees', async () => {
  const expected = stableStatus({ returned: nodeFs.readFileSync('/proc/self/status', 'utf8') });
  const viaSync = uringFs.readFileSync('/proc/self/status', 'utf8') as string;
  const viaCallback = await new Promise<string>((resolve, reject) => uringFs.readFile('/proc/self/status', 'utf8', (e, d) => (e ? reject(e) : resolve(d))));
  const viaPromise = await uringFsp.readFile('/proc/self/status', 'utf8') as string;
  for (const text of [viaSync, viaCallback, viaPromise]) {
    expect(stableStatus({ returned: text })).toEqual(expected);
    expect(text.endsWith('\n')).toBe(true);
    expect(text).toMatch(/^VmRSS:/m);
  }
});

describe("readFile with options.buffer: into the caller's memory where node:fs reads there (Node 24.21 and later), ignored where node:fs ignores it", () => {
  type Into = (size: number) => Record<string, unknown>;
  const content = Buffer.from('into the caller\n'.repeat(300));
  const file = join(sb.base, 'into-buffer');
  nodeFs.mkdirSync(sb.base, { recursive: true });
  nodeFs.writeFileSync(file, content);
  const options: [string, Into][] = [
    ['a Buffer with room to spare', (n) => ({ buffer: Buffer.alloc(n + 16, 0x78) })],
    ['a Uint8Array, utf8', (n) => ({ buffer: new Uint8Array(n + 3), encoding: 'utf8' })],
    ['a function given the size', () => ({ buffer: (size: number) => Buffer.alloc(size + 8, 0x79) })],
    ['a Buffer one byte short', (n) => ({ buffer: Buffer.alloc(n - 1) })],
    ['a function returning one byte short', () => ({ buffer: (size: number) => Buffer.alloc(size - 1) })],
    ['a function returning no view', () => ({ buffer: () => 'nope' })],
  ];
  // What a call gives: its result (and whether it is a view of the caller's memory), the caller's
  // memory afterwards, or its error.
  const describeCall = async (call: (o: Record<string, unknown>) => Promise<unknown> | unknown, make: Into, size: number) => {
    const o = make(size);
    let given: NodeJS.ArrayBufferView | undefined;
    if (typeof o.buffer === 'function') {
      const f = o.buffer as (n: number) => unknown;
      o.buffer = (n: number) => { const v = f(n); given = v as NodeJS.ArrayBufferView; return v; };
    } else given = o.buffer as NodeJS.ArrayBufferView;
    try {
      const r = await call(o);
      const view = Buffer.isBuffer(r) ? r : undefined;
      return { result: typeof r === 'string' ? r.length : view?.toString('base64'), sharesMemory: view !== undefined && given !== undefined && view.buffer === given.buffer, after: given && Buffer.from(given.buffer, given.byteOffset, given.byteLength).toString('base64') };
    } catch (err) {
      return { error: errorShape(err) };
    }
  };
  const flavours: [string, (fs: typeof nodeFs, path: string, o: Record<string, unknown>) => Promise<unknown> | unknown][] = [
    ['sync', (fs, path, o) => fs.readFileSync(path, o as object)],
    ['callback', (fs, path, o) => new Promise((resolve, reject) => fs.readFile(path, o as object, (err, data) => (err ? reject(err) : resolve(data))))],
    ['promise', (fs, path, o) => fs.promises.readFile(path, o as object)],
    ['FileHandle', async (fs, path, o) => {
      const fh = await fs.promises.open(path, 'r');
      try { return await fh.readFile(o as object); } finally { await fh.close(); }
    }],
  ];
  const impls = [nodeFs, { ...uringFs, promises: uringFsp } as unknown as typeof nodeFs];
  it.each(flavours)('%s', async (_name, flavour) => {
    for (const [label, make] of options) {
      // A file of known size, and one whose size statx does not tell (/proc: 0).
      for (const [path, size] of [[file, content.length], ['/proc/self/limits', nodeFs.readFileSync('/proc/self/limits').length]] as const) {
        const results = [];
        for (const impl of impls) results.push(await describeCall((o) => flavour(impl, path, o), make, size));
        expect(results[1], `${label}, ${path}`).toEqual(results[0]);
      }
    }
  });
});
