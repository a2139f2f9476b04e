import { ThinkLiteError, type Timestamp } from '@thinklite/base';
import { bytes, errorToWire, type FlatSpans, type ToGateway, type ToOwner, type TxnRef } from './kv-link.js';
import type { LocalKv, LocalTxn } from './local-kv.js';

/** What a gateway's requests come to in the owner: one per gateway process. */
export interface GatewayConnection {
  /** Handles one message from the gateway. */
  receive(message: ToOwner): void;
  /** The gateway is gone: its transactions roll back and their locks are released. */
  close(): void;
  /** Transactions of this gateway known here (registered, locking or committing). */
  readonly openTransactions: number;
}

/**
 * The store-owning side of a SQL gateway process's transactions (docs/decisions/0020). A gateway
 * reads the store itself; what needs the one place that sees every transaction — locks, the
 * validation of a commit against the commits since its snapshot, the commit itself with its
 * timestamp, a snapshot refresh — it asks here. Each gateway transaction the owner hears of gets
 * a shadow LocalTxn: the owner's lock table, deadlock detection, validation and group commit then
 * treat it exactly as one of its own.
 */
export class KvOwner {
  constructor(private readonly kv: LocalKv) {}

  connect(send: (message: ToGateway) => void): GatewayConnection {
    const txns = new Map<string, LocalTxn>();
    /** Lock requests the gateway gave up on. */
    const cancelled = new Set<number>();
    let closed = false;
    const kv = this.kv;

    const shadow = (ref: TxnRef): LocalTxn => {
      const key = bytes(ref.id).toString('latin1');
      let txn = txns.get(key);
      if (!txn) {
        txn = kv.adopt(Buffer.from(ref.id), ref.isolation, ref.readTs);
        txns.set(key, txn);
      }
      // The gateway's snapshot may have moved (a refresh it asked for).
      txn.readTimestamp = ref.readTs;
      return txn;
    };
    const forget = (txn: LocalTxn) => txns.delete(txn.id.toString('latin1'));
    const loadReads = (txn: LocalTxn, spans: FlatSpans) => {
      for (let i = 0; i + 1 < spans.length; i += 2) txn.reads.add(spans[i] as Uint8Array, spans[i + 1] as Uint8Array);
    };
    const reply = (req: number, work: () => Promise<{ stale?: boolean; ts?: Timestamp }>) => {
      work().then(
        (ok) => {
          if (!closed) send({ req, ok });
        },
        (e: unknown) => {
          if (!closed) send({ req, err: errorToWire(e) });
        },
      );
    };

    const connection: GatewayConnection = {
      get openTransactions() {
        return txns.size;
      },
      receive(m: ToOwner): void {
        if (closed) return;
        switch (m.op) {
          case 'lock':
            reply(m.req, async () => {
              const txn = shadow(m.txn);
              try {
                await kv.lock(txn, m.key, {
                  whileWaiting: async () => {
                    if (cancelled.delete(m.req) || closed)
                      throw new ThinkLiteError('QUERY_CANCELED', 'the lock wait was given up');
                  },
                });
              } finally {
                cancelled.delete(m.req);
              }
              return { stale: kv.writtenSince(m.key, txn.readTimestamp) };
            });
            return;
          case 'lock-cancel':
            cancelled.add(m.req);
            return;
          case 'refresh':
            reply(m.req, async () => {
              const txn = shadow(m.txn);
              loadReads(txn, m.spans);
              // Only the keys matter to a refresh (a SNAPSHOT transaction fails on a commit to a key it wrote).
              txn.buffer.rollbackTo(0);
              for (const k of m.writeKeys) txn.buffer.set(k, null);
              const ts = kv.refresh(txn);
              if (ts instanceof ThinkLiteError) throw ts;
              txn.readTimestamp = ts;
              return { ts };
            });
            return;
          case 'commit':
            reply(m.req, async () => {
              const txn = shadow(m.txn);
              loadReads(txn, m.spans);
              txn.buffer.rollbackTo(0);
              for (const [i, k] of m.keys.entries()) {
                const v = m.values[i];
                txn.buffer.set(k, v ? bytes(v) : null);
              }
              try {
                return { ts: await txn.commit() };
              } finally {
                forget(txn);
              }
            });
            return;
          case 'register':
            for (const ref of m.txns) shadow(ref);
            return;
          case 'end':
            for (const id of m.ids) {
              const txn = txns.get(bytes(id).toString('latin1'));
              if (!txn) continue;
              forget(txn);
              void txn.rollback();
            }
            return;
          case 'visible':
            reply(m.req, async () => {
              // The gateway's clock gave the timestamp (the node's own time): every commit from now
              // on is above it, so what lands below it is what is in flight now.
              kv.clock.advanceTo(m.ts);
              await kv.whenVisible(m.ts);
              return {};
            });
            return;
        }
      },
      close(): void {
        if (closed) return;
        closed = true;
        for (const txn of txns.values()) void txn.rollback();
        txns.clear();
      },
    };
    return connection;
  }
}
