/** String functions (PostgreSQL 15 §9.4, §9.7.3). Characters are Unicode code points, as in a UTF8 database. */
import { createHash } from 'node:crypto';
import type { Datum } from '../types/datum.js';
import { formatText } from '../types/text-io.js';
import { Types } from '../types/type.js';
import { compileRegex, parseRegexFlags, regexReplace } from './regex.js';
import { defineAliases, defineFunction } from './registry.js';
import { charCount, codePoints, num, sqlErr, str, substringError, utf8Length } from './util.js';

const bpcharLength = (s: string) => charCount(s.replace(/ +$/, ''));

defineAliases(
  ['length', 'char_length', 'character_length'],
  [
    { args: ['text'], result: 'int4', impl: ([s]) => charCount(str(s)) },
    { args: ['bpchar'], result: 'int4', impl: ([s]) => bpcharLength(str(s)) },
  ],
);
defineFunction('length', [{ args: ['bytea'], result: 'int4', impl: ([b]) => (b as Uint8Array).length }]);
defineFunction('octet_length', [
  { args: ['text'], result: 'int4', impl: ([s]) => utf8Length(str(s)) },
  { args: ['bpchar'], result: 'int4', impl: ([s]) => utf8Length(str(s)) },
  { args: ['bytea'], result: 'int4', impl: ([b]) => (b as Uint8Array).length },
]);
defineFunction('bit_length', [
  { args: ['text'], result: 'int4', impl: ([s]) => 8 * utf8Length(str(s)) },
  { args: ['bytea'], result: 'int4', impl: ([b]) => 8 * (b as Uint8Array).length },
]);
defineFunction('lower', [{ args: ['text'], result: 'text', impl: ([s]) => str(s).toLowerCase() }]);
defineFunction('upper', [{ args: ['text'], result: 'text', impl: ([s]) => str(s).toUpperCase() }]);
defineFunction('initcap', [
  {
    args: ['text'],
    result: 'text',
    impl: ([s]) => {
      let out = '';
      let inWord = false;
      for (const ch of str(s)) {
        out += inWord ? ch.toLowerCase() : ch.toUpperCase();
        inWord = /[\p{L}\p{N}]/u.test(ch);
      }
      return out;
    },
  },
]);

/** text_substring: characters from `start` for `len` (all remaining when undefined), 1-based. */
export function substring(s: string, start: number, len?: number): string {
  if (len !== undefined && len < 0) throw substringError();
  const cps = codePoints(s);
  const from = Math.max(start, 1);
  const end = len === undefined ? cps.length + 1 : start + len; // exclusive, 1-based
  if (end <= from) return '';
  return cps.slice(from - 1, end - 1).join('');
}

const substrSigs = [
  { args: ['text', 'int4'], result: 'text', impl: ([s, f]: readonly Datum[]) => substring(str(s), num(f)) },
  {
    args: ['text', 'int4', 'int4'],
    result: 'text',
    impl: ([s, f, l]: readonly Datum[]) => substring(str(s), num(f), num(l)),
  },
];
defineAliases(['substr', 'substring'], substrSigs);
defineFunction('substr', [
  {
    args: ['bytea', 'int4'],
    result: 'bytea',
    impl: ([b, f]) => byteaSubstring(b as Uint8Array, num(f)),
  },
  {
    args: ['bytea', 'int4', 'int4'],
    result: 'bytea',
    impl: ([b, f, l]) => byteaSubstring(b as Uint8Array, num(f), num(l)),
  },
]);

function byteaSubstring(b: Uint8Array, start: number, len?: number): Uint8Array {
  if (len !== undefined && len < 0) throw substringError();
  const from = Math.max(start, 1);
  const end = len === undefined ? b.length + 1 : start + len;
  if (end <= from) return new Uint8Array(0);
  return b.slice(from - 1, end - 1);
}

defineFunction('substring', [
  {
    // substring(string from pattern): the first parenthesized group's match, or the whole match.
    args: ['text', 'text'],
    result: 'text',
    impl: ([s, p]) => {
      const m = compileRegex(str(p), parseRegexFlags('')).exec(str(s));
      if (m === null) return null;
      return m.length > 1 ? (m[1] ?? null) : m[0];
    },
  },
]);

function position(s: string, sub: string): number {
  const i = s.indexOf(sub);
  if (i < 0) return 0;
  return charCount(s.slice(0, i)) + 1;
}

defineAliases(
  ['position', 'strpos'],
  [{ args: ['text', 'text'], result: 'int4', impl: ([s, sub]) => position(str(s), str(sub)) }],
);

defineFunction('left', [
  {
    args: ['text', 'int4'],
    result: 'text',
    impl: ([s, n]) => {
      const cps = codePoints(str(s));
      const k = num(n);
      return (k >= 0 ? cps.slice(0, k) : cps.slice(0, Math.max(cps.length + k, 0))).join('');
    },
  },
]);
defineFunction('right', [
  {
    args: ['text', 'int4'],
    result: 'text',
    impl: ([s, n]) => {
      const cps = codePoints(str(s));
      const k = num(n);
      if (k === 0) return '';
      return (k > 0 ? cps.slice(Math.max(cps.length - k, 0)) : cps.slice(Math.min(-k, cps.length))).join('');
    },
  },
]);

function checkLength(n: number): void {
  if (n > 268435455) throw sqlErr('PROGRAM_LIMIT_EXCEEDED', 'requested length too large');
}

function pad(s: string, len: number, fill: string, left: boolean): string {
  if (len <= 0) return '';
  checkLength(len);
  const cps = codePoints(s);
  if (cps.length >= len || fill === '') return cps.slice(0, len).join('');
  const f = codePoints(fill);
  const need = len - cps.length;
  let padding = '';
  for (let i = 0; i < need; i++) padding += f[i % f.length];
  return left ? padding + s : s + padding;
}

defineFunction('lpad', [
  { args: ['text', 'int4'], result: 'text', impl: ([s, n]) => pad(str(s), num(n), ' ', true) },
  { args: ['text', 'int4', 'text'], result: 'text', impl: ([s, n, f]) => pad(str(s), num(n), str(f), true) },
]);
defineFunction('rpad', [
  { args: ['text', 'int4'], result: 'text', impl: ([s, n]) => pad(str(s), num(n), ' ', false) },
  { args: ['text', 'int4', 'text'], result: 'text', impl: ([s, n, f]) => pad(str(s), num(n), str(f), false) },
]);

function trim(s: string, chars: string, leading: boolean, trailing: boolean): string {
  const set = new Set(codePoints(chars));
  const cps = codePoints(s);
  let a = 0;
  let b = cps.length;
  if (leading) while (a < b && set.has(cps[a] as string)) a++;
  if (trailing) while (b > a && set.has(cps[b - 1] as string)) b--;
  return cps.slice(a, b).join('');
}

for (const [name, l, t] of [
  ['btrim', true, true],
  ['ltrim', true, false],
  ['rtrim', false, true],
] as const) {
  defineFunction(name, [
    { args: ['text'], result: 'text', impl: ([s]) => trim(str(s), ' ', l, t) },
    { args: ['text', 'text'], result: 'text', impl: ([s, c]) => trim(str(s), str(c), l, t) },
  ]);
}

defineFunction('replace', [
  {
    args: ['text', 'text', 'text'],
    result: 'text',
    impl: ([s, from, to]) => (str(from) === '' ? str(s) : str(s).split(str(from)).join(str(to))),
  },
]);
defineFunction('repeat', [
  {
    args: ['text', 'int4'],
    result: 'text',
    impl: ([s, n]) => {
      const k = num(n);
      if (k <= 0) return '';
      checkLength(str(s).length * k);
      return str(s).repeat(k);
    },
  },
]);
defineFunction('reverse', [{ args: ['text'], result: 'text', impl: ([s]) => codePoints(str(s)).reverse().join('') }]);

defineFunction('split_part', [
  {
    args: ['text', 'text', 'int4'],
    result: 'text',
    impl: ([s, d, n]) => {
      const k = num(n);
      if (k === 0) throw sqlErr('INVALID_PARAMETER_VALUE', 'field position must not be zero');
      const text = str(s);
      const parts = str(d) === '' ? (text === '' ? [] : [text]) : text.split(str(d));
      const i = k > 0 ? k - 1 : parts.length + k;
      return parts[i] ?? '';
    },
  },
]);

/** The text form of an argument of a `"any"` parameter, as its output function writes it. */
function anyText(
  v: Datum,
  i: number,
  info: { readonly argTypes: readonly import('../types/type.js').SqlType[] },
  ctx: import('../types/datetime.js').TypeContext,
): string {
  const t = info.argTypes[i] ?? Types.text;
  return typeof v === 'string' && (t.kind === 'text' || t.kind === 'unknown' || t.kind === 'varchar')
    ? v
    : formatText(t, v, ctx);
}

defineFunction('concat', [
  {
    args: [],
    variadic: 'any',
    result: 'text',
    strict: false,
    volatility: 'stable',
    impl: (args, ctx, info) => {
      let out = '';
      args.forEach((v, i) => {
        if (v !== null) out += anyText(v, i, info, ctx);
      });
      return out;
    },
  },
]);
defineFunction('concat_ws', [
  {
    args: ['text'],
    variadic: 'any',
    result: 'text',
    strict: false,
    volatility: 'stable',
    impl: (args, ctx, info) => {
      const sep = args[0];
      if (sep === null || sep === undefined) return null;
      const parts: string[] = [];
      for (let i = 1; i < args.length; i++) {
        const v = args[i] as Datum;
        if (v !== null) parts.push(anyText(v, i, info, ctx));
      }
      return parts.join(str(sep));
    },
  },
]);

// --- quoting -----------------------------------------------------------------------------------

/** Keywords PostgreSQL's quote_ident quotes: every category except unreserved. */
const QUOTED_KEYWORDS = new Set(
  (
    'all analyse analyze and any array as asc asymmetric both case cast check collate column constraint create ' +
    'current_catalog current_date current_role current_time current_timestamp current_user default deferrable desc ' +
    'distinct do else end except false fetch for foreign from grant group having in initially intersect into lateral ' +
    'leading limit localtime localtimestamp not null offset on only or order placing primary references returning ' +
    'select session_user some symmetric table then to trailing true union unique user using variadic when where ' +
    'window with authorization binary collation concurrently cross current_schema freeze full ilike inner is isnull ' +
    'join left like natural notnull outer overlaps right similar tablesample verbose between bigint bit boolean char ' +
    'character coalesce dec decimal exists extract float greatest grouping inout int integer interval least national ' +
    'nchar none normalize nullif numeric out overlay position precision real row setof smallint substring time ' +
    'timestamp treat trim values varchar xmlattributes xmlconcat xmlelement xmlexists xmlforest xmlnamespaces ' +
    'xmlparse xmlpi xmlroot xmlserialize xmltable'
  ).split(' '),
);

export function quoteIdent(s: string): string {
  if (/^[a-z_][a-z0-9_]*$/.test(s) && !QUOTED_KEYWORDS.has(s)) return s;
  return `"${s.replace(/"/g, '""')}"`;
}

export function quoteLiteral(s: string): string {
  const body = s.replace(/'/g, "''");
  return s.includes('\\') ? `E'${body.replace(/\\/g, '\\\\')}'` : `'${body}'`;
}

defineFunction('quote_ident', [{ args: ['text'], result: 'text', impl: ([s]) => quoteIdent(str(s)) }]);
defineFunction('quote_literal', [
  { args: ['text'], result: 'text', impl: ([s]) => quoteLiteral(str(s)) },
  {
    args: ['anyelement'],
    result: 'text',
    volatility: 'stable',
    impl: ([v], ctx, info) => quoteLiteral(anyText(v as Datum, 0, info, ctx)),
  },
]);
defineFunction('quote_nullable', [
  { args: ['text'], result: 'text', strict: false, impl: ([s]) => (s === null ? 'NULL' : quoteLiteral(str(s))) },
  {
    args: ['anyelement'],
    result: 'text',
    strict: false,
    volatility: 'stable',
    impl: ([v], ctx, info) => (v === null || v === undefined ? 'NULL' : quoteLiteral(anyText(v, 0, info, ctx))),
  },
]);

// --- format ------------------------------------------------------------------------------------

function formatError(message: string, hint = true): Error {
  return sqlErr('INVALID_PARAMETER_VALUE', message, hint ? { hint: 'For a single "%" use "%%".' } : {});
}

/** format(): %s, %I, %L, %%, with `n$` positions, `-` flag and widths (`*`, `*n$` included). */
function format(fmt: string, args: readonly Datum[], text: (i: number) => string): string {
  let out = '';
  let next = 0;
  const readInt = (s: string, i: number): [number | undefined, number] => {
    let j = i;
    while (j < s.length && s[j] !== undefined && /[0-9]/.test(s[j] as string)) j++;
    return j === i ? [undefined, i] : [Number(s.slice(i, j)), j];
  };
  for (let i = 0; i < fmt.length; i++) {
    const c = fmt[i] as string;
    if (c !== '%') {
      out += c;
      continue;
    }
    i++;
    if (i >= fmt.length) throw formatError('unterminated format() type specifier');
    if (fmt[i] === '%') {
      out += '%';
      continue;
    }
    // [argpos$][flags][width][type]
    let argpos: number | undefined;
    let [n, j] = readInt(fmt, i);
    if (n !== undefined && fmt[j] === '$') {
      if (n === 0) throw formatError('format specifies argument 0, but arguments are numbered from 1', false);
      argpos = n;
      i = j + 1;
    }
    let leftAlign = false;
    while (fmt[i] === '-') {
      leftAlign = true;
      i++;
    }
    let width: number | undefined;
    if (fmt[i] === '*') {
      i++;
      [n, j] = readInt(fmt, i);
      let wpos: number;
      if (n !== undefined && fmt[j] === '$') {
        wpos = n;
        i = j + 1;
      } else wpos = ++next;
      if (wpos > args.length) throw formatError('too few arguments for format()', false);
      const wv = args[wpos - 1];
      if (wv !== null && wv !== undefined) {
        const w = Number.parseInt(text(wpos - 1), 10);
        if (w < 0) {
          leftAlign = true;
          width = -w;
        } else width = w;
      }
    } else {
      [n, j] = readInt(fmt, i);
      if (n !== undefined) {
        width = n;
        i = j;
      }
    }
    if (i >= fmt.length) throw formatError('unterminated format() type specifier');
    const type = fmt[i] as string;
    if (type !== 's' && type !== 'I' && type !== 'L')
      throw formatError(`unrecognized format() type specifier "${type}"`);
    const pos = argpos ?? ++next;
    if (argpos !== undefined) next = argpos;
    if (pos > args.length) throw formatError('too few arguments for format()', false);
    const v = args[pos - 1] as Datum;
    let piece: string;
    if (type === 's') piece = v === null ? '' : text(pos - 1);
    else if (type === 'I') {
      if (v === null) throw sqlErr('NULL_VALUE_NOT_ALLOWED', 'null values cannot be formatted as an SQL identifier');
      piece = quoteIdent(text(pos - 1));
    } else piece = v === null ? 'NULL' : quoteLiteral(text(pos - 1));
    if (width !== undefined) {
      const len = charCount(piece);
      if (len < width) piece = leftAlign ? piece + ' '.repeat(width - len) : ' '.repeat(width - len) + piece;
    }
    out += piece;
  }
  return out;
}

defineFunction('format', [
  {
    args: ['text'],
    result: 'text',
    strict: false,
    volatility: 'stable',
    impl: ([f]) => (f === null || f === undefined ? null : format(str(f), [], () => '')),
  },
  {
    args: ['text'],
    variadic: 'any',
    result: 'text',
    strict: false,
    volatility: 'stable',
    impl: (args, ctx, info) => {
      const f = args[0];
      if (f === null || f === undefined) return null;
      const rest = args.slice(1);
      return format(str(f), rest, (i) => anyText(rest[i] as Datum, i + 1, info, ctx));
    },
  },
]);

// --- misc ----------------------------------------------------------------------------------------

defineFunction('md5', [
  { args: ['text'], result: 'text', impl: ([s]) => createHash('md5').update(str(s), 'utf8').digest('hex') },
  {
    args: ['bytea'],
    result: 'text',
    impl: ([b]) =>
      createHash('md5')
        .update(b as Uint8Array)
        .digest('hex'),
  },
]);
defineFunction('chr', [
  {
    args: ['int4'],
    result: 'text',
    impl: ([n]) => {
      const c = num(n);
      if (c === 0) throw sqlErr('PROGRAM_LIMIT_EXCEEDED', 'null character not permitted');
      if (c < 0) throw sqlErr('INVALID_PARAMETER_VALUE', 'character number must be positive');
      if (c > 0x10ffff) throw sqlErr('PROGRAM_LIMIT_EXCEEDED', `requested character too large for encoding: ${c}`);
      if (c >= 0xd800 && c <= 0xdfff) {
        throw sqlErr('PROGRAM_LIMIT_EXCEEDED', `requested character not valid for encoding: ${c}`);
      }
      return String.fromCodePoint(c);
    },
  },
]);
defineFunction('ascii', [{ args: ['text'], result: 'int4', impl: ([s]) => str(s).codePointAt(0) ?? 0 }]);
defineFunction('starts_with', [
  { args: ['text', 'text'], result: 'bool', impl: ([s, p]) => str(s).startsWith(str(p)) },
]);
defineFunction('translate', [
  {
    args: ['text', 'text', 'text'],
    result: 'text',
    impl: ([s, from, to]) => {
      const f = codePoints(str(from));
      const t = codePoints(str(to));
      const map = new Map<string, string>();
      f.forEach((ch, i) => {
        if (!map.has(ch)) map.set(ch, t[i] ?? '');
      });
      return codePoints(str(s))
        .map((ch) => map.get(ch) ?? ch)
        .join('');
    },
  },
]);
defineFunction('to_hex', [
  { args: ['int4'], result: 'text', impl: ([n]) => (num(n) >>> 0).toString(16) },
  { args: ['int8'], result: 'text', impl: ([n]) => BigInt.asUintN(64, n as bigint).toString(16) },
]);

defineFunction('overlay', [
  {
    args: ['text', 'text', 'int4', 'int4'],
    result: 'text',
    impl: ([s, r, f, l]) => overlay(str(s), str(r), num(f), num(l)),
  },
  {
    args: ['text', 'text', 'int4'],
    result: 'text',
    impl: ([s, r, f]) => overlay(str(s), str(r), num(f), charCount(str(r))),
  },
]);

function overlay(s: string, r: string, from: number, len: number): string {
  if (from <= 0) throw substringError();
  const end = from + len;
  return substring(s, 1, from - 1) + r + substring(s, end);
}

// --- regular expressions -------------------------------------------------------------------------

defineFunction('regexp_replace', [
  { args: ['text', 'text', 'text'], result: 'text', impl: ([s, p, r]) => regexReplace(str(s), str(p), str(r), '') },
  {
    args: ['text', 'text', 'text', 'text'],
    result: 'text',
    impl: ([s, p, r, f]) => regexReplace(str(s), str(p), str(r), str(f)),
  },
]);

function regexpMatch(s: string, p: string, f: string): Datum {
  const re = compileRegex(p, parseRegexFlags(f, 'regexp_match'));
  const m = re.exec(s);
  if (m === null) return null;
  return m.length > 1 ? m.slice(1).map((x) => x ?? null) : [m[0]];
}

defineFunction('regexp_match', [
  { args: ['text', 'text'], result: 'text[]', impl: ([s, p]) => regexpMatch(str(s), str(p), '') },
  { args: ['text', 'text', 'text'], result: 'text[]', impl: ([s, p, f]) => regexpMatch(str(s), str(p), str(f)) },
]);

function regexpLike(s: string, p: string, f: string): boolean {
  return compileRegex(p, parseRegexFlags(f, 'regexp_like')).test(s);
}

defineFunction('regexp_like', [
  { args: ['text', 'text'], result: 'bool', impl: ([s, p]) => regexpLike(str(s), str(p), '') },
  { args: ['text', 'text', 'text'], result: 'bool', impl: ([s, p, f]) => regexpLike(str(s), str(p), str(f)) },
]);

function regexpCount(s: string, p: string, start: number, f: string): number {
  if (start <= 0) throw sqlErr('INVALID_PARAMETER_VALUE', `invalid value for parameter "start": ${start}`);
  const re = compileRegex(p, parseRegexFlags(f, 'regexp_count'), true);
  const sub = codePoints(s)
    .slice(start - 1)
    .join('');
  let count = 0;
  for (;;) {
    const m = re.exec(sub);
    if (m === null) break;
    count++;
    if (m[0].length === 0) re.lastIndex++;
  }
  return count;
}

defineFunction('regexp_count', [
  { args: ['text', 'text'], result: 'int4', impl: ([s, p]) => regexpCount(str(s), str(p), 1, '') },
  { args: ['text', 'text', 'int4'], result: 'int4', impl: ([s, p, n]) => regexpCount(str(s), str(p), num(n), '') },
  {
    args: ['text', 'text', 'int4', 'text'],
    result: 'int4',
    impl: ([s, p, n, f]) => regexpCount(str(s), str(p), num(n), str(f)),
  },
]);

function regexpSplit(s: string, p: string, f: string): string[] {
  const re = compileRegex(p, parseRegexFlags(f, 'regexp_split_to_array'), true);
  const out: string[] = [];
  let last = 0;
  let prevEnd = -1;
  let from = 0;
  while (from <= s.length) {
    re.lastIndex = from;
    const m = re.exec(s);
    if (m === null) break;
    const start = m.index;
    const end = start + m[0].length;
    const step = (s.codePointAt(start) ?? 0) > 0xffff ? 2 : 1;
    // Zero-length matches at either end, or right after a match, do not split.
    if (end === start && (start === 0 || start >= s.length || start === prevEnd)) {
      from = start + step;
      continue;
    }
    out.push(s.slice(last, start));
    last = end;
    prevEnd = end;
    from = end > start ? end : start + step;
  }
  out.push(s.slice(last));
  return out;
}

defineFunction('regexp_split_to_array', [
  { args: ['text', 'text'], result: 'text[]', impl: ([s, p]) => regexpSplit(str(s), str(p), '') },
  { args: ['text', 'text', 'text'], result: 'text[]', impl: ([s, p, f]) => regexpSplit(str(s), str(p), str(f)) },
]);

// --- string <-> array ----------------------------------------------------------------------------

function stringToArray(s: Datum, d: Datum, nullStr: Datum): Datum {
  if (s === null) return null;
  const text = str(s);
  if (text === '') return [];
  let parts: string[];
  if (d === null) parts = codePoints(text);
  else if (str(d) === '') parts = [text];
  else parts = text.split(str(d));
  return parts.map((p) => (nullStr !== null && p === nullStr ? null : p));
}

defineFunction('string_to_array', [
  {
    args: ['text', 'text'],
    result: 'text[]',
    strict: false,
    impl: ([s, d]) => stringToArray(s ?? null, d ?? null, null),
  },
  {
    args: ['text', 'text', 'text'],
    result: 'text[]',
    strict: false,
    impl: ([s, d, n]) => stringToArray(s ?? null, d ?? null, n ?? null),
  },
]);

function arrayToString(
  arr: Datum,
  sep: Datum,
  nullStr: Datum,
  info: { readonly argTypes: readonly import('../types/type.js').SqlType[] },
  ctx: import('../types/datetime.js').TypeContext,
): Datum {
  if (arr === null || sep === null) return null;
  const t = info.argTypes[0];
  const elem = t?.elem ?? Types.text;
  const parts: string[] = [];
  for (const v of arr as readonly Datum[]) {
    if (v === null) {
      if (nullStr !== null) parts.push(str(nullStr));
    } else parts.push(formatText(elem, v, ctx));
  }
  return parts.join(str(sep));
}

defineFunction('array_to_string', [
  {
    args: ['anyarray', 'text'],
    result: 'text',
    volatility: 'stable',
    impl: ([a, s], ctx, info) => arrayToString(a as Datum, s as Datum, null, info, ctx),
  },
  {
    args: ['anyarray', 'text', 'text'],
    result: 'text',
    strict: false,
    volatility: 'stable',
    impl: ([a, s, n], ctx, info) => arrayToString(a ?? null, s ?? null, n ?? null, info, ctx),
  },
]);
