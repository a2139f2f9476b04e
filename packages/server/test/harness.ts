import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createLogger, createRegistry, type Registry } from '@thinklite/base';
import { LocalKv } from '@thinklite/kv';
import { SqlEngine } from '@thinklite/sql';
import { LmdbEngine } from '@thinklite/storage';
import { PgServer, type PgServerOptions } from '../src/index.js';
import { pg } from './pg-client.js';

/** A PgServer on 127.0.0.1, a free port, over an LMDB store in a temporary directory. */
export interface TestServer {
  readonly server: PgServer;
  readonly port: number;
  readonly registry: Registry;
  client(config?: pg.ClientConfig): Promise<pg.Client>;
  stop(): Promise<void>;
}

export async function startServer(options: PgServerOptions = {}): Promise<TestServer> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'thinklite-pgwire-'));
  const logger = createLogger({ level: process.env.THINKLITE_LOG_LEVEL ?? 'silent' });
  const registry = createRegistry();
  const storage = LmdbEngine.open({ dir, logger, registry });
  const kv = new LocalKv({ engine: storage, logger, registry });
  const engine = await SqlEngine.create(kv, { logger });
  const server = new PgServer(engine, { logger, registry, ...options });
  const { port } = await server.start({ host: '127.0.0.1', port: 0 });
  const clients: pg.Client[] = [];
  return {
    server,
    port,
    registry,
    async client(config = {}) {
      const c = new pg.Client({ host: '127.0.0.1', port, user: 'thinklite', database: 'thinklite', ...config });
      c.on('error', () => undefined);
      await c.connect();
      clients.push(c);
      return c;
    },
    async stop() {
      await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
      await server.stop();
      await storage.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
