import { readFileSync as nodeReadFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readFileSync, defaultRing } from '../lib/index.js';
import { readFile } from '../lib/promises.js';

describe('smoke', () => {
  it('reads a file in each flavour like node:fs', async () => {
    const expected = nodeReadFileSync('/etc/hostname');
    expect(readFileSync('/etc/hostname')).toEqual(expected);
    expect(await readFile('/etc/hostname')).toEqual(expected);
    expect(defaultRing().stats().completed).toBeGreaterThan(0);
  });
});
