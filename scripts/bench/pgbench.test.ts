import { describe, expect, it } from 'vitest';
import { parsePgbenchOutput } from './pgbench-output.js';

// Reports of real pgbench 15.20 runs against a ThinkLite node (stdout only).
const TPCB_RETRIED = `pgbench (15.20 (Debian 15.20-0+deb12u1), server 15.0)
transaction type: <builtin: TPC-B (sort of)>
scaling factor: 1
query mode: simple
number of clients: 4
number of threads: 2
maximum number of tries: 1000
duration: 3 s
number of transactions actually processed: 223
number of failed transactions: 0 (0.000%)
number of transactions retried: 35 (15.695%)
total number of retries: 519
latency average = 53.342 ms
initial connection time = 27.935 ms
tps = 74.987726 (without initial connection time)
`;

// --max-tries=1 (no retries) and -P 1 (adds latency stddev): failures are counted, not retried.
const TPCB_FAILED = `pgbench (15.20 (Debian 15.20-0+deb12u1), server 15.0)
transaction type: <builtin: TPC-B (sort of)>
scaling factor: 1
query mode: simple
number of clients: 4
number of threads: 2
maximum number of tries: 1
duration: 3 s
number of transactions actually processed: 167
number of failed transactions: 486 (74.426%)
latency average = 17.944 ms
latency stddev = 13.057 ms
initial connection time = 4.027 ms
tps = 55.647246 (without initial connection time)
`;

describe('parsePgbenchOutput', () => {
  it('reads tps, latency, processed, failed and retried transactions of a run with retries', () => {
    expect(parsePgbenchOutput(TPCB_RETRIED)).toEqual({
      tps: 74.987726,
      latencyMs: 53.342,
      processed: 223,
      failed: 0,
      retried: 35,
      retries: 519,
    });
  });

  it('reads failed transactions; no retry lines means no retries', () => {
    expect(parsePgbenchOutput(TPCB_FAILED)).toEqual({
      tps: 55.647246,
      latencyMs: 17.944,
      processed: 167,
      failed: 486,
      retried: 0,
      retries: 0,
    });
  });

  it('throws when the report has no tps (the run did not finish)', () => {
    const cut = TPCB_RETRIED.slice(0, TPCB_RETRIED.indexOf('tps ='));
    expect(() => parsePgbenchOutput(cut)).toThrow(/no tps/);
  });
});
