import * as grpc from '@grpc/grpc-js';
import { Counter, createRegistry, type Logger, type Registry, silentLogger } from '@thinklite/base';
import { thinklite } from '@thinklite/proto';
import type { NodeId } from '@thinklite/raft';
import { messageFromPb, messageToPb } from './raft-codec.js';
import type { RaftTransport, RangeMessage } from './replication-host.js';

const pb = thinklite.raft.v1;
type MessageBatch = thinklite.raft.v1.MessageBatch;

/** The service of proto/raft.proto, wired to our static protobufjs code. */
const SERVICE: grpc.ServiceDefinition = {
  Stream: {
    path: '/thinklite.raft.v1.RaftTransport/Stream',
    requestStream: true,
    responseStream: true,
    requestSerialize: (m: MessageBatch) => Buffer.from(pb.MessageBatch.encode(m).finish()),
    requestDeserialize: (b: Buffer) => pb.MessageBatch.decode(b),
    responseSerialize: (m: thinklite.raft.v1.BatchAck) => Buffer.from(pb.BatchAck.encode(m).finish()),
    responseDeserialize: (b: Buffer) => pb.BatchAck.decode(b),
  },
};

const Client = grpc.makeGenericClientConstructor(SERVICE, 'RaftTransport');

export interface GrpcTransportOptions {
  readonly nodeId: NodeId;
  /** host:port to listen on; port 0 picks one (see `port` after start). */
  readonly listen: string;
  /** Where each peer listens. */
  readonly peers: ReadonlyMap<NodeId, string>;
  /** Frames larger than this are refused by the receiver. */
  readonly messageBytesMax?: number;
  readonly logger?: Logger;
  readonly registry?: Registry;
}

interface Peer {
  readonly client: grpc.Client;
  stream: grpc.ClientDuplexStream<MessageBatch, unknown> | undefined;
}

/**
 * Raft's network between nodes: one long-lived gRPC stream per ordered pair of nodes carries the
 * messages of every Raft group, one MessageBatch frame per event-loop turn (heartbeats of all
 * groups ride in the same frame). Raft tolerates loss, so a broken or backed-up stream drops
 * frames rather than queueing without bound, and is re-opened on the next send.
 */
export class GrpcTransport implements RaftTransport {
  private readonly server = new grpc.Server({
    'grpc.max_receive_message_length': 64 * 1024 * 1024,
  });
  private readonly peers = new Map<NodeId, Peer>();
  private handler: ((from: NodeId, batch: readonly RangeMessage[]) => void) | undefined;
  private readonly log: Logger;
  private readonly sent: Counter;
  private readonly dropped: Counter;
  private readonly received: Counter;
  private readonly label: { node: string };
  port = 0;
  private closed = false;

  private constructor(private readonly opts: GrpcTransportOptions) {
    this.log = (opts.logger ?? silentLogger()).child({ component: 'raft-transport', nodeId: opts.nodeId });
    const registers = [opts.registry ?? createRegistry()];
    const labelNames = ['node'] as const;
    this.label = { node: String(opts.nodeId) };
    this.sent = new Counter({
      name: 'thinklite_raft_transport_frames_sent_total',
      help: 'Message batches sent to peers',
      labelNames,
      registers,
    });
    this.dropped = new Counter({
      name: 'thinklite_raft_transport_frames_dropped_total',
      help: 'Message batches dropped: peer unreachable or its stream backed up',
      labelNames,
      registers,
    });
    this.received = new Counter({
      name: 'thinklite_raft_transport_frames_received_total',
      help: 'Message batches received from peers',
      labelNames,
      registers,
    });
    this.server.addService(SERVICE, {
      Stream: (call: grpc.ServerDuplexStream<MessageBatch, thinklite.raft.v1.BatchAck>) => {
        call.on('data', (batch: MessageBatch) => this.receive(batch));
        call.on('error', () => {});
        call.on('end', () => call.end());
      },
    });
  }

  /** Starts listening; resolves once the port is bound. */
  static async start(opts: GrpcTransportOptions): Promise<GrpcTransport> {
    const t = new GrpcTransport(opts);
    t.port = await new Promise<number>((resolve, reject) =>
      t.server.bindAsync(opts.listen, grpc.ServerCredentials.createInsecure(), (err, port) =>
        err ? reject(err) : resolve(port),
      ),
    );
    return t;
  }

  private receive(batch: MessageBatch): void {
    this.received.inc(this.label);
    if (!this.handler) return;
    const from = Number(batch.fromNode);
    const out: RangeMessage[] = [];
    for (const rm of batch.messages) {
      try {
        out.push({ rangeId: Number(rm.rangeId), message: messageFromPb(rm.message ?? {}) });
      } catch (err) {
        // A malformed message is dropped on its own; Raft recovers from loss.
        this.log.warn({ err, from }, 'dropping a malformed raft message');
      }
    }
    this.handler(from, out);
  }

  listen(handler: (from: NodeId, batch: readonly RangeMessage[]) => void): void {
    this.handler = handler;
  }

  /** Points a peer at an address (a node that restarted elsewhere, or one added later). */
  setPeer(node: NodeId, address: string): void {
    const old = this.peers.get(node);
    if (old) {
      old.stream?.cancel();
      old.client.close();
      this.peers.delete(node);
    }
    (this.opts.peers as Map<NodeId, string>).set(node, address);
  }

  private peer(to: NodeId): Peer | undefined {
    let p = this.peers.get(to);
    if (p) return p;
    const address = this.opts.peers.get(to);
    if (!address) return undefined;
    p = {
      client: new Client(address, grpc.credentials.createInsecure(), {
        'grpc.max_send_message_length': 64 * 1024 * 1024,
      }),
      stream: undefined,
    };
    this.peers.set(to, p);
    return p;
  }

  send(to: NodeId, batch: readonly RangeMessage[]): void {
    if (this.closed) return;
    const p = this.peer(to);
    if (!p) {
      this.dropped.inc(this.label);
      return;
    }
    if (!p.stream) {
      const stream = (p.client as unknown as { Stream: () => grpc.ClientDuplexStream<MessageBatch, unknown> }).Stream();
      stream.on('data', () => {});
      const reset = () => {
        if (p.stream === stream) p.stream = undefined;
      };
      stream.on('error', (err) => {
        this.log.debug({ err, to }, 'raft stream broke');
        reset();
      });
      stream.on('end', reset);
      p.stream = stream;
    }
    const frame = pb.MessageBatch.create({
      fromNode: this.opts.nodeId,
      toNode: to,
      messages: batch.map((m) => ({ rangeId: m.rangeId, message: messageToPb(m.message) })),
    });
    // A backed-up stream means the peer is slow or gone: drop rather than queue without bound.
    if (p.stream.writableNeedDrain) {
      this.dropped.inc(this.label);
      return;
    }
    p.stream.write(frame);
    this.sent.inc(this.label);
  }

  /** Stops sending and listening. In-flight frames are lost, which Raft tolerates. */
  async close(): Promise<void> {
    this.closed = true;
    for (const p of this.peers.values()) {
      p.stream?.cancel();
      p.client.close();
    }
    this.peers.clear();
    // Not tryShutdown: it would wait for peers' streams to us to end, and they may be waiting too.
    this.server.forceShutdown();
  }
}
