import {
  formatTimestamp,
  ThinkLiteError,
  type Timestamp,
  timestampLess,
  timestampLessEq,
  timestampMax,
  timestampNext,
} from '@thinklite/base';
import type { Reader } from '../engine/engine.js';
import type { WriteBatch } from '../engine/write-batch.js';
import {
  decodeLatest,
  encodeLatest,
  historyKey,
  historyKeyTimestamp,
  historyPrefix,
  historyPrefixEnd,
  historySeekKey,
  historyValueOf,
  type LatestVersion,
  sameTxn,
  type TxnMeta,
} from './mvcc-encoding.js';
import type { MvccStats } from './mvcc-stats.js';

/**
 * Multi-version concurrency control over an engine: the operations a range evaluates. Reads take a
 * Reader (an engine, a snapshot, or a batch for read-your-writes); writes take a WriteBatch and add
 * their effect on the span's statistics to `stats`, so the caller stores data and stats in one
 * atomic commit. An operation that throws leaves the batch partly written: discard the batch.
 *
 * The conflict rules are CockroachDB's (pkg/storage/mvcc.go), our own implementation of them:
 *  - A write at ts over a committed version at ts' ≥ ts is WRITE_TOO_OLD; the transaction must
 *    move its write timestamp above ts'.
 *  - A write or read that meets another transaction's intent (a read only if the intent is at or
 *    below its uncertainty limit) gets WRITE_INTENT_CONFLICT naming the intents, which the KV layer
 *    resolves by pushing or waiting on their transactions.
 *  - A read at ts that finds a committed version in (ts, uncertaintyLimit] gets
 *    READ_WITHIN_UNCERTAINTY: with clocks up to the maximum offset apart, that write may have
 *    happened before the read began, so the reader must restart above it.
 */

export interface MvccReadOptions {
  /** The reading transaction: it sees its own intents. */
  readonly txn?: TxnMeta;
  /** Versions in (ts, uncertaintyLimit] make the read uncertain. Absent: no uncertainty. */
  readonly uncertaintyLimit?: Timestamp;
  /** Read past other transactions' intents as if they were not there (diagnostics, GC). */
  readonly inconsistent?: boolean;
}

export interface MvccScanOptions extends MvccReadOptions {
  readonly reverse?: boolean;
  /** Stop after this many live rows; the result carries a resume span. */
  readonly maxKeys?: number;
  /** Stop once this many key+value bytes are returned. */
  readonly targetBytes?: number;
  /** Stop collecting conflicting intents after this many. Default 100. */
  readonly maxIntents?: number;
}

export interface MvccRow {
  readonly key: Buffer;
  readonly value: Buffer;
  readonly timestamp: Timestamp;
}

export interface Span {
  readonly start: Buffer;
  readonly end: Buffer;
}

export interface MvccScanResult {
  readonly rows: MvccRow[];
  /** What remains of the span when a limit stopped the scan. */
  readonly resumeSpan?: Span;
}

export interface IntentInfo {
  readonly key: Buffer;
  readonly txn: TxnMeta;
  readonly timestamp: Timestamp;
}

export type IntentResolution =
  | { readonly status: 'committed'; readonly commitTimestamp: Timestamp; readonly epoch: number }
  | { readonly status: 'aborted' };

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

function intentConflict(intents: IntentInfo[]): ThinkLiteError {
  const first = intents[0] as IntentInfo;
  return new ThinkLiteError(
    'WRITE_INTENT_CONFLICT',
    `conflicting intent of transaction ${hex(first.txn.id)} on key ${hex(first.key)}` +
      (intents.length > 1 ? ` and ${intents.length - 1} more` : ''),
    { intents },
  );
}

function writeTooOld(key: Uint8Array, ts: Timestamp, existing: Timestamp): ThinkLiteError {
  return new ThinkLiteError(
    'WRITE_TOO_OLD',
    `write at ${formatTimestamp(ts)} on key ${hex(key)} is at or below the committed version at ${formatTimestamp(existing)}`,
    { key: Buffer.from(key), timestamp: ts, existingTimestamp: existing, actualTimestamp: timestampNext(existing) },
  );
}

function uncertain(key: Uint8Array, readTs: Timestamp, existing: Timestamp): ThinkLiteError {
  return new ThinkLiteError(
    'READ_WITHIN_UNCERTAINTY',
    `read at ${formatTimestamp(readTs)} found a version of key ${hex(key)} at ${formatTimestamp(existing)}, within the uncertainty interval`,
    { key: Buffer.from(key), readTimestamp: readTs, existingTimestamp: existing },
  );
}

/** The newest committed history version of `key` at or below `ts`. */
function historyAt(
  reader: Reader,
  key: Uint8Array,
  ts: Timestamp,
  uncertaintyLimit: Timestamp | undefined,
): { timestamp: Timestamp; value: Buffer | null } | undefined {
  const prefix = historyPrefix(key);
  const seekTs = uncertaintyLimit && timestampLess(ts, uncertaintyLimit) ? uncertaintyLimit : ts;
  for (const e of reader.scan('history', {
    start: historySeekKey(prefix, seekTs),
    end: historyPrefixEnd(prefix),
    limit: 1,
  })) {
    const vts = historyKeyTimestamp(e.key);
    if (timestampLess(ts, vts)) throw uncertain(key, ts, vts);
    return { timestamp: vts, value: (e.value[0] as number) & 1 ? null : payload(e.value, 1) };
  }
  return undefined;
}

type Visible = { timestamp: Timestamp; value: Buffer | null } | undefined;

/** V8 keeps typed arrays up to 64 bytes in its heap (its typed_array_max_size_in_heap). */
const SMALL_VALUE_BYTES = 64;

/**
 * The payload of a stored version: raw[offset..]. A small buffer a reader returns may live inside
 * V8's heap (the lmdb package's copies do), and `subarray` on it makes V8 first move its bytes out
 * to an external ArrayBuffer: hundreds of ns, once the costliest step of a scan. Copying the few
 * payload bytes into a Buffer from Node's pool is several times cheaper, and the copy's own later
 * subarrays are cheap (Uint8Array.prototype.slice would copy as fast, but back into V8's heap). A
 * large raw buffer is external already, so a view of it costs nothing extra.
 */
function payload(raw: Buffer, offset: number): Buffer {
  const n = raw.length - offset;
  if (raw.length > SMALL_VALUE_BYTES) return raw.subarray(offset);
  const out = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) out[i] = raw[offset + i] as number;
  return out;
}

/**
 * The version of `key` a reader at `ts` sees, given the raw newest version: a value, null for a
 * tombstone, undefined for none. Pushes a conflicting intent onto `intents` instead of throwing,
 * so a scan can report every intent in its span at once.
 */
function visibleVersion(
  reader: Reader,
  key: Uint8Array,
  raw: Buffer,
  ts: Timestamp,
  opts: MvccReadOptions,
  intents: IntentInfo[] | undefined,
): Visible {
  const latest = decodeLatest(raw);
  const limit = opts.uncertaintyLimit;
  if (latest.txn) {
    if (opts.txn && sameTxn(latest.txn, opts.txn)) {
      if (latest.txn.epoch === opts.txn.epoch) {
        return { timestamp: latest.timestamp, value: latest.tombstone ? null : payload(raw, latest.payloadOffset) };
      }
      // An intent from an earlier epoch of this transaction is discarded: read beneath it.
      return historyAt(reader, key, ts, limit);
    }
    const bound = limit && timestampLess(ts, limit) ? limit : ts;
    if (!opts.inconsistent && timestampLessEq(latest.timestamp, bound)) {
      const info = { key: Buffer.from(key), txn: latest.txn, timestamp: latest.timestamp };
      if (intents) {
        intents.push(info);
        return undefined;
      }
      throw intentConflict([info]);
    }
    return historyAt(reader, key, ts, limit);
  }
  if (timestampLessEq(latest.timestamp, ts)) {
    return { timestamp: latest.timestamp, value: latest.tombstone ? null : payload(raw, latest.payloadOffset) };
  }
  if (limit && timestampLessEq(latest.timestamp, limit)) throw uncertain(key, ts, latest.timestamp);
  return historyAt(reader, key, ts, limit);
}

/** The value of `key` at `ts`, or undefined when it has none or is deleted there. */
export function mvccGet(
  reader: Reader,
  key: Uint8Array,
  ts: Timestamp,
  opts: MvccReadOptions = {},
): MvccRow | undefined {
  const raw = reader.get('mvcc', key);
  if (raw === undefined) return undefined;
  const v = visibleVersion(reader, key, raw, ts, opts, undefined);
  if (v === undefined || v.value === null) return undefined;
  return { key: Buffer.from(key), value: v.value, timestamp: v.timestamp };
}

/** The live rows of [start, end) at `ts`, in key order (or reverse), within the limits. */
export function mvccScan(
  reader: Reader,
  start: Uint8Array,
  end: Uint8Array,
  ts: Timestamp,
  opts: MvccScanOptions = {},
): MvccScanResult {
  const { reverse = false, maxKeys = Number.POSITIVE_INFINITY, targetBytes = Number.POSITIVE_INFINITY } = opts;
  const maxIntents = opts.maxIntents ?? 100;
  const rows: MvccRow[] = [];
  const intents: IntentInfo[] = [];
  let bytes = 0;
  let resumeSpan: Span | undefined;
  for (const e of reader.scan('mvcc', { start, end, reverse })) {
    if (rows.length >= maxKeys || bytes >= targetBytes) {
      // The rest of the span, from this unreturned key on (reverse: up to and including it).
      resumeSpan = reverse
        ? { start: Buffer.from(start), end: Buffer.concat([e.key, Buffer.of(0)]) }
        : { start: e.key, end: Buffer.from(end) };
      break;
    }
    const v = visibleVersion(reader, e.key, e.value, ts, opts, intents);
    if (intents.length >= maxIntents) break;
    if (v === undefined || v.value === null) continue;
    rows.push({ key: e.key, value: v.value, timestamp: v.timestamp });
    bytes += e.key.length + v.value.length;
  }
  if (intents.length > 0) throw intentConflict(intents);
  return resumeSpan ? { rows, resumeSpan } : { rows };
}

// ------------------------------------------------------------------------------------------------
// Writes

function latestBytes(key: Uint8Array, raw: Uint8Array): number {
  return key.length + raw.length;
}

/** Adds (sign 1) or removes (sign -1) a newest version's contribution to the stats. */
function countLatest(stats: MvccStats, key: Uint8Array, raw: Uint8Array, v: LatestVersion, sign: 1 | -1): void {
  const bytes = latestBytes(key, raw);
  stats.keyCount += sign;
  stats.versionCount += sign;
  stats.totalBytes += sign * bytes;
  if (!v.tombstone) {
    stats.liveKeys += sign;
    stats.liveBytes += sign * bytes;
  }
  if (v.txn) {
    stats.intentCount += sign;
    stats.intentBytes += sign * bytes;
  }
}

function countHistory(stats: MvccStats, hkey: Uint8Array, value: Uint8Array, sign: 1 | -1): void {
  stats.versionCount += sign;
  stats.totalBytes += sign * (hkey.length + value.length);
}

/** The newest history version of `key`, raw. */
function newestHistory(reader: Reader, key: Uint8Array): { hkey: Buffer; value: Buffer } | undefined {
  const prefix = historyPrefix(key);
  for (const e of reader.scan('history', { start: prefix, end: historyPrefixEnd(prefix), limit: 1 })) {
    return { hkey: e.key, value: e.value };
  }
  return undefined;
}

/**
 * Writes `value` (null: a deletion tombstone) to `key` at `ts`, as an intent of `txn` when given,
 * else committed. The previous committed version moves to history.
 */
export function mvccPut(
  batch: WriteBatch,
  stats: MvccStats,
  key: Uint8Array,
  ts: Timestamp,
  value: Uint8Array | null,
  txn?: TxnMeta,
): void {
  const owned = Buffer.from(key);
  const raw = batch.getOwned('mvcc', owned);
  let writeTs = ts;
  if (raw !== undefined) {
    const latest = decodeLatest(raw);
    if (latest.txn) {
      if (!txn || !sameTxn(latest.txn, txn) || latest.txn.epoch > txn.epoch) {
        throw intentConflict([{ key: Buffer.from(key), txn: latest.txn, timestamp: latest.timestamp }]);
      }
      if (latest.txn.epoch === txn.epoch) {
        // Rewriting our own intent: it never moves backwards in time.
        writeTs = timestampMax(ts, latest.timestamp);
      } else {
        const below = newestHistory(batch, key);
        if (below) {
          const belowTs = historyKeyTimestamp(below.hkey);
          if (timestampLessEq(ts, belowTs)) throw writeTooOld(key, ts, belowTs);
        }
      }
      countLatest(stats, key, raw, latest, -1);
    } else {
      if (timestampLessEq(ts, latest.timestamp)) throw writeTooOld(key, ts, latest.timestamp);
      const hkey = historyKey(key, latest.timestamp);
      const hval = historyValueOf(latest.tombstone, raw.subarray(latest.payloadOffset));
      batch.putOwned('history', hkey, hval);
      countHistory(stats, hkey, hval, 1);
      countLatest(stats, key, raw, latest, -1);
    }
  }
  const next = encodeLatest(writeTs, value, txn);
  batch.putOwned('mvcc', owned, next);
  countNewLatest(stats, key.length + next.length, value === null, txn !== undefined);
}

/** countLatest for a version just encoded, without decoding it again. */
function countNewLatest(stats: MvccStats, bytes: number, tombstone: boolean, intent: boolean): void {
  stats.keyCount += 1;
  stats.versionCount += 1;
  stats.totalBytes += bytes;
  if (!tombstone) {
    stats.liveKeys += 1;
    stats.liveBytes += bytes;
  }
  if (intent) {
    stats.intentCount += 1;
    stats.intentBytes += bytes;
  }
}

export function mvccDelete(batch: WriteBatch, stats: MvccStats, key: Uint8Array, ts: Timestamp, txn?: TxnMeta): void {
  mvccPut(batch, stats, key, ts, null, txn);
}

/**
 * Writes tombstones at `ts` over every key of [start, end) that is live at `ts`, at most `maxKeys`.
 * Fails with WRITE_TOO_OLD if any key in the span has a committed version at or above `ts`, so
 * that no write the deletion did not see survives beneath it.
 */
export function mvccDeleteRange(
  batch: WriteBatch,
  stats: MvccStats,
  start: Uint8Array,
  end: Uint8Array,
  ts: Timestamp,
  opts: { txn?: TxnMeta; maxKeys?: number } = {},
): { deleted: Buffer[]; resumeSpan?: Span } {
  const maxKeys = opts.maxKeys ?? Number.POSITIVE_INFINITY;
  const targets: Buffer[] = [];
  let resumeSpan: Span | undefined;
  const intents: IntentInfo[] = [];
  for (const e of batch.scan('mvcc', { start, end })) {
    const latest = decodeLatest(e.value);
    if (!latest.txn && timestampLessEq(ts, latest.timestamp)) throw writeTooOld(e.key, ts, latest.timestamp);
    const v = visibleVersion(batch, e.key, e.value, ts, opts.txn ? { txn: opts.txn } : {}, intents);
    if (v === undefined || v.value === null) continue;
    if (targets.length >= maxKeys) {
      resumeSpan = { start: e.key, end: Buffer.from(end) };
      break;
    }
    targets.push(e.key);
  }
  if (intents.length > 0) throw intentConflict(intents);
  for (const k of targets) mvccPut(batch, stats, k, ts, null, opts.txn);
  return resumeSpan ? { deleted: targets, resumeSpan } : { deleted: targets };
}

/**
 * Resolves `txnId`'s intent on `key`: committed, it becomes a committed version at the commit
 * timestamp (which may be above the intent's, if the transaction was pushed); aborted — or written
 * in an epoch older than the one that committed — it is removed and the newest history version
 * becomes the newest version again. Returns whether an intent of that transaction was there.
 */
export function mvccResolveIntent(
  batch: WriteBatch,
  stats: MvccStats,
  key: Uint8Array,
  txnId: Uint8Array,
  resolution: IntentResolution,
): boolean {
  const raw = batch.get('mvcc', key);
  if (raw === undefined) return false;
  const latest = decodeLatest(raw);
  if (!latest.txn || Buffer.compare(latest.txn.id, txnId) !== 0) return false;
  countLatest(stats, key, raw, latest, -1);
  if (resolution.status === 'committed' && latest.txn.epoch === resolution.epoch) {
    const commitTs = timestampMax(resolution.commitTimestamp, latest.timestamp);
    const next = encodeLatest(commitTs, latest.tombstone ? null : raw.subarray(latest.payloadOffset));
    batch.put('mvcc', key, next);
    countLatest(stats, key, next, decodeLatest(next), 1);
    return true;
  }
  const below = newestHistory(batch, key);
  if (!below) {
    batch.delete('mvcc', key);
    return true;
  }
  batch.delete('history', below.hkey);
  countHistory(stats, below.hkey, below.value, -1);
  const restored = encodeLatest(
    historyKeyTimestamp(below.hkey),
    (below.value[0] as number) & 1 ? null : below.value.subarray(1),
  );
  batch.put('mvcc', key, restored);
  countLatest(stats, key, restored, decodeLatest(restored), 1);
  return true;
}

/** Resolves every intent of `txnId` in [start, end); returns how many it resolved. */
export function mvccResolveIntentRange(
  batch: WriteBatch,
  stats: MvccStats,
  start: Uint8Array,
  end: Uint8Array,
  txnId: Uint8Array,
  resolution: IntentResolution,
): number {
  const keys: Buffer[] = [];
  for (const e of batch.scan('mvcc', { start, end })) {
    const latest = decodeLatest(e.value);
    if (latest.txn && Buffer.compare(latest.txn.id, txnId) === 0) keys.push(e.key);
  }
  for (const k of keys) mvccResolveIntent(batch, stats, k, txnId, resolution);
  return keys.length;
}

/**
 * Removes the versions no read at or above `threshold` can see: for each key, everything older
 * than its newest version at or below the threshold, and that version too when it is a tombstone.
 * The KV layer must refuse reads below a range's GC threshold once this has run.
 */
export function mvccGarbageCollect(
  batch: WriteBatch,
  stats: MvccStats,
  start: Uint8Array,
  end: Uint8Array,
  threshold: Timestamp,
  opts: { maxKeys?: number } = {},
): { versionsRemoved: number; resumeSpan?: Span } {
  const maxKeys = opts.maxKeys ?? Number.POSITIVE_INFINITY;
  const latestEntries: { key: Buffer; raw: Buffer }[] = [];
  let resumeSpan: Span | undefined;
  for (const e of batch.scan('mvcc', { start, end })) {
    if (latestEntries.length >= maxKeys) {
      resumeSpan = { start: e.key, end: Buffer.from(end) };
      break;
    }
    latestEntries.push({ key: e.key, raw: e.value });
  }
  let removed = 0;
  for (const { key, raw } of latestEntries) {
    const latest = decodeLatest(raw);
    const prefix = historyPrefix(key);
    const history = [...batch.scan('history', { start: prefix, end: historyPrefixEnd(prefix) })];
    // The newest version at or below the threshold survives (unless a tombstone); older ones go.
    let keepFound = false;
    if (!latest.txn && timestampLessEq(latest.timestamp, threshold)) {
      keepFound = true;
      if (latest.tombstone) {
        batch.delete('mvcc', key);
        countLatest(stats, key, raw, latest, -1);
        removed++;
      }
    }
    for (const h of history) {
      if (keepFound) {
        batch.delete('history', h.key);
        countHistory(stats, h.key, h.value, -1);
        removed++;
        continue;
      }
      if (timestampLessEq(historyKeyTimestamp(h.key), threshold)) {
        keepFound = true;
        if ((h.value[0] as number) & 1) {
          batch.delete('history', h.key);
          countHistory(stats, h.key, h.value, -1);
          removed++;
        }
      }
    }
  }
  return resumeSpan ? { versionsRemoved: removed, resumeSpan } : { versionsRemoved: removed };
}

/**
 * The GC threshold for a TTL: versions shadowed before `now - ttl` are garbage. (CockroachDB's
 * gc.ttlseconds; the KV layer's GC queue calls mvccGarbageCollect with it per range.)
 */
export function gcThresholdFor(now: Timestamp, ttlSeconds: number): Timestamp {
  const wall = now.wall - Math.round(ttlSeconds * 1_000_000);
  return wall <= 0 ? { wall: 0, logical: 0 } : { wall, logical: now.logical };
}

/** Recomputes the stats of [start, end) by scanning: the check on the incremental bookkeeping. */
export function computeMvccStats(reader: Reader, start: Uint8Array, end: Uint8Array): MvccStats {
  const stats: MvccStats = {
    liveKeys: 0,
    liveBytes: 0,
    keyCount: 0,
    versionCount: 0,
    intentCount: 0,
    intentBytes: 0,
    totalBytes: 0,
  };
  for (const e of reader.scan('mvcc', { start, end })) countLatest(stats, e.key, e.value, decodeLatest(e.value), 1);
  for (const e of reader.scan('history', { start: historyPrefix(start), end: historyPrefix(end) })) {
    countHistory(stats, e.key, e.value, 1);
  }
  return stats;
}
