/** Maps DDL: CREATE TABLE / INDEX / VIEW / SEQUENCE / DATABASE / SCHEMA, DROP, ALTER TABLE, TRUNCATE. */
import type {
  AlterTableCmd,
  Constraint,
  CreateSeqStmt,
  CreateStmt,
  IndexStmt,
  Node,
  AlterTableStmt as PgAlterTableStmt,
  ColumnDef as PgColumnDef,
  CreateSchemaStmt as PgCreateSchemaStmt,
  DropStmt as PgDropStmt,
  RenameStmt,
  ViewStmt,
} from 'libpg-query';
import type {
  AlterTableAction,
  AlterTableStmt,
  ColumnConstraint,
  ColumnDef,
  CreateIndexStmt,
  CreateSchemaStmt,
  CreateSequenceStmt,
  CreateTableStmt,
  CreateViewStmt,
  DropObjectType,
  DropStmt,
  ForeignKeyReference,
  ReferentialAction,
  SequenceOptions,
  StorageParam,
  TableConstraint,
} from './ast.js';
import { internalError } from './errors.js';
import { expr, optExpr, typeName } from './expr.js';
import { type Ctx, featureName, get, str, strs, tagOf, unwrap } from './pg.js';
import { indexElement, rangeVarName, selectStmt } from './query.js';

function persistence(p: string | undefined): 'permanent' | 'temporary' | 'unlogged' {
  return p === 't' ? 'temporary' : p === 'u' ? 'unlogged' : 'permanent';
}

/** Maps CREATE TABLE. */
export function createTable(c: Ctx, s: CreateStmt, location: number): CreateTableStmt {
  const r = s.relation;
  if (r === undefined) throw internalError('CREATE TABLE without a name');
  if (s.inhRelations !== undefined) throw c.unsupported('INHERITS', r.location);
  if (s.partspec !== undefined) throw c.unsupported('PARTITION BY', s.partspec.location);
  if (s.partbound !== undefined) throw c.unsupported('CREATE TABLE ... PARTITION OF', r.location);
  if (s.ofTypename !== undefined) throw c.unsupported('CREATE TABLE ... OF type', r.location);
  if (s.tablespacename !== undefined) throw c.unsupported('TABLESPACE', r.location);
  if (s.accessMethod !== undefined) throw c.unsupported('table access methods (USING ...)', r.location);
  if (s.oncommit !== undefined && s.oncommit !== 'ONCOMMIT_NOOP') throw c.unsupported('ON COMMIT', r.location);
  const columns: ColumnDef[] = [];
  const constraints: TableConstraint[] = [];
  for (const e of s.tableElts ?? []) {
    const col = get(e, 'ColumnDef');
    if (col !== undefined) {
      columns.push(columnDef(c, col));
      continue;
    }
    const con = get(e, 'Constraint');
    if (con !== undefined) {
      constraints.push(tableConstraint(c, con));
      continue;
    }
    throw c.unsupported(featureName(tagOf(e)), r.location);
  }
  return {
    kind: 'createTable',
    name: rangeVarName(r),
    ifNotExists: s.if_not_exists ?? false,
    persistence: persistence(r.relpersistence),
    columns,
    constraints,
    ...(s.options === undefined ? {} : { storageParams: storageParams(c, s.options) }),
    location,
  };
}

/** Maps `WITH (name = value, …)`: each value as the text PostgreSQL's reloption parser is given. */
function storageParams(c: Ctx, options: readonly Node[]): StorageParam[] {
  return options.map((n) => {
    const d = get(n, 'DefElem');
    if (d === undefined) throw internalError('expected DefElem');
    let value = 'true';
    const u = d.arg === undefined ? undefined : unwrap(d.arg);
    if (u !== undefined) {
      switch (u.tag) {
        case 'String':
          value = u.v.sval ?? '';
          break;
        case 'Integer':
          value = String(u.v.ival ?? 0);
          break;
        case 'Float':
          value = u.v.fval ?? '0';
          break;
        case 'Boolean':
          value = u.v.boolval ? 'true' : 'false';
          break;
        case 'TypeName':
          value = strs(u.v.names).join('.');
          break;
        default:
          throw c.unsupported(`${u.tag} values of storage parameters`, d.location);
      }
    }
    const param = { name: d.defname ?? '', value, location: c.loc(d.location) };
    return d.defnamespace === undefined ? param : { ...param, namespace: d.defnamespace };
  });
}

/** Maps a column definition (CREATE TABLE, ALTER TABLE ADD COLUMN). */
export function columnDef(c: Ctx, d: PgColumnDef): ColumnDef {
  if (d.compression !== undefined) throw c.unsupported('COMPRESSION', d.location);
  if (d.storage_name !== undefined) throw c.unsupported('STORAGE', d.location);
  const constraints: ColumnConstraint[] = [];
  for (const n of d.constraints ?? []) {
    const k = get(n, 'Constraint');
    if (k === undefined) throw internalError('expected Constraint');
    const mapped = columnConstraint(c, k);
    if (mapped !== undefined) constraints.push(mapped);
  }
  return {
    kind: 'columnDef',
    name: d.colname ?? '',
    type: typeName(c, d.typeName),
    constraints,
    collation: d.collClause === undefined ? undefined : strs(d.collClause.collname),
    location: c.loc(d.location),
  };
}

function checkAttributes(c: Ctx, k: Constraint): void {
  if (k.deferrable) throw c.unsupported('DEFERRABLE constraints', k.location);
  if (k.initdeferred) throw c.unsupported('INITIALLY DEFERRED constraints', k.location);
  if (k.skip_validation) throw c.unsupported('NOT VALID constraints', k.location);
  if (k.is_enforced === false && (k.contype === 'CONSTR_CHECK' || k.contype === 'CONSTR_FOREIGN')) {
    // PostgreSQL 18 marks enforced constraints explicitly; `false` only when NOT ENFORCED was given.
    throw c.unsupported('NOT ENFORCED constraints', k.location);
  }
  if (k.fk_del_set_cols !== undefined) throw c.unsupported('ON DELETE SET NULL/DEFAULT with a column list', k.location);
  if (k.without_overlaps || k.fk_with_period || k.pk_with_period)
    throw c.unsupported('WITHOUT OVERLAPS / PERIOD', k.location);
}

function referentialAction(a: string | undefined): ReferentialAction {
  switch (a) {
    case 'r':
      return 'restrict';
    case 'c':
      return 'cascade';
    case 'n':
      return 'setNull';
    case 'd':
      return 'setDefault';
    default:
      return 'noAction';
  }
}

function reference(k: Constraint): ForeignKeyReference {
  if (k.pktable === undefined) throw internalError('foreign key without a table');
  return {
    table: rangeVarName(k.pktable),
    columns: strs(k.pk_attrs),
    onDelete: referentialAction(k.fk_del_action),
    onUpdate: referentialAction(k.fk_upd_action),
    match: k.fk_matchtype === 'f' ? 'full' : k.fk_matchtype === 'p' ? 'partial' : 'simple',
  };
}

function columnConstraint(c: Ctx, k: Constraint): ColumnConstraint | undefined {
  const base = { name: k.conname, location: c.loc(k.location) };
  switch (k.contype) {
    case 'CONSTR_ATTR_NOT_DEFERRABLE':
    case 'CONSTR_ATTR_IMMEDIATE':
    case 'CONSTR_ATTR_ENFORCED':
      return undefined; // the defaults
    case 'CONSTR_ATTR_DEFERRABLE':
      throw c.unsupported('DEFERRABLE constraints', k.location);
    case 'CONSTR_ATTR_DEFERRED':
      throw c.unsupported('INITIALLY DEFERRED constraints', k.location);
    case 'CONSTR_ATTR_NOT_ENFORCED':
      throw c.unsupported('NOT ENFORCED constraints', k.location);
    default:
      break;
  }
  checkAttributes(c, k);
  switch (k.contype) {
    case 'CONSTR_NOTNULL':
      return { ...base, kind: 'notNull' };
    case 'CONSTR_NULL':
      return { ...base, kind: 'null' };
    case 'CONSTR_DEFAULT':
      return { ...base, kind: 'default', expr: expr(c, k.raw_expr) };
    case 'CONSTR_PRIMARY':
      return { ...base, kind: 'primaryKey' };
    case 'CONSTR_UNIQUE':
      return { ...base, kind: 'unique', nullsNotDistinct: k.nulls_not_distinct ?? false };
    case 'CONSTR_CHECK':
      return { ...base, kind: 'check', expr: expr(c, k.raw_expr) };
    case 'CONSTR_FOREIGN':
      return { ...base, kind: 'references', reference: reference(k) };
    case 'CONSTR_IDENTITY':
      return {
        ...base,
        kind: 'identity',
        generated: k.generated_when === 'd' ? 'byDefault' : 'always',
        options: sequenceOptions(c, k.options),
      };
    case 'CONSTR_GENERATED':
      return { ...base, kind: 'generated', expr: expr(c, k.raw_expr), stored: k.generated_kind !== 'v' };
    default:
      throw c.unsupported(`${k.contype ?? 'unknown'} column constraints`, k.location);
  }
}

/** Maps a table constraint (CREATE TABLE, ALTER TABLE ADD CONSTRAINT). */
export function tableConstraint(c: Ctx, k: Constraint): TableConstraint {
  checkAttributes(c, k);
  const base = { name: k.conname, location: c.loc(k.location) };
  switch (k.contype) {
    case 'CONSTR_PRIMARY':
      if (k.indexname !== undefined) throw c.unsupported('PRIMARY KEY USING INDEX', k.location);
      return { ...base, kind: 'primaryKey', columns: strs(k.keys), include: strs(k.including) };
    case 'CONSTR_UNIQUE':
      if (k.indexname !== undefined) throw c.unsupported('UNIQUE USING INDEX', k.location);
      return {
        ...base,
        kind: 'unique',
        columns: strs(k.keys),
        include: strs(k.including),
        nullsNotDistinct: k.nulls_not_distinct ?? false,
      };
    case 'CONSTR_CHECK':
      return { ...base, kind: 'check', expr: expr(c, k.raw_expr) };
    case 'CONSTR_FOREIGN':
      return { ...base, kind: 'foreignKey', columns: strs(k.fk_attrs), reference: reference(k) };
    case 'CONSTR_EXCLUSION':
      throw c.unsupported('EXCLUDE constraints', k.location);
    default:
      throw c.unsupported(`${k.contype ?? 'unknown'} table constraints`, k.location);
  }
}

function bigintArg(c: Ctx, n: Node | undefined, what: string, location: number | undefined): bigint {
  const i = get(n, 'Integer');
  if (i !== undefined) return BigInt(i.ival ?? 0);
  const f = get(n, 'Float');
  if (f !== undefined && /^-?\d+$/.test(f.fval ?? '')) return BigInt(f.fval ?? '0');
  throw c.unsupported(`a non-integer ${what}`, location);
}

/** Maps sequence options (CREATE SEQUENCE, GENERATED ... AS IDENTITY (...)). */
export function sequenceOptions(c: Ctx, list: readonly Node[] | undefined): SequenceOptions {
  const o: {
    -readonly [K in keyof SequenceOptions]: SequenceOptions[K];
  } = {};
  for (const n of list ?? []) {
    const d = get(n, 'DefElem');
    if (d === undefined) throw internalError('expected DefElem');
    const name = d.defname ?? '';
    switch (name) {
      case 'as': {
        const t = get(d.arg, 'TypeName');
        o.as = typeName(c, t);
        break;
      }
      case 'increment':
        o.increment = bigintArg(c, d.arg, 'INCREMENT', d.location);
        break;
      case 'start':
        o.start = bigintArg(c, d.arg, 'START', d.location);
        break;
      case 'minvalue':
        o.minValue = d.arg === undefined ? null : bigintArg(c, d.arg, 'MINVALUE', d.location);
        break;
      case 'maxvalue':
        o.maxValue = d.arg === undefined ? null : bigintArg(c, d.arg, 'MAXVALUE', d.location);
        break;
      case 'cache':
        o.cache = bigintArg(c, d.arg, 'CACHE', d.location);
        break;
      case 'cycle':
        o.cycle = get(d.arg, 'Boolean')?.boolval ?? false;
        break;
      case 'owned_by':
        o.ownedBy = strs(get(d.arg, 'List')?.items);
        break;
      default:
        throw c.unsupported(`sequence option ${name.toUpperCase()}`, d.location);
    }
  }
  return o;
}

const DROP_TYPES: Partial<Record<string, DropObjectType>> = {
  OBJECT_TABLE: 'table',
  OBJECT_VIEW: 'view',
  OBJECT_INDEX: 'index',
  OBJECT_SEQUENCE: 'sequence',
  OBJECT_SCHEMA: 'schema',
};

/** Maps DROP TABLE / VIEW / INDEX / SEQUENCE / SCHEMA. */
export function dropStmt(c: Ctx, s: PgDropStmt, location: number): DropStmt {
  const objectType = DROP_TYPES[s.removeType ?? ''];
  if (objectType === undefined) {
    const what = (s.removeType ?? 'OBJECT_UNKNOWN').slice('OBJECT_'.length).replace(/_/g, ' ');
    throw c.unsupported(`DROP ${what}`);
  }
  const names = (s.objects ?? []).map((o) => {
    const l = get(o, 'List');
    return l === undefined ? [str(o)] : strs(l.items);
  });
  return {
    kind: 'drop',
    objectType,
    names,
    ifExists: s.missing_ok ?? false,
    cascade: s.behavior === 'DROP_CASCADE',
    concurrently: s.concurrent ?? false,
    location,
  };
}

function alterCmd(c: Ctx, cmd: AlterTableCmd): AlterTableAction {
  const column = cmd.name ?? '';
  switch (cmd.subtype) {
    case 'AT_AddColumn': {
      const d = get(cmd.def, 'ColumnDef');
      if (d === undefined) throw internalError('ADD COLUMN without a definition');
      return { kind: 'addColumn', column: columnDef(c, d), ifNotExists: cmd.missing_ok ?? false };
    }
    case 'AT_DropColumn':
      return {
        kind: 'dropColumn',
        column,
        ifExists: cmd.missing_ok ?? false,
        cascade: cmd.behavior === 'DROP_CASCADE',
      };
    case 'AT_ColumnDefault':
      return cmd.def === undefined
        ? { kind: 'dropDefault', column }
        : { kind: 'setDefault', column, expr: expr(c, cmd.def) };
    case 'AT_SetNotNull':
      return { kind: 'setNotNull', column };
    case 'AT_DropNotNull':
      return { kind: 'dropNotNull', column };
    case 'AT_AlterColumnType': {
      const d = get(cmd.def, 'ColumnDef');
      if (d === undefined) throw internalError('ALTER COLUMN TYPE without a definition');
      return {
        kind: 'alterColumnType',
        column,
        type: typeName(c, d.typeName),
        using: optExpr(c, d.raw_default),
        collation: d.collClause === undefined ? undefined : strs(d.collClause.collname),
      };
    }
    case 'AT_AddConstraint': {
      const k = get(cmd.def, 'Constraint');
      if (k === undefined) throw internalError('ADD CONSTRAINT without a constraint');
      return { kind: 'addConstraint', constraint: tableConstraint(c, k) };
    }
    case 'AT_DropConstraint':
      return {
        kind: 'dropConstraint',
        constraint: column,
        ifExists: cmd.missing_ok ?? false,
        cascade: cmd.behavior === 'DROP_CASCADE',
      };
    default: {
      const what = (cmd.subtype ?? 'unknown')
        .replace(/^AT_/, '')
        .replace(/([a-z])([A-Z])/g, '$1 $2')
        .toUpperCase();
      throw c.unsupported(`ALTER TABLE ... ${what}`);
    }
  }
}

/** Maps ALTER TABLE. */
export function alterTable(c: Ctx, s: PgAlterTableStmt, location: number): AlterTableStmt {
  if (s.objtype !== undefined && s.objtype !== 'OBJECT_TABLE') {
    throw c.unsupported(`ALTER ${s.objtype.slice('OBJECT_'.length).replace(/_/g, ' ')}`, s.relation?.location);
  }
  if (s.relation === undefined) throw internalError('ALTER TABLE without a table');
  return {
    kind: 'alterTable',
    table: rangeVarName(s.relation),
    ifExists: s.missing_ok ?? false,
    actions: (s.cmds ?? []).map((n) => {
      const cmd = get(n, 'AlterTableCmd');
      if (cmd === undefined) throw internalError('expected AlterTableCmd');
      return alterCmd(c, cmd);
    }),
    location,
  };
}

/** Maps ALTER TABLE ... RENAME (PostgreSQL's RenameStmt) onto ALTER TABLE. */
export function renameStmt(c: Ctx, s: RenameStmt, location: number): AlterTableStmt {
  const r = s.relation;
  const newName = s.newname ?? '';
  let action: AlterTableAction;
  if (r !== undefined && s.renameType === 'OBJECT_TABLE') action = { kind: 'renameTable', newName };
  else if (r !== undefined && s.renameType === 'OBJECT_COLUMN' && s.relationType === 'OBJECT_TABLE') {
    action = { kind: 'renameColumn', column: s.subname ?? '', newName };
  } else if (r !== undefined && s.renameType === 'OBJECT_TABCONSTRAINT') {
    action = { kind: 'renameConstraint', constraint: s.subname ?? '', newName };
  } else {
    const what = (s.renameType ?? 'OBJECT_UNKNOWN').slice('OBJECT_'.length).replace(/_/g, ' ');
    throw c.unsupported(`ALTER ${what} ... RENAME`, r?.location);
  }
  return { kind: 'alterTable', table: rangeVarName(r), ifExists: s.missing_ok ?? false, actions: [action], location };
}

/** Maps CREATE INDEX. */
export function createIndex(c: Ctx, s: IndexStmt, location: number): CreateIndexStmt {
  if (s.relation === undefined) throw internalError('CREATE INDEX without a table');
  if (s.tableSpace !== undefined) throw c.unsupported('TABLESPACE', s.relation.location);
  return {
    kind: 'createIndex',
    name: s.idxname,
    table: rangeVarName(s.relation),
    unique: s.unique ?? false,
    ifNotExists: s.if_not_exists ?? false,
    concurrently: s.concurrent ?? false,
    method: s.accessMethod ?? 'btree',
    columns: (s.indexParams ?? []).map((n) => indexElement(c, n, -1)),
    include: (s.indexIncludingParams ?? []).map((n) => {
      const e = get(n, 'IndexElem');
      if (e?.name === undefined) throw c.unsupported('expressions in INCLUDE');
      return e.name;
    }),
    where: optExpr(c, s.whereClause),
    nullsNotDistinct: s.nulls_not_distinct ?? false,
    location,
  };
}

/** Maps CREATE [OR REPLACE] VIEW. */
export function createView(c: Ctx, s: ViewStmt, location: number): CreateViewStmt {
  if (s.view === undefined) throw internalError('CREATE VIEW without a name');
  if (s.options !== undefined) throw c.unsupported('view options (WITH ...)', s.view.location);
  const q = get(s.query, 'SelectStmt');
  if (q === undefined) throw internalError('CREATE VIEW without a query');
  return {
    kind: 'createView',
    name: rangeVarName(s.view),
    orReplace: s.replace ?? false,
    temporary: s.view.relpersistence === 't',
    columns: strs(s.aliases),
    query: selectStmt(c, q),
    checkOption:
      s.withCheckOption === 'LOCAL_CHECK_OPTION'
        ? 'local'
        : s.withCheckOption === 'CASCADED_CHECK_OPTION'
          ? 'cascaded'
          : 'none',
    location,
  };
}

/** Maps CREATE SEQUENCE. */
export function createSequence(c: Ctx, s: CreateSeqStmt, location: number): CreateSequenceStmt {
  if (s.sequence === undefined) throw internalError('CREATE SEQUENCE without a name');
  return {
    kind: 'createSequence',
    name: rangeVarName(s.sequence),
    ifNotExists: s.if_not_exists ?? false,
    temporary: s.sequence.relpersistence === 't',
    options: sequenceOptions(c, s.options),
    location,
  };
}

/** Maps CREATE SCHEMA. */
export function createSchema(c: Ctx, s: PgCreateSchemaStmt, location: number): CreateSchemaStmt {
  if (s.schemaElts !== undefined) throw c.unsupported('CREATE SCHEMA with schema elements');
  const role = s.authrole;
  let authorization: string | undefined;
  if (role !== undefined) {
    switch (role.roletype) {
      case 'ROLESPEC_CURRENT_USER':
        authorization = 'current_user';
        break;
      case 'ROLESPEC_SESSION_USER':
        authorization = 'session_user';
        break;
      case 'ROLESPEC_CURRENT_ROLE':
        authorization = 'current_role';
        break;
      default:
        authorization = role.rolename ?? '';
    }
  }
  return { kind: 'createSchema', name: s.schemaname, ifNotExists: s.if_not_exists ?? false, authorization, location };
}
