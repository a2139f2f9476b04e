import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createLogger } from '@thinklite/base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ThinkLiteNode } from '../src/index.js';
import { pg, sendCancel } from './pg-client.js';

/**
 * A node with two SQL gateway processes (docs/decisions/0020), driven with the pg driver: the
 * processes share the SQL port, read the store themselves, and lock and commit through the owner.
 */
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'thinklite-gateways-'));
const logger = createLogger({ level: process.env.THINKLITE_LOG_LEVEL ?? 'silent' });
let node: ThinkLiteNode;
const clients: pg.Client[] = [];

beforeAll(async () => {
  node = await ThinkLiteNode.start({
    storeDir: path.join(root, 'store'),
    sqlAddr: { host: '127.0.0.1', port: 0 },
    httpAddr: { host: '127.0.0.1', port: 0 },
    gateways: 2,
    logger,
  });
}, 60_000);

afterAll(async () => {
  await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
  await node?.stop();
  // The gateways are gone with the node.
  for (const pid of gatewayPids.values()) expect(alive(pid)).toBe(false);
  fs.rmSync(root, { recursive: true, force: true });
});
let gatewayPids = new Map<number, number>();

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function client(): Promise<pg.Client> {
  const c = new pg.Client({ host: '127.0.0.1', port: node.sqlAddress.port, user: 'thinklite', database: 'thinklite' });
  c.on('error', () => undefined);
  await c.connect();
  clients.push(c);
  return c;
}

async function metrics(): Promise<string> {
  return (await fetch(`http://127.0.0.1:${node.httpAddress.port}/metrics`)).text();
}

/** The gateway serving a connection: the top bits of its backend process id. */
const gatewayOf = (c: pg.Client) => (c as unknown as { processID: number }).processID >>> 24;

/** Two connections, one on each gateway (the owner hands connections to the gateways in turn). */
async function onBothGateways(): Promise<[pg.Client, pg.Client]> {
  const a = await client();
  for (;;) {
    const b = await client();
    if (gatewayOf(b) !== gatewayOf(a)) return [a, b];
  }
}

async function sqlstate(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
    return undefined;
  } catch (e) {
    return (e as { code?: string }).code;
  }
}

describe('a node with SQL gateway processes', () => {
  it('serves every connection from a gateway process, and a commit on one is read at once on the other', async () => {
    gatewayPids = new Map(node.gatewayPids);
    expect([...gatewayPids.keys()].sort()).toEqual([1, 2]);
    const [a, b] = await onBothGateways();
    expect(new Set([gatewayOf(a), gatewayOf(b)])).toEqual(new Set([1, 2]));
    await a.query('CREATE TABLE acct (id int PRIMARY KEY, balance int NOT NULL)');
    await a.query('INSERT INTO acct VALUES (1, 100), (2, 100)');
    // Read-after-commit across processes: b's next statement sees a's commit.
    for (let i = 0; i < 20; i++) {
      await a.query('UPDATE acct SET balance = balance + 1 WHERE id = 1');
      expect((await b.query('SELECT balance FROM acct WHERE id = 1')).rows).toEqual([{ balance: 101 + i }]);
    }
  });

  it('loses no update when both gateways increment one row concurrently', async () => {
    const conns = await Promise.all(Array.from({ length: 6 }, () => client()));
    expect(new Set(conns.map(gatewayOf)).size).toBe(2);
    await conns[0]?.query('CREATE TABLE counter (id int PRIMARY KEY, n int NOT NULL)');
    await conns[0]?.query('INSERT INTO counter VALUES (1, 0)');
    const per = 25;
    await Promise.all(
      conns.map(async (c) => {
        for (let i = 0; i < per; i++) await c.query('UPDATE counter SET n = n + 1 WHERE id = 1');
      }),
    );
    expect((await conns[0]?.query('SELECT n FROM counter'))?.rows).toEqual([{ n: conns.length * per }]);
  });

  it('makes a writer on one gateway wait for the row lock held on the other, then go on from the new value', async () => {
    const [a, b] = await onBothGateways();
    await a.query('CREATE TABLE item (id int PRIMARY KEY, qty int NOT NULL)');
    await a.query('INSERT INTO item VALUES (1, 10)');
    await a.query('BEGIN');
    await a.query('UPDATE item SET qty = qty - 3 WHERE id = 1');
    let done = false;
    const waiting = b.query('UPDATE item SET qty = qty - 4 WHERE id = 1').then(() => {
      done = true;
    });
    await new Promise((r) => setTimeout(r, 200));
    expect(done).toBe(false); // b waits for a's lock, in another process
    await a.query('COMMIT');
    await waiting;
    expect((await a.query('SELECT qty FROM item')).rows).toEqual([{ qty: 3 }]);
  });

  it('cancels a statement whose CancelRequest reached the other gateway', async () => {
    const [holder, waiter] = await onBothGateways();
    await holder.query('CREATE TABLE held (id int PRIMARY KEY)');
    await holder.query('INSERT INTO held VALUES (1)');
    await holder.query('BEGIN');
    await holder.query('UPDATE held SET id = 1 WHERE id = 1');
    let settled = false;
    const blocked = sqlstate(waiter.query('UPDATE held SET id = 1 WHERE id = 1')).finally(() => {
      settled = true;
    });
    const { processID, secretKey } = waiter as unknown as { processID: number; secretKey: number };
    const forwarded = async () =>
      Number(/^thinklite_pgwire_cancel_requests_total\{result="forwarded"\} (\d+)$/m.exec(await metrics())?.[1] ?? 0);
    const before = await forwarded();
    // The owner hands connections to the gateways in turn, so of two cancels sent back to back one
    // reaches the other gateway and is forwarded. (A cancel before the statement started is
    // dropped, as in PostgreSQL: send until it ends.)
    while (!settled) {
      await Promise.all([0, 1].map(() => sendCancel(node.sqlAddress.port, processID, secretKey)));
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(await blocked).toBe('57014');
    expect(await forwarded()).toBeGreaterThan(before);
    await holder.query('ROLLBACK');
    expect((await waiter.query('SELECT count(*)::int AS n FROM held')).rows).toEqual([{ n: 1 }]);
  });

  it('gives rows without a primary key distinct rowids from both gateways', async () => {
    const conns = await Promise.all(Array.from({ length: 4 }, () => client()));
    await conns[0]?.query('CREATE TABLE events (note text)');
    await Promise.all(
      conns.map(async (c, i) => {
        for (let j = 0; j < 50; j++) await c.query('INSERT INTO events VALUES ($1)', [`${i}/${j}`]);
      }),
    );
    expect((await conns[0]?.query('SELECT count(*)::int AS n FROM events'))?.rows).toEqual([{ n: 200 }]);
  });

  it('replaces a gateway killed mid-transaction, releasing its locks, and keeps serving', async () => {
    const [a, b] = await onBothGateways();
    await a.query('CREATE TABLE doomed (id int PRIMARY KEY, v int NOT NULL)');
    await a.query('INSERT INTO doomed VALUES (1, 0)');
    await a.query('BEGIN');
    await a.query('UPDATE doomed SET v = 99 WHERE id = 1');
    const victim = gatewayOf(a);
    const pid = node.gatewayPids.get(victim) as number;
    process.kill(pid, 'SIGKILL');
    // b, on the other gateway, gets the row: the dead gateway's transaction rolled back in the owner.
    await b.query('UPDATE doomed SET v = v + 1 WHERE id = 1');
    expect((await b.query('SELECT v FROM doomed')).rows).toEqual([{ v: 1 }]);
    // The gateway is started again, and new connections reach it.
    while ((node.gatewayPids.get(victim) ?? pid) === pid) await new Promise((r) => setTimeout(r, 50));
    let reached = false;
    for (let i = 0; i < 10 && !reached; i++) {
      const c = await client();
      if (gatewayOf(c) === victim) {
        expect((await c.query('SELECT v FROM doomed')).rows).toEqual([{ v: 1 }]);
        reached = true;
      }
    }
    expect(reached).toBe(true);
    const text = await metrics();
    expect(text).toMatch(/^thinklite_gateway_restarts_total 1$/m);
    // The gateways' own metrics are summed into the node's.
    expect(text).toMatch(/^thinklite_gateway_kv_requests_total\{op="commit"\} [1-9]/m);
    gatewayPids = new Map(node.gatewayPids);
  });
});
