import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  createRegistry,
  HybridLogicalClock,
  ManualClock,
  SeededRandom,
  type Timestamp,
  timestampLess,
} from '@thinklite/base';
import { LmdbEngine, MemoryEngine } from '@thinklite/storage';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type KvDb, KvOwner, type KvTxn, LocalKv, type RemoteKv } from '../src/index.js';
import { failure, gatewayOf } from './helpers.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

const k = (s: string) => Buffer.from(s);
const str = (b: Buffer | undefined) => b?.toString();

async function collect(it: AsyncIterable<{ key: Buffer; value: Buffer }>): Promise<[string, string][]> {
  const out: [string, string][] = [];
  for await (const kv of it) out.push([kv.key.toString(), kv.value.toString()]);
  return out;
}

/**
 * Where the transactions of a test run: all in the store's process (`local`); all in a SQL gateway
 * process talking to the owner over a channel that clones every message as Node's IPC does
 * (`gateway`); or begun in turn in the owner and two gateways (`mixed`), so that locks,
 * validation and snapshots cross processes.
 */
type Variant = 'local' | 'gateway' | 'mixed';
let variant: Variant = 'local';

function memoryKv(): KvDb {
  const engine = new MemoryEngine();
  const local = new LocalKv({ engine, retentionMs: 10_000 });
  if (variant === 'local') return local;
  const owner = new KvOwner(local);
  const gateways = [gatewayOf(owner, engine).gateway, gatewayOf(owner, engine).gateway];
  if (variant === 'gateway') return gateways[0] as RemoteKv;
  const all: KvDb[] = [local, ...gateways];
  let turn = 0;
  const next = () => all[turn++ % all.length] as KvDb;
  return {
    begin: (options) => next().begin(options),
    txn: (fn, options) => next().txn(fn, options),
    now: () => local.now(),
    close: () => local.close(),
  };
}

describe('LocalKv: one store', () => {
  it('reads its own writes, commits durably, and reopens with them', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tl-localkv-'));
    dirs.push(dir);
    let engine = LmdbEngine.open({ dir });
    let db = new LocalKv({ engine });
    const t = db.begin();
    t.put(k('a'), k('1'));
    t.put(k('c'), k('3'));
    expect(str(await t.get(k('a')))).toBe('1');
    expect(await collect(t.scan(k('a'), k('z')))).toEqual([
      ['a', '1'],
      ['c', '3'],
    ]);
    await t.commit();
    await db.close();
    await engine.close();
    engine = LmdbEngine.open({ dir });
    db = new LocalKv({ engine });
    const r = db.begin({ readOnly: true });
    expect(await collect(r.scan(k('a'), k('z')))).toEqual([
      ['a', '1'],
      ['c', '3'],
    ]);
    expect(db.mvccStats().liveKeys).toBe(2);
    await db.close();
    await engine.close();
  });

  it('keeps commit timestamps above the last commit even when the wall clock steps back across a restart', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tl-localkv-'));
    dirs.push(dir);
    const wall = new ManualClock(1_000_000_000);
    let engine = LmdbEngine.open({ dir });
    // The node's own clock settings (a 500 ms maximum offset, which bounds remote timestamps only).
    let db = new LocalKv({ engine, clock: new HybridLogicalClock({ physicalClock: wall.read, maxOffsetUs: 500_000 }) });
    const first = await db.txn(async (t) => t.put(k('x'), k('old')));
    expect(first).toBeUndefined();
    await db.close();
    await engine.close();
    const behind = new ManualClock(5); // an hour-scale step back
    engine = LmdbEngine.open({ dir });
    db = new LocalKv({ engine, clock: new HybridLogicalClock({ physicalClock: behind.read, maxOffsetUs: 500_000 }) });
    await db.txn(async (t) => t.put(k('x'), k('new')));
    expect(str(await db.begin({ readOnly: true }).get(k('x')))).toBe('new');
    await db.close();
    await engine.close();
  });

  it('commits concurrent transactions in groups, one storage commit each, in timestamp order', async () => {
    const registry = createRegistry();
    const db = new LocalKv({ engine: new MemoryEngine(), registry });
    const stamps = await Promise.all(
      Array.from({ length: 50 }, (_, i) => {
        const t = db.begin();
        t.put(k(`k${i}`), k('v'));
        return t.commit();
      }),
    );
    // Commit order is request order, and timestamps follow it.
    for (let i = 1; i < stamps.length; i++)
      expect(timestampLess(stamps[i - 1] as Timestamp, stamps[i] as Timestamp)).toBe(true);
    const metrics = await registry.metrics();
    const groups = Number(/thinklite_txn_commit_group_size_count (\d+)/.exec(metrics)?.[1]);
    expect(groups).toBeGreaterThan(0);
    expect(groups).toBeLessThan(50);
    expect(metrics).toMatch(/thinklite_txn_commits_total\{result="committed"\} 50/);
  });
});

describe.each(['local', 'gateway', 'mixed'] as const)('the transactional KV API (%s)', (v) => {
  beforeEach(() => {
    variant = v;
  });

  it('gives each transaction a snapshot: writes committed after it began are invisible to it', async () => {
    const db = memoryKv();
    await db.txn(async (t) => t.put(k('a'), k('1')));
    const reader = db.begin();
    await db.txn(async (t) => {
      t.put(k('a'), k('2'));
      t.put(k('b'), k('2'));
    });
    expect(str(await reader.get(k('a')))).toBe('1');
    expect(await collect(reader.scan(k('a'), k('z')))).toEqual([['a', '1']]);
    expect(str(await db.begin().get(k('a')))).toBe('2');
  });

  it('SERIALIZABLE refuses write skew with SQLSTATE 40001; SNAPSHOT allows it', async () => {
    for (const isolation of ['serializable', 'snapshot'] as const) {
      const db = memoryKv();
      await db.txn(async (t) => {
        t.put(k('alice'), k('on'));
        t.put(k('bob'), k('on'));
      });
      // Each doctor goes off call if the other is still on: run concurrently, both read both.
      const t1 = db.begin({ isolation });
      const t2 = db.begin({ isolation });
      for (const t of [t1, t2]) {
        expect(str(await t.get(k('alice')))).toBe('on');
        expect(str(await t.get(k('bob')))).toBe('on');
      }
      t1.put(k('alice'), k('off'));
      t2.put(k('bob'), k('off'));
      await t1.commit();
      if (isolation === 'serializable') {
        const e = await failure(t2.commit());
        expect(e.code).toBe('SERIALIZATION_FAILURE');
        expect(e.sqlstate).toBe('40001');
        expect(e.retryable).toBe(true);
        expect(str(await db.begin().get(k('bob')))).toBe('on');
      } else {
        await t2.commit();
        expect(str(await db.begin().get(k('bob')))).toBe('off');
      }
    }
  });

  it('never loses an update: two read-modify-writes of one key, the second fails (both levels)', async () => {
    for (const isolation of ['serializable', 'snapshot'] as const) {
      const db = memoryKv();
      await db.txn(async (t) => t.put(k('n'), k('0')));
      const a = db.begin({ isolation });
      const b = db.begin({ isolation });
      const na = Number(str(await a.get(k('n'))));
      const nb = Number(str(await b.get(k('n'))));
      a.put(k('n'), k(String(na + 1)));
      b.put(k('n'), k(String(nb + 1)));
      await a.commit();
      expect((await failure(b.commit())).code).toBe('SERIALIZATION_FAILURE');
      expect(str(await db.begin().get(k('n')))).toBe('1');
    }
  });

  it('keeps concurrent transfers serializable: the total never changes and every snapshot sees it whole', async () => {
    for (const isolation of ['serializable', 'snapshot'] as const) {
      const db = memoryKv();
      const accounts = 6;
      await db.txn(async (t) => {
        for (let i = 0; i < accounts; i++) t.put(k(`acct/${i}`), k('100'));
      });
      const rnd = new SeededRandom(isolation === 'serializable' ? 1 : 2);
      const pause = () => new Promise((r) => setImmediate(r));
      let retried = 0;
      const transfer = async (n: number) => {
        const from = rnd.int(0, accounts - 1);
        const to = (from + 1 + rnd.int(0, accounts - 2)) % accounts;
        const amount = rnd.int(1, 30);
        let attempt = 0;
        await db.txn(
          async (t) => {
            if (attempt++ > 0) retried++;
            const a = Number(str(await t.get(k(`acct/${from}`))));
            await pause();
            const b = Number(str(await t.get(k(`acct/${to}`))));
            if (a < amount) return;
            t.put(k(`acct/${from}`), k(String(a - amount)));
            await pause();
            t.put(k(`acct/${to}`), k(String(b + amount)));
          },
          { isolation, maxAttempts: 1000 },
        );
        return n;
      };
      const audits: number[] = [];
      const audit = async () => {
        const t = db.begin({ readOnly: true });
        let sum = 0;
        for await (const kv of t.scan(k('acct/'), k('acct0'))) sum += Number(kv.value.toString());
        audits.push(sum);
      };
      await Promise.all([...Array.from({ length: 60 }, (_, i) => transfer(i)), audit(), audit(), audit()]);
      await audit();
      expect(audits.every((s) => s === accounts * 100)).toBe(true);
      expect(retried).toBeGreaterThan(0); // the interleavings did conflict
    }
  });

  it('rolls back to a savepoint, keeping what was written before it', async () => {
    const db = memoryKv();
    const t = db.begin();
    t.put(k('a'), k('1'));
    const sp = t.savepoint();
    t.put(k('b'), k('2'));
    t.del(k('a'));
    t.put(k('a'), k('changed'));
    t.rollbackTo(sp);
    expect(await collect(t.scan(k('a'), k('z')))).toEqual([['a', '1']]);
    await t.commit();
    expect(await collect(db.begin().scan(k('a'), k('z')))).toEqual([['a', '1']]);
  });

  it('conditional puts and range deletes see committed data and the transaction’s own writes', async () => {
    const db = memoryKv();
    await db.txn(async (t) => {
      for (const x of ['a', 'b', 'c', 'd']) t.put(k(x), k(x));
    });
    const t = db.begin();
    await t.cput(k('e'), k('e'), undefined);
    const e = await failure(t.cput(k('a'), k('again'), undefined));
    expect(e.code).toBe('CONDITION_FAILED');
    expect(str(e.details.actual as Buffer)).toBe('a');
    await t.cput(k('a'), k('A'), k('a'));
    expect(await t.delRange(k('b'), k('e'))).toBe(3);
    expect(await collect(t.scan(k('a'), k('z')))).toEqual([
      ['a', 'A'],
      ['e', 'e'],
    ]);
    await t.commit();
    expect(await collect(db.begin().scan(k('a'), k('z')))).toEqual([
      ['a', 'A'],
      ['e', 'e'],
    ]);
  });

  it('refuses writes in read-only and historical transactions, and reads history AS OF a timestamp', async () => {
    const db = memoryKv();
    await db.txn(async (t) => t.put(k('v'), k('1')));
    const then = db.now();
    await db.txn(async (t) => t.put(k('v'), k('2')));
    const past = db.begin({ asOf: then });
    expect(str(await past.get(k('v')))).toBe('1');
    expect(() => past.put(k('v'), k('3'))).toThrow(expect.objectContaining({ code: 'READ_ONLY_SQL_TRANSACTION' }));
    const future = { wall: db.now().wall + 60_000_000, logical: 0 };
    expect(() => db.begin({ asOf: future })).toThrow(expect.objectContaining({ code: 'INVALID_PARAMETER_VALUE' }));
    const ro = db.begin({ readOnly: true });
    expect(() => ro.del(k('v'))).toThrow(expect.objectContaining({ sqlstate: '25006' }));
    await ro.commit();
    await expect(ro.get(k('v'))).rejects.toMatchObject({ code: 'OBJECT_NOT_IN_PREREQUISITE_STATE' });
  });

  it('scans (row by row and in batches) exactly the merge of committed data and buffered writes, forward and reverse, with limits', async () => {
    const keyArb = fc.stringMatching(/^[a-f]{1,3}$/);
    const op = fc.oneof(
      fc.record({ kind: fc.constant('put' as const), key: keyArb, value: fc.stringMatching(/^[0-9]{1,2}$/) }),
      fc.record({ kind: fc.constant('del' as const), key: keyArb }),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(op, { maxLength: 40 }),
        fc.array(op, { maxLength: 40 }),
        fc.boolean(),
        fc.option(fc.integer({ min: 1, max: 10 }), { nil: undefined }),
        async (committed, buffered, reverse, maxKeys) => {
          const db = memoryKv();
          const model = new Map<string, string>();
          type Op = (typeof committed)[number];
          const apply = (t: KvTxn, ops: Op[]) => {
            for (const o of ops) {
              if (o.kind === 'put') {
                t.put(k(o.key), k(o.value));
                model.set(o.key, o.value);
              } else {
                t.del(k(o.key));
                model.delete(o.key);
              }
            }
          };
          await db.txn(async (t) => apply(t, committed));
          const t: KvTxn = db.begin();
          apply(t, buffered);
          let expected = [...model.entries()].filter(([x]) => x >= 'b' && x < 'e').sort(([a], [b]) => (a < b ? -1 : 1));
          if (reverse) expected.reverse();
          if (maxKeys !== undefined) expected = expected.slice(0, maxKeys);
          expect(await collect(t.scan(k('b'), k('e'), { reverse, maxKeys }))).toEqual(expected);
          const batched: [string, string][] = [];
          for await (const batch of t.scanBatches(k('b'), k('e'), { reverse, maxKeys }))
            for (const kv of batch) batched.push([kv.key.toString(), kv.value.toString()]);
          expect(batched).toEqual(expected);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('counts only what a scan consumed as read: a write beyond a stopped scan does not fail the commit', async () => {
    const db = memoryKv();
    await db.txn(async (t) => {
      for (const x of ['a', 'b', 'c', 'd']) t.put(k(x), k(x));
    });
    const t = db.begin();
    for await (const kv of t.scan(k('a'), k('z'))) if (kv.key.toString() === 'b') break;
    t.put(k('mine'), k('1'));
    await db.txn(async (o) => o.put(k('d'), k('D'))); // outside what t read
    await t.commit();
    const t2 = db.begin();
    await collect(t2.scan(k('a'), k('z'), { maxKeys: 2 }));
    t2.put(k('mine'), k('2'));
    await db.txn(async (o) => o.put(k('b'), k('B'))); // inside
    expect((await failure(t2.commit())).code).toBe('SERIALIZATION_FAILURE');
    expect(timestampLess(t2.readTimestamp, db.now())).toBe(true);
  });
});

/** Whether a promise has settled after the event loop has had a few turns to settle it. */
async function settled(p: Promise<unknown>): Promise<boolean> {
  let done = false;
  p.then(
    () => {
      done = true;
    },
    () => {
      done = true;
    },
  );
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
  return done;
}

describe.each(['local', 'gateway', 'mixed'] as const)('locking reads, getForUpdate (%s)', (v) => {
  beforeEach(() => {
    variant = v;
  });

  it('makes a second writer of a row wait for the first, then read its value and commit without 40001', async () => {
    for (const isolation of ['serializable', 'snapshot'] as const) {
      const db = memoryKv();
      await db.txn(async (t) => t.put(k('n'), k('0')));
      const a = db.begin({ isolation });
      const b = db.begin({ isolation });
      expect(str(await a.getForUpdate(k('n')))).toBe('0');
      a.put(k('n'), k('1'));
      const bRead = b.getForUpdate(k('n'));
      expect(await settled(bRead)).toBe(false); // b waits for a's lock
      await a.commit();
      // b read after a's commit: its snapshot moved past it (nothing b read had changed).
      expect(str(await bRead)).toBe('1');
      b.put(k('n'), k('2'));
      await b.commit();
      expect(str(await db.begin().get(k('n')))).toBe('2');
    }
  });

  it('fails with 40001 when the wait made something the transaction read earlier stale', async () => {
    const db = memoryKv();
    await db.txn(async (t) => {
      t.put(k('x'), k('0'));
      t.put(k('n'), k('0'));
    });
    const a = db.begin();
    const b = db.begin();
    await a.getForUpdate(k('n'));
    expect(str(await b.get(k('x')))).toBe('0'); // b observed x before a changed it
    a.put(k('x'), k('1'));
    a.put(k('n'), k('1'));
    const bRead = b.getForUpdate(k('n'));
    await a.commit();
    expect((await failure(bRead)).code).toBe('SERIALIZATION_FAILURE');
    await b.rollback();
  });

  it('detects a deadlock (40P01) instead of waiting forever, and a rollback lets the other go on', async () => {
    const db = memoryKv();
    const a = db.begin();
    const b = db.begin();
    await a.getForUpdate(k('k1'));
    await b.getForUpdate(k('k2'));
    const aWaits = a.getForUpdate(k('k2'));
    expect(await settled(aWaits)).toBe(false);
    const e = await failure(b.getForUpdate(k('k1')));
    expect(e.code).toBe('DEADLOCK_DETECTED');
    expect(e.sqlstate).toBe('40P01');
    expect(e.retryable).toBe(true);
    await b.rollback();
    expect(await aWaits).toBeUndefined();
    a.put(k('k2'), k('a'));
    await a.commit();
    expect(str(await db.begin().get(k('k2')))).toBe('a');
  });

  it('stops waiting when whileWaiting throws (a cancel), and the lock stays with its holder', async () => {
    const db = memoryKv();
    const a = db.begin();
    const b = db.begin();
    await a.getForUpdate(k('r'));
    let checks = 0;
    const cancelled = b.getForUpdate(k('r'), {
      whileWaiting: async () => {
        if (++checks === 3) throw new Error('canceled');
      },
    });
    await expect(cancelled).rejects.toThrow('canceled');
    expect(checks).toBe(3);
    await b.rollback();
    // The holder still holds it: a third transaction waits until a ends.
    const c = db.begin();
    const cRead = c.getForUpdate(k('r'));
    expect(await settled(cRead)).toBe(false);
    await a.rollback();
    expect(await cRead).toBeUndefined();
    await c.rollback();
  });

  it('refuses locking reads in read-only transactions', async () => {
    const db = memoryKv();
    const r = db.begin({ readOnly: true });
    expect((await failure(r.getForUpdate(k('a')))).code).toBe('READ_ONLY_SQL_TRANSACTION');
  });
});
