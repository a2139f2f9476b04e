import { assert } from './assert.js';

/**
 * A seeded pseudo-random source (SplitMix32-style mixing over a 32-bit state). Everything in
 * ThinkLite that must replay — simulations, randomized election timeouts, property tests — draws
 * from one of these, never from Math.random. Same seed, same sequence, on every machine.
 */
export class SeededRandom {
  private state: number;

  constructor(readonly seed: number) {
    assert(Number.isInteger(seed), `seed must be an integer, got ${seed}`);
    this.state = seed >>> 0;
  }

  /** A uint32. */
  nextUint32(): number {
    this.state = (this.state + 0x9e3779b9) >>> 0;
    let z = this.state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    return this.nextUint32() / 0x1_0000_0000;
  }

  /** An integer in [min, max] inclusive. */
  int(min: number, max: number): number {
    assert(max >= min, `empty range [${min}, ${max}]`);
    return min + Math.floor(this.next() * (max - min + 1));
  }

  bool(pTrue = 0.5): boolean {
    return this.next() < pTrue;
  }

  pick<T>(items: readonly T[]): T {
    assert(items.length > 0, 'pick from an empty list');
    return items[this.int(0, items.length - 1)] as T;
  }

  bytes(length: number): Uint8Array {
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i++) out[i] = this.nextUint32() & 0xff;
    return out;
  }

  /** An independent stream derived from this one, for a sub-component of a simulation. */
  fork(): SeededRandom {
    return new SeededRandom(this.nextUint32());
  }
}
