// Hosts four single-voter Raft groups on a real store and proposes as fast as it can, printing
// "ack <range> <index> <value>" when each proposal has been applied (so it is durable). The crash
// test SIGKILLs it at a random moment.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SeededRandom } from '@thinklite/base';
import { LmdbEngine } from '@thinklite/storage';
import { LoopbackNetwork, RaftWal, ReplicationHost } from '../../src/index.js';
import { LogStateMachine } from '../test-state-machine.js';

const [dir, runArg] = process.argv.slice(2) as [string, string];
const run = Number(runArg);
const RANGES = [1, 2, 3, 4];
const engine = LmdbEngine.open({ dir });
const wal = RaftWal.open({ dir: path.join(dir, 'raft-wal'), segmentBytes: 64 * 1024 });
if (run === 0) for (const r of RANGES) await ReplicationHost.bootstrapRange(engine, r, [1]);
const net = new LoopbackNetwork();
const host = new ReplicationHost({
  nodeId: 1,
  engine,
  wal,
  transport: net.transport(1),
  random: new SeededRandom(run),
  tickIntervalMs: 5,
  proposalTimeoutMs: 10_000, // above any disk-sync stall of a shared machine
  logEntriesMax: 40,
});
for (const r of RANGES) host.addGroup(r, new LogStateMachine(engine, r));
host.start();
for (const r of RANGES) host.campaign(r);
while (!RANGES.every((r) => host.status(r).role === 'leader')) await new Promise((res) => setTimeout(res, 2));
fs.writeSync(1, `ready ${process.pid}\n`);
let seq = 0;
const writer = async (r: number) => {
  for (;;) {
    const value = `run${run}-r${r}-${seq++}`;
    let index: number;
    try {
      index = await host.propose(r, new TextEncoder().encode(value));
    } catch (e) {
      // A proposal that outlived its deadline has an unknown outcome: it is not acked.
      if ((e as { details?: { reason?: string } }).details?.reason === 'timeout') continue;
      throw e;
    }
    fs.writeSync(1, `ack ${r} ${index} ${value}\n`);
  }
};
await Promise.all(RANGES.flatMap((r) => [writer(r), writer(r), writer(r)]));
