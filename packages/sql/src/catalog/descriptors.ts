import { ThinkLiteError } from '@thinklite/base';
import type { Expr, SelectStmt } from '../parser/ast.js';
import type { SqlType } from '../types/type.js';

/**
 * Catalog descriptors: the schema of every database object, stored as JSON records in the KV key
 * space (keys.ts), read and written inside the transaction of the statement that uses them — so
 * DDL is transactional and every node sees one catalog. Ids are never reused. The shapes follow
 * CockroachDB's descriptors (a table carries its columns, indexes and constraints in one record);
 * the names follow PostgreSQL.
 */

export type DescriptorId = number;

interface DescBase {
  readonly id: DescriptorId;
  readonly name: string;
  /** Bumped by every change, so caches can tell a stale copy. */
  readonly version: number;
}

export interface DatabaseDesc extends DescBase {
  readonly kind: 'database';
}

export interface SchemaDesc extends DescBase {
  readonly kind: 'schema';
  readonly databaseId: DescriptorId;
}

/** Objects that live in a schema. */
interface SchemaObject extends DescBase {
  readonly databaseId: DescriptorId;
  readonly schemaId: DescriptorId;
}

export type ColumnId = number;
export type IndexId = number;

export interface ColumnDesc {
  readonly id: ColumnId;
  readonly name: string;
  readonly type: SqlType;
  readonly nullable: boolean;
  /** The DEFAULT expression, as the parser's tree (bound when used). */
  readonly defaultExpr?: Expr;
  /** GENERATED ALWAYS / BY DEFAULT AS IDENTITY, backed by sequence `sequenceId`. */
  readonly identity?: 'always' | 'by-default';
  /** The sequence this column owns (SERIAL, IDENTITY). */
  readonly sequenceId?: DescriptorId;
  /** Not shown by `SELECT *` (the rowid of a table declared without a primary key). */
  readonly hidden?: boolean;
}

export interface IndexColumn {
  readonly columnId: ColumnId;
  readonly direction: 'asc' | 'desc';
  /** Absent: PostgreSQL's default (NULLS LAST ascending, NULLS FIRST descending). */
  readonly nullsFirst?: boolean;
}

export interface IndexDesc {
  readonly id: IndexId;
  readonly name: string;
  readonly unique: boolean;
  readonly columns: readonly IndexColumn[];
  /** Non-key columns stored in the index (INCLUDE / STORING), for index-only scans. */
  readonly storing: readonly ColumnId[];
  /** A partial index's predicate. */
  readonly predicate?: Expr;
  /** The index backs a constraint of this name (PRIMARY KEY, UNIQUE). */
  readonly constraint?: string;
}

export interface CheckDesc {
  readonly name: string;
  readonly expr: Expr;
}

export type ReferentialAction = 'no-action' | 'restrict' | 'cascade' | 'set-null' | 'set-default';

export interface ForeignKeyDesc {
  readonly name: string;
  readonly columns: readonly ColumnId[];
  readonly referencedTableId: DescriptorId;
  readonly referencedColumns: readonly ColumnId[];
  readonly onDelete: ReferentialAction;
  readonly onUpdate: ReferentialAction;
}

/** A foreign key of another table that refers to this one (kept for checks on delete/update). */
export interface InboundForeignKey {
  readonly tableId: DescriptorId;
  readonly name: string;
}

export interface TableDesc extends SchemaObject {
  readonly kind: 'table';
  readonly columns: readonly ColumnDesc[];
  readonly nextColumnId: ColumnId;
  /** Index 1: rows are stored under it, keyed by the primary key, holding every other column. */
  readonly primaryIndex: IndexDesc;
  readonly indexes: readonly IndexDesc[];
  readonly nextIndexId: IndexId;
  readonly checks: readonly CheckDesc[];
  readonly foreignKeys: readonly ForeignKeyDesc[];
  readonly inboundForeignKeys: readonly InboundForeignKey[];
}

export interface ViewDesc extends SchemaObject {
  readonly kind: 'view';
  /** The defining query, as the parser's tree (run when the view is read). */
  readonly query: SelectStmt;
  /** Its text, for \d+ and pg_views. */
  readonly text: string;
  readonly columns: readonly { readonly name: string; readonly type: SqlType }[];
  /** Objects the view reads, so they cannot be dropped from under it. */
  readonly dependsOn: readonly DescriptorId[];
}

export interface SequenceDesc extends SchemaObject {
  readonly kind: 'sequence';
  readonly increment: bigint;
  readonly minValue: bigint;
  readonly maxValue: bigint;
  readonly start: bigint;
  readonly cycle: boolean;
  /** The column that owns it (SERIAL, IDENTITY): dropped with its table. */
  readonly ownedBy?: { readonly tableId: DescriptorId; readonly columnId: ColumnId };
}

export type RelationDesc = TableDesc | ViewDesc | SequenceDesc;
export type Descriptor = DatabaseDesc | SchemaDesc | RelationDesc;

export const PRIMARY_INDEX_ID: IndexId = 1;

/** Every index of a table, the primary first. */
export function allIndexes(t: TableDesc): readonly IndexDesc[] {
  return [t.primaryIndex, ...t.indexes];
}

export function columnById(t: TableDesc, id: ColumnId): ColumnDesc {
  const c = t.columns.find((x) => x.id === id);
  if (!c) throw new ThinkLiteError('INTERNAL_ERROR', `table ${t.name} has no column ${id}`);
  return c;
}
