import type { DescriptorId, IndexId } from '../catalog/descriptors.js';

/**
 * Object identifiers of the virtual catalogs. PostgreSQL joins its catalogs on oids, so every
 * object shown gets one, stable for as long as the object exists:
 *
 * - databases, schemas, tables, views and sequences: their descriptor id (a uint32, ≥ 100);
 * - the built-in schemas: PostgreSQL's fixed oid for `pg_catalog` (11) and a fixed id below the
 *   first descriptor id for `information_schema` (12). `public` is a real descriptor;
 * - types: PostgreSQL's type oids (`typeOid`); the role: 10 (PostgreSQL's bootstrap superuser);
 *   access methods heap 2 and btree 403; collations default 100, C 950, POSIX 951; tablespace
 *   pg_default 1663;
 * - objects without a descriptor of their own (indexes, constraints, column defaults) and the
 *   virtual catalog tables themselves: derived oids above every descriptor id,
 *   `2^32 + tableId·65536 + tag·4096 + n`, tag and n saying which object of the table it is (see
 *   {@link decodeOid}); the virtual tables use tableId 0, which no descriptor has.
 *
 * Oids are int8 (bigint) values: ThinkLite has no `oid` type yet. Oids of different catalogs may
 * coincide (a table with descriptor id 700 and type float4), as clients always join one catalog.
 */

export const BOOTSTRAP_SUPERUSER_OID = 10;
export const PG_CATALOG_NAMESPACE_OID = 11;
export const INFORMATION_SCHEMA_NAMESPACE_OID = 12;
export const HEAP_AM_OID = 2;
export const BTREE_AM_OID = 403;
export const DEFAULT_COLLATION_OID = 100;
export const C_COLLATION_OID = 950;
export const POSIX_COLLATION_OID = 951;
export const DEFAULT_TABLESPACE_OID = 1663;
export const GLOBAL_TABLESPACE_OID = 1664;

const DERIVED_BASE = 2n ** 32n;
const TABLE_STRIDE = 65536n;
const TAG_STRIDE = 4096n;

/** What a derived oid stands for. */
export type DerivedKind =
  /** An index of a table; n = the index id. */
  | 'index'
  /** A PRIMARY KEY / UNIQUE constraint; n = the id of the index that backs it. */
  | 'keyConstraint'
  /** A CHECK constraint; n = its position in the table's `checks` (0-based). */
  | 'check'
  /** A FOREIGN KEY; n = its position in the table's `foreignKeys` (0-based). */
  | 'foreignKey'
  /** A column default (pg_attrdef); n = the column id. */
  | 'columnDefault'
  /** A virtual catalog table (tableId 0); n = its position in the list of virtual tables. */
  | 'systemTable';

const TAGS: readonly DerivedKind[] = ['index', 'keyConstraint', 'check', 'foreignKey', 'columnDefault', 'systemTable'];

export function derivedOid(tableId: DescriptorId, kind: DerivedKind, n: number): bigint {
  if (n < 0 || n >= 4096) throw new RangeError(`derived oid ordinal out of range: ${n}`);
  return DERIVED_BASE + BigInt(tableId) * TABLE_STRIDE + BigInt(TAGS.indexOf(kind)) * TAG_STRIDE + BigInt(n);
}

export function indexOid(tableId: DescriptorId, indexId: IndexId): bigint {
  return derivedOid(tableId, 'index', indexId);
}

/**
 * What an oid of the virtual catalogs names: a descriptor (or a fixed built-in object) for oids
 * below 2^32, else the derived object — for pg_get_indexdef, pg_get_constraintdef, regclass.
 */
export function decodeOid(
  oid: bigint | number,
): { kind: 'descriptor'; id: number } | { kind: DerivedKind; tableId: DescriptorId; n: number } {
  const o = BigInt(oid);
  if (o < DERIVED_BASE) return { kind: 'descriptor', id: Number(o) };
  const rest = o - DERIVED_BASE;
  const tableId = Number(rest / TABLE_STRIDE);
  const within = rest % TABLE_STRIDE;
  const kind = TAGS[Number(within / TAG_STRIDE)];
  if (kind === undefined) return { kind: 'descriptor', id: -1 };
  return { kind, tableId, n: Number(within % TAG_STRIDE) };
}
