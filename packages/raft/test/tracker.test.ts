import { SeededRandom } from '@thinklite/base';
import { describe, expect, it } from 'vitest';
import { ProgressTracker } from '../src/index.js';

// The tracker's quorum arithmetic against the plain definition, over random (joint) configurations.
describe('the progress tracker', () => {
  it('commits what a majority of each half of the configuration has, and lists members in order', () => {
    const rnd = new SeededRandom(7);
    const subset = (ids: number[]) => new Set(ids.filter(() => rnd.bool(0.5)));
    for (let round = 0; round < 2000; round++) {
      const ids = Array.from({ length: rnd.int(1, 9) }, () => rnd.int(1, 12));
      const voters = subset(ids);
      const votersOutgoing = rnd.bool(0.3) ? subset(ids) : new Set<number>();
      const learners = new Set([...subset(ids)].filter((id) => !voters.has(id) && !votersOutgoing.has(id)));
      const learnersNext = rnd.bool(0.2)
        ? new Set([...subset(ids)].filter((id) => votersOutgoing.has(id)))
        : new Set<number>();
      const t = new ProgressTracker({ voters, votersOutgoing, learners, learnersNext, autoLeave: false }, 16);
      t.syncProgress(1);
      const match = new Map<number, number>();
      for (const [id, pr] of t.progress) {
        pr.match = rnd.int(0, 20);
        match.set(id, pr.match);
      }
      const majority = (set: Set<number>) => {
        if (set.size === 0) return Number.POSITIVE_INFINITY;
        const sorted = [...set].map((id) => match.get(id) ?? 0).sort((a, b) => b - a);
        return sorted[Math.floor(set.size / 2)] as number;
      };
      const want = Math.min(majority(voters), majority(votersOutgoing));
      expect(t.committed()).toBe(Number.isFinite(want) ? want : 0);
      const members = [...new Set([...voters, ...votersOutgoing, ...learners, ...learnersNext])].sort((a, b) => a - b);
      expect(t.memberIds()).toEqual(members);
    }
  });
});
