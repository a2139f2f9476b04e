/**
 * Result formatting and comparison for sqllogictest: how a cell is printed for its column type,
 * the sort modes, the `N values hashing to <md5>` form, and matching errors against expectations.
 */
import { createHash } from 'node:crypto';
import type { SltErrorSpec, SltSortMode } from './parser.js';

/**
 * Prints one cell as the expected-results text shows it. `value` is PostgreSQL text output or null.
 * NULL → `NULL`; '' → `(empty)`; control characters → `@` (keeps every value on one line);
 * I: integer text as is, other numbers truncated toward zero; R: 3 decimal places;
 * B: `t`/`f` → `true`/`false`; `_`: always `_` (column present, value ignored); others: text.
 */
export function formatCell(value: string | null, type: string): string {
  if (type === '_') return '_';
  if (value === null) return 'NULL';
  if (value === '') return '(empty)';
  switch (type) {
    case 'I':
      if (/^[+-]?\d+$/.test(value)) return value.replace(/^\+/, '');
      if (isNumeric(value)) return formatInteger(Number(value));
      return cleanText(value);
    case 'R':
      return isNumeric(value) ? formatReal(Number(value)) : cleanText(value);
    case 'B':
      if (value === 't') return 'true';
      if (value === 'f') return 'false';
      return cleanText(value);
    default:
      return cleanText(value);
  }
}

const NUMERIC = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;
const isNumeric = (s: string) => NUMERIC.test(s.trim());
// biome-ignore lint/suspicious/noControlCharactersInRegex: replacing control characters is the point
const cleanText = (s: string) => s.replace(/[\u0000-\u001f\u007f]/g, '@');

function formatInteger(x: number): string {
  const t = Math.trunc(x);
  return Object.is(t, -0) ? '0' : BigInt(t).toString();
}

/** `%.3f` as sqllogictest prints floating-point values (half away from zero, like SQLite's printf). */
export function formatReal(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x > 0 ? 'Infinity' : '-Infinity';
  if (Math.abs(x) < 1e21) return x.toFixed(3);
  return `${BigInt(Math.trunc(x)).toString()}.000`;
}

/** Formats the rows of a result for the given type string (missing letters count as T). */
export function formatRows(rows: (string | null)[][], types: string): string[][] {
  return rows.map((row) => row.map((v, c) => formatCell(v, types[c] ?? 'T')));
}

/** Compares strings by UTF-8 bytes (code point order), as C's strcmp would. */
export function compareText(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

function compareArrays(a: string[], b: string[]): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const c = compareText(a[i] as string, b[i] as string);
    if (c !== 0) return c;
  }
  return a.length - b.length;
}

export const sortRows = (rows: string[][]): string[][] => [...rows].sort(compareArrays);
export const sortValues = (values: string[]): string[] => [...values].sort(compareText);

/** Applies a sort mode to formatted rows: the order in which values are compared and hashed. */
export function applySort(rows: string[][], mode: SltSortMode): string[][] {
  if (mode === 'rowsort') return sortRows(rows);
  if (mode === 'valuesort') return sortValues(rows.flat()).map((v) => [v]);
  return rows;
}

/** sqllogictest's result hash: the MD5 of every value followed by a newline, in hex. */
export function hashValues(values: string[]): string {
  const h = createHash('md5');
  for (const v of values) h.update(`${v}\n`, 'utf8');
  return h.digest('hex');
}

export const hashLine = (values: string[]): string => `${values.length} values hashing to ${hashValues(values)}`;

const tokens = (s: string): string[] => s.split(/\s+/).filter(Boolean);

export interface ComparisonResult {
  ok: boolean;
  /** 'value': one value per line; 'row': one row per line, whitespace-separated values. */
  layout: 'value' | 'row';
  /** Expected lines after sorting, for display. */
  expected: string[];
  /** Actual result in the same layout and order, for display. */
  actual: string[];
}

/**
 * Compares expected result lines against formatted actual rows. If there are exactly as many
 * expected lines as actual values, the lines are one value each (classic sqllogictest); otherwise
 * each line is a row whose whitespace-separated words are compared with the words of the values
 * (CockroachDB style). Both sides are sorted by the sort mode.
 */
export function compareResults(
  expectedLines: string[],
  actualRows: string[][],
  columns: number,
  mode: SltSortMode,
): ComparisonResult {
  const actualSorted = applySort(actualRows, mode);
  const nValues = actualRows.length * columns;
  if (expectedLines.length === nValues) {
    let values = expectedLines.map((l) => l.trimEnd());
    if (mode === 'rowsort') {
      const rows: string[][] = [];
      for (let i = 0; i < values.length; i += columns) rows.push(values.slice(i, i + columns));
      values = sortRows(rows).flat();
    } else if (mode === 'valuesort') values = sortValues(values);
    const actual = actualSorted.flat().map((v) => v.trimEnd());
    const ok = values.length === actual.length && values.every((v, i) => v === actual[i]);
    return { ok, layout: 'value', expected: values, actual };
  }
  let expected = expectedLines.map((l) => l.trim());
  if (mode === 'valuesort') {
    // Sort words, not lines: a row-per-line block holds several values per line.
    expected = sortValues(expected.flatMap(tokens));
    const actual = sortValues(actualRows.flat().flatMap(tokens));
    const ok = expected.length === actual.length && expected.every((t, i) => t === actual[i]);
    return { ok, layout: 'value', expected, actual };
  }
  if (mode === 'rowsort') expected = [...expected].sort((a, b) => compareArrays(tokens(a), tokens(b)));
  const want = expected.flatMap(tokens);
  const got = actualSorted.flat().flatMap(tokens);
  const ok = want.length === got.length && want.every((t, i) => t === got[i]);
  return { ok, layout: 'row', expected, actual: alignRows(actualSorted) };
}

/** Rows as lines with columns padded to a common width, two spaces apart (trailing space trimmed). */
export function alignRows(rows: string[][]): string[] {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((v, c) => {
      widths[c] = Math.max(widths[c] ?? 0, [...v].length);
    });
  }
  return rows.map((row) =>
    row
      .map((v, c) => (c === row.length - 1 ? v : v + ' '.repeat((widths[c] ?? 0) - [...v].length)))
      .join('  ')
      .trimEnd(),
  );
}

/**
 * The expected-results block for actual rows, as rewrite mode writes it: a hash line when the
 * value count exceeds the threshold (0 = never) or `forceHash`; one value per line for a single
 * column, valuesort or `valuePerLine`; otherwise aligned rows.
 */
export function renderResults(
  rows: string[][],
  mode: SltSortMode,
  opts: { hashThreshold?: number; forceHash?: boolean; valuePerLine?: boolean } = {},
): string[] {
  const sorted = applySort(rows, mode);
  const values = sorted.flat();
  const threshold = opts.hashThreshold ?? 0;
  if (opts.forceHash || (threshold > 0 && values.length > threshold)) return [hashLine(values)];
  const single = rows.every((r) => r.length <= 1);
  if (single || mode === 'valuesort' || opts.valuePerLine) return values;
  return alignRows(sorted);
}

/** Side-by-side `expected | actual` lines; `!` marks a differing line. */
export function sideBySide(expected: string[], actual: string[]): string[] {
  const left = ['expected', ...expected];
  const right = ['actual', ...actual];
  const width = Math.max(...left.map((l) => [...l].length));
  const n = Math.max(left.length, right.length);
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const l = left[i] ?? '';
    const r = right[i] ?? '';
    const mark = i === 0 || l.trim().split(/\s+/).join(' ') === r.trim().split(/\s+/).join(' ') ? '|' : '!';
    out.push(`${l}${' '.repeat(width - [...l].length)} ${mark} ${r}`.trimEnd());
  }
  return out;
}

/** An error as the runner sees it: what `SltConnection.query` threw. */
export interface SltErrorInfo {
  sqlstate?: string;
  message: string;
}

/** Turns a JS regex source from a test file into a RegExp, honouring leading Go-style `(?i)`/`(?s)` flags. */
function toRegExp(pattern: string): RegExp {
  let src = pattern;
  let flags = '';
  for (let m = /^\(\?([is]+)\)/.exec(src); m; m = /^\(\?([is]+)\)/.exec(src)) {
    for (const f of m[1] as string) if (!flags.includes(f)) flags += f;
    src = src.slice(m[0].length);
  }
  try {
    return new RegExp(src, flags);
  } catch {
    // Not a valid JS regex (e.g. RE2-only syntax): match it literally.
    return new RegExp(src.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), flags);
  }
}

/**
 * Checks an error against an expectation. Returns undefined when it matches, else why not.
 * The pattern is searched in the message, also with the `pq: ` (lib/pq, CockroachDB) and `ERROR: `
 * (psql) prefixes, so patterns written for those tools match.
 */
export function matchError(spec: SltErrorSpec, err: SltErrorInfo): string | undefined {
  const problems: string[] = [];
  if (spec.sqlstate !== undefined && err.sqlstate !== spec.sqlstate) {
    problems.push(`expected SQLSTATE ${spec.sqlstate}, got ${err.sqlstate ?? '(none)'}`);
  }
  if (spec.pattern !== undefined) {
    const re = toRegExp(spec.pattern);
    const candidates = [err.message, `pq: ${err.message}`, `ERROR: ${err.message}`];
    if (!candidates.some((c) => re.test(c))) problems.push(`expected message matching /${spec.pattern}/`);
  }
  if (spec.message !== undefined) {
    const m = err.message.trim();
    if (![m, `pq: ${m}`, `ERROR: ${m}`, `db error: ERROR: ${m}`].includes(spec.message)) {
      problems.push(`expected message ${JSON.stringify(spec.message)}`);
    }
  }
  return problems.length === 0 ? undefined : problems.join('; ');
}

/** Describes an error expectation for messages. */
export function describeErrorSpec(spec: SltErrorSpec): string {
  const parts: string[] = [];
  if (spec.sqlstate) parts.push(`SQLSTATE ${spec.sqlstate}`);
  if (spec.pattern) parts.push(`/${spec.pattern}/`);
  if (spec.message) parts.push(JSON.stringify(spec.message));
  return parts.length ? parts.join(' and ') : 'any error';
}

/** The affected-row count of a command tag (`INSERT 0 3` → 3, `UPDATE 2` → 2), if it has one. */
export function rowCountOf(command: string): number | undefined {
  const m = /(\d+)\s*$/.exec(command.trim());
  return m ? Number(m[1]) : undefined;
}

/** The type letter rewrite mode writes for a PostgreSQL type OID. */
export function typeLetterForOid(oid: number): string {
  if (oid === 20 || oid === 21 || oid === 23 || oid === 26) return 'I';
  if (oid === 700 || oid === 701 || oid === 1700) return 'R';
  if (oid === 16) return 'B';
  return 'T';
}
