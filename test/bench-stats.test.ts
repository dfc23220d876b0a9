// The statistics behind the benchmark's ratios, on synthetic samples whose
// answers are known: exact cases worked out by hand, and a seeded simulation
// that checks the 95% intervals cover the true ratio about 95% of the time.
import { describe, expect, it } from 'vitest';
// @ts-expect-error -- plain JS module of the bench harness
import { pairedRatio, welchRatio, verdict, halfWidth, stars, geoMean } from '../bench/lib/stats.js';
// @ts-expect-error -- plain JS module of the bench harness
import { generator as rng } from '../bench/lib/scenarios.js';

type R = { ratio: number; lo: number | null; hi: number | null; p: number | null; n: number; df: number | null; halfWidth: number | null; verdict: string };

// Box–Muller normals from the bench's own seeded generator (mulberry32).
function normal(u: () => number) {
  return Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
}

describe('bench statistics', () => {
  it('paired ratio: exact answer by hand (log ratios 0.1, 0.2, 0.3)', () => {
    const b = [100, 200, 300];
    const a = b.map((x, i) => x * Math.exp([0.1, 0.2, 0.3][i]));
    const r = pairedRatio(a, b) as R;
    // mean 0.2, sd 0.1, se 0.1/√3, t(0.975, 2) = 4.302653
    const half = (4.302652729911275 * 0.1) / Math.sqrt(3);
    expect(r.n).toBe(3);
    expect(r.df).toBe(2);
    expect(r.ratio).toBeCloseTo(Math.exp(0.2), 12);
    expect(r.lo).toBeCloseTo(Math.exp(0.2 - half), 9);
    expect(r.hi).toBeCloseTo(Math.exp(0.2 + half), 9);
    expect(r.verdict).toBe('no clear difference'); // lo = exp(-0.048) < 1
  });

  it('paired ratio pairs by round, and ignores rounds only one side ran', () => {
    const a = new Map([[0, 20], [1, 22], [2, 18], [5, 999]]);
    const b = new Map([[0, 10], [1, 11], [2, 9], [7, 1]]);
    const r = pairedRatio(a, b) as R;
    expect(r.n).toBe(3);
    expect(r.ratio).toBeCloseTo(2, 12);
    expect(r.lo).toBeCloseTo(2, 12);
    expect(r.hi).toBeCloseTo(2, 12);
    expect(r.verdict).toBe('faster');
    expect((pairedRatio([1, 1], [2, 2]) as R).verdict).toBe('slower');
    expect(pairedRatio([1], [])).toBeNull();
    // One round: a ratio but no interval.
    const one = pairedRatio([3], [1]) as R;
    expect(one.ratio).toBeCloseTo(3, 12);
    expect(one.lo).toBeNull();
    expect(one.verdict).toBe('no clear difference');
  });

  it("Welch ratio: exact answer by hand, with Welch–Satterthwaite degrees of freedom", () => {
    const la = [0, 0.2, 0.4, 0.6]; // mean 0.3, var 0.0666…
    const lb = [0.1, 0.2];          // mean 0.15, var 0.005
    const r = welchRatio(la.map(Math.exp), lb.map(Math.exp)) as R;
    const va = 0.2 / 3 / 4;
    const vb = 0.005 / 2;
    const df = (va + vb) ** 2 / (va ** 2 / 3 + vb ** 2 / 1);
    expect(r.df).toBeCloseTo(df, 9);
    expect(r.ratio).toBeCloseTo(Math.exp(0.15), 12);
    // t(0.975, df) for this df (≈ 3.51), from the same distribution: check the
    // interval is symmetric on the log scale around the estimate and wider than ±2 se.
    const se = Math.sqrt(va + vb);
    const tLo = (0.15 - Math.log(r.lo!)) / se;
    const tHi = (Math.log(r.hi!) - 0.15) / se;
    expect(tLo).toBeCloseTo(tHi, 9);
    expect(tLo).toBeGreaterThan(2.5);
    expect(tLo).toBeLessThan(3.5);
    expect(r.p).toBeGreaterThan(0.05);
  });

  it('verdicts, half-widths and stars', () => {
    expect(verdict(1.01, 1.2)).toBe('faster');
    expect(verdict(0.8, 0.99)).toBe('slower');
    expect(verdict(0.9, 1.1)).toBe('no clear difference');
    expect(halfWidth(1, 0.9, 1.2)).toBeCloseTo(0.2, 12);
    expect(stars(0.0005)).toBe('***');
    expect(stars(0.005)).toBe('**');
    expect(stars(0.02)).toBe('*');
    expect(stars(0.2)).toBe('');
    const g = geoMean([1, 4]);
    expect(g.value).toBeCloseTo(2, 12);
  });

  it('95% intervals cover the true ratio about 95% of the time (seeded simulation, drift shared by both sides)', () => {
    const u = rng(12345);
    const truth = 1.3;
    const trials = 2000;
    let pairedHits = 0;
    let welchHits = 0;
    for (let k = 0; k < trials; k++) {
      const a: number[] = [];
      const b: number[] = [];
      for (let r = 0; r < 10; r++) {
        // The machine's load moves both variants of a round (±30%), plus each run's own noise.
        const drift = Math.exp(0.3 * normal(u));
        b.push(1000 * drift * Math.exp(0.05 * normal(u)));
        a.push(1000 * truth * drift * Math.exp(0.05 * normal(u)));
      }
      const p = pairedRatio(a, b) as R;
      if (p.lo! <= truth && truth <= p.hi!) pairedHits++;
      const w = welchRatio(a, b) as R;
      if (w.lo! <= truth && truth <= w.hi!) welchHits++;
    }
    expect(pairedHits / trials).toBeGreaterThan(0.93);
    expect(pairedHits / trials).toBeLessThan(0.97);
    // Welch ignores the pairing: still valid (conservative here, as the shared drift inflates both variances).
    expect(welchHits / trials).toBeGreaterThan(0.93);
  });

  it('pairing removes shared drift: the paired interval is far narrower than the unpaired one', () => {
    const u = rng(7);
    const a: number[] = [];
    const b: number[] = [];
    for (let r = 0; r < 10; r++) {
      const drift = Math.exp(0.3 * normal(u));
      b.push(1000 * drift * Math.exp(0.03 * normal(u)));
      a.push(1200 * drift * Math.exp(0.03 * normal(u)));
    }
    const p = pairedRatio(a, b) as R;
    const w = welchRatio(a, b) as R;
    expect(p.halfWidth!).toBeLessThan(0.1);
    expect(p.verdict).toBe('faster');
    expect(w.halfWidth!).toBeGreaterThan(2 * p.halfWidth!);
  });
});
