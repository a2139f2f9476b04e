import {
  allIndexes,
  type ColumnDesc,
  type IndexDesc,
  PRIMARY_INDEX_ID,
  type SequenceDesc,
  type TableDesc,
} from '../catalog/descriptors.js';
import { indexSpan, tableSpan } from '../catalog/keys.js';
import type { AlterTableAction, AlterTableStmt, ColumnDef } from '../parser/ast.js';
import { keyTypeOf } from '../rowcodec/key.js';
import { cast, castAllowed, castContext } from '../types/cast.js';
import type { Datum } from '../types/datum.js';
import { applyTypmod } from '../types/text-io.js';
import { typeName } from '../types/type.js';
import type { QueryResult, StatementContext } from './context.js';
import { sqlError as err } from './errors.js';
import { coerce, ExprBinder, type Scope, typeFromName } from './expr.js';
import { checkReferences, foreignKeyFor, withFkIndex } from './fk.js';
import { TableCodec } from './table.js';

/**
 * ALTER TABLE. Rows are rewritten only when they must be: adding a column with a default fills it
 * in, changing a column's type converts it; dropping a column only changes the descriptor (the
 * row encoding skips column ids the table no longer has).
 */

const done: QueryResult = { command: 'ALTER TABLE', rowCount: 0, columns: [], rows: [] };

async function allRows(sc: StatementContext, codec: TableCodec): Promise<Datum[][]> {
  const span = codec.span();
  const rows: Datum[][] = [];
  for await (const kv of sc.txn.scan(span.start, span.end)) rows.push(codec.decodeRow(kv.key, kv.value));
  return rows;
}

function scopeOf(t: TableDesc): Scope {
  return { columns: t.columns.map((c) => ({ name: c.name, type: c.type, table: t.name, hidden: c.hidden === true })) };
}

function columnOf(t: TableDesc, name: string, location: number): ColumnDesc {
  const c = t.columns.find((x) => x.name === name && !x.hidden);
  if (!c) throw err('UNDEFINED_COLUMN', `column "${name}" of relation "${t.name}" does not exist`, location);
  return c;
}

export async function alterTable(sc: StatementContext, stmt: AlterTableStmt): Promise<QueryResult> {
  const r = await sc.catalog.resolveRelation(sc.database, sc.searchPath, stmt.table);
  if (!r) {
    if (stmt.ifExists) return done;
    throw err('UNDEFINED_TABLE', `relation "${stmt.table.join('.')}" does not exist`, stmt.location);
  }
  if (r.kind !== 'table') {
    const only = stmt.actions.length === 1 && stmt.actions[0]?.kind === 'renameTable';
    if (!only) throw err('WRONG_OBJECT_TYPE', `"${r.name}" is not a table`, stmt.location);
  }
  let t = r as TableDesc;
  for (const a of stmt.actions) {
    if (r.kind !== 'table' && a.kind === 'renameTable') {
      await sc.catalog.update({ ...r, name: a.newName });
      return done;
    }
    t = await applyAction(sc, t, a, stmt.location);
  }
  return done;
}

async function applyAction(
  sc: StatementContext,
  t: TableDesc,
  a: AlterTableAction,
  location: number,
): Promise<TableDesc> {
  const binder = new ExprBinder({ params: sc.params, ctx: sc.typeContext });
  switch (a.kind) {
    case 'addColumn':
      return addColumn(sc, t, a.column, a.ifNotExists, binder);
    case 'dropColumn': {
      const c = t.columns.find((x) => x.name === a.column && !x.hidden);
      if (!c) {
        if (a.ifExists) return t;
        throw err('UNDEFINED_COLUMN', `column "${a.column}" of relation "${t.name}" does not exist`, location);
      }
      if (t.primaryIndex.columns.some((ic) => ic.columnId === c.id)) {
        throw err(
          'DEPENDENT_OBJECTS_STILL_EXIST',
          `cannot drop column ${c.name} of table ${t.name} because other objects depend on it`,
          location,
          {
            detail: `constraint ${t.primaryIndex.name} on table ${t.name} depends on column ${c.name} of table ${t.name}`,
          },
        );
      }
      if (t.columns.filter((x) => !x.hidden).length === 1) {
        throw err('FEATURE_NOT_SUPPORTED', 'a table must keep at least one column', location);
      }
      // Indexes on the column go with it (as in PostgreSQL); so do CHECKs that mention it.
      const gone = t.indexes.filter((ix) => ix.columns.some((ic) => ic.columnId === c.id) || ix.storing.includes(c.id));
      for (const ix of gone) {
        const span = indexSpan(t.id, ix.id);
        await sc.txn.delRange(span.start, span.end);
      }
      const checks = t.checks.filter((ch) => !mentions(ch.expr, c.name));
      if (c.sequenceId !== undefined) {
        const seq = (await sc.catalog.byId(c.sequenceId)) as SequenceDesc | undefined;
        if (seq) await sc.catalog.drop(seq);
      }
      return sc.catalog.update({
        ...t,
        columns: t.columns.filter((x) => x !== c),
        indexes: t.indexes.filter((ix) => !gone.includes(ix)),
        checks,
      });
    }
    case 'renameColumn': {
      const c = columnOf(t, a.column, location);
      if (t.columns.some((x) => x.name === a.newName)) {
        throw err('DUPLICATE_COLUMN', `column "${a.newName}" of relation "${t.name}" already exists`, location);
      }
      return sc.catalog.update({ ...t, columns: t.columns.map((x) => (x === c ? { ...x, name: a.newName } : x)) });
    }
    case 'renameTable':
      return sc.catalog.update({ ...t, name: a.newName });
    case 'setDefault': {
      const c = columnOf(t, a.column, location);
      coerce(binder.bind(a.expr, { columns: [] }), c.type, 'assignment', binder.b);
      return sc.catalog.update({ ...t, columns: t.columns.map((x) => (x === c ? { ...x, defaultExpr: a.expr } : x)) });
    }
    case 'dropDefault': {
      const c = columnOf(t, a.column, location);
      return sc.catalog.update({
        ...t,
        columns: t.columns.map((x) => {
          if (x !== c) return x;
          const { defaultExpr: _drop, ...rest } = x;
          return rest;
        }),
      });
    }
    case 'setNotNull': {
      const c = columnOf(t, a.column, location);
      const codec = new TableCodec(t);
      const pos = codec.position(c.id);
      for (const row of await allRows(sc, codec)) {
        if (row[pos] === null)
          throw err('NOT_NULL_VIOLATION', `column "${c.name}" of relation "${t.name}" contains null values`, location);
      }
      return sc.catalog.update({ ...t, columns: t.columns.map((x) => (x === c ? { ...x, nullable: false } : x)) });
    }
    case 'dropNotNull': {
      const c = columnOf(t, a.column, location);
      if (t.primaryIndex.columns.some((ic) => ic.columnId === c.id)) {
        throw err('INVALID_TABLE_DEFINITION', `column "${c.name}" is in a primary key`, location);
      }
      return sc.catalog.update({ ...t, columns: t.columns.map((x) => (x === c ? { ...x, nullable: true } : x)) });
    }
    case 'addConstraint': {
      const k = a.constraint;
      if (k.kind === 'check') {
        const name = k.name ?? `${t.name}_check`;
        if (t.checks.some((ch) => ch.name === name)) {
          throw err('DUPLICATE_OBJECT', `constraint "${name}" for relation "${t.name}" already exists`, location);
        }
        const cond = binder.bindCondition(k.expr, scopeOf(t), 'CHECK');
        for (const row of await allRows(sc, new TableCodec(t))) {
          if (cond.eval(row, sc.env) === false) {
            throw err(
              'CHECK_VIOLATION',
              `check constraint "${name}" of relation "${t.name}" is violated by some row`,
              location,
            );
          }
        }
        return sc.catalog.update({ ...t, checks: [...t.checks, { name, expr: k.expr }] });
      }
      if (k.kind === 'unique') {
        const cols = k.columns.map((n) => columnOf(t, n, location));
        for (const c of cols) keyTypeOf(c.type);
        const name = k.name ?? `${t.name}_${k.columns.join('_')}_key`;
        const index: IndexDesc = {
          id: t.nextIndexId,
          name,
          unique: true,
          columns: cols.map((c) => ({ columnId: c.id, direction: 'asc' })),
          storing: k.include.map((n) => columnOf(t, n, location).id),
          constraint: name,
        };
        const next: TableDesc = { ...t, indexes: [...t.indexes, index], nextIndexId: t.nextIndexId + 1 };
        const codec = new TableCodec(next);
        const ix = codec.indexes[codec.indexes.length - 1];
        if (ix) for (const row of await allRows(sc, codec)) await ix.insert(sc.txn, row);
        return sc.catalog.update(next);
      }
      if (k.kind === 'foreignKey') {
        const { fk, parent } = await foreignKeyFor(sc, t, k.columns, k.reference, k.name, location);
        let next: TableDesc = withFkIndex({ ...t, foreignKeys: [...t.foreignKeys, fk] }, fk);
        if (parent.id === t.id)
          next = { ...next, inboundForeignKeys: [...next.inboundForeignKeys, { tableId: t.id, name: fk.name }] };
        const codec = new TableCodec(next);
        const added = next.indexes.length > t.indexes.length ? codec.indexes[codec.indexes.length - 1] : undefined;
        const saved = await sc.catalog.update(next);
        for (const row of await allRows(sc, codec)) {
          await checkReferences(sc, saved, row);
          if (added) await added.insert(sc.txn, row);
        }
        if (parent.id !== t.id) {
          const fresh = (await sc.catalog.byId(parent.id)) as TableDesc;
          await sc.catalog.update({
            ...fresh,
            inboundForeignKeys: [...fresh.inboundForeignKeys, { tableId: t.id, name: fk.name }],
          });
        }
        return saved;
      }
      return addPrimaryKey(sc, t, k.columns, k.name, k.location >= 0 ? k.location : location);
    }
    case 'dropConstraint': {
      const fk = t.foreignKeys.find((f) => f.name === a.constraint);
      if (fk) {
        const saved = await sc.catalog.update({ ...t, foreignKeys: t.foreignKeys.filter((f) => f !== fk) });
        const parent = (await sc.catalog.byId(fk.referencedTableId)) as TableDesc | undefined;
        if (parent) {
          const inbound = parent.inboundForeignKeys.filter((i) => !(i.tableId === t.id && i.name === fk.name));
          if (parent.id === t.id) return sc.catalog.update({ ...saved, inboundForeignKeys: inbound });
          await sc.catalog.update({ ...parent, inboundForeignKeys: inbound });
        }
        return saved;
      }
      if (t.checks.some((ch) => ch.name === a.constraint)) {
        return sc.catalog.update({ ...t, checks: t.checks.filter((ch) => ch.name !== a.constraint) });
      }
      const ix = t.indexes.find((i) => i.constraint === a.constraint);
      if (ix) {
        const span = indexSpan(t.id, ix.id);
        await sc.txn.delRange(span.start, span.end);
        return sc.catalog.update({ ...t, indexes: t.indexes.filter((i) => i !== ix) });
      }
      if (t.primaryIndex.constraint === a.constraint) {
        throw err('FEATURE_NOT_SUPPORTED', 'dropping a primary key is not supported yet', location);
      }
      if (a.ifExists) return t;
      throw err('UNDEFINED_OBJECT', `constraint "${a.constraint}" of relation "${t.name}" does not exist`, location);
    }
    case 'renameConstraint': {
      if (t.checks.some((ch) => ch.name === a.constraint)) {
        return sc.catalog.update({
          ...t,
          checks: t.checks.map((ch) => (ch.name === a.constraint ? { ...ch, name: a.newName } : ch)),
        });
      }
      const ix = [t.primaryIndex, ...t.indexes].find((i) => i.constraint === a.constraint);
      if (!ix)
        throw err('UNDEFINED_OBJECT', `constraint "${a.constraint}" for table "${t.name}" does not exist`, location);
      const renamed = { ...ix, name: a.newName, constraint: a.newName };
      return sc.catalog.update(
        ix === t.primaryIndex
          ? { ...t, primaryIndex: renamed }
          : { ...t, indexes: t.indexes.map((i) => (i === ix ? renamed : i)) },
      );
    }
    case 'alterColumnType': {
      const c = columnOf(t, a.column, location);
      const to = typeFromName(a.type);
      if (a.using) throw err('FEATURE_NOT_SUPPORTED', 'ALTER COLUMN TYPE ... USING is not supported yet', location);
      const ctxKind = castContext(c.type, to);
      if (!castAllowed(ctxKind, 'assignment')) {
        throw err(
          'DATATYPE_MISMATCH',
          `column "${c.name}" cannot be cast automatically to type ${typeName(to)}`,
          location,
          {
            hint: `You might need to specify "USING ${c.name}::${typeName(to)}".`,
          },
        );
      }
      const inKey = [t.primaryIndex, ...t.indexes].some((ix) => ix.columns.some((ic) => ic.columnId === c.id));
      if (inKey) keyTypeOf(to);
      const next: TableDesc = { ...t, columns: t.columns.map((x) => (x === c ? { ...x, type: to } : x)) };
      const oldCodec = new TableCodec(t);
      const newCodec = new TableCodec(next);
      const pos = oldCodec.position(c.id);
      for (const row of await allRows(sc, oldCodec)) {
        const v = row[pos] ?? null;
        const converted = [...row];
        converted[pos] = v === null ? null : applyTypmod(to, cast(v, c.type, to, sc.typeContext, 'assignment'));
        await oldCodec.delete(sc.txn, row);
        await newCodec.insert(sc.txn, converted);
      }
      return sc.catalog.update(next);
    }
  }
}

function mentions(expr: unknown, column: string): boolean {
  if (expr === null || typeof expr !== 'object') return false;
  if (Array.isArray(expr)) return expr.some((x) => mentions(x, column));
  const node = expr as { kind?: string; names?: readonly string[] };
  if (node.kind === 'columnRef' && node.names?.[node.names.length - 1] === column) return true;
  return Object.values(node).some((x) => mentions(x, column));
}

async function addColumn(
  sc: StatementContext,
  t: TableDesc,
  def: ColumnDef,
  ifNotExists: boolean,
  binder: ExprBinder,
): Promise<TableDesc> {
  if (t.columns.some((c) => c.name === def.name)) {
    if (ifNotExists) return t;
    throw err('DUPLICATE_COLUMN', `column "${def.name}" of relation "${t.name}" already exists`, def.location);
  }
  const type = typeFromName(def.type);
  let col: ColumnDesc = { id: t.nextColumnId, name: def.name, type, nullable: true };
  let unique = false;
  const checks = [...t.checks];
  for (const c of def.constraints) {
    switch (c.kind) {
      case 'notNull':
        col = { ...col, nullable: false };
        break;
      case 'null':
        break;
      case 'default':
        col = { ...col, defaultExpr: c.expr };
        break;
      case 'unique':
        unique = true;
        break;
      case 'check':
        checks.push({ name: c.name ?? `${t.name}_${def.name}_check`, expr: c.expr });
        break;
      default:
        throw err('FEATURE_NOT_SUPPORTED', `ADD COLUMN with ${c.kind} is not supported yet`, c.location);
    }
  }
  let next: TableDesc = { ...t, columns: [...t.columns, col], nextColumnId: t.nextColumnId + 1, checks };
  if (unique) {
    keyTypeOf(type);
    const name = `${t.name}_${def.name}_key`;
    next = {
      ...next,
      indexes: [
        ...next.indexes,
        {
          id: next.nextIndexId,
          name,
          unique: true,
          columns: [{ columnId: col.id, direction: 'asc' }],
          storing: [],
          constraint: name,
        },
      ],
      nextIndexId: next.nextIndexId + 1,
    };
  }
  // Existing rows get the default (evaluated for each row), or NULL.
  const oldCodec = new TableCodec(t);
  const newCodec = new TableCodec(next);
  const rows = await allRows(sc, oldCodec);
  const dflt = col.defaultExpr
    ? coerce(binder.bind(col.defaultExpr, { columns: [] }), type, 'assignment', binder.b)
    : undefined;
  const scope = scopeOf(next);
  const bound = checks.slice(t.checks.length).map((ch) => ({ ch, e: binder.bindCondition(ch.expr, scope, 'CHECK') }));
  for (const row of rows) {
    const v = dflt ? applyTypmod(type, dflt.eval([], sc.env)) : null;
    if (v === null && !col.nullable) {
      throw err(
        'NOT_NULL_VIOLATION',
        `column "${def.name}" of relation "${t.name}" contains null values`,
        def.location,
      );
    }
    const updated = [...row, v];
    for (const { ch, e } of bound) {
      if (e.eval(updated, sc.env) === false) {
        throw err(
          'CHECK_VIOLATION',
          `check constraint "${ch.name}" of relation "${t.name}" is violated by some row`,
          def.location,
        );
      }
    }
    if (v !== null || unique) await newCodec.update(sc.txn, [...row, null], updated);
  }

  return sc.catalog.update(next);
}

/**
 * ADD PRIMARY KEY on a table declared without one. Its rows are keyed by the hidden rowid, so the
 * primary index is rebuilt keyed by the new columns — and every secondary index with it, since
 * their entries carry the primary key — all inside the statement's transaction. As in PostgreSQL,
 * the key must be unique (23505, checked first) and without NULLs (23502), and its columns become
 * NOT NULL. The rowid column goes away.
 */
async function addPrimaryKey(
  sc: StatementContext,
  t: TableDesc,
  names: readonly string[],
  given: string | undefined,
  location: number,
): Promise<TableDesc> {
  if (t.primaryIndex.constraint !== undefined) {
    throw err('INVALID_TABLE_DEFINITION', `multiple primary keys for table "${t.name}" are not allowed`, location);
  }
  const cols = names.map((n) => columnOf(t, n, location));
  for (const [i, c] of cols.entries()) {
    if (cols.indexOf(c) !== i)
      throw err('DUPLICATE_COLUMN', `column "${c.name}" appears twice in primary key constraint`, location);
    keyTypeOf(c.type);
  }
  const name = given ?? (await freeRelationName(sc, t, `${t.name}_pkey`));
  if (given !== undefined && (await relationNameTaken(sc, t, given))) {
    throw err('DUPLICATE_TABLE', `relation "${given}" already exists`, location);
  }
  const rowid = t.columns.filter((c) => c.hidden && t.primaryIndex.columns.some((ic) => ic.columnId === c.id));
  const keyIds = new Set(cols.map((c) => c.id));
  const next: TableDesc = {
    ...t,
    columns: t.columns.filter((c) => !rowid.includes(c)).map((c) => (keyIds.has(c.id) ? { ...c, nullable: false } : c)),
    primaryIndex: {
      id: PRIMARY_INDEX_ID,
      name,
      unique: true,
      columns: cols.map((c) => ({ columnId: c.id, direction: 'asc' })),
      storing: [],
      constraint: name,
    },
  };
  const oldCodec = new TableCodec(t);
  const newCodec = new TableCodec(next);
  // Rows in the new table's column order (without the rowid), each with its new key.
  const keep = next.columns.map((c) => oldCodec.position(c.id));
  const rows: { key: Buffer; row: Datum[] }[] = [];
  const span = oldCodec.span();
  for await (const batch of sc.txn.scanBatches(span.start, span.end)) {
    for (const kv of batch) {
      const old = oldCodec.decodeRow(kv.key, kv.value);
      const row = keep.map((p) => old[p] ?? null);
      rows.push({ key: newCodec.primaryKey(row), row });
    }
    await sc.checkInterrupts?.();
  }
  // Uniqueness first (PostgreSQL builds the index before it checks the NOT NULLs): the first
  // duplicate in key order is the one reported.
  const positions = cols.map((c) => newCodec.position(c.id));
  rows.sort((a, b) => Buffer.compare(a.key, b.key));
  for (let i = 1; i < rows.length; i++) {
    const a = rows[i - 1] as { key: Buffer; row: Datum[] };
    const b = rows[i] as { key: Buffer; row: Datum[] };
    if (!a.key.equals(b.key) || positions.some((p) => b.row[p] === null)) continue;
    throw err('UNIQUE_VIOLATION', `could not create unique index "${name}"`, undefined, {
      detail: `${newCodec.describeKey(positions, b.row)} is duplicated.`,
      constraint: name,
    });
  }
  for (const c of next.columns) {
    if (!keyIds.has(c.id)) continue;
    const p = newCodec.position(c.id);
    if (rows.some((r) => r.row[p] === null)) {
      throw err('NOT_NULL_VIOLATION', `column "${c.name}" of relation "${t.name}" contains null values`, undefined, {
        column: c.name,
      });
    }
  }
  // Every index of the table is written anew.
  const all = tableSpan(t.id);
  await sc.txn.delRange(all.start, all.end);
  for (const [i, r] of rows.entries()) {
    await newCodec.load(sc.txn, r.row);
    if (i % 256 === 255) await sc.checkInterrupts?.();
  }
  return sc.catalog.update(next);
}

/** Whether `name` is taken in `t`'s schema by a relation or an index (not `t`'s own rowid key). */
async function relationNameTaken(sc: StatementContext, t: TableDesc, name: string): Promise<boolean> {
  for (const r of await sc.catalog.relations(t.databaseId, t.schemaId)) {
    if (r.name === name) return true;
    if (r.kind !== 'table') continue;
    // A primary index without a constraint (a rowid table's) is not an object with a name.
    if (allIndexes(r).some((ix) => ix.name === name && (ix.constraint !== undefined || ix !== r.primaryIndex))) {
      return true;
    }
  }
  return false;
}

/** PostgreSQL's ChooseRelationName: `base`, else `base1`, `base2`, … — the first not taken. */
async function freeRelationName(sc: StatementContext, t: TableDesc, base: string): Promise<string> {
  for (let n = 0; ; n++) {
    const suffix = n === 0 ? '' : String(n);
    let head = base;
    while (Buffer.byteLength(head + suffix) > 63) head = head.slice(0, -1);
    if (!(await relationNameTaken(sc, t, head + suffix))) return head + suffix;
  }
}
