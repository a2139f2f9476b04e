// One ThinkLite replication node for `npm run bench -- raft`: an LMDB store, the multi-Raft host
// with N groups, the gRPC Raft transport, and the Replication.Propose service for the load
// generator. Each group's state machine applies every 256-byte value durably into the store.
// On SIGTERM it writes its event-loop delay, CPU time, GC pauses and its metrics (storage, Raft log, Raft) to its log.
// THINKLITE_BENCH_ALLOC_PROFILE=DIR also writes an allocation profile (see below).

import * as fs from 'node:fs';
import * as inspector from 'node:inspector';
import * as path from 'node:path';
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import * as grpc from '@grpc/grpc-js';
import { createLogger, createRegistry, SeededRandom, ThinkLiteError } from '@thinklite/base';
import { GrpcTransport, RaftWal, type ReplicatedStateMachine, ReplicationHost } from '@thinklite/kv';
import { thinklite } from '@thinklite/proto';
import type { Entry } from '@thinklite/raft';
import { type Engine, LmdbEngine, type WriteBatch } from '@thinklite/storage';

function arg(name: string): string {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? process.argv[i + 1] : undefined;
  if (v === undefined) throw new Error(`--${name} is required`);
  return v;
}

const id = Number(arg('id'));
const ranges = Number(arg('ranges'));
const peers = new Map(
  arg('peers')
    .split(',')
    .map((p) => p.split('=') as [string, string])
    .map(([n, a]) => [Number(n), a] as [number, string]),
);
const voters = [...peers.keys()].sort((a, b) => a - b);

/** Applies each value into the store under its range and index, with the applied index. */
class BenchStateMachine implements ReplicatedStateMachine {
  private applied = 0;
  private readonly appliedKey: Buffer;
  constructor(
    engine: Engine,
    private readonly rangeId: number,
  ) {
    this.appliedKey = Buffer.from(`bench/${rangeId}/applied`);
    const raw = engine.get('local', this.appliedKey);
    this.applied = raw ? raw.readUInt32BE(0) : 0;
  }
  apply(batch: WriteBatch, entries: readonly Entry[], appliedIndex: number): void {
    for (const e of entries) batch.put('local', Buffer.from(`bench/${this.rangeId}/v/${e.index % 1000}`), e.data);
    this.applied = appliedIndex;
    const b = Buffer.alloc(4);
    b.writeUInt32BE(appliedIndex >>> 0);
    batch.put('local', this.appliedKey, b);
  }
  appliedIndex(): number {
    return this.applied;
  }
  snapshot() {
    return { index: this.applied, data: new Uint8Array(0) };
  }
  applySnapshot(batch: WriteBatch, s: { meta: { index: number } }): void {
    this.applied = s.meta.index;
    const b = Buffer.alloc(4);
    b.writeUInt32BE(this.applied >>> 0);
    batch.put('local', this.appliedKey, b);
  }
}

const registry = createRegistry();
const engine = LmdbEngine.open({ dir: arg('dir'), registry });
const wal = RaftWal.open({ dir: path.join(arg('dir'), 'raft-wal'), registry });
if (process.argv.includes('--bootstrap')) {
  await ReplicationHost.bootstrapRanges(
    engine,
    Array.from({ length: ranges }, (_, i) => i + 1),
    voters,
  );
}
const logger = createLogger({ level: process.env.THINKLITE_LOG_LEVEL ?? 'info' }, process.stderr);
const transport = await GrpcTransport.start({ nodeId: id, listen: peers.get(id) as string, peers, registry, logger });
const host = new ReplicationHost({
  nodeId: id,
  engine,
  wal,
  transport,
  random: new SeededRandom(id),
  // etcd's defaults, which the etcd cluster of the benchmark runs with: heartbeats every 100 ms, an
  // election timeout of 1 s. (A WAL fsync can take 0.25–0.5 s on this shared machine; with half
  // etcd's timeout those stalls tripped check-quorum and elections mid-run.)
  tickIntervalMs: 50,
  electionTicks: 20,
  heartbeatTicks: 2,
  // THINKLITE_BENCH_PIPELINE=0 runs one round at a time (for an A/B of pipelined rounds).
  pipeline: process.env.THINKLITE_BENCH_PIPELINE !== '0',
  logger,
  registry,
});
for (let r = 1; r <= ranges; r++) host.addGroup(r, new BenchStateMachine(engine, r));
host.start();

const pb = thinklite.replication.v1;
// Channelz (grpc-js's call tracking for its debug service, which nothing here serves) off: it was
// 6% of the leader's allocations.
const server = new grpc.Server({ 'grpc.max_concurrent_streams': 4096, 'grpc.enable_channelz': 0 });
server.addService(
  {
    Propose: {
      path: '/thinklite.replication.v1.Replication/Propose',
      requestStream: false,
      responseStream: false,
      requestSerialize: (m: thinklite.replication.v1.ProposeRequest) =>
        Buffer.from(pb.ProposeRequest.encode(m).finish()),
      requestDeserialize: (b: Buffer) => pb.ProposeRequest.decode(b),
      responseSerialize: (m: thinklite.replication.v1.ProposeResponse) =>
        Buffer.from(pb.ProposeResponse.encode(m).finish()),
      responseDeserialize: (b: Buffer) => pb.ProposeResponse.decode(b),
    },
  },
  {
    Propose: (
      call: grpc.ServerUnaryCall<thinklite.replication.v1.ProposeRequest, unknown>,
      cb: grpc.sendUnaryData<thinklite.replication.v1.ProposeResponse>,
    ) => {
      host.propose(Number(call.request.rangeId), call.request.data).then(
        (index) => cb(null, pb.ProposeResponse.create({ index })),
        (e: unknown) =>
          cb({ code: grpc.status.UNAVAILABLE, details: e instanceof ThinkLiteError ? e.message : String(e) }),
      );
    },
  },
);
const clientPort = await new Promise<number>((resolve, reject) =>
  server.bindAsync(arg('client'), grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
);

// Node 1 campaigns for every range, so the load generator finds every leader there.
if (id === 1) {
  const want = () => [...Array(ranges).keys()].every((i) => host.status(i + 1).role === 'leader');
  while (!want()) {
    for (let r = 1; r <= ranges; r++) {
      const st = host.status(r);
      if (st.role === 'leader') continue;
      // Another node may have won the election first: ask it to hand the range over.
      if (st.lead !== 0) host.transferLeadership(r, id);
      else host.campaign(r);
    }
    await new Promise((res) => setTimeout(res, 200));
  }
}
process.stdout.write(`ready ${process.pid} ${clientPort}\n`);

const eventLoop = monitorEventLoopDelay({ resolution: 1 });
eventLoop.enable();
// Garbage-collection pauses by kind (minor = scavenge): the usual cause of a Node server's tail.
const gc = new Map<string, { n: number; ms: number; max: number }>();
const gcKinds: Record<number, string> = { 1: 'minor', 2: 'major', 4: 'incremental', 8: 'weak callbacks' };
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    const detail = (e as unknown as { detail?: { kind?: number } }).detail;
    const kind = gcKinds[detail?.kind ?? 0] ?? 'other';
    const s = gc.get(kind) ?? { n: 0, ms: 0, max: 0 };
    s.n++;
    s.ms += e.duration;
    s.max = Math.max(s.max, e.duration);
    gc.set(kind, s);
  }
}).observe({ entryTypes: ['gc'] });
// THINKLITE_BENCH_ALLOC_PROFILE=DIR: a sampling profile of every allocation after startup,
// garbage included (V8's sampling heap profiler keeping objects minor and major GCs collected),
// written at stop as DIR/node-<id>.heapprofile (open it in Chrome DevTools). Where GC time comes from.
const allocDir = process.env.THINKLITE_BENCH_ALLOC_PROFILE;
const profiler = new inspector.Session();
if (allocDir) {
  profiler.connect();
  profiler.post('HeapProfiler.startSampling', {
    samplingInterval: 4096,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  } as inspector.HeapProfiler.StartSamplingParameterType);
}
const stop = async () => {
  if (allocDir) {
    await new Promise<void>((resolve) =>
      profiler.post('HeapProfiler.stopSampling', (err, res) => {
        if (!err) fs.writeFileSync(path.join(allocDir, `node-${id}.heapprofile`), JSON.stringify(res.profile));
        resolve();
      }),
    );
  }
  const ms = (ns: number) => (ns / 1e6).toFixed(2);
  process.stderr.write(
    `event-loop delay ms: p50 ${ms(eventLoop.percentile(50))} p99 ${ms(eventLoop.percentile(99))} max ${ms(eventLoop.max)}\n`,
  );
  const cpu = process.cpuUsage();
  process.stderr.write(`cpu s: user ${(cpu.user / 1e6).toFixed(2)} system ${(cpu.system / 1e6).toFixed(2)}\n`);
  for (const [kind, s] of gc)
    process.stderr.write(`gc ${kind}: ${s.n} pauses, ${s.ms.toFixed(0)} ms in all, max ${s.max.toFixed(1)} ms\n`);
  process.stderr.write(`metrics at stop:\n${await registry.metrics()}\n`);
  server.forceShutdown();
  await host.close();
  await wal.close();
  await transport.close();
  await engine.close();
  process.exit(0);
};
process.on('SIGTERM', () => void stop());
