/**
 * Statements that differ only in their literals share one parse.
 *
 * Clients of the simple query protocol (pgbench, ORMs that inline values, psql) send the same
 * statement again and again with other numbers and strings in it: `SELECT abalance FROM
 * pgbench_accounts WHERE aid = 81734`. Each text is new, so the text cache misses, and a parse
 * (libpg-query's WASM parser, its JSON, our mapping) costs more than running such a statement.
 * Here a statement's text is reduced to a *shape* — integers and plain '…' strings replaced by
 * slot markers — and the first statement of a shape is parsed in full and checked to be a
 * *template*: every slot's literal is exactly one literal node of the tree, found by its location,
 * with the value the literal spells. A later text of the same shape is then built from the
 * template without parsing: the tree is copied with the new values in the slot nodes and every
 * location moved by the difference in the literals' lengths, so the result is the tree a parse
 * would have given (errors point at the same places).
 *
 * Only what is simple to prove is templated: one DML statement (SELECT, INSERT, UPDATE, DELETE)
 * at the start of an ASCII text without comments, dollar quotes or AS OF SYSTEM TIME; integer
 * literals (a leading minus that PostgreSQL folds into the constant included) whose type stays
 * the same, and strings without a prefix (E'', B'', X'', U&'' are part of the shape). A literal
 * that became anything else — a type modifier (`varchar(10)`), a folded expression, a typed
 * literal — makes the shape untemplatable, and its texts are parsed as before.
 */
import type { Statement } from './ast.js';

interface Slot {
  /** Offset of the literal in the text: the digits or the opening quote. */
  readonly start: number;
  readonly end: number;
  readonly kind: 'int' | 'string';
}

interface Shape {
  readonly key: string;
  readonly slots: readonly Slot[];
}

interface Template {
  readonly statement: Statement;
  readonly slots: readonly Slot[];
  /** For each slot, the node that holds its value, and whether a minus sign was folded into it. */
  readonly nodes: readonly { readonly node: object; readonly negated: boolean }[];
  /** For each slot, the property names from the statement down to its node. */
  readonly paths: readonly (readonly (string | number)[])[];
  /**
   * The statement with its locations moved for one set of literal lengths (the key: each slot's
   * change in length), its nodes marked with their template counterparts. A text of those lengths
   * is then built by copying only the nodes on the paths to its slots; the rest is shared.
   */
  readonly variants: Map<string, Record<string, unknown>>;
  /** The statement without its span (what variants and copies are made of). */
  readonly body: Record<string, unknown>;
}

/** Literal-length variants kept per template (`aid = 7` … `aid = 1000000` are seven). */
const VARIANTS_MAX = 64;

const INT4_MAX = 2147483647;
const INT8_MAX = 9223372036854775807n;

const isIdentChar = (c: number): boolean =>
  (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c === 36 || c >= 128;
const isDigit = (c: number): boolean => c >= 48 && c <= 57;

/**
 * The shape of a text, or undefined when the text is not one the templates handle. Integers become
 * `\u0001i<class>` (class: whether the digits fit int4 — with a folded minus too — or int8) and
 * strings `\u0001s`; the rest is kept as written.
 */
export function shapeOf(sql: string): Shape | undefined {
  const n = sql.length;
  if (n === 0 || n > 4096) return undefined;
  const slots: Slot[] = [];
  let key = '';
  let copied = 0;
  let i = 0;
  while (i < n) {
    const c = sql.charCodeAt(i);
    if (c >= 128 || c === 1) return undefined;
    if (c === 39 /* ' */) {
      // E'', B'', X'', N'' and U&'' strings are not plain: they stay part of the shape.
      const prefixed = i > 0 && (isIdentChar(sql.charCodeAt(i - 1)) || sql.charCodeAt(i - 1) === 38);
      let j = i + 1;
      for (;;) {
        if (j >= n) return undefined;
        const d = sql.charCodeAt(j);
        if (d >= 128) return undefined;
        if (d === 39) {
          if (sql.charCodeAt(j + 1) === 39) {
            j += 2;
            continue;
          }
          break;
        }
        j++;
      }
      const end = j + 1;
      // A string continued on the next line ('a' \n 'b') is one literal in SQL: not templated.
      if (!prefixed && !/^[ \t]*\n\s*'/.test(sql.slice(end, end + 64))) {
        key += `${sql.slice(copied, i)}\u0001s`;
        slots.push({ start: i, end, kind: 'string' });
        copied = end;
      }
      i = end;
      continue;
    }
    if (c === 34 /* " */) {
      const close = sql.indexOf('"', i + 1);
      if (close < 0) return undefined;
      i = close + 1;
      // "" inside a quoted identifier: the scan simply continues with the next quote pair.
      continue;
    }
    if (c === 36 /* $ */ && i + 1 < n && !isDigit(sql.charCodeAt(i + 1)) && !isIdentChar(sql.charCodeAt(i - 1) || 32)) {
      return undefined; // a dollar quote
    }
    if ((c === 45 && sql.charCodeAt(i + 1) === 45) || (c === 47 && sql.charCodeAt(i + 1) === 42)) return undefined;
    if (isDigit(c) && (i === 0 || (!isIdentChar(sql.charCodeAt(i - 1)) && sql.charCodeAt(i - 1) !== 46))) {
      let j = i + 1;
      while (j < n && isDigit(sql.charCodeAt(j))) j++;
      const next = j < n ? sql.charCodeAt(j) : 32;
      if (next === 46 /* . */ || isIdentChar(next)) {
        // A decimal, an exponent or something like 1e5 / 0x1F: kept in the shape as written.
        while (j < n && (isIdentChar(sql.charCodeAt(j)) || sql.charCodeAt(j) === 46)) j++;
        i = j;
        continue;
      }
      const digits = sql.slice(i, j);
      const cls = integerClass(digits);
      if (cls !== undefined) {
        key += `${sql.slice(copied, i)}\u0001i${cls}`;
        slots.push({ start: i, end: j, kind: 'int' });
        copied = j;
      }
      i = j;
      continue;
    }
    i++;
  }
  if (slots.length === 0) return undefined;
  return { key: key + sql.slice(copied), slots };
}

/** 'a': fits int4 whatever its sign; 'b': fits int8 whatever its sign; else not a slot. */
function integerClass(digits: string): string | undefined {
  if (digits.length > 19) return undefined;
  if (digits.length <= 9 || Number(digits) <= INT4_MAX) return 'a';
  if (BigInt(digits) < INT8_MAX) return 'b';
  return undefined;
}

/** A string literal's value: the text between the quotes with '' as one quote. */
function stringValue(sql: string, slot: Slot): string {
  return sql.slice(slot.start + 1, slot.end - 1).replaceAll("''", "'");
}

/** The minus sign before a slot that PostgreSQL may fold into the constant (its offset), if any. */
function minusBefore(sql: string, start: number): number | undefined {
  let k = start - 1;
  while (k >= 0 && (sql.charCodeAt(k) === 32 || sql.charCodeAt(k) === 9 || sql.charCodeAt(k) === 10)) k--;
  return k >= 0 && sql.charCodeAt(k) === 45 ? k : undefined;
}

const LITERAL_KINDS = new Set(['integer', 'numeric', 'string', 'typedLiteral', 'boolean', 'null', 'bitString']);
const TEMPLATED_KINDS = new Set(['select', 'insert', 'update', 'delete']);

/**
 * Checks that `parsed` (the full parse of `sql`, whose shape is `shape`) can serve as the template
 * of its shape; undefined if not.
 */
function makeTemplate(sql: string, shape: Shape, parsed: readonly Statement[]): Template | undefined {
  if (parsed.length !== 1) return undefined;
  const statement = parsed[0] as Statement;
  if (!TEMPLATED_KINDS.has(statement.kind) || statement.span.offset !== 0) return undefined;
  if ((statement as { asOfSystemTime?: unknown }).asOfSystemTime !== undefined) return undefined;
  const byLocation = new Map<number, object[]>();
  const visit = (v: unknown): void => {
    if (v === null || typeof v !== 'object') return;
    if (Array.isArray(v)) {
      for (const x of v) visit(x);
      return;
    }
    const loc = (v as { location?: unknown }).location;
    if (typeof loc === 'number') {
      const at = byLocation.get(loc);
      if (at) at.push(v);
      else byLocation.set(loc, [v]);
    }
    for (const x of Object.values(v)) visit(x);
  };
  visit(statement);
  const nodes: { node: object; negated: boolean }[] = [];
  const used = new Set<object>();
  for (const slot of shape.slots) {
    let found: { node: object; negated: boolean } | undefined;
    if (slot.kind === 'string') {
      const value = stringValue(sql, slot);
      const at = byLocation.get(slot.start) ?? [];
      const hits = at.filter((x) => (x as { kind?: string }).kind === 'string');
      if (hits.length === 1 && (hits[0] as { value?: unknown }).value === value) {
        found = { node: hits[0] as object, negated: false };
      }
    } else {
      const digits = BigInt(sql.slice(slot.start, slot.end));
      const integerAt = (loc: number | undefined) =>
        (loc === undefined ? [] : (byLocation.get(loc) ?? [])).filter(
          (x) => (x as { kind?: string }).kind === 'integer',
        ) as { text: string }[];
      const plain = integerAt(slot.start);
      if (plain.length === 1 && BigInt((plain[0] as { text: string }).text) === digits) {
        found = { node: plain[0] as object, negated: false };
      } else if (plain.length === 0) {
        const folded = integerAt(minusBefore(sql, slot.start));
        if (folded.length === 1 && BigInt((folded[0] as { text: string }).text) === -digits && digits !== 0n) {
          found = { node: folded[0] as object, negated: true };
        }
      }
    }
    if (!found || used.has(found.node)) return undefined;
    // No other literal may sit at the literal's place (its value would be used twice).
    const there = byLocation.get((found.node as { location: number }).location) ?? [];
    if (there.filter((x) => LITERAL_KINDS.has((x as { kind?: string }).kind ?? '')).length !== 1) return undefined;
    used.add(found.node);
    nodes.push(found);
  }
  // The parser's trees drop undefined properties with `delete`, which leaves V8 objects in its slow
  // dictionary mode; the template is copied once into plain objects, cheap to enumerate per use.
  const copies = new Map<object, object>();
  const fast = fastCopy(statement, copies) as Statement;
  const slotNodes = nodes.map((n) => copies.get(n.node) as object);
  const paths = slotNodes.map((node) => pathTo(fast, node));
  if (paths.some((p) => p === undefined || p.length === 0 || p[0] === 'span')) return undefined;
  return {
    statement: fast,
    slots: shape.slots,
    nodes: nodes.map((n, i) => ({ node: slotNodes[i] as object, negated: n.negated })),
    paths: paths as (string | number)[][],
    variants: new Map(),
    body: Object.fromEntries(Object.entries(fast).filter(([k]) => k !== 'span')),
  };
}

/** The property names leading from `root` to `target`, if it is in the tree. */
function pathTo(root: unknown, target: object): (string | number)[] | undefined {
  if (root === target) return [];
  if (root === null || typeof root !== 'object') return undefined;
  if (Array.isArray(root)) {
    for (let i = 0; i < root.length; i++) {
      const p = pathTo(root[i], target);
      if (p) return [i, ...p];
    }
    return undefined;
  }
  for (const k of Object.keys(root)) {
    const p = pathTo((root as Record<string, unknown>)[k], target);
    if (p) return [k, ...p];
  }
  return undefined;
}

/** A frozen copy of a tree in fresh plain objects; `copies` maps each original node to its copy. */
function fastCopy(v: unknown, copies: Map<object, object>): unknown {
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return Object.freeze(v.map((x) => fastCopy(x, copies)));
  if (Object.getPrototypeOf(v) !== Object.prototype) return v;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v)) out[k] = fastCopy((v as Record<string, unknown>)[k], copies);
  copies.set(v, out);
  return Object.freeze(out);
}

/** The integer node for `text` (sign included), if it has the template node's type. */
function integerNode(template: { type?: unknown; location: number }, text: string): object | undefined {
  // As the parser makes them: an int4's text is its value's; an int8 keeps the digits as written.
  const value = BigInt(text);
  if (template.type === 'int4') {
    if (value < -2147483648n || value > BigInt(INT4_MAX) || (value === 0n && text.startsWith('-'))) return undefined;
    const node = plainCopy(template);
    node.value = Number(value);
    node.text = value.toString();
    return node;
  }
  if ((value >= -2147483648n && value <= BigInt(INT4_MAX)) || value > INT8_MAX || value < -INT8_MAX - 1n)
    return undefined;
  const node = plainCopy(template);
  node.value = value;
  node.text = text;
  return node;
}

/**
 * On every node (and array) of a statement built from a template, a hidden property holding its
 * counterpart in the template (a WeakMap of every node cost more than the rest of the copy).
 */
const TEMPLATE = Symbol('template');

function counterpart(node: object): object | undefined {
  return (node as { [TEMPLATE]?: object })[TEMPLATE];
}

function markCopy(copy: object, original: object): void {
  Object.defineProperty(copy, TEMPLATE, { value: original });
}

/**
 * The statement `stmt` was built from, when it came from a literal template: it differs from
 * `stmt` only in literal values, so facts about names, functions, casts and structure found for
 * the template hold for `stmt` too (and need not be found again by walking the tree).
 */
export function templateOf(stmt: object): Statement | undefined {
  return counterpart(stmt) as Statement | undefined;
}

/**
 * For walks that look for nodes of some kind (aggregates, window calls, subqueries): true when
 * `node` was built from a template whose counterpart has none — so neither has `node`. What the
 * walk found in the template is remembered in `memo`.
 */
export function noneInTemplate(node: unknown, memo: WeakMap<object, boolean>, found: (t: object) => boolean): boolean {
  if (node === null || typeof node !== 'object') return false;
  const t = counterpart(node);
  if (!t) return false;
  let has = memo.get(t);
  if (has === undefined) {
    has = found(t);
    memo.set(t, has);
  }
  return !has;
}

interface Shift {
  /** From this old offset on… */
  readonly at: number;
  /** …locations move by this much. */
  readonly delta: number;
}

function moved(loc: number, shifts: readonly Shift[]): number {
  if (loc < 0) return loc;
  let d = 0;
  for (const s of shifts) {
    if (loc < s.at) break;
    d = s.delta;
  }
  return loc + d;
}

/** A frozen copy of a tree with some nodes replaced and every location moved. */
function copyTree(v: unknown, replaced: ReadonlyMap<object, object>, shifts: readonly Shift[]): unknown {
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) {
    const a = new Array<unknown>(v.length);
    for (let i = 0; i < v.length; i++) a[i] = copyTree(v[i], replaced, shifts);
    markCopy(a, v);
    return Object.freeze(a);
  }
  // Only plain records are copied; anything else in a tree is immutable and shared.
  if (Object.getPrototypeOf(v) !== Object.prototype) return v;
  const source = (replaced.get(v) ?? v) as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const k in source) {
    const x = source[k];
    out[k] = k === 'location' && typeof x === 'number' ? moved(x, shifts) : copyTree(x, replaced, shifts);
  }
  markCopy(out, v);
  return Object.freeze(out);
}

/**
 * Builds the statement for `sql` (of the template's shape) from the template; undefined when a new
 * value does not fit (an integer of another type).
 */
function instantiate(template: Template, sql: string, slots: readonly Slot[]): Statement | undefined {
  const replaced = new Map<object, object>();
  for (let k = 0; k < slots.length; k++) {
    const slot = slots[k] as Slot;
    const { node, negated } = template.nodes[k] as { node: object; negated: boolean };
    let next: object | undefined;
    if (slot.kind === 'string') {
      const copy = plainCopy(node);
      copy.value = stringValue(sql, slot);
      next = copy;
    } else {
      const digits = sql.slice(slot.start, slot.end);
      next = integerNode(node as { type?: unknown; location: number }, negated ? `-${digits}` : digits);
    }
    if (!next) return undefined;
    replaced.set(node, next);
  }
  // Old offsets where the text's length changes, and by how much from there on.
  const shifts: Shift[] = [];
  let delta = 0;
  for (let k = 0; k < slots.length; k++) {
    const o = template.slots[k] as Slot;
    const s = slots[k] as Slot;
    delta += s.end - s.start - (o.end - o.start);
    shifts.push({ at: o.end, delta });
  }
  const variantKey = shifts.map((s) => s.delta).join(',');
  let variant = template.variants.get(variantKey);
  if (!variant && template.variants.size < VARIANTS_MAX) {
    variant = copyTree(template.body, new Map(), shifts) as Record<string, unknown>;
    template.variants.set(variantKey, variant);
  }
  const text = sql.slice(0, template.statement.span.text.length + delta);
  const statement = variant
    ? pathCopy(variant, template, replaced)
    : { ...(copyTree(template.body, replaced, shifts) as Record<string, unknown>) };
  statement.span = Object.freeze({ text, offset: 0, codePointOffset: 0 });
  markCopy(statement, template.statement);
  return Object.freeze(statement) as unknown as Statement;
}

/**
 * A node's own enumerable properties in a new object. (A spread of a node that carries the hidden
 * template mark takes V8's slow object-clone path; with this loop a templated UPDATE's tree is
 * built in 7.0 instead of 9.7 µs.)
 */
function plainCopy(o: object): Record<string | number, unknown> {
  const c: Record<string | number, unknown> = {};
  for (const k in o) c[k] = (o as Record<string, unknown>)[k];
  return c;
}

/**
 * `variant` with its slot nodes replaced: the nodes on the paths from the top to the slots are
 * copied, every other node is the variant's. The copies below the top are not marked with their
 * template counterparts (a walk that meets one simply looks inside, down to the shared nodes,
 * which are); the top is returned unfrozen for its span.
 */
function pathCopy(
  variant: Record<string, unknown>,
  template: Template,
  replaced: ReadonlyMap<object, object>,
): Record<string, unknown> {
  const top: Record<string | number, unknown> = plainCopy(variant);
  const copies = new Map<object, Record<string | number, unknown>>([[variant, top]]);
  for (let k = 0; k < template.paths.length; k++) {
    const path = template.paths[k] as readonly (string | number)[];
    let from: Record<string | number, unknown> = variant;
    let to = top;
    for (let i = 0; i < path.length - 1; i++) {
      const key = path[i] as string | number;
      from = from[key] as Record<string | number, unknown>;
      let c = copies.get(from);
      if (!c) {
        c = Array.isArray(from) ? (from.slice() as unknown as Record<number, unknown>) : plainCopy(from);
        copies.set(from, c);
      }
      to[key] = c;
      to = c;
    }
    const last = path[path.length - 1] as string | number;
    const old = from[last] as { location: number };
    const next = replaced.get((template.nodes[k] as { node: object }).node) as Record<string, unknown>;
    const node = plainCopy(next);
    node.location = old.location;
    to[last] = Object.freeze(node);
  }
  for (const c of copies.values()) if (c !== top) Object.freeze(c);
  return top as Record<string, unknown>;
}

/** Texts of one shape tried before the shape counts as untemplatable (one text may be special: `-0`). */
const ATTEMPTS = 3;

/**
 * Templates by shape; a shape not (yet) templated holds the number of texts that failed to make
 * one. Bounded: the least recently used shape goes first.
 */
export class LiteralTemplates {
  private readonly shapes = new Map<string, Template | number>();
  hits = 0;

  constructor(private readonly capacity = 512) {}

  /** The statements of `sql` built from a template of its shape, or undefined (parse it). */
  lookup(sql: string): { statements: readonly Statement[] } | { shape: Shape } | undefined {
    const shape = shapeOf(sql);
    if (!shape) return undefined;
    const t = this.shapes.get(shape.key);
    if (t === undefined || (typeof t === 'number' && t < ATTEMPTS)) return { shape };
    if (typeof t === 'number') return undefined;
    this.shapes.delete(shape.key);
    this.shapes.set(shape.key, t);
    const statement = instantiate(t, sql, shape.slots);
    if (!statement) return undefined;
    this.hits++;
    return { statements: Object.freeze([statement]) };
  }

  /** Offers the full parse of a text whose shape had no template yet. */
  learn(sql: string, shape: Shape, parsed: readonly Statement[]): void {
    const failed = this.shapes.get(shape.key);
    if (failed === undefined && this.shapes.size >= this.capacity) {
      this.shapes.delete(this.shapes.keys().next().value as string);
    }
    const t = makeTemplate(sql, shape, parsed);
    this.shapes.set(shape.key, t ?? (typeof failed === 'number' ? failed : 0) + 1);
  }

  clear(): void {
    this.shapes.clear();
  }
}
