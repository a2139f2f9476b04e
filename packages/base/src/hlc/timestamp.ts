import { assert } from '../assert.js';

/**
 * A hybrid-logical-clock timestamp. `wall` is microseconds since the Unix epoch (an integer that
 * JavaScript numbers hold exactly for the next 285 years); `logical` orders events that share a
 * wall time. Timestamps are immutable values: compare with `compareTimestamps`, never with `===`.
 */
export interface Timestamp {
  readonly wall: number;
  readonly logical: number;
}

export const LOGICAL_MAX = 0xffff_ffff;
export const ZERO_TIMESTAMP: Timestamp = Object.freeze({ wall: 0, logical: 0 });
/** Greater than any timestamp a clock will produce; reads at it see the newest version. */
export const MAX_TIMESTAMP: Timestamp = Object.freeze({ wall: Number.MAX_SAFE_INTEGER, logical: LOGICAL_MAX });

export function timestamp(wall: number, logical = 0): Timestamp {
  assert(Number.isSafeInteger(wall) && wall >= 0, `timestamp wall must be a non-negative integer, got ${wall}`);
  assert(
    Number.isInteger(logical) && logical >= 0 && logical <= LOGICAL_MAX,
    `timestamp logical must be a uint32, got ${logical}`,
  );
  return { wall, logical };
}

export function compareTimestamps(a: Timestamp, b: Timestamp): number {
  if (a.wall !== b.wall) return a.wall < b.wall ? -1 : 1;
  if (a.logical !== b.logical) return a.logical < b.logical ? -1 : 1;
  return 0;
}

export function timestampLess(a: Timestamp, b: Timestamp): boolean {
  return a.wall < b.wall || (a.wall === b.wall && a.logical < b.logical);
}

export function timestampLessEq(a: Timestamp, b: Timestamp): boolean {
  return a.wall < b.wall || (a.wall === b.wall && a.logical <= b.logical);
}

export function timestampMax(a: Timestamp, b: Timestamp): Timestamp {
  return timestampLess(a, b) ? b : a;
}

/** The smallest timestamp greater than `t`. */
export function timestampNext(t: Timestamp): Timestamp {
  return t.logical === LOGICAL_MAX ? { wall: t.wall + 1, logical: 0 } : { wall: t.wall, logical: t.logical + 1 };
}

/** `t` moved forward by `micros` of wall time (logical reset): the end of an uncertainty interval. */
export function timestampAddMicros(t: Timestamp, micros: number): Timestamp {
  return { wall: t.wall + micros, logical: t.logical };
}

export function isZeroTimestamp(t: Timestamp): boolean {
  return t.wall === 0 && t.logical === 0;
}

/** `1732363200000000.3` style: readable in logs and errors, parseable by `parseTimestamp`. */
export function formatTimestamp(t: Timestamp): string {
  return `${t.wall}.${t.logical}`;
}

export function parseTimestamp(s: string): Timestamp {
  const m = /^(\d+)(?:\.(\d+))?$/.exec(s);
  assert(m !== null, `malformed timestamp ${JSON.stringify(s)}`);
  return timestamp(Number(m[1]), m[2] === undefined ? 0 : Number(m[2]));
}
