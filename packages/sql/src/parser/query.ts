/** Maps queries and DML: SELECT (with set operations and VALUES), INSERT, UPDATE, DELETE. */
import type {
  Alias,
  IndexElem,
  Node,
  DeleteStmt as PgDeleteStmt,
  InsertStmt as PgInsertStmt,
  SelectStmt as PgSelectStmt,
  UpdateStmt as PgUpdateStmt,
  WithClause as PgWithClause,
  RangeVar,
  ReturningClause,
} from 'libpg-query';
import type {
  CommonTableExpr,
  DeleteStmt,
  FromItem,
  IndexElement,
  InsertStmt,
  LockingClause,
  OnConflictClause,
  QueryBody,
  SelectCore,
  SelectStmt,
  SelectTarget,
  SetClause,
  TableAlias,
  TableRef,
  UpdateStmt,
  WindowDefinition,
  WithClause,
} from './ast.js';
import { internalError } from './errors.js';
import { expr, exprs, funcCall, nodeLocation, optExpr, sortItems, windowSpec } from './expr.js';
import { type Ctx, featureName, get, strs, tagOf, unwrap } from './pg.js';

/**
 * Maps a SelectStmt. PostgreSQL's SelectStmt has no location; `byteLocation` is the best one the
 * caller knows (the statement start, a subquery's parenthesis), else the first target's.
 */
export function selectStmt(c: Ctx, s: PgSelectStmt, byteLocation?: number): SelectStmt {
  if (s.intoClause !== undefined) throw c.unsupported('SELECT INTO', s.intoClause.rel?.location);
  const location = byteLocation === undefined ? guessLocation(c, s) : c.loc(byteLocation);
  let body: QueryBody;
  if (s.op !== undefined && s.op !== 'SETOP_NONE') {
    if (s.larg === undefined || s.rarg === undefined) throw internalError('set operation without arms');
    const left = selectStmt(c, s.larg);
    body = {
      kind: 'setOperation',
      op: s.op === 'SETOP_UNION' ? 'union' : s.op === 'SETOP_INTERSECT' ? 'intersect' : 'except',
      all: s.all ?? false,
      left,
      right: selectStmt(c, s.rarg),
      location: left.location,
    };
  } else if (s.valuesLists !== undefined) {
    body = {
      kind: 'values',
      rows: s.valuesLists.map((row) => exprs(c, get(row, 'List')?.items)),
      location,
    };
  } else {
    body = selectCore(c, s, location);
  }
  return {
    kind: 'select',
    with: s.withClause === undefined ? undefined : withClause(c, s.withClause),
    body,
    orderBy: sortItems(c, s.sortClause),
    limit: optExpr(c, s.limitCount),
    limitWithTies: s.limitOption === 'LIMIT_OPTION_WITH_TIES',
    offset: optExpr(c, s.limitOffset),
    locking: (s.lockingClause ?? []).map((n) => lockingClause(c, n)),
    location,
  };
}

function guessLocation(c: Ctx, s: PgSelectStmt): number {
  const first = s.targetList?.[0] ?? s.valuesLists?.[0];
  const b = first === undefined ? undefined : nodeLocation(first);
  if (b !== undefined) return c.loc(b);
  if (s.larg !== undefined) return guessLocation(c, s.larg);
  return -1;
}

function selectCore(c: Ctx, s: PgSelectStmt, location: number): SelectCore {
  const distinctList = s.distinctClause ?? [];
  // Plain DISTINCT is a one-element list holding an empty node.
  const plainDistinct =
    distinctList.length === 1 && distinctList[0] !== undefined && tagOf(distinctList[0]) === undefined;
  if (s.groupDistinct) throw c.unsupported('GROUP BY DISTINCT');
  return {
    kind: 'selectCore',
    distinct: distinctList.length > 0,
    distinctOn: plainDistinct ? [] : exprs(c, distinctList),
    targets: targets(c, s.targetList),
    from: (s.fromClause ?? []).map((n) => fromItem(c, n)),
    where: optExpr(c, s.whereClause),
    groupBy: exprs(c, s.groupClause),
    having: optExpr(c, s.havingClause),
    windows: (s.windowClause ?? []).map((n): WindowDefinition => {
      const w = get(n, 'WindowDef');
      if (w === undefined) throw internalError('expected WindowDef');
      return {
        kind: 'windowDefinition',
        name: w.name ?? '',
        spec: windowSpec(c, w, false),
        location: c.loc(w.location),
      };
    }),
    location,
  };
}

/** Maps a target list or RETURNING list (ResTarget nodes). */
export function targets(c: Ctx, list: readonly Node[] | undefined): SelectTarget[] {
  return (list ?? []).map((n) => {
    const r = get(n, 'ResTarget');
    if (r === undefined) throw internalError('expected ResTarget');
    return { kind: 'target', expr: expr(c, r.val), alias: r.name, location: c.loc(r.location) };
  });
}

function lockingClause(c: Ctx, n: Node): LockingClause {
  const l = get(n, 'LockingClause');
  if (l === undefined) throw internalError('expected LockingClause');
  const strength = l.strength ?? 'LCS_NONE';
  return {
    strength:
      strength === 'LCS_FORKEYSHARE'
        ? 'keyShare'
        : strength === 'LCS_FORSHARE'
          ? 'share'
          : strength === 'LCS_FORNOKEYUPDATE'
            ? 'noKeyUpdate'
            : 'update',
    tables: (l.lockedRels ?? []).map((r) => {
      const rv = get(r, 'RangeVar');
      if (rv === undefined) throw c.unsupported('FOR UPDATE OF a non-table');
      return rangeVarName(rv);
    }),
    waitPolicy: l.waitPolicy === 'LockWaitSkip' ? 'skipLocked' : l.waitPolicy === 'LockWaitError' ? 'noWait' : 'block',
  };
}

/** The qualified name of a RangeVar. */
export function rangeVarName(r: RangeVar): string[] {
  const out: string[] = [];
  if (r.catalogname !== undefined) out.push(r.catalogname);
  if (r.schemaname !== undefined) out.push(r.schemaname);
  out.push(r.relname ?? '');
  return out;
}

function tableAlias(a: Alias | undefined): TableAlias | undefined {
  return a === undefined ? undefined : { name: a.aliasname ?? '', columns: strs(a.colnames) };
}

/** A RangeVar as a table reference. */
export function tableRef(c: Ctx, r: RangeVar | undefined): TableRef {
  if (r === undefined) throw internalError('expected a RangeVar');
  return {
    kind: 'table',
    name: rangeVarName(r),
    alias: tableAlias(r.alias),
    only: !(r.inh ?? false),
    location: c.loc(r.location),
  };
}

/** Maps a FROM item. */
export function fromItem(c: Ctx, n: Node): FromItem {
  const u = unwrap(n);
  const tag = u?.tag;
  if (u === undefined) throw c.unsupported(featureName(undefined));
  switch (u.tag) {
    case 'RangeVar':
      return tableRef(c, u.v);
    case 'RangeSubselect': {
      const v = u.v;
      if (v.lateral) throw c.unsupported('LATERAL');
      const s = get(v.subquery, 'SelectStmt');
      if (s === undefined) throw internalError('expected a SelectStmt in RangeSubselect');
      const query = selectStmt(c, s);
      return { kind: 'subquery', query, alias: tableAlias(v.alias), location: query.location };
    }
    case 'RangeFunction': {
      const v = u.v;
      if (v.lateral) throw c.unsupported('LATERAL');
      if (v.is_rowsfrom) throw c.unsupported('ROWS FROM');
      if (v.coldeflist !== undefined) throw c.unsupported('column definition lists for functions in FROM');
      const [pair] = v.functions ?? [];
      const items = get(pair, 'List')?.items ?? [];
      const [fn, coldefs] = items;
      if (coldefs !== undefined && tagOf(coldefs) !== undefined) {
        throw c.unsupported('column definition lists for functions in FROM');
      }
      const call = get(fn, 'FuncCall');
      if (call === undefined) {
        throw c.unsupported(`${featureName(fn === undefined ? undefined : tagOf(fn))} in FROM`, fn && nodeLocation(fn));
      }
      const mapped = funcCall(c, call);
      return {
        kind: 'function',
        call: mapped,
        ordinality: v.ordinality ?? false,
        alias: tableAlias(v.alias),
        location: mapped.location,
      };
    }
    case 'JoinExpr': {
      const v = u.v;
      if (v.larg === undefined || v.rarg === undefined) throw internalError('join without arms');
      const left = fromItem(c, v.larg);
      const right = fromItem(c, v.rarg);
      const using = strs(v.usingClause);
      const natural = v.isNatural ?? false;
      const jt = v.jointype ?? 'JOIN_INNER';
      let joinType: 'inner' | 'left' | 'right' | 'full' | 'cross';
      if (jt === 'JOIN_INNER') joinType = v.quals === undefined && using.length === 0 && !natural ? 'cross' : 'inner';
      else if (jt === 'JOIN_LEFT') joinType = 'left';
      else if (jt === 'JOIN_RIGHT') joinType = 'right';
      else if (jt === 'JOIN_FULL') joinType = 'full';
      else throw c.unsupported(`join type ${jt}`);
      return {
        kind: 'join',
        joinType,
        natural,
        left,
        right,
        on: optExpr(c, v.quals),
        using,
        usingAlias: v.join_using_alias?.aliasname,
        alias: tableAlias(v.alias),
        location: left.location,
      };
    }
    default:
      throw c.unsupported(featureName(tag), nodeLocation(n));
  }
}

/** Maps a WITH clause. */
export function withClause(c: Ctx, w: PgWithClause): WithClause {
  return {
    kind: 'with',
    recursive: w.recursive ?? false,
    ctes: (w.ctes ?? []).map((n): CommonTableExpr => {
      const e = get(n, 'CommonTableExpr');
      if (e === undefined) throw internalError('expected CommonTableExpr');
      if (e.search_clause !== undefined) throw c.unsupported('SEARCH in WITH', e.location);
      if (e.cycle_clause !== undefined) throw c.unsupported('CYCLE in WITH', e.location);
      const q = e.ctequery;
      const tag = q === undefined ? undefined : tagOf(q);
      let query: CommonTableExpr['query'];
      if (q !== undefined && tag === 'SelectStmt')
        query = selectStmt(c, (q as { SelectStmt: PgSelectStmt }).SelectStmt);
      else if (q !== undefined && tag === 'InsertStmt')
        query = insertStmt(c, (q as { InsertStmt: PgInsertStmt }).InsertStmt);
      else if (q !== undefined && tag === 'UpdateStmt')
        query = updateStmt(c, (q as { UpdateStmt: PgUpdateStmt }).UpdateStmt);
      else if (q !== undefined && tag === 'DeleteStmt')
        query = deleteStmt(c, (q as { DeleteStmt: PgDeleteStmt }).DeleteStmt);
      else throw c.unsupported(`${featureName(tag)} in WITH`, e.location);
      return {
        kind: 'cte',
        name: e.ctename ?? '',
        columns: strs(e.aliascolnames),
        materialized:
          e.ctematerialized === 'CTEMaterializeAlways'
            ? 'always'
            : e.ctematerialized === 'CTEMaterializeNever'
              ? 'never'
              : 'default',
        query,
        location: c.loc(e.location),
      };
    }),
    location: c.loc(w.location),
  };
}

function returning(c: Ctx, r: ReturningClause | undefined): SelectTarget[] {
  if (r === undefined) return [];
  if (r.options !== undefined && r.options.length > 0) throw c.unsupported('RETURNING WITH (OLD/NEW aliases)');
  return targets(c, r.exprs);
}

/** Maps an IndexElem: index key columns and ON CONFLICT targets. */
export function indexElement(c: Ctx, n: Node, location: number): IndexElement {
  const e: IndexElem | undefined = get(n, 'IndexElem');
  if (e === undefined) throw internalError('expected IndexElem');
  if (e.opclassopts !== undefined) throw c.unsupported('operator class options');
  const ex = optExpr(c, e.expr);
  return {
    kind: 'indexElement',
    column: e.name,
    expr: ex,
    direction: e.ordering === 'SORTBY_ASC' ? 'asc' : e.ordering === 'SORTBY_DESC' ? 'desc' : 'default',
    nulls:
      e.nulls_ordering === 'SORTBY_NULLS_FIRST'
        ? 'first'
        : e.nulls_ordering === 'SORTBY_NULLS_LAST'
          ? 'last'
          : 'default',
    collation: e.collation === undefined ? undefined : strs(e.collation),
    opclass: e.opclass === undefined ? undefined : strs(e.opclass),
    location: ex?.location ?? location,
  };
}

/**
 * Maps UPDATE's (and ON CONFLICT DO UPDATE's) SET list. PostgreSQL expands `SET (a, b) = src` into
 * one ResTarget per column, each holding a MultiAssignRef to the same source; they are regrouped.
 */
export function setClauses(c: Ctx, list: readonly Node[] | undefined): SetClause[] {
  const out: SetClause[] = [];
  const items = list ?? [];
  for (let i = 0; i < items.length; i++) {
    const r = get(items[i], 'ResTarget');
    if (r === undefined) throw internalError('expected ResTarget');
    if (r.indirection !== undefined) throw c.unsupported('assignment to a subscript or field', r.location);
    const multi = get(r.val, 'MultiAssignRef');
    if (multi === undefined) {
      out.push({ kind: 'assign', column: r.name ?? '', value: expr(c, r.val), location: c.loc(r.location) });
      continue;
    }
    const n = multi.ncolumns ?? 1;
    const columns: string[] = [];
    for (let k = 0; k < n; k++) {
      const rk = get(items[i + k], 'ResTarget');
      if (rk === undefined) throw internalError('short multiple-column assignment');
      if (rk.indirection !== undefined) throw c.unsupported('assignment to a subscript or field', rk.location);
      columns.push(rk.name ?? '');
    }
    out.push({ kind: 'multiAssign', columns, value: expr(c, multi.source), location: c.loc(r.location) });
    i += n - 1;
  }
  return out;
}

/** Maps INSERT. */
export function insertStmt(c: Ctx, s: PgInsertStmt, byteLocation?: number): InsertStmt {
  const table = tableRef(c, s.relation);
  const columns = (s.cols ?? []).map((n) => {
    const r = get(n, 'ResTarget');
    if (r === undefined) throw internalError('expected ResTarget');
    if (r.indirection !== undefined) throw c.unsupported('INSERT into a subscript or field', r.location);
    return r.name ?? '';
  });
  const sel = get(s.selectStmt, 'SelectStmt');
  let onConflict: OnConflictClause | undefined;
  const oc = s.onConflictClause;
  if (oc !== undefined) {
    const inf = oc.infer;
    let target: OnConflictClause['target'];
    if (inf?.conname !== undefined) target = { kind: 'constraint', name: inf.conname };
    else if (inf !== undefined) {
      target = {
        kind: 'columns',
        columns: (inf.indexElems ?? []).map((n) => indexElement(c, n, c.loc(inf.location))),
        where: optExpr(c, inf.whereClause),
      };
    }
    onConflict = {
      kind: 'onConflict',
      target,
      action:
        oc.action === 'ONCONFLICT_UPDATE'
          ? { kind: 'update', set: setClauses(c, oc.targetList), where: optExpr(c, oc.whereClause) }
          : { kind: 'nothing' },
      location: c.loc(oc.location),
    };
  }
  return {
    kind: 'insert',
    with: s.withClause === undefined ? undefined : withClause(c, s.withClause),
    table,
    columns,
    source: sel === undefined ? { kind: 'defaultValues', location: -1 } : selectStmt(c, sel),
    onConflict,
    returning: returning(c, s.returningClause),
    overriding:
      s.override === 'OVERRIDING_SYSTEM_VALUE' ? 'system' : s.override === 'OVERRIDING_USER_VALUE' ? 'user' : undefined,
    location: byteLocation === undefined ? table.location : c.loc(byteLocation),
  };
}

/** Maps UPDATE. */
export function updateStmt(c: Ctx, s: PgUpdateStmt, byteLocation?: number): UpdateStmt {
  const table = tableRef(c, s.relation);
  return {
    kind: 'update',
    with: s.withClause === undefined ? undefined : withClause(c, s.withClause),
    table,
    set: setClauses(c, s.targetList),
    from: (s.fromClause ?? []).map((n) => fromItem(c, n)),
    where: optExpr(c, s.whereClause),
    returning: returning(c, s.returningClause),
    location: byteLocation === undefined ? table.location : c.loc(byteLocation),
  };
}

/** Maps DELETE. */
export function deleteStmt(c: Ctx, s: PgDeleteStmt, byteLocation?: number): DeleteStmt {
  const table = tableRef(c, s.relation);
  return {
    kind: 'delete',
    with: s.withClause === undefined ? undefined : withClause(c, s.withClause),
    table,
    using: (s.usingClause ?? []).map((n) => fromItem(c, n)),
    where: optExpr(c, s.whereClause),
    returning: returning(c, s.returningClause),
    location: byteLocation === undefined ? table.location : c.loc(byteLocation),
  };
}
