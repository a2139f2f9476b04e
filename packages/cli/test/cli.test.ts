import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * The thinklite command as a user runs it: a real process over an embedded database directory,
 * driven with -e, -f, a piped script and flags, its output and exit code checked.
 */
const MAIN = path.join(import.meta.dirname, '../src/main.ts');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tl-cli-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function thinklite(args: string[], input?: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', MAIN, ...args], {
      env: { ...process.env, HOME: dir },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(input ?? '');
  });
}

const db = path.join(dir, 'app.tlite');

describe('the thinklite command', () => {
  it('runs -e SQL on an embedded file and prints psql-style tables', async () => {
    const r = await thinklite([
      db,
      '-e',
      "CREATE TABLE users (id int PRIMARY KEY, name text, score numeric(4,1)); INSERT INTO users VALUES (1, 'ada', 9.5), (2, 'grace', NULL), (10, 'x\ny', 1); SELECT * FROM users ORDER BY id;",
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      [
        'CREATE TABLE',
        'INSERT 0 3',
        ' id | name  | score',
        '----+-------+-------',
        '  1 | ada   |   9.5',
        '  2 | grace |',
        ' 10 | x     |   1.0',
        '    | y     |',
        '(3 rows)',
        '',
        '',
      ].join('\n'),
    );
  });

  it('prints CSV and JSON, and the describe commands', async () => {
    const csv = await thinklite([db, '--csv', '-e', 'SELECT id, name FROM users WHERE id < 3 ORDER BY id']);
    expect(csv.stdout).toBe('id,name\n1,ada\n2,grace\n');
    const json = await thinklite([db, '--json', '-e', 'SELECT id, score FROM users WHERE id = 2']);
    expect(JSON.parse(json.stdout)).toEqual([{ id: '2', score: null }]);
    const dt = await thinklite([db, '-e', '\\dt']);
    expect(dt.stdout).toContain(' public | users | table |');
    const d = await thinklite([db, '-e', '\\d users']);
    expect(d.stdout).toContain(' id     | integer      | not null |');
    expect(d.stdout).toContain('CREATE UNIQUE INDEX users_pkey ON public.users USING btree (id)');
    const tables = await thinklite([db, '-e', '.tables']);
    expect(tables.stdout).toBe('users\n');
    const schema = await thinklite([db, '-e', '.schema users']);
    expect(schema.stdout).toContain(
      'CREATE TABLE users (\n  id integer NOT NULL,\n  name text,\n  score numeric(4,1)\n);',
    );
  });

  it('runs a piped script statement by statement, and stops with exit code 1 at an error', async () => {
    const ok = await thinklite(
      [db],
      "\\x on\nSELECT name,\n  score\nFROM users\nWHERE id = 1;\n-- a comment; with a semicolon\nSELECT 'a;b' AS s\n",
    );
    expect(ok.code).toBe(0);
    expect(ok.stdout).toBe(
      'Expanded display is on.\n-[ RECORD 1 ]-\nname  | ada\nscore | 9.5\n\n-[ RECORD 1 ]-\ns | a;b\n\n',
    );
    const bad = await thinklite(
      [db],
      "INSERT INTO users VALUES (3, 'c', 1);\nSELECT nope FROM users;\nINSERT INTO users VALUES (4, 'd', 1);\n",
    );
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe('ERROR:  column "nope" does not exist\n');
    const count = await thinklite([db, '--csv', '-e', 'SELECT count(*) FROM users']);
    expect(count.stdout).toBe('count\n4\n');
  });

  it('loads a file with \\copy and reports its rows', async () => {
    const file = path.join(dir, 'more.csv');
    fs.writeFileSync(
      file,
      `id,name,score\n${Array.from({ length: 500 }, (_, i) => `${100 + i},n${i},1.5`).join('\n')}\n`,
    );
    const r = await thinklite([db, '-e', `\\copy users from '${file}' (FORMAT csv, HEADER)`]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('COPY 500\n');
    // A progress line appears only when the copy takes over a second (a slow machine).
    expect(r.stderr).toMatch(
      /^(?:(?:\rcopy: \d+ lines read, \d+%, \d+ lines\/s)+\n)?copy: 500 rows in \d+\.\d\d s \(\d+ rows\/s\)\n$/,
    );
    const bad = await thinklite([db, '-e', `\\copy users from '${file}' (FORMAT csv)`]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('ERROR:  invalid input syntax for type integer: "id"');
  });

  it('says clearly when it cannot reach a server, or the file is held by another process', async () => {
    const r = await thinklite(['sql', '--url', 'postgres://nobody@127.0.0.1:1/db', '-e', 'SELECT 1']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^thinklite: could not open the server: .*ECONNREFUSED/);
    const usage = await thinklite([]);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('usage: thinklite FILE.tlite');
  });
});
