import type { PhysicalClock } from './clock.js';

/**
 * The machine's wall clock in microseconds: the one place a node reads real time for its HLC.
 * Kept out of clock.ts so the clock itself stays pure (scripts/layers.test.ts checks it).
 */
export const systemPhysicalClock: PhysicalClock = () => Math.floor((performance.timeOrigin + performance.now()) * 1000);
