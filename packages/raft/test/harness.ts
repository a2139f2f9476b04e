import { SeededRandom } from '@thinklite/base';
import {
  type ConfChange,
  decodeConfChange,
  MemoryRaftStorage,
  type Message,
  type NodeId,
  RawNode,
} from '../src/index.js';
import { EMPTY_CONF } from '../src/log/storage.js';

export interface HarnessNode {
  readonly id: NodeId;
  readonly storage: MemoryRaftStorage;
  raw: RawNode;
  applied: string[];
  appliedIndex: number;
  readIndexes: number[];
}

const text = new TextDecoder();

/**
 * A tiny in-memory network for behaviour tests (etcd/raft's `network` in spirit): messages are
 * delivered synchronously until none are left, through an optional filter that drops some.
 */
export class Harness {
  readonly nodes = new Map<NodeId, HarnessNode>();
  /** Return false to drop a message. */
  filter: (m: Message) => boolean = () => true;
  readonly sent: Message[] = [];

  constructor(
    voters: NodeId[],
    opts: {
      spares?: NodeId[];
      preVote?: boolean;
      checkQuorum?: boolean;
      seed?: number;
      readOnly?: 'safe' | 'lease';
      maxClockOffsetTicks?: number;
      quiesce?: boolean;
    } = {},
  ) {
    const random = new SeededRandom(opts.seed ?? 1);
    const conf = { ...EMPTY_CONF, voters };
    for (const id of [...voters, ...(opts.spares ?? [])]) {
      const storage = voters.includes(id) ? MemoryRaftStorage.bootstrap(conf) : new MemoryRaftStorage();
      const raw = new RawNode({
        id,
        storage,
        electionTicks: 10,
        heartbeatTicks: 1,
        preVote: opts.preVote ?? true,
        checkQuorum: opts.checkQuorum ?? true,
        readOnly: opts.readOnly ?? 'safe',
        maxClockOffsetTicks: opts.maxClockOffsetTicks ?? 0,
        quiesce: opts.quiesce ?? false,
        random: random.fork(),
      });
      this.nodes.set(id, { id, storage, raw, applied: [], appliedIndex: voters.includes(id) ? 1 : 0, readIndexes: [] });
    }
  }

  node(id: NodeId): HarnessNode {
    return this.nodes.get(id) as HarnessNode;
  }

  raft(id: NodeId) {
    return this.node(id).raw.raft;
  }

  /** Handles every node's Ready and delivers messages until the system is quiet. */
  settle(maxRounds = 1000): void {
    for (let round = 0; round < maxRounds; round++) {
      const outbox: Message[] = [];
      for (const n of this.nodes.values()) {
        if (!n.raw.hasReady()) continue;
        const rd = n.raw.ready();
        if (rd.snapshot) {
          n.storage.applySnapshot(rd.snapshot);
          n.appliedIndex = rd.snapshot.meta.index;
        }
        n.storage.append(rd.entries);
        if (rd.hardState) n.storage.setHardState(rd.hardState);
        outbox.push(...rd.messages);
        for (const e of rd.committedEntries) {
          if (e.type === 'conf-change')
            n.storage.setConfState(n.raw.applyConfChange(decodeConfChange(e.data) as ConfChange));
          else if (e.data.length > 0) n.applied.push(text.decode(e.data));
          n.appliedIndex = e.index;
        }
        for (const rs of rd.readStates) n.readIndexes.push(rs.index);
        n.raw.advance(rd);
      }
      if (outbox.length === 0) return;
      for (const m of outbox) {
        this.sent.push(m);
        const delivered = this.filter(m) && this.nodes.has(m.to);
        if (delivered) this.node(m.to).raw.step(m);
        // The transport reports each snapshot's fate, as the Ready contract requires.
        if (m.type === 'snap') this.node(m.from).raw.reportSnapshot(m.to, !delivered);
      }
    }
    throw new Error('the cluster did not settle');
  }

  tick(id: NodeId, times = 1): void {
    for (let i = 0; i < times; i++) this.node(id).raw.tick();
  }

  tickAll(times = 1): void {
    for (let i = 0; i < times; i++) {
      for (const n of this.nodes.values()) n.raw.tick();
      this.settle();
    }
  }

  /** Cuts `ids` off from everyone else, both ways. */
  isolate(...ids: NodeId[]): void {
    const inside = new Set(ids);
    this.filter = (m) => inside.has(m.from) === inside.has(m.to);
  }

  heal(): void {
    this.filter = () => true;
  }

  elect(id: NodeId): void {
    this.node(id).raw.campaign();
    this.settle();
  }

  propose(id: NodeId, data: string): void {
    this.node(id).raw.propose(new TextEncoder().encode(data));
    this.settle();
  }
}
