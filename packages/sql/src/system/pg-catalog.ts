import { sequenceKey } from '../catalog/keys.js';
import { DEFAULT_SETTINGS } from '../engine/session.js';
import { typeName, typeOid, typmodOf } from '../types/type.js';
import { attributes, type CatalogModel, checkColumns, columnName, indexDef, sequenceType } from './model.js';
import {
  BOOTSTRAP_SUPERUSER_OID,
  BTREE_AM_OID,
  C_COLLATION_OID,
  DEFAULT_COLLATION_OID,
  DEFAULT_TABLESPACE_OID,
  derivedOid,
  GLOBAL_TABLESPACE_OID,
  HEAP_AM_OID,
  INFORMATION_SCHEMA_NAMESPACE_OID,
  PG_CATALOG_NAMESPACE_OID,
  POSIX_COLLATION_OID,
} from './oids.js';
import { columns, type RowObject, type SystemTable } from './table.js';
import { exprText } from './text.js';
import { allTypes, attributeTypeFacts, typeRow } from './types.js';

/**
 * pg_catalog: PostgreSQL 15's catalog tables and views, with the columns psql's describe
 * commands and common drivers and ORMs read (named and ordered as PostgreSQL's; a few columns
 * nobody reads are left out). Rows describe the current database.
 */

type Ctx = CatalogModel;

const ROLE = { oid: BOOTSTRAP_SUPERUSER_OID };

/** pg_class and pg_attribute rows of the virtual tables themselves; filled in by index.ts. */
export interface SystemRelationEntry {
  readonly oid: bigint;
  readonly table: SystemTable;
}
let systemEntries: () => readonly SystemRelationEntry[] = () => [];
export function setSystemEntries(f: () => readonly SystemRelationEntry[]): void {
  systemEntries = f;
}
function systemOid(name: string): bigint {
  return systemEntries().find((e) => e.table.schema === 'pg_catalog' && e.table.name === name)?.oid ?? 0n;
}

function pg(name: string, relkind: 'r' | 'v', spec: string, rows: SystemTable['rows']): SystemTable {
  return { schema: 'pg_catalog', name, relkind, columns: columns(spec), rows };
}

const empty = (): RowObject[] => [];

/** pg_class rows: tables, views, sequences, indexes, and the virtual tables. */
function classRows(m: Ctx): RowObject[] {
  const base = {
    reltype: 0,
    reloftype: 0,
    relowner: ROLE.oid,
    reltablespace: 0,
    relpages: 0,
    reltuples: -1,
    relallvisible: 0,
    reltoastrelid: 0,
    relhasindex: false,
    relisshared: false,
    relpersistence: 'p',
    relchecks: 0,
    relhasrules: false,
    relhastriggers: false,
    relhassubclass: false,
    relrowsecurity: false,
    relforcerowsecurity: false,
    relispopulated: true,
    relreplident: 'n',
    relispartition: false,
    relrewrite: 0,
    relfrozenxid: 0,
    relminmxid: 0,
    relacl: null,
    reloptions: null,
    relpartbound: null,
  };
  const out: RowObject[] = [];
  for (const t of m.tables) {
    out.push({
      ...base,
      oid: t.id,
      relname: t.name,
      relnamespace: t.schemaId,
      relam: HEAP_AM_OID,
      relfilenode: t.id,
      relhasindex: m.indexes.some((i) => i.table === t),
      relkind: 'r',
      relnatts: attributes(t).length,
      relchecks: t.checks.length,
      relhastriggers: t.foreignKeys.length > 0 || t.inboundForeignKeys.length > 0,
      relreplident: 'd',
    });
  }
  for (const v of m.views) {
    out.push({
      ...base,
      oid: v.id,
      relname: v.name,
      relnamespace: v.schemaId,
      relam: 0,
      relfilenode: 0,
      relkind: 'v',
      relnatts: v.columns.length,
      relhasrules: true,
    });
  }
  for (const s of m.sequences) {
    out.push({
      ...base,
      oid: s.id,
      relname: s.name,
      relnamespace: s.schemaId,
      relam: 0,
      relfilenode: s.id,
      relpages: 1,
      reltuples: 1,
      relkind: 'S',
      relnatts: 3,
    });
  }
  for (const ix of m.indexes) {
    out.push({
      ...base,
      oid: ix.oid,
      relname: ix.index.name,
      relnamespace: ix.table.schemaId,
      relam: BTREE_AM_OID,
      relfilenode: ix.oid,
      relpages: 1,
      reltuples: 0,
      relkind: 'i',
      relnatts: ix.index.columns.length + ix.index.storing.length,
    });
  }
  for (const e of systemEntries()) {
    out.push({
      ...base,
      oid: e.oid,
      relname: e.table.name,
      relnamespace: e.table.schema === 'pg_catalog' ? PG_CATALOG_NAMESPACE_OID : INFORMATION_SCHEMA_NAMESPACE_OID,
      relam: e.table.relkind === 'r' ? HEAP_AM_OID : 0,
      relfilenode: e.table.relkind === 'r' ? e.oid : 0,
      relkind: e.table.relkind,
      relnatts: e.table.columns.length,
      relhasrules: e.table.relkind === 'v',
    });
  }
  return out;
}

const ATTRIBUTE_BASE = {
  attstattarget: -1,
  attcacheoff: -1,
  attcompression: '',
  attnotnull: false,
  atthasdef: false,
  atthasmissing: false,
  attidentity: '',
  attgenerated: '',
  attisdropped: false,
  attislocal: true,
  attinhcount: 0,
  attacl: null,
  attoptions: null,
  attfdwoptions: null,
  attmissingval: null,
};

function attributeRows(m: Ctx): RowObject[] {
  const out: RowObject[] = [];
  const simple = (relid: unknown, cols: readonly { name: string; type: Parameters<typeof typmodOf>[0] }[]) =>
    cols.forEach((c, i) => {
      out.push({
        ...ATTRIBUTE_BASE,
        ...attributeTypeFacts(c.type),
        attrelid: relid,
        attname: c.name,
        attnum: i + 1,
        atttypmod: typmodOf(c.type),
      });
    });
  for (const t of m.tables) {
    for (const a of attributes(t)) {
      const c = a.column;
      out.push({
        ...ATTRIBUTE_BASE,
        ...attributeTypeFacts(c.type),
        attrelid: t.id,
        attname: c.name,
        attnum: a.attnum,
        atttypmod: typmodOf(c.type),
        attnotnull: !c.nullable,
        atthasdef: m.defaultText(t, c) !== undefined,
        attidentity: c.identity === 'always' ? 'a' : c.identity === 'by-default' ? 'd' : '',
      });
    }
  }
  for (const v of m.views) simple(v.id, v.columns);
  for (const s of m.sequences) {
    const n = out.length;
    simple(s.id, [
      { name: 'last_value', type: { kind: 'int8' } },
      { name: 'log_cnt', type: { kind: 'int8' } },
      { name: 'is_called', type: { kind: 'bool' } },
    ]);
    for (let i = n; i < out.length; i++) out[i] = { ...out[i], attnotnull: true };
  }
  for (const ix of m.indexes) {
    const ids = [...ix.index.columns.map((c) => c.columnId), ...ix.index.storing];
    simple(
      ix.oid,
      ids.map((id) => {
        const c = ix.table.columns.find((x) => x.id === id);
        return { name: c?.name ?? columnName(ix.table, id), type: c?.type ?? { kind: 'unknown' } };
      }),
    );
  }
  for (const e of systemEntries()) simple(e.oid, e.table.columns);
  return out;
}

function indexRows(m: Ctx): RowObject[] {
  return m.indexes.map((ix) => {
    const keys = ix.index.columns.map((c) => c.columnId);
    const all = [...keys, ...ix.index.storing];
    const colType = (id: number) => ix.table.columns.find((c) => c.id === id)?.type;
    return {
      indexrelid: ix.oid,
      indrelid: ix.table.id,
      indnatts: all.length,
      indnkeyatts: keys.length,
      indisunique: ix.index.unique,
      indnullsnotdistinct: false,
      indisprimary: ix.primary,
      indisexclusion: false,
      indimmediate: true,
      indisclustered: false,
      indisvalid: true,
      indcheckxmin: false,
      indisready: true,
      indislive: true,
      indisreplident: false,
      indkey: all.join(' '),
      indcollation: keys
        .map((id) => {
          const t = colType(id);
          return t && attributeTypeFacts(t).attcollation !== 0 ? DEFAULT_COLLATION_OID : 0;
        })
        .join(' '),
      indclass: keys.map(() => 0).join(' '),
      indoption: ix.index.columns
        .map((c) => {
          const desc = c.direction === 'desc';
          const nullsFirst = c.nullsFirst ?? desc;
          return (desc ? 1 : 0) | (nullsFirst ? 2 : 0);
        })
        .join(' '),
      indexprs: null,
      indpred: ix.index.predicate ? exprText(ix.index.predicate) : null,
    };
  });
}

const ACTION: Record<string, string> = {
  'no-action': 'a',
  restrict: 'r',
  cascade: 'c',
  'set-null': 'n',
  'set-default': 'd',
};

function constraintRows(m: Ctx): RowObject[] {
  return m.constraints.map((c) => ({
    oid: c.oid,
    conname: c.name,
    connamespace: c.table.schemaId,
    contype: c.type,
    condeferrable: false,
    condeferred: false,
    convalidated: true,
    conrelid: c.table.id,
    contypid: 0,
    conindid: c.indexOid ?? 0,
    conparentid: 0,
    confrelid: c.fk?.referencedTableId ?? 0,
    confupdtype: c.fk ? ACTION[c.fk.onUpdate] : ' ',
    confdeltype: c.fk ? ACTION[c.fk.onDelete] : ' ',
    confmatchtype: c.fk ? 's' : ' ',
    conislocal: true,
    coninhcount: 0,
    connoinherit: false,
    conkey: c.type === 'c' ? checkColumns(c.table, c.check?.expr) : c.columns,
    confkey: c.fk ? c.fk.referencedColumns : null,
    conpfeqop: null,
    conppeqop: null,
    conffeqop: null,
    confdelsetcols: null,
    conexclop: null,
    conbin: c.check ? exprText(c.check.expr) : null,
  }));
}

function attrdefRows(m: Ctx): RowObject[] {
  const out: RowObject[] = [];
  for (const t of m.tables) {
    for (const a of attributes(t)) {
      const text = m.defaultText(t, a.column);
      if (text === undefined) continue;
      out.push({ oid: derivedOid(t.id, 'columnDefault', a.attnum), adrelid: t.id, adnum: a.attnum, adbin: text });
    }
  }
  return out;
}

function sequenceBounds(m: Ctx) {
  return m.sequences.map((s) => ({ s, type: sequenceType(m, s) }));
}

async function lastValue(m: Ctx, id: number): Promise<bigint | null> {
  const raw = await m.sc.txn.get(sequenceKey(id));
  return raw ? raw.readBigInt64BE(0) : null;
}

/** PostgreSQL's spelling of the settings it capitalizes. */
const SETTING_NAMES: Record<string, string> = {
  datestyle: 'DateStyle',
  timezone: 'TimeZone',
  intervalstyle: 'IntervalStyle',
};

const yes = true;

export const PG_CATALOG_TABLES: readonly SystemTable[] = [
  pg('pg_namespace', 'r', 'oid oid, nspname name, nspowner oid, nspacl aclitem[]', (m) =>
    m.namespaces.map((n) => ({ oid: n.oid, nspname: n.name, nspowner: ROLE.oid })),
  ),
  pg(
    'pg_class',
    'r',
    'oid oid, relname name, relnamespace oid, reltype oid, reloftype oid, relowner oid, relam oid, ' +
      'relfilenode oid, reltablespace oid, relpages int4, reltuples float4, relallvisible int4, reltoastrelid oid, ' +
      'relhasindex bool, relisshared bool, relpersistence char, relkind char, relnatts int2, relchecks int2, ' +
      'relhasrules bool, relhastriggers bool, relhassubclass bool, relrowsecurity bool, relforcerowsecurity bool, ' +
      'relispopulated bool, relreplident char, relispartition bool, relrewrite oid, relfrozenxid xid, ' +
      'relminmxid xid, relacl aclitem[], reloptions text[], relpartbound node',
    classRows,
  ),
  pg(
    'pg_attribute',
    'r',
    'attrelid oid, attname name, atttypid oid, attstattarget int4, attlen int2, attnum int2, attndims int4, ' +
      'attcacheoff int4, atttypmod int4, attbyval bool, attalign char, attstorage char, attcompression char, ' +
      'attnotnull bool, atthasdef bool, atthasmissing bool, attidentity char, attgenerated char, ' +
      'attisdropped bool, attislocal bool, attinhcount int4, attcollation oid, attacl aclitem[], ' +
      'attoptions text[], attfdwoptions text[], attmissingval text',
    attributeRows,
  ),
  pg(
    'pg_type',
    'r',
    'oid oid, typname name, typnamespace oid, typowner oid, typlen int2, typbyval bool, typtype char, ' +
      'typcategory char, typispreferred bool, typisdefined bool, typdelim char, typrelid oid, ' +
      'typsubscript regproc, typelem oid, typarray oid, typinput regproc, typoutput regproc, ' +
      'typreceive regproc, typsend regproc, typmodin regproc, typmodout regproc, typanalyze regproc, ' +
      'typalign char, typstorage char, typnotnull bool, typbasetype oid, typtypmod int4, typndims int4, ' +
      'typcollation oid, typdefaultbin node, typdefault text, typacl aclitem[]',
    () => allTypes().map(typeRow),
  ),
  pg(
    'pg_index',
    'r',
    'indexrelid oid, indrelid oid, indnatts int2, indnkeyatts int2, indisunique bool, ' +
      'indnullsnotdistinct bool, indisprimary bool, indisexclusion bool, indimmediate bool, ' +
      'indisclustered bool, indisvalid bool, indcheckxmin bool, indisready bool, indislive bool, ' +
      'indisreplident bool, indkey int2vector, indcollation oidvector, indclass oidvector, ' +
      'indoption int2vector, indexprs node, indpred node',
    indexRows,
  ),
  pg(
    'pg_constraint',
    'r',
    'oid oid, conname name, connamespace oid, contype char, condeferrable bool, condeferred bool, ' +
      'convalidated bool, conrelid oid, contypid oid, conindid oid, conparentid oid, confrelid oid, ' +
      'confupdtype char, confdeltype char, confmatchtype char, conislocal bool, coninhcount int4, ' +
      'connoinherit bool, conkey int2[], confkey int2[], conpfeqop oid[], conppeqop oid[], conffeqop oid[], ' +
      'confdelsetcols int2[], conexclop oid[], conbin node',
    constraintRows,
  ),
  pg('pg_attrdef', 'r', 'oid oid, adrelid oid, adnum int2, adbin node', attrdefRows),
  pg(
    'pg_database',
    'r',
    'oid oid, datname name, datdba oid, encoding int4, datlocprovider char, datistemplate bool, ' +
      'datallowconn bool, datconnlimit int4, datfrozenxid xid, datminmxid xid, dattablespace oid, ' +
      'datcollate text, datctype text, daticulocale text, datcollversion text, datacl aclitem[]',
    (m) =>
      m.databases.map((d) => ({
        oid: d.id,
        datname: d.name,
        datdba: ROLE.oid,
        encoding: 6,
        datlocprovider: 'c',
        datistemplate: false,
        datallowconn: true,
        datconnlimit: -1,
        datfrozenxid: 0,
        datminmxid: 1,
        dattablespace: DEFAULT_TABLESPACE_OID,
        datcollate: 'C',
        datctype: 'C',
      })),
  ),
  pg(
    'pg_roles',
    'v',
    'rolname name, rolsuper bool, rolinherit bool, rolcreaterole bool, rolcreatedb bool, rolcanlogin bool, ' +
      'rolreplication bool, rolconnlimit int4, rolpassword text, rolvaliduntil timestamptz, rolbypassrls bool, ' +
      'rolconfig text[], oid oid',
    (m) => [
      {
        rolname: m.user,
        rolsuper: yes,
        rolinherit: yes,
        rolcreaterole: yes,
        rolcreatedb: yes,
        rolcanlogin: yes,
        rolreplication: yes,
        rolconnlimit: -1,
        rolpassword: '********',
        rolbypassrls: yes,
        oid: ROLE.oid,
      },
    ],
  ),
  pg(
    'pg_user',
    'v',
    'usename name, usesysid oid, usecreatedb bool, usesuper bool, userepl bool, usebypassrls bool, ' +
      'passwd text, valuntil timestamptz, useconfig text[]',
    (m) => [
      {
        usename: m.user,
        usesysid: ROLE.oid,
        usecreatedb: yes,
        usesuper: yes,
        userepl: yes,
        usebypassrls: yes,
        passwd: '********',
      },
    ],
  ),
  pg('pg_am', 'r', 'oid oid, amname name, amhandler regproc, amtype char', () => [
    { oid: HEAP_AM_OID, amname: 'heap', amhandler: 'heap_tableam_handler', amtype: 't' },
    { oid: BTREE_AM_OID, amname: 'btree', amhandler: 'bthandler', amtype: 'i' },
  ]),
  pg('pg_tablespace', 'r', 'oid oid, spcname name, spcowner oid, spcacl aclitem[], spcoptions text[]', () => [
    { oid: DEFAULT_TABLESPACE_OID, spcname: 'pg_default', spcowner: ROLE.oid },
    { oid: GLOBAL_TABLESPACE_OID, spcname: 'pg_global', spcowner: ROLE.oid },
  ]),
  pg(
    'pg_collation',
    'r',
    'oid oid, collname name, collnamespace oid, collowner oid, collprovider char, collisdeterministic bool, ' +
      'collencoding int4, collcollate text, collctype text, colliculocale text, collversion text',
    () =>
      [
        { oid: DEFAULT_COLLATION_OID, collname: 'default', collprovider: 'd', collencoding: -1 },
        { oid: C_COLLATION_OID, collname: 'C', collprovider: 'c', collencoding: -1, collcollate: 'C', collctype: 'C' },
        {
          oid: POSIX_COLLATION_OID,
          collname: 'POSIX',
          collprovider: 'c',
          collencoding: -1,
          collcollate: 'POSIX',
          collctype: 'POSIX',
        },
      ].map((c) => ({ collnamespace: PG_CATALOG_NAMESPACE_OID, collowner: ROLE.oid, collisdeterministic: true, ...c })),
  ),
  pg(
    'pg_tables',
    'v',
    'schemaname name, tablename name, tableowner name, tablespace name, hasindexes bool, hasrules bool, ' +
      'hastriggers bool, rowsecurity bool',
    (m) => [
      ...m.tables.map((t) => ({
        schemaname: m.schemaName(t.schemaId),
        tablename: t.name,
        tableowner: m.user,
        hasindexes: m.indexes.some((i) => i.table === t),
        hasrules: false,
        hastriggers: t.foreignKeys.length > 0 || t.inboundForeignKeys.length > 0,
        rowsecurity: false,
      })),
      ...systemEntries()
        .filter((e) => e.table.relkind === 'r')
        .map((e) => ({
          schemaname: e.table.schema,
          tablename: e.table.name,
          tableowner: m.user,
          hasindexes: false,
          hasrules: false,
          hastriggers: false,
          rowsecurity: false,
        })),
    ],
  ),
  pg('pg_views', 'v', 'schemaname name, viewname name, viewowner name, definition text', (m) => [
    ...m.views.map((v) => ({
      schemaname: m.schemaName(v.schemaId),
      viewname: v.name,
      viewowner: m.user,
      definition: v.text,
    })),
    ...systemEntries()
      .filter((e) => e.table.relkind === 'v')
      .map((e) => ({ schemaname: e.table.schema, viewname: e.table.name, viewowner: m.user })),
  ]),
  pg(
    'pg_matviews',
    'v',
    'schemaname name, matviewname name, matviewowner name, tablespace name, hasindexes bool, ispopulated bool, definition text',
    empty,
  ),
  pg('pg_indexes', 'v', 'schemaname name, tablename name, indexname name, tablespace name, indexdef text', (m) =>
    m.indexes.map((ix) => {
      const schema = m.schemaName(ix.table.schemaId);
      return {
        schemaname: schema,
        tablename: ix.table.name,
        indexname: ix.index.name,
        indexdef: indexDef(schema, ix.table, ix.index),
      };
    }),
  ),
  pg(
    'pg_sequence',
    'r',
    'seqrelid oid, seqtypid oid, seqstart int8, seqincrement int8, seqmax int8, seqmin int8, seqcache int8, seqcycle bool',
    (m) =>
      sequenceBounds(m).map(({ s, type }) => ({
        seqrelid: s.id,
        seqtypid: typeOid(type),
        seqstart: s.start,
        seqincrement: s.increment,
        seqmax: s.maxValue,
        seqmin: s.minValue,
        seqcache: 1n,
        seqcycle: s.cycle,
      })),
  ),
  pg(
    'pg_sequences',
    'v',
    'schemaname name, sequencename name, sequenceowner name, data_type regtype, start_value int8, ' +
      'min_value int8, max_value int8, increment_by int8, cycle bool, cache_size int8, last_value int8',
    async (m) => {
      const out: RowObject[] = [];
      for (const { s, type } of sequenceBounds(m)) {
        out.push({
          schemaname: m.schemaName(s.schemaId),
          sequencename: s.name,
          sequenceowner: m.user,
          data_type: typeName(type),
          start_value: s.start,
          min_value: s.minValue,
          max_value: s.maxValue,
          increment_by: s.increment,
          cycle: s.cycle,
          cache_size: 1n,
          last_value: await lastValue(m, s.id),
        });
      }
      return out;
    },
  ),
  pg(
    'pg_settings',
    'v',
    'name text, setting text, unit text, category text, short_desc text, extra_desc text, context text, ' +
      'vartype text, source text, min_val text, max_val text, enumvals text[], boot_val text, reset_val text, ' +
      'sourcefile text, sourceline int4, pending_restart bool',
    () =>
      Object.entries(DEFAULT_SETTINGS)
        .map(([name, setting]) => ({
          name: SETTING_NAMES[name] ?? name,
          setting,
          context:
            name === 'server_version' || name === 'server_encoding' || name === 'integer_datetimes'
              ? 'internal'
              : 'user',
          vartype: 'string',
          source: 'default',
          boot_val: setting,
          reset_val: setting,
          pending_restart: false,
        }))
        .sort((a, b) => (a.name.toLowerCase() < b.name.toLowerCase() ? -1 : 1)),
  ),
  pg(
    'pg_depend',
    'r',
    'classid oid, objid oid, objsubid int4, refclassid oid, refobjid oid, refobjsubid int4, deptype char',
    (m) => {
      const pgClass = systemOid('pg_class');
      return m.sequences
        .filter((s) => s.ownedBy !== undefined)
        .map((s) => {
          const owner = m.table(s.ownedBy?.tableId ?? -1);
          const col = owner?.columns.find((c) => c.id === s.ownedBy?.columnId);
          return {
            classid: pgClass,
            objid: s.id,
            objsubid: 0,
            refclassid: pgClass,
            refobjid: s.ownedBy?.tableId,
            refobjsubid: s.ownedBy?.columnId,
            deptype: col?.identity !== undefined ? 'i' : 'a',
          };
        });
    },
  ),
  pg('pg_description', 'r', 'objoid oid, classoid oid, objsubid int4, description text', empty),
  pg('pg_shdescription', 'r', 'objoid oid, classoid oid, description text', empty),
  pg('pg_inherits', 'r', 'inhrelid oid, inhparent oid, inhseqno int4, inhdetachpending bool', empty),
  pg(
    'pg_extension',
    'r',
    'oid oid, extname name, extowner oid, extnamespace oid, extrelocatable bool, extversion text, ' +
      'extconfig oid[], extcondition text[]',
    empty,
  ),
  pg(
    'pg_proc',
    'r',
    'oid oid, proname name, pronamespace oid, proowner oid, prolang oid, procost float4, prorows float4, ' +
      'provariadic oid, prosupport regproc, prokind char, prosecdef bool, proleakproof bool, proisstrict bool, ' +
      'proretset bool, provolatile char, proparallel char, pronargs int2, pronargdefaults int2, prorettype oid, ' +
      'proargtypes oidvector, proallargtypes oid[], proargmodes char[], proargnames text[], proargdefaults node, ' +
      'protrftypes oid[], prosrc text, probin text, prosqlbody node, proconfig text[], proacl aclitem[]',
    empty,
  ),
  pg(
    'pg_trigger',
    'r',
    'oid oid, tgrelid oid, tgparentid oid, tgname name, tgfoid oid, tgtype int2, tgenabled char, ' +
      'tgisinternal bool, tgconstrrelid oid, tgconstrindid oid, tgconstraint oid, tgdeferrable bool, ' +
      'tginitdeferred bool, tgnargs int2, tgattr int2vector, tgqual node, tgoldtable name, tgnewtable name',
    empty,
  ),
  pg(
    'pg_policy',
    'r',
    'oid oid, polname name, polrelid oid, polcmd char, polpermissive bool, polroles oid[], polqual node, polwithcheck node',
    empty,
  ),
  pg(
    'pg_statistic_ext',
    'r',
    'oid oid, stxrelid oid, stxname name, stxnamespace oid, stxowner oid, stxstattarget int4, stxkeys int2vector, ' +
      'stxkind char[], stxexprs node',
    empty,
  ),
  pg(
    'pg_publication',
    'r',
    'oid oid, pubname name, pubowner oid, puballtables bool, pubinsert bool, pubupdate bool, pubdelete bool, ' +
      'pubtruncate bool, pubviaroot bool',
    empty,
  ),
  pg('pg_publication_rel', 'r', 'oid oid, prpubid oid, prrelid oid, prqual node, prattrs int2[]', empty),
  pg('pg_publication_namespace', 'r', 'oid oid, pnpubid oid, pnnspid oid', empty),
  pg(
    'pg_rewrite',
    'r',
    'oid oid, rulename name, ev_class oid, ev_type char, ev_enabled char, is_instead bool, ev_qual node, ev_action node',
    empty,
  ),
  pg('pg_enum', 'r', 'oid oid, enumtypid oid, enumsortorder float4, enumlabel name', empty),
  pg('pg_auth_members', 'r', 'oid oid, roleid oid, member oid, grantor oid, admin_option bool', empty),
  pg(
    'pg_range',
    'r',
    'rngtypid oid, rngsubtype oid, rngmultitypid oid, rngcollation oid, rngsubopc oid, rngcanonical regproc, ' +
      'rngsubdiff regproc',
    empty,
  ),
];
