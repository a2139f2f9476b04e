import {
  formatTimestamp,
  type HybridLogicalClock,
  type Logger,
  ThinkLiteError,
  type Timestamp,
  timestampLess,
} from '@thinklite/base';
import { compareBytes, KEY_SIZE_MAX_BYTES, mvccGet, mvccScan, type Reader } from '@thinklite/storage';
import type { Isolation, KeyValue, KvDb, KvTxn, LockOptions, Savepoint, ScanOptions, TxnOptions } from './api.js';
import { keyNext, SpanSet } from './span-set.js';
import { type BufferedWrite, WriteBuffer } from './write-buffer.js';

/** Rows per storage read of a scan. */
const SCAN_CHUNK = 256;

function checkKey(key: Uint8Array): void {
  if (key.length > KEY_SIZE_MAX_BYTES) {
    throw new ThinkLiteError('KEY_TOO_LARGE', `key of ${key.length} bytes exceeds ${KEY_SIZE_MAX_BYTES}`, {
      size: key.length,
    });
  }
}

/** Refuses an AS OF SYSTEM TIME in the future of `clock`. */
export function checkAsOf(clock: HybridLogicalClock, asOf: Timestamp): void {
  if (timestampLess(clock.now(), asOf))
    throw new ThinkLiteError('INVALID_PARAMETER_VALUE', `AS OF SYSTEM TIME ${formatTimestamp(asOf)} is in the future`);
}

/** KvDb.txn: runs `fn` in a transaction and commits it, again from the start on a retryable error. */
export async function retryingTxn<T>(
  db: KvDb,
  log: Logger,
  fn: (txn: KvTxn) => Promise<T>,
  options: TxnOptions & { maxAttempts?: number },
): Promise<T> {
  const attempts = options.maxAttempts ?? 10;
  for (let attempt = 1; ; attempt++) {
    const txn = db.begin(options);
    try {
      const out = await fn(txn);
      await txn.commit();
      return out;
    } catch (e) {
      await txn.rollback();
      if (!(e instanceof ThinkLiteError && e.retryable) || attempt >= attempts) throw e;
      log.debug({ attempt, err: e.message }, 'transaction retried');
    }
  }
}

/**
 * What every transaction of the KV API does the same wherever it runs: reads from a snapshot of
 * the store at its read timestamp merged with its own buffered writes, and records the spans it
 * read (for validation at commit). Subclasses say where locks, snapshot refreshes and commits
 * happen: in this process (LocalTxn) or in the process that owns the store (RemoteTxn, for a SQL
 * gateway process).
 */
export abstract class BufferedTxn implements KvTxn {
  readonly buffer = new WriteBuffer();
  readonly reads = new SpanSet();
  finished = false;

  constructor(
    /** Where committed data is read. */
    protected readonly engine: Reader,
    readonly id: Buffer,
    readonly isolation: Isolation,
    readonly readOnly: boolean,
    public readTimestamp: Timestamp,
  ) {}

  /** Checks the transaction is open, and waits until its snapshot can be read. */
  protected abstract ready(): Promise<void>;
  /**
   * Takes the key's exclusive lock (waiting as LockOptions say); whether a transaction committed
   * a write to it after this one's read timestamp (the snapshot then needs a refresh).
   */
  protected abstract lockKey(key: Uint8Array, options: LockOptions): Promise<boolean>;
  /** The newer read timestamp this transaction may move to, or throws SERIALIZATION_FAILURE. */
  protected abstract refreshSnapshot(): Promise<Timestamp>;
  /** Commits the buffered writes (there are some). */
  protected abstract commitWrites(): Promise<Timestamp>;
  /** The transaction has committed or rolled back: release what it holds. */
  protected abstract ended(): void;

  protected checkActive(): void {
    if (this.finished) {
      throw new ThinkLiteError(
        'OBJECT_NOT_IN_PREREQUISITE_STATE',
        'the transaction has already committed or rolled back',
      );
    }
  }

  protected checkWritable(): void {
    this.checkActive();
    if (this.readOnly) throw new ThinkLiteError('READ_ONLY_SQL_TRANSACTION', 'cannot write in a read-only transaction');
  }

  async get(key: Uint8Array): Promise<Buffer | undefined> {
    await this.ready();
    const own = this.buffer.get(key);
    if (own) return own.value ?? undefined;
    this.reads.addPoint(key);
    return mvccGet(this.engine, key, this.readTimestamp)?.value;
  }

  async getForUpdate(key: Uint8Array, options: LockOptions = {}): Promise<Buffer | undefined> {
    this.checkWritable();
    await this.ready();
    const stale = await this.lockKey(key, options);
    const own = this.buffer.get(key);
    if (own) return own.value ?? undefined;
    if (stale) this.readTimestamp = await this.refreshSnapshot();
    this.reads.addPoint(key);
    return mvccGet(this.engine, key, this.readTimestamp)?.value;
  }

  /**
   * The merge of committed rows (at the read timestamp) and this transaction's own writes in
   * [start, end), as a synchronous generator; `progress.covered` follows the last key looked at,
   * `progress.exhausted` is set when the span was read to its end.
   */
  /** `mergedBatches` row by row, stopping after `maxKeys`; what was read ends at the last row taken. */
  private *merged(
    start: Uint8Array,
    end: Uint8Array,
    opts: ScanOptions,
    progress: { covered: Buffer; exhausted: boolean },
  ): Generator<KeyValue> {
    const max = opts.maxKeys ?? Number.POSITIVE_INFINITY;
    let emitted = 0;
    for (const batch of this.mergedBatches(start, end, opts.reverse === true, progress)) {
      for (const kv of batch) {
        progress.covered = kv.key as Buffer;
        yield kv;
        if (++emitted >= max) return;
      }
    }
  }

  /** Records what a scan read: all of the span, or up to where it stopped. */
  private recordScan(
    start: Uint8Array,
    end: Uint8Array,
    reverse: boolean,
    progress: { covered: Buffer; exhausted: boolean },
  ): void {
    if (progress.exhausted) this.reads.add(start, end);
    else if (reverse) this.reads.add(progress.covered, end);
    else this.reads.add(start, keyNext(progress.covered));
  }

  async *scan(start: Uint8Array, end: Uint8Array, opts: ScanOptions = {}): AsyncIterable<KeyValue> {
    await this.ready();
    const reverse = opts.reverse === true;
    const progress = { covered: Buffer.from(reverse ? end : start), exhausted: false };
    try {
      // Row by row, so a caller that stops early (LIMIT) has read only what it took.
      yield* this.merged(start, end, opts, progress);
    } finally {
      this.recordScan(start, end, reverse, progress);
    }
  }

  async *scanBatches(start: Uint8Array, end: Uint8Array, opts: ScanOptions = {}): AsyncIterable<KeyValue[]> {
    await this.ready();
    const reverse = opts.reverse === true;
    const progress = { covered: Buffer.from(reverse ? end : start), exhausted: false };
    try {
      // A batch handed out counts as read whole, whether or not the caller looks at all of it.
      if (opts.maxKeys === undefined) {
        yield* this.mergedBatches(start, end, reverse, progress);
        return;
      }
      let batch: KeyValue[] = [];
      for (const kv of this.merged(start, end, opts, progress)) {
        batch.push(kv);
        if (batch.length >= SCAN_CHUNK) {
          yield batch;
          batch = [];
        }
      }
      if (batch.length > 0) yield batch;
    } finally {
      this.recordScan(start, end, reverse, progress);
    }
  }

  /**
   * The committed rows of a span merged with this transaction's own writes, a storage chunk at a
   * time: a chunk none of our own writes falls inside is handed out as the storage layer returned
   * it, without looking at its rows one by one.
   */
  private *mergedBatches(
    start: Uint8Array,
    end: Uint8Array,
    reverse: boolean,
    progress: { covered: Buffer; exhausted: boolean },
  ): Generator<KeyValue[]> {
    const own = this.buffer.range(start, end, reverse);
    let oi = 0;
    const ahead = (a: Uint8Array, b: Uint8Array) => (reverse ? compareBytes(a, b) > 0 : compareBytes(a, b) < 0);
    let lo: Buffer = Buffer.from(start);
    let hi: Buffer = Buffer.from(end);
    for (;;) {
      const chunk = mvccScan(this.engine, lo, hi, this.readTimestamp, { reverse, maxKeys: SCAN_CHUNK });
      const rows: readonly KeyValue[] = chunk.rows;
      const last = rows[rows.length - 1];
      if (last && (oi >= own.length || ahead(last.key, (own[oi] as BufferedWrite).key))) {
        progress.covered = last.key;
        yield rows as KeyValue[];
      } else if (last) {
        const out: KeyValue[] = [];
        for (const row of rows) {
          // Our own writes at keys before this row come first; one at this key replaces it.
          while (oi < own.length && ahead((own[oi] as BufferedWrite).key, row.key)) {
            const w = own[oi++] as BufferedWrite;
            if (w.value) out.push({ key: w.key, value: w.value });
          }
          const same = oi < own.length && compareBytes((own[oi] as BufferedWrite).key, row.key) === 0;
          const w = same ? (own[oi++] as BufferedWrite) : undefined;
          const value = w ? w.value : row.value;
          if (value) out.push({ key: row.key, value });
        }
        progress.covered = last.key;
        if (out.length > 0) yield out;
      }
      if (!chunk.resumeSpan) break;
      if (reverse) hi = chunk.resumeSpan.end;
      else lo = chunk.resumeSpan.start;
    }
    let tail: KeyValue[] = [];
    while (oi < own.length) {
      const w = own[oi++] as BufferedWrite;
      if (w.value) tail.push({ key: w.key, value: w.value });
      if (tail.length >= SCAN_CHUNK || oi === own.length) {
        progress.covered = w.key;
        if (tail.length > 0) yield tail;
        tail = [];
      }
    }
    progress.exhausted = true;
  }

  put(key: Uint8Array, value: Uint8Array): void {
    this.checkWritable();
    checkKey(key);
    this.buffer.set(key, Buffer.from(value));
  }

  async cput(key: Uint8Array, value: Uint8Array, expected: Uint8Array | undefined): Promise<void> {
    this.checkWritable();
    checkKey(key);
    const actual = await this.get(key);
    const matches = actual === undefined ? expected === undefined : expected !== undefined && actual.equals(expected);
    if (!matches) {
      throw new ThinkLiteError('CONDITION_FAILED', 'conditional put found an unexpected value', {
        key: Buffer.from(key),
        actual,
      });
    }
    this.buffer.set(key, Buffer.from(value));
  }

  del(key: Uint8Array): void {
    this.checkWritable();
    checkKey(key);
    this.buffer.set(key, null);
  }

  async delRange(start: Uint8Array, end: Uint8Array): Promise<number> {
    this.checkWritable();
    const keys: Buffer[] = [];
    for await (const kv of this.scan(start, end)) keys.push(kv.key);
    for (const k of keys) this.buffer.set(k, null);
    return keys.length;
  }

  savepoint(): Savepoint {
    this.checkActive();
    return { seq: this.buffer.mark() };
  }

  rollbackTo(sp: Savepoint): void {
    this.checkActive();
    // Reads made since stay in the read spans: what was observed cannot be unobserved.
    this.buffer.rollbackTo(sp.seq);
  }

  async commit(): Promise<Timestamp> {
    this.checkActive();
    try {
      if (this.buffer.size === 0) return this.readTimestamp; // read-only: its snapshot is its serial point
      return await this.commitWrites();
    } finally {
      this.finished = true;
      this.ended();
    }
  }

  async rollback(): Promise<void> {
    if (this.finished) return;
    this.finished = true;
    this.ended();
  }
}
