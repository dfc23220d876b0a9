// The few file operations the log needs besides its hot path, as promises over batches of
// the log's own ring (so its counters count every op the log issues).
import { constants } from 'node:fs';
import type { Batch } from '../batch.js';
import type { Ring } from '../ring.js';

/** Submit a batch built by `build`; resolve with the values, or reject with the first error. */
export async function runOps(ring: Ring, build: (batch: Batch) => void): Promise<unknown[]> {
  const batch = ring.batch();
  build(batch);
  const out = await batch.submit();
  for (const o of out) if (!o.ok) throw o.error;
  return out.map((o) => (o as { value: unknown }).value);
}

/** fsync a directory, so that files created, renamed or removed in it stay so after a crash. */
export async function syncDirectory(ring: Ring, dir: string): Promise<void> {
  const [fd] = (await runOps(ring, (b) => b.open(dir, constants.O_RDONLY | constants.O_DIRECTORY))) as number[];
  try {
    await runOps(ring, (b) => b.fsync(fd));
  } finally {
    await runOps(ring, (b) => b.close(fd));
  }
}

const ZEROS = Buffer.alloc(1 << 20);

/** Write zeros over `[from, to)` of `fd` (no sync). */
export async function writeZeros(ring: Ring, fd: number, from: number, to: number): Promise<void> {
  const batch = ring.batch();
  for (let at = from; at < to; at += ZEROS.length) batch.write(fd, ZEROS, 0, Math.min(ZEROS.length, to - at), at);
  const out = await batch.submit();
  for (const o of out) if (!o.ok) throw o.error;
}
