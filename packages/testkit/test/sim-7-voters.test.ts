import { describe, it } from 'vitest';
import { SEEDS, soak } from './soak.js';

describe('Raft under deterministic simulation', () => {
  it(`keeps every safety invariant and recovers once faults heal: ${SEEDS} seeds, 7 voters + 2 spares`, () => {
    soak(7);
  });
});
