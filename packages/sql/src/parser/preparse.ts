/**
 * The pre-parse step for CockroachDB syntax PostgreSQL's grammar does not know:
 *
 * - `AS OF SYSTEM TIME <expr>` after the FROM clause of a top-level SELECT, or as an option of
 *   BEGIN / START TRANSACTION. The clause is overwritten with spaces (one per UTF-8 byte, so every
 *   byte offset PostgreSQL reports still points into the user's text) and its expression is kept
 *   for a separate parse.
 * - `CREATE INDEX ... STORING (cols)`: the word STORING is replaced by INCLUDE (same length).
 *
 * It works on PostgreSQL's own tokenizer (`scanSync`), so string literals, comments and quoted
 * identifiers that merely contain these words are never touched.
 */
import { type ScanToken, scanSync } from 'libpg-query';
import { syntaxError, unsupported } from './errors.js';
import { blankOut, type SourceMap } from './source-map.js';

/** One AS OF SYSTEM TIME clause found in the text (byte offsets into the original). */
export interface AsOfClause {
  readonly kind: 'select' | 'begin';
  /** Start of the `AS` token. */
  readonly clauseStart: number;
  /** The expression's bytes. */
  readonly exprStart: number;
  readonly exprEnd: number;
}

export interface PreparseResult {
  /** The text to hand to the PostgreSQL parser (same UTF-8 byte length as the original). */
  readonly sql: string;
  readonly rewritten: boolean;
  readonly asOf: readonly AsOfClause[];
}

interface Edit {
  readonly start: number; // bytes
  readonly end: number;
  readonly replacement: string | undefined; // undefined: blank out
}

/** Words that end the FROM clause (and so an AS OF SYSTEM TIME expression) at their nesting depth. */
const CLAUSE_END = new Set([
  'where',
  'group',
  'having',
  'window',
  'order',
  'limit',
  'offset',
  'fetch',
  'for',
  'union',
  'intersect',
  'except',
  'returning',
]);

/** Words after which a FROM no longer starts the current SELECT's FROM clause. */
const FROM_BARRIER = new Set([...CLAUSE_END, 'select', 'values', 'set', 'into', 'using']);

function isKeyword(t: ScanToken | undefined, word: string): boolean {
  return t !== undefined && t.keywordName !== 'NO_KEYWORD' && t.text.toLowerCase() === word;
}

function isAsOfSystemTime(toks: readonly ScanToken[], i: number): boolean {
  return (
    isKeyword(toks[i], 'as') &&
    isKeyword(toks[i + 1], 'of') &&
    isKeyword(toks[i + 2], 'system') &&
    isKeyword(toks[i + 3], 'time')
  );
}

/** Runs the pre-parse. Throws SYNTAX_ERROR / FEATURE_NOT_SUPPORTED for misplaced clauses. */
export function preparse(sql: string, map: SourceMap): PreparseResult {
  if (!/system|storing/i.test(sql)) return { sql, rewritten: false, asOf: [] };
  let tokens: ScanToken[];
  try {
    tokens = scanSync(sql).tokens;
  } catch {
    // The scanner rejects the text (e.g. an unterminated literal); the parser will say why.
    return { sql, rewritten: false, asOf: [] };
  }
  const code = tokens.filter((t) => t.tokenName !== 'SQL_COMMENT' && t.tokenName !== 'C_COMMENT');
  const edits: Edit[] = [];
  const asOf: AsOfClause[] = [];
  let start = 0;
  for (let i = 0; i <= code.length; i++) {
    const t = code[i];
    if (t === undefined || t.text === ';') {
      scanStatement(code.slice(start, i), map, edits, asOf);
      start = i + 1;
    }
  }
  if (edits.length === 0) return { sql, rewritten: false, asOf };
  edits.sort((a, b) => a.start - b.start);
  let out = '';
  let at = 0; // UTF-16 index into sql
  for (const e of edits) {
    const s = map.utf16(e.start);
    const en = map.utf16(e.end);
    out += sql.slice(at, s) + (e.replacement ?? blankOut(sql.slice(s, en)));
    at = en;
  }
  out += sql.slice(at);
  return { sql: out, rewritten: true, asOf };
}

function scanStatement(toks: readonly ScanToken[], map: SourceMap, edits: Edit[], asOf: AsOfClause[]): void {
  if (toks.length === 0) return;
  const depth: number[] = [];
  let d = 0;
  for (const t of toks) {
    depth.push(d);
    if (t.text === '(' || t.text === '[') d++;
    else if (t.text === ')' || t.text === ']') d--;
  }
  const first = toks[0];
  const isBegin = isKeyword(first, 'begin') || isKeyword(first, 'start');

  // CREATE [UNIQUE] INDEX ... STORING (...) → INCLUDE (...)
  if (
    isKeyword(first, 'create') &&
    (isKeyword(toks[1], 'index') || (isKeyword(toks[1], 'unique') && isKeyword(toks[2], 'index')))
  ) {
    for (let i = 0; i < toks.length; i++) {
      const t = toks[i];
      if (t !== undefined && depth[i] === 0 && t.text.toLowerCase() === 'storing' && toks[i + 1]?.text === '(') {
        edits.push({ start: t.start, end: t.end, replacement: 'INCLUDE' });
      }
    }
  }

  for (let i = 0; i < toks.length; i++) {
    if (!isAsOfSystemTime(toks, i)) continue;
    const as = toks[i] as ScanToken;
    const level = depth[i] ?? 0;
    if (!isBegin) {
      // It must follow a FROM clause of the SELECT at the same nesting level.
      let fromFound = false;
      for (let k = i - 1; k >= 0; k--) {
        const dk = depth[k] ?? 0;
        if (dk < level) break;
        if (dk > level) continue;
        const w = (toks[k] as ScanToken).text.toLowerCase();
        if (isKeyword(toks[k], 'from')) {
          fromFound = true;
          break;
        }
        if (FROM_BARRIER.has(w) && (toks[k] as ScanToken).keywordName !== 'NO_KEYWORD') break;
      }
      if (!fromFound) continue; // not our syntax: PostgreSQL reports the syntax error
      if (level > 0) {
        throw unsupported('AS OF SYSTEM TIME in a subquery', map.position(as.start));
      }
    }
    // The expression runs to the end of the clause at this nesting level.
    let j = i + 4;
    for (; j < toks.length; j++) {
      const t = toks[j] as ScanToken;
      const dj = depth[j] ?? 0;
      if (dj < level) break;
      if (dj > level) continue;
      if (t.text === ')' || t.text === ']' || t.text === ',') break;
      if (!isBegin && CLAUSE_END.has(t.text.toLowerCase()) && t.keywordName !== 'NO_KEYWORD') break;
    }
    const firstExpr = toks[i + 4];
    const lastExpr = toks[j - 1];
    if (j === i + 4 || firstExpr === undefined || lastExpr === undefined) {
      const next = toks[j];
      throw next === undefined
        ? syntaxError('syntax error at end of input', map.position(map.byteLength))
        : syntaxError(`syntax error at or near "${next.text}"`, map.position(next.start));
    }
    let blankStart = as.start;
    let blankEnd = lastExpr.end;
    if (isBegin) {
      // Take a separating comma with the clause: `BEGIN ISOLATION LEVEL x, AS OF SYSTEM TIME y`.
      const before = toks[i - 1];
      const after = toks[j];
      if (before?.text === ',') blankStart = before.start;
      else if (after?.text === ',') blankEnd = after.end;
    }
    edits.push({ start: blankStart, end: blankEnd, replacement: undefined });
    asOf.push({
      kind: isBegin ? 'begin' : 'select',
      clauseStart: as.start,
      exprStart: firstExpr.start,
      exprEnd: lastExpr.end,
    });
    i = j - 1;
  }
}

/**
 * The text to parse for a clause's expression: `SELECT <expr>` laid out so the expression keeps
 * its byte offsets (everything before it is blanked, `SELECT` sits where `AS OF` was).
 */
export function asOfExpressionSql(sql: string, map: SourceMap, clause: AsOfClause): string {
  const before = blankOut(sql.slice(0, map.utf16(clause.clauseStart)));
  const gap = clause.exprStart - clause.clauseStart;
  const exprText = sql.slice(map.utf16(clause.exprStart), map.utf16(clause.exprEnd));
  return `${before}SELECT${' '.repeat(gap - 'SELECT'.length)}${exprText}`;
}
