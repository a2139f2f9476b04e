import * as fs from 'node:fs';
import * as path from 'node:path';
import { LocalKv } from '@thinklite/kv';
import { MemoryEngine } from '@thinklite/storage';
import { describe, expect, it } from 'vitest';
import { SqlEngine } from '../src/engine/engine.js';

/**
 * psql's describe commands: every query psql 15 sends for \l \di \dv \ds \dn \d \d+ \dt+ \df \du
 * (captured with `psql -E`, see the fixture) runs here, and the answers name the right objects.
 */
const FIXTURE = path.join(import.meta.dirname, 'fixtures/psql15-describe.sql');
// PostgreSQL's oids in the captured queries, and the relation each one was.
const OIDS: Record<string, string> = { '17446': 'users', '17451': 'users_pkey', '17456': 'adults' };

describe('psql 15 describe queries', () => {
  it('all run, and answer about the objects that exist', async () => {
    const s = (await SqlEngine.create(new LocalKv({ engine: new MemoryEngine() }))).session();
    await s.execute(
      'CREATE TABLE users (id serial PRIMARY KEY, email varchar(50) UNIQUE, age int CHECK (age > 0)); ' +
        'CREATE INDEX users_age ON users (age); CREATE VIEW adults AS SELECT * FROM users WHERE age > 17',
    );
    const oid = async (rel: string) => String((await s.execute(`SELECT '${rel}'::regclass AS o`))[0]?.rows[0]?.[0]);
    const text = fs.readFileSync(FIXTURE, 'utf8').replace(/^--(?! next).*\n/gm, '');
    const queries = text.split(/^-- next$/m).map((q) => q.trim());
    expect(queries.length).toBeGreaterThan(20);
    const answers: string[][] = [];
    for (let q of queries) {
      for (const [pgOid, rel] of Object.entries(OIDS)) q = q.replaceAll(`'${pgOid}'`, `'${await oid(rel)}'`);
      const [r] = await s.execute(q);
      answers.push((r?.rows ?? []).map((row) => row.map((v) => (v === null ? 'NULL' : String(v))).join('|')));
    }
    const all = answers.flat();
    // \l lists the database; \di the three indexes; \dv the view; \ds the sequence; \dn public.
    expect(all.some((l) => l.startsWith('thinklite|'))).toBe(true);
    for (const ix of ['users_pkey', 'users_email_key', 'users_age'])
      expect(all.some((l) => l.includes(`|${ix}|index|`))).toBe(true);
    expect(all.some((l) => l.includes('|adults|view|'))).toBe(true);
    expect(all.some((l) => l.includes('|users_id_seq|sequence|'))).toBe(true);
    // \d users: the columns with their types and defaults, the indexes, the check constraint.
    expect(all).toContain("id|integer|nextval('users_id_seq'::regclass)|true|NULL|||p||NULL|NULL");
    expect(
      all.some(
        (l) =>
          l.startsWith('users_age|false|false|') && l.includes('CREATE INDEX users_age ON users USING btree (age)'),
      ),
    ).toBe(true);
    expect(all).toContain('users_age_check|CHECK (age > 0)');
  });
});
