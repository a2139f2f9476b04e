// Runs ThinkLite's sqllogictest files against a real PostgreSQL, to check that the expected
// results in them are PostgreSQL's answers:
//   npm run slt:postgres -- postgres://postgres@localhost:5432/postgres [files…]
// Each file runs in a fresh database created for it and dropped after.
import * as path from 'node:path';
import pg from 'pg';
import { formatSummary, runSltFile, type SltConnection, type SltTarget } from '../packages/sql/src/slt/index.js';
import { findSltFiles } from '../packages/sql/test/slt-suite.js';

const url = process.argv[2];
if (!url) {
  console.error('usage: npm run slt:postgres -- <postgres url> [files…]');
  process.exit(2);
}
const dir = path.resolve(import.meta.dirname, '../packages/sql/test/logic');
const files = process.argv.length > 3 ? process.argv.slice(3) : findSltFiles(dir).map((f) => path.join(dir, f));

// Every value as PostgreSQL's text output.
const raw = { getTypeParser: () => (v: string) => v } as unknown as pg.CustomTypesConfig;

async function target(dbName: string): Promise<SltTarget> {
  const conns: pg.Client[] = [];
  return {
    async connect(): Promise<SltConnection> {
      const u = new URL(url as string);
      u.pathname = `/${dbName}`;
      const c = new pg.Client({ connectionString: u.toString(), types: raw });
      await c.connect();
      conns.push(c);
      return {
        async query(sql) {
          try {
            const r = await c.query({ text: sql, rowMode: 'array' });
            const last = Array.isArray(r) ? r[r.length - 1] : r;
            return {
              command: `${last.command}${last.command === 'INSERT' ? ' 0' : ''}${last.rowCount !== null && last.command !== 'CREATE' ? ` ${last.rowCount}` : ''}`,
              columns: last.fields.map((f: pg.FieldDef) => ({ name: f.name, typeOid: f.dataTypeID })),
              rows: last.rows as (string | null)[][],
            };
          } catch (e) {
            const pe = e as { code?: string; message: string };
            throw Object.assign(new Error(pe.message), { sqlstate: pe.code });
          }
        },
        async close() {
          await c.end();
        },
      };
    },
    async close() {
      for (const c of conns.splice(0)) await c.end().catch(() => {});
    },
  };
}

let failed = 0;
for (const file of files) {
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  const db = `slt_${process.pid}`;
  await admin.query(`DROP DATABASE IF EXISTS ${db}`);
  await admin.query(`CREATE DATABASE ${db}`);
  const t = await target(db);
  const summary = await runSltFile(file, t, { engine: 'postgresql' });
  await t.close?.();
  await admin.query(`DROP DATABASE ${db}`);
  await admin.end();
  console.log(formatSummary(summary));
  failed += summary.failed;
}
process.exit(failed > 0 ? 1 : 0);
