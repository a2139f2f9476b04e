/**
 * to_char for numbers (int4, int8, float4, float8, numeric) and to_number, following the
 * behaviour PostgreSQL 15 documents for numeric template patterns in the 'C' locale.
 *
 * Approach, in three stages:
 *  1. The template is split into tokens (digit positions 9 and 0, the decimal point, group
 *     separators, sign patterns, L, TH, V, RN, EEEE, FM, the silent B / C / SP, and literal
 *     text) and summarised as a Layout: integer and fraction position counts, where zero fill
 *     starts, how the sign is shown, the V shift. Invalid combinations fail here (42601).
 *  2. The value becomes a Rendered number: a sign plus an integer digit string and an optional
 *     fraction digit string, rounded the way the value's type rounds (numeric half away from
 *     zero, floats on the exact binary value with 6 or 15 significant digits, as printf does).
 *     A value too wide for the template becomes '#' digits in the template's shape.
 *  3. The tokens are walked once more and the digits are laid into the positions: integer
 *     digits right-aligned, padding blank (or nothing under FM), a floating sign just before
 *     the first printed digit, anchored signs where their pattern stands.
 * RN and EEEE have their own short renderers. to_number walks the same tokens over the input.
 */
import { Numeric, pow10 } from '../types/numeric.js';
import { sqlErr } from './util.js';

// ---------------------------------------------------------------------------------------------
// Template tokens

type Kind =
  | 'digit'
  | 'point'
  | 'group'
  | 'S'
  | 'MI'
  | 'PL'
  | 'SG'
  | 'PR'
  | 'L'
  | 'RN'
  | 'TH'
  | 'V'
  | 'EEEE'
  | 'FM'
  | 'B'
  | 'silent'
  | 'text';

interface Token {
  kind: Kind;
  /** Literal text for 'text'; '0' or '9' for digits. */
  text: string;
  /** A lower-case spelling (rn, th print lower case). */
  lower: boolean;
}

/** Keywords by spelling, longest first so that e.g. SG wins over S. */
const KEYWORDS: [string, Kind][] = [
  ['EEEE', 'EEEE'],
  ['FM', 'FM'],
  ['MI', 'MI'],
  ['PL', 'PL'],
  ['PR', 'PR'],
  ['RN', 'RN'],
  ['SG', 'SG'],
  ['SP', 'silent'],
  ['TH', 'TH'],
  ['B', 'B'],
  ['C', 'silent'],
  ['D', 'point'],
  ['G', 'group'],
  ['L', 'L'],
  ['S', 'S'],
  ['V', 'V'],
  [',', 'group'],
  ['.', 'point'],
  ['0', 'digit'],
  ['9', 'digit'],
];

function matchKeyword(fmt: string, at: number): [string, Kind, boolean] | null {
  for (const [word, kind] of KEYWORDS) {
    if (fmt.startsWith(word, at)) return [word, kind, false];
    const lower = word.toLowerCase();
    if (lower !== word && fmt.startsWith(lower, at)) return [lower, kind, true];
  }
  return null;
}

/** A double-quoted section starting at `at`: its text (\" and \\ escape) and where it ends. */
function readQuoted(fmt: string, at: number): [string, number] {
  let out = '';
  let i = at + 1;
  while (i < fmt.length && fmt[i] !== '"') {
    const next = fmt[i + 1];
    if (fmt[i] === '\\' && (next === '"' || next === '\\')) i++;
    out += fmt[i];
    i++;
  }
  return [out, i + 1];
}

function tokenize(fmt: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < fmt.length) {
    const kw = matchKeyword(fmt, i);
    if (kw) {
      tokens.push({ kind: kw[1], text: kw[0], lower: kw[2] });
      i += kw[0].length;
    } else if (fmt[i] === '"') {
      const [text, end] = readQuoted(fmt, i);
      tokens.push({ kind: 'text', text, lower: false });
      i = end;
    } else {
      const escapedQuote = fmt[i] === '\\' && fmt[i + 1] === '"';
      const ch = escapedQuote ? '"' : String.fromCodePoint(fmt.codePointAt(i) ?? 0);
      tokens.push({ kind: 'text', text: ch, lower: false });
      i += escapedQuote ? 2 : ch.length;
    }
  }
  return tokens;
}

// ---------------------------------------------------------------------------------------------
// Layout: what the template asks for

interface Layout {
  tokens: Token[];
  /** Digit positions before the point (those after V included). */
  pre: number;
  /** Digit positions after the point. */
  post: number;
  hasPoint: boolean;
  /** Index of the first integer position that zero-fills (pre when none does). */
  zeroFrom: number;
  /** Fraction digits FM keeps even when they are trailing zeros (up to the last 0 there). */
  fracKeep: number;
  /** 9s after V: the value is shifted left by this many places. */
  shift: number;
  fm: boolean;
  seen: Set<Kind>;
  /** S comes after every integer position: the sign trails the digits. */
  trailingS: boolean;
  /** Index of the last digit or point token (trailing S and PR's '>' follow it). */
  lastDigit: number;
}

const syntaxError = (message: string, detail?: string) =>
  sqlErr('SYNTAX_ERROR', message, detail === undefined ? {} : { detail });

const EEEE_INCOMPATIBLE: Kind[] = ['S', 'PL', 'MI', 'SG', 'PR', 'FM', 'RN', 'V', 'B'];

/** The combination rules PostgreSQL enforces, checked as each pattern is met. */
function checkToken(tok: Token, seen: Set<Kind>): void {
  if (seen.has('EEEE') && tok.kind !== 'text') throw syntaxError('"EEEE" must be the last pattern used');
  switch (tok.kind) {
    case 'digit':
      if (seen.has('PR')) throw syntaxError(`"${tok.text}" must be ahead of "PR"`);
      return;
    case 'point':
      if (seen.has('point')) throw syntaxError('multiple decimal points');
      if (seen.has('V')) throw syntaxError('cannot use "V" and decimal point together');
      return;
    case 'V':
      if (seen.has('point')) throw syntaxError('cannot use "V" and decimal point together');
      return;
    case 'S':
      if (seen.has('S')) throw syntaxError('cannot use "S" twice');
      if (seen.has('PL') || seen.has('MI') || seen.has('SG') || seen.has('PR')) {
        throw syntaxError('cannot use "S" and "PL"/"MI"/"SG"/"PR" together');
      }
      return;
    case 'MI':
    case 'PL':
    case 'SG':
      if (seen.has('S')) throw syntaxError(`cannot use "S" and "${tok.kind}" together`);
      return;
    case 'PR':
      if (seen.has('S') || seen.has('PL') || seen.has('MI') || seen.has('SG')) {
        throw syntaxError('cannot use "PR" and "S"/"PL"/"MI"/"SG" together');
      }
      return;
    case 'EEEE':
      if (EEEE_INCOMPATIBLE.some((k) => seen.has(k))) {
        throw syntaxError(
          '"EEEE" is incompatible with other formats',
          '"EEEE" may only be used together with digit and decimal point patterns.',
        );
      }
      return;
  }
}

/** Counts a digit position ('0' or '9') into the layout. */
function addDigit(layout: Layout, digit: string): void {
  // Only the 9s after V shift the value; 0s there are plain positions.
  if (layout.seen.has('V') && digit === '9') layout.shift++;
  if (layout.hasPoint) {
    layout.post++;
    if (digit === '0') layout.fracKeep = layout.post;
  } else {
    if (digit === '0' && layout.zeroFrom < 0) layout.zeroFrom = layout.pre;
    layout.pre++;
  }
}

function buildLayout(fmt: string): Layout {
  const tokens = tokenize(fmt);
  const seen = new Set<Kind>();
  const layout: Layout = {
    tokens,
    pre: 0,
    post: 0,
    hasPoint: false,
    zeroFrom: -1,
    fracKeep: 0,
    shift: 0,
    fm: false,
    seen,
    trailingS: false,
    lastDigit: -1,
  };
  let sIndex = -1;
  let lastIntDigit = -1;
  tokens.forEach((tok, index) => {
    checkToken(tok, seen);
    if (tok.kind === 'S') sIndex = index;
    if (tok.kind === 'FM') layout.fm = true;
    if (tok.kind === 'point') {
      layout.hasPoint = true;
      layout.lastDigit = index;
    }
    if (tok.kind === 'digit') {
      layout.lastDigit = index;
      if (!layout.hasPoint) lastIntDigit = index;
      addDigit(layout, tok.text);
    }
    seen.add(tok.kind);
  });
  if (layout.zeroFrom < 0) layout.zeroFrom = layout.pre;
  layout.trailingS = sIndex >= 0 && sIndex > lastIntDigit;
  return layout;
}

// ---------------------------------------------------------------------------------------------
// Exact decimals: a non-negative coefficient over 10^scale

interface Dec {
  coef: bigint;
  scale: number;
}

/** The exact decimal value of |x| for a finite double. */
function exactDouble(x: number): Dec {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, Math.abs(x));
  const hi = view.getUint32(0);
  const expBits = (hi >>> 20) & 0x7ff;
  let mant = (BigInt(hi & 0xfffff) << 32n) | BigInt(view.getUint32(4));
  if (expBits !== 0) mant |= 1n << 52n;
  const exp2 = (expBits === 0 ? 1 : expBits) - 1075;
  if (exp2 >= 0) return { coef: mant << BigInt(exp2), scale: 0 };
  return { coef: mant * 5n ** BigInt(-exp2), scale: -exp2 };
}

/** Rounds to `digits` fraction digits: half to even (printf on a binary value) or half away. */
function roundDec(d: Dec, digits: number, halfEven: boolean): Dec {
  if (d.scale <= digits) return { coef: d.coef * pow10(digits - d.scale), scale: digits };
  const unit = pow10(d.scale - digits);
  let q = d.coef / unit;
  const twice = (d.coef % unit) * 2n;
  if (twice > unit || (twice === unit && (!halfEven || q % 2n === 1n))) q += 1n;
  return { coef: q, scale: digits };
}

/** The integer and fraction digit strings of a decimal. */
function splitDec(d: Dec): [string, string] {
  const s = d.coef.toString().padStart(d.scale + 1, '0');
  return [s.slice(0, s.length - d.scale), s.slice(s.length - d.scale)];
}

/** Position of the leading digit: floor(log10(value)) for a non-zero value. */
function magnitude(d: Dec): number {
  return d.coef.toString().length - 1 - d.scale;
}

// ---------------------------------------------------------------------------------------------
// The value to print

/** What a value contributes, before rounding to the template. */
interface Source {
  negative: boolean;
  /** NaN / Infinity text, printed in place of digits. */
  special?: string;
  /** |value| as an exact decimal (finite values). */
  abs: Dec;
  /** Floats: significant digits printed (6 or 15); numerics and integers: none. */
  sigDigits?: number;
  /** Rounding of exact halves: floats round to even, numeric away from zero. */
  halfEven: boolean;
}

/** A value rounded for the template: its sign and the digits of each part. */
interface Rendered {
  negative: boolean;
  int: string;
  /** Fraction digits; null when the number has no point (nothing prints from the point on). */
  frac: string | null;
  overflow: boolean;
  special: boolean;
}

function shifted(d: Dec, places: number): Dec {
  return places <= d.scale
    ? { coef: d.coef, scale: d.scale - places }
    : { coef: d.coef * pow10(places - d.scale), scale: 0 };
}

/** Fraction digits a float gets: the template's, cut to the significant digits left over. */
function floatFracDigits(sig: number, intLength: number, post: number): number {
  return Math.min(post, Math.max(0, sig - intLength));
}

function overflowed(negative: boolean, lay: Layout, fracLen: number): Rendered {
  const frac = lay.hasPoint ? '#'.repeat(fracLen) : null;
  return { negative, int: '#'.repeat(lay.pre), frac, overflow: true, special: false };
}

function renderSpecial(src: Source, lay: Layout, text: string): Rendered {
  const fracLen = src.sigDigits === undefined ? lay.post : floatFracDigits(src.sigDigits, text.length, lay.post);
  if (text.length > lay.pre) return overflowed(src.negative, lay, fracLen);
  return { negative: src.negative, int: text, frac: null, overflow: false, special: true };
}

/** FM drops trailing fraction zeros, except up to the template's last 0 there. */
function trimFraction(frac: string, keep: number): string {
  let end = frac.length;
  while (end > keep && frac[end - 1] === '0') end--;
  return frac.slice(0, end);
}

function render(src: Source, lay: Layout): Rendered {
  if (src.special !== undefined) return renderSpecial(src, lay, src.special);
  const value = src.abs;
  let fracLen = lay.post;
  if (src.sigDigits !== undefined) {
    const intLength = splitDec(roundDec(value, 0, true))[0].length;
    fracLen = floatFracDigits(src.sigDigits, intLength, lay.post);
  }
  const rounded = roundDec(value, fracLen, src.halfEven);
  const [int, fracDigits] = splitDec(rounded);
  // A numeric that rounds to zero loses its sign; a float keeps it, as printf does.
  const negative = src.negative && (src.halfEven || rounded.coef !== 0n);
  if (int.length > lay.pre) return overflowed(negative, lay, fracLen);
  let frac: string | null = fracLen > 0 ? fracDigits : null;
  if (frac !== null && lay.fm) frac = trimFraction(frac, lay.fracKeep);
  // A lone zero before a fraction is not printed (a 0 pattern prints it).
  const dropZero = int === '0' && frac !== null && frac.length > 0;
  return { negative, int: dropZero ? '' : int, frac, overflow: false, special: false };
}

// ---------------------------------------------------------------------------------------------
// Laying digits into the template

/** The text around the digits for a value's sign. */
interface SignStyle {
  /** Printed just before the first digit (null: the template anchors the sign elsewhere). */
  floating: string | null;
  /** Printed after the last digit position (trailing S, PR's closing bracket). */
  trailing: string;
}

function signStyle(lay: Layout, negative: boolean): SignStyle {
  const has = (k: Kind) => lay.seen.has(k);
  const blank = lay.fm ? '' : ' ';
  if (has('PR')) return { floating: negative ? '<' : blank, trailing: negative ? '>' : blank };
  if (has('S') && lay.trailingS) return { floating: null, trailing: negative ? '-' : '+' };
  if (has('MI') || has('SG')) return { floating: null, trailing: '' };
  if (has('S')) return { floating: negative ? '-' : '+', trailing: '' };
  return { floating: negative ? '-' : blank, trailing: '' };
}

const SUFFIXES = ['th', 'st', 'nd', 'rd'];

function ordinalSuffix(digits: string, lower: boolean): string {
  const n = Number(digits.slice(-2));
  const last = n % 10;
  const suffix = n >= 11 && n <= 13 ? 'th' : (SUFFIXES[last] ?? 'th');
  return lower ? suffix : suffix.toUpperCase();
}

function thText(r: Rendered, lay: Layout, lower: boolean): string {
  if (r.negative) return '';
  if (r.overflow) {
    if (lay.pre === 0 && !lay.hasPoint) throw sqlErr('INVALID_TEXT_REPRESENTATION', '"." is not a number');
    return '';
  }
  if (r.special) throw sqlErr('INVALID_TEXT_REPRESENTATION', `"${r.int}" is not a number`);
  return lay.hasPoint ? '' : ordinalSuffix(r.int, lower);
}

/** The walk over the template that prints a rendered number. */
class Printer {
  private out = '';
  private intPos = 0;
  private fracPos = 0;
  private started = false;
  /** A digit (or #) has been printed: group separators print from here on. */
  private digitShown = false;
  /** A fraction position found no digit left (FM, or a float's shorter fraction). */
  private ranOut = false;
  /** Output ends here: the number ended at the point or at a fraction position (but an FM 9). */
  private stopped = false;
  private readonly sign: SignStyle;
  private readonly blank: string;

  constructor(
    private readonly r: Rendered,
    private readonly lay: Layout,
  ) {
    this.sign = signStyle(lay, r.negative);
    this.blank = lay.fm ? '' : ' ';
  }

  run(): string {
    this.lay.tokens.every((tok, index) => {
      this.token(tok);
      if (index === this.lay.lastDigit && !this.stopped) this.out += this.sign.trailing;
      return !this.stopped;
    });
    return this.out;
  }

  /** The floating sign, the first time a digit or the point is printed. */
  private lead(): string {
    if (this.started) return '';
    this.started = true;
    return this.sign.floating ?? '';
  }

  private token(tok: Token): void {
    const neg = this.r.negative;
    switch (tok.kind) {
      case 'digit':
        this.out += this.lay.hasPoint && this.intPos >= this.lay.pre ? this.fracDigit(tok.text) : this.intDigit();
        return;
      case 'point':
        if (this.r.frac === null) this.stopped = true;
        else this.out += `${this.lead()}.`;
        return;
      case 'group':
        if (!this.ranOut) this.out += this.digitShown ? ',' : this.blank;
        return;
      case 'MI':
        this.out += neg ? '-' : this.blank;
        return;
      case 'PL':
        this.out += neg ? this.blank : '+';
        return;
      case 'SG':
        this.out += neg ? '-' : '+';
        return;
      case 'L':
        this.out += ' ';
        return;
      case 'TH':
        this.out += thText(this.r, this.lay, tok.lower);
        return;
      case 'text':
        this.out += tok.text;
        return;
    }
  }

  private intDigit(): string {
    const i = this.intPos++;
    const offset = this.lay.pre - this.r.int.length;
    let ch: string | undefined;
    if (i >= offset) ch = this.r.int[i - offset];
    else if (i >= this.lay.zeroFrom) ch = '0';
    if (ch === undefined) return this.blank;
    this.digitShown = true;
    return this.lead() + ch;
  }

  /** A fraction position; running out ends the output, except at an FM 9. */
  private fracDigit(pattern: string): string {
    const digit = this.r.frac?.[this.fracPos++];
    if (digit !== undefined) {
      this.digitShown = true;
      return digit;
    }
    this.ranOut = true;
    if (this.lay.fm && pattern === '9') return '';
    this.stopped = true;
    return this.sign.trailing;
  }
}

// ---------------------------------------------------------------------------------------------
// RN and EEEE

const ROMAN: [number, string][] = [
  [1000, 'M'],
  [900, 'CM'],
  [500, 'D'],
  [400, 'CD'],
  [100, 'C'],
  [90, 'XC'],
  [50, 'L'],
  [40, 'XL'],
  [10, 'X'],
  [9, 'IX'],
  [5, 'V'],
  [4, 'IV'],
  [1, 'I'],
];

function roman(n: number | null, lower: boolean, fm: boolean): string {
  if (n === null || n < 1 || n > 3999) return '#'.repeat(15);
  let rest = n;
  let s = '';
  for (const [value, letters] of ROMAN) {
    while (rest >= value) {
      s += letters;
      rest -= value;
    }
  }
  if (lower) s = s.toLowerCase();
  return fm ? s : s.padStart(15, ' ');
}

/** A template with RN prints the numeral and literal text; other patterns print blanks or nothing. */
function printRoman(n: number | null, lay: Layout): string {
  const blank = lay.fm ? '' : ' ';
  let out = '';
  for (const tok of lay.tokens) {
    if (tok.kind === 'RN') out += roman(n, tok.lower, lay.fm);
    else if (tok.kind === 'text') out += tok.text;
    else if (tok.kind === 'L') out += ' ';
    else if (tok.kind === 'group' || tok.kind === 'MI' || tok.kind === 'PL') out += blank;
  }
  return out;
}

/** Scientific notation: d.ddd, 'e', a signed exponent of two digits or more. */
function printScientific(src: Source, lay: Layout): string {
  if (src.special !== undefined) return ` ${'#'.repeat(lay.pre)}.${'#'.repeat(lay.post + 4)}`;
  let exponent = src.abs.coef === 0n ? 0 : magnitude(src.abs);
  let mantissa = roundDec(shifted(src.abs, -exponent), lay.post, src.halfEven);
  // printf renormalises a mantissa that rounds up to 10; numeric keeps it.
  if (src.halfEven && magnitude(mantissa) > 0) {
    exponent++;
    mantissa = roundDec(shifted(src.abs, -exponent), lay.post, true);
  }
  const [int, frac] = splitDec(mantissa);
  const exp = `${exponent < 0 ? '-' : '+'}${String(Math.abs(exponent)).padStart(2, '0')}`;
  return `${src.negative ? '-' : ' '}${int}${lay.post > 0 ? `.${frac}` : ''}e${exp}`;
}

// ---------------------------------------------------------------------------------------------
// to_char entry points

/**
 * Formats a value; `source(shift)` gives the value multiplied by 10^shift (V) in its type's
 * arithmetic, `romanValue` the integer RN prints (null: out of range).
 */
function format(fmt: string, source: (shift: number) => Source, romanValue: () => number | null): string {
  const lay = buildLayout(fmt);
  if (lay.seen.has('RN')) return printRoman(romanValue(), lay);
  if (lay.seen.has('EEEE')) return printScientific(source(0), lay);
  return new Printer(render(source(lay.shift), lay), lay).run();
}

/** An integer times 10^shift, which must stay inside its type (`limit` is 2^31 or 2^63). */
function fromBigInt(v: bigint, shift: number, limit: bigint, word: string): Source {
  const scaled = v * pow10(shift);
  if (scaled >= limit || scaled < -limit) throw sqlErr('VALUE_OUT_OF_RANGE', `${word} out of range`);
  return { negative: v < 0n, abs: { coef: scaled < 0n ? -scaled : scaled, scale: 0 }, halfEven: false };
}

function fromDouble(x: number, sigDigits: number): Source {
  const negative = x < 0 || Object.is(x, -0);
  if (Number.isNaN(x))
    return { negative: false, special: 'NaN', abs: { coef: 0n, scale: 0 }, sigDigits, halfEven: true };
  if (!Number.isFinite(x))
    return { negative, special: 'Infinity', abs: { coef: 0n, scale: 0 }, sigDigits, halfEven: true };
  return { negative, abs: exactDouble(x), sigDigits, halfEven: true };
}

function fromNumeric(v: Numeric, shift: number): Source {
  if (v.isNaN()) return { negative: false, special: 'NaN', abs: { coef: 0n, scale: 0 }, halfEven: false };
  if (!v.isFinite())
    return { negative: v.sign() < 0, special: 'Infinity', abs: { coef: 0n, scale: 0 }, halfEven: false };
  const coef = v.coef < 0n ? -v.coef : v.coef;
  return { negative: v.coef < 0n, abs: shifted({ coef, scale: v.scale }, shift), halfEven: false };
}

/** RN takes an int4: wider integers and numerics fail as the int4 cast does. */
function checkedInt4(n: bigint): number {
  if (n < -2147483648n || n > 2147483647n) throw sqlErr('VALUE_OUT_OF_RANGE', 'integer out of range');
  return Number(n);
}

/** Floats round to even for RN; NaN, infinities and values past int4 print as #. */
function floatRoman(x: number): number | null {
  if (!Number.isFinite(x)) return null;
  const n = Math.abs(x % 1) === 0.5 ? 2 * Math.round(x / 2) : Math.round(x);
  return n < -2147483648 || n > 2147483647 ? null : n;
}

export function int4ToChar(value: number, fmt: string): string {
  const lay = buildLayout(fmt);
  if (lay.seen.has('EEEE')) return printScientific(fromDouble(value, 15), lay);
  return format(
    fmt,
    (shift) => fromBigInt(BigInt(value), shift, 2n ** 31n, 'integer'),
    () => value,
  );
}

export function int8ToChar(value: bigint, fmt: string): string {
  return format(
    fmt,
    (shift) => fromBigInt(value, shift, 2n ** 63n, 'bigint'),
    () => checkedInt4(value),
  );
}

export function float4ToChar(value: number, fmt: string): string {
  const x = Math.fround(value);
  return format(
    fmt,
    (shift) => fromDouble(Math.fround(x * 10 ** shift), 6),
    () => floatRoman(x),
  );
}

export function float8ToChar(value: number, fmt: string): string {
  return format(
    fmt,
    (shift) => fromDouble(value * 10 ** shift, 15),
    () => floatRoman(value),
  );
}

export function numericToChar(value: Numeric, fmt: string): string {
  return format(
    fmt,
    (shift) => fromNumeric(value, shift),
    () => {
      if (value.isNaN()) throw sqlErr('FEATURE_NOT_SUPPORTED', 'cannot convert NaN to integer');
      if (!value.isFinite()) throw sqlErr('FEATURE_NOT_SUPPORTED', 'cannot convert infinity to integer');
      return checkedInt4(value.withScale(0).coef);
    },
  );
}

// ---------------------------------------------------------------------------------------------
// to_number

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';

/** Characters that carry the number; non-data patterns (L, TH, MI, …) never swallow them. */
const isData = (c: string | undefined): boolean => isDigit(c) || c === '-' || c === '+' || c === '.' || c === ',';

/**
 * The signs each anchored sign pattern accepts on input (it skips one non-data character
 * otherwise). S takes nothing where it stands: under S a sign right after a digit or the point
 * counts.
 */
const SIGN_INPUT: Partial<Record<Kind, string>> = { MI: '-', PL: '+', SG: '-+' };

/** The state of a to_number scan. */
class Reader {
  private i = 0;
  int = '';
  frac = '';
  negative = false;
  private signKnown = false;
  private pointRead = false;
  /** The sign character taken (' ' when none), as error messages show it. */
  sign = ' ';
  /** Where the input stands just after a sign taken by S or in front of the number. */
  private afterFloatingSign = -1;
  /** S: a sign right after any position's character is taken without using a position. */
  private readonly floatingS: boolean;
  /** MI, PL, SG: a '-' met at a digit position makes the number negative. */
  private readonly signAnchored: boolean;

  constructor(
    private readonly chars: string[],
    private readonly lay: Layout,
  ) {
    const has = (k: Kind) => lay.seen.has(k);
    this.floatingS = has('S');
    this.signAnchored = has('MI') || has('PL') || has('SG');
  }

  private get c(): string | undefined {
    return this.chars[this.i];
  }

  run(): void {
    for (const tok of this.lay.tokens) this.token(tok);
  }

  private token(tok: Token): void {
    const accepts = SIGN_INPUT[tok.kind];
    if (accepts !== undefined) {
      this.anchoredSign(accepts);
      return;
    }
    switch (tok.kind) {
      case 'digit':
      case 'point':
        this.position(tok.kind === 'digit');
        return;
      case 'group':
        if (this.c === ',' && !this.lay.fm) this.i++;
        return;
      case 'PR':
        if (this.c === '>') this.i++;
        return;
      case 'L':
        this.skipNonData(1);
        return;
      case 'TH':
        this.skipNonData(2);
        return;
      case 'text':
        this.i += Array.from(tok.text).length;
        return;
    }
  }

  /** MI, PL or SG where it stands: a sign it accepts, else one non-data character skipped. */
  private anchoredSign(accepts: string): void {
    const c = this.c;
    if (c === undefined) return;
    if (accepts.includes(c)) this.setSign(c);
    if (accepts.includes(c) || !isData(c)) this.i++;
  }

  private setSign(c: string): void {
    this.negative = c === '-';
    this.sign = this.negative ? '-' : '+';
    this.signKnown = true;
  }

  private skipNonData(count: number): void {
    for (let k = 0; k < count && this.c !== undefined && !isData(this.c); k++) this.i++;
  }

  private get started(): boolean {
    return this.int !== '' || this.frac !== '';
  }

  /** Before the first digit, while no sign is known, a sign ('<' too under PR) is free. */
  private leadingSign(): void {
    if (this.signKnown) return;
    const c = this.c;
    if (c === '-' || c === '+' || (c === '<' && this.lay.seen.has('PR'))) {
      this.setSign(c === '+' ? '+' : '-');
      this.afterFloatingSign = ++this.i;
    }
  }

  /** A position skips one blank first, unless the blank follows a floating sign (S or leading). */
  private skipBlank(): void {
    if (this.c === ' ' && this.i !== this.afterFloatingSign) this.i++;
  }

  /** Under S, a sign right after a digit or the decimal point is taken for free. */
  private signAfter(): void {
    const c = this.c;
    if (this.floatingS && !this.signKnown && (c === '-' || c === '+')) {
      this.setSign(c);
      this.afterFloatingSign = ++this.i;
    }
  }

  /**
   * A digit position (the template's point is one too, but takes no leading sign): a blank may
   * be skipped and a leading sign taken, then one character: a digit, the input's decimal point,
   * a '-' when MI, PL or SG anchor the sign, or anything else, which is dropped.
   */
  private position(digit: boolean): void {
    this.skipBlank();
    if (!this.started && digit) this.leadingSign();
    const c = this.c;
    if (c === undefined) return;
    this.i++;
    if (isDigit(c)) {
      if (this.pointRead) this.frac += c;
      else this.int += c;
      this.signAfter();
    } else if (c === '.' && this.lay.hasPoint && !this.pointRead) {
      this.pointRead = true;
      this.signAfter();
    } else if (c === '-' && this.signAnchored && !this.signKnown && this.started) {
      this.setSign(c);
    }
  }
}

function notForInput(kind: Kind): void {
  if (kind === 'RN' || kind === 'EEEE') throw sqlErr('FEATURE_NOT_SUPPORTED', `"${kind}" not supported for input`);
}

export function toNumber(value: string, fmt: string): Numeric | null {
  if (fmt === '') return null;
  const lay = buildLayout(fmt);
  for (const tok of lay.tokens) notForInput(tok.kind);
  const reader = new Reader(Array.from(value), lay);
  reader.run();
  // Fraction digits beyond the template's are dropped (truncated).
  const frac = reader.frac.slice(0, lay.post);
  if (reader.int === '' && frac === '') {
    throw sqlErr('INVALID_TEXT_REPRESENTATION', `invalid input syntax for type numeric: "${reader.sign}"`);
  }
  const intDigits = reader.int.replace(/^0+/, '');
  if (intDigits.length > lay.pre) {
    throw sqlErr('VALUE_OUT_OF_RANGE', 'numeric field overflow', {
      detail: `A field with precision ${lay.pre + frac.length}, scale ${frac.length} must round to an absolute value less than ${
        lay.pre === 0 ? '1' : `10^${lay.pre}`
      }.`,
    });
  }
  let result = Numeric.parse(`${reader.negative ? '-' : ''}${reader.int || '0'}${frac ? `.${frac}` : ''}`);
  // V divides by multiplying with 10^-n held to 16 decimals (so more than 16 places give 0).
  if (lay.seen.has('V')) result = result.mul(Numeric.of(lay.shift > 16 ? 0n : pow10(16 - lay.shift), 16));
  return result;
}
