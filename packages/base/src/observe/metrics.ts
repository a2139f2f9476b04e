import { Registry } from 'prom-client';

export { Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * Every component registers its metrics on a Registry it is given (a node has one; tests make
 * their own), never on prom-client's global one, so two stores in one process do not collide.
 */
export function createRegistry(): Registry {
  return new Registry();
}

/** Latency buckets in seconds from 50µs to 10s: storage commits, Raft applies, statements. */
export const LATENCY_BUCKETS_SECONDS = [
  0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10,
];
