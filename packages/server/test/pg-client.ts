import { createRequire } from 'node:module';
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
