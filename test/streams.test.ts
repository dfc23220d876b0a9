// createReadStream / createWriteStream and their classes, compared with node:fs's: the same bytes,
// the same events in the same order, the same errors, for each option; and what uringfs adds —
// FileHandles of uringfs as `fd`, reads ahead that never outlive the fd. Runs on both backends.
import { Buffer } from 'node:buffer';
import * as nodeFs from 'node:fs';
import * as nodeFsp from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import * as uringfs from '../lib/index.js';
import uringfsDefault from '../lib/index.js';
import * as uringfsp from '../lib/promises.js';
import { streamReadAhead } from '../lib/streams.js';
import { errorShape } from './helpers-differential.js';
import { mkfifo, Prng, sha256, tempDir } from './fixtures/helpers.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Mod = { createReadStream: (...a: any[]) => any; createWriteStream: (...a: any[]) => any };
const impls: [string, Mod][] = [['node:fs', nodeFs], ['uringfs', uringfs]];

const { dir, remove } = tempDir('streams');
afterAll(remove);
const file = join(dir, 'data');
const content = new Prng(11).bytes(300_001);
const text = join(dir, 'text');
const big = join(dir, 'big');
beforeAll(() => {
  nodeFs.writeFileSync(file, content);
  nodeFs.writeFileSync(text, 'héllo wörld\n'.repeat(5000));
  nodeFs.writeFileSync(join(dir, 'empty'), '');
  nodeFs.mkdirSync(join(dir, 'sub'));
  nodeFs.writeFileSync(big, new Prng(12).bytes(20 * 1024 * 1024));
});
const saved = { ...streamReadAhead };
afterEach(() => Object.assign(streamReadAhead, saved));

interface Run { events: string[]; data: Buffer | string; error?: Record<string, unknown>; bytesRead?: number }

/**
 * Read a stream to its 'close' (to its 'end' with autoClose false, which has none), recording each
 * event (a 'data' event with its chunk's size).
 */
function record(stream: any, opts: { destroyAfter?: number; abort?: AbortController; abortAfter?: number } = {}): Promise<Run> {
  return new Promise((resolve) => {
    const events: string[] = [];
    const chunks: (Buffer | string)[] = [];
    let error: Record<string, unknown> | undefined;
    for (const name of ['open', 'ready', 'end', 'pause', 'resume']) stream.on(name, () => events.push(name));
    stream.on('data', (chunk: Buffer | string) => {
      events.push(`data ${chunk.length}`);
      chunks.push(chunk);
      if (opts.destroyAfter !== undefined && chunks.length === opts.destroyAfter) stream.destroy();
      if (opts.abortAfter !== undefined && chunks.length === opts.abortAfter) opts.abort!.abort();
    });
    stream.on('error', (err: Error) => {
      events.push('error');
      error = errorShape(err);
    });
    const done = (): void => {
      const data = chunks.length > 0 && typeof chunks[0] === 'string' ? chunks.join('') : Buffer.concat(chunks as Buffer[]);
      resolve({ events, data, error, bytesRead: stream.bytesRead });
    };
    stream.on('close', () => {
      events.push('close');
      done();
    });
    // Without autoClose there is no 'close' after 'end': a later turn shows whether one came.
    if (!stream.autoClose) stream.on('end', () => setTimeout(done, 20));
  });
}

/** The error `make()` throws, as plain data (or 'no error'). */
function thrown(make: () => unknown): Record<string, unknown> | string {
  try {
    const s = make() as any;
    s?.destroy?.();
  } catch (err) {
    return errorShape(err);
  }
  return 'no error';
}

async function both(make: (m: Mod) => any, opts: Parameters<typeof record>[1] = {}): Promise<[Run, Run]> {
  const a = await record(make(nodeFs), opts);
  const b = await record(make(uringfs), opts);
  return [a, b];
}

describe('createReadStream', () => {
  const optionCases: [string, string, Record<string, unknown> | string | undefined][] = [
    ['no options', file, undefined],
    ['start and end', file, { start: 1000, end: 200_000 }],
    ['start only', file, { start: 123_457 }],
    ['end only', file, { end: 65_536 }],
    ['start past EOF', file, { start: 400_000 }],
    ['end at 0', file, { end: 0 }],
    ['start = end', file, { start: 77, end: 77 }],
    ['a small highWaterMark', file, { highWaterMark: 1000, start: 5 }],
    ['a highWaterMark of 1', file, { highWaterMark: 1, start: 10, end: 40 }],
    ['a highWaterMark past the file', file, { highWaterMark: 1024 * 1024 }],
    ['an encoding as options', text, 'utf8'],
    ['encoding base64 with ranges', text, { encoding: 'base64', start: 3, end: 9000, highWaterMark: 4096 }],
    ['hex', file, { encoding: 'hex', end: 5000 }],
    ['an empty file', join(dir, 'empty'), undefined],
    ['emitClose false', file, { emitClose: false, end: 10 }],
    ['a URL', file, { end: 100 }],
    // Inherited options count, as node:fs copies them with for...in.
    ['options inherited from a prototype', file, Object.create({ start: 1, end: 2, highWaterMark: 1 }) as Record<string, unknown>],
  ];
  for (const depth of [0, 3]) {
    describe(`read-ahead depth ${depth}`, () => {
      it.each(optionCases)('%s: same bytes and events', async (name, path, options) => {
        Object.assign(streamReadAhead, { depth, budget: 64 });
        const target = name === 'a URL' ? new URL(`file://${path}`) : path;
        if (name === 'emitClose false') {
          // No 'close' to wait for: compare up to 'end'.
          const runs = await Promise.all(impls.map(([, m]) => new Promise<string[]>((resolve) => {
            const events: string[] = [];
            const s = m.createReadStream(target, options);
            for (const e of ['open', 'ready', 'end', 'close']) s.on(e, () => events.push(e));
            s.on('data', (c: Buffer) => events.push(`data ${c.length}`));
            s.on('end', () => setTimeout(() => resolve(events), 50));
          })));
          expect(runs[1]).toEqual(runs[0]);
          return;
        }
        const [a, b] = await both((m) => m.createReadStream(target, options));
        expect(b.events).toEqual(a.events);
        expect(b.data).toEqual(a.data);
        expect(b.bytesRead).toBe(a.bytesRead);
        expect(b.error).toBe(undefined);
      });
    });
  }

  it('is node:fs ReadStream (instanceof), with path, pending, bytesRead as node:fs has them', async () => {
    const s = uringfs.createReadStream(file, { end: 9 });
    expect(s).toBeInstanceOf(nodeFs.ReadStream);
    expect(s).toBeInstanceOf(uringfs.ReadStream);
    for (const other of [new uringfs.ReadStream(file), (uringfs.ReadStream as any)(file)]) {
      expect(other).toBeInstanceOf(uringfs.ReadStream);
      other.destroy();
    }
    expect(uringfsDefault.createReadStream).toBe(uringfs.createReadStream);
    expect(uringfs.FileReadStream).toBe(uringfs.ReadStream);
    expect([s.path, s.pending, s.bytesRead]).toEqual([file, true, 0]);
    await new Promise((r) => s.once('ready', () => r(undefined)));
    expect(s.pending).toBe(false);
    const run = await record(s);
    expect(run.bytesRead).toBe(10);
  });

  it('errors as node:fs: ENOENT on open, EISDIR on read', async () => {
    for (const path of [join(dir, 'missing'), join(dir, 'sub')]) {
      const [a, b] = await both((m) => m.createReadStream(path));
      expect(b).toEqual(a);
      expect(a.error).toBeDefined();
    }
  });

  it('throws what node:fs throws for bad options', () => {
    const bad: unknown[][] = [
      [file, { start: 10, end: 5 }],
      [file, { start: -1 }],
      [file, { end: 'x' }],
      [file, { start: 1.5 }],
      [file, { fd: 'x' }],
      [file, { fd: -1 }],
      [file, 'no-such-encoding'],
      [file, 42],
      [file, { highWaterMark: -1 }],
      [file, { signal: 'no' }],
      [123, undefined],
      [file, { fs: { open: 1 } }],
      [file, { fs: { open() {} } }],
    ];
    for (const args of bad) {
      const a = thrown(() => nodeFs.createReadStream(...(args as [string])));
      const b = thrown(() => uringfs.createReadStream(...(args as [string])));
      expect(b, JSON.stringify(args)).toEqual(a);
    }
  });

  it('reads a FIFO fed in pieces, at the current position, with no read ahead', async () => {
    const runs: Run[] = [];
    for (const [, m] of impls) {
      const fifo = join(dir, `fifo-${runs.length}`);
      mkfifo(fifo);
      // The writer opens read-write: no open, of either end, waits for the other.
      const w = nodeFs.openSync(fifo, 'r+');
      const reading = record(m.createReadStream(fifo, { highWaterMark: 1000 }));
      for (const piece of ['one ', 'two ', 'x'.repeat(2500), ' four']) {
        nodeFs.writeSync(w, piece);
        await new Promise((r) => setTimeout(r, 20));
      }
      nodeFs.closeSync(w);
      runs.push(await reading);
    }
    expect(runs[1].data).toEqual(runs[0].data);
    expect(runs[1].data.toString().startsWith('one two xxx')).toBe(true);
    expect(runs[1].events.filter((e) => !e.startsWith('data'))).toEqual(runs[0].events.filter((e) => !e.startsWith('data')));
    // A FIFO refuses positions: `start` fails the read as node:fs's does (ESPIPE).
    const positioned: Run[] = [];
    for (const [, m] of impls) {
      const fifo = join(dir, `fifo-p-${positioned.length}`);
      mkfifo(fifo);
      const w = nodeFs.openSync(fifo, 'r+');
      const reading = record(m.createReadStream(fifo, { start: 2 }));
      nodeFs.writeSync(w, 'abcdef');
      positioned.push(await reading);
      nodeFs.closeSync(w);
    }
    expect(positioned[1]).toEqual(positioned[0]);
  });

  it('a number fd: read from its current position without start; autoClose false leaves it open', async () => {
    for (const autoClose of [true, false]) {
      for (const start of [undefined, 1000]) {
        const runs: Run[] = [];
        const after: string[] = [];
        for (const [, m] of impls) {
          const fd = nodeFs.openSync(file, 'r');
          nodeFs.readSync(fd, Buffer.alloc(10), 0, 10, null);  // the current position is 10
          runs.push(await record(m.createReadStream(null, { fd, autoClose, start, end: 200_000 })));
          let state: string;
          try {
            const b = Buffer.alloc(4);
            state = `open, next ${b.subarray(0, nodeFs.readSync(fd, b, 0, 4, null)).toString('hex')}`;
            nodeFs.closeSync(fd);
          } catch (err) {
            state = (err as NodeJS.ErrnoException).code!;
          }
          after.push(state);
        }
        expect(runs[1], `autoClose ${autoClose} start ${start}`).toEqual(runs[0]);
        expect(after[1]).toEqual(after[0]);
      }
    }
  });

  it("a FileHandle (uringfs's, as node:fs takes its own): autoClose true closes it, false leaves it open", async () => {
    for (const autoClose of [true, false]) {
      for (const start of [undefined, 5]) {
        const nh = await nodeFsp.open(file, 'r');
        const uh = await uringfsp.open(file, 'r');
        const a = await record(nodeFs.createReadStream(null as any, { fd: nh as any, autoClose, start }));
        const b = await record(uringfs.createReadStream(null, { fd: uh, autoClose, start }));
        expect(b).toEqual(a);
        expect(uh.fd === -1).toBe(nh.fd === -1);
        expect(uh.fd === -1).toBe(autoClose);
        await nh.close();
        await uh.close();
      }
    }
  });

  it('filehandle.createReadStream, and closing the handle closes the stream', async () => {
    const nh = await nodeFsp.open(file, 'r');
    const uh = await uringfsp.open(file, 'r');
    const [a, b] = await Promise.all([record(nh.createReadStream({ start: 3, end: 50_000 })), record(uh.createReadStream({ start: 3, end: 50_000 }))]);
    expect(b).toEqual(a);
    expect(uh.fd).toBe(-1);
    for (const [h, m] of [[await nodeFsp.open(file), 'node'], [await uringfsp.open(file), 'uring']] as const) {
      const s = h.createReadStream({ autoClose: false, highWaterMark: 16 });
      const events: string[] = [];
      s.on('close', () => events.push('stream close'));
      await new Promise((r) => s.once('readable', () => r(undefined)));
      await h.close();
      expect(events, m).toEqual(['stream close']);
      expect(h.fd).toBe(-1);
    }
    const withFs = await nodeFsp.open(file, 'r');
    expect(thrown(() => uringfs.createReadStream(null, { fd: uh, fs: {} } as any))).toEqual(thrown(() => nodeFs.createReadStream(null as any, { fd: withFs, fs: {} } as any)));
    await withFs.close();
    const lines: string[][] = [];
    for (const h of [await nodeFsp.open(text), await uringfsp.open(text)]) {
      const got: string[] = [];
      for await (const line of h.readLines({ start: 1, end: 40 })) got.push(line);
      lines.push(got);
    }
    expect(lines[1]).toEqual(lines[0]);
    expect(lines[1].length).toBe(3);
  });

  it('destroy mid-read: the same events, and the fd is closed only once no read is in flight', async () => {
    Object.assign(streamReadAhead, { depth: 3, budget: 64 });
    for (const destroyAfter of [1, 3]) {
      const [a, b] = await both((m) => m.createReadStream(big, { highWaterMark: 64 * 1024 }), { destroyAfter });
      expect(b.events).toEqual(a.events);
      expect(b.data).toEqual(a.data);
    }
    // Several streams destroyed with reads ahead in flight: after each 'close', none is left.
    const ring = uringfs.defaultRing();
    await Promise.all(Array.from({ length: 8 }, async (_, i) => {
      const s = uringfs.createReadStream(big, { start: i * 4096, highWaterMark: 256 * 1024 });
      let fd = -1;
      s.on('open', (n: number) => { fd = n; });
      await record(s, { destroyAfter: 2 });
      expect(() => nodeFs.fstatSync(fd)).toThrow(expect.objectContaining({ code: 'EBADF' }));
    }));
    expect(ring.stats().inFlight).toBe(0);
  });

  it('a stream that ends with autoClose false has no read in flight on its fd', async () => {
    Object.assign(streamReadAhead, { depth: 3, budget: 64 });
    const ring = uringfs.defaultRing();
    const fd = nodeFs.openSync(file, 'r');
    const s = uringfs.createReadStream(null, { fd, autoClose: false, start: 0, highWaterMark: 16 * 1024 });
    s.resume();
    await new Promise((r) => s.on('end', () => r(undefined)));
    expect(ring.stats().inFlight).toBe(0);
    nodeFs.closeSync(fd);
  });

  it('an aborted signal destroys the stream with the AbortError node:fs gives', async () => {
    const runs: Run[] = [];
    for (const [, m] of impls) {
      const abort = new AbortController();
      runs.push(await record(m.createReadStream(big, { signal: abort.signal }), { abort, abortAfter: 2 }));
    }
    expect(runs[1].events).toEqual(runs[0].events);
    expect(runs[1].error).toEqual(runs[0].error);
    expect(runs[1].error?.name).toBe('AbortError');
    const pre = AbortSignal.abort();
    const [a, b] = await both((m) => m.createReadStream(file, { signal: pre }));
    expect(b).toEqual(a);
  });

  it('a file a timer appends to, read from where the last stream stopped, gives data after a short chunk (node:fs test-fs-read-stream-pos)', async () => {
    // As Node's test does: a line appended every millisecond; a stream of 10-byte chunks from where
    // the last one stopped. A short chunk is the end of the file so far; with node:fs a timer runs
    // before the next read comes back, so the file has grown and the same stream reads on. uringfs's
    // next read waits for the timers too: on io_uring it would otherwise see the same end, and every
    // stream would end at its short chunk (all 100 here did, before).
    const growing = join(dir, 'growing');
    nodeFs.writeFileSync(growing, '');
    let line = 0;
    const writer = setInterval(() => nodeFs.appendFileSync(growing, `hello at ${++line}\n`), 1);
    let position = 0;
    let streams = 0;
    try {
      const readOn = await new Promise<boolean>((resolve, reject) => {
        const next = (): void => {
          if (++streams > 100) return resolve(false);
          let short = false;
          const s = uringfs.createReadStream(growing, { highWaterMark: 10, start: position });
          s.on('data', (chunk: string | Buffer) => {
            position += chunk.length;
            if (short) {
              s.destroy();
              resolve(true);
            } else if (chunk.length !== 10) {
              short = true;
            }
          });
          s.on('error', reject);
          s.on('end', () => setTimeout(next, 10));
        };
        next();
      });
      expect(readOn, `${streams} streams each ended at their short chunk`).toBe(true);
    } finally {
      clearInterval(writer);
    }
    const lines = nodeFs.readFileSync(growing, 'latin1').split('\n').filter(Boolean);
    expect(lines.every((l, i) => l === `hello at ${i + 1}`)).toBe(true);
  });

  it("uses an `fs` option of the caller's, as node:fs does", async () => {
    const calls: string[] = [];
    const custom = {
      open: (...args: any[]) => { calls.push('open'); return (nodeFs.open as any)(...args); },
      read: (...args: any[]) => { calls.push('read'); return (nodeFs.read as any)(...args); },
      close: (...args: any[]) => { calls.push('close'); return (nodeFs.close as any)(...args); },
    };
    const run = await record(uringfs.createReadStream(file, { fs: custom, end: 99 }));
    expect(run.data).toEqual(content.subarray(0, 100));
    expect(calls).toEqual(['open', 'read', 'close']);
  });
});

describe('createWriteStream', () => {
  async function write(m: Mod, path: string | null, options: unknown, chunks: (string | Buffer)[], streams: any[] = []): Promise<{ events: string[]; error?: unknown; bytesWritten: number; file?: string }> {
    const s = m.createWriteStream(path, options);
    streams.push(s);
    const events: string[] = [];
    let error: unknown;
    for (const e of ['open', 'ready', 'finish', 'drain']) s.on(e, () => events.push(e));
    s.on('error', (err: Error) => { events.push('error'); error = errorShape(err); });
    await new Promise<void>((resolve) => {
      s.on('close', () => { events.push('close'); resolve(); });
      // Without autoClose there is no 'close' after 'finish'.
      if (!s.autoClose) s.on('finish', () => setTimeout(resolve, 20));
      for (const c of chunks) events.push(`write ${s.write(c)}`);
      s.end();
    });
    return { events, error, bytesWritten: s.bytesWritten };
  }

  const cases: [string, Record<string, unknown> | string | undefined, (string | Buffer)[], string | null][] = [
    ['defaults', undefined, ['hello ', Buffer.from('world')], null],
    ['a small highWaterMark: false past it, then drain', { highWaterMark: 8 }, ['12345', '6789', 'abcdefghij', 'z'], null],
    ['flags a', { flags: 'a' }, ['appended'], 'before '],
    ['start in an r+ file', { flags: 'r+', start: 3 }, ['XY'], 'abcdefgh'],
    ['encoding', { encoding: 'hex' }, ['414243'], null],
    ['an encoding as options', 'base64', ['aGk='], null],
    ['flush', { flush: true }, ['durable'], null],
    ['many small writes (writev)', { highWaterMark: 4 }, Array.from({ length: 50 }, (_, i) => `${i},`), null],
  ];
  it.each(cases)('%s: same file, events and bytesWritten', async (name, options, chunks, before) => {
    const results = [];
    for (const [label, m] of impls) {
      const path = join(dir, `w-${label}-${name}`);
      if (before !== null) nodeFs.writeFileSync(path, before);
      const r = await write(m, path, options, chunks);
      results.push({ ...r, file: nodeFs.readFileSync(path, 'latin1') });
    }
    expect(results[1]).toEqual(results[0]);
  });

  it('errors as node:fs: a missing directory, a directory, bad options', async () => {
    for (const path of [join(dir, 'no', 'such'), join(dir, 'sub')]) {
      const a = await write(nodeFs, path, undefined, ['x']);
      const b = await write(uringfs, path, undefined, ['x']);
      expect(b).toEqual(a);
    }
    for (const options of [{ start: -1 }, { fd: {} }, { flush: 1 }, { fs: { open() {} } }, { fs: { open() {}, write: 1 } }, 17, { encoding: 'nope' }]) {
      expect(thrown(() => uringfs.createWriteStream(join(dir, 'w-bad'), options as any))).toEqual(thrown(() => nodeFs.createWriteStream(join(dir, 'w-bad'), options as any)));
    }
  });

  it('is node:fs WriteStream; a number fd and a FileHandle write where node:fs writes', async () => {
    const s = uringfs.createWriteStream(join(dir, 'w-inst'));
    expect(s).toBeInstanceOf(nodeFs.WriteStream);
    expect(s).toBeInstanceOf(uringfs.WriteStream);
    expect([s.path, s.pending]).toEqual([join(dir, 'w-inst'), true]);
    s.end();
    await new Promise((r) => s.on('close', () => r(undefined)));
    for (const autoClose of [true, false]) {
      const files: string[] = [];
      for (const [label, m] of impls) {
        const path = join(dir, `w-fd-${label}`);
        nodeFs.writeFileSync(path, '0123456789');
        const fd = nodeFs.openSync(path, 'r+');
        nodeFs.readSync(fd, Buffer.alloc(2), 0, 2, null);
        const r = await write(m, null, { fd, autoClose }, ['ab', 'cd']);
        let open = true;
        try { nodeFs.closeSync(fd); } catch { open = false; }
        files.push(JSON.stringify({ ...r, file: nodeFs.readFileSync(path, 'latin1'), open }));
      }
      expect(files[1]).toEqual(files[0]);
      const handles: string[] = [];
      for (const [label, open] of [['node', nodeFsp.open], ['uring', uringfsp.open]] as const) {
        const path = join(dir, `w-fh-${label}`);
        nodeFs.writeFileSync(path, '0123456789');
        const h = await open(path, 'r+');
        const streams: any[] = [];
        const r = await write(label === 'node' ? nodeFs : uringfs, null, { fd: h, autoClose, start: 4 }, ['ab', 'cd'], streams);
        handles.push(JSON.stringify({ ...r, file: nodeFs.readFileSync(path, 'latin1'), closed: h.fd === -1 }));
        // node:fs's WriteStream.close() waits for a 'finish' that has passed: a finished stream
        // without autoClose lets go of its FileHandle when destroyed.
        if (!autoClose) await new Promise((resolve) => streams[0].destroy().on('close', () => resolve(undefined)));
        await h.close();
      }
      expect(handles[1]).toEqual(handles[0]);
    }
    const h = await uringfsp.open(join(dir, 'w-fh-method'), 'w');
    const ws = h.createWriteStream();
    ws.end('via the handle');
    await new Promise((r) => ws.on('close', () => r(undefined)));
    expect(h.fd).toBe(-1);
    expect(nodeFs.readFileSync(join(dir, 'w-fh-method'), 'utf8')).toBe('via the handle');
  });
});

describe('pipeline', () => {
  it('copies a 20 MiB random file read stream → write stream, byte for byte', async () => {
    const out = join(dir, 'copy');
    await pipeline(uringfs.createReadStream(big), new PassThrough(), uringfs.createWriteStream(out));
    expect(sha256(nodeFs.readFileSync(out))).toBe(sha256(nodeFs.readFileSync(big)));
    // Ranges, a slow consumer, and a small highWaterMark, with reads ahead.
    const part = join(dir, 'part');
    let n = 0;
    const slow = new Writable({
      highWaterMark: 1,
      write(chunk, _e, cb) { n += chunk.length; if (n % 7 === 0) setTimeout(cb, 1); else cb(); },
    });
    await pipeline(uringfs.createReadStream(big, { start: 12_345, end: 3_000_000, highWaterMark: 7000 }), slow);
    expect(n).toBe(3_000_000 - 12_345 + 1);
    await pipeline(uringfs.createReadStream(big, { start: 777, end: 5_000_000 }), uringfs.createWriteStream(part));
    expect(nodeFs.readFileSync(part).equals(nodeFs.readFileSync(big).subarray(777, 5_000_001))).toBe(true);
  });
});
