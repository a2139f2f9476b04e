// Expected values checked against PostgreSQL 15.20 (Debian 15.20-0+deb12u1): output column names
// are psql's headers for `SELECT <call>`; volatility and strictness are pg_proc.provolatile and
// pg_proc.proisstrict. The rest exercises ThinkLite's API: constant folding, the transaction
// time from the TypeContext, session fields, parameters, and the registry's shape.
import { isThinkLiteError } from '@thinklite/base';
import { beforeAll, describe, expect, it } from 'vitest';
import { type BoundExpr, ExprBinder, ParamTypes } from '../src/engine/expr.js';
import { bindFunctionCall, bindSqlValueFunction, lookupFunction } from '../src/functions/index.js';
import { bindSelectTarget, evalSelect } from '../src/functions/testing.js';
import { initParser, parseOne } from '../src/parser/index.js';
import { formatText, parseTimestamptz, type SqlType, Types, typeName } from '../src/types/index.js';

beforeAll(async () => {
  await initParser();
});

const UTC = { timeZone: 'UTC' };
const NOW = parseTimestamptz('2024-02-29 12:34:56.789+00', UTC);

describe('output column names', () => {
  it.each([
    ["lower('ABC')", 'lower'],
    ["pg_catalog.upper('a')", 'upper'],
    ["trim(both 'x' from 'xax')", 'btrim'],
    ["trim(leading 'x' from 'xax')", 'ltrim'],
    ["extract(year from date '2020-01-01')", 'extract'],
    ["position('a' in 'bab')", 'position'],
    ["substring('abc' from 2 for 1)", 'substring'],
    ["overlay('abc' placing 'x' from 2)", 'overlay'],
    ["timestamp '2020-01-01' at time zone 'UTC'", 'timezone'],
    ["int4('12')", 'int4'],
    ['now()', 'now'],
  ])('%s is named %s', (expr, name) => {
    expect(bindSelectTarget(`SELECT ${expr}`).name).toBe(name);
  });
});

describe('constant folding and volatility', () => {
  it('folds immutable functions of constants', () => {
    const r = evalSelect("SELECT upper(lower('AbC'))");
    expect(r.constant).toBe(true);
    expect(r.text).toBe('ABC');
  });
  it('does not fold stable or volatile functions', () => {
    expect(evalSelect('SELECT now()', { ctx: { ...UTC, now: NOW } }).constant).toBe(false);
    expect(evalSelect('SELECT random()').constant).toBe(false);
    expect(evalSelect("SELECT to_char(timestamptz '2020-01-01 00:00+00', 'TZ')").constant).toBe(false);
    expect(evalSelect("SELECT concat('a', 1)").constant).toBe(false);
  });
  it('does not fold calls on columns', () => {
    const cols = [{ name: 'x', type: Types.text }];
    const r = evalSelect('SELECT lower(x)', { columns: cols, row: ['AB'] });
    expect(r.constant).toBe(false);
    expect(r.text).toBe('ab');
    expect(r.name).toBe('lower');
  });
  it('raises errors of folded calls at bind time', () => {
    expect(() => bindSelectTarget('SELECT ln(0)')).toThrow('cannot take logarithm of zero');
  });
  it('registers volatility and strictness as pg_proc does', () => {
    const sig = (name: string) => lookupFunction(name)?.signatures[0];
    expect(sig('lower')).toMatchObject({ volatility: 'immutable', strict: true });
    expect(sig('now')).toMatchObject({ volatility: 'stable', strict: true });
    expect(sig('random')).toMatchObject({ volatility: 'volatile' });
    expect(sig('clock_timestamp')).toMatchObject({ volatility: 'volatile' });
    expect(sig('gen_random_uuid')).toMatchObject({ volatility: 'volatile' });
    expect(sig('concat')).toMatchObject({ volatility: 'stable', strict: false });
    expect(sig('concat_ws')).toMatchObject({ strict: false });
    expect(lookupFunction('count')).toBeUndefined();
  });
});

describe('current time', () => {
  const ctx = { ...UTC, now: NOW };
  it.each([
    ['now()', '2024-02-29 12:34:56.789+00'],
    ['transaction_timestamp()', '2024-02-29 12:34:56.789+00'],
    ['statement_timestamp()', '2024-02-29 12:34:56.789+00'],
    ["date_trunc('day', now())", '2024-02-29 00:00:00+00'],
    ["age(timestamp '2000-02-29')", '24 years'],
    ['extract(year from now())', '2024'],
  ])('%s = %s', (expr, expected) => {
    expect(evalSelect(`SELECT ${expr}`, { ctx }).text).toBe(expected);
  });
  it('statement_timestamp() reads the statement time when the session provides it', () => {
    const r = evalSelect('SELECT statement_timestamp()', { ctx: { ...ctx, statementNow: NOW + 5_000_000n } as never });
    expect(r.text).toBe('2024-02-29 12:35:01.789+00');
  });
  it('falls back to the wall clock without a transaction time', () => {
    const before = BigInt(Date.now()) * 1000n - 946684800000000n;
    const v = evalSelect('SELECT now()').value as bigint;
    const after = BigInt(Date.now()) * 1000n - 946684800000000n;
    expect(v >= before && v <= after).toBe(true);
    const c = evalSelect('SELECT clock_timestamp()').value as bigint;
    expect(c >= before).toBe(true);
  });
  it('random() and gen_random_uuid()', () => {
    const x = evalSelect('SELECT random()').value as number;
    expect(x >= 0 && x < 1).toBe(true);
    expect(evalSelect('SELECT gen_random_uuid()').text).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
  });
});

describe('NULL handling and column types', () => {
  const cols = [
    { name: 's', type: Types.text },
    { name: 'n', type: Types.int2 },
    { name: 'v', type: { kind: 'varchar', length: 10 } as SqlType },
  ];
  const run = (expr: string, row: unknown[]) => evalSelect(`SELECT ${expr}`, { columns: cols, row: row as never });
  it('strict functions return NULL for a NULL column', () => {
    expect(run('lower(s)', [null, 1, 'x']).value).toBeNull();
    expect(run('substr(s, n)', ['abc', null, 'x']).value).toBeNull();
  });
  it('non-strict functions see the NULL', () => {
    expect(run("concat(s, '-', n)", [null, 3, 'x']).text).toBe('-3');
    expect(run("concat_ws('/', s, v)", [null, 3, 'x']).text).toBe('x');
  });
  it('keeps the argument type for polymorphic and exact matches', () => {
    const r = run('abs(n)', ['a', -3, 'x']);
    expect(typeName(r.type)).toBe('smallint');
    expect(r.value).toBe(3);
    expect(run('length(v)', ['a', 1, 'héllo']).value).toBe(5);
  });
});

describe('parameters', () => {
  function bindWithParams(sql: string): { bound: BoundExpr; params: ParamTypes } {
    const stmt = parseOne(sql);
    if (stmt.kind !== 'select' || stmt.body.kind !== 'selectCore') throw new Error('not a select');
    const params = new ParamTypes();
    const binder = new ExprBinder({ params, ctx: UTC });
    binder.override = (e) =>
      e.kind === 'funcCall'
        ? bindFunctionCall(
            e,
            e.args.map((a) => binder.bind(a, { columns: [] })),
            binder.b,
          )
        : undefined;
    const target = stmt.body.targets[0];
    if (!target) throw new Error('no target');
    return { bound: binder.bind(target.expr, { columns: [] }), params };
  }
  it('infers an untyped parameter from the chosen signature', () => {
    const { bound, params } = bindWithParams('SELECT lower($1)');
    expect(params.get(1)).toEqual(Types.text);
    expect(bound.eval([], { params: ['ABC'], ctx: UTC })).toBe('abc');
  });
  it('infers numeric parameters', () => {
    const { bound, params } = bindWithParams('SELECT substr($1, $2)');
    expect(params.get(1)).toEqual(Types.text);
    expect(params.get(2)).toEqual(Types.int4);
    expect(bound.eval([], { params: ['alphabet', '3'], ctx: UTC })).toBe('phabet');
  });
});

describe('session information', () => {
  const ctx = { timeZone: 'UTC', now: NOW, database: 'shop', user: 'alice', schema: 'app' };
  it('reads the optional session fields of the TypeContext', () => {
    expect(evalSelect('SELECT current_database()', { ctx }).text).toBe('shop');
    expect(evalSelect('SELECT current_schema()', { ctx }).text).toBe('app');
    expect(evalSelect('SELECT version()').text).toBe('PostgreSQL 15.0 (ThinkLite)');
  });
  it('defaults to a fresh cluster', () => {
    expect(evalSelect('SELECT current_database()').text).toBe('postgres');
    expect(evalSelect('SELECT current_schema()').text).toBe('public');
  });
  it('binds SQL value functions', () => {
    const b = { params: new ParamTypes(), ctx };
    const sqlValue = (sql: string) => {
      const stmt = parseOne(sql);
      if (stmt.kind !== 'select' || stmt.body.kind !== 'selectCore') throw new Error('not a select');
      const e = stmt.body.targets[0]?.expr;
      if (e?.kind !== 'sqlValueFunction') throw new Error('not a SQL value function');
      const bound = bindSqlValueFunction(e, b);
      const v = bound.eval([], { params: [], ctx });
      return [bound.name, v === null ? null : formatText(bound.type, v, ctx)];
    };
    expect(sqlValue('SELECT current_user')).toEqual(['current_user', 'alice']);
    expect(sqlValue('SELECT session_user')).toEqual(['session_user', 'alice']);
    expect(sqlValue('SELECT current_catalog')).toEqual(['current_catalog', 'shop']);
    expect(sqlValue('SELECT current_schema')).toEqual(['current_schema', 'app']);
    expect(sqlValue('SELECT current_date')).toEqual(['current_date', '2024-02-29']);
    expect(sqlValue('SELECT current_timestamp')).toEqual(['current_timestamp', '2024-02-29 12:34:56.789+00']);
    expect(sqlValue('SELECT current_timestamp(1)')).toEqual(['current_timestamp', '2024-02-29 12:34:56.8+00']);
    expect(sqlValue('SELECT localtimestamp(0)')).toEqual(['localtimestamp', '2024-02-29 12:34:57']);
  });
});

describe('errors', () => {
  function error(sql: string): { sqlstate: string; message: string; details: Record<string, unknown> } {
    try {
      bindSelectTarget(sql);
    } catch (e) {
      if (isThinkLiteError(e)) return { sqlstate: e.sqlstate, message: e.message, details: { ...e.details } };
      throw e;
    }
    throw new Error(`no error: ${sql}`);
  }
  it('carries the location and hint of an undefined function', () => {
    expect(error('SELECT  lower(1)')).toEqual({
      sqlstate: '42883',
      message: 'function lower(integer) does not exist',
      details: {
        location: 8,
        hint: 'No function matches the given name and argument types. You might need to add explicit type casts.',
      },
    });
  });
  it('carries the hint of an ambiguous call', () => {
    expect(error("SELECT date_part('year', '2020-01-01')").details.hint).toBe(
      'Could not choose a best candidate function. You might need to add explicit type casts.',
    );
  });
  it('refuses aggregates (the engine binds them)', () => {
    expect(error('SELECT count(1)').sqlstate).toBe('42803');
  });
});
