// node:fs's functions call each other through the module's object (a stream calls fs.open, fs.read,
// fs.write, fs.fsync, fs.close; writeFile calls fs.open, fs.write, fs.fsync, fs.close; readFileSync
// fs.openSync, fs.readSync, fs.closeSync; truncate fs.open, fs.close; appendFile calls fs.writeFile), so code that replaces one there (a mock, a spy, an injected error) sees those
// calls. uringfs's do the same with its default object: the same scenario is run on node:fs's and
// on uringfs's, and what the replacements saw, and what the caller got, compared. Runs on both
// backends (uringfs's own functions, called by the replacements, run on the ring).
import { Buffer } from 'node:buffer';
import nodeFsDefault from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import uringfsDefault from '../lib/index.js';
import { errorShape } from './helpers-differential.js';
import { Prng, tempDir } from './fixtures/helpers.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Fs = Record<string, any>;
const impls: [string, Fs][] = [['node:fs', nodeFsDefault as unknown as Fs], ['uringfs', uringfsDefault as unknown as Fs]];

const { dir, remove } = tempDir('replaced');
afterAll(remove);
const content = new Prng(5).bytes(200_003);
const source = join(dir, 'source');
nodeFsDefault.writeFileSync(source, content);
let serial = 0;
const fresh = (name: string) => join(dir, `${name}-${serial++}`);

/** A call a replacement saw: the function's name and the type of each argument. */
type Seen = string;
const typeOf = (v: unknown) => (v === null ? 'null' : Buffer.isBuffer(v) ? 'Buffer' : Array.isArray(v) ? 'array' : typeof v);

/**
 * Run `scenario` with `names` of `fs` replaced by wrappers that log each call and then call what
 * was there (or `instead`, given the original, for one of them); everything is put back after.
 */
async function withReplaced<T>(fs: Fs, names: string[], scenario: (seen: Seen[]) => Promise<T> | T, instead: Record<string, (original: any, ...args: any[]) => any> = {}): Promise<{ seen: Seen[]; result: T }> {
  const saved = names.map((n) => fs[n]);
  const seen: Seen[] = [];
  names.forEach((name, i) => {
    const original = saved[i];
    fs[name] = function (this: unknown, ...args: unknown[]) {
      expect(this, `this of ${name}`).toBe(fs);
      seen.push(`${name}(${args.map(typeOf).join(', ')})`);
      const own = instead[name];
      return own ? own(original, ...args) : Reflect.apply(original, fs, args);
    };
  });
  try {
    return { seen, result: await scenario(seen) };
  } finally {
    names.forEach((name, i) => { fs[name] = saved[i]; });
  }
}

/** Counts of each call, which is what stays the same from run to run (how writes group may vary). */
const counts = (seen: Seen[]) => seen.reduce<Record<string, number>>((m, s) => { const k = s.slice(0, s.indexOf('(')); m[k] = (m[k] ?? 0) + 1; return m; }, {});

function streamOut(stream: NodeJS.ReadableStream): Promise<{ data: Buffer; error?: unknown; events: string[] }> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const events: string[] = [];
    stream.on('open', () => events.push('open'));
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => events.push('end'));
    stream.on('error', (e) => { events.push('error'); resolve({ data: Buffer.concat(chunks), error: errorShape(e), events }); });
    stream.on('close', () => { events.push('close'); resolve({ data: Buffer.concat(chunks), events }); });
  });
}


describe('read streams call the module\'s open, read and close', () => {
  it('the same calls, with the same arguments, and the same bytes', async () => {
    const runs = [];
    for (const [, fs] of impls) {
      runs.push(await withReplaced(fs, ['open', 'read', 'close'], () => streamOut(fs.createReadStream(source, { highWaterMark: 16_384 }))));
    }
    for (const r of runs) expect(r.result.data.equals(content)).toBe(true);
    expect(runs[1].seen).toEqual(runs[0].seen);
    expect(runs[1].result.events).toEqual(runs[0].result.events);
    expect(counts(runs[0].seen)).toEqual({ open: 1, read: 14, close: 1 });
  });

  it('a read replaced mid-stream, after reads of uringfs\'s own (ahead, at positions): the bytes are still the file\'s', async () => {
    for (const [name, fs] of impls) {
      const original = fs.read;
      const stream = fs.createReadStream(source, { highWaterMark: 8192 });
      let reads = 0;
      stream.once('data', () => {
        fs.read = function (...args: unknown[]) { reads++; return Reflect.apply(original, fs, args); };
      });
      try {
        const out = await streamOut(stream);
        expect(out.data.equals(content), name).toBe(true);
        expect(reads, name).toBeGreaterThan(10);
      } finally {
        fs.read = original;
      }
    }
  });

  it('an error from a replaced read ends the stream with it, and the replaced close still closes the fd', async () => {
    const runs = [];
    for (const [, fs] of impls) {
      let n = 0;
      runs.push(await withReplaced(fs, ['read', 'close'], () => streamOut(fs.createReadStream(source, { highWaterMark: 65_536 })), {
        read: (original, ...args) => {
          if (++n === 1) return Reflect.apply(original, fs, args);
          const cb = args[args.length - 1];
          process.nextTick(cb, Object.assign(new Error('injected'), { code: 'EIO' }));
        },
      }));
    }
    expect(runs[1].seen).toEqual(runs[0].seen);
    expect(runs[1].result).toEqual(runs[0].result);
    expect(runs[0].result.error).toBeDefined();
  });
});

describe('write streams call the module\'s open, write, writev, fsync and close', () => {
  it('every byte passes through them, the file is whole, fsync with flush, close once', async () => {
    const runs = [];
    for (const [, fs] of impls) {
      const path = fresh('stream');
      const r = await withReplaced(fs, ['open', 'write', 'writev', 'fsync', 'close'], () => new Promise<void>((resolve, reject) => {
        const s = fs.createWriteStream(path, { flush: true });
        for (let i = 0; i < content.length; i += 10_000) s.write(content.subarray(i, i + 10_000));
        s.end();
        s.on('error', reject).on('close', resolve);
      }));
      expect(nodeFsDefault.readFileSync(path).equals(content)).toBe(true);
      const c = counts(r.seen);
      runs.push({ open: c.open, fsync: c.fsync, close: c.close, wrote: (c.write ?? 0) + (c.writev ?? 0) > 0 });
    }
    expect(runs[1]).toEqual(runs[0]);
    expect(runs[0]).toEqual({ open: 1, fsync: 1, close: 1, wrote: true });
  });
});

describe("writeFile, writeFileSync and readFileSync call the module's functions, as node:fs's do", () => {
  const data = Buffer.from('some bytes to write');

  it.each([[{}], [{ flush: true }], [{ flag: 'a', flush: true }]])('writeFile(path, buffer, %j): the same calls and result', async (options) => {
    const runs = [];
    for (const [, fs] of impls) {
      const path = fresh('cb');
      const r = await withReplaced(fs, ['open', 'write', 'fsync', 'close'], () => new Promise((resolve) => fs.writeFile(path, data, options, (err: unknown) => resolve(err ?? null))));
      expect(nodeFsDefault.readFileSync(path).equals(data)).toBe(true);
      runs.push(r);
    }
    expect(runs[1]).toEqual(runs[0]);
  });

  it('writeFile(fd, …) with flush: write and fsync, no open or close', async () => {
    const runs = [];
    for (const [, fs] of impls) {
      const fd = nodeFsDefault.openSync(fresh('fd'), 'w');
      try {
        runs.push(await withReplaced(fs, ['open', 'write', 'fsync', 'close'], () => new Promise((resolve) => fs.writeFile(fd, data, { flush: true }, (err: unknown) => resolve(err ?? null)))));
      } finally {
        nodeFsDefault.closeSync(fd);
      }
    }
    expect(runs[1]).toEqual(runs[0]);
    expect(runs[0].seen.map((s) => s.slice(0, s.indexOf('(')))).toEqual(['write', 'fsync']);
  });

  it('a failing write is reported, and the fd closed; a failing close after it too: both, as node:fs aggregates them', async () => {
    const failing = (code: string) => (original: unknown, ...args: any[]) => process.nextTick(args[args.length - 1], Object.assign(new Error(`injected ${code}`), { code }));
    const cases: Record<string, (original: unknown, ...args: any[]) => void>[] = [{ write: failing('EIO') }, { write: failing('EIO'), close: failing('EBADF') }, { fsync: failing('EIO') }];
    for (const instead of cases) {
      const runs = [];
      for (const [, fs] of impls) {
        const path = fresh('fail');
        runs.push(await withReplaced(fs, ['open', 'write', 'fsync', 'close'], () => new Promise((resolve) => fs.writeFile(path, data, { flush: true }, (err: any) => {
          resolve(err instanceof AggregateError ? { aggregate: errorShape(err), errors: err.errors.map((e: unknown) => errorShape(e)) } : errorShape(err));
        })), instead));
      }
      expect(runs[1], JSON.stringify(Object.keys(instead))).toEqual(runs[0]);
    }
  });

  it('an AbortSignal fired before a replaced write: aborted between writes, and the fd closed', async () => {
    const runs = [];
    for (const [, fs] of impls) {
      const controller = new AbortController();
      const path = fresh('abort');
      runs.push(await withReplaced(fs, ['open', 'write', 'close'], () => new Promise((resolve) => fs.writeFile(path, data, { signal: controller.signal }, (err: unknown) => resolve(errorShape(err)))), {
        open: (original, ...args) => { controller.abort(); return Reflect.apply(original, fs, args); },
      }));
    }
    expect(runs[1]).toEqual(runs[0]);
  });

  it.each([[{}], [{ flush: true }], [{ encoding: 'latin1' }]])('writeFileSync(path, data, %j): the same calls, and none for a string written in UTF-8 at once', async (options) => {
    for (const d of [data, 'a string']) {
      const runs = [];
      for (const [, fs] of impls) {
        const path = fresh('sync');
        runs.push(await withReplaced(fs, ['openSync', 'writeSync', 'fsyncSync', 'closeSync'], () => fs.writeFileSync(path, d, options)));
        expect(nodeFsDefault.readFileSync(path, typeof d === 'string' ? (options as any).encoding ?? 'utf8' : undefined)).toEqual(d);
      }
      expect(runs[1], String(d)).toEqual(runs[0]);
    }
  });

  it('writeFileSync: a replaced writeSync that throws; the fd is closed through the replaced closeSync', async () => {
    const runs = [];
    for (const [, fs] of impls) {
      const r = await withReplaced(fs, ['openSync', 'writeSync', 'closeSync'], () => {
        try { fs.writeFileSync(fresh('throw'), data); return null; } catch (e) { return errorShape(e); }
      }, { writeSync: () => { throw Object.assign(new Error('injected'), { code: 'ENOSPC' }); } });
      runs.push(r);
    }
    expect(runs[1]).toEqual(runs[0]);
    expect(counts(runs[0].seen)).toEqual({ openSync: 1, writeSync: 1, closeSync: 1 });
  });

  const targets: [string, () => string | number, BufferEncoding | undefined][] = [
    ['a regular file', () => source, undefined],
    ['a regular file, latin1', () => source, 'latin1'],
    ['a /proc file (size 0: read until a read gives nothing)', () => '/proc/self/status', undefined],
    ['an fd', () => nodeFsDefault.openSync(source, 'r'), 'hex'],
    ['a string in UTF-8 (read at once: no call, as node:fs)', () => source, 'utf8'],
  ];
  it.each(targets)('readFileSync of %s: the same calls, and the same bytes', async (_, target, encoding) => {
    const runs = [];
    for (const [, fs] of impls) {
      const t = target();
      try {
        const r = await withReplaced(fs, ['openSync', 'readSync', 'closeSync'], () => fs.readFileSync(t, encoding));
        if (typeof t === 'string' && !t.startsWith('/proc')) expect(r.result).toEqual(nodeFsDefault.readFileSync(t, encoding));
        runs.push(r.seen);
      } finally {
        if (typeof t === 'number') nodeFsDefault.closeSync(t);
      }
    }
    expect(runs[1]).toEqual(runs[0]);
  });

  it('readFileSync: a replaced readSync that throws; the fd is closed through the replaced closeSync', async () => {
    const runs = [];
    for (const [, fs] of impls) {
      runs.push(await withReplaced(fs, ['openSync', 'readSync', 'closeSync'], () => {
        try { return fs.readFileSync(source); } catch (e) { return errorShape(e); }
      }, { readSync: () => { throw Object.assign(new Error('injected'), { code: 'EIO' }); } }));
    }
    expect(runs[1]).toEqual(runs[0]);
    expect(counts(runs[0].seen)).toEqual({ openSync: 1, readSync: 1, closeSync: 1 });
  });

  it('truncate calls open and close (ftruncate itself is the binding\'s, in node:fs too); truncateSync calls openSync, ftruncateSync, closeSync', async () => {
    const runs = [];
    for (const [, fs] of impls) {
      const path = fresh('truncate');
      nodeFsDefault.writeFileSync(path, 'twelve bytes');
      const r = await withReplaced(fs, ['open', 'close', 'ftruncate', 'openSync', 'ftruncateSync', 'closeSync'], async () => {
        // Sizes by statSync, which calls none of the replaced functions (readFileSync would, on node:fs's run).
        await new Promise((resolve) => fs.truncate(path, 6, resolve));
        const afterCallback = nodeFsDefault.statSync(path).size;
        fs.truncateSync(path, 3);
        return [afterCallback, nodeFsDefault.statSync(path).size];
      });
      expect(r.result).toEqual([6, 3]);
      expect(nodeFsDefault.readFileSync(path, 'latin1')).toBe('twe');
      runs.push(r);
    }
    expect(runs[1]).toEqual(runs[0]);
  });

  it('appendFile and appendFileSync call writeFile and writeFileSync with flag "a"', async () => {
    const runs = [];
    for (const [, fs] of impls) {
      const path = fresh('append');
      const options: unknown[] = [];
      const r = await withReplaced(fs, ['writeFile', 'writeFileSync'], async () => {
        await new Promise((resolve) => fs.appendFile(path, data, { mode: 0o600 }, resolve));
        fs.appendFileSync(path, 'more');
        return options;
      }, {
        writeFile: (original, ...args) => { options.push(args[2]); return Reflect.apply(original, fs, args); },
        writeFileSync: (original, ...args) => { options.push(args[2]); return Reflect.apply(original, fs, args); },
      });
      expect(nodeFsDefault.readFileSync(path, 'latin1')).toBe(`${data.toString('latin1')}more`);
      runs.push(r);
    }
    expect(runs[1]).toEqual(runs[0]);
  });
});
