/**
 * PostgreSQL's POSIX ("advanced") regular expressions, translated to JavaScript RegExps for the
 * common syntax: bracket classes like `[[:alpha:]]`, `\m` `\M` `\y` word boundaries, `\A` `\Z`,
 * and the flags g i c n m p w s x. JavaScript's leftmost-first alternation can differ from
 * PostgreSQL's leftmost-longest rule for alternations whose branches prefix one another.
 */
import { sqlErr } from './util.js';

const CLASSES: Record<string, string> = {
  alpha: 'a-zA-Z',
  digit: '0-9',
  alnum: 'a-zA-Z0-9',
  upper: 'A-Z',
  lower: 'a-z',
  space: ' \\t\\n\\r\\f\\v',
  blank: ' \\t',
  punct: '!-\\/:-@\\[-`{-~',
  xdigit: '0-9A-Fa-f',
  word: '\\w',
  cntrl: '\\x00-\\x1f\\x7f',
  print: '\\x20-\\x7e',
  graph: '\\x21-\\x7e',
};

export interface RegexFlags {
  readonly global: boolean;
  readonly js: string;
  readonly expanded: boolean;
}

/** Parses PostgreSQL's regex flag letters. */
export function parseRegexFlags(flags: string, fn?: string): RegexFlags {
  let global = false;
  let icase = false;
  let newline = false;
  let partialDot = false;
  let partialAnchor = false;
  let expanded = false;
  for (const f of flags) {
    switch (f) {
      case 'g':
        global = true;
        break;
      case 'i':
        icase = true;
        break;
      case 'c':
        icase = false;
        break;
      case 'n':
      case 'm':
        newline = true;
        break;
      case 'p':
        partialDot = true;
        partialAnchor = false;
        break;
      case 'w':
        partialAnchor = true;
        partialDot = false;
        break;
      case 's':
        newline = false;
        partialDot = false;
        partialAnchor = false;
        break;
      case 'x':
        expanded = true;
        break;
      case 't':
      case 'b':
      case 'e':
      case 'q':
        break;
      default:
        throw sqlErr('INVALID_PARAMETER_VALUE', `invalid regular expression option: "${f}"`);
    }
  }
  if (global && fn !== undefined) {
    throw sqlErr('INVALID_PARAMETER_VALUE', `${fn}() does not support the "global" option`, {
      hint: `Use the regexp_matches function instead.`,
    });
  }
  const dotAll = !(newline || partialDot);
  const multi = newline || partialAnchor;
  return { global, expanded, js: `${icase ? 'i' : ''}${dotAll ? 's' : ''}${multi ? 'm' : ''}` };
}

function translate(pattern: string, expanded: boolean): string {
  let out = '';
  let depth = 0;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (expanded && /\s/.test(c)) continue;
    if (expanded && c === '#') {
      while (i < pattern.length && pattern[i] !== '\n') i++;
      continue;
    }
    if (c === '\\') {
      const n = pattern[i + 1];
      i++;
      if (n === undefined) throw invalidRegex('invalid escape \\ sequence');
      if (n === 'm') out += '\\b(?=\\w)';
      else if (n === 'M') out += '\\b(?<=\\w)';
      else if (n === 'y') out += '\\b';
      else if (n === 'Y') out += '\\B';
      else if (n === 'A') out += '^';
      else if (n === 'Z') out += '$(?![\\s\\S])';
      else out += `\\${n}`;
      continue;
    }
    if (c === '[') {
      // A bracket expression: copy up to its closing bracket, translating [:class:].
      let j = i + 1;
      let body = '';
      if (pattern[j] === '^') {
        body += '^';
        j++;
      }
      if (pattern[j] === ']') {
        body += '\\]';
        j++;
      }
      for (; j < pattern.length && pattern[j] !== ']'; j++) {
        const d = pattern[j] as string;
        if (d === '[' && pattern[j + 1] === ':') {
          const end = pattern.indexOf(':]', j + 2);
          if (end < 0) throw invalidRegex('brackets [] not balanced');
          const cls = CLASSES[pattern.slice(j + 2, end)];
          if (cls === undefined) throw invalidRegex('invalid character class');
          body += cls;
          j = end + 1;
        } else if (d === '\\') {
          body += `\\${pattern[j + 1] ?? ''}`;
          j++;
        } else if (d === '[') body += '\\[';
        else body += d;
      }
      if (j >= pattern.length) throw invalidRegex('brackets [] not balanced');
      out += `[${body}]`;
      i = j;
      continue;
    }
    if (c === '(') depth++;
    if (c === ')') {
      depth--;
      if (depth < 0) throw invalidRegex('parentheses () not balanced');
    }
    out += c;
  }
  if (depth !== 0) throw invalidRegex('parentheses () not balanced');
  return out;
}

function invalidRegex(what: string): Error {
  return sqlErr('INVALID_REGULAR_EXPRESSION', `invalid regular expression: ${what}`);
}

const CACHE = new Map<string, RegExp>();

/** Compiles a PostgreSQL regex (with the `g` flag added when `global`). */
export function compileRegex(pattern: string, flags: RegexFlags, global = flags.global): RegExp {
  const key = `${flags.js}${global ? 'g' : ''}${flags.expanded ? 'x' : ''}/${pattern}`;
  let re = CACHE.get(key);
  if (re === undefined) {
    const src = translate(pattern, flags.expanded);
    const f = `${flags.js}${global ? 'g' : ''}`;
    try {
      re = new RegExp(src, `${f}u`);
    } catch {
      try {
        re = new RegExp(src, f);
      } catch (e) {
        throw invalidRegex((e as Error).message.replace(/^Invalid regular expression: /, ''));
      }
    }
    if (CACHE.size > 500) CACHE.clear();
    CACHE.set(key, re);
  }
  re.lastIndex = 0;
  return re;
}

/** PostgreSQL's replacement text: `\1`..`\9` groups, `\&` the match, `\\` a backslash. */
export function expandReplacement(rep: string, m: RegExpExecArray): string {
  if (!rep.includes('\\')) return rep;
  let out = '';
  for (let i = 0; i < rep.length; i++) {
    const c = rep[i] as string;
    if (c !== '\\' || i + 1 >= rep.length) {
      out += c;
      continue;
    }
    const n = rep[i + 1] as string;
    if (n >= '1' && n <= '9') {
      out += m[Number(n)] ?? '';
      i++;
    } else if (n === '&') {
      out += m[0];
      i++;
    } else if (n === '\\') {
      out += '\\';
      i++;
    } else out += c;
  }
  return out;
}

/** regexp_replace: the first match, or every match with `g`. */
export function regexReplace(s: string, pattern: string, rep: string, flagText: string): string {
  const flags = parseRegexFlags(flagText);
  const re = compileRegex(pattern, flags, true);
  let out = '';
  let last = 0;
  for (;;) {
    const m = re.exec(s);
    if (m === null) break;
    out += s.slice(last, m.index) + expandReplacement(rep, m);
    last = m.index + m[0].length;
    if (m[0].length === 0) {
      if (re.lastIndex >= s.length) {
        re.lastIndex = s.length + 1;
      } else re.lastIndex += (s.codePointAt(re.lastIndex) ?? 0) > 0xffff ? 2 : 1;
    }
    if (!flags.global) break;
  }
  return out + s.slice(last);
}
