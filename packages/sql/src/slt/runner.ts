/**
 * The sqllogictest runner: executes a parsed script against an `SltTarget`, checks every record,
 * collects failures (file:line, SQL, expected vs actual) and goes on to the next record; `halt`
 * stops the file. In rewrite mode it also produces the file text with the actual results filled
 * in, for writing new test files (review the diff like any other change).
 */
import { readFile } from 'node:fs/promises';
import {
  alignRows,
  applySort,
  compareResults,
  describeErrorSpec,
  formatRows,
  hashValues,
  matchError,
  renderResults,
  rowCountOf,
  type SltErrorInfo,
  sideBySide,
  typeLetterForOid,
} from './format.js';
import {
  parseSlt,
  type SltCondition,
  type SltErrorSpec,
  type SltLet,
  type SltQuery,
  type SltRecord,
  type SltScript,
  type SltStatement,
} from './parser.js';

/** A result cell: PostgreSQL text output (`t`, `1.50`, `2024-01-01`), or null for SQL NULL. */
export type SltValue = string | null;

export interface SltColumn {
  name: string;
  typeOid: number;
}

export interface SltResult {
  columns: SltColumn[];
  rows: SltValue[][];
  /** The command tag, e.g. `INSERT 0 3`, `SELECT 2`. */
  command: string;
}

/** One session. `query` rejects with an error carrying `.sqlstate` (or pg's `.code`) and `.message`. */
export interface SltConnection {
  query(sql: string): Promise<SltResult>;
  close(): Promise<void>;
}

/** What the runner tests: hands out named connections (`default`, or names from `connection`/`user`). */
export interface SltTarget {
  connect(name: string): Promise<SltConnection>;
  /** Called once after the file ran and its connections were closed, if present. */
  close?(): Promise<void>;
}

export interface SltRunOptions {
  /** File name used in failure reports. */
  file?: string;
  /** Engine name for `skipif`/`onlyif` (default `thinklite`). */
  engine?: string;
  /** Configuration names for CockroachDB's `skipif config …`/`onlyif config …` (default none). */
  configs?: string[];
  /** Produce `output`: the file with actual query results written in. Mismatching results are then not failures. */
  rewrite?: boolean;
  /** Initial hash threshold (default 0: never hash); `hash-threshold N` changes it. */
  hashThreshold?: number;
  /** Name of the connection used until a `connection`/`user` line switches (default `default`). */
  defaultConnection?: string;
  /** Maps a `user <name>` line to a connection name (default: `root` → the default connection, else the user name). */
  userConnection?: (user: string, args: string[]) => string;
  /** How long a `retry` query is retried until its results match (default 5000 ms). */
  retryTimeoutMs?: number;
  /** How `sleep` waits (default: setTimeout). */
  sleep?: (ms: number) => Promise<void>;
}

export interface SltFailure {
  file: string;
  /** 1-based line of the record header. */
  line: number;
  subtest?: string;
  sql?: string;
  /** One-line summary, e.g. `query result mismatch`. */
  title: string;
  /** Further lines: expected vs actual side by side, the error received… */
  details: string[];
}

export interface SltSummary {
  file: string;
  passed: number;
  failed: number;
  skipped: number;
  /** In rewrite mode: how many records had their expected output rewritten. */
  rewritten: number;
  failures: SltFailure[];
  /** 1-based line of the `halt` that stopped the file, if any. */
  haltedAt?: number;
  /** In rewrite mode: the file text with actual results. */
  output?: string;
}

/** A failure as text: `file:line: title`, the SQL and the details, indented. */
export function formatFailure(f: SltFailure): string {
  const out = [`${f.file}:${f.line}: ${f.title}${f.subtest ? ` (subtest ${f.subtest})` : ''}`];
  if (f.sql !== undefined) out.push(...f.sql.split('\n').map((l) => `    ${l}`));
  out.push(...f.details.map((l) => `  ${l}`));
  return out.join('\n');
}

/** All failures of a summary as one text, with the counts. */
export function formatSummary(s: SltSummary): string {
  const head = `${s.file}: ${s.passed} passed, ${s.failed} failed, ${s.skipped} skipped`;
  return [head, ...s.failures.map(formatFailure)].join('\n\n');
}

/** Whether a record runs here given its `skipif`/`onlyif` conditions. */
export function conditionsAllow(conditions: SltCondition[], engine: string, configs: string[] = []): boolean {
  for (const c of conditions) {
    const match = c.configs ? c.configs.some((x) => configs.includes(x)) : c.engine === engine.toLowerCase();
    if (c.kind === 'skipif' && match) return false;
    if (c.kind === 'onlyif' && !match) return false;
  }
  return true;
}

function toErrorInfo(e: unknown): SltErrorInfo {
  if (e && typeof e === 'object') {
    const o = e as { sqlstate?: unknown; code?: unknown; message?: unknown };
    const sqlstate =
      typeof o.sqlstate === 'string'
        ? o.sqlstate
        : typeof o.code === 'string' && /^[0-9A-Z]{5}$/.test(o.code)
          ? o.code
          : undefined;
    const message = typeof o.message === 'string' ? o.message : String(e);
    return sqlstate === undefined ? { message } : { sqlstate, message };
  }
  return { message: String(e) };
}

const describeError = (e: SltErrorInfo) => `${e.sqlstate ? `SQLSTATE ${e.sqlstate}: ` : ''}${e.message}`;
const words = (s: string) => s.split(/\s+/).filter(Boolean);

type Outcome = { ok: true; result: SltResult } | { ok: false; error: SltErrorInfo };

interface Replacement {
  start: number;
  end: number;
  lines: string[];
}

/** Runs a script and returns the summary (never throws for test failures). */
export async function runSlt(
  source: string | SltScript,
  target: SltTarget,
  options: SltRunOptions = {},
): Promise<SltSummary> {
  const script = typeof source === 'string' ? parseSlt(source, options.file ?? '<slt>') : source;
  return new Runner(script, target, options).run();
}

/** Reads and runs one file; with `rewrite`, `output` holds the rewritten text (the file is not written). */
export async function runSltFile(path: string, target: SltTarget, options: SltRunOptions = {}): Promise<SltSummary> {
  const text = await readFile(path, 'utf8');
  return runSlt(text, target, { ...options, file: options.file ?? path });
}

class Runner {
  private readonly engine: string;
  private readonly defaultConnection: string;
  private current: string;
  private hashThreshold: number;
  private readonly connections = new Map<string, Promise<SltConnection>>();
  private readonly vars = new Map<string, string>();
  private readonly labels = new Map<string, { hash: string; line: number }>();
  private readonly replacements: Replacement[] = [];
  private subtest: string | undefined;
  private readonly summary: SltSummary;

  constructor(
    private readonly script: SltScript,
    private readonly target: SltTarget,
    private readonly options: SltRunOptions,
  ) {
    this.engine = options.engine ?? 'thinklite';
    this.defaultConnection = options.defaultConnection ?? 'default';
    this.current = this.defaultConnection;
    this.hashThreshold = options.hashThreshold ?? 0;
    this.summary = { file: script.file, passed: 0, failed: 0, skipped: 0, rewritten: 0, failures: [] };
  }

  async run(): Promise<SltSummary> {
    try {
      for (const rec of this.script.records) {
        if (!(await this.record(rec))) break;
      }
    } finally {
      for (const conn of this.connections.values()) {
        try {
          await (await conn).close();
        } catch {
          // A connection that failed to open or close has nothing more to report here.
        }
      }
      await this.target.close?.();
    }
    if (this.options.rewrite) this.summary.output = this.rewritten();
    return this.summary;
  }

  /** Handles one record; false when the file halts. */
  private async record(rec: SltRecord): Promise<boolean> {
    const allowed = conditionsAllow(rec.conditions, this.engine, this.options.configs);
    const counted = rec.kind === 'statement' || rec.kind === 'query' || rec.kind === 'let';
    if (!allowed) {
      if (counted) this.summary.skipped++;
      return true;
    }
    switch (rec.kind) {
      case 'halt':
        this.summary.haltedAt = rec.line;
        return false;
      case 'hash-threshold':
        this.hashThreshold = rec.threshold;
        return true;
      case 'connection':
        this.current = rec.name;
        return true;
      case 'user':
        this.current =
          this.options.userConnection?.(rec.user, rec.args) ??
          (rec.user === 'root' ? this.defaultConnection : rec.user);
        return true;
      case 'sleep':
        await (this.options.sleep ?? ((ms) => new Promise<void>((r) => setTimeout(r, ms))))(rec.ms);
        return true;
      case 'control':
      case 'subtest':
        if (rec.kind === 'subtest') this.subtest = rec.name;
        return true;
      case 'invalid':
        this.fail(rec.line, undefined, `cannot parse record: ${rec.message}`, []);
        return true;
      case 'statement':
        this.tally(await this.statement(rec));
        return true;
      case 'query':
        this.tally(await this.query(rec));
        return true;
      case 'let':
        this.tally(await this.let(rec));
        return true;
    }
  }

  private tally(ok: boolean): void {
    if (ok) this.summary.passed++;
  }

  private fail(line: number, sql: string | undefined, title: string, details: string[]): false {
    const f: SltFailure = { file: this.script.file, line, title, details };
    if (sql !== undefined) f.sql = sql;
    if (this.subtest !== undefined) f.subtest = this.subtest;
    this.summary.failures.push(f);
    this.summary.failed++;
    return false;
  }

  private substitute(sql: string): string {
    return sql.replace(/\$([A-Za-z_][A-Za-z0-9_]*)/g, (whole, name: string) => this.vars.get(name) ?? whole);
  }

  private async exec(connection: string | undefined, sql: string): Promise<Outcome> {
    const name = connection ?? this.current;
    try {
      let conn = this.connections.get(name);
      if (!conn) {
        conn = this.target.connect(name);
        this.connections.set(name, conn);
      }
      return { ok: true, result: await (await conn).query(sql) };
    } catch (e) {
      return { ok: false, error: toErrorInfo(e) };
    }
  }

  /** Checks an expected error; in rewrite mode refreshes an exact-message block. */
  private checkError(
    rec: SltStatement | SltQuery,
    spec: SltErrorSpec,
    sql: string,
    outcome: Outcome,
    kind: string,
  ): boolean {
    if (outcome.ok) {
      return this.fail(rec.line, sql, `${kind} succeeded, expected ${describeErrorSpec(spec)}`, [
        `command: ${outcome.result.command}`,
      ]);
    }
    if (outcome.error.sqlstate === undefined) {
      // query() rejects SQL errors with a SQLSTATE; anything else is a crash, which no expectation accepts.
      return this.fail(
        rec.line,
        sql,
        `${kind} threw an error without a SQLSTATE, expected ${describeErrorSpec(spec)}`,
        [`error: ${outcome.error.message}`],
      );
    }
    let check = spec;
    if (this.options.rewrite && spec.message !== undefined && rec.resultSpan) {
      const { message: _, ...rest } = spec;
      check = rest;
      if (matchError({ message: spec.message }, outcome.error) !== undefined) {
        this.replace(rec.resultSpan.start, rec.resultSpan.end, outcome.error.message.trim().split('\n'));
        this.summary.rewritten++;
      }
    }
    const problem = matchError(check, outcome.error);
    if (problem === undefined) return true;
    return this.fail(rec.line, sql, `${kind} failed with the wrong error: ${problem}`, [
      `got: ${describeError(outcome.error)}`,
    ]);
  }

  private async statement(rec: SltStatement): Promise<boolean> {
    const sql = this.substitute(rec.sql);
    const outcome = await this.exec(rec.connection, sql);
    const { expect } = rec;
    if (expect.type === 'error') return this.checkError(rec, expect.error, sql, outcome, 'statement');
    if (!outcome.ok) return this.fail(rec.line, sql, 'statement failed', [`error: ${describeError(outcome.error)}`]);
    if (expect.type === 'count') {
      const n = rowCountOf(outcome.result.command);
      if (n !== expect.count) {
        return this.fail(rec.line, sql, `statement count mismatch: expected ${expect.count}, got ${n ?? 'no count'}`, [
          `command: ${outcome.result.command}`,
        ]);
      }
    }
    return true;
  }

  private async let(rec: SltLet): Promise<boolean> {
    const sql = this.substitute(rec.sql);
    const outcome = await this.exec(rec.connection, sql);
    if (!outcome.ok) return this.fail(rec.line, sql, `let $${rec.name}: query failed`, [describeError(outcome.error)]);
    const { rows } = outcome.result;
    if (rows.length !== 1 || rows[0]?.length !== 1) {
      return this.fail(rec.line, sql, `let $${rec.name}: expected exactly one value`, [
        `got ${rows.length} row(s) of ${outcome.result.columns.length} column(s)`,
      ]);
    }
    this.vars.set(rec.name, rows[0][0] ?? 'NULL');
    return true;
  }

  private async query(rec: SltQuery): Promise<boolean> {
    const sql = this.substitute(rec.sql);
    if (rec.unsupported.length > 0) {
      return this.fail(rec.line, sql, `unsupported query option(s): ${rec.unsupported.join(', ')}`, []);
    }
    if (rec.error) return this.checkError(rec, rec.error, sql, await this.exec(rec.connection, sql), 'query');

    const deadline = Date.now() + (this.options.retryTimeoutMs ?? 5000);
    let delay = 10;
    for (;;) {
      const outcome = await this.exec(rec.connection, sql);
      if (!outcome.ok) {
        if (rec.retry && !this.options.rewrite && Date.now() < deadline) {
          await new Promise((r) => setTimeout(r, delay));
          delay = Math.min(delay * 2, 500);
          continue;
        }
        return this.fail(rec.line, sql, 'query failed', [`error: ${describeError(outcome.error)}`]);
      }
      const check = this.checkRows(rec, outcome.result);
      if (check.problems.length === 0 || !rec.retry || this.options.rewrite || Date.now() >= deadline) {
        return this.finishQuery(rec, sql, outcome.result, check);
      }
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 500);
    }
  }

  private checkRows(rec: SltQuery, result: SltResult): { problems: string[]; details: string[]; valueLayout: boolean } {
    const problems: string[] = [];
    const details: string[] = [];
    let valueLayout = false;
    const cols = rec.types.length;
    if (result.columns.length !== cols) {
      problems.push(`expected ${cols} column(s) (${rec.types}), got ${result.columns.length}`);
      details.push(`columns: ${result.columns.map((c) => c.name).join(', ') || '(none)'}`);
      return { problems, details, valueLayout };
    }
    const rows = formatRows(result.rows, rec.types);
    const exp = rec.expected;
    if (exp?.columnNames) {
      const want = exp.columnNames;
      const got = result.columns.flatMap((c) => words(c.name));
      if (want.join(' ') !== got.join(' ')) {
        problems.push('column names differ');
        details.push(`expected columns: ${want.join(' ')}`, `actual columns:   ${got.join(' ')}`);
      }
    }
    const values = applySort(rows, rec.sortMode).flat();
    if (exp?.kind === 'hash') {
      const hash = hashValues(values);
      if (exp.count !== values.length || exp.hash !== hash) {
        problems.push('query result mismatch');
        details.push(
          `expected: ${exp.count} values hashing to ${exp.hash}`,
          `actual:   ${values.length} values hashing to ${hash}`,
          ...alignRows(applySort(rows, rec.sortMode)).map((l) => `  ${l}`),
        );
      }
    } else if (exp || rec.label === undefined) {
      const cmp = compareResults(exp?.lines ?? [], rows, cols, rec.sortMode);
      valueLayout = cmp.layout === 'value';
      if (!cmp.ok) {
        problems.push(`query result mismatch${rec.sortMode === 'nosort' ? '' : ` (${rec.sortMode})`}`);
        details.push(...sideBySide(cmp.expected, cmp.actual));
      }
    }
    if (rec.label !== undefined) {
      const hash = hashValues(values);
      const seen = this.labels.get(rec.label);
      if (seen && seen.hash !== hash) {
        problems.push(`results differ from those of label ${rec.label} at line ${seen.line}`);
      }
    }
    return { problems, details, valueLayout };
  }

  private finishQuery(
    rec: SltQuery,
    sql: string,
    result: SltResult,
    check: { problems: string[]; details: string[]; valueLayout: boolean },
  ): boolean {
    const labelProblem = check.problems.some((p) => p.startsWith('results differ from those of label'));
    if (rec.label !== undefined && !labelProblem && result.columns.length === rec.types.length) {
      const values = applySort(formatRows(result.rows, rec.types), rec.sortMode).flat();
      if (!this.labels.has(rec.label)) this.labels.set(rec.label, { hash: hashValues(values), line: rec.line });
    }
    if (check.problems.length === 0) return true;
    if (!this.options.rewrite || labelProblem) {
      return this.fail(rec.line, sql, check.problems.join('; '), check.details);
    }
    // Rewrite: fix the type string if the column count is wrong, and write the actual results.
    let types = rec.types;
    if (result.columns.length !== rec.types.length) {
      types = result.columns.map((c) => typeLetterForOid(c.typeOid)).join('');
      const header = this.script.lines[rec.headerIndex] as string;
      const rest = header.trim().split(/\s+/).slice(2).join(' ');
      this.replace(rec.headerIndex, rec.headerIndex + 1, [`query ${types}${rest ? ` ${rest}` : ''}`]);
    }
    const rows = formatRows(result.rows, types);
    const old = rec.expected;
    const oldLines = old?.kind === 'values' ? old.lines : [];
    const valuePerLine =
      check.valueLayout && types.length > 1 && oldLines.length > 1 && oldLines.every((l) => words(l).length <= 1);
    const block = renderResults(rows, rec.sortMode, {
      hashThreshold: this.hashThreshold,
      forceHash: old?.kind === 'hash',
      valuePerLine,
    });
    if (rec.colnames) block.unshift(result.columns.flatMap((c) => words(c.name)).join(' '));
    if (rec.resultSpan) this.replace(rec.resultSpan.start, rec.resultSpan.end, block);
    else this.replace(rec.sqlEnd, rec.sqlEnd, ['----', ...block]);
    this.summary.rewritten++;
    return true;
  }

  private replace(start: number, end: number, lines: string[]): void {
    this.replacements.push({ start, end, lines });
  }

  private rewritten(): string {
    const lines = [...this.script.lines];
    const sorted = [...this.replacements].sort((a, b) => b.start - a.start || b.end - a.end);
    for (const r of sorted) lines.splice(r.start, r.end - r.start, ...r.lines);
    return lines.join('\n');
  }
}
