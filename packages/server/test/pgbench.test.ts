import { type ChildProcess, execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from './harness.js';
import type { pg } from './pg-client.js';

/**
 * pgbench 15 against the server: the real `pgbench -i` — its default init steps dtgvp (drop and
 * create the tables `WITH (fillfactor=100)`, load pgbench_accounts with COPY … FROM STDIN inside
 * one transaction, VACUUM ANALYZE, then ALTER TABLE … ADD PRIMARY KEY on the loaded tables) and
 * `-I dtgvpf` (with foreign keys added by ALTER TABLE) — then the TPC-B-like and select-only
 * workloads. pgbench comes with the Debian package postgresql-15 (.ci/run installs it); it is looked
 * for in /usr/lib/postgresql/<version>/bin, then on PATH.
 */

function findPgbench(): string {
  // The real binary first: /usr/bin/pgbench may be postgresql-client-common's wrapper alone.
  const root = '/usr/lib/postgresql';
  const versions = fs.existsSync(root) ? fs.readdirSync(root).sort((a, b) => Number(b) - Number(a)) : [];
  for (const v of versions) {
    const p = path.join(root, v, 'bin', 'pgbench');
    if (fs.existsSync(p)) return p;
  }
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const p = path.join(dir, 'pgbench');
    if (dir !== '' && fs.existsSync(p)) return p;
  }
  throw new Error('pgbench not found: install the Debian package postgresql-15 (.ci/run does)');
}

let t: TestServer;
let c: pg.Client;
let pgbench: string;
const running = new Set<ChildProcess>();

beforeAll(async () => {
  pgbench = findPgbench();
  t = await startServer();
  c = await t.client();
});
afterAll(async () => {
  for (const child of running) child.kill('SIGKILL');
  await t.stop();
});

function run(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(
      pgbench,
      [...args, '-h', '127.0.0.1', '-p', String(t.port), '-U', 'thinklite', 'thinklite'],
      { env: { ...process.env, PGCONNECT_TIMEOUT: '10' }, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        running.delete(child);
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
      },
    );
    running.add(child);
    child.stdin?.end();
  });
}

async function one(sql: string): Promise<Record<string, unknown>> {
  return (await c.query(sql)).rows[0] as Record<string, unknown>;
}

/** The lines of pgbench's report that the test checks. */
function report(out: string): { processed: string; failed: string; tps: string } {
  const line = (re: RegExp) => re.exec(out)?.[1] ?? `(missing in: ${out})`;
  return {
    processed: line(/^number of transactions actually processed: (.*)$/m),
    failed: line(/^number of failed transactions: (\d+)/m),
    tps: line(/^tps = ([\d.]+) \(without initial connection time\)$/m),
  };
}

describe('pgbench', () => {
  it('initializes scale 1 with the default steps (dtgvp), then runs TPC-B-like and select-only with no failures', async () => {
    const init = await run(['-i', '-s', '1']);
    for (const step of [
      'dropping old tables...',
      'creating tables...',
      'generating data (client-side)...',
      '100000 of 100000 tuples (100%) done',
      'vacuuming...',
      'creating primary keys...',
    ]) {
      expect(init.stderr).toContain(step);
    }
    expect(init.stderr).toMatch(
      /^done in [\d.]+ s \(drop tables [\d.]+ s, create tables [\d.]+ s, client-side generate [\d.]+ s, vacuum [\d.]+ s, primary keys [\d.]+ s\)\.$/m,
    );
    expect(init.code).toBe(0);
    expect(
      await one(`SELECT (SELECT count(*)::int FROM pgbench_accounts) AS accounts,
        (SELECT count(DISTINCT aid)::int FROM pgbench_accounts) AS ids,
        (SELECT min(aid) FROM pgbench_accounts) AS lo, (SELECT max(aid) FROM pgbench_accounts) AS hi,
        (SELECT sum(abalance)::int FROM pgbench_accounts) AS balance,
        (SELECT count(*)::int FROM pgbench_branches) AS branches,
        (SELECT count(*)::int FROM pgbench_tellers) AS tellers`),
    ).toEqual({ accounts: 100000, ids: 100000, lo: 1, hi: 100000, balance: 0, branches: 1, tellers: 10 });
    // The primary keys pgbench added key the rows: its lookups by aid are point lookups.
    expect(
      (await c.query(`SELECT conname FROM pg_constraint WHERE contype = 'p' AND conname LIKE 'pgbench%' ORDER BY 1`))
        .rows,
    ).toEqual([
      { conname: 'pgbench_accounts_pkey' },
      { conname: 'pgbench_branches_pkey' },
      { conname: 'pgbench_tellers_pkey' },
    ]);
    const plan = (await c.query('EXPLAIN SELECT abalance FROM pgbench_accounts WHERE aid = 4242')).rows
      .map((r) => r['QUERY PLAN'])
      .join('\n');
    expect(plan).toContain('point lookup on pgbench_accounts@pgbench_accounts_pkey');
    expect(await one('SELECT aid, bid, abalance FROM pgbench_accounts WHERE aid = 4242')).toEqual({
      aid: 4242,
      bid: 1,
      abalance: 0,
    });

    // TPC-B (sort of), two clients on one thread. Both update the one branch row, so under
    // ThinkLite's serializable transactions one of two overlapping ones fails its COMMIT with 40001;
    // pgbench retries exactly those (--max-tries), as a client of a serializable database should.
    const tpcb = await run(['-c', '2', '-j', '1', '-t', '20', '-n', '--max-tries=1000']);
    expect(tpcb.stderr).not.toContain('error');
    expect(tpcb.code).toBe(0);
    const r1 = report(tpcb.stdout);
    expect(r1.processed).toBe('40/40');
    expect(r1.failed).toBe('0');
    expect(Number(r1.tps)).toBeGreaterThan(0);
    // Every transaction moved the same delta through account, teller, branch and history.
    const sums = await one(`SELECT (SELECT sum(abalance)::int FROM pgbench_accounts) AS a,
      (SELECT sum(tbalance)::int FROM pgbench_tellers) AS t, (SELECT sum(bbalance)::int FROM pgbench_branches) AS b,
      (SELECT sum(delta)::int FROM pgbench_history) AS h, (SELECT count(*)::int FROM pgbench_history) AS n`);
    expect(sums.n).toBe(40);
    expect([sums.t, sums.b, sums.h]).toEqual([sums.a, sums.a, sums.a]);

    const selectOnly = await run(['-S', '-t', '50', '-n']);
    expect(selectOnly.code).toBe(0);
    const r2 = report(selectOnly.stdout);
    expect(r2.processed).toBe('50/50');
    expect(r2.failed).toBe('0');
    expect(Number(r2.tps)).toBeGreaterThan(0);

    // The extended protocol, prepared statements (Parse once, Bind/Execute per transaction).
    const prepared = await run(['-c', '2', '-j', '1', '-t', '10', '-n', '-M', 'prepared', '--max-tries=1000']);
    expect(prepared.code).toBe(0);
    expect(report(prepared.stdout)).toMatchObject({ processed: '20/20', failed: '0' });
    expect(await one('SELECT count(*)::int AS n FROM pgbench_history')).toEqual({ n: 60 });

    console.log(
      `pgbench: TPC-B ${r1.tps} tps (${r1.processed}), select-only ${r2.tps} tps (${r2.processed}), prepared ${report(prepared.stdout).tps} tps`,
    );
  }, 180_000);

  it('initializes again with foreign keys (-I dtgvpf), runs TPC-B-like under them, and drops the linked tables', async () => {
    // Re-initializing drops the tables of the first test (with their history) and starts over.
    const init = await run(['-i', '-I', 'dtgvpf', '-s', '1']);
    expect(init.stderr).toContain('creating foreign keys...');
    expect(init.stderr).toMatch(/^done in [\d.]+ s \(.*primary keys [\d.]+ s, foreign keys [\d.]+ s\)\.$/m);
    expect(init.code).toBe(0);
    expect(
      (
        await c.query(`SELECT conname FROM pg_constraint WHERE contype = 'f' AND conname LIKE 'pgbench%' ORDER BY 1`)
      ).rows.map((r) => r.conname),
    ).toEqual([
      'pgbench_accounts_bid_fkey',
      'pgbench_history_aid_fkey',
      'pgbench_history_bid_fkey',
      'pgbench_history_tid_fkey',
      'pgbench_tellers_bid_fkey',
    ]);
    expect(await one('SELECT count(*)::int AS n FROM pgbench_history')).toEqual({ n: 0 });

    const tpcb = await run(['-c', '2', '-j', '1', '-t', '10', '-n', '--max-tries=1000']);
    expect(tpcb.stderr).not.toContain('error');
    expect(tpcb.code).toBe(0);
    expect(report(tpcb.stdout)).toMatchObject({ processed: '20/20', failed: '0' });
    expect(await one('SELECT count(*)::int AS n FROM pgbench_history')).toEqual({ n: 20 });
    // A history row must name an existing account.
    await expect(
      c.query('INSERT INTO pgbench_history (tid, bid, aid, delta) VALUES (1, 1, 100001, 0)'),
    ).rejects.toThrow(/violates foreign key constraint "pgbench_history_aid_fkey"/);

    // "d" alone: one DROP TABLE of all four tables, which refer to one another.
    const drop = await run(['-i', '-I', 'd']);
    expect(drop.code).toBe(0);
    expect(await one(`SELECT count(*)::int AS n FROM pg_tables WHERE tablename LIKE 'pgbench%'`)).toEqual({ n: 0 });
  }, 180_000);
});
