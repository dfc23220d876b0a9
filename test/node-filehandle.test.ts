// A FileHandle of node:fs/promises given to uringfs where node:fs takes one — uringfs/promises'
// readFile, writeFile and appendFile, and a stream's `fd` — behaves as it does given to node:fs:
// the same bytes, results, errors, and the handle closed when node:fs's would be. Runs on both backends.
import { Buffer } from 'node:buffer';
import * as nodeFs from 'node:fs';
import * as nodeFsp from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import * as uringfs from '../lib/index.js';
import * as uringfsp from '../lib/promises.js';
import { isNodeFileHandle } from '../lib/validate.js';
import { errorShape } from './helpers-differential.js';
import { Prng, tempDir } from './fixtures/helpers.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Mod = Record<string, (...args: any[]) => any>;
const impls: [string, Mod, Mod][] = [
  ['node:fs', nodeFs as unknown as Mod, nodeFsp as unknown as Mod],
  ['uringfs', uringfs as unknown as Mod, uringfsp as unknown as Mod],
];

const { dir, remove } = tempDir('node-handle');
afterAll(remove);
const content = new Prng(5).bytes(200_003);
let serial = 0;

/** A fresh file with `content` (the same for both implementations), its path. */
function freshFile(): string {
  const path = join(dir, `f${serial++}`);
  nodeFs.writeFileSync(path, content);
  return path;
}

/** What `call` gave with a node:fs FileHandle of a fresh file opened with `flags`: its outcome, the file after, whether the handle is still open. */
async function outcome(flags: string, call: (fh: nodeFsp.FileHandle) => Promise<unknown>, closeFirst = false): Promise<unknown> {
  const path = freshFile();
  const fh = await nodeFsp.open(path, flags);
  if (closeFirst) await fh.close();
  let out: unknown;
  try {
    const v = await call(fh);
    out = { ok: Buffer.isBuffer(v) ? { buffer: v.toString('hex').slice(0, 64), length: v.length } : typeof v === 'string' ? v.length : v };
  } catch (err) {
    out = { error: errorShape(err) };
  }
  const open = fh.fd !== -1;
  if (open) await fh.close();
  const after = nodeFs.readFileSync(path);
  return { out, open, file: { length: after.length, head: after.subarray(0, 32).toString('hex'), tail: after.subarray(-32).toString('hex') } };
}

describe('isNodeFileHandle', () => {
  it("tells node:fs/promises' FileHandle from uringfs's and from other values", async () => {
    const path = freshFile();
    const nodeHandle = await nodeFsp.open(path);
    const ringHandle = await uringfsp.open(path);
    try {
      expect(isNodeFileHandle(nodeHandle)).toBe(true);
      expect(isNodeFileHandle(ringHandle)).toBe(false);
      for (const v of [null, undefined, 3, path, Buffer.from(path), {}, { fd: 3 }, new (class FileHandle { fd = 3; })()]) expect(isNodeFileHandle(v)).toBe(false);
    } finally {
      await nodeHandle.close();
      await ringHandle.close();
    }
  });
});

describe("uringfs/promises' readFile, writeFile and appendFile with a FileHandle of node:fs", () => {
  const cases: [string, string, (fsp: Mod, fh: nodeFsp.FileHandle) => Promise<unknown>, boolean?][] = [
    ['readFile()', 'r', (fsp, fh) => fsp.readFile(fh)],
    ['readFile(utf8)', 'r', (fsp, fh) => fsp.readFile(fh, 'latin1')],
    ['readFile from the current position', 'r', async (fsp, fh) => { await fh.read(Buffer.alloc(1000), 0, 1000, null); return fsp.readFile(fh); }],
    ['readFile({ signal: aborted })', 'r', (fsp, fh) => fsp.readFile(fh, { signal: AbortSignal.abort() })],
    ['readFile of a write-only handle', 'w', (fsp, fh) => fsp.readFile(fh)],
    ['readFile of a closed handle', 'r', (fsp, fh) => fsp.readFile(fh), true],
    ['writeFile(string)', 'r+', (fsp, fh) => fsp.writeFile(fh, 'written through the handle')],
    ['writeFile(buffer) from the current position', 'r+', async (fsp, fh) => { await fh.read(Buffer.alloc(10), 0, 10, null); return fsp.writeFile(fh, Buffer.from('0123456789')); }],
    ['writeFile(iterable)', 'r+', (fsp, fh) => fsp.writeFile(fh, ['a', 'b', 'c'])],
    ['writeFile of a read-only handle', 'r', (fsp, fh) => fsp.writeFile(fh, 'x')],
    ['writeFile(bad data)', 'r+', (fsp, fh) => fsp.writeFile(fh, 42)],
    ['appendFile(string)', 'a', (fsp, fh) => fsp.appendFile(fh, 'appended')],
    ['appendFile of a closed handle', 'a', (fsp, fh) => fsp.appendFile(fh, 'x'), true],
  ];
  for (const [name, flags, call, closeFirst] of cases) {
    it(name, async () => {
      const got: unknown[] = [];
      for (const [, , fsp] of impls) got.push(await outcome(flags, (fh) => call(fsp, fh), closeFirst));
      expect(got[1]).toEqual(got[0]);
    });
  }
});

/** A stream over a node:fs FileHandle of a fresh file: the bytes it read or the file it wrote, its events, and whether the handle is open after. */
async function streamOutcome(mod: Mod, kind: 'read' | 'write', options: Record<string, unknown>): Promise<unknown> {
  const path = freshFile();
  const fh = await nodeFsp.open(path, kind === 'read' ? 'r' : 'r+');
  const events: string[] = [];
  let bytes = 0;
  let hash = 0;
  let thrown: unknown;
  let s: any;
  try {
    s = kind === 'read' ? mod.createReadStream(null, { ...options, fd: fh }) : mod.createWriteStream(null, { ...options, fd: fh });
    events.push(s instanceof (kind === 'read' ? nodeFs.ReadStream : nodeFs.WriteStream) ? 'instanceof' : 'not instanceof');
    await new Promise<void>((resolve) => {
      for (const e of ['open', 'ready', 'end', 'finish', 'error']) s.on(e, (err?: Error) => events.push(e === 'error' ? `error ${(err as NodeJS.ErrnoException).code}` : e));
      s.on('close', () => { events.push('close'); resolve(); });
      // Without autoClose, neither closes the handle, nor emits 'close'.
      if (options.autoClose === false) for (const e of ['end', 'finish']) s.on(e, () => setTimeout(resolve, 20));
      if (kind === 'read') {
        s.on('data', (d: Buffer) => { bytes += d.length; for (const b of d) hash = (hash * 31 + b) >>> 0; });
      } else {
        for (let i = 0; i < 20; i++) s.write(Buffer.alloc(5000, i));
        s.end('the end');
      }
    });
  } catch (err) {
    thrown = errorShape(err);
  }
  await new Promise((r) => setImmediate(r));
  const open = fh.fd !== -1;
  // A stream that did not close still holds the handle (node:fs's kRef): the handle's close waits for it.
  if (s !== undefined && !s.destroyed) await new Promise((resolve) => s.destroy().on('close', resolve));
  if (open) await fh.close();
  const after = nodeFs.readFileSync(path);
  return { thrown, events, bytes, hash, open, file: { length: after.length, head: after.subarray(0, 16).toString('hex'), tail: after.subarray(-16).toString('hex') } };
}

describe('streams with a FileHandle of node:fs as fd', () => {
  const cases: [string, 'read' | 'write', Record<string, unknown>][] = [
    ['read stream', 'read', {}],
    ['read stream, start and end', 'read', { start: 1000, end: 150_000, highWaterMark: 4096 }],
    ['read stream, autoClose: false', 'read', { autoClose: false }],
    ['read stream with its own fs', 'read', { fs: { read: () => {} } }],
    ['write stream', 'write', {}],
    ['write stream, start', 'write', { start: 7 }],
    ['write stream, autoClose: false', 'write', { autoClose: false }],
  ];
  for (const [name, kind, options] of cases) {
    it(name, async () => {
      const got: unknown[] = [];
      for (const [, mod] of impls) got.push(await streamOutcome(mod, kind, options));
      expect(got[1]).toEqual(got[0]);
      expect(JSON.stringify(got[0])).not.toMatch(/ERR_INVALID_ARG_TYPE/);
    });
  }
});

describe("node:fs/promises' functions replaced by uringfs's (a program swapping them in)", () => {
  it("a node:fs FileHandle still goes to node:fs/promises' own readFile, writeFile and appendFile, not round to uringfs's", async () => {
    const fsp = nodeFs.promises as unknown as Mod;
    const names = ['readFile', 'writeFile', 'appendFile'] as const;
    const originals = names.map((name) => fsp[name]);
    for (const name of names) fsp[name] = (uringfsp as unknown as Mod)[name];
    const path = freshFile();
    const fh = await nodeFsp.open(path, 'r+');
    try {
      expect((await uringfsp.readFile(fh)).equals(content)).toBe(true);
      await uringfsp.writeFile(fh, 'swapped');
      await uringfsp.appendFile(fh, '!');
    } finally {
      names.forEach((name, i) => { fsp[name] = originals[i]; });
      await fh.close();
    }
    expect(nodeFs.readFileSync(path).subarray(content.length)).toEqual(Buffer.from('swapped!'));
  });
});
