import { randomFillSync } from 'node:crypto';
import {
  Counter,
  createRegistry,
  formatTimestamp,
  Histogram,
  HybridLogicalClock,
  type Logger,
  parseTimestamp,
  type Registry,
  silentLogger,
  systemPhysicalClock,
  ThinkLiteError,
  type Timestamp,
  timestampLess,
  timestampLessEq,
} from '@thinklite/base';
import { decodeStats, type Engine, emptyStats, encodeStats, type MvccStats, mvccPut } from '@thinklite/storage';
import type { Isolation, KvDb, KvTxn, LockOptions, TxnOptions } from './api.js';
import { BufferedTxn, checkAsOf, retryingTxn } from './buffered-txn.js';

const STATS_KEY = Buffer.from('localkv/stats');
/** The newest commit timestamp: the clock never starts below it, whatever the wall clock says. */
export const HIGH_WATER_KEY = Buffer.from('localkv/high-water');
/** How often a transaction waiting for a lock runs its `whileWaiting` check (cancel, timeout). */
const LOCK_POLL_MS = 20;

export interface LocalKvOptions {
  readonly engine: Engine;
  readonly clock?: HybridLogicalClock;
  readonly logger?: Logger;
  readonly registry?: Registry;
  /**
   * Keep the writes of commits at least this young (by commit timestamp) for validating other
   * transactions, even when no transaction in progress needs them: a SQL gateway process's
   * transaction is known here only from its first lock or commit (KvOwner), and must find every
   * commit since its snapshot. Default 0 (only what transactions in progress need).
   */
  readonly retentionMs?: number;
}

interface CommitRequest {
  readonly txn: LocalTxn;
  readonly resolve: (ts: Timestamp) => void;
  readonly reject: (e: unknown) => void;
}

interface CommittedWrites {
  readonly ts: Timestamp;
  /** Sorted. */
  readonly keys: readonly Buffer[];
}

/**
 * A random 16-byte transaction id, cut from a pool refilled 256 ids at a time: one
 * `randomBytes(16)` call per transaction cost a few percent of a point read.
 */
const ID_POOL = Buffer.alloc(16 * 256);
let idNext = ID_POOL.length;

/** 16 random bytes (from a pool refilled 256 ids at a time). */
export function newTxnId(): Buffer {
  if (idNext >= ID_POOL.length) {
    randomFillSync(ID_POOL);
    idNext = 0;
  }
  const id = Buffer.from(ID_POOL.subarray(idNext, idNext + 16));
  idNext += 16;
  return id;
}

/**
 * The transactional KV API on one local store: what the embedded database runs on until (and
 * beside) the cluster. Every transaction here is a single-range transaction committed in one
 * phase — CockroachDB's 1PC fast path — so no intents are written: writes are buffered in the
 * transaction and land together, as committed MVCC versions at the commit timestamp, in one
 * atomic, durable storage commit shared with every other transaction committing at that moment.
 *
 * Isolation follows the cluster's rules (decision 0009):
 *  - reads see the snapshot at the transaction's read timestamp, plus its own writes;
 *  - SERIALIZABLE: at commit, a write committed by another transaction after our snapshot inside
 *    a span we read fails the commit with SERIALIZATION_FAILURE (40001) — CockroachDB's read
 *    refresh, done against the log of recent commits;
 *  - SNAPSHOT: a write committed after our snapshot on a key we write fails the commit (first
 *    committer wins), so updates are never lost; write skew is allowed, as the level allows.
 * Commits are validated and applied in one order; their timestamps follow it.
 *
 * Locking reads (`getForUpdate`, the row reads of UPDATE and DELETE by key) take a key's
 * exclusive lock until the transaction ends: a second writer of the row waits for the first to
 * commit instead of reading a value about to change and failing its commit — then refreshes its
 * snapshot past that commit and goes on (CockroachDB's lock wait queue and read refresh).
 */
export class LocalKv implements KvDb {
  readonly engine: Engine;
  readonly clock: HybridLogicalClock;
  private readonly log: Logger;
  private stats: MvccStats;
  /** Every commit at or below it is in the engine: the snapshot a new transaction reads. */
  private visible: Timestamp;
  private readonly queue: CommitRequest[] = [];
  private committing = false;
  private readonly recent: CommittedWrites[] = [];
  /** The newest commit dropped from `recent`: a snapshot below it cannot be validated. */
  private horizon: Timestamp | undefined;
  private readonly retentionUs: number;
  /** Read-write transactions in progress, for pruning `recent`. */
  private readonly active = new Set<LocalTxn>();
  private readonly landWaiters: { ts: Timestamp; resolve: () => void }[] = [];
  /** Locked keys (latin1 strings of the key bytes) → the holder and whoever waits. */
  private readonly locks = new Map<string, { holder: LocalTxn; waiters: (() => void)[] }>();
  private closed = false;
  private readonly metrics: {
    commits: Counter<'result'>;
    commitSeconds: Histogram;
    groupSize: Histogram;
    lockWaits: Counter<'result'>;
    refreshes: Counter<'result'>;
  };

  constructor(options: LocalKvOptions) {
    this.engine = options.engine;
    this.clock = options.clock ?? new HybridLogicalClock({ physicalClock: systemPhysicalClock, maxOffsetUs: 500_000 });
    this.log = (options.logger ?? silentLogger()).child({ component: 'localkv' });
    this.retentionUs = (options.retentionMs ?? 0) * 1000;
    const rawStats = this.engine.get('local', STATS_KEY);
    this.stats = rawStats ? decodeStats(rawStats) : emptyStats();
    const hw = this.engine.get('local', HIGH_WATER_KEY);
    // Our own last commit timestamp: the clock resumes above it even if the wall clock stepped back.
    if (hw) this.clock.advanceTo(parseTimestamp(hw.toString('latin1')));
    this.visible = this.clock.now();
    const registers = [options.registry ?? createRegistry()];
    this.metrics = {
      commits: new Counter({
        name: 'thinklite_txn_commits_total',
        help: 'Transactions that asked to commit, by result (committed, conflict, error)',
        labelNames: ['result'] as const,
        registers,
      }),
      commitSeconds: new Histogram({
        name: 'thinklite_txn_commit_seconds',
        help: 'From commit() to durable',
        buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.5, 1],
        registers,
      }),
      groupSize: new Histogram({
        name: 'thinklite_txn_commit_group_size',
        help: 'Transactions committed together in one storage commit',
        buckets: [1, 2, 4, 8, 16, 32, 64, 128],
        registers,
      }),
      lockWaits: new Counter({
        name: 'thinklite_txn_lock_waits_total',
        help: 'Locking reads that found the key locked by another transaction (waited), or would have closed a cycle (deadlock)',
        labelNames: ['result'] as const,
        registers,
      }),
      refreshes: new Counter({
        name: 'thinklite_txn_refreshes_total',
        help: 'Snapshots moved forward past a commit to a locked key (refreshed), or not, failing with 40001 (failed)',
        labelNames: ['result'] as const,
        registers,
      }),
    };
  }

  now(): Timestamp {
    return this.clock.now();
  }

  /** The MVCC statistics of the whole store, as of the last commit. */
  mvccStats(): Readonly<MvccStats> {
    return { ...this.stats };
  }

  begin(options: TxnOptions = {}): KvTxn {
    this.checkOpen();
    let readTs = this.visible;
    if (options.asOf) {
      checkAsOf(this.clock, options.asOf);
      readTs = options.asOf;
    }
    const txn = new LocalTxn(
      this,
      newTxnId(),
      options.isolation ?? 'serializable',
      options.readOnly === true || options.asOf !== undefined,
      readTs,
    );
    if (!txn.readOnly) this.active.add(txn);
    return txn;
  }

  /**
   * The transaction a SQL gateway process began at `readTimestamp` (docs/decisions/0020): it
   * reads in its own process and brings its reads and writes here to lock, refresh and commit.
   */
  adopt(id: Buffer, isolation: Isolation, readTimestamp: Timestamp): LocalTxn {
    this.checkOpen();
    const txn = new LocalTxn(this, id, isolation, false, readTimestamp);
    this.active.add(txn);
    return txn;
  }

  /** Whether commits after `ts` may have been forgotten (a transaction reading at `ts` cannot be validated). */
  private beyondHorizon(ts: Timestamp): boolean {
    return this.horizon !== undefined && timestampLess(ts, this.horizon);
  }

  private tooOld(txn: LocalTxn): ThinkLiteError {
    return new ThinkLiteError(
      'SERIALIZATION_FAILURE',
      'could not serialize access: the transaction began before the oldest commit kept for validation',
      { readTimestamp: formatTimestamp(txn.readTimestamp), horizon: formatTimestamp(this.horizon as Timestamp) },
    );
  }

  txn<T>(fn: (txn: KvTxn) => Promise<T>, options: TxnOptions & { maxAttempts?: number } = {}): Promise<T> {
    return retryingTxn(this, this.log, fn, options);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    while (this.committing || this.queue.length > 0) await new Promise((r) => setImmediate(r));
    this.closed = true;
  }

  private checkOpen(): void {
    if (this.closed) throw new ThinkLiteError('STORE_CLOSED', 'the database is closed');
  }

  // --- for LocalTxn ---------------------------------------------------------------------------

  /** Resolves once every commit at or below `ts` is in the engine. */
  whenVisible(ts: Timestamp): Promise<void> {
    if (timestampLessEq(ts, this.visible) || (!this.committing && this.queue.length === 0)) return Promise.resolve();
    return new Promise((resolve) => this.landWaiters.push({ ts, resolve }));
  }

  finished(txn: LocalTxn): void {
    this.active.delete(txn);
    for (const k of txn.heldLocks) {
      const lock = this.locks.get(k);
      if (lock?.holder !== txn) continue;
      this.locks.delete(k);
      // Every waiter tries again; the first to run takes the lock.
      for (const wake of lock.waiters) wake();
    }
    txn.heldLocks.length = 0;
  }

  /**
   * Takes `key`'s lock for `txn`, waiting while another transaction holds it. A wait that would
   * close a cycle of transactions waiting for each other fails with 40P01 instead.
   */
  async lock(txn: LocalTxn, key: Uint8Array, options: LockOptions): Promise<void> {
    const k = Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('latin1');
    for (;;) {
      const held = this.locks.get(k);
      if (!held) {
        this.locks.set(k, { holder: txn, waiters: [] });
        txn.heldLocks.push(k);
        return;
      }
      if (held.holder === txn) return;
      for (let h: LocalTxn | undefined = held.holder; h; h = h.waitingFor) {
        if (h === txn) {
          this.metrics.lockWaits.inc({ result: 'deadlock' });
          throw new ThinkLiteError('DEADLOCK_DETECTED', 'deadlock detected', {
            key: Buffer.from(key).toString('hex'),
          });
        }
      }
      txn.waitingFor = held.holder;
      this.metrics.lockWaits.inc({ result: 'waited' });
      try {
        let woken = false;
        const wake = new Promise<void>((resolve) => {
          held.waiters.push(() => {
            woken = true;
            resolve();
          });
        });
        while (!woken) {
          await Promise.race([wake, new Promise((r) => setTimeout(r, LOCK_POLL_MS))]);
          if (!woken) await options.whileWaiting?.();
          if (txn.finished)
            throw new ThinkLiteError(
              'OBJECT_NOT_IN_PREREQUISITE_STATE',
              'the transaction ended while waiting for a lock',
            );
        }
      } finally {
        txn.waitingFor = undefined;
      }
    }
  }

  /** Whether a transaction committed a write to `key` after `ts` (`recent` holds every such commit while `txn` runs). */
  writtenSince(key: Uint8Array, ts: Timestamp): boolean {
    if (this.beyondHorizon(ts)) return true; // unknown: the refresh that follows fails
    for (let i = this.recent.length - 1; i >= 0; i--) {
      const c = this.recent[i] as CommittedWrites;
      if (timestampLessEq(c.ts, ts)) return false;
      if (c.keys.some((k) => k.equals(key))) return true;
    }
    return false;
  }

  /**
   * Moves `txn`'s snapshot up to everything committed now, if no key it read or wrote was
   * written meanwhile; the new read timestamp, or a SERIALIZATION_FAILURE to throw.
   */
  refresh(txn: LocalTxn): Timestamp | ThinkLiteError {
    if (this.beyondHorizon(txn.readTimestamp)) return this.tooOld(txn);
    for (let i = this.recent.length - 1; i >= 0; i--) {
      const c = this.recent[i] as CommittedWrites;
      if (timestampLessEq(c.ts, txn.readTimestamp)) break;
      const k = txn.reads.firstContained(c.keys) ?? c.keys.find((key) => txn.buffer.get(key) !== undefined);
      if (k) {
        this.metrics.refreshes.inc({ result: 'failed' });
        return new ThinkLiteError('SERIALIZATION_FAILURE', 'could not serialize access due to concurrent update', {
          key: Buffer.from(k).toString('hex'),
          readTimestamp: formatTimestamp(txn.readTimestamp),
        });
      }
    }
    this.metrics.refreshes.inc({ result: 'refreshed' });
    return this.visible;
  }

  commit(txn: LocalTxn): Promise<Timestamp> {
    this.checkOpen();
    return new Promise((resolve, reject) => {
      this.queue.push({ txn, resolve, reject });
      if (!this.committing) void this.runCommits();
    });
  }

  /**
   * The commit loop: takes every waiting transaction, validates each in turn against what
   * committed since its snapshot (earlier ones of the same group included), writes the accepted
   * ones into one batch at increasing timestamps, and commits it — one fsync for the group.
   */
  private async runCommits(): Promise<void> {
    this.committing = true;
    try {
      while (this.queue.length > 0) {
        const group = this.queue.splice(0);
        const started = performance.now();
        const batch = this.engine.newBatch();
        const statsBefore = { ...this.stats };
        const recentBefore = this.recent.length;
        const accepted: [CommitRequest, Timestamp][] = [];
        let last: Timestamp | undefined;
        for (const req of group) {
          const conflict = this.conflictOf(req.txn);
          if (conflict) {
            this.metrics.commits.inc({ result: 'conflict' });
            req.reject(conflict);
            continue;
          }
          const ts = this.clock.now();
          const writes = req.txn.buffer.ordered();
          for (const w of writes) mvccPut(batch, this.stats, w.key, ts, w.value);
          this.recent.push({ ts, keys: writes.map((w) => w.key) });
          accepted.push([req, ts]);
          last = ts;
        }
        if (last === undefined) continue;
        batch.put('local', STATS_KEY, encodeStats(this.stats));
        batch.put('local', HIGH_WATER_KEY, Buffer.from(formatTimestamp(last), 'latin1'));
        try {
          await this.engine.commit(batch);
        } catch (e) {
          // Nothing of the group happened: forget its writes, fail every transaction in it.
          this.stats = statsBefore;
          this.recent.length = recentBefore;
          this.log.error({ err: e, transactions: accepted.length }, 'commit failed');
          for (const [req] of accepted) {
            this.metrics.commits.inc({ result: 'error' });
            req.reject(e);
          }
          continue;
        }
        this.visible = last;
        this.releaseLandWaiters();
        const seconds = (performance.now() - started) / 1000;
        this.metrics.groupSize.observe(accepted.length);
        for (const [req, ts] of accepted) {
          this.metrics.commits.inc({ result: 'committed' });
          this.metrics.commitSeconds.observe(seconds);
          req.resolve(ts);
        }
        this.prune();
      }
    } finally {
      this.committing = false;
      this.releaseLandWaiters();
    }
  }

  /** Why `txn` cannot commit, if it cannot. */
  private conflictOf(txn: LocalTxn): ThinkLiteError | undefined {
    if (this.beyondHorizon(txn.readTimestamp)) return this.tooOld(txn);
    for (let i = this.recent.length - 1; i >= 0; i--) {
      const c = this.recent[i] as CommittedWrites;
      if (timestampLessEq(c.ts, txn.readTimestamp)) break;
      if (txn.isolation === 'serializable') {
        const k = txn.reads.firstContained(c.keys);
        if (k) {
          return new ThinkLiteError(
            'SERIALIZATION_FAILURE',
            'could not serialize access due to read/write dependencies among transactions',
            { key: Buffer.from(k).toString('hex'), readTimestamp: formatTimestamp(txn.readTimestamp) },
          );
        }
      } else {
        for (const key of c.keys) {
          if (txn.buffer.get(key)) {
            return new ThinkLiteError('SERIALIZATION_FAILURE', 'could not serialize access due to concurrent update', {
              key: key.toString('hex'),
              readTimestamp: formatTimestamp(txn.readTimestamp),
            });
          }
        }
      }
    }
    return undefined;
  }

  /** Drops commits that no transaction in progress began before, once older than the retention. */
  private prune(): void {
    let oldest: Timestamp | undefined;
    for (const t of this.active) if (!oldest || timestampLess(t.readTimestamp, oldest)) oldest = t.readTimestamp;
    const keepAfterWall = this.retentionUs > 0 ? this.clock.peek().wall - this.retentionUs : Number.POSITIVE_INFINITY;
    let drop = 0;
    for (; drop < this.recent.length; drop++) {
      const ts = (this.recent[drop] as CommittedWrites).ts;
      if ((oldest && !timestampLessEq(ts, oldest)) || ts.wall > keepAfterWall) break;
    }
    if (drop === 0) return;
    this.horizon = (this.recent[drop - 1] as CommittedWrites).ts;
    this.recent.splice(0, drop);
  }

  private releaseLandWaiters(): void {
    const idle = !this.committing && this.queue.length === 0;
    for (let i = this.landWaiters.length - 1; i >= 0; i--) {
      const w = this.landWaiters[i] as { ts: Timestamp; resolve: () => void };
      if (idle || timestampLessEq(w.ts, this.visible)) {
        this.landWaiters.splice(i, 1);
        w.resolve();
      }
    }
  }
}

/** A transaction on a LocalKv (or, in the owner process, one a SQL gateway process runs: KvOwner). */
export class LocalTxn extends BufferedTxn {
  private visibleChecked = false;
  /** The keys this transaction has locked (latin1 strings of their bytes). */
  readonly heldLocks: string[] = [];
  /** The transaction whose lock this one waits for, if it waits. */
  waitingFor: LocalTxn | undefined;

  constructor(
    private readonly db: LocalKv,
    id: Buffer,
    isolation: Isolation,
    readOnly: boolean,
    readTimestamp: Timestamp,
  ) {
    super(db.engine, id, isolation, readOnly, readTimestamp);
  }

  /** A historical read must not start before the commits below its timestamp have landed. */
  protected async ready(): Promise<void> {
    this.checkActive();
    if (this.visibleChecked) return;
    await this.db.whenVisible(this.readTimestamp);
    this.visibleChecked = true;
  }

  protected async lockKey(key: Uint8Array, options: LockOptions): Promise<boolean> {
    await this.db.lock(this, key, options);
    return this.db.writtenSince(key, this.readTimestamp);
  }

  protected async refreshSnapshot(): Promise<Timestamp> {
    const refreshed = this.db.refresh(this);
    if (refreshed instanceof ThinkLiteError) throw refreshed;
    return refreshed;
  }

  protected commitWrites(): Promise<Timestamp> {
    return this.db.commit(this);
  }

  protected ended(): void {
    this.db.finished(this);
  }
}
