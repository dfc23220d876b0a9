// open / close / fsync / fdatasync (and FileHandle open, close, sync,
// datasync) compared with node:fs: the flags the kernel actually got (from
// /proc/self/fdinfo), files created or truncated, modes, argument forms and
// errors, and FileHandle's closing rules.
import { Buffer } from 'node:buffer';
import { spawnSync } from 'node:child_process';
import * as nodeFs from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import * as uringFs from '../lib/index.js';
import {
  Sandbox, callCallback, callPromise, callSync, expectSame, flavours, type Impl, type Outcome,
} from './helpers-differential.js';

const sb = new Sandbox('open');
afterAll(() => sb.cleanup());

const { O_RDWR, O_CREAT, O_WRONLY, O_TRUNC, O_DIRECTORY, O_NOFOLLOW, O_APPEND, O_EXCL } = nodeFs.constants;

const setup = (dir: string): void => {
  nodeFs.writeFileSync(join(dir, 'f'), 'content');
  nodeFs.mkdirSync(join(dir, 'd'));
  nodeFs.symlinkSync('f', join(dir, 'link'));
};

/** The open flags and position the kernel holds for an fd. */
function fdinfo(fd: number): string {
  const info = nodeFs.readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8');
  return info.split('\n').filter((l) => /^(flags|pos):/.test(l)).join(' ');
}

/** An open's outcome with the fd replaced by what it is (its number is not ours to compare), then closed. */
function settleFd(o: Outcome): Outcome {
  const take = (v: unknown): unknown => {
    if (typeof v === 'number') {
      const info = fdinfo(v);
      nodeFs.closeSync(v);
      return { fd: info };
    }
    return v;
  };
  if ('callback' in o) {
    const args = o.callback as unknown[];
    return { ...o, callback: args.length > 1 ? [args[0], take(args[1])] : args };
  }
  if ('returned' in o) return { ...o, returned: take(o.returned) };
  return o;
}

type OpenArgs = (dir: string) => unknown[];
const openCases: [string, OpenArgs][] = [
  ['no flags', (d) => [join(d, 'f')]],
  ['flags undefined, mode undefined', (d) => [join(d, 'f'), undefined, undefined]],
  ['flags null', (d) => [join(d, 'f'), null]],
  ...(['r', 'rs', 'sr', 'r+', 'rs+', 'sr+', 'w', 'wx', 'xw', 'w+', 'wx+', 'xw+', 'a', 'ax', 'xa', 'as', 'sa', 'a+', 'ax+', 'xa+', 'as+', 'sa+']
    .flatMap((flag): [string, OpenArgs][] => [
      [`'${flag}' on an existing file`, (d) => [join(d, 'f'), flag]],
      [`'${flag}' on a missing file`, (d) => [join(d, 'new'), flag]],
    ])),
  ['numeric O_RDWR | O_CREAT', (d) => [join(d, 'new'), O_RDWR | O_CREAT]],
  ['numeric O_WRONLY | O_TRUNC', (d) => [join(d, 'f'), O_WRONLY | O_TRUNC]],
  ['numeric O_CREAT | O_EXCL on an existing file', (d) => [join(d, 'f'), O_CREAT | O_EXCL | O_WRONLY]],
  ['numeric O_APPEND | O_RDWR', (d) => [join(d, 'f'), O_APPEND | O_RDWR]],
  ['O_DIRECTORY on a file', (d) => [join(d, 'f'), O_DIRECTORY]],
  ['O_NOFOLLOW on a symlink', (d) => [join(d, 'link'), O_NOFOLLOW]],
  ['a symlink', (d) => [join(d, 'link'), 'r']],
  ['flags unknown', (d) => [join(d, 'f'), 'rw']],
  ['flags fractional', (d) => [join(d, 'f'), 1.5]],
  ['flags 2 ** 31', (d) => [join(d, 'f'), 2 ** 31]],
  ['flags an object', (d) => [join(d, 'f'), {}]],
  ['flags a boolean', (d) => [join(d, 'f'), true]],
  ['mode 0o600 creating', (d) => [join(d, 'new'), 'w', 0o600]],
  ['mode an octal string', (d) => [join(d, 'new'), 'w', '755']],
  ['mode with setuid and sticky bits', (d) => [join(d, 'new'), 'w', 0o5777]],
  ['mode not octal', (d) => [join(d, 'new'), 'w', 'rwx']],
  ['mode negative', (d) => [join(d, 'new'), 'w', -1]],
  ['mode 2 ** 32', (d) => [join(d, 'new'), 'w', 2 ** 32]],
  ['mode fractional', (d) => [join(d, 'new'), 'w', 1.5]],
  ['mode null', (d) => [join(d, 'new'), 'w', null]],
  ['mode an object', (d) => [join(d, 'new'), 'w', {}]],
  ['a directory, read-only', (d) => [join(d, 'd')]],
  ['a directory for writing', (d) => [join(d, 'd'), 'w']],
  ['a missing file', (d) => [join(d, 'missing')]],
  ['a missing parent', (d) => [join(d, 'missing', 'f'), 'w']],
  ['through a file', (d) => [join(d, 'f', 'x')]],
  ['an empty path', () => ['']],
  ['a NUL byte in the path', (d) => [`${join(d, 'f')}\u0000x`]],
  ['a Buffer path', (d) => [Buffer.from(join(d, 'f'))]],
  ['a Uint8Array path', (d) => [new TextEncoder().encode(join(d, 'f'))]],
  ['a Buffer path that is missing', (d) => [Buffer.from(join(d, 'nope'))]],
  ['a Buffer path that is not UTF-8', (d) => [Buffer.concat([Buffer.from(`${d}/`), Buffer.from([0xff, 0xfe])])]],
  ['a file: URL', (d) => [pathToFileURL(join(d, 'f'))]],
  ['a file: URL string (a relative path)', (d) => [pathToFileURL(join(d, 'f')).href]],
  ['a URL of another scheme', () => [new URL('https://example.com/')]],
  ['a path that is a number', () => [42]],
  ['a path that is null', () => [null]],
];

describe.each(flavours)('open, %s flavour', (flavour) => {
  for (const [name, args] of openCases) {
    it(name, async () => {
      await expectSame(sb, {
        setup,
        run: async (impl, dir) => {
          const a = args(dir);
          if (flavour === 'sync') return settleFd(callSync(() => impl.fs.openSync(...a)));
          if (flavour === 'callback') return settleFd(await callCallback((cb) => impl.fs.open(...a, cb)));
          let handle: { fd: number; close(): Promise<void> } | undefined;
          const o = await callPromise(async () => { handle = await impl.fsp.open(...a); return handle; });
          if (handle) {
            const info = fdinfo(handle.fd);
            await handle.close();
            return { ...o, fd: info };
          }
          return o;
        },
      });
    });
  }
});

describe('open, callback argument forms', () => {
  const forms: [string, (fs: Impl['fs'], p: string, cb: (...a: unknown[]) => void) => unknown][] = [
    ['(path, cb)', (fs, p, cb) => fs.open(p, cb)],
    ['(path, flags, cb)', (fs, p, cb) => fs.open(p, 'r+', cb)],
    ['(path, flags, mode, cb)', (fs, p, cb) => fs.open(p, 'r+', 0o600, cb)],
    ['(path, undefined, undefined, cb)', (fs, p, cb) => fs.open(p, undefined, undefined, cb)],
    ['(path, flags, undefined, cb)', (fs, p, cb) => fs.open(p, 'a', undefined, cb)],
    ['(path) without a callback', (fs, p) => fs.open(p)],
    ['(path, flags) without a callback', (fs, p) => fs.open(p, 'r')],
    ['(path, flags, mode) without a callback', (fs, p) => fs.open(p, 'r', 0o666)],
    ['(path, flags, mode, "not a function")', (fs, p) => fs.open(p, 'r', 0o666, 'cb')],
    ['a bad path and no callback (path first)', (fs) => fs.open(42)],
    ['a bad flag and no callback (flags before callback)', (fs, p) => fs.open(p, 'bogus', 0o666, null)],
  ];
  for (const [name, call] of forms) {
    it(name, async () => {
      await expectSame(sb, { setup, run: async (impl, dir) => settleFd(await callCallback((cb) => call(impl.fs, join(dir, 'f'), cb))) });
    });
  }
});

/** Bad fd values (all flavours take them through validation before the kernel). */
const badFds: [string, unknown][] = [
  ['fd a string', '3'], ['fd -1', -1], ['fd fractional', 1.5], ['fd 2 ** 31', 2 ** 31], ['fd null', null], ['fd undefined', undefined],
  ['fd not open', 1_000_000],
];

describe('close', () => {
  it.each(['sync', 'callback'] as const)('an open fd, then again (EBADF), %s flavour', async (flavour) => {
    await expectSame(sb, {
      setup,
      run: async (impl, dir) => {
        const fd = nodeFs.openSync(join(dir, 'f'), 'r');
        if (flavour === 'sync') return { first: callSync(() => impl.fs.closeSync(fd)), again: callSync(() => impl.fs.closeSync(fd)) };
        return {
          first: await callCallback((cb) => impl.fs.close(fd, cb)),
          again: await callCallback((cb) => impl.fs.close(fd, cb)),
        };
      },
    });
  });

  for (const [name, fd] of badFds) {
    it.each(['sync', 'callback'] as const)(`${name}, %s flavour`, async (flavour) => {
      await expectSame(sb, {
        run: (impl) => (flavour === 'sync' ? callSync(() => impl.fs.closeSync(fd)) : callCallback((cb) => impl.fs.close(fd, cb))),
      });
    });
  }

  it('a callback that is not a function', async () => {
    await expectSame(sb, { run: (impl) => callSync(() => impl.fs.close(1_000_000, 'nope')) });
  });

  it('a bad fd and a bad callback (the callback is checked first)', async () => {
    await expectSame(sb, { run: (impl) => callSync(() => impl.fs.close('x', 'nope')) });
  });

  it('without a callback, on an open fd', async () => {
    await expectSame(sb, {
      setup,
      run: async (impl, dir) => {
        const fd = nodeFs.openSync(join(dir, 'f'), 'r');
        const r = callSync(() => impl.fs.close(fd));
        await new Promise((resolve) => setTimeout(resolve, 20));
        return { r };
      },
    });
  });
});

describe.each(['fsync', 'fdatasync'] as const)('%s', (name) => {
  const sync = `${name}Sync`;
  const method = name === 'fsync' ? 'sync' : 'datasync';
  it.each(flavours)('on a written file, a read-only fd and a directory, %s flavour', async (flavour) => {
    await expectSame(sb, {
      setup,
      run: async (impl, dir) => {
        const out: Outcome = {};
        for (const [what, file, flags] of [['written', 'f', 'r+'], ['read-only', 'f', 'r'], ['directory', 'd', 'r']]) {
          if (flavour === 'promise') {
            const fh = await impl.fsp.open(join(dir, file), flags);
            if (flags === 'r+') await fh.write('more', 0);
            out[what] = await callPromise(() => fh[method]());
            await fh.close();
            out[`${what} closed`] = await callPromise(() => fh[method]());
          } else {
            const fd = nodeFs.openSync(join(dir, file), flags);
            if (flags === 'r+') nodeFs.writeSync(fd, 'more', 0);
            out[what] = flavour === 'sync' ? callSync(() => impl.fs[sync](fd)) : await callCallback((cb) => impl.fs[name](fd, cb));
            nodeFs.closeSync(fd);
            out[`${what} closed`] = flavour === 'sync' ? callSync(() => impl.fs[sync](fd)) : await callCallback((cb) => impl.fs[name](fd, cb));
          }
        }
        return out;
      },
    });
  });

  for (const [what, fd] of badFds) {
    it.each(['sync', 'callback'] as const)(`${what}, %s flavour`, async (flavour) => {
      await expectSame(sb, {
        run: (impl) => (flavour === 'sync' ? callSync(() => impl.fs[sync](fd)) : callCallback((cb) => impl.fs[name](fd, cb))),
      });
    });
  }

  it('a callback that is not a function (checked before the fd)', async () => {
    await expectSame(sb, { run: (impl) => ({ missing: callSync(() => impl.fs[name](3)), bad: callSync(() => impl.fs[name]('x', {})) }) });
  });
});

describe('FileHandle closing', () => {
  it('fd is -1 from the moment close() is called with nothing in flight; a second close resolves', async () => {
    await expectSame(sb, {
      setup,
      run: async (impl, dir) => {
        const fh = await impl.fsp.open(join(dir, 'f'));
        const fdBefore = typeof fh.fd;
        const closing = fh.close();
        const fdDuring = fh.fd;
        const second = await callPromise(() => fh.close());
        const first = await callPromise(() => closing);
        const third = await callPromise(() => fh.close());
        return { fdBefore, fdDuring, fdAfter: fh.fd, first, second, third };
      },
    });
  });

  it('close() waits for a read in flight; the fd is kept until then', async () => {
    await expectSame(sb, {
      setup,
      run: async (impl, dir) => {
        const fh = await impl.fsp.open(join(dir, 'f'));
        const buf = Buffer.alloc(7);
        const reading = callPromise(() => fh.read(buf, 0, 7, 0), { buf });
        const closing = fh.close();
        const fdDuring = fh.fd === -1 ? -1 : 'open';
        const lateRead = await callPromise(() => fh.read(Buffer.alloc(1), 0, 1, 0));
        return { fdDuring, read: await reading, lateRead: Object.keys(lateRead), closed: await callPromise(() => closing), fdAfter: fh.fd };
      },
    });
  });

  it('every method on a closed FileHandle rejects with "file closed" (EBADF), arguments unchecked', async () => {
    await expectSame(sb, {
      setup,
      run: async (impl, dir) => {
        const fh = await impl.fsp.open(join(dir, 'f'), 'r+');
        await fh.close();
        const out: Outcome = {};
        const calls: [string, () => unknown][] = [
          ['read', () => fh.read(Buffer.alloc(4), 0, 4, 0)],
          ['read with bad arguments', () => fh.read('nope', -1)],
          ['write', () => fh.write(Buffer.from('x'))],
          ['readv', () => fh.readv([Buffer.alloc(1)])],
          ['writev', () => fh.writev([Buffer.from('x')])],
          ['stat', () => fh.stat()],
          ['stat bigint', () => fh.stat({ bigint: true })],
          ['sync', () => fh.sync()],
          ['datasync', () => fh.datasync()],
          ['readFile', () => fh.readFile('utf8')],
          ['writeFile', () => fh.writeFile('x')],
          ['appendFile', () => fh.appendFile('x')],
        ];
        for (const [name, call] of calls) out[name] = await callPromise(call);
        return out;
      },
    });
  });

  it('close() when the fd was closed behind its back rejects with EBADF', async () => {
    await expectSame(sb, {
      setup,
      run: async (impl, dir) => {
        const fh = await impl.fsp.open(join(dir, 'f'));
        nodeFs.closeSync(fh.fd);
        const closed = await callPromise(() => fh.close());
        return { closed, fd: fh.fd };
      },
    });
  });

  it('Symbol.asyncDispose closes', async () => {
    await expectSame(sb, {
      setup,
      run: async (impl, dir) => {
        const fh = await impl.fsp.open(join(dir, 'f'));
        const disposed = await callPromise(() => fh[Symbol.asyncDispose]());
        return { disposed, fd: fh.fd, again: await callPromise(() => fh.read(Buffer.alloc(1))) };
      },
    });
  });
});

describe('where node:fs 20 aborts the process, uringfs answers (docs/differences.md)', () => {
  it('a mode in [2^31, 2^32) is accepted by open and mkdir in every flavour: the kernel keeps the permission bits', async () => {
    const dir = sb.fresh();
    const uring = (await import('./helpers-differential.js')).uringImpl;
    const modeOf = (p: string): number => nodeFs.statSync(p).mode & 0o777;
    uring.fs.closeSync(uring.fs.openSync(join(dir, 'a'), 'w', 2 ** 31 + 0o600));
    expect(modeOf(join(dir, 'a'))).toBe(0o600);
    await new Promise<void>((resolve, reject) => uring.fs.open(join(dir, 'b'), 'w', 2 ** 32 - 1 - 0o137, (err: Error | null, fd: number) => {
      if (err) reject(err); else { nodeFs.closeSync(fd); resolve(); }
    }));
    expect(modeOf(join(dir, 'b'))).toBe(0o640 & ~process.umask());
    await (await uring.fsp.open(join(dir, 'c'), 'w', 2 ** 31 + 0o644)).close();
    expect(modeOf(join(dir, 'c'))).toBe(0o644 & ~process.umask());
    uring.fs.mkdirSync(join(dir, 'd'), 2 ** 31 + 0o700);
    await uring.fsp.mkdir(join(dir, 'e'), { mode: 2 ** 31 + 0o750 });
    expect(modeOf(join(dir, 'd'))).toBe(0o700);
    expect(modeOf(join(dir, 'e'))).toBe(0o750 & ~process.umask());
  });

  it('a symbol as the fd of close/fsync/fdatasync/fstat is an ERR_INVALID_ARG_TYPE TypeError, as node:fs 22 and later throw it', () => {
    const names = ['closeSync', 'fsyncSync', 'fdatasyncSync', 'fstatSync', 'close', 'fstat'] as const;
    // What the running node:fs does, in a child process: node:fs 20 aborts, later ones throw.
    const child = spawnSync(process.execPath, ['-e', `
      const fs = require('node:fs');
      const out = [];
      for (const name of ${JSON.stringify(names)}) {
        try { fs[name](Symbol('fd'), () => {}); out.push(null); } catch (e) { out.push({ name: e.name, code: e.code, message: e.message }); }
      }
      console.log(JSON.stringify(out));`], { encoding: 'utf8' });
    const message = 'The "fd" argument must be of type number. Received Symbol(fd)';
    const expected = child.status === 0
      ? JSON.parse(child.stdout) as unknown[]
      : names.map(() => ({ name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE', message }));
    if (child.status !== 0) expect(child.signal ?? child.status).toBe('SIGABRT');
    names.forEach((name, i) => {
      const s = Symbol('fd');
      let got: { name?: string; code?: string; message?: string } | null = null;
      try { (uringFs[name] as (...a: unknown[]) => unknown)(s, () => {}); } catch (e) { got = e as Error & { code: string }; }
      expect(got && { name: got.name, code: got.code, message: got.message }, name).toEqual(expected[i]);
    });
  });

  it('readv of no buffers calls back asynchronously (node:fs calls back at once) with the same EINVAL', async () => {
    const dir = sb.fresh();
    setup(dir);
    const fd = nodeFs.openSync(join(dir, 'f'), 'r');
    try {
      let sync = true;
      const err = await new Promise<NodeJS.ErrnoException | null>((resolve) => { uringFs.readv(fd, [], (e) => resolve(e)); sync = false; });
      expect(sync).toBe(false);
      expect(err).toMatchObject({ code: 'EINVAL', syscall: 'read', errno: -22 });
    } finally {
      nodeFs.closeSync(fd);
    }
  });
});
