// An AbortSignal given to readFile / writeFile (paths and FileHandles, promise and callback forms)
// stops the operation where node:fs stops it: node:fs checks the signal after its open and its
// fstat and before each chunk of 512 KiB, so an abort right after the call, a microtask later, or
// while a large file is under way rejects with node:fs's AbortError, and nothing is left open.
import { Buffer } from 'node:buffer';
import * as nodeFs from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as uringFs from '../lib/index.js';
import { defaultRing } from '../lib/ring.js';
import { errorShape } from './helpers-differential.js';
import { openFdsUnder, tempDir } from './fixtures/helpers.js';

type Fs = typeof nodeFs;
const impls: [string, Fs][] = [['node:fs', nodeFs], ['uringfs', uringFs as unknown as Fs]];

let tmp: { dir: string; remove: () => void };
const small = 'small.txt';
const large = 'large.bin';
const LARGE = 64 * 1024 * 1024;
const at = (name: string): string => join(tmp.dir, name);

beforeAll(() => {
  tmp = tempDir('abort');
  nodeFs.writeFileSync(at(small), 'hello\n');
  nodeFs.writeFileSync(at(large), Buffer.alloc(LARGE, 7));
  contents[small] = nodeFs.readFileSync(at(small));
  contents[large] = nodeFs.readFileSync(at(large));
});
afterAll(() => tmp.remove());

/** When the signal fires, relative to the call. */
type When = 'before' | 'right after' | 'a microtask after' | 'at the first setImmediate';
const whens: When[] = ['before', 'right after', 'a microtask after'];

function abortAt(ac: AbortController, when: When): void {
  if (when === 'right after') ac.abort();
  else if (when === 'a microtask after') queueMicrotask(() => ac.abort());
  else if (when === 'at the first setImmediate') setImmediate(() => ac.abort());
}

/** Runs `start(signal)` with the abort placed `when`; the outcome as plain data. */
async function outcome(when: When, start: (signal: AbortSignal) => Promise<unknown>): Promise<unknown> {
  const ac = new AbortController();
  if (when === 'before') ac.abort();
  let settled: Promise<unknown>;
  try {
    settled = start(ac.signal);
  } catch (err) {
    return { thrown: errorShape(err) };
  }
  abortAt(ac, when);
  return settled.then(
    (v) => ({ ok: Buffer.isBuffer(v) ? `${v.length} bytes` : v }),
    (err) => ({ rejected: errorShape(err) }),
  );
}

const callback = (f: (cb: (err: Error | null, v?: unknown) => void) => void): Promise<unknown> =>
  new Promise((resolve, reject) => f((err, v) => (err ? reject(err) : resolve(v))));

/** An operation; one on a FileHandle gets it opened beforehand (`handle`: its flags), outside the timing. */
interface Operation {
  handle?: string;
  run: (fs: Fs, signal: AbortSignal, file: string, fh: nodeFs.promises.FileHandle) => Promise<unknown>;
}
const operations: Record<string, Operation> = {
  'promises.readFile(path)': { run: (fs, signal, file) => fs.promises.readFile(at(file), { signal }) },
  'FileHandle.readFile': { handle: 'r', run: (fs, signal, file, fh) => fh.readFile({ signal }) },
  'readFile(path, cb)': { run: (fs, signal, file) => callback((cb) => fs.readFile(at(file), { signal }, cb)) },
  'promises.writeFile(path)': { run: (fs, signal, file) => fs.promises.writeFile(at(`out-${file}`), contents[file]!, { signal }) },
  'FileHandle.writeFile': { handle: 'w', run: (fs, signal, file, fh) => fh.writeFile(contents[file]!, { signal }) },
  'writeFile(path, cb)': { run: (fs, signal, file) => callback((cb) => fs.writeFile(at(`out-${file}`), contents[file]!, { signal }, cb)) },
};
const contents: Record<string, Buffer> = {};

/** `name` on `file` through `fs`, aborted `when` (or given `signal`, never aborted). */
async function attempt(name: string, fs: Fs, file: string, when: When, signal?: AbortSignal): Promise<unknown> {
  const op = operations[name]!;
  const target = op.handle === 'w' ? at(`out-${file}`) : at(file);
  const fh = op.handle === undefined ? undefined : await fs.promises.open(target, op.handle);
  try {
    return await outcome(when, (s) => op.run(fs, signal ?? s, file, fh!));
  } finally {
    await fh?.close();
  }
}

describe('AbortSignal on whole-file reads and writes, as node:fs', () => {
  for (const name of Object.keys(operations)) {
    for (const when of whens) {
      it(`${name}, aborted ${when}: the outcome of node:fs`, async () => {
        const results: Record<string, unknown> = {};
        for (const [impl, fs] of impls) results[impl] = await attempt(name, fs, small, when);
        expect(results.uringfs).toEqual(results['node:fs']);
      });
    }
  }

  for (const name of ['promises.readFile(path)', 'FileHandle.readFile', 'readFile(path, cb)', 'promises.writeFile(path)', 'FileHandle.writeFile']) {
    it(`${name} of 64 MiB, aborted while under way: node:fs's AbortError, nothing left open`, async () => {
      const result = await attempt(name, uringFs as unknown as Fs, large, 'at the first setImmediate');
      const nodeResult = await attempt(name, nodeFs, large, 'at the first setImmediate');
      expect(result).toEqual(nodeResult);
      expect((result as { rejected?: { name: string } }).rejected?.name).toBe('AbortError');
      expect(openFdsUnder(tmp.dir)).toBe(0);
    });

    it(`${name} of 64 MiB with a signal that never fires: in chunks of 512 KiB, as node:fs checks between them`, async () => {
      const ring = defaultRing();
      const before = ring.stats().submitted;
      const result = await attempt(name, uringFs as unknown as Fs, large, 'right after', new AbortController().signal);
      expect(result).toEqual(name.includes('write') ? { ok: undefined } : { ok: `${LARGE} bytes` });
      expect(ring.stats().submitted - before).toBeGreaterThanOrEqual(LARGE / (512 * 1024));
    });
  }

  it('without a signal, a large file is read in one go, not in chunks', async () => {
    const ring = defaultRing();
    const before = ring.stats().submitted;
    const data = await uringFs.promises.readFile(at(large));
    expect(data.length).toBe(LARGE);
    // open, a read (and any short reads after it), close: far fewer ops than 128 chunks.
    expect(ring.stats().submitted - before).toBeLessThan(16);
  });
});
