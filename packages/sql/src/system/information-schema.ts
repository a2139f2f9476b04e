import type { SqlType } from '../types/type.js';
import { attributes, type CatalogModel, checkColumns, columnName, sequenceType } from './model.js';
import { columns, type RowObject, type SystemTable } from './table.js';
import { exprText } from './text.js';
import { infoDataType, typname } from './types.js';

/**
 * information_schema: the SQL-standard views, as PostgreSQL 15 defines them (sql_identifier is
 * text here, character_data and yes_or_no are varchar, cardinal_number is int4). Rows describe the
 * current database, as the session's user — the owner of everything — sees them.
 */

type Ctx = CatalogModel;

/** The virtual tables, for information_schema.tables/columns; filled in by index.ts. */
let systemTables: () => readonly SystemTable[] = () => [];
export function setSystemTables(f: () => readonly SystemTable[]): void {
  systemTables = f;
}

function info(name: string, spec: string, rows: SystemTable['rows']): SystemTable {
  return { schema: 'information_schema', name, relkind: 'v', columns: columns(spec), rows };
}

const yesNo = (b: boolean) => (b ? 'YES' : 'NO');

const RULE: Record<string, string> = {
  'no-action': 'NO ACTION',
  restrict: 'RESTRICT',
  cascade: 'CASCADE',
  'set-null': 'SET NULL',
  'set-default': 'SET DEFAULT',
};

const CONSTRAINT_TYPE = { p: 'PRIMARY KEY', u: 'UNIQUE', c: 'CHECK', f: 'FOREIGN KEY' } as const;

/** The per-type columns of information_schema.columns (and of attributes, domains …). */
function typeColumns(t: SqlType, catalog: string) {
  const charMax = t.kind === 'varchar' || t.kind === 'bpchar' ? (t.length ?? null) : null;
  const isChar = t.kind === 'varchar' || t.kind === 'bpchar' || t.kind === 'text';
  const NUMERIC: Partial<Record<string, [number | null, number, number | null]>> = {
    int2: [16, 2, 0],
    int4: [32, 2, 0],
    int8: [64, 2, 0],
    float4: [24, 2, null],
    float8: [53, 2, null],
    numeric: [t.precision ?? null, 10, t.precision === undefined ? null : (t.scale ?? 0)],
  };
  const num = NUMERIC[t.kind];
  const isDatetime = t.kind === 'date' || t.kind === 'timestamp' || t.kind === 'timestamptz' || t.kind === 'interval';
  return {
    data_type: infoDataType(t),
    character_maximum_length: charMax,
    character_octet_length: isChar ? (charMax === null ? 1073741824 : charMax * 4) : null,
    numeric_precision: num ? num[0] : null,
    numeric_precision_radix: num ? num[1] : null,
    numeric_scale: num ? num[2] : null,
    datetime_precision: isDatetime ? (t.kind === 'date' ? 0 : (t.precision ?? 6)) : null,
    udt_catalog: catalog,
    udt_schema: 'pg_catalog',
    udt_name: typname(t),
  };
}

function columnRows(m: Ctx): RowObject[] {
  const catalog = m.sc.database.name;
  const out: RowObject[] = [];
  const base = {
    table_catalog: catalog,
    is_self_referencing: 'NO',
    is_identity: 'NO',
    identity_cycle: 'NO',
    is_generated: 'NEVER',
    is_updatable: 'YES',
  };
  for (const t of m.tables) {
    for (const a of attributes(t)) {
      const c = a.column;
      const seq = c.identity !== undefined ? m.sequence(c.sequenceId) : undefined;
      out.push({
        ...base,
        ...typeColumns(c.type, catalog),
        table_schema: m.schemaName(t.schemaId),
        table_name: t.name,
        column_name: c.name,
        ordinal_position: a.attnum,
        column_default: c.identity !== undefined ? null : (m.defaultText(t, c) ?? null),
        is_nullable: yesNo(c.nullable),
        dtd_identifier: String(a.attnum),
        ...(c.identity !== undefined
          ? {
              is_identity: 'YES',
              identity_generation: c.identity === 'always' ? 'ALWAYS' : 'BY DEFAULT',
              identity_start: seq ? String(seq.start) : null,
              identity_increment: seq ? String(seq.increment) : null,
              identity_maximum: seq ? String(seq.maxValue) : null,
              identity_minimum: seq ? String(seq.minValue) : null,
              identity_cycle: yesNo(seq?.cycle ?? false),
            }
          : {}),
      });
    }
  }
  for (const v of m.views) {
    v.columns.forEach((c, i) => {
      out.push({
        ...base,
        ...typeColumns(c.type, catalog),
        table_schema: m.schemaName(v.schemaId),
        table_name: v.name,
        column_name: c.name,
        ordinal_position: i + 1,
        is_nullable: 'YES',
        dtd_identifier: String(i + 1),
        is_updatable: 'NO',
      });
    });
  }
  for (const st of systemTables()) {
    st.columns.forEach((c, i) => {
      out.push({
        ...base,
        ...typeColumns(c.type, catalog),
        table_schema: st.schema,
        table_name: st.name,
        column_name: c.name,
        ordinal_position: i + 1,
        is_nullable: 'YES',
        dtd_identifier: String(i + 1),
        is_updatable: 'NO',
      });
    });
  }
  return out;
}

/** PostgreSQL 15 also lists each NOT NULL column as a CHECK constraint named `<nsp>_<rel>_<attnum>_not_null`. */
function notNullConstraints(m: Ctx) {
  const out: { schemaId: number; table: Ctx['tables'][number]; name: string; column: string }[] = [];
  for (const t of m.tables) {
    for (const a of attributes(t)) {
      if (!a.column.nullable) {
        out.push({
          schemaId: t.schemaId,
          table: t,
          name: `${t.schemaId}_${t.id}_${a.attnum}_not_null`,
          column: a.column.name,
        });
      }
    }
  }
  return out;
}

export const INFORMATION_SCHEMA_TABLES: readonly SystemTable[] = [
  info(
    'schemata',
    'catalog_name name, schema_name name, schema_owner name, default_character_set_catalog name, ' +
      'default_character_set_schema name, default_character_set_name name, sql_path varchar',
    (m) => m.namespaces.map((n) => ({ catalog_name: m.sc.database.name, schema_name: n.name, schema_owner: m.user })),
  ),
  info(
    'tables',
    'table_catalog name, table_schema name, table_name name, table_type varchar, ' +
      'self_referencing_column_name name, reference_generation varchar, user_defined_type_catalog name, ' +
      'user_defined_type_schema name, user_defined_type_name name, is_insertable_into varchar, is_typed varchar, ' +
      'commit_action varchar',
    (m) => {
      const catalog = m.sc.database.name;
      return [
        ...m.tables.map((t) => ({
          table_catalog: catalog,
          table_schema: m.schemaName(t.schemaId),
          table_name: t.name,
          table_type: 'BASE TABLE',
          is_insertable_into: 'YES',
          is_typed: 'NO',
        })),
        ...m.views.map((v) => ({
          table_catalog: catalog,
          table_schema: m.schemaName(v.schemaId),
          table_name: v.name,
          table_type: 'VIEW',
          is_insertable_into: 'NO',
          is_typed: 'NO',
        })),
        ...systemTables().map((st) => ({
          table_catalog: catalog,
          table_schema: st.schema,
          table_name: st.name,
          table_type: st.relkind === 'r' ? 'BASE TABLE' : 'VIEW',
          is_insertable_into: 'NO',
          is_typed: 'NO',
        })),
      ];
    },
  ),
  info(
    'columns',
    'table_catalog name, table_schema name, table_name name, column_name name, ordinal_position int4, ' +
      'column_default varchar, is_nullable varchar, data_type varchar, character_maximum_length int4, ' +
      'character_octet_length int4, numeric_precision int4, numeric_precision_radix int4, numeric_scale int4, ' +
      'datetime_precision int4, interval_type varchar, interval_precision int4, character_set_catalog name, ' +
      'character_set_schema name, character_set_name name, collation_catalog name, collation_schema name, ' +
      'collation_name name, domain_catalog name, domain_schema name, domain_name name, udt_catalog name, ' +
      'udt_schema name, udt_name name, scope_catalog name, scope_schema name, scope_name name, ' +
      'maximum_cardinality int4, dtd_identifier name, is_self_referencing varchar, is_identity varchar, ' +
      'identity_generation varchar, identity_start varchar, identity_increment varchar, ' +
      'identity_maximum varchar, identity_minimum varchar, identity_cycle varchar, is_generated varchar, ' +
      'generation_expression varchar, is_updatable varchar',
    columnRows,
  ),
  info(
    'table_constraints',
    'constraint_catalog name, constraint_schema name, constraint_name name, table_catalog name, ' +
      'table_schema name, table_name name, constraint_type varchar, is_deferrable varchar, ' +
      'initially_deferred varchar, enforced varchar, nulls_distinct varchar',
    (m) => {
      const catalog = m.sc.database.name;
      const common = {
        constraint_catalog: catalog,
        table_catalog: catalog,
        is_deferrable: 'NO',
        initially_deferred: 'NO',
        enforced: 'YES',
      };
      return [
        ...m.constraints.map((c) => ({
          ...common,
          constraint_schema: m.schemaName(c.table.schemaId),
          constraint_name: c.name,
          table_schema: m.schemaName(c.table.schemaId),
          table_name: c.table.name,
          constraint_type: CONSTRAINT_TYPE[c.type],
          nulls_distinct: c.type === 'u' ? 'YES' : null,
        })),
        ...notNullConstraints(m).map((n) => ({
          ...common,
          constraint_schema: m.schemaName(n.schemaId),
          constraint_name: n.name,
          table_schema: m.schemaName(n.schemaId),
          table_name: n.table.name,
          constraint_type: 'CHECK',
        })),
      ];
    },
  ),
  info(
    'check_constraints',
    'constraint_catalog name, constraint_schema name, constraint_name name, check_clause varchar',
    (m) => [
      ...m.constraints
        .filter((c) => c.type === 'c' && c.check)
        .map((c) => ({
          constraint_catalog: m.sc.database.name,
          constraint_schema: m.schemaName(c.table.schemaId),
          constraint_name: c.name,
          check_clause: `(${exprText((c.check as { expr: Parameters<typeof exprText>[0] }).expr)})`,
        })),
      ...notNullConstraints(m).map((n) => ({
        constraint_catalog: m.sc.database.name,
        constraint_schema: m.schemaName(n.schemaId),
        constraint_name: n.name,
        check_clause: `${n.column} IS NOT NULL`,
      })),
    ],
  ),
  info(
    'key_column_usage',
    'constraint_catalog name, constraint_schema name, constraint_name name, table_catalog name, ' +
      'table_schema name, table_name name, column_name name, ordinal_position int4, ' +
      'position_in_unique_constraint int4',
    (m) => {
      const catalog = m.sc.database.name;
      const out: RowObject[] = [];
      for (const c of m.constraints) {
        if (c.type === 'c') continue;
        c.columns.forEach((id, i) => {
          let pos: number | null = null;
          if (c.fk && c.referenced) {
            const refCol = c.fk.referencedColumns[i];
            const key = m.constraints.find(
              (k) => k.table === c.referenced && k.indexOid === c.indexOid && k.type !== 'f',
            );
            pos = key ? key.columns.indexOf(refCol as number) + 1 : i + 1;
          }
          out.push({
            constraint_catalog: catalog,
            constraint_schema: m.schemaName(c.table.schemaId),
            constraint_name: c.name,
            table_catalog: catalog,
            table_schema: m.schemaName(c.table.schemaId),
            table_name: c.table.name,
            column_name: columnName(c.table, id),
            ordinal_position: i + 1,
            position_in_unique_constraint: pos,
          });
        });
      }
      return out;
    },
  ),
  info(
    'constraint_column_usage',
    'table_catalog name, table_schema name, table_name name, column_name name, constraint_catalog name, ' +
      'constraint_schema name, constraint_name name',
    (m) => {
      const catalog = m.sc.database.name;
      const out: RowObject[] = [];
      for (const c of m.constraints) {
        // A foreign key uses the referenced columns; the others their own.
        const table = c.fk ? c.referenced : c.table;
        if (!table) continue;
        const ids = c.type === 'c' ? checkColumns(c.table, c.check?.expr) : (c.fk?.referencedColumns ?? c.columns);
        for (const id of ids) {
          out.push({
            table_catalog: catalog,
            table_schema: m.schemaName(table.schemaId),
            table_name: table.name,
            column_name: columnName(table, id),
            constraint_catalog: catalog,
            constraint_schema: m.schemaName(c.table.schemaId),
            constraint_name: c.name,
          });
        }
      }
      return out;
    },
  ),
  info(
    'referential_constraints',
    'constraint_catalog name, constraint_schema name, constraint_name name, unique_constraint_catalog name, ' +
      'unique_constraint_schema name, unique_constraint_name name, match_option varchar, update_rule varchar, ' +
      'delete_rule varchar',
    (m) =>
      m.constraints
        .filter((c) => c.type === 'f' && c.fk)
        .map((c) => ({
          constraint_catalog: m.sc.database.name,
          constraint_schema: m.schemaName(c.table.schemaId),
          constraint_name: c.name,
          unique_constraint_catalog: c.referencedConstraint !== undefined ? m.sc.database.name : null,
          unique_constraint_schema:
            c.referencedConstraint !== undefined && c.referenced ? m.schemaName(c.referenced.schemaId) : null,
          unique_constraint_name: c.referencedConstraint ?? null,
          match_option: 'NONE',
          update_rule: RULE[c.fk?.onUpdate ?? 'no-action'],
          delete_rule: RULE[c.fk?.onDelete ?? 'no-action'],
        })),
  ),
  info(
    'views',
    'table_catalog name, table_schema name, table_name name, view_definition varchar, check_option varchar, ' +
      'is_updatable varchar, is_insertable_into varchar, is_trigger_updatable varchar, ' +
      'is_trigger_deletable varchar, is_trigger_insertable_into varchar',
    (m) =>
      m.views.map((v) => ({
        table_catalog: m.sc.database.name,
        table_schema: m.schemaName(v.schemaId),
        table_name: v.name,
        view_definition: v.text,
        check_option: 'NONE',
        is_updatable: 'NO',
        is_insertable_into: 'NO',
        is_trigger_updatable: 'NO',
        is_trigger_deletable: 'NO',
        is_trigger_insertable_into: 'NO',
      })),
  ),
  info(
    'sequences',
    'sequence_catalog name, sequence_schema name, sequence_name name, data_type varchar, ' +
      'numeric_precision int4, numeric_precision_radix int4, numeric_scale int4, start_value varchar, ' +
      'minimum_value varchar, maximum_value varchar, increment varchar, cycle_option varchar',
    (m) =>
      // Identity sequences are not listed (PostgreSQL 15 leaves them out).
      m.sequences
        .filter((s) => {
          const owner = s.ownedBy ? m.table(s.ownedBy.tableId) : undefined;
          return owner?.columns.find((c) => c.id === s.ownedBy?.columnId)?.identity === undefined;
        })
        .map((s) => {
          const type = sequenceType(m, s);
          return {
            sequence_catalog: m.sc.database.name,
            sequence_schema: m.schemaName(s.schemaId),
            sequence_name: s.name,
            data_type: infoDataType(type),
            numeric_precision: type.kind === 'int2' ? 16 : type.kind === 'int4' ? 32 : 64,
            numeric_precision_radix: 2,
            numeric_scale: 0,
            start_value: String(s.start),
            minimum_value: String(s.minValue),
            maximum_value: String(s.maxValue),
            increment: String(s.increment),
            cycle_option: yesNo(s.cycle),
          };
        }),
  ),
];
