/**
 * Where the CLI's SQL runs: an embedded database file (`thinklite my.tlite`) or a server over the
 * PostgreSQL protocol (`thinklite sql --url postgres://…`, any PostgreSQL-speaking server). Both
 * give results as text, the way psql shows them.
 */
import { createReadStream } from 'node:fs';
import { isThinkLiteError } from '@thinklite/base';
import { formatText, type SqlType, ThinkLite, typeFromOid, typeName } from '@thinklite/sql';
import pg from 'pg';

export interface ResultSet {
  /** The command tag: `SELECT 2`, `INSERT 0 1`, `CREATE TABLE`, … */
  readonly command: string;
  readonly columns: readonly { readonly name: string; readonly type: string; readonly numeric: boolean }[];
  /** Rows as text (NULL as null); absent for a statement that returns no rows. */
  readonly rows?: readonly (readonly (string | null)[])[];
}

/** An error as the server reported it (SQLSTATE, message, detail, hint). */
export interface SqlFailure {
  readonly sqlstate?: string;
  readonly message: string;
  readonly detail?: string;
  readonly hint?: string;
}

export interface Backend {
  readonly label: string;
  /** Runs one statement. Throws a SqlFailure-shaped error on failure. */
  run(sql: string): Promise<ResultSet>;
  /** COPY … FROM STDIN from a file, reporting bytes and lines read so far (for a progress line). */
  copyFromFile?(sql: string, file: string, progress: (bytes: number, lines: number) => void): Promise<ResultSet>;
  close(): Promise<void>;
}

const NUMERIC_KINDS = new Set(['int2', 'int4', 'int8', 'float4', 'float8', 'numeric']);

function column(name: string, type: SqlType | undefined, fallback: string) {
  return { name, type: type ? typeName(type) : fallback, numeric: type ? NUMERIC_KINDS.has(type.kind) : false };
}

/** A failure from whatever was thrown: a ThinkLiteError, a pg DatabaseError, or a plain Error. */
export function failureOf(e: unknown): SqlFailure {
  if (isThinkLiteError(e)) {
    const d = e.details as { detail?: unknown; hint?: unknown };
    return {
      sqlstate: e.sqlstate,
      message: e.message,
      ...(typeof d.detail === 'string' ? { detail: d.detail } : {}),
      ...(typeof d.hint === 'string' ? { hint: d.hint } : {}),
    };
  }
  const p = e as { code?: unknown; message?: unknown; detail?: unknown; hint?: unknown };
  return {
    ...(typeof p.code === 'string' && /^[0-9A-Z]{5}$/.test(p.code) ? { sqlstate: p.code } : {}),
    message: typeof p.message === 'string' ? p.message : String(e),
    ...(typeof p.detail === 'string' ? { detail: p.detail } : {}),
    ...(typeof p.hint === 'string' ? { hint: p.hint } : {}),
  };
}

/** An embedded database directory, opened by this process (a second process gets STORE_LOCKED). */
export async function embedded(path: string): Promise<Backend> {
  const db = await ThinkLite.open(path);
  const ctx = { timeZone: 'UTC' };
  return {
    label: path,
    async run(sql) {
      const r = await db.execute(sql);
      return {
        command: r.command,
        columns: r.columns.map((c) => column(c.name, c.sqlType, c.type)),
        ...(r.columns.length > 0
          ? {
              rows: r.values.map((row) =>
                row.map((v, i) => (v === null ? null : formatText(r.columns[i]?.sqlType as SqlType, v, ctx))),
              ),
            }
          : {}),
      };
    },
    async copyFromFile(sql, file, progress) {
      let bytes = 0;
      let lines = 0;
      const input = (async function* () {
        for await (const chunk of createReadStream(file)) {
          const b = chunk as Buffer;
          bytes += b.length;
          for (let i = b.indexOf(10); i >= 0; i = b.indexOf(10, i + 1)) lines++;
          progress(bytes, lines);
          yield b;
        }
      })();
      const r = await db.copy(sql, { input });
      return { command: r.command, columns: [] };
    },
    close: () => db.close(),
  };
}

/** A server over the PostgreSQL protocol (ThinkLite's, or PostgreSQL itself). */
export async function remote(url: string): Promise<Backend> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const asText = { getTypeParser: () => (v: string) => v };
  return {
    label: url.replace(/:[^:@/]*@/, ':***@'),
    async run(sql) {
      const r = (await client.query({ text: sql, rowMode: 'array', types: asText })) as pg.QueryResult<unknown[]>;
      const fields = r.fields ?? [];
      const command = r.command
        ? `${r.command}${r.command === 'INSERT' ? ' 0' : ''}${r.rowCount !== null && r.command !== 'CREATE' ? ` ${r.rowCount}` : ''}`
        : '';
      return {
        command,
        columns: fields.map((f) => column(f.name, typeFromOid(f.dataTypeID), String(f.dataTypeID))),
        ...(fields.length > 0 ? { rows: r.rows.map((row) => row.map((v) => (v === null ? null : String(v)))) } : {}),
      };
    },
    close: () => client.end(),
  };
}
