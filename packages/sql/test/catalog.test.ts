import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LocalKv } from '@thinklite/kv';
import { LmdbEngine, MemoryEngine } from '@thinklite/storage';
import { afterEach, describe, expect, it } from 'vitest';
import { Catalog, DEFAULT_SCHEMA } from '../src/catalog/catalog.js';
import type { DatabaseDesc, SchemaDesc, SequenceDesc, TableDesc } from '../src/catalog/descriptors.js';
import { PRIMARY_INDEX_ID } from '../src/catalog/descriptors.js';
import { Types } from '../src/types/type.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function table(db: DatabaseDesc, schemaId: number, name: string): Omit<TableDesc, 'id' | 'version'> {
  return {
    kind: 'table',
    name,
    databaseId: db.id,
    schemaId,
    columns: [
      { id: 1, name: 'id', type: Types.int8, nullable: false },
      {
        id: 2,
        name: 'v',
        type: { kind: 'varchar', length: 10 },
        nullable: true,
        defaultExpr: { kind: 'string', value: 'x', type: 'unknown', location: 0 },
      },
    ],
    nextColumnId: 3,
    primaryIndex: {
      id: PRIMARY_INDEX_ID,
      name: `${name}_pkey`,
      unique: true,
      columns: [{ columnId: 1, direction: 'asc' }],
      storing: [],
    },
    indexes: [],
    nextIndexId: 2,
    checks: [],
    foreignKeys: [],
    inboundForeignKeys: [],
  };
}

async function setup(kv: LocalKv) {
  await Catalog.bootstrap(kv);
  return kv.txn(async (txn) => {
    const c = new Catalog(txn);
    const db = (await c.database('thinklite')) as DatabaseDesc;
    const pub = await c.schema(db.id, DEFAULT_SCHEMA);
    return { db, schemaId: pub?.id as number };
  });
}

describe('the catalog in the key space', () => {
  it('bootstraps once, creates and resolves tables by search path and qualified name, and survives a reopen', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tl-catalog-'));
    dirs.push(dir);
    let engine = LmdbEngine.open({ dir });
    let kv = new LocalKv({ engine });
    const { db, schemaId } = await setup(kv);
    await Catalog.bootstrap(kv); // idempotent
    const created = await kv.txn(async (txn) => new Catalog(txn).create<TableDesc>(table(db, schemaId, 'accounts')));
    expect(created.id).toBeGreaterThanOrEqual(100);
    expect(created.version).toBe(1);
    await kv.close();
    await engine.close();

    engine = LmdbEngine.open({ dir });
    kv = new LocalKv({ engine });
    await kv.txn(async (txn) => {
      const c = new Catalog(txn);
      const again = (await c.database('thinklite')) as DatabaseDesc;
      const t = await c.resolveTable(again, ['public'], ['accounts']);
      expect(t.columns.map((x) => x.name)).toEqual(['id', 'v']);
      expect(t.columns[1]?.type).toEqual({ kind: 'varchar', length: 10 });
      expect((await c.resolveTable(again, [], ['public', 'accounts'])).id).toBe(created.id);
      expect((await c.resolveTable(again, [], ['thinklite', 'public', 'accounts'])).id).toBe(created.id);
      await expect(c.resolveTable(again, ['public'], ['nope'])).rejects.toMatchObject({
        code: 'UNDEFINED_TABLE',
        sqlstate: '42P01',
        message: 'relation "nope" does not exist',
      });
      await expect(c.resolveTable(again, [], ['nosuch', 'accounts'])).rejects.toMatchObject({
        sqlstate: '42P01',
        message: 'relation "nosuch.accounts" does not exist',
      });
      expect((await c.database('postgres'))?.kind).toBe('database');
      expect((await c.relations(again.id, t.schemaId)).map((r) => r.name)).toEqual(['accounts']);
    });
    await kv.close();
    await engine.close();
  });

  it('refuses duplicate names with PostgreSQL’s errors and keeps DDL transactional', async () => {
    const kv = new LocalKv({ engine: new MemoryEngine() });
    const { db, schemaId } = await setup(kv);
    await kv.txn(async (txn) => new Catalog(txn).create<TableDesc>(table(db, schemaId, 't')));
    await expect(
      kv.txn(async (txn) => new Catalog(txn).create<TableDesc>(table(db, schemaId, 't'))),
    ).rejects.toMatchObject({
      code: 'DUPLICATE_TABLE',
      sqlstate: '42P07',
      message: 'relation "t" already exists',
    });
    await expect(
      kv.txn(async (txn) => new Catalog(txn).create({ kind: 'database', name: 'postgres' })),
    ).rejects.toMatchObject({ sqlstate: '42P04' });
    // A CREATE rolled back leaves nothing behind, its id included.
    const txn = kv.begin();
    await new Catalog(txn).create<TableDesc>(table(db, schemaId, 'ghost'));
    await txn.rollback();
    await kv.txn(async (t) => {
      const c = new Catalog(t);
      expect(await c.resolveRelation(db, ['public'], ['ghost'])).toBeUndefined();
    });
  });

  it('renames, bumps versions, drops, and round-trips bigint fields', async () => {
    const kv = new LocalKv({ engine: new MemoryEngine() });
    const { db, schemaId } = await setup(kv);
    const seq = await kv.txn(async (txn) =>
      new Catalog(txn).create<SequenceDesc>({
        kind: 'sequence',
        name: 's',
        databaseId: db.id,
        schemaId,
        increment: 1n,
        minValue: 1n,
        maxValue: 9223372036854775807n,
        start: 1n,
        cycle: false,
      }),
    );
    await kv.txn(async (txn) => {
      const c = new Catalog(txn);
      const s = (await c.byId(seq.id)) as SequenceDesc;
      expect(s.maxValue).toBe(9223372036854775807n);
      const renamed = await c.update({ ...s, name: 's2' });
      expect(renamed.version).toBe(2);
    });
    await kv.txn(async (txn) => {
      const c = new Catalog(txn);
      expect(await c.resolveRelation(db, ['public'], ['s'])).toBeUndefined();
      const s2 = (await c.resolveRelation(db, ['public'], ['s2'])) as SequenceDesc;
      expect(s2.id).toBe(seq.id);
      await c.drop(s2);
    });
    await kv.txn(async (txn) => expect(await new Catalog(txn).byId(seq.id)).toBeUndefined());
  });

  it('serializes concurrent CREATEs of one name: one wins, the other must retry and then sees it', async () => {
    const kv = new LocalKv({ engine: new MemoryEngine() });
    const { db, schemaId } = await setup(kv);
    const a = kv.begin();
    const b = kv.begin();
    await new Catalog(a).create<TableDesc>(table(db, schemaId, 'race'));
    await new Catalog(b).create<TableDesc>(table(db, schemaId, 'race'));
    await a.commit();
    await expect(b.commit()).rejects.toMatchObject({ sqlstate: '40001' });
  });
  it('shares what one catalog version resolves, never what an uncommitted change wrote', async () => {
    const engine = new MemoryEngine();
    const kv = new LocalKv({ engine });
    const { db, schemaId } = await setup(kv);
    // Count the catalog's key reads (0x04 …) below the KV layer.
    let reads = 0;
    const get = engine.get.bind(engine);
    engine.get = (space, key) => {
      if (key[0] === 0x04) reads++;
      return get(space, key);
    };
    const resolve = async (name: string) => {
      const txn = kv.begin();
      try {
        return await new Catalog(txn).resolveRelation(db, [DEFAULT_SCHEMA], [name]);
      } finally {
        await txn.rollback();
      }
    };
    await resolve('t1');
    reads = 0;
    // A later transaction of the same version reads only the version token.
    expect(await resolve('t1')).toBeUndefined();
    expect(reads).toBe(1);

    // An uncommitted CREATE is seen by its own transaction, by no other, and pollutes nothing.
    const writer = kv.begin();
    const w = new Catalog(writer);
    await w.create<TableDesc>(table(db, schemaId, 't1'));
    expect((await new Catalog(writer).resolveRelation(db, [DEFAULT_SCHEMA], ['t1']))?.name).toBe('t1');
    expect(await resolve('t1')).toBeUndefined();
    await writer.commit();
    // The commit wrote a new version: everyone sees the table now.
    expect((await resolve('t1'))?.name).toBe('t1');
    reads = 0;
    expect((await resolve('t1'))?.name).toBe('t1');
    expect(reads).toBe(1);

    // A rolled-back DROP leaves the shared state as it was; a committed one is seen.
    const dropper = kv.begin();
    const t1 = (await new Catalog(dropper).resolveRelation(db, [DEFAULT_SCHEMA], ['t1'])) as TableDesc;
    await new Catalog(dropper).drop(t1);
    expect(await new Catalog(dropper).resolveRelation(db, [DEFAULT_SCHEMA], ['t1'])).toBeUndefined();
    await dropper.rollback();
    expect((await resolve('t1'))?.name).toBe('t1');
    const dropper2 = kv.begin();
    await new Catalog(dropper2).drop(t1);
    await dropper2.commit();
    expect(await resolve('t1')).toBeUndefined();

    // Resolutions are per search path: a table created in an earlier schema of the path shadows
    // the one found before, from the version that creates it on.
    const inPath = async (searchPath: string[]) => {
      const txn = kv.begin();
      try {
        return await new Catalog(txn).resolveRelation(db, searchPath, ['t2']);
      } finally {
        await txn.rollback();
      }
    };
    const setupTxn = kv.begin();
    const sa = await new Catalog(setupTxn).create<SchemaDesc>({ kind: 'schema', name: 'a', databaseId: db.id });
    await new Catalog(setupTxn).create<TableDesc>(table(db, schemaId, 't2'));
    await setupTxn.commit();
    const inPublic = await inPath(['a', DEFAULT_SCHEMA]);
    expect(inPublic?.schemaId).toBe(schemaId);
    expect((await inPath(['a', DEFAULT_SCHEMA]))?.id).toBe(inPublic?.id);
    expect(await inPath(['a'])).toBeUndefined();
    const shadow = kv.begin();
    await new Catalog(shadow).create<TableDesc>(table(db, sa.id, 't2'));
    await shadow.commit();
    expect((await inPath(['a', DEFAULT_SCHEMA]))?.schemaId).toBe(sa.id);
    expect((await inPath([DEFAULT_SCHEMA, 'a']))?.schemaId).toBe(schemaId);
    expect((await inPath(['a']))?.schemaId).toBe(sa.id);
  });
});
