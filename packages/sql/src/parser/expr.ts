/**
 * Maps libpg-query expression nodes into ThinkLite's {@link Expr} union, plus the parts shared by
 * queries and DDL: type names, sort items and window specifications.
 */
import type {
  A_Const,
  A_Expr,
  Node,
  FuncCall as PgFuncCall,
  SubLink as PgSubLink,
  TypeName as PgTypeName,
  SortBy,
  WindowDef,
} from 'libpg-query';
import type {
  Expr,
  FrameBound,
  FuncCall,
  IntegerLiteral,
  NumericLiteral,
  SelectStmt,
  SortItem,
  SqlValueFunction,
  TypeName,
  WindowFrame,
  WindowSpec,
} from './ast.js';
import { internalError } from './errors.js';
import { type Ctx, featureName, get, strs, unwrap } from './pg.js';
import { selectStmt } from './query.js';

const INT4_MIN = -(2n ** 31n);
const INT4_MAX = 2n ** 31n - 1n;
const INT8_MIN = -(2n ** 63n);
const INT8_MAX = 2n ** 63n - 1n;

/** Maps a required expression. */
export function expr(c: Ctx, n: Node | undefined): Expr {
  if (n === undefined) throw internalError('expected an expression');
  const u = unwrap(n);
  const tag = u?.tag;
  if (u === undefined) throw c.unsupported(featureName(undefined));
  switch (u.tag) {
    case 'A_Const':
      return constant(c, u.v);
    case 'ColumnRef': {
      const v = u.v;
      const fields = v.fields ?? [];
      const last = fields[fields.length - 1];
      if (last !== undefined && get(last, 'A_Star') !== undefined) {
        return { kind: 'star', qualifier: strs(fields.slice(0, -1)), location: c.loc(v.location) };
      }
      return { kind: 'columnRef', names: strs(fields), location: c.loc(v.location) };
    }
    case 'ParamRef':
      return { kind: 'param', number: u.v.number ?? 0, location: c.loc(u.v.location) };
    case 'A_Expr':
      return aExpr(c, u.v);
    case 'BoolExpr': {
      const v = u.v;
      const args = v.args ?? [];
      const location = c.loc(v.location);
      if (v.boolop === 'NOT_EXPR') {
        // NOT IN (subquery) arrives as NOT(x = ANY(subquery)); fold it back.
        const only = args[0];
        const sub = get(only, 'SubLink');
        if (sub !== undefined && sub.subLinkType === 'ANY_SUBLINK' && sub.operName === undefined) {
          return { kind: 'inSubquery', negated: true, expr: expr(c, sub.testexpr), query: subquery(c, sub), location };
        }
        return { kind: 'not', arg: expr(c, only), location };
      }
      return { kind: v.boolop === 'OR_EXPR' ? 'or' : 'and', args: args.map((a) => expr(c, a)), location };
    }
    case 'NullTest': {
      const v = u.v;
      return {
        kind: 'isNull',
        negated: v.nulltesttype === 'IS_NOT_NULL',
        expr: expr(c, v.arg),
        location: c.loc(v.location),
      };
    }
    case 'BooleanTest': {
      const v = u.v;
      const t = v.booltesttype ?? 'IS_TRUE';
      const negated = t.startsWith('IS_NOT_');
      const test = t.endsWith('TRUE') ? 'true' : t.endsWith('FALSE') ? 'false' : 'unknown';
      return { kind: 'isBool', test, negated, expr: expr(c, v.arg), location: c.loc(v.location) };
    }
    case 'FuncCall':
      return funcCall(c, u.v);
    case 'NamedArgExpr': {
      const v = u.v;
      return { kind: 'namedArg', name: v.name ?? '', value: expr(c, v.arg), location: c.loc(v.location) };
    }
    case 'TypeCast': {
      const v = u.v;
      const type = typeName(c, v.typeName);
      const lit = get(v.arg, 'A_Const');
      // `date '2024-01-01'` is a cast of a string constant with no location of its own.
      if (v.location === -1 && lit?.sval !== undefined) {
        return { kind: 'typedLiteral', type, value: lit.sval.sval ?? '', location: type.location };
      }
      return { kind: 'cast', expr: expr(c, v.arg), type, location: c.loc(v.location) };
    }
    case 'SubLink':
      return subLink(c, u.v);
    case 'CaseExpr': {
      const v = u.v;
      return {
        kind: 'case',
        operand: optExpr(c, v.arg),
        whens: (v.args ?? []).map((w) => {
          const cw = get(w, 'CaseWhen');
          if (cw === undefined) throw internalError('expected CaseWhen');
          return {
            kind: 'caseWhen',
            condition: expr(c, cw.expr),
            result: expr(c, cw.result),
            location: c.loc(cw.location),
          };
        }),
        else: optExpr(c, v.defresult),
        location: c.loc(v.location),
      };
    }
    case 'CoalesceExpr':
      return { kind: 'coalesce', args: exprs(c, u.v.args), location: c.loc(u.v.location) };
    case 'MinMaxExpr': {
      const v = u.v;
      return {
        kind: 'minMax',
        op: v.op === 'IS_LEAST' ? 'least' : 'greatest',
        args: exprs(c, v.args),
        location: c.loc(v.location),
      };
    }
    case 'SQLValueFunction':
      return sqlValueFunction(c, u.v);
    case 'A_ArrayExpr':
      return { kind: 'array', elements: exprs(c, u.v.elements), location: c.loc(u.v.location) };
    case 'A_Indirection': {
      const v = u.v;
      let e = expr(c, v.arg);
      const location = e.location;
      for (const step of v.indirection ?? []) {
        const idx = get(step, 'A_Indices');
        if (idx !== undefined) {
          e = idx.is_slice
            ? { kind: 'slice', expr: e, lower: optExpr(c, idx.lidx), upper: optExpr(c, idx.uidx), location }
            : { kind: 'subscript', expr: e, index: expr(c, idx.uidx), location };
          continue;
        }
        const field = get(step, 'String');
        if (field !== undefined) {
          e = { kind: 'fieldAccess', expr: e, field: field.sval ?? '', location };
          continue;
        }
        throw c.unsupported('(expression).*');
      }
      return e;
    }
    case 'RowExpr': {
      const v = u.v;
      return {
        kind: 'row',
        args: exprs(c, v.args),
        explicit: v.row_format === 'COERCE_EXPLICIT_CALL',
        location: c.loc(v.location),
      };
    }
    case 'CollateClause': {
      const v = u.v;
      return { kind: 'collate', expr: expr(c, v.arg), collation: strs(v.collname), location: c.loc(v.location) };
    }
    case 'SetToDefault':
      return { kind: 'default', location: c.loc(u.v.location) };
    default:
      throw c.unsupported(featureName(tag), nodeLocation(n));
  }
}

/** Maps an optional expression. */
export function optExpr(c: Ctx, n: Node | undefined): Expr | undefined {
  return n === undefined ? undefined : expr(c, n);
}

/** Maps a list of expressions (an omitted list is empty). */
export function exprs(c: Ctx, list: readonly Node[] | undefined): Expr[] {
  return (list ?? []).map((n) => expr(c, n));
}

/** The byte location of a node, if it has one. */
export function nodeLocation(n: Node): number | undefined {
  for (const k in n) {
    const v = (n as Record<string, unknown>)[k];
    if (typeof v === 'object' && v !== null && 'location' in v && typeof v.location === 'number') return v.location;
  }
  return undefined;
}

function constant(c: Ctx, v: A_Const): Expr {
  const location = c.loc(v.location);
  if (v.isnull) return { kind: 'null', location };
  if (v.ival !== undefined) {
    const value = v.ival.ival ?? 0;
    return { kind: 'integer', type: 'int4', value, text: String(value), location };
  }
  if (v.fval !== undefined) return numberLiteral(v.fval.fval ?? '0', location);
  if (v.sval !== undefined) return { kind: 'string', value: v.sval.sval ?? '', type: 'unknown', location };
  if (v.boolval !== undefined) return { kind: 'boolean', value: v.boolval.boolval ?? false, location };
  if (v.bsval !== undefined) {
    const s = v.bsval.bsval ?? 'b';
    return { kind: 'bitString', radix: s.startsWith('x') ? 'hex' : 'binary', digits: s.slice(1), location };
  }
  throw internalError('A_Const without a value');
}

/**
 * A literal PostgreSQL's lexer did not make an int4: an integer beyond int4 (typed int8 if it fits,
 * as PostgreSQL's make_const does), or a decimal / exponent / oversize literal (numeric).
 */
function numberLiteral(text: string, location: number): IntegerLiteral | NumericLiteral {
  if (/^-?\d+$/.test(text)) {
    const value = BigInt(text);
    if (value >= INT4_MIN && value <= INT4_MAX)
      return { kind: 'integer', type: 'int4', value: Number(value), text, location };
    if (value >= INT8_MIN && value <= INT8_MAX) return { kind: 'integer', type: 'int8', value, text, location };
  }
  return { kind: 'numeric', text, location };
}

function opName(c: Ctx, name: readonly Node[] | undefined): { op: string; opSchema?: string } {
  const parts = strs(name);
  const op = parts[parts.length - 1] ?? '';
  if (parts.length > 2) throw c.unsupported('operator names with a database qualifier');
  return parts.length === 2 ? { op, opSchema: parts[0] } : { op };
}

function listItems(n: Node | undefined): readonly Node[] {
  const l = get(n, 'List');
  if (l === undefined) throw internalError('expected a List');
  return l.items ?? [];
}

function aExpr(c: Ctx, v: A_Expr): Expr {
  const location = c.loc(v.location);
  const { op, opSchema } = opName(c, v.name);
  const kind = v.kind ?? 'AEXPR_OP';
  switch (kind) {
    case 'AEXPR_OP':
      if (v.lexpr === undefined) return { kind: 'unaryOp', op, opSchema, operand: expr(c, v.rexpr), location };
      if (v.rexpr === undefined) throw c.unsupported('postfix operators', v.location);
      return { kind: 'binaryOp', op, opSchema, left: expr(c, v.lexpr), right: expr(c, v.rexpr), location };
    case 'AEXPR_OP_ANY':
    case 'AEXPR_OP_ALL':
      return {
        kind: 'quantified',
        op,
        quantifier: v.kind === 'AEXPR_OP_ANY' ? 'any' : 'all',
        left: expr(c, v.lexpr),
        right: expr(c, v.rexpr),
        location,
      };
    case 'AEXPR_DISTINCT':
    case 'AEXPR_NOT_DISTINCT':
      return {
        kind: 'isDistinctFrom',
        negated: v.kind === 'AEXPR_NOT_DISTINCT',
        left: expr(c, v.lexpr),
        right: expr(c, v.rexpr),
        location,
      };
    case 'AEXPR_NULLIF':
      return { kind: 'nullif', left: expr(c, v.lexpr), right: expr(c, v.rexpr), location };
    case 'AEXPR_IN':
      return {
        kind: 'inList',
        negated: op === '<>',
        expr: expr(c, v.lexpr),
        list: exprs(c, listItems(v.rexpr)),
        location,
      };
    case 'AEXPR_LIKE':
    case 'AEXPR_ILIKE':
    case 'AEXPR_SIMILAR': {
      const mode = v.kind === 'AEXPR_LIKE' ? 'like' : v.kind === 'AEXPR_ILIKE' ? 'ilike' : 'similar';
      // PostgreSQL wraps the pattern: LIKE p ESCAPE e → like_escape(p, e); SIMILAR TO p → similar_to_escape(p [, e]).
      const wrapper = get(v.rexpr, 'FuncCall');
      const wrapperName = strs(wrapper?.funcname).join('.');
      const wrapped =
        wrapper !== undefined &&
        (mode === 'similar'
          ? wrapperName === 'pg_catalog.similar_to_escape'
          : wrapperName === 'pg_catalog.like_escape');
      const [pattern, esc] = wrapped ? (wrapper.args ?? []) : [v.rexpr, undefined];
      return {
        kind: 'like',
        mode,
        negated: op.startsWith('!'),
        expr: expr(c, v.lexpr),
        pattern: expr(c, pattern),
        escape: optExpr(c, esc),
        location,
      };
    }
    case 'AEXPR_BETWEEN':
    case 'AEXPR_NOT_BETWEEN':
    case 'AEXPR_BETWEEN_SYM':
    case 'AEXPR_NOT_BETWEEN_SYM': {
      const [low, high] = listItems(v.rexpr);
      return {
        kind: 'between',
        negated: kind.startsWith('AEXPR_NOT_'),
        symmetric: kind.endsWith('_SYM'),
        expr: expr(c, v.lexpr),
        low: expr(c, low),
        high: expr(c, high),
        location,
      };
    }
  }
}

function subquery(c: Ctx, v: PgSubLink): SelectStmt {
  const s = get(v.subselect, 'SelectStmt');
  if (s === undefined) throw internalError('expected a SelectStmt in a SubLink');
  return selectStmt(c, s, v.location);
}

function subLink(c: Ctx, v: PgSubLink): Expr {
  const location = c.loc(v.location);
  switch (v.subLinkType ?? 'EXISTS_SUBLINK') {
    case 'EXISTS_SUBLINK':
      return { kind: 'exists', query: subquery(c, v), location };
    case 'EXPR_SUBLINK':
      return { kind: 'subquery', query: subquery(c, v), location };
    case 'ARRAY_SUBLINK':
      return { kind: 'arraySubquery', query: subquery(c, v), location };
    case 'ANY_SUBLINK':
    case 'ALL_SUBLINK': {
      const quantifier = v.subLinkType === 'ANY_SUBLINK' ? 'any' : 'all';
      if (v.operName === undefined) {
        // `x IN (SELECT ...)` has no operator; ALL always has one.
        return { kind: 'inSubquery', negated: false, expr: expr(c, v.testexpr), query: subquery(c, v), location };
      }
      const { op } = opName(c, v.operName);
      return { kind: 'quantifiedSubquery', op, quantifier, left: expr(c, v.testexpr), query: subquery(c, v), location };
    }
    case 'ROWCOMPARE_SUBLINK':
      throw c.unsupported('row comparison with a subquery', v.location);
    default:
      throw c.unsupported(`subquery of type ${v.subLinkType}`, v.location);
  }
}

const SVF: Record<string, SqlValueFunction['fn']> = {
  SVFOP_CURRENT_DATE: 'current_date',
  SVFOP_CURRENT_TIME: 'current_time',
  SVFOP_CURRENT_TIME_N: 'current_time',
  SVFOP_CURRENT_TIMESTAMP: 'current_timestamp',
  SVFOP_CURRENT_TIMESTAMP_N: 'current_timestamp',
  SVFOP_LOCALTIME: 'localtime',
  SVFOP_LOCALTIME_N: 'localtime',
  SVFOP_LOCALTIMESTAMP: 'localtimestamp',
  SVFOP_LOCALTIMESTAMP_N: 'localtimestamp',
  SVFOP_CURRENT_ROLE: 'current_role',
  SVFOP_CURRENT_USER: 'current_user',
  SVFOP_USER: 'user',
  SVFOP_SESSION_USER: 'session_user',
  SVFOP_CURRENT_CATALOG: 'current_catalog',
  SVFOP_CURRENT_SCHEMA: 'current_schema',
};

function sqlValueFunction(c: Ctx, v: { op?: string; typmod?: number; location?: number }): SqlValueFunction {
  const op = v.op ?? 'SVFOP_CURRENT_DATE';
  const fn = SVF[op];
  if (fn === undefined) throw c.unsupported(op, v.location);
  const location = c.loc(v.location);
  return op.endsWith('_N')
    ? { kind: 'sqlValueFunction', fn, precision: v.typmod ?? 0, location }
    : { kind: 'sqlValueFunction', fn, location };
}

/** Maps a function call node. */
export function funcCall(c: Ctx, v: PgFuncCall): FuncCall {
  return {
    kind: 'funcCall',
    name: strs(v.funcname),
    args: exprs(c, v.args),
    star: v.agg_star ?? false,
    distinct: v.agg_distinct ?? false,
    orderBy: sortItems(c, v.agg_order),
    withinGroup: v.agg_within_group ?? false,
    filter: optExpr(c, v.agg_filter),
    over: v.over === undefined ? undefined : windowSpec(c, v.over, true),
    variadic: v.func_variadic ?? false,
    sqlSyntax: v.funcformat === 'COERCE_SQL_SYNTAX',
    location: c.loc(v.location),
  };
}

/** Maps a TypeName (not wrapped). */
export function typeName(c: Ctx, t: PgTypeName | undefined): TypeName {
  if (t === undefined) throw internalError('expected a TypeName');
  if (t.setof) throw c.unsupported('SETOF', t.location);
  if (t.pct_type) throw c.unsupported('%TYPE', t.location);
  const typmods = (t.typmods ?? []).map((m) => {
    const k = get(m, 'A_Const');
    if (k?.ival === undefined) throw c.unsupported('non-integer type modifiers', t.location);
    return k.ival.ival ?? 0;
  });
  const arrayBounds = (t.arrayBounds ?? []).map((b) => get(b, 'Integer')?.ival ?? 0);
  return { kind: 'typeName', names: strs(t.names), typmods, arrayBounds, location: c.loc(t.location) };
}

/** Maps an ORDER BY list. */
export function sortItems(c: Ctx, list: readonly Node[] | undefined): SortItem[] {
  return (list ?? []).map((n) => {
    const s = get(n, 'SortBy');
    if (s === undefined) throw internalError('expected SortBy');
    return sortItem(c, s);
  });
}

function sortItem(c: Ctx, s: SortBy): SortItem {
  if (s.sortby_dir === 'SORTBY_USING') throw c.unsupported('ORDER BY ... USING', s.location);
  const e = expr(c, s.node);
  return {
    kind: 'sortItem',
    expr: e,
    direction: s.sortby_dir === 'SORTBY_ASC' ? 'asc' : s.sortby_dir === 'SORTBY_DESC' ? 'desc' : 'default',
    nulls:
      s.sortby_nulls === 'SORTBY_NULLS_FIRST' ? 'first' : s.sortby_nulls === 'SORTBY_NULLS_LAST' ? 'last' : 'default',
    location: s.location === undefined || s.location < 0 ? e.location : c.loc(s.location),
  };
}

// PostgreSQL's FRAMEOPTION_* bits (nodes/parsenodes.h).
const FO = {
  NONDEFAULT: 0x1,
  RANGE: 0x2,
  ROWS: 0x4,
  GROUPS: 0x8,
  START_UNBOUNDED_PRECEDING: 0x20,
  END_UNBOUNDED_PRECEDING: 0x40,
  START_UNBOUNDED_FOLLOWING: 0x80,
  END_UNBOUNDED_FOLLOWING: 0x100,
  START_CURRENT_ROW: 0x200,
  END_CURRENT_ROW: 0x400,
  START_OFFSET_PRECEDING: 0x800,
  END_OFFSET_PRECEDING: 0x1000,
  START_OFFSET_FOLLOWING: 0x2000,
  END_OFFSET_FOLLOWING: 0x4000,
  EXCLUDE_CURRENT_ROW: 0x8000,
  EXCLUDE_GROUP: 0x10000,
  EXCLUDE_TIES: 0x20000,
} as const;

function frameBound(
  c: Ctx,
  opts: number,
  offset: Node | undefined,
  bits: { up: number; uf: number; cr: number; op: number; of: number },
): FrameBound {
  if (opts & bits.up) return { kind: 'unboundedPreceding' };
  if (opts & bits.uf) return { kind: 'unboundedFollowing' };
  if (opts & bits.op) return { kind: 'preceding', offset: expr(c, offset) };
  if (opts & bits.of) return { kind: 'following', offset: expr(c, offset) };
  return { kind: 'currentRow' };
}

function windowFrame(c: Ctx, w: WindowDef): WindowFrame | undefined {
  const o = w.frameOptions ?? 0;
  if (!(o & FO.NONDEFAULT)) return undefined;
  return {
    mode: o & FO.ROWS ? 'rows' : o & FO.GROUPS ? 'groups' : 'range',
    start: frameBound(c, o, w.startOffset, {
      up: FO.START_UNBOUNDED_PRECEDING,
      uf: FO.START_UNBOUNDED_FOLLOWING,
      cr: FO.START_CURRENT_ROW,
      op: FO.START_OFFSET_PRECEDING,
      of: FO.START_OFFSET_FOLLOWING,
    }),
    end: frameBound(c, o, w.endOffset, {
      up: FO.END_UNBOUNDED_PRECEDING,
      uf: FO.END_UNBOUNDED_FOLLOWING,
      cr: FO.END_CURRENT_ROW,
      op: FO.END_OFFSET_PRECEDING,
      of: FO.END_OFFSET_FOLLOWING,
    }),
    exclude:
      o & FO.EXCLUDE_CURRENT_ROW
        ? 'currentRow'
        : o & FO.EXCLUDE_GROUP
          ? 'group'
          : o & FO.EXCLUDE_TIES
            ? 'ties'
            : 'noOthers',
  };
}

/**
 * Maps a WindowDef. In an OVER clause (`inOver`), `name` is the window referred to by `OVER w`; in
 * a WINDOW clause it is the definition's own name and `refname` the window it extends.
 */
export function windowSpec(c: Ctx, w: WindowDef, inOver: boolean): WindowSpec {
  const base = inOver ? (w.name ?? w.refname) : w.refname;
  return {
    kind: 'windowSpec',
    baseWindow: base,
    partitionBy: exprs(c, w.partitionClause),
    orderBy: sortItems(c, w.orderClause),
    frame: windowFrame(c, w),
    location: c.loc(w.location),
  };
}
