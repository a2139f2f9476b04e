export type { Isolation, KeyValue, KvDb, KvTxn, Savepoint, ScanOptions, TxnOptions } from './api.js';
export type { FlatSpans, ToGateway, ToOwner, TxnRef } from './kv-link.js';
export { type GatewayConnection, KvOwner } from './kv-owner.js';
export { LocalKv, type LocalKvOptions } from './local-kv.js';
export { RemoteKv, type RemoteKvOptions } from './remote-kv.js';
