/**
 * The arithmetic operators of pg_operator among ThinkLite's types, with PostgreSQL's result
 * types and errors. Operands must already have the operator's exact input types (operator
 * resolution and implicit coercion are the planner's job); {@link findOperator} says which
 * combinations exist and what they return.
 *
 * - int2/int4/int8 (any mix): the result has the wider type; overflow is `smallint/integer/bigint
 *   out of range` (22003); / truncates toward zero; % takes the dividend's sign; x / 0 and x % 0
 *   are `division by zero` (22012).
 * - float4/float8: IEEE arithmetic, but a finite computation overflowing to ±Infinity is `value
 *   out of range: overflow`, a non-zero product or quotient underflowing to 0 is `value out of
 *   range: underflow`, and x / 0 is `division by zero` (unless x is NaN). There is no float %.
 * - numeric: exact, scales as described in numeric.ts.
 * - date ± int4 → date, date - date → int4, date ± interval → timestamp, timestamp[tz] ±
 *   interval, timestamp[tz] - timestamp[tz] → interval, interval ± interval, interval × float8,
 *   interval / float8.
 */

import {
  dateAddDays,
  dateDiff,
  dateToTimestamp,
  type TypeContext,
  timestampAddInterval,
  timestampDiff,
  timestamptzAddInterval,
} from './datetime.js';
import type { Datum } from './datum.js';
import { divisionByZero, outOfRange, sqlError } from './errors.js';
import { addInterval, divInterval, type Interval, mulInterval, negateInterval, subInterval } from './interval.js';
import type { Numeric } from './numeric.js';
import { checkInt, type IntKind } from './scalar.js';
import { type ScalarKind, type SqlType, Types, typeName } from './type.js';

export type ArithOp = '+' | '-' | '*' | '/' | '%';

export interface OperatorImpl {
  readonly op: ArithOp;
  readonly left: ScalarKind;
  readonly right: ScalarKind;
  readonly result: SqlType;
  /** Applies the operator to two non-null operands (NULL in, NULL out is the caller's rule). */
  readonly apply: (a: Datum, b: Datum, ctx: TypeContext) => Datum;
}

const INT_RANK: Record<IntKind, number> = { int2: 0, int4: 1, int8: 2 };

function intOp(op: ArithOp, kind: IntKind, a: number | bigint, b: number | bigint): number | bigint {
  if (kind === 'int8') {
    const x = BigInt(a);
    const y = BigInt(b);
    switch (op) {
      case '+':
        return checkInt('int8', x + y);
      case '-':
        return checkInt('int8', x - y);
      case '*':
        return checkInt('int8', x * y);
      case '/':
        if (y === 0n) throw divisionByZero();
        return checkInt('int8', x / y);
      case '%':
        if (y === 0n) throw divisionByZero();
        return x % y;
    }
  }
  const x = Number(a);
  const y = Number(b);
  switch (op) {
    case '+':
      return checkInt(kind, x + y);
    case '-':
      return checkInt(kind, x - y);
    case '*':
      return checkInt(kind, x * y);
    case '/':
      if (y === 0) throw divisionByZero();
      return checkInt(kind, Math.trunc(x / y));
    case '%':
      if (y === 0) throw divisionByZero();
      return x % y || 0;
  }
}

function checkFloat(result: number, a: number, b: number, zeroAllowed: boolean, single: boolean): number {
  const r = single ? Math.fround(result) : result;
  if (!Number.isFinite(r) && !Number.isNaN(r) && Number.isFinite(a) && Number.isFinite(b)) {
    throw outOfRange('value out of range: overflow');
  }
  if (r === 0 && !zeroAllowed) throw outOfRange('value out of range: underflow');
  return r;
}

function floatOp(op: ArithOp, single: boolean, a: number, b: number): number {
  switch (op) {
    case '+':
      return checkFloat(a + b, a, b, true, single);
    case '-':
      return checkFloat(a - b, a, b, true, single);
    case '*':
      return checkFloat(a * b, a, b, a === 0 || b === 0, single);
    case '/':
      if (b === 0 && !Number.isNaN(a)) throw divisionByZero();
      return checkFloat(a / b, a, b, a === 0 || !Number.isFinite(b), single);
    default:
      throw sqlError('UNDEFINED_FUNCTION', `operator does not exist: double precision ${op} double precision`);
  }
}

function numericOp(op: ArithOp, a: Numeric, b: Numeric): Numeric {
  switch (op) {
    case '+':
      return a.add(b);
    case '-':
      return a.sub(b);
    case '*':
      return a.mul(b);
    case '/':
      return a.div(b);
    case '%':
      return a.mod(b);
  }
}

const TABLE: OperatorImpl[] = [];
function def(
  op: ArithOp,
  left: ScalarKind,
  right: ScalarKind,
  result: SqlType,
  apply: (a: Datum, b: Datum, ctx: TypeContext) => Datum,
): void {
  TABLE.push({ op, left, right, result, apply });
}

const INTS: IntKind[] = ['int2', 'int4', 'int8'];
for (const op of ['+', '-', '*', '/', '%'] as const) {
  for (const l of INTS) {
    for (const r of INTS) {
      const kind = INT_RANK[l] >= INT_RANK[r] ? l : r;
      def(op, l, r, Types[kind], (a, b) => intOp(op, kind, a as number | bigint, b as number | bigint));
    }
  }
  def(op, 'numeric', 'numeric', Types.numeric, (a, b) => numericOp(op, a as Numeric, b as Numeric));
  if (op !== '%') {
    def(op, 'float4', 'float4', Types.float4, (a, b) => floatOp(op, true, a as number, b as number));
    def(op, 'float4', 'float8', Types.float8, (a, b) => floatOp(op, false, a as number, b as number));
    def(op, 'float8', 'float4', Types.float8, (a, b) => floatOp(op, false, a as number, b as number));
    def(op, 'float8', 'float8', Types.float8, (a, b) => floatOp(op, false, a as number, b as number));
  }
}

const negI = (v: Interval) => negateInterval(v);
def('+', 'date', 'int4', Types.date, (a, b) => dateAddDays(a as number, b as number));
def('+', 'int4', 'date', Types.date, (a, b) => dateAddDays(b as number, a as number));
def('-', 'date', 'int4', Types.date, (a, b) => dateAddDays(a as number, -(b as number)));
def('-', 'date', 'date', Types.int4, (a, b) => dateDiff(a as number, b as number));
def('+', 'date', 'interval', Types.timestamp, (a, b) =>
  timestampAddInterval(dateToTimestamp(a as number), b as Interval),
);
def('+', 'interval', 'date', Types.timestamp, (a, b) =>
  timestampAddInterval(dateToTimestamp(b as number), a as Interval),
);
def('-', 'date', 'interval', Types.timestamp, (a, b) =>
  timestampAddInterval(dateToTimestamp(a as number), negI(b as Interval)),
);
def('+', 'timestamp', 'interval', Types.timestamp, (a, b) => timestampAddInterval(a as bigint, b as Interval));
def('+', 'interval', 'timestamp', Types.timestamp, (a, b) => timestampAddInterval(b as bigint, a as Interval));
def('-', 'timestamp', 'interval', Types.timestamp, (a, b) => timestampAddInterval(a as bigint, negI(b as Interval)));
def('-', 'timestamp', 'timestamp', Types.interval, (a, b) => timestampDiff(a as bigint, b as bigint));
def('+', 'timestamptz', 'interval', Types.timestamptz, (a, b, ctx) =>
  timestamptzAddInterval(a as bigint, b as Interval, ctx),
);
def('+', 'interval', 'timestamptz', Types.timestamptz, (a, b, ctx) =>
  timestamptzAddInterval(b as bigint, a as Interval, ctx),
);
def('-', 'timestamptz', 'interval', Types.timestamptz, (a, b, ctx) =>
  timestamptzAddInterval(a as bigint, negI(b as Interval), ctx),
);
def('-', 'timestamptz', 'timestamptz', Types.interval, (a, b) => timestampDiff(a as bigint, b as bigint));
def('+', 'interval', 'interval', Types.interval, (a, b) => addInterval(a as Interval, b as Interval));
def('-', 'interval', 'interval', Types.interval, (a, b) => subInterval(a as Interval, b as Interval));
def('*', 'interval', 'float8', Types.interval, (a, b) => mulInterval(a as Interval, b as number));
def('*', 'float8', 'interval', Types.interval, (a, b) => mulInterval(b as Interval, a as number));
def('/', 'interval', 'float8', Types.interval, (a, b) => divInterval(a as Interval, b as number));

const INDEX = new Map<string, OperatorImpl>(TABLE.map((o) => [`${o.left} ${o.op} ${o.right}`, o]));

/** The built-in operator `left op right` for exactly these operand types, if PostgreSQL has one. */
export function findOperator(op: ArithOp, left: SqlType, right: SqlType): OperatorImpl | undefined {
  if (left.kind === 'array' || right.kind === 'array') return undefined;
  return INDEX.get(`${left.kind} ${op} ${right.kind}`);
}

/** All arithmetic operators (for the planner's candidate lists). */
export function arithmeticOperators(): readonly OperatorImpl[] {
  return TABLE;
}

/**
 * Evaluates `a op b` for operands of exactly the given types; NULL if either is NULL. Fails with
 * `operator does not exist: integer + text` (42883) when PostgreSQL has no such operator.
 */
export function arithmetic(
  op: ArithOp,
  leftType: SqlType,
  a: Datum,
  rightType: SqlType,
  b: Datum,
  ctx: TypeContext,
): Datum {
  const impl = findOperator(op, leftType, rightType);
  if (!impl) {
    throw sqlError('UNDEFINED_FUNCTION', `operator does not exist: ${typeName(leftType)} ${op} ${typeName(rightType)}`);
  }
  if (a === null || b === null) return null;
  return impl.apply(a, b, ctx);
}

/** Unary minus: integers (range-checked: -(-2147483648) is out of range), floats, numeric, interval. */
export function negateValue(type: SqlType, a: Datum): Datum {
  if (a === null) return null;
  switch (type.kind) {
    case 'int2':
    case 'int4':
    case 'int8':
      return checkInt(type.kind, typeof a === 'bigint' ? -a : -(a as number) || 0);
    case 'float4':
    case 'float8':
      return -(a as number);
    case 'numeric':
      return (a as Numeric).neg();
    case 'interval':
      return negateInterval(a as Interval);
    default:
      throw sqlError('UNDEFINED_FUNCTION', `operator does not exist: - ${typeName(type)}`);
  }
}
