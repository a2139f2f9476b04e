import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SeededRandom } from '@thinklite/base';
import { type PreparedStatement, ThinkLite } from '@thinklite/sql';
import pg from 'pg';
import { freePort, PrivatePostgres, postgresBin } from './postgres.js';
import { type BenchResult, parseSeconds, progress, report } from './report.js';

/**
 * `npm run bench -- sql`: embedded ThinkLite (`ThinkLite.open`, in this process) against a private
 * PostgreSQL 15 (started by this script in a temp dir, reached over its unix socket) in the same
 * run, on the same schema and data: customers 10k rows, products 1k, orders 100k, loaded with
 * 1000-row multi-row INSERTs, one transaction each.
 *
 *  - point-select: SELECT name, region FROM customers WHERE id = $1
 *  - point-update: UPDATE customers SET name = $2 WHERE id = $1 (autocommit: one durable
 *    transaction per statement)
 *  - join-3way: orders ⋈ customers ⋈ products for one order id
 *  - group-by: count(*) and sum(amount) over all of orders in 100 buckets
 *
 * One client issuing statements one after another, prepared on both (PostgreSQL: named, so
 * server-side prepared); keys come from a fixed-seed PRNG, the same sequence for both engines.
 * Each statement runs for `--seconds` (default 5) per engine — capped by time, not count, but at
 * least one statement is measured even if it alone outlasts the phase. Durability is the same on
 * both: ThinkLite fsyncs before a commit returns, PostgreSQL runs with fsync=on and
 * synchronous_commit=on. Prints statements/s, p50/p99 latency, the ratios and one JSON line.
 */
const CUSTOMERS = 10_000;
const PRODUCTS = 1_000;
const ORDERS = 100_000;
const BATCH = 1000;
const REGIONS = ['north', 'south', 'east', 'west', 'central', 'coast', 'mountains', 'lakes', 'islands', 'plains'];

const SCHEMA = [
  'CREATE TABLE customers (id int PRIMARY KEY, region text, name text)',
  'CREATE TABLE products (id int PRIMARY KEY, category text, price numeric(10,2))',
  'CREATE TABLE orders (id int PRIMARY KEY, customer_id int, product_id int, qty int, amount numeric(12,2))',
];

interface Table {
  readonly name: string;
  readonly columns: readonly string[];
  readonly rows: unknown[][];
}

const cents = (n: number) => (n / 100).toFixed(2);

/** The data set, the same for both engines: generated once from a fixed seed. */
function dataSet(): Table[] {
  const rnd = new SeededRandom(1);
  const customers: unknown[][] = [];
  for (let id = 1; id <= CUSTOMERS; id++) customers.push([id, rnd.pick(REGIONS), `customer ${id}`]);
  const products: unknown[][] = [];
  for (let id = 1; id <= PRODUCTS; id++) products.push([id, `category ${rnd.int(1, 50)}`, cents(rnd.int(100, 99_999))]);
  const orders: unknown[][] = [];
  for (let id = 1; id <= ORDERS; id++)
    orders.push([id, rnd.int(1, CUSTOMERS), rnd.int(1, PRODUCTS), rnd.int(1, 10), cents(rnd.int(100, 999_999))]);
  return [
    { name: 'customers', columns: ['id', 'region', 'name'], rows: customers },
    { name: 'products', columns: ['id', 'category', 'price'], rows: products },
    { name: 'orders', columns: ['id', 'customer_id', 'product_id', 'qty', 'amount'], rows: orders },
  ];
}

function insertSql(table: Table, rows: number): string {
  const width = table.columns.length;
  const tuples = Array.from(
    { length: rows },
    (_, r) => `(${table.columns.map((_c, c) => `$${r * width + c + 1}`).join(', ')})`,
  );
  return `INSERT INTO ${table.name} (${table.columns.join(', ')}) VALUES ${tuples.join(', ')}`;
}

interface Statement {
  readonly name: string;
  readonly sql: string;
  /** The parameters of the n-th statement of a phase. */
  readonly params: (rnd: SeededRandom, n: number) => unknown[];
  /** Rows (or, for DML, rows affected) every execution must report. */
  readonly expectRows: number;
}

const STATEMENTS: Statement[] = [
  {
    name: 'point-select',
    sql: 'SELECT name, region FROM customers WHERE id = $1',
    params: (rnd) => [rnd.int(1, CUSTOMERS)],
    expectRows: 1,
  },
  {
    name: 'point-update',
    sql: 'UPDATE customers SET name = $2 WHERE id = $1',
    params: (rnd, n) => [rnd.int(1, CUSTOMERS), `renamed ${n}`],
    expectRows: 1,
  },
  {
    name: 'join-3way',
    sql:
      'SELECT c.region, p.category, o.qty FROM orders o JOIN customers c ON c.id = o.customer_id ' +
      'JOIN products p ON p.id = o.product_id WHERE o.id = $1',
    params: (rnd) => [rnd.int(1, ORDERS)],
    expectRows: 1,
  },
  {
    name: 'group-by',
    sql: 'SELECT customer_id % 100 AS bucket, count(*), sum(amount) FROM orders GROUP BY 1',
    params: () => [],
    expectRows: 100,
  },
];

type Row = Record<string, unknown>;

/** One engine, seen the same way by the load, the checks and the timed phases. */
interface Target {
  readonly name: string;
  /** Runs ad-hoc SQL (DDL, BEGIN/COMMIT, the load). */
  exec(sql: string, params?: unknown[]): Promise<void>;
  /** Runs a prepared statement: its rows, and the rows affected (DML) or returned. */
  run(stmt: Statement, params: unknown[]): Promise<{ rows: Row[]; count: number }>;
}

function thinkliteTarget(db: ThinkLite): Target {
  const prepared = new Map<string, PreparedStatement>();
  return {
    name: 'thinklite',
    async exec(sql, params = []) {
      await db.execute(sql, params);
    },
    async run(stmt, params) {
      let p = prepared.get(stmt.name);
      if (!p) {
        p = db.prepare(stmt.sql);
        prepared.set(stmt.name, p);
      }
      const r = await p.execute(params);
      return { rows: r.rows, count: r.rowCount };
    },
  };
}

function postgresTarget(client: pg.Client): Target {
  return {
    name: 'postgresql',
    async exec(sql, params = []) {
      await client.query(sql, params);
    },
    async run(stmt, params) {
      // A named query: parsed and planned once per connection, server-side.
      const r = await client.query({ name: stmt.name, text: stmt.sql, values: params });
      return { rows: r.rows as Row[], count: r.rowCount ?? r.rows.length };
    },
  };
}

/** Rows as comparable text, engine-independent: `col=value` pairs, numbers and numerics as text. */
const normalize = (rows: Row[]): string[] =>
  rows.map((r) =>
    Object.entries(r)
      .map(([k, v]) => `${k}=${v === null ? 'NULL' : String(v)}`)
      .join(' '),
  );

async function load(target: Target, tables: Table[]): Promise<number> {
  const total = tables.reduce((n, t) => n + t.rows.length, 0);
  const started = performance.now();
  let done = 0;
  for (const table of tables) {
    const fullBatch = insertSql(table, BATCH);
    for (let i = 0; i < table.rows.length; i += BATCH) {
      const rows = table.rows.slice(i, i + BATCH);
      const sql = rows.length === BATCH ? fullBatch : insertSql(table, rows.length);
      await target.exec('BEGIN');
      await target.exec(sql, rows.flat());
      await target.exec('COMMIT');
      done += rows.length;
      if (done % 25_000 === 0 || done === total) {
        const rate = done / ((performance.now() - started) / 1000);
        progress(
          `  ${target.name}: loaded ${done.toLocaleString('en-US')} / ${total.toLocaleString('en-US')} rows (${Math.round(rate).toLocaleString('en-US')} rows/s)`,
        );
      }
    }
  }
  return total / ((performance.now() - started) / 1000);
}

async function verify(tl: Target, ref: Target): Promise<void> {
  const fail = (what: string, a: string[], b: string[]): never => {
    throw new Error(
      `correctness check failed before timing: ${what}\n  thinklite:  ${JSON.stringify(a.slice(0, 5))}${a.length > 5 ? ` … (${a.length} rows)` : ''}\n  postgresql: ${JSON.stringify(b.slice(0, 5))}${b.length > 5 ? ` … (${b.length} rows)` : ''}`,
    );
  };
  const rnd = new SeededRandom(99);
  for (const stmt of STATEMENTS.filter((s) => s.name === 'point-select' || s.name === 'join-3way')) {
    for (let i = 0; i < 5; i++) {
      const params = stmt.params(rnd, i);
      const a = normalize((await tl.run(stmt, params)).rows);
      const b = normalize((await ref.run(stmt, params)).rows);
      if (a.length !== 1 || a.join('\n') !== b.join('\n'))
        fail(`${stmt.name} with ${JSON.stringify(params)} differs (${stmt.sql})`, a, b);
    }
  }
  const groupBy = STATEMENTS.find((s) => s.name === 'group-by') as Statement;
  const a = normalize((await tl.run(groupBy, [])).rows).sort();
  const b = normalize((await ref.run(groupBy, [])).rows).sort();
  if (a.length !== b.length) fail(`group-by returns ${a.length} groups, PostgreSQL ${b.length}`, a, b);
  const diff = a.findIndex((x, i) => x !== b[i]);
  if (diff >= 0) fail(`group-by group ${diff} differs: ${a[diff]} vs ${b[diff]}`, a, b);
  progress('correctness check passed: point-select and join-3way rows match, group-by has the same 100 groups');
}

interface Phase {
  readonly statements: number;
  readonly perSec: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

/** Runs `stmt` one after another for `seconds` (at least once), with keys from `seed`. */
async function phase(target: Target, stmt: Statement, seconds: number, seed: number): Promise<Phase> {
  const rnd = new SeededRandom(seed);
  const latencies: number[] = [];
  const started = performance.now();
  const deadline = started + seconds * 1000;
  do {
    const params = stmt.params(rnd, latencies.length);
    const t0 = performance.now();
    const { count } = await target.run(stmt, params);
    latencies.push(performance.now() - t0);
    if (count !== stmt.expectRows)
      throw new Error(
        `${target.name} ${stmt.name} with ${JSON.stringify(params)} returned ${count} rows, expected ${stmt.expectRows}`,
      );
  } while (performance.now() < deadline);
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((x, y) => x - y);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? 0;
  return { statements: latencies.length, perSec: latencies.length / elapsed, p50Ms: pct(0.5), p99Ms: pct(0.99) };
}

export async function runSqlBench(args: string[]): Promise<void> {
  const seconds = parseSeconds(args, 5);
  const tlDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tl-bench-sql-'));
  const pgDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tl-bench-sql-pg-'));
  let db: ThinkLite | undefined;
  let client: pg.Client | undefined;
  let server: PrivatePostgres | undefined;
  const cleanup = async () => {
    await db?.close().catch(() => {});
    db = undefined;
    await client?.end().catch(() => {});
    client = undefined;
    server?.stop();
    server = undefined;
    fs.rmSync(tlDir, { recursive: true, force: true });
    fs.rmSync(pgDir, { recursive: true, force: true });
  };
  const onSigint = () => void cleanup().then(() => process.exit(130));
  process.once('SIGINT', onSigint);
  try {
    const tables = dataSet();

    progress(`opening embedded ThinkLite in ${tlDir}`);
    db = await ThinkLite.open(tlDir);
    const tl = thinkliteTarget(db);
    for (const ddl of SCHEMA) await tl.exec(ddl);

    const bin = postgresBin();
    server = new PrivatePostgres(bin, pgDir, await freePort());
    progress(
      `starting a private PostgreSQL 15 in ${pgDir} (socket only, port ${server.port}, fsync=on, synchronous_commit=on)`,
    );
    server.start();
    client = new pg.Client({ host: pgDir, port: server.port, user: 'postgres', database: 'postgres' });
    client.on('error', (e) => progress(`postgresql connection error: ${e.message}`));
    await client.connect();
    const ref = postgresTarget(client);
    const version = await client.query('SHOW server_version');
    progress(`PostgreSQL ${version.rows[0]?.server_version} ready`);
    for (const ddl of SCHEMA) await ref.exec(ddl);

    const rows = tables.reduce((n, t) => n + t.rows.length, 0).toLocaleString('en-US');
    progress(`loading ${rows} rows into ThinkLite (${BATCH}-row INSERTs, one transaction each)`);
    const tlLoad = await load(tl, tables);
    progress(`loading ${rows} rows into PostgreSQL (${BATCH}-row INSERTs, one transaction each)`);
    const refLoad = await load(ref, tables);
    // Not counted in the load: settles PostgreSQL (statistics, visibility map) so autovacuum does
    // not wake up in the middle of a timed phase.
    progress('PostgreSQL: VACUUM ANALYZE (not counted in the load figure)');
    await ref.exec('VACUUM ANALYZE');

    await verify(tl, ref);

    const results: BenchResult[] = [
      {
        name: `load-rows-batch${BATCH}`,
        unit: 'ops/s',
        thinklite: tlLoad,
        reference: 'postgresql',
        referenceValue: refLoad,
      },
    ];
    for (const [i, stmt] of STATEMENTS.entries()) {
      const measured: Record<string, Phase> = {};
      for (const target of [tl, ref]) {
        // Warm-up, not measured: a tenth of the phase (at least one statement), its own keys.
        await phase(target, stmt, seconds / 10, 1000 + i);
        progress(`${stmt.name} on ${target.name}: running for ${seconds} s`);
        const r = await phase(target, stmt, seconds, 10 + i);
        measured[target.name] = r;
        const note =
          r.statements === 1 && r.p50Ms > seconds * 1000
            ? ` (one statement took ${(r.p50Ms / 1000).toFixed(1)} s, longer than the phase: that one is reported)`
            : '';
        progress(
          `${stmt.name} on ${target.name}: ${r.perSec.toFixed(r.perSec >= 100 ? 0 : 2)} statements/s (${r.statements} statements), p50 ${r.p50Ms.toFixed(2)} ms, p99 ${r.p99Ms.toFixed(2)} ms${note}`,
        );
      }
      const t = measured.thinklite as Phase;
      const p = measured.postgresql as Phase;
      const vs = { reference: 'postgresql' } as const;
      results.push(
        { name: stmt.name, unit: 'ops/s', thinklite: t.perSec, ...vs, referenceValue: p.perSec },
        { name: `${stmt.name}-p50`, unit: 'ms', thinklite: t.p50Ms, ...vs, referenceValue: p.p50Ms },
        { name: `${stmt.name}-p99`, unit: 'ms', thinklite: t.p99Ms, ...vs, referenceValue: p.p99Ms },
      );
    }
    await cleanup();
    console.log('');
    console.log(
      `sql: one client, statements one after another; ThinkLite embedded in this process (no network), ` +
        `PostgreSQL ${version.rows[0]?.server_version} over its unix socket with server-side prepared statements. ` +
        `Both fsync every commit. ${CUSTOMERS.toLocaleString('en-US')} customers, ${PRODUCTS.toLocaleString('en-US')} products, ` +
        `${ORDERS.toLocaleString('en-US')} orders; ${seconds} s per statement per engine. ops/s = statements/s (rows/s for the load).`,
    );
    report('sql', results);
  } finally {
    process.removeListener('SIGINT', onSigint);
    await cleanup();
  }
}
