import { describe, expect, it } from 'vitest';
import { simulate } from '../src/raft-sim/cluster.js';

describe('the Raft simulator', () => {
  it('replays a seed exactly', () => {
    expect(simulate(42)).toEqual(simulate(42));
  });
});
