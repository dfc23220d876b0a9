// FileHandle.readableWebStream, compared with node:fs/promises' on the same files, on the running
// Node (20, 22 and 24 make different streams): the same bytes, chunks, errors and warnings, the
// handle closed or left usable as Node leaves it; what Node does not do (a read error that lets go
// of the handle, a BYOB view with an offset); and that the reads are the ring's, a few ahead where
// the stream may. Runs on both backends.
import { Buffer } from 'node:buffer';
import * as nodeFs from 'node:fs';
import * as nodeFsp from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { defaultRing } from '../lib/index.js';
import * as uringfsp from '../lib/promises.js';
import { streamReadAhead } from '../lib/streams.js';
import { webStreamRules } from '../lib/webstream.js';
import { errorShape } from './helpers-differential.js';
import { openFdsUnder, Prng, sha256, tempDir } from './fixtures/helpers.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Handle = { fd: number; readableWebStream(o?: any): any; read(...a: any[]): Promise<any>; close(): Promise<void> };
const opens: [string, (path: string) => Promise<Handle>][] = [
  ['node:fs/promises', (p) => nodeFsp.open(p) as Promise<Handle>],
  ['uringfs', (p) => uringfsp.open(p) as unknown as Promise<Handle>],
];

const rules = webStreamRules();
/** Options that make a byte stream on every version (Node 20 makes one only when asked). */
const bytes = rules.bytesOnly ? undefined : { type: 'bytes' as const };
/** `autoClose: true`, which @types/node 20 does not know (Node 22.17 and 24.2 take it). */
const autoClose: any = { autoClose: true };
/** Every options object worth comparing on this Node: the default, asking for bytes, autoClose (ignored by Node 20). */
const variants: (Record<string, unknown> | undefined)[] = [undefined, { type: 'bytes' }, { autoClose: true }, { type: 'bytes', autoClose: true }];
/** Whether `options` make a byte stream here. */
const isBytes = (options: Record<string, unknown> | undefined): boolean => rules.bytesOnly || options?.type === 'bytes';
/** Node 20's stream of ArrayBuffers: closing its handle mid-read aborts Node, a cancel closes the fd under it. */
const isNode20ArrayBuffers = (options: Record<string, unknown> | undefined): boolean => !isBytes(options);

const { dir, remove } = tempDir('webstream');
// Node's handles that are never closed — one whose read failed (its close() never settles), one
// whose stream a Response refused mid-read (its close() may abort Node 20) — are on files apart,
// so that the count of fds left open under `dir` is uringfs's alone.
const apart = tempDir('webstream-apart');
/** Those handles of Node's, kept from the garbage collector (which would close them, with a warning). */
const neverClosed: unknown[] = [];
afterAll(() => {
  remove();
  apart.remove();
});
const files: Record<string, Buffer> = {
  'empty': Buffer.alloc(0),
  'one byte': Buffer.from('x'),
  '64 KiB - 1': new Prng(21).bytes(64 * 1024 - 1),
  '64 KiB': new Prng(23).bytes(64 * 1024),
  '5 MiB + 777': new Prng(22).bytes(5 * 1024 * 1024 + 777),
};
const pathOf = (name: string): string => join(dir, name.replace(/\W+/g, '-'));
const big = pathOf('5 MiB + 777');
beforeAll(() => {
  for (const [name, data] of Object.entries(files)) nodeFs.writeFileSync(pathOf(name), data);
  nodeFs.mkdirSync(join(dir, 'sub'));
  nodeFs.mkdirSync(join(apart.dir, 'sub'));
});
const saved = { ...streamReadAhead };
afterEach(() => Object.assign(streamReadAhead, saved));

interface Drained { sizes: number[]; types: string[]; data: Buffer }

/** A run to compare with toEqual, its bytes as a hash (toEqual walks a large Buffer byte by byte). */
function comparable<T extends { data: Buffer }>(run: T): Omit<T, 'data'> & { data: string } {
  return { ...run, data: `${run.data.length} bytes, sha256 ${sha256(run.data)}` };
}

/** Read a stream to its end with a default reader: each chunk's size and class, and the bytes. */
async function drain(stream: any, onChunk?: (size: number) => void): Promise<Drained> {
  const reader = stream.getReader();
  const sizes: number[] = [];
  const types = new Set<string>();
  const parts: Buffer[] = [];
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    sizes.push(value.byteLength);
    types.add(value.constructor.name);
    parts.push(Buffer.from(new Uint8Array(value.buffer ?? value, value.byteOffset ?? 0, value.byteLength)));
    onChunk?.(value.byteLength);
  }
  return { sizes, types: [...types], data: Buffer.concat(parts) };
}

/** Read a byte stream to its end with a BYOB reader, the i-th read into `view(i)`. */
async function drainByob(stream: any, view: (i: number) => ArrayBufferView): Promise<Drained & { reads: number }> {
  const reader = stream.getReader({ mode: 'byob' });
  const sizes: number[] = [];
  const parts: Buffer[] = [];
  let reads = 0;
  for (;;) {
    const { done, value } = await reader.read(view(reads++));
    if (done) break;
    sizes.push(value.byteLength);
    parts.push(Buffer.from(value.buffer, value.byteOffset, value.byteLength));
  }
  return { sizes, types: [], data: Buffer.concat(parts), reads };
}

/** The error `fn` throws, as plain data, or 'no error'. */
function thrown(fn: () => unknown): Record<string, unknown> | string {
  try {
    fn();
  } catch (err) {
    return errorShape(err);
  }
  return 'no error';
}

/** After the stream: the handle closed, or what a read at the current position gets (where the stream left it). */
async function after(h: Handle): Promise<string> {
  if (h.fd === -1) return 'closed';
  const buf = Buffer.alloc(10);
  const { bytesRead } = await h.read(buf, 0, 10, null);
  return `open, next ${buf.subarray(0, bytesRead).toString('hex')}`;
}

/** The warnings emitted while `fn` runs (and the turn after). */
async function warnings(fn: () => unknown): Promise<string[]> {
  const seen: string[] = [];
  const on = (w: Error): void => { seen.push(`${w.name}: ${w.message}`); };
  process.on('warning', on);
  try {
    fn();
    await new Promise((r) => setImmediate(r));
  } finally {
    process.off('warning', on);
  }
  return seen;
}

describe('readableWebStream: the same stream as node:fs/promises makes', () => {
  for (const [name, data] of Object.entries(files)) {
    it.each(variants.map((v) => [JSON.stringify(v) ?? 'no options', v]))(`${name}, %s: same bytes, chunks, and handle state at the end`, async (_, options) => {
      const runs = [];
      for (const [, open] of opens) {
        const h = await open(pathOf(name));
        const got = await drain(h.readableWebStream(options));
        runs.push(comparable({ ...got, after: await after(h) }));
        await h.close();
      }
      expect(runs[1].data).toBe(comparable({ data }).data);
      expect(runs[1]).toEqual(runs[0]);
      // Closed at the end exactly where Node's autoClose closes it.
      expect(runs[1].after === 'closed').toBe(rules.autoClose && options?.autoClose === true);
    });
  }

  it.each(variants.map((v) => [JSON.stringify(v) ?? 'no options', v]))('from the current position, %s', async (_, options) => {
    const runs = [];
    for (const [, open] of opens) {
      const h = await open(big);
      await h.read(Buffer.alloc(1000), 0, 1000, null);
      await h.read(Buffer.alloc(10), 0, 10, 5);  // a positioned read leaves the position at 1000
      const got = await drain(h.readableWebStream(options));
      runs.push(comparable({ sizes: got.sizes, data: got.data, after: await after(h) }));
      await h.close();
    }
    expect(runs[1].data).toBe(comparable({ data: files['5 MiB + 777'].subarray(1000) }).data);
    expect(runs[1]).toEqual(runs[0]);
  });

  it('a BYOB reader of odd sizes: each read straight into its view, as Node reads', async () => {
    // Small views on the small file only: one read each.
    const views: [string, (i: number) => ArrayBufferView, string[]][] = [
      ['Uint8Array of 1, 7, 4096, 65537, 13 bytes', (i) => new Uint8Array([1, 7, 4096, 65537, 13][i % 5]), ['64 KiB - 1']],
      ['Uint8Array of 65537, 100000, 3 bytes', (i) => new Uint8Array([65537, 100_000, 3][i % 3]), ['5 MiB + 777']],
      ['one view larger than the file', () => new Uint8Array(6 * 1024 * 1024), ['64 KiB - 1', '5 MiB + 777']],
      ['DataView of 100', () => new DataView(new ArrayBuffer(100)), ['64 KiB - 1']],
      // Whole elements only: a file that ends mid-element fails a byte stream's close (and Node 20
      // to 24 fail the read after the part of it, into a view with an offset).
      ['Uint32Array of 1000', () => new Uint32Array(1000), ['64 KiB']],
      ['Uint16Array of 7', () => new Uint16Array(7), ['64 KiB']],
    ];
    for (const options of [bytes, ...(rules.autoClose ? [autoClose] : [])]) {
      for (const [label, view, which] of views) {
        for (const file of which) {
          const runs = [];
          for (const [, open] of opens) {
            const h = await open(pathOf(file));
            const got = await drainByob(h.readableWebStream(options), view);
            runs.push(comparable({ ...got, after: await after(h) }));
            await h.close();
          }
          const what = `${label}, ${file}, ${JSON.stringify(options)}`;
          expect(runs[1].data, what).toBe(comparable({ data: files[file] }).data);
          expect(runs[1], what).toEqual(runs[0]);
        }
      }
    }
  });

  it('a BYOB view with an offset in its buffer is read into where it is (Node 20 to 24 fail the stream)', async () => {
    const h = await uringfsp.open(pathOf('64 KiB - 1'));
    const got = await drainByob(h.readableWebStream(bytes), () => new Uint8Array(new ArrayBuffer(1000), 100, 777));
    expect(got.data.equals(files['64 KiB - 1'])).toBe(true);
    expect(got.sizes[0]).toBe(777);
    await h.close();
  });

  it('a BYOB reader is refused where Node refuses it (Node 20 without type bytes), taken where Node takes it', async () => {
    for (const options of variants) {
      const shapes = [];
      for (const [, open] of opens) {
        const h = await open(pathOf('one byte'));
        const s = h.readableWebStream(options);
        shapes.push(thrown(() => s.getReader({ mode: 'byob' }).releaseLock()));
        // Node 20's stream of ArrayBuffers is read to its end: a cancel would close the fd under Node's handle.
        if (isNode20ArrayBuffers(options)) await drain(s);
        else await s.cancel();
        await h.close();
      }
      expect(shapes[1], JSON.stringify(options)).toEqual(shapes[0]);
    }
  });

  it('works where a web stream goes: Response, tee', async () => {
    for (const options of variants) {
      const outcomes = [];
      for (const [label, open] of opens) {
        // A Response refuses Node 20's ArrayBuffers mid-stream, while Node's handle may still be
        // reading: its close() would then abort the process. That handle is never closed, so it is
        // on a copy of the file apart.
        const apartCopy = label !== 'uringfs' && isNode20ArrayBuffers(options);
        const file = apartCopy ? join(apart.dir, 'copy') : pathOf('64 KiB - 1');
        if (apartCopy) nodeFs.writeFileSync(file, files['64 KiB - 1']);
        const h = await open(file);
        let outcome: unknown;
        try {
          outcome = (await new Response(h.readableWebStream(options)).arrayBuffer()).byteLength;
        } catch (err) {
          outcome = errorShape(err);
        }
        const h2 = await open(pathOf('64 KiB - 1'));
        const [a, b] = h2.readableWebStream(options).tee();
        const [da, db] = await Promise.all([drain(a), drain(b)]);
        outcomes.push({ outcome, tee: [da.data.length, db.data.equals(da.data), da.sizes] });
        if (apartCopy) neverClosed.push(h);
        else await h.close();
        await h2.close();
      }
      expect(outcomes[1], JSON.stringify(options)).toEqual(outcomes[0]);
    }
  });
});

describe('readableWebStream: errors as Node throws them', () => {
  it('twice on one handle, on a closed handle, on a closing one: ERR_INVALID_STATE', async () => {
    const shapes: unknown[][] = [];
    for (const [, open] of opens) {
      const got: unknown[] = [];
      let h = await open(pathOf('one byte'));
      h.readableWebStream(bytes);
      got.push(thrown(() => h.readableWebStream(bytes)));
      got.push(thrown(() => h.readableWebStream()));
      await h.close();  // the stream let go of it: close() settles
      h = await open(pathOf('one byte'));
      await h.close();
      got.push(thrown(() => h.readableWebStream()));
      h = await open(pathOf('one byte'));
      const reading = h.read(Buffer.alloc(1), 0, 1, 0);
      const closing = h.close();
      got.push(thrown(() => h.readableWebStream()), h.fd === -1);
      await reading;
      await closing;
      shapes.push(got);
    }
    expect(shapes[1]).toEqual(shapes[0]);
    expect(shapes[1].slice(0, 4).map((s: any) => [s.code, s.message])).toEqual([
      ['ERR_INVALID_STATE', 'Invalid state: The FileHandle is locked'],
      ['ERR_INVALID_STATE', 'Invalid state: The FileHandle is locked'],
      ['ERR_INVALID_STATE', 'Invalid state: The FileHandle is closed'],
      ['ERR_INVALID_STATE', 'Invalid state: The FileHandle is closing'],
    ]);
  });

  it('bad options: the same error (or none) and warning, and the handle locked after, as Node leaves it', async () => {
    const bad: unknown[] = [null, 'bytes', 1, [], () => {}, { type: 1 }, { type: 'foo' }, { type: null }, { autoClose: 'x' }, { type: 'bytes', autoClose: 1 }, { autoClose: null }];
    for (const options of bad) {
      const runs = [];
      for (const [, open] of opens) {
        const h = await open(pathOf('one byte'));
        let shape: unknown;
        let stream: any;
        const warned = await warnings(() => {
          shape = thrown(() => { stream = h.readableWebStream(options); });
        });
        const again = thrown(() => h.readableWebStream());
        if (stream !== undefined) await drain(stream);
        runs.push({ shape, warned, again, after: await after(h) });
        await h.close();
      }
      expect(runs[1], JSON.stringify(options) ?? String(options)).toEqual(runs[0]);
    }
  });

  it('a read that fails errors the stream with Node\'s error; the handle is let go of, its fd left open', async () => {
    const shapes = [];
    for (const [label, open] of opens) {
      // Node's handle is never let go of: it is on a directory outside `dir`, and never closed.
      const h = await open(label === 'uringfs' ? join(dir, 'sub') : join(apart.dir, 'sub'));
      const reader = h.readableWebStream(bytes).getReader();
      const err = await reader.read().then(() => 'no error', (e: unknown) => errorShape(e));
      const closed = await reader.closed.then(() => 'closed', (e: unknown) => errorShape(e));
      shapes.push({ err, closed, open: h.fd !== -1 });
      if (label === 'uringfs') {
        await h.close();
        expect(h.fd).toBe(-1);
      } else {
        neverClosed.push(h);
      }
    }
    expect(shapes[1]).toEqual(shapes[0]);
    expect((shapes[1].err as any).code).toBe('EISDIR');
  });
});

describe('readableWebStream: cancel, and closing the handle', () => {
  it.each(variants.filter((v) => !isNode20ArrayBuffers(v)).map((v) => [JSON.stringify(v) ?? 'no options', v]))('cancel mid-way, %s: the handle closed or usable after, as Node leaves it', async (_, options) => {
    for (const byob of [false, true]) {
      const runs = [];
      for (const [, open] of opens) {
        const h = await open(big);
        const reader = h.readableWebStream(options).getReader(byob ? { mode: 'byob' } : undefined);
        const first = await reader.read(byob ? new Uint8Array(5000) : undefined);
        await reader.cancel(new Error('enough'));
        const state = await after(h);
        runs.push({ first: first.value.byteLength, state, again: thrown(() => h.readableWebStream()), next: await reader.read(byob ? new Uint8Array(1) : undefined).then((r: any) => r.done) });
        await h.close();
      }
      expect(runs[1], `byob ${byob}`).toEqual(runs[0]);
      expect(runs[1].state === 'closed').toBe(rules.autoClose && options?.autoClose === true);
    }
  });

  it('Node 20\'s stream of ArrayBuffers: a cancel closes the fd under the handle (Node) or the handle (uringfs)', async () => {
    if (rules.bytesOnly) return;
    const codes = [];
    for (const [label, open] of opens) {
      const h = await open(big);
      const reader = h.readableWebStream().getReader();
      expect((await reader.read()).value).toBeInstanceOf(ArrayBuffer);
      await reader.cancel();
      codes.push(await h.read(Buffer.alloc(1), 0, 1, 0).then(() => 'read', (e: any) => e.code));
      // Node's close() of that handle aborts the process: it is never closed (its fd is, by the cancel).
      if (label === 'uringfs') {
        expect(h.fd).toBe(-1);
        await h.close();
      } else {
        neverClosed.push(h);
      }
    }
    expect(codes).toEqual(['EBADF', 'EBADF']);
  });

  it.each(variants.map((v) => [JSON.stringify(v) ?? 'no options', v]))('closing the handle while a read is pending ends the stream, %s', async (_, options) => {
    for (const byob of isBytes(options) ? [false, true] : [false]) {
      const runs = [];
      // Node 20's stream of ArrayBuffers aborts the process here: uringfs's alone.
      for (const [label, open] of isNode20ArrayBuffers(options) ? opens.slice(1) : opens) {
        const h = await open(big);
        const reader = h.readableWebStream(options).getReader(byob ? { mode: 'byob' } : undefined);
        await reader.read(byob ? new Uint8Array(1000) : undefined);
        const pending = reader.read(byob ? new Uint8Array(1 << 20) : undefined);
        await h.close();
        const got = await pending;
        runs.push({ label, done: got.done, closed: await reader.closed.then(() => 'closed'), fd: h.fd, next: (await reader.read(byob ? new Uint8Array(1) : undefined)).done });
        // A pending BYOB read ends with done and, here, an empty view of the reader's buffer (Node: undefined).
        if (label === 'uringfs' && byob) expect(got.value?.byteLength ?? 0).toBe(0);
      }
      for (const run of runs) expect({ ...run, label: '' }).toEqual({ label: '', done: true, closed: 'closed', fd: -1, next: true });
    }
  });

  it('closing the handle before any read, or between reads, ends the stream', async () => {
    for (const options of variants.filter((v) => !isNode20ArrayBuffers(v))) {
      const runs = [];
      for (const [, open] of opens) {
        const h = await open(big);
        const s = h.readableWebStream(options);
        await h.close();
        const early = await s.getReader().read();
        const h2 = await open(big);
        const reader = h2.readableWebStream(options).getReader();
        await reader.read();
        await new Promise((r) => setTimeout(r, 10));
        await h2.close();
        const late = await reader.read();
        runs.push([early.done, late.done, h.fd, h2.fd]);
      }
      expect(runs[1], JSON.stringify(options)).toEqual(runs[0]);
    }
  });
});

describe('readableWebStream: on the ring', () => {
  const ring = () => defaultRing();

  it('a BYOB reader: one read of the ring per read of the reader, into its view', async () => {
    const h = await uringfsp.open(pathOf('64 KiB - 1'));
    const before = ring().stats();
    const got = await drainByob(h.readableWebStream(bytes), () => new Uint8Array(4096));
    const after_ = ring().stats();
    // 15 full views, one of 4095 bytes, and the read that finds the end.
    expect(got.reads).toBe(17);
    expect(after_.submitted - before.submitted).toBe(17);
    expect(after_.completed - before.completed).toBe(17);
    await h.close();
  });

  it('a default reader without autoClose: one read of 16 KiB at a time, at the current position, as Node reads', async () => {
    const h = await uringfsp.open(big);
    const before = ring().stats();
    const got = await drain(h.readableWebStream(bytes));
    expect(ring().stats().submitted - before.submitted).toBe(got.sizes.length + 1);
    await h.close();
  });

  it('a default reader with autoClose: 64 KiB per read, up to 3 reads ahead, the same chunks', async () => {
    if (!rules.autoClose) return;
    const file = files['5 MiB + 777'];
    for (const depth of [3, 0]) {
      Object.assign(streamReadAhead, { depth, budget: 8 });
      const h = await uringfsp.open(big);
      await h.read(Buffer.alloc(123), 0, 123, null);  // the reads ahead start at the file position
      const before = ring().stats();
      let most = 0;
      const got = await drain(h.readableWebStream(autoClose), () => { most = Math.max(most, ring().stats().inFlight); });
      const ops = ring().stats().submitted - before.submitted;
      expect(got.data.equals(file.subarray(123))).toBe(true);
      expect(got.sizes.slice(0, -1).every((n) => n === 16 * 1024)).toBe(true);
      expect(h.fd).toBe(-1);
      if (depth === 0) {
        expect(ops).toBe(got.sizes.length + 1);
      } else {
        // 64 KiB per readv: a quarter of the chunks, and one more read where the last came back short.
        expect(ops).toBeLessThanOrEqual(Math.ceil(got.sizes.length / 4) + 2 + depth);
        expect(most).toBeGreaterThan(1);
      }
    }
  });

  it('streams with autoClose together keep to the budget of reads ahead; a cancel leaves no read and no fd behind', async () => {
    if (!rules.autoClose) return;
    Object.assign(streamReadAhead, { depth: 3, budget: 4 });
    const handles = await Promise.all(Array.from({ length: 6 }, () => uringfsp.open(big)));
    let most = 0;
    let atEnd = false;
    await Promise.all(handles.map(async (h) => {
      // Sampled while all six read, until one hands over its last (short) chunk: no open or close
      // is in flight then, only their reads.
      await drain(h.readableWebStream(autoClose), (size) => {
        atEnd ||= size < 16 * 1024;
        if (!atEnd) most = Math.max(most, ring().stats().inFlight);
      });
    }));
    // One read each that its reader waits for, and at most 4 ahead over all of them (without the
    // budget: 3 ahead each).
    expect(most).toBeGreaterThan(1);
    expect(most).toBeLessThanOrEqual(6 + 4);
    Object.assign(streamReadAhead, { depth: 3, budget: 8 });
    const h = await uringfsp.open(big);
    const reader = h.readableWebStream(autoClose).getReader();
    for (let i = 0; i < 6; i++) await reader.read();
    await reader.cancel();
    expect(h.fd).toBe(-1);
    expect(ring().stats().inFlight).toBe(0);
    expect(openFdsUnder(dir)).toBe(0);
  });

  it('leaves no fd open', async () => {
    const h = await uringfsp.open(big);
    const s = h.readableWebStream(bytes);
    const reader = s.getReader();
    await reader.read();
    const pending = reader.read();
    await h.close();
    await pending;
    expect(openFdsUnder(dir)).toBe(0);
  });
});
