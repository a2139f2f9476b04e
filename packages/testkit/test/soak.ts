import { expect } from 'vitest';
import { type SimResult, simulate } from '../src/raft-sim/cluster.js';

/** Seeds per cluster size in `npm test`; `npm run sim -- --seeds N` soaks far longer. */
export const SEEDS = Number(process.env.THINKLITE_SIM_SEEDS ?? 700);

/**
 * Runs SEEDS seeds of one cluster size and checks that the runs exercised what they claim to:
 * acknowledged writes, crashes, elections, membership changes, snapshot installs, reads (lease
 * reads among them, under drifting clocks), groups falling silent while idle, and quiesced
 * followers woken by node liveness when their leader died or was cut off, and Readies taken while
 * earlier ones were still being written (pipelined persistence).
 */
export function soak(voters: number): void {
  const totals = {
    acked: 0,
    elections: 0,
    crashes: 0,
    confChanges: 0,
    snapshots: 0,
    reads: 0,
    leaseReads: 0,
    quiesced: 0,
    wakeups: 0,
    pipelined: 0,
  };
  for (let seed = 1; seed <= SEEDS; seed++) {
    const r: SimResult = simulate(seed * 10 + voters, { initialVoters: voters, nodeCount: voters + 2 });
    totals.acked += r.proposalsAcked;
    totals.elections += r.elections;
    totals.crashes += r.crashes;
    totals.confChanges += r.confChanges;
    totals.snapshots += r.snapshotsInstalled;
    totals.reads += r.readsServed;
    totals.leaseReads += r.leaseReads;
    totals.quiesced += r.quiescedTicks;
    totals.wakeups += r.livenessWakeups;
    totals.pipelined += r.pipelinedReadies;
  }
  expect(totals.acked).toBeGreaterThan(SEEDS * 10);
  expect(totals.crashes).toBeGreaterThan(SEEDS / 2);
  expect(totals.elections).toBeGreaterThan(SEEDS);
  expect(totals.confChanges).toBeGreaterThan(SEEDS);
  expect(totals.snapshots).toBeGreaterThan(SEEDS / 4);
  expect(totals.reads).toBeGreaterThan(SEEDS);
  expect(totals.leaseReads).toBeGreaterThan(SEEDS / 2);
  expect(totals.quiesced).toBeGreaterThan(SEEDS * 10);
  expect(totals.wakeups).toBeGreaterThan(SEEDS / 20);
  expect(totals.pipelined).toBeGreaterThan(SEEDS * 10);
}
