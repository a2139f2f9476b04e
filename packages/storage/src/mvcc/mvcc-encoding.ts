import { assert, type Timestamp } from '@thinklite/base';
import { ByteReader, ByteWriter, prefixEnd } from '../encoding/bytes.js';
import { readEscaped, readIntNumber, writeEscaped, writeInt } from '../encoding/key-encoding.js';

/**
 * The MVCC layout on the engine's key spaces.
 *
 * `mvcc` space — the newest version of each user key, keyed by the bare key:
 *   flags u8 | wall u64 | logical u32 | [intent: txn id (16) | epoch u32 | anchor length, anchor] | payload
 * The newest version may be an intent: a transaction's provisional write, which a reader at or
 * above its timestamp must not pass (CockroachDB's "write intent").
 *
 * `history` space — every older committed version:
 *   key   = escaped(user key) | ~wall u64 | ~logical u32     (escaping keeps user-key order; the
 *           inverted timestamp puts the newest version of a key first)
 *   value = flags u8 | payload
 *
 * Why split: a point read at the present (nearly every read) is one B+tree lookup of the bare key,
 * as fast as a raw LMDB get; only reads in the past visit history. Invariant: every history version
 * of a key is older than the key's newest version, and a key with history has a newest version.
 */

export const FLAG_TOMBSTONE = 0x01;
export const FLAG_INTENT = 0x02;

const HEADER_BYTES = 13;
const TXN_ID_BYTES = 16;

/** The transaction that owns an intent. */
export interface TxnMeta {
  /** 16 bytes (a UUID). */
  readonly id: Uint8Array;
  /** Incremented each time the transaction restarts; intents of older epochs are discarded. */
  readonly epoch: number;
  /** The key of the transaction's record, where a conflicting reader learns its fate. */
  readonly anchorKey?: Uint8Array;
}

export interface LatestVersion {
  readonly timestamp: Timestamp;
  readonly tombstone: boolean;
  /** Present when the version is an intent. */
  readonly txn?: TxnMeta;
  /** Offset of the payload inside the raw value. */
  readonly payloadOffset: number;
}

export function encodeLatest(ts: Timestamp, payload: Uint8Array | null, txn?: TxnMeta): Buffer {
  if (!txn) {
    // The common case, written straight into one exact-size buffer: committed writes are hot.
    const out = Buffer.allocUnsafe(HEADER_BYTES + (payload?.length ?? 0));
    out[0] = payload === null ? FLAG_TOMBSTONE : 0;
    out.writeUInt32BE(Math.floor(ts.wall / 0x1_0000_0000), 1);
    out.writeUInt32BE(ts.wall >>> 0, 5);
    out.writeUInt32BE(ts.logical, 9);
    if (payload) out.set(payload, HEADER_BYTES);
    return out;
  }
  const w = new ByteWriter(HEADER_BYTES + (payload?.length ?? 0) + (txn ? 40 : 0));
  w.u8((payload === null ? FLAG_TOMBSTONE : 0) | (txn ? FLAG_INTENT : 0));
  w.u64(ts.wall);
  w.u32(ts.logical);
  if (txn) {
    assert(txn.id.length === TXN_ID_BYTES, 'transaction id must be 16 bytes');
    w.bytes(txn.id);
    w.u32(txn.epoch);
    const anchor = txn.anchorKey ?? new Uint8Array(0);
    writeInt(w, anchor.length);
    w.bytes(anchor);
  }
  if (payload) w.bytes(payload);
  return w.finish();
}

export function decodeLatest(raw: Buffer): LatestVersion {
  if (raw.length >= HEADER_BYTES && ((raw[0] as number) & FLAG_INTENT) === 0) {
    const b = raw;
    return {
      timestamp: { wall: b.readUInt32BE(1) * 0x1_0000_0000 + b.readUInt32BE(5), logical: b.readUInt32BE(9) },
      tombstone: ((raw[0] as number) & FLAG_TOMBSTONE) !== 0,
      payloadOffset: HEADER_BYTES,
    };
  }
  const r = new ByteReader(raw);
  const flags = r.u8();
  const wall = r.u64();
  const logical = r.u32();
  const timestamp = { wall, logical };
  const tombstone = (flags & FLAG_TOMBSTONE) !== 0;
  if ((flags & FLAG_INTENT) === 0) return { timestamp, tombstone, payloadOffset: HEADER_BYTES };
  const id = r.take(TXN_ID_BYTES);
  const epoch = r.u32();
  const anchorLength = readIntNumber(r);
  const anchorKey = r.take(anchorLength);
  return { timestamp, tombstone, txn: { id, epoch, anchorKey }, payloadOffset: r.pos };
}

/** The flags byte and payload of a committed version, as history stores it. */
export function historyValueOf(tombstone: boolean, payload: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(1 + payload.length);
  out[0] = tombstone ? FLAG_TOMBSTONE : 0;
  out.set(payload, 1);
  return out;
}

/** escaped(user key): the prefix shared by every history version of the key. */
export function historyPrefix(key: Uint8Array): Buffer {
  const w = new ByteWriter(key.length + 16);
  writeEscaped(w, key);
  return w.finish();
}

export function historyKey(key: Uint8Array, ts: Timestamp): Buffer {
  const w = new ByteWriter(key.length + 16);
  writeEscaped(w, key);
  writeInvertedTimestamp(w, ts);
  return w.finish();
}

/** The history key of `prefix` at `ts`: the seek position for "newest version at or below ts". */
export function historySeekKey(prefix: Buffer, ts: Timestamp): Buffer {
  const w = new ByteWriter(prefix.length + 12);
  w.bytes(prefix);
  writeInvertedTimestamp(w, ts);
  return w.finish();
}

export function historyPrefixEnd(prefix: Buffer): Buffer {
  return prefixEnd(prefix) as Buffer;
}

function writeInvertedTimestamp(w: ByteWriter, ts: Timestamp): void {
  w.u64(Number.MAX_SAFE_INTEGER - ts.wall);
  w.u32(0xffff_ffff - ts.logical);
}

/** Splits a history key into the user key and the version's timestamp. */
export function decodeHistoryKey(hkey: Uint8Array): { key: Buffer; timestamp: Timestamp } {
  const r = new ByteReader(hkey);
  const key = readEscaped(r);
  const wall = Number.MAX_SAFE_INTEGER - r.u64();
  const logical = 0xffff_ffff - r.u32();
  if (r.remaining !== 0) r.fail('trailing bytes after history timestamp');
  return { key, timestamp: { wall, logical } };
}

/** The timestamp at the tail of a history key (its last 12 bytes). */
export function historyKeyTimestamp(hkey: Buffer): Timestamp {
  const n = hkey.length;
  return {
    wall: Number.MAX_SAFE_INTEGER - (hkey.readUInt32BE(n - 12) * 0x1_0000_0000 + hkey.readUInt32BE(n - 8)),
    logical: 0xffff_ffff - hkey.readUInt32BE(n - 4),
  };
}

export function sameTxn(a: TxnMeta, b: TxnMeta): boolean {
  return Buffer.compare(a.id, b.id) === 0;
}
