import type { NodeId } from './types.js';

interface ReadRequest {
  readonly index: number;
  readonly from: NodeId;
  readonly context: Uint8Array;
  readonly acks: Set<NodeId>;
}

const keyOf = (context: Uint8Array) => Buffer.from(context).toString('latin1');

/**
 * Read-index requests waiting for a quorum of heartbeat acknowledgements (Raft thesis §6.4): once a
 * quorum confirms that this node was still leader after the request arrived, the request may read
 * at the commit index recorded with it. Requests are released in arrival order.
 */
export class ReadOnly {
  private readonly pending = new Map<string, ReadRequest>();
  private queue: string[] = [];

  addRequest(index: number, from: NodeId, context: Uint8Array, self: NodeId): void {
    const key = keyOf(context);
    if (this.pending.has(key)) return;
    this.pending.set(key, { index, from, context, acks: new Set([self]) });
    this.queue.push(key);
  }

  /** Records an acknowledgement; returns whether the request now has a quorum. */
  recvAck(from: NodeId, context: Uint8Array, hasQuorum: (acks: Set<NodeId>) => boolean): boolean {
    const rs = this.pending.get(keyOf(context));
    if (!rs) return false;
    rs.acks.add(from);
    return hasQuorum(rs.acks);
  }

  /** Releases the request with `context` and every request queued before it. */
  advance(context: Uint8Array): ReadRequest[] {
    const key = keyOf(context);
    const at = this.queue.indexOf(key);
    if (at < 0) return [];
    const released = this.queue.slice(0, at + 1).map((k) => this.pending.get(k) as ReadRequest);
    for (const k of this.queue.slice(0, at + 1)) this.pending.delete(k);
    this.queue = this.queue.slice(at + 1);
    return released;
  }

  /** The newest pending request's context: every heartbeat carries it so its acks count. */
  lastPendingContext(): Uint8Array | undefined {
    const k = this.queue[this.queue.length - 1];
    return k === undefined ? undefined : (this.pending.get(k) as ReadRequest).context;
  }

  reset(): void {
    this.pending.clear();
    this.queue = [];
  }
}
