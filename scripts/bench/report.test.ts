import { describe, expect, it } from 'vitest';
import { pairedMedian } from './report.js';

describe('pairedMedian', () => {
  it("takes both figures from the round whose ratio is the median, not each system's median", () => {
    // Round 2 ran on a slow machine for both; each system's own median would pair 300 with 350.
    const tl = [500, 300, 420];
    const ref = [400, 200, 350];
    // Ratios 1.25, 1.5, 1.2: the median is round 0's.
    expect(pairedMedian('ops/s', tl, ref)).toEqual({ thinklite: 500, referenceValue: 400 });
  });

  it('inverts the ratio for latencies, takes the lower middle of an even count, and skips empty rounds', () => {
    // Latency ratios (reference ÷ ThinkLite): 2, 0.5, 1, 4 → sorted 0.5, 1, 2, 4 → lower middle 1.
    expect(pairedMedian('ms', [5, 20, 10, 2], [10, 10, 10, 8])).toEqual({ thinklite: 10, referenceValue: 10 });
    expect(pairedMedian('ops/s', [0, 100], [50, 80])).toEqual({ thinklite: 100, referenceValue: 80 });
  });
});
