// Proposes `count` values one after another to a single-voter Raft group and prints "ack <i>"
// when each has applied (mode "host"); or appends them straight to a RaftWal without syncing and
// prints "ack <i>" after each write (mode "wal-nosync": the checker's negative control). The
// durability test runs this under strace.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SeededRandom } from '@thinklite/base';
import { LmdbEngine } from '@thinklite/storage';
import { LoopbackNetwork, RaftWal, ReplicationHost } from '../../src/index.js';
import { LogStateMachine } from '../test-state-machine.js';

const [dir, mode, countArg] = process.argv.slice(2) as [string, string, string];
const count = Number(countArg);
const value = (i: number) => new TextEncoder().encode(`durable-value-${i}-end`);

if (mode === 'wal-nosync') {
  const wal = RaftWal.open({ dir: path.join(dir, 'raft-wal') });
  for (let i = 0; i < count; i++) {
    wal.stageEntries(1, 0, [{ index: i + 1, term: 1, type: 'normal', data: value(i) }]);
    await wal.flush(false);
    fs.writeSync(1, `ack ${i}\n`);
  }
  await wal.close();
} else {
  const engine = LmdbEngine.open({ dir });
  await ReplicationHost.bootstrapRange(engine, 1, [1]);
  const wal = RaftWal.open({ dir: path.join(dir, 'raft-wal') });
  const host = new ReplicationHost({
    nodeId: 1,
    engine,
    wal,
    transport: new LoopbackNetwork().transport(1),
    random: new SeededRandom(1),
    tickIntervalMs: 5,
    proposalTimeoutMs: 10_000, // above any disk-sync stall of a shared machine
  });
  host.addGroup(1, new LogStateMachine(engine, 1));
  host.start();
  host.campaign(1);
  while (host.status(1).role !== 'leader') await new Promise((r) => setTimeout(r, 2));
  for (let i = 0; i < count; i++) {
    await host.propose(1, value(i));
    fs.writeSync(1, `ack ${i}\n`);
  }
  await host.close();
  await wal.close();
  await engine.close();
}
