/**
 * The data of Raft: entries, persistent state, configurations, snapshots and messages. Node ids,
 * terms and indexes are non-negative safe integers; 0 means "none". Messages are a discriminated
 * union on `type`, so a switch over them is checked for completeness.
 */

export type NodeId = number;

export const NONE: NodeId = 0;

export type EntryType = 'normal' | 'conf-change';

export interface Entry {
  readonly term: number;
  readonly index: number;
  readonly type: EntryType;
  readonly data: Uint8Array;
}

/** What must be on disk before any message that depends on it is sent. */
export interface HardState {
  readonly term: number;
  readonly vote: NodeId;
  readonly commit: number;
}

export const EMPTY_HARD_STATE: HardState = Object.freeze({ term: 0, vote: NONE, commit: 0 });

/**
 * A configuration. `voters` is the incoming majority; during joint consensus `votersOutgoing` is
 * the old one and both must agree. `learnersNext` are voters being demoted to learners once the
 * joint configuration is left.
 */
export interface ConfState {
  readonly voters: readonly NodeId[];
  readonly votersOutgoing: readonly NodeId[];
  readonly learners: readonly NodeId[];
  readonly learnersNext: readonly NodeId[];
  readonly autoLeave: boolean;
}

export interface SnapshotMeta {
  readonly index: number;
  readonly term: number;
  readonly conf: ConfState;
}

export interface Snapshot {
  readonly meta: SnapshotMeta;
  readonly data: Uint8Array;
}

/** One change of a configuration change. */
export interface ConfChangeSingle {
  readonly kind: 'add-voter' | 'add-learner' | 'remove';
  readonly node: NodeId;
}

/**
 * A configuration change. One voter change (or any number of learner changes) applies directly;
 * anything more goes through joint consensus. `transition` 'explicit' stays joint until an empty
 * change is proposed; 'auto' (the default for joint changes) has the leader leave by itself.
 * An empty `changes` list leaves a joint configuration.
 */
export interface ConfChange {
  readonly changes: readonly ConfChangeSingle[];
  readonly transition?: 'auto' | 'joint-explicit' | 'joint-implicit';
}

export interface ReadState {
  readonly index: number;
  readonly context: Uint8Array;
}

interface MessageBase {
  readonly from: NodeId;
  readonly to: NodeId;
  readonly term: number;
}

export type Message =
  /**
   * Replicate entries after (logTerm, index); commit is the leader's commit index. lease: the
   * leader's tick count at send, as in a heartbeat (an append resets the follower's election timer
   * just as a heartbeat does, so its answer extends the lease).
   */
  | (MessageBase & {
      readonly type: 'app';
      readonly logTerm: number;
      readonly index: number;
      readonly entries: readonly Entry[];
      readonly commit: number;
      readonly lease: number;
    })
  /**
   * index: the follower's last matching index; reject with a hint for fast back-off. lease: the
   * append's lease echoed back (0 when answering a snapshot or a stale leader).
   */
  | (MessageBase & {
      readonly type: 'app-resp';
      readonly index: number;
      readonly reject: boolean;
      readonly rejectHint: number;
      readonly logTerm: number;
      readonly lease: number;
    })
  | (MessageBase & {
      readonly type: 'vote' | 'pre-vote';
      readonly logTerm: number;
      readonly index: number;
      readonly transfer: boolean;
    })
  | (MessageBase & { readonly type: 'vote-resp' | 'pre-vote-resp'; readonly reject: boolean })
  /**
   * lease: the leader's tick count when it sent this heartbeat, echoed back to extend its lease.
   * quiesce: the leader falls silent (RaftConfig.quiesce); a follower holding its whole log does too.
   */
  | (MessageBase & {
      readonly type: 'heartbeat';
      readonly commit: number;
      readonly context: Uint8Array;
      readonly lease: number;
      readonly quiesce?: boolean;
    })
  | (MessageBase & { readonly type: 'heartbeat-resp'; readonly context: Uint8Array; readonly lease: number })
  | (MessageBase & { readonly type: 'snap'; readonly snapshot: Snapshot })
  | (MessageBase & { readonly type: 'timeout-now' })
  /** A proposal forwarded by a follower to its leader. */
  | (MessageBase & { readonly type: 'prop'; readonly entries: readonly Entry[] })
  | (MessageBase & { readonly type: 'read-index'; readonly context: Uint8Array })
  | (MessageBase & { readonly type: 'read-index-resp'; readonly index: number; readonly context: Uint8Array })
  | (MessageBase & { readonly type: 'transfer-leader' });

export type MessageType = Message['type'];
