/**
 * SQL type descriptors: the scalar kinds ThinkLite supports, their PostgreSQL OIDs, the names
 * PostgreSQL's `format_type` prints, a resolver for the spellings SQL uses, and the category /
 * preferred-type facts PostgreSQL's operator and function resolution relies on (pg_type.typcategory,
 * pg_type.typispreferred).
 */
import { sqlError } from './errors.js';

/** The scalar type kinds, named as PostgreSQL's pg_type.typname spells them, plus `array`. */
export type ScalarKind =
  | 'bool'
  | 'int2'
  | 'int4'
  | 'int8'
  | 'float4'
  | 'float8'
  | 'numeric'
  | 'text'
  | 'varchar'
  | 'bpchar'
  | 'bytea'
  | 'date'
  | 'timestamp'
  | 'timestamptz'
  | 'interval'
  | 'uuid'
  | 'json'
  | 'jsonb'
  | 'unknown';

export type TypeKind = ScalarKind | 'array';

/**
 * A SQL type. Modifiers are kept structured rather than as PostgreSQL's packed integer typmod
 * (see {@link typmodOf} for that):
 * - `length`: varchar(n) / char(n) maximum length in characters (absent: unlimited);
 * - `precision`, `scale`: numeric(p, s) (absent: unconstrained); `precision` alone is the
 *   fractional-second precision of timestamp(p), timestamptz(p) and interval(p);
 * - `elem`: the element type of an array (kind 'array'); ThinkLite's arrays are 1-D.
 */
export interface SqlType {
  readonly kind: TypeKind;
  readonly length?: number;
  readonly precision?: number;
  readonly scale?: number;
  readonly elem?: SqlType;
}

function t(kind: ScalarKind): SqlType {
  return Object.freeze({ kind });
}

/** Ready-made unmodified types. */
export const Types = {
  bool: t('bool'),
  int2: t('int2'),
  int4: t('int4'),
  int8: t('int8'),
  float4: t('float4'),
  float8: t('float8'),
  numeric: t('numeric'),
  text: t('text'),
  varchar: t('varchar'),
  bpchar: t('bpchar'),
  bytea: t('bytea'),
  date: t('date'),
  timestamp: t('timestamp'),
  timestamptz: t('timestamptz'),
  interval: t('interval'),
  uuid: t('uuid'),
  json: t('json'),
  jsonb: t('jsonb'),
  unknown: t('unknown'),
} as const satisfies Record<ScalarKind, SqlType>;

export function arrayOf(elem: SqlType): SqlType {
  if (elem.kind === 'array') throw sqlError('FEATURE_NOT_SUPPORTED', 'multidimensional array types are not supported');
  return { kind: 'array', elem };
}

export function varcharType(length?: number): SqlType {
  return length === undefined ? Types.varchar : { kind: 'varchar', length };
}

export function bpcharType(length?: number): SqlType {
  return length === undefined ? Types.bpchar : { kind: 'bpchar', length };
}

export function numericType(precision?: number, scale?: number): SqlType {
  if (precision === undefined) return Types.numeric;
  if (precision < 1 || precision > 1000) {
    throw sqlError('INVALID_PARAMETER_VALUE', `NUMERIC precision ${precision} must be between 1 and 1000`);
  }
  const s = scale ?? 0;
  if (s < -1000 || s > 1000) {
    throw sqlError('INVALID_PARAMETER_VALUE', `NUMERIC scale ${s} must be between -1000 and 1000`);
  }
  return { kind: 'numeric', precision, scale: s };
}

interface KindInfo {
  readonly oid: number;
  readonly arrayOid: number;
  readonly category: TypeCategory;
  readonly preferred: boolean;
}

/** PostgreSQL's pg_type.typcategory letters. */
export type TypeCategory = 'A' | 'B' | 'D' | 'N' | 'S' | 'T' | 'U' | 'X';

const KINDS: Record<ScalarKind, KindInfo> = {
  bool: { oid: 16, arrayOid: 1000, category: 'B', preferred: true },
  bytea: { oid: 17, arrayOid: 1001, category: 'U', preferred: false },
  int8: { oid: 20, arrayOid: 1016, category: 'N', preferred: false },
  int2: { oid: 21, arrayOid: 1005, category: 'N', preferred: false },
  int4: { oid: 23, arrayOid: 1007, category: 'N', preferred: false },
  text: { oid: 25, arrayOid: 1009, category: 'S', preferred: true },
  json: { oid: 114, arrayOid: 199, category: 'U', preferred: false },
  float4: { oid: 700, arrayOid: 1021, category: 'N', preferred: false },
  float8: { oid: 701, arrayOid: 1022, category: 'N', preferred: true },
  unknown: { oid: 705, arrayOid: 0, category: 'X', preferred: false },
  bpchar: { oid: 1042, arrayOid: 1014, category: 'S', preferred: false },
  varchar: { oid: 1043, arrayOid: 1015, category: 'S', preferred: false },
  date: { oid: 1082, arrayOid: 1182, category: 'D', preferred: false },
  timestamp: { oid: 1114, arrayOid: 1115, category: 'D', preferred: false },
  timestamptz: { oid: 1184, arrayOid: 1185, category: 'D', preferred: true },
  interval: { oid: 1186, arrayOid: 1187, category: 'T', preferred: true },
  numeric: { oid: 1700, arrayOid: 1231, category: 'N', preferred: false },
  uuid: { oid: 2950, arrayOid: 2951, category: 'U', preferred: false },
  jsonb: { oid: 3802, arrayOid: 3807, category: 'U', preferred: false },
};

const BY_OID = new Map<number, SqlType>();
for (const [kind, info] of Object.entries(KINDS) as [ScalarKind, KindInfo][]) {
  BY_OID.set(info.oid, Types[kind]);
  if (info.arrayOid !== 0) BY_OID.set(info.arrayOid, { kind: 'array', elem: Types[kind] });
}

/** The PostgreSQL type OID (pg_type.oid) of a type; arrays get their array type's OID. */
export function typeOid(type: SqlType): number {
  if (type.kind === 'array') return KINDS[elemOf(type).kind as ScalarKind].arrayOid;
  return KINDS[type.kind].oid;
}

/** The (unmodified) type with a PostgreSQL OID, or undefined for an OID ThinkLite does not know. */
export function typeFromOid(oid: number): SqlType | undefined {
  return BY_OID.get(oid);
}

/** pg_type.typcategory. */
export function typeCategory(type: SqlType): TypeCategory {
  return type.kind === 'array' ? 'A' : KINDS[type.kind].category;
}

/** pg_type.typispreferred: bool, float8, text, timestamptz, interval. */
export function isPreferredType(type: SqlType): boolean {
  return type.kind !== 'array' && KINDS[type.kind].preferred;
}

export function elemOf(type: SqlType): SqlType {
  if (type.elem === undefined) throw sqlError('INTERNAL_ERROR', `type ${type.kind} has no element type`);
  return type.elem;
}

/**
 * PostgreSQL's packed type modifier (pg_attribute.atttypmod, RowDescription's type modifier):
 * varchar(n)/char(n) → n + 4, numeric(p,s) → ((p << 16) | (s & 0x7ff)) + 4, timestamp(p) → p,
 * anything unmodified → -1. Arrays carry their element's modifier.
 */
export function typmodOf(type: SqlType): number {
  switch (type.kind) {
    case 'varchar':
    case 'bpchar':
      return type.length === undefined ? -1 : type.length + 4;
    case 'numeric':
      return type.precision === undefined ? -1 : ((type.precision << 16) | ((type.scale ?? 0) & 0x7ff)) + 4;
    case 'timestamp':
    case 'timestamptz':
      return type.precision ?? -1;
    case 'interval':
      // INTERVAL_FULL_RANGE (0x7fff) in the high half, precision in the low half.
      return type.precision === undefined ? -1 : (0x7fff << 16) | type.precision;
    case 'array':
      return typmodOf(elemOf(type));
    default:
      return -1;
  }
}

/** Structural equality of two type descriptors, modifiers included. */
export function sameType(a: SqlType, b: SqlType): boolean {
  if (a.kind !== b.kind) return false;
  if (a.kind === 'array') return sameType(elemOf(a), elemOf(b));
  return a.length === b.length && a.precision === b.precision && a.scale === b.scale;
}

/** The type without its modifiers (and with an unmodified element type for arrays). */
export function baseType(type: SqlType): SqlType {
  if (type.kind === 'array') return { kind: 'array', elem: baseType(elemOf(type)) };
  return Types[type.kind];
}

const BASE_NAMES: Record<ScalarKind, string> = {
  bool: 'boolean',
  int2: 'smallint',
  int4: 'integer',
  int8: 'bigint',
  float4: 'real',
  float8: 'double precision',
  numeric: 'numeric',
  text: 'text',
  varchar: 'character varying',
  bpchar: 'bpchar',
  bytea: 'bytea',
  date: 'date',
  timestamp: 'timestamp without time zone',
  timestamptz: 'timestamp with time zone',
  interval: 'interval',
  uuid: 'uuid',
  json: 'json',
  jsonb: 'jsonb',
  unknown: 'unknown',
};

/**
 * The type's name as PostgreSQL's format_type (and psql's \d) prints it: `integer`,
 * `character varying(10)`, `character(1)`, `bpchar` (no length), `numeric(10,2)`,
 * `timestamp(3) without time zone`, `interval(2)`, `text[]`.
 */
export function typeName(type: SqlType): string {
  switch (type.kind) {
    case 'array':
      return `${typeName(elemOf(type))}[]`;
    case 'varchar':
      return type.length === undefined ? 'character varying' : `character varying(${type.length})`;
    case 'bpchar':
      return type.length === undefined ? 'bpchar' : `character(${type.length})`;
    case 'numeric':
      return type.precision === undefined ? 'numeric' : `numeric(${type.precision},${type.scale ?? 0})`;
    case 'timestamp':
      return type.precision === undefined
        ? 'timestamp without time zone'
        : `timestamp(${type.precision}) without time zone`;
    case 'timestamptz':
      return type.precision === undefined ? 'timestamp with time zone' : `timestamp(${type.precision}) with time zone`;
    case 'interval':
      return type.precision === undefined ? 'interval' : `interval(${type.precision})`;
    default:
      return BASE_NAMES[type.kind];
  }
}

/**
 * The name PostgreSQL's input functions use in their messages (`invalid input syntax for type
 * integer`, `... for type timestamp with time zone`): format_type without modifiers, except that
 * bpchar is `character` and timestamp is plain `timestamp`.
 */
export function inputTypeName(type: SqlType): string {
  switch (type.kind) {
    case 'bpchar':
      return 'character';
    case 'varchar':
      return 'character varying';
    case 'timestamp':
      return 'timestamp';
    case 'timestamptz':
      return 'timestamp with time zone';
    default:
      return type.kind === 'array' ? `${typeName(type)}` : BASE_NAMES[type.kind];
  }
}

const NAME_ALIASES: Record<string, ScalarKind> = {
  bool: 'bool',
  boolean: 'bool',
  int2: 'int2',
  smallint: 'int2',
  int: 'int4',
  int4: 'int4',
  integer: 'int4',
  int8: 'int8',
  bigint: 'int8',
  real: 'float4',
  float4: 'float4',
  float8: 'float8',
  'double precision': 'float8',
  numeric: 'numeric',
  decimal: 'numeric',
  text: 'text',
  varchar: 'varchar',
  'character varying': 'varchar',
  'char varying': 'varchar',
  bpchar: 'bpchar',
  char: 'bpchar',
  character: 'bpchar',
  bytea: 'bytea',
  date: 'date',
  timestamp: 'timestamp',
  'timestamp without time zone': 'timestamp',
  timestamptz: 'timestamptz',
  'timestamp with time zone': 'timestamptz',
  interval: 'interval',
  uuid: 'uuid',
  json: 'json',
  jsonb: 'jsonb',
  unknown: 'unknown',
};

function undefinedType(name: string): Error {
  return sqlError('UNDEFINED_OBJECT', `type "${name}" does not exist`);
}

/**
 * Resolves a type name as SQL spells it, with optional modifiers, to a type:
 * `int`, `integer`, `int4`, `bigint`, `smallint`, `real`, `float` (float8), `float(p)` (p ≤ 24 →
 * real, ≤ 53 → double precision), `double precision`, `decimal`/`numeric[(p[,s])]`,
 * `varchar(n)`, `character varying(n)`, `char(n)`/`character(n)` (no length: char(1)), `bpchar`
 * (unlimited), `text`, `bool`/`boolean`, `bytea`, `date`, `timestamp[(p)] [without time zone]`,
 * `timestamptz`, `timestamp[(p)] with time zone`, `interval[(p)]`, `uuid`, `json`, `jsonb`, and any
 * of these followed by `[]` (or `[n]`). Names are case-insensitive; extra whitespace is ignored.
 * `mods` are modifiers given separately (as a parser hands them over); modifiers written in the
 * name itself (`varchar(10)`) are parsed too.
 */
export function resolveTypeName(name: string, mods: readonly number[] = []): SqlType {
  let s = name.trim().toLowerCase().replace(/\s+/g, ' ');
  let isArray = false;
  const arr = /^(.*?)\s*(\[\s*\d*\s*\])+$/.exec(s);
  if (arr) {
    isArray = true;
    s = arr[1] ?? '';
  }
  let modifiers = [...mods];
  // Modifiers in the name: "numeric(10, 2)" or "timestamp(3) with time zone".
  const m = /^([a-z0-9_ ]*?)\s*\(\s*(-?\d+)\s*(?:,\s*(-?\d+)\s*)?\)\s*([a-z ]*)$/.exec(s);
  if (m) {
    s = `${m[1] ?? ''}${m[4] ? ` ${m[4]}` : ''}`.trim();
    modifiers = [Number(m[2])];
    if (m[3] !== undefined) modifiers.push(Number(m[3]));
  }
  if (s === 'float') {
    s = modifiers.length > 0 && (modifiers[0] ?? 53) <= 24 ? 'float4' : 'float8';
    const p = modifiers[0];
    if (p !== undefined && p < 1)
      throw sqlError('INVALID_PARAMETER_VALUE', 'precision for type float must be at least 1 bit');
    if (p !== undefined && p > 53)
      throw sqlError('INVALID_PARAMETER_VALUE', 'precision for type float must be less than 54 bits');
    modifiers = [];
  }
  const kind = NAME_ALIASES[s];
  if (kind === undefined) throw undefinedType(name.trim());
  const type = applyModifiers(kind, modifiers, s);
  return isArray ? arrayOf(type) : type;
}

function applyModifiers(kind: ScalarKind, mods: readonly number[], spelled: string): SqlType {
  const [a, b] = mods;
  switch (kind) {
    case 'varchar':
    case 'bpchar': {
      if (mods.length > 1) throw sqlError('SYNTAX_ERROR', `invalid type modifier`);
      const len = a ?? (kind === 'bpchar' && spelled !== 'bpchar' ? 1 : undefined);
      if (len !== undefined && len < 1) {
        throw sqlError('INVALID_PARAMETER_VALUE', `length for type ${kind} must be at least 1`);
      }
      if (len !== undefined && len > 10485760) {
        throw sqlError('INVALID_PARAMETER_VALUE', `length for type ${kind} cannot exceed 10485760`);
      }
      return kind === 'varchar' ? varcharType(len) : bpcharType(len);
    }
    case 'numeric':
      if (mods.length > 2) throw sqlError('SYNTAX_ERROR', 'invalid NUMERIC type modifier');
      return numericType(a, b);
    case 'timestamp':
    case 'timestamptz':
    case 'interval': {
      if (mods.length > 1) throw sqlError('SYNTAX_ERROR', 'invalid type modifier');
      if (a === undefined) return Types[kind];
      if (a < 0) {
        throw sqlError(
          'INVALID_PARAMETER_VALUE',
          `${kind === 'interval' ? 'INTERVAL' : kind === 'timestamp' ? 'TIMESTAMP' : 'TIMESTAMP WITH TIME ZONE'}(${a}) precision must not be negative`,
        );
      }
      return { kind, precision: Math.min(a, 6) };
    }
    default:
      if (mods.length > 0) throw sqlError('SYNTAX_ERROR', 'type modifier is not allowed for type');
      return Types[kind];
  }
}
