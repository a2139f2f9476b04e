/**
 * Text input and output of 1-D arrays (`{1,2,NULL}`, `{"a b",c}`), following PostgreSQL's
 * array_in / array_out with the comma delimiter every ThinkLite type uses.
 */
import type { Datum } from './datum.js';
import { sqlError } from './errors.js';

const ARRAY_WS = ' \t\n\r\v\f';

function malformed(text: string, detail: string): Error {
  return sqlError('INVALID_TEXT_REPRESENTATION', `malformed array literal: "${text}"`, { detail });
}

/** Whether array_out must double-quote an element's text. */
function needsQuotes(s: string): boolean {
  if (s === '' || s.toLowerCase() === 'null') return true;
  for (const c of s) {
    if (c === '"' || c === '\\' || c === '{' || c === '}' || c === ',' || ARRAY_WS.includes(c)) return true;
  }
  return false;
}

/**
 * array_out: `{` elements `}` separated by commas, NULL as `NULL`, elements quoted when empty,
 * `NULL`-like, or holding `"` `\` `{` `}` `,` or whitespace, with `"` and `\` backslash-escaped.
 */
export function formatArray(values: readonly Datum[], formatElem: (d: Datum) => string): string {
  const parts = values.map((v) => {
    if (v === null) return 'NULL';
    const s = formatElem(v);
    return needsQuotes(s) ? `"${s.replace(/["\\]/g, '\\$&')}"` : s;
  });
  return `{${parts.join(',')}}`;
}

/**
 * array_in for 1-D arrays: `{}`, unquoted elements (surrounding whitespace dropped, backslash
 * escapes honoured, `NULL` in any case is SQL NULL), double-quoted elements. Errors are
 * `malformed array literal` (22P02) with PostgreSQL's detail; nested braces (multidimensional
 * arrays) and dimension decorations are not supported (0A000).
 */
export function parseArray(text: string, parseElem: (s: string) => Datum): Datum[] {
  let i = 0;
  const n = text.length;
  const skipWs = () => {
    while (i < n && ARRAY_WS.includes(text.charAt(i))) i++;
  };
  skipWs();
  if (text.charAt(i) === '[') {
    throw sqlError('FEATURE_NOT_SUPPORTED', 'array dimension decorations are not supported');
  }
  if (text.charAt(i) !== '{') throw malformed(text, 'Array value must start with "{" or dimension information.');
  i++;
  const out: Datum[] = [];
  skipWs();
  if (text.charAt(i) === '}') {
    i++;
    skipWs();
    if (i < n) throw malformed(text, 'Junk after closing right brace.');
    return out;
  }
  for (;;) {
    skipWs();
    if (i >= n) throw malformed(text, 'Unexpected end of input.');
    const c = text.charAt(i);
    if (c === '{') throw sqlError('FEATURE_NOT_SUPPORTED', 'multidimensional arrays are not supported');
    if (c === ',' || c === '}') throw malformed(text, `Unexpected "${c}" character.`);
    let value = '';
    let quoted = false;
    let sawQuoted = false;
    let sawEscape = false;
    // Trailing unquoted whitespace is dropped; whitespace inside quotes or escaped is kept.
    let keepUpTo = 0;
    while (i < n) {
      const ch = text.charAt(i);
      if (ch === '\\') {
        if (i + 1 >= n) throw malformed(text, 'Unexpected end of input.');
        value += text.charAt(i + 1);
        keepUpTo = value.length;
        sawEscape = true;
        i += 2;
        continue;
      }
      if (quoted) {
        if (ch === '"') quoted = false;
        else {
          value += ch;
          keepUpTo = value.length;
        }
        i++;
        continue;
      }
      if (ch === '"') {
        if (value.length > 0 && !sawQuoted) throw malformed(text, 'Unexpected array element.');
        quoted = true;
        sawQuoted = true;
        i++;
        continue;
      }
      if (ch === ',' || ch === '}') break;
      if (ch === '{') throw malformed(text, 'Unexpected "{" character.');
      if (sawQuoted && !ARRAY_WS.includes(ch)) throw malformed(text, 'Unexpected array element.');
      value += ch;
      if (!ARRAY_WS.includes(ch)) keepUpTo = value.length;
      i++;
    }
    if (quoted || i >= n) throw malformed(text, 'Unexpected end of input.');
    value = value.slice(0, keepUpTo);
    out.push(!sawQuoted && !sawEscape && value.toLowerCase() === 'null' ? null : parseElem(value));
    const sep = text.charAt(i);
    i++;
    if (sep === '}') break;
  }
  skipWs();
  if (i < n) throw malformed(text, 'Junk after closing right brace.');
  return out;
}
