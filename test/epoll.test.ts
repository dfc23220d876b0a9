// The readiness API against the real kernel: FIFOs (mkfifo), Unix stream
// sockets (node:net, whose fds we read and write directly while Node leaves
// them paused), child processes and worker threads. Timeouts here only detect
// hangs; nothing asserts speed.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Poller, type PollEvent, type PollerOptions } from '../lib/index.js';

const { O_RDONLY, O_WRONLY, O_NONBLOCK } = fs.constants;
const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
// Child processes and workers run plain Node, so they load the built package (npm test builds it first).
const distIndex = pathToFileURL(path.join(root, 'dist', 'index.js')).href;

let dir: string;
let seq = 0;
const openFds = new Set<number>();
const pollers: Poller[] = [];
const cleanups: (() => void)[] = [];

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'uringfs-epoll-'));
  const built = path.join(root, 'dist', 'epoll.js');
  const source = path.join(root, 'lib', 'epoll.ts');
  if (!fs.existsSync(built) || fs.statSync(built).mtimeMs < fs.statSync(source).mtimeMs) {
    throw new Error('dist/ is missing or older than lib/: run `npm test` (its pretest builds dist/) or `npm run build:ts`');
  }
});

afterEach(() => {
  for (const p of pollers.splice(0)) p.close();
  for (const c of cleanups.splice(0)) c();
  for (const fd of openFds) fs.closeSync(fd);
  openFds.clear();
});

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function poller(options?: PollerOptions): Poller {
  const p = new Poller(options);
  pollers.push(p);
  return p;
}

interface Fifo { r: number; w: number; path: string }

/**
 * `n` FIFOs (one mkfifo for all), each opened non-blocking: read end first, then write end (w is -1
 * with `writer: false`: a FIFO that never had a writer does not report hangup).
 */
function fifos(n: number, writer = true): Fifo[] {
  const paths = Array.from({ length: n }, () => path.join(dir, `fifo${seq++}`));
  for (let i = 0; i < n; i += 500) execFileSync('mkfifo', paths.slice(i, i + 500));
  return paths.map((p) => {
    const r = fs.openSync(p, O_RDONLY | O_NONBLOCK);
    const w = writer ? fs.openSync(p, O_WRONLY | O_NONBLOCK) : -1;
    openFds.add(r);
    if (writer) openFds.add(w);
    return { r, w, path: p };
  });
}

function closeFd(fd: number): void {
  if (openFds.delete(fd)) fs.closeSync(fd);
}

function fdOf(socket: net.Socket): number {
  return (socket as unknown as { _handle: { fd: number } })._handle.fd;
}

/** A connected pair of Unix stream sockets; Node never reads them (paused from the start). */
async function socketPair(): Promise<{ a: net.Socket; b: net.Socket }> {
  const sockPath = path.join(dir, `sock${seq++}`);
  const server = net.createServer({ pauseOnConnect: true });
  server.listen(sockPath);
  await once(server, 'listening');
  const accepted = once(server, 'connection');
  const a = net.connect({ path: sockPath });
  a.pause();
  await once(a, 'connect');
  const [b] = (await accepted) as [net.Socket];
  server.close();
  cleanups.push(() => { a.destroy(); b.destroy(); });
  return { a, b };
}

/** Read everything available (until EAGAIN or EOF); returns the byte count. */
function drain(fd: number, into?: Buffer[]): number {
  const buf = Buffer.allocUnsafe(65536);
  let total = 0;
  for (;;) {
    let n: number;
    try {
      n = fs.readSync(fd, buf, 0, buf.length, null);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EAGAIN') return total;
      throw e;
    }
    if (n === 0) return total;
    into?.push(Buffer.from(buf.subarray(0, n)));
    total += n;
  }
}

/** Write until the kernel buffer is full; returns the byte count. */
function fill(fd: number): number {
  const chunk = Buffer.alloc(65536, 0x61);
  let total = 0;
  for (;;) {
    try {
      total += fs.writeSync(fd, chunk);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EAGAIN') return total;
      throw e;
    }
  }
}

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Resolves once `cond()` holds; rejects after `ms` (a hang detector, not a speed test). */
async function until(cond: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

function withTimeout<T>(p: Promise<T>, what: string, ms = 10_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

interface ChildResult { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }

interface Child {
  child: ChildProcess;
  /** Resolves once the child's stdout contains `text`. */
  said(text: string): Promise<void>;
  result: Promise<ChildResult>;
}

/** Start an ES module in a fresh Node process; `'uringfs'` in it means the built package. Killed if it hangs. */
function startChild(source: string, ms = 15_000, nodeArgs: string[] = []): Child {
  const file = path.join(dir, `child${seq++}.mjs`);
  fs.writeFileSync(file, source.replaceAll("'uringfs'", JSON.stringify(distIndex)));
  const child = spawn(process.execPath, [...nodeArgs, file], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const listeners: (() => void)[] = [];
  child.stdout!.on('data', (d: Buffer) => {
    stdout += d;
    for (const l of listeners) l();
  });
  child.stderr!.on('data', (d: Buffer) => { stderr += d; });
  const timer = setTimeout(() => child.kill('SIGKILL'), ms);
  const result = once(child, 'exit').then(([code, signal]) => {
    clearTimeout(timer);
    if (signal === 'SIGKILL') throw new Error(`child hung (killed); stdout: ${stdout} stderr: ${stderr}`);
    return { code: code as number | null, signal: signal as NodeJS.Signals | null, stdout, stderr };
  });
  const said = (text: string) => new Promise<void>((resolve, reject) => {
    const check = () => { if (stdout.includes(text)) resolve(); };
    listeners.push(check);
    check();
    result.then(() => { if (!stdout.includes(text)) reject(new Error(`child exited without saying ${text}: ${stdout} ${stderr}`)); }, reject);
  });
  return { child, said, result };
}

function runChild(source: string, ms?: number, nodeArgs?: string[]): Promise<ChildResult> {
  return startChild(source, ms, nodeArgs).result;
}

function ev(fd: number, bits: Partial<PollEvent>): PollEvent {
  return { fd, readable: false, writable: false, error: false, hangup: false, ...bits };
}

describe('readiness on pipes and sockets', () => {
  it('reports a FIFO readable to a callback, with the data there to read', async () => {
    const [f] = fifos(1);
    const p = poller();
    const got: PollEvent[] = [];
    const data: Buffer[] = [];
    const done = new Promise<void>((resolve) => {
      p.add(f.r, (e) => {
        got.push(e);
        drain(f.r, data);
        resolve();
      });
    });
    fs.writeSync(f.w, 'hello');
    await withTimeout(done, 'the readable event');
    expect(got).toEqual([ev(f.r, { readable: true })]);
    expect(Buffer.concat(data).toString()).toBe('hello');
  });

  it('reports a FIFO write end writable, not when full, again after the reader makes room', () => {
    const [f] = fifos(1);
    const p = poller();
    p.add(f.w, { writable: true });
    expect(p.wait(0)).toEqual([ev(f.w, { writable: true })]);
    const written = fill(f.w);
    expect(written).toBeGreaterThan(0);
    expect(p.wait(0)).toEqual([]);
    expect(drain(f.r)).toBe(written);
    expect(p.wait(0)).toEqual([ev(f.w, { writable: true })]);
  });

  it('reports hangup on the read end when the last writer closes, and error on the write end when the reader closes', () => {
    const [f, g] = fifos(2);
    const p = poller();
    p.add(f.r);
    p.add(g.w, { writable: true });
    closeFd(f.w);
    closeFd(g.r);
    const events = p.wait(0);
    expect(events).toContainEqual(ev(f.r, { hangup: true }));
    expect(events).toContainEqual(ev(g.w, { writable: true, error: true }));
  });

  it('reports a socket readable and writable, and the peer closing as hangup', async () => {
    const { a, b } = await socketPair();
    const fa = fdOf(a);
    const fb = fdOf(b);
    const p = poller();
    const reg = p.add(fa, { readable: true, writable: true });
    expect(p.wait(0)).toEqual([ev(fa, { writable: true })]);
    fs.writeSync(fb, 'ping');
    expect(p.wait(0)).toEqual([ev(fa, { readable: true, writable: true })]);
    expect(drain(fa)).toBe(4);
    reg.modify({ readable: true });
    const sent = fill(fa);  // readable only now: a full send buffer changes nothing
    expect(sent).toBeGreaterThan(0);
    expect(p.wait(0)).toEqual([]);
    b.destroy();
    await once(b, 'close');
    const [e] = p.wait(1000);
    expect(e).toMatchObject({ fd: fa, readable: true, hangup: true });
  });

  it('delivers socket events to an async iterator, merging those that arrive while the body runs', async () => {
    const { a, b } = await socketPair();
    const fa = fdOf(a);
    const fb = fdOf(b);
    const p = poller();
    const reg = p.add(fa);
    const seen: PollEvent[] = [];
    const received: Buffer[] = [];
    fs.writeSync(fb, 'one');
    for await (const e of reg) {
      seen.push(e);
      if (seen.length === 1) {
        // More data arrives while the body runs, over several loop turns; 'one' stays unread, so a
        // level-triggered fd is ready all along. All of it must come back as ONE more event.
        fs.writeSync(fb, 'two');
        for (let i = 0; i < 5; i++) await turn();
        fs.writeSync(fb, 'three');
        for (let i = 0; i < 5; i++) await turn();
        const buf = Buffer.alloc(3);
        expect(fs.readSync(fa, buf)).toBe(3);
        received.push(buf);
      } else {
        drain(fa, received);
        reg.remove();  // ends the loop
      }
    }
    expect(Buffer.concat(received).toString()).toBe('onetwothree');
    expect(seen).toEqual([ev(fa, { readable: true }), ev(fa, { readable: true })]);
    expect(reg.active).toBe(false);
    expect(p.stats().watching).toBe(false);
  });
});

describe('level, edge, one-shot', () => {
  it('level-triggered reports again while data is unread; edge-triggered once per arrival', () => {
    const [lt, et] = fifos(2);
    const p = poller();
    p.add(lt.r);
    p.add(et.r, { edge: true });
    fs.writeSync(lt.w, 'ab');
    fs.writeSync(et.w, 'ab');
    expect(p.wait(0).map((e) => e.fd).sort()).toEqual([lt.r, et.r].sort());
    expect(fs.readSync(lt.r, Buffer.alloc(1))).toBe(1);
    expect(fs.readSync(et.r, Buffer.alloc(1))).toBe(1);
    // One byte left in each: level reports it again, edge does not.
    expect(p.wait(0)).toEqual([ev(lt.r, { readable: true })]);
    expect(p.wait(0)).toEqual([ev(lt.r, { readable: true })]);
    fs.writeSync(et.w, 'c');
    expect(p.wait(0).map((e) => e.fd).sort()).toEqual([lt.r, et.r].sort());
    expect(p.wait(0)).toEqual([ev(lt.r, { readable: true })]);
  });

  it('edge-triggered callbacks: one event per arrival, none while data sits unread', async () => {
    const [f] = fifos(1);
    const p = poller();
    let count = 0;
    p.add(f.r, { edge: true }, () => {
      count++;
      fs.readSync(f.r, Buffer.alloc(1));  // read one byte of two, on purpose
    });
    fs.writeSync(f.w, 'ab');
    await until(() => count === 1, 'the first edge');
    for (let i = 0; i < 20; i++) await turn();
    expect(count).toBe(1);
    fs.writeSync(f.w, 'c');
    await until(() => count === 2, 'the second edge');
    for (let i = 0; i < 20; i++) await turn();
    expect(count).toBe(2);
    expect(drain(f.r)).toBe(1);
  });

  it('one-shot: one event, then silence until modify() re-arms it', async () => {
    const [f] = fifos(1);
    const p = poller();
    const reg = p.add(f.r, { oneShot: true });
    fs.writeSync(f.w, 'x');
    expect(p.wait(0)).toEqual([ev(f.r, { readable: true })]);
    expect(p.wait(0)).toEqual([]);  // still readable, but disarmed
    reg.modify();
    expect(p.wait(0)).toEqual([ev(f.r, { readable: true })]);
    expect(p.wait(0)).toEqual([]);
    reg.remove();

    // The same with a callback that re-arms from inside.
    let count = 0;
    const reg2 = p.add(f.r, { oneShot: true }, () => {
      count++;
      if (count < 3) reg2.modify();
    });
    await until(() => count === 3, 'three re-armed events');
    for (let i = 0; i < 20; i++) await turn();
    expect(count).toBe(3);
    // A disarmed one-shot registration does not keep the loop alive.
    expect(p.stats()).toMatchObject({ watching: true, keepsAlive: false });
    reg2.modify();
    expect(p.stats().keepsAlive).toBe(true);
    await until(() => count === 4, 'the event after re-arming');
    expect(drain(f.r)).toBe(1);
  });

  it('modify() switches between readable and writable interest', () => {
    const [f] = fifos(1);
    const p = poller();
    const reg = p.add(f.w, { writable: true });
    expect(p.wait(0)).toEqual([ev(f.w, { writable: true })]);
    reg.modify({ readable: true });  // a write end never becomes readable
    expect(reg.options).toEqual({ readable: true, writable: false, edge: false, oneShot: false });
    expect(p.wait(0)).toEqual([]);
    reg.modify({ writable: true, edge: true });
    expect(p.wait(0)).toEqual([ev(f.w, { writable: true })]);
    expect(p.wait(0)).toEqual([]);
  });
});

describe('removal and closing', () => {
  it('remove(): no more events, the fd can be added again, remove() twice is fine', async () => {
    const [f] = fifos(1);
    const p = poller();
    let count = 0;
    const reg = p.add(f.r, () => { count++; });
    reg.remove();
    reg.remove();
    expect(reg.active).toBe(false);
    expect(p.size).toBe(0);
    fs.writeSync(f.w, 'x');
    for (let i = 0; i < 20; i++) await turn();
    expect(count).toBe(0);
    expect(p.wait(0)).toEqual([]);
    expect(() => reg.modify()).toThrow(expect.objectContaining({ code: 'ERR_URINGFS_REGISTRATION_REMOVED' }));
    const again = p.add(f.r);
    expect(again.active).toBe(true);
    expect(p.wait(0)).toEqual([ev(f.r, { readable: true })]);
  });

  it('remove() from inside a callback stops the rest of the batch for that fd only', async () => {
    const fs2 = fifos(4);
    const p = poller();
    const calls: number[] = [];
    const regs = fs2.map((f) => p.add(f.r, () => {
      calls.push(f.r);
      // The first callback removes every other registration; those must not be called after.
      if (calls.length === 1) for (const r of regs) if (r.fd !== f.r) r.remove();
      drain(f.r);
    }));
    for (const f of fs2) fs.writeSync(f.w, 'x');
    await until(() => calls.length >= 1, 'a callback');
    for (let i = 0; i < 20; i++) await turn();
    expect(calls.length).toBe(1);
  });

  it('close() removes every registration, ends iterators, and later calls fail clearly', async () => {
    const [f, g] = fifos(2);
    const p = new Poller();
    const a = p.add(f.r);
    const b = p.add(g.r, () => {});
    const ended = (async () => {
      const got: PollEvent[] = [];
      for await (const e of a) got.push(e);
      return got;
    })();
    await turn();
    expect(p.stats()).toMatchObject({ watching: true, keepsAlive: true });
    p.close();
    p.close();
    expect(await withTimeout(ended, 'the iterator to end')).toEqual([]);
    expect(a.active).toBe(false);
    expect(b.active).toBe(false);
    expect(p.closed).toBe(true);
    expect(p.size).toBe(0);
    expect(() => p.add(f.r)).toThrow(expect.objectContaining({ code: 'ERR_URINGFS_POLLER_CLOSED' }));
    expect(() => p.wait(0)).toThrow(expect.objectContaining({ code: 'ERR_URINGFS_POLLER_CLOSED' }));
    expect(p.stats()).toMatchObject({ watching: false, keepsAlive: false });
  });

  it('close() from inside a callback: the rest of the batch is not delivered', async () => {
    const fs2 = fifos(8);
    const p = new Poller();
    let calls = 0;
    for (const f of fs2) p.add(f.r, () => { calls++; p.close(); });
    for (const f of fs2) fs.writeSync(f.w, 'x');
    await until(() => calls >= 1, 'a callback');
    for (let i = 0; i < 20; i++) await turn();
    expect(calls).toBe(1);
  });

  it('an fd closed with its registration live: the registration is dropped, its iterator ends', async () => {
    const [f, g] = fifos(2);
    const p = poller({ closedFdCheckInterval: 10 });
    let called = 0;
    const a = p.add(f.r, () => { called++; });
    const b = p.add(g.r);
    const iterated = (async () => {
      let n = 0;
      for await (const _ of b) n++;
      return n;
    })();
    await turn();
    expect(p.stats().keepsAlive).toBe(true);
    closeFd(f.r);
    closeFd(g.r);
    await withTimeout(iterated, 'the iterator of a closed fd to end');
    await until(() => !a.active, 'the closed fd to be noticed');
    expect(a.fdClosed).toBe(true);
    expect(b.fdClosed).toBe(true);
    expect(called).toBe(0);
    expect(p.stats()).toMatchObject({ registrations: 0, watching: false, keepsAlive: false });
    expect(p.stats().closedFds).toBe(2);
  });

  it('an fd closed while its iterator is busy (and the registration paused): the loop ends', async () => {
    const [f] = fifos(1);
    const p = poller({ closedFdCheckInterval: 0 });  // found by the re-arm, not by the periodic check
    const reg = p.add(f.r);
    fs.writeSync(f.w, 'x');
    let n = 0;
    const loop = (async () => {
      for await (const _ of reg) {
        n++;
        for (let i = 0; i < 5; i++) await turn();  // unread data meanwhile: the registration pauses
        closeFd(f.r);
      }
    })();
    await withTimeout(loop, 'the loop to end');
    expect(n).toBeGreaterThanOrEqual(1);
    expect(reg.fdClosed).toBe(true);
    expect(p.stats()).toMatchObject({ registrations: 0, watching: false });
  });

  it('an fd number reused after close can be added again (the stale registration is dropped)', () => {
    const [f] = fifos(1);
    const p = poller({ closedFdCheckInterval: 0 });
    const old = p.add(f.r);
    const fd = f.r;
    closeFd(f.r);
    const [g] = fifos(1);  // opens read end first: takes the lowest free number, the one just closed
    expect(g.r).toBe(fd);
    const fresh = p.add(g.r);
    expect(old.active).toBe(false);
    expect(old.fdClosed).toBe(true);
    fs.writeSync(g.w, 'x');
    expect(p.wait(0)).toEqual([ev(g.r, { readable: true })]);
    fresh.remove();
    expect(p.wait(0)).toEqual([]);
  });

  it('an item orphaned by a dup living in a child process is purged by rebuilding the set, without spinning', async () => {
    const [f, keep] = fifos(2);
    const p = poller({ closedFdCheckInterval: 10 });
    p.add(keep.r, () => {});  // keeps the poller watching throughout
    let called = 0;
    const reg = p.add(f.r, () => { called++; });
    // The child holds a dup of the read end (as its fd 3), so closing ours leaves the epoll item alive.
    const child: ChildProcess = spawn('sleep', ['60'], { stdio: ['ignore', 'ignore', 'ignore', f.r] });
    cleanups.push(() => child.kill('SIGKILL'));
    closeFd(f.r);
    fs.writeSync(f.w, 'x');  // the orphaned item is now ready, level-triggered, and nobody can read it here
    await until(() => reg.fdClosed && p.stats().rebuilds >= 1, 'the orphaned item to be purged');
    const settled = called;
    const wakeups = p.stats().wakeups;
    await new Promise((resolve) => setTimeout(resolve, 100));
    for (let i = 0; i < 20; i++) await turn();
    expect(called).toBe(settled);
    expect(p.stats().wakeups - wakeups).toBeLessThan(5);
    // The poller still works for the other registration.
    fs.writeSync(keep.w, 'y');
    expect(p.wait(1000)).toEqual([ev(keep.r, { readable: true })]);
  });
});

describe('regular files and bad arguments', () => {
  it('a regular file is refused with EPERM and an explanation pointing to io_uring', () => {
    const file = path.join(dir, 'plain.txt');
    fs.writeFileSync(file, 'data');
    const fd = fs.openSync(file, 'r');
    openFds.add(fd);
    const p = poller();
    let err: (Error & { code?: string; errno?: number; syscall?: string }) | undefined;
    try {
      p.add(fd);
    } catch (e) {
      err = e as typeof err;
    }
    expect(err).toBeInstanceOf(Error);
    expect(err).toMatchObject({ code: 'EPERM', errno: -os.constants.errno.EPERM, syscall: 'epoll_ctl' });
    expect(err!.message).toMatch(/^EPERM: operation not permitted, epoll_ctl \(fd \d+ is a regular file/);
    expect(err!.message).toMatch(/always ready/);
    expect(err!.message).toMatch(/io_uring/);
    expect(err!.stack).toContain('always ready');
    expect(p.size).toBe(0);
  });

  it('a directory and /dev/null are refused the same way, with what they are', () => {
    const p = poller();
    const d = fs.openSync(dir, 'r');
    const n = fs.openSync('/dev/null', 'r');
    openFds.add(d);
    openFds.add(n);
    expect(() => p.add(d)).toThrow(/EPERM: operation not permitted, epoll_ctl \(fd \d+ is a directory/);
    expect(() => p.add(n)).toThrow(/EPERM: operation not permitted, epoll_ctl \(fd \d+ does not support polling/);
  });

  it('a closed fd is EBADF; a second registration of one fd is EEXIST; another poller may watch it', () => {
    const [f] = fifos(1);
    const p = poller();
    const q = poller();
    expect(() => p.add(1_000_000)).toThrow(expect.objectContaining({ code: 'EBADF', syscall: 'epoll_ctl' }));
    p.add(f.r);
    expect(() => p.add(f.r, { writable: true })).toThrow(expect.objectContaining({ code: 'EEXIST', syscall: 'epoll_ctl', message: expect.stringMatching(/modify\(\)/) }));
    q.add(f.r);
    fs.writeSync(f.w, 'x');
    expect(p.wait(0)).toEqual([ev(f.r, { readable: true })]);
    expect(q.wait(0)).toEqual([ev(f.r, { readable: true })]);
  });

  it('validates arguments like node:fs', () => {
    const [f] = fifos(1);
    const p = poller();
    const bad = (fn: () => unknown, code: string, name: RegExp) => {
      let err: (Error & { code?: string }) | undefined;
      try { fn(); } catch (e) { err = e as typeof err; }
      expect(err?.code).toBe(code);
      expect(err?.message).toMatch(name);
    };
    const anyP = p as unknown as { add: (...args: unknown[]) => unknown; wait: (...args: unknown[]) => unknown };
    bad(() => anyP.add('3'), 'ERR_INVALID_ARG_TYPE', /"fd" argument must be of type number/);
    bad(() => anyP.add(-1), 'ERR_OUT_OF_RANGE', /"fd"/);
    bad(() => anyP.add(1.5), 'ERR_OUT_OF_RANGE', /"fd"/);
    bad(() => anyP.add(f.r, 'readable'), 'ERR_INVALID_ARG_TYPE', /"options" argument must be of type object/);
    bad(() => anyP.add(f.r, { readable: 'yes' }), 'ERR_INVALID_ARG_TYPE', /"options.readable" property must be of type boolean/);
    bad(() => anyP.add(f.r, { edge: 1 }), 'ERR_INVALID_ARG_TYPE', /"options.edge" property/);
    bad(() => anyP.add(f.r, { readable: false }), 'ERR_INVALID_ARG_VALUE', /must ask for readable and\/or writable/);
    bad(() => anyP.add(f.r, {}, 'cb'), 'ERR_INVALID_ARG_TYPE', /"callback" argument must be of type function/);
    bad(() => anyP.wait('1'), 'ERR_INVALID_ARG_TYPE', /"timeoutMs"/);
    bad(() => anyP.wait(1.5), 'ERR_OUT_OF_RANGE', /"timeoutMs"/);
    bad(() => anyP.wait(-2), 'ERR_OUT_OF_RANGE', /"timeoutMs"/);
    bad(() => new Poller({ maxEvents: 0 }), 'ERR_OUT_OF_RANGE', /"options.maxEvents"/);
    bad(() => new Poller({ closedFdCheckInterval: -1 }), 'ERR_OUT_OF_RANGE', /"options.closedFdCheckInterval"/);
    bad(() => new Poller(null as unknown as PollerOptions), 'ERR_INVALID_ARG_TYPE', /"options"/);
    const reg = p.add(f.r);
    bad(() => reg.modify({ writable: 'no' } as unknown as { writable: boolean }), 'ERR_INVALID_ARG_TYPE', /"options.writable"/);
    const it = reg[Symbol.asyncIterator]();
    bad(() => reg[Symbol.asyncIterator](), 'ERR_INVALID_STATE', /already being iterated/);
    void it.return!();
    expect(() => reg[Symbol.asyncIterator]()).not.toThrow();
    expect(p.size).toBe(1);
  });
});

describe('synchronous wait()', () => {
  it('timeout 0 returns at once, an expiring timeout returns nothing, -1 waits for another process', async () => {
    const [f] = fifos(1);
    const p = poller();
    p.add(f.r);
    expect(p.wait(0)).toEqual([]);
    const start = process.hrtime.bigint();
    expect(p.wait(30)).toEqual([]);
    expect(Number(process.hrtime.bigint() - start) / 1e6).toBeGreaterThanOrEqual(29);
    // A child writes after a pause; wait(-1) blocks this thread until then. (The child is a separate
    // process, so the blocked loop does not matter; if it never wrote, the test would hang and time out.)
    const child = spawn('sh', ['-c', `sleep 0.1; printf hi > '${f.path}'`], { stdio: 'ignore' });
    expect(p.wait(-1)).toEqual([ev(f.r, { readable: true })]);
    expect(drain(f.r)).toBe(2);
    await once(child, 'exit');
  });

  it('returns at most maxEvents per call, the rest on the next', () => {
    const all = fifos(10);
    const p = poller({ maxEvents: 4 });
    for (const f of all) p.add(f.r);
    for (const f of all) fs.writeSync(f.w, 'x');
    const first = p.wait(0);
    expect(first.length).toBe(4);
    for (const e of first) drain(e.fd);
    const second = p.wait(0);
    expect(second.length).toBe(4);
    for (const e of second) drain(e.fd);
    const third = p.wait(0);
    expect(third.length).toBe(2);
    for (const e of third) drain(e.fd);
    expect(new Set([...first, ...second, ...third].map((e) => e.fd)).size).toBe(10);
    expect(p.wait(0)).toEqual([]);
  });

  it('hands wait() what the loop collected for registrations nobody listens to', async () => {
    const [a, b] = fifos(2);
    const p = poller();
    let heard = 0;
    p.add(a.r, () => { heard++; drain(a.r); });  // makes the poller watch the loop
    p.add(b.r);  // no listener: for wait()
    fs.writeSync(b.w, 'x');
    fs.writeSync(a.w, 'x');
    await until(() => heard === 1, 'the callback');
    for (let i = 0; i < 10; i++) await turn();
    // b was ready the whole time without spinning the loop (it was paused), and wait() reports it.
    expect(p.wait(0)).toEqual([ev(b.r, { readable: true })]);
    expect(p.wait(0)).toEqual([ev(b.r, { readable: true })]);  // still level-triggered
    expect(drain(b.r)).toBe(1);
    expect(p.wait(0)).toEqual([]);
    expect(heard).toBe(1);
  });
});

function nofileLimit(): number {
  return Number(execFileSync('sh', ['-c', 'ulimit -n']).toString().trim());
}

describe('many fds and load', () => {
  it('1,000 FIFOs: every one reported once, by callbacks and by wait()', async () => {
    const limit = nofileLimit();
    // Two fds per FIFO, plus headroom for what the process already has open.
    const n = Math.min(1000, Math.floor((limit - 256) / 2));
    expect(n).toBeGreaterThanOrEqual(100);
    const all = fifos(n);
    const p = poller();
    const seen = new Map<number, number>();
    const regs = all.map((f) => p.add(f.r, { edge: true }, (e) => {
      seen.set(e.fd, (seen.get(e.fd) ?? 0) + 1);
      drain(f.r);
    }));
    for (const f of all) fs.writeSync(f.w, 'x');
    await until(() => seen.size === n, `${n} events`);
    for (let i = 0; i < 10; i++) await turn();
    expect([...seen.values()].every((c) => c === 1)).toBe(true);
    expect(p.stats().batches).toBeLessThan(n);  // batched: many events per JS call
    for (const r of regs) r.remove();

    const q = poller({ maxEvents: 1024 });
    for (const f of all) q.add(f.r);
    for (const f of all) fs.writeSync(f.w, 'y');
    const events = q.wait(1000);
    expect(events.length).toBe(n);
    expect(new Set(events.map((e) => e.fd)).size).toBe(n);
  });

  it('a small maxEvents still delivers everything, in many batches', async () => {
    const all = fifos(300);
    const p = poller({ maxEvents: 16 });
    const seen = new Set<number>();
    for (const f of all) p.add(f.r, (e) => { seen.add(e.fd); drain(f.r); });
    for (const f of all) fs.writeSync(f.w, 'x');
    await until(() => seen.size === 300, '300 events');
    expect(p.stats().batches).toBeGreaterThanOrEqual(300 / 16);
  });

  for (const mode of ['level', 'edge', 'oneShot'] as const) {
    it(`no data lost under load from another process (${mode})`, async () => {
      const n = 64;
      const all = fifos(n, false);
      const p = poller();
      let bytes = 0;
      let hangups = 0;
      for (const f of all) {
        const reg = p.add(f.r, { edge: mode === 'edge', oneShot: mode === 'oneShot' }, (e) => {
          bytes += drain(f.r);
          if (e.hangup) {
            hangups++;
            reg.remove();
          } else if (mode === 'oneShot') {
            reg.modify();
          }
        });
      }
      // The child writes random-sized messages to random FIFOs, then closes them all (hangup).
      const writer = `
        import fs from 'node:fs';
        const paths = ${JSON.stringify(all.map((f) => f.path))};
        const fds = paths.map((p) => fs.openSync(p, 'w'));
        let total = 0;
        for (let i = 0; i < 20000; i++) {
          const fd = fds[(Math.random() * fds.length) | 0];
          const len = 1 + ((Math.random() * 200) | 0);
          total += fs.writeSync(fd, Buffer.alloc(len, 0x62));
        }
        for (const fd of fds) fs.closeSync(fd);
        process.stdout.write(String(total));
      `;
      const result = await runChild(writer);
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      await until(() => hangups === n, 'every FIFO to hang up', 20_000);
      expect(bytes).toBe(Number(result.stdout));
      expect(p.size).toBe(0);
    });
  }
});

describe('lifecycle: the loop, child processes, workers', () => {
  const openReader = (p: string) => `fs.openSync(${JSON.stringify(p)}, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK)`;

  it('a waiting callback keeps the process alive; once it is removed the process exits by itself', async () => {
    const [f] = fifos(1);
    const c = startChild(`
      import fs from 'node:fs';
      import { Poller } from 'uringfs';
      const r = ${openReader(f.path)};
      const poller = new Poller();
      const reg = poller.add(r, () => {
        const buf = Buffer.alloc(100);
        process.stdout.write(buf.subarray(0, fs.readSync(r, buf)));
        reg.remove();
      });
      process.stdout.write('ready;');
    `);
    await c.said('ready;');
    // Nothing else keeps the child alive: if the registration did not, it would be gone already.
    await new Promise((resolve) => setTimeout(resolve, 50));
    fs.writeSync(f.w, 'hello');
    const result = await c.result;
    expect(result).toMatchObject({ code: 0, stdout: 'ready;hello', stderr: '' });
  });

  it('an unref()ed poller, a disarmed one-shot, a registration without listener: none keeps the process alive', async () => {
    const [f, g, h] = fifos(3);
    const result = await runChild(`
      import fs from 'node:fs';
      import { Poller } from 'uringfs';
      const unrefd = new Poller().unref();
      unrefd.add(${openReader(f.path)}, () => console.log('unexpected'));
      const p = new Poller();
      const g = ${openReader(g.path)};
      // Ready at once: fires once, then stays disarmed.
      fs.writeFileSync(${JSON.stringify(g.path)}, 'x');
      p.add(g, { oneShot: true }, () => console.log('one-shot fired'));
      p.add(${openReader(h.path)});
      console.log('ready', unrefd.hasRef(), p.hasRef());
    `);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toBe('ready false true\none-shot fired\n');
  });

  it('an iterator waiting keeps the process alive; break lets it exit', async () => {
    const [f] = fifos(1);
    const c = startChild(`
      import fs from 'node:fs';
      import { Poller } from 'uringfs';
      const r = ${openReader(f.path)};
      const reg = new Poller().add(r);
      process.stdout.write('ready;');
      for await (const ev of reg) {
        process.stdout.write(String(ev.readable));
        break;
      }
    `);
    await c.said('ready;');
    await new Promise((resolve) => setTimeout(resolve, 50));
    fs.writeSync(f.w, 'x');
    expect(await c.result).toMatchObject({ code: 0, stdout: 'ready;true', stderr: '' });
  });

  it('a registered fd closed without remove() does not keep the process alive forever', async () => {
    const [f] = fifos(1);
    const result = await runChild(`
      import fs from 'node:fs';
      import { Poller } from 'uringfs';
      const r = ${openReader(f.path)};
      const poller = new Poller({ closedFdCheckInterval: 50 });
      const reg = poller.add(r, () => console.log('unexpected'));
      fs.closeSync(r);
      process.on('exit', () => console.log('exit', reg.active, reg.fdClosed));
    `);
    expect(result).toMatchObject({ code: 0, stdout: 'exit false true\n', stderr: '' });
  });

  it('process.exit() inside a callback, with registrations live, exits cleanly', async () => {
    const [f, g] = fifos(2);
    fs.writeSync(f.w, 'x');
    fs.writeSync(g.w, 'x');
    const result = await runChild(`
      import fs from 'node:fs';
      import { Poller } from 'uringfs';
      const poller = new Poller();
      poller.add(${openReader(g.path)}, () => {});
      for await (const ev of poller.add(${openReader(f.path)})) {
        console.log('event', ev.readable);
        setImmediate(() => process.exit(7));
      }
    `);
    expect(result).toMatchObject({ code: 7, stdout: 'event true\n', stderr: '' });
  });

  it('a throwing callback becomes an uncaught exception; the rest of the batch is still delivered', async () => {
    const all = fifos(3);
    for (const f of all) fs.writeSync(f.w, 'x');
    const result = await runChild(`
      import fs from 'node:fs';
      import { Poller } from 'uringfs';
      const poller = new Poller();
      let calls = 0;
      process.on('uncaughtException', (err) => console.log('uncaught', err.message));
      for (const p of ${JSON.stringify(all.map((f) => f.path))}) {
        const r = fs.openSync(p, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
        const reg = poller.add(r, () => {
          calls++;
          reg.remove();
          if (calls === 1) throw new Error('boom');
        });
      }
      process.on('exit', () => console.log('calls', calls));
    `);
    expect(result).toMatchObject({ code: 0, stdout: 'uncaught boom\ncalls 3\n', stderr: '' });
  });

  it('garbage collection: a watching poller survives, an idle one is finalized, and delivery works after idle GCs', async () => {
    const [f, g] = fifos(2);
    fs.writeSync(g.w, 'x');  // g is ready throughout, so that the iterator loops below end
    const result = await runChild(`
      import fs from 'node:fs';
      import { Poller } from 'uringfs';
      const epollFds = () => fs.readdirSync('/proc/self/fd')
        .filter((n) => { try { return fs.readlinkSync('/proc/self/fd/' + n) === 'anon_inode:[eventpoll]'; } catch { return false; } }).length;
      const collect = async () => {
        for (let i = 0; i < 4; i++) { globalThis.gc(); await new Promise((r) => setImmediate(r)); }
      };
      const before = epollFds();
      // Idle pollers nobody references are finalized, and their epoll fds closed.
      for (let i = 0; i < 10; i++) new Poller().add(${openReader(g.path)});
      const made = epollFds() - before;
      await collect();
      const left = epollFds() - before;
      // A poller that watches is kept alive by its registration even when dropped.
      const r = ${openReader(f.path)};
      let got = '';
      (() => {
        // Only the closure refers to the registration (and so to its poller).
        const reg = new Poller().add(r, () => {
          const buf = Buffer.alloc(100);
          got += buf.toString('utf8', 0, fs.readSync(r, buf));
          reg.remove();
        });
      })();
      // A poller that stopped watching (iterator ended) and was idle through GCs still delivers later.
      const kept = new Poller();
      const reg = kept.add(${openReader(g.path)});
      for await (const ev of reg) break;
      await collect();
      fs.writeFileSync(${JSON.stringify(f.path)}, 'kept alive');
      await new Promise((r) => setTimeout(r, 50));
      await collect();
      for await (const ev of reg) { console.log('iterated', ev.readable); break; }
      console.log(made, left, got);
    `, 15_000, ['--expose-gc']);
    expect(result).toMatchObject({ code: 0, stderr: '', stdout: 'iterated true\n10 0 kept alive\n' });
  });

  it('works in a worker thread, on the worker\'s own loop, while the main thread polls too', async () => {
    const [f, g] = fifos(2);
    const main = poller();
    let mainEvents = 0;
    main.add(g.r, () => { mainEvents++; drain(g.r); });
    const file = path.join(dir, `worker${seq++}.mjs`);
    fs.writeFileSync(file, `
      import fs from 'node:fs';
      import { parentPort, workerData } from 'node:worker_threads';
      const { Poller } = await import(workerData.dist);
      const r = fs.openSync(workerData.path, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
      const poller = new Poller();
      const reg = poller.add(r, (ev) => {
        const buf = Buffer.alloc(100);
        const n = fs.readSync(r, buf);
        reg.remove();
        fs.closeSync(r);
        parentPort.postMessage({ data: buf.toString('utf8', 0, n), ev, stats: poller.stats() });
      });
      parentPort.postMessage('ready');
    `);
    const worker = new Worker(pathToFileURL(file), { workerData: { dist: distIndex, path: f.path } });
    const messages: unknown[] = [];
    worker.on('message', (m) => messages.push(m));
    const exited = once(worker, 'exit');
    await until(() => messages.length === 1, 'the worker to be ready');
    fs.writeSync(g.w, 'main');
    fs.writeSync(f.w, 'to the worker');
    // The worker exits by itself once its registration is removed: its poller no longer keeps its loop alive.
    const [code] = await withTimeout(exited, 'the worker to exit');
    expect(code).toBe(0);
    expect(messages[0]).toBe('ready');
    expect(messages[1]).toMatchObject({ data: 'to the worker', ev: { readable: true }, stats: { batches: 1 } });
    await until(() => mainEvents === 1, 'the main thread event');
  });

  it('terminating a worker while its poller watches does not crash or hang', async () => {
    const [f] = fifos(1);
    const file = path.join(dir, `worker${seq++}.mjs`);
    fs.writeFileSync(file, `
      import fs from 'node:fs';
      import { parentPort, workerData } from 'node:worker_threads';
      const { Poller } = await import(workerData.dist);
      const poller = new Poller();
      const reg = poller.add(fs.openSync(workerData.path, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK));
      parentPort.postMessage('ready');
      for await (const ev of reg) {
        fs.readSync(reg.fd, Buffer.alloc(100));
        parentPort.postMessage(ev);
      }
    `);
    for (let round = 0; round < 3; round++) {
      const worker = new Worker(pathToFileURL(file), { workerData: { dist: distIndex, path: f.path } });
      const messages: unknown[] = [];
      worker.on('message', (m) => messages.push(m));
      await until(() => messages.length === 1, 'the worker to be ready');
      if (round === 1) {
        fs.writeSync(f.w, 'x');
        await until(() => messages.length >= 2, 'the worker event');
      }
      const exited = once(worker, 'exit');
      await worker.terminate();
      const [code] = await withTimeout(exited, 'the worker to exit');
      expect(code).toBe(1);
    }
  });
});
