import { createRequire } from 'node:module';
import * as net from 'node:net';
import type pgTypes from 'pg';

/**
 * The `pg` driver for tests. vitest runs with the "import" export condition (vitest.config.ts),
 * so `pg`'s CommonJS index would receive pg-pool's ES module where it expects a class; the
 * client classes are loaded from their own files instead (no pool is needed here).
 */
const require = createRequire(import.meta.url);
const Client = require('pg/lib/client.js') as typeof pgTypes.Client;
const types = require('pg-types') as typeof pgTypes.types;

export const pg: { Client: typeof pgTypes.Client; types: typeof pgTypes.types } = { Client, types };
export declare namespace pg {
  type Client = pgTypes.Client;
  type ClientConfig = pgTypes.ClientConfig;
}

/** A CancelRequest on its own connection, as libpq sends it. */
export function sendCancel(port: number, processId: number, secretKey: number): Promise<void> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1', () => {
      const b = Buffer.alloc(16);
      b.writeInt32BE(16, 0);
      b.writeInt32BE(80877102, 4);
      b.writeInt32BE(processId, 8);
      b.writeInt32BE(secretKey, 12);
      s.end(b);
    });
    s.on('close', () => resolve());
    s.on('error', () => resolve());
  });
}
