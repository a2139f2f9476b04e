import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from './harness.js';

/** COPY through the real psql 15: \copy from and to files, COPY … FROM STDIN inside a script. */

let t: TestServer;
let dir: string;
beforeAll(async () => {
  t = await startServer();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'thinklite-copy-psql-'));
});
afterAll(async () => {
  await t.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** psql with `args`; its standard input is `input`, then closed. */
function psql(args: readonly string[], input = ''): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(
      '/usr/bin/psql',
      ['-X', '-A', '-t', '-h', '127.0.0.1', '-p', String(t.port), '-U', 'thinklite', '-d', 'thinklite', ...args],
      { cwd: dir, env: { ...process.env, PGCONNECT_TIMEOUT: '10' } },
      (err, stdout, stderr) => {
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
      },
    );
    child.stdin?.end(input);
  });
}

const file = (name: string, text: string): string => {
  const p = path.join(dir, name);
  fs.writeFileSync(p, text);
  return p;
};

describe('COPY with psql', () => {
  it('round-trips \\copy from a CSV file with a header and \\copy to a text file', async () => {
    expect((await psql(['-c', 'CREATE TABLE people (id int PRIMARY KEY, name text, born date, note text)'])).code).toBe(
      0,
    );
    file(
      'people.csv',
      'id,name,born,note\n1,Ada,1815-12-10,"first, programmer"\n2,"Grace ""Amazing"" Hopper",1906-12-09,\n3,Edsger,1930-05-11,"two\nlines"\n',
    );
    const load = await psql(['-c', "\\copy people from 'people.csv' (format csv, header)"]);
    expect(load).toMatchObject({ code: 0, stderr: '' });
    expect(load.stdout).toBe('COPY 3\n');
    const rows = await psql(['-c', 'SELECT id, name, born, note IS NULL FROM people ORDER BY id']);
    expect(rows.stdout).toBe('1|Ada|1815-12-10|f\n2|Grace "Amazing" Hopper|1906-12-09|t\n3|Edsger|1930-05-11|f\n');

    const dump = await psql(['-c', "\\copy people to 'people.txt'"]);
    expect(dump).toMatchObject({ code: 0, stdout: 'COPY 3\n', stderr: '' });
    expect(fs.readFileSync(path.join(dir, 'people.txt'), 'utf8')).toBe(
      '1\tAda\t1815-12-10\tfirst, programmer\n2\tGrace "Amazing" Hopper\t1906-12-09\t\\N\n3\tEdsger\t1930-05-11\ttwo\\nlines\n',
    );
    // The text file loads back into a copy of the table, equal row for row.
    await psql(['-c', 'CREATE TABLE people2 (id int PRIMARY KEY, name text, born date, note text)']);
    expect((await psql(['-c', "\\copy people2 from 'people.txt'"])).stdout).toBe('COPY 3\n');
    const diff = await psql([
      '-c',
      'SELECT count(*) FROM people p JOIN people2 q ON p.id = q.id AND p.name = q.name AND p.born = q.born AND p.note IS NOT DISTINCT FROM q.note',
    ]);
    expect(diff.stdout).toBe('3\n');
  });

  it('reads COPY … FROM STDIN data inline from a -f script, up to \\.', async () => {
    const script = file(
      'load.sql',
      [
        'CREATE TABLE inline_data (k int PRIMARY KEY, v text);',
        'COPY inline_data FROM STDIN;',
        '1\talpha',
        '2\tbeta with \\t tab',
        '3\t\\N',
        '\\.',
        'SELECT k, v FROM inline_data ORDER BY k;',
        '',
      ].join('\n'),
    );
    const r = await psql(['-v', 'ON_ERROR_STOP=1', '-f', script]);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toBe('CREATE TABLE\nCOPY 3\n1|alpha\n2|beta with \t tab\n3|\n');
  });

  it("prints the server's error for bad COPY data, stays in step with the script, and exits 1 or 3", async () => {
    await psql(['-c', 'CREATE TABLE strict_data (k int PRIMARY KEY, v text)']);
    // Line 2 has a column too many: the COPY fails, psql still sends the rest up to \. and the
    // script goes on with the next statement on the same connection.
    const script = file(
      'bad.sql',
      [
        'COPY strict_data FROM STDIN;',
        '1\tone',
        '2\ttwo\tthree',
        '3\tthree',
        '\\.',
        'SELECT count(*) FROM strict_data;',
        '',
      ].join('\n'),
    );
    const r = await psql(['-f', script]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('bad.sql:5: ERROR:  extra data after last expected column');
    expect(r.stderr).toContain('CONTEXT:  COPY strict_data, line 2');
    expect(r.stdout).toBe('0\n');

    const stop = await psql(['-v', 'ON_ERROR_STOP=1', '-f', script]);
    expect(stop.code).toBe(3);
    expect(stop.stdout).toBe('');

    file('bad.csv', '1,one\n2,x,y\n');
    const csv = await psql(['-c', "\\copy strict_data from 'bad.csv' (format csv)"]);
    expect(csv.code).toBe(1);
    expect(csv.stderr).toContain('ERROR:  extra data after last expected column');
    // COPY … FROM STDIN with -c: psql sends its own standard input.
    const piped = await psql(['-c', 'COPY strict_data FROM STDIN (FORMAT csv)'], '1,one\n2\n3,three\n');
    expect(piped.code).toBe(1);
    expect(piped.stderr).toContain('ERROR:  missing data for column "v"');
    expect(piped.stderr).toContain('CONTEXT:  COPY strict_data, line 2');
    expect(await psql(['-c', 'COPY strict_data FROM STDIN (FORMAT csv)'], '')).toMatchObject({
      code: 0,
      stdout: 'COPY 0\n',
    });
    file('badint.csv', 'seven,7\n');
    const badInt = await psql(['-c', "\\copy strict_data from 'badint.csv' (format csv)"]);
    expect(badInt.code).toBe(1);
    expect(badInt.stderr).toContain('ERROR:  invalid input syntax for type integer: "seven"');
    expect((await psql(['-c', 'SELECT count(*) FROM strict_data'])).stdout).toBe('0\n');
  });
});
