export { RaftLog } from './log/raft-log.js';
export { CompactedError, EMPTY_CONF, MemoryRaftStorage, type RaftStorage, UnavailableError } from './log/storage.js';
export { Raft, type RaftConfig, type RaftRole } from './raft.js';
export { type RaftStatus, RawNode, type Ready, type SoftState } from './raw-node.js';
export { applyConfChange, decodeConfChange, encodeConfChange } from './tracker/conf-change.js';
export { configFromConfState, confStateOf, Progress, type ProgressState, ProgressTracker } from './tracker/tracker.js';
export {
  type ConfChange,
  type ConfChangeSingle,
  type ConfState,
  EMPTY_HARD_STATE,
  type Entry,
  type EntryType,
  type HardState,
  type Message,
  type MessageType,
  NONE,
  type NodeId,
  type ReadState,
  type Snapshot,
  type SnapshotMeta,
} from './types.js';
