/**
 * numeric's transcendental functions (ln, log, exp, power) in exact bigint fixed-point
 * arithmetic, with the result scales PostgreSQL 15's numeric.c chooses (estimate_ln_dweight,
 * numeric_exp, log_var, power_var, power_var_int), rounded half away from zero.
 */
import { Numeric, pow10 } from '../types/numeric.js';
import { sqlErr } from './util.js';

const MIN_SIG_DIGITS = 16;
const MAX_DISPLAY_SCALE = 1000;
const MAX_RESULT_SCALE = 2000;
/** numeric.c's approximate log10(e), kept as written there so weight estimates truncate alike. */
// biome-ignore lint/suspicious/noApproximativeNumericConstant: PostgreSQL's own literal
const PG_LOG10_E = 0.434294481903252;

function clampScale(r: number): number {
  return Math.min(Math.max(r, 0), MAX_DISPLAY_SCALE);
}

function digitCount(n: bigint): number {
  return (n < 0n ? -n : n).toString().length;
}

function absBig(n: bigint): bigint {
  return n < 0n ? -n : n;
}

/** A value's PostgreSQL base-10000 digits: [weight, first digit, second digit or undefined]. */
function nbaseDigits(n: Numeric): [number, number, number | undefined] {
  let a = absBig(n.coef);
  let s = n.scale;
  if (s % 4 !== 0) {
    a *= pow10(4 - (s % 4));
    s += 4 - (s % 4);
  }
  const groups: number[] = [];
  while (a > 0n) {
    groups.unshift(Number(a % 10000n));
    a /= 10000n;
  }
  while (groups.length > 1 && groups[groups.length - 1] === 0) {
    groups.pop();
    s -= 4;
  }
  const weight = groups.length - 1 - s / 4;
  return [weight, groups[0] ?? 0, groups.length > 1 ? groups[1] : undefined];
}

/** estimate_ln_dweight: the decimal weight of ln(x), for x > 0. */
export function estimateLnDweight(x: Numeric): number {
  if (x.sign() <= 0) return 0;
  const lo = Numeric.parse('0.9');
  const hi = Numeric.parse('1.1');
  if (x.compare(lo) >= 0 && x.compare(hi) <= 0) {
    const d = x.sub(Numeric.ONE);
    if (d.isZero()) return 0;
    return digitCount(d.coef) - 1 - d.scale;
  }
  const [weight, d0, d1] = nbaseDigits(x);
  let digits = d0;
  let dweight = weight * 4;
  if (d1 !== undefined) {
    digits = digits * 10000 + d1;
    dweight -= 4;
  }
  const ln = Math.log(digits) + dweight * Math.LN10;
  return Math.trunc(Math.log10(Math.abs(ln)));
}

// --- fixed point: a bigint v stands for v / 10^p ------------------------------------------------

function atanhInv(k: bigint, one: bigint): bigint {
  // atanh(1/k) = sum 1/((2n+1) k^(2n+1))
  let term = one / k;
  const k2 = k * k;
  let sum = 0n;
  for (let n = 1n; term !== 0n; n += 2n) {
    sum += term / n;
    term /= k2;
  }
  return sum;
}

const LN_CACHE = new Map<number, [bigint, bigint]>();

/** [ln 2, ln 10] at p fraction digits (+ guard digits dropped). */
function lnConstants(p: number): [bigint, bigint] {
  let c = LN_CACHE.get(p);
  if (c === undefined) {
    const g = 10;
    const one = pow10(p + g);
    const ln2 = 2n * atanhInv(3n, one);
    const ln10 = 3n * ln2 + 2n * atanhInv(9n, one);
    const div = pow10(g);
    c = [ln2 / div, ln10 / div];
    if (LN_CACHE.size > 64) LN_CACHE.clear();
    LN_CACHE.set(p, c);
  }
  return c;
}

/** ln(x) for finite x > 0, as a fixed-point value with p fraction digits. */
function lnFixed(x: Numeric, p: number): bigint {
  const one = pow10(p);
  const d = digitCount(x.coef);
  const k = d - 1 - x.scale; // x = m * 10^k, 1 <= m < 10
  // m at p digits: coef * 10^p / 10^(d-1)
  let m = d - 1 <= p ? x.coef * pow10(p - (d - 1)) : x.coef / pow10(d - 1 - p);
  let j = 0;
  const limit = (one * 3n) / 2n;
  while (m > limit) {
    m /= 2n;
    j++;
  }
  const z = ((m - one) * one) / (m + one);
  const z2 = (z * z) / one;
  let term = z;
  let sum = 0n;
  for (let n = 1n; term !== 0n; n += 2n) {
    sum += term / n;
    term = (term * z2) / one;
  }
  const [ln2, ln10] = lnConstants(p);
  return 2n * sum + BigInt(j) * ln2 + BigInt(k) * ln10;
}

/** exp(v / 10^p) as a fixed-point value with p fraction digits. */
function expFixed(v: bigint, p: number): bigint {
  const one = pow10(p);
  const [ln2] = lnConstants(p);
  // v = n ln2 + r, |r| <= ln2 / 2
  let n = v / ln2;
  let r = v - n * ln2;
  if (2n * r > ln2) {
    n += 1n;
    r -= ln2;
  } else if (2n * r < -ln2) {
    n -= 1n;
    r += ln2;
  }
  const squarings = 8;
  r /= 1n << BigInt(squarings);
  let term = one;
  let sum = one;
  for (let i = 1n; term !== 0n; i++) {
    term = (term * r) / (one * i);
    sum += term;
  }
  for (let i = 0; i < squarings; i++) sum = (sum * sum) / one;
  return n >= 0n ? sum << n : sum >> -n;
}

function fromFixed(v: bigint, p: number, rscale: number): Numeric {
  return Numeric.of(v, p).withScale(rscale);
}

function logError(x: Numeric): Error {
  return sqlErr(
    'INVALID_ARGUMENT_FOR_LOGARITHM',
    x.isZero() ? 'cannot take logarithm of zero' : 'cannot take logarithm of a negative number',
  );
}

/** ln(numeric). */
export function numericLn(x: Numeric): Numeric {
  if (x.isNaN()) return x;
  if (x.sign() <= 0) throw logError(x);
  if (x.isInfinite()) return x;
  const rscale = clampScale(Math.max(MIN_SIG_DIGITS - estimateLnDweight(x), x.scale));
  const k = Math.abs(digitCount(x.coef) - x.scale);
  const p = rscale + 12 + digitCount(BigInt(k));
  return fromFixed(lnFixed(x, p), p, rscale);
}

/** log(base, x) (log_var); log(x) is log(10, x). */
export function numericLog(base: Numeric, x: Numeric): Numeric {
  if (base.isNaN() || x.isNaN()) return Numeric.NaN;
  if (base.sign() <= 0) throw logError(base);
  if (x.sign() <= 0) throw logError(x);
  if (base.isInfinite() || x.isInfinite()) {
    if (base.isInfinite() && x.isInfinite()) return Numeric.NaN;
    if (x.isInfinite()) return Numeric.POSITIVE_INFINITY;
    return Numeric.ZERO;
  }
  if (base.equals(Numeric.ONE)) throw sqlErr('DIVISION_BY_ZERO', 'division by zero');
  const resultDweight = estimateLnDweight(x) - estimateLnDweight(base);
  const rscale = clampScale(Math.max(MIN_SIG_DIGITS - resultDweight, base.scale, x.scale));
  // Enough digits that the quotient keeps rscale + guard significant digits.
  const p = rscale + 20 + Math.max(0, -estimateLnDweight(base)) + Math.max(0, resultDweight);
  const lb = lnFixed(base, p);
  const lx = lnFixed(x, p);
  const q = Numeric.of(lx, p).divScaled(Numeric.of(lb, p), rscale + 1);
  return q.withScale(rscale);
}

/** exp(numeric). */
export function numericExp(x: Numeric): Numeric {
  if (x.isNaN()) return x;
  if (x.kind === 'pinf') return x;
  if (x.kind === 'ninf') return Numeric.ZERO;
  let val = x.toFloat8() * PG_LOG10_E;
  val = Math.min(Math.max(val, -MAX_RESULT_SCALE), MAX_RESULT_SCALE);
  if (val > 131072) throw sqlErr('VALUE_OUT_OF_RANGE', 'value overflows numeric format');
  const rscale = clampScale(Math.max(MIN_SIG_DIGITS - Math.trunc(val), x.scale));
  if (val < -rscale - 2) return Numeric.ZERO.withScale(rscale);
  const p = rscale + Math.max(Math.ceil(val), 0) + 15;
  const v = x.scale <= p ? x.coef * pow10(p - x.scale) : x.coef / pow10(x.scale - p);
  return fromFixed(expFixed(v, p), p, rscale);
}

function isIntegral(n: Numeric): boolean {
  return n.isFinite() && n.trunc(0).equals(n);
}

/** log10 |x| as a double, for weight estimates of finite non-zero x. */
function log10Abs(x: Numeric): number {
  const d = digitCount(x.coef);
  const lead = Number(absBig(x.coef).toString().slice(0, 17)) / 10 ** (Math.min(d, 17) - 1);
  return Math.log10(lead) + (d - 1 - x.scale);
}

/** power(numeric, numeric), including PostgreSQL 15's rules for NaN and infinities. */
export function numericPower(x: Numeric, y: Numeric): Numeric {
  if (x.isNaN() || y.isNaN()) {
    if (x.isNaN() && y.isNaN()) return Numeric.NaN;
    if (x.isNaN()) return y.isZero() ? Numeric.ONE : Numeric.NaN;
    return x.equals(Numeric.ONE) ? Numeric.ONE : Numeric.NaN;
  }
  const sx = x.sign();
  const sy = y.sign();
  if (sx === 0 && sy < 0) {
    throw sqlErr('INVALID_ARGUMENT_FOR_POWER_FUNCTION', 'zero raised to a negative power is undefined');
  }
  if (sx < 0 && !isIntegral(y) && !y.isInfinite()) {
    throw sqlErr(
      'INVALID_ARGUMENT_FOR_POWER_FUNCTION',
      'a negative number raised to a non-integer power yields a complex result',
    );
  }
  if (x.isInfinite() || y.isInfinite()) return infinitePower(x, y);
  const intExp = isIntegral(y) && absBig(y.trunc(0).coef) <= 2147483647n;
  if (intExp) {
    const e = Number(y.trunc(0).coef);
    const rscale = clampScale(Math.max(MIN_SIG_DIGITS, x.scale));
    if (sx === 0) return (e === 0 ? Numeric.ONE : Numeric.ZERO).withScale(rscale);
    const f = e * log10Abs(x);
    if (f > 131072) throw sqlErr('VALUE_OUT_OF_RANGE', 'value overflows numeric format');
    if (f + 1 < -MAX_DISPLAY_SCALE) return Numeric.ZERO.withScale(rscale);
    const cost = Math.abs(e) * digitCount(x.coef);
    if (cost <= 200000) {
      const a = Math.abs(e);
      const p = Numeric.of(x.coef ** BigInt(a), x.scale * a);
      if (e >= 0) return p.withScale(rscale);
      return Numeric.ONE.divScaled(p, rscale);
    }
    return powerViaLn(x, y, rscale, f);
  }
  if (sx === 0) return Numeric.ZERO.withScale(MIN_SIG_DIGITS);
  const lnApprox = y.toFloat8() * log10Abs(x) * Math.LN10;
  if (Math.abs(lnApprox) > MAX_RESULT_SCALE * 3.01) {
    if (lnApprox > 0) throw sqlErr('VALUE_OUT_OF_RANGE', 'value overflows numeric format');
    return Numeric.ZERO.withScale(MAX_DISPLAY_SCALE);
  }
  const w = lnApprox * PG_LOG10_E;
  const rscale = clampScale(Math.max(MIN_SIG_DIGITS - Math.trunc(w), x.scale, y.scale));
  return powerViaLn(x, y, rscale, w);
}

/** exp(y ln |x|) with the sign of x^y (y integral when x < 0), rounded to rscale. */
function powerViaLn(x: Numeric, y: Numeric, rscale: number, weight: number): Numeric {
  const yDigits = Math.max(0, digitCount(y.coef) - y.scale);
  const p = rscale + Math.max(Math.ceil(weight), 0) + 20 + yDigits;
  const lx = lnFixed(x.abs(), p);
  const t = (lx * y.coef) / pow10(y.scale);
  let r = fromFixed(expFixed(t, p), p, rscale);
  if (x.sign() < 0 && y.trunc(0).coef % 2n !== 0n) r = r.neg();
  return r;
}

function infinitePower(x: Numeric, y: Numeric): Numeric {
  const fx = x.toFloat8();
  const fy = y.toFloat8();
  if (Math.abs(fx) === 1 && !Number.isFinite(fy)) return Numeric.ONE;
  const r = fx ** fy;
  if (Number.isNaN(r)) return Numeric.NaN;
  if (r === Number.POSITIVE_INFINITY) return Numeric.POSITIVE_INFINITY;
  if (r === Number.NEGATIVE_INFINITY) return Numeric.NEGATIVE_INFINITY;
  return r === 0 ? Numeric.ZERO : Numeric.ONE;
}
