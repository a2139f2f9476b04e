export { GrpcTransport, type GrpcTransportOptions } from './replication/grpc-transport.js';
export { LoopbackNetwork } from './replication/loopback-transport.js';
export {
  decodeEntry,
  decodeHardState,
  encodeEntry,
  encodeHardState,
  messageFromPb,
  messageToPb,
} from './replication/raft-codec.js';
export { RaftLogStore } from './replication/raft-log-store.js';
export { RaftWal, type RaftWalOptions } from './replication/raft-wal.js';
export {
  type RaftTransport,
  type RangeMessage,
  type ReplicatedStateMachine,
  ReplicationHost,
  type ReplicationHostOptions,
} from './replication/replication-host.js';
export * from './txn/index.js';
