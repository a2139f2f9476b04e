/**
 * Splitting input into statements the way psql does: a statement ends at a `;` outside string
 * literals ('…', E'…'), quoted identifiers ("…"), dollar quotes ($tag$…$tag$) and comments
 * (-- to end of line, nested /* … *\/). Backslash commands are recognised only at the start of a
 * statement's first line.
 */
export interface Split {
  /** Complete statements (each without its `;`), in order. */
  readonly statements: string[];
  /** What follows the last `;`: an incomplete statement, or only whitespace. */
  readonly rest: string;
}

export function splitStatements(text: string): Split {
  const statements: string[] = [];
  let start = 0;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const ch = text[i] as string;
    if (ch === "'" || ch === '"') {
      i = skipQuoted(text, i, ch);
    } else if (ch === '-' && text[i + 1] === '-') {
      const nl = text.indexOf('\n', i);
      i = nl < 0 ? n : nl + 1;
    } else if (ch === '/' && text[i + 1] === '*') {
      i = skipBlockComment(text, i);
    } else if (ch === '$') {
      const tag = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(text.slice(i));
      if (tag && !/[A-Za-z0-9_]/.test(text[i - 1] ?? '')) {
        const close = text.indexOf(tag[0], i + tag[0].length);
        i = close < 0 ? n : close + tag[0].length;
      } else i++;
    } else if (ch === ';') {
      statements.push(text.slice(start, i));
      i++;
      start = i;
    } else i++;
  }
  return { statements: statements.map((s) => s.trim()).filter((s) => s !== ''), rest: text.slice(start) };
}

function skipQuoted(text: string, i: number, quote: string): number {
  let j = i + 1;
  while (j < text.length) {
    if (text[j] === quote) {
      if (text[j + 1] === quote) j += 2;
      else return j + 1;
    } else if (text[j] === '\\' && quote === "'" && /[eE]/.test(text[i - 1] ?? '')) j += 2;
    else j++;
  }
  return text.length;
}

function skipBlockComment(text: string, i: number): number {
  let depth = 0;
  let j = i;
  while (j < text.length) {
    if (text[j] === '/' && text[j + 1] === '*') {
      depth++;
      j += 2;
    } else if (text[j] === '*' && text[j + 1] === '/') {
      depth--;
      j += 2;
      if (depth === 0) return j;
    } else j++;
  }
  return text.length;
}
