import {
  elemOf,
  isPreferredType,
  type ScalarKind,
  type SqlType,
  Types,
  typeCategory,
  typeName,
  typeOid,
} from '../types/type.js';
import { DEFAULT_COLLATION_OID, PG_CATALOG_NAMESPACE_OID } from './oids.js';

/** pg_type facts of the types ThinkLite supports (from PostgreSQL 15's pg_type). */
interface TypeFacts {
  readonly len: number;
  readonly byval: boolean;
  readonly align: 'c' | 's' | 'i' | 'd';
  readonly storage: 'p' | 'x' | 'm';
  readonly collatable: boolean;
  /** Input function name prefix: `int4` → int4in/int4out/int4recv/int4send; `date_` → date_in … */
  readonly io: string;
  readonly typmod?: string;
}

const FACTS: Record<ScalarKind, TypeFacts> = {
  bool: { len: 1, byval: true, align: 'c', storage: 'p', collatable: false, io: 'bool' },
  bytea: { len: -1, byval: false, align: 'i', storage: 'x', collatable: false, io: 'bytea' },
  int8: { len: 8, byval: true, align: 'd', storage: 'p', collatable: false, io: 'int8' },
  int2: { len: 2, byval: true, align: 's', storage: 'p', collatable: false, io: 'int2' },
  int4: { len: 4, byval: true, align: 'i', storage: 'p', collatable: false, io: 'int4' },
  text: { len: -1, byval: false, align: 'i', storage: 'x', collatable: true, io: 'text' },
  json: { len: -1, byval: false, align: 'i', storage: 'x', collatable: false, io: 'json_' },
  float4: { len: 4, byval: true, align: 'i', storage: 'p', collatable: false, io: 'float4' },
  float8: { len: 8, byval: true, align: 'd', storage: 'p', collatable: false, io: 'float8' },
  unknown: { len: -2, byval: false, align: 'c', storage: 'p', collatable: false, io: 'unknown' },
  bpchar: { len: -1, byval: false, align: 'i', storage: 'x', collatable: true, io: 'bpchar', typmod: 'bpchar' },
  varchar: { len: -1, byval: false, align: 'i', storage: 'x', collatable: true, io: 'varchar', typmod: 'varchar' },
  date: { len: 4, byval: true, align: 'i', storage: 'p', collatable: false, io: 'date_' },
  timestamp: {
    len: 8,
    byval: true,
    align: 'd',
    storage: 'p',
    collatable: false,
    io: 'timestamp_',
    typmod: 'timestamp',
  },
  timestamptz: {
    len: 8,
    byval: true,
    align: 'd',
    storage: 'p',
    collatable: false,
    io: 'timestamptz_',
    typmod: 'timestamptz',
  },
  interval: { len: 16, byval: false, align: 'd', storage: 'p', collatable: false, io: 'interval_', typmod: 'interval' },
  numeric: { len: -1, byval: false, align: 'i', storage: 'm', collatable: false, io: 'numeric_', typmod: 'numeric' },
  uuid: { len: 16, byval: false, align: 'c', storage: 'p', collatable: false, io: 'uuid_' },
  jsonb: { len: -1, byval: false, align: 'i', storage: 'x', collatable: false, io: 'jsonb_' },
};

export const SCALAR_KINDS = Object.keys(FACTS) as ScalarKind[];

function facts(t: SqlType): TypeFacts {
  if (t.kind === 'array') {
    const e = FACTS[elemOf(t).kind as ScalarKind];
    return { ...e, len: -1, byval: false, align: e.align === 'd' ? 'd' : 'i', storage: 'x', io: 'array_' };
  }
  return FACTS[t.kind];
}

/** pg_type.typname: int4, varchar, _text … */
export function typname(t: SqlType): string {
  return t.kind === 'array' ? `_${typname(elemOf(t))}` : t.kind;
}

/** pg_attribute's per-type columns. */
export function attributeTypeFacts(t: SqlType) {
  const f = facts(t);
  return {
    atttypid: typeOid(t),
    attlen: f.len,
    attbyval: f.byval,
    attalign: f.align,
    attstorage: f.storage,
    attndims: t.kind === 'array' ? 1 : 0,
    attcollation: f.collatable ? DEFAULT_COLLATION_OID : 0,
  };
}

/** One pg_type row. */
export function typeRow(t: SqlType): Record<string, unknown> {
  const f = facts(t);
  const isArray = t.kind === 'array';
  const elem = isArray ? elemOf(t) : undefined;
  const pseudo = t.kind === 'unknown';
  const io = (suffix: string) => `${f.io}${suffix}`;
  const arrayOid = isArray || pseudo ? 0 : typeOid({ kind: 'array', elem: t });
  return {
    oid: typeOid(t),
    typname: typname(t),
    typnamespace: PG_CATALOG_NAMESPACE_OID,
    typowner: 10,
    typlen: f.len,
    typbyval: f.byval,
    typtype: pseudo ? 'p' : 'b',
    typcategory: typeCategory(t),
    typispreferred: isPreferredType(t),
    typisdefined: true,
    typdelim: ',',
    typrelid: 0,
    typsubscript: isArray ? 'array_subscript_handler' : t.kind === 'jsonb' ? 'jsonb_subscript_handler' : '-',
    typelem: elem ? typeOid(elem) : 0,
    typarray: arrayOid,
    typinput: io('in'),
    typoutput: io('out'),
    typreceive: io('recv'),
    typsend: io('send'),
    typmodin: f.typmod ? `${f.typmod}typmodin` : '-',
    typmodout: f.typmod ? `${f.typmod}typmodout` : '-',
    typanalyze: '-',
    typalign: f.align,
    typstorage: f.storage,
    typnotnull: false,
    typbasetype: 0,
    typtypmod: -1,
    typndims: 0,
    typcollation: f.collatable ? DEFAULT_COLLATION_OID : 0,
    typdefaultbin: null,
    typdefault: null,
    typacl: null,
  };
}

/** Every type of pg_type: the scalar types and their array types. */
export function allTypes(): SqlType[] {
  const out: SqlType[] = [];
  for (const k of SCALAR_KINDS) {
    out.push(Types[k]);
    if (k !== 'unknown') out.push({ kind: 'array', elem: Types[k] });
  }
  return out.sort((a, b) => typeOid(a) - typeOid(b));
}

/**
 * information_schema's data_type: format_type without modifiers, `ARRAY` for arrays,
 * `character` for bpchar.
 */
export function infoDataType(t: SqlType): string {
  if (t.kind === 'array') return 'ARRAY';
  if (t.kind === 'bpchar') return 'character';
  return typeName({ kind: t.kind });
}
