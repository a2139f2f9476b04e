/**
 * A SQL gateway process of a node (docs/decisions/0020): started by the owner process (SqlGateways)
 * with Node's cluster module; it serves the PostgreSQL protocol on the node's shared SQL port,
 * runs the SQL engine on the store read directly (attached LMDB), and locks and commits through
 * the owner over the IPC channel (RemoteKv).
 *
 * It stops gracefully when the owner says so; SIGINT (a Ctrl-C reaches the whole process group) is
 * left to the owner; if the owner goes away, it stops at once.
 */
import { createLogger, createRegistry, type Logger } from '@thinklite/base';
import { RemoteKv } from '@thinklite/kv';
import { SqlEngine } from '@thinklite/sql';
import { LmdbEngine } from '@thinklite/storage';
import { collectDefaultMetrics } from 'prom-client';
import { PgServer } from '../pgwire/pg-server.js';
import { StatementGate } from '../statement-gate.js';
import type { GatewayConfig, GatewayMessage, OwnerMessage } from './messages.js';

function send(message: GatewayMessage): void {
  if (process.connected) process.send?.(message);
}

interface Running {
  readonly log: Logger;
  readonly kv: RemoteKv;
  readonly pg: PgServer;
  readonly stop: (graceMs: number, code: number) => Promise<void>;
  readonly registry: ReturnType<typeof createRegistry>;
}

let running: Running | undefined;
/** Messages that came before the gateway was up (replies from the owner cannot, but stop can). */
let stopAsked: number | undefined;

async function run(config: GatewayConfig): Promise<void> {
  const registry = createRegistry();
  collectDefaultMetrics({ register: registry });
  const log = createLogger({
    level: config.logLevel,
    base: { pid: process.pid, gateway: config.index, ...(config.nodeId ? { nodeId: config.nodeId } : {}) },
  });
  const store = LmdbEngine.open({ dir: config.storeDir, attach: true, logger: log, registry });
  const kv = new RemoteKv({ engine: store, send: (m) => send({ tl: 'kv', m }), logger: log, registry });
  const engine = await SqlEngine.create(kv, { logger: log, rowIdSlot: { index: config.index, count: config.slots } });
  const gate = new StatementGate();
  const pg = new PgServer(gate.wrap(engine), {
    auth: config.auth,
    ...(config.users ? { users: config.users } : {}),
    ...(config.maxConnections !== undefined ? { maxConnections: config.maxConnections } : {}),
    ...(config.tls ? { tls: config.tls } : {}),
    logger: log,
    registry,
    processIdTag: config.index,
    forwardCancel: (pid, secret) => send({ tl: 'cancel', pid, secret }),
  });
  let stopping: Promise<void> | undefined;
  const stop = (graceMs: number, code: number) => {
    stopping ??= (async () => {
      gate.close();
      if (!(await gate.idle(graceMs))) log.warn({ statementsRunning: gate.running }, 'grace period over: cancelling');
      await pg.stop();
      await engine.backgroundIdle();
      await kv.close();
      await store.close();
      log.info('gateway stopped');
      await new Promise<void>((resolve) => log.flush(() => resolve()));
      process.exit(code);
    })();
    return stopping;
  };
  running = { log, kv, pg, stop, registry };
  const { port } = await pg.start(config.sqlAddr);
  send({ tl: 'listening', port });
  if (stopAsked !== undefined) void stop(stopAsked, 0);
}

process.on('message', (msg: OwnerMessage) => {
  switch (msg.tl) {
    case 'config':
      run(msg.config).catch((e: unknown) => {
        send({ tl: 'failed', message: e instanceof Error ? e.message : String(e) });
        process.exit(2);
      });
      return;
    case 'kv':
      running?.kv.receive(msg.m);
      return;
    case 'cancel':
      running?.pg.cancel(msg.pid, msg.secret);
      return;
    case 'stop':
      if (running) void running.stop(msg.graceMs, 0);
      else stopAsked = msg.graceMs;
      return;
    case 'metrics': {
      const r = running;
      if (!r) return send({ tl: 'metrics', req: msg.req, json: [] });
      void r.registry.getMetricsAsJSON().then((json) => send({ tl: 'metrics', req: msg.req, json }));
      return;
    }
  }
});

send({ tl: 'hello' });

// The owner is gone (it crashed or was killed): nothing can commit any more.
process.on('disconnect', () => {
  if (!running) process.exit(1);
  running.kv.ownerLost('the IPC channel closed');
  running.log.error('the owner process is gone: stopping');
  void running.stop(0, 1);
});
process.on('SIGINT', () => {});
process.on('SIGTERM', () => {
  running?.log.info('SIGTERM: stopping this gateway');
  if (running) void running.stop(10_000, 0);
  else process.exit(0);
});
