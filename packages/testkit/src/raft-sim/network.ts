import type { SeededRandom } from '@thinklite/base';
import type { Message, NodeId } from '@thinklite/raft';

export interface NetworkFaults {
  /** Probability that a message is lost. */
  readonly dropRate: number;
  /** Probability that a message is delivered twice. */
  readonly duplicateRate: number;
  /** Delivery delay in ticks, uniformly in [min, max]: different delays reorder messages. */
  readonly delayTicksMin: number;
  readonly delayTicksMax: number;
}

interface InFlight {
  readonly deliverAt: number;
  readonly seq: number;
  readonly message: Message;
}

/**
 * A simulated network under virtual time: every message gets a random delay (so messages are
 * reordered), may be dropped or duplicated, and is lost when a partition cuts its direction.
 * Partitions are one-way cuts (from → to); a symmetric partition is two of them.
 */
export class SimNetwork {
  private inFlight: InFlight[] = [];
  private readonly cut = new Set<string>();
  private seq = 0;
  delivered = 0;
  dropped = 0;

  /** Told of every message lost (the sender's transport learns of a failed snapshot this way). */
  onDrop: (m: Message) => void = () => {};

  constructor(
    private readonly random: SeededRandom,
    public faults: NetworkFaults,
  ) {}

  send(m: Message, now: number): void {
    if (this.isCut(m.from, m.to) || this.random.bool(this.faults.dropRate)) {
      this.drop(m);
      return;
    }
    const copies = this.random.bool(this.faults.duplicateRate) ? 2 : 1;
    for (let i = 0; i < copies; i++) {
      const delay = this.random.int(this.faults.delayTicksMin, this.faults.delayTicksMax);
      this.inFlight.push({ deliverAt: now + delay, seq: this.seq++, message: m });
    }
  }

  /** Messages due by `now`, in a random order, minus those a partition made since cuts. */
  due(now: number): Message[] {
    const ready: InFlight[] = [];
    const later: InFlight[] = [];
    for (const f of this.inFlight) (f.deliverAt <= now ? ready : later).push(f);
    this.inFlight = later;
    // Shuffle deterministically (Fisher-Yates on the seeded source).
    for (let i = ready.length - 1; i > 0; i--) {
      const j = this.random.int(0, i);
      [ready[i], ready[j]] = [ready[j] as InFlight, ready[i] as InFlight];
    }
    const out: Message[] = [];
    for (const f of ready) {
      if (this.isCut(f.message.from, f.message.to)) this.drop(f.message);
      else {
        this.delivered++;
        out.push(f.message);
      }
    }
    return out;
  }

  cutLink(from: NodeId, to: NodeId): void {
    this.cut.add(`${from}>${to}`);
  }

  isCut(from: NodeId, to: NodeId): boolean {
    return this.cut.has(`${from}>${to}`);
  }

  /** Isolates `nodes` from everyone else, both ways. */
  partition(nodes: readonly NodeId[], all: readonly NodeId[]): void {
    const inside = new Set(nodes);
    for (const a of all) for (const b of all) if (inside.has(a) !== inside.has(b)) this.cutLink(a, b);
  }

  heal(): void {
    this.cut.clear();
  }

  private drop(m: Message): void {
    this.dropped++;
    this.onDrop(m);
  }

  /** Drops everything addressed to a crashed node. */
  dropFor(node: NodeId): void {
    const lost = this.inFlight.filter((f) => f.message.to === node);
    this.inFlight = this.inFlight.filter((f) => f.message.to !== node);
    for (const f of lost) this.drop(f.message);
  }

  get pending(): number {
    return this.inFlight.length;
  }
}
