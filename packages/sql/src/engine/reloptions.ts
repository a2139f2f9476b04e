import type { StorageParam } from '../parser/ast.js';
import { sqlError as err } from './errors.js';

/**
 * Table storage parameters (`CREATE TABLE … WITH (fillfactor = 90)`), checked with PostgreSQL 15's
 * rules and messages for heap tables — names, value syntax, ranges, repeats — and then ignored: the
 * storage layer has no pages to leave free and no autovacuum to tune, so nothing is kept (psql's
 * \d+ shows no options). Values are parsed as PostgreSQL's parse_int, parse_real and parse_bool do.
 */

type Option =
  | { readonly kind: 'int'; readonly min: number; readonly max: number; readonly toast?: true }
  | { readonly kind: 'real'; readonly min: number; readonly max: number; readonly toast?: true }
  | { readonly kind: 'bool'; readonly toast?: true }
  | { readonly kind: 'enum'; readonly values: readonly string[]; readonly toast?: true };

const INT_MAX = 2147483647;

/** PostgreSQL 15's heap options; `toast` marks those also valid as `toast.<name>`. */
const OPTIONS: Readonly<Record<string, Option>> = {
  fillfactor: { kind: 'int', min: 10, max: 100 },
  autovacuum_enabled: { kind: 'bool', toast: true },
  autovacuum_vacuum_threshold: { kind: 'int', min: 0, max: INT_MAX, toast: true },
  autovacuum_vacuum_insert_threshold: { kind: 'int', min: -1, max: INT_MAX, toast: true },
  autovacuum_analyze_threshold: { kind: 'int', min: 0, max: INT_MAX },
  autovacuum_vacuum_cost_limit: { kind: 'int', min: 1, max: 10000, toast: true },
  autovacuum_freeze_min_age: { kind: 'int', min: 0, max: 1000000000, toast: true },
  autovacuum_freeze_max_age: { kind: 'int', min: 100000, max: 2000000000, toast: true },
  autovacuum_freeze_table_age: { kind: 'int', min: 0, max: 2000000000, toast: true },
  autovacuum_multixact_freeze_min_age: { kind: 'int', min: 0, max: 1000000000, toast: true },
  autovacuum_multixact_freeze_max_age: { kind: 'int', min: 10000, max: 2000000000, toast: true },
  autovacuum_multixact_freeze_table_age: { kind: 'int', min: 0, max: 2000000000, toast: true },
  log_autovacuum_min_duration: { kind: 'int', min: -1, max: INT_MAX, toast: true },
  toast_tuple_target: { kind: 'int', min: 128, max: 8160 },
  parallel_workers: { kind: 'int', min: 0, max: 1024 },
  autovacuum_vacuum_cost_delay: { kind: 'real', min: 0, max: 100, toast: true },
  autovacuum_vacuum_scale_factor: { kind: 'real', min: 0, max: 100, toast: true },
  autovacuum_vacuum_insert_scale_factor: { kind: 'real', min: 0, max: 100, toast: true },
  autovacuum_analyze_scale_factor: { kind: 'real', min: 0, max: 100 },
  user_catalog_table: { kind: 'bool' },
  vacuum_index_cleanup: {
    kind: 'enum',
    values: ['auto', 'on', 'off', 'true', 'false', 'yes', 'no', '1', '0'],
    toast: true,
  },
  vacuum_truncate: { kind: 'bool', toast: true },
};

/** PostgreSQL's parse_int: strtol (base 0: 0x hex, leading-0 octal), a fraction rounded half-even, blanks around. */
function parseInt32(text: string): number | undefined {
  const s = text.replace(/^[ \t\n\r\f\v]+/, '');
  const m = /^([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)/.exec(s);
  if (!m) return undefined;
  let rest = s.slice(m[0].length);
  let v: number;
  const body = m[2] as string;
  if (/^0[xX]/.test(body)) v = Number.parseInt(body.slice(2), 16);
  else if (body.length > 1 && body.startsWith('0')) v = Number.parseInt(body, 8);
  else v = Number(body);
  if (m[1] === '-') v = -v;
  if (/^[.eE]/.test(rest)) {
    // A fraction or exponent: the whole number is read as a double and rounded (rint).
    const f = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?/.exec(s);
    if (!f) return undefined;
    const d = Number(f[0]);
    const fl = Math.floor(d);
    v = d - fl === 0.5 ? (fl % 2 === 0 ? fl : fl + 1) : Math.round(d);
    rest = s.slice(f[0].length);
  }
  if (!/^[ \t\n\r\f\v]*$/.test(rest)) return undefined;
  if (!Number.isFinite(v) || v > INT_MAX || v < -INT_MAX - 1) return undefined;
  return v === 0 ? 0 : v;
}

/** PostgreSQL's parse_real: strtod, blanks around; NaN is refused. */
function parseReal(text: string): number | undefined {
  const s = text.trim();
  if (/^[+-]?(inf|infinity)$/i.test(s)) return s.startsWith('-') ? -Infinity : Infinity;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s)) return undefined;
  return Number(s);
}

/** PostgreSQL's parse_bool: a prefix of true/false/yes/no, on/off (two letters at least), 1/0. */
function parseBool(text: string): boolean | undefined {
  const v = text.toLowerCase();
  if (v === '') return undefined;
  if (v === '1' || 'true'.startsWith(v) || 'yes'.startsWith(v) || (v.length >= 2 && 'on'.startsWith(v))) return true;
  if (v === '0' || 'false'.startsWith(v) || 'no'.startsWith(v) || (v.length >= 2 && 'off'.startsWith(v))) return false;
  return undefined;
}

function formatBound(o: Option & { kind: 'int' | 'real' }, n: number): string {
  return o.kind === 'real' ? n.toFixed(6) : String(n);
}

function checkOne(p: StorageParam, o: Option): void {
  const invalid = (kind: string) =>
    err('INVALID_PARAMETER_VALUE', `invalid value for ${kind} option "${p.name}": ${p.value}`, p.location);
  switch (o.kind) {
    case 'bool':
      if (parseBool(p.value) === undefined) throw invalid('boolean');
      return;
    case 'enum':
      if (!o.values.includes(p.value.toLowerCase())) {
        throw err('INVALID_PARAMETER_VALUE', `invalid value for enum option "${p.name}": ${p.value}`, p.location, {
          detail: 'Valid values are "on", "off", and "auto".',
        });
      }
      return;
    case 'int':
    case 'real': {
      const v = o.kind === 'int' ? parseInt32(p.value) : parseReal(p.value);
      if (v === undefined) throw invalid(o.kind === 'int' ? 'integer' : 'floating point');
      if (v < o.min || v > o.max) {
        throw err('INVALID_PARAMETER_VALUE', `value ${p.value} out of bounds for option "${p.name}"`, p.location, {
          detail: `Valid values are between "${formatBound(o, o.min)}" and "${formatBound(o, o.max)}".`,
        });
      }
      return;
    }
  }
}

/** Checks a CREATE TABLE's storage parameters as PostgreSQL 15 does for a heap table (22023 otherwise). */
export function checkStorageParams(params: readonly StorageParam[]): void {
  // Namespaces and OIDS first (PostgreSQL's transformRelOptions), then the heap's options and the
  // TOAST table's, each in the order written.
  for (const p of params) {
    if (p.namespace !== undefined && p.namespace !== 'toast') {
      throw err('INVALID_PARAMETER_VALUE', `unrecognized parameter namespace "${p.namespace}"`, p.location);
    }
    // WITH (oids = false) is accepted for old dumps; tables WITH OIDS are gone since PostgreSQL 12.
    if (p.namespace === undefined && p.name === 'oids' && parseBool(p.value) === true) {
      throw err('FEATURE_NOT_SUPPORTED', 'tables declared WITH OIDS are not supported', p.location);
    }
  }
  for (const ns of [undefined, 'toast'] as const) {
    const seen = new Set<string>();
    for (const p of params) {
      if (p.namespace !== ns || (ns === undefined && p.name === 'oids')) continue;
      const o = Object.hasOwn(OPTIONS, p.name) ? OPTIONS[p.name] : undefined;
      if (o === undefined || (ns === 'toast' && o.toast !== true)) {
        throw err('INVALID_PARAMETER_VALUE', `unrecognized parameter "${p.name}"`, p.location);
      }
      if (seen.has(p.name)) {
        throw err('INVALID_PARAMETER_VALUE', `parameter "${p.name}" specified more than once`, p.location);
      }
      seen.add(p.name);
      checkOne(p, o);
    }
  }
}
