import { DEFAULT_SCHEMA } from '../catalog/catalog.js';
import {
  allIndexes,
  type CheckDesc,
  type ColumnDesc,
  type DatabaseDesc,
  type ForeignKeyDesc,
  type IndexDesc,
  PRIMARY_INDEX_ID,
  type RelationDesc,
  type SchemaDesc,
  type SequenceDesc,
  type TableDesc,
  type ViewDesc,
} from '../catalog/descriptors.js';
import type { StatementContext } from '../engine/context.js';
import { Types } from '../types/type.js';
import { derivedOid, INFORMATION_SCHEMA_NAMESPACE_OID, indexOid, PG_CATALOG_NAMESPACE_OID } from './oids.js';
import { exprText, quoteIdent } from './text.js';

/**
 * One read of the catalog, shaped for the virtual tables: the current database's schemas and
 * relations, and the objects PostgreSQL keeps in catalogs of their own (indexes, constraints,
 * column defaults), each with its oid. Built from the descriptors on every call.
 */

export interface Namespace {
  readonly oid: number;
  readonly name: string;
}

export interface IndexInfo {
  readonly oid: bigint;
  readonly table: TableDesc;
  readonly index: IndexDesc;
  readonly primary: boolean;
}

export type ConstraintType = 'p' | 'u' | 'c' | 'f';

export interface ConstraintInfo {
  readonly oid: bigint;
  readonly name: string;
  readonly type: ConstraintType;
  readonly table: TableDesc;
  /** attnums of the constrained columns (for a CHECK: none; PostgreSQL lists the columns it reads). */
  readonly columns: readonly number[];
  /** PRIMARY KEY / UNIQUE: the backing index; FOREIGN KEY: the referenced table's unique index. */
  readonly indexOid?: bigint;
  readonly check?: CheckDesc;
  readonly fk?: ForeignKeyDesc;
  readonly referenced?: TableDesc;
  /** The referenced table's PRIMARY KEY / UNIQUE constraint a foreign key relies on. */
  readonly referencedConstraint?: string;
}

/** A column as the catalogs show it: visible columns only, attnum = the column id. */
export interface Attribute {
  readonly table: TableDesc;
  readonly column: ColumnDesc;
  readonly attnum: number;
}

/** What the virtual tables read of a statement's context (any StatementContext will do). */
export type SystemContext = Pick<StatementContext, 'txn' | 'catalog' | 'database' | 'searchPath' | 'typeContext'>;

export class CatalogModel {
  readonly namespaces: Namespace[];
  readonly tables: TableDesc[] = [];
  readonly views: ViewDesc[] = [];
  readonly sequences: SequenceDesc[] = [];
  readonly indexes: IndexInfo[] = [];
  readonly constraints: ConstraintInfo[] = [];
  private readonly schemaNames = new Map<number, string>();
  private readonly tablesById = new Map<number, TableDesc>();

  constructor(
    readonly sc: SystemContext,
    readonly databases: readonly DatabaseDesc[],
    readonly schemas: readonly SchemaDesc[],
    relations: readonly RelationDesc[],
  ) {
    this.namespaces = [
      { oid: PG_CATALOG_NAMESPACE_OID, name: 'pg_catalog' },
      ...schemas.map((s) => ({ oid: s.id, name: s.name })),
      { oid: INFORMATION_SCHEMA_NAMESPACE_OID, name: 'information_schema' },
    ];
    for (const n of this.namespaces) this.schemaNames.set(n.oid, n.name);
    for (const r of relations) {
      if (r.kind === 'table') {
        this.tables.push(r);
        this.tablesById.set(r.id, r);
      } else if (r.kind === 'view') this.views.push(r);
      else this.sequences.push(r);
    }
    for (const t of this.tables) {
      for (const ix of visibleIndexes(t)) {
        this.indexes.push({ oid: indexOid(t.id, ix.id), table: t, index: ix, primary: ix.id === PRIMARY_INDEX_ID });
      }
    }
    for (const t of this.tables) this.constraints.push(...this.constraintsOf(t));
  }

  static async load(sc: SystemContext): Promise<CatalogModel> {
    const all = await sc.catalog.all();
    const databases: DatabaseDesc[] = [];
    const schemas: SchemaDesc[] = [];
    const relations: RelationDesc[] = [];
    const dbId = sc.database.id;
    for (const d of all) {
      if (d.kind === 'database') databases.push(d);
      else if (d.kind === 'schema') {
        if (d.databaseId === dbId) schemas.push(d);
      } else if (d.databaseId === dbId) relations.push(d);
    }
    return new CatalogModel(sc, databases, schemas, relations);
  }

  /** The session's user (the owner of everything here). */
  get user(): string {
    const u = (this.sc.typeContext as { user?: unknown }).user;
    return typeof u === 'string' && u !== '' ? u : 'thinklite';
  }

  schemaName(id: number): string {
    return this.schemaNames.get(id) ?? '';
  }

  table(id: number): TableDesc | undefined {
    return this.tablesById.get(id);
  }

  /** The sequence a column draws from, when it is SERIAL / IDENTITY. */
  sequence(id: number | undefined): SequenceDesc | undefined {
    return id === undefined ? undefined : this.sequences.find((s) => s.id === id);
  }

  /**
   * A relation's name as pg_get_expr/regclass print it: qualified when its schema is not the
   * first one on the search path that exists.
   */
  qualifiedName(schemaId: number, name: string): string {
    const schema = this.schemaName(schemaId);
    const visible = this.sc.searchPath.find((s) => this.schemas.some((x) => x.name === s)) ?? DEFAULT_SCHEMA;
    return schema === visible ? quoteIdent(name) : `${quoteIdent(schema)}.${quoteIdent(name)}`;
  }

  /** A column's default as pg_get_expr prints it (SERIAL: its nextval), or undefined. */
  defaultText(t: TableDesc, c: ColumnDesc): string | undefined {
    if (c.defaultExpr) return exprText(c.defaultExpr, { target: c.type });
    if (c.identity === undefined && c.sequenceId !== undefined) {
      const seq = this.sequence(c.sequenceId);
      const name = seq ? this.qualifiedName(seq.schemaId, seq.name) : `${t.name}_${c.name}_seq`;
      return `nextval('${name.replaceAll("'", "''")}'::regclass)`;
    }
    return undefined;
  }

  private constraintsOf(t: TableDesc): ConstraintInfo[] {
    const out: ConstraintInfo[] = [];
    for (const ix of visibleIndexes(t)) {
      if (ix.constraint === undefined) continue;
      out.push({
        oid: derivedOid(t.id, 'keyConstraint', ix.id),
        name: ix.constraint,
        type: ix.id === PRIMARY_INDEX_ID ? 'p' : 'u',
        table: t,
        columns: ix.columns.map((c) => c.columnId),
        indexOid: indexOid(t.id, ix.id),
      });
    }
    t.checks.forEach((check, i) => {
      out.push({ oid: derivedOid(t.id, 'check', i), name: check.name, type: 'c', table: t, columns: [], check });
    });
    t.foreignKeys.forEach((fk, i) => {
      const parent = this.tablesById.get(fk.referencedTableId);
      const key = parent
        ? visibleIndexes(parent).find(
            (ix) =>
              ix.unique &&
              ix.columns.length === fk.referencedColumns.length &&
              ix.columns.every((c) => fk.referencedColumns.includes(c.columnId)),
          )
        : undefined;
      out.push({
        oid: derivedOid(t.id, 'foreignKey', i),
        name: fk.name,
        type: 'f',
        table: t,
        columns: fk.columns,
        fk,
        ...(parent ? { referenced: parent } : {}),
        ...(parent && key ? { indexOid: indexOid(parent.id, key.id) } : {}),
        ...(key?.constraint !== undefined ? { referencedConstraint: key.constraint } : {}),
      });
    });
    return out;
  }
}

/** A table's visible columns, in order. */
export function attributes(t: TableDesc): Attribute[] {
  return t.columns.filter((c) => !c.hidden).map((column) => ({ table: t, column, attnum: column.id }));
}

/** A table's indexes as PostgreSQL would have them: not the rowid index of a table without a key. */
export function visibleIndexes(t: TableDesc): IndexDesc[] {
  const hidden = new Set(t.columns.filter((c) => c.hidden).map((c) => c.id));
  return allIndexes(t).filter((ix) => !ix.columns.some((c) => hidden.has(c.columnId)));
}

export function columnName(t: TableDesc, id: number): string {
  return t.columns.find((c) => c.id === id)?.name ?? `?column${id}?`;
}

/**
 * pg_indexes.indexdef / pg_get_indexdef: `CREATE [UNIQUE] INDEX name ON schema.table USING btree
 * (col [DESC] [NULLS FIRST|LAST], …) [INCLUDE (…)]`, schema-qualified as PostgreSQL prints it unless
 * `schema` is undefined (the pretty form of a visible table).
 */
export function indexDef(schema: string | undefined, t: TableDesc, ix: IndexDesc): string {
  const cols = ix.columns.map((c) => {
    let s = quoteIdent(columnName(t, c.columnId));
    if (c.direction === 'desc') s += ' DESC';
    if (c.nullsFirst !== undefined) {
      const dflt = c.direction === 'desc';
      if (c.nullsFirst !== dflt) s += c.nullsFirst ? ' NULLS FIRST' : ' NULLS LAST';
    }
    return s;
  });
  const include =
    ix.storing.length > 0 ? ` INCLUDE (${ix.storing.map((id) => quoteIdent(columnName(t, id))).join(', ')})` : '';
  return `CREATE ${ix.unique ? 'UNIQUE ' : ''}INDEX ${quoteIdent(ix.name)} ON ${schema === undefined ? '' : `${quoteIdent(schema)}.`}${quoteIdent(t.name)} USING btree (${cols.join(', ')})${include}`;
}

/** The data type of a sequence: its owning column's type, else bigint (ThinkLite's default). */
export function sequenceType(m: CatalogModel, s: SequenceDesc) {
  const owner = s.ownedBy ? m.table(s.ownedBy.tableId) : undefined;
  const col = owner?.columns.find((c) => c.id === s.ownedBy?.columnId);
  return col && (col.type.kind === 'int2' || col.type.kind === 'int4') ? col.type : Types.int8;
}

/** The attnums a CHECK reads (PostgreSQL's conkey for a CHECK), in table order. */
export function checkColumns(t: TableDesc, expr: unknown): number[] {
  const names = new Set<string>();
  const visit = (v: unknown): void => {
    if (v === null || typeof v !== 'object') return;
    if (Array.isArray(v)) {
      for (const x of v) visit(x);
      return;
    }
    const node = v as { kind?: string; names?: readonly string[] };
    if (node.kind === 'columnRef' && node.names) names.add(node.names[node.names.length - 1] as string);
    for (const x of Object.values(node)) visit(x);
  };
  visit(expr);
  return attributes(t)
    .filter((a) => names.has(a.column.name))
    .map((a) => a.attnum);
}
