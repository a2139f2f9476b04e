import * as path from 'node:path';
import { isThinkLiteError } from '@thinklite/base';
import { LocalKv } from '@thinklite/kv';
import { MemoryEngine } from '@thinklite/storage';
import type { ResultColumn } from '../src/engine/context.js';
import { SqlEngine } from '../src/engine/engine.js';
import type { SltConnection, SltTarget } from '../src/slt/index.js';
import { DEFAULT_CONTEXT } from '../src/types/datetime.js';
import { formatText } from '../src/types/text-io.js';
import { typeOid } from '../src/types/type.js';
import { defineSltSuite } from './slt-suite.js';

/**
 * The sqllogictest suite (packages/sql/test/logic/*.slt), each file on a fresh in-memory store.
 * Cells are PostgreSQL's text output of each value, as psql and the wire protocol show them.
 */
async function engineTarget(): Promise<SltTarget> {
  const kv = new LocalKv({ engine: new MemoryEngine() });
  const engine = await SqlEngine.create(kv);
  return {
    async connect(): Promise<SltConnection> {
      const session = engine.session();
      return {
        async query(sql) {
          try {
            const results = await session.execute(sql);
            const r = results[results.length - 1];
            if (!r) return { columns: [], rows: [], command: '' };
            return {
              command: r.command,
              columns: r.columns.map((c) => ({ name: c.name, typeOid: typeOid(c.type) })),
              rows: r.rows.map((row) =>
                row.map((v, i) =>
                  v === null ? null : formatText((r.columns[i] as ResultColumn).type, v, DEFAULT_CONTEXT),
                ),
              ),
            };
          } catch (e) {
            if (isThinkLiteError(e)) throw Object.assign(new Error(e.message), { sqlstate: e.sqlstate });
            throw e;
          }
        },
        async close() {},
      };
    },
    async close() {
      await kv.close();
    },
  };
}

defineSltSuite(path.join(import.meta.dirname, 'logic'), engineTarget);
