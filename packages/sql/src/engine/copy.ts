/**
 * COPY … FROM STDIN and COPY … TO STDOUT in PostgreSQL's text and CSV formats: the rows a client
 * streams in (psql's \copy, pgbench -i, pg_dump's data) are parsed as they arrive and inserted
 * through the same checks as INSERT; the rows of a table or query go out as lines of text.
 *
 * Text format: fields split by the delimiter (tab), `\N` for NULL, backslash escapes (\b \f \n \r
 * \t \v \\, octal \ooo, hex \xhh, and an escaped delimiter), a line `\.` ends the data.
 * CSV: fields split by the delimiter (comma), optionally quoted ("" inside quotes is a quote and a
 * quoted field may span lines), an unquoted empty field is NULL, and HEADER skips (or writes) a
 * first line of column names.
 */
import { ThinkLiteError } from '@thinklite/base';
import type { ColumnDesc } from '../catalog/descriptors.js';
import type { CopyStmt } from '../parser/ast.js';
import { parseOne } from '../parser/parse.js';
import type { Datum } from '../types/datum.js';
import { applyTypmod, formatText, parseText } from '../types/text-io.js';
import type { SqlType } from '../types/type.js';
import type { QueryResult, StatementContext } from './context.js';
import { rowInserter } from './dml.js';
import { sqlError as err } from './errors.js';
import { ExprBinder } from './expr.js';
import { bindTable, runSelect } from './query.js';

/** Where COPY's data comes from and goes to: the client's side of the statement. */
export interface CopyIo {
  /** COPY FROM STDIN: the bytes (or text) the client sends, in chunks of any size. */
  readonly input?: AsyncIterable<Uint8Array | string>;
  /** COPY TO STDOUT: called with each chunk of output text (may wait: backpressure). */
  readonly output?: (chunk: string) => Promise<void> | void;
}

/** The format settings of one COPY statement, PostgreSQL's defaults filled in. */
interface Format {
  readonly csv: boolean;
  readonly delimiter: string;
  readonly null: string;
  readonly quote: string;
  readonly escape: string;
  readonly header: boolean;
}

function formatOf(stmt: CopyStmt): Format {
  if (stmt.format === 'binary') throw err('FEATURE_NOT_SUPPORTED', 'COPY in binary format is not supported yet');
  const csv = stmt.format === 'csv';
  const delimiter = stmt.delimiter ?? (csv ? ',' : '\t');
  if (delimiter.length !== 1) {
    throw err('FEATURE_NOT_SUPPORTED', 'COPY delimiter must be a single one-byte character', stmt.location);
  }
  if (delimiter === '\n' || delimiter === '\r') {
    throw err('INVALID_PARAMETER_VALUE', 'COPY delimiter cannot be newline or carriage return', stmt.location);
  }
  const quote = stmt.quote ?? '"';
  if (!csv && (stmt.quote !== undefined || stmt.escape !== undefined)) {
    throw err('FEATURE_NOT_SUPPORTED', 'COPY quote and escape are available only in CSV mode', stmt.location);
  }
  if (stmt.header === 'match') throw err('FEATURE_NOT_SUPPORTED', 'COPY HEADER MATCH is not supported yet');
  return {
    csv,
    delimiter,
    null: stmt.null ?? (csv ? '' : '\\N'),
    quote,
    escape: stmt.escape ?? quote,
    header: stmt.header === true,
  };
}

/** Runs a COPY statement with the client's data. */
export async function runCopy(sc: StatementContext, stmt: CopyStmt, io: CopyIo | undefined): Promise<QueryResult> {
  const format = formatOf(stmt);
  if (stmt.direction === 'from') {
    if (!io?.input) {
      throw err('FEATURE_NOT_SUPPORTED', 'COPY FROM STDIN needs a client that sends the data (psql, a driver)');
    }
    return copyFrom(sc, stmt, format, io.input);
  }
  if (!io?.output) throw err('FEATURE_NOT_SUPPORTED', 'COPY TO STDOUT needs a client that receives the data');
  return copyTo(sc, stmt, format, io.output);
}

// --- COPY FROM ---------------------------------------------------------------------------------

async function copyFrom(
  sc: StatementContext,
  stmt: CopyStmt,
  format: Format,
  input: AsyncIterable<Uint8Array | string>,
): Promise<QueryResult> {
  if (stmt.source.kind !== 'table') throw err('SYNTAX_ERROR', 'COPY FROM requires a table', stmt.location);
  if (stmt.where) throw err('FEATURE_NOT_SUPPORTED', 'COPY FROM … WHERE is not supported yet', stmt.location);
  const bt = await bindTable(sc, { kind: 'table', name: stmt.source.table, only: false, location: stmt.location });
  const cols = bt.table.columns;
  const targets = targetColumns(cols, stmt.source.columns, bt.table.name);
  const binder = new ExprBinder({ params: sc.params, ctx: sc.typeContext });
  const inserter = rowInserter(sc, bt, binder);
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const records = format.csv ? csvRecords(format) : textRecords(format);
  let line = 0;
  let count = 0;
  let skipHeader = format.header;
  const take = async (fields: (string | null)[] | 'end'): Promise<boolean> => {
    if (fields === 'end') return false;
    line++;
    if (skipHeader) {
      skipHeader = false;
      return true;
    }
    const where = () => `COPY ${bt.table.name}, line ${line}`;
    if (fields.length !== targets.length) {
      throw err(
        'BAD_COPY_FILE_FORMAT',
        fields.length < targets.length
          ? `missing data for column "${(cols[targets[fields.length] as number] as ColumnDesc).name}"`
          : 'extra data after last expected column',
        undefined,
        { where: where() },
      );
    }
    const row: (Datum | undefined)[] = new Array(cols.length).fill(undefined);
    for (let j = 0; j < targets.length; j++) {
      const c = cols[targets[j] as number] as ColumnDesc;
      const text = fields[j] as string | null;
      try {
        row[targets[j] as number] = text === null ? null : applyTypmod(c.type, parseText(c.type, text, sc.typeContext));
      } catch (e) {
        // PostgreSQL's CONTEXT line: where in the data the bad value was.
        if (e instanceof ThinkLiteError) {
          throw new ThinkLiteError(e.code, e.message, {
            ...e.details,
            where: `${where()}, column ${c.name}: "${text}"`,
          });
        }
        throw e;
      }
    }
    await inserter(row);
    count++;
    if (count % 256 === 0) await sc.checkInterrupts?.();
    return true;
  };
  let ended = false; // the end marker `\.` was read: the rest of the data is ignored
  outer: for await (const chunk of input) {
    const text = typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
    for (const fields of records.push(text)) {
      if (!(await take(fields))) {
        ended = true;
        break outer;
      }
    }
  }
  if (!ended) for (const fields of records.end()) if (!(await take(fields))) break;
  return { command: `COPY ${count}`, rowCount: count, columns: [], rows: [], writtenTable: bt.table.id };
}

function targetColumns(cols: readonly ColumnDesc[], names: readonly string[], table: string): number[] {
  if (names.length === 0) return cols.flatMap((c, i) => (c.hidden ? [] : [i]));
  return names.map((name) => {
    const i = cols.findIndex((c) => c.name === name && !c.hidden);
    if (i < 0) throw err('UNDEFINED_COLUMN', `column "${name}" of relation "${table}" does not exist`);
    return i;
  });
}

/**
 * A parser of records fed text in chunks: `push` returns the records completed so far (a record
 * is its fields, NULL as null, or 'end' for the end-of-data marker); `end` the last one.
 */
interface RecordParser {
  push(text: string): ((string | null)[] | 'end')[];
  end(): ((string | null)[] | 'end')[];
}

/** PostgreSQL's text format: one record per line. */
function textRecords(f: Format): RecordParser {
  let pending = '';
  const record = (line: string): (string | null)[] | 'end' => {
    if (line === '\\.') return 'end';
    return splitText(line, f.delimiter).map((raw) => (raw === f.null ? null : unescapeText(raw)));
  };
  const lines = (final: boolean) => {
    const out: ((string | null)[] | 'end')[] = [];
    let start = 0;
    for (;;) {
      const nl = pending.indexOf('\n', start);
      if (nl < 0) break;
      const line = pending.slice(start, nl);
      out.push(record(line.endsWith('\r') ? line.slice(0, -1) : line));
      start = nl + 1;
    }
    pending = pending.slice(start);
    if (final && pending !== '') {
      out.push(record(pending));
      pending = '';
    }
    return out;
  };
  return {
    push: (text) => {
      pending += text;
      return lines(false);
    },
    end: () => lines(true),
  };
}

/** Splits a text-format line at delimiters that are not escaped by a backslash (fields stay raw). */
function splitText(line: string, delimiter: string): string[] {
  const out: string[] = [];
  let start = 0;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (ch === '\\') i++;
    else if (ch === delimiter) {
      out.push(line.slice(start, i));
      start = i + 1;
    }
  }
  out.push(line.slice(start));
  return out;
}

const TEXT_ESCAPES: Readonly<Record<string, string>> = { b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' };

function unescapeText(raw: string): string {
  if (!raw.includes('\\')) return raw;
  let out = '';
  for (let i = 0; i < raw.length; i++) {
    const ch = raw[i] as string;
    if (ch !== '\\' || i + 1 >= raw.length) {
      out += ch;
      continue;
    }
    const next = raw[++i] as string;
    if (TEXT_ESCAPES[next] !== undefined) out += TEXT_ESCAPES[next];
    else if (next >= '0' && next <= '7') {
      let digits = next;
      while (digits.length < 3 && /[0-7]/.test(raw[i + 1] ?? '')) digits += raw[++i];
      out += String.fromCharCode(Number.parseInt(digits, 8));
    } else if (next === 'x' && /[0-9a-fA-F]/.test(raw[i + 1] ?? '')) {
      let digits = '';
      while (digits.length < 2 && /[0-9a-fA-F]/.test(raw[i + 1] ?? '')) digits += raw[++i];
      out += String.fromCharCode(Number.parseInt(digits, 16));
    } else out += next;
  }
  return out;
}

/** CSV: quoted fields may hold delimiters, quotes (doubled or escaped) and newlines. */
function csvRecords(f: Format): RecordParser {
  let fields: (string | null)[] = [];
  let field = '';
  let quoted = false; // inside quotes
  let wasQuoted = false; // the current field had quotes (so it is never NULL)
  let empty = true; // nothing of the current record read yet
  let carry = ''; // an escape character at a chunk's end, held until the next chunk shows what follows
  const finishField = () => {
    fields.push(!wasQuoted && field === f.null ? null : field);
    field = '';
    wasQuoted = false;
  };
  const isEndMarker = () => fields.length === 0 && !wasQuoted && field === '\\.';
  const feed = (text: string, final: boolean) => {
    const out: ((string | null)[] | 'end')[] = [];
    for (let i = 0; i < text.length; i++) {
      const ch = text[i] as string;
      empty = false;
      if (quoted) {
        if (ch === f.escape && i + 1 >= text.length && !final) {
          carry = ch; // "" or \" — or the closing quote: the next chunk decides
          return out;
        }
        if (ch === f.escape && text[i + 1] === f.quote) {
          field += f.quote;
          i++;
        } else if (ch === f.quote) quoted = false;
        else field += ch;
        continue;
      }
      if (ch === f.quote) {
        quoted = true;
        wasQuoted = true;
      } else if (ch === f.delimiter) finishField();
      else if (ch === '\n' || ch === '\r') {
        if (ch === '\r' && text[i + 1] === '\n') i++;
        if (isEndMarker()) out.push('end');
        else {
          finishField();
          out.push(fields);
        }
        fields = [];
        field = '';
        empty = true;
      } else field += ch;
    }
    if (final) {
      if (quoted) throw err('BAD_COPY_FILE_FORMAT', 'unterminated CSV quoted field');
      if (!empty && !isEndMarker()) {
        finishField();
        out.push(fields);
      }
    }
    return out;
  };
  return {
    push: (text) => {
      const t = carry + text;
      carry = '';
      return feed(t, false);
    },
    end: () => {
      const t = carry;
      carry = '';
      return feed(t, true);
    },
  };
}

// --- COPY TO -----------------------------------------------------------------------------------

async function copyTo(
  sc: StatementContext,
  stmt: CopyStmt,
  format: Format,
  output: (chunk: string) => Promise<void> | void,
): Promise<QueryResult> {
  const source = stmt.source;
  const query =
    source.kind === 'query'
      ? source.query
      : parseOne(
          `SELECT ${source.columns.length > 0 ? source.columns.map(quoteIdent).join(', ') : '*'} FROM ${source.table.map(quoteIdent).join('.')}`,
        );
  if (query.kind !== 'select') {
    throw err('FEATURE_NOT_SUPPORTED', 'COPY (INSERT/UPDATE/DELETE … RETURNING) TO is not supported yet');
  }
  let types: SqlType[] = [];
  let count = 0;
  let buffer = '';
  const flush = async () => {
    if (buffer === '') return;
    const chunk = buffer;
    buffer = '';
    await output(chunk);
  };
  await runSelect(sc, query, false, {
    start: (columns) => {
      types = columns.map((c) => c.type);
      if (format.header) {
        buffer += `${columns.map((c) => (format.csv ? csvField(c.name, format, true) : escapeText(c.name, format))).join(format.delimiter)}\n`;
      }
    },
    rows: async (batch) => {
      for (const row of batch) {
        buffer += `${row
          .map((v, i) => {
            if (v === null) return format.null;
            const text = formatText(types[i] as SqlType, v, sc.typeContext);
            return format.csv ? csvField(text, format, false) : escapeText(text, format);
          })
          .join(format.delimiter)}\n`;
        count++;
      }
      if (buffer.length >= 64 * 1024) await flush();
      return true;
    },
  });
  await flush();
  return { command: `COPY ${count}`, rowCount: count, columns: [], rows: [] };
}

function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** A value in text format: backslash, newline, carriage return, tab, vertical tab, backspace, form feed and the delimiter escaped. */
function escapeText(text: string, f: Format): string {
  let out = '';
  for (const ch of text) {
    if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\v') out += '\\v';
    else if (ch === '\b') out += '\\b';
    else if (ch === '\f') out += '\\f';
    else if (ch === f.delimiter) out += `\\${ch}`;
    else out += ch;
  }
  return out;
}

/** A CSV field, quoted when it holds the delimiter, a quote, a newline, or would read as NULL. */
function csvField(text: string, f: Format, header: boolean): string {
  const needs =
    text.includes(f.delimiter) ||
    text.includes(f.quote) ||
    text.includes('\n') ||
    text.includes('\r') ||
    (!header && text === f.null) ||
    text === '\\.';
  if (!needs) return text;
  let body = '';
  for (const ch of text) body += ch === f.quote || ch === f.escape ? `${f.escape}${ch}` : ch;
  return `${f.quote}${body}${f.quote}`;
}
