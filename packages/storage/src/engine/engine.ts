import type { WriteBatch } from './write-batch.js';

/**
 * The key spaces of a store. Each is its own ordered map (an LMDB named database), so a scan of one
 * never walks another's keys and each can be laid out for its access pattern:
 *  - `store`:   the store's identity and format (written once at creation).
 *  - `raft`:    Raft logs and hard state, keyed by range id then index: appended, truncated.
 *  - `local`:   range-local data (range descriptors, MVCC stats, lease, applied index).
 *  - `mvcc`:    the newest version (or intent) of every user key, keyed by the bare user key.
 *  - `history`: older committed versions, keyed by escaped user key + inverted timestamp.
 */
export const SPACES = ['store', 'raft', 'local', 'mvcc', 'history'] as const;
export type Space = (typeof SPACES)[number];

export interface Entry {
  readonly key: Buffer;
  readonly value: Buffer;
}

/**
 * A span [start, end) in key order. `reverse` walks it from the end down; `limit` bounds the
 * entries returned. An absent bound is open.
 */
export interface ScanOptions {
  readonly start?: Uint8Array;
  readonly end?: Uint8Array;
  readonly reverse?: boolean;
  readonly limit?: number;
}

/** Point reads and ordered scans. Returned buffers belong to the caller. */
export interface Reader {
  get(space: Space, key: Uint8Array): Buffer | undefined;
  scan(space: Space, options?: ScanOptions): IterableIterator<Entry>;
}

/** A consistent view of the store at one instant; writes after it was taken are invisible. */
export interface Snapshot extends Reader {
  close(): void;
}

export interface EngineStats {
  /** Commit groups written (each one storage transaction, one fsync on a durable engine). */
  readonly commits: number;
  /** Write batches committed; batches ÷ commits is the group-commit factor. */
  readonly batches: number;
  readonly bytesWritten: number;
}

/**
 * The storage engine port. Two implementations pass one conformance suite: LmdbEngine (durable,
 * on disk) and MemoryEngine (tests, simulation). Raft's log storage and the KV layer use only this.
 *
 * Contract:
 *  - Reads on the engine see every commit that has resolved.
 *  - `commit` applies a batch atomically: after a crash either all of it or none of it is there.
 *    Its promise resolves only once the batch is durable (on a durable engine: fsynced).
 *    Batches committed concurrently may share one storage transaction (group commit); they are
 *    applied in the order `commit` was called.
 *  - A failed commit rejects with a ThinkLiteError (STORE_FULL, STORE_IO, …) and leaves the store
 *    as it was before the group.
 */
export interface Engine extends Reader {
  readonly kind: 'lmdb' | 'memory';
  /** A batch whose reads see the engine's live state overlaid with the batch's own writes. */
  newBatch(): WriteBatch;
  commit(batch: WriteBatch): Promise<void>;
  snapshot(): Snapshot;
  /** Reads from now on see every commit landed so far, from any process (LMDB: a new read transaction). */
  refreshReads(): void;
  stats(): EngineStats;
  close(): Promise<void>;
}

/** The largest key the engines accept (LMDB's compile-time limit in the lmdb package). */
export const KEY_SIZE_MAX_BYTES = 1978;
