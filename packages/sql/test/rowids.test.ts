import type { KvDb } from '@thinklite/kv';
import { describe, expect, it } from 'vitest';
import { clockRowIds } from '../src/index.js';

/** A KvDb whose clock reads `wall` (only now() is used by rowids). */
function clockAt(state: { wall: number }): KvDb {
  return { now: () => ({ wall: state.wall, logical: 0 }) } as unknown as KvDb;
}

describe('rowids from the clock', () => {
  it('never collide across processes with their own slots, and increase within each', () => {
    const clock = { wall: 1_700_000_000_000_000 };
    const slots = [0, 1, 2].map((index) => clockRowIds(clockAt(clock), { index, count: 3 }));
    const seen = new Set<bigint>();
    const last = [-1n, -1n, -1n];
    for (let i = 0; i < 3000; i++) {
      if (i % 7 === 0) clock.wall += 1; // the clock moves now and then; many ids within one microsecond
      const s = i % 3;
      const id = (slots[s] as ReturnType<typeof clockRowIds>).next();
      expect(id % 3n).toBe(BigInt(s));
      expect(id > (last[s] as bigint)).toBe(true);
      last[s] = id;
      expect(seen.has(id)).toBe(false);
      seen.add(id);
    }
  });

  it('stays increasing when the clock steps back', () => {
    const clock = { wall: 5_000_000 };
    const ids = clockRowIds(clockAt(clock));
    const a = ids.next();
    clock.wall -= 1_000_000;
    const b = ids.next();
    expect(b > a).toBe(true);
    expect(a).toBe(5_000_000n * 1024n);
  });
});
