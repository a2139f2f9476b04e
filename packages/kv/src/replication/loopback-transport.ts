import type { NodeId } from '@thinklite/raft';
import type { RaftTransport, RangeMessage } from './replication-host.js';

/**
 * Transports for nodes in one process (tests, embedded clusters): a batch is delivered on a later
 * turn of the event loop, as a network would, unless the link is cut.
 */
export class LoopbackNetwork {
  private readonly handlers = new Map<NodeId, (from: NodeId, batch: readonly RangeMessage[]) => void>();
  private readonly cut = new Set<string>();
  delivered = 0;
  /** Batches delivered: one per round and destination, whatever the number of groups in it. */
  frames = 0;
  /** Messages delivered, by Raft message type. */
  readonly deliveredByType = new Map<string, number>();

  transport(node: NodeId): RaftTransport {
    return {
      send: (to, batch) => {
        if (this.cut.has(`${node}>${to}`)) return;
        setImmediate(() => {
          const h = this.handlers.get(to);
          if (h && !this.cut.has(`${node}>${to}`)) {
            this.delivered += batch.length;
            this.frames++;
            for (const { message } of batch)
              this.deliveredByType.set(message.type, (this.deliveredByType.get(message.type) ?? 0) + 1);
            h(node, batch);
          }
        });
      },
      listen: (handler) => {
        this.handlers.set(node, handler);
      },
      close: async () => {
        this.handlers.delete(node);
      },
    };
  }

  isolate(node: NodeId, others: readonly NodeId[]): void {
    for (const o of others) {
      this.cut.add(`${node}>${o}`);
      this.cut.add(`${o}>${node}`);
    }
  }

  heal(): void {
    this.cut.clear();
  }
}
