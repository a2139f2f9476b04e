/** Mathematical functions (PostgreSQL 15 §9.3). */
import { rint } from '../types/interval.js';
import { Numeric } from '../types/numeric.js';
import { numericExp, numericLn, numericLog, numericPower } from './bigmath.js';
import { defineAliases, defineFunction, type SignatureSpec } from './registry.js';
import { big, checkInt2, checkInt4, checkInt8, dec, INT4_MIN, INT8_MIN, num, sqlErr } from './util.js';

const overflow = () => sqlErr('VALUE_OUT_OF_RANGE', 'value out of range: overflow');
const underflow = () => sqlErr('VALUE_OUT_OF_RANGE', 'value out of range: underflow');
const inputOutOfRange = () => sqlErr('VALUE_OUT_OF_RANGE', 'input is out of range');

/** The float8 result of a function of finite inputs: overflow to infinity is an error. */
function f8(r: number, ...inputs: number[]): number {
  if (!Number.isFinite(r) && !Number.isNaN(r) && inputs.every(Number.isFinite)) throw overflow();
  return r;
}

const float1 = (name: string, fn: (x: number) => number, extra: Partial<SignatureSpec> = {}) =>
  defineFunction(name, [{ args: ['float8'], result: 'float8', impl: ([x]) => fn(num(x)), ...extra }]);

// --- abs, sign, rounding -----------------------------------------------------------------------

defineFunction('abs', [
  { args: ['int2'], result: 'int2', impl: ([x]) => checkInt2(Math.abs(num(x))) },
  { args: ['int4'], result: 'int4', impl: ([x]) => checkInt4(Math.abs(num(x))) },
  { args: ['int8'], result: 'int8', impl: ([x]) => checkInt8(big(x) < 0n ? -big(x) : big(x)) },
  { args: ['float4'], result: 'float4', impl: ([x]) => Math.abs(num(x)) },
  { args: ['float8'], result: 'float8', impl: ([x]) => Math.abs(num(x)) },
  { args: ['numeric'], result: 'numeric', impl: ([x]) => dec(x).abs() },
]);

defineFunction('sign', [
  { args: ['float8'], result: 'float8', impl: ([x]) => (num(x) > 0 ? 1 : num(x) < 0 ? -1 : 0) },
  {
    args: ['numeric'],
    result: 'numeric',
    impl: ([x]) => {
      const n = dec(x);
      return n.isNaN() ? n : Numeric.fromInt(n.sign());
    },
  },
]);

defineAliases(
  ['ceil', 'ceiling'],
  [
    { args: ['float8'], result: 'float8', impl: ([x]) => Math.ceil(num(x)) },
    { args: ['numeric'], result: 'numeric', impl: ([x]) => dec(x).ceil() },
  ],
);
defineFunction('floor', [
  { args: ['float8'], result: 'float8', impl: ([x]) => Math.floor(num(x)) },
  { args: ['numeric'], result: 'numeric', impl: ([x]) => dec(x).floor() },
]);

function checkScale(s: number): number {
  // PostgreSQL clamps the requested scale to ±NUMERIC_MAX_RESULT_SCALE.
  return Math.max(-2000, Math.min(2000, s));
}

defineFunction('round', [
  { args: ['float8'], result: 'float8', impl: ([x]) => rint(num(x)) },
  { args: ['numeric'], result: 'numeric', impl: ([x]) => dec(x).round(0) },
  { args: ['numeric', 'int4'], result: 'numeric', impl: ([x, s]) => dec(x).round(checkScale(num(s))) },
]);
defineFunction('trunc', [
  { args: ['float8'], result: 'float8', impl: ([x]) => Math.trunc(num(x)) },
  { args: ['numeric'], result: 'numeric', impl: ([x]) => dec(x).trunc(0) },
  { args: ['numeric', 'int4'], result: 'numeric', impl: ([x, s]) => dec(x).trunc(checkScale(num(s))) },
]);

// --- integer-style arithmetic --------------------------------------------------------------------

const divZero = () => sqlErr('DIVISION_BY_ZERO', 'division by zero');

defineFunction('mod', [
  {
    args: ['int2', 'int2'],
    result: 'int2',
    impl: ([a, b]) => {
      if (num(b) === 0) throw divZero();
      return num(a) % num(b) || 0;
    },
  },
  {
    args: ['int4', 'int4'],
    result: 'int4',
    impl: ([a, b]) => {
      if (num(b) === 0) throw divZero();
      return num(a) % num(b) || 0;
    },
  },
  {
    args: ['int8', 'int8'],
    result: 'int8',
    impl: ([a, b]) => {
      if (big(b) === 0n) throw divZero();
      return big(a) % big(b);
    },
  },
  { args: ['numeric', 'numeric'], result: 'numeric', impl: ([a, b]) => dec(a).mod(dec(b)) },
]);
defineFunction('div', [{ args: ['numeric', 'numeric'], result: 'numeric', impl: ([a, b]) => dec(a).intDiv(dec(b)) }]);

function gcdBig(a: bigint, b: bigint): bigint {
  let x = a < 0n ? -a : a;
  let y = b < 0n ? -b : b;
  while (y !== 0n) [x, y] = [y, x % y];
  return x;
}

function gcdInt(a: bigint, b: bigint, min: bigint, word: string): bigint {
  const g = gcdBig(a, b);
  if (g > -min - 1n) throw sqlErr('VALUE_OUT_OF_RANGE', `${word} out of range`);
  return g;
}

function lcmInt(a: bigint, b: bigint, min: bigint, word: string): bigint {
  if (a === 0n || b === 0n) return 0n;
  const g = gcdBig(a, b);
  let r = (a / g) * b;
  if (r < 0n) r = -r;
  if (r > -min - 1n) throw sqlErr('VALUE_OUT_OF_RANGE', `${word} out of range`);
  return r;
}

function numericGcd(a: Numeric, b: Numeric): Numeric {
  if (!a.isFinite() || !b.isFinite()) return Numeric.NaN;
  const s = Math.max(a.scale, b.scale);
  const x = a.withScale(s).coef;
  const y = b.withScale(s).coef;
  return Numeric.of(gcdBig(x, y), s);
}

function numericLcm(a: Numeric, b: Numeric): Numeric {
  if (!a.isFinite() || !b.isFinite()) return Numeric.NaN;
  const s = Math.max(a.scale, b.scale);
  const x = a.withScale(s).coef;
  const y = b.withScale(s).coef;
  if (x === 0n || y === 0n) return Numeric.of(0n, s);
  const g = gcdBig(x, y);
  const r = (x / g) * y;
  return Numeric.of(r < 0n ? -r : r, s);
}

defineFunction('gcd', [
  {
    args: ['int4', 'int4'],
    result: 'int4',
    impl: ([a, b]) => Number(gcdInt(BigInt(num(a)), BigInt(num(b)), BigInt(INT4_MIN), 'integer')),
  },
  { args: ['int8', 'int8'], result: 'int8', impl: ([a, b]) => gcdInt(big(a), big(b), INT8_MIN, 'bigint') },
  { args: ['numeric', 'numeric'], result: 'numeric', impl: ([a, b]) => numericGcd(dec(a), dec(b)) },
]);
defineFunction('lcm', [
  {
    args: ['int4', 'int4'],
    result: 'int4',
    impl: ([a, b]) => Number(lcmInt(BigInt(num(a)), BigInt(num(b)), BigInt(INT4_MIN), 'integer')),
  },
  { args: ['int8', 'int8'], result: 'int8', impl: ([a, b]) => lcmInt(big(a), big(b), INT8_MIN, 'bigint') },
  { args: ['numeric', 'numeric'], result: 'numeric', impl: ([a, b]) => numericLcm(dec(a), dec(b)) },
]);

defineFunction('factorial', [
  {
    args: ['int8'],
    result: 'numeric',
    impl: ([n]) => {
      const k = big(n);
      if (k < 0n) throw sqlErr('VALUE_OUT_OF_RANGE', 'factorial of a negative number is undefined');
      if (k > 32177n) throw sqlErr('VALUE_OUT_OF_RANGE', 'value overflows numeric format');
      let r = 1n;
      for (let i = 2n; i <= k; i++) r *= i;
      return Numeric.fromInt(r);
    },
  },
]);

// --- roots, powers, logarithms -------------------------------------------------------------------

function sqrt8(x: number): number {
  if (x < 0) throw sqlErr('INVALID_ARGUMENT_FOR_POWER_FUNCTION', 'cannot take square root of a negative number');
  return Math.sqrt(x);
}

defineFunction('sqrt', [
  { args: ['float8'], result: 'float8', impl: ([x]) => sqrt8(num(x)) },
  { args: ['numeric'], result: 'numeric', impl: ([x]) => dec(x).sqrt() },
]);
float1('cbrt', (x) => Math.cbrt(x));

/** float8 power (dpow) with C's pow special cases and PostgreSQL's errors. */
export function floatPower(x: number, y: number): number {
  if (Number.isNaN(x)) return Number.isNaN(y) || y !== 0 ? Number.NaN : 1;
  if (Number.isNaN(y)) return x === 1 ? 1 : Number.NaN;
  if (x === 0 && y < 0) {
    throw sqlErr('INVALID_ARGUMENT_FOR_POWER_FUNCTION', 'zero raised to a negative power is undefined');
  }
  if (x < 0 && Number.isFinite(x) && Number.isFinite(y) && Math.floor(y) !== y) {
    throw sqlErr(
      'INVALID_ARGUMENT_FOR_POWER_FUNCTION',
      'a negative number raised to a non-integer power yields a complex result',
    );
  }
  if (!Number.isFinite(y) && Math.abs(x) === 1) return 1;
  const r = x ** y;
  if (!Number.isFinite(r) && Number.isFinite(x) && Number.isFinite(y)) throw overflow();
  if (r === 0 && x !== 0 && Number.isFinite(x) && Number.isFinite(y)) throw underflow();
  return r;
}

defineAliases(
  ['power', 'pow'],
  [
    { args: ['float8', 'float8'], result: 'float8', impl: ([x, y]) => floatPower(num(x), num(y)) },
    { args: ['numeric', 'numeric'], result: 'numeric', impl: ([x, y]) => numericPower(dec(x), dec(y)) },
  ],
);

function checkLog(x: number): void {
  if (x === 0) throw sqlErr('INVALID_ARGUMENT_FOR_LOGARITHM', 'cannot take logarithm of zero');
  if (x < 0) throw sqlErr('INVALID_ARGUMENT_FOR_LOGARITHM', 'cannot take logarithm of a negative number');
}

defineFunction('exp', [
  {
    args: ['float8'],
    result: 'float8',
    impl: ([x]) => {
      const v = num(x);
      const r = Math.exp(v);
      if (Number.isFinite(v) && !Number.isFinite(r)) throw overflow();
      if (Number.isFinite(v) && r === 0) throw underflow();
      return r;
    },
  },
  { args: ['numeric'], result: 'numeric', impl: ([x]) => numericExp(dec(x)) },
]);
defineFunction('ln', [
  {
    args: ['float8'],
    result: 'float8',
    impl: ([x]) => {
      checkLog(num(x));
      return Math.log(num(x));
    },
  },
  { args: ['numeric'], result: 'numeric', impl: ([x]) => numericLn(dec(x)) },
]);
const TEN = Numeric.fromInt(10);
defineAliases(
  ['log', 'log10'],
  [
    {
      args: ['float8'],
      result: 'float8',
      impl: ([x]) => {
        checkLog(num(x));
        return Math.log10(num(x));
      },
    },
    { args: ['numeric'], result: 'numeric', impl: ([x]) => numericLog(TEN, dec(x)) },
  ],
);
defineFunction('log', [
  { args: ['numeric', 'numeric'], result: 'numeric', impl: ([b, x]) => numericLog(dec(b), dec(x)) },
]);

// --- trigonometry --------------------------------------------------------------------------------

defineFunction('pi', [{ args: [], result: 'float8', impl: () => Math.PI }]);
float1('degrees', (x) => f8(x * (180 / Math.PI), x));
float1('radians', (x) => f8(x * (Math.PI / 180), x));
const periodic = (fn: (x: number) => number) => (x: number) => {
  if (Number.isNaN(x)) return x;
  if (!Number.isFinite(x)) throw inputOutOfRange();
  return fn(x);
};
float1('sin', periodic(Math.sin));
float1('cos', periodic(Math.cos));
float1('tan', periodic(Math.tan));
float1(
  'cot',
  periodic((x) => 1 / Math.tan(x)),
);
const unitDomain = (fn: (x: number) => number) => (x: number) => {
  if (Number.isNaN(x)) return x;
  if (x < -1 || x > 1) throw inputOutOfRange();
  return fn(x);
};
float1('asin', unitDomain(Math.asin));
float1('acos', unitDomain(Math.acos));
float1('atan', (x) => Math.atan(x));
defineFunction('atan2', [
  { args: ['float8', 'float8'], result: 'float8', impl: ([y, x]) => Math.atan2(num(y), num(x)) },
]);
for (const [name, fn] of [
  ['sinh', Math.sinh],
  ['cosh', Math.cosh],
  ['tanh', Math.tanh],
  ['asinh', Math.asinh],
] as const) {
  float1(name, (x) => f8(fn(x), x));
}

defineFunction('random', [{ args: [], result: 'float8', volatility: 'volatile', impl: () => Math.random() }]);

// --- width_bucket --------------------------------------------------------------------------------

function bucketError(message: string): Error {
  // 2201G (invalid_argument_for_width_bucket_function) is not catalogued: its class 22000 is used.
  return sqlErr('DATA_EXCEPTION', message, { sqlstate: '2201G' });
}

function widthBucket(x: number, lo: number, hi: number, count: number): number {
  if (count <= 0) throw bucketError('count must be greater than zero');
  if (Number.isNaN(x) || Number.isNaN(lo) || Number.isNaN(hi)) {
    throw bucketError('operand, lower bound, and upper bound cannot be NaN');
  }
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) throw bucketError('lower and upper bounds must be finite');
  if (lo === hi) throw bucketError('lower bound cannot equal upper bound');
  let r: number;
  if (lo < hi) {
    if (x < lo) r = 0;
    else if (x >= hi) r = count + 1;
    else r = Math.floor(((x - lo) / (hi - lo)) * count) + 1;
  } else if (x > lo) r = 0;
  else if (x <= hi) r = count + 1;
  else r = Math.floor(((lo - x) / (lo - hi)) * count) + 1;
  return checkInt4(r);
}

function widthBucketNumeric(x: Numeric, lo: Numeric, hi: Numeric, count: number): number {
  if (count <= 0) throw bucketError('count must be greater than zero');
  if (x.isNaN() || lo.isNaN() || hi.isNaN()) throw bucketError('operand, lower bound, and upper bound cannot be NaN');
  if (!lo.isFinite() || !hi.isFinite()) throw bucketError('lower and upper bounds must be finite');
  const c = lo.compare(hi);
  if (c === 0) throw bucketError('lower bound cannot equal upper bound');
  const n = Numeric.fromInt(count);
  let r: number;
  if (c < 0) {
    if (x.compare(lo) < 0) r = 0;
    else if (x.compare(hi) >= 0) r = count + 1;
    else r = Number(x.sub(lo).mul(n).intDiv(hi.sub(lo)).coef) + 1;
  } else if (x.compare(lo) > 0) r = 0;
  else if (x.compare(hi) <= 0) r = count + 1;
  else r = Number(lo.sub(x).mul(n).intDiv(lo.sub(hi)).coef) + 1;
  return checkInt4(r);
}

defineFunction('width_bucket', [
  {
    args: ['float8', 'float8', 'float8', 'int4'],
    result: 'int4',
    impl: ([x, lo, hi, n]) => widthBucket(num(x), num(lo), num(hi), num(n)),
  },
  {
    args: ['numeric', 'numeric', 'numeric', 'int4'],
    result: 'int4',
    impl: ([x, lo, hi, n]) => widthBucketNumeric(dec(x), dec(lo), dec(hi), num(n)),
  },
]);
