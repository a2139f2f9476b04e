import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { SeededRandom } from '@thinklite/base';
import { thinklite } from '@thinklite/proto';
import type { Message } from '@thinklite/raft';
import { LmdbEngine } from '@thinklite/storage';
import { waitFor } from '@thinklite/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { GrpcTransport, messageFromPb, messageToPb, RaftWal, ReplicationHost } from '../src/index.js';
import { hostLogMachines, type LogStateMachine } from './test-state-machine.js';

const dirs: string[] = [];
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});
const enc = (s: string) => new TextEncoder().encode(s);

describe('the gRPC Raft transport', () => {
  it('round-trips every message type through its protobuf form', () => {
    const ctx = enc('ctx');
    const samples: Message[] = [
      {
        type: 'app',
        from: 1,
        to: 2,
        term: 3,
        logTerm: 2,
        index: 9,
        commit: 8,
        entries: [{ term: 3, index: 10, type: 'conf-change', data: enc('x') }],
        lease: 17,
      },
      { type: 'app-resp', from: 2, to: 1, term: 3, index: 9, reject: true, rejectHint: 4, logTerm: 2, lease: 17 },
      { type: 'vote', from: 1, to: 2, term: 3, logTerm: 2, index: 9, transfer: true },
      { type: 'pre-vote', from: 1, to: 2, term: 3, logTerm: 2, index: 9, transfer: false },
      { type: 'vote-resp', from: 2, to: 1, term: 3, reject: false },
      { type: 'pre-vote-resp', from: 2, to: 1, term: 3, reject: true },
      { type: 'heartbeat', from: 1, to: 2, term: 3, commit: 7, context: ctx, lease: 12 },
      { type: 'heartbeat-resp', from: 2, to: 1, term: 3, context: ctx, lease: 12 },
      {
        type: 'snap',
        from: 1,
        to: 2,
        term: 3,
        snapshot: {
          meta: {
            index: 5,
            term: 2,
            conf: { voters: [1, 2], votersOutgoing: [3], learners: [4], learnersNext: [3], autoLeave: true },
          },
          data: enc('state'),
        },
      },
      { type: 'timeout-now', from: 1, to: 2, term: 3 },
      { type: 'prop', from: 2, to: 1, term: 0, entries: [{ term: 0, index: 0, type: 'normal', data: enc('p') }] },
      { type: 'read-index', from: 2, to: 1, term: 0, context: ctx },
      { type: 'read-index-resp', from: 1, to: 2, term: 3, index: 7, context: ctx },
      { type: 'transfer-leader', from: 2, to: 1, term: 3 },
    ];
    // Through real bytes, as over the wire; byte fields compared by content.
    const plain = (x: unknown): unknown => {
      if (x instanceof Uint8Array) return Buffer.from(x).toString('hex');
      if (Array.isArray(x)) return x.map(plain);
      if (x && typeof x === 'object') return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, plain(v)]));
      return x;
    };
    for (const m of samples) {
      const wire = thinklite.raft.v1.Message.decode(thinklite.raft.v1.Message.encode(messageToPb(m)).finish());
      expect(plain(messageFromPb(wire))).toEqual(plain(m));
    }
  });

  it('streams a large snapshot in chunks and delivers it whole, and drops one with a missing piece', async () => {
    const chunk = 256 * 1024;
    const a = await GrpcTransport.start({
      nodeId: 1,
      listen: '127.0.0.1:0',
      peers: new Map(),
      snapshotChunkBytes: chunk,
    });
    const b = await GrpcTransport.start({ nodeId: 2, listen: '127.0.0.1:0', peers: new Map() });
    cleanups.push(
      () => a.close(),
      () => b.close(),
    );
    a.setPeer(2, `127.0.0.1:${b.port}`);
    const got: { rangeId: number; message: Message }[] = [];
    b.listen((_from, batch) => got.push(...batch));
    const data = new SeededRandom(5).bytes(3 * 1024 * 1024 + 17);
    const snap: Message = {
      type: 'snap',
      from: 1,
      to: 2,
      term: 4,
      snapshot: {
        meta: {
          index: 90,
          term: 4,
          conf: { voters: [1, 2, 3], votersOutgoing: [], learners: [], learnersNext: [], autoLeave: false },
        },
        data,
      },
    };
    a.send(2, [
      { rangeId: 7, message: snap },
      {
        rangeId: 8,
        message: { type: 'heartbeat', from: 1, to: 2, term: 4, commit: 3, context: new Uint8Array(0), lease: 0 },
      },
    ]);
    await waitFor('snapshot delivered', () => got.some((m) => m.message.type === 'snap'));
    const delivered = got.find((m) => m.message.type === 'snap') as {
      rangeId: number;
      message: Message & { type: 'snap' };
    };
    expect(delivered.rangeId).toBe(7);
    expect(delivered.message.snapshot.meta.index).toBe(90);
    expect(Buffer.compare(Buffer.from(delivered.message.snapshot.data), Buffer.from(data))).toBe(0);
    expect(got.some((m) => m.rangeId === 8 && m.message.type === 'heartbeat')).toBe(true);

    // A sequence with a piece missing is never delivered.
    const pb = thinklite.raft.v1;
    const header = messageToPb({ ...snap, snapshot: { meta: snap.snapshot.meta, data: new Uint8Array(0) } });
    const raw = new (grpc.makeGenericClientConstructor(
      {
        Stream: {
          path: '/thinklite.raft.v1.RaftTransport/Stream',
          requestStream: true,
          responseStream: true,
          requestSerialize: (m: thinklite.raft.v1.MessageBatch) => Buffer.from(pb.MessageBatch.encode(m).finish()),
          requestDeserialize: (x: Buffer) => pb.MessageBatch.decode(x),
          responseSerialize: (x: Buffer) => x,
          responseDeserialize: (x: Buffer) => x,
        },
      },
      'Chunks',
    ))(`127.0.0.1:${b.port}`, grpc.credentials.createInsecure());
    const stream = (
      raw as unknown as { Stream: () => grpc.ClientDuplexStream<thinklite.raft.v1.MessageBatch, Buffer> }
    ).Stream();
    stream.on('error', () => {});
    const piece = (offset: number) =>
      pb.MessageBatch.create({
        fromNode: 9,
        toNode: 2,
        snapshotChunk: {
          rangeId: 11,
          ...(offset === 0 ? { message: header } : {}),
          offset,
          totalBytes: 3 * chunk,
          data: new Uint8Array(chunk),
        },
      });
    stream.write(piece(0));
    stream.write(piece(2 * chunk)); // the middle piece never comes
    stream.write(
      pb.MessageBatch.create({
        fromNode: 9,
        toNode: 2,
        messages: [{ rangeId: 12, message: messageToPb({ type: 'timeout-now', from: 9, to: 2, term: 1 }) }],
      }),
    );
    await waitFor('the frame after the broken snapshot', () => got.some((m) => m.rangeId === 12));
    expect(got.some((m) => m.rangeId === 11)).toBe(false);
    stream.end();
    raw.close();
  });

  it('replicates groups between three nodes over real sockets, and survives garbage frames and a dead peer', async () => {
    const ids = [1, 2, 3];
    const ranges = Array.from({ length: 10 }, (_, i) => i + 1);
    const transports = new Map<number, GrpcTransport>();
    for (const id of ids) {
      const t = await GrpcTransport.start({ nodeId: id, listen: '127.0.0.1:0', peers: new Map() });
      transports.set(id, t);
      cleanups.push(() => t.close());
    }
    for (const [id, t] of transports)
      for (const [peer, p] of transports) if (peer !== id) t.setPeer(peer, `127.0.0.1:${p.port}`);
    const hosts = new Map<number, { host: ReplicationHost; sms: Map<number, LogStateMachine> }>();
    for (const id of ids) {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), `tl-grpc-${id}-`));
      dirs.push(dir);
      const engine = LmdbEngine.open({ dir });
      const wal = RaftWal.open({ dir: path.join(dir, 'raft-wal') });
      for (const r of ranges) await ReplicationHost.bootstrapRange(engine, r, ids);
      const host = new ReplicationHost({
        nodeId: id,
        engine,
        wal,
        transport: transports.get(id) as GrpcTransport,
        random: new SeededRandom(id),
        tickIntervalMs: 10,
        proposalTimeoutMs: 10_000, // above any disk-sync stall of a shared machine
      });
      const sms = hostLogMachines(host, engine, ranges);
      hosts.set(id, { host, sms });
      cleanups.push(async () => {
        await host.close();
        await wal.close();
        await engine.close();
      });
    }
    const h1 = hosts.get(1)?.host as ReplicationHost;
    for (const r of ranges) h1.campaign(r);
    await waitFor('node 1 leads every range', () => ranges.every((r) => h1.status(r).role === 'leader'));
    await Promise.all(ranges.map((r) => h1.propose(r, enc(`first-${r}`))));
    await waitFor('replicated', () =>
      ids.every((id) => ranges.every((r) => hosts.get(id)?.sms.get(r)?.values.includes(`first-${r}`))),
    );

    // Garbage on the wire: a client writes bytes that are no MessageBatch. The node drops them.
    const raw = new (grpc.makeGenericClientConstructor(
      {
        Stream: {
          path: '/thinklite.raft.v1.RaftTransport/Stream',
          requestStream: true,
          responseStream: true,
          requestSerialize: (b: Buffer) => b,
          requestDeserialize: (b: Buffer) => b,
          responseSerialize: (b: Buffer) => b,
          responseDeserialize: (b: Buffer) => b,
        },
      },
      'Raw',
    ))(`127.0.0.1:${transports.get(2)?.port}`, grpc.credentials.createInsecure());
    const garbage = (raw as unknown as { Stream: () => grpc.ClientDuplexStream<Buffer, Buffer> }).Stream();
    garbage.on('error', () => {});
    garbage.write(Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f, 1, 2, 3]));
    garbage.write(Buffer.alloc(1000, 0x5a));
    garbage.end();
    raw.close();

    // A dead peer: node 3 stops; nodes 1 and 2 keep committing.
    await transports.get(3)?.close();
    await Promise.all(ranges.map((r) => h1.propose(r, enc(`second-${r}`))));
    await waitFor('node 2 applied', () =>
      ranges.every((r) => hosts.get(2)?.sms.get(r)?.values.includes(`second-${r}`)),
    );
    expect(hosts.get(3)?.sms.get(1)?.values.includes('second-1')).toBe(false);
  });
});
