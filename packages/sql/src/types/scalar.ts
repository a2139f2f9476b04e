/**
 * Text input and output of the simple scalar types: bool, int2/4/8, float4/8, the string types,
 * bytea and uuid, following PostgreSQL 15's input and output functions.
 */
import { invalidSyntax, outOfRange, sqlError } from './errors.js';

/** The characters PostgreSQL's isspace() trims around numbers and booleans. */
const WS = ' \t\n\r\v\f';

function trimWs(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && WS.includes(s.charAt(a))) a++;
  while (b > a && WS.includes(s.charAt(b - 1))) b--;
  return s.slice(a, b);
}

export const INT2_MIN = -32768;
export const INT2_MAX = 32767;
export const INT4_MIN = -2147483648;
export const INT4_MAX = 2147483647;
export const INT8_MIN = -(2n ** 63n);
export const INT8_MAX = 2n ** 63n - 1n;

export type IntKind = 'int2' | 'int4' | 'int8';

/** The word PostgreSQL uses for an integer type in its messages. */
export const INT_WORD: Record<IntKind, 'smallint' | 'integer' | 'bigint'> = {
  int2: 'smallint',
  int4: 'integer',
  int8: 'bigint',
};

export const INT_BOUNDS: Record<IntKind, readonly [bigint, bigint]> = {
  int2: [BigInt(INT2_MIN), BigInt(INT2_MAX)],
  int4: [BigInt(INT4_MIN), BigInt(INT4_MAX)],
  int8: [INT8_MIN, INT8_MAX],
};

/**
 * int2in / int4in / int8in: optional surrounding whitespace and sign, decimal digits only (no
 * underscores or hex: those are PostgreSQL 16). Errors: `invalid input syntax for type integer`
 * (22P02), `value "…" is out of range for type integer` (22003).
 */
export function parseIntText(kind: IntKind, text: string): number | bigint {
  const word = INT_WORD[kind];
  if (!/^[ \t\n\r\v\f]*[+-]?\d+[ \t\n\r\v\f]*$/.test(text)) throw invalidSyntax(word, text);
  const v = BigInt(trimWs(text));
  const [min, max] = INT_BOUNDS[kind];
  if (v < min || v > max) throw outOfRange(`value "${text}" is out of range for type ${word}`);
  return kind === 'int8' ? v : Number(v);
}

/** Checks an int2/int4 result (a JS number) or int8 result (bigint) against its range. */
export function checkInt(kind: IntKind, v: number | bigint): number | bigint {
  if (kind === 'int8') {
    const b = BigInt(v);
    if (b < INT8_MIN || b > INT8_MAX) throw outOfRange('bigint out of range');
    return b;
  }
  const n = Number(v);
  const [lo, hi] = kind === 'int2' ? [INT2_MIN, INT2_MAX] : [INT4_MIN, INT4_MAX];
  if (!(n >= lo && n <= hi)) throw outOfRange(`${INT_WORD[kind]} out of range`);
  return n;
}

/**
 * boolin: surrounding whitespace ignored, case-insensitive `t`/`true`/`y`/`yes`/`on`/`1` and
 * `f`/`false`/`n`/`no`/`off`/`0`, and any unambiguous prefix of true/false/yes/no (`o` alone is
 * ambiguous; `on`/`of(f)` need two letters).
 */
export function parseBool(text: string): boolean {
  const s = trimWs(text).toLowerCase();
  const prefixOf = (word: string) => s.length > 0 && word.startsWith(s);
  const first = s.charAt(0);
  switch (first) {
    case 't':
      if (prefixOf('true')) return true;
      break;
    case 'f':
      if (prefixOf('false')) return false;
      break;
    case 'y':
      if (prefixOf('yes')) return true;
      break;
    case 'n':
      if (prefixOf('no')) return false;
      break;
    case 'o':
      if (s.length >= 2 && 'on'.startsWith(s)) return true;
      if (s.length >= 2 && 'off'.startsWith(s)) return false;
      break;
    case '1':
      if (s.length === 1) return true;
      break;
    case '0':
      if (s.length === 1) return false;
      break;
  }
  throw invalidSyntax('boolean', text);
}

export function formatBool(b: boolean): string {
  return b ? 't' : 'f';
}

const FLOAT_RE = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * float8in / float4in: surrounding whitespace, decimal or exponent notation, `NaN`, `Infinity`,
 * `inf` with optional sign, case-insensitive. A value that overflows, or underflows to zero, is
 * `"…" is out of range for type double precision` (22003); denormals are accepted.
 */
export function parseFloatText(kind: 'float4' | 'float8', text: string): number {
  const word = kind === 'float4' ? 'real' : 'double precision';
  const s = trimWs(text);
  const lower = s.toLowerCase();
  switch (lower) {
    case 'nan':
    case '+nan':
    case '-nan':
      return Number.NaN;
    case 'infinity':
    case '+infinity':
    case 'inf':
    case '+inf':
      return Number.POSITIVE_INFINITY;
    case '-infinity':
    case '-inf':
      return Number.NEGATIVE_INFINITY;
  }
  if (!FLOAT_RE.test(s)) throw invalidSyntax(word, text);
  const d = Number(s);
  const v = kind === 'float4' ? Math.fround(d) : d;
  const nonZeroDigits = /[1-9]/.test(s.replace(/[eE].*$/, ''));
  if (!Number.isFinite(v) || (v === 0 && nonZeroDigits)) {
    throw outOfRange(`"${text}" is out of range for type ${word}`);
  }
  return v;
}

/**
 * Formats a shortest round-trip digit string the way PostgreSQL 12+ prints floats
 * (extra_float_digits = 1): exponent notation when the decimal exponent is below -4 or at least
 * `maxPlainExp` (15 for float8, 6 for float4), with a signed exponent of at least two digits.
 */
function formatDigits(neg: boolean, digits: string, exp: number, maxPlainExp: number): string {
  const sign = neg ? '-' : '';
  if (exp < -4 || exp >= maxPlainExp) {
    const mant = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const e = Math.abs(exp);
    return `${sign}${mant}e${exp < 0 ? '-' : '+'}${e < 10 ? `0${e}` : e}`;
  }
  if (exp < 0) return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`;
  if (digits.length <= exp + 1) return `${sign}${digits}${'0'.repeat(exp + 1 - digits.length)}`;
  return `${sign}${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}`;
}

function splitExponential(s: string): [boolean, string, number] {
  const m = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(s);
  if (!m) throw sqlError('INTERNAL_ERROR', `unexpected float form ${s}`);
  const digits = `${m[2]}${(m[3] ?? '').replace(/0+$/, '')}`;
  return [m[1] === '-', digits, Number(m[4])];
}

function formatSpecial(x: number): string | undefined {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Number.POSITIVE_INFINITY) return 'Infinity';
  if (x === Number.NEGATIVE_INFINITY) return '-Infinity';
  if (x === 0) return Object.is(x, -0) ? '-0' : '0';
  return undefined;
}

/** float8out: the shortest string that reads back as the same double (`0.1`, `1e+100`, `-0`). */
export function formatFloat8(x: number): string {
  const special = formatSpecial(x);
  if (special !== undefined) return special;
  const [neg, digits, exp] = splitExponential(x.toExponential());
  return formatDigits(neg, digits, exp, 15);
}

/** float4out: the shortest string that reads back as the same single-precision value. */
export function formatFloat4(x: number): string {
  const special = formatSpecial(x);
  if (special !== undefined) return special;
  for (let p = 1; p <= 9; p++) {
    const s = x.toExponential(p - 1);
    if (Math.fround(Number(s)) === x) {
      const [neg, digits, exp] = splitExponential(s);
      return formatDigits(neg, digits, exp, 6);
    }
  }
  const [neg, digits, exp] = splitExponential(x.toExponential(8));
  return formatDigits(neg, digits, exp, 6);
}

/**
 * Text input: any string without NUL (PostgreSQL's server encoding is UTF-8 and cannot hold
 * U+0000: `invalid byte sequence for encoding "UTF8": 0x00`, 22021).
 */
export function checkText(text: string): string {
  if (text.includes('\u0000')) {
    throw sqlError('CHARACTER_NOT_IN_REPERTOIRE', 'invalid byte sequence for encoding "UTF8": 0x00');
  }
  return text;
}

/** Length in characters (code points), as PostgreSQL's char_length counts them in UTF-8. */
export function charLength(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
    n++;
  }
  return n;
}

/** The first `n` characters (code points) of `s`. */
export function charPrefix(s: string, n: number): string {
  let count = 0;
  let i = 0;
  while (i < s.length && count < n) {
    const c = s.charCodeAt(i);
    i += c >= 0xd800 && c <= 0xdbff && i + 1 < s.length ? 2 : 1;
    count++;
  }
  return s.slice(0, i);
}

/** bpchar's comparison form: trailing spaces do not count. */
export function bpcharTrim(s: string): string {
  let e = s.length;
  while (e > 0 && s.charCodeAt(e - 1) === 32) e--;
  return s.slice(0, e);
}

const HEX = '0123456789abcdef';

/** byteaout with bytea_output = hex: `\x` then two lowercase hex digits a byte. */
export function formatBytea(b: Uint8Array): string {
  let s = '\\x';
  for (const byte of b) s += HEX.charAt(byte >> 4) + HEX.charAt(byte & 15);
  return s;
}

function hexValue(c: string): number {
  const v = parseInt16(c);
  if (v < 0) throw sqlError('INVALID_PARAMETER_VALUE', `invalid hexadecimal digit: "${c}"`);
  return v;
}

function parseInt16(c: string): number {
  const code = c.charCodeAt(0);
  if (code >= 48 && code <= 57) return code - 48;
  if (code >= 97 && code <= 102) return code - 87;
  if (code >= 65 && code <= 70) return code - 55;
  return -1;
}

/**
 * byteain: `\x` followed by hex digit pairs (whitespace allowed between pairs), or the escape
 * format where `\\` is a backslash, `\ooo` an octal byte and everything else its UTF-8 bytes.
 */
export function parseBytea(text: string): Uint8Array {
  if (text.startsWith('\\x')) {
    const out: number[] = [];
    let i = 2;
    while (i < text.length) {
      const c = text.charAt(i);
      if (WS.includes(c)) {
        i++;
        continue;
      }
      const hi = hexValue(c);
      if (i + 1 >= text.length)
        throw sqlError('INVALID_PARAMETER_VALUE', 'invalid hexadecimal data: odd number of digits');
      const c2 = text.charAt(i + 1);
      if (WS.includes(c2)) throw sqlError('INVALID_PARAMETER_VALUE', 'invalid hexadecimal data: odd number of digits');
      out.push((hi << 4) | hexValue(c2));
      i += 2;
    }
    return Uint8Array.from(out);
  }
  const out: number[] = [];
  const enc = new TextEncoder();
  let i = 0;
  while (i < text.length) {
    const c = text.charAt(i);
    if (c !== '\\') {
      const cp = text.codePointAt(i) ?? 0;
      const ch = String.fromCodePoint(cp);
      for (const b of enc.encode(ch)) out.push(b);
      i += ch.length;
      continue;
    }
    if (text.charAt(i + 1) === '\\') {
      out.push(92);
      i += 2;
      continue;
    }
    const oct = /^[0-3][0-7][0-7]/.exec(text.slice(i + 1, i + 4));
    if (!oct) throw sqlError('INVALID_TEXT_REPRESENTATION', 'invalid input syntax for type bytea');
    out.push(Number.parseInt(oct[0], 8));
    i += 4;
  }
  return Uint8Array.from(out);
}

/**
 * uuid_in: 32 hex digits in either case, optionally in braces, with an optional hyphen after
 * any group of four digits. Output is always lowercase 8-4-4-4-12.
 */
export function parseUuid(text: string): string {
  let s = text;
  let braces = false;
  if (s.startsWith('{')) {
    braces = true;
    s = s.slice(1);
  }
  let hex = '';
  let i = 0;
  for (let byte = 0; byte < 16; byte++) {
    const a = s.charAt(i);
    const b = s.charAt(i + 1);
    if (parseInt16(a) < 0 || parseInt16(b) < 0 || a === '' || b === '') throw invalidSyntax('uuid', text);
    hex += (a + b).toLowerCase();
    i += 2;
    if (byte % 2 === 1 && byte < 15 && s.charAt(i) === '-') i++;
  }
  if (braces) {
    if (s.charAt(i) !== '}') throw invalidSyntax('uuid', text);
    i++;
  }
  if (i !== s.length) throw invalidSyntax('uuid', text);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
