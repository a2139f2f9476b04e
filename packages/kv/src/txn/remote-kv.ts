import {
  Counter,
  createRegistry,
  HybridLogicalClock,
  type Logger,
  parseTimestamp,
  type Registry,
  silentLogger,
  systemPhysicalClock,
  ThinkLiteError,
  type Timestamp,
  timestampLessEq,
  ZERO_TIMESTAMP,
} from '@thinklite/base';
import type { Engine } from '@thinklite/storage';
import type { Isolation, KvDb, KvTxn, LockOptions, TxnOptions } from './api.js';
import { BufferedTxn, checkAsOf, retryingTxn } from './buffered-txn.js';
import { errorFromWire, type ToGateway, type ToOwner, type TxnRef } from './kv-link.js';
import { HIGH_WATER_KEY, newTxnId } from './local-kv.js';

/** How often a transaction waiting for a lock in the owner runs its `whileWaiting` check here. */
const LOCK_POLL_MS = 20;

export interface RemoteKvOptions {
  /** The store, attached for reading (LmdbEngine with `attach`); the owner process writes it. */
  readonly engine: Engine;
  /** Sends a message to the owner process (KvOwner). Replies come back through `receive`. */
  readonly send: (message: ToOwner) => void;
  readonly clock?: HybridLogicalClock;
  readonly logger?: Logger;
  readonly registry?: Registry;
  /**
   * A read-write transaction still open after this long is registered with the owner, which then
   * keeps the commits it must be validated against (until then the owner's retention keeps them;
   * this must be well below LocalKvOptions.retentionMs there). Default 1 s.
   */
  readonly registerAfterMs?: number;
}

interface Pending {
  readonly resolve: (ok: { stale?: boolean; ts?: Timestamp }) => void;
  readonly reject: (e: unknown) => void;
}

/**
 * The transactional KV API in a SQL gateway process (docs/decisions/0020): transactions read the
 * store directly — LMDB serves readers in every process — at a snapshot taken from the newest
 * commit timestamp stored with each commit, so a read-only statement sends no message at all. A
 * transaction's writes are buffered here; locks, snapshot refreshes and the commit are requests to
 * the owner process (KvOwner), which validates and commits them in its group commit exactly as its
 * own. This is the SQL gateway / KV split of the cluster, with Node's IPC channel where the
 * cluster will have gRPC.
 */
export class RemoteKv implements KvDb {
  readonly clock: HybridLogicalClock;
  private readonly engine: Engine;
  private readonly sendRaw: (message: ToOwner) => void;
  private readonly log: Logger;
  private readonly pending = new Map<number, Pending>();
  private nextReq = 1;
  /** Read-write transactions not yet known to the owner, oldest first. */
  private readonly unregistered = new Set<RemoteTxn>();
  private ended: Uint8Array[] = [];
  private endFlush: NodeJS.Immediate | undefined;
  private readonly timer: NodeJS.Timeout;
  private readonly registerAfterMs: number;
  private lost: Error | undefined;
  private closed = false;
  private readonly requests: Counter<'op'>;

  constructor(options: RemoteKvOptions) {
    this.engine = options.engine;
    this.sendRaw = options.send;
    this.clock = options.clock ?? new HybridLogicalClock({ physicalClock: systemPhysicalClock, maxOffsetUs: 500_000 });
    this.log = (options.logger ?? silentLogger()).child({ component: 'remotekv' });
    this.registerAfterMs = options.registerAfterMs ?? 1000;
    this.timer = setInterval(() => this.registerOld(), Math.max(10, this.registerAfterMs / 2));
    this.timer.unref();
    this.requests = new Counter({
      name: 'thinklite_gateway_kv_requests_total',
      help: "Requests this SQL gateway process made to the store's owner process, by kind (lock, refresh, commit, visible)",
      labelNames: ['op'] as const,
      registers: [options.registry ?? createRegistry()],
    });
  }

  /** The newest commit landed in the store: every commit at or below it is readable here now. */
  private highWater(): Timestamp {
    this.engine.refreshReads();
    const raw = this.engine.get('local', HIGH_WATER_KEY);
    return raw ? parseTimestamp(raw.toString('latin1')) : ZERO_TIMESTAMP;
  }

  now(): Timestamp {
    return this.clock.now();
  }

  begin(options: TxnOptions = {}): KvTxn {
    this.checkOpen();
    let readTs: Timestamp;
    let mustWait = false;
    if (options.asOf) {
      checkAsOf(this.clock, options.asOf);
      readTs = options.asOf;
      // A commit below it may be in flight in the owner: ask before the first read.
      mustWait = !timestampLessEq(readTs, this.highWater());
    } else {
      readTs = this.highWater();
      this.clock.advanceTo(readTs); // the node's own time (the owner's commits)
    }
    const txn = new RemoteTxn(
      this,
      this.engine,
      newTxnId(),
      options.isolation ?? 'serializable',
      options.readOnly === true || options.asOf !== undefined,
      readTs,
      mustWait,
    );
    if (!txn.readOnly) this.unregistered.add(txn);
    return txn;
  }

  txn<T>(fn: (txn: KvTxn) => Promise<T>, options: TxnOptions & { maxAttempts?: number } = {}): Promise<T> {
    return retryingTxn(this, this.log, fn, options);
  }

  /** A reply (or error) from the owner. */
  receive(message: ToGateway): void {
    const p = this.pending.get(message.req);
    if (!p) return;
    this.pending.delete(message.req);
    if ('err' in message) p.reject(errorFromWire(message.err));
    else p.resolve(message.ok);
  }

  /** The channel to the owner closed: everything waiting on it fails, and so does all that follows. */
  ownerLost(reason = 'the channel to the owner process closed'): void {
    if (this.lost) return;
    this.lost = new ThinkLiteError('KV_OWNER_UNAVAILABLE', `the store's owner process is gone: ${reason}`);
    for (const p of this.pending.values()) p.reject(this.lost);
    this.pending.clear();
    this.log.warn({ reason }, 'lost the store owner process');
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.flushEnded();
    this.closed = true;
    clearInterval(this.timer);
  }

  private checkOpen(): void {
    if (this.closed) throw new ThinkLiteError('STORE_CLOSED', 'the database is closed');
    if (this.lost) throw this.lost;
  }

  private send(message: ToOwner): void {
    if (this.lost) return;
    try {
      this.sendRaw(message);
    } catch (e) {
      this.ownerLost((e as Error).message);
    }
  }

  // --- for RemoteTxn ---------------------------------------------------------------------------

  /** Sends a request; `id` is handed its number before it goes (to cancel it). */
  request(make: (req: number) => ToOwner, onId?: (req: number) => void): Promise<{ stale?: boolean; ts?: Timestamp }> {
    if (this.lost) return Promise.reject(this.lost);
    const req = this.nextReq++;
    onId?.(req);
    const message = make(req);
    this.requests.inc({ op: message.op });
    const reply = new Promise<{ stale?: boolean; ts?: Timestamp }>((resolve, reject) =>
      this.pending.set(req, { resolve, reject }),
    );
    this.send(message);
    return reply;
  }

  cancelLockWait(req: number): void {
    this.send({ op: 'lock-cancel', req });
  }

  /** The transaction is known to the owner now (its request carried it). */
  registered(txn: RemoteTxn): void {
    this.unregistered.delete(txn);
  }

  /** The transaction ended here; the owner releases what it holds for it (batched per event turn). */
  finished(txn: RemoteTxn, ownerKnows: boolean): void {
    this.unregistered.delete(txn);
    if (!ownerKnows) return;
    this.ended.push(txn.id);
    this.endFlush ??= setImmediate(() => this.flushEnded());
  }

  private flushEnded(): void {
    if (this.endFlush) clearImmediate(this.endFlush);
    this.endFlush = undefined;
    if (this.ended.length === 0) return;
    const ids = this.ended;
    this.ended = [];
    this.send({ op: 'end', ids });
  }

  /** Registers the transactions open longer than registerAfterMs (oldest first: stop at a young one). */
  private registerOld(): void {
    const before = performance.now() - this.registerAfterMs;
    const txns: TxnRef[] = [];
    for (const txn of this.unregistered) {
      if (txn.beganAt > before) break;
      this.unregistered.delete(txn);
      txn.ownerKnows = true;
      txns.push(txn.ref());
    }
    if (txns.length > 0) this.send({ op: 'register', txns });
  }
}

/** A transaction in a SQL gateway process: reads here, locks and commits in the owner process. */
class RemoteTxn extends BufferedTxn {
  readonly beganAt = performance.now();
  /** Whether the owner has a shadow of this transaction (it holds locks, or was registered). */
  ownerKnows = false;

  constructor(
    private readonly kv: RemoteKv,
    private readonly store: Engine,
    id: Buffer,
    isolation: Isolation,
    readOnly: boolean,
    readTimestamp: Timestamp,
    private mustWait: boolean,
  ) {
    super(store, id, isolation, readOnly, readTimestamp);
  }

  ref(): TxnRef {
    return { id: this.id, isolation: this.isolation, readTs: this.readTimestamp };
  }

  private known(): TxnRef {
    this.ownerKnows = true;
    this.kv.registered(this);
    return this.ref();
  }

  protected async ready(): Promise<void> {
    this.checkActive();
    if (!this.mustWait) return;
    await this.kv.request((req) => ({ op: 'visible', req, ts: this.readTimestamp }));
    this.store.refreshReads();
    this.mustWait = false;
  }

  protected async lockKey(key: Uint8Array, options: LockOptions): Promise<boolean> {
    let reqId = 0;
    const reply = this.kv.request(
      (req) => ({ op: 'lock', req, txn: this.known(), key }),
      (req) => {
        reqId = req;
      },
    );
    const whileWaiting = options.whileWaiting;
    if (!whileWaiting) return (await reply).stale === true;
    // Run the caller's checks (a cancel, a statement timeout) while the owner has us wait.
    let done = false;
    const settled = reply.finally(() => {
      done = true;
    });
    settled.catch(() => {});
    for (;;) {
      await Promise.race([settled.catch(() => {}), new Promise((r) => setTimeout(r, LOCK_POLL_MS))]);
      if (done) return (await reply).stale === true;
      try {
        await whileWaiting();
      } catch (e) {
        this.kv.cancelLockWait(reqId);
        // The owner may grant the lock before it hears of the cancel: the transaction's end releases it.
        reply.catch(() => {});
        throw e;
      }
    }
  }

  protected async refreshSnapshot(): Promise<Timestamp> {
    const writeKeys = this.buffer.ordered().map((w) => w.key);
    const { ts } = await this.kv.request((req) => ({
      op: 'refresh',
      req,
      txn: this.known(),
      spans: this.reads.flat(),
      writeKeys,
    }));
    const moved = ts as Timestamp;
    this.kv.clock.advanceTo(moved);
    this.store.refreshReads(); // the owner's snapshot is landed: read it from here on
    return moved;
  }

  protected async commitWrites(): Promise<Timestamp> {
    const writes = this.buffer.ordered();
    const ref = this.known();
    let reply: { ts?: Timestamp };
    try {
      reply = await this.kv.request((req) => ({
        op: 'commit',
        req,
        txn: ref,
        spans: this.reads.flat(),
        keys: writes.map((w) => w.key),
        values: writes.map((w) => w.value),
      }));
    } finally {
      // The owner forgets the transaction with its commit, or its failure.
      this.ownerKnows = false;
    }
    const committed = reply.ts as Timestamp;
    this.kv.clock.advanceTo(committed);
    return committed;
  }

  protected ended(): void {
    this.kv.finished(this, this.ownerKnows);
  }
}
