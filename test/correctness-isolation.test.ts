// Isolation between requests: each callback runs in the async context of the
// call that issued it; a close never overtakes ops on its fd that were issued
// before it (so they cannot land in a file that reuses the fd's number); a
// read from a pipe never writes into memory its buffer no longer owns; a
// positioned read or write on a pipe fails with ESPIPE as in node:fs.
// Real kernel, both backends (the project's URINGFS_BACKEND); the buffer
// transfer case runs in a child process (fixtures/iso-*.mjs) under a time limit.
import { AsyncLocalStorage } from 'node:async_hooks';
import { Buffer } from 'node:buffer';
import * as nodeFs from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as uringFs from '../lib/index.js';
import { Ring, Poller, closeSync, openSync } from '../lib/index.js';
import * as uringPromises from '../lib/promises.js';
import { fixture, mkfifo, packageRoot, runNode, tempDir } from './fixtures/helpers.js';

let tmp: ReturnType<typeof tempDir>;
beforeAll(() => { tmp = tempDir('iso'); });
afterAll(() => tmp.remove());

const { O_RDWR, O_NONBLOCK, O_WRONLY, O_CREAT, O_TRUNC, O_RDONLY } = nodeFs.constants;

describe('async context of callbacks (AsyncLocalStorage)', () => {
  it("a callback op runs in its caller's context, not in the context that created the ring", async () => {
    const als = new AsyncLocalStorage<string>();
    const ring = als.run('ring-creator', () => new Ring());
    try {
      const file = join(tmp.dir, 'ctx.txt');
      nodeFs.writeFileSync(file, 'context');
      const seen = await new Promise<string[]>((resolve) => {
        const got: string[] = [];
        const done = (tag: string) => (): void => {
          got.push(`${tag}=${als.getStore()}`);
          if (got.length === 4) resolve(got.sort());
        };
        als.run('A', () => ring.callbacks.stat(file, done('stat-A')));
        als.run('B', () => ring.callbacks.stat(file, done('stat-B')));
        // Several ops in one call (open, fstat, read, close).
        als.run('C', () => ring.callbacks.readFile(file, done('readFile-C')));
        als.run('D', () => ring.callbacks.open(file, 'r', (err, fd) => {
          ring.callbacks.close(fd, done('close-D'));
        }));
      });
      expect(seen).toEqual(['close-D=D', 'readFile-C=C', 'stat-A=A', 'stat-B=B']);
    } finally {
      ring.close();
    }
  });

  it('the default ring: each callback sees its own store, also when issued from another callback', async () => {
    const als = new AsyncLocalStorage<number>();
    const file = join(tmp.dir, 'ctx-default.txt');
    nodeFs.writeFileSync(file, 'x');
    const seen = await new Promise<number[]>((resolve) => {
      const got: number[] = [];
      for (let i = 0; i < 20; i++) {
        als.run(i, () => uringFs.stat(file, () => {
          // Issued from inside a completion (the drain): its own context again.
          als.run(100 + i, () => uringFs.stat(file, () => {
            got.push(als.getStore()!);
            if (got.length === 20) resolve(got.sort((a, b) => a - b));
          }));
        }));
      }
    });
    expect(seen).toEqual(Array.from({ length: 20 }, (_, i) => 100 + i));
  });

  it('an op failed by a closed ring calls back in its own context', async () => {
    const als = new AsyncLocalStorage<string>();
    const ring = als.run('creator', () => new Ring());
    ring.close();
    const store = await new Promise((resolve) => als.run('late', () => ring.callbacks.stat('/', () => resolve(als.getStore()))));
    expect(store).toBe('late');
  });

  it('promise flavours keep their context (as before)', async () => {
    const als = new AsyncLocalStorage<string>();
    const ring = als.run('creator', () => new Ring());
    try {
      const file = join(tmp.dir, 'ctx-promise.txt');
      nodeFs.writeFileSync(file, 'p');
      const run = (tag: string) => als.run(tag, async () => {
        await ring.promises.stat(file);
        const a = als.getStore();
        const fh = await ring.promises.open(file, 'r');
        await fh.read(Buffer.alloc(1), 0, 1, 0);
        const b = als.getStore();
        await fh.close();
        await uringPromises.readFile(file);
        return `${a}${b}${als.getStore()}`;
      });
      expect(await Promise.all([run('A'), run('B')])).toEqual(['AAA', 'BBB']);
    } finally {
      ring.close();
    }
  });

  it('the callback form of readFiles calls back in its caller\'s context', async () => {
    const als = new AsyncLocalStorage<string>();
    const ring = als.run('creator', () => new Ring());
    try {
      const file = join(tmp.dir, 'ctx-rf.txt');
      nodeFs.writeFileSync(file, 'rf');
      const stores = await Promise.all(['A', 'B'].map((tag) => new Promise((resolve) => {
        als.run(tag, () => ring.callbacks.readFiles([file, file], () => resolve(als.getStore())));
      })));
      expect(stores).toEqual(['A', 'B']);
    } finally {
      ring.close();
    }
  });

  it("a Poller registration's callback runs in the context of its add(), as fs.watch's listener does", async () => {
    const als = new AsyncLocalStorage<string>();
    const poller = als.run('poller-creator', () => new Poller());
    const fifo = join(tmp.dir, 'ctx.fifo');
    mkfifo(fifo);
    const fd = nodeFs.openSync(fifo, O_RDWR | O_NONBLOCK);
    try {
      const store = await new Promise((resolve) => {
        als.run('registrant', () => {
          const reg = poller.add(fd, { readable: true, oneShot: true }, () => {
            resolve(als.getStore());
            reg.remove();
          });
        });
        nodeFs.writeSync(fd, 'x');
      });
      expect(store).toBe('registrant');
    } finally {
      poller.close();
      nodeFs.closeSync(fd);
    }
  });
});

/** A file with nothing in it, opened for writing; its name. */
function emptyFile(name: string): { path: string; fd: number } {
  const path = join(tmp.dir, name);
  return { path, fd: nodeFs.openSync(path, O_WRONLY | O_CREAT | O_TRUNC) };
}

describe('a close never overtakes earlier ops on its fd', () => {
  it('closeSync after a callback write in the same turn: the write lands in its file, not in the file that reuses the fd', async () => {
    const results: { a: string; b: string; err: unknown }[] = [];
    for (let i = 0; i < 8; i++) {
      const a = emptyFile(`cs-a${i}`);
      const written = new Promise<unknown>((resolve) => uringFs.write(a.fd, Buffer.from('for-A'), (err) => resolve(err)));
      closeSync(a.fd);
      const bPath = join(tmp.dir, `cs-b${i}`);
      const b = openSync(bPath, O_WRONLY | O_CREAT | O_TRUNC);
      expect(b).toBe(a.fd);  // the number was reused
      const err = await written;
      nodeFs.closeSync(b);
      results.push({ a: nodeFs.readFileSync(a.path, 'utf8'), b: nodeFs.readFileSync(bPath, 'utf8'), err });
    }
    expect(results).toEqual(Array.from({ length: 8 }, () => ({ a: 'for-A', b: '', err: null })));
  });

  it("submit: 'immediate', issued from a completion callback (the flush waits for the drain's end)", async () => {
    const ring = new Ring({ submit: 'immediate' });
    try {
      const a = emptyFile('imm-a');
      const bPath = join(tmp.dir, 'imm-b');
      const err = await new Promise((resolve) => {
        ring.callbacks.stat(a.path, () => {
          ring.callbacks.write(a.fd, Buffer.from('for-A'), (e) => resolve(e));
          closeSync(a.fd);
          const b = openSync(bPath, O_WRONLY | O_CREAT | O_TRUNC);
          expect(b).toBe(a.fd);
          setTimeout(() => nodeFs.closeSync(b), 200);
        });
      });
      await new Promise((r) => setTimeout(r, 250));
      expect({ err, a: nodeFs.readFileSync(a.path, 'utf8'), b: nodeFs.readFileSync(bPath, 'utf8') }).toEqual({ err: null, a: 'for-A', b: '' });
    } finally {
      ring.close();
    }
  });

  it("closeSync with the fd's ops waiting in the ring's backlog (CQ full of pending FIFO reads)", async () => {
    const ring = new Ring({ entries: 1 });  // CQ 4: at most 4 ops in flight
    const fifo = join(tmp.dir, 'backlog.fifo');
    mkfifo(fifo);
    const pipeFd = nodeFs.openSync(fifo, O_RDWR | O_NONBLOCK);
    try {
      const stuck = Array.from({ length: ring.cqEntries }, () => new Promise((resolve) => {
        ring.callbacks.read(pipeFd, Buffer.alloc(1), 0, 1, null, (err, n) => resolve(err ?? n));
      }));
      await new Promise((r) => setTimeout(r, 20));
      const a = emptyFile('bl-a');
      const written = new Promise((resolve) => ring.callbacks.write(a.fd, Buffer.from('for-A'), (e) => resolve(e)));
      expect(ring.stats().waiting).toBe(1);
      closeSync(a.fd);
      const bPath = join(tmp.dir, 'bl-b');
      const b = openSync(bPath, O_WRONLY | O_CREAT | O_TRUNC);
      expect(b).toBe(a.fd);
      nodeFs.writeSync(pipeFd, 'x'.repeat(ring.cqEntries));  // let the FIFO reads finish
      await Promise.all(stuck);
      const err = await written;
      nodeFs.closeSync(b);
      expect({ err, a: nodeFs.readFileSync(a.path, 'utf8'), b: nodeFs.readFileSync(bPath, 'utf8') }).toEqual({ err: null, a: 'for-A', b: '' });
    } finally {
      ring.close();
      nodeFs.closeSync(pipeFd);
    }
  });

  it('async close issued with earlier writes in the same turn runs after them (many files, concurrent opens)', async () => {
    const N = 200;
    const files = Array.from({ length: N }, (_, i) => emptyFile(`ac-${i}`));
    const data = Buffer.alloc(4096, 'w');
    const outcomes: Promise<string>[] = [];
    for (const f of files) {
      outcomes.push(new Promise((resolve) => uringFs.write(f.fd, data, (err, n) => resolve(err ? (err as NodeJS.ErrnoException).code! : `w${n}`))));
      outcomes.push(new Promise((resolve) => uringFs.close(f.fd, (err) => resolve(err ? err.code! : 'closed'))));
      // Opens that may take a number a close frees.
      outcomes.push(new Promise((resolve) => uringFs.open(join(tmp.dir, 'ac-other'), O_RDONLY | O_CREAT, (err, fd) => {
        if (!err) nodeFs.closeSync(fd);
        resolve(err ? err.code! : 'opened');
      })));
    }
    nodeFs.writeFileSync(join(tmp.dir, 'ac-other'), '');
    const got = await Promise.all(outcomes);
    const bad = got.filter((s, i) => s !== (i % 3 === 0 ? 'w4096' : i % 3 === 1 ? 'closed' : 'opened'));
    expect(bad).toEqual([]);
    const sizes = files.map((f) => nodeFs.statSync(f.path).size);
    expect(sizes.filter((s) => s !== 4096)).toEqual([]);
    expect(nodeFs.statSync(join(tmp.dir, 'ac-other')).size).toBe(0);
  });
});

describe('positioned reads and writes on a FIFO fail with ESPIPE, as in node:fs', () => {
  function withFifo(name: string, body: (fd: number) => Promise<void>): Promise<void> {
    const fifo = join(tmp.dir, name);
    mkfifo(fifo);
    const fd = nodeFs.openSync(fifo, O_RDWR | O_NONBLOCK);
    return body(fd).finally(() => nodeFs.closeSync(fd));
  }

  it('node:fs itself', async () => {
    await withFifo('node.fifo', async (fd) => {
      nodeFs.writeSync(fd, 'hello');
      const err = await new Promise<NodeJS.ErrnoException | null>((resolve) => nodeFs.read(fd, Buffer.alloc(5), 0, 5, 0, (e) => resolve(e)));
      expect(err?.code).toBe('ESPIPE');
      expect(nodeFs.readSync(fd, Buffer.alloc(5))).toBe(5);
    });
  });

  for (const flavour of ['callback', 'promise'] as const) {
    it(`read at position 0 (${flavour}): ESPIPE, and the data stays in the FIFO`, async () => {
      await withFifo(`r-${flavour}.fifo`, async (fd) => {
        nodeFs.writeSync(fd, 'hello');
        let err: NodeJS.ErrnoException | null;
        if (flavour === 'callback') {
          err = await new Promise((resolve) => uringFs.read(fd, Buffer.alloc(5), 0, 5, 0, (e) => resolve(e)));
        } else {
          const fh = await uringPromises.open(`/proc/self/fd/${fd}`, O_RDWR | O_NONBLOCK);
          err = await fh.read(Buffer.alloc(5), 0, 5, 0).then(() => null, (e: NodeJS.ErrnoException) => e);
          await fh.close();
        }
        expect(err).toMatchObject({ code: 'ESPIPE', syscall: 'read', errno: -29 });
        const left = Buffer.alloc(8);
        expect(left.subarray(0, nodeFs.readSync(fd, left)).toString()).toBe('hello');
      });
    });

    it(`write at position 0 (${flavour}) and readv at position 0: ESPIPE, nothing written or read`, async () => {
      await withFifo(`w-${flavour}.fifo`, async (fd) => {
        let errs: (string | undefined)[];
        if (flavour === 'callback') {
          const w = await new Promise<NodeJS.ErrnoException | null>((resolve) => uringFs.write(fd, Buffer.from('abc'), 0, 3, 0, (e) => resolve(e)));
          nodeFs.writeSync(fd, 'kept');
          const rv = await new Promise<NodeJS.ErrnoException | null>((resolve) => uringFs.readv(fd, [Buffer.alloc(4)], 0, (e) => resolve(e)));
          errs = [w?.code, rv?.code];
        } else {
          const fh = await uringPromises.open(`/proc/self/fd/${fd}`, O_RDWR | O_NONBLOCK);
          const w = await fh.write(Buffer.from('abc'), 0, 3, 0).then(() => undefined, (e: NodeJS.ErrnoException) => e.code);
          nodeFs.writeSync(fd, 'kept');
          const rv = await fh.readv([Buffer.alloc(4)], 0).then(() => undefined, (e: NodeJS.ErrnoException) => e.code);
          await fh.close();
          errs = [w, rv];
        }
        expect(errs).toEqual(['ESPIPE', 'ESPIPE']);
        const left = Buffer.alloc(8);
        expect(left.subarray(0, nodeFs.readSync(fd, left)).toString()).toBe('kept');
      });
    });
  }

  // The ring remembers which fds a probe found seekable until it hands its queue to the kernel
  // (or the pool): a number closed with closeSync and given to a FIFO in the same turn must be
  // probed again, not taken for the file it named.
  for (const sqpoll of [false, true]) {
    it(`a number that named a file, closed with closeSync and reused by a FIFO in the same turn: ESPIPE${sqpoll ? ' (a ring with sqpoll)' : ''}`, async () => {
      const ring = sqpoll ? new Ring({ sqpoll: true }) : null;
      const read = ring === null ? uringFs.read : ring.callbacks.read;
      try {
        await reuseByFifo(sqpoll ? 'sqpoll' : 'default', read as typeof uringFs.read);
      } finally {
        await ring?.close();
      }
    });
  }

  async function reuseByFifo(name: string, read: typeof uringFs.read): Promise<void> {
    const file = join(tmp.dir, `probed-file-${name}`);
    nodeFs.writeFileSync(file, 'file data');
    const fifo = join(tmp.dir, `reuse-${name}.fifo`);
    mkfifo(fifo);
    for (let attempt = 0; attempt < 20; attempt++) {
      const fd = openSync(file, 'r');
      const first = new Promise<[NodeJS.ErrnoException | null, string]>((resolve) => {
        const buf = Buffer.alloc(4);
        read(fd, buf, 0, 4, 0, (e, n) => resolve([e, buf.toString('latin1', 0, n)]));
      });
      closeSync(fd);
      const reused = nodeFs.openSync(fifo, O_RDWR | O_NONBLOCK);
      try {
        if (reused !== fd) continue;  // another thread took the number meanwhile: try again
        nodeFs.writeSync(reused, 'fifo');
        const second = await new Promise<NodeJS.ErrnoException | null>((resolve) => read(reused, Buffer.alloc(4), 0, 4, 0, (e) => resolve(e)));
        expect(await first).toEqual([null, 'file']);
        expect(second).toMatchObject({ code: 'ESPIPE', syscall: 'read' });
        const left = Buffer.alloc(8);
        expect(left.subarray(0, nodeFs.readSync(reused, left)).toString()).toBe('fifo');
        return;
      } finally {
        nodeFs.closeSync(reused);
      }
    }
    throw new Error('the closed number was never given to the FIFO');
  }

  it('a read at the current position (null) still reads the FIFO', async () => {
    await withFifo('null.fifo', async (fd) => {
      nodeFs.writeSync(fd, 'hello');
      const buf = Buffer.alloc(5);
      const n = await new Promise((resolve) => uringFs.read(fd, buf, 0, 5, null, (e, count) => resolve(e ?? count)));
      expect([n, buf.toString()]).toEqual([5, 'hello']);
    });
  });
});

describe('a buffer transferred while a FIFO read is in flight', () => {
  for (const flavour of ['callback', 'promise']) {
    it(`the kernel never writes into the freed memory; the read reports the dropped data (${flavour})`, async () => {
      const fifo = join(tmp.dir, `transfer-${flavour}.fifo`);
      mkfifo(fifo);
      const r = await runNode(['--expose-gc', fixture('iso-transfer-read.mjs'), fifo, flavour], 30_000);
      expect(r.timedOut, r.stderr).toBe(false);
      expect(r.signal, r.stderr).toBe(null);
      const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
      expect(out, r.stderr).toEqual({ corrupted: 0, code: 'ERR_URINGFS_BUFFER_DETACHED', bytesRead: 65536 });
      expect(r.code).toBe(0);
    });
  }
  it('the fixture imports the built package', () => {
    expect(nodeFs.existsSync(join(packageRoot, 'dist', 'index.js'))).toBe(true);
  });
});
