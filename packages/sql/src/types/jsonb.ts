/**
 * json and jsonb.
 *
 * json is kept as the text it was given (validated with PostgreSQL's JSON grammar). jsonb is a
 * parsed tree, {@link JsonbValue}, normalised as PostgreSQL stores it: numbers are exact
 * {@link Numeric}s (so `1.50` keeps its scale), object keys are unique (the last duplicate wins)
 * and sorted shorter-first, then bytewise, and output is PostgreSQL's jsonb text
 * (`{"a": 1, "b": [1, 2]}`). Comparison follows PostgreSQL's jsonb btree order.
 */
import { sqlError } from './errors.js';
import { Numeric } from './numeric.js';
import { compareCodePoints } from './text-compare.js';

export type JsonbValue =
  | { readonly type: 'null' }
  | { readonly type: 'boolean'; readonly value: boolean }
  | { readonly type: 'number'; readonly value: Numeric }
  | { readonly type: 'string'; readonly value: string }
  | { readonly type: 'array'; readonly items: readonly JsonbValue[] }
  /** Entries in PostgreSQL's storage order: shorter keys first, then bytewise; keys unique. */
  | { readonly type: 'object'; readonly entries: readonly (readonly [string, JsonbValue])[] };

export const JSONB_NULL: JsonbValue = Object.freeze({ type: 'null' });
export const JSONB_TRUE: JsonbValue = Object.freeze({ type: 'boolean', value: true });
export const JSONB_FALSE: JsonbValue = Object.freeze({ type: 'boolean', value: false });

export function jsonbString(value: string): JsonbValue {
  return { type: 'string', value };
}

export function jsonbNumber(value: Numeric): JsonbValue {
  return { type: 'number', value };
}

export function jsonbArray(items: readonly JsonbValue[]): JsonbValue {
  return { type: 'array', items };
}

/** Builds an object from entries in any order: sorted as PostgreSQL stores keys, last duplicate wins. */
export function jsonbObject(entries: Iterable<readonly [string, JsonbValue]>): JsonbValue {
  const map = new Map<string, JsonbValue>();
  for (const [k, v] of entries) map.set(k, v);
  const sorted = [...map.entries()].sort((a, b) => compareKeys(a[0], b[0]));
  return { type: 'object', entries: sorted };
}

/** PostgreSQL's jsonb key storage order: by UTF-8 length, then bytewise. */
export function compareKeys(a: string, b: string): number {
  if (a === b) return 0;
  const la = utf8Length(a);
  const lb = utf8Length(b);
  if (la !== lb) return la < lb ? -1 : 1;
  return compareCodePoints(a, b);
}

function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

// --- parsing --------------------------------------------------------------------------------

class JsonSyntax extends Error {
  constructor(
    readonly detail: string,
    readonly unsupportedEscape = false,
  ) {
    super(detail);
  }
}

const DELIMS = new Set([' ', '\t', '\n', '\r', ',', ':', '[', ']', '{', '}', '"']);

/**
 * A recursive-descent parser for PostgreSQL's JSON grammar (RFC 8259; whitespace is space, tab,
 * newline, carriage return). `build` false only validates.
 */
class JsonParser {
  private pos = 0;

  constructor(
    private readonly text: string,
    private readonly forJsonb: boolean,
  ) {}

  parseDocument(): JsonbValue {
    const v = this.value();
    this.ws();
    if (this.pos < this.text.length) throw new JsonSyntax(`Expected end of input, but found "${this.token()}".`);
    return v;
  }

  private ws(): void {
    while (this.pos < this.text.length) {
      const c = this.text.charAt(this.pos);
      if (c === ' ' || c === '\t' || c === '\n' || c === '\r') this.pos++;
      else break;
    }
  }

  /** The token at the current position, as PostgreSQL's lexer delimits it (for messages). */
  private token(): string {
    const c = this.text.charAt(this.pos);
    if (c === '"') {
      const end = this.scanStringEnd();
      return this.text.slice(this.pos, end);
    }
    if (DELIMS.has(c)) return c;
    let e = this.pos;
    while (e < this.text.length && !DELIMS.has(this.text.charAt(e))) e++;
    return this.text.slice(this.pos, e);
  }

  private scanStringEnd(): number {
    let i = this.pos + 1;
    while (i < this.text.length) {
      const c = this.text.charAt(i);
      if (c === '\\') i += 2;
      else if (c === '"') return i + 1;
      else i++;
    }
    return this.text.length;
  }

  private end(): JsonSyntax {
    return new JsonSyntax('The input string ended unexpectedly.');
  }

  private value(): JsonbValue {
    this.ws();
    if (this.pos >= this.text.length) throw this.end();
    const c = this.text.charAt(this.pos);
    if (c === '{') return this.object();
    if (c === '[') return this.array();
    if (c === '"') return jsonbString(this.string());
    const tok = this.token();
    if (tok === '' || DELIMS.has(tok)) throw new JsonSyntax(`Expected JSON value, but found "${tok}".`);
    this.pos += tok.length;
    if (tok === 'true') return JSONB_TRUE;
    if (tok === 'false') return JSONB_FALSE;
    if (tok === 'null') return JSONB_NULL;
    if (/^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/.test(tok)) {
      return this.forJsonb ? jsonbNumber(Numeric.parse(tok)) : JSONB_NULL;
    }
    throw new JsonSyntax(`Token "${tok}" is invalid.`);
  }

  private object(): JsonbValue {
    this.pos++;
    const entries: [string, JsonbValue][] = [];
    this.ws();
    if (this.text.charAt(this.pos) === '}') {
      this.pos++;
      return jsonbObject(entries);
    }
    for (;;) {
      this.ws();
      if (this.pos >= this.text.length) throw this.end();
      if (this.text.charAt(this.pos) !== '"') throw new JsonSyntax(`Expected string, but found "${this.token()}".`);
      const key = this.string();
      this.ws();
      if (this.pos >= this.text.length) throw this.end();
      if (this.text.charAt(this.pos) !== ':') throw new JsonSyntax(`Expected ":", but found "${this.token()}".`);
      this.pos++;
      entries.push([key, this.value()]);
      this.ws();
      if (this.pos >= this.text.length) throw this.end();
      const c = this.text.charAt(this.pos);
      if (c === ',') {
        this.pos++;
        continue;
      }
      if (c === '}') {
        this.pos++;
        return this.forJsonb ? jsonbObject(entries) : JSONB_NULL;
      }
      throw new JsonSyntax(`Expected "," or "}", but found "${this.token()}".`);
    }
  }

  private array(): JsonbValue {
    this.pos++;
    const items: JsonbValue[] = [];
    this.ws();
    if (this.text.charAt(this.pos) === ']') {
      this.pos++;
      return jsonbArray(items);
    }
    for (;;) {
      items.push(this.value());
      this.ws();
      if (this.pos >= this.text.length) throw this.end();
      const c = this.text.charAt(this.pos);
      if (c === ',') {
        this.pos++;
        continue;
      }
      if (c === ']') {
        this.pos++;
        return jsonbArray(items);
      }
      throw new JsonSyntax(`Expected "," or "]", but found "${this.token()}".`);
    }
  }

  private string(): string {
    this.pos++; // opening quote
    let out = '';
    let highSurrogate = -1;
    while (this.pos < this.text.length) {
      const c = this.text.charAt(this.pos);
      const code = c.charCodeAt(0);
      if (c === '"') {
        if (highSurrogate >= 0) throw new JsonSyntax('Unicode low surrogate must follow a high surrogate.');
        this.pos++;
        return out;
      }
      if (code < 0x20) {
        throw new JsonSyntax(`Character with value 0x${code.toString(16).padStart(2, '0')} must be escaped.`);
      }
      if (c !== '\\') {
        if (highSurrogate >= 0) throw new JsonSyntax('Unicode low surrogate must follow a high surrogate.');
        out += c;
        this.pos++;
        continue;
      }
      const e = this.text.charAt(this.pos + 1);
      if (e === '') throw this.end();
      if (e === 'u') {
        const hex = this.text.slice(this.pos + 2, this.pos + 6);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) {
          if (this.pos + 6 > this.text.length && /^[0-9a-fA-F]*$/.test(hex)) throw this.end();
          throw new JsonSyntax('"\\u" must be followed by four hexadecimal digits.');
        }
        const u = Number.parseInt(hex, 16);
        this.pos += 6;
        if (u >= 0xd800 && u <= 0xdbff) {
          if (highSurrogate >= 0) throw new JsonSyntax('Unicode high surrogate must not follow a high surrogate.');
          highSurrogate = u;
          continue;
        }
        if (u >= 0xdc00 && u <= 0xdfff) {
          if (highSurrogate < 0) throw new JsonSyntax('Unicode low surrogate must follow a high surrogate.');
          out += String.fromCharCode(highSurrogate, u);
          highSurrogate = -1;
          continue;
        }
        if (highSurrogate >= 0) throw new JsonSyntax('Unicode low surrogate must follow a high surrogate.');
        if (u === 0 && this.forJsonb) throw new JsonSyntax('\\u0000 cannot be converted to text.', true);
        out += String.fromCharCode(u);
        continue;
      }
      if (highSurrogate >= 0) throw new JsonSyntax('Unicode low surrogate must follow a high surrogate.');
      const simple: Record<string, string> = {
        '"': '"',
        '\\': '\\',
        '/': '/',
        b: '\b',
        f: '\f',
        n: '\n',
        r: '\r',
        t: '\t',
      };
      const r = simple[e];
      if (r === undefined) {
        const cp = this.text.codePointAt(this.pos + 1) ?? 0;
        throw new JsonSyntax(`Escape sequence "\\${String.fromCodePoint(cp)}" is invalid.`);
      }
      out += r;
      this.pos += 2;
    }
    throw this.end();
  }
}

function runParser(text: string, forJsonb: boolean): JsonbValue {
  try {
    return new JsonParser(text, forJsonb).parseDocument();
  } catch (e) {
    if (e instanceof JsonSyntax) {
      if (e.unsupportedEscape) {
        // PostgreSQL: 22P05 untranslatable_character; the closest catalogue code is 22P02.
        throw sqlError('INVALID_TEXT_REPRESENTATION', 'unsupported Unicode escape sequence', { detail: e.detail });
      }
      throw sqlError('INVALID_TEXT_REPRESENTATION', 'invalid input syntax for type json', { detail: e.detail });
    }
    throw e;
  }
}

/** jsonb_in: parses and normalises; errors are `invalid input syntax for type json` (22P02). */
export function parseJsonb(text: string): JsonbValue {
  return runParser(text, true);
}

/** json_in: validates and keeps the text exactly as given. */
export function parseJson(text: string): string {
  runParser(text, false);
  return text;
}

// --- output ---------------------------------------------------------------------------------

/** escape_json: `"`, `\\`, \b \f \n \r \t, other control characters as \u00XX. */
export function quoteJsonString(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charAt(i);
    const code = s.charCodeAt(i);
    switch (c) {
      case '"':
        out += '\\"';
        break;
      case '\\':
        out += '\\\\';
        break;
      case '\b':
        out += '\\b';
        break;
      case '\f':
        out += '\\f';
        break;
      case '\n':
        out += '\\n';
        break;
      case '\r':
        out += '\\r';
        break;
      case '\t':
        out += '\\t';
        break;
      default:
        out += code < 0x20 ? `\\u${code.toString(16).padStart(4, '0')}` : c;
    }
  }
  return `${out}"`;
}

/** jsonb_out: `{"a": 1, "b": [1, 2]}` (": " and ", " separators). */
export function formatJsonb(v: JsonbValue): string {
  switch (v.type) {
    case 'null':
      return 'null';
    case 'boolean':
      return v.value ? 'true' : 'false';
    case 'number':
      return v.value.toString();
    case 'string':
      return quoteJsonString(v.value);
    case 'array':
      return `[${v.items.map(formatJsonb).join(', ')}]`;
    case 'object':
      return `{${v.entries.map(([k, x]) => `${quoteJsonString(k)}: ${formatJsonb(x)}`).join(', ')}}`;
  }
}

/** A canonical text, equal for jsonb values that compare equal (numbers normalised), for hashing. */
export function jsonbHashKey(v: JsonbValue): string {
  switch (v.type) {
    case 'number':
      return `n${v.value.canonicalKey()}`;
    case 'array':
      return `[${v.items.map(jsonbHashKey).join(',')}]`;
    case 'object':
      return `{${v.entries.map(([k, x]) => `${quoteJsonString(k)}:${jsonbHashKey(x)}`).join(',')}}`;
    default:
      return formatJsonb(v);
  }
}

// --- comparison -----------------------------------------------------------------------------

const TYPE_RANK: Record<JsonbValue['type'], number> = {
  null: 0,
  string: 1,
  number: 2,
  boolean: 3,
  array: 4,
  object: 5,
};

function compareScalars(a: JsonbValue, b: JsonbValue): number {
  if (a.type === 'string' && b.type === 'string') return compareCodePoints(a.value, b.value);
  if (a.type === 'number' && b.type === 'number') return a.value.compare(b.value);
  if (a.type === 'boolean' && b.type === 'boolean') return a.value === b.value ? 0 : a.value ? 1 : -1;
  return 0; // null = null
}

function compareNested(a: JsonbValue, b: JsonbValue): number {
  if (a.type !== b.type) return TYPE_RANK[a.type] < TYPE_RANK[b.type] ? -1 : 1;
  if (a.type === 'array' && b.type === 'array') {
    if (a.items.length !== b.items.length) return a.items.length < b.items.length ? -1 : 1;
    for (let i = 0; i < a.items.length; i++) {
      const c = compareNested(a.items[i] as JsonbValue, b.items[i] as JsonbValue);
      if (c !== 0) return c;
    }
    return 0;
  }
  if (a.type === 'object' && b.type === 'object') {
    if (a.entries.length !== b.entries.length) return a.entries.length < b.entries.length ? -1 : 1;
    for (let i = 0; i < a.entries.length; i++) {
      const [ka, va] = a.entries[i] as readonly [string, JsonbValue];
      const [kb, vb] = b.entries[i] as readonly [string, JsonbValue];
      const ck = compareCodePoints(ka, kb);
      if (ck !== 0) return ck;
      const cv = compareNested(va, vb);
      if (cv !== 0) return cv;
    }
    return 0;
  }
  return compareScalars(a, b);
}

function isScalar(v: JsonbValue): boolean {
  return v.type !== 'array' && v.type !== 'object';
}

/**
 * PostgreSQL's jsonb ordering: Object > Array > Boolean > Number > String > Null; arrays by
 * length then elements, objects by pair count then (key, value) pairs in storage order; strings
 * by code point (the C collation). A top-level scalar is PostgreSQL's one-element "raw scalar"
 * array: it sorts below arrays of one element, but by length against other arrays (so `'1' >
 * '[]'` and `'1' < '[1, 2]'`), as PostgreSQL's compareJsonbContainers does.
 */
export function compareJsonb(a: JsonbValue, b: JsonbValue): number {
  const sa = isScalar(a);
  const sb = isScalar(b);
  if (sa && sb) return compareNested(a, b);
  if (sa && b.type === 'array') return b.items.length === 0 ? 1 : -1;
  if (sb && a.type === 'array') return a.items.length === 0 ? -1 : 1;
  if (sa) return -1; // scalar (an array at the root) < object
  if (sb) return 1;
  return compareNested(a, b);
}

export function equalsJsonb(a: JsonbValue, b: JsonbValue): boolean {
  return compareJsonb(a, b) === 0;
}

// --- containment and access -----------------------------------------------------------------

function deepContains(a: JsonbValue, b: JsonbValue): boolean {
  if (a.type === 'object' && b.type === 'object') {
    for (const [k, bv] of b.entries) {
      const av = objectGet(a, k);
      if (av === undefined) return false;
      if (isScalar(bv)) {
        if (av.type !== bv.type || compareScalars(av, bv) !== 0) return false;
      } else {
        if (av.type !== bv.type || !deepContains(av, bv)) return false;
      }
    }
    return true;
  }
  if (a.type === 'array' && b.type === 'array') {
    for (const bv of b.items) {
      if (isScalar(bv)) {
        if (!a.items.some((av) => av.type === bv.type && compareScalars(av, bv) === 0)) return false;
      } else if (!a.items.some((av) => av.type === bv.type && deepContains(av, bv))) return false;
    }
    return true;
  }
  return false;
}

/**
 * `a @> b`: containment as PostgreSQL defines it (objects: every pair of b is in a, values
 * contained recursively; arrays: every element of b matches some element of a, in any order and
 * multiplicity; a top-level array contains a top-level scalar it holds, but not vice versa).
 */
export function jsonbContains(a: JsonbValue, b: JsonbValue): boolean {
  const ra: JsonbValue = isScalar(a) ? jsonbArray([a]) : a;
  const rb: JsonbValue = isScalar(b) ? jsonbArray([b]) : b;
  if ((ra.type === 'object') !== (rb.type === 'object')) return false;
  if (isScalar(a) && !isScalar(b)) return false;
  return deepContains(ra, rb);
}

/** `a <@ b`. */
export function jsonbContained(a: JsonbValue, b: JsonbValue): boolean {
  return jsonbContains(b, a);
}

function objectGet(o: JsonbValue, key: string): JsonbValue | undefined {
  if (o.type !== 'object') return undefined;
  // Entries are sorted by compareKeys: binary search.
  let lo = 0;
  let hi = o.entries.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const e = o.entries[mid] as readonly [string, JsonbValue];
    const c = compareKeys(e[0], key);
    if (c === 0) return e[1];
    if (c < 0) lo = mid + 1;
    else hi = mid - 1;
  }
  return undefined;
}

/**
 * `jsonb -> text` (object field) or `jsonb -> int` (array element, negative from the end); null if
 * absent. As in PostgreSQL, a top-level scalar subscripts as a one-element array (`'"a"' -> 0`).
 */
export function jsonbGet(v: JsonbValue, key: string | number): JsonbValue | null {
  if (typeof key === 'string') return objectGet(v, key) ?? null;
  if (v.type === 'object') return null;
  const items = v.type === 'array' ? v.items : [v];
  const i = key < 0 ? items.length + key : key;
  return items[i] ?? null;
}

/** The text form `->>` and `#>>` return: strings unquoted, JSON null as SQL NULL. */
export function jsonbToTextValue(v: JsonbValue | null): string | null {
  if (v === null || v.type === 'null') return null;
  if (v.type === 'string') return v.value;
  return formatJsonb(v);
}

/** `jsonb ->> text|int`. */
export function jsonbGetText(v: JsonbValue, key: string | number): string | null {
  return jsonbToTextValue(jsonbGet(v, key));
}

/** `jsonb #> text[]`: follows a path of keys / array indexes; null where it leads nowhere. */
export function jsonbGetPath(v: JsonbValue, path: readonly (string | null)[]): JsonbValue | null {
  let cur: JsonbValue = v;
  for (const step of path) {
    if (step === null) return null;
    if (cur.type === 'object') {
      const next = objectGet(cur, step);
      if (next === undefined) return null;
      cur = next;
    } else if (cur.type === 'array') {
      if (!/^\s*[+-]?\d+\s*$/.test(step)) return null;
      const i = Number(step);
      const next = cur.items[i < 0 ? cur.items.length + i : i] ?? null;
      if (next === null) return null;
      cur = next;
    } else return null;
  }
  return cur;
}

/** `jsonb #>> text[]`. */
export function jsonbGetPathText(v: JsonbValue, path: readonly (string | null)[]): string | null {
  return jsonbToTextValue(jsonbGetPath(v, path));
}

/** `jsonb ? text`: a top-level object key, or a string element of a top-level array (or scalar). */
export function jsonbExists(v: JsonbValue, key: string): boolean {
  if (v.type === 'object') return objectGet(v, key) !== undefined;
  if (v.type === 'array') return v.items.some((x) => x.type === 'string' && x.value === key);
  return v.type === 'string' && v.value === key;
}

/** `jsonb ?| text[]`. */
export function jsonbExistsAny(v: JsonbValue, keys: readonly (string | null)[]): boolean {
  return keys.some((k) => k !== null && jsonbExists(v, k));
}

/** `jsonb ?& text[]`. */
export function jsonbExistsAll(v: JsonbValue, keys: readonly (string | null)[]): boolean {
  return keys.every((k) => k === null || jsonbExists(v, k));
}

/** The type names PostgreSQL's jsonb cast errors use (`cannot cast jsonb numeric to type integer`). */
export function jsonbTypeName(v: JsonbValue): string {
  switch (v.type) {
    case 'number':
      return 'numeric';
    case 'boolean':
      return 'boolean';
    default:
      return v.type;
  }
}
