/**
 * Printing results: psql's aligned tables (header centred, numbers right-aligned, `(n rows)`),
 * its expanded form (\x), CSV (RFC 4180) and JSON (one array of row objects per result).
 */
import type { ResultSet, SqlFailure } from './backend.js';

export type OutputMode = 'aligned' | 'expanded' | 'csv' | 'json';

/** Display width of a string: code points (wide characters are not measured). */
function width(s: string): number {
  return [...s].length;
}

function pad(s: string, w: number, right: boolean): string {
  const fill = ' '.repeat(Math.max(0, w - width(s)));
  return right ? fill + s : s + fill;
}

function center(s: string, w: number): string {
  const total = Math.max(0, w - width(s));
  const left = Math.floor(total / 2);
  return ' '.repeat(left) + s + ' '.repeat(total - left);
}

function rowsFooter(n: number): string {
  return `(${n} row${n === 1 ? '' : 's'})`;
}

export function formatResult(r: ResultSet, mode: OutputMode): string {
  if (!r.rows) return mode === 'json' || mode === 'csv' ? '' : `${r.command}\n`;
  switch (mode) {
    case 'aligned':
      return aligned(r);
    case 'expanded':
      return expanded(r);
    case 'csv':
      return csv(r);
    case 'json':
      return `${JSON.stringify(r.rows.map((row) => Object.fromEntries(r.columns.map((c, i) => [c.name, row[i] ?? null]))))}\n`;
  }
}

function aligned(r: ResultSet): string {
  const rows = r.rows ?? [];
  // Multi-line values take several lines; every cell is measured by its widest line.
  const cells = rows.map((row) => row.map((v) => (v ?? '').split('\n')));
  const widths = r.columns.map((c, i) =>
    Math.max(width(c.name), ...cells.map((row) => Math.max(...(row[i] ?? ['']).map(width)))),
  );
  const lines: string[] = [];
  lines.push(` ${r.columns.map((c, i) => center(c.name, widths[i] as number)).join(' | ')}`.trimEnd());
  lines.push(widths.map((w) => '-'.repeat(w + 2)).join('+'));
  for (const row of cells) {
    const height = Math.max(1, ...row.map((parts) => parts.length));
    for (let h = 0; h < height; h++) {
      const parts = r.columns.map((c, i) => pad((row[i] as string[])[h] ?? '', widths[i] as number, c.numeric));
      lines.push(` ${parts.join(' | ')}`.trimEnd());
    }
  }
  lines.push(rowsFooter(rows.length));
  return `${lines.join('\n')}\n\n`;
}

function expanded(r: ResultSet): string {
  const rows = r.rows ?? [];
  if (rows.length === 0) return '(0 rows)\n\n';
  const nameWidth = Math.max(...r.columns.map((c) => width(c.name)));
  const out: string[] = [];
  rows.forEach((row, n) => {
    out.push(`-[ RECORD ${n + 1} ]${'-'.repeat(Math.max(1, nameWidth - 8))}`);
    r.columns.forEach((c, i) => {
      out.push(`${pad(c.name, nameWidth, false)} | ${row[i] ?? ''}`.trimEnd());
    });
  });
  return `${out.join('\n')}\n\n`;
}

function csvField(v: string | null): string {
  if (v === null) return '';
  return /[",\n\r]/.test(v) || v === '' ? `"${v.replaceAll('"', '""')}"` : v;
}

function csv(r: ResultSet): string {
  const lines = [r.columns.map((c) => csvField(c.name)).join(',')];
  for (const row of r.rows ?? []) lines.push(row.map(csvField).join(','));
  return `${lines.join('\n')}\n`;
}

/** An error as psql prints it. */
export function formatFailure(f: SqlFailure): string {
  let s = `ERROR:  ${f.message}\n`;
  if (f.detail) s += `DETAIL:  ${f.detail}\n`;
  if (f.hint) s += `HINT:  ${f.hint}\n`;
  return s;
}
