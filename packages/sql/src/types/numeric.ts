/**
 * PostgreSQL's `numeric`: an exact decimal of arbitrary precision, with NaN, +Infinity and
 * -Infinity (PostgreSQL 14+).
 *
 * A finite value is `coef / 10^scale` with a signed bigint coefficient and a non-negative display
 * scale (PostgreSQL's dscale: the number of digits printed after the decimal point). The scale is
 * part of the value's identity for output (`1.50` prints as `1.50`) but not for comparison (`1.5 =
 * 1.50`). Result scales follow PostgreSQL: + and - take the larger input scale, * the sum of the
 * scales, / the scale chosen by PostgreSQL's select_div_scale (at least 16 significant digits,
 * never less than either input's scale), and rounding is half away from zero.
 */
import { divisionByZero, invalidSyntax, outOfRange, sqlError } from './errors.js';

type Kind = 'finite' | 'nan' | 'pinf' | 'ninf';

/** NUMERIC_MIN_SIG_DIGITS: the significant digits a division or sqrt result gets at least. */
const MIN_SIG_DIGITS = 16;
/** NUMERIC_MAX_DISPLAY_SCALE. */
const MAX_DISPLAY_SCALE = 1000;
/** NUMERIC_DSCALE_MAX: the most fraction digits a numeric can hold. */
const MAX_DSCALE = 16383;
/** The most integer digits a numeric can hold ((NUMERIC_WEIGHT_MAX + 1) × 4 decimal digits). */
const MAX_INT_DIGITS = 131072;

const POW10_CACHE: bigint[] = [];
export function pow10(n: number): bigint {
  if (n < 64) {
    let v = POW10_CACHE[n];
    if (v === undefined) {
      v = 10n ** BigInt(n);
      POW10_CACHE[n] = v;
    }
    return v;
  }
  return 10n ** BigInt(n);
}

function abs(n: bigint): bigint {
  return n < 0n ? -n : n;
}

/** Integer division of a by b rounding half away from zero. */
function divRoundHalfAway(a: bigint, b: bigint): bigint {
  let q = a / b;
  const r = a % b;
  if (r !== 0n && 2n * abs(r) >= abs(b)) q += a < 0n !== b < 0n ? -1n : 1n;
  return q;
}

/** Number of decimal digits in |n| (1 for 0). */
function digitCount(n: bigint): number {
  return abs(n).toString().length;
}

function isqrt(n: bigint): bigint {
  if (n < 2n) return n;
  // Newton's iteration from a power of two above the root; decreases monotonically to floor(√n).
  let x = 1n << BigInt(Math.ceil(n.toString(2).length / 2));
  for (;;) {
    const y = (x + n / x) >> 1n;
    if (y >= x) return x;
    x = y;
  }
}

function overflowsFormat(): Error {
  return outOfRange('value overflows numeric format');
}

export class Numeric {
  static readonly NaN = new Numeric('nan', 0n, 0);
  static readonly POSITIVE_INFINITY = new Numeric('pinf', 0n, 0);
  static readonly NEGATIVE_INFINITY = new Numeric('ninf', 0n, 0);
  static readonly ZERO = new Numeric('finite', 0n, 0);
  static readonly ONE = new Numeric('finite', 1n, 0);

  private constructor(
    readonly kind: Kind,
    /** The signed coefficient of a finite value (0n for the special values). */
    readonly coef: bigint,
    /** The display scale of a finite value (0 for the special values). */
    readonly scale: number,
  ) {
    // Immutable by its `readonly` fields alone: not frozen, as Object.freeze on every instance
    // (every numeric a scan decodes or an aggregate adds) costs more than the arithmetic.
  }

  /** The finite value coef / 10^scale (scale ≥ 0). */
  static of(coef: bigint, scale = 0): Numeric {
    if (scale < 0) return new Numeric('finite', coef * pow10(-scale), 0);
    return new Numeric('finite', coef, scale);
  }

  static fromInt(n: number | bigint): Numeric {
    return new Numeric('finite', BigInt(n), 0);
  }

  /**
   * PostgreSQL's numeric_in: surrounding whitespace, an optional sign, digits with an optional
   * point, an optional exponent; `NaN`, `[+-]Infinity` and `[+-]inf`, case-insensitive.
   */
  static parse(text: string): Numeric {
    const m = /^[ \t\n\r\v\f]*([+-]?)(?:(\d+)(?:\.(\d*))?|\.(\d+))(?:[eE]([+-]?\d+))?[ \t\n\r\v\f]*$/.exec(text);
    if (!m) {
      const s = /^[ \t\n\r\v\f]*([+-]?)(nan|infinity|inf)[ \t\n\r\v\f]*$/i.exec(text);
      if (s) {
        const word = (s[2] ?? '').toLowerCase();
        if (word === 'nan') {
          if (s[1] === '') return Numeric.NaN;
        } else {
          return s[1] === '-' ? Numeric.NEGATIVE_INFINITY : Numeric.POSITIVE_INFINITY;
        }
      }
      throw invalidSyntax('numeric', text);
    }
    const intPart = m[2] ?? '';
    const fracPart = m[3] ?? m[4] ?? '';
    let exp = 0;
    if (m[5] !== undefined) {
      exp = Number(m[5]);
      if (!Number.isSafeInteger(exp) || Math.abs(exp) > 10 * MAX_INT_DIGITS) throw overflowsFormat();
    }
    let coef = BigInt(intPart + fracPart);
    if (m[1] === '-') coef = -coef;
    const scale = fracPart.length - exp;
    if (scale > MAX_DSCALE) throw overflowsFormat();
    if (coef !== 0n && digitCount(coef) - scale > MAX_INT_DIGITS) throw overflowsFormat();
    if (scale >= 0) return new Numeric('finite', coef, scale);
    return new Numeric('finite', coef * pow10(-scale), 0);
  }

  /**
   * float8 → numeric as PostgreSQL's float8_numeric does it: the value printed with 15
   * significant digits (DBL_DIG), trailing zeros dropped; ±Infinity and NaN map to numeric's.
   */
  static fromFloat8(x: number): Numeric {
    return Numeric.fromFloatDigits(x, 15);
  }

  /** float4 → numeric (float4_numeric): 6 significant digits (FLT_DIG). */
  static fromFloat4(x: number): Numeric {
    return Numeric.fromFloatDigits(x, 6);
  }

  private static fromFloatDigits(x: number, digits: number): Numeric {
    if (Number.isNaN(x)) return Numeric.NaN;
    if (x === Number.POSITIVE_INFINITY) return Numeric.POSITIVE_INFINITY;
    if (x === Number.NEGATIVE_INFINITY) return Numeric.NEGATIVE_INFINITY;
    const s = x.toPrecision(digits);
    const [mant = '', e] = s.split('e');
    const trimmed = mant.includes('.') ? mant.replace(/0+$/, '').replace(/\.$/, '') : mant;
    return Numeric.parse(e === undefined ? trimmed : `${trimmed}e${e}`);
  }

  isNaN(): boolean {
    return this.kind === 'nan';
  }

  isFinite(): boolean {
    return this.kind === 'finite';
  }

  isInfinite(): boolean {
    return this.kind === 'pinf' || this.kind === 'ninf';
  }

  /** -1, 0 or 1 (NaN: NaN). */
  sign(): number {
    switch (this.kind) {
      case 'nan':
        return Number.NaN;
      case 'pinf':
        return 1;
      case 'ninf':
        return -1;
      default:
        return this.coef > 0n ? 1 : this.coef < 0n ? -1 : 0;
    }
  }

  isZero(): boolean {
    return this.kind === 'finite' && this.coef === 0n;
  }

  /** numeric_out: plain decimal with exactly `scale` fraction digits; NaN, Infinity, -Infinity. */
  toString(): string {
    switch (this.kind) {
      case 'nan':
        return 'NaN';
      case 'pinf':
        return 'Infinity';
      case 'ninf':
        return '-Infinity';
    }
    const neg = this.coef < 0n;
    let digits = abs(this.coef).toString();
    if (this.scale === 0) return neg ? `-${digits}` : digits;
    if (digits.length <= this.scale) digits = '0'.repeat(this.scale - digits.length + 1) + digits;
    const cut = digits.length - this.scale;
    return `${neg ? '-' : ''}${digits.slice(0, cut)}.${digits.slice(cut)}`;
  }

  /**
   * A canonical form equal for equal values whatever their scale (`1.50` and `1.5` → `15e-1`), for
   * hashing and keys.
   */
  canonicalKey(): string {
    if (this.kind !== 'finite') return this.toString();
    if (this.coef === 0n) return '0';
    let c = this.coef;
    let e = -this.scale;
    while (c % 10n === 0n) {
      c /= 10n;
      e += 1;
    }
    return `${c}e${e}`;
  }

  /** The value with the given display scale (rounding half away from zero when shortening). */
  withScale(scale: number): Numeric {
    if (this.kind !== 'finite') return this;
    if (scale === this.scale) return this;
    if (scale > this.scale) return new Numeric('finite', this.coef * pow10(scale - this.scale), scale);
    if (scale >= 0) return new Numeric('finite', divRoundHalfAway(this.coef, pow10(this.scale - scale)), scale);
    const unit = pow10(this.scale - scale);
    return new Numeric('finite', divRoundHalfAway(this.coef, unit) * pow10(-scale), 0);
  }

  /** round(numeric, s): half away from zero; a negative s rounds left of the point. */
  round(scale = 0): Numeric {
    return this.withScale(scale);
  }

  /** trunc(numeric, s): toward zero; the result's scale is max(s, 0). */
  trunc(scale = 0): Numeric {
    if (this.kind !== 'finite') return this;
    if (scale >= this.scale) return this.withScale(scale);
    const unit = pow10(this.scale - scale);
    const q = this.coef / unit;
    return scale >= 0 ? new Numeric('finite', q, scale) : new Numeric('finite', q * pow10(-scale), 0);
  }

  ceil(): Numeric {
    if (this.kind !== 'finite') return this;
    const unit = pow10(this.scale);
    let q = this.coef / unit;
    if (this.coef % unit !== 0n && this.coef > 0n) q += 1n;
    return new Numeric('finite', q, 0);
  }

  floor(): Numeric {
    if (this.kind !== 'finite') return this;
    const unit = pow10(this.scale);
    let q = this.coef / unit;
    if (this.coef % unit !== 0n && this.coef < 0n) q -= 1n;
    return new Numeric('finite', q, 0);
  }

  neg(): Numeric {
    switch (this.kind) {
      case 'nan':
        return this;
      case 'pinf':
        return Numeric.NEGATIVE_INFINITY;
      case 'ninf':
        return Numeric.POSITIVE_INFINITY;
      default:
        return new Numeric('finite', -this.coef, this.scale);
    }
  }

  abs(): Numeric {
    if (this.kind === 'ninf') return Numeric.POSITIVE_INFINITY;
    if (this.kind === 'finite' && this.coef < 0n) return new Numeric('finite', -this.coef, this.scale);
    return this;
  }

  add(o: Numeric): Numeric {
    if (this.kind !== 'finite' || o.kind !== 'finite') {
      if (this.kind === 'nan' || o.kind === 'nan') return Numeric.NaN;
      if (this.kind === 'finite') return o;
      if (o.kind === 'finite') return this;
      return this.kind === o.kind ? this : Numeric.NaN;
    }
    const s = Math.max(this.scale, o.scale);
    return new Numeric('finite', this.coef * pow10(s - this.scale) + o.coef * pow10(s - o.scale), s);
  }

  sub(o: Numeric): Numeric {
    return this.add(o.neg());
  }

  mul(o: Numeric): Numeric {
    if (this.kind !== 'finite' || o.kind !== 'finite') {
      if (this.kind === 'nan' || o.kind === 'nan') return Numeric.NaN;
      const sa = this.sign();
      const sb = o.sign();
      if (sa === 0 || sb === 0) return Numeric.NaN; // Inf * 0
      return sa * sb > 0 ? Numeric.POSITIVE_INFINITY : Numeric.NEGATIVE_INFINITY;
    }
    return new Numeric('finite', this.coef * o.coef, this.scale + o.scale);
  }

  /** Division with PostgreSQL's result scale (select_div_scale), rounded half away from zero. */
  div(o: Numeric): Numeric {
    if (this.kind !== 'finite' || o.kind !== 'finite') {
      if (this.kind === 'nan' || o.kind === 'nan') return Numeric.NaN;
      if (this.kind !== 'finite') {
        if (o.kind !== 'finite') return Numeric.NaN;
        const sb = o.sign();
        if (sb === 0) throw divisionByZero();
        return sb * this.sign() > 0 ? Numeric.POSITIVE_INFINITY : Numeric.NEGATIVE_INFINITY;
      }
      return Numeric.ZERO; // finite / ±Infinity
    }
    if (o.coef === 0n) throw divisionByZero();
    return this.divScaled(o, this.divScale(o));
  }

  /** The quotient rounded (half away from zero) to `rscale` fraction digits. */
  divScaled(o: Numeric, rscale: number): Numeric {
    // this / o = (c1 / 10^s1) / (c2 / 10^s2); scaled by 10^rscale.
    const shift = rscale + o.scale - this.scale;
    const num = shift >= 0 ? this.coef * pow10(shift) : this.coef;
    const den = shift >= 0 ? o.coef : o.coef * pow10(-shift);
    return new Numeric('finite', divRoundHalfAway(num, den), rscale);
  }

  /** Base-10000 weight and leading base-10000 digit, as PostgreSQL's NumericVar has them. */
  private weightAndFirstDigit(): [number, number] {
    if (this.coef === 0n) return [0, 0];
    const e10 = digitCount(this.coef) - 1 - this.scale;
    const weight = Math.floor(e10 / 4);
    const shift = this.scale + 4 * weight;
    const a = abs(this.coef);
    const first = shift >= 0 ? a / pow10(shift) : a * pow10(-shift);
    return [weight, Number(first)];
  }

  private divScale(o: Numeric): number {
    const [w1, f1] = this.weightAndFirstDigit();
    const [w2, f2] = o.weightAndFirstDigit();
    let qweight = w1 - w2;
    if (f1 <= f2) qweight--;
    let rscale = MIN_SIG_DIGITS - qweight * 4;
    rscale = Math.max(rscale, this.scale, o.scale, 0);
    return Math.min(rscale, MAX_DISPLAY_SCALE);
  }

  /** numeric % numeric: the remainder of truncated division, sign of the dividend. */
  mod(o: Numeric): Numeric {
    if (this.kind !== 'finite' || o.kind !== 'finite') {
      if (this.kind === 'nan' || o.kind === 'nan') return Numeric.NaN;
      if (this.kind !== 'finite') {
        if (o.isZero()) throw divisionByZero();
        return Numeric.NaN;
      }
      return this; // finite % ±Infinity
    }
    if (o.coef === 0n) throw divisionByZero();
    const s = Math.max(this.scale, o.scale);
    const a = this.coef * pow10(s - this.scale);
    const b = o.coef * pow10(s - o.scale);
    return new Numeric('finite', a % b, s);
  }

  /** Integer quotient trunc(this / o) (PostgreSQL's div(numeric, numeric)). */
  intDiv(o: Numeric): Numeric {
    if (this.kind !== 'finite' || o.kind !== 'finite') {
      if (this.kind === 'nan' || o.kind === 'nan') return Numeric.NaN;
      if (this.kind !== 'finite') {
        if (o.kind !== 'finite') return Numeric.NaN;
        if (o.isZero()) throw divisionByZero();
        return this.sign() * o.sign() > 0 ? Numeric.POSITIVE_INFINITY : Numeric.NEGATIVE_INFINITY;
      }
      return Numeric.ZERO;
    }
    if (o.coef === 0n) throw divisionByZero();
    const s = Math.max(this.scale, o.scale);
    return new Numeric('finite', (this.coef * pow10(s - this.scale)) / (o.coef * pow10(s - o.scale)), 0);
  }

  /**
   * sqrt(numeric): at least 16 significant digits and no fewer fraction digits than the input,
   * rounded half away from zero; negative input is an error (2201F).
   */
  sqrt(): Numeric {
    if (this.kind === 'nan' || this.kind === 'pinf') return this;
    if (this.kind === 'ninf' || this.coef < 0n) {
      throw sqlError('INVALID_ARGUMENT_FOR_POWER_FUNCTION', 'cannot take square root of a negative number');
    }
    const [w] = this.weightAndFirstDigit();
    const sweight = 2 * w + 1;
    let rscale = MIN_SIG_DIGITS - sweight;
    rscale = Math.min(Math.max(rscale, this.scale, 0), MAX_DISPLAY_SCALE);
    // floor(sqrt(c / 10^s) * 10^(r + 1)) = isqrt(c * 10^(2r + 2 - s)), exponent ≥ 2 as r ≥ s;
    // then round the one guard digit away (half up: the floor hides no exact half).
    const r = isqrt(this.coef * pow10(2 * rscale + 2 - this.scale));
    const q = r / 10n + (r % 10n >= 5n ? 1n : 0n);
    return new Numeric('finite', q, rscale);
  }

  /**
   * PostgreSQL's numeric comparison: NaN equals NaN and sorts above everything (+Infinity
   * included); -Infinity < every finite value < +Infinity; scale does not matter.
   */
  compare(o: Numeric): number {
    const ra = rank(this);
    const rb = rank(o);
    if (ra !== rb) return ra < rb ? -1 : 1;
    if (ra !== 1) return 0;
    const s = Math.max(this.scale, o.scale);
    const a = this.coef * pow10(s - this.scale);
    const b = o.coef * pow10(s - o.scale);
    return a < b ? -1 : a > b ? 1 : 0;
  }

  equals(o: Numeric): boolean {
    return this.compare(o) === 0;
  }

  /**
   * Fits the value to numeric(precision, scale) as PostgreSQL's apply_typmod does: round to the
   * scale, then fail with `numeric field overflow` (22003) when more than precision - scale
   * digits remain before the point. NaN passes; infinities fail.
   */
  applyTypmod(precision: number, scale: number): Numeric {
    if (this.kind === 'nan') return this;
    if (this.kind !== 'finite') {
      throw outOfRange(
        'numeric field overflow',
        `A field with precision ${precision}, scale ${scale} cannot hold an infinite value.`,
      );
    }
    const r = this.withScale(scale);
    if (r.coef !== 0n) {
      const intDigits = digitCount(r.coef) - r.scale;
      if (intDigits > precision - scale) {
        throw outOfRange(
          'numeric field overflow',
          `A field with precision ${precision}, scale ${scale} must round to an absolute value less than ${
            precision - scale === 0 ? '1' : `10^${precision - scale}`
          }.`,
        );
      }
    }
    return r;
  }

  /**
   * The value as a double, correctly rounded (numeric_float8 goes through float8in, so values
   * beyond double's range, or non-zero ones that underflow to 0, are `"…" is out of range for
   * type double precision`).
   */
  toFloat8(): number {
    switch (this.kind) {
      case 'nan':
        return Number.NaN;
      case 'pinf':
        return Number.POSITIVE_INFINITY;
      case 'ninf':
        return Number.NEGATIVE_INFINITY;
    }
    const s = this.toString();
    const x = Number(s);
    if (!Number.isFinite(x) || (x === 0 && this.coef !== 0n)) {
      throw outOfRange(`"${s}" is out of range for type double precision`);
    }
    return x;
  }

  /**
   * The value rounded half away from zero to an integer, checked against [min, max]; errors as
   * numeric_int2/4/8 raise them (`cannot convert NaN to integer` is 0A000).
   */
  toBigIntChecked(typeWord: 'smallint' | 'integer' | 'bigint', min: bigint, max: bigint): bigint {
    if (this.kind === 'nan') throw sqlError('FEATURE_NOT_SUPPORTED', `cannot convert NaN to ${typeWord}`);
    if (this.kind !== 'finite') throw sqlError('FEATURE_NOT_SUPPORTED', `cannot convert infinity to ${typeWord}`);
    const v = this.withScale(0).coef;
    if (v < min || v > max) throw outOfRange(`${typeWord} out of range`);
    return v;
  }
}

function rank(n: Numeric): number {
  switch (n.kind) {
    case 'ninf':
      return 0;
    case 'finite':
      return 1;
    case 'pinf':
      return 2;
    default:
      return 3;
  }
}
