import type { Datum } from '../types/datum.js';
import { arrayOf, type SqlType, Types } from '../types/type.js';
import type { CatalogModel } from './model.js';

/**
 * A virtual catalog table: its columns (named and ordered as PostgreSQL 15's) and a function that
 * computes its rows from one read of the catalog.
 */

export interface SystemColumn {
  readonly name: string;
  readonly type: SqlType;
}

/** A row as the builders write it: values by column name; absent columns are NULL. */
export type RowObject = Readonly<Record<string, unknown>>;

export interface SystemTable {
  readonly schema: 'pg_catalog' | 'information_schema';
  readonly name: string;
  /** pg_class.relkind PostgreSQL gives it: 'r' for catalog tables, 'v' for views. */
  readonly relkind: 'r' | 'v';
  readonly columns: readonly SystemColumn[];
  rows(m: CatalogModel): Promise<RowObject[]> | RowObject[];
}

/**
 * How PostgreSQL's column types are represented here (ThinkLite has no oid, name, "char", regproc,
 * int2vector, oidvector or pg_node_tree types yet):
 * oid, regproc, regtype, xid → int8; name, "char", pg_node_tree → text; int2vector, oidvector →
 * text in their output form ('1 2'); oid[] → int8[]; aclitem[] → text[].
 */
const SPEC_TYPES: Record<string, SqlType> = {
  oid: Types.int8,
  xid: Types.int8,
  regproc: Types.text,
  regtype: Types.text,
  name: Types.text,
  char: Types.text,
  text: Types.text,
  node: Types.text,
  int2vector: Types.text,
  oidvector: Types.text,
  varchar: Types.varchar,
  bool: Types.bool,
  int2: Types.int2,
  int4: Types.int4,
  int8: Types.int8,
  float4: Types.float4,
  timestamptz: Types.timestamptz,
  'text[]': arrayOf(Types.text),
  'char[]': arrayOf(Types.text),
  'aclitem[]': arrayOf(Types.text),
  'oid[]': arrayOf(Types.int8),
  'int2[]': arrayOf(Types.int2),
};

/** Columns from `name type, name type, …` (PostgreSQL's type names; see SPEC_TYPES). */
export function columns(spec: string): SystemColumn[] {
  return spec
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map((s) => {
      const [name, type] = s.split(/\s+/) as [string, string];
      const t = SPEC_TYPES[type];
      if (!t) throw new Error(`virtual catalog column ${name}: unknown type ${type}`);
      return { name, type: t };
    });
}

function toDatum(type: SqlType, v: unknown): Datum {
  if (v === undefined || v === null) return null;
  switch (type.kind) {
    case 'int8':
      return typeof v === 'bigint' ? v : BigInt(v as number);
    case 'int2':
    case 'int4':
    case 'float4':
      return Number(v);
    case 'array':
      return (v as unknown[]).map((x) => toDatum(type.elem as SqlType, x));
    case 'text':
    case 'varchar':
      return String(v);
    default:
      return v as Datum;
  }
}

/** A row object as a row of datums in the table's column order. */
export function materialize(table: SystemTable, rows: readonly RowObject[]): Datum[][] {
  return rows.map((r) => table.columns.map((c) => toDatum(c.type, r[c.name])));
}
