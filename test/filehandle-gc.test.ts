// A FileHandle collected while open: uringfs closes its fd and warns as node:fs/promises does
// (a warning per fd, DEP0137 once), on the running Node; one closed first is left alone.
import { describe, expect, it } from 'vitest';
import { fixture, runNode } from './fixtures/helpers.js';

describe('FileHandle collected while open', () => {
  it('has its fd closed, with node:fs\'s warnings', async () => {
    const outcome = async (which: string): Promise<unknown> => {
      const r = await runNode(['--expose-gc', fixture('filehandle-gc.mjs'), which, fixture('filehandle-gc.mjs')], 30_000);
      expect(r.code, r.stderr).toBe(0);
      return JSON.parse(r.stdout);
    };
    const node = await outcome('node');
    expect(node).toMatchObject({ openAfter: 0 });
    expect(await outcome('uringfs')).toEqual(node);
  }, 60_000);
});
