import { describe, expect, it } from 'vitest';
import {
  alignRows,
  applySort,
  compareResults,
  formatCell,
  formatReal,
  formatRows,
  hashLine,
  hashValues,
  matchError,
  renderResults,
  rowCountOf,
  sideBySide,
  typeLetterForOid,
} from '../src/slt/index.js';

describe('formatCell', () => {
  it('prints NULL and the empty string the sqllogictest way for every type', () => {
    for (const t of ['I', 'T', 'R', 'B', 'O']) {
      expect(formatCell(null, t)).toBe('NULL');
      expect(formatCell('', t)).toBe('(empty)');
    }
  });

  it('formats R with 3 decimal places', () => {
    expect(formatCell('1.5', 'R')).toBe('1.500');
    expect(formatCell('1.50', 'R')).toBe('1.500');
    expect(formatCell('3', 'R')).toBe('3.000');
    expect(formatCell('-0.0004', 'R')).toBe('-0.000');
    expect(formatCell('2.0005', 'R')).toBe('2.001'); // 2.0005 is stored as 2.00050000000000016…
    expect(formatCell('0.0625', 'R')).toBe('0.063'); // an exact tie rounds away from zero, like SQLite's printf
    expect(formatCell('1e3', 'R')).toBe('1000.000');
    expect(formatCell('1e22', 'R')).toBe('10000000000000000000000.000');
    expect(formatCell('NaN', 'R')).toBe('NaN');
    expect(formatCell('-Infinity', 'R')).toBe('-Infinity');
    expect(formatReal(Number.POSITIVE_INFINITY)).toBe('Infinity');
  });

  it('formats I: integers as is, other numbers truncated toward zero', () => {
    expect(formatCell('42', 'I')).toBe('42');
    expect(formatCell('-7', 'I')).toBe('-7');
    expect(formatCell('+7', 'I')).toBe('7');
    expect(formatCell('9223372036854775807', 'I')).toBe('9223372036854775807');
    expect(formatCell('2.9', 'I')).toBe('2');
    expect(formatCell('-2.9', 'I')).toBe('-2');
    expect(formatCell('-0.5', 'I')).toBe('0');
    expect(formatCell('abc', 'I')).toBe('abc');
  });

  it('formats B as true/false, T and unknown letters as text, _ as ignored', () => {
    expect(formatCell('t', 'B')).toBe('true');
    expect(formatCell('f', 'B')).toBe('false');
    expect(formatCell('t', 'T')).toBe('t');
    expect(formatCell('2024-01-01', 'T')).toBe('2024-01-01');
    expect(formatCell('{1,2}', 'O')).toBe('{1,2}');
    expect(formatCell('2024-01-01 10:00:00', '_')).toBe('_');
    expect(formatCell(null, '_')).toBe('_');
  });

  it('replaces control characters so a value stays on one line, keeping non-ASCII text', () => {
    expect(formatCell('a\nb\tc', 'T')).toBe('a@b@c');
    expect(formatCell('héllo wörld', 'T')).toBe('héllo wörld');
  });

  it('formats whole rows by the type string, missing letters as T', () => {
    expect(formatRows([['1', '2.25', 't', null, 'x']], 'IRB')).toEqual([['1', '2.250', 'true', 'NULL', 'x']]);
  });
});

describe('sorting and hashing', () => {
  const rows = [
    ['2', 'b'],
    ['10', 'a'],
    ['1', 'z'],
  ];

  it('rowsort sorts rows as strings column by column, valuesort sorts all values, nosort keeps order', () => {
    expect(applySort(rows, 'rowsort')).toEqual([
      ['1', 'z'],
      ['10', 'a'],
      ['2', 'b'],
    ]);
    expect(applySort(rows, 'valuesort').flat()).toEqual(['1', '10', '2', 'a', 'b', 'z']);
    expect(applySort(rows, 'nosort')).toBe(rows);
  });

  it('sorts by code point (UTF-8 byte order), not UTF-16 units', () => {
    // U+FF5E is above the surrogates in UTF-16 (0xFF5E > 0xD83D) and below U+1F600 in code points.
    expect(applySort([['😀'], ['～']], 'rowsort').flat()).toEqual(['～', '😀']);
  });

  it('hashes each value followed by a newline (MD5 values computed with md5sum)', () => {
    // printf '1\n2\n3\n' | md5sum
    expect(hashValues(['1', '2', '3'])).toBe('c0710d6b4f15dfa88f600b0e6b624077');
    // printf '1\na\n2\nb\n' | md5sum: rows (2,b),(1,a) under rowsort
    const sorted = applySort(
      [
        ['2', 'b'],
        ['1', 'a'],
      ],
      'rowsort',
    ).flat();
    expect(hashValues(sorted)).toBe('dcb405d9ab483907f29736a07728fa2d');
    // printf 'NULL\n(empty)\n1.500\n' | md5sum
    const formatted = formatRows([[null, '', '1.5']], 'TTR').flat();
    expect(hashLine(formatted)).toBe('3 values hashing to bf0ba1d6b3310124636860f31e0169da');
    // printf '' | md5sum
    expect(hashValues([])).toBe('d41d8cd98f00b204e9800998ecf8427e');
  });
});

describe('compareResults', () => {
  const actual = [
    ['1', 'one'],
    ['2', 'NULL'],
  ];

  it('reads one value per line when the line count equals rows × columns', () => {
    const r = compareResults(['1', 'one', '2', 'NULL'], actual, 2, 'nosort');
    expect(r).toMatchObject({ ok: true, layout: 'value' });
    expect(compareResults(['1', 'one', 'NULL', '2'], actual, 2, 'nosort').ok).toBe(false);
  });

  it('otherwise reads one row per line with whitespace-separated values', () => {
    expect(compareResults(['1  one', '2\tNULL  '], actual, 2, 'nosort')).toMatchObject({ ok: true, layout: 'row' });
    expect(compareResults(['1 one', '2 two'], actual, 2, 'nosort').ok).toBe(false);
    expect(compareResults(['1 one'], actual, 2, 'nosort').ok).toBe(false);
  });

  it('sorts the expected rows too under rowsort, in both layouts', () => {
    expect(compareResults(['2 NULL', '1 one'], actual, 2, 'rowsort').ok).toBe(true);
    expect(compareResults(['2', 'NULL', '1', 'one'], actual, 2, 'rowsort').ok).toBe(true);
    expect(compareResults(['2 NULL', '1 one'], actual, 2, 'nosort').ok).toBe(false);
  });

  it('sorts all values under valuesort', () => {
    expect(compareResults(['one', '2', 'NULL', '1'], actual, 2, 'valuesort').ok).toBe(true);
    expect(compareResults(['one 2', 'NULL 1'], actual, 2, 'valuesort').ok).toBe(true);
    expect(compareResults(['one 2', 'NULL 3'], actual, 2, 'valuesort').ok).toBe(false);
  });

  it('keeps values with spaces intact one per line, and compares them word by word in rows', () => {
    const spaced = [['hello world', 'x']];
    expect(compareResults(['hello world', 'x'], spaced, 2, 'nosort')).toMatchObject({ ok: true, layout: 'value' });
    expect(compareResults(['hello world  x'], spaced, 2, 'nosort')).toMatchObject({ ok: true, layout: 'row' });
    expect(compareResults(['hello  world'], [['hello world']], 1, 'nosort').ok).toBe(false);
  });

  it('matches an empty result with an empty block only', () => {
    expect(compareResults([], [], 2, 'nosort').ok).toBe(true);
    expect(compareResults([], [['1']], 1, 'nosort').ok).toBe(false);
    expect(compareResults(['1'], [], 1, 'nosort').ok).toBe(false);
  });
});

describe('rendering results', () => {
  it('aligns rows in columns two spaces apart', () => {
    expect(
      alignRows([
        ['1', 'one', 'x'],
        ['100', 'NULL', 'y'],
      ]),
    ).toEqual(['1    one   x', '100  NULL  y']);
  });

  it('writes one value per line for a single column or valuesort, rows otherwise, a hash past the threshold', () => {
    const rows = [
      ['2', 'b'],
      ['1', 'a'],
    ];
    expect(renderResults([['x'], ['y']], 'nosort')).toEqual(['x', 'y']);
    expect(renderResults(rows, 'rowsort')).toEqual(['1  a', '2  b']);
    expect(renderResults(rows, 'valuesort')).toEqual(['1', '2', 'a', 'b']);
    expect(renderResults(rows, 'rowsort', { valuePerLine: true })).toEqual(['1', 'a', '2', 'b']);
    expect(renderResults(rows, 'rowsort', { hashThreshold: 4 })).toEqual(['1  a', '2  b']);
    expect(renderResults(rows, 'rowsort', { hashThreshold: 3 })).toEqual([
      '4 values hashing to dcb405d9ab483907f29736a07728fa2d',
    ]);
    expect(renderResults([['x'], ['y'], ['z']], 'nosort', { forceHash: true })).toEqual([
      // printf 'x\ny\nz\n' | md5sum
      '3 values hashing to 5c37d4d5cc8d74de8ed81fc394a56c0e',
    ]);
  });

  it('shows expected and actual side by side, marking differing lines', () => {
    expect(sideBySide(['1  one', '2  two'], ['1  one', '2  deux', '3  trois'])).toEqual([
      'expected | actual',
      '1  one   | 1  one',
      '2  two   ! 2  deux',
      '         ! 3  trois',
    ]);
  });
});

describe('matchError', () => {
  const dup = { sqlstate: '23505', message: 'duplicate key value violates unique constraint "t_pkey"' };

  it('matches by SQLSTATE', () => {
    expect(matchError({ sqlstate: '23505' }, dup)).toBeUndefined();
    expect(matchError({ sqlstate: '42P01' }, dup)).toBe('expected SQLSTATE 42P01, got 23505');
    expect(matchError({ sqlstate: '42P01' }, { message: 'x' })).toBe('expected SQLSTATE 42P01, got (none)');
  });

  it('matches a regex anywhere in the message', () => {
    expect(matchError({ pattern: 'duplicate key' }, dup)).toBeUndefined();
    expect(matchError({ pattern: 'violates unique constraint ".*"$' }, dup)).toBeUndefined();
    expect(matchError({ pattern: '^duplicate' }, dup)).toBeUndefined();
    expect(matchError({ pattern: 'foreign key' }, dup)).toBe('expected message matching /foreign key/');
  });

  it("tolerates CockroachDB's pq: prefix and psql's ERROR: prefix", () => {
    expect(matchError({ pattern: 'pq: duplicate key value' }, dup)).toBeUndefined();
    expect(matchError({ pattern: '^pq: duplicate' }, dup)).toBeUndefined();
    expect(matchError({ pattern: 'ERROR:  ?duplicate' }, dup)).toBeUndefined();
  });

  it('honours a leading (?i) flag and treats an invalid regex literally', () => {
    expect(matchError({ pattern: '(?i)DUPLICATE KEY' }, dup)).toBeUndefined();
    expect(matchError({ pattern: 'DUPLICATE KEY' }, dup)).toBeDefined();
    expect(matchError({ pattern: 'array[1' }, { message: 'bad array[1 subscript' })).toBeUndefined();
  });

  it('requires every given part: code, regex and exact message', () => {
    expect(matchError({ sqlstate: '23505', pattern: 'duplicate' }, dup)).toBeUndefined();
    expect(matchError({ sqlstate: '23505', pattern: 'nope' }, dup)).toBe('expected message matching /nope/');
    expect(matchError({ message: dup.message }, dup)).toBeUndefined();
    expect(matchError({ message: `db error: ERROR: ${dup.message}` }, dup)).toBeUndefined();
    expect(matchError({ message: 'duplicate key' }, dup)).toBe('expected message "duplicate key"');
    expect(matchError({}, dup)).toBeUndefined();
  });
});

describe('command tags and type letters', () => {
  it('reads the affected-row count from a command tag', () => {
    expect(rowCountOf('INSERT 0 3')).toBe(3);
    expect(rowCountOf('UPDATE 2')).toBe(2);
    expect(rowCountOf('DELETE 0')).toBe(0);
    expect(rowCountOf('CREATE TABLE')).toBeUndefined();
  });

  it('maps type OIDs to letters', () => {
    expect([20, 21, 23, 700, 701, 1700, 16, 25, 1082].map(typeLetterForOid).join('')).toBe('IIIRRRBTT');
  });
});
