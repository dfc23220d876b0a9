// unlink / rmdir / rename / mkdir / link / symlink (sync, callback, promise) and access (promise)
// compared with node:fs:
// the directory tree afterwards (names, types, modes, contents), return
// values (mkdir recursive's first directory), errors with `path` and
// `dest`, Buffer and URL paths, NUL bytes and argument forms.
import { Buffer } from 'node:buffer';
import * as nodeFs from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, it } from 'vitest';
import { Sandbox, callCallback, callPromise, callSync, expectSame, flavours, type Flavour, type Impl, type Outcome } from './helpers-differential.js';

const sb = new Sandbox('paths');
afterAll(() => sb.cleanup());

const setup = (dir: string): void => {
  nodeFs.writeFileSync(join(dir, 'f'), 'file f');
  nodeFs.writeFileSync(join(dir, 'g'), 'file g');
  nodeFs.mkdirSync(join(dir, 'd'));
  nodeFs.writeFileSync(join(dir, 'd', 'inner'), 'inner');
  nodeFs.mkdirSync(join(dir, 'empty'));
  nodeFs.symlinkSync('f', join(dir, 'link'));
  nodeFs.symlinkSync('d', join(dir, 'dirlink'));
  nodeFs.symlinkSync('missing', join(dir, 'dangling'));
  nodeFs.symlinkSync('loop', join(dir, 'loop'));
};

function call(flavour: Flavour, impl: Impl, fn: string, args: unknown[]): Promise<Outcome> | Outcome {
  if (flavour === 'sync') return callSync(() => impl.fs[`${fn}Sync`](...args));
  if (flavour === 'callback') return callCallback((cb) => impl.fs[fn](...args, cb));
  return callPromise(() => impl.fsp[fn](...args));
}

type Args = (dir: string) => unknown[];

const unlinkCases: [string, Args][] = [
  ['a file', (d) => [join(d, 'f')]],
  ['a symlink (not its target)', (d) => [join(d, 'link')]],
  ['a dangling symlink', (d) => [join(d, 'dangling')]],
  ['a symlink to a directory', (d) => [join(d, 'dirlink')]],
  ['a missing file', (d) => [join(d, 'missing')]],
  ['a directory', (d) => [join(d, 'd')]],
  ['through a file', (d) => [join(d, 'f', 'x')]],
  ['an empty path', () => ['']],
  ['a NUL byte', (d) => [`${d}/f\u0000`]],
  ['a Buffer path', (d) => [Buffer.from(join(d, 'g'))]],
  ['a missing Buffer path', (d) => [Buffer.from(join(d, 'gone'))]],
  ['a file: URL', (d) => [pathToFileURL(join(d, 'f'))]],
  ['a number', () => [3]],
  ['an array', () => [['x']]],
];

describe.each(flavours)('unlink, %s flavour', (flavour) => {
  for (const [name, args] of unlinkCases) {
    it(name, async () => {
      await expectSame(sb, { setup, run: (impl, dir) => call(flavour, impl, 'unlink', args(dir)) });
    });
  }
});

const rmdirCases: [string, Args][] = [
  ['an empty directory', (d) => [join(d, 'empty')]],
  ['an empty directory, with a trailing slash', (d) => [`${join(d, 'empty')}/`]],
  ['a directory with a file in it', (d) => [join(d, 'd')]],
  ['a file', (d) => [join(d, 'f')]],
  ['a symlink to a directory', (d) => [join(d, 'dirlink')]],
  ['a dangling symlink', (d) => [join(d, 'dangling')]],
  ['a missing path', (d) => [join(d, 'missing')]],
  ['through a file', (d) => [join(d, 'f', 'x')]],
  ['a path ending in .', (d) => [join(d, 'empty', '.')]],
  ['an empty path', () => ['']],
  ['a NUL byte', (d) => [`${d}/empty\u0000`]],
  ['a Buffer path', (d) => [Buffer.from(join(d, 'empty'))]],
  ['a file: URL', (d) => [pathToFileURL(join(d, 'empty'))]],
  ['a number', () => [3]],
  ['an array', () => [['x']]],
  // With options: node:fs's own rmdir, its checks and its recursive mode.
  ['options {}', (d) => [join(d, 'empty'), {}]],
  ['options { recursive: false } on a directory with a file', (d) => [join(d, 'd'), { recursive: false }]],
  ['options { maxRetries: \'x\' }', (d) => [join(d, 'empty'), { maxRetries: 'x' }]],
  ['options of a wrong type', (d) => [join(d, 'empty'), 'x']],
];

describe.each(flavours)('rmdir, %s flavour', (flavour) => {
  for (const [name, args] of rmdirCases) {
    it(name, async () => {
      await expectSame(sb, { setup, run: (impl, dir) => call(flavour, impl, 'rmdir', args(dir)) });
    });
  }
});

const renameCases: [string, Args][] = [
  ['a file to a new name', (d) => [join(d, 'f'), join(d, 'f2')]],
  ['a file over another file', (d) => [join(d, 'f'), join(d, 'g')]],
  ['a file onto itself', (d) => [join(d, 'f'), join(d, 'f')]],
  ['a file into a directory', (d) => [join(d, 'f'), join(d, 'd', 'f')]],
  ['a file over a directory', (d) => [join(d, 'f'), join(d, 'empty')]],
  ['a directory over an empty directory', (d) => [join(d, 'd'), join(d, 'empty')]],
  ['a directory over a non-empty directory', (d) => [join(d, 'empty'), join(d, 'd')]],
  ['a directory over a file', (d) => [join(d, 'd'), join(d, 'f')]],
  ['a directory into itself', (d) => [join(d, 'd'), join(d, 'd', 'sub')]],
  ['a symlink', (d) => [join(d, 'link'), join(d, 'link2')]],
  ['a missing file (path and dest in the error)', (d) => [join(d, 'missing'), join(d, 'x')]],
  ['to a missing directory', (d) => [join(d, 'f'), join(d, 'nope', 'f')]],
  ['to a path through a file', (d) => [join(d, 'f'), join(d, 'g', 'x')]],
  ['Buffer paths (dest as a string in the error)', (d) => [Buffer.from(join(d, 'missing')), Buffer.from(join(d, 'dest'))]],
  ['Buffer paths that work', (d) => [Buffer.from(join(d, 'f')), Buffer.from(join(d, 'h'))]],
  ['file: URLs', (d) => [pathToFileURL(join(d, 'f')), pathToFileURL(join(d, 'f3'))]],
  ['a NUL byte in oldPath', (d) => [`${d}/f\u0000`, join(d, 'x')]],
  ['a NUL byte in newPath', (d) => [join(d, 'f'), `${d}/x\u0000`]],
  ['oldPath a number', (d) => [1, join(d, 'x')]],
  ['newPath a number', (d) => [join(d, 'f'), 2]],
  ['both bad (oldPath is checked first)', () => [1, 2]],
  ['empty paths', () => ['', '']],
];

describe.each(flavours)('rename, %s flavour', (flavour) => {
  for (const [name, args] of renameCases) {
    it(name, async () => {
      await expectSame(sb, { setup, run: (impl, dir) => call(flavour, impl, 'rename', args(dir)) });
    });
  }
});

const mkdirCases: [string, Args][] = [
  ['a new directory', (d) => [join(d, 'n')]],
  ['an existing directory', (d) => [join(d, 'd')]],
  ['an existing file', (d) => [join(d, 'f')]],
  ['a missing parent', (d) => [join(d, 'a', 'b')]],
  ['through a file', (d) => [join(d, 'f', 'x')]],
  ['a dangling symlink', (d) => [join(d, 'dangling')]],
  ['mode 0o700', (d) => [join(d, 'n'), 0o700]],
  ['mode an octal string', (d) => [join(d, 'n'), '750']],
  ['mode in options', (d) => [join(d, 'n'), { mode: 0o711 }]],
  ['mode undefined in options', (d) => [join(d, 'n'), { mode: undefined }]],
  ['mode not octal', (d) => [join(d, 'n'), 'rwx']],
  ['mode negative', (d) => [join(d, 'n'), -1]],
  ['mode fractional', (d) => [join(d, 'n'), { mode: 7.5 }]],
  ['mode with sticky and setgid bits', (d) => [join(d, 'n'), 0o3777]],
  ['options null', (d) => [join(d, 'n'), null]],
  ['options {}', (d) => [join(d, 'n'), {}]],
  ['options true', (d) => [join(d, 'n'), true]],
  ['recursive: a nested new path (returns the first directory made)', (d) => [join(d, 'a', 'b', 'c'), { recursive: true }]],
  ['recursive: under an existing directory', (d) => [join(d, 'd', 'x', 'y'), { recursive: true }]],
  ['recursive: an existing directory (returns undefined)', (d) => [join(d, 'd'), { recursive: true }]],
  ['recursive: an existing file', (d) => [join(d, 'f'), { recursive: true }]],
  ['recursive: through a file', (d) => [join(d, 'f', 'x', 'y'), { recursive: true }]],
  ['recursive: through a symlink to a directory', (d) => [join(d, 'dirlink', 'x'), { recursive: true }]],
  ['recursive: through a dangling symlink', (d) => [join(d, 'dangling', 'x'), { recursive: true }]],
  ['recursive: a dangling symlink itself', (d) => [join(d, 'dangling'), { recursive: true }]],
  ['recursive: through a symlink loop', (d) => [join(d, 'loop', 'x', 'y'), { recursive: true }]],
  ['recursive: a symlink to a directory itself', (d) => [join(d, 'dirlink'), { recursive: true }]],
  ['recursive: with a mode', (d) => [join(d, 'm', 'n'), { recursive: true, mode: 0o700 }]],
  ['recursive: a trailing slash', (d) => [`${join(d, 'p', 'q')}/`, { recursive: true }]],
  ['recursive: double slashes', (d) => [`${d}//p//q`, { recursive: true }]],
  ['recursive: dot-dot components', (d) => [join(d, 'p') + '/../q/r', { recursive: true }]],
  ['recursive: a Buffer path', (d) => [Buffer.from(join(d, 'b1', 'b2')), { recursive: true }]],
  ['recursive: a file: URL', (d) => [pathToFileURL(join(d, 'u1', 'u2')), { recursive: true }]],
  ['recursive: false', (d) => [join(d, 'n'), { recursive: false }]],
  ['recursive not a boolean', (d) => [join(d, 'n'), { recursive: 1 }]],
  ['recursive: an empty path', () => ['', { recursive: true }]],
  ['an empty path', () => ['']],
  ['a NUL byte', (d) => [`${d}/n\u0000`]],
  ['a Buffer path', (d) => [Buffer.from(join(d, 'bn'))]],
  ['a path that is a number', () => [5]],
];

describe.each(flavours)('mkdir, %s flavour', (flavour) => {
  for (const [name, args] of mkdirCases) {
    it(name, async () => {
      await expectSame(sb, { setup, run: (impl, dir) => call(flavour, impl, 'mkdir', args(dir)) });
    });
  }
});

const linkCases: [string, Args][] = [
  ['a file to a new name (one inode, two names)', (d) => [join(d, 'f'), join(d, 'f2')]],
  ['over an existing file', (d) => [join(d, 'f'), join(d, 'g')]],
  ['a file onto itself', (d) => [join(d, 'f'), join(d, 'f')]],
  ['a directory', (d) => [join(d, 'd'), join(d, 'd2')]],
  ['a symlink (the link itself, not its target)', (d) => [join(d, 'link'), join(d, 'link2')]],
  ['a dangling symlink', (d) => [join(d, 'dangling'), join(d, 'dangling2')]],
  ['a missing file (path and dest in the error)', (d) => [join(d, 'missing'), join(d, 'x')]],
  ['into a missing directory', (d) => [join(d, 'f'), join(d, 'nope', 'f')]],
  ['through a file', (d) => [join(d, 'f'), join(d, 'g', 'x')]],
  ['Buffer paths', (d) => [Buffer.from(join(d, 'f')), Buffer.from(join(d, 'h'))]],
  ['Buffer paths, missing (dest as a string in the error)', (d) => [Buffer.from(join(d, 'missing')), Buffer.from(join(d, 'dest'))]],
  ['file: URLs', (d) => [pathToFileURL(join(d, 'f')), pathToFileURL(join(d, 'f3'))]],
  ['a NUL byte in existingPath', (d) => [`${d}/f\u0000`, join(d, 'x')]],
  ['a NUL byte in newPath', (d) => [join(d, 'f'), `${d}/x\u0000`]],
  ['existingPath a number', (d) => [1, join(d, 'x')]],
  ['newPath a number', (d) => [join(d, 'f'), 2]],
  ['both bad (existingPath is checked first)', () => [1, 2]],
  ['empty paths', () => ['', '']],
];

describe.each(flavours)('link, %s flavour', (flavour) => {
  for (const [name, args] of linkCases) {
    it(name, async () => {
      await expectSame(sb, { setup, run: (impl, dir) => call(flavour, impl, 'link', args(dir)) });
    });
  }
});

const symlinkCases: [string, Args][] = [
  ['a relative target', (d) => ['f', join(d, 's')]],
  ['an absolute target', (d) => [join(d, 'd'), join(d, 's')]],
  ['a target that does not exist', (d) => ['nowhere', join(d, 's')]],
  ['over an existing file', (d) => ['f', join(d, 'g')]],
  ['over an existing symlink', (d) => ['g', join(d, 'link')]],
  ['into a missing directory', (d) => ['f', join(d, 'nope', 's')]],
  ['through a file', (d) => ['f', join(d, 'f', 's')]],
  ['an empty target', (d) => ['', join(d, 's')]],
  ['a long target (4095 bytes)', (d) => ['x'.repeat(4095), join(d, 's')]],
  ['a target past PATH_MAX', (d) => ['x'.repeat(4096), join(d, 's')]],
  ['Buffer target and path', (d) => [Buffer.from('f'), Buffer.from(join(d, 's'))]],
  ['a target with bytes that are not UTF-8', (d) => [Buffer.from([0x66, 0xff, 0xfe]), join(d, 's')]],
  ['file: URLs', (d) => [pathToFileURL(join(d, 'f')), pathToFileURL(join(d, 's'))]],
  ["type 'dir'", (d) => ['d', join(d, 's'), 'dir']],
  ["type 'file'", (d) => ['f', join(d, 's'), 'file']],
  ["type 'junction'", (d) => ['d', join(d, 's'), 'junction']],
  ['type null', (d) => ['f', join(d, 's'), null]],
  ['type undefined', (d) => ['f', join(d, 's'), undefined]],
  ["type 'bogus'", (d) => ['f', join(d, 's'), 'bogus']],
  ['type a number', (d) => ['f', join(d, 's'), 5]],
  ['type an object', (d) => ['f', join(d, 's'), {}]],
  ["type 'bogus' with a bad path (which is checked first depends on the Node)", () => ['f', 5, 'bogus']],
  ['a NUL byte in target', (d) => ['f\u0000', join(d, 's')]],
  ['a NUL byte in path', (d) => ['f', `${d}/s\u0000`]],
  ['target a number', (d) => [1, join(d, 's')]],
  ['path a number', () => ['f', 2]],
  ['empty path', () => ['f', '']],
];

describe.each(flavours)('symlink, %s flavour', (flavour) => {
  for (const [name, args] of symlinkCases) {
    it(name, async () => {
      await expectSame(sb, { setup, run: (impl, dir) => call(flavour, impl, 'symlink', args(dir)) });
    });
  }
});

const accessCases: [string, Args][] = [
  ['a file', (d) => [join(d, 'f')]],
  ['a directory', (d) => [join(d, 'd')]],
  ['a directory, with a trailing slash', (d) => [`${join(d, 'd')}/`]],
  ['a file, with a trailing slash', (d) => [`${join(d, 'f')}/`]],
  ['a symlink (its target)', (d) => [join(d, 'link')]],
  ['a dangling symlink', (d) => [join(d, 'dangling')]],
  ['a symlink loop', (d) => [join(d, 'loop')]],
  ['a missing file', (d) => [join(d, 'missing')]],
  ['through a file', (d) => [join(d, 'f', 'x')]],
  ['a name too long', (d) => [join(d, 'x'.repeat(300))]],
  ['mode F_OK', (d) => [join(d, 'f'), nodeFs.constants.F_OK]],
  ['mode undefined', (d) => [join(d, 'f'), undefined]],
  ['mode null, a missing file', (d) => [join(d, 'missing'), null]],
  ['mode R_OK | W_OK (access(2) itself)', (d) => [join(d, 'f'), nodeFs.constants.R_OK | nodeFs.constants.W_OK]],
  ['mode X_OK on a file without x (access(2) itself)', (d) => [join(d, 'f'), nodeFs.constants.X_OK]],
  ['mode R_OK on a missing file', (d) => [join(d, 'missing'), nodeFs.constants.R_OK]],
  ['mode 8', (d) => [join(d, 'f'), 8]],
  ['mode -1', (d) => [join(d, 'f'), -1]],
  ['mode 1.5', (d) => [join(d, 'f'), 1.5]],
  ["mode '4'", (d) => [join(d, 'f'), '4']],
  ['mode NaN', (d) => [join(d, 'f'), NaN]],
  ['mode -0', (d) => [join(d, 'missing'), -0]],
  ['an empty path', () => ['']],
  ['a NUL byte', (d) => [`${d}/f\u0000`]],
  ['a Buffer path', (d) => [Buffer.from(join(d, 'g'))]],
  ['a file: URL', (d) => [pathToFileURL(join(d, 'f'))]],
  ['a number', () => [3]],
];

// uringfs/promises' access is its own (a statx on the ring); the callback and sync forms are node:fs's.
describe('access, promise flavour', () => {
  for (const [name, args] of accessCases) {
    it(name, async () => {
      await expectSame(sb, { setup, run: (impl, dir) => call('promise', impl, 'access', args(dir)) });
    });
  }
});

describe('callback argument forms', () => {
  const forms: [string, (fs: Impl['fs'], d: string, cb: (...a: unknown[]) => void) => unknown][] = [
    ['unlink without a callback', (fs, d) => fs.unlink(join(d, 'f'))],
    ['unlink with a bad path and no callback (callback first)', (fs) => fs.unlink(5)],
    ['rmdir without a callback', (fs, d) => fs.rmdir(join(d, 'empty'))],
    ['rmdir with a bad path and no callback (callback first)', (fs) => fs.rmdir(5)],
    ['rmdir (path, undefined, cb)', (fs, d, cb) => fs.rmdir(join(d, 'empty'), undefined, cb)],
    ['rmdir with options and no callback', (fs, d) => fs.rmdir(join(d, 'empty'), {})],
    ['rename without a callback', (fs, d) => fs.rename(join(d, 'f'), join(d, 'x'))],
    ['rename with bad paths and no callback (callback first)', (fs) => fs.rename(1, 2)],
    ['mkdir (path, cb)', (fs, d, cb) => fs.mkdir(join(d, 'n'), cb)],
    ['mkdir (path, mode, cb)', (fs, d, cb) => fs.mkdir(join(d, 'n'), 0o700, cb)],
    ['mkdir (path, undefined, cb)', (fs, d, cb) => fs.mkdir(join(d, 'n'), undefined, cb)],
    ['mkdir recursive with nothing to make: (null) only', (fs, d, cb) => fs.mkdir(join(d, 'd'), { recursive: true }, cb)],
    ['mkdir without a callback', (fs, d) => fs.mkdir(join(d, 'n'))],
    ['mkdir with options and no callback', (fs, d) => fs.mkdir(join(d, 'n'), { recursive: true })],
    ['mkdir with a bad path and no callback (callback first)', (fs) => fs.mkdir(5, {})],
    ['link without a callback', (fs, d) => fs.link(join(d, 'f'), join(d, 'x'))],
    ['link with bad paths and no callback (callback first)', (fs) => fs.link(1, 2)],
    ['symlink (target, path, cb)', (fs, d, cb) => fs.symlink('f', join(d, 's'), cb)],
    ["symlink (target, path, 'dir', cb)", (fs, d, cb) => fs.symlink('d', join(d, 's'), 'dir', cb)],
    ['symlink (target, path, undefined, cb)', (fs, d, cb) => fs.symlink('f', join(d, 's'), undefined, cb)],
    ['symlink (target, path, null, cb)', (fs, d, cb) => fs.symlink('f', join(d, 's'), null, cb)],
    ['symlink (target, path, 5, cb)', (fs, d, cb) => fs.symlink('f', join(d, 's'), 5, cb)],
    ["symlink (target, path, 'bogus', cb)", (fs, d, cb) => fs.symlink('f', join(d, 's'), 'bogus', cb)],
    ['symlink without a callback', (fs, d) => fs.symlink('f', join(d, 's'))],
    ["symlink (target, path, 'dir') without a callback", (fs, d) => fs.symlink('f', join(d, 's'), 'dir')],
    ['symlink with bad paths and no callback (callback first)', (fs) => fs.symlink(1, 2)],
  ];
  for (const [name, fn] of forms) {
    it(name, async () => {
      await expectSame(sb, { setup, run: (impl, dir) => callCallback((cb) => fn(impl.fs, dir, cb)) });
    });
  }
});
