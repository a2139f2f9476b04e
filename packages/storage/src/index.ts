export { ByteReader, ByteWriter, compareBytes, prefixEnd } from './encoding/bytes.js';
export {
  canonicalNumeric,
  type Direction,
  decodeKey,
  decodeKeyValue,
  encodeKey,
  encodeKeyValue,
  type Interval,
  type KeyColumn,
  type KeyType,
  type KeyValue,
  readEscaped,
  readIntBig,
  readIntNumber,
  writeEscaped,
  writeInt,
} from './encoding/key-encoding.js';
export {
  type Engine,
  type EngineStats,
  type Entry,
  KEY_SIZE_MAX_BYTES,
  type Reader,
  type ScanOptions,
  type Snapshot,
  SPACES,
  type Space,
} from './engine/engine.js';
export { LmdbEngine, type LmdbEngineOptions } from './engine/lmdb-engine.js';
export { MemoryEngine } from './engine/memory-engine.js';
export { FORMAT_VERSION, fsyncDir, type StoreIdent } from './engine/store-dir.js';
export { type BatchOp, WriteBatch } from './engine/write-batch.js';
export {
  computeMvccStats,
  gcThresholdFor,
  type IntentInfo,
  type IntentResolution,
  type MvccReadOptions,
  type MvccRow,
  type MvccScanOptions,
  type MvccScanResult,
  mvccDelete,
  mvccDeleteRange,
  mvccGarbageCollect,
  mvccGet,
  mvccPut,
  mvccResolveIntent,
  mvccResolveIntentRange,
  mvccScan,
  type Span,
} from './mvcc/mvcc.js';
export { decodeHistoryKey, type TxnMeta } from './mvcc/mvcc-encoding.js';
export { addStats, decodeStats, emptyStats, encodeStats, type MvccStats } from './mvcc/mvcc-stats.js';
