/**
 * Maps transaction control, session (SET/RESET/SHOW) and utility statements (EXPLAIN, ANALYZE,
 * VACUUM, PREPARE/EXECUTE/DEALLOCATE, COPY, DISCARD, TRUNCATE, CREATE/DROP DATABASE).
 */
import type {
  CreatedbStmt,
  DropdbStmt,
  Node,
  CopyStmt as PgCopyStmt,
  ExplainStmt as PgExplainStmt,
  TruncateStmt as PgTruncateStmt,
  VacuumStmt as PgVacuumStmt,
  TransactionStmt,
  VariableSetStmt,
} from 'libpg-query';
import type {
  AnalyzeStmt,
  AnalyzeTarget,
  CopyStmt,
  CreateDatabaseStmt,
  DropStmt,
  ExplainStmt,
  GenericOption,
  IsolationLevel,
  StatementNode,
  TransactionModes,
  TruncateStmt,
  VacuumStmt,
} from './ast.js';
import { internalError } from './errors.js';
import { exprs, optExpr } from './expr.js';
import { type Ctx, featureName, get, strs, unwrap } from './pg.js';
import { rangeVarName } from './query.js';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** The value of a constant node, for option lists. */
function optionValue(c: Ctx, n: Node | undefined, location: number | undefined): GenericOption['value'] {
  if (n === undefined) return undefined;
  const u = unwrap(n);
  const tag = u?.tag;
  if (u === undefined) throw c.unsupported(featureName(undefined));
  switch (u.tag) {
    case 'String':
      return u.v.sval ?? '';
    case 'Integer':
      return u.v.ival ?? 0;
    case 'Float':
      return Number(u.v.fval ?? '0');
    case 'Boolean':
      return u.v.boolval ?? false;
    case 'A_Star':
      return '*';
    case 'List':
      return strs(u.v.items);
    case 'TypeName':
      return strs(u.v.names).join('.');
    case 'A_Const': {
      const k = u.v;
      if (k.sval !== undefined) return k.sval.sval ?? '';
      if (k.ival !== undefined) return k.ival.ival ?? 0;
      if (k.fval !== undefined) return Number(k.fval.fval ?? '0');
      if (k.boolval !== undefined) return k.boolval.boolval ?? false;
      throw c.unsupported('this option value', location);
    }
    default:
      throw c.unsupported(`${tag ?? 'empty'} option values`, location);
  }
}

/** Maps a DefElem list into generic options. */
export function genericOptions(c: Ctx, list: readonly Node[] | undefined): GenericOption[] {
  return (list ?? []).map((n) => {
    const d = get(n, 'DefElem');
    if (d === undefined) throw internalError('expected DefElem');
    return { name: d.defname ?? '', value: optionValue(c, d.arg, d.location), location: c.loc(d.location) };
  });
}

/** An option's boolean value, PostgreSQL-style: bare name = true; on/off/true/false/yes/no/1/0. */
function optionBool(c: Ctx, o: GenericOption): boolean {
  const v = o.value;
  if (v === undefined) return true;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v !== 0;
  if (typeof v === 'string') {
    const s = v.toLowerCase();
    if (['true', 'on', 'yes', '1', 't', 'y'].includes(s)) return true;
    if (['false', 'off', 'no', '0', 'f', 'n'].includes(s)) return false;
  }
  throw c.unsupported(`the value of option ${o.name}`);
}

function constInt(n: Node | undefined): number {
  return get(n, 'A_Const')?.ival?.ival ?? 0;
}

/** Maps transaction modes (BEGIN, START TRANSACTION, SET TRANSACTION). */
function transactionModes(c: Ctx, list: readonly Node[] | undefined): Mutable<TransactionModes> {
  const m: Mutable<TransactionModes> = {};
  for (const n of list ?? []) {
    const d = get(n, 'DefElem');
    if (d === undefined) throw internalError('expected DefElem');
    switch (d.defname) {
      case 'transaction_isolation':
        m.isolationLevel = (get(d.arg, 'A_Const')?.sval?.sval ?? 'serializable') as IsolationLevel;
        break;
      case 'transaction_read_only':
        m.readOnly = constInt(d.arg) !== 0;
        break;
      case 'transaction_deferrable':
        m.deferrable = constInt(d.arg) !== 0;
        break;
      default:
        throw c.unsupported(`transaction mode ${d.defname ?? ''}`, d.location);
    }
  }
  return m;
}

/** Maps BEGIN / COMMIT / ROLLBACK / SAVEPOINT / RELEASE / ROLLBACK TO. */
export function transactionStmt(c: Ctx, s: TransactionStmt, location: number): StatementNode {
  const name = s.savepoint_name ?? '';
  switch (s.kind) {
    case 'TRANS_STMT_BEGIN':
    case 'TRANS_STMT_START':
      return { kind: 'begin', ...transactionModes(c, s.options), location };
    case 'TRANS_STMT_COMMIT':
      return { kind: 'commit', chain: s.chain ?? false, location };
    case 'TRANS_STMT_ROLLBACK':
      return { kind: 'rollback', chain: s.chain ?? false, location };
    case 'TRANS_STMT_SAVEPOINT':
      return { kind: 'savepoint', name, location };
    case 'TRANS_STMT_RELEASE':
      return { kind: 'releaseSavepoint', name, location };
    case 'TRANS_STMT_ROLLBACK_TO':
      return { kind: 'rollbackToSavepoint', name, location };
    default:
      throw c.unsupported('two-phase commit (PREPARE TRANSACTION, COMMIT/ROLLBACK PREPARED)');
  }
}

/** Maps SET / RESET / SET TRANSACTION / SET SESSION CHARACTERISTICS. */
export function variableSet(c: Ctx, s: VariableSetStmt, location: number): StatementNode {
  const name = s.name ?? '';
  switch (s.kind) {
    case 'VAR_SET_VALUE':
      return {
        kind: 'set',
        name,
        local: s.is_local ?? false,
        value: { kind: 'values', values: exprs(c, s.args) },
        location,
      };
    case 'VAR_SET_DEFAULT':
      return { kind: 'set', name, local: s.is_local ?? false, value: { kind: 'default' }, location };
    case 'VAR_SET_MULTI':
      if (name === 'TRANSACTION')
        return { kind: 'setTransaction', scope: 'transaction', ...transactionModes(c, s.args), location };
      if (name === 'SESSION CHARACTERISTICS') {
        return { kind: 'setTransaction', scope: 'session', ...transactionModes(c, s.args), location };
      }
      throw c.unsupported(`SET ${name}`);
    case 'VAR_RESET':
      return { kind: 'reset', name, location };
    case 'VAR_RESET_ALL':
      return { kind: 'reset', location };
    default:
      throw c.unsupported('SET ... FROM CURRENT');
  }
}

/** Maps EXPLAIN; the inner statement is mapped by `inner`. */
export function explainStmt(
  c: Ctx,
  s: PgExplainStmt,
  location: number,
  inner: (n: Node) => StatementNode,
): ExplainStmt {
  if (s.query === undefined) throw internalError('EXPLAIN without a statement');
  const options = genericOptions(c, s.options);
  let analyze = false;
  let verbose = false;
  let format: string | undefined;
  for (const o of options) {
    if (o.name === 'analyze') analyze = optionBool(c, o);
    else if (o.name === 'verbose') verbose = optionBool(c, o);
    else if (o.name === 'format') format = String(o.value ?? '').toLowerCase();
  }
  return { kind: 'explain', analyze, verbose, format, options, statement: inner(s.query), location };
}

/** Maps VACUUM and ANALYZE (PostgreSQL parses both as VacuumStmt). */
export function vacuumStmt(c: Ctx, s: PgVacuumStmt, location: number): VacuumStmt | AnalyzeStmt {
  const tables = (s.rels ?? []).map((n): AnalyzeTarget => {
    const r = get(n, 'VacuumRelation');
    if (r?.relation === undefined) throw internalError('expected VacuumRelation');
    return { table: rangeVarName(r.relation), columns: strs(r.va_cols) };
  });
  const options = genericOptions(c, s.options);
  if (s.is_vacuumcmd) return { kind: 'vacuum', noOp: true, tables, options, location };
  return { kind: 'analyze', tables, options, location };
}

/** Maps COPY; a `(query)` source is mapped by `inner`. */
export function copyStmt(c: Ctx, s: PgCopyStmt, location: number, inner: (n: Node) => StatementNode): CopyStmt {
  if (s.is_program) throw c.unsupported('COPY ... PROGRAM');
  if (s.filename !== undefined) throw c.unsupported('COPY to or from a file (use STDIN or STDOUT)');
  let source: CopyStmt['source'];
  if (s.relation !== undefined) {
    source = { kind: 'table', table: rangeVarName(s.relation), columns: strs(s.attlist) };
  } else if (s.query !== undefined) {
    const q = inner(s.query);
    if (q.kind !== 'select' && q.kind !== 'insert' && q.kind !== 'update' && q.kind !== 'delete') {
      throw internalError('COPY (query) with a non-query statement');
    }
    source = { kind: 'query', query: q };
  } else throw internalError('COPY without a table or query');
  const options = genericOptions(c, s.options);
  let format: CopyStmt['format'] = 'text';
  let header: CopyStmt['header'] = false;
  const strings: { delimiter?: string; null?: string; quote?: string; escape?: string } = {};
  for (const o of options) {
    switch (o.name) {
      case 'format': {
        const f = String(o.value ?? '').toLowerCase();
        if (f !== 'text' && f !== 'csv' && f !== 'binary') throw c.unsupported(`COPY format "${f}"`);
        format = f;
        break;
      }
      case 'header':
        header = typeof o.value === 'string' && o.value.toLowerCase() === 'match' ? 'match' : optionBool(c, o);
        break;
      case 'delimiter':
      case 'null':
      case 'quote':
      case 'escape':
        strings[o.name] = String(o.value ?? '');
        break;
      default:
        break;
    }
  }
  return {
    kind: 'copy',
    direction: s.is_from ? 'from' : 'to',
    source,
    format,
    header,
    ...strings,
    where: optExpr(c, s.whereClause),
    options,
    location,
  };
}

/** Maps TRUNCATE. */
export function truncateStmt(c: Ctx, s: PgTruncateStmt, location: number): TruncateStmt {
  return {
    kind: 'truncate',
    tables: (s.relations ?? []).map((n) => {
      const r = get(n, 'RangeVar');
      if (r === undefined) throw c.unsupported('TRUNCATE of a non-table');
      return rangeVarName(r);
    }),
    restartIdentity: s.restart_seqs ?? false,
    cascade: s.behavior === 'DROP_CASCADE',
    location,
  };
}

/** Maps CREATE DATABASE. */
export function createDatabase(c: Ctx, s: CreatedbStmt, location: number): CreateDatabaseStmt {
  return { kind: 'createDatabase', name: s.dbname ?? '', options: genericOptions(c, s.options), location };
}

/** Maps DROP DATABASE. */
export function dropDatabase(c: Ctx, s: DropdbStmt, location: number): DropStmt {
  if (s.options !== undefined && s.options.length > 0) throw c.unsupported('DROP DATABASE ... WITH (FORCE)');
  return {
    kind: 'drop',
    objectType: 'database',
    names: [[s.dbname ?? '']],
    ifExists: s.missing_ok ?? false,
    cascade: false,
    concurrently: false,
    location,
  };
}
