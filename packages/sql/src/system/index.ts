/**
 * ThinkLite's virtual system catalogs: the `pg_catalog` and `information_schema` tables and views
 * psql's describe commands (\d, \dt, \di, \dv, \ds, \dn, \l) and common drivers and ORMs
 * query, computed from the catalog descriptors each time they are read (see model.ts for the
 * shapes, oids.ts for the oids, table.ts for how PostgreSQL's column types are represented).
 *
 * Entry points: {@link systemRelation} (the rows of `schema.name`) and {@link isSystemSchema}.
 *
 * What psql 15 sends (`psql -E` against PostgreSQL 15.20); every table and column below exists
 * here. The functions and casts they call belong to the engine: pg_get_userbyid,
 * pg_table_is_visible, format_type, pg_get_expr, pg_get_indexdef, pg_get_constraintdef,
 * pg_partition_ancestors, pg_relation_is_publishable, pg_get_statisticsobjdef_columns,
 * pg_get_triggerdef, array_to_string, array_upper, generate_series, string_agg, quote_ident,
 * pg_encoding_to_char; `::regclass`, `::regtype`, `::regnamespace`; `OPERATOR(pg_catalog.~)`
 * and `COLLATE pg_catalog.default`.
 *
 * `\dt`:
 * -- (1)
 * SELECT n.nspname as "Schema",
 *   c.relname as "Name",
 *   CASE c.relkind WHEN 'r' THEN 'table' WHEN 'v' THEN 'view' WHEN 'm' THEN 'materialized view' WHEN 'i' THEN 'index' WHEN 'S' THEN 'sequence' WHEN 't' THEN 'TOAST table' WHEN 'f' THEN 'foreign table' WHEN 'p' THEN 'partitioned table' WHEN 'I' THEN 'partitioned index' END as "Type",
 *   pg_catalog.pg_get_userbyid(c.relowner) as "Owner"
 * FROM pg_catalog.pg_class c
 *      LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 *      LEFT JOIN pg_catalog.pg_am am ON am.oid = c.relam
 * WHERE c.relkind IN ('r','p','')
 *       AND n.nspname <> 'pg_catalog'
 *       AND n.nspname !~ '^pg_toast'
 *       AND n.nspname <> 'information_schema'
 *   AND pg_catalog.pg_table_is_visible(c.oid)
 * ORDER BY 1,2;
 *
 * `\d users` (16966 is the table's oid, found by the first query):
 * -- (1)
 * SELECT c.oid,
 *   n.nspname,
 *   c.relname
 * FROM pg_catalog.pg_class c
 *      LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 * WHERE c.relname OPERATOR(pg_catalog.~) '^(users)$' COLLATE pg_catalog.default
 *   AND pg_catalog.pg_table_is_visible(c.oid)
 * ORDER BY 2, 3;
 * -- (2)
 * SELECT c.relchecks, c.relkind, c.relhasindex, c.relhasrules, c.relhastriggers, c.relrowsecurity, c.relforcerowsecurity, false AS relhasoids, c.relispartition, '', c.reltablespace, CASE WHEN c.reloftype = 0 THEN '' ELSE c.reloftype::pg_catalog.regtype::pg_catalog.text END, c.relpersistence, c.relreplident, am.amname
 * FROM pg_catalog.pg_class c
 *  LEFT JOIN pg_catalog.pg_class tc ON (c.reltoastrelid = tc.oid)
 * LEFT JOIN pg_catalog.pg_am am ON (c.relam = am.oid)
 * WHERE c.oid = '16966';
 * -- (3)
 * SELECT a.attname,
 *   pg_catalog.format_type(a.atttypid, a.atttypmod),
 *   (SELECT pg_catalog.pg_get_expr(d.adbin, d.adrelid, true)
 *    FROM pg_catalog.pg_attrdef d
 *    WHERE d.adrelid = a.attrelid AND d.adnum = a.attnum AND a.atthasdef),
 *   a.attnotnull,
 *   (SELECT c.collname FROM pg_catalog.pg_collation c, pg_catalog.pg_type t
 *    WHERE c.oid = a.attcollation AND t.oid = a.atttypid AND a.attcollation <> t.typcollation) AS attcollation,
 *   a.attidentity,
 *   a.attgenerated
 * FROM pg_catalog.pg_attribute a
 * WHERE a.attrelid = '16966' AND a.attnum > 0 AND NOT a.attisdropped
 * ORDER BY a.attnum;
 * -- (4)
 * SELECT c2.relname, i.indisprimary, i.indisunique, i.indisclustered, i.indisvalid, pg_catalog.pg_get_indexdef(i.indexrelid, 0, true),
 *   pg_catalog.pg_get_constraintdef(con.oid, true), contype, condeferrable, condeferred, i.indisreplident, c2.reltablespace
 * FROM pg_catalog.pg_class c, pg_catalog.pg_class c2, pg_catalog.pg_index i
 *   LEFT JOIN pg_catalog.pg_constraint con ON (conrelid = i.indrelid AND conindid = i.indexrelid AND contype IN ('p','u','x'))
 * WHERE c.oid = '16966' AND c.oid = i.indrelid AND i.indexrelid = c2.oid
 * ORDER BY i.indisprimary DESC, c2.relname;
 * -- (5)
 * SELECT r.conname, pg_catalog.pg_get_constraintdef(r.oid, true)
 * FROM pg_catalog.pg_constraint r
 * WHERE r.conrelid = '16966' AND r.contype = 'c'
 * ORDER BY 1;
 * -- (6)
 * SELECT true as sametable, conname,
 *   pg_catalog.pg_get_constraintdef(r.oid, true) as condef,
 *   conrelid::pg_catalog.regclass AS ontable
 * FROM pg_catalog.pg_constraint r
 * WHERE r.conrelid = '16966' AND r.contype = 'f'
 *      AND conparentid = 0
 * ORDER BY conname
 * -- (7)
 * SELECT conname, conrelid::pg_catalog.regclass AS ontable,
 *        pg_catalog.pg_get_constraintdef(oid, true) AS condef
 *   FROM pg_catalog.pg_constraint c
 *  WHERE confrelid IN (SELECT pg_catalog.pg_partition_ancestors('16966')
 *                      UNION ALL VALUES ('16966'::pg_catalog.regclass))
 *        AND contype = 'f' AND conparentid = 0
 * ORDER BY conname;
 * -- (8)
 * SELECT pol.polname, pol.polpermissive,
 *   CASE WHEN pol.polroles = '{0}' THEN NULL ELSE pg_catalog.array_to_string(array(select rolname from pg_catalog.pg_roles where oid = any (pol.polroles) order by 1),',') END,
 *   pg_catalog.pg_get_expr(pol.polqual, pol.polrelid),
 *   pg_catalog.pg_get_expr(pol.polwithcheck, pol.polrelid),
 *   CASE pol.polcmd
 *     WHEN 'r' THEN 'SELECT'
 *     WHEN 'a' THEN 'INSERT'
 *     WHEN 'w' THEN 'UPDATE'
 *     WHEN 'd' THEN 'DELETE'
 *     END AS cmd
 * FROM pg_catalog.pg_policy pol
 * WHERE pol.polrelid = '16966' ORDER BY 1;
 * -- (9)
 * SELECT oid, stxrelid::pg_catalog.regclass, stxnamespace::pg_catalog.regnamespace::pg_catalog.text AS nsp, stxname,
 * pg_catalog.pg_get_statisticsobjdef_columns(oid) AS columns,
 *   'd' = any(stxkind) AS ndist_enabled,
 *   'f' = any(stxkind) AS deps_enabled,
 *   'm' = any(stxkind) AS mcv_enabled,
 * stxstattarget
 * FROM pg_catalog.pg_statistic_ext
 * WHERE stxrelid = '16966'
 * ORDER BY nsp, stxname;
 * -- (10)
 * SELECT pubname
 *      , NULL
 *      , NULL
 * FROM pg_catalog.pg_publication p
 *      JOIN pg_catalog.pg_publication_namespace pn ON p.oid = pn.pnpubid
 *      JOIN pg_catalog.pg_class pc ON pc.relnamespace = pn.pnnspid
 * WHERE pc.oid ='16966' and pg_catalog.pg_relation_is_publishable('16966')
 * UNION
 * SELECT pubname
 *      , pg_get_expr(pr.prqual, c.oid)
 *      , (CASE WHEN pr.prattrs IS NOT NULL THEN
 *          (SELECT string_agg(attname, ', ')
 *            FROM pg_catalog.generate_series(0, pg_catalog.array_upper(pr.prattrs::pg_catalog.int2[], 1)) s,
 *                 pg_catalog.pg_attribute
 *           WHERE attrelid = pr.prrelid AND attnum = prattrs[s])
 *         ELSE NULL END) FROM pg_catalog.pg_publication p
 *      JOIN pg_catalog.pg_publication_rel pr ON p.oid = pr.prpubid
 *      JOIN pg_catalog.pg_class c ON c.oid = pr.prrelid
 * WHERE pr.prrelid = '16966'
 * UNION
 * SELECT pubname
 *      , NULL
 *      , NULL
 * FROM pg_catalog.pg_publication p
 * WHERE p.puballtables AND pg_catalog.pg_relation_is_publishable('16966')
 * ORDER BY 1;
 * -- (11)
 * SELECT t.tgname, pg_catalog.pg_get_triggerdef(t.oid, true), t.tgenabled, t.tgisinternal,
 *   CASE WHEN t.tgparentid != 0 THEN
 *     (SELECT u.tgrelid::pg_catalog.regclass
 *      FROM pg_catalog.pg_trigger AS u,
 *           pg_catalog.pg_partition_ancestors(t.tgrelid) WITH ORDINALITY AS a(relid, depth)
 *      WHERE u.tgname = t.tgname AND u.tgrelid = a.relid
 *            AND u.tgparentid = 0
 *      ORDER BY a.depth LIMIT 1)
 *   END AS parent
 * FROM pg_catalog.pg_trigger t
 * WHERE t.tgrelid = '16966' AND (NOT t.tgisinternal OR (t.tgisinternal AND t.tgenabled = 'D'))
 * ORDER BY 1;
 * -- (12)
 * SELECT c.oid::pg_catalog.regclass
 * FROM pg_catalog.pg_class c, pg_catalog.pg_inherits i
 * WHERE c.oid = i.inhparent AND i.inhrelid = '16966'
 *   AND c.relkind != 'p' AND c.relkind != 'I'
 * ORDER BY inhseqno;
 * -- (13)
 * SELECT c.oid::pg_catalog.regclass, c.relkind, inhdetachpending, pg_catalog.pg_get_expr(c.relpartbound, c.oid)
 * FROM pg_catalog.pg_class c, pg_catalog.pg_inherits i
 * WHERE c.oid = i.inhrelid AND i.inhparent = '16966'
 * ORDER BY pg_catalog.pg_get_expr(c.relpartbound, c.oid) = 'DEFAULT', c.oid::pg_catalog.regclass::pg_catalog.text;
 */

import type { Datum } from '../types/datum.js';
import type { SqlType } from '../types/type.js';
import { INFORMATION_SCHEMA_TABLES, setSystemTables } from './information-schema.js';
import { CatalogModel, type SystemContext } from './model.js';
import { derivedOid } from './oids.js';
import { PG_CATALOG_TABLES, setSystemEntries } from './pg-catalog.js';
import { materialize, type SystemTable } from './table.js';

export { indexDef, type SystemContext } from './model.js';
export * from './oids.js';
export { exprText, quoteIdent } from './text.js';

/** Every virtual table, pg_catalog first; a table's position gives its oid (never reorder, only append). */
export const SYSTEM_TABLES: readonly SystemTable[] = [...PG_CATALOG_TABLES, ...INFORMATION_SCHEMA_TABLES];

const ENTRIES = SYSTEM_TABLES.map((table, i) => ({ oid: derivedOid(0, 'systemTable', i), table }));
setSystemEntries(() => ENTRIES);
setSystemTables(() => SYSTEM_TABLES);

const BY_NAME = new Map(ENTRIES.map((e) => [`${e.table.schema}.${e.table.name}`, e]));

export const SYSTEM_SCHEMAS = ['pg_catalog', 'information_schema'] as const;

/** `pg_catalog` and `information_schema`: the schemas whose tables are virtual. */
export function isSystemSchema(name: string): boolean {
  return name === 'pg_catalog' || name === 'information_schema';
}

/** The oid of a virtual table (pg_class.oid, for `'pg_catalog.pg_class'::regclass`), or undefined. */
export function systemRelationOid(schema: string, name: string): bigint | undefined {
  return BY_NAME.get(`${schema}.${name}`)?.oid;
}

/** The columns of a virtual table, without computing its rows (for planning), or undefined. */
export function systemRelationColumns(
  schema: string,
  name: string,
): readonly { name: string; type: SqlType }[] | undefined {
  return BY_NAME.get(`${schema}.${name}`)?.table.columns;
}

/**
 * The full contents of the virtual table `schema.name` for the current database (`sc.database`;
 * `sc` is the statement's StatementContext — only the fields of {@link SystemContext} are read),
 * computed from the descriptors in the statement's transaction; undefined if there is no such
 * virtual table.
 */
export async function systemRelation(
  sc: SystemContext,
  schema: string,
  name: string,
): Promise<{ columns: { name: string; type: SqlType }[]; rows: Datum[][] } | undefined> {
  const entry = BY_NAME.get(`${schema}.${name}`);
  if (!entry) return undefined;
  const model = await CatalogModel.load(sc);
  const rows = await entry.table.rows(model);
  return { columns: entry.table.columns.map((c) => ({ ...c })), rows: materialize(entry.table, rows) };
}
