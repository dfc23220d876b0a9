// The statistics behind every ratio the harness prints. Throughput is
// compared on a log scale (ratios are symmetric there: 2× and 0.5× are the
// same distance from 1×), and every interval is a 95% Student-t interval:
//
// - within one run, two variants of a scenario ran in the same rounds,
//   interleaved, so each round gives one ratio (A's rate ÷ B's rate in that
//   round) and drift that hits the round hits both: a paired t interval on
//   the mean log ratio;
// - between two runs (--compare), the samples are independent: Welch's
//   t interval on the difference of mean log rates (as Node's
//   benchmark/compare.js does with its t-test).
//
// The rounds of a run come from several processes per case (--processes),
// one after another. One process's rounds share its memory layout, its JIT
// state and its cores, so they agree with each other more than with the
// rounds of another process: rounds are not independent samples, processes
// are. groupedMean() takes that into account (a random-effects view: each
// process is one draw of what differs between processes); with one process
// it is the plain mean and t interval of the rounds, as before.
//
// The t distribution comes from @stdlib; what is here is only the arithmetic.
import tQuantile from '@stdlib/stats-base-dists-t-quantile';
import tCdf from '@stdlib/stats-base-dists-t-cdf';

export const LEVEL = 0.95;

export function mean(xs) {
  let s = 0;
  for (const x of xs) s += x;
  return s / xs.length;
}

/** Sample variance (n − 1). */
export function variance(xs) {
  const m = mean(xs);
  let s = 0;
  for (const x of xs) s += (x - m) ** 2;
  return s / (xs.length - 1);
}

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * faster / slower / no clear difference: whether the interval lies wholly
 * above 1×, wholly below, or straddles it.
 */
export function verdict(lo, hi) {
  if (lo === null || hi === null) return 'no clear difference';
  if (lo > 1) return 'faster';
  if (hi < 1) return 'slower';
  return 'no clear difference';
}

/** Half-width of an interval around `ratio`, as a fraction (0.1 = ±10%): the larger side. */
export function halfWidth(ratio, lo, hi) {
  if (lo === null || hi === null) return null;
  return Math.max(hi / ratio - 1, 1 - lo / ratio);
}

function interval(d, se, df, level) {
  if (!(df > 0) || !Number.isFinite(se)) return { lo: null, hi: null, p: null };
  if (se === 0) return { lo: Math.exp(d), hi: Math.exp(d), p: d === 0 ? 1 : 0 };
  const t = tQuantile(1 - (1 - level) / 2, df);
  const p = 2 * (1 - tCdf(Math.abs(d) / se, df));
  return { lo: Math.exp(d - t * se), hi: Math.exp(d + t * se), p };
}

function result(d, se, df, n, method, level, extra) {
  const { lo, hi, p } = interval(d, se, df, level);
  const ratio = Math.exp(d);
  return { ratio, lo, hi, p, n, df: Number.isFinite(df) ? df : null, method, ...extra, halfWidth: halfWidth(ratio, lo, hi), verdict: verdict(lo, hi) };
}

/**
 * The mean of samples `xs` taken in processes (`groups[i]`: the process of
 * xs[i]; null: all from one process), with the variance of that mean and its
 * degrees of freedom.
 *
 * Each process counts once: the mean is the mean of the process means. Its
 * variance is the larger of two estimates:
 *
 * - from the processes: the spread of their means ÷ P (P − 1 degrees of
 *   freedom). A process mean carries both the process's own offset and its
 *   rounds' noise, so this holds whatever their sizes — but with 3 processes
 *   it rests on 2 degrees of freedom, and it is the one to use only when the
 *   processes do differ;
 * - from the rounds: the pooled spread of the rounds around their process's
 *   mean, scaled to a mean of process means (N − P degrees of freedom). It is
 *   right when the processes do not differ beyond what their rounds' noise
 *   predicts.
 *
 * Taking the larger is the moment (ANOVA) estimate of a one-way random-
 * effects model with the between-process variance truncated at 0:
 * (σ²_between + σ²_within · mean(1/n_k)) ÷ P, with σ²_between = the spread of
 * the process means less what their rounds' noise explains, or 0. The
 * degrees of freedom are those of the estimate used. In a seeded simulation
 * (test/bench-stats.test.ts) its 95% intervals cover the truth 93–99% of the
 * time whether processes differ not at all or by several times the rounds'
 * noise. A bootstrap over 3 processes could not: its interval never reaches
 * past the lowest and highest process mean, so it misses about 1 time in 4
 * when processes differ.
 */
export function groupedMean(xs, groups = null) {
  const by = new Map();
  xs.forEach((x, i) => {
    const g = groups ? groups[i] : 0;
    if (!by.has(g)) by.set(g, []);
    by.get(g).push(x);
  });
  const parts = [...by.values()];
  const P = parts.length;
  const n = xs.length;
  if (P <= 1) return { mean: mean(xs), v: n > 1 ? variance(xs) / n : NaN, df: n - 1, n, processes: P, varianceFrom: 'rounds' };
  const means = parts.map(mean);
  const m = mean(means);
  const fromProcesses = variance(means) / P;
  let ss = 0;
  parts.forEach((part, k) => {
    for (const x of part) ss += (x - means[k]) ** 2;
  });
  const dfRounds = n - P;
  // Var(mean of process means) = Σ σ²/n_k ÷ P² when the processes do not differ.
  const fromRounds = dfRounds > 0 ? (ss / dfRounds) * mean(parts.map((part) => 1 / part.length)) / P : NaN;
  if (fromRounds > fromProcesses) return { mean: m, v: fromRounds, df: dfRounds, n, processes: P, varianceFrom: 'rounds' };
  return { mean: m, v: fromProcesses, df: P - 1, n, processes: P, varianceFrom: 'processes' };
}

/** Logs of the positive samples, with the process of each (or null). */
function logsOf(xs, groups) {
  const l = [];
  const g = groups ? [] : null;
  xs.forEach((x, i) => {
    if (!(x > 0)) return;
    l.push(Math.log(x));
    if (g) g.push(groups[i]);
  });
  return [l, g];
}

/**
 * A's rate over B's from rounds in which both ran: `a` and `b` are
 * { round → rate } maps (or arrays indexed by round); `processOf` maps a
 * round to the process it ran in (null: one process). The ratio is the
 * geometric mean of the per-round ratios (each process's rounds weighing as
 * much as another's); the interval a paired t interval, with the processes
 * as random effects (groupedMean).
 */
export function pairedRatio(a, b, level = LEVEL, processOf = null) {
  const d = [];
  const g = processOf ? [] : null;
  for (const [round, x] of entries(a)) {
    const y = get(b, round);
    if (x > 0 && y > 0) {
      d.push(Math.log(x / y));
      if (g) g.push(get(processOf, round) ?? 0);
    }
  }
  if (d.length === 0) return null;
  const s = groupedMean(d, g);
  const method = s.processes > 1 ? 'paired t on log ratios, processes as random effects' : 'paired t on log ratios';
  return result(s.mean, Math.sqrt(s.v), s.df, s.n, method, level, { processes: s.processes, varianceFrom: s.varianceFrom });
}

/**
 * A's rate over B's from independent samples (rates): Welch's t interval on
 * log rates. `ga`/`gb` give each sample's process (null: one process); then
 * each side's mean and its variance are groupedMean's, and the degrees of
 * freedom Welch–Satterthwaite's over the two sides.
 */
export function welchRatio(a, b, level = LEVEL, ga = null, gb = null) {
  const [la, pa] = logsOf(a, ga);
  const [lb, pb] = logsOf(b, gb);
  if (la.length === 0 || lb.length === 0) return null;
  const A = groupedMean(la, pa);
  const B = groupedMean(lb, pb);
  const d = A.mean - B.mean;
  const n = Math.min(la.length, lb.length);
  const processes = Math.min(A.processes, B.processes);
  const method = Math.max(A.processes, B.processes) > 1 ? 'Welch t on log rates, processes as random effects' : 'Welch t on log rates';
  const extra = { processes, varianceFrom: null };
  if (!(A.df > 0) || !(B.df > 0)) return result(d, NaN, NaN, n, method, level, extra);
  const v = A.v + B.v;
  const df = v === 0 ? Infinity : v ** 2 / (A.v ** 2 / A.df + B.v ** 2 / B.df);
  return result(d, Math.sqrt(v), df === Infinity ? 1e9 : df, n, method, level, extra);
}

/** The geometric mean of positive samples (taken in processes `groups`, or one) with its t interval. */
export function geoMean(xs, level = LEVEL, groups = null) {
  const [l, g] = logsOf(xs, groups);
  if (l.length === 0) return null;
  const s = groupedMean(l, g);
  const { lo, hi } = interval(s.mean, Math.sqrt(s.v), s.df, level);
  return { value: Math.exp(s.mean), lo, hi };
}

/**
 * How two runs' values of one ratio differ: `b` over `a`, each a ratio with
 * its interval and degrees of freedom (a result of pairedRatio/welchRatio).
 * Each run's standard error on the log scale comes back from its interval
 * (half its log width ÷ the t quantile it was made with); the difference of
 * the two logs gets a Welch t interval and p-value over both. Null when
 * either has no interval.
 */
export function ratioDifference(a, b, level = LEVEL) {
  const logSe = (x) => {
    if (!x || x.lo === null || x.hi === null || !(x.df > 0) || !(x.ratio > 0)) return NaN;
    return (Math.log(x.hi) - Math.log(x.lo)) / (2 * tQuantile(1 - (1 - level) / 2, x.df));
  };
  const sa = logSe(a);
  const sb = logSe(b);
  if (!Number.isFinite(sa) || !Number.isFinite(sb)) return null;
  const va = sa * sa;
  const vb = sb * sb;
  const df = va + vb === 0 ? Infinity : (va + vb) ** 2 / (va ** 2 / a.df + vb ** 2 / b.df);
  return result(Math.log(b.ratio) - Math.log(a.ratio), Math.sqrt(va + vb), df, null, 'Welch t on the difference of log ratios', level);
}

/** Node's compare.js convention: *** p < 0.001, ** p < 0.01, * p < 0.05. */
export function stars(p) {
  if (p === null || p === undefined) return '';
  return p < 0.001 ? '***' : p < 0.01 ? '**' : p < 0.05 ? '*' : '';
}

function entries(x) {
  return Array.isArray(x) ? x.map((v, i) => [i, v]).filter(([, v]) => v !== undefined) : x instanceof Map ? [...x] : Object.entries(x);
}

function get(x, k) {
  return x instanceof Map ? x.get(k) : x[k];
}
