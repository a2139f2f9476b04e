import { thinklite } from '@thinklite/proto';
import type { ConfState, Entry, HardState, Message, SnapshotMeta } from '@thinklite/raft';

/**
 * Raft's records in their protobuf form (proto/raft.proto): how entries, hard state and snapshot
 * metadata are stored in the engine's `raft` space and how messages cross the network.
 */
const pb = thinklite.raft.v1;

function entryToPb(e: Entry): thinklite.raft.v1.IEntry {
  return {
    term: e.term,
    index: e.index,
    type: e.type === 'conf-change' ? pb.EntryType.ENTRY_CONF_CHANGE : pb.EntryType.ENTRY_NORMAL,
    data: e.data,
  };
}

function entryFromPb(e: thinklite.raft.v1.IEntry): Entry {
  return {
    term: Number(e.term ?? 0),
    index: Number(e.index ?? 0),
    type: e.type === pb.EntryType.ENTRY_CONF_CHANGE ? 'conf-change' : 'normal',
    data: e.data ?? new Uint8Array(0),
  };
}

export function encodeEntry(e: Entry): Uint8Array {
  return pb.Entry.encode(entryToPb(e)).finish();
}

export function decodeEntry(bytes: Uint8Array): Entry {
  return entryFromPb(pb.Entry.decode(bytes));
}

export function encodeHardState(hs: HardState): Uint8Array {
  return pb.HardState.encode(hs).finish();
}

export function decodeHardState(bytes: Uint8Array): HardState {
  const h = pb.HardState.decode(bytes);
  return { term: Number(h.term), vote: Number(h.vote), commit: Number(h.commit) };
}

function confToPb(c: ConfState): thinklite.raft.v1.IConfState {
  return {
    voters: [...c.voters],
    votersOutgoing: [...c.votersOutgoing],
    learners: [...c.learners],
    learnersNext: [...c.learnersNext],
    autoLeave: c.autoLeave,
  };
}

function confFromPb(c: thinklite.raft.v1.IConfState | null | undefined): ConfState {
  return {
    voters: (c?.voters ?? []).map(Number),
    votersOutgoing: (c?.votersOutgoing ?? []).map(Number),
    learners: (c?.learners ?? []).map(Number),
    learnersNext: (c?.learnersNext ?? []).map(Number),
    autoLeave: c?.autoLeave ?? false,
  };
}

export function encodeConfState(c: ConfState): Uint8Array {
  return pb.ConfState.encode(confToPb(c)).finish();
}

export function decodeConfState(bytes: Uint8Array): ConfState {
  return confFromPb(pb.ConfState.decode(bytes));
}

export function encodeSnapshotMeta(m: SnapshotMeta): Uint8Array {
  return pb.SnapshotMetadata.encode({ index: m.index, term: m.term, confState: confToPb(m.conf) }).finish();
}

export function decodeSnapshotMeta(bytes: Uint8Array): SnapshotMeta {
  const m = pb.SnapshotMetadata.decode(bytes);
  return { index: Number(m.index), term: Number(m.term), conf: confFromPb(m.confState) };
}

const MESSAGE_TYPES: Record<Message['type'], number> = {
  app: pb.MessageType.MSG_APP,
  'app-resp': pb.MessageType.MSG_APP_RESP,
  vote: pb.MessageType.MSG_VOTE,
  'vote-resp': pb.MessageType.MSG_VOTE_RESP,
  'pre-vote': pb.MessageType.MSG_PRE_VOTE,
  'pre-vote-resp': pb.MessageType.MSG_PRE_VOTE_RESP,
  heartbeat: pb.MessageType.MSG_HEARTBEAT,
  'heartbeat-resp': pb.MessageType.MSG_HEARTBEAT_RESP,
  snap: pb.MessageType.MSG_SNAP,
  'timeout-now': pb.MessageType.MSG_TIMEOUT_NOW,
  'read-index': pb.MessageType.MSG_READ_INDEX,
  'read-index-resp': pb.MessageType.MSG_READ_INDEX_RESP,
  prop: pb.MessageType.MSG_PROP,
  'transfer-leader': pb.MessageType.MSG_TRANSFER_LEADER,
};
const TYPE_OF = new Map(Object.entries(MESSAGE_TYPES).map(([k, v]) => [v, k as Message['type']]));

/** A Raft message in its wire form (every field the union uses has a proto field). */
export function messageToPb(m: Message): thinklite.raft.v1.IMessage {
  const base: thinklite.raft.v1.IMessage = { type: MESSAGE_TYPES[m.type], from: m.from, to: m.to, term: m.term };
  switch (m.type) {
    case 'app':
      return {
        ...base,
        logTerm: m.logTerm,
        index: m.index,
        commit: m.commit,
        entries: m.entries.map(entryToPb),
        lease: m.lease,
      };
    case 'app-resp':
      return {
        ...base,
        index: m.index,
        reject: m.reject,
        rejectHint: m.rejectHint,
        logTerm: m.logTerm,
        lease: m.lease,
      };
    case 'vote':
    case 'pre-vote':
      return {
        ...base,
        logTerm: m.logTerm,
        index: m.index,
        context: m.transfer ? new Uint8Array([1]) : new Uint8Array(0),
      };
    case 'vote-resp':
    case 'pre-vote-resp':
      return { ...base, reject: m.reject };
    case 'heartbeat':
      return { ...base, commit: m.commit, context: m.context, lease: m.lease, ...(m.quiesce ? { quiesce: true } : {}) };
    case 'heartbeat-resp':
      return { ...base, context: m.context, lease: m.lease };
    case 'snap':
      return {
        ...base,
        snapshot: {
          index: m.snapshot.meta.index,
          term: m.snapshot.meta.term,
          confState: confToPb(m.snapshot.meta.conf),
        },
        entries: [{ data: m.snapshot.data }],
      };
    case 'prop':
      return { ...base, entries: m.entries.map(entryToPb) };
    case 'read-index':
      return { ...base, context: m.context };
    case 'read-index-resp':
      return { ...base, index: m.index, context: m.context };
    case 'timeout-now':
    case 'transfer-leader':
      return base;
  }
}

export function messageFromPb(p: thinklite.raft.v1.IMessage): Message {
  const type = TYPE_OF.get(p.type ?? 0);
  if (!type) throw new Error(`unknown raft message type ${p.type}`);
  const base = { from: Number(p.from ?? 0), to: Number(p.to ?? 0), term: Number(p.term ?? 0) };
  const entries = () => (p.entries ?? []).map(entryFromPb);
  const ctx = () => p.context ?? new Uint8Array(0);
  switch (type) {
    case 'app':
      return {
        ...base,
        type,
        logTerm: Number(p.logTerm ?? 0),
        index: Number(p.index ?? 0),
        commit: Number(p.commit ?? 0),
        entries: entries(),
        lease: Number(p.lease ?? 0),
      };
    case 'app-resp':
      return {
        ...base,
        type,
        index: Number(p.index ?? 0),
        reject: p.reject ?? false,
        rejectHint: Number(p.rejectHint ?? 0),
        logTerm: Number(p.logTerm ?? 0),
        lease: Number(p.lease ?? 0),
      };
    case 'vote':
    case 'pre-vote':
      return {
        ...base,
        type,
        logTerm: Number(p.logTerm ?? 0),
        index: Number(p.index ?? 0),
        transfer: ctx().length > 0,
      };
    case 'vote-resp':
    case 'pre-vote-resp':
      return { ...base, type, reject: p.reject ?? false };
    case 'heartbeat':
      return {
        ...base,
        type,
        commit: Number(p.commit ?? 0),
        context: ctx(),
        lease: Number(p.lease ?? 0),
        ...(p.quiesce ? { quiesce: true } : {}),
      };
    case 'heartbeat-resp':
      return { ...base, type, context: ctx(), lease: Number(p.lease ?? 0) };
    case 'snap':
      return {
        ...base,
        type,
        snapshot: {
          meta: {
            index: Number(p.snapshot?.index ?? 0),
            term: Number(p.snapshot?.term ?? 0),
            conf: confFromPb(p.snapshot?.confState),
          },
          data: p.entries?.[0]?.data ?? new Uint8Array(0),
        },
      };
    case 'prop':
      return { ...base, type, entries: entries() };
    case 'read-index':
      return { ...base, type, context: ctx() };
    case 'read-index-resp':
      return { ...base, type, index: Number(p.index ?? 0), context: ctx() };
    case 'timeout-now':
    case 'transfer-leader':
      return { ...base, type };
  }
}
