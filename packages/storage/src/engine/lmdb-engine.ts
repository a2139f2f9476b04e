import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  createRegistry,
  Gauge,
  Histogram,
  LATENCY_BUCKETS_SECONDS,
  type Logger,
  type Registry,
  silentLogger,
  ThinkLiteError,
} from '@thinklite/base';
import { type Database, open as openLmdb, type RootDatabase } from 'lmdb';
import {
  type Engine,
  type EngineStats,
  type Entry,
  type ScanOptions,
  type Snapshot,
  SPACES,
  type Space,
} from './engine.js';
import { checkLmdbDataFile } from './lmdb-file-check.js';
import { acquireStoreLock, prepareStoreDir, readStoreIdent, type StoreIdent } from './store-dir.js';
import { type BatchOp, WriteBatch } from './write-batch.js';

export interface LmdbEngineOptions {
  /** The store directory (created if missing). */
  readonly dir: string;
  readonly logger?: Logger;
  /** Metrics are registered here; a fresh registry when omitted. */
  readonly registry?: Registry;
  /**
   * An upper bound on the data file's size: a commit that would grow it past this fails with
   * STORE_FULL. LMDB reuses freed pages first, so this bounds the disk the store takes. Default:
   * none (the disk is the limit).
   */
  readonly sizeBytesMax?: number;
  /**
   * Attach to a store that another process of this node has open and owns (a SQL gateway process,
   * docs/decisions/0020): no LOCK is taken and nothing is created or cleaned up, the store must
   * exist, and the engine only reads (commit fails). LMDB serves readers in any number of
   * processes beside its one writer.
   */
  readonly attach?: boolean;
}

const IDENT_KEY = Buffer.from('ident');
/**
 * The lower bound the package gives an open range over `keyEncoding: 'binary'` keys (forward: its
 * start, reverse: its end). With a custom key encoder it would use [0x05] instead, skipping lower
 * keys, so every range passes this bound itself.
 */
const LOWEST_KEY = Buffer.from([0]);

/**
 * A copy of src[start, end) in a Buffer from Node's pool. The lmdb package copies each key and
 * value a cursor reads with `Uint8Array.prototype.slice`, which for a Buffer takes V8's slow
 * species path and yields a small buffer inside V8's heap, which a later `subarray` must first
 * move out of the heap: together a fifth or more of a scan's time. A byte loop into a pool slice
 * is several times cheaper for a scan's short keys and values; the pool never reuses the bytes.
 */
function copyOut(src: Uint8Array, start: number, end: number): Buffer {
  const n = end - start;
  const out = Buffer.allocUnsafe(n);
  if (n > 64) out.set(src.subarray(start, end));
  else for (let i = 0; i < n; i++) out[i] = src[start + i] as number;
  return out;
}

/**
 * Raw binary keys, as the package's `keyEncoding: 'binary'` writes them, read with `copyOut`
 * (the package's documented custom key encoding).
 */
const BINARY_KEYS = {
  writeKey(key: Uint8Array, target: Uint8Array, start: number): number {
    target.set(key, start);
    return start + key.length;
  },
  readKey: (source: Uint8Array, start: number, end: number): Buffer => copyOut(source, start, end),
};

/**
 * Raw binary values: written as given; read through `copyOut`. With an encoder whose decoder
 * copies, the package hands a range read's value in its reusable read buffer (marked `isGlobal`,
 * its `length` set to the value's) instead of slicing a copy first; any other buffer it hands is
 * already a fresh copy of its own (a large value or a memory-mapped one), returned as is.
 */
const BINARY_VALUES = {
  encode: (value: Buffer): Buffer => value,
  decode: (bytes: Buffer & { isGlobal?: boolean }): Buffer =>
    bytes.isGlobal ? copyOut(bytes, 0, bytes.length) : bytes,
};

/**
 * The durable engine: one LMDB environment per store, one named database per key space.
 *
 * Durability: LMDB is opened with `overlappingSync: false`, so a write transaction's promise
 * resolves only after its fsync (the lmdb package's default overlapping sync resolves on commit and
 * flushes later — acknowledging before the data is on disk).
 *
 * Group commit: every batch committed in one event turn goes into one LMDB write transaction, which
 * the lmdb package's writer thread applies and fsyncs while this thread goes on evaluating the
 * next batches. One transaction, one fsync, many batches. LMDB's copy-on-write B+tree makes the
 * group atomic: after a crash the meta page points at the old tree or the new one.
 */
export class LmdbEngine implements Engine {
  readonly kind = 'lmdb' as const;
  readonly dir: string;
  readonly ident: StoreIdent;
  private readonly root: RootDatabase<Buffer, Buffer>;
  private readonly dbs: Record<Space, Database<Buffer, Buffer>>;
  private readonly log: Logger;
  private readonly releaseLock: () => void;
  /** LMDB's transaction id when the store was opened: storage transactions since = now - this. */
  private txnIdAtOpen = 0;
  private closed = false;
  private inflight = new Set<Promise<unknown>>();
  private counters = { batches: 0, bytesWritten: 0 };
  private readonly commitSeconds: Histogram;
  private readonly sizeBytesMax: number | undefined;
  private readonly dataFile: string;
  /** Attached to a store another process owns: reads only (LmdbEngineOptions.attach). */
  readonly attached: boolean;

  private constructor(options: LmdbEngineOptions) {
    this.dir = path.resolve(options.dir);
    this.dataFile = path.join(this.dir, 'data.mdb');
    this.sizeBytesMax = options.sizeBytesMax;
    this.attached = options.attach === true;
    let created = false;
    if (this.attached) {
      this.ident = readStoreIdent(this.dir);
      this.releaseLock = () => {};
    } else {
      const prepared = prepareStoreDir(this.dir);
      this.ident = prepared.ident;
      created = prepared.created;
      this.releaseLock = acquireStoreLock(this.dir);
    }
    const ident = this.ident;
    try {
      checkLmdbDataFile(path.join(this.dir, 'data.mdb'));
      // lock.mdb is only LMDB's reader table; holding LOCK, we are its sole user, so a stale or
      // damaged one from a crashed process is removed rather than trusted. (An attached process
      // shares the owner's.)
      if (!this.attached) fs.rmSync(path.join(this.dir, 'lock.mdb'), { force: true });
    } catch (e) {
      this.releaseLock();
      throw e;
    }
    this.log = (options.logger ?? silentLogger()).child({
      component: 'storage',
      storeId: ident.storeId,
      dir: this.dir,
    });
    try {
      this.root = openLmdb<Buffer, Buffer>({
        path: this.dir,
        // The store is always a directory, even when its name has an extension (`app.tlite`):
        // the lmdb package would otherwise take such a path for a single data file.
        noSubdir: false,
        keyEncoding: 'binary',
        encoding: 'binary',
        // Acknowledge only after fsync (the package's default overlapping sync acknowledges first).
        overlappingSync: false,
        // A transaction starts as soon as 64 writes are queued rather than at the end of the event
        // turn, so a large batch starts its fsync while the next batches are still evaluated;
        // small batches still gather for a turn into one transaction. Atomicity comes from
        // committing each batch inside `batch()`, not from the turn.
        eventTurnBatching: false,
        txnStartThreshold: 64,
        maxDbs: SPACES.length + 2,
      } as Parameters<typeof openLmdb>[0]);
      const dbs = {} as Record<Space, Database<Buffer, Buffer>>;
      for (const space of SPACES) {
        // Keys and values are raw bytes, stored as with `keyEncoding: 'binary'`; BINARY_KEYS and
        // BINARY_VALUES only make reads cheaper. (The package's typings omit `keyEncoder`.)
        const dbOptions = { name: space, keyEncoder: BINARY_KEYS, encoding: 'binary', encoder: BINARY_VALUES } as const;
        dbs[space] = this.root.openDB<Buffer, Buffer>(dbOptions);
      }
      this.dbs = dbs;
      this.checkIdentity(created);
      this.txnIdAtOpen = this.lastTxnId();
    } catch (e) {
      this.releaseLock();
      if (e instanceof ThinkLiteError) throw e;
      throw new ThinkLiteError(
        'STORE_CORRUPT',
        `cannot open the LMDB environment in ${this.dir}: ${(e as Error).message}`,
        { path: path.join(this.dir, 'data.mdb') },
        { cause: e },
      );
    }
    const registry = options.registry ?? createRegistry();
    const labelNames = ['store'] as const;
    this.commitSeconds = new Histogram({
      name: 'thinklite_storage_commit_seconds',
      help: 'Latency of a durable batch commit, from commit() to fsynced',
      labelNames,
      buckets: LATENCY_BUCKETS_SECONDS,
      registers: [registry],
    });
    const counters = this.counters;
    const storeId = ident.storeId;
    const gauge = (name: string, help: string, read: () => number) =>
      new Gauge({
        name,
        help,
        labelNames,
        registers: [registry],
        collect() {
          this.set({ store: storeId }, read());
        },
      });
    gauge(
      'thinklite_storage_bytes_written',
      'Bytes of keys and values committed since the store opened',
      () => counters.bytesWritten,
    );
    gauge(
      'thinklite_storage_batches_committed',
      'Write batches committed since the store opened',
      () => counters.batches,
    );
    gauge(
      'thinklite_storage_transactions',
      'LMDB write transactions (each one fsync) since the store opened; batches ÷ transactions is the group-commit factor',
      () => (this.closed ? 0 : this.lastTxnId() - this.txnIdAtOpen),
    );
    this.log.info({ created, formatVersion: ident.formatVersion }, created ? 'store created' : 'store opened');
  }

  /** Opens (creating if new) the store in `options.dir`. */
  static open(options: LmdbEngineOptions): LmdbEngine {
    return new LmdbEngine(options);
  }

  private checkIdentity(created: boolean): void {
    const stored = this.dbs.store.getBinary(IDENT_KEY);
    if (stored === undefined && this.attached) {
      throw new ThinkLiteError('STORE_CORRUPT', `${this.dir}/data.mdb has no store identity to attach to`, {
        path: this.dir,
      });
    }
    if (stored === undefined) {
      const hasData = SPACES.some(
        (s) => s !== 'store' && [...this.dbs[s].getKeys({ start: LOWEST_KEY, limit: 1 })].length > 0,
      );
      if (!created && hasData) {
        throw new ThinkLiteError('STORE_CORRUPT', `${this.dir}/data.mdb holds data but no store identity`, {
          path: this.dir,
        });
      }
      // A new store, or one whose creation stopped between THINKLITE and its first commit.
      this.dbs.store.putSync(IDENT_KEY, Buffer.from(this.ident.storeId));
      return;
    }
    if (stored.toString() !== this.ident.storeId) {
      throw new ThinkLiteError(
        'STORE_CORRUPT',
        `${this.dir}/data.mdb belongs to store ${stored.toString()}, but THINKLITE names store ${this.ident.storeId}`,
        { path: this.dir },
      );
    }
  }

  private checkOpen(): void {
    if (this.closed) throw new ThinkLiteError('STORE_CLOSED', `store ${this.dir} is closed`, { path: this.dir });
  }

  get(space: Space, key: Uint8Array): Buffer | undefined {
    this.checkOpen();
    return this.dbs[space].getBinary(key as Buffer);
  }

  scan(space: Space, options: ScanOptions = {}): IterableIterator<Entry> {
    this.checkOpen();
    return scanDb(this.dbs[space], options, undefined);
  }

  newBatch(): WriteBatch {
    this.checkOpen();
    return new WriteBatch(this);
  }

  commit(batch: WriteBatch): Promise<void> {
    this.checkOpen();
    if (this.attached) {
      return Promise.reject(
        new ThinkLiteError('STORE_READ_ONLY', `store ${this.dir} is attached for reading; its owner process writes`, {
          path: this.dir,
        }),
      );
    }
    if (this.sizeBytesMax !== undefined) {
      const size = fs.statSync(this.dataFile).size;
      if (size + batch.byteSize > this.sizeBytesMax) {
        return Promise.reject(
          new ThinkLiteError(
            'STORE_FULL',
            `store ${this.dir} is full: its data file is ${size} bytes and the limit is ${this.sizeBytesMax}`,
            { path: this.dir, sizeBytes: size, sizeBytesMax: this.sizeBytesMax },
          ),
        );
      }
    }
    if (batch.count === 0) return Promise.resolve();
    const startedAt = performance.now();
    let done: Promise<unknown>;
    if (batch.hasClearRange) {
      // A range clear must read the keys it deletes inside the write transaction.
      done = this.root.transaction(() => {
        for (const op of batch.ops) this.applyOp(op);
      });
    } else {
      // The lmdb package's writer thread applies the batch's writes as one unit (`batch`) inside
      // whatever transaction it is gathering, while this thread goes on: every batch that arrives
      // before that transaction starts rides the same fsync.
      done = this.root.batch(() => {
        for (const op of batch.ops) {
          const db = this.dbs[op.space];
          if (op.kind === 'put') db.put(op.key, op.value);
          else db.remove((op as { key: Buffer }).key);
        }
      });
    }
    const result = done.then(
      () => this.committed(batch, startedAt),
      (e: unknown) => this.commitFailed(e, batch),
    );
    this.inflight.add(result);
    void result.finally(() => this.inflight.delete(result)).catch(() => {});
    return result;
  }

  private committed(batch: WriteBatch, startedAt: number): void {
    // The lmdb package renews its cached read transaction lazily; a read right after this commit
    // resolves must see it (the contract: reads see every commit that has resolved).
    this.root.resetReadTxn();
    this.counters.batches++;
    this.counters.bytesWritten += batch.byteSize;
    this.commitSeconds.observe({ store: this.ident.storeId }, (performance.now() - startedAt) / 1000);
  }

  private commitFailed(e: unknown, batch: WriteBatch): Promise<never> {
    // The lmdb package rejects with a wrapper whose `commitError` promise holds the cause.
    const commitError = (e as { commitError?: Promise<unknown> } | undefined)?.commitError;
    const fail = (cause: unknown): never => {
      const err = this.mapWriteError(cause);
      this.log.error({ err, ops: batch.count }, 'storage commit failed');
      throw err;
    };
    if (commitError) return commitError.then(() => fail(e), fail);
    return Promise.resolve().then(() => fail(e));
  }

  private applyOp(op: BatchOp): void {
    const db = this.dbs[op.space];
    switch (op.kind) {
      case 'put':
        db.putSync(op.key, op.value);
        return;
      case 'delete':
        db.removeSync(op.key);
        return;
      case 'clearRange': {
        const keys = [...db.getKeys({ start: op.start, end: op.end })] as Buffer[];
        for (const k of keys) db.removeSync(k);
        return;
      }
    }
  }

  /** LMDB reports a full disk as EIO from its page writes; free space tells them apart. */
  private mapWriteError(e: unknown): ThinkLiteError {
    if (e instanceof ThinkLiteError) return e;
    const message = (e as Error)?.message ?? String(e);
    let freeBytes: number | undefined;
    try {
      const s = fs.statfsSync(this.dir);
      freeBytes = s.bavail * s.bsize;
    } catch {
      freeBytes = undefined;
    }
    const full =
      /MDB_MAP_FULL|ENOSPC|No space/i.test(message) ||
      (e as { code?: unknown })?.code === 28 ||
      (freeBytes !== undefined && freeBytes < 4 * 1024 * 1024);
    if (full) {
      return new ThinkLiteError(
        'STORE_FULL',
        `store ${this.dir} is full (${freeBytes ?? 'unknown'} bytes free on its disk): ${message}`,
        { path: this.dir, freeBytes },
        { cause: e },
      );
    }
    return new ThinkLiteError(
      'STORE_IO',
      `write to store ${this.dir} failed: ${message}`,
      { path: this.dir },
      { cause: e },
    );
  }

  snapshot(): Snapshot {
    this.checkOpen();
    const txn = this.root.useReadTransaction();
    let open = true;
    const check = () => {
      if (!open) throw new ThinkLiteError('STORE_CLOSED', 'snapshot is closed');
      this.checkOpen();
    };
    return {
      get: (space, key) => {
        check();
        return (this.dbs[space] as unknown as { getBinary: GetBinaryWithTxn }).getBinary(key as Buffer, {
          transaction: txn,
        });
      },
      scan: (space, options = {}) => {
        check();
        return scanDb(this.dbs[space], options, txn);
      },
      close: () => {
        if (open) {
          open = false;
          txn.done();
        }
      },
    };
  }

  /**
   * Reads from now on see every commit landed so far, in this process or another. (The package
   * keeps one read transaction until the next timer turn; a gateway process that must see a commit
   * the owner process acknowledged a moment ago renews it here.)
   */
  refreshReads(): void {
    this.checkOpen();
    this.root.resetReadTxn();
  }

  stats(): EngineStats {
    return { ...this.counters, commits: this.lastTxnId() - this.txnIdAtOpen };
  }

  private lastTxnId(): number {
    return (this.root.getStats() as { lastTxnId: number }).lastTxnId;
  }

  /** Waits for queued commits, then closes LMDB and releases the lock. */
  async close(): Promise<void> {
    if (this.closed) return;
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
    this.closed = true;
    await this.root.close();
    this.releaseLock();
    this.log.info('store closed');
  }
}

type ReadTxn = ReturnType<RootDatabase['useReadTransaction']>;
/** getBinary takes read options at run time; the lmdb package's typings omit them. */
type GetBinaryWithTxn = (key: Buffer, options: { transaction: ReadTxn }) => Buffer | undefined;

/**
 * A scan over [start, end). The lmdb package's reverse ranges run from an inclusive `start` down
 * to an exclusive `end`, so a reverse scan starts at our exclusive end, skips an exact match and
 * stops itself below our inclusive start.
 */
function scanDb(db: Database<Buffer, Buffer>, options: ScanOptions, txn: ReadTxn | undefined): IterableIterator<Entry> {
  const { start, end, reverse = false, limit = Number.POSITIVE_INFINITY } = options;
  if (limit <= 0) return EMPTY_SCAN[Symbol.iterator]();
  const base = txn ? { transaction: txn } : {};
  if (!reverse) {
    const range = db.getRange({
      ...base,
      start: (start ?? LOWEST_KEY) as Buffer,
      ...(end ? { end: end as Buffer } : {}),
      ...(Number.isFinite(limit) ? { limit } : {}),
    });
    return new ForwardScan(range as Iterable<Entry>);
  }
  return reverseScan(db, start, end, limit, base);
}

const EMPTY_SCAN: readonly Entry[] = [];

/**
 * A forward scan is the package's own range iterator, opened on the first `next` (as a generator
 * would be): its entries are fresh `{ key, value }` objects already, and a generator around it
 * would cost a resume and another object per entry. `return` closes the package's cursor.
 */
class ForwardScan implements IterableIterator<Entry> {
  private it: Iterator<Entry> | undefined;
  private closed = false;

  constructor(private readonly range: Iterable<Entry>) {}

  next(): IteratorResult<Entry> {
    if (this.closed) return { done: true, value: undefined };
    this.it ??= this.range[Symbol.iterator]();
    return this.it.next();
  }

  return(): IteratorResult<Entry> {
    this.closed = true;
    this.it?.return?.();
    return { done: true, value: undefined };
  }

  [Symbol.iterator](): IterableIterator<Entry> {
    return this;
  }
}

function* reverseScan(
  db: Database<Buffer, Buffer>,
  start: Uint8Array | undefined,
  end: Uint8Array | undefined,
  limit: number,
  base: { transaction?: ReadTxn },
): IterableIterator<Entry> {
  const range = db.getRange({ ...base, ...(end ? { start: end as Buffer } : {}), end: LOWEST_KEY, reverse: true });
  let n = 0;
  for (const { key, value } of range) {
    if (end && Buffer.compare(key, end) >= 0) continue;
    if (start && Buffer.compare(key, start) < 0) return;
    yield { key, value };
    if (++n >= limit) return;
  }
}
