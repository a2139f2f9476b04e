import { SeededRandom, ThinkLiteError } from '@thinklite/base';
import {
  type ConfChange,
  type ConfState,
  decodeConfChange,
  EMPTY_CONF,
  type Entry,
  MemoryRaftStorage,
  type Message,
  type NodeId,
  RawNode,
  type Ready,
  type Snapshot,
} from '@thinklite/raft';
import { type NetworkFaults, SimNetwork } from './network.js';

export interface SimOptions {
  readonly seed: number;
  /** Voters at the start: nodes 1..initialVoters. */
  readonly initialVoters: number;
  /** Nodes that exist (spares can be added by configuration changes). */
  readonly nodeCount: number;
  /** Ticks of faulty operation, then ticks allowed for recovery once faults heal. */
  readonly faultTicks: number;
  readonly recoveryTicksMax: number;
  readonly faults: NetworkFaults;
  /** Per-tick probabilities of each fault and action. */
  readonly crashRate: number;
  readonly crashBeforePersistRate: number;
  readonly restartRate: number;
  readonly partitionRate: number;
  readonly healRate: number;
  readonly proposeRate: number;
  readonly confChangeRate: number;
  readonly compactRate: number;
  readonly readIndexRate: number;
  readonly transferRate: number;
  /** How leaders answer reads: each seed draws 'safe' or 'lease' under 'mixed'. */
  readonly readOnly: 'safe' | 'lease' | 'mixed';
  /**
   * Clock drift: each node's clock is drawn slow, fast or exact; every this many ticks a slow node
   * skips its tick and a fast one ticks twice. 0: all clocks exact.
   */
  readonly clockDriftEvery: number;
  /** The offset margin given to leases; by default the most two drifting clocks can part. */
  readonly leaseOffsetTicks?: number;
  /** Whether idle groups fall silent (RaftConfig.quiesce); each seed draws it under 'mixed'. */
  readonly quiesce: boolean | 'mixed';
  /** Per-tick probability that clients go quiet for a while (so groups idle, and may quiesce). */
  readonly idleRate: number;
  /**
   * Whether nodes pipeline their Readies (take the next before the last one's disk write is done,
   * as the host does): writes then complete in order, a step or more later. 'mixed': drawn per seed.
   */
  readonly pipeline: boolean | 'mixed';
}

export const DEFAULT_SIM: Omit<SimOptions, 'seed'> = {
  initialVoters: 3,
  nodeCount: 5,
  faultTicks: 300,
  recoveryTicksMax: 400,
  faults: { dropRate: 0.05, duplicateRate: 0.03, delayTicksMin: 1, delayTicksMax: 3 },
  crashRate: 0.01,
  crashBeforePersistRate: 0.01,
  restartRate: 0.1,
  partitionRate: 0.01,
  healRate: 0.05,
  proposeRate: 0.3,
  confChangeRate: 0.02,
  compactRate: 0.02,
  readIndexRate: 0.05,
  transferRate: 0.005,
  readOnly: 'mixed',
  clockDriftEvery: 10,
  quiesce: 'mixed',
  idleRate: 0.02,
  pipeline: 'mixed',
};

/** The most Readies a pipelining node has in flight (written, not yet durable) at once. */
const PIPELINE_DEPTH = 4;

/**
 * Ticks without hearing from a node before another takes it for dead (node liveness: in a real
 * cluster, one heartbeat per pair of nodes, not per group). It wakes the silent followers of a
 * leader on that node.
 */
const LIVENESS_TICKS = 10;

/** A replicated state machine: the applied entries, durable together with their index. */
interface StateMachine {
  appliedIndex: number;
  applied: [number, string][];
  conf: ConfState;
}

/** A Ready taken from a node whose disk write has not completed, and its messages already sent. */
interface InFlight {
  readonly rd: Ready;
  readonly early: readonly Message[];
}

interface SimNode {
  readonly id: NodeId;
  readonly storage: MemoryRaftStorage;
  /** Ticks this node's clock gains (+1), loses (-1) or neither (0) every clockDriftEvery ticks. */
  readonly drift: -1 | 0 | 1;
  readonly driftPhase: number;
  raw: RawNode | undefined;
  sm: StateMachine;
  /** Readies taken but not yet durable, oldest first (volatile: a crash loses them). */
  inflight: InFlight[];
}

export class InvariantViolation extends Error {
  override name = 'InvariantViolation';
}

const ELECTION_TICKS = 10;
const HEARTBEAT_TICKS = 2;
const text = new TextDecoder();
const bytes = new TextEncoder();

function contentOf(e: Entry): string {
  return `${e.term}/${e.type}/${text.decode(e.data)}`;
}

export interface SimResult {
  readonly seed: number;
  readonly ticks: number;
  readonly proposalsAcked: number;
  readonly entriesApplied: number;
  readonly elections: number;
  readonly crashes: number;
  readonly confChanges: number;
  readonly snapshotsInstalled: number;
  readonly readsServed: number;
  /** Reads a leader answered from its lease, without a heartbeat round. */
  readonly leaseReads: number;
  readonly messagesDelivered: number;
  /** Node-ticks spent quiesced, and quiesced followers woken because their leader seemed dead. */
  readonly quiescedTicks: number;
  readonly livenessWakeups: number;
  /** Readies taken while an earlier one of the same node was still being written. */
  readonly pipelinedReadies: number;
}

/**
 * A whole Raft cluster in one process under one seeded PRNG and virtual time. Each tick: faults
 * and client actions are drawn, every live node ticks, due messages are delivered, and every
 * node's Ready is handled in the required order (persist, send, apply, advance). After every
 * tick the safety invariants are checked; after the faulty phase everything heals and liveness is
 * checked within a bound. Any violation throws, naming the seed: `replay(seed)` reproduces it.
 */
export class RaftSimulation {
  readonly random: SeededRandom;
  readonly network: SimNetwork;
  readonly nodes = new Map<NodeId, SimNode>();
  now = 0;
  private readonly opts: SimOptions;
  private readonly allIds: NodeId[];
  /** term → the one node that led it. */
  private readonly leaders = new Map<number, NodeId>();
  /** index → content of the entry every node must apply there. */
  private readonly appliedAt = new Map<number, string>();
  /** proposal data → the node that proposed it. */
  private readonly proposed = new Map<string, NodeId>();
  private readonly acked = new Set<string>();
  private proposalSeq = 0;
  private readSeq = 0;
  private readonly pendingReads = new Map<string, { node: NodeId; atCommit: number }>();
  /** How hard this seed's faults hit: runs vary from gentle to brutal. */
  private readonly intensity: number;
  private readonly readOnly: 'safe' | 'lease';
  private readonly leaseOffsetTicks: number;
  private readonly quiesce: boolean;
  private readonly pipeline: boolean;
  /** A node that died as the faults ended and stays down through recovery. */
  private keptDown: NodeId | undefined;
  /** Clients send nothing before this tick. */
  private idleUntil = 0;
  /** `from>to` → the last tick `to` heard from `from` (node liveness). */
  private readonly heardAt = new Map<string, number>();
  private stats = {
    quiescedTicks: 0,
    livenessWakeups: 0,
    pipelinedReadies: 0,
    leaseReads: 0,
    elections: 0,
    crashes: 0,
    confChanges: 0,
    snapshotsInstalled: 0,
    readsServed: 0,
    entriesApplied: 0,
  };

  constructor(options: SimOptions) {
    this.opts = options;
    this.random = new SeededRandom(options.seed);
    this.intensity = [0.5, 1, 2, 4][this.random.int(0, 3)] as number;
    this.readOnly = options.readOnly === 'mixed' ? (this.random.bool(0.5) ? 'lease' : 'safe') : options.readOnly;
    // Over one election timeout a clock drifts at most ceil(E / every) ticks; two clocks twice that.
    const driftPerTimeout = options.clockDriftEvery > 0 ? Math.ceil(ELECTION_TICKS / options.clockDriftEvery) : 0;
    this.leaseOffsetTicks = options.leaseOffsetTicks ?? 2 * driftPerTimeout;
    this.quiesce = options.quiesce === 'mixed' ? this.random.bool(0.5) : options.quiesce;
    this.pipeline = options.pipeline === 'mixed' ? this.random.bool(0.5) : options.pipeline;
    this.network = new SimNetwork(this.random.fork(), options.faults);
    // The transport reports each snapshot's fate to its sender, as a real one must.
    this.network.onDrop = (m) => {
      if (m.type === 'snap') this.nodes.get(m.from)?.raw?.reportSnapshot(m.to, true);
    };
    this.allIds = Array.from({ length: options.nodeCount }, (_, i) => i + 1);
    const voters = this.allIds.slice(0, options.initialVoters);
    const bootConf: ConfState = { ...EMPTY_CONF, voters };
    const bootSm: StateMachine = { appliedIndex: 1, applied: [], conf: bootConf };
    for (const id of this.allIds) {
      // Initial voters boot from the group's first snapshot; spares start empty and receive a
      // snapshot from the leader once a configuration change adds them.
      const boot = voters.includes(id);
      const storage = boot
        ? MemoryRaftStorage.bootstrap(bootConf, bytes.encode(JSON.stringify(bootSm)))
        : new MemoryRaftStorage();
      const sm: StateMachine = boot ? structuredClone(bootSm) : { appliedIndex: 0, applied: [], conf: EMPTY_CONF };
      const drift = options.clockDriftEvery > 0 ? this.random.pick([-1, 0, 1] as const) : 0;
      const driftPhase = this.random.int(0, Math.max(0, options.clockDriftEvery - 1));
      this.nodes.set(id, { id, storage, raw: undefined, sm, drift, driftPhase, inflight: [] });
      this.start(id);
    }
  }

  private fail(what: string): never {
    throw new InvariantViolation(`seed ${this.opts.seed}, tick ${this.now}: ${what}`);
  }

  private start(id: NodeId): void {
    const n = this.nodes.get(id) as SimNode;
    n.raw = new RawNode({
      id,
      storage: n.storage,
      electionTicks: ELECTION_TICKS,
      heartbeatTicks: HEARTBEAT_TICKS,
      applied: n.sm.appliedIndex,
      preVote: true,
      checkQuorum: true,
      maxInflight: 8,
      maxEntriesPerMessage: 16,
      readOnly: this.readOnly,
      maxClockOffsetTicks: this.leaseOffsetTicks,
      quiesce: this.quiesce,
      random: this.random.fork(),
    });
  }

  private crash(id: NodeId): void {
    const n = this.nodes.get(id) as SimNode;
    if (!n.raw) return;
    n.raw = undefined; // volatile state is gone; storage and the state machine are what was durable
    n.inflight = []; // writes under way never complete
    this.network.dropFor(id);
    this.stats.crashes++;
  }

  live(): SimNode[] {
    return [...this.nodes.values()].filter((n) => n.raw !== undefined);
  }

  /** The live node that is leader at the highest term, if any. */
  leader(): SimNode | undefined {
    let best: SimNode | undefined;
    for (const n of this.live()) {
      const r = (n.raw as RawNode).raft;
      if (r.role === 'leader' && (!best || r.term > (best.raw as RawNode).raft.term)) best = n;
    }
    return best;
  }

  /** Runs the faulty phase, heals, and checks liveness. Returns figures for the soak report. */
  run(): SimResult {
    for (let t = 0; t < this.opts.faultTicks; t++) this.step(true);
    // Sometimes the leader dies for good as the faults end: the others must elect a new one —
    // woken by node liveness if they had fallen silent with it. Not amid a membership change: a
    // configuration takes effect when applied (etcd/raft's rule), so a change committed by a
    // leader that dies before the others learn so can leave no quorum that agrees on the voters
    // until it returns (seeds 8859, 13345; the thesis's use-the-newest-configuration-in-the-log
    // rule avoids it, at other costs).
    const keepDown = this.random.bool(0.3) && this.membershipSettled() ? this.leader()?.id : undefined;
    this.healAll(keepDown);
    const deadline = this.now + this.opts.recoveryTicksMax;
    // A probe proposal must commit and reach every member. A leader may lose its term before the
    // probe commits (the proposal is then lost, as a client's would be): propose again, freshly.
    let probes = 0;
    let lastProbeAt = Number.NEGATIVE_INFINITY;
    while (this.now < deadline) {
      this.step(false);
      const leader = this.leader();
      if (!leader) continue;
      if (!this.probeAcked() && this.now - lastProbeAt >= 3 * ELECTION_TICKS) {
        const probe = `liveness-${this.opts.seed}-${probes++}`;
        try {
          (leader.raw as RawNode).propose(bytes.encode(probe));
          this.proposed.set(probe, leader.id);
          lastProbeAt = this.now;
        } catch (e) {
          if (!(e instanceof ThinkLiteError)) throw e;
        }
        continue;
      }
      if (this.probeAcked() && this.allMembersApplied()) {
        this.checkAckedEverywhere();
        return {
          seed: this.opts.seed,
          ticks: this.now,
          proposalsAcked: this.acked.size,
          entriesApplied: this.stats.entriesApplied,
          elections: this.stats.elections,
          crashes: this.stats.crashes,
          confChanges: this.stats.confChanges,
          snapshotsInstalled: this.stats.snapshotsInstalled,
          readsServed: this.stats.readsServed,
          leaseReads: this.stats.leaseReads,
          messagesDelivered: this.network.delivered,
          quiescedTicks: this.stats.quiescedTicks,
          pipelinedReadies: this.stats.pipelinedReadies,
          livenessWakeups: this.stats.livenessWakeups,
        };
      }
    }
    const proposedProbe = probes > 0;
    const l = this.leader();
    return this.fail(
      `liveness: ${this.opts.recoveryTicksMax} ticks after healing, ${l ? `leader ${l.id}` : 'no leader'} and the probe ` +
        `${proposedProbe ? 'not applied everywhere' : 'never proposed'}; ${this.describe()}`,
    );
  }

  /** Every node holds the same configuration, and no configuration change sits unapplied in any log. */
  private membershipSettled(): boolean {
    const confs = new Set<string>();
    for (const n of this.nodes.values()) {
      const r = n.raw?.raft;
      if (!r) continue;
      const conf = r.confState();
      if (!conf.voters.includes(n.id) && !conf.learners.includes(n.id)) continue; // not a member
      confs.add(JSON.stringify(conf));
      const pending = r.log.slice(r.log.applied + 1, r.log.lastIndex() + 1) ?? [];
      if (pending.some((e) => e.type === 'conf-change')) return false;
    }
    return confs.size === 1;
  }

  /** Whether every member of the leader's configuration applied everything the leader committed. */
  private allMembersApplied(): boolean {
    const leader = this.leader();
    if (!leader) return false;
    const lr = (leader.raw as RawNode).raft;
    // Until the leader commits an entry of its own term it may not know everything committed.
    if (lr.log.term(lr.log.committed) !== lr.term) return false;
    const conf = lr.confState();
    const members = new Set([...conf.voters, ...conf.votersOutgoing, ...conf.learners, ...conf.learnersNext]);
    for (const id of members) {
      if (id === this.keptDown) continue;
      const n = this.nodes.get(id) as SimNode;
      if (!n.raw || n.sm.appliedIndex < lr.log.committed) return false;
    }
    return true;
  }

  private probeAcked(): boolean {
    for (const p of this.acked) if (p.startsWith('liveness-')) return true;
    return false;
  }

  private checkAckedEverywhere(): void {
    const lr = (this.leader() as SimNode).raw as RawNode;
    const conf = lr.raft.confState();
    const members = new Set([...conf.voters, ...conf.learners]);
    for (const id of members) {
      if (id === this.keptDown) continue;
      const n = this.nodes.get(id) as SimNode;
      const have = new Set(n.sm.applied.map(([, c]) => c.slice(c.indexOf('/normal/') + 8)));
      for (const p of this.acked) {
        if (!have.has(p)) this.fail(`acknowledged proposal ${p} is not applied on member ${id}`);
      }
    }
  }

  /** Ends the faults: the network heals and every node restarts — but `keepDown`, if given, crashes for good. */
  private healAll(keepDown?: NodeId): void {
    this.network.heal();
    this.network.faults = { dropRate: 0, duplicateRate: 0, delayTicksMin: 1, delayTicksMax: 1 };
    if (keepDown !== undefined) {
      this.crash(keepDown);
      this.keptDown = keepDown;
    }
    for (const n of this.nodes.values()) if (!n.raw && n.id !== keepDown) this.start(n.id);
  }

  private describe(): string {
    return [...this.nodes.values()]
      .map((n) => {
        if (!n.raw) return `${n.id}:down`;
        const s = n.raw.status();
        return `${n.id}:${s.role[0]}${s.quiesced ? 'q' : ''}@t${s.term} c${s.commit} a${s.applied} l${s.lastIndex} v[${s.conf.voters}]${s.conf.votersOutgoing.length ? `/o[${s.conf.votersOutgoing}]` : ''}`;
      })
      .join(' ');
  }

  /** One tick of virtual time. */
  step(faulty: boolean): void {
    this.now++;
    const rnd = this.random;
    const o = this.opts;
    if (faulty) {
      if (rnd.bool(o.crashRate * this.intensity)) {
        const live = this.live();
        const leader = this.leader();
        // Leaders crash more often than followers: that is where the interesting histories are.
        if (leader && rnd.bool(0.4)) this.crash(leader.id);
        else if (live.length > 0) this.crash(rnd.pick(live).id);
      }
      for (const n of this.nodes.values()) if (!n.raw && rnd.bool(o.restartRate)) this.start(n.id);
      if (rnd.bool(o.partitionRate * this.intensity)) {
        const size = rnd.int(1, Math.max(1, Math.floor(this.allIds.length / 2)));
        const shuffled = [...this.allIds].sort(() => rnd.next() - 0.5);
        const leader = this.leader();
        const kind = rnd.next();
        if (kind < 0.4 && leader) {
          // Cut the leader off (with a minority): the classic stale-leader setup.
          this.network.partition(
            [leader.id, ...shuffled.filter((id) => id !== leader.id).slice(0, size - 1)],
            this.allIds,
          );
        } else if (kind < 0.7) {
          this.network.partition(shuffled.slice(0, size), this.allIds);
        } else {
          this.network.cutLink(rnd.pick(this.allIds), rnd.pick(this.allIds)); // one-way
        }
      }
      if (rnd.bool(o.healRate)) this.network.heal();
    }
    if (this.now >= this.idleUntil && rnd.bool(o.idleRate)) this.idleUntil = this.now + rnd.int(10, 80);
    // Once faults heal only the liveness probe is proposed: a leader must emerge with no client
    // activity to prod the nodes (quiesced followers of a dead leader are woken by liveness alone).
    if (faulty && this.now >= this.idleUntil) {
      if (rnd.bool(o.proposeRate)) this.propose();
      if (rnd.bool(o.confChangeRate)) this.proposeConfChange();
      if (rnd.bool(o.readIndexRate)) this.requestRead();
      if (rnd.bool(o.transferRate)) {
        const l = this.leader();
        if (l) (l.raw as RawNode).transferLeadership(rnd.pick(this.allIds));
      }
    }
    if (rnd.bool(o.compactRate)) this.compact(rnd.pick(this.allIds));

    for (const n of this.live()) {
      const every = this.opts.clockDriftEvery;
      const ticks = every > 0 && (this.now + n.driftPhase) % every === 0 ? 1 + n.drift : 1;
      for (let i = 0; i < ticks; i++) (n.raw as RawNode).tick();
    }
    for (const m of this.network.due(this.now)) {
      const to = this.nodes.get(m.to);
      if (to?.raw) {
        to.raw.step(m);
        if (m.type === 'snap') this.nodes.get(m.from)?.raw?.reportSnapshot(m.to, false);
      } else if (m.type === 'snap') {
        this.nodes.get(m.from)?.raw?.reportSnapshot(m.to, true);
      }
    }
    for (const id of this.allIds) this.handleReady(this.nodes.get(id) as SimNode, faulty);
    this.checkLiveness();
    this.checkLogMatching();
  }

  /**
   * Node liveness, as a cluster would run it beside Raft: a live node is heard by every node its
   * links reach, each tick; a quiesced follower whose leader has not been heard for
   * LIVENESS_TICKS is woken, and then times out and campaigns as usual.
   */
  private checkLiveness(): void {
    for (const a of this.live())
      for (const b of this.allIds)
        if (a.id !== b && !this.network.isCut(a.id, b)) this.heardAt.set(`${a.id}>${b}`, this.now);
    for (const n of this.live()) {
      const raw = n.raw as RawNode;
      if (!raw.quiesced) continue;
      this.stats.quiescedTicks++;
      const lead = raw.raft.lead;
      if (lead === n.id || lead === 0) continue;
      if (this.now - (this.heardAt.get(`${lead}>${n.id}`) ?? 0) > LIVENESS_TICKS) {
        raw.unquiesce();
        this.stats.livenessWakeups++;
      }
    }
  }

  private propose(): void {
    const live = this.live();
    if (live.length === 0) return;
    const n = this.random.pick(live);
    // Sometimes several at once, as a driver's proposal buffer hands them over.
    const count = this.random.bool(0.25) ? this.random.int(2, 4) : 1;
    const data = Array.from({ length: count }, () => `p${this.proposalSeq++}`);
    try {
      if (count === 1) (n.raw as RawNode).propose(bytes.encode(data[0] as string));
      else (n.raw as RawNode).proposeMany(data.map((d) => bytes.encode(d)));
      for (const d of data) this.proposed.set(d, n.id);
    } catch (e) {
      if (!(e instanceof ThinkLiteError) || e.code !== 'PROPOSAL_DROPPED') throw e;
    }
  }

  private proposeConfChange(): void {
    const leader = this.leader();
    if (!leader) return;
    const conf = (leader.raw as RawNode).raft.confState();
    const voters = new Set(conf.voters);
    const learners = new Set(conf.learners);
    const spares = this.allIds.filter((id) => !voters.has(id) && !learners.has(id));
    const rnd = this.random;
    const options: ConfChange[] = [];
    if (spares.length > 0) options.push({ changes: [{ kind: 'add-learner', node: rnd.pick(spares) }] });
    if (learners.size > 0) options.push({ changes: [{ kind: 'add-voter', node: rnd.pick([...learners]) }] });
    if (voters.size > 3) options.push({ changes: [{ kind: 'remove', node: rnd.pick([...voters]) }] });
    if (voters.size >= 3 && learners.size > 0) {
      // Swap a voter for a learner in one step: joint consensus.
      options.push({
        changes: [
          { kind: 'add-voter', node: rnd.pick([...learners]) },
          { kind: 'remove', node: rnd.pick([...voters]) },
        ],
      });
    }
    if (options.length === 0) return;
    try {
      (leader.raw as RawNode).proposeConfChange(rnd.pick(options));
    } catch (e) {
      if (!(e instanceof ThinkLiteError)) throw e;
    }
  }

  private requestRead(): void {
    const live = this.live();
    if (live.length === 0) return;
    // Half the reads go to a node that believes it leads — stale leaders included.
    const leaders = live.filter((x) => (x.raw as RawNode).raft.role === 'leader');
    const n = leaders.length > 0 && this.random.bool(0.5) ? this.random.pick(leaders) : this.random.pick(live);
    const ctx = `read-${this.readSeq++}`;
    try {
      const raw = n.raw as RawNode;
      // A linearizable read must see everything committed before it was asked for.
      const knownCommitted = Math.max(0, ...[...this.nodes.values()].map((x) => x.raw?.raft.log.committed ?? 0));
      if (raw.leaseRemainingTicks() > 0) this.stats.leaseReads++;
      raw.readIndex(bytes.encode(ctx));
      this.pendingReads.set(ctx, { node: n.id, atCommit: knownCommitted });
    } catch (e) {
      if (!(e instanceof ThinkLiteError) || e.code !== 'PROPOSAL_DROPPED') throw e;
    }
  }

  private compact(id: NodeId): void {
    const n = this.nodes.get(id) as SimNode;
    if (!n.raw || n.sm.appliedIndex - n.storage.firstIndex() < 8) return;
    const data = bytes.encode(JSON.stringify(n.sm));
    n.storage.createSnapshot(n.sm.appliedIndex, n.sm.conf, data);
  }

  /**
   * Drives a node's Ready loop for one step. Without pipelining a Ready is taken and made durable at
   * once. With it, the node first lets writes under way complete (oldest first, each with even odds
   * per step, or when PIPELINE_DEPTH are in flight), then takes the next Ready whatever the earlier
   * ones' state — a snapshot's too: later Readies are taken while it is being written, as the
   * host does (the core hands out nothing to apply until the snapshot is advanced).
   */
  private handleReady(n: SimNode, faulty: boolean): void {
    if (this.pipeline) {
      while (n.inflight.length > 0 && (n.inflight.length >= PIPELINE_DEPTH || this.random.bool(0.5)))
        if (!this.completeReady(n, faulty)) return;
    }
    const raw = n.raw;
    if (!raw?.hasReady()) return;
    if (n.inflight.length > 0) this.stats.pipelinedReadies++;
    this.acceptReady(n, raw);
    if (!this.pipeline) while (n.inflight.length > 0) if (!this.completeReady(n, faulty)) return;
  }

  /**
   * Takes a Ready and does what need not wait for its disk write, as the host does: a leader's
   * appends go out, committed entries (all durable already) are applied, reads are answered.
   */
  private acceptReady(n: SimNode, raw: RawNode): void {
    const rd = raw.ready();
    // A leader sends its appends before its own disk write completes (as the host does); a crash
    // before the write may then lose on the leader what followers already have.
    const early: readonly Message[] = raw.raft.role === 'leader' ? rd.messages.filter((m) => m.type === 'app') : [];
    for (const m of early) this.network.send(m, this.now);
    n.inflight.push({ rd, early });
    this.checkSoftState(n, rd);
    // A snapshot is installed, and what follows it applied, when the Ready is written.
    if (!rd.snapshot) this.applyReady(n, rd);
  }

  /**
   * Apply only what this node's disk already holds: an entry applied before its own log write
   * could be applied state a crash leaves without its log entry.
   */
  private applyReady(n: SimNode, rd: Ready): void {
    const durable = n.storage.lastIndex();
    for (const e of rd.committedEntries) {
      if (e.index > durable)
        this.fail(`node ${n.id} is handed entry ${e.index} to apply before persisting it (durable through ${durable})`);
    }
    for (const e of rd.committedEntries) this.apply(n, e);
    for (const rs of rd.readStates) this.checkRead(n, rs.index, text.decode(rs.context));
  }

  /**
   * The oldest Ready in flight becomes durable: its messages go out and the node advances. Returns
   * false when the node crashed first (power failed before the fsync: nothing of the Readies in
   * flight reaches disk or the network).
   */
  private completeReady(n: SimNode, faulty: boolean): boolean {
    const raw = n.raw as RawNode;
    const { rd, early } = n.inflight.shift() as InFlight;
    if (faulty && rd.mustSync && this.random.bool(this.opts.crashBeforePersistRate)) {
      this.crash(n.id);
      return false;
    }
    if (rd.snapshot) this.installSnapshot(n, rd.snapshot);
    n.storage.append(rd.entries);
    if (rd.hardState) n.storage.setHardState(rd.hardState);
    for (const m of rd.messages) if (!early.includes(m)) this.network.send(m as Message, this.now);
    if (rd.snapshot) this.applyReady(n, rd);
    raw.advance(rd);
    return true;
  }

  private checkSoftState(n: SimNode, rd: Ready): void {
    if (rd.softState?.role !== 'leader') return;
    const r = (n.raw as RawNode).raft;
    const prior = this.leaders.get(r.term);
    if (prior !== undefined && prior !== n.id)
      this.fail(`election safety: nodes ${prior} and ${n.id} both lead term ${r.term}`);
    if (prior === undefined) this.stats.elections++;
    this.leaders.set(r.term, n.id);
    // Leader completeness: the new leader's log holds every entry applied anywhere.
    for (const [index, content] of this.appliedAt) {
      if (index < r.log.firstIndex()) continue; // inside the leader's snapshot
      const got = r.log.slice(index, index + 1)?.[0];
      if (!got || contentOf(got) !== content) {
        this.fail(`leader completeness: leader ${n.id} of term ${r.term} lacks committed entry ${index} (${content})`);
      }
    }
  }

  private apply(n: SimNode, e: Entry): void {
    if (e.index !== n.sm.appliedIndex + 1) this.fail(`node ${n.id} applies ${e.index} after ${n.sm.appliedIndex}`);
    const content = contentOf(e);
    const seen = this.appliedAt.get(e.index);
    if (seen === undefined) this.appliedAt.set(e.index, content);
    else if (seen !== content)
      this.fail(`state machine safety: index ${e.index} applied as ${seen} and as ${content} (node ${n.id})`);
    n.sm.applied.push([e.index, content]);
    n.sm.appliedIndex = e.index;
    this.stats.entriesApplied++;
    if (e.type === 'conf-change') {
      n.sm.conf = (n.raw as RawNode).applyConfChange(decodeConfChange(e.data) as ConfChange);
      n.storage.setConfState(n.sm.conf); // durable with the applied index
      this.stats.confChanges++;
    } else {
      const data = text.decode(e.data);
      // The proposer acknowledges its client when it applies the entry, as a KV replica will.
      if (this.proposed.get(data) === n.id) this.acked.add(data);
    }
  }

  private installSnapshot(n: SimNode, s: Snapshot): void {
    const sm = JSON.parse(text.decode(s.data)) as StateMachine;
    for (const [index, content] of sm.applied) {
      const seen = this.appliedAt.get(index);
      if (seen !== undefined && seen !== content)
        this.fail(`state machine safety: snapshot to ${n.id} has ${content} at ${index}, applied elsewhere as ${seen}`);
    }
    n.storage.applySnapshot(s);
    n.sm = sm;
    this.stats.snapshotsInstalled++;
  }

  private checkRead(n: SimNode, index: number, ctx: string): void {
    const req = this.pendingReads.get(ctx);
    if (!req) return;
    this.pendingReads.delete(ctx);
    if (index < req.atCommit) {
      this.fail(
        `linearizability: read ${ctx} on node ${n.id} got read index ${index}, below ${req.atCommit} committed before it was asked`,
      );
    }
    this.stats.readsServed++;
  }

  /** Log matching: if two logs hold an entry with the same index and term, they agree up to it. */
  private checkLogMatching(): void {
    if (this.now % 5 !== 0) return;
    const logs = this.live().map((n) => {
      const log = (n.raw as RawNode).raft.log;
      const lo = log.firstIndex();
      return { id: n.id, lo, entries: log.slice(lo, log.lastIndex() + 1) ?? [] };
    });
    for (let a = 0; a < logs.length; a++) {
      for (let b = a + 1; b < logs.length; b++) {
        const x = logs[a] as (typeof logs)[number];
        const y = logs[b] as (typeof logs)[number];
        const lo = Math.max(x.lo, y.lo);
        const hi = Math.min(x.lo + x.entries.length, y.lo + y.entries.length) - 1;
        let match = -1;
        for (let i = hi; i >= lo; i--) {
          if ((x.entries[i - x.lo] as Entry).term === (y.entries[i - y.lo] as Entry).term) {
            match = i;
            break;
          }
        }
        for (let i = lo; i <= match; i++) {
          const ex = x.entries[i - x.lo] as Entry;
          const ey = y.entries[i - y.lo] as Entry;
          if (contentOf(ex) !== contentOf(ey)) {
            this.fail(
              `log matching: nodes ${x.id} and ${y.id} agree at ${match} but differ at ${i}: ${contentOf(ex)} vs ${contentOf(ey)}`,
            );
          }
        }
      }
    }
  }
}

export function simulate(seed: number, overrides: Partial<Omit<SimOptions, 'seed'>> = {}): SimResult {
  return new RaftSimulation({ ...DEFAULT_SIM, ...overrides, seed }).run();
}
