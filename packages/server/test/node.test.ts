import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { createLogger, isThinkLiteError } from '@thinklite/base';
import { afterAll, describe, expect, it } from 'vitest';
import { ThinkLiteNode, type ThinkLiteNodeOptions } from '../src/index.js';
import { pg } from './pg-client.js';

/**
 * ThinkLiteNode in this process: a real store, real sockets on 127.0.0.1, HTTP with fetch, SQL
 * with the pg driver; startup failures and the graceful stop.
 */
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'thinklite-node-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
let n = 0;
const logger = createLogger({ level: process.env.THINKLITE_LOG_LEVEL ?? 'silent' });

function options(extra: Partial<ThinkLiteNodeOptions> = {}): ThinkLiteNodeOptions {
  return {
    storeDir: path.join(root, `store-${++n}`),
    sqlAddr: { host: '127.0.0.1', port: 0 },
    httpAddr: { host: '127.0.0.1', port: 0 },
    nodeId: 'n1',
    logger,
    ...extra,
  };
}

async function client(node: ThinkLiteNode): Promise<pg.Client> {
  const c = new pg.Client({ host: '127.0.0.1', port: node.sqlAddress.port, user: 'thinklite', database: 'thinklite' });
  c.on('error', () => undefined);
  await c.connect();
  return c;
}

async function get(node: ThinkLiteNode, route: string): Promise<{ status: number; text: string }> {
  const r = await fetch(`http://127.0.0.1:${node.httpAddress.port}${route}`);
  return { status: r.status, text: await r.text() };
}

/** Waits (without a deadline of its own: vitest's test timeout bounds it) until `f` holds. */
async function until(f: () => boolean): Promise<void> {
  while (!f()) await new Promise((r) => setTimeout(r, 2));
}

/** A statement that runs for a while: counting a long generated series. */
const LONG = (rows: number) => `SELECT count(*) AS n FROM generate_series(1, ${rows}) g`;

describe('ThinkLiteNode', () => {
  it('serves SQL, /health, /ready and /metrics, and keeps the data across a stop and a restart', async () => {
    const opts = options();
    const node = await ThinkLiteNode.start(opts);
    expect(node.state).toBe('ready');
    expect(node.sqlAddress.port).toBeGreaterThan(0);
    expect(await get(node, '/health')).toEqual({ status: 200, text: '{"status":"ok"}' });
    expect(await get(node, '/ready')).toEqual({ status: 200, text: '{"status":"ready"}' });

    const c = await client(node);
    await c.query('CREATE TABLE kv (k int PRIMARY KEY, v text)');
    await c.query("INSERT INTO kv VALUES (1, 'one'), (2, 'two')");
    const metrics = await get(node, '/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.text).toMatch(/^thinklite_pgwire_connections 1$/m);
    expect(metrics.text).toContain('process_cpu_user_seconds_total');
    expect(metrics.text).toContain('thinklite_txn_commits_total');
    await c.end();
    await node.stop();
    expect(node.state).toBe('stopped');
    await expect(fetch(`http://127.0.0.1:${node.httpAddress.port}/health`)).rejects.toThrow();

    const again = await ThinkLiteNode.start({ ...opts, sqlAddr: { host: '127.0.0.1', port: 0 } });
    const c2 = await client(again);
    const r = await c2.query('SELECT k, v FROM kv ORDER BY k');
    expect(r.rows).toEqual([
      { k: 1, v: 'one' },
      { k: 2, v: 'two' },
    ]);
    await c2.end();
    await again.stop();
  });

  it('answers unknown routes with a JSON 404', async () => {
    const node = await ThinkLiteNode.start(options());
    try {
      const r = await get(node, '/v1/nothing');
      expect(r.status).toBe(404);
      expect(JSON.parse(r.text)).toEqual({ error: { code: 'NOT_FOUND', message: 'no route GET /v1/nothing' } });
    } finally {
      await node.stop();
    }
  });

  it('refuses a store another node holds with STORE_LOCKED, and releases its HTTP port', async () => {
    const opts = options();
    const first = await ThinkLiteNode.start(opts);
    try {
      const httpPort = await freePort();
      const e = await ThinkLiteNode.start({ ...opts, httpAddr: { host: '127.0.0.1', port: httpPort } }).catch((x) => x);
      expect(isThinkLiteError(e, 'STORE_LOCKED')).toBe(true);
      // Nothing of the failed node is left listening.
      await expect(fetch(`http://127.0.0.1:${httpPort}/health`)).rejects.toThrow();
    } finally {
      await first.stop();
    }
  });

  it('fails with EADDRINUSE on a taken port and closes the store it opened', async () => {
    const taken = net.createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', () => r()));
    const port = (taken.address() as net.AddressInfo).port;
    const opts = options({ sqlAddr: { host: '127.0.0.1', port } });
    try {
      const e = (await ThinkLiteNode.start(opts).catch((x) => x)) as NodeJS.ErrnoException;
      expect(e.code).toBe('EADDRINUSE');
    } finally {
      await new Promise((r) => taken.close(r));
    }
    // The store was released: it opens again.
    const node = await ThinkLiteNode.start({ ...opts, sqlAddr: { host: '127.0.0.1', port: 0 } });
    expect(node.state).toBe('ready');
    await node.stop();
  });

  it('lets a running statement finish on stop, refuses new connections meanwhile, says "stopping"', async () => {
    const node = await ThinkLiteNode.start(options({ shutdownGraceMs: 600_000 }));
    const c = await client(node);
    const running = c.query(LONG(3_000_000));
    await until(() => node.statementsInFlight > 0);
    const stopped = node.stop();
    expect(node.state).toBe('stopping');
    const ready = await get(node, '/ready');
    expect(ready).toEqual({ status: 503, text: '{"status":"stopping"}' });
    expect((await get(node, '/health')).status).toBe(200);
    const refused = (await client(node).catch((e) => e)) as { code?: string; message: string };
    expect(refused.code).toBe('57P03');
    expect(refused.message).toBe('the database system is shutting down');
    const r = await running;
    expect(r.rows).toEqual([{ n: '3000000' }]);
    await stopped;
    expect(node.state).toBe('stopped');
    await c.end().catch(() => undefined);
  });

  it('cancels statements still running when the grace period is over', async () => {
    const node = await ThinkLiteNode.start(options({ shutdownGraceMs: 0 }));
    const c = await client(node);
    const running = c.query(LONG(500_000_000)).then(
      () => 'finished',
      (e: { code?: string; message: string }) => e.code ?? e.message,
    );
    await until(() => node.statementsInFlight > 0);
    await node.stop();
    // Cancelled (57014) or the connection ended by the shutdown (57P01 or a closed socket).
    expect(await running).not.toBe('finished');
    expect(node.statementsInFlight).toBe(0);
    await c.end().catch(() => undefined);
  });

  it('stop() is idempotent', async () => {
    const node = await ThinkLiteNode.start(options());
    await Promise.all([node.stop(), node.stop()]);
    await node.stop();
    expect(node.state).toBe('stopped');
  });
});

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}
