/**
 * The object-identifier types psql and drivers cast to: oid, regclass, regtype, regnamespace and
 * regrole. ThinkLite represents every one of them as int8 (see table.ts); a cast from text looks
 * the name up in the statement's {@link CatalogModel} (`'users'::regclass` is the table's oid), a
 * cast from an integer keeps the number. Unknown names fail as PostgreSQL's do (42P01, 42704,
 * 3F000).
 */
import { sqlError as err } from '../engine/errors.js';
import { templateOf } from '../parser/literal-templates.js';
import type { TypeContext } from '../types/datetime.js';
import { resolveTypeName, typeOid } from '../types/type.js';
import type { CatalogModel } from './model.js';
import { BOOTSTRAP_SUPERUSER_OID, indexOid } from './oids.js';

/** The names of the functions that need the catalog model. */
export const CATALOG_FUNCTIONS: ReadonlySet<string> = new Set([
  'pg_table_is_visible',
  'pg_get_userbyid',
  'pg_get_indexdef',
  'pg_get_constraintdef',
]);

export type OidTypeName = 'oid' | 'regclass' | 'regtype' | 'regnamespace' | 'regrole';

const OID_TYPES: ReadonlySet<string> = new Set(['oid', 'regclass', 'regtype', 'regnamespace', 'regrole']);

/** `name` (a cast's last type name) when it is one of the object-identifier types. */
export function oidTypeName(name: string): OidTypeName | undefined {
  return OID_TYPES.has(name) ? (name as OidTypeName) : undefined;
}

/** The catalog model a session attached to the statement's type context (see CatalogModel.load). */
export function catalogModelOf(ctx: TypeContext): CatalogModel | undefined {
  return (ctx as { catalogModel?: CatalogModel }).catalogModel;
}

/** `a.b` / `"A".b` split into unquoted parts, as PostgreSQL's regclass input reads it. */
function nameParts(text: string): string[] {
  const parts: string[] = [];
  let i = 0;
  const s = text.trim();
  while (i <= s.length) {
    let part = '';
    if (s[i] === '"') {
      i++;
      while (i < s.length) {
        if (s[i] === '"') {
          if (s[i + 1] === '"') {
            part += '"';
            i += 2;
            continue;
          }
          break;
        }
        part += s[i++];
      }
      i++;
    } else {
      while (i < s.length && s[i] !== '.') part += s[i++];
      part = part.trim().toLowerCase();
    }
    parts.push(part);
    if (s[i] !== '.') break;
    i++;
  }
  return parts;
}

function relationOid(model: CatalogModel, text: string): bigint {
  const parts = nameParts(text);
  const name = parts[parts.length - 1] ?? '';
  const schemas = parts.length > 1 ? [parts[parts.length - 2] as string] : model.sc.searchPath;
  for (const schema of schemas) {
    for (const r of [...model.tables, ...model.views, ...model.sequences]) {
      if (r.name === name && model.schemaName(r.schemaId) === schema) return BigInt(r.id);
    }
    for (const ix of model.indexes) {
      if (ix.index.name === name && model.schemaName(ix.table.schemaId) === schema) {
        return indexOid(ix.table.id, ix.index.id);
      }
    }
  }
  throw err('UNDEFINED_TABLE', `relation "${text}" does not exist`);
}

function namespaceOid(model: CatalogModel, text: string): bigint {
  const name = nameParts(text)[0] ?? '';
  const ns = model.namespaces.find((n) => n.name === name);
  if (!ns) throw err('INVALID_SCHEMA_NAME', `schema "${text}" does not exist`);
  return BigInt(ns.oid);
}

/** The oid `text` names as a value of `type`. */
export function oidFromText(type: OidTypeName, text: string, ctx: TypeContext): bigint {
  const trimmed = text.trim();
  if (/^\d+$/.test(trimmed)) return BigInt(trimmed);
  const model = catalogModelOf(ctx);
  switch (type) {
    case 'oid':
      throw err('INVALID_TEXT_REPRESENTATION', `invalid input syntax for type oid: "${text}"`);
    case 'regtype':
      return BigInt(typeOid(resolveTypeName(trimmed.toLowerCase())));
    case 'regrole':
      if (model && trimmed === model.user) return BigInt(BOOTSTRAP_SUPERUSER_OID);
      throw err('UNDEFINED_OBJECT', `role "${text}" does not exist`);
    case 'regclass':
      if (!model) throw err('UNDEFINED_TABLE', `relation "${text}" does not exist`);
      return relationOid(model, trimmed);
    case 'regnamespace':
      if (!model) throw err('INVALID_SCHEMA_NAME', `schema "${text}" does not exist`);
      return namespaceOid(model, trimmed);
  }
}

const needsModel = new WeakMap<object, boolean>();

/**
 * Whether a statement calls a catalog information function or casts to an object-identifier type
 * (remembered per statement: parsed statements are cached and reused).
 */
export function needsCatalogModel(stmt: object): boolean {
  // Literal values change nothing here: a statement built from a template answers as it does.
  const template = templateOf(stmt);
  if (template) return needsCatalogModel(template);
  let known = needsModel.get(stmt);
  if (known === undefined) {
    known = walkNeedsModel(stmt);
    needsModel.set(stmt, known);
  }
  return known;
}

function walkNeedsModel(stmt: unknown): boolean {
  const visit = (v: unknown): boolean => {
    if (v === null || typeof v !== 'object') return false;
    if (Array.isArray(v)) return v.some(visit);
    const node = v as { kind?: string; name?: readonly string[]; type?: { names?: readonly string[] } };
    if (node.kind === 'funcCall' && node.name && CATALOG_FUNCTIONS.has(node.name[node.name.length - 1] as string)) {
      return true;
    }
    if (node.kind === 'cast' && node.type?.names) {
      const last = node.type.names[node.type.names.length - 1] as string;
      if (last !== 'oid' && oidTypeName(last)) return true;
    }
    return Object.values(node).some(visit);
  };
  return visit(stmt);
}
