import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { shapeOf, templateOf } from '../src/parser/literal-templates.js';
import { initParser, parse, parseCache, parseFresh } from '../src/parser/parse.js';

/**
 * Statements built from a literal template must be exactly the trees a parse gives: same nodes,
 * values, types and locations (error positions depend on them).
 */

beforeAll(async () => {
  await initParser();
});

const int = fc.oneof(
  fc.integer({ min: 0, max: 99 }),
  fc.integer({ min: -2147483648, max: 2147483647 }),
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
  fc.constantFrom(0, 2147483647, -2147483648, 2147483648n, -2147483649n, 9223372036854775807n),
);
const str = fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('', "'", "it''s", 'a\\b', '%x_'));
const quote = (s: string) => `'${s.replaceAll("'", "''")}'`;

/** Statement patterns: each slot `#` is an integer, `@` a string. */
const PATTERNS = [
  'SELECT abalance FROM pgbench_accounts WHERE aid = #',
  'UPDATE pgbench_accounts SET abalance = abalance + # WHERE aid = #',
  'UPDATE t SET v = @, n = n - # WHERE id = # RETURNING id, n * #',
  'INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (#, #, #, #, CURRENT_TIMESTAMP)',
  'INSERT INTO t VALUES (#, @), (#, @) ON CONFLICT (id) DO UPDATE SET v = @',
  'SELECT * FROM t WHERE a IN (#, #, #) AND b BETWEEN # AND # ORDER BY 1 LIMIT # OFFSET #',
  'SELECT a[#], @::text || @, -#, - #, #::int8, x->>@ FROM t WHERE c LIKE @ AND d <> -#',
  'DELETE FROM t WHERE id = # AND name = @ AND note IS NOT NULL',
  'SELECT count(*) FILTER (WHERE x > #) FROM t GROUP BY y HAVING sum(z) < # + #',
  'SELECT "col""1", $1, t1.a FROM t1 WHERE t1.b = # AND t1."x y" = @',
  'SELECT a, count(*) FROM t GROUP BY # ORDER BY # DESC, @ LIMIT #',
  "SELECT 'x' 'y', e'@', interval @, date @, @::date, CAST(@ AS numeric(#, #)), x::varchar(#) FROM t",
  'SELECT * FROM t WHERE (a, b) = (#, -#) AND c = ANY(ARRAY[#, #]) AND d IS DISTINCT FROM #',
];

function fill(pattern: string, ints: readonly (number | bigint)[], strs: readonly string[]): string {
  let i = 0;
  let j = 0;
  return pattern.replace(/[#@]/g, (m) =>
    m === '#' ? String(ints[i++ % ints.length]) : quote(strs[j++ % strs.length] as string),
  );
}

/** A syntax or feature error's SQLSTATE and position, or the tree. */
function outcome(f: () => unknown): unknown {
  try {
    return { ok: f() };
  } catch (e) {
    return { error: (e as { sqlstate?: string }).sqlstate, message: (e as Error).message };
  }
}

describe('literal templates', () => {
  it('build the tree a fresh parse gives, for random literals in every pattern', () => {
    parseCache.clear();
    const before = parseCache.templateHits;
    fc.assert(
      fc.property(
        fc.constantFrom(...PATTERNS),
        fc.array(int, { minLength: 1, maxLength: 8 }),
        fc.array(str, { minLength: 1, maxLength: 4 }),
        (pattern, ints, strs) => {
          const sql = fill(pattern, ints, strs);
          expect(outcome(() => parse(sql))).toEqual(outcome(() => parseFresh(sql)));
        },
      ),
      { numRuns: 600 },
    );
    // The templates were really used (random signs and sizes make many shapes).
    expect(parseCache.templateHits - before).toBeGreaterThan(150);
  });

  it('serve the second text of a shape from the template for every pattern that parses', () => {
    parseCache.clear();
    for (const pattern of PATTERNS) {
      const first = fill(pattern, [1, 2, 3], ['a', 'b']);
      const second = fill(pattern, [40, 500, 6000], ['cc', "d'd", '']);
      if ('error' in (outcome(() => parse(first)) as object)) continue;
      const hits = parseCache.templateHits;
      const tree = parse(second);
      expect(tree).toEqual(parseFresh(second));
      // Literals inside type modifiers and typed literals make a shape untemplatable.
      const templated = !pattern.includes('interval');
      expect([pattern, parseCache.templateHits - hits]).toEqual([pattern, templated ? 1 : 0]);
      // What a statement was built from is known, for facts that literals cannot change.
      // (The template is a copy of the first text's tree in plain objects.)
      expect(templateOf(tree[0] as object)).toEqual(templated ? parse(first)[0] : undefined);
    }
  });

  it('keep literals that are not plain values in the shape', () => {
    expect(shapeOf("SELECT E'a\\n', B'01', X'1F', U&'d\\0061t', 1.5, 1e5, t1.c2, $1, varchar")).toBeUndefined();
    expect(shapeOf('SELECT 1 -- comment')).toBeUndefined();
    expect(shapeOf('SELECT $$x$$')).toBeUndefined();
    expect(shapeOf("SELECT 'é'")).toBeUndefined();
    expect(shapeOf("SELECT 'a', 7")?.key).toBe('SELECT \u0001s, \u0001ia');
    // A type modifier is no value: the shape of such a text has no template, and parses stay right.
    parseCache.clear();
    const a = parse('SELECT CAST(x AS varchar(10)) FROM t WHERE y = 5');
    const b = parse('SELECT CAST(x AS varchar(20)) FROM t WHERE y = 6');
    expect(b).toEqual(parseFresh('SELECT CAST(x AS varchar(20)) FROM t WHERE y = 6'));
    expect(a).not.toEqual(b);
    // An integer that changes type (int4 → int8) is parsed, not templated.
    parse('SELECT 1 FROM t WHERE y = -2147483648');
    expect(parse('SELECT 1 FROM t WHERE y = -2147483649')).toEqual(parseFresh('SELECT 1 FROM t WHERE y = -2147483649'));
  });

  it('keep error positions right after a literal changed length', () => {
    parseCache.clear();
    parse("SELECT a FROM t WHERE b = 1 AND c = 'x'");
    const sql = "SELECT a FROM t WHERE b = 123456 AND c = 'xyz'";
    const stmt = parse(sql)[0];
    expect(stmt).toEqual(parseFresh(sql)[0]);
    expect(stmt?.span.text).toBe(sql);
  });

  it('share the unchanged nodes between texts of the same literal lengths, each keeping its own values', () => {
    parseCache.clear();
    const sql = (a: number, b: number) =>
      `SELECT abalance, bid FROM pgbench_accounts WHERE aid = ${a} AND filler <> 'x' AND bid = ${b}`;
    parse(sql(1, 1));
    type Select = { body: Record<string, unknown> };
    const first = parse(sql(12345, 67))[0] as unknown as Select;
    const second = parse(sql(54321, 89))[0] as unknown as Select;
    expect(first).toEqual(parseFresh(sql(12345, 67))[0]);
    expect(second).toEqual(parseFresh(sql(54321, 89))[0]);
    // The select list holds no literal: built once for these lengths, then shared.
    expect(second.body.targets).toBe(first.body.targets);
    expect(second.body.where).not.toBe(first.body.where);
  });

  it('build the right tree when a shape sees more literal lengths than it keeps variants for', () => {
    parseCache.clear();
    const sql = (a: number, b: number, c: number) => `UPDATE t SET n = n + ${a} WHERE id = ${b} AND k = ${c}`;
    parse(sql(1, 1, 1));
    const hits = parseCache.templateHits;
    // 5 × 5 × 5 length combinations, more than a template keeps variants for (64); each checked twice.
    for (let round = 0; round < 2; round++) {
      for (const a of [7, 42, 123, 4567, 89012]) {
        for (const b of [3, 65, 987, 1234, 56789]) {
          for (const c of [9, 10, 200, 3000, 40000]) {
            const text = sql(a + round, b, c);
            expect(parse(text)).toEqual(parseFresh(text));
          }
        }
      }
    }
    expect(parseCache.templateHits - hits).toBe(250);
  });
});
