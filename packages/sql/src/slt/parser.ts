/**
 * Parser for sqllogictest files (the format of SQLite's sqllogictest, CockroachDB's logictest and
 * sqllogictest-rs). A file is a sequence of records separated by blank lines; `#` lines are
 * comments. Every record keeps the span of source lines it came from, so that the runner can
 * rewrite the expected results in place (see `rewrite` in runner.ts).
 */

export type SltSortMode = 'nosort' | 'rowsort' | 'valuesort';

/** `skipif <engine>` / `onlyif <engine>`, or CockroachDB's `skipif config <name>…`. */
export interface SltCondition {
  kind: 'skipif' | 'onlyif';
  /** The engine name (`thinklite`, `postgresql`, `mysql`…), absent for a `config` condition. */
  engine?: string;
  /** For `skipif config a b` / `onlyif config a b`: the configuration names. */
  configs?: string[];
}

/** What a failing statement or query must fail with. All present parts must match. */
export interface SltErrorSpec {
  /** A 5-character SQLSTATE such as `23505` or `42P01`. */
  sqlstate?: string;
  /** A regular expression searched for in the error message (`pq: ` prefix tolerated). */
  pattern?: string;
  /** An exact (trimmed) message, from a `----` block after the SQL (sqllogictest-rs style). */
  message?: string;
}

export type SltStatementExpectation =
  | { type: 'ok' }
  | { type: 'count'; count: number }
  | { type: 'error'; error: SltErrorSpec };

export type SltExpected =
  | { kind: 'values'; columnNames?: string[]; lines: string[] }
  | { kind: 'hash'; columnNames?: string[]; count: number; hash: string };

/** 0-based, end-exclusive range of source lines. */
export interface SltSpan {
  start: number;
  end: number;
}

interface RecordBase {
  /** 1-based line of the record's header (`statement ok`, `query …`, `halt`…). */
  line: number;
  /** `skipif`/`onlyif` lines written directly before the record. */
  conditions: SltCondition[];
  /** The whole record including its condition lines, 0-based line indices. */
  span: SltSpan;
}

export interface SltStatement extends RecordBase {
  kind: 'statement';
  /** A `connection <name>` line written directly before this record: run on it, for this record only. */
  connection?: string;
  sql: string;
  expect: SltStatementExpectation;
  /** The `----` block of an expected error message, 0-based indices (separator line, block start/end). */
  resultSpan?: { separator: number; start: number; end: number };
}

export interface SltQuery extends RecordBase {
  kind: 'query';
  connection?: string;
  sql: string;
  /** The column type letters: I integer, T text, R real, B bool, `_` ignored, anything else text. */
  types: string;
  sortMode: SltSortMode;
  colnames: boolean;
  retry: boolean;
  label?: string;
  /** Options we recognise but cannot honour (kvtrace, noticetrace…); the runner fails such a record. */
  unsupported: string[];
  /** For `query error …`: the expected error; then `types` is ''. */
  error?: SltErrorSpec;
  /** Absent when the record has no `----` (then no rows are expected, unless only a label is given). */
  expected?: SltExpected;
  /** 0-based index of the header line. */
  headerIndex: number;
  /** 0-based index just past the SQL (where a missing `----` block would go). */
  sqlEnd: number;
  /** 0-based: the `----` line and the result block after it. */
  resultSpan?: { separator: number; start: number; end: number };
}

export interface SltHalt extends RecordBase {
  kind: 'halt';
}
export interface SltHashThreshold extends RecordBase {
  kind: 'hash-threshold';
  threshold: number;
}
/** A `connection <name>` line standing on its own: switches the current connection. */
export interface SltConnectionSwitch extends RecordBase {
  kind: 'connection';
  name: string;
}
/** CockroachDB's `user <name> [options]`: switches to the connection mapped from that user. */
export interface SltUser extends RecordBase {
  kind: 'user';
  user: string;
  args: string[];
}
export interface SltSleep extends RecordBase {
  kind: 'sleep';
  ms: number;
}
/** CockroachDB's `let $name` + a query returning one value; `$name` is then substituted in later SQL. */
export interface SltLet extends RecordBase {
  kind: 'let';
  connection?: string;
  name: string;
  sql: string;
}
/** sqllogictest-rs's `control sortmode <mode>`: the default sort mode of later queries. */
export interface SltControl extends RecordBase {
  kind: 'control';
  sortMode: SltSortMode;
}
export interface SltSubtest extends RecordBase {
  kind: 'subtest';
  name: string;
}
/** A record the parser could not understand; the runner reports it as a failure and goes on. */
export interface SltInvalid extends RecordBase {
  kind: 'invalid';
  message: string;
}

export type SltRecord =
  | SltStatement
  | SltQuery
  | SltHalt
  | SltHashThreshold
  | SltConnectionSwitch
  | SltUser
  | SltSleep
  | SltLet
  | SltControl
  | SltSubtest
  | SltInvalid;

export interface SltScript {
  file: string;
  /** The source split into lines (without line terminators). */
  lines: string[];
  records: SltRecord[];
}

const HASH_LINE = /^(\d+) values hashing to ([0-9a-fA-F]{32})$/;
const SQLSTATE = /^(?=.*\d)[0-9A-Z]{5}$/;
const UNSUPPORTED_OPTION = /^(kvtrace|noticetrace|round-in-strings|async|partialsort)\b/;

const isBlank = (line: string) => line.trim() === '';
const isComment = (line: string) => line.trimStart().startsWith('#');

/** Parses the text after `error` in `statement error …` / `query error …`. */
export function parseErrorSpec(text: string): SltErrorSpec {
  const rest = text.trim();
  if (rest === '') return {};
  const pg = /^pgcode\s+(\S+)\s*(.*)$/.exec(rest);
  if (pg) {
    const spec: SltErrorSpec = { sqlstate: pg[1] as string };
    if (pg[2]) spec.pattern = pg[2];
    return spec;
  }
  if (SQLSTATE.test(rest)) return { sqlstate: rest };
  return { pattern: rest };
}

/** Parses a duration such as `500ms`, `1s`, `1m30s` or a bare number of seconds. */
export function parseDuration(text: string): number | undefined {
  const t = text.trim();
  if (/^\d+(\.\d+)?$/.test(t)) return Number(t) * 1000;
  const unit: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  let total = 0;
  let rest = t;
  while (rest !== '') {
    const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)/.exec(rest);
    if (!m) return undefined;
    total += Number(m[1]) * (unit[m[2] as string] as number);
    rest = rest.slice(m[0].length);
  }
  return t === '' ? undefined : total;
}

/** Splits query options on whitespace and commas, keeping `partialsort(1,2)` whole. */
function splitOptions(text: string): string[] {
  const out: string[] = [];
  let cur = '';
  let depth = 0;
  for (const ch of text) {
    if (ch === '(') depth++;
    if (ch === ')') depth = Math.max(0, depth - 1);
    if (depth === 0 && (ch === ',' || /\s/.test(ch))) {
      if (cur) out.push(cur);
      cur = '';
    } else cur += ch;
  }
  if (cur) out.push(cur);
  return out;
}

/** Text after the first `n` whitespace-separated words of `line`. */
function afterWords(line: string, n: number): string {
  let rest = line.trimStart();
  for (let i = 0; i < n; i++) rest = rest.replace(/^\S+\s*/, '');
  return rest.trim();
}

export function parseSlt(text: string, file = '<slt>'): SltScript {
  const lines = text.split(/\r?\n/);
  const records: SltRecord[] = [];
  let defaultSort: SltSortMode = 'nosort';
  let i = 0;

  /** Reads SQL lines from `from` up to a blank line, `----` or the end; comment lines are dropped. */
  const readSql = (from: number): { sql: string; end: number } => {
    const sql: string[] = [];
    let j = from;
    while (j < lines.length && !isBlank(lines[j] as string) && (lines[j] as string).trim() !== '----') {
      if (!isComment(lines[j] as string)) sql.push(lines[j] as string);
      j++;
    }
    return { sql: sql.join('\n'), end: j };
  };
  /** Reads a result block starting at `from` up to a blank line or the end. */
  const readBlock = (from: number): { block: string[]; end: number } => {
    const block: string[] = [];
    let j = from;
    for (; j < lines.length && !isBlank(lines[j] as string); j++) block.push((lines[j] as string).trimEnd());
    return { block, end: j };
  };
  /** Skips to the end of the current record (the next blank line). */
  const skipRecord = (from: number): number => {
    let j = from;
    while (j < lines.length && !isBlank(lines[j] as string)) j++;
    return j;
  };

  while (i < lines.length) {
    const raw = lines[i] as string;
    if (isBlank(raw) || isComment(raw)) {
      i++;
      continue;
    }
    const start = i;
    const conditions: SltCondition[] = [];
    let connection: string | undefined;
    let header = raw.trim();
    let words = header.split(/\s+/);
    // Condition and connection lines directly in front of a record.
    while (words[0] === 'skipif' || words[0] === 'onlyif' || words[0] === 'connection') {
      const next = i + 1 < lines.length ? (lines[i + 1] as string) : '';
      if (words[0] === 'connection') {
        // A `connection` line alone (followed by a blank line) is a switch record of its own.
        if (isBlank(next) || isComment(next)) break;
        connection = words[1];
      } else if (words[1] === 'config') {
        conditions.push({ kind: words[0], configs: words.slice(2).filter((w) => !w.startsWith('#')) });
      } else {
        conditions.push({ kind: words[0], engine: (words[1] ?? '').toLowerCase() });
      }
      i++;
      if (i >= lines.length || isBlank(lines[i] as string)) break;
      header = (lines[i] as string).trim();
      words = header.split(/\s+/);
    }
    const line = i + 1;
    const base = { line, conditions, span: { start, end: i + 1 } };
    const invalid = (message: string) => {
      const end = skipRecord(i);
      records.push({ ...base, kind: 'invalid', message, span: { start, end } });
      i = end;
    };
    if (i >= lines.length || isBlank(lines[i] as string)) {
      invalid('condition or connection line without a record after it');
      continue;
    }
    const directive = words[0] as string;
    switch (directive) {
      case 'statement': {
        const mode = words[1];
        let expect: SltStatementExpectation;
        if (mode === 'ok') expect = { type: 'ok' };
        else if (mode === 'count' && /^\d+$/.test(words[2] ?? '')) expect = { type: 'count', count: Number(words[2]) };
        else if (mode === 'error') expect = { type: 'error', error: parseErrorSpec(afterWords(header, 2)) };
        else {
          invalid(`unknown statement form: ${header}`);
          break;
        }
        const { sql, end } = readSql(i + 1);
        const rec: SltStatement = { ...base, kind: 'statement', sql, expect };
        if (connection !== undefined) rec.connection = connection;
        let recEnd = end;
        if (end < lines.length && (lines[end] as string).trim() === '----') {
          const { block, end: blockEnd } = readBlock(end + 1);
          if (expect.type === 'error' && block.length > 0) expect.error.message = block.join('\n').trim();
          rec.resultSpan = { separator: end, start: end + 1, end: blockEnd };
          recEnd = blockEnd;
        }
        rec.span = { start, end: recEnd };
        if (sql.trim() === '') {
          invalid('statement without SQL');
          break;
        }
        records.push(rec);
        i = recEnd;
        break;
      }
      case 'query': {
        const rec: SltQuery = {
          ...base,
          kind: 'query',
          sql: '',
          types: '',
          sortMode: defaultSort,
          colnames: false,
          retry: false,
          unsupported: [],
          headerIndex: i,
          sqlEnd: i + 1,
        };
        if (connection !== undefined) rec.connection = connection;
        if (words[1] === 'error') {
          rec.error = parseErrorSpec(afterWords(header, 2));
        } else {
          const types = words[1] ?? '';
          if (!/^[A-Za-z_]+$/.test(types)) {
            invalid(`query without a type string: ${header}`);
            break;
          }
          rec.types = types;
          const opts = splitOptions(afterWords(header, 2));
          opts.forEach((opt, k) => {
            if (opt === 'nosort' || opt === 'rowsort' || opt === 'valuesort') rec.sortMode = opt;
            else if (opt === 'colnames') rec.colnames = true;
            else if (opt === 'retry') rec.retry = true;
            else if (/^nodeidx=\d+$/.test(opt)) {
              // Single-gateway runner: which node serves the query does not matter here.
            } else if (UNSUPPORTED_OPTION.test(opt)) rec.unsupported.push(opt);
            else if (k === opts.length - 1) rec.label = opt;
            else rec.unsupported.push(opt);
          });
        }
        const { sql, end } = readSql(i + 1);
        rec.sql = sql;
        rec.sqlEnd = end;
        let recEnd = end;
        if (end < lines.length && (lines[end] as string).trim() === '----') {
          const { block, end: blockEnd } = readBlock(end + 1);
          rec.resultSpan = { separator: end, start: end + 1, end: blockEnd };
          recEnd = blockEnd;
          if (rec.error) {
            if (block.length > 0) rec.error.message = block.join('\n').trim();
          } else {
            const body = [...block];
            const columnNames = rec.colnames ? (body.shift() ?? '').trim().split(/\s+/).filter(Boolean) : undefined;
            const hash = body.length === 1 ? HASH_LINE.exec((body[0] as string).trim()) : null;
            const expected: SltExpected = hash
              ? { kind: 'hash', count: Number(hash[1]), hash: (hash[2] as string).toLowerCase() }
              : { kind: 'values', lines: body };
            if (columnNames) expected.columnNames = columnNames;
            rec.expected = expected;
          }
        }
        rec.span = { start, end: recEnd };
        if (sql.trim() === '') {
          invalid('query without SQL');
          break;
        }
        records.push(rec);
        i = recEnd;
        break;
      }
      case 'halt':
        records.push({ ...base, kind: 'halt' });
        i++;
        break;
      case 'hash-threshold': {
        const n = Number(words[1]);
        if (!Number.isInteger(n) || n < 0) invalid(`bad hash-threshold: ${header}`);
        else {
          records.push({ ...base, kind: 'hash-threshold', threshold: n });
          i++;
        }
        break;
      }
      case 'connection':
        if (!words[1]) invalid('connection without a name');
        else {
          records.push({ ...base, kind: 'connection', name: words[1] });
          i++;
        }
        break;
      case 'user':
        if (!words[1]) invalid('user without a name');
        else {
          records.push({ ...base, kind: 'user', user: words[1], args: words.slice(2) });
          i++;
        }
        break;
      case 'sleep': {
        const ms = parseDuration(afterWords(header, 1));
        if (ms === undefined) invalid(`bad sleep duration: ${header}`);
        else {
          records.push({ ...base, kind: 'sleep', ms });
          i++;
        }
        break;
      }
      case 'let': {
        const m = /^\$([A-Za-z_][A-Za-z0-9_]*)$/.exec(words[1] ?? '');
        if (!m) {
          invalid(`let needs a $variable: ${header}`);
          break;
        }
        const { sql, end } = readSql(i + 1);
        if (sql.trim() === '') {
          invalid('let without a query');
          break;
        }
        const rec: SltLet = { ...base, kind: 'let', name: m[1] as string, sql, span: { start, end } };
        if (connection !== undefined) rec.connection = connection;
        records.push(rec);
        i = end;
        break;
      }
      case 'control': {
        const mode = words[2];
        if (words[1] === 'sortmode' && (mode === 'nosort' || mode === 'rowsort' || mode === 'valuesort')) {
          defaultSort = mode;
          records.push({ ...base, kind: 'control', sortMode: mode });
          i++;
        } else invalid(`unsupported control: ${header}`);
        break;
      }
      case 'subtest':
        records.push({ ...base, kind: 'subtest', name: afterWords(header, 1) });
        i++;
        break;
      default:
        invalid(`unknown directive: ${header}`);
    }
  }
  return { file, lines, records };
}
