import { describe, expect, it } from 'vitest';
import { isThinkLiteError } from '../errors/thinklite-error.js';
import { SeededRandom } from '../random.js';
import { HybridLogicalClock, ManualClock } from './clock.js';
import { compareTimestamps, type Timestamp, timestampLess, timestampNext } from './timestamp.js';

describe('HybridLogicalClock', () => {
  it('is strictly monotonic while the physical clock jumps backwards and stalls', () => {
    for (let seed = 1; seed <= 50; seed++) {
      const rnd = new SeededRandom(seed);
      const phys = new ManualClock(1_000_000);
      const clock = new HybridLogicalClock({ physicalClock: phys.read, maxOffsetUs: 0 });
      let last = clock.now();
      for (let i = 0; i < 2000; i++) {
        const r = rnd.next();
        if (r < 0.3) phys.advance(rnd.int(1, 1000));
        else if (r < 0.4) phys.advance(-rnd.int(1, 5000)); // NTP steps the clock back
        const t = clock.now();
        expect(timestampLess(last, t), `seed ${seed} step ${i}`).toBe(true);
        last = t;
      }
    }
  });

  it('tracks the physical clock when it moves forward', () => {
    const phys = new ManualClock(5_000);
    const clock = new HybridLogicalClock({ physicalClock: phys.read, maxOffsetUs: 0 });
    expect(clock.now()).toEqual({ wall: 5_000, logical: 0 });
    expect(clock.now()).toEqual({ wall: 5_000, logical: 1 });
    phys.advance(10);
    expect(clock.now()).toEqual({ wall: 5_010, logical: 0 });
  });

  it('orders every receive after its send across simulated nodes with skewed clocks (happens-before)', () => {
    for (let seed = 1; seed <= 30; seed++) {
      const rnd = new SeededRandom(seed);
      const nodeCount = 5;
      const maxOffsetUs = 500_000;
      const physical = Array.from({ length: nodeCount }, () => new ManualClock(10_000_000 + rnd.int(0, 250_000)));
      const clocks = physical.map((p) => new HybridLogicalClock({ physicalClock: p.read, maxOffsetUs }));
      // Each node's history of event timestamps, and the causal predecessor of every event.
      const events: { node: number; ts: Timestamp; causes: Timestamp[] }[] = [];
      const inFlight: { to: number; ts: Timestamp; sentAt: Timestamp }[] = [];
      const lastOnNode: (Timestamp | undefined)[] = Array(nodeCount).fill(undefined);
      for (let step = 0; step < 3000; step++) {
        for (const p of physical) p.advance(rnd.int(0, 30)); // clocks drift at different speeds
        const node = rnd.int(0, nodeCount - 1);
        if (inFlight.length > 0 && rnd.bool(0.5)) {
          const msg = inFlight.splice(rnd.int(0, inFlight.length - 1), 1)[0];
          if (!msg) continue;
          const ts = clocks[msg.to]?.receive(msg.ts) as Timestamp;
          const prev = lastOnNode[msg.to];
          events.push({ node: msg.to, ts, causes: prev ? [msg.sentAt, prev] : [msg.sentAt] });
          lastOnNode[msg.to] = ts;
        } else {
          const ts = clocks[node]?.now() as Timestamp;
          const prev = lastOnNode[node];
          events.push({ node, ts, causes: prev ? [prev] : [] });
          lastOnNode[node] = ts;
          if (rnd.bool(0.7)) inFlight.push({ to: rnd.int(0, nodeCount - 1), ts, sentAt: ts });
        }
      }
      for (const e of events) {
        for (const c of e.causes) expect(compareTimestamps(c, e.ts), `seed ${seed}`).toBeLessThan(0);
      }
      // The HLC wall time never runs further ahead of the fastest physical clock than the offset.
      const fastest = Math.max(...physical.map((p) => p.read()));
      for (const c of clocks) expect(c.peek().wall).toBeLessThanOrEqual(fastest);
    }
  });

  it('rejects a remote timestamp beyond the maximum offset and keeps its own time', () => {
    const phys = new ManualClock(1_000_000);
    const clock = new HybridLogicalClock({ physicalClock: phys.read, maxOffsetUs: 250_000 });
    const before = clock.now();
    clock.update({ wall: 1_000_000 + 250_000, logical: 7 }); // exactly at the bound: accepted
    expect(clock.now()).toEqual({ wall: 1_250_000, logical: 8 });
    let caught: unknown;
    try {
      clock.update({ wall: 1_000_000 + 250_001, logical: 0 });
    } catch (e) {
      caught = e;
    }
    expect(isThinkLiteError(caught, 'CLOCK_OFFSET_EXCEEDED')).toBe(true);
    expect((caught as Error).message).toMatch(/250001µs ahead.*maximum clock offset is 250000µs/);
    expect(clock.peek()).toEqual({ wall: 1_250_000, logical: 8 });
    expect(timestampLess(before, clock.peek())).toBe(true);
  });

  it('resumes above its own earlier timestamp however far ahead of the wall clock it is (advanceTo, no offset check)', () => {
    const phys = new ManualClock(5_000_000); // the wall clock stepped back an hour since
    const clock = new HybridLogicalClock({ physicalClock: phys.read, maxOffsetUs: 250_000 });
    const own = { wall: 3_605_000_000, logical: 3 };
    clock.advanceTo(own);
    expect(clock.now()).toEqual({ wall: 3_605_000_000, logical: 4 });
    clock.advanceTo({ wall: 1, logical: 0 }); // never backwards
    expect(clock.now()).toEqual({ wall: 3_605_000_000, logical: 5 });
  });

  it('moves to the next wall microsecond instead of wrapping the logical counter', () => {
    const phys = new ManualClock(10);
    const clock = new HybridLogicalClock({ physicalClock: phys.read, maxOffsetUs: 0 });
    clock.update({ wall: 10, logical: 0xffff_ffff });
    const t = clock.now();
    expect(t).toEqual({ wall: 11, logical: 0 });
    expect(timestampNext({ wall: 10, logical: 0xffff_ffff })).toEqual(t);
  });
});
