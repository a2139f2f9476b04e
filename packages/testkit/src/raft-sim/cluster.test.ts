import { describe, expect, it } from 'vitest';
import { type SimResult, simulate } from './cluster.js';

/** Seeds per cluster size in `npm test`; `npm run sim -- --seeds N` soaks far longer. */
const SEEDS = Number(process.env.THINKLITE_SIM_SEEDS ?? 700);

describe('Raft under deterministic simulation', () => {
  for (const voters of [3, 5, 7]) {
    it(`keeps every safety invariant and recovers once faults heal: ${SEEDS} seeds, ${voters} voters + 2 spares`, () => {
      const totals = { acked: 0, elections: 0, crashes: 0, confChanges: 0, snapshots: 0, reads: 0 };
      for (let seed = 1; seed <= SEEDS; seed++) {
        const r: SimResult = simulate(seed * 10 + voters, { initialVoters: voters, nodeCount: voters + 2 });
        totals.acked += r.proposalsAcked;
        totals.elections += r.elections;
        totals.crashes += r.crashes;
        totals.confChanges += r.confChanges;
        totals.snapshots += r.snapshotsInstalled;
        totals.reads += r.readsServed;
      }
      // The runs exercised what they claim to: acknowledged writes, crashes, elections, membership
      // changes, snapshot installs and linearizable reads.
      expect(totals.acked).toBeGreaterThan(SEEDS * 10);
      expect(totals.crashes).toBeGreaterThan(SEEDS / 2);
      expect(totals.elections).toBeGreaterThan(SEEDS);
      expect(totals.confChanges).toBeGreaterThan(SEEDS);
      expect(totals.snapshots).toBeGreaterThan(SEEDS / 4);
      expect(totals.reads).toBeGreaterThan(SEEDS);
    });
  }

  it('replays a seed exactly', () => {
    expect(simulate(42)).toEqual(simulate(42));
  });
});
