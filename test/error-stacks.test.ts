// The stacks of system errors have node:fs's shape in each flavour: a callback's error has no
// frames (it is made in the drain, as node:fs's is made in its completion); a promise's has the
// async functions that awaited it, the caller's among them; a *Sync function's starts at that
// function, then its caller. Runs on both backends.
import { spawnSync } from 'node:child_process';
import * as nodeFs from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as uringfs from '../lib/index.js';
import * as uringfsp from '../lib/promises.js';
import { tempDir } from './fixtures/helpers.js';

const { dir } = tempDir('stacks');
const missing = join(dir, 'missing');

/** The lines of a stack after its first (the message). */
function frames(err: unknown): string[] {
  return String((err as Error).stack).split('\n').slice(1).map((l) => l.trim());
}

function callbackError(stat: (p: string, cb: (err: unknown) => void) => void): Promise<unknown> {
  return new Promise((resolve) => stat(missing, (err) => resolve(err)));
}

async function awaitingCaller(stat: (p: string) => Promise<unknown>): Promise<unknown> {
  try {
    await stat(missing);
  } catch (err) {
    return err;
  }
  throw new Error('no error');
}

function syncCaller(statSync: (p: string) => unknown): unknown {
  try {
    statSync(missing);
  } catch (err) {
    return err;
  }
  throw new Error('no error');
}

describe('system error stacks, as node:fs has them', () => {
  it('callback: the message and no frames', async () => {
    const [theirs, ours] = [await callbackError(nodeFs.stat), await callbackError(uringfs.stat)];
    expect(frames(theirs)).toEqual([]);
    expect(frames(ours)).toEqual([]);
    expect((ours as Error).stack).toBe((theirs as Error).stack);
  });

  it("promise: the awaiting async functions, the caller's among them", async () => {
    for (const stat of [nodeFs.promises.stat, uringfsp.stat, uringfsp.access]) {
      const f = frames(await awaitingCaller(stat as (p: string) => Promise<unknown>));
      expect(f.some((l) => /^at (async )?awaitingCaller /.test(l)), f.join('\n')).toBe(true);
      // Not the drain's frames, where the error was made.
      expect(f.some((l) => /lib\/(ring|run|operations|errors)\.ts/.test(l)), f.join('\n')).toBe(false);
    }
  });

  it('leaves Error.stackTraceLimit as the program set it, also where it was removed', async () => {
    const saved = Object.getOwnPropertyDescriptor(Error, 'stackTraceLimit')!;
    try {
      Error.stackTraceLimit = 3;
      expect(() => uringfs.statSync(missing)).toThrow(expect.objectContaining({ code: 'ENOENT' }));
      expect(uringfs.statSync(missing, { throwIfNoEntry: false })).toBeUndefined();
      await expect(uringfsp.stat(missing)).rejects.toMatchObject({ code: 'ENOENT' });
      expect(Error.stackTraceLimit).toBe(3);
      delete (Error as { stackTraceLimit?: number }).stackTraceLimit;
      expect(() => uringfs.lstatSync(missing)).toThrow(expect.objectContaining({ code: 'ENOENT' }));
      expect(await callbackError(uringfs.stat)).toMatchObject({ code: 'ENOENT' });
      expect(Object.getOwnPropertyDescriptor(Error, 'stackTraceLimit')).toBeUndefined();
    } finally {
      Object.defineProperty(Error, 'stackTraceLimit', saved);
    }
  });

  it('errors still come, with their stacks, where Error is frozen', () => {
    const program = `
      Object.freeze(Error);
      const fs = await import('uringfs');
      const check = (err) => { if (err?.code !== 'ENOENT' || !err.stack.includes('    at ')) throw new Error('not ENOENT with a stack: ' + err?.stack); };
      try { fs.statSync(${JSON.stringify(missing)}); throw new Error('no error'); } catch (err) { check(err); }
      try { fs.readFileSync(${JSON.stringify(missing)}); throw new Error('no error'); } catch (err) { check(err); }
      await new Promise((resolve) => fs.stat(${JSON.stringify(missing)}, (err) => { if (err?.code !== 'ENOENT') throw new Error('callback'); resolve(); }));
      console.log('ok');
    `;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', program], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('ok');
  });

  it('sync: the *Sync function first, then its caller', () => {
    for (const statSync of [nodeFs.statSync, uringfs.statSync, uringfs.readFileSync, uringfs.openSync]) {
      const f = frames(syncCaller(statSync as (p: string) => unknown));
      expect(f[0], f.join('\n')).toMatch(new RegExp(`^at (Object\\.)?${statSync.name} `));
      expect(f[1], f.join('\n')).toMatch(/^at syncCaller /);
    }
  });
});
