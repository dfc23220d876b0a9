// CRC32C against published check values (RFC 3720 B.4, the "123456789" check) and against a
// bit-at-a-time reference, so neither the JS table, the addon's crc32 instruction nor the
// addon's own table (taken where the CPU lacks the instruction) can drift from the polynomial.
import { describe, expect, it } from 'vitest';
import { binding } from '../lib/binding.js';
import { crc32c, crc32cTable } from '../lib/log/crc32c.js';
import { Prng, runNode } from './fixtures/helpers.js';

function bitwise(bytes: Uint8Array): number {
  let c = ~0;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
  }
  return ~c >>> 0;
}

describe('crc32c', () => {
  it('matches the published vectors', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
    expect(crc32c(Buffer.alloc(32))).toBe(0x8a9136aa);
    expect(crc32c(Buffer.alloc(32, 0xff))).toBe(0x62a8ab43);
    expect(crc32c(Buffer.from(Array.from({ length: 32 }, (_, i) => i)))).toBe(0x46dd794e);
    expect(crc32c(Buffer.from(Array.from({ length: 32 }, (_, i) => 31 - i)))).toBe(0x113fdb5c);
    expect(crc32c(new Uint8Array(0))).toBe(0);
  });

  it('agrees with a bit-at-a-time reference at every length and offset, and continues across pieces', () => {
    const prng = new Prng(7);
    for (let len = 0; len < 200; len++) {
      const bytes = prng.bytes(len + 3).subarray(3);
      expect(crc32c(bytes)).toBe(bitwise(bytes));
      const cut = prng.int(0, len);
      expect(crc32c(bytes, crc32c(bytes, 0, 0, cut), cut)).toBe(bitwise(bytes));
    }
  });

  it('the JS table, the addon and the addon\'s table path agree with the reference across lengths, offsets and pieces', async () => {
    const prng = new Prng(11);
    const big = prng.bytes(70_000);
    const lengths = [255, 256, 257, 511, 4095, 4096, 4097, 65_536];
    for (const len of lengths) {
      for (const start of [0, 1, 3, 7]) {
        const view = big.subarray(start, start + len);
        const want = bitwise(view);
        expect(crc32c(view), `${len}@${start}`).toBe(want);
        expect(crc32cTable(view, 0, 0, view.length)).toBe(want);
        expect(binding.crc32c(big, 0, start, start + len)).toBe(want);
        const cut = prng.int(0, len);
        expect(binding.crc32c(big, binding.crc32c(big, 0, start, start + cut), start + cut, start + len)).toBe(want);
      }
    }
    // A range outside the view is refused, never read.
    expect(binding.crc32c(big.subarray(0, 10), 0, 0, 11)).toBe(-1);
    expect(binding.crc32c(big, 0, 5, 4)).toBe(-1);
    expect(binding.crc32c(big, 0, -1, 4)).toBe(-1);
    // The addon's table path, in a child that asks for it.
    const r = await runNode(['--input-type=module', '-e', `
      const { binding } = await import(${JSON.stringify(new URL('../dist/binding.js', import.meta.url).href)});
      const b = Buffer.alloc(4099); for (let i = 0; i < b.length; i++) b[i] = (i * 31 + 7) & 255;
      console.log(JSON.stringify([binding.crc32cHardware, binding.crc32c(Buffer.from('123456789'), 0, 0, 9), binding.crc32c(b, 0, 3, 4099)]));
    `], 10_000, { ...process.env, URINGFS_TEST_CRC32C_TABLE: '1' });
    const b = Buffer.alloc(4099);
    for (let i = 0; i < b.length; i++) b[i] = (i * 31 + 7) & 255;
    expect(JSON.parse(r.stdout)).toStrictEqual([false, 0xe3069283, bitwise(b.subarray(3))]);
  });
});
