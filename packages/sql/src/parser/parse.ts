/**
 * The parser front end: SQL text → ThinkLite's typed AST, through libpg-query (PostgreSQL's own
 * grammar, compiled to WASM). `await initParser()` once; `parse` is synchronous after that.
 */
import { ThinkLiteError } from '@thinklite/base';
import { hasSqlDetails, loadModule, type Node, type ParseResult, parseSync } from 'libpg-query';
import type { Expr, SourceSpan, Statement, StatementNode } from './ast.js';
import { syntaxError, unsupported } from './errors.js';
import { expr } from './expr.js';
import { LiteralTemplates } from './literal-templates.js';
import { Ctx, get } from './pg.js';
import { type AsOfClause, asOfExpressionSql, preparse } from './preparse.js';
import { codePointsBefore, remapPosition, SourceMap } from './source-map.js';
import { statementNode } from './statement.js';

let ready = false;
let loading: Promise<void> | undefined;

/** Loads the WASM parser. Idempotent; must complete before the first `parse`. */
export function initParser(): Promise<void> {
  loading ??= loadModule().then(() => {
    ready = true;
  });
  return loading;
}

/** Whether `initParser()` has completed. */
export function isParserReady(): boolean {
  return ready;
}

/** A bounded least-recently-used map. */
class LruCache<K, V> {
  private readonly map = new Map<K, V>();
  constructor(public capacity: number) {}

  get(key: K): V | undefined {
    const v = this.map.get(key);
    if (v !== undefined) {
      this.map.delete(key);
      this.map.set(key, v);
    }
    return v;
  }

  set(key: K, value: V): void {
    this.map.delete(key);
    this.map.set(key, value);
    this.trim();
  }

  trim(): void {
    while (this.map.size > this.capacity) {
      const oldest = this.map.keys().next();
      if (oldest.done) break;
      this.map.delete(oldest.value);
    }
  }

  clear(): void {
    this.map.clear();
  }

  get size(): number {
    return this.map.size;
  }
}

/** Texts longer than this (UTF-16 units) are parsed but not cached. */
const MAX_CACHED_LENGTH = 64 * 1024;
const cache = new LruCache<string, readonly Statement[]>(1024);
/** Statements that differ only in their literals share one parse (literal-templates.ts). */
const templates = new LiteralTemplates();

/** Cache statistics and control, mostly for tests and tuning. */
export const parseCache = {
  get size(): number {
    return cache.size;
  },
  get capacity(): number {
    return cache.capacity;
  },
  /** Changes the number of SQL texts kept (evicting the least recently used). */
  setCapacity(n: number): void {
    cache.capacity = Math.max(0, Math.floor(n));
    cache.trim();
  },
  clear(): void {
    cache.clear();
    templates.clear();
  },
  /** Statements built from a literal template instead of being parsed (since the process started). */
  get templateHits(): number {
    return templates.hits;
  },
};

/**
 * Parses a string of zero or more `;`-separated statements. The result (and every node in it) is
 * frozen and cached by the SQL text: parsing the same text again returns the same array.
 *
 * Throws ThinkLiteError SYNTAX_ERROR (with PostgreSQL's message and `details.position`, 1-based in
 * code points) or FEATURE_NOT_SUPPORTED (valid SQL ThinkLite does not handle).
 */
export function parse(sql: string): readonly Statement[] {
  const hit = cache.get(sql);
  if (hit !== undefined) return hit;
  const templated = ready && cache.capacity > 0 ? templates.lookup(sql) : undefined;
  if (templated && 'statements' in templated) {
    cache.set(sql, templated.statements);
    return templated.statements;
  }
  let parsed: Statement[];
  try {
    parsed = parseUncached(sql);
  } catch (e) {
    if (e instanceof ThinkLiteError) throw e;
    throw new ThinkLiteError(
      'INTERNAL_ERROR',
      `SQL parser: ${e instanceof Error ? e.message : String(e)}`,
      {},
      { cause: e },
    );
  }
  const result = deepFreeze(parsed);
  if (sql.length <= MAX_CACHED_LENGTH && cache.capacity > 0) cache.set(sql, result);
  if (templated) templates.learn(sql, templated.shape, result);
  return result;
}

/** Parses without any cache or template (for tests that compare against a fresh parse). */
export function parseFresh(sql: string): readonly Statement[] {
  return deepFreeze(parseUncached(sql));
}

/** Parses a string that must hold exactly one statement (the extended protocol's rule). */
export function parseOne(sql: string): Statement {
  const stmts = parse(sql);
  if (stmts.length > 1) throw syntaxError('cannot insert multiple commands into a prepared statement');
  const [only] = stmts;
  if (only === undefined) throw syntaxError('the query string holds no statement');
  return only;
}

/**
 * The wire protocol's error position (1-based, in code points of the whole string given to
 * `parse`) of a node location inside a statement; undefined if the location is unknown.
 */
export function errorPosition(statement: Statement, location: number): number | undefined {
  if (location < 0) return undefined;
  const src = statement.span;
  return src.codePointOffset + codePointsBefore(src.text, location) + 1;
}

function translateError(e: unknown, parsed: string, original: SourceMap, rewritten: boolean): Error {
  if (e instanceof ThinkLiteError) return e;
  if (hasSqlDetails(e) && e.sqlDetails !== undefined) {
    const cursor = e.sqlDetails.cursorPosition;
    const position = rewritten ? remapPosition(parsed, cursor, original) : cursor + 1;
    return syntaxError(e.message, position);
  }
  const message = e instanceof Error ? e.message : String(e);
  return new ThinkLiteError('SYNTAX_ERROR', message, {}, { cause: e });
}

function pgParse(text: string, original: SourceMap, rewritten: boolean): ParseResult {
  if (!ready) {
    throw new ThinkLiteError('INTERNAL_ERROR', 'the SQL parser is not initialized: await initParser() first');
  }
  try {
    return parseSync(text);
  } catch (e) {
    throw translateError(e, text, original, rewritten);
  }
}

/** Parses the expression of an AS OF SYSTEM TIME clause. */
function asOfExpression(sql: string, map: SourceMap, clause: AsOfClause): Node {
  const text = asOfExpressionSql(sql, map, clause);
  const result = pgParse(text, map, true);
  const sel = get(result.stmts?.[0]?.stmt, 'SelectStmt');
  const target = get(sel?.targetList?.[0], 'ResTarget');
  const only =
    result.stmts?.length === 1 &&
    sel !== undefined &&
    sel.targetList?.length === 1 &&
    sel.fromClause === undefined &&
    sel.whereClause === undefined &&
    target?.name === undefined;
  if (!only || target?.val === undefined) {
    throw syntaxError('syntax error in AS OF SYSTEM TIME expression', map.position(clause.exprStart));
  }
  return target.val;
}

function attachAsOf(stmt: StatementNode, asOf: Expr, clause: AsOfClause, map: SourceMap): StatementNode {
  if (clause.kind === 'begin' && stmt.kind === 'begin') return { ...stmt, asOfSystemTime: asOf };
  if (clause.kind === 'select') {
    if (stmt.kind === 'select') return { ...stmt, asOfSystemTime: asOf };
    if (stmt.kind === 'explain' && stmt.statement.kind === 'select') {
      return { ...stmt, statement: { ...stmt.statement, asOfSystemTime: asOf } };
    }
  }
  throw unsupported('AS OF SYSTEM TIME outside SELECT and BEGIN', map.position(clause.clauseStart));
}

function parseUncached(sql: string): Statement[] {
  if (!ready) {
    throw new ThinkLiteError('INTERNAL_ERROR', 'the SQL parser is not initialized: await initParser() first');
  }
  if (sql.trim() === '') return [];
  const map = new SourceMap(sql);
  const pre = preparse(sql, map);
  const result = pgParse(pre.sql, map, pre.rewritten);
  const raws = result.stmts ?? [];
  const out: Statement[] = [];
  for (const raw of raws) {
    if (raw.stmt === undefined) continue;
    const startByte = raw.stmt_location ?? 0;
    const len = raw.stmt_len ?? 0;
    const endByte = len === 0 ? map.byteLength : startByte + len;
    const u16Start = map.utf16(startByte);
    const u16End = map.utf16(endByte);
    const ctx = new Ctx(map, u16Start);
    let node = statementNode(ctx, raw.stmt, startByte);
    for (const clause of pre.asOf) {
      if (clause.clauseStart >= startByte && clause.clauseStart < endByte) {
        node = attachAsOf(node, expr(ctx, asOfExpression(sql, map, clause)), clause, map);
      }
    }
    const span: SourceSpan = {
      text: sql.slice(u16Start, u16End).trimEnd(),
      offset: u16Start,
      codePointOffset: codePointsBefore(sql, u16Start),
    };
    out.push({ ...node, span } as Statement);
  }
  return out;
}

/** Freezes an AST deeply, dropping properties whose value is undefined (absent clauses). */
function deepFreeze<T>(value: T): T {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return value;
  if (Array.isArray(value)) {
    for (const v of value) deepFreeze(v);
  } else {
    const rec = value as Record<string, unknown>;
    for (const k of Object.keys(rec)) {
      if (rec[k] === undefined) delete rec[k];
      else deepFreeze(rec[k]);
    }
  }
  return Object.freeze(value);
}
