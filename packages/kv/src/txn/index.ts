export type { Isolation, KeyValue, KvDb, KvTxn, Savepoint, ScanOptions, TxnOptions } from './api.js';
export { LocalKv, type LocalKvOptions } from './local-kv.js';
