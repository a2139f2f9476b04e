/**
 * The system information functions psql's describe commands and drivers call on the catalog
 * (pg_table_is_visible, pg_get_userbyid, format_type, pg_get_expr, pg_get_indexdef,
 * pg_get_constraintdef, obj_description, pg_encoding_to_char). They read the statement's
 * {@link CatalogModel}, which the session loads before a statement that calls them (their
 * evaluation is synchronous); without one they answer as for an empty catalog.
 */
import type { ReferentialAction, TableDesc } from '../catalog/descriptors.js';
import { defineFunction } from '../functions/registry.js';
import type { TypeContext } from '../types/datetime.js';
import { type SqlType, typeFromOid, typeName } from '../types/type.js';
import { type CatalogModel, columnName, indexDef } from './model.js';
import { decodeOid } from './oids.js';
import { catalogModelOf } from './reg.js';
import { exprText, quoteIdent } from './text.js';

/** Where a relation (or index) oid lives: its schema id, or undefined if unknown. */
function schemaOf(model: CatalogModel, oid: bigint): number | undefined {
  const d = decodeOid(oid);
  if (d.kind === 'descriptor') {
    const r = [...model.tables, ...model.views, ...model.sequences].find((x) => x.id === d.id);
    return r?.schemaId;
  }
  return model.table(d.tableId)?.schemaId;
}

defineFunction('pg_table_is_visible', [
  {
    args: ['int8'],
    result: 'bool',
    volatility: 'stable',
    impl: ([oid], ctx) => {
      const model = catalogModelOf(ctx);
      if (!model) return false;
      const schemaId = schemaOf(model, oid as bigint);
      if (schemaId === undefined) return false;
      return model.sc.searchPath.includes(model.schemaName(schemaId));
    },
  },
]);

defineFunction('pg_get_userbyid', [
  { args: ['int8'], result: 'text', volatility: 'stable', impl: (_a, ctx) => catalogModelOf(ctx)?.user ?? 'thinklite' },
]);

/** A type from its oid and PostgreSQL's packed modifier (atttypmod). */
function typeWithModifier(oid: bigint, typmod: number): SqlType | undefined {
  const t = typeFromOid(Number(oid));
  if (!t || typmod < 0) return t;
  switch (t.kind) {
    case 'varchar':
    case 'bpchar':
      return { kind: t.kind, length: typmod - 4 };
    case 'numeric':
      return { kind: 'numeric', precision: ((typmod - 4) >> 16) & 0xffff, scale: (typmod - 4) & 0xffff };
    case 'timestamp':
    case 'timestamptz':
      return { kind: t.kind, precision: typmod };
    default:
      return t;
  }
}

defineFunction('format_type', [
  {
    args: ['int8', 'int4'],
    result: 'text',
    strict: false,
    volatility: 'stable',
    impl: ([oid, typmod]) => {
      if (oid === null) return null;
      const t = typeWithModifier(oid as bigint, typmod === null ? -1 : (typmod as number));
      return t ? typeName(t) : '???';
    },
  },
]);

// The catalog's expression columns already hold their text (pg_attrdef.adbin, pg_constraint.conbin).
defineFunction('pg_get_expr', [
  { args: ['text', 'int8'], result: 'text', volatility: 'stable', impl: ([text]) => text as string },
  { args: ['text', 'int8', 'bool'], result: 'text', volatility: 'stable', impl: ([text]) => text as string },
]);

/** The pretty forms leave out the schema of a table the search path finds. */
function visibleSchema(model: CatalogModel, schemaId: number, pretty: boolean): string | undefined {
  const schema = model.schemaName(schemaId);
  return pretty && model.sc.searchPath.includes(schema) ? undefined : schema;
}

function indexDefinition(ctx: TypeContext, oid: bigint, pretty: boolean): string | null {
  const model = catalogModelOf(ctx);
  const ix = model?.indexes.find((i) => i.oid === oid);
  if (!model || !ix) return null;
  return indexDef(visibleSchema(model, ix.table.schemaId, pretty), ix.table, ix.index);
}

defineFunction('pg_get_indexdef', [
  {
    args: ['int8'],
    result: 'text',
    volatility: 'stable',
    impl: ([oid], ctx) => indexDefinition(ctx, oid as bigint, false),
  },
  {
    args: ['int8', 'int4', 'bool'],
    result: 'text',
    volatility: 'stable',
    impl: ([oid, , pretty], ctx) => indexDefinition(ctx, oid as bigint, pretty === true),
  },
]);

const ACTION_TEXT: Record<ReferentialAction, string> = {
  'no-action': '',
  restrict: ' RESTRICT',
  cascade: ' CASCADE',
  'set-null': ' SET NULL',
  'set-default': ' SET DEFAULT',
};

function constraintDefinition(ctx: TypeContext, oid: bigint, pretty: boolean): string | null {
  const model = catalogModelOf(ctx);
  const c = model?.constraints.find((x) => x.oid === oid);
  if (!model || !c) return null;
  const cols = (t: TableDesc, ids: readonly number[]) => ids.map((id) => quoteIdent(columnName(t, id))).join(', ');
  switch (c.type) {
    case 'p':
    case 'u': {
      const ix = model.indexes.find((i) => i.oid === c.indexOid);
      const ids = ix ? ix.index.columns.map((ic) => ic.columnId) : [];
      return `${c.type === 'p' ? 'PRIMARY KEY' : 'UNIQUE'} (${cols(c.table, ids)})`;
    }
    case 'c':
      return c.check ? `CHECK (${exprText(c.check.expr, { pretty })})` : null;
    case 'f': {
      const fk = c.fk;
      const ref = c.referenced;
      if (!fk || !ref) return null;
      const onUpdate = fk.onUpdate === 'no-action' ? '' : ` ON UPDATE${ACTION_TEXT[fk.onUpdate]}`;
      const onDelete = fk.onDelete === 'no-action' ? '' : ` ON DELETE${ACTION_TEXT[fk.onDelete]}`;
      return `FOREIGN KEY (${cols(c.table, fk.columns)}) REFERENCES ${model.qualifiedName(ref.schemaId, ref.name)}(${cols(ref, fk.referencedColumns)})${onUpdate}${onDelete}`;
    }
  }
}

defineFunction('pg_get_constraintdef', [
  {
    args: ['int8'],
    result: 'text',
    volatility: 'stable',
    impl: ([oid], ctx) => constraintDefinition(ctx, oid as bigint, false),
  },
  {
    args: ['int8', 'bool'],
    result: 'text',
    volatility: 'stable',
    impl: ([oid, pretty], ctx) => constraintDefinition(ctx, oid as bigint, pretty === true),
  },
]);

// ThinkLite keeps no comments on objects.
defineFunction('obj_description', [
  { args: ['int8', 'text'], result: 'text', strict: false, volatility: 'stable', impl: () => null },
  { args: ['int8'], result: 'text', strict: false, volatility: 'stable', impl: () => null },
]);
defineFunction('col_description', [
  { args: ['int8', 'int4'], result: 'text', strict: false, volatility: 'stable', impl: () => null },
]);
defineFunction('pg_encoding_to_char', [{ args: ['int4'], result: 'text', volatility: 'stable', impl: () => 'UTF8' }]);

// Extended statistics, publications and on-disk sizes are not kept: psql's \d+ and \dt+ get the
// answers of a database that has none (sizes read 0).
defineFunction('pg_get_statisticsobjdef_columns', [
  { args: ['int8'], result: 'text', strict: false, volatility: 'stable', impl: () => null },
]);
defineFunction('pg_relation_is_publishable', [
  { args: ['int8'], result: 'bool', volatility: 'stable', impl: () => false },
]);
for (const name of ['pg_table_size', 'pg_total_relation_size', 'pg_indexes_size']) {
  defineFunction(name, [{ args: ['int8'], result: 'int8', volatility: 'volatile', impl: () => 0n }]);
}
defineFunction('pg_relation_size', [
  { args: ['int8'], result: 'int8', volatility: 'volatile', impl: () => 0n },
  { args: ['int8', 'text'], result: 'int8', volatility: 'volatile', impl: () => 0n },
]);

/** pg_size_pretty: the largest unit (bytes, kB, MB, …, powers of 1024) keeping the rounded value under 10240. */
function sizePretty(n: bigint): string {
  const units = ['bytes', 'kB', 'MB', 'GB', 'TB', 'PB'];
  const neg = n < 0n;
  const abs = neg ? -n : n;
  for (let k = 0; ; k++) {
    const div = 1n << BigInt(10 * k);
    const r = k === 0 ? abs : (2n * abs + div) / (2n * div); // half away from zero
    if (r < 10240n || k === units.length - 1) return `${neg ? '-' : ''}${r} ${units[k]}`;
  }
}
defineFunction('pg_size_pretty', [
  { args: ['int8'], result: 'text', volatility: 'immutable', impl: ([n]) => sizePretty(n as bigint) },
]);

// Functions are not catalogued objects here (pg_proc is empty): psql's \df finds none.
defineFunction('pg_function_is_visible', [{ args: ['int8'], result: 'bool', volatility: 'stable', impl: () => true }]);
for (const name of ['pg_get_function_result', 'pg_get_function_arguments', 'pg_get_function_identity_arguments']) {
  defineFunction(name, [{ args: ['int8'], result: 'text', strict: false, volatility: 'stable', impl: () => null }]);
}
