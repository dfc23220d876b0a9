// The statistics behind the benchmark's ratios, on synthetic samples whose
// answers are known: exact cases worked out by hand, and seeded simulations
// that check the 95% intervals cover the true ratio about 95% of the time,
// also when the processes a run's rounds come from differ from each other.
import { describe, expect, it } from 'vitest';
// @ts-expect-error -- plain JS module of the bench harness
import { pairedRatio, welchRatio, verdict, halfWidth, stars, geoMean, groupedMean, ratioDifference } from '../bench/lib/stats.js';
// @ts-expect-error -- plain JS module of the bench harness
import { compareDocs } from '../bench/lib/compare.js';
// @ts-expect-error -- plain JS module of the bench harness
import { summarize } from '../bench/lib/summary.js';
// @ts-expect-error -- plain JS module of the bench harness
import { generator as rng } from '../bench/lib/scenarios.js';

type R = {
  ratio: number; lo: number | null; hi: number | null; p: number | null; n: number; df: number | null; halfWidth: number | null; verdict: string;
  method: string; processes: number; varianceFrom: string | null;
};

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

  // --- Rounds from several processes -------------------------------------------------------------

  it('one process: the same numbers as the plain paired t and Welch t, to the last bit', () => {
    const b = [100, 200, 300];
    const a = b.map((x, i) => x * Math.exp([0.1, 0.2, 0.3][i]));
    const plain = pairedRatio(a, b) as R;
    const one = pairedRatio(a, b, 0.95, new Map([[0, 7], [1, 7], [2, 7]])) as R;
    expect(one).toEqual(plain);
    expect(one.method).toBe('paired t on log ratios');
    expect(one.processes).toBe(1);
    const u = rng(3);
    const xa = Array.from({ length: 9 }, () => Math.exp(normal(u)));
    const xb = Array.from({ length: 6 }, () => Math.exp(normal(u)));
    expect(welchRatio(xa, xb, 0.95, xa.map(() => 0), xb.map(() => 1))).toEqual(welchRatio(xa, xb));
    expect(geoMean(xa, 0.95, xa.map(() => 2))).toEqual(geoMean(xa));
  });

  it('processes that differ: the spread of the process means sets the interval (exact answer by hand)', () => {
    // Process 0: log ratios 0.1, 0.2, 0.3 (mean 0.2); process 1: 0.5, 0.6, 0.7 (mean 0.6).
    const logs = [0.1, 0.2, 0.3, 0.5, 0.6, 0.7];
    const g = groupedMean(logs, [0, 0, 0, 1, 1, 1]);
    // From the processes: var(0.2, 0.6) = 0.08, ÷ 2 = 0.04, 1 degree of freedom.
    // From the rounds: (0.02 + 0.02) / 4 = 0.01, × mean(1/3, 1/3) ÷ 2 = 0.001667: smaller.
    expect(g.mean).toBeCloseTo(0.4, 12);
    expect(g.v).toBeCloseTo(0.04, 12);
    expect(g.df).toBe(1);
    expect(g.varianceFrom).toBe('processes');
    const b = [1, 1, 1, 1, 1, 1];
    const r = pairedRatio(logs.map(Math.exp), b, 0.95, [0, 0, 0, 1, 1, 1]) as R;
    const half = 12.706204736174705 * 0.2; // t(0.975, 1) × √0.04
    expect(r.ratio).toBeCloseTo(Math.exp(0.4), 12);
    expect(r.lo).toBeCloseTo(Math.exp(0.4 - half), 9);
    expect(r.hi).toBeCloseTo(Math.exp(0.4 + half), 9);
    expect(r.processes).toBe(2);
    expect(r.method).toBe('paired t on log ratios, processes as random effects');
    // Ignoring the processes, the same six rounds give an interval about 13 times narrower, far from 1.
    const flat = pairedRatio(logs.map(Math.exp), b) as R;
    expect(flat.verdict).toBe('faster');
    expect(r.verdict).toBe('no clear difference');
  });

  it('processes that do not differ: the rounds\' own spread sets the interval (exact answer by hand)', () => {
    // Both process means are 0.3; the rounds spread around them.
    const logs = [0.1, 0.5, 0.3, 0.2, 0.4, 0.3];
    const g = groupedMean(logs, [0, 0, 0, 1, 1, 1]);
    // From the rounds: (0.08 + 0.02) / (6 − 2) = 0.025, × 1/3 ÷ 2 = 0.0041667, 4 degrees of freedom.
    expect(g.mean).toBeCloseTo(0.3, 12);
    expect(g.v).toBeCloseTo(0.025 / 6, 12);
    expect(g.df).toBe(4);
    expect(g.varianceFrom).toBe('rounds');
    const r = pairedRatio(logs.map(Math.exp), logs.map(() => 1), 0.95, [0, 0, 0, 1, 1, 1]) as R;
    const half = 2.7764451051977934 * Math.sqrt(0.025 / 6); // t(0.975, 4)
    expect(r.lo).toBeCloseTo(Math.exp(0.3 - half), 9);
    expect(r.hi).toBeCloseTo(Math.exp(0.3 + half), 9);
    // A process with one round only: still a mean (each process counts once), rounds give 3 − 2 = 1 df.
    const odd = groupedMean([0.1, 0.3, 0.9], [0, 0, 1]);
    expect(odd.mean).toBeCloseTo((0.2 + 0.9) / 2, 12);
    // Every process one round: nothing within a process to go by, the process means only.
    const ones = groupedMean([0.1, 0.3, 0.2], [0, 1, 2]);
    expect(ones.varianceFrom).toBe('processes');
    expect(ones.df).toBe(2);
    expect(ones.v).toBeCloseTo(0.01 / 3, 12);
  });

  it('systematic process offsets (4 + 3 + 3 rounds): the interval covers the ratio at the mean offset, and is wider than one from the rounds alone', () => {
    const u = rng(2024);
    const truth = 1.3;
    // Offsets averaging 0: the ratio at the mean offset is the truth.
    const offsets = [0.2, -0.1, -0.1];
    const sizes = [4, 3, 3];
    const a = new Map<number, number>();
    const b = new Map<number, number>();
    const processOf = new Map<number, number>();
    let round = 0;
    sizes.forEach((n, k) => {
      for (let j = 0; j < n; j++, round++) {
        const drift = Math.exp(0.3 * normal(u)); // the machine's load, shared by the round's two runs
        b.set(round, 1000 * drift * Math.exp(0.01 * normal(u)));
        a.set(round, 1000 * truth * Math.exp(offsets[k]) * drift * Math.exp(0.01 * normal(u)));
        processOf.set(round, k);
      }
    });
    const r = pairedRatio(a, b, 0.95, processOf) as R;
    const flat = pairedRatio(a, b) as R;
    expect(r.varianceFrom).toBe('processes');
    expect(r.df).toBe(2);
    expect(r.lo!).toBeLessThanOrEqual(truth);
    expect(r.hi!).toBeGreaterThanOrEqual(truth);
    // Ten rounds taken as ten independent samples understate how little three processes tell.
    expect(Math.log(r.hi! / r.lo!)).toBeGreaterThan(2 * Math.log(flat.hi! / flat.lo!));
    // Each process counts once: the first one's extra round does not pull the ratio towards its offset.
    const logs = [...a.keys()].map((k) => Math.log(a.get(k)! / b.get(k)!));
    const perProcess = [0, 1, 2].map((k) => {
      const mine = logs.filter((_, i) => processOf.get(i) === k);
      return mine.reduce((x, y) => x + y, 0) / mine.length;
    });
    expect(Math.log(r.ratio)).toBeCloseTo((perProcess[0] + perProcess[1] + perProcess[2]) / 3, 12);
  });

  it('95% intervals with processes cover the true ratio 93–99% of the time, whether processes differ or not (seeded simulation)', () => {
    const u = rng(4242);
    const sizes = [4, 3, 3];
    const truth = 1.3;
    const trials = 1500;
    // How much processes differ, as a multiple of a round's own noise (0.05 on the log scale).
    for (const between of [0, 0.5, 1, 3]) {
      let hits = 0;
      let flatHits = 0;
      for (let t = 0; t < trials; t++) {
        const a: number[] = [];
        const b: number[] = [];
        const processOf: number[] = [];
        sizes.forEach((n, k) => {
          const offset = between * 0.05 * normal(u);
          for (let j = 0; j < n; j++) {
            const drift = Math.exp(0.3 * normal(u));
            b.push(1000 * drift * Math.exp((0.05 / Math.SQRT2) * normal(u)));
            a.push(1000 * truth * Math.exp(offset) * drift * Math.exp((0.05 / Math.SQRT2) * normal(u)));
            processOf.push(k);
          }
        });
        const r = pairedRatio(a, b, 0.95, processOf) as R;
        if (r.lo! <= truth && truth <= r.hi!) hits++;
        const f = pairedRatio(a, b) as R;
        if (f.lo! <= truth && truth <= f.hi!) flatHits++;
      }
      expect(hits / trials, `processes differ by ${between}× the rounds' noise`).toBeGreaterThan(0.93);
      expect(hits / trials, `processes differ by ${between}× the rounds' noise`).toBeLessThan(0.99);
      // Ignoring the processes is fine only while they do not differ.
      if (between === 0) expect(flatHits / trials).toBeGreaterThan(0.93);
      if (between >= 1) expect(flatHits / trials).toBeLessThan(0.85);
    }
  });

  it('between two runs of 3 processes each, Welch over the process means covers the true ratio; over the rounds it does not', () => {
    const u = rng(77);
    const truth = 0.8;
    const trials = 1500;
    let hits = 0;
    let flatHits = 0;
    const run = (scale: number) => {
      const xs: number[] = [];
      const gs: number[] = [];
      [4, 3, 3].forEach((n, k) => {
        const offset = 0.1 * normal(u);
        for (let j = 0; j < n; j++) {
          xs.push(scale * Math.exp(offset + 0.05 * normal(u)));
          gs.push(k);
        }
      });
      return [xs, gs] as const;
    };
    for (let t = 0; t < trials; t++) {
      const [xa, ga] = run(1000);
      const [xb, gb] = run(1000 * truth);
      const r = welchRatio(xb, xa, 0.95, gb, ga) as R;
      if (r.lo! <= truth && truth <= r.hi!) hits++;
      const f = welchRatio(xb, xa) as R;
      if (f.lo! <= truth && truth <= f.hi!) flatHits++;
    }
    expect(hits / trials).toBeGreaterThan(0.93);
    expect(flatHits / trials).toBeLessThan(0.85);
    const [xa, ga] = run(1000);
    expect((welchRatio(xa, xa, 0.95, ga, ga) as R).method).toBe('Welch t on log rates, processes as random effects');
  });
});

describe('ratioDifference: two runs\' values of one ratio', () => {
  // Intervals made by hand: log ratio ± t(0.975, df) · se.
  const t10 = 2.2281388519649385;
  const made = (logRatio: number, se: number, df: number) => ({ ratio: Math.exp(logRatio), lo: Math.exp(logRatio - t10 * se), hi: Math.exp(logRatio + t10 * se), df });

  it('recovers each run\'s standard error from its interval and tests the difference of the logs (Welch)', () => {
    const d = ratioDifference(made(0, 0.1, 10), made(0.3, 0.2, 10))!;
    expect(d.ratio).toBeCloseTo(Math.exp(0.3), 12);
    // se = √(0.1² + 0.2²); df = (0.01 + 0.04)² / (0.01²/10 + 0.04²/10) = 14.705…
    expect(d.df).toBeCloseTo(0.0025 / 0.00017, 9);
    expect(d.p).toBeGreaterThan(0.15);
    expect(d.p).toBeLessThan(0.25);
    expect(d.verdict).toBe('no clear difference');
  });

  it('finds a difference the intervals cannot hold, and none between a ratio and itself', () => {
    const far = ratioDifference(made(0, 0.05, 10), made(0.5, 0.05, 10))!;
    expect(far.p).toBeLessThan(0.001);
    expect(far.verdict).toBe('faster');
    const same = ratioDifference(made(0.2, 0.1, 10), made(0.2, 0.1, 10))!;
    expect(same.ratio).toBeCloseTo(1, 12);
    expect(same.p).toBeCloseTo(1, 9);
  });

  it('is null when a run has no interval', () => {
    expect(ratioDifference({ ratio: 2, lo: null, hi: null, df: null }, made(0, 0.1, 10))).toBeNull();
  });
});

describe('comparing two runs', () => {
  // One scenario, a baseline and two candidates, 6 rounds in one process; rates in ops/s.
  function run(rates: Record<string, number[]>) {
    const scenario = { key: 's', id: 'random-read', label: 'S', opsPerPass: 1 };
    const rec = (method: string, backend: string, isBaseline: boolean) => ({
      scenario: 's', scenarioLabel: 'S', method, backend, depth: isBaseline ? 1 : 4, depthLabel: isBaseline ? '1' : '4',
      family: isBaseline ? 'node' : 'uringfs', isBaseline, status: 'ok', rounds: [0, 1, 2, 3, 4, 5],
      opsPerRunEach: [1, 1, 1, 1, 1, 1], samplesNs: rates[`${method}|${backend}`].map((r) => 1e9 / r),
      opsPerSec: { samples: rates[`${method}|${backend}`], mean: rates[`${method}|${backend}`][0] },
    });
    const doc = {
      tool: 'uringfs-bench', config: { concurrency: 1, processes: 1 }, scenarios: [scenario],
      results: [rec('fs.readSync', 'node', true), rec('uringfs.batchSync', 'io_uring', false), rec('uringfs.batchSync', 'threads', false)],
    };
    return { ...doc, summary: summarize(doc) };
  }
  const base = [100, 101, 99, 100, 102, 98];
  const a = run({ 'fs.readSync|node': base, 'uringfs.batchSync|io_uring': base.map((x) => x * 2), 'uringfs.batchSync|threads': base.map((x) => x * 1.5) });
  const b = run({ 'fs.readSync|node': base, 'uringfs.batchSync|io_uring': base.map((x) => x * 1.4), 'uringfs.batchSync|threads': base.map((x) => x * 1.6) });

  it('sets A\'s best case beside the same case in B, also when B\'s best is another', () => {
    expect(a.summary[0].comparisons[0].subject.backend).toBe('io_uring');
    expect(b.summary[0].comparisons[0].subject.backend).toBe('threads');
    const { summary } = compareDocs(a, b);
    expect(summary).toHaveLength(1);
    expect(summary[0].subject.backend).toBe('io_uring');
    expect(summary[0].a.ratio).toBeCloseTo(2, 9);
    expect(summary[0].b.ratio).toBeCloseTo(1.4, 9);
    expect(summary[0].difference.ratio).toBeCloseTo(0.7, 9);
  });
});
