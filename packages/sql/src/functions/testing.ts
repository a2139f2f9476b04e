/**
 * A small evaluator of `SELECT <expr>` for tests and tools: parses the statement, binds its
 * first target with the engine's ExprBinder (function calls, nested ones included, go through
 * {@link bindFunctionCall}), evaluates it against one row and formats the result as PostgreSQL's
 * text output. Needs `initParser()` to have completed.
 */
import { type BoundExpr, ExprBinder, ParamTypes, type ScopeColumn } from '../engine/expr.js';
import { parseOne } from '../parser/index.js';
import type { TypeContext } from '../types/datetime.js';
import type { Datum } from '../types/datum.js';
import { formatText } from '../types/text-io.js';
import type { SqlType } from '../types/type.js';
import { bindFunctionCall } from './bind.js';

export interface EvalResult {
  readonly type: SqlType;
  readonly value: Datum;
  /** PostgreSQL's text output, or null for NULL. */
  readonly text: string | null;
  /** The output column name. */
  readonly name: string;
  /** Whether the expression was folded to a constant at bind time. */
  readonly constant: boolean;
}

export interface EvalOptions {
  readonly ctx?: TypeContext;
  readonly columns?: readonly ScopeColumn[];
  readonly row?: readonly Datum[];
}

/** Binds the first target of a SELECT statement. */
export function bindSelectTarget(sql: string, opts: EvalOptions = {}): BoundExpr {
  const stmt = parseOne(sql);
  if (stmt.kind !== 'select' || stmt.body.kind !== 'selectCore') throw new Error(`not a simple SELECT: ${sql}`);
  const target = stmt.body.targets[0];
  if (target === undefined) throw new Error(`no target: ${sql}`);
  const binder = new ExprBinder({ params: new ParamTypes(), ctx: opts.ctx ?? { timeZone: 'UTC' } });
  const scope = { columns: opts.columns ?? [] };
  binder.override = (e) => {
    if (e.kind !== 'funcCall') return undefined;
    const args = e.args.map((a) => binder.bind(a.kind === 'namedArg' ? a.value : a, scope));
    return bindFunctionCall(e, args, binder.b);
  };
  return binder.bind(target.expr, scope);
}

export function evalSelect(sql: string, opts: EvalOptions = {}): EvalResult {
  const ctx = opts.ctx ?? { timeZone: 'UTC' };
  const bound = bindSelectTarget(sql, opts);
  const value = bound.eval(opts.row ?? [], { params: [], ctx });
  return {
    type: bound.type,
    value,
    text: value === null ? null : formatText(bound.type, value, ctx),
    name: bound.name,
    constant: bound.constant !== undefined,
  };
}
