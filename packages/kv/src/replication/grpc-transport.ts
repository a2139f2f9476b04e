import * as grpc from '@grpc/grpc-js';
import { Counter, createRegistry, type Logger, type Registry, silentLogger } from '@thinklite/base';
import { thinklite } from '@thinklite/proto';
import type { NodeId } from '@thinklite/raft';
import { messageFromPb, messageToPb } from './raft-codec.js';
import { decodeMessageBatch, encodeMessageBatch } from './raft-wire.js';
import type { RaftTransport, RangeMessage } from './replication-host.js';

const pb = thinklite.raft.v1;

/**
 * The service of proto/raft.proto. Frames cross as bytes: they are encoded and decoded by hand
 * (raft-wire.ts), in protobuf's wire format of the same schema.
 */
const SERVICE: grpc.ServiceDefinition = {
  Stream: {
    path: '/thinklite.raft.v1.RaftTransport/Stream',
    requestStream: true,
    responseStream: true,
    requestSerialize: (b: Buffer) => b,
    requestDeserialize: (b: Buffer) => b,
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
  /** Snapshot data is sent in pieces of this size, one per frame. Default 1 MiB. */
  readonly snapshotChunkBytes?: number;
  /** A snapshot larger than this is refused by the receiver. Default 4 GiB. */
  readonly snapshotBytesMax?: number;
  readonly logger?: Logger;
  readonly registry?: Registry;
}

interface Reassembly {
  readonly rangeId: number;
  readonly header: thinklite.raft.v1.IMessage;
  readonly data: Buffer;
  received: number;
}

interface Peer {
  readonly client: grpc.Client;
  stream: grpc.ClientDuplexStream<Buffer, unknown> | undefined;
}

/**
 * Raft's network between nodes: one long-lived gRPC stream per ordered pair of nodes carries the
 * messages of every Raft group, one MessageBatch frame per event-loop turn (heartbeats of all
 * groups ride in the same frame). Raft tolerates loss, so a broken or backed-up stream drops
 * frames rather than queueing without bound, and is re-opened on the next send. A snapshot larger
 * than a chunk travels as a sequence of frames (flow-controlled by the stream, never dropped for
 * back-pressure) and is delivered to Raft only once whole.
 */
export class GrpcTransport implements RaftTransport {
  private readonly server = new grpc.Server({
    'grpc.max_receive_message_length': 64 * 1024 * 1024,
    // Channelz stays on, though we do not serve it: with it off, grpc-js 1.14's forceShutdown
    // leaves open sessions alive, and a closed transport went on receiving (a test caught it).
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
  /** Snapshots arriving in pieces, by sender and range. */
  private readonly reassembly = new Map<string, Reassembly>();

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
      Stream: (call: grpc.ServerDuplexStream<Buffer, thinklite.raft.v1.BatchAck>) => {
        call.on('data', (frame: Buffer) => this.receive(frame));
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

  private receive(frame: Buffer): void {
    this.received.inc(this.label);
    if (!this.handler) return;
    let batch: ReturnType<typeof decodeMessageBatch>;
    try {
      batch = decodeMessageBatch(frame);
    } catch (err) {
      this.log.warn({ err, bytes: frame.length }, 'dropping a malformed raft frame');
      return;
    }
    const from = batch.fromNode;
    // A malformed message is dropped on its own; Raft recovers from loss.
    for (const err of batch.malformed) this.log.warn({ err, from }, 'dropping a malformed raft message');
    const out = batch.messages;
    if (batch.snapshotChunk) {
      const whole = this.receiveChunk(from, batch.snapshotChunk);
      if (whole) out.unshift(whole);
    }
    this.handler(from, out);
  }

  /** Adds a snapshot piece; returns the snapshot message once every byte of it has arrived. */
  private receiveChunk(from: NodeId, c: thinklite.raft.v1.ISnapshotChunk): RangeMessage | undefined {
    const rangeId = Number(c.rangeId ?? 0);
    const key = `${from}/${rangeId}`;
    const total = Number(c.totalBytes ?? 0);
    const offset = Number(c.offset ?? 0);
    const data = c.data ?? new Uint8Array(0);
    const max = this.opts.snapshotBytesMax ?? 4 * 1024 ** 3;
    if (offset === 0) {
      if (!c.message || total > max) {
        this.log.warn({ from, rangeId, total }, 'refusing a snapshot: no header or too large');
        this.reassembly.delete(key);
        return undefined;
      }
      // A new snapshot from this sender for this range replaces any half-received one.
      this.reassembly.set(key, { rangeId, header: c.message, data: Buffer.alloc(total), received: 0 });
    }
    const r = this.reassembly.get(key);
    if (!r || offset !== r.received || offset + data.length > r.data.length || total !== r.data.length) {
      // Out of order or inconsistent (a frame was lost): drop it; the leader sends a new snapshot.
      this.reassembly.delete(key);
      return undefined;
    }
    r.data.set(data, offset);
    r.received += data.length;
    if (r.received < r.data.length) return undefined;
    this.reassembly.delete(key);
    try {
      const m = messageFromPb(r.header);
      if (m.type !== 'snap') return undefined;
      return { rangeId, message: { ...m, snapshot: { meta: m.snapshot.meta, data: r.data } } };
    } catch (err) {
      this.log.warn({ err, from, rangeId }, 'dropping a malformed snapshot');
      return undefined;
    }
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
      const stream = (p.client as unknown as { Stream: () => grpc.ClientDuplexStream<Buffer, unknown> }).Stream();
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
    const chunkBytes = this.opts.snapshotChunkBytes ?? 1024 * 1024;
    const small: RangeMessage[] = [];
    const snapshots: RangeMessage[] = [];
    for (const m of batch)
      (m.message.type === 'snap' && m.message.snapshot.data.length > chunkBytes ? snapshots : small).push(m);
    const frames: { bytes: Buffer; chunk: boolean }[] = [];
    if (small.length > 0) frames.push({ bytes: encodeMessageBatch(this.opts.nodeId, to, small), chunk: false });
    for (const { rangeId, message } of snapshots) {
      if (message.type !== 'snap') continue;
      const data = message.snapshot.data;
      const header = messageToPb({ ...message, snapshot: { meta: message.snapshot.meta, data: new Uint8Array(0) } });
      for (let offset = 0; offset < data.length; offset += chunkBytes) {
        const frame = pb.MessageBatch.create({
          fromNode: this.opts.nodeId,
          toNode: to,
          snapshotChunk: {
            rangeId,
            ...(offset === 0 ? { message: header } : {}),
            offset,
            totalBytes: data.length,
            data: data.subarray(offset, offset + chunkBytes),
          },
        });
        frames.push({ bytes: Buffer.from(pb.MessageBatch.encode(frame).finish()), chunk: true });
      }
    }
    for (const frame of frames) {
      // A backed-up stream means the peer is slow or gone: drop rather than queue without bound.
      // (A snapshot cut short is dropped whole by the receiver, and sent again.)
      if (p.stream.writableNeedDrain && !frame.chunk) {
        this.dropped.inc(this.label);
        continue;
      }
      p.stream.write(frame.bytes);
      this.sent.inc(this.label);
    }
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
