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

function result(d, se, df, n, method, level) {
  const { lo, hi, p } = interval(d, se, df, level);
  const ratio = Math.exp(d);
  return { ratio, lo, hi, p, n, df: Number.isFinite(df) ? df : null, method, halfWidth: halfWidth(ratio, lo, hi), verdict: verdict(lo, hi) };
}

/**
 * A's rate over B's from rounds in which both ran: `a` and `b` are
 * { round → rate } maps (or arrays indexed by round). The ratio is the
 * geometric mean of the per-round ratios; the interval a paired t interval.
 */
export function pairedRatio(a, b, level = LEVEL) {
  const d = [];
  for (const [round, x] of entries(a)) {
    const y = get(b, round);
    if (x > 0 && y > 0) d.push(Math.log(x / y));
  }
  const n = d.length;
  if (n === 0) return null;
  const m = mean(d);
  const se = n > 1 ? Math.sqrt(variance(d) / n) : NaN;
  return result(m, se, n - 1, n, 'paired t on log ratios', level);
}

/** A's rate over B's from independent samples (rates): Welch's t interval on log rates. */
export function welchRatio(a, b, level = LEVEL) {
  const la = a.filter((x) => x > 0).map(Math.log);
  const lb = b.filter((x) => x > 0).map(Math.log);
  if (la.length === 0 || lb.length === 0) return null;
  const d = mean(la) - mean(lb);
  if (la.length < 2 || lb.length < 2) return result(d, NaN, NaN, Math.min(la.length, lb.length), 'Welch t on log rates', level);
  const va = variance(la) / la.length;
  const vb = variance(lb) / lb.length;
  const se = Math.sqrt(va + vb);
  const df = va + vb === 0 ? Infinity : (va + vb) ** 2 / (va ** 2 / (la.length - 1) + vb ** 2 / (lb.length - 1));
  return result(d, se, df === Infinity ? 1e9 : df, Math.min(la.length, lb.length), 'Welch t on log rates', level);
}

/** The geometric mean of positive samples with its t interval. */
export function geoMean(xs, level = LEVEL) {
  const l = xs.filter((x) => x > 0).map(Math.log);
  if (l.length === 0) return null;
  const m = mean(l);
  const se = l.length > 1 ? Math.sqrt(variance(l) / l.length) : NaN;
  const { lo, hi } = interval(m, se, l.length - 1, level);
  return { value: Math.exp(m), lo, hi };
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
