import { AssertionError } from '@thinklite/base';
import type { ConfState, NodeId } from '../types.js';

/**
 * How a leader replicates to one follower (etcd/raft's Progress):
 *  - probe: one append at a time until the follower's match index is found;
 *  - replicate: appends pipelined optimistically, at most `maxInflight` unacknowledged;
 *  - snapshot: a snapshot is on its way; appends wait for it.
 */
export type ProgressState = 'probe' | 'replicate' | 'snapshot';

export class Progress {
  match = 0;
  next: number;
  state: ProgressState = 'probe';
  pendingSnapshot = 0;
  /** Heard from since the last check-quorum round. */
  recentActive = false;
  /** The leader's tick count at the send of the latest heartbeat or append this follower answered; -1 none. */
  leaseAck = -1;
  /**
   * The highest commit index this follower has been sent (what it learns from a message: an
   * append's commit capped at the append's last index, a heartbeat's commit). The leader's term
   * only; it may have been lost on the way, which the next heartbeat repairs.
   */
  sentCommit = 0;
  /** The leader's tick count at the send of the latest append this follower answered; -1 none. */
  appendAck = -1;
  /** An index through which the follower waits on the commit index: a proposal it forwarded, a read. */
  commitWanted = 0;
  /** In probe state: an append is out, wait for its answer (or a heartbeat response) before the next. */
  probeSent = false;
  /** The last index of each unacknowledged append, oldest first (replicate state). */
  readonly inflight: number[] = [];

  constructor(
    next: number,
    public isLearner: boolean,
    private readonly maxInflight: number,
  ) {
    this.next = next;
  }

  private reset(state: ProgressState): void {
    this.state = state;
    this.probeSent = false;
    this.pendingSnapshot = 0;
    this.inflight.length = 0;
  }

  becomeProbe(): void {
    if (this.state === 'snapshot') {
      const pending = this.pendingSnapshot;
      this.reset('probe');
      this.next = Math.max(this.match + 1, pending + 1);
    } else {
      this.reset('probe');
      this.next = this.match + 1;
    }
  }

  becomeReplicate(): void {
    this.reset('replicate');
    this.next = this.match + 1;
  }

  becomeSnapshot(index: number): void {
    this.reset('snapshot');
    this.pendingSnapshot = index;
  }

  /** An acknowledgement up to `n`; returns whether it moved match forward. */
  maybeUpdate(n: number): boolean {
    let updated = false;
    if (this.match < n) {
      this.match = n;
      updated = true;
      this.probeSent = false;
    }
    this.next = Math.max(this.next, n + 1);
    while (this.inflight.length > 0 && (this.inflight[0] as number) <= n) this.inflight.shift();
    return updated;
  }

  /** A rejection of an append after `rejected`, with the follower's hint of where to retry. */
  maybeDecrTo(rejected: number, matchHint: number): boolean {
    if (this.state === 'replicate') {
      // Stale unless it rejects the append right after our match.
      if (rejected <= this.match) return false;
      this.next = this.match + 1;
      return true;
    }
    if (this.next - 1 !== rejected) return false; // stale rejection of an earlier probe
    this.next = Math.max(Math.min(rejected, matchHint + 1), this.match + 1, 1);
    this.probeSent = false;
    return true;
  }

  /** An append carrying entries up to `last` was sent. */
  sentEntries(last: number, count: number): void {
    if (this.state === 'replicate') {
      if (count > 0) {
        this.next = last + 1;
        this.inflight.push(last);
      }
    } else if (this.state === 'probe') {
      this.probeSent = true;
    }
  }

  isPaused(): boolean {
    switch (this.state) {
      case 'probe':
        return this.probeSent;
      case 'replicate':
        return this.inflight.length >= this.maxInflight;
      case 'snapshot':
        return true;
    }
  }
}

/** A voter configuration: the incoming majority and, during joint consensus, the outgoing one. */
export interface TrackerConfig {
  voters: Set<NodeId>;
  votersOutgoing: Set<NodeId>;
  learners: Set<NodeId>;
  learnersNext: Set<NodeId>;
  autoLeave: boolean;
}

export function configFromConfState(cs: ConfState): TrackerConfig {
  return {
    voters: new Set(cs.voters),
    votersOutgoing: new Set(cs.votersOutgoing),
    learners: new Set(cs.learners),
    learnersNext: new Set(cs.learnersNext),
    autoLeave: cs.autoLeave,
  };
}

export function confStateOf(c: TrackerConfig): ConfState {
  const sorted = (s: Set<NodeId>) => [...s].sort((a, b) => a - b);
  return {
    voters: sorted(c.voters),
    votersOutgoing: sorted(c.votersOutgoing),
    learners: sorted(c.learners),
    learnersNext: sorted(c.learnersNext),
    autoLeave: c.autoLeave,
  };
}

export function isJoint(c: TrackerConfig): boolean {
  return c.votersOutgoing.size > 0;
}

/** The highest index a majority of `voters` has (Infinity for an empty set, so joint min works). */
function majorityCommitted(voters: Set<NodeId>, matchOf: (id: NodeId) => number): number {
  if (voters.size === 0) return Number.POSITIVE_INFINITY;
  // Insertion sort, descending, into one small array: a leader runs this on every answer of every
  // group, and spread + map + sort made it the largest source of the core's garbage.
  const matches: number[] = [];
  for (const id of voters) {
    const m = matchOf(id);
    let i = matches.length;
    matches.push(m);
    while (i > 0 && (matches[i - 1] as number) < m) {
      matches[i] = matches[i - 1] as number;
      i--;
    }
    matches[i] = m;
  }
  return matches[Math.floor(voters.size / 2)] as number;
}

/** Adds the ids of `from` missing from the ascending `into`, keeping it ascending. */
function mergeIds(into: NodeId[], from: Set<NodeId>): void {
  for (const id of from) {
    let i = into.length;
    while (i > 0 && (into[i - 1] as NodeId) > id) i--;
    if (i > 0 && into[i - 1] === id) continue;
    into.splice(i, 0, id);
  }
}

export type VoteResult = 'won' | 'lost' | 'pending';

function majorityVote(voters: Set<NodeId>, votes: Map<NodeId, boolean>): VoteResult {
  if (voters.size === 0) return 'won';
  let granted = 0;
  let missing = 0;
  for (const id of voters) {
    const v = votes.get(id);
    if (v === undefined) missing++;
    else if (v) granted++;
  }
  const q = Math.floor(voters.size / 2) + 1;
  if (granted >= q) return 'won';
  if (granted + missing >= q) return 'pending';
  return 'lost';
}

/** Progress of every member and the votes of an election, under one configuration. */
export class ProgressTracker {
  config: TrackerConfig;
  readonly progress = new Map<NodeId, Progress>();
  readonly votes = new Map<NodeId, boolean>();

  constructor(
    config: TrackerConfig,
    private readonly maxInflight: number,
  ) {
    this.config = config;
  }

  /** Every voter, incoming and outgoing. */
  voterIds(): Set<NodeId> {
    return new Set([...this.config.voters, ...this.config.votersOutgoing]);
  }

  /**
   * Every member: voters and learners, ascending. Computed once per configuration (a configuration
   * is replaced, never changed in place) — every append, commit and heartbeat walks it.
   */
  memberIds(): readonly NodeId[] {
    if (this.membersOf === this.config) return this.members;
    const ids: NodeId[] = [];
    mergeIds(ids, this.config.voters);
    mergeIds(ids, this.config.votersOutgoing);
    mergeIds(ids, this.config.learners);
    mergeIds(ids, this.config.learnersNext);
    this.members = ids;
    this.membersOf = this.config;
    return ids;
  }
  private members: readonly NodeId[] = [];
  private membersOf: TrackerConfig | undefined;

  isVoter(id: NodeId): boolean {
    return this.config.voters.has(id) || this.config.votersOutgoing.has(id);
  }

  /** Makes the progress map match the configuration: new members start probing at `next`. */
  syncProgress(next: number): void {
    const members = new Set(this.memberIds());
    for (const id of [...this.progress.keys()]) if (!members.has(id)) this.progress.delete(id);
    for (const id of members) {
      const learner = !this.isVoter(id);
      const pr = this.progress.get(id);
      if (pr) pr.isLearner = learner;
      else this.progress.set(id, new Progress(next, learner, this.maxInflight));
    }
  }

  /** The highest index committed under the (joint) configuration. */
  committed(): number {
    const matchOf = (id: NodeId) => this.progress.get(id)?.match ?? 0;
    const c = Math.min(
      majorityCommitted(this.config.voters, matchOf),
      majorityCommitted(this.config.votersOutgoing, matchOf),
    );
    return Number.isFinite(c) ? c : 0;
  }

  /**
   * The leader's tick count at which its lease began: the latest heartbeat send time that a quorum
   * (of each half of a joint configuration) has answered, the leader itself counting at `now`.
   * -1 when no quorum has answered a heartbeat of this term.
   */
  leaseStart(self: NodeId, now: number): number {
    const ackOf = (id: NodeId) => (id === self ? now : (this.progress.get(id)?.leaseAck ?? -1));
    const s = Math.min(
      majorityCommitted(this.config.voters, ackOf),
      majorityCommitted(this.config.votersOutgoing, ackOf),
    );
    return Number.isFinite(s) ? s : -1;
  }

  recordVote(id: NodeId, granted: boolean): void {
    if (!this.votes.has(id)) this.votes.set(id, granted);
  }

  tallyVotes(): VoteResult {
    const a = majorityVote(this.config.voters, this.votes);
    const b = majorityVote(this.config.votersOutgoing, this.votes);
    if (a === 'won' && b === 'won') return 'won';
    if (a === 'lost' || b === 'lost') return 'lost';
    return 'pending';
  }

  resetVotes(): void {
    this.votes.clear();
  }

  /** Whether a quorum (of each half of a joint configuration) was recently active. */
  quorumActive(self: NodeId): boolean {
    const votes = new Map<NodeId, boolean>();
    for (const [id, pr] of this.progress) if (this.isVoter(id)) votes.set(id, id === self || pr.recentActive);
    return (
      majorityVote(this.config.voters, votes) === 'won' && majorityVote(this.config.votersOutgoing, votes) === 'won'
    );
  }

  /** A quorum decision over a set of acknowledging voters (read-index confirmation). */
  hasQuorum(acks: Set<NodeId>): boolean {
    const votes = new Map<NodeId, boolean>();
    for (const id of this.voterIds()) votes.set(id, acks.has(id));
    return (
      majorityVote(this.config.voters, votes) === 'won' && majorityVote(this.config.votersOutgoing, votes) === 'won'
    );
  }

  progressOf(id: NodeId): Progress {
    const pr = this.progress.get(id);
    if (!(pr !== undefined)) throw new AssertionError(`no progress for ${id}`);
    return pr;
  }
}
