import type { SequenceDesc } from '../catalog/descriptors.js';
import { sequenceKey } from '../catalog/keys.js';
import type { Expr, FuncCall } from '../parser/ast.js';
import { templateOf } from '../parser/literal-templates.js';
import type { Datum } from '../types/datum.js';
import { Types } from '../types/type.js';
import type { SequenceSource, StatementContext } from './context.js';
import { sqlError as err } from './errors.js';
import type { BoundExpr } from './expr.js';

/**
 * nextval, currval, setval and lastval. Sequences advance outside the caller's transaction (as in
 * PostgreSQL: a rolled-back nextval is not returned), in small KV transactions of their own —
 * which are asynchronous, while expressions evaluate synchronously. So a statement's sequence
 * calls are found before it runs, and before each row the session's cache is filled with as many
 * values as the row can take; `nextval` then takes one synchronously. setval writes its value when
 * the statement ends.
 */

export const SEQUENCE_FUNCTIONS = new Set(['nextval', 'currval', 'setval', 'lastval']);

/** Per session: values fetched ahead, and what currval/lastval report. */
export class SequenceCache {
  private readonly ahead = new Map<number, bigint[]>();
  private readonly current = new Map<number, bigint>();
  private last: bigint | undefined;
  private readonly pendingSets: { seq: SequenceDesc; value: bigint; isCalled: boolean }[] = [];

  constructor(private readonly source: SequenceSource) {}

  /** Makes sure `n` values of `seq` can be taken without waiting. */
  async ensure(seq: SequenceDesc, n: number): Promise<void> {
    const list = this.ahead.get(seq.id) ?? [];
    this.ahead.set(seq.id, list);
    while (list.length < n) list.push(await this.source.next(seq));
  }

  next(seq: SequenceDesc): bigint {
    const v = this.ahead.get(seq.id)?.shift();
    if (v === undefined) throw err('INTERNAL_ERROR', `no value of sequence "${seq.name}" was fetched ahead`);
    this.current.set(seq.id, v);
    this.last = v;
    return v;
  }

  currval(seq: SequenceDesc): bigint {
    const v = this.current.get(seq.id);
    if (v === undefined) {
      throw err(
        'OBJECT_NOT_IN_PREREQUISITE_STATE',
        `currval of sequence "${seq.name}" is not yet defined in this session`,
      );
    }
    return v;
  }

  lastval(): bigint {
    if (this.last === undefined)
      throw err('OBJECT_NOT_IN_PREREQUISITE_STATE', 'lastval is not yet defined in this session');
    return this.last;
  }

  setval(seq: SequenceDesc, value: bigint, isCalled: boolean): bigint {
    if (value < seq.minValue || value > seq.maxValue) {
      throw err(
        'VALUE_OUT_OF_RANGE',
        `setval: value ${value} is out of bounds for sequence "${seq.name}" (${seq.minValue}..${seq.maxValue})`,
      );
    }
    this.ahead.delete(seq.id); // values fetched before no longer follow
    if (isCalled) {
      this.current.set(seq.id, value);
      this.last = value;
    }
    this.pendingSets.push({ seq, value, isCalled });
    return value;
  }

  /** Whether a setval is waiting to be stored (most statements have none: no need to await flush). */
  get pending(): boolean {
    return this.pendingSets.length > 0;
  }

  /** Writes the statement's setval calls. */
  async flush(sc: StatementContext): Promise<void> {
    const sets = this.pendingSets.splice(0);
    for (const s of sets) {
      // The stored value is the last one handed out; not yet called means one step before.
      const stored = s.isCalled ? s.value : s.value - s.seq.increment;
      await sc.sequences.store(s.seq, stored);
    }
  }
}

const callsByStatement = new WeakMap<object, FuncCall[]>();

/** The nextval/currval/setval/lastval calls in `exprs` (remembered per statement node). */
function sequenceCallsIn(exprs: readonly unknown[]): FuncCall[] {
  const key = exprs.length === 1 && typeof exprs[0] === 'object' && exprs[0] !== null ? exprs[0] : undefined;
  const known = key ? callsByStatement.get(key) : undefined;
  if (known) return known;
  // A statement built from a literal template calls what the template calls: none, mostly.
  const template = key ? templateOf(key) : undefined;
  if (template && sequenceCallsIn([template]).length === 0) return [];
  const calls: FuncCall[] = [];
  const visit = (v: unknown): void => {
    if (v === null || typeof v !== 'object') return;
    if (Array.isArray(v)) {
      for (const x of v) visit(x);
      return;
    }
    const node = v as { kind?: string; name?: readonly string[] };
    if (node.kind === 'funcCall' && node.name && SEQUENCE_FUNCTIONS.has(node.name[node.name.length - 1] as string)) {
      calls.push(node as FuncCall);
    }
    for (const x of Object.values(node)) visit(x);
  };
  for (const e of exprs) visit(e);
  if (key) callsByStatement.set(key, calls);
  return calls;
}

/** The sequence calls of a statement, resolved to their sequences (the name must be a constant). */
export function resolveSequenceCalls(
  sc: StatementContext,
  exprs: readonly unknown[],
): Map<object, SequenceDesc> | Promise<Map<object, SequenceDesc>> {
  const calls = sequenceCallsIn(exprs);
  // Most statements call no sequence: answer without a trip through the microtask queue.
  if (calls.length === 0) return new Map();
  return resolveCalls(sc, calls);
}

async function resolveCalls(sc: StatementContext, calls: readonly FuncCall[]): Promise<Map<object, SequenceDesc>> {
  const out = new Map<object, SequenceDesc>();
  for (const call of calls) {
    const fn = call.name[call.name.length - 1] as string;
    if (fn === 'lastval') continue;
    const arg = unwrapName(call.args[0]);
    if (arg === undefined) {
      throw err('FEATURE_NOT_SUPPORTED', `${fn}() needs the sequence name as a literal`, call.location);
    }
    const parts = arg.split('.').map((p) => p.replace(/^"(.*)"$/, '$1'));
    const r = await sc.catalog.resolveRelation(sc.database, sc.searchPath, parts);
    if (!r) throw err('UNDEFINED_TABLE', `relation "${arg}" does not exist`, call.location);
    if (r.kind !== 'sequence') throw err('WRONG_OBJECT_TYPE', `"${r.name}" is not a sequence`, call.location);
    out.set(call, r);
  }
  return out;
}

function unwrapName(e: Expr | undefined): string | undefined {
  if (!e) return undefined;
  if (e.kind === 'string') return e.value;
  if (e.kind === 'cast') return unwrapName(e.expr);
  return undefined;
}

/** How many nextval calls of each sequence one row can make. */
export function nextvalSites(calls: ReadonlyMap<object, SequenceDesc>): Map<SequenceDesc, number> {
  const out = new Map<SequenceDesc, number>();
  for (const [node, seq] of calls) {
    const name = (node as FuncCall).name;
    if (name[name.length - 1] === 'nextval') out.set(seq, (out.get(seq) ?? 0) + 1);
  }
  return out;
}

/** A sequence function call, bound: it reads and writes the session's cache. */
export function bindSequenceCall(call: FuncCall, seq: SequenceDesc | undefined, args: readonly BoundExpr[]): BoundExpr {
  const fn = call.name[call.name.length - 1] as string;
  const cacheOf = (env: { sequences?: SequenceCache }) => {
    if (!env.sequences) throw err('INTERNAL_ERROR', 'no sequence cache in this context', call.location);
    return env.sequences;
  };
  const s = seq as SequenceDesc;
  switch (fn) {
    case 'nextval':
      return { type: Types.int8, name: 'nextval', eval: (_row, env) => cacheOf(env).next(s) };
    case 'currval':
      return { type: Types.int8, name: 'currval', eval: (_row, env) => cacheOf(env).currval(s) };
    case 'lastval':
      return { type: Types.int8, name: 'lastval', eval: (_row, env) => cacheOf(env).lastval() };
    default: {
      const value = args[1];
      const called = args[2];
      if (!value) throw err('UNDEFINED_FUNCTION', 'function setval(unknown) does not exist', call.location);
      return {
        type: Types.int8,
        name: 'setval',
        eval: (row, env) => {
          const v = value.eval(row, env);
          if (v === null) return null;
          const isCalled: Datum = called ? called.eval(row, env) : true;
          return cacheOf(env).setval(s, BigInt(v as number | bigint), isCalled !== false);
        },
      };
    }
  }
}

export { sequenceKey };
