// CRC32C (Castagnoli, reflected polynomial 0x82F63B78): the checksum of iSCSI, ext4 and most
// WALs. Ranges of NATIVE_FROM bytes or more go to the addon (the CPU's crc32 instruction: a 4 KiB
// record in ~0.5 µs where this table code takes ~4 µs); shorter ones stay here, where a call into
// the addon would cost more than the bytes (a frame's 8- and 4-byte header parts, small records).
import { binding } from '../binding.js';

const NATIVE_FROM = 256;
const POLY = 0x82f63b78;
const TABLES = new Int32Array(8 * 256);
for (let n = 0; n < 256; n++) {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1;
  TABLES[n] = c;
}
for (let n = 0; n < 256; n++) {
  let c = TABLES[n];
  for (let t = 1; t < 8; t++) {
    c = TABLES[c & 0xff] ^ (c >>> 8);
    TABLES[t * 256 + n] = c;
  }
}

/**
 * Continue a CRC32C over `bytes[start, end)`: pass the previous result as `crc` (0 to start).
 * @internal
 */
export function crc32c(bytes: Uint8Array, crc = 0, start = 0, end = bytes.length): number {
  if (end - start >= NATIVE_FROM) return binding.crc32c(bytes, crc, start, end);
  return crc32cTable(bytes, crc, start, end);
}

/**
 * The same, in JS with a table (slicing-by-8: eight bytes per step).
 * @internal
 */
export function crc32cTable(bytes: Uint8Array, crc: number, start: number, end: number): number {
  const t = TABLES;
  let c = ~crc;
  let i = start;
  for (; i + 8 <= end; i += 8) {
    const lo = c ^ (bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24));
    c = t[1792 + (lo & 0xff)] ^ t[1536 + ((lo >>> 8) & 0xff)] ^ t[1280 + ((lo >>> 16) & 0xff)] ^ t[1024 + (lo >>> 24)] ^
      t[768 + bytes[i + 4]] ^ t[512 + bytes[i + 5]] ^ t[256 + bytes[i + 6]] ^ t[bytes[i + 7]];
  }
  for (; i < end; i++) c = t[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}
