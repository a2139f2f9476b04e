import { MemoryEngine } from '@thinklite/storage';
import { describe, expect, it } from 'vitest';
import { KvOwner, LocalKv } from '../src/index.js';
import { failure, gatewayOf } from './helpers.js';

// The KV API's behaviour through a gateway is the contract suite in local-kv.test.ts, run there
// for local, gateway and mixed transactions; these are what only a gateway process has.

const k = (s: string) => Buffer.from(s);

function setup(retentionMs: number, registerAfterMs = 1000) {
  const engine = new MemoryEngine();
  const local = new LocalKv({ engine, retentionMs });
  const owner = new KvOwner(local);
  return { engine, local, owner, ...gatewayOf(owner, engine, { registerAfterMs }) };
}

const turns = async (n: number) => {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
};

describe('RemoteKv: transactions of a SQL gateway process', () => {
  it('reads committed data with no message to the owner, and sends one request per lock and commit', async () => {
    const { local, gateway, connection } = setup(10_000);
    await local.txn(async (t) => t.put(k('a'), k('1')));
    const sent: string[] = [];
    const receive = connection.receive.bind(connection);
    connection.receive = (m) => {
      sent.push(m.op);
      receive(m);
    };
    const r = gateway.begin();
    expect((await r.get(k('a')))?.toString()).toBe('1');
    await r.commit();
    expect(sent).toEqual([]); // a read-only use of a read-write transaction stays in the gateway
    const w = gateway.begin();
    await w.getForUpdate(k('a'));
    w.put(k('a'), k('2'));
    await w.commit();
    expect(sent).toEqual(['lock', 'commit']);
    expect((await local.begin().get(k('a')))?.toString()).toBe('2');
  });

  it('releases the locks of a gateway that went away, so the owner’s waiters go on', async () => {
    const { local, gateway, connection } = setup(10_000);
    const held = gateway.begin();
    await held.getForUpdate(k('row'));
    expect(connection.openTransactions).toBe(1);
    const waiter = local.begin();
    let got = false;
    const read = waiter.getForUpdate(k('row')).then(() => {
      got = true;
    });
    await turns(5);
    expect(got).toBe(false); // the gateway's transaction holds the lock
    connection.close(); // the gateway process exited
    await read;
    expect(got).toBe(true);
    expect(connection.openTransactions).toBe(0);
    await waiter.rollback();
  });

  it('fails a transaction with 40001 when the commits it must be checked against were forgotten', async () => {
    // No retention, and registration only after a minute: the owner cannot know this transaction.
    const { local, gateway } = setup(0, 60_000);
    await local.txn(async (t) => t.put(k('x'), k('0')));
    const t = gateway.begin();
    expect((await t.get(k('x')))?.toString()).toBe('0');
    // Two commits after t's snapshot: the second prunes the first, which no known transaction needs.
    await local.txn(async (o) => o.put(k('x'), k('1')));
    await local.txn(async (o) => o.put(k('other'), k('1')));
    t.put(k('y'), k('1'));
    const e = await failure(t.commit());
    expect(e.code).toBe('SERIALIZATION_FAILURE');
    expect(e.retryable).toBe(true);
    expect(e.message).toMatch(/oldest commit kept for validation/);
  });

  it('registers a long-open transaction, so the owner keeps the commits it is validated against', async () => {
    const { local, gateway, connection } = setup(0, 20);
    await local.txn(async (t) => t.put(k('x'), k('0')));
    const t = gateway.begin();
    expect((await t.get(k('x')))?.toString()).toBe('0');
    while (connection.openTransactions === 0) await new Promise((r) => setTimeout(r, 10));
    await local.txn(async (o) => o.put(k('unrelated'), k('1')));
    await local.txn(async (o) => o.put(k('x'), k('1')));
    t.put(k('y'), k('1'));
    // Validated, not forgotten: it fails because it read x, which changed — the real conflict.
    const e = await failure(t.commit());
    expect(e.code).toBe('SERIALIZATION_FAILURE');
    expect(e.message).toMatch(/read\/write dependencies/);
    const u = gateway.begin();
    while (connection.openTransactions === 0) await new Promise((r) => setTimeout(r, 10));
    await local.txn(async (o) => o.put(k('unrelated'), k('2')));
    u.put(k('z'), k('1'));
    await u.commit(); // nothing it read changed
    expect((await local.begin().get(k('z')))?.toString()).toBe('1');
  });

  it('fails what waits on the owner, and every later use, once the owner is gone', async () => {
    const { local, gateway, connection } = setup(10_000);
    const holder = local.begin();
    await holder.getForUpdate(k('r'));
    const t = gateway.begin();
    const waiting = t.getForUpdate(k('r'));
    await turns(5);
    connection.close();
    gateway.ownerLost('the owner process exited');
    const e = await failure(waiting);
    expect(e.code).toBe('KV_OWNER_UNAVAILABLE');
    expect(e.sqlstate).toBe('58000');
    expect(() => gateway.begin()).toThrow(expect.objectContaining({ code: 'KV_OWNER_UNAVAILABLE' }));
    await holder.rollback();
  });
});
