// CRC32C against published check values (RFC 3720 B.4, the "123456789" check) and against a
// bit-at-a-time reference, so the table-driven version cannot drift from the polynomial.
import { describe, expect, it } from 'vitest';
import { crc32c } from '../lib/log/crc32c.js';
import { Prng } from './fixtures/helpers.js';

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
});
