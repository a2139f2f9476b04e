/**
 * Backslash commands (psql's) and dot commands (sqlite3's) for looking around: they become
 * queries on pg_catalog, so they work the same on an embedded file and on any server.
 */
import type { Backend, ResultSet } from './backend.js';

const VISIBLE = `n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_toast'
  AND pg_catalog.pg_table_is_visible(c.oid)`;

function literal(s: string): string {
  return `'${s.replaceAll("'", "''")}'`;
}

function relationList(kinds: string, typeLabel: string): string {
  return `SELECT n.nspname AS "Schema", c.relname AS "Name", ${typeLabel} AS "Type",
  pg_catalog.pg_get_userbyid(c.relowner) AS "Owner"
FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN (${kinds}) AND ${VISIBLE}
ORDER BY 1, 2`;
}

const KIND_LABEL = `CASE c.relkind WHEN 'r' THEN 'table' WHEN 'v' THEN 'view' WHEN 'S' THEN 'sequence'
  WHEN 'i' THEN 'index' WHEN 'm' THEN 'materialized view' WHEN 'p' THEN 'partitioned table' END`;

export const HELP = `Meta-commands:
  \\q  .quit           quit
  \\dt [.tables]       list tables            \\dv  views     \\ds  sequences
  \\di                 list indexes           \\dn  schemas   \\l   databases
  \\d [NAME]           describe a table, or list relations
  .schema [NAME]      CREATE statements of a table (or all)
  \\x [on|off]         expanded output        \\timing [on|off]  show each statement's time
  \\copy TABLE from 'FILE' [(FORMAT csv, HEADER)]   load a file, with progress
  \\?  .help           this help
`;

/** The queries a describe command runs (each printed as its own result), or undefined if unknown. */
export function describeQueries(command: string, arg: string | undefined): string[] | undefined {
  switch (command) {
    case '\\dt':
      return [relationList(`'r', 'p'`, `'table'`)];
    case '\\dv':
      return [relationList(`'v'`, `'view'`)];
    case '\\ds':
      return [relationList(`'S'`, `'sequence'`)];
    case '\\di':
      return [
        `SELECT n.nspname AS "Schema", c.relname AS "Name", 'index' AS "Type",
  pg_catalog.pg_get_userbyid(c.relowner) AS "Owner", t.relname AS "Table"
FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  JOIN pg_catalog.pg_index i ON i.indexrelid = c.oid JOIN pg_catalog.pg_class t ON t.oid = i.indrelid
WHERE c.relkind = 'i' AND ${VISIBLE}
ORDER BY 1, 2`,
      ];
    case '\\dn':
      return [
        `SELECT n.nspname AS "Name", pg_catalog.pg_get_userbyid(n.nspowner) AS "Owner"
FROM pg_catalog.pg_namespace n WHERE n.nspname !~ '^pg_' AND n.nspname <> 'information_schema' ORDER BY 1`,
      ];
    case '\\l':
      return [
        `SELECT d.datname AS "Name", pg_catalog.pg_get_userbyid(d.datdba) AS "Owner",
  pg_catalog.pg_encoding_to_char(d.encoding) AS "Encoding" FROM pg_catalog.pg_database d ORDER BY 1`,
      ];
    case '\\d':
      if (arg === undefined) return [relationList(`'r', 'p', 'v', 'S', 'm'`, KIND_LABEL)];
      return [
        `SELECT a.attname AS "Column", pg_catalog.format_type(a.atttypid, a.atttypmod) AS "Type",
  CASE WHEN a.attnotnull THEN 'not null' ELSE '' END AS "Nullable",
  COALESCE((SELECT pg_catalog.pg_get_expr(d.adbin, d.adrelid) FROM pg_catalog.pg_attrdef d
    WHERE d.adrelid = a.attrelid AND d.adnum = a.attnum), '') AS "Default"
FROM pg_catalog.pg_attribute a
WHERE a.attrelid = ${literal(arg)}::pg_catalog.regclass AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attnum`,
        `SELECT pg_catalog.pg_get_indexdef(i.indexrelid) AS "Indexes" FROM pg_catalog.pg_index i
WHERE i.indrelid = ${literal(arg)}::pg_catalog.regclass ORDER BY 1`,
      ];
    default:
      return undefined;
  }
}

/** sqlite3's .tables: the visible tables' names. */
export async function tableNames(backend: Backend): Promise<string> {
  const r = await backend.run(relationList(`'r', 'p'`, `'table'`));
  return `${(r.rows ?? []).map((row) => row[1]).join('  ')}\n`;
}

/** sqlite3's .schema: a CREATE TABLE statement per table (and its indexes), rebuilt from the catalog. */
export async function schemaText(backend: Backend, name: string | undefined): Promise<string> {
  const tables = name
    ? [name]
    : ((await backend.run(relationList(`'r', 'p'`, `'table'`))).rows ?? []).map((r) => r[1] as string);
  const out: string[] = [];
  for (const t of tables) {
    const [cols, indexes] = describeQueries('\\d', t) as [string, string];
    const c: ResultSet = await backend.run(cols);
    const lines = (c.rows ?? []).map((r) => {
      let line = `  ${r[0]} ${r[1]}`;
      if (r[3]) line += ` DEFAULT ${r[3]}`;
      if (r[2]) line += ' NOT NULL';
      return line;
    });
    out.push(`CREATE TABLE ${t} (\n${lines.join(',\n')}\n);`);
    for (const r of (await backend.run(indexes)).rows ?? []) out.push(`${r[0]};`);
  }
  return out.length > 0 ? `${out.join('\n')}\n` : '';
}
