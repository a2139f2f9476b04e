import { execFile } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from './harness.js';

/** The real psql (PostgreSQL 15's client) against the server, with a SCRAM password. */

let t: TestServer;
beforeAll(async () => {
  t = await startServer({ auth: 'scram-sha-256', users: { thinklite: 'psql-pass' } });
});
afterAll(async () => {
  await t.stop();
});

function psql(command: string, password = 'psql-pass'): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      '/usr/bin/psql',
      ['-X', '-A', '-t', '-h', '127.0.0.1', '-p', String(t.port), '-U', 'thinklite', '-d', 'thinklite', '-c', command],
      { env: { ...process.env, PGPASSWORD: password, PGCONNECT_TIMEOUT: '10' } },
      (err, stdout, stderr) => {
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
      },
    );
  });
}

describe('psql', () => {
  it('runs a multi-statement -c in one message, printing every result (psql 15)', async () => {
    const r = await psql(
      "CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL); INSERT INTO items VALUES (1, 'one'), (2, 'two'); SELECT id, name FROM items ORDER BY id",
    );
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toBe('CREATE TABLE\nINSERT 0 2\n1|one\n2|two\n');
    // One implicit transaction: a failure in the last statement undoes the first.
    const failed = await psql("INSERT INTO items VALUES (3, 'three'); INSERT INTO items VALUES (1, 'dup')");
    expect(failed.code).toBe(1);
    expect((await psql('SELECT count(*) FROM items')).stdout).toBe('2\n');
  });

  it('lists tables with \\dt and indexes with \\di, and describes a table with \\d', async () => {
    const dt = await psql('\\dt');
    expect(dt.code).toBe(0);
    expect(dt.stdout).toContain('public|items|table|');
    const d = await psql('\\d items');
    expect(d.code).toBe(0);
    expect(d.stdout).toMatch(/^id\|integer\|\|not null\|/m);
    expect(d.stdout).toMatch(/^name\|text\|\|not null\|/m);
    const di = await psql('\\di');
    expect(di.stdout).toContain('public|items_pkey|index|');
  });

  it('exits with 1 and prints the error of a failing statement', async () => {
    const r = await psql('SELECT * FROM no_such_table');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('ERROR:  relation "no_such_table" does not exist');
    const dup = await psql("INSERT INTO items VALUES (1, 'again')");
    expect(dup.code).toBe(1);
    expect(dup.stderr).toContain('ERROR:  duplicate key value violates unique constraint "items_pkey"');
    expect(dup.stderr).toContain('DETAIL:  Key (id)=(1) already exists.');
  });

  it('shows the position of a syntax error', async () => {
    const r = await psql('SELECT 1 FROM WHERE');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('ERROR:  syntax error at or near "WHERE"');
    expect(r.stderr).toContain('LINE 1: SELECT 1 FROM WHERE');
  });

  it('fails to connect with a wrong password', async () => {
    const r = await psql('SELECT 1', 'nope');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('password authentication failed for user "thinklite"');
  });
});
