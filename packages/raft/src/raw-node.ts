import { ThinkLiteError } from '@thinklite/base';
import { Raft, type RaftConfig, type RaftRole } from './raft.js';
import { encodeConfChange } from './tracker/conf-change.js';
import type { ConfChange, ConfState, Entry, HardState, Message, NodeId, ReadState, Snapshot } from './types.js';

export interface SoftState {
  readonly lead: NodeId;
  readonly role: RaftRole;
}

/**
 * Everything the driver must do after an input, in this order (etcd/raft's Ready):
 *  1. persist `snapshot` (if any), then `entries`, then `hardState` — durably, in one commit;
 *  2. send `messages` (they may depend on what was just persisted: a vote, an append's ack).
 *     A leader's appends (`app`) may go out before step 1 completes: the leader counts its own
 *     entries toward a quorum only once advance() reports them persisted;
 *  3. apply `committedEntries` in order (for a conf-change entry, call applyConfChange and persist
 *     the configuration it returns with the applied index);
 *  4. call advance(ready).
 * A driver may also pipeline: take the next Ready before advancing this one (while its disk write
 * is in flight), as long as it persists Readies in order, sends each Ready's messages other than a
 * leader's appends only once that Ready is durable, and advances them in order. Every Ready holds
 * only what the ones before it did not: committed entries are only ever entries already persisted.
 * The transport reports every snapshot message's fate with reportSnapshot (delivered or failed),
 * and unreachable peers with reportUnreachable: the leader waits for that report before it
 * replicates to the peer again.
 */
export interface Ready {
  readonly softState?: SoftState;
  readonly hardState?: HardState;
  readonly entries: readonly Entry[];
  readonly snapshot?: Snapshot;
  readonly committedEntries: readonly Entry[];
  readonly messages: readonly Message[];
  readonly readStates: readonly ReadState[];
  /** Whether the persist step needs an fsync (new entries or a changed term or vote). */
  readonly mustSync: boolean;
}

export interface RaftStatus {
  readonly id: NodeId;
  readonly term: number;
  readonly vote: NodeId;
  readonly lead: NodeId;
  readonly role: RaftRole;
  readonly commit: number;
  readonly applied: number;
  readonly lastIndex: number;
  readonly conf: ConfState;
  readonly quiesced: boolean;
}

const sameHard = (a: HardState | undefined, b: HardState) =>
  a !== undefined && a.term === b.term && a.vote === b.vote && a.commit === b.commit;

/** The thread-safe-by-construction face of a Raft group: inputs in, Ready out, advance. */
export class RawNode {
  readonly raft: Raft;
  private prevSoft: SoftState;
  private prevHard: HardState;

  constructor(config: RaftConfig) {
    this.raft = new Raft(config);
    this.prevSoft = { lead: this.raft.lead, role: this.raft.role };
    this.prevHard = this.raft.hardState();
  }

  tick(): void {
    this.raft.tick();
  }

  /** Campaign now (tests, or a node told to take over). */
  campaign(): void {
    this.raft.unquiesce(false);
    this.raft.hup(false);
  }

  /** Proposes `data`; throws PROPOSAL_DROPPED (with the reason) when this node cannot take it. */
  propose(data: Uint8Array): void {
    this.raft.unquiesce(false);
    this.raft.propose([{ term: 0, index: 0, type: 'normal', data }]);
  }

  /** Proposes several entries at once: one append to each follower carries them all. */
  proposeMany(data: readonly Uint8Array[]): void {
    if (data.length === 0) return;
    this.raft.unquiesce(false);
    this.raft.propose(data.map((d) => ({ term: 0, index: 0, type: 'normal' as const, data: d })));
  }

  proposeConfChange(cc: ConfChange): void {
    this.raft.unquiesce(false);
    this.raft.propose([{ term: 0, index: 0, type: 'conf-change', data: encodeConfChange(cc) }]);
  }

  /**
   * Feeds a message from the network. A proposal or read that this node must drop is dropped
   * silently here — the sender learns by timeout, as over a real network.
   */
  step(m: Message): void {
    try {
      this.raft.step(m);
    } catch (e) {
      if (e instanceof ThinkLiteError && (e.code === 'PROPOSAL_DROPPED' || e.code === 'CONF_CHANGE_INVALID')) return;
      throw e;
    }
  }

  /** Ticks left of this leader's lease (readOnly 'lease'); 0 when it holds none. */
  leaseRemainingTicks(): number {
    return this.raft.leaseRemainingTicks();
  }

  readIndex(context: Uint8Array): void {
    this.raft.unquiesce(false);
    this.raft.readIndex(context);
  }

  transferLeadership(to: NodeId): void {
    this.raft.unquiesce(false);
    this.raft.transferLeadership(to);
  }

  /** Silent while idle (RaftConfig.quiesce): ticking it does nothing. */
  get quiesced(): boolean {
    return this.raft.quiesced;
  }

  /**
   * Wakes this node (it ticks again): the host calls it on a follower whose leader's node it finds
   * dead, since a silent leader sends no heartbeats whose absence would start an election.
   */
  unquiesce(): void {
    this.raft.unquiesce();
  }

  applyConfChange(cc: ConfChange): ConfState {
    return this.raft.applyConfChange(cc);
  }

  reportUnreachable(to: NodeId): void {
    this.raft.reportUnreachable(to);
  }

  reportSnapshot(to: NodeId, failed: boolean): void {
    this.raft.reportSnapshot(to, failed);
  }

  hasReady(): boolean {
    const r = this.raft;
    return (
      r.msgs.length > 0 ||
      r.log.hasEntriesToPersist() ||
      r.log.snapshotToPersist() !== undefined ||
      r.log.hasNextCommittedEntries() ||
      r.readStates.length > 0 ||
      !sameHard(this.prevHard, r.hardState()) ||
      this.prevSoft.lead !== r.lead ||
      this.prevSoft.role !== r.role
    );
  }

  ready(): Ready {
    const r = this.raft;
    const hard = r.hardState();
    const soft = { lead: r.lead, role: r.role };
    const entries = r.log.entriesToPersist();
    const snapshot = r.log.snapshotToPersist();
    const committedEntries = r.log.nextCommittedEntries();
    const hardChanged = !sameHard(this.prevHard, hard);
    const rd: Ready = {
      ...(soft.lead !== this.prevSoft.lead || soft.role !== this.prevSoft.role ? { softState: soft } : {}),
      ...(hardChanged ? { hardState: hard } : {}),
      entries,
      ...(snapshot ? { snapshot } : {}),
      committedEntries,
      messages: r.msgs,
      readStates: r.readStates,
      mustSync:
        entries.length > 0 || (hardChanged && (hard.term !== this.prevHard.term || hard.vote !== this.prevHard.vote)),
    };
    // Accepted: the next Ready holds only what comes after this one, so a driver may ask for it
    // before this one is persisted and advanced.
    r.msgs = [];
    r.readStates = [];
    r.log.accept(committedEntries[committedEntries.length - 1]?.index ?? 0);
    this.prevSoft = soft;
    this.prevHard = hard;
    return rd;
  }

  /**
   * The driver persisted `rd` (and sent its messages, and applied its committed entries). With
   * several Readies in flight, advance them in the order they were handed out.
   */
  advance(rd: Ready): void {
    const r = this.raft;
    if (rd.snapshot) {
      r.log.stableSnapTo(rd.snapshot.meta.index);
      if (r.log.applied < rd.snapshot.meta.index) r.log.applied = rd.snapshot.meta.index;
    }
    const last = rd.entries[rd.entries.length - 1];
    if (last) {
      r.log.stableTo(last.index, last.term);
      r.stableTo(r.log.lastStableIndex());
    }
    const lastApplied = rd.committedEntries[rd.committedEntries.length - 1];
    if (lastApplied) r.appliedTo(lastApplied.index);
  }

  status(): RaftStatus {
    const r = this.raft;
    return {
      id: r.id,
      term: r.term,
      vote: r.vote,
      lead: r.lead,
      role: r.role,
      commit: r.log.committed,
      applied: r.log.applied,
      lastIndex: r.log.lastIndex(),
      conf: r.confState(),
      quiesced: r.quiesced,
    };
  }
}
