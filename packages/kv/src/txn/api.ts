import type { Timestamp } from '@thinklite/base';

/**
 * The transactional KV API: everything the SQL layer may use to read and write data
 * (docs/architecture.md §7). `LocalKv` implements it on one store; the cluster's transaction
 * coordinator will implement it across ranges. Keys are byte strings in the storage layer's
 * ordered encoding; values are opaque bytes.
 */

export type Isolation = 'serializable' | 'snapshot';

export interface KeyValue {
  readonly key: Buffer;
  readonly value: Buffer;
}

export interface ScanOptions {
  readonly reverse?: boolean;
  /** Stop after this many rows. */
  readonly maxKeys?: number;
}

export interface TxnOptions {
  /** Default 'serializable'. */
  readonly isolation?: Isolation;
  /** A read-only transaction refuses writes (READ_ONLY_SQL_TRANSACTION). */
  readonly readOnly?: boolean;
  /**
   * Read as of this timestamp (AS OF SYSTEM TIME); implies readOnly. It must not be in the future
   * nor below the store's garbage-collection threshold.
   */
  readonly asOf?: Timestamp;
}

export interface LockOptions {
  /** Called while waiting for a lock; throwing stops the wait (and the read) with that error. */
  readonly whileWaiting?: () => Promise<void>;
}

/** A position in a transaction's writes that it can roll back to (SQL SAVEPOINT). */
export interface Savepoint {
  readonly seq: number;
}

export interface KvTxn {
  /** 16 random bytes. */
  readonly id: Buffer;
  readonly isolation: Isolation;
  readonly readOnly: boolean;
  /** The snapshot this transaction reads. */
  readonly readTimestamp: Timestamp;
  /** Whether it has committed or rolled back. */
  readonly finished: boolean;
  get(key: Uint8Array): Promise<Buffer | undefined>;
  /**
   * A locking read (CockroachDB's GetForUpdate, the read of an UPDATE or DELETE by key): takes
   * the key's exclusive lock for the rest of the transaction — waiting while another transaction
   * holds it — and reads the newest committed value. When another transaction wrote the key after
   * this one's snapshot, the snapshot moves forward (a read refresh) if nothing this transaction
   * has read or written changed meanwhile, else SERIALIZATION_FAILURE (40001). Waits that would
   * close a cycle fail with DEADLOCK_DETECTED (40P01). `whileWaiting` runs every few
   * milliseconds of waiting and may throw to give up (a cancel, a statement timeout).
   */
  getForUpdate(key: Uint8Array, options?: LockOptions): Promise<Buffer | undefined>;
  /** The live rows of [start, end), this transaction's own writes included. */
  scan(start: Uint8Array, end: Uint8Array, opts?: ScanOptions): AsyncIterable<KeyValue>;
  /** The same rows as `scan`, handed out in batches (cheaper per row for long scans). */
  scanBatches(start: Uint8Array, end: Uint8Array, opts?: ScanOptions): AsyncIterable<KeyValue[]>;
  put(key: Uint8Array, value: Uint8Array): void;
  /** Writes `value` if the key's current value is `expected` (undefined: absent), else CONDITION_FAILED. */
  cput(key: Uint8Array, value: Uint8Array, expected: Uint8Array | undefined): Promise<void>;
  del(key: Uint8Array): void;
  /** Deletes every live key of [start, end); resolves with how many. */
  delRange(start: Uint8Array, end: Uint8Array): Promise<number>;
  savepoint(): Savepoint;
  rollbackTo(sp: Savepoint): void;
  /** Commits atomically and durably, or fails with SERIALIZATION_FAILURE (40001) and writes nothing. */
  commit(): Promise<Timestamp>;
  rollback(): Promise<void>;
}

export interface KvDb {
  /** Begins a transaction; the caller commits or rolls it back. */
  begin(options?: TxnOptions): KvTxn;
  /**
   * Runs `fn` in a transaction and commits it, running it again (with a fresh transaction) when
   * it fails with a retryable error (SQLSTATE 40001), up to `maxAttempts`.
   */
  txn<T>(fn: (txn: KvTxn) => Promise<T>, options?: TxnOptions & { maxAttempts?: number }): Promise<T>;
  /** The current time of this database's clock: the timestamp a transaction begun now would read at. */
  now(): Timestamp;
  close(): Promise<void>;
}
