/** JSON functions (PostgreSQL 15 §9.16): to_json(b), json(b)_build_object/array, typeof, paths, pretty, set. */
import { civilFromDays, isFiniteTimestamp, sessionZone, type TypeContext, zoneOffsetAt } from '../types/datetime.js';
import type { Datum } from '../types/datum.js';
import { USECS_PER_DAY, USECS_PER_HOUR, USECS_PER_MINUTE, USECS_PER_SEC } from '../types/interval.js';
import {
  formatJsonb,
  JSONB_FALSE,
  JSONB_NULL,
  JSONB_TRUE,
  type JsonbValue,
  jsonbArray,
  jsonbGetPath,
  jsonbNumber,
  jsonbObject,
  jsonbString,
  jsonbToTextValue,
  parseJsonb,
  quoteJsonString,
} from '../types/jsonb.js';
import { Numeric } from '../types/numeric.js';
import { formatText } from '../types/text-io.js';
import { elemOf, type SqlType, Types } from '../types/type.js';
import { defineFunction } from './registry.js';
import { sqlErr, str } from './util.js';

/** ISO 8601 (XSD) date/time text as PostgreSQL's JSON conversion writes it. */
function xsdTimestamp(local: bigint, offset?: number): string {
  let days = local / USECS_PER_DAY;
  let tod = local % USECS_PER_DAY;
  if (tod < 0n) {
    tod += USECS_PER_DAY;
    days -= 1n;
  }
  const [y, m, d] = civilFromDays(Number(days));
  const bc = y <= 0;
  const p2 = (n: bigint | number) => String(n).padStart(2, '0');
  let s = `${String(bc ? 1 - y : y).padStart(4, '0')}-${p2(m)}-${p2(d)}T${p2(tod / USECS_PER_HOUR)}:${p2(
    (tod % USECS_PER_HOUR) / USECS_PER_MINUTE,
  )}:${p2((tod % USECS_PER_MINUTE) / USECS_PER_SEC)}`;
  const frac = tod % USECS_PER_SEC;
  if (frac !== 0n) s += `.${String(frac).padStart(6, '0').replace(/0+$/, '')}`;
  if (offset !== undefined) {
    const a = Math.abs(offset);
    s += `${offset < 0 ? '-' : '+'}${p2(Math.floor(a / 3600))}:${p2(Math.floor((a % 3600) / 60))}`;
    if (a % 60 !== 0) s += `:${p2(a % 60)}`;
  }
  return bc ? `${s} BC` : s;
}

/** The string a date/time value becomes in JSON, or undefined for other types. */
function dateTimeString(type: SqlType, v: Datum, ctx: TypeContext): string | undefined {
  switch (type.kind) {
    case 'date': {
      const d = v as number;
      if (!Number.isFinite(d)) return d > 0 ? 'infinity' : '-infinity';
      return xsdTimestamp(BigInt(d) * USECS_PER_DAY).slice(0, 10) + (civilFromDays(d)[0] <= 0 ? ' BC' : '');
    }
    case 'timestamp': {
      const t = v as bigint;
      if (!isFiniteTimestamp(t)) return formatText(type, t, ctx);
      return xsdTimestamp(t);
    }
    case 'timestamptz': {
      const t = v as bigint;
      if (!isFiniteTimestamp(t)) return formatText(type, t, ctx);
      const offset = zoneOffsetAt(sessionZone(ctx), t);
      return xsdTimestamp(t + BigInt(offset) * USECS_PER_SEC, offset);
    }
    default:
      return undefined;
  }
}

/** datum_to_json: a value as JSON text. */
export function toJsonText(type: SqlType, v: Datum, ctx: TypeContext): string {
  if (v === null) return 'null';
  switch (type.kind) {
    case 'bool':
      return v ? 'true' : 'false';
    case 'int2':
    case 'int4':
    case 'int8':
      return String(v);
    case 'float4':
    case 'float8':
    case 'numeric': {
      const s = formatText(type, v, ctx);
      return /^-?(Infinity|NaN)$/.test(s) ? quoteJsonString(s) : s;
    }
    case 'json':
      return v as string;
    case 'jsonb':
      return formatJsonb(v as JsonbValue);
    case 'array': {
      const e = elemOf(type);
      return `[${(v as readonly Datum[]).map((x) => toJsonText(e, x, ctx)).join(',')}]`;
    }
    default:
      return quoteJsonString(dateTimeString(type, v, ctx) ?? formatText(type, v, ctx));
  }
}

/** datum_to_jsonb: a value as a jsonb tree. */
export function toJsonb(type: SqlType, v: Datum, ctx: TypeContext): JsonbValue {
  if (v === null) return JSONB_NULL;
  switch (type.kind) {
    case 'bool':
      return v ? JSONB_TRUE : JSONB_FALSE;
    case 'int2':
    case 'int4':
    case 'int8':
      return jsonbNumber(Numeric.fromInt(v as number | bigint));
    case 'float4':
    case 'float8':
    case 'numeric': {
      const s = formatText(type, v, ctx);
      return /^-?(Infinity|NaN)$/.test(s) ? jsonbString(s) : jsonbNumber(Numeric.parse(s));
    }
    case 'json':
      return parseJsonb(v as string);
    case 'jsonb':
      return v as JsonbValue;
    case 'array': {
      const e = elemOf(type);
      return jsonbArray((v as readonly Datum[]).map((x) => toJsonb(e, x, ctx)));
    }
    default:
      return jsonbString(dateTimeString(type, v, ctx) ?? formatText(type, v, ctx));
  }
}

defineFunction('to_json', [
  {
    args: ['anyelement'],
    result: 'json',
    volatility: 'stable',
    impl: ([v], ctx, info) => toJsonText(info.argTypes[0] ?? Types.text, v ?? null, ctx),
  },
]);
defineFunction('to_jsonb', [
  {
    args: ['anyelement'],
    result: 'jsonb',
    volatility: 'stable',
    impl: ([v], ctx, info) => toJsonb(info.argTypes[0] ?? Types.text, v ?? null, ctx),
  },
]);

function checkPairs(args: readonly Datum[], fn: string): void {
  if (args.length % 2 !== 0) {
    throw sqlErr('INVALID_PARAMETER_VALUE', 'argument list must have even number of elements', {
      hint: `The arguments of ${fn}() must consist of alternating keys and values.`,
    });
  }
  for (let i = 0; i < args.length; i += 2) {
    if (args[i] === null) {
      throw sqlErr('INVALID_PARAMETER_VALUE', `argument ${i + 1} cannot be null`, {
        hint: 'Object keys should be text.',
      });
    }
  }
}

/** An object key: the value's text form. */
function keyText(type: SqlType, v: Datum, ctx: TypeContext): string {
  if (typeof v === 'string') return v;
  return type.kind === 'bool' ? String(v) : (dateTimeString(type, v, ctx) ?? formatText(type, v, ctx));
}

const argType = (info: { readonly argTypes: readonly SqlType[] }, i: number) => info.argTypes[i] ?? Types.text;

defineFunction('json_build_object', [
  {
    args: [],
    variadic: 'any',
    result: 'json',
    strict: false,
    volatility: 'stable',
    impl: (args, ctx, info) => {
      checkPairs(args, 'json_build_object');
      const parts: string[] = [];
      for (let i = 0; i < args.length; i += 2) {
        const k = keyText(argType(info, i), args[i] as Datum, ctx);
        parts.push(`${quoteJsonString(k)} : ${toJsonText(argType(info, i + 1), args[i + 1] ?? null, ctx)}`);
      }
      return `{${parts.join(', ')}}`;
    },
  },
  { args: [], result: 'json', impl: () => '{}' },
]);
defineFunction('jsonb_build_object', [
  {
    args: [],
    variadic: 'any',
    result: 'jsonb',
    strict: false,
    volatility: 'stable',
    impl: (args, ctx, info) => {
      checkPairs(args, 'jsonb_build_object');
      const entries: [string, JsonbValue][] = [];
      for (let i = 0; i < args.length; i += 2) {
        entries.push([
          keyText(argType(info, i), args[i] as Datum, ctx),
          toJsonb(argType(info, i + 1), args[i + 1] ?? null, ctx),
        ]);
      }
      return jsonbObject(entries);
    },
  },
  { args: [], result: 'jsonb', impl: () => jsonbObject([]) },
]);
defineFunction('json_build_array', [
  {
    args: [],
    variadic: 'any',
    result: 'json',
    strict: false,
    volatility: 'stable',
    impl: (args, ctx, info) => `[${args.map((v, i) => toJsonText(argType(info, i), v, ctx)).join(', ')}]`,
  },
  { args: [], result: 'json', impl: () => '[]' },
]);
defineFunction('jsonb_build_array', [
  {
    args: [],
    variadic: 'any',
    result: 'jsonb',
    strict: false,
    volatility: 'stable',
    impl: (args, ctx, info) => jsonbArray(args.map((v, i) => toJsonb(argType(info, i), v, ctx))),
  },
  { args: [], result: 'jsonb', impl: () => jsonbArray([]) },
]);

const jsonOf = (v: Datum | undefined): JsonbValue => v as JsonbValue;

function typeofJsonb(v: JsonbValue): string {
  return v.type;
}

defineFunction('jsonb_typeof', [{ args: ['jsonb'], result: 'text', impl: ([v]) => typeofJsonb(jsonOf(v)) }]);
defineFunction('json_typeof', [{ args: ['json'], result: 'text', impl: ([v]) => typeofJsonb(parseJsonb(str(v))) }]);

function arrayLength(v: JsonbValue): number {
  if (v.type === 'array') return v.items.length;
  if (v.type === 'object') throw sqlErr('INVALID_PARAMETER_VALUE', 'cannot get array length of a non-array');
  throw sqlErr('INVALID_PARAMETER_VALUE', 'cannot get array length of a scalar');
}

defineFunction('jsonb_array_length', [{ args: ['jsonb'], result: 'int4', impl: ([v]) => arrayLength(jsonOf(v)) }]);
defineFunction('json_array_length', [
  { args: ['json'], result: 'int4', impl: ([v]) => arrayLength(parseJsonb(str(v))) },
]);

/** A path lookup in json text keeps the original text of the found value. */
function jsonTextPath(text: string, path: readonly Datum[]): JsonbValue | null {
  return jsonbGetPath(parseJsonb(text), path as readonly (string | null)[]);
}

defineFunction('jsonb_extract_path', [
  {
    args: ['jsonb'],
    variadic: 'text',
    result: 'jsonb',
    impl: ([v, ...path]) => jsonbGetPath(jsonOf(v), path as (string | null)[]),
  },
]);
defineFunction('jsonb_extract_path_text', [
  {
    args: ['jsonb'],
    variadic: 'text',
    result: 'text',
    impl: ([v, ...path]) => jsonbToTextValue(jsonbGetPath(jsonOf(v), path as (string | null)[])),
  },
]);
defineFunction('json_extract_path', [
  {
    args: ['json'],
    variadic: 'text',
    result: 'json',
    impl: ([v, ...path]) => {
      const r = jsonTextPath(str(v), path);
      return r === null ? null : compactJson(r);
    },
  },
]);
defineFunction('json_extract_path_text', [
  {
    args: ['json'],
    variadic: 'text',
    result: 'text',
    impl: ([v, ...path]) => jsonbToTextValue(jsonTextPath(str(v), path)),
  },
]);

/** JSON text without the jsonb spacing (the json type keeps input text; this is the closest form). */
function compactJson(v: JsonbValue): string {
  switch (v.type) {
    case 'array':
      return `[${v.items.map(compactJson).join(',')}]`;
    case 'object':
      return `{${v.entries.map(([k, x]) => `${quoteJsonString(k)}:${compactJson(x)}`).join(',')}}`;
    default:
      return formatJsonb(v);
  }
}

function pretty(v: JsonbValue, indent: string): string {
  const inner = `${indent}    `;
  switch (v.type) {
    case 'array':
      return `[\n${v.items.map((x) => inner + pretty(x, inner)).join(',\n')}${v.items.length > 0 ? '\n' : ''}${indent}]`;
    case 'object':
      return `{\n${v.entries.map(([k, x]) => `${inner}${quoteJsonString(k)}: ${pretty(x, inner)}`).join(',\n')}${
        v.entries.length > 0 ? '\n' : ''
      }${indent}}`;
    default:
      return formatJsonb(v);
  }
}

defineFunction('jsonb_pretty', [{ args: ['jsonb'], result: 'text', impl: ([v]) => pretty(jsonOf(v), '') }]);

function strip(v: JsonbValue): JsonbValue {
  if (v.type === 'object')
    return jsonbObject(v.entries.filter(([, x]) => x.type !== 'null').map(([k, x]) => [k, strip(x)]));
  if (v.type === 'array') return jsonbArray(v.items.map(strip));
  return v;
}

defineFunction('jsonb_strip_nulls', [{ args: ['jsonb'], result: 'jsonb', impl: ([v]) => strip(jsonOf(v)) }]);

/** jsonb_set: replaces (or, with create_missing, adds) the value at a path. */
function jsonbSet(
  v: JsonbValue,
  path: readonly (string | null)[],
  nv: JsonbValue,
  create: boolean,
  depth = 0,
): JsonbValue {
  if (depth >= path.length) return nv;
  const step = path[depth];
  if (step === null || step === undefined) {
    throw sqlErr('NULL_VALUE_NOT_ALLOWED', `path element at position ${depth + 1} is null`);
  }
  const last = depth === path.length - 1;
  if (v.type === 'object') {
    const found = v.entries.find(([k]) => k === step);
    if (found) {
      return jsonbObject(v.entries.map(([k, x]) => [k, k === step ? jsonbSet(x, path, nv, create, depth + 1) : x]));
    }
    if (last && create) return jsonbObject([...v.entries, [step, nv]]);
    return v;
  }
  if (v.type === 'array') {
    if (!/^\s*[+-]?\d+\s*$/.test(step)) {
      throw sqlErr('INVALID_TEXT_REPRESENTATION', `path element at position ${depth + 1} is not an integer: "${step}"`);
    }
    let i = Number(step);
    const n = v.items.length;
    if (i < 0) i += n;
    if (i >= 0 && i < n) {
      return jsonbArray(v.items.map((x, j) => (j === i ? jsonbSet(x, path, nv, create, depth + 1) : x)));
    }
    if (last && create) return jsonbArray(i < 0 ? [nv, ...v.items] : [...v.items, nv]);
    return v;
  }
  if (depth === 0) throw sqlErr('INVALID_PARAMETER_VALUE', 'cannot set path in scalar');
  return v;
}

defineFunction('jsonb_set', [
  {
    args: ['jsonb', 'text[]', 'jsonb', 'bool'],
    argNames: ['jsonb_in', 'path', 'replacement', 'create_if_missing'],
    defaults: [true],
    result: 'jsonb',
    impl: ([v, p, nv, c]) => jsonbSet(jsonOf(v), p as readonly (string | null)[], jsonOf(nv), c === true),
  },
]);
