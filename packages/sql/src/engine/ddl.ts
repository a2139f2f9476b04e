import { ThinkLiteError } from '@thinklite/base';
import { DEFAULT_SCHEMA } from '../catalog/catalog.js';
import {
  type CheckDesc,
  type ColumnDesc,
  type DatabaseDesc,
  type IndexColumn,
  type IndexDesc,
  PRIMARY_INDEX_ID,
  type RelationDesc,
  type SchemaDesc,
  type SequenceDesc,
  type TableDesc,
  type ViewDesc,
} from '../catalog/descriptors.js';
import { indexSpan, sequenceKey, tableSpan } from '../catalog/keys.js';
import type {
  CreateDatabaseStmt,
  CreateIndexStmt,
  CreateSchemaStmt,
  CreateSequenceStmt,
  CreateTableStmt,
  CreateViewStmt,
  DropStmt,
  ForeignKeyReference,
  QualifiedName,
  SelectStmt,
  TruncateStmt,
  TypeName,
} from '../parser/ast.js';
import { keyTypeOf } from '../rowcodec/key.js';
import { type SqlType, Types } from '../types/type.js';
import type { QueryResult, StatementContext } from './context.js';
import { sqlError } from './errors.js';
import { typeFromName } from './expr.js';
import { foreignKeyFor, withFkIndex } from './fk.js';
import { checkStorageParams } from './reloptions.js';
import { TableCodec } from './table.js';

/** CREATE TABLE, CREATE INDEX, DROP: descriptors written in the statement's transaction. */

const err = sqlError;

const done = (command: string): QueryResult => ({ command, rowCount: 0, columns: [], rows: [] });

const NAME_MAX = 63;

async function targetSchema(
  sc: StatementContext,
  name: QualifiedName,
  location: number,
): Promise<{ schema: SchemaDesc; name: string }> {
  const last = name[name.length - 1] as string;
  if (name.length > 3)
    throw err('SYNTAX_ERROR', `improper qualified name (too many dotted names): ${name.join('.')}`, location);
  if (name.length === 3 && name[0] !== sc.database.name) {
    throw err('FEATURE_NOT_SUPPORTED', `cross-database references are not implemented: ${name.join('.')}`, location);
  }
  const schemaName = name.length >= 2 ? (name[name.length - 2] as string) : (sc.searchPath[0] ?? DEFAULT_SCHEMA);
  const schema = await sc.catalog.schema(sc.database.id, schemaName);
  if (!schema) throw err('INVALID_SCHEMA_NAME', `schema "${schemaName}" does not exist`, location);
  return { schema, name: last };
}

const SERIALS: Record<string, SqlType> = {
  smallserial: Types.int2,
  serial2: Types.int2,
  serial: Types.int4,
  serial4: Types.int4,
  bigserial: Types.int8,
  serial8: Types.int8,
};

const SEQUENCE_MAX: Record<string, bigint> = { int2: 32767n, int4: 2147483647n, int8: 9223372036854775807n };

function serialType(t: TypeName): SqlType | undefined {
  return t.names.length === 1 && t.arrayBounds.length === 0 ? SERIALS[t.names[0] as string] : undefined;
}

export async function createTable(sc: StatementContext, stmt: CreateTableStmt): Promise<QueryResult> {
  if (stmt.persistence === 'temporary')
    throw err('FEATURE_NOT_SUPPORTED', 'temporary tables are not supported yet', stmt.location);
  const { schema, name } = await targetSchema(sc, stmt.name, stmt.location);
  if (Buffer.byteLength(name) > NAME_MAX) throw err('NAME_TOO_LONG', `identifier "${name}" is too long`, stmt.location);
  const existing = await sc.catalog.relation(sc.database.id, schema.id, name);
  if (existing && stmt.ifNotExists) return done('CREATE TABLE');
  // Storage parameters are checked (PostgreSQL's errors) and not kept: there are no pages to tune.
  if (stmt.storageParams) checkStorageParams(stmt.storageParams);
  if (existing) throw err('DUPLICATE_TABLE', `relation "${name}" already exists`, stmt.location);
  if (stmt.columns.length === 0)
    throw err('FEATURE_NOT_SUPPORTED', 'tables without columns are not supported', stmt.location);
  const tableId = await sc.catalog.allocateId();
  const columns: ColumnDesc[] = [];
  const ownedSequences: Omit<SequenceDesc, 'id' | 'version'>[] = [];
  let pk: { names: string[]; constraint?: string } | undefined;
  const uniques: { names: string[]; constraint?: string; include: string[] }[] = [];
  const checks: CheckDesc[] = [];
  const fkClauses: { columns: string[]; ref: ForeignKeyReference; name?: string; location: number }[] = [];
  const setPk = (names: string[], constraint: string | undefined, location: number) => {
    if (pk)
      throw err('INVALID_TABLE_DEFINITION', `multiple primary keys for table "${name}" are not allowed`, location);
    pk = constraint === undefined ? { names } : { names, constraint };
  };
  for (const def of stmt.columns) {
    if (columns.some((c) => c.name === def.name)) {
      throw err('DUPLICATE_COLUMN', `column "${def.name}" specified more than once`, def.location);
    }
    const serial = serialType(def.type);
    const type = serial ?? typeFromName(def.type);
    let nullable = true;
    let col: ColumnDesc = { id: columns.length + 1, name: def.name, type, nullable };
    if (serial) {
      ownedSequences.push(sequenceFor(sc, schema, `${name}_${def.name}_seq`, serial, tableId, col.id));
      nullable = false;
    }
    for (const c of def.constraints) {
      switch (c.kind) {
        case 'notNull':
          nullable = false;
          break;
        case 'null':
          break;
        case 'default':
          col = { ...col, defaultExpr: c.expr };
          break;
        case 'primaryKey':
          setPk([def.name], c.name, c.location);
          nullable = false;
          break;
        case 'unique':
          uniques.push(
            c.name === undefined
              ? { names: [def.name], include: [] }
              : { names: [def.name], constraint: c.name, include: [] },
          );
          break;
        case 'check':
          checks.push({ name: c.name ?? `${name}_${def.name}_check`, expr: c.expr });
          break;
        case 'references':
          fkClauses.push({
            columns: [def.name],
            ref: c.reference,
            ...(c.name ? { name: c.name } : {}),
            location: c.location,
          });
          break;
        case 'identity':
          ownedSequences.push(sequenceFor(sc, schema, `${name}_${def.name}_seq`, type, tableId, col.id));
          col = { ...col, identity: c.generated === 'always' ? 'always' : 'by-default' };
          nullable = false;
          break;
        default:
          throw err('FEATURE_NOT_SUPPORTED', `${c.kind} column constraints are not supported yet`, c.location);
      }
    }
    columns.push({ ...col, nullable });
  }
  for (const c of stmt.constraints) {
    switch (c.kind) {
      case 'primaryKey':
        setPk([...c.columns], c.name, c.location);
        break;
      case 'unique':
        uniques.push(
          c.name === undefined
            ? { names: [...c.columns], include: [...c.include] }
            : { names: [...c.columns], constraint: c.name, include: [...c.include] },
        );
        break;
      case 'check':
        checks.push({ name: c.name ?? `${name}_check${checks.length > 0 ? checks.length : ''}`, expr: c.expr });
        break;
      case 'foreignKey':
        fkClauses.push({
          columns: [...c.columns],
          ref: c.reference,
          ...(c.name ? { name: c.name } : {}),
          location: c.location,
        });
        break;
    }
  }
  const byName = (n: string, location: number): ColumnDesc => {
    const c = columns.find((x) => x.name === n);
    if (!c) throw err('UNDEFINED_COLUMN', `column "${n}" named in key does not exist`, location);
    return c;
  };
  const keyCols = (names: readonly string[]): IndexColumn[] =>
    names.map((n) => {
      const c = byName(n, stmt.location);
      keyTypeOf(c.type);
      return { columnId: c.id, direction: 'asc' };
    });
  let primaryIndex: IndexDesc;
  if (pk) {
    const pkNames = (pk as { names: string[] }).names;
    for (const n of pkNames) {
      const i = columns.findIndex((c) => c.name === n);
      if (i < 0) byName(n, stmt.location);
      columns[i] = { ...(columns[i] as ColumnDesc), nullable: false };
    }
    const constraint = (pk as { constraint?: string }).constraint ?? `${name}_pkey`;
    primaryIndex = {
      id: PRIMARY_INDEX_ID,
      name: constraint,
      unique: true,
      columns: keyCols(pkNames),
      storing: [],
      constraint,
    };
  } else {
    // No primary key: rows are keyed by a hidden, unique rowid (CockroachDB's way).
    const rowid: ColumnDesc = {
      id: columns.length + 1,
      name: 'rowid',
      type: Types.int8,
      nullable: false,
      hidden: true,
    };
    columns.push(rowid);
    primaryIndex = {
      id: PRIMARY_INDEX_ID,
      name: `${name}_pkey`,
      unique: true,
      columns: [{ columnId: rowid.id, direction: 'asc' }],
      storing: [],
    };
  }
  const indexes: IndexDesc[] = uniques.map((u, i) => {
    const constraint = u.constraint ?? `${name}_${u.names.join('_')}_key`;
    return {
      id: PRIMARY_INDEX_ID + 1 + i,
      name: constraint,
      unique: true,
      columns: keyCols(u.names),
      storing: u.include.map((n) => byName(n, stmt.location).id),
      constraint,
    };
  });
  const desc: TableDesc = {
    kind: 'table',
    id: tableId,
    version: 1,
    name,
    databaseId: sc.database.id,
    schemaId: schema.id,
    columns,
    nextColumnId: columns.length + 1,
    primaryIndex,
    indexes,
    nextIndexId: PRIMARY_INDEX_ID + 1 + indexes.length,
    checks,
    foreignKeys: [],
    inboundForeignKeys: [],
  };
  let created = desc;
  const parents: TableDesc[] = [];
  for (const f of fkClauses) {
    const { fk, parent } = await foreignKeyFor(sc, created, f.columns, f.ref, f.name, f.location);
    created = withFkIndex({ ...created, foreignKeys: [...created.foreignKeys, fk] }, fk);
    if (parent.id === created.id)
      created = {
        ...created,
        inboundForeignKeys: [...created.inboundForeignKeys, { tableId: created.id, name: fk.name }],
      };
    else parents.push(parent);
  }
  await sc.catalog.createWithId(created);
  for (const p of parents) {
    const fresh = (await sc.catalog.byId(p.id)) as TableDesc;
    const names = created.foreignKeys.filter((f) => f.referencedTableId === p.id).map((f) => f.name);
    const inbound = [
      ...fresh.inboundForeignKeys.filter((i) => i.tableId !== created.id),
      ...names.map((name) => ({ tableId: created.id, name })),
    ];
    await sc.catalog.update({ ...fresh, inboundForeignKeys: inbound });
  }
  for (const seq of ownedSequences) {
    const s = await sc.catalog.create<SequenceDesc>(seq);
    const i = columns.findIndex((c) => c.id === seq.ownedBy?.columnId);
    columns[i] = { ...(columns[i] as ColumnDesc), sequenceId: s.id };
  }
  if (ownedSequences.length > 0)
    await sc.catalog.update({ ...((await sc.catalog.byId(desc.id)) as TableDesc), columns });
  return done('CREATE TABLE');
}

function sequenceFor(
  sc: StatementContext,
  schema: SchemaDesc,
  name: string,
  type: SqlType,
  tableId: number,
  columnId: number,
): Omit<SequenceDesc, 'id' | 'version'> {
  return {
    kind: 'sequence',
    name,
    databaseId: sc.database.id,
    schemaId: schema.id,
    increment: 1n,
    minValue: 1n,
    maxValue: SEQUENCE_MAX[type.kind] ?? (SEQUENCE_MAX.int8 as bigint),
    start: 1n,
    cycle: false,
    ownedBy: { tableId, columnId },
  };
}

export async function createIndex(sc: StatementContext, stmt: CreateIndexStmt): Promise<QueryResult> {
  const table = await sc.catalog.resolveTable(sc.database, sc.searchPath, stmt.table);
  if (stmt.where) throw err('FEATURE_NOT_SUPPORTED', 'partial indexes are not supported yet', stmt.where.location);
  const columns: IndexColumn[] = stmt.columns.map((el) => {
    if (!el.column) throw err('FEATURE_NOT_SUPPORTED', 'expression indexes are not supported yet', el.location);
    const c = table.columns.find((x) => x.name === el.column && !x.hidden);
    if (!c) throw err('UNDEFINED_COLUMN', `column "${el.column}" does not exist`, el.location);
    keyTypeOf(c.type);
    const direction = el.direction === 'desc' ? 'desc' : 'asc';
    return el.nulls === 'default'
      ? { columnId: c.id, direction }
      : { columnId: c.id, direction, nullsFirst: el.nulls === 'first' };
  });
  const storing = stmt.include.map((n) => {
    const c = table.columns.find((x) => x.name === n && !x.hidden);
    if (!c) throw err('UNDEFINED_COLUMN', `column "${n}" does not exist`, stmt.location);
    return c.id;
  });
  const firstCol = table.columns.find((c) => c.id === columns[0]?.columnId)?.name ?? 'expr';
  const name = stmt.name ?? `${table.name}_${firstCol}_idx`;
  const schemaRelation = await sc.catalog.relation(sc.database.id, table.schemaId, name);
  // (The primary index of a table without a primary key is not an object; its name is free.)
  const pkName = table.primaryIndex.constraint === undefined ? undefined : table.primaryIndex.name;
  if (schemaRelation || table.indexes.some((i) => i.name === name) || pkName === name) {
    if (stmt.ifNotExists) return done('CREATE INDEX');
    throw err('DUPLICATE_TABLE', `relation "${name}" already exists`, stmt.location);
  }
  const index: IndexDesc = { id: table.nextIndexId, name, unique: stmt.unique, columns, storing };
  const next: TableDesc = { ...table, indexes: [...table.indexes, index], nextIndexId: table.nextIndexId + 1 };
  // Backfill: an entry for every existing row (a duplicate fails a unique index here).
  const codec = new TableCodec(next);
  const ix = codec.indexes[codec.indexes.length - 1];
  const span = codec.span();
  if (ix)
    for await (const kv of sc.txn.scan(span.start, span.end))
      await ix.insert(sc.txn, codec.decodeRow(kv.key, kv.value));
  await sc.catalog.update(next);
  return done('CREATE INDEX');
}

export async function drop(sc: StatementContext, stmt: DropStmt, inBlock = false): Promise<QueryResult> {
  const tag = `DROP ${stmt.objectType.toUpperCase()}`;
  if (stmt.objectType === 'schema' || stmt.objectType === 'database') return dropSchemaOrDatabase(sc, stmt, inBlock);
  // Tables dropped together may refer to each other (`DROP TABLE parent, child`).
  const dropping = new Set<number>();
  if (stmt.objectType === 'table') {
    for (const name of stmt.names) {
      const r = await sc.catalog.resolveRelation(sc.database, sc.searchPath, name);
      if (r?.kind === 'table') dropping.add(r.id);
    }
  }
  for (const name of stmt.names) {
    if (stmt.objectType === 'index') {
      await dropIndex(sc, name, stmt.ifExists, stmt.location);
      continue;
    }
    const r = await sc.catalog.resolveRelation(sc.database, sc.searchPath, name);
    const shown = name[name.length - 1];
    if (!r) {
      if (stmt.ifExists) continue;
      throw err('UNDEFINED_TABLE', `${stmt.objectType} "${shown}" does not exist`, stmt.location);
    }
    if (r.kind !== stmt.objectType) {
      throw err('WRONG_OBJECT_TYPE', `"${r.name}" is not a ${stmt.objectType}`, stmt.location, {
        hint: `Use DROP ${r.kind.toUpperCase()} to remove a ${r.kind}.`,
      });
    }
    if (r.kind === 'sequence' && r.ownedBy && !stmt.cascade && (await sc.catalog.byId(r.ownedBy.tableId))) {
      throw err(
        'DEPENDENT_OBJECTS_STILL_EXIST',
        `cannot drop sequence ${r.name} because other objects depend on it`,
        stmt.location,
        {
          hint: 'Use DROP ... CASCADE to drop the dependent objects too.',
        },
      );
    }
    await dropDependents(sc, r, stmt.cascade, stmt.location);
    if (r.kind === 'table') await detachForeignKeys(sc, r, stmt.cascade || dropping, stmt.location);
    await dropRelationData(sc, r);
  }
  return done(tag);
}

async function dropSequence(sc: StatementContext, seq: SequenceDesc): Promise<void> {
  sc.txn.del(sequenceKey(seq.id));
  await sc.catalog.drop(seq);
}

async function dropIndex(
  sc: StatementContext,
  name: QualifiedName,
  ifExists: boolean,
  location: number,
): Promise<void> {
  const indexName = name[name.length - 1] as string;
  const schemaName = name.length >= 2 ? (name[name.length - 2] as string) : undefined;
  for (const s of schemaName ? [schemaName] : sc.searchPath) {
    const schema = await sc.catalog.schema(sc.database.id, s);
    if (!schema) continue;
    for (const r of await sc.catalog.relations(sc.database.id, schema.id)) {
      if (r.kind !== 'table') continue;
      const ix = r.indexes.find((i) => i.name === indexName);
      if (!ix) {
        if (r.primaryIndex.constraint !== undefined && r.primaryIndex.name === indexName) {
          throw err(
            'DEPENDENT_OBJECTS_STILL_EXIST',
            `cannot drop index ${indexName} because constraint ${indexName} on table ${r.name} requires it`,
            location,
          );
        }
        continue;
      }
      if (ix.constraint) {
        throw err(
          'DEPENDENT_OBJECTS_STILL_EXIST',
          `cannot drop index ${indexName} because constraint ${ix.constraint} on table ${r.name} requires it`,
          location,
        );
      }
      const span = indexSpan(r.id, ix.id);
      await sc.txn.delRange(span.start, span.end);
      await sc.catalog.update({ ...r, indexes: r.indexes.filter((i) => i !== ix) });
      return;
    }
  }
  if (!ifExists) throw err('UNDEFINED_OBJECT', `index "${indexName}" does not exist`, location);
}

// --- schemas, databases, views, TRUNCATE ---------------------------------------------------------

export async function createSchema(sc: StatementContext, stmt: CreateSchemaStmt): Promise<QueryResult> {
  const name = stmt.name ?? stmt.authorization;
  if (!name) throw err('SYNTAX_ERROR', 'CREATE SCHEMA needs a name', stmt.location);
  if (await sc.catalog.schema(sc.database.id, name)) {
    if (stmt.ifNotExists) return done('CREATE SCHEMA');
    throw err('DUPLICATE_SCHEMA', `schema "${name}" already exists`, stmt.location);
  }
  await sc.catalog.create<SchemaDesc>({ kind: 'schema', name, databaseId: sc.database.id });
  return done('CREATE SCHEMA');
}

export async function createDatabase(sc: StatementContext, stmt: CreateDatabaseStmt): Promise<QueryResult> {
  if (await sc.catalog.database(stmt.name))
    throw err('DUPLICATE_DATABASE', `database "${stmt.name}" already exists`, stmt.location);
  const d = await sc.catalog.create<DatabaseDesc>({ kind: 'database', name: stmt.name });
  await sc.catalog.create<SchemaDesc>({ kind: 'schema', name: DEFAULT_SCHEMA, databaseId: d.id });
  return done('CREATE DATABASE');
}

/** Removes a relation's data and descriptor (and a table's owned sequences). */
async function dropRelationData(sc: StatementContext, r: RelationDesc): Promise<void> {
  if (r.kind === 'table') {
    const span = tableSpan(r.id);
    await sc.txn.delRange(span.start, span.end);
    for (const c of r.columns) {
      if (c.sequenceId === undefined) continue;
      const seq = await sc.catalog.byId(c.sequenceId);
      if (seq) await dropSequence(sc, seq as SequenceDesc);
    }
  } else if (r.kind === 'sequence') {
    sc.txn.del(sequenceKey(r.id));
  }
  await sc.catalog.drop(r);
}

/** Objects (views) that depend on `id`, from the schemas of `databaseId`. */
async function dependents(sc: StatementContext, databaseId: number, id: number): Promise<RelationDesc[]> {
  const out: RelationDesc[] = [];
  for (const d of await sc.catalog.all()) {
    if (d.kind === 'view' && d.databaseId === databaseId && d.dependsOn.includes(id)) out.push(d);
  }
  return out;
}

/** DROP … CASCADE drops views over the object; RESTRICT refuses while there are any. */
async function dropDependents(
  sc: StatementContext,
  r: RelationDesc,
  cascade: boolean,
  location: number,
): Promise<void> {
  const deps = await dependents(sc, r.databaseId, r.id);
  if (deps.length === 0) return;
  if (!cascade) {
    throw new ThinkLiteError(
      'DEPENDENT_OBJECTS_STILL_EXIST',
      `cannot drop ${r.kind} ${r.name} because other objects depend on it`,
      {
        location,
        detail: deps.map((d) => `view ${d.name} depends on ${r.kind} ${r.name}`).join('\n'),
        hint: 'Use DROP ... CASCADE to drop the dependent objects too.',
      },
    );
  }
  for (const d of deps) {
    await dropDependents(sc, d, true, location);
    await sc.catalog.drop(d);
  }
}

export async function dropSchemaOrDatabase(
  sc: StatementContext,
  stmt: DropStmt,
  inBlock: boolean,
): Promise<QueryResult> {
  const tag = `DROP ${stmt.objectType.toUpperCase()}`;
  for (const qn of stmt.names) {
    const name = qn[qn.length - 1] as string;
    if (stmt.objectType === 'schema') {
      const schema = await sc.catalog.schema(sc.database.id, name);
      if (!schema) {
        if (stmt.ifExists) continue;
        throw err('INVALID_SCHEMA_NAME', `schema "${name}" does not exist`, stmt.location);
      }
      const members = await sc.catalog.relations(sc.database.id, schema.id);
      if (members.length > 0 && !stmt.cascade) {
        throw new ThinkLiteError(
          'DEPENDENT_OBJECTS_STILL_EXIST',
          `cannot drop schema ${name} because other objects depend on it`,
          {
            location: stmt.location,
            detail: members.map((m) => `${m.kind} ${m.name} depends on schema ${name}`).join('\n'),
            hint: 'Use DROP ... CASCADE to drop the dependent objects too.',
          },
        );
      }
      for (const m of members) if (await sc.catalog.byId(m.id)) await dropRelationData(sc, m);
      await sc.catalog.drop(schema);
      continue;
    }
    if (inBlock)
      throw err('ACTIVE_SQL_TRANSACTION', 'DROP DATABASE cannot run inside a transaction block', stmt.location);
    const db = await sc.catalog.database(name);
    if (!db) {
      if (stmt.ifExists) continue;
      throw err('INVALID_CATALOG_NAME', `database "${name}" does not exist`, stmt.location);
    }
    if (db.id === sc.database.id)
      throw err('OBJECT_NOT_IN_PREREQUISITE_STATE', 'cannot drop the currently open database', stmt.location);
    for (const d of await sc.catalog.all()) {
      if (d.kind === 'database' || !('databaseId' in d) || d.databaseId !== db.id) continue;
      if (d.kind === 'schema') continue;
      if (await sc.catalog.byId(d.id)) await dropRelationData(sc, d);
    }
    for (const d of await sc.catalog.all()) if (d.kind === 'schema' && d.databaseId === db.id) await sc.catalog.drop(d);
    await sc.catalog.drop(db);
  }
  return done(tag);
}

export async function createView(
  sc: StatementContext,
  stmt: CreateViewStmt,
  run: (query: SelectStmt) => Promise<QueryResult>,
): Promise<QueryResult> {
  if (stmt.temporary) throw err('FEATURE_NOT_SUPPORTED', 'temporary views are not supported yet', stmt.location);
  const { schema, name } = await targetSchema(sc, stmt.name, stmt.location);
  const existing = await sc.catalog.relation(sc.database.id, schema.id, name);
  if (existing && (!stmt.orReplace || existing.kind !== 'view')) {
    throw err('DUPLICATE_TABLE', `relation "${name}" already exists`, stmt.location);
  }
  // Running the query checks it and gives its columns (and what it reads, for dependencies).
  const result = await run(stmt.query);
  if (stmt.columns.length > result.columns.length) {
    throw err('SYNTAX_ERROR', 'CREATE VIEW specifies more column names than columns', stmt.location);
  }
  const columns = result.columns.map((c, i) => ({ name: stmt.columns[i] ?? c.name, type: c.type }));
  const seen = new Set<string>();
  for (const c of columns) {
    if (seen.has(c.name)) throw err('DUPLICATE_COLUMN', `column "${c.name}" specified more than once`, stmt.location);
    seen.add(c.name);
  }
  const dependsOn = await referencedRelations(sc, stmt.query);
  const fields = {
    kind: 'view' as const,
    name,
    databaseId: sc.database.id,
    schemaId: schema.id,
    query: stmt.query,
    text: stmt.query ? ((stmt as unknown as { span?: { text: string } }).span?.text ?? '') : '',
    columns,
    dependsOn,
  };
  if (existing && existing.kind === 'view') {
    if (columns.length < existing.columns.length || existing.columns.some((c, i) => c.name !== columns[i]?.name)) {
      throw err('INVALID_TABLE_DEFINITION', 'cannot drop columns from view', stmt.location);
    }
    await sc.catalog.update({ ...existing, ...fields });
  } else await sc.catalog.create<ViewDesc>(fields);
  return done('CREATE VIEW');
}

/** The tables and views a query reads (for view dependencies). */
async function referencedRelations(sc: StatementContext, query: SelectStmt): Promise<number[]> {
  const names: QualifiedName[] = [];
  const visit = (v: unknown): void => {
    if (v === null || typeof v !== 'object') return;
    if (Array.isArray(v)) {
      for (const x of v) visit(x);
      return;
    }
    const node = v as { kind?: string; name?: QualifiedName };
    if (node.kind === 'table' && Array.isArray(node.name)) names.push(node.name);
    for (const x of Object.values(node)) visit(x);
  };
  visit(query);
  const ids = new Set<number>();
  for (const n of names) {
    const r = await sc.catalog.resolveRelation(sc.database, sc.searchPath, n).catch(() => undefined);
    if (r) ids.add(r.id);
  }
  return [...ids];
}

/**
 * Before a table is dropped: other tables' foreign keys to it block the drop (CASCADE removes
 * those constraints), and its own foreign keys leave their parents.
 */
async function detachForeignKeys(
  sc: StatementContext,
  t: TableDesc,
  cascade: true | ReadonlySet<number>,
  location: number,
): Promise<void> {
  const others = t.inboundForeignKeys.filter((i) => i.tableId !== t.id);
  // Without CASCADE, only tables dropped by the same statement may refer to this one.
  const blocking = cascade === true ? undefined : others.find((i) => !cascade.has(i.tableId));
  if (blocking) {
    const child = (await sc.catalog.byId(blocking.tableId)) as TableDesc | undefined;
    throw err(
      'DEPENDENT_OBJECTS_STILL_EXIST',
      `cannot drop table ${t.name} because other objects depend on it`,
      location,
      {
        detail: `constraint ${blocking.name} on table ${child?.name ?? '?'} depends on table ${t.name}`,
        hint: 'Use DROP ... CASCADE to drop the dependent objects too.',
      },
    );
  }
  for (const i of others) {
    const child = (await sc.catalog.byId(i.tableId)) as TableDesc | undefined;
    if (child) await sc.catalog.update({ ...child, foreignKeys: child.foreignKeys.filter((f) => f.name !== i.name) });
  }
  for (const fk of t.foreignKeys) {
    if (fk.referencedTableId === t.id) continue;
    const parent = (await sc.catalog.byId(fk.referencedTableId)) as TableDesc | undefined;
    if (parent) {
      await sc.catalog.update({
        ...parent,
        inboundForeignKeys: parent.inboundForeignKeys.filter((i) => !(i.tableId === t.id && i.name === fk.name)),
      });
    }
  }
}

export async function truncate(sc: StatementContext, stmt: TruncateStmt): Promise<QueryResult> {
  const tables = new Map<number, TableDesc>();
  for (const name of stmt.tables) {
    const t = await sc.catalog.resolveTable(sc.database, sc.searchPath, name);
    tables.set(t.id, t);
  }
  // CASCADE takes in every table that refers to one being truncated; otherwise such a table must be
  // in the list too (PostgreSQL's rule).
  for (const t of tables.values()) {
    for (const i of t.inboundForeignKeys) {
      if (tables.has(i.tableId)) continue;
      const child = (await sc.catalog.byId(i.tableId)) as TableDesc | undefined;
      if (!child) continue;
      if (stmt.cascade) {
        tables.set(child.id, child);
        continue;
      }
      throw err(
        'FEATURE_NOT_SUPPORTED',
        'cannot truncate a table referenced in a foreign key constraint',
        stmt.location,
        {
          detail: `Table "${child.name}" references "${t.name}".`,
          hint: `Truncate table "${child.name}" at the same time, or use TRUNCATE ... CASCADE.`,
        },
      );
    }
  }
  for (const t of tables.values()) {
    const span = tableSpan(t.id);
    await sc.txn.delRange(span.start, span.end);
    if (stmt.restartIdentity)
      for (const c of t.columns) if (c.sequenceId !== undefined) sc.txn.del(sequenceKey(c.sequenceId));
  }
  return done('TRUNCATE TABLE');
}

const SEQUENCE_BOUNDS: Record<string, [bigint, bigint]> = {
  int2: [-32768n, 32767n],
  int4: [-2147483648n, 2147483647n],
  int8: [-9223372036854775808n, 9223372036854775807n],
};

export async function createSequence(sc: StatementContext, stmt: CreateSequenceStmt): Promise<QueryResult> {
  if (stmt.temporary) throw err('FEATURE_NOT_SUPPORTED', 'temporary sequences are not supported yet', stmt.location);
  const { schema, name } = await targetSchema(sc, stmt.name, stmt.location);
  if (await sc.catalog.relation(sc.database.id, schema.id, name)) {
    if (stmt.ifNotExists) return done('CREATE SEQUENCE');
    throw err('DUPLICATE_TABLE', `relation "${name}" already exists`, stmt.location);
  }
  const o = stmt.options;
  const type = o.as ? typeFromName(o.as) : Types.int8;
  const bounds = SEQUENCE_BOUNDS[type.kind];
  if (!bounds)
    throw err('INVALID_PARAMETER_VALUE', 'sequence type must be smallint, integer, or bigint', stmt.location);
  const increment = o.increment ?? 1n;
  if (increment === 0n) throw err('INVALID_PARAMETER_VALUE', 'INCREMENT must not be zero', stmt.location);
  const minValue = o.minValue ?? (increment > 0n ? 1n : bounds[0]);
  const maxValue = o.maxValue ?? (increment > 0n ? bounds[1] : -1n);
  const start = o.start ?? (increment > 0n ? minValue : maxValue);
  if (minValue >= maxValue) {
    throw err(
      'INVALID_PARAMETER_VALUE',
      `MINVALUE (${minValue}) must be less than MAXVALUE (${maxValue})`,
      stmt.location,
    );
  }
  if (start < minValue || start > maxValue) {
    throw err(
      'INVALID_PARAMETER_VALUE',
      `START value (${start}) cannot be ${start < minValue ? 'less than MINVALUE' : 'greater than MAXVALUE'} (${start < minValue ? minValue : maxValue})`,
      stmt.location,
    );
  }
  await sc.catalog.create<SequenceDesc>({
    kind: 'sequence',
    name,
    databaseId: sc.database.id,
    schemaId: schema.id,
    increment,
    minValue,
    maxValue,
    start,
    cycle: o.cycle === true,
  });
  return done('CREATE SEQUENCE');
}
