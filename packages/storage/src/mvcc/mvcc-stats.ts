import { ThinkLiteError } from '@thinklite/base';
import { ByteReader, ByteWriter } from '../encoding/bytes.js';
import { readIntNumber, writeInt } from '../encoding/key-encoding.js';

/**
 * Statistics of a span of MVCC data, kept current by every write (each operation adds its delta)
 * rather than by rescanning: ranges split when large and the operator places them by these.
 * Bytes are the stored entries' key plus value lengths.
 */
export interface MvccStats {
  /** Keys whose newest version (committed or intent) is a value, not a tombstone. */
  liveKeys: number;
  /** Bytes of those newest versions. */
  liveBytes: number;
  /** Keys with any version. */
  keyCount: number;
  /** Versions of all keys, newest and history. */
  versionCount: number;
  intentCount: number;
  intentBytes: number;
  /** Bytes of every stored version. */
  totalBytes: number;
}

const FIELDS = [
  'liveKeys',
  'liveBytes',
  'keyCount',
  'versionCount',
  'intentCount',
  'intentBytes',
  'totalBytes',
] as const;

export function emptyStats(): MvccStats {
  return { liveKeys: 0, liveBytes: 0, keyCount: 0, versionCount: 0, intentCount: 0, intentBytes: 0, totalBytes: 0 };
}

/** `into += delta`, field by field. */
export function addStats(into: MvccStats, delta: MvccStats): void {
  for (const f of FIELDS) into[f] += delta[f];
}

export function encodeStats(s: MvccStats): Buffer {
  const w = new ByteWriter(64);
  w.u8(1); // encoding version
  for (const f of FIELDS) writeInt(w, s[f]);
  return w.finish();
}

export function decodeStats(raw: Uint8Array): MvccStats {
  const r = new ByteReader(raw);
  const version = r.u8();
  if (version !== 1) {
    throw new ThinkLiteError('STORE_CORRUPT', `MVCC stats record has unknown version ${version}`, { version });
  }
  const s = emptyStats();
  for (const f of FIELDS) s[f] = readIntNumber(r);
  return s;
}
