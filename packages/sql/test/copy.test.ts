import { LocalKv } from '@thinklite/kv';
import { MemoryEngine } from '@thinklite/storage';
import { describe, expect, it } from 'vitest';
import { SqlEngine } from '../src/engine/engine.js';
import type { Session } from '../src/engine/session.js';
import { parse } from '../src/parser/parse.js';

/**
 * COPY FROM STDIN / TO STDOUT in text and CSV formats. The expected output lines are what
 * PostgreSQL 15.20 prints for the same rows (`COPY cp TO STDOUT` in psql, TimeZone UTC).
 */
const TABLE = 'CREATE TABLE cp (id int PRIMARY KEY, t text, n numeric(6,2), b bytea, a int[], ts timestamptz, j jsonb)';
const PG_TEXT = [
  '1\ttab\\there\\nnew \\\\ back\t1.50\t\\\\xdeadbeef\t{1,NULL,3}\t2024-01-02 03:04:05+00\t{"a": [1, "x,y"]}',
  '2\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N',
  '3\ta,b "q"\t-0.25\t\\\\x\t{}\t2024-06-30 23:59:59.5+00\tnull',
];
const PG_CSV = [
  'id,t,n,b,a,ts,j',
  '1,"tab\there',
  'new \\ back",1.50,\\xdeadbeef,"{1,NULL,3}",2024-01-02 03:04:05+00,"{""a"": [1, ""x,y""]}"',
  '2,,,,,,',
  '3,"a,b ""q""",-0.25,\\x,{},2024-06-30 23:59:59.5+00,null',
];

async function session(): Promise<Session> {
  const s = (await SqlEngine.create(new LocalKv({ engine: new MemoryEngine() }))).session();
  await s.execute('SET timezone = UTC');
  return s;
}

/** The data as the client would send it: in chunks of `size` characters (as bytes). */
async function* chunks(text: string, size: number): AsyncGenerator<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

async function copyIn(s: Session, sql: string, data: string, size = 7) {
  return s.executeStatement(parse(sql)[0] as never, [], undefined, { copy: { input: chunks(data, size) } });
}

async function copyOut(s: Session, sql: string): Promise<string> {
  let out = '';
  await s.executeStatement(parse(sql)[0] as never, [], undefined, {
    copy: {
      output: (chunk) => {
        out += chunk;
      },
    },
  });
  return out;
}

describe('COPY', () => {
  it('loads text format split at any byte and writes it back as PostgreSQL does', async () => {
    const s = await session();
    await s.execute(TABLE);
    for (const size of [1, 3, 64]) {
      await s.execute('TRUNCATE cp');
      const r = await copyIn(
        s,
        'COPY cp FROM STDIN',
        `${PG_TEXT.join('\n')}\n\\.\nignored after the end marker\n`,
        size,
      );
      expect(r.command).toBe('COPY 3');
      expect(await copyOut(s, 'COPY cp TO STDOUT')).toBe(`${PG_TEXT.join('\n')}\n`);
    }
    const [row] = await s.execute('SELECT t, length(b), a[3] FROM cp WHERE id = 1');
    expect(row?.rows).toEqual([['tab\there\nnew \\ back', 4, 3]]);
  });

  it('loads and writes CSV with a header, quotes, embedded newlines and NULLs', async () => {
    const s = await session();
    await s.execute(TABLE);
    const r = await copyIn(s, 'COPY cp FROM STDIN (FORMAT csv, HEADER)', `${PG_CSV.join('\n')}\n`, 5);
    expect(r.command).toBe('COPY 3');
    expect(await copyOut(s, 'COPY cp TO STDOUT (FORMAT csv, HEADER)')).toBe(`${PG_CSV.join('\n')}\n`);
    const [q] = await s.execute("SELECT t IS NULL, t = '' FROM cp WHERE id = 2");
    expect(q?.rows).toEqual([[true, null]]);
    await copyIn(s, 'COPY cp (id, t) FROM STDIN (FORMAT csv)', '9,""\r\n10,x\r\n');
    const [e] = await s.execute('SELECT t FROM cp WHERE id >= 9 ORDER BY id');
    expect(e?.rows).toEqual([[''], ['x']]);
  });

  it('fills defaults for columns left out, and copies a query out', async () => {
    const s = await session();
    await s.execute('CREATE TABLE items (id serial PRIMARY KEY, name text NOT NULL, qty int DEFAULT 1)');
    await copyIn(s, 'COPY items (name) FROM STDIN', 'apple\npear\n');
    await copyIn(s, "COPY items (qty, name) FROM STDIN (DELIMITER '|')", '5|plum\n');
    expect(await copyOut(s, 'COPY (SELECT id, name, qty FROM items ORDER BY id) TO STDOUT (FORMAT csv)')).toBe(
      '1,apple,1\n2,pear,1\n3,plum,5\n',
    );
  });

  it('bad data fails the whole COPY with PostgreSQL codes, and nothing of it stays', async () => {
    const s = await session();
    await s.execute('CREATE TABLE k (id int PRIMARY KEY, v varchar(3))');
    await expect(copyIn(s, 'COPY k FROM STDIN', '1\ta\n2\n')).rejects.toMatchObject({
      sqlstate: '22P04',
      message: 'missing data for column "v"',
    });
    await expect(copyIn(s, 'COPY k FROM STDIN', '1\ta\tb\n')).rejects.toMatchObject({
      sqlstate: '22P04',
      message: 'extra data after last expected column',
    });
    await expect(copyIn(s, 'COPY k FROM STDIN', '1\ta\nx\tb\n')).rejects.toMatchObject({ sqlstate: '22P02' });
    await expect(copyIn(s, 'COPY k FROM STDIN', '1\ta\n1\tb\n')).rejects.toMatchObject({ sqlstate: '23505' });
    await expect(copyIn(s, 'COPY k FROM STDIN', '1\tabcd\n')).rejects.toMatchObject({ sqlstate: '22001' });
    await expect(copyIn(s, 'COPY k FROM STDIN (FORMAT csv)', '1,"open\n')).rejects.toMatchObject({ sqlstate: '22P04' });
    const [n] = await s.execute('SELECT count(*) FROM k');
    expect(n?.rows).toEqual([[0n]]);
    await expect(s.execute('COPY k FROM STDIN')).rejects.toMatchObject({ sqlstate: '0A000' });
    await expect(s.execute('COPY k TO STDOUT (FORMAT binary)')).rejects.toMatchObject({ sqlstate: '0A000' });
  });
});
