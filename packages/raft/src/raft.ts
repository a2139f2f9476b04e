import { assert, type Logger, type SeededRandom, silentLogger, ThinkLiteError } from '@thinklite/base';
import { RaftLog } from './log/raft-log.js';
import type { RaftStorage } from './log/storage.js';
import { ReadOnly } from './read-only.js';
import { applyConfChange, decodeConfChange, encodeConfChange } from './tracker/conf-change.js';
import { configFromConfState, confStateOf, isJoint, type Progress, ProgressTracker } from './tracker/tracker.js';
import {
  type ConfChange,
  type ConfState,
  type Entry,
  type HardState,
  type Message,
  NONE,
  type NodeId,
  type ReadState,
  type Snapshot,
} from './types.js';

export type RaftRole = 'follower' | 'pre-candidate' | 'candidate' | 'leader';

export interface RaftConfig {
  readonly id: NodeId;
  readonly storage: RaftStorage;
  /** Ticks without hearing from a leader before campaigning; randomized in [n, 2n). */
  readonly electionTicks: number;
  readonly heartbeatTicks: number;
  /** The index the application has applied up to when restarting. */
  readonly applied?: number;
  /** Unacknowledged appends in flight to one follower. */
  readonly maxInflight?: number;
  /** Entries per append message. */
  readonly maxEntriesPerMessage?: number;
  /** Campaign first without raising the term, so a partitioned node cannot disrupt (§9.6). */
  readonly preVote?: boolean;
  /** A leader steps down when it has not heard from a quorum for an election timeout. */
  readonly checkQuorum?: boolean;
  /**
   * 'safe': confirm leadership with a heartbeat round per read; 'lease': answer at once while the
   * leader lease holds (needs checkQuorum), falling back to a heartbeat round when it does not.
   */
  readonly readOnly?: 'safe' | 'lease';
  /**
   * For leases: how many ticks two nodes' clocks may drift apart over one election timeout (the
   * host derives it from the maximum clock offset). The lease lasts electionTicks − 2 − this.
   */
  readonly maxClockOffsetTicks?: number;
  /**
   * Let an idle group fall silent (CockroachDB's quiescence): a leader with no write or read for an
   * election timeout, whose followers all hold its whole log, sends one last heartbeat marked
   * `quiesce` and stops ticking; followers that receive it stop too. Any input wakes a node. The host must then wake the followers of a
   * leader it finds dead (`unquiesce()`, from node liveness), since no heartbeat will time out.
   */
  readonly quiesce?: boolean;
  readonly random: SeededRandom;
  readonly logger?: Logger;
}

type ProposalDropReason = 'no-leader' | 'removed' | 'transferring' | 'conf-change-pending';

function dropped(reason: ProposalDropReason, detail: string): ThinkLiteError {
  return new ThinkLiteError('PROPOSAL_DROPPED', `proposal dropped: ${detail}`, { reason });
}

const EMPTY = new Uint8Array(0);

/**
 * The Raft state machine for one group (Ongaro's thesis; the structure of etcd/raft's raft.go,
 * written anew). It does no I/O: inputs are tick(), step(message) and proposals; outputs
 * accumulate in `msgs`, the unstable log and `readStates`, which RawNode hands out as a Ready.
 */
export class Raft {
  readonly id: NodeId;
  term = 0;
  vote: NodeId = NONE;
  lead: NodeId = NONE;
  role: RaftRole = 'follower';
  readonly log: RaftLog;
  readonly tracker: ProgressTracker;
  msgs: Message[] = [];
  readStates: ReadState[] = [];
  /** Leader: the index of the last conf-change entry proposed; no other may be proposed until it applies. */
  pendingConfIndex = 0;
  leadTransferee: NodeId = NONE;
  private electionElapsed = 0;
  private heartbeatElapsed = 0;
  /** Silent while idle: ticks do nothing, no heartbeats go out (see RaftConfig.quiesce). */
  quiesced = false;
  /** Leader: ticks since it last appended an entry or took a read; it quiesces only after an election timeout of them. */
  private idleTicks = 0;
  private randomizedElectionTimeout = 0;
  private readonly readOnly = new ReadOnly();
  /** Leader: ticks since it took office; heartbeats carry it, followers echo it (the lease clock). */
  private leaderTicks = 0;
  /** Leader: set once it hands leadership over (timeout-now); no lease for the rest of the term. */
  private leaseRevoked = false;
  /** Ticks since this node started, up to electionTicks: a restarted node honours a lease it forgot. */
  private ticksSinceStart = 0;
  private readonly leaseTicks: number;
  /** Read-index requests that arrived before this leader committed an entry of its own term. */
  private pendingReadIndex: Message[] = [];
  private readonly cfg: Required<Omit<RaftConfig, 'logger' | 'applied'>>;
  private readonly log_: Logger;

  constructor(config: RaftConfig) {
    assert(config.id !== NONE, 'raft id must not be 0');
    assert(
      config.heartbeatTicks > 0 && config.electionTicks > config.heartbeatTicks,
      'electionTicks must exceed heartbeatTicks',
    );
    assert(config.readOnly !== 'lease' || config.checkQuorum === true, "readOnly 'lease' needs checkQuorum");
    this.cfg = {
      maxInflight: 256,
      maxEntriesPerMessage: 64,
      preVote: true,
      checkQuorum: true,
      readOnly: 'safe',
      maxClockOffsetTicks: 0,
      quiesce: false,
      ...config,
    } as Required<Omit<RaftConfig, 'logger' | 'applied'>>;
    // A follower refuses votes for electionTicks after it last heard the leader, counted from its
    // first tick after receipt, which may come at once: one tick of quantization, one of slack for
    // scheduling, then the clocks' drift.
    this.leaseTicks = this.cfg.electionTicks - 2 - this.cfg.maxClockOffsetTicks;
    assert(config.readOnly !== 'lease' || this.leaseTicks >= 1, 'electionTicks too small for a lease at this offset');
    this.id = config.id;
    this.log_ = (config.logger ?? silentLogger()).child({ raftId: config.id });
    this.log = new RaftLog(config.storage);
    const { hardState, confState } = config.storage.initialState();
    this.tracker = new ProgressTracker(configFromConfState(confState), this.cfg.maxInflight);
    this.tracker.syncProgress(this.log.lastIndex() + 1);
    if (hardState.term !== 0 || hardState.vote !== NONE || hardState.commit !== 0) {
      assert(
        hardState.commit <= this.log.lastIndex(),
        `hard state commit ${hardState.commit} beyond the last index ${this.log.lastIndex()}`,
      );
      // The log starts committed through its snapshot, which may be ahead of the durable commit
      // index when a pipelining driver applied and compacted before that was written (see below).
      this.log.committed = Math.max(this.log.committed, hardState.commit);
      this.term = hardState.term;
      this.vote = hardState.vote;
    }
    // A pipelining driver applies committed entries before the hard state that records the new
    // commit index is durable, so a restart may find applied ahead of it: every applied entry was
    // committed (and is in the durable log or its snapshot), so the commit index is raised to it.
    if (config.applied && config.applied > this.log.committed) this.log.commitTo(config.applied);
    if (config.applied) this.log.appliedTo(config.applied);
    // Term 1 is the bootstrap term, which has no leader; a node whose durable term is still ≤ 1
    // has acknowledged no leader, so there is no lease it must honour after a restart.
    this.ticksSinceStart = hardState.term >= 2 ? 0 : this.cfg.electionTicks;
    this.becomeFollower(this.term, NONE);
  }

  hardState(): HardState {
    return { term: this.term, vote: this.vote, commit: this.log.committed };
  }

  confState(): ConfState {
    return confStateOf(this.tracker.config);
  }

  /** Whether this node may campaign: a voter in the current configuration, with no snapshot pending. */
  promotable(): boolean {
    return this.tracker.isVoter(this.id) && this.log.unstableSnapshot === undefined;
  }

  private send(m: Message): void {
    this.msgs.push(m);
  }

  // --- role transitions -----------------------------------------------------------------------

  private reset(term: number): void {
    if (this.term !== term) {
      this.term = term;
      this.vote = NONE;
    }
    this.lead = NONE;
    this.quiesced = false;
    this.electionElapsed = 0;
    this.heartbeatElapsed = 0;
    this.randomizedElectionTimeout = this.cfg.electionTicks + this.cfg.random.int(0, this.cfg.electionTicks - 1);
    this.leadTransferee = NONE;
    this.tracker.resetVotes();
    for (const [id, pr] of this.tracker.progress) {
      pr.becomeProbe();
      // Our own log counts toward a quorum only as far as it is on disk.
      pr.match = id === this.id ? this.log.lastStableIndex() : 0;
      pr.next = this.log.lastIndex() + 1;
      pr.recentActive = false;
      pr.leaseAck = -1;
      pr.appendAck = -1;
      pr.sentCommit = 0;
      pr.commitWanted = 0;
    }
    this.leaderTicks = 0;
    this.idleTicks = 0;
    this.leaseRevoked = false;
    this.pendingConfIndex = 0;
    this.readOnly.reset();
    this.pendingReadIndex = [];
  }

  becomeFollower(term: number, lead: NodeId): void {
    this.reset(term);
    this.lead = lead;
    this.role = 'follower';
  }

  private becomePreCandidate(): void {
    assert(this.role !== 'leader', 'leader cannot become pre-candidate');
    // Neither the term nor the vote change: a pre-vote only asks whether we could win.
    this.tracker.resetVotes();
    this.lead = NONE;
    this.role = 'pre-candidate';
  }

  private becomeCandidate(): void {
    assert(this.role !== 'leader', 'leader cannot become candidate');
    this.reset(this.term + 1);
    this.vote = this.id;
    this.role = 'candidate';
  }

  private becomeLeader(): void {
    assert(this.role === 'candidate', 'only a candidate becomes leader');
    this.reset(this.term);
    this.lead = this.id;
    this.role = 'leader';
    this.tracker.progressOf(this.id).becomeReplicate();
    // Conservatively treat any unapplied entry as a pending conf change.
    this.pendingConfIndex = this.log.lastIndex();
    // An entry of the new term: committing it commits everything before it (§5.4.2).
    this.appendEntries([{ term: 0, index: 0, type: 'normal', data: EMPTY }]);
    this.log_.debug({ term: this.term }, 'became leader');
  }

  // --- ticks ----------------------------------------------------------------------------------

  tick(): void {
    if (this.quiesced) return;
    if (this.ticksSinceStart < this.cfg.electionTicks) this.ticksSinceStart++;
    if (this.role === 'leader') this.tickHeartbeat();
    else this.tickElection();
  }

  private tickElection(): void {
    this.electionElapsed++;
    if (this.promotable() && this.electionElapsed >= this.randomizedElectionTimeout) {
      this.electionElapsed = 0;
      this.hup(false);
    }
  }

  private tickHeartbeat(): void {
    this.leaderTicks++;
    this.idleTicks++;
    this.heartbeatElapsed++;
    this.electionElapsed++;
    if (this.electionElapsed >= this.cfg.electionTicks) {
      this.electionElapsed = 0;
      if (this.cfg.checkQuorum) {
        if (!this.tracker.quorumActive(this.id)) {
          this.log_.debug({ term: this.term }, 'stepping down: quorum not active');
          this.becomeFollower(this.term, NONE);
          return;
        }
        for (const [id, pr] of this.tracker.progress) if (id !== this.id) pr.recentActive = false;
      }
      if (this.leadTransferee !== NONE) this.leadTransferee = NONE; // the transfer timed out
    }
    if (this.heartbeatElapsed >= this.cfg.heartbeatTicks) {
      this.heartbeatElapsed = 0;
      if (this.cfg.quiesce && this.canQuiesce()) {
        this.bcastHeartbeat(EMPTY, true);
        this.quiesced = true;
        return;
      }
      this.bcastHeartbeat(this.readOnly.lastPendingContext() ?? EMPTY, false, true);
    }
  }

  // --- quiescence -----------------------------------------------------------------------------

  /**
   * Whether this leader's group is idle and settled: no entry appended and no read taken for an
   * election timeout (a group written every few heartbeats would otherwise fall silent and wake
   * again between writes, paying more messages than the heartbeats it saves); everything in its
   * log committed, applied and on disk; every member (learners too) recently heard from and
   * holding the whole log; no read, transfer or configuration change under way. Then nothing is
   * left for a heartbeat to do.
   */
  private canQuiesce(): boolean {
    const last = this.log.lastIndex();
    if (
      this.idleTicks < this.cfg.electionTicks ||
      this.leadTransferee !== NONE ||
      this.pendingReadIndex.length > 0 ||
      this.readOnly.lastPendingContext() !== undefined ||
      this.log.committed !== last ||
      this.log.applied !== last ||
      this.log.lastStableIndex() !== last ||
      this.log.term(last) !== this.term ||
      this.pendingConfIndex > this.log.applied ||
      isJoint(this.tracker.config)
    )
      return false;
    for (const [id, pr] of this.tracker.progress) {
      if (id === this.id) continue;
      if (pr.match !== last || pr.state !== 'replicate' || !pr.recentActive) return false;
    }
    return true;
  }

  /**
   * Wakes a quiesced node: it ticks again. A leader moves its lease clock past every lease granted
   * before it fell silent — an answer to an old heartbeat may still arrive, and real time passed
   * while its ticks stood still — and, with `announce`, heartbeats at once to wake its followers
   * (a leader woken by a proposal or read needs not: what it sends for them wakes them).
   */
  unquiesce(announce = true): void {
    if (!this.quiesced) return;
    this.quiesced = false;
    if (this.role !== 'leader') return;
    this.leaderTicks += this.cfg.electionTicks + this.leaseTicks;
    this.heartbeatElapsed = 0;
    this.electionElapsed = 0;
    for (const [id, pr] of this.tracker.progress) {
      pr.leaseAck = -1;
      pr.appendAck = -1;
      // Check-quorum judges the followers from now on, not by answers missed while silent.
      if (id !== this.id) pr.recentActive = true;
    }
    if (announce) this.bcastHeartbeat(EMPTY);
  }

  /** The quiesce heartbeat from our leader, or an answer to a heartbeat, leaves a node silent. */
  private keepsQuiet(m: Message): boolean {
    if (m.term !== this.term) return false;
    if (m.type === 'heartbeat') return m.quiesce === true && m.from === this.lead;
    return m.type === 'heartbeat-resp' && m.context.length === 0 && this.role === 'leader';
  }

  // --- elections ------------------------------------------------------------------------------

  /** Starts an election (a pre-vote first, unless `transfer` forces a real one). */
  hup(transfer: boolean): void {
    if (this.role === 'leader') return;
    if (!this.promotable()) return;
    // A node that may still apply a conf change must not campaign: it might not be a voter.
    const unapplied = this.log.slice(this.log.applied + 1, this.log.committed + 1) ?? [];
    if (unapplied.some((e) => e.type === 'conf-change')) return;
    this.campaign(this.cfg.preVote && !transfer ? 'pre-vote' : 'vote', transfer);
  }

  private campaign(kind: 'pre-vote' | 'vote', transfer: boolean): void {
    let term: number;
    if (kind === 'pre-vote') {
      this.becomePreCandidate();
      term = this.term + 1;
    } else {
      this.becomeCandidate();
      term = this.term;
    }
    this.tracker.recordVote(this.id, true);
    if (this.tracker.tallyVotes() === 'won') {
      // A single-voter group wins at once.
      if (kind === 'pre-vote') this.campaign('vote', transfer);
      else this.becomeLeader();
      return;
    }
    for (const id of [...this.tracker.voterIds()].sort((a, b) => a - b)) {
      if (id === this.id) continue;
      this.send({
        type: kind,
        from: this.id,
        to: id,
        term,
        logTerm: this.log.lastTerm(),
        index: this.log.lastIndex(),
        transfer,
      });
    }
  }

  // --- the message entry point ----------------------------------------------------------------

  step(m: Message): void {
    if (this.quiesced && !this.keepsQuiet(m)) this.unquiesce();
    if (m.term > this.term) {
      if (m.type === 'vote' || m.type === 'pre-vote') {
        if (!m.transfer && this.inLease()) return;
      }
      if (m.type === 'pre-vote') {
        // Never change term on a pre-vote.
      } else if (m.type === 'pre-vote-resp' && !m.reject) {
        // The pre-vote succeeded at the future term; we take that term when we campaign.
      } else if (m.type === 'app' || m.type === 'heartbeat' || m.type === 'snap') {
        this.becomeFollower(m.term, m.from);
      } else {
        this.becomeFollower(m.term, NONE);
      }
    } else if (m.term < this.term && m.term !== 0) {
      if ((this.cfg.checkQuorum || this.cfg.preVote) && (m.type === 'heartbeat' || m.type === 'app')) {
        // A stale leader (e.g. healed from a partition): answer with our term so it steps down.
        this.send({
          type: 'app-resp',
          from: this.id,
          to: m.from,
          term: this.term,
          index: 0,
          reject: false,
          rejectHint: 0,
          logTerm: 0,
          lease: 0,
        });
      } else if (m.type === 'pre-vote') {
        this.send({ type: 'pre-vote-resp', from: this.id, to: m.from, term: this.term, reject: true });
      }
      return;
    }

    switch (m.type) {
      case 'vote':
      case 'pre-vote': {
        const canVote =
          this.vote === m.from ||
          (this.vote === NONE && this.lead === NONE) ||
          (m.type === 'pre-vote' && m.term > this.term);
        const respType = m.type === 'vote' ? 'vote-resp' : 'pre-vote-resp';
        if (canVote && this.log.isUpToDate(m.index, m.logTerm)) {
          // A pre-vote answers at the asked term so the pre-candidate counts it; a vote at ours.
          this.send({ type: respType, from: this.id, to: m.from, term: m.term, reject: false });
          if (m.type === 'vote') {
            this.electionElapsed = 0;
            this.vote = m.from;
          }
        } else {
          this.send({ type: respType, from: this.id, to: m.from, term: this.term, reject: true });
        }
        return;
      }
      default:
        switch (this.role) {
          case 'leader':
            this.stepLeader(m);
            return;
          case 'candidate':
          case 'pre-candidate':
            this.stepCandidate(m);
            return;
          case 'follower':
            this.stepFollower(m);
            return;
        }
    }
  }

  /**
   * Whether we heard from a leader within the election timeout, so must not vote: a partitioned
   * node rejoining must not depose a healthy leader (check-quorum, §6 of the thesis), and a leader
   * serving lease reads relies on it. With leases on, a node that just (re)started honours for an
   * election timeout a lease it may have acknowledged before it crashed.
   */
  private inLease(): boolean {
    if (!this.cfg.checkQuorum) return false;
    if (this.lead !== NONE && this.electionElapsed < this.cfg.electionTicks) return true;
    return this.cfg.readOnly === 'lease' && this.ticksSinceStart < this.cfg.electionTicks;
  }

  /**
   * The leader lease (thesis §6.4.1): no other leader can be elected before `leaseTicks` after the
   * latest heartbeat a quorum answered, since each of them refuses votes for an election timeout
   * after hearing it. Ticks remaining, 0 when there is no lease.
   */
  leaseRemainingTicks(): number {
    if (this.cfg.readOnly !== 'lease' || this.role !== 'leader' || this.leaseRevoked || this.quiesced) return 0;
    const start = this.tracker.leaseStart(this.id, this.leaderTicks);
    if (start < 0) return 0;
    return Math.max(0, start + this.leaseTicks - this.leaderTicks);
  }

  // --- leader ---------------------------------------------------------------------------------

  private appendEntries(entries: Entry[]): boolean {
    let last = this.log.lastIndex();
    const stamped = entries.map((e) => ({ ...e, term: this.term, index: ++last }));
    this.idleTicks = 0;
    this.log.append(stamped);
    // The leader's own entries count toward the quorum once persisted (stableTo), which lets the
    // driver send them to followers while its own disk write is still in flight (thesis §10.2.1).
    return true;
  }

  /** The driver persisted our log up to `index`: as leader, our own progress moves. */
  stableTo(index: number): void {
    if (this.role !== 'leader') return;
    const pr = this.tracker.progress.get(this.id);
    const before = this.log.committed;
    if (pr?.maybeUpdate(index) && this.maybeCommit()) this.bcastCommit(before);
  }

  /** Proposes entries on the leader; throws PROPOSAL_DROPPED with the reason otherwise. */
  propose(entries: Entry[]): void {
    if (this.role !== 'leader') {
      if (this.lead === NONE) throw dropped('no-leader', `node ${this.id} knows no leader at term ${this.term}`);
      this.send({ type: 'prop', from: this.id, to: this.lead, term: 0, entries });
      return;
    }
    this.leaderPropose(entries);
  }

  private leaderPropose(entries: readonly Entry[]): void {
    if (!this.tracker.progress.has(this.id)) throw dropped('removed', `node ${this.id} was removed from the group`);
    if (this.leadTransferee !== NONE) {
      throw dropped('transferring', `leadership of node ${this.id} is moving to ${this.leadTransferee}`);
    }
    const out = [...entries];
    for (let i = 0; i < out.length; i++) {
      const e = out[i] as Entry;
      if (e.type !== 'conf-change') continue;
      const cc = decodeConfChange(e.data);
      const joint = isJoint(this.tracker.config);
      let refused: string | undefined;
      if (this.pendingConfIndex > this.log.applied) refused = 'a configuration change is still being applied';
      else if (joint && cc.changes.length > 0) refused = 'the group is in a joint configuration';
      else if (!joint && cc.changes.length === 0) refused = 'there is no joint configuration to leave';
      if (refused) throw dropped('conf-change-pending', refused);
      applyConfChange(this.tracker.config, cc); // validates; throws CONF_CHANGE_INVALID
      this.pendingConfIndex = this.log.lastIndex() + i + 1;
    }
    this.appendEntries(out);
    this.bcastAppend();
  }

  private stepLeader(m: Message): void {
    switch (m.type) {
      case 'prop': {
        this.leaderPropose(m.entries);
        // The follower answers its client once it applies the entries: it wants their commit soon.
        const from = this.tracker.progress.get(m.from);
        if (from && m.from !== this.id) from.commitWanted = this.log.lastIndex();
        return;
      }
      case 'read-index':
        this.leaderReadIndex(m);
        return;
      case 'transfer-leader':
        this.transferLeader(m.from);
        return;
      default:
        break;
    }
    const pr = this.tracker.progress.get(m.from);
    if (!pr) return;
    switch (m.type) {
      case 'app-resp': {
        pr.recentActive = true;
        if (m.lease > pr.leaseAck) pr.leaseAck = m.lease;
        if (m.lease > pr.appendAck) pr.appendAck = m.lease;
        if (m.reject) {
          // Fast back-off: probe at the follower's hint, or earlier where our term allows.
          const hint = m.logTerm > 0 ? this.log.findConflictByTerm(m.rejectHint, m.logTerm) : m.rejectHint;
          if (pr.maybeDecrTo(m.index, hint)) {
            if (pr.state === 'replicate') pr.becomeProbe();
            this.sendAppend(m.from);
          }
          return;
        }
        const old = pr.match;
        const before = this.log.committed;
        if (pr.maybeUpdate(m.index) || (old === m.index && pr.state === 'probe')) {
          if (pr.state === 'probe') pr.becomeReplicate();
          else if (pr.state === 'snapshot' && pr.match >= pr.pendingSnapshot) pr.becomeProbe();
          if (this.maybeCommit()) this.bcastCommit(before);
          else {
            let sent = false;
            if (old !== pr.match) while (this.maybeSendAppend(m.from, false)) sent = true;
            // A follower that was paused when the commit it waits for moved gets it now.
            if (!sent) this.maybeSendCommit(m.from, pr);
          }
          if (m.from === this.leadTransferee && pr.match === this.log.lastIndex()) this.sendTimeoutNow(m.from);
        }
        return;
      }
      case 'heartbeat-resp': {
        pr.recentActive = true;
        if (m.lease > pr.leaseAck) pr.leaseAck = m.lease;
        pr.probeSent = false;
        // Appends in the window may have been lost: free a slot so one more goes out; a gap it
        // reveals is rejected and sends the follower back to probing.
        if (pr.state === 'replicate' && pr.isPaused()) pr.inflight.shift();
        if (pr.match < this.log.lastIndex()) this.sendAppend(m.from);
        if (m.context.length === 0) return;
        if (!this.readOnly.recvAck(m.from, m.context, (acks) => this.tracker.hasQuorum(acks))) return;
        for (const rs of this.readOnly.advance(m.context)) this.respondRead(rs.from, rs.index, rs.context);
        return;
      }
      default:
        return;
    }
  }

  private transferLeader(to: NodeId): void {
    const pr = this.tracker.progress.get(to);
    if (!pr || pr.isLearner || to === this.id) return;
    if (this.leadTransferee === to) return;
    this.leadTransferee = to;
    this.electionElapsed = 0;
    if (pr.match === this.log.lastIndex()) this.sendTimeoutNow(to);
    else this.sendAppend(to);
  }

  /** Tells `to` to campaign now; its voters will ignore our lease, so it ends here. */
  private sendTimeoutNow(to: NodeId): void {
    this.leaseRevoked = true;
    this.send({ type: 'timeout-now', from: this.id, to, term: this.term });
  }

  private leaderReadIndex(m: Message & { type: 'read-index' }): void {
    this.idleTicks = 0;
    if (this.tracker.voterIds().size === 1) {
      this.respondRead(m.from, this.log.committed, m.context);
      return;
    }
    // A new leader does not know the commit index until an entry of its term commits (§6.4).
    if (this.log.term(this.log.committed) !== this.term) {
      this.pendingReadIndex.push(m);
      return;
    }
    if (this.leaseRemainingTicks() > 0) {
      this.respondRead(m.from, this.log.committed, m.context);
      return;
    }
    this.readOnly.addRequest(this.log.committed, m.from, m.context, this.id);
    this.bcastHeartbeat(m.context);
  }

  private respondRead(to: NodeId, index: number, context: Uint8Array): void {
    if (to === NONE || to === this.id) {
      this.readStates.push({ index, context });
      return;
    }
    this.send({ type: 'read-index-resp', from: this.id, to, term: this.term, index, context });
    // The follower serves the read once it has applied through `index`: tell it the commit now.
    const pr = this.tracker.progress.get(to);
    if (!pr) return;
    if (index > pr.commitWanted) pr.commitWanted = index;
    this.maybeSendCommit(to, pr);
  }

  /** Commits what a quorum has, if it is from the current term (§5.4.2). */
  maybeCommit(): boolean {
    const mci = this.tracker.committed();
    if (mci > this.log.committed && this.log.term(mci) === this.term) {
      this.log.commitTo(mci);
      if (this.pendingReadIndex.length > 0) {
        const pending = this.pendingReadIndex;
        this.pendingReadIndex = [];
        for (const m of pending) this.leaderReadIndex(m as Message & { type: 'read-index' });
      }
      return true;
    }
    return false;
  }

  private bcastAppend(): void {
    for (const id of this.tracker.memberIds()) if (id !== this.id) this.sendAppend(id);
  }

  /**
   * The commit index moved past `before`. Followers with entries to receive get them (the append
   * carries the commit index). An append that would carry only the commit index goes out just
   * where it is waited for: to a follower that forwarded a proposal or a read now committed, and
   * to everyone when a configuration change (or this term's first entry) committed. Elsewhere the
   * commit rides on the next append or heartbeat: with many groups and few proposals per group,
   * eager commit-only appends would double the messages per write (etcd-io/raft#131 discusses
   * the same waste from the other side).
   */
  private bcastCommit(before: number): void {
    const committed = this.log.committed;
    const everyone =
      this.log.term(before) !== this.term || (this.pendingConfIndex > before && this.pendingConfIndex <= committed);
    for (const id of this.tracker.memberIds()) {
      if (id === this.id) continue;
      const pr = this.tracker.progress.get(id);
      if (!pr) continue;
      if (everyone && committed > pr.commitWanted) pr.commitWanted = committed;
      if (!this.maybeSendAppend(id, false)) this.maybeSendCommit(id, pr);
    }
  }

  /** An append carrying only the commit index, if `to` waits for more of it than it was sent. */
  private maybeSendCommit(to: NodeId, pr: Progress): void {
    if (Math.min(pr.commitWanted, this.log.committed) > pr.sentCommit) this.sendAppend(to);
  }

  /**
   * Heartbeats to every follower (with the commit index it can use), carrying `context` for a
   * ReadIndex round; `quiesce` asks them to fall silent with us. The periodic one (`idleOnly`)
   * skips a follower that answered an append sent since the previous heartbeat interval began:
   * that append already reset its election timer, and its answer proved it alive and extended the
   * lease, so with writes flowing a group sends no heartbeats (decision 0017).
   */
  private bcastHeartbeat(context: Uint8Array, quiesce = false, idleOnly = false): void {
    for (const id of this.tracker.memberIds()) {
      if (id === this.id) continue;
      const pr = this.tracker.progress.get(id);
      if (!pr) continue;
      // Never tell a follower to commit beyond what it is known to have.
      const commit = Math.min(pr.match, this.log.committed);
      if (
        idleOnly &&
        context.length === 0 &&
        pr.state === 'replicate' &&
        !pr.isPaused() &&
        pr.appendAck >= this.leaderTicks - this.cfg.heartbeatTicks
      )
        continue;
      if (commit > pr.sentCommit) pr.sentCommit = commit;
      this.send({
        type: 'heartbeat',
        from: this.id,
        to: id,
        term: this.term,
        commit,
        context,
        lease: this.leaderTicks,
        ...(quiesce ? { quiesce } : {}),
      });
    }
  }

  sendAppend(to: NodeId): void {
    this.maybeSendAppend(to, true);
  }

  /** Sends the next append (or a snapshot) to `to`; false when it is paused or there is nothing to send. */
  private maybeSendAppend(to: NodeId, sendIfEmpty: boolean): boolean {
    const pr = this.tracker.progress.get(to);
    if (!pr || pr.isPaused()) return false;
    const prevIndex = pr.next - 1;
    const prevTerm = this.log.term(prevIndex);
    const entries =
      prevTerm === undefined
        ? undefined
        : this.log.slice(pr.next, this.log.lastIndex() + 1, this.cfg.maxEntriesPerMessage);
    if (prevTerm === undefined || entries === undefined) {
      // The follower is behind our log's start: send the snapshot instead.
      if (!pr.recentActive) return false;
      const snapshot = this.log.snapshot();
      if (snapshot.meta.index === 0) return false;
      pr.becomeSnapshot(snapshot.meta.index);
      this.send({ type: 'snap', from: this.id, to, term: this.term, snapshot });
      return true;
    }
    if (entries.length === 0 && !sendIfEmpty) return false;
    const commit = this.log.committed;
    this.send({
      type: 'app',
      from: this.id,
      to,
      term: this.term,
      logTerm: prevTerm,
      index: prevIndex,
      entries,
      commit,
      lease: this.leaderTicks,
    });
    pr.sentEntries(prevIndex + entries.length, entries.length);
    // The follower commits no further than the append's last entry.
    const learns = Math.min(commit, prevIndex + entries.length);
    if (learns > pr.sentCommit) pr.sentCommit = learns;
    return true;
  }

  /** The application reports that a snapshot to `to` failed (or succeeded) to arrive. */
  reportSnapshot(to: NodeId, failed: boolean): void {
    const pr = this.tracker.progress.get(to);
    if (pr?.state !== 'snapshot') return;
    if (failed) pr.pendingSnapshot = 0;
    pr.becomeProbe();
    pr.probeSent = true; // wait for a heartbeat response before probing again
  }

  /** The transport could not reach `to`: stop pipelining to it. */
  reportUnreachable(to: NodeId): void {
    const pr = this.tracker.progress.get(to);
    if (pr?.state === 'replicate') pr.becomeProbe();
  }

  // --- candidate ------------------------------------------------------------------------------

  private stepCandidate(m: Message): void {
    switch (m.type) {
      case 'prop':
        throw dropped('no-leader', `node ${this.id} is campaigning at term ${this.term}`);
      case 'app':
        this.becomeFollower(m.term, m.from);
        this.handleAppend(m);
        return;
      case 'heartbeat':
        this.becomeFollower(m.term, m.from);
        this.handleHeartbeat(m);
        return;
      case 'snap':
        this.becomeFollower(m.term, m.from);
        this.handleSnapshot(m);
        return;
      case 'vote-resp':
      case 'pre-vote-resp': {
        const mine = this.role === 'pre-candidate' ? 'pre-vote-resp' : 'vote-resp';
        if (m.type !== mine) return;
        this.tracker.recordVote(m.from, !m.reject);
        const result = this.tracker.tallyVotes();
        if (result === 'won') {
          if (this.role === 'pre-candidate') this.campaign('vote', false);
          else {
            this.becomeLeader();
            this.bcastAppend();
          }
        } else if (result === 'lost') {
          this.becomeFollower(this.term, NONE);
        }
        return;
      }
      default:
        return;
    }
  }

  // --- follower -------------------------------------------------------------------------------

  private stepFollower(m: Message): void {
    switch (m.type) {
      case 'prop':
        if (this.lead === NONE) throw dropped('no-leader', `node ${this.id} knows no leader at term ${this.term}`);
        this.send({ ...m, to: this.lead });
        return;
      case 'app':
        this.electionElapsed = 0;
        this.lead = m.from;
        this.handleAppend(m);
        return;
      case 'heartbeat':
        this.electionElapsed = 0;
        this.lead = m.from;
        this.handleHeartbeat(m);
        return;
      case 'snap':
        this.electionElapsed = 0;
        this.lead = m.from;
        this.handleSnapshot(m);
        return;
      case 'transfer-leader':
        if (this.lead !== NONE) this.send({ ...m, to: this.lead });
        return;
      case 'timeout-now':
        // The leader hands over: campaign at once, skipping the pre-vote and the lease check.
        this.hup(true);
        return;
      case 'read-index':
        if (this.lead === NONE) throw dropped('no-leader', `node ${this.id} knows no leader for a read`);
        this.send({ ...m, to: this.lead });
        return;
      case 'read-index-resp':
        this.readStates.push({ index: m.index, context: m.context });
        return;
      default:
        return;
    }
  }

  private handleAppend(m: Message & { type: 'app' }): void {
    const reply = (index: number, reject: boolean, rejectHint = 0, logTerm = 0) =>
      this.send({
        type: 'app-resp',
        from: this.id,
        to: m.from,
        term: this.term,
        index,
        reject,
        rejectHint,
        logTerm,
        lease: m.lease,
      });
    if (m.index < this.log.committed) {
      reply(this.log.committed, false);
      return;
    }
    const lastNew = this.log.maybeAppend(m.index, m.logTerm, m.commit, m.entries);
    if (lastNew !== undefined) {
      reply(lastNew, false);
      return;
    }
    // Our log disagrees at m.index: hint the largest index whose term is ≤ the leader's there.
    const hint = this.log.findConflictByTerm(Math.min(m.index, this.log.lastIndex()), m.logTerm);
    reply(m.index, true, hint, this.log.term(hint) ?? 0);
  }

  private handleHeartbeat(m: Message & { type: 'heartbeat' }): void {
    this.log.commitTo(Math.min(m.commit, this.log.lastIndex()));
    this.send({
      type: 'heartbeat-resp',
      from: this.id,
      to: m.from,
      term: this.term,
      context: m.context,
      lease: m.lease,
    });
    // Fall silent with the leader only holding its whole log and nothing beyond it (entries of
    // an old term past its end would wait unrepaired); otherwise keep ticking: a campaign of ours
    // wakes the leader, whose heartbeats then resume.
    if (m.quiesce && this.role === 'follower' && this.lead === m.from) {
      this.quiesced = this.log.committed === m.commit && this.log.lastIndex() === m.commit;
    }
  }

  private handleSnapshot(m: Message & { type: 'snap' }): void {
    const { index, term } = m.snapshot.meta;
    if (this.restore(m.snapshot)) {
      this.send({
        type: 'app-resp',
        from: this.id,
        to: m.from,
        term: this.term,
        index: this.log.lastIndex(),
        reject: false,
        rejectHint: 0,
        logTerm: 0,
        lease: 0,
      });
    } else {
      this.send({
        type: 'app-resp',
        from: this.id,
        to: m.from,
        term: this.term,
        index: this.log.committed,
        reject: false,
        rejectHint: 0,
        logTerm: 0,
        lease: 0,
      });
    }
    this.log_.debug({ index, term }, 'snapshot handled');
  }

  /** Installs a snapshot unless our log already has it; returns whether it did. */
  private restore(s: Snapshot): boolean {
    if (s.meta.index <= this.log.committed) return false;
    if (this.log.matchTerm(s.meta.index, s.meta.term)) {
      // We have the entry: fast-forward the commit index instead of replacing the log.
      this.log.commitTo(s.meta.index);
      return false;
    }
    this.log.restore(s);
    this.tracker.config = configFromConfState(s.meta.conf);
    this.tracker.progress.clear();
    this.tracker.syncProgress(this.log.lastIndex() + 1);
    const self = this.tracker.progress.get(this.id);
    if (self) self.maybeUpdate(this.log.lastIndex());
    return true;
  }

  // --- configuration --------------------------------------------------------------------------

  /**
   * Applies a committed conf-change entry (the application calls this when it applies one) and
   * returns the new configuration.
   */
  applyConfChange(cc: ConfChange): ConfState {
    this.tracker.config = applyConfChange(this.tracker.config, cc);
    this.tracker.syncProgress(this.log.lastIndex() + 1);
    const cs = this.confState();
    if (this.role === 'leader') {
      if (!this.tracker.isVoter(this.id)) {
        // Removed or demoted: hand the group to the others (they elect a leader at once when
        // their election timeout passes; the next leader may be anyone up to date).
        this.becomeFollower(this.term, NONE);
        return cs;
      }
      if (this.maybeCommit()) this.bcastAppend();
      else
        for (const id of this.tracker.memberIds())
          if (id !== this.id && this.tracker.progressOf(id).match < this.log.lastIndex()) this.sendAppend(id);
      if (this.leadTransferee !== NONE && !this.tracker.isVoter(this.leadTransferee)) this.leadTransferee = NONE;
    }
    return cs;
  }

  /** The application applied entries up to `index`; a leader leaves an auto-leave joint config. */
  appliedTo(index: number): void {
    this.log.appliedTo(index);
    if (
      this.role === 'leader' &&
      this.tracker.config.autoLeave &&
      index >= this.pendingConfIndex &&
      isJoint(this.tracker.config)
    ) {
      try {
        this.leaderPropose([{ term: 0, index: 0, type: 'conf-change', data: encodeConfChange({ changes: [] }) }]);
      } catch (e) {
        // Leadership is moving: the next leader leaves the joint configuration once it has applied it.
        if (!(e instanceof ThinkLiteError && e.code === 'PROPOSAL_DROPPED')) throw e;
      }
    }
  }

  readIndex(context: Uint8Array): void {
    const m: Message = { type: 'read-index', from: this.id, to: this.id, term: 0, context };
    if (this.role === 'leader') this.leaderReadIndex(m);
    else this.stepFollower(m);
  }

  transferLeadership(to: NodeId): void {
    if (this.role === 'leader') this.transferLeader(to);
    else if (this.lead !== NONE) this.send({ type: 'transfer-leader', from: to, to: this.lead, term: this.term });
  }
}
