// mkdtemp (sync, callback, promise) compared with node:fs. The six characters differ from call to
// call, so each outcome names them '<six>' once they are checked to be six of [A-Za-z0-9] (not
// the template's XXXXXX): what remains must be the same — the value's type and encoding, the new
// directory (mode 0o700 less the umask) beside what the directory held, and errors, which name the
// template from mkdtempSync and the name tried from the async forms, as node:fs's do. Runs on both
// backends.
import { Buffer } from 'node:buffer';
import * as nodeFs from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultRing } from '../lib/index.js';
import * as uringFs from '../lib/index.js';
import { Sandbox, callCallback, callPromise, callSync, expectSame, flavours, snapshotDir, type Flavour, type Impl, type Outcome } from './helpers-differential.js';

const sb = new Sandbox('mkdtemp');
afterAll(() => sb.cleanup());

const setup = (dir: string): void => {
  nodeFs.writeFileSync(join(dir, 'file'), 'x');
  nodeFs.mkdirSync(join(dir, 'sub'));
};

const SIX = /[A-Za-z0-9]{6}/;
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * The outcome with the six random characters after `prefix` (a string, as paths show it) named
 * '<six>' where they end a path (a quote or '/' follows) — six that are the template's XXXXXX stay
 * as they are, so that the sync form's error must still name the template.
 */
function sixNamed(value: unknown, prefix: string): unknown {
  const json = JSON.stringify(value);
  const inJson = JSON.stringify(prefix).slice(1, -1);
  return JSON.parse(json.replace(new RegExp(`${escape(inJson)}(?!XXXXXX)${SIX.source}(?=["'/])`, 'g'), `${inJson}<six>`));
}

/** What a returned path says, with its six characters checked: its type, and the path it names. */
function describeCreated(value: unknown, encoding: BufferEncoding | 'buffer' | undefined): unknown {
  if (typeof value !== 'string' && !Buffer.isBuffer(value)) return { notAPath: String(value) };
  const textEncoding = encoding === undefined || encoding === 'buffer' ? 'utf8' : encoding;
  const bytes = Buffer.isBuffer(value) ? value : Buffer.from(value, textEncoding);
  const six = bytes.subarray(bytes.length - 6).toString('latin1');
  const stat = nodeFs.statSync(bytes);
  return {
    type: Buffer.isBuffer(value) ? 'Buffer' : 'string',
    // The path in the encoding asked for, but for its last six characters (bytes).
    encodedPrefix: Buffer.isBuffer(value) ? bytes.subarray(0, -6).toString('hex') : bytes.subarray(0, -6).toString(textEncoding),
    sixAreLetters: /^[A-Za-z0-9]{6}$/.test(six) && six !== 'XXXXXX',
    directory: stat.isDirectory(),
    mode: (stat.mode & 0o777).toString(8),
  };
}

/** The directory's entries, with each name made of `prefix` (a path in `dir`) and six characters named. */
function snapshot(dir: string, prefix: string): unknown {
  const relative = prefix.startsWith(`${dir}/`) ? prefix.slice(dir.length + 1) : null;
  // A name that is not UTF-8 (node:fs's string paths cannot reach it): the names' bytes, the six named.
  const bytes = nodeFs.readdirSync(dir, { encoding: 'buffer' });
  if (bytes.some((name) => !Buffer.from(name.toString()).equals(name))) {
    return bytes.map((name) => (/^[A-Za-z0-9]{6}$/.test(name.subarray(-6).toString('latin1')) ? `${name.subarray(0, -6).toString('hex')}<six>` : name.toString('hex'))).sort();
  }
  const out: Record<string, unknown> = {};
  for (const [key, entry] of Object.entries(snapshotDir(dir))) {
    const six = relative !== null && key.startsWith(relative) ? key.slice(relative.length, relative.length + 6) : '';
    const named = /^[A-Za-z0-9]{6}$/.test(six) && six !== 'XXXXXX' ? `${relative}<six>${key.slice(relative!.length + 6)}` : key;
    out[named] = entry;
  }
  return out;
}

function callMkdtemp(flavour: Flavour, impl: Impl, args: unknown[], encoding: BufferEncoding | 'buffer' | undefined): Promise<Outcome> | Outcome {
  const created = (v: unknown) => describeCreated(v, encoding);
  if (flavour === 'sync') {
    return callSync(() => {
      const v = impl.fs.mkdtempSync(...args);
      return created(v);
    });
  }
  if (flavour === 'callback') {
    return callCallback((cb) => impl.fs.mkdtemp(...args, (err: unknown, v: unknown) => cb(err, err ? v : created(v))));
  }
  return callPromise(() => (impl.fsp.mkdtemp(...args) as Promise<unknown>).then(created));
}

type Case = [name: string, prefix: (dir: string) => unknown, shown: (dir: string) => string, options: unknown[], encoding?: BufferEncoding | 'buffer'];

const cases: Case[] = [
  ['a prefix, no options', (d) => join(d, 'p-'), (d) => join(d, 'p-'), []],
  ['options undefined', (d) => join(d, 'p-'), (d) => join(d, 'p-'), [undefined]],
  ['options null', (d) => join(d, 'p-'), (d) => join(d, 'p-'), [null]],
  ["'utf8'", (d) => join(d, 'p-'), (d) => join(d, 'p-'), ['utf8'], 'utf8'],
  ["'buffer'", (d) => join(d, 'p-'), (d) => join(d, 'p-'), ['buffer'], 'buffer'],
  ["{ encoding: 'buffer' }", (d) => join(d, 'p-'), (d) => join(d, 'p-'), [{ encoding: 'buffer' }], 'buffer'],
  ["'hex'", (d) => join(d, 'p-'), (d) => join(d, 'p-'), ['hex'], 'hex'],
  ["{ encoding: 'base64' }", (d) => join(d, 'p-'), (d) => join(d, 'p-'), [{ encoding: 'base64' }], 'base64'],
  ["'latin1'", (d) => join(d, 'ü-'), (d) => join(d, 'ü-'), ['latin1'], 'latin1'],
  ['{ encoding: null }', (d) => join(d, 'p-'), (d) => join(d, 'p-'), [{ encoding: null }]],
  ['{}', (d) => join(d, 'p-'), (d) => join(d, 'p-'), [{}]],
  ['a prefix ending in / (the six are the whole name)', (d) => `${d}/`, (d) => `${d}/`, []],
  ['inside a subdirectory', (d) => join(d, 'sub', 'q'), (d) => join(d, 'sub', 'q'), []],
  ['a Buffer prefix', (d) => Buffer.from(join(d, 'b-')), (d) => join(d, 'b-'), []],
  ['a Buffer prefix, encoding buffer', (d) => Buffer.from(join(d, 'b-')), (d) => join(d, 'b-'), ['buffer'], 'buffer'],
  ['a Uint8Array prefix', (d) => new Uint8Array(Buffer.from(join(d, 'u-'))), (d) => join(d, 'u-'), []],
  ['a file: URL prefix', (d) => pathToFileURL(join(d, 'url-')), (d) => join(d, 'url-'), []],
  ['a prefix that is not UTF-8, encoding buffer', (d) => Buffer.concat([Buffer.from(`${d}/`), Buffer.from([0xff, 0xfe])]), (d) => `${d}/\ufffd\ufffd`, ['buffer'], 'buffer'],
  ['a prefix with non-ASCII characters', (d) => join(d, '日本-'), (d) => join(d, '日本-'), []],
  // Failures: the async forms name the path they tried, mkdtempSync the template.
  ['a missing parent (ENOENT)', (d) => join(d, 'missing', 'p-'), (d) => join(d, 'missing', 'p-'), []],
  ['a missing parent, a Buffer prefix that is not UTF-8', (d) => Buffer.concat([Buffer.from(`${d}/missing/`), Buffer.from([0xff])]), (d) => `${d}/missing/\ufffd`, []],
  ['a file as parent (ENOTDIR)', (d) => join(d, 'file', 'p-'), (d) => join(d, 'file', 'p-'), []],
  ['a name too long (ENAMETOOLONG)', (d) => join(d, 'n'.repeat(300)), (d) => join(d, 'n'.repeat(300)), []],
  ['a NUL byte in the prefix', (d) => `${d}/p\u0000`, (d) => `${d}/p\u0000`, []],
  ['a prefix that is a number', () => 42, () => '42', []],
  ['a prefix that is an object', () => ({}), () => '{}', []],
  ['an unknown encoding', (d) => join(d, 'p-'), (d) => join(d, 'p-'), ['nope']],
  ['options that are a number', (d) => join(d, 'p-'), (d) => join(d, 'p-'), [42]],
  ['a bad encoding and a bad prefix (options are checked first)', () => 42, () => '42', [{ encoding: 'nope' }]],
];

describe.each(flavours)('mkdtemp, %s flavour', (flavour) => {
  for (const [name, prefix, shown, options, encoding] of cases) {
    it(name, async () => {
      await expectSame(sb, {
        setup,
        snapshot: false,
        run: async (impl, dir) => {
          const outcome = await callMkdtemp(flavour, impl, [prefix(dir), ...options], encoding);
          return sixNamed({ outcome, after: snapshot(dir, shown(dir)) }, shown(dir)) as Outcome;
        },
      });
    });
  }
});

describe('callback argument forms', () => {
  const forms: [string, (fs: Impl['fs'], d: string, cb: (...a: unknown[]) => void) => unknown][] = [
    ['(prefix, cb)', (fs, d, cb) => fs.mkdtemp(join(d, 'p-'), (err: unknown, v: unknown) => cb(err, typeof v))],
    ['(prefix, options, cb)', (fs, d, cb) => fs.mkdtemp(join(d, 'p-'), 'buffer', (err: unknown, v: unknown) => cb(err, Buffer.isBuffer(v)))],
    ['without a callback', (fs, d) => fs.mkdtemp(join(d, 'p-'))],
    ['with options and no callback', (fs, d) => fs.mkdtemp(join(d, 'p-'), {})],
    ['a bad prefix and no callback (the callback is checked first)', (fs) => fs.mkdtemp(42)],
    ['a bad encoding and a callback', (fs, d, cb) => fs.mkdtemp(join(d, 'p-'), 'nope', cb)],
  ];
  for (const [name, fn] of forms) {
    it(name, async () => {
      await expectSame(sb, { setup, snapshot: false, run: async (impl, dir) => sixNamed({ outcome: await callCallback((cb) => fn(impl.fs, dir, cb)), after: snapshot(dir, join(dir, 'p-')) }, join(dir, 'p-')) as Outcome });
    });
  }
});

describe('mkdtemp on the ring', () => {
  it('is one mkdirat per directory made, in each flavour', async () => {
    const ring = defaultRing();
    const dir = sb.fresh();
    const before = ring.stats().submitted;
    await new Promise<void>((resolve, reject) => uringFs.mkdtemp(join(dir, 'a-'), (err) => (err ? reject(err) : resolve())));
    await uringFs.promises.mkdtemp(join(dir, 'b-'));
    expect(ring.stats().submitted - before).toBe(2);
    expect(nodeFs.readdirSync(dir).sort().map((n) => n.replace(SIX, '<six>'))).toEqual(['a-<six>', 'b-<six>']);
  });

  it('gives a new name each time: a thousand directories under one prefix', async () => {
    const dir = sb.fresh();
    const made = await Promise.all(Array.from({ length: 500 }, () => uringFs.promises.mkdtemp(join(dir, 'm-'))));
    for (let i = 0; i < 500; i++) made.push(uringFs.mkdtempSync(join(dir, 'm-')));
    expect(new Set(made).size).toBe(1000);
    expect(nodeFs.readdirSync(dir)).toHaveLength(1000);
  });

  it("warns once, as node:fs does, for a template that ends with 'X'", async () => {
    const { runNode, fixture } = await import('./fixtures/helpers.js');
    const r = await runNode([fixture('mkdtemp-warning.mjs'), sb.fresh()], 20_000);
    expect(r.code, r.stderr).toBe(0);
    const { node, uringfs } = JSON.parse(r.stdout);
    expect(node).toHaveLength(1);
    expect(uringfs).toEqual(node);
  });
});
