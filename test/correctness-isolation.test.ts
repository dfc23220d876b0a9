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
import { Ring, Poller } from '../lib/index.js';
import * as uringPromises from '../lib/promises.js';
import { mkfifo, tempDir } from './fixtures/helpers.js';

let tmp: ReturnType<typeof tempDir>;
beforeAll(() => { tmp = tempDir('iso'); });
afterAll(() => tmp.remove());

const { O_RDWR, O_NONBLOCK } = nodeFs.constants;

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
