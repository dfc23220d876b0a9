// FileHandle.truncate, chmod, chown and utimes against node:fs/promises' FileHandle on the running
// Node: the effect on the file, argument errors, and a closed handle.
import * as nodeFs from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as uringFsp from '../lib/promises.js';
import { errorShape } from './helpers-differential.js';
import { tempDir } from './fixtures/helpers.js';

let tmp: { dir: string; remove: () => void };
beforeAll(() => { tmp = tempDir('fh-attrs'); });
afterAll(() => tmp.remove());

type Handle = nodeFs.promises.FileHandle;
const impls: [string, (path: string, flags: string) => Promise<Handle>][] = [
  ['node:fs', (path, flags) => nodeFs.promises.open(path, flags)],
  ['uringfs', (path, flags) => uringFsp.open(path, flags) as unknown as Promise<Handle>],
];

/** What the file looks like after the call, or the call's error. */
async function attempt(impl: string, open: (path: string, flags: string) => Promise<Handle>, call: (fh: Handle) => Promise<unknown>, closedFirst: boolean): Promise<unknown> {
  const path = join(tmp.dir, `${impl}-${Math.random().toString(36).slice(2)}`);
  nodeFs.writeFileSync(path, 'twelve bytes', { mode: 0o644 });
  const fh = await open(path, 'r+');
  if (closedFirst) await fh.close();
  let out: unknown;
  try {
    out = { ok: await call(fh) };
  } catch (err) {
    out = { error: errorShape(err) };
  } finally {
    if (!closedFirst) await fh.close();
  }
  const st = nodeFs.statSync(path);
  return { out, size: st.size, mode: (st.mode & 0o7777).toString(8), atimeMs: Math.round(st.atimeMs), mtimeMs: Math.round(st.mtimeMs), uid: st.uid, gid: st.gid };
}

const when = new Date('2001-02-03T04:05:06Z');
const cases: [string, (fh: Handle) => Promise<unknown>][] = [
  ['truncate()', (fh) => fh.truncate()],
  ['truncate(5)', (fh) => fh.truncate(5)],
  ['truncate(100)', (fh) => fh.truncate(100)],
  ['truncate(-3)', (fh) => fh.truncate(-3)],
  ['truncate(1.5)', (fh) => fh.truncate(1.5)],
  ['truncate("5")', (fh) => fh.truncate('5' as never)],
  ['chmod(0o600)', (fh) => fh.chmod(0o600)],
  ['chmod("755")', (fh) => fh.chmod('755')],
  ['chmod("rwx")', (fh) => fh.chmod('rwx')],
  ['chmod(-1)', (fh) => fh.chmod(-1)],
  ['chown(own uid, gid)', (fh) => fh.chown(process.getuid!(), process.getgid!())],
  ['chown(-1, -1)', (fh) => fh.chown(-1, -1)],
  ['chown("0", 0)', (fh) => fh.chown('0' as never, 0)],
  ['chown(-2, 0)', (fh) => fh.chown(-2, 0)],
  ['utimes(Date, Date)', (fh) => fh.utimes(when, when)],
  ['utimes(seconds, seconds)', (fh) => fh.utimes(981173106, 981173107.5)],
  ['utimes("981173106", NaN)', (fh) => fh.utimes('981173106', NaN)],
  ['utimes({}, 0)', (fh) => fh.utimes({} as never, 0)],
];

describe('FileHandle truncate / chmod / chown / utimes, as node:fs/promises', () => {
  for (const [name, call] of cases) {
    for (const closedFirst of [false, true]) {
      it(`${name}${closedFirst ? ' on a closed handle' : ''}`, async () => {
        const results: Record<string, unknown> = {};
        for (const [impl, open] of impls) results[impl] = await attempt(impl, open, call, closedFirst);
        // Times are compared only where utimes set them to a given value; elsewhere they are "now".
        if (closedFirst || !(name.startsWith('utimes(D') || name.startsWith('utimes(s'))) {
          for (const r of Object.values(results) as Record<string, unknown>[]) {
            delete r.atimeMs;
            delete r.mtimeMs;
          }
        }
        expect(results.uringfs).toEqual(results['node:fs']);
      });
    }
  }
});

// node:fs/promises' FileHandle methods check their `this` inside the promise (fsCall's assertion):
// called on another object, they reject, they do not throw.
describe.each(['appendFile', 'chmod', 'chown', 'datasync', 'read', 'readFile', 'readv', 'stat', 'sync', 'truncate', 'utimes', 'write', 'writeFile', 'writev'])('FileHandle.prototype.%s called on another object', (method) => {
  it.each([['{}', {}], ['undefined', undefined], ['null', null], ['a number', 5]])('%s: rejects as node:fs\'s does', async (_, other) => {
    const outcomes = [];
    for (const [, open] of impls) {
      const fh = await open(join(tmp.dir, 'this'), 'w+');
      try {
        const fn = (fh as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>)[method];
        let promise: Promise<unknown> | undefined;
        let thrown: unknown;
        try {
          promise = fn.call(other, Buffer.from('x'));
        } catch (err) {
          thrown = errorShape(err);
        }
        outcomes.push({ thrown, rejected: promise && await promise.then(() => 'resolved', (err: unknown) => errorShape(err)) });
      } finally {
        await fh.close();
      }
    }
    expect(outcomes[1]).toEqual(outcomes[0]);
    expect(outcomes[0]).toMatchObject({ thrown: undefined, rejected: { class: other == null ? 'TypeError' : 'Error' } });
  });
});
