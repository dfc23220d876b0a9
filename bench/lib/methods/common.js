// Shared by the method modules: keeping N ops in flight with callbacks or
// promises, and reading batch outcomes.
import fs from 'node:fs';

/**
 * Per-op latency, kept off the hot path: a completion writes one double and one
 * count into typed arrays, and the child turns them into a histogram between
 * runs (outside the timed region). Callback and promise methods time one op
 * in SAMPLE per lane, from its issue to its completion (two performance.now()
 * calls per SAMPLE ops, about 60 ns each here); batches are timed per batch
 * (or per group of batches for whole files: open, read, close), and every op
 * of it gets that time. Times are in ms (performance.now()).
 */
export const SAMPLE = 8;
export const latency = {
  n: 0,
  ms: new Float64Array(1 << 14),
  weight: new Uint32Array(1 << 14),
  record(ms, weight = 1) {
    if (this.n === this.ms.length) {
      const ms = new Float64Array(this.n * 2);
      const w = new Uint32Array(this.n * 2);
      ms.set(this.ms);
      w.set(this.weight);
      this.ms = ms;
      this.weight = w;
    }
    this.ms[this.n] = ms;
    this.weight[this.n++] = weight;
  },
  /** Move what was recorded into an HdrHistogram (ns), or drop it (hist null). */
  drain(hist) {
    if (hist) for (let i = 0; i < this.n; i++) hist.recordValueWithCount(Math.max(1, Math.round(this.ms[i] * 1e6)), this.weight[i]);
    this.n = 0;
  },
};

/** Time a promise (sampled callers only): records issue → settle. */
export function timed(promise) {
  const t0 = performance.now();
  return promise.then((v) => {
    latency.record(performance.now() - t0);
    return v;
  });
}

/**
 * Run ops 0..total-1 with at most `depth` in flight, callback style:
 * `issue(i, lane, done)` starts op i; `done(err)` reports it. A lane is a
 * slot (0..depth-1) whose buffer the op may use until it calls done.
 */
export function lanesCallback(total, depth, issue) {
  return new Promise((resolve, reject) => {
    let next = 0;
    let finished = 0;
    let failed = false;
    const width = Math.min(depth, total);
    if (width === 0) return resolve();
    const t = new Float64Array(width);
    const start = (lane) => {
      const i = next++;
      t[lane] = i % SAMPLE === 0 ? performance.now() : -1;
      issue(i, lane, (err) => {
        if (t[lane] >= 0) latency.record(performance.now() - t[lane]);
        if (failed) return;
        if (err) {
          failed = true;
          return reject(err);
        }
        finished++;
        if (next < total) start(lane);
        else if (finished === total) resolve();
      });
    };
    for (let lane = 0; lane < width; lane++) start(lane);
  });
}

/** Like lanesCallback, with `op(i, lane)` returning a promise. */
export async function lanesPromise(total, depth, op) {
  let next = 0;
  const worker = async (lane) => {
    while (next < total) {
      const i = next++;
      if (i % SAMPLE === 0) {
        const t0 = performance.now();
        await op(i, lane);
        latency.record(performance.now() - t0);
      } else {
        await op(i, lane);
      }
    }
  };
  const width = Math.min(depth, total);
  const workers = new Array(width);
  for (let lane = 0; lane < width; lane++) workers[lane] = worker(lane);
  await Promise.all(workers);
}

/** The value of a batch outcome, or throw its error (with what it was for). */
export function unwrap(outcome, what) {
  if (outcome.ok) return outcome.value;
  const e = outcome.error;
  e.message = `${what}: ${e.message}`;
  throw e;
}

/**
 * One slab holding `count` buffers of `size` bytes, each aligned for
 * O_DIRECT on `fd`. JS cannot see addresses, so the slab's start is found by
 * trying O_DIRECT reads at 8-byte steps: the kernel says EINVAL until the
 * memory is aligned. `size` is a multiple of the alignment, so every buffer
 * after the first is aligned too.
 */
export function directBuffers(fd, count, size) {
  const slab = Buffer.allocUnsafeSlow(count * size + 4096);
  for (let shift = 0; shift < 4096; shift += 8) {
    try {
      fs.readSync(fd, slab, shift, size, 0);
    } catch (e) {
      if (e.code === 'EINVAL') continue;
      throw e;
    }
    const bufs = new Array(count);
    for (let k = 0; k < count; k++) bufs[k] = slab.subarray(shift + k * size, shift + (k + 1) * size);
    return bufs;
  }
  throw new Error('no O_DIRECT-aligned position found in a 4 KiB window');
}

export function buffers(count, size) {
  return Array.from({ length: count }, () => Buffer.allocUnsafe(size));
}

/** Drive a generator of batches with submitSync(). */
export function driveSync(gen) {
  let r = gen.next();
  while (!r.done) r = gen.next(r.value.submitSync());
  return r.value;
}

/** Drive a generator of batches with await submit(). */
export async function driveAsync(gen) {
  let r = gen.next();
  while (!r.done) r = gen.next(await r.value.submit());
  return r.value;
}

/** Thrown by a method's setup when it cannot run here; reported as skipped with the message. */
export class Skip extends Error {}
