import { randomBytes } from 'node:crypto';
import {
  Counter,
  createRegistry,
  Gauge,
  Histogram,
  LATENCY_BUCKETS_SECONDS,
  type Logger,
  type Registry,
  type SeededRandom,
  silentLogger,
  ThinkLiteError,
} from '@thinklite/base';
import {
  type ConfChange,
  type ConfState,
  decodeConfChange,
  type Entry,
  type Message,
  type NodeId,
  RawNode,
  type Ready,
  type Snapshot,
} from '@thinklite/raft';
import { type Engine, type Reader, WriteBatch } from '@thinklite/storage';
import { RaftLogStore } from './raft-log-store.js';
import type { RaftWal } from './raft-wal.js';

/** A message of one range's group, addressed to a node. */
export interface RangeMessage {
  readonly rangeId: number;
  readonly message: Message;
}

/**
 * Carries Raft messages between nodes. All messages one node sends another in one event-loop turn
 * go as one batch (one frame on the node pair's stream), heartbeats of every group included.
 */
export interface RaftTransport {
  send(to: NodeId, batch: readonly RangeMessage[]): void;
  /** Called with every batch that arrives for this node. */
  listen(handler: (from: NodeId, batch: readonly RangeMessage[]) => void): void;
  close(): Promise<void>;
}

/** What a range's replicated state machine does with its committed entries. */
export interface ReplicatedStateMachine {
  /**
   * Applies committed entries into `batch` — the normal ones with data (a leader's empty entries
   * and conf changes are the host's) — and records `appliedIndex` (the last committed entry of
   * this round, whatever its kind) durably in the same batch.
   */
  apply(batch: WriteBatch, entries: readonly Entry[], appliedIndex: number): void;
  /** The applied index, durable with the state machine's data. */
  appliedIndex(): number;
  /** The state as of the applied index, with that index: a snapshot for a lagging follower. */
  snapshot(): { index: number; data: Uint8Array };
  /** Replaces the state with a snapshot's, staged into `batch`. */
  applySnapshot(batch: WriteBatch, snapshot: Snapshot): void;
}

export interface ReplicationHostOptions {
  readonly nodeId: NodeId;
  readonly engine: Engine;
  /** The node's Raft log: every hosted range's entries and hard state (opened and closed by the caller). */
  readonly wal: RaftWal;
  readonly transport: RaftTransport;
  readonly random: SeededRandom;
  readonly tickIntervalMs?: number;
  readonly electionTicks?: number;
  readonly heartbeatTicks?: number;
  /**
   * How long a proposal or read may wait before it fails with PROPOSAL_DROPPED (reason
   * 'timeout'; a proposal's outcome is then unknown). Default: five election timeouts.
   */
  readonly proposalTimeoutMs?: number;
  /** Compact a group's log once it holds this many applied entries. */
  readonly logEntriesMax?: number;
  /**
   * How reads are confirmed: 'lease' answers on a leader within its lease (a heartbeat round
   * otherwise), 'safe' always runs a heartbeat round. Default 'lease'.
   */
  readonly readOnly?: 'safe' | 'lease';
  /** The cluster's maximum clock offset (the HLC's bound), which shortens leader leases. Default 500. */
  readonly maxClockOffsetMs?: number;
  /**
   * Let idle groups fall silent (RaftConfig.quiesce): no ticks, no heartbeats until the next
   * write or read. The host then runs node liveness — one heartbeat per peer node per heartbeat
   * interval — and wakes the silent followers of a leader whose node it has not heard from for
   * an election timeout. Default true.
   */
  readonly quiesce?: boolean;
  /**
   * Pipeline rounds (etcd/raft's async storage writes, CockroachDB's async log writes): a round
   * hands its log records to the Raft log and lets the next round start while the fdatasync runs,
   * so messages, proposals and commits are taken up at once instead of after the disk; each
   * round's messages and advance follow once its records are durable, in order. Default true;
   * false runs one round at a time, each waiting for its own write.
   */
  readonly pipeline?: boolean;
  /**
   * Applied writes go to the engine at most this often, or sooner once a batch holds
   * `applyBatchWritesMax` writes (etcd commits its backend every 100 ms or 10,000 writes). The log
   * replays whatever a crash loses. Default 100.
   */
  readonly applyCommitIntervalMs?: number;
  readonly applyBatchWritesMax?: number;
  /** A monotonic clock in milliseconds; ticks follow it, so a stalled event loop catches up. */
  readonly monotonicMs?: () => number;
  readonly logger?: Logger;
  readonly registry?: Registry;
}

interface Group {
  readonly rangeId: number;
  readonly raw: RawNode;
  readonly store: RaftLogStore;
  readonly sm: ReplicatedStateMachine;
  lead: NodeId;
  /** Proposals made since the last round, with their pending keys: proposed to Raft together. */
  buffered: Buffer[];
  bufferedKeys: number[];
}

/** A round whose log records are being written: what follows once they are durable. */
interface Round {
  readonly ready: readonly { g: Group; rd: Ready }[];
  /** Messages sent already (a leader's appends). */
  readonly early: ReadonlySet<Message>;
  /** Updates the log stores' view of what is on disk. */
  readonly after: readonly (() => void)[];
  durable: boolean;
}

interface PendingRead {
  readonly rangeId: number;
  readonly resolve: (index: number) => void;
  readonly reject: (e: unknown) => void;
  readonly startedAt: number;
  /** The confirmed read index, once Raft gave it; the read completes when it is applied. */
  index?: number;
}

interface PendingProposal {
  readonly resolve: (index: number) => void;
  readonly reject: (e: unknown) => void;
  readonly startedAt: number;
}

/**
 * A proposal's id: this process's incarnation (8 random bytes, drawn at start) and a sequence
 * number. The incarnation keeps ids unique across restarts: entries of an earlier process replayed
 * from the log must never resolve a new process's proposals (CockroachDB's command ids are random
 * for the same reason). A test that restarts and proposes caught ids that restarted at 0.
 */
const PROPOSAL_ID_BYTES = 12;

/** Node-liveness heartbeats travel as messages of this range id, which no range has. */
const LIVENESS_RANGE = 0;
const NO_BYTES = new Uint8Array(0);

/**
 * Runs the Raft groups of every range replica on one node (multi-Raft): ticks them on one timer,
 * feeds them messages, and handles their Readies together in the order the Raft paper requires —
 * every group's entries and hard state appended to the node's Raft log and made durable with ONE
 * fdatasync; then their messages sent (one batch per destination node); then advance. This is the
 * only impure part of replication; the groups themselves are pure state machines.
 *
 * Committed entries are applied into a batch of the engine that is committed in the background,
 * off the path of any round (as etcd commits its backend apart from its WAL): a crash loses at most
 * applies that the log replays. Readers see applied writes through appliedReader() at once. What
 * the log depends on — a snapshot's data and metadata, a new configuration — is committed to the
 * engine first, inside the round, before the log records it.
 *
 * Proposals carry a 12-byte id (the process's random incarnation and a sequence number) so the
 * proposer can resolve its promise when the entry applies.
 */
export class ReplicationHost {
  readonly nodeId: NodeId;
  private readonly groups = new Map<number, Group>();
  /** Proposals made here and not yet applied, by sequence number (the id's last 4 bytes). */
  private readonly pending = new Map<number, PendingProposal>();
  private readonly reads = new Map<string, PendingRead>();
  /** Groups with buffered proposals. */
  private readonly proposing = new Set<Group>();
  /**
   * Groups given an input (a message, proposal, tick, read, …) since the last round looked at
   * them: only these can have a Ready, so a round asks only them and not every hosted group.
   */
  private readonly touched = new Set<Group>();
  private readSeq = 0;
  private readonly incarnation = randomBytes(8);
  private readonly monotonicMs: () => number;
  private tickOrigin = 0;
  private ticksDone = 0;
  private readonly engine: Engine;
  private readonly wal: RaftWal;
  private readonly transport: RaftTransport;
  private readonly random: SeededRandom;
  private readonly log: Logger;
  private opts: Required<
    Pick<
      ReplicationHostOptions,
      | 'tickIntervalMs'
      | 'electionTicks'
      | 'heartbeatTicks'
      | 'proposalTimeoutMs'
      | 'logEntriesMax'
      | 'readOnly'
      | 'maxClockOffsetMs'
      | 'applyCommitIntervalMs'
      | 'applyBatchWritesMax'
      | 'quiesce'
      | 'pipeline'
    >
  >;
  private timer: NodeJS.Timeout | undefined;
  private scheduled = false;
  private running = false;
  /** Rounds whose records are being written, oldest first. */
  private readonly rounds: Round[] = [];
  private completing = false;
  private again = false;
  /** State-machine writes applied but not yet handed to the engine; stacked on `committing`. */
  private applyBatch: WriteBatch | undefined;
  private applyBatchOpenedAt = 0;
  /** The engine commit in flight (one at a time): readers see its batch until it lands. */
  private committing: { batch: WriteBatch; done: Promise<void> } | undefined;
  private closed = false;
  private proposalSeq = 0;
  private readonly metrics: {
    proposals: Counter;
    applied: Counter;
    leaderChanges: Counter;
    applySeconds: Histogram;
    readyGroups: Histogram;
    reads: Counter<'node' | 'path'>;
    livenessWakeups: Counter;
  };
  /** Node liveness: when each peer node was last heard from (monotonic ms), by any message. */
  private readonly heardAt = new Map<NodeId, number>();
  private readonly startedAt: number;
  /** The labels of this host's metrics (one object, not one per observation). */
  private readonly labels: { readonly node: string };
  private livenessSentAt = Number.NEGATIVE_INFINITY;

  constructor(options: ReplicationHostOptions) {
    this.nodeId = options.nodeId;
    this.engine = options.engine;
    this.wal = options.wal;
    this.transport = options.transport;
    this.random = options.random;
    this.log = (options.logger ?? silentLogger()).child({ component: 'raft', nodeId: options.nodeId });
    this.opts = {
      tickIntervalMs: options.tickIntervalMs ?? 100,
      electionTicks: options.electionTicks ?? 10,
      heartbeatTicks: options.heartbeatTicks ?? 2,
      proposalTimeoutMs:
        options.proposalTimeoutMs ?? (options.tickIntervalMs ?? 100) * (options.electionTicks ?? 10) * 5,
      logEntriesMax: options.logEntriesMax ?? 10_000,
      readOnly: options.readOnly ?? 'lease',
      maxClockOffsetMs: options.maxClockOffsetMs ?? 500,
      applyCommitIntervalMs: options.applyCommitIntervalMs ?? 100,
      applyBatchWritesMax: options.applyBatchWritesMax ?? 10_000,
      quiesce: options.quiesce ?? true,
      pipeline: options.pipeline ?? true,
    };
    this.monotonicMs = options.monotonicMs ?? (() => performance.now());
    this.startedAt = this.monotonicMs();
    this.labels = { node: String(options.nodeId) };
    if (this.opts.readOnly === 'lease' && this.opts.electionTicks - 2 - this.offsetTicks() < 1) {
      this.log.warn(
        { maxClockOffsetMs: this.opts.maxClockOffsetMs, electionTicks: this.opts.electionTicks },
        'leader leases off: the maximum clock offset leaves no lease within the election timeout',
      );
      this.opts = { ...this.opts, readOnly: 'safe' };
    }
    const registers = [options.registry ?? createRegistry()];
    const labelNames = ['node'] as const;
    this.metrics = {
      proposals: new Counter({
        name: 'thinklite_raft_proposals_total',
        help: 'Raft proposals made on this node',
        labelNames,
        registers,
      }),
      applied: new Counter({
        name: 'thinklite_raft_entries_applied_total',
        help: 'Committed Raft entries applied on this node',
        labelNames,
        registers,
      }),
      leaderChanges: new Counter({
        name: 'thinklite_raft_leader_changes_total',
        help: 'Times a group on this node saw its leader change (elections)',
        labelNames,
        registers,
      }),
      applySeconds: new Histogram({
        name: 'thinklite_raft_proposal_apply_seconds',
        help: 'From proposal to applied on the proposing node',
        labelNames,
        buckets: LATENCY_BUCKETS_SECONDS,
        registers,
      }),
      readyGroups: new Histogram({
        name: 'thinklite_raft_ready_groups',
        help: 'Groups whose Readies shared one storage commit',
        labelNames,
        buckets: [1, 2, 4, 8, 16, 64, 256, 1024, 4096],
        registers,
      }),
      reads: new Counter({
        name: 'thinklite_raft_reads_total',
        help: 'Linearizable reads confirmed, by path: lease (no round trip) or quorum (a heartbeat round)',
        labelNames: ['node', 'path'] as const,
        registers,
      }),
      livenessWakeups: new Counter({
        name: 'thinklite_raft_liveness_wakeups_total',
        help: 'Quiesced followers woken because their leader node was not heard from for an election timeout',
        labelNames,
        registers,
      }),
    };
    const groups = this.groups;
    const nodeLabel = String(options.nodeId);
    new Gauge({
      name: 'thinklite_raft_log_entries',
      help: 'Raft log entries held on this node, all groups',
      labelNames,
      registers,
      collect() {
        let n = 0;
        for (const g of groups.values()) n += g.store.logEntries();
        this.set({ node: nodeLabel }, n);
      },
    });
    new Gauge({
      name: 'thinklite_raft_quiesced_groups',
      help: 'Raft groups on this node silent while idle (no ticks, no heartbeats)',
      labelNames,
      registers,
      collect() {
        let n = 0;
        for (const g of groups.values()) if (g.raw.quiesced) n++;
        this.set({ node: nodeLabel }, n);
      },
    });
    new Gauge({
      name: 'thinklite_raft_groups',
      help: 'Raft groups (range replicas) hosted on this node',
      labelNames,
      registers,
      collect() {
        this.set({ node: nodeLabel }, groups.size);
      },
    });
    this.transport.listen((from, batch) => this.receive(from, batch));
  }

  /** The sequence number of a proposal made by this process, from an entry's id; -1 for another's. */
  private ownProposal(data: Uint8Array): number {
    const incarnation = this.incarnation;
    for (let i = 0; i < 8; i++) if (data[i] !== incarnation[i]) return -1;
    return (
      (((data[8] as number) << 24) |
        ((data[9] as number) << 16) |
        ((data[10] as number) << 8) |
        (data[11] as number)) >>>
      0
    );
  }

  /** Starts the tick timer. */
  start(): void {
    if (this.timer) return;
    this.tickOrigin = this.monotonicMs();
    this.ticksDone = 0;
    this.timer = setInterval(() => this.tick(), this.opts.tickIntervalMs);
  }

  /**
   * Ticks every group as many times as the monotonic clock says are due. A timer callback that
   * comes late (a stalled event loop, a GC pause) must not stretch an election timeout or a
   * lease in real time, so missed ticks are made up — at most two election timeouts' worth,
   * which already expires every lease and timeout.
   */
  private catchUpTicks(): void {
    if (!this.timer) return;
    const due = Math.floor((this.monotonicMs() - this.tickOrigin) / this.opts.tickIntervalMs) - this.ticksDone;
    if (due <= 0) return;
    const n = Math.min(due, 2 * this.opts.electionTicks);
    this.ticksDone += due;
    for (let i = 0; i < n; i++) this.tickGroups();
  }

  /** One tick of every group not silent; a group that falls silent on it still has a Ready to hand out. */
  private tickGroups(): void {
    for (const g of this.groups.values()) {
      if (g.raw.quiesced) continue;
      g.raw.tick();
      this.touched.add(g);
    }
  }

  private offsetTicks(): number {
    return Math.ceil(this.opts.maxClockOffsetMs / this.opts.tickIntervalMs);
  }

  /** Writes the initial Raft state of a new range on one of its first replicas. */
  static async bootstrapRange(engine: Engine, rangeId: number, voters: NodeId[]): Promise<void> {
    await ReplicationHost.bootstrapRanges(engine, [rangeId], voters);
  }

  /** Writes the initial Raft state of new ranges with the same voters, in one commit. */
  static async bootstrapRanges(engine: Engine, rangeIds: readonly number[], voters: NodeId[]): Promise<void> {
    const batch = engine.newBatch();
    const conf = { voters, votersOutgoing: [], learners: [], learnersNext: [], autoLeave: false };
    for (const rangeId of rangeIds) RaftLogStore.bootstrap(batch, rangeId, conf);
    await engine.commit(batch);
  }

  /** Hosts the replica of `rangeId` on this node (its Raft state is loaded from the engine). */
  addGroup(rangeId: number, sm: ReplicatedStateMachine): void {
    if (this.groups.has(rangeId))
      throw new ThinkLiteError('CONF_CHANGE_INVALID', `range ${rangeId} is already hosted on node ${this.nodeId}`);
    const store = RaftLogStore.open(this.engine, this.wal, rangeId, () => sm.snapshot());
    store.committedThrough(sm.appliedIndex());
    const raw = new RawNode({
      id: this.nodeId,
      storage: store,
      applied: sm.appliedIndex(),
      electionTicks: this.opts.electionTicks,
      heartbeatTicks: this.opts.heartbeatTicks,
      preVote: true,
      checkQuorum: true,
      readOnly: this.opts.readOnly,
      maxClockOffsetTicks: this.offsetTicks(),
      quiesce: this.opts.quiesce,
      random: this.random.fork(),
      logger: this.log.child({ rangeId }),
    });
    const g: Group = { rangeId, raw, store, sm, lead: 0, buffered: [], bufferedKeys: [] };
    this.groups.set(rangeId, g);
    this.touched.add(g);
  }

  /**
   * What a reader must read through to see every acknowledged write: the engine, overlaid with
   * applied writes not yet committed to it (a round that did not wait for the disk).
   */
  appliedReader(): Reader {
    return this.applyBatch ?? this.committing?.batch ?? this.engine;
  }

  /** Ticks left of this node's leader lease on a range; 0 when it holds none. */
  leaseRemainingTicks(rangeId: number): number {
    this.catchUpTicks();
    return this.group(rangeId).raw.leaseRemainingTicks();
  }

  status(rangeId: number) {
    return this.group(rangeId).raw.status();
  }

  private group(rangeId: number): Group {
    const g = this.groups.get(rangeId);
    if (!g)
      throw new ThinkLiteError('PROPOSAL_DROPPED', `range ${rangeId} has no replica on node ${this.nodeId}`, {
        reason: 'removed',
      });
    return g;
  }

  /**
   * Proposes `data` to a range; resolves with its log index once it is applied on this node.
   *
   * Proposals wait in a per-range buffer until the next round, which hands them to Raft in one
   * step (CockroachDB's proposal buffer): the leader then sends each follower one append for all
   * of them, and each follower answers once, instead of once per proposal.
   */
  propose(rangeId: number, data: Uint8Array): Promise<number> {
    const g = this.group(rangeId);
    if (this.closed) return Promise.reject(this.closedError());
    const key = this.proposalSeq++ >>> 0;
    const payload = Buffer.allocUnsafe(PROPOSAL_ID_BYTES + data.length);
    this.incarnation.copy(payload, 0);
    payload.writeUInt32BE(key, 8);
    payload.set(data, PROPOSAL_ID_BYTES);
    const p = new Promise<number>((resolve, reject) =>
      this.pending.set(key, { resolve, reject, startedAt: performance.now() }),
    );
    g.buffered.push(payload);
    g.bufferedKeys.push(key);
    this.proposing.add(g);
    this.metrics.proposals.inc(this.labels);
    this.schedule();
    return p;
  }

  /** Hands a range's buffered proposals to Raft; a refusal (no leader, …) fails each of them. */
  private flushProposals(g: Group): void {
    this.proposing.delete(g);
    if (g.buffered.length === 0) return;
    const payloads = g.buffered;
    const keys = g.bufferedKeys;
    g.buffered = [];
    g.bufferedKeys = [];
    this.touched.add(g);
    try {
      g.raw.proposeMany(payloads);
    } catch (e) {
      for (const key of keys) {
        this.pending.get(key)?.reject(e);
        this.pending.delete(key);
      }
    }
  }

  /**
   * A linearizable read barrier for a range (Raft thesis §6.4): resolves with a read index once
   * this replica has applied through it, so that reading the replica's state (appliedReader())
   * then sees every write acknowledged before the call. The leader confirms the index from its
   * lease, or with a heartbeat round; a follower asks its leader.
   */
  readBarrier(rangeId: number): Promise<number> {
    const g = this.group(rangeId);
    this.catchUpTicks(); // a lease is judged by the clock as it is now, not at the last timer
    const ctx = Buffer.alloc(PROPOSAL_ID_BYTES);
    this.incarnation.copy(ctx, 0);
    ctx.writeUInt32BE(this.readSeq++ >>> 0, 8);
    const key = ctx.toString('latin1');
    const p = new Promise<number>((resolve, reject) =>
      this.reads.set(key, { rangeId, resolve, reject, startedAt: performance.now() }),
    );
    const path = g.raw.raft.role === 'leader' && g.raw.leaseRemainingTicks() > 0 ? 'lease' : 'quorum';
    this.touched.add(g);
    try {
      g.raw.readIndex(ctx);
    } catch (e) {
      this.reads.delete(key);
      return Promise.reject(e);
    }
    this.metrics.reads.inc({ ...this.labels, path });
    this.schedule();
    return p;
  }

  /** Completes the reads of `g` whose index this replica has applied. */
  private releaseReads(rangeId: number, applied: number): void {
    for (const [key, r] of this.reads) {
      if (r.rangeId !== rangeId || r.index === undefined || r.index > applied) continue;
      this.reads.delete(key);
      r.resolve(r.index);
    }
  }

  proposeConfChange(rangeId: number, cc: ConfChange): void {
    const g = this.group(rangeId);
    this.flushProposals(g); // proposals made before it go first
    this.touched.add(g);
    g.raw.proposeConfChange(cc);
    this.schedule();
  }

  /** Asks a range's leader to hand leadership to `to` (a caught-up voter). */
  transferLeadership(rangeId: number, to: NodeId): void {
    const g = this.group(rangeId);
    this.flushProposals(g);
    this.touched.add(g);
    g.raw.transferLeadership(to);
    this.schedule();
  }

  campaign(rangeId: number): void {
    const g = this.group(rangeId);
    this.touched.add(g);
    g.raw.campaign();
    this.schedule();
  }

  tick(): void {
    if (this.timer) this.catchUpTicks();
    else this.tickGroups();
    if (this.opts.quiesce) this.nodeLiveness();
    // A proposal lost with its leader is never applied here: fail it after a bound. It may still
    // apply later (its entry may have reached a quorum), so the error says the outcome is unknown.
    const deadline = performance.now() - this.opts.proposalTimeoutMs;
    for (const [key, p] of this.pending) {
      if (p.startedAt < deadline) {
        this.pending.delete(key);
        p.reject(
          new ThinkLiteError('PROPOSAL_DROPPED', 'proposal timed out; it may or may not have been applied', {
            reason: 'timeout',
          }),
        );
      }
    }
    this.startApplyCommit();
    for (const [key, r] of this.reads) {
      if (r.startedAt < deadline) {
        this.reads.delete(key);
        r.reject(
          new ThinkLiteError('PROPOSAL_DROPPED', `read on range ${r.rangeId} found no leader to confirm it`, {
            reason: 'timeout',
          }),
        );
      }
    }
    this.schedule();
  }

  /**
   * Node liveness for quiesced groups (CockroachDB's answer to silent ranges): a heartbeat to
   * every peer node each heartbeat interval — one message per pair of nodes, however many groups
   * they share — and any message counts as one. A silent follower whose leader's node has not
   * been heard from for an election timeout is woken; it then times out and campaigns as usual.
   */
  private nodeLiveness(): void {
    const now = this.monotonicMs();
    const interval = this.opts.heartbeatTicks * this.opts.tickIntervalMs;
    if (now - this.livenessSentAt >= interval) {
      this.livenessSentAt = now;
      const peers = new Set<NodeId>();
      for (const g of this.groups.values())
        for (const id of g.raw.raft.tracker.memberIds()) if (id !== this.nodeId) peers.add(id);
      for (const to of peers) {
        const message: Message = {
          type: 'heartbeat',
          from: this.nodeId,
          to,
          term: 0,
          commit: 0,
          context: NO_BYTES,
          lease: 0,
        };
        this.transport.send(to, [{ rangeId: LIVENESS_RANGE, message }]);
      }
    }
    const deadAfter = this.opts.electionTicks * this.opts.tickIntervalMs;
    for (const g of this.groups.values()) {
      if (!g.raw.quiesced) continue;
      const lead = g.raw.raft.lead;
      if (lead === this.nodeId || lead === 0) continue;
      if (now - (this.heardAt.get(lead) ?? this.startedAt) <= deadAfter) continue;
      this.log.debug({ rangeId: g.rangeId, lead }, 'waking a quiesced follower: its leader node is not live');
      g.raw.unquiesce();
      this.touched.add(g);
      this.metrics.livenessWakeups.inc(this.labels);
    }
  }

  private receive(from: NodeId, batch: readonly RangeMessage[]): void {
    if (this.closed) return;
    this.heardAt.set(from, this.monotonicMs());
    for (const { rangeId, message } of batch) {
      const g = this.groups.get(rangeId);
      if (!g) continue;
      this.touched.add(g);
      g.raw.step(message);
    }
    this.schedule();
  }

  /** Handles Readies once per event-loop turn, so every input of the turn shares one commit. */
  private schedule(): void {
    if (this.scheduled || this.closed) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.processReady();
    });
  }

  private async processReady(): Promise<void> {
    if (this.running) {
      // One round at a time: inputs that arrive meanwhile are handled by the next round, which
      // the running one starts when it ends.
      this.again = true;
      return;
    }
    this.again = false;
    if (this.closed) return; // a round scheduled before close must not read a closed log
    const ready: { g: Group; rd: Ready }[] = [];
    this.running = true;
    try {
      for (const g of this.proposing) this.flushProposals(g);
      for (const g of this.touched) if (g.raw.hasReady()) ready.push({ g, rd: g.raw.ready() });
      this.touched.clear();
      if (ready.length === 0) return;
      // A leader's appends go out now, in parallel with its own disk write (the leader counts its
      // entries toward the quorum only once persisted: Raft thesis §10.2.1).
      const early = new Set<Message>();
      const earlyOut = new Map<NodeId, RangeMessage[]>();
      for (const { g, rd } of ready) {
        if (g.raw.raft.role !== 'leader') continue;
        for (const message of rd.messages) {
          if (message.type !== 'app') continue;
          early.add(message);
          const list = earlyOut.get(message.to) ?? [];
          list.push({ rangeId: g.rangeId, message });
          earlyOut.set(message.to, list);
        }
      }
      for (const [to, list] of earlyOut) this.transport.send(to, list);

      // 1. Log records of every group into the Raft log; snapshots and the state machines' writes
      //    for the committed entries into the engine batch. What must be durable before the
      //    messages go out — entries, a new term or vote — makes the log write sync (one
      //    fdatasync for all groups, and for the rounds that join it while the one before runs).
      const batch = this.openApplyBatch();
      const after: (() => void)[] = [];
      let engineFirst = false;
      let sync = false;
      for (const { g, rd } of ready) {
        if (rd.snapshot) {
          g.sm.applySnapshot(batch, rd.snapshot);
          engineFirst = true;
        }
        if (rd.mustSync || rd.snapshot) sync = true;
        after.push(g.store.stage(batch, rd));
      }
      const resolved: [PendingProposal, number][] = [];
      for (const { g, rd } of ready) {
        if (rd.softState && rd.softState.lead !== g.lead) {
          g.lead = rd.softState.lead;
          this.metrics.leaderChanges.inc(this.labels);
          this.log.debug({ rangeId: g.rangeId, lead: g.lead, role: rd.softState.role }, 'leader changed');
        }
        if (rd.committedEntries.length === 0) continue;
        const normal: Entry[] = [];
        for (const e of rd.committedEntries) {
          if (e.type === 'conf-change') {
            // A configuration must be durable with the index that produced it: the engine commits
            // this round.
            engineFirst = true;
            const cs: ConfState = g.raw.applyConfChange(decodeConfChange(e.data));
            g.store.stageConfState(batch, cs);
            continue;
          }
          if (e.data.length < PROPOSAL_ID_BYTES) continue; // a leader's empty entry
          const key = this.ownProposal(e.data);
          const p = key < 0 ? undefined : this.pending.get(key);
          if (p) {
            this.pending.delete(key);
            resolved.push([p, e.index]);
          }
          normal.push({ term: e.term, index: e.index, type: e.type, data: e.data.subarray(PROPOSAL_ID_BYTES) });
        }
        g.sm.apply(batch, normal, (rd.committedEntries[rd.committedEntries.length - 1] as Entry).index);
        this.metrics.applied.inc(this.labels, rd.committedEntries.length);
      }
      // Acknowledge the proposals that applied, and complete reads, before this round's own disk
      // write: an entry handed out as committed is durable on a quorum and in this node's own log
      // already (the core hands out only persisted entries), and its applied writes are visible to
      // readers through the batch until they land. A crash before they land re-applies them from
      // the log, so waiting for a disk would only add its latency to every write.
      for (const [p, index] of resolved) {
        this.metrics.applySeconds.observe(this.labels, (performance.now() - p.startedAt) / 1000);
        p.resolve(index);
      }
      for (const { g, rd } of ready) {
        for (const rs of rd.readStates) {
          const r = this.reads.get(Buffer.from(rs.context).toString('latin1'));
          if (r) r.index = rs.index;
        }
        if (rd.readStates.length > 0 || rd.committedEntries.length > 0)
          this.releaseReads(g.rangeId, g.sm.appliedIndex());
      }
      this.metrics.readyGroups.observe(this.labels, ready.length);
      // The engine's commit of a snapshot or configuration lands before the log records that
      // depend on it: they are handed to the log only after it.
      if (engineFirst) await this.commitApplies();
      const round: Round = { ready, early, after, durable: false };
      this.rounds.push(round);
      const written = sync || this.wal.pending ? this.wal.flush(sync) : Promise.resolve();
      const durable = written.then(
        () => {
          round.durable = true;
          this.completeRoundsSoon();
        },
        (e: unknown) => this.stopOnStorageFailure(e),
      );
      // 2. and 3. (sending what depends on the write, advancing) follow in completeRounds.
      if (!this.opts.pipeline) await durable;
    } catch (e) {
      this.stopOnStorageFailure(e);
      return;
    } finally {
      this.running = false;
    }
    if (this.again) this.schedule();
  }

  /**
   * Completes the durable rounds at the head of the queue, once the promise callbacks of one write
   * have all run: the rounds that shared an fdatasync send their messages in one batch per node.
   */
  private completeRoundsSoon(): void {
    if (this.completing) return;
    this.completing = true;
    queueMicrotask(() => {
      this.completing = false;
      this.completeRounds();
    });
  }

  private completeRounds(): void {
    if (this.closed) return;
    const outbox = new Map<NodeId, RangeMessage[]>();
    let completed = 0;
    while ((this.rounds[0] as Round | undefined)?.durable) {
      const round = this.rounds.shift() as Round;
      completed++;
      for (const f of round.after) f();
      // 2. Send, one batch per destination node.
      for (const { g, rd } of round.ready) {
        for (const message of rd.messages) {
          if (round.early.has(message)) continue;
          const list = outbox.get(message.to) ?? [];
          list.push({ rangeId: g.rangeId, message });
          outbox.set(message.to, list);
        }
      }
      // 3. Advance; the applied writes go to the engine in the background.
      // Entries this round made durable may be committed already (a follower learns the commit
      // index with the entries): the core hands them out only now, so they need another round.
      for (const { g, rd } of round.ready) {
        g.raw.advance(rd);
        if (g.raw.hasReady()) this.touched.add(g);
      }
    }
    if (completed === 0) return;
    for (const [to, list] of outbox) this.transport.send(to, list);
    if (this.touched.size > 0) this.schedule();
    this.startApplyCommit();
  }

  /** The batch this round applies into: stacked on the one being committed, if any. */
  private openApplyBatch(): WriteBatch {
    if (!this.applyBatch) {
      this.applyBatch = new WriteBatch(this.committing?.batch ?? this.engine);
      this.applyBatchOpenedAt = performance.now();
    }
    return this.applyBatch;
  }

  /**
   * Hands the applied writes to the engine once they are due (old or many enough) unless a commit
   * is in flight, with the log compactions they allow: a range's log is folded up to what this
   * very batch makes durable, and the Raft log forgets those entries once it has landed. Rounds
   * and ticks call this.
   */
  private startApplyCommit(): void {
    const b = this.applyBatch;
    // Not while a round runs: it is still writing into this batch. (What it applies is durable in
    // the log already: the core hands out only persisted entries.)
    if (this.running || this.committing || !b || b.count === 0 || this.closed) return;
    const due =
      b.count >= this.opts.applyBatchWritesMax ||
      performance.now() - this.applyBatchOpenedAt >= this.opts.applyCommitIntervalMs;
    if (!due) return;
    void this.commitApplies().catch((e: unknown) => this.stopOnStorageFailure(e));
  }

  /** Commits the applied writes (after the commit in flight) and waits for them to land. */
  private async commitApplies(): Promise<void> {
    while (this.committing) await this.committing.done;
    const batch = this.applyBatch;
    this.applyBatch = undefined;
    if (!batch || batch.count === 0) return;
    const compacted: (() => void)[] = [];
    for (const g of this.groups.values()) {
      // Compact only what is applied into this batch (or before) and in the log on disk.
      const applied = Math.min(g.raw.raft.log.applied, g.store.lastIndex());
      if (applied - (g.store.firstIndex() - 1) > this.opts.logEntriesMax)
        compacted.push(g.store.stageCompaction(batch, applied));
    }
    const done = this.engine.commit(batch);
    this.committing = {
      batch,
      done: done.then(
        () => {},
        () => {},
      ),
    };
    try {
      await done;
    } finally {
      this.committing = undefined;
    }
    (this.applyBatch as WriteBatch | undefined)?.rebase(this.engine);
    for (const f of compacted) f();
    this.startApplyCommit();
  }

  /** A failed write (a full disk) must not half-advance Raft: stop this node's replication. */
  private stopOnStorageFailure(e: unknown): void {
    if (this.closed) return;
    this.log.error({ err: e }, 'replication stopped: storage write failed');
    this.failAll(e);
    this.closed = true;
    this.applyBatch = undefined;
    if (this.timer) clearInterval(this.timer);
  }

  private closedError(): ThinkLiteError {
    return new ThinkLiteError('PROPOSAL_DROPPED', `node ${this.nodeId} is shutting down`, { reason: 'removed' });
  }

  private failAll(e: unknown): void {
    for (const g of this.proposing) {
      g.buffered = [];
      g.bufferedKeys = [];
    }
    this.proposing.clear();
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
    for (const r of this.reads.values()) r.reject(e);
    this.reads.clear();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    // Leave the applied state on disk (it could be rebuilt from the log, but need not be).
    while (this.running) await new Promise((r) => setImmediate(r));
    try {
      await this.commitApplies();
    } catch (err) {
      this.log.warn({ err }, 'applied state not flushed at close; it is rebuilt from the log on restart');
    }
    this.applyBatch = undefined;
    this.failAll(this.closedError());
  }
}
