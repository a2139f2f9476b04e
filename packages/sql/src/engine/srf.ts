/**
 * Functions in FROM: the set-returning ones (generate_series, unnest, jsonb_array_elements,
 * jsonb_each, jsonb_object_keys, string_to_table, …) produce a relation of rows; any other
 * function in FROM is a one-row relation of its value, as in PostgreSQL. `WITH ORDINALITY` adds a
 * bigint column `ordinality` numbering the rows from 1. Arguments are evaluated once (no LATERAL).
 */
import type { FuncCall, FunctionRef } from '../parser/ast.js';
import { compare } from '../types/compare.js';
import type { Datum } from '../types/datum.js';
import { type JsonbValue, jsonbToTextValue } from '../types/jsonb.js';
import { Numeric } from '../types/numeric.js';
import { arithmetic } from '../types/operators.js';
import { elemOf, type SqlType, Types, typeName } from '../types/type.js';
import type { StatementContext } from './context.js';
import { sqlError as err } from './errors.js';
import { type BoundExpr, coerce, commonType, type ExprBinder, type Scope } from './expr.js';

/** A function in FROM, bound: its output columns and a generator of its rows. */
export interface BoundTableFunction {
  readonly name: string;
  readonly columns: readonly { name: string; type: SqlType }[];
  rows(args: readonly Datum[], sc: StatementContext): Iterable<Datum[]>;
  readonly args: readonly BoundExpr[];
}

type Srf = (call: FuncCall, args: BoundExpr[], binder: ExprBinder) => BoundTableFunction;

const INTEGER_KINDS = new Set(['int2', 'int4', 'int8']);

function generateSeries(call: FuncCall, args: BoundExpr[], binder: ExprBinder): BoundTableFunction {
  if (args.length < 2 || args.length > 3) throw noSuchFunction(call, args);
  const [a, b, c] = args as [BoundExpr, BoundExpr, BoundExpr | undefined];
  let t = commonType(a.type, b.type, call.location);
  if (t.kind === 'unknown' || t.kind === 'text') t = Types.int4;
  if (t.kind === 'date') t = Types.timestamp; // date + interval → timestamp, as PostgreSQL resolves it
  const isTime = t.kind === 'timestamp' || t.kind === 'timestamptz';
  if (!isTime) {
    if (c) t = commonType(t, c.type, call.location);
    if (t.kind === 'int2') t = Types.int4;
    if (t.kind === 'float4' || t.kind === 'float8') t = Types.numeric;
    if (!INTEGER_KINDS.has(t.kind) && t.kind !== 'numeric') throw noSuchFunction(call, args);
  } else if (!c) throw noSuchFunction(call, args);
  const stepType = isTime ? Types.interval : t;
  const bound = [
    coerce(a, t, 'implicit', binder.b),
    coerce(b, t, 'implicit', binder.b),
    ...(c ? [coerce(c, stepType, 'implicit', binder.b)] : []),
  ];
  return {
    name: 'generate_series',
    columns: [{ name: 'generate_series', type: t }],
    args: bound,
    *rows(values, sc) {
      const [start, stop, step] = [values[0] ?? null, values[1] ?? null, values[2]];
      if (start === null || stop === null || step === null) return;
      if (t.kind === 'int4' || t.kind === 'int8') {
        const s = BigInt((step as number | bigint | undefined) ?? 1);
        if (s === 0n) throw err('INVALID_PARAMETER_VALUE', 'step size cannot equal zero');
        const end = BigInt(stop as number | bigint);
        for (let v = BigInt(start as number | bigint); s > 0n ? v <= end : v >= end; v += s) {
          yield [t.kind === 'int8' ? v : Number(v)];
        }
        return;
      }
      if (t.kind === 'numeric') {
        const s = (step as Numeric | undefined) ?? Numeric.fromInt(1);
        if (s.isZero()) throw err('INVALID_PARAMETER_VALUE', 'step size cannot equal zero');
        const end = stop as Numeric;
        const up = s.sign() > 0;
        for (let v = start as Numeric; up ? v.compare(end) <= 0 : v.compare(end) >= 0; v = v.add(s)) yield [v];
        return;
      }
      // Timestamps: start + n·step until past stop (the direction is the step's sign, as in PostgreSQL).
      if (step === undefined) return;
      const first = arithmetic('+', t, start, Types.interval, step, sc.typeContext);
      const dir = compare(t, first, start);
      if (dir === 0) throw err('INVALID_PARAMETER_VALUE', 'step size cannot equal zero');
      for (let v: Datum = start; dir > 0 ? compare(t, v, stop) <= 0 : compare(t, v, stop) >= 0; ) {
        yield [v];
        v = arithmetic('+', t, v, Types.interval, step, sc.typeContext);
      }
    },
  };
}

function unnest(call: FuncCall, args: BoundExpr[]): BoundTableFunction {
  if (args.length === 0) throw noSuchFunction(call, args);
  const bound = args.map((a) => {
    if (a.type.kind === 'array') return a;
    if (a.type.kind === 'unknown') {
      throw err('INDETERMINATE_DATATYPE', 'could not determine polymorphic type because input has type unknown');
    }
    throw noSuchFunction(call, args);
  });
  const elemTypes = bound.map((a) => elemOf(a.type));
  return {
    name: 'unnest',
    columns: elemTypes.map((type) => ({ name: 'unnest', type })),
    args: bound,
    *rows(values) {
      // Several arrays are unnested side by side, the shorter padded with NULLs.
      const arrays = values.map((v) => (v === null ? [] : (v as readonly Datum[])));
      const n = Math.max(0, ...arrays.map((x) => x.length));
      for (let i = 0; i < n; i++) yield arrays.map((x) => x[i] ?? null);
    },
  };
}

function jsonbArg(call: FuncCall, args: BoundExpr[], binder: ExprBinder): BoundExpr {
  if (args.length !== 1) throw noSuchFunction(call, args);
  const a = args[0] as BoundExpr;
  if (a.type.kind !== 'jsonb' && a.type.kind !== 'json' && a.type.kind !== 'unknown') throw noSuchFunction(call, args);
  return coerce(a, Types.jsonb, 'explicit', binder.b);
}

function jsonbElements(asText: boolean): Srf {
  return (call, args, binder) => {
    const name = call.name[call.name.length - 1] as string;
    return {
      name,
      columns: [{ name: 'value', type: asText ? Types.text : Types.jsonb }],
      args: [jsonbArg(call, args, binder)],
      *rows([v]) {
        const j = v as JsonbValue | null;
        if (j === null) return;
        if (j.type !== 'array') {
          throw err(
            'INVALID_PARAMETER_VALUE',
            j.type === 'object' ? 'cannot extract elements from an object' : 'cannot extract elements from a scalar',
          );
        }
        for (const item of j.items) yield [asText ? jsonbToTextValue(item) : item];
      },
    };
  };
}

function jsonbEach(asText: boolean): Srf {
  return (call, args, binder) => {
    const name = call.name[call.name.length - 1] as string;
    return {
      name,
      columns: [
        { name: 'key', type: Types.text },
        { name: 'value', type: asText ? Types.text : Types.jsonb },
      ],
      args: [jsonbArg(call, args, binder)],
      *rows([v]) {
        const j = v as JsonbValue | null;
        if (j === null) return;
        if (j.type !== 'object') throw err('INVALID_PARAMETER_VALUE', `cannot call ${name} on a non-object`);
        for (const [k, item] of j.entries) yield [k, asText ? jsonbToTextValue(item) : item];
      },
    };
  };
}

const jsonbObjectKeys: Srf = (call, args, binder) => ({
  name: 'jsonb_object_keys',
  columns: [{ name: 'jsonb_object_keys', type: Types.text }],
  args: [jsonbArg(call, args, binder)],
  *rows([v]) {
    const j = v as JsonbValue | null;
    if (j === null) return;
    if (j.type !== 'object') {
      const what = j.type === 'array' ? 'an array' : 'a scalar';
      throw err('INVALID_PARAMETER_VALUE', `cannot call jsonb_object_keys on ${what}`);
    }
    for (const [k] of j.entries) yield [k];
  },
});

const stringToTable: Srf = (call, args, binder) => {
  if (args.length < 2 || args.length > 3) throw noSuchFunction(call, args);
  const bound = args.map((a) => coerce(a, Types.text, 'implicit', binder.b));
  return {
    name: 'string_to_table',
    columns: [{ name: 'string_to_table', type: Types.text }],
    args: bound,
    *rows([text, delim, nullString]) {
      if (text === null) return;
      const s = text as string;
      const parts = delim === null ? [...s] : delim === '' ? [s] : s.split(delim as string);
      if (s === '' && delim !== null) return;
      for (const p of parts) yield [nullString !== undefined && nullString !== null && p === nullString ? null : p];
    },
  };
};

const SRFS: Readonly<Record<string, Srf>> = {
  generate_series: generateSeries,
  unnest,
  jsonb_array_elements: jsonbElements(false),
  jsonb_array_elements_text: jsonbElements(true),
  json_array_elements: jsonbElements(false),
  json_array_elements_text: jsonbElements(true),
  jsonb_each: jsonbEach(false),
  jsonb_each_text: jsonbEach(true),
  json_each: jsonbEach(false),
  json_each_text: jsonbEach(true),
  jsonb_object_keys: jsonbObjectKeys,
  json_object_keys: jsonbObjectKeys,
  string_to_table: stringToTable,
};

/** Whether `name` is a set-returning function. */
export function isSetReturning(name: string): boolean {
  return Object.hasOwn(SRFS, name);
}

function noSuchFunction(call: FuncCall, args: readonly BoundExpr[]): Error {
  return err(
    'UNDEFINED_FUNCTION',
    `function ${call.name.join('.')}(${args.map((a) => (a.type.kind === 'unknown' ? 'unknown' : typeName(a.type))).join(', ')}) does not exist`,
    call.location,
    { hint: 'No function matches the given name and argument types. You might need to add explicit type casts.' },
  );
}

/**
 * Binds a function in FROM. Its arguments see no columns of the FROM clause (no LATERAL) but may
 * name an enclosing query's columns (in a correlated subquery).
 */
export function bindTableFunction(item: FunctionRef, binder: ExprBinder, scope: Scope): BoundTableFunction {
  const call = item.call;
  const name = call.name[call.name.length - 1] as string;
  if (call.name.length > 1 && call.name[0] !== 'pg_catalog') {
    throw err('UNDEFINED_FUNCTION', `function ${call.name.join('.')} does not exist`, call.location);
  }
  const srf = SRFS[name];
  if (srf) {
    if (call.star || call.distinct || call.orderBy.length > 0 || call.filter || call.over) {
      throw err('WRONG_OBJECT_TYPE', `${name} is not an aggregate function`, call.location);
    }
    const args = call.args.map((a) => binder.bind(a.kind === 'namedArg' ? a.value : a, scope));
    return srf(call, args, binder);
  }
  // Any other function: one row holding its value.
  const value = binder.bind(call, scope);
  return {
    name,
    columns: [{ name, type: value.type }],
    args: [value],
    *rows([v]) {
      yield [v ?? null];
    },
  };
}
