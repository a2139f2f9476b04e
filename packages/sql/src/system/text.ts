import type { Expr, TypeName } from '../parser/ast.js';
import { resolveTypeName, type SqlType, typeName } from '../types/type.js';

/**
 * Text the catalogs show: identifiers quoted as quote_ident does, and expressions (column
 * defaults, CHECKs) printed from the parser's tree in the style of PostgreSQL's pg_get_expr —
 * `0`, `'x'::text`, `nextval('t_id_seq'::regclass)`, `(age >= 0)`, `now()`. It is a small printer
 * for what DDL usually holds, not a full deparser: the text is close to PostgreSQL's, and exact
 * for literals, column references, operators, function calls and casts.
 */

/** PostgreSQL's reserved key words (and the column-name/type-func ones quote_ident quotes). */
const RESERVED = new Set(
  (
    'all analyse analyze and any array as asc asymmetric authorization between bigint binary bit boolean ' +
    'both case cast char character check coalesce collate collation column concurrently constraint create ' +
    'cross current_catalog current_date current_role current_schema current_time current_timestamp ' +
    'current_user dec decimal default deferrable desc distinct do else end except exists extract false ' +
    'fetch float for foreign freeze from full grant greatest group grouping having ilike in initially ' +
    'inner inout int integer intersect interval into is isnull join json lateral leading least left like ' +
    'limit localtime localtimestamp national natural nchar none normalize not notnull null nullif numeric ' +
    'offset on only or order out outer overlaps overlay placing position precision primary real ' +
    'references returning right row select session_user setof similar smallint some substring symmetric ' +
    'table tablesample then time timestamp to trailing treat trim true union unique user using values ' +
    'varchar variadic verbose when where window with xmlattributes xmlconcat xmlelement xmlexists ' +
    'xmlforest xmlnamespaces xmlparse xmlpi xmlroot xmlserialize xmltable'
  ).split(' '),
);

/** quote_ident: bare when lower-case, digits and underscores (not first a digit) and no key word. */
export function quoteIdent(name: string): string {
  if (/^[a-z_][a-z0-9_$]*$/.test(name) && !RESERVED.has(name)) return name;
  return `"${name.replaceAll('"', '""')}"`;
}

export function quoteLiteral(s: string): string {
  return `'${s.replaceAll("'", "''")}'`;
}

function typeOfName(t: TypeName): SqlType | undefined {
  const name = t.names[t.names.length - 1] ?? '';
  try {
    return resolveTypeName(t.arrayBounds.length > 0 ? `${name}[]` : name, t.typmods);
  } catch {
    return undefined;
  }
}

function typeNameText(t: TypeName): string {
  const st = typeOfName(t);
  return st ? typeName(st) : t.names.map(quoteIdent).join('.');
}

/** The name a cast shows: format_type of the type without its modifiers. */
function castLabel(t: SqlType): string {
  if (t.kind === 'array' && t.elem) return `${castLabel(t.elem)}[]`;
  if (t.kind === 'bpchar') return 'bpchar';
  return typeName({ kind: t.kind });
}

export interface ExprTextOptions {
  /** The type a bare string literal takes (the column's, for a default): `'x'::text`. */
  readonly target?: SqlType;
  /** pg_get_expr's pretty form: no parentheses around the top-level operator (`age >= 0`). */
  readonly pretty?: boolean;
}

/**
 * An expression as pg_get_expr(expr, rel) prints it — `(age >= 0)`, `'x'::text` — or, with
 * `pretty`, as pg_get_expr(expr, rel, true) does at the top level (`age >= 0`).
 */
export function exprText(e: Expr, opts: ExprTextOptions = {}): string {
  return print(e, opts.target, opts.pretty === true);
}

function print(e: Expr, target: SqlType | undefined, top: boolean): string {
  const wrap = (s: string) => (top ? s : `(${s})`);
  const p = (x: Expr) => print(x, undefined, false);
  switch (e.kind) {
    case 'integer':
      if (e.type === 'int4') return e.value < 0 ? `'${e.text}'::integer` : e.text;
      return `'${e.text}'::bigint`;
    case 'numeric':
      return e.text.startsWith('-') ? `'${e.text}'::numeric` : e.text;
    case 'string': {
      const label = target ? castLabel(target) : 'text';
      return `${quoteLiteral(e.value)}::${label}`;
    }
    case 'boolean':
      return e.value ? 'true' : 'false';
    case 'null':
      return 'NULL';
    case 'typedLiteral':
      return `${quoteLiteral(e.value)}::${typeNameText(e.type)}`;
    case 'param':
      return `$${e.number}`;
    case 'columnRef':
      return e.names.map(quoteIdent).join('.');
    case 'funcCall': {
      const name = e.name[0] === 'pg_catalog' && e.name.length === 2 ? (e.name[1] as string) : e.name.join('.');
      const args = e.star ? '*' : e.args.map((a) => print(a, undefined, true)).join(', ');
      return `${name}(${e.distinct ? 'DISTINCT ' : ''}${args})`;
    }
    case 'binaryOp':
      return wrap(`${p(e.left)} ${e.op} ${p(e.right)}`);
    case 'unaryOp':
      return wrap(`${e.op} ${p(e.operand)}`);
    case 'and':
      return wrap(e.args.map(p).join(' AND '));
    case 'or':
      return wrap(e.args.map(p).join(' OR '));
    case 'not':
      return wrap(`NOT ${p(e.arg)}`);
    case 'isNull':
      return wrap(`${p(e.expr)} IS ${e.negated ? 'NOT ' : ''}NULL`);
    case 'isBool':
      return wrap(`${p(e.expr)} IS ${e.negated ? 'NOT ' : ''}${e.test.toUpperCase()}`);
    case 'isDistinctFrom':
      return wrap(`${p(e.left)} IS ${e.negated ? 'NOT ' : ''}DISTINCT FROM ${p(e.right)}`);
    case 'like': {
      const op = { like: '~~', ilike: '~~*', similar: 'SIMILAR TO' }[e.mode];
      return wrap(`${p(e.expr)} ${e.negated ? (e.mode === 'similar' ? 'NOT ' : '!') : ''}${op} ${p(e.pattern)}`);
    }
    case 'between':
      return wrap(`${p(e.expr)} ${e.negated ? 'NOT ' : ''}BETWEEN ${p(e.low)} AND ${p(e.high)}`);
    case 'inList':
      return wrap(`${p(e.expr)} ${e.negated ? 'NOT ' : ''}IN (${e.list.map(p).join(', ')})`);
    case 'quantified':
      return wrap(`${p(e.left)} ${e.op} ${e.quantifier.toUpperCase()} (${p(e.right)})`);
    case 'cast': {
      const inner = print(e.expr, typeOfName(e.type), false);
      return wrap(`${inner}::${typeNameText(e.type)}`);
    }
    case 'coalesce':
      return `COALESCE(${e.args.map((a) => print(a, undefined, true)).join(', ')})`;
    case 'nullif':
      return `NULLIF(${print(e.left, undefined, true)}, ${print(e.right, undefined, true)})`;
    case 'minMax':
      return `${e.op.toUpperCase()}(${e.args.map((a) => print(a, undefined, true)).join(', ')})`;
    case 'array':
      return `ARRAY[${e.elements.map((a) => print(a, undefined, true)).join(', ')}]`;
    case 'case': {
      const parts = ['CASE'];
      if (e.operand) parts.push(p(e.operand));
      for (const w of e.whens) parts.push(`WHEN ${p(w.condition)} THEN ${p(w.result)}`);
      if (e.else) parts.push(`ELSE ${p(e.else)}`);
      parts.push('END');
      return parts.join(' ');
    }
    case 'sqlValueFunction': {
      const name = e.fn.toUpperCase();
      return e.precision === undefined ? name : `${name}(${e.precision})`;
    }
    case 'collate':
      return wrap(`${p(e.expr)} COLLATE ${e.collation.map(quoteIdent).join('.')}`);
    case 'subscript':
      return `${p(e.expr)}[${print(e.index, undefined, true)}]`;
    case 'row':
      return `ROW(${e.args.map((a) => print(a, undefined, true)).join(', ')})`;
    default:
      return `(${e.kind})`;
  }
}
