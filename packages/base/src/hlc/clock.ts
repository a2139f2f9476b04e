import { assert } from '../assert.js';
import { ThinkLiteError } from '../errors/thinklite-error.js';
import { formatTimestamp, LOGICAL_MAX, type Timestamp, timestampLess } from './timestamp.js';

/** Microseconds since the Unix epoch. Injected, so tests and simulations own time. */
export type PhysicalClock = () => number;

export interface HlcOptions {
  readonly physicalClock: PhysicalClock;
  /**
   * The largest offset between any two nodes' clocks that the cluster tolerates. A remote
   * timestamp further ahead than this is rejected. It also bounds read uncertainty intervals and
   * leader leases. 0 disables the check (a single embedded node).
   */
  readonly maxOffsetUs: number;
}

/**
 * A hybrid logical clock (Kulkarni et al., "Logical Physical Clocks", 2014; the design CockroachDB's
 * pkg/util/hlc uses). Its readings are monotonic even when the physical clock steps back, and
 * causal: after `update(t)` every reading is above `t`. Pure apart from the injected clock.
 */
export class HybridLogicalClock {
  readonly maxOffsetUs: number;
  private readonly physicalClock: PhysicalClock;
  private lastWall = 0;
  private lastLogical = 0;

  constructor(options: HlcOptions) {
    assert(options.maxOffsetUs >= 0, 'maxOffsetUs must be >= 0');
    this.physicalClock = options.physicalClock;
    this.maxOffsetUs = options.maxOffsetUs;
  }

  /** A timestamp greater than every timestamp this clock has returned or been updated with. */
  now(): Timestamp {
    const pt = this.physicalClock();
    if (pt > this.lastWall) {
      this.lastWall = pt;
      this.lastLogical = 0;
    } else if (this.lastLogical === LOGICAL_MAX) {
      // The logical counter is exhausted: borrow a microsecond from the future rather than wrap.
      this.lastWall += 1;
      this.lastLogical = 0;
    } else {
      this.lastLogical += 1;
    }
    return { wall: this.lastWall, logical: this.lastLogical };
  }

  /** The last timestamp handed out or received, without advancing the clock. */
  peek(): Timestamp {
    return { wall: this.lastWall, logical: this.lastLogical };
  }

  /**
   * Takes in a timestamp received from another node (in a message, a transaction, a lease), so
   * that every later reading here follows it. Rejects, without moving the clock, a timestamp
   * further ahead of the local physical clock than the maximum offset: one node with a runaway
   * clock must not drag the cluster's time forward.
   */
  update(remote: Timestamp): void {
    if (this.maxOffsetUs > 0) {
      const pt = this.physicalClock();
      if (remote.wall - pt > this.maxOffsetUs) {
        throw new ThinkLiteError(
          'CLOCK_OFFSET_EXCEEDED',
          `remote timestamp ${formatTimestamp(remote)} is ${remote.wall - pt}µs ahead of the local clock; ` +
            `the maximum clock offset is ${this.maxOffsetUs}µs`,
          { remote: formatTimestamp(remote), localWall: pt, maxOffsetUs: this.maxOffsetUs },
        );
      }
    }
    if (timestampLess({ wall: this.lastWall, logical: this.lastLogical }, remote)) {
      this.lastWall = remote.wall;
      this.lastLogical = remote.logical;
    }
  }

  /**
   * Moves the clock up to `ts`, one of this node's own earlier timestamps (read back from disk at a
   * restart, or from another process of the same node), with no offset check: after the wall
   * clock stepped back, the clock must still never hand out a timestamp below one it handed out
   * before, however far ahead that one now is.
   */
  advanceTo(ts: Timestamp): void {
    if (timestampLess({ wall: this.lastWall, logical: this.lastLogical }, ts)) {
      this.lastWall = ts.wall;
      this.lastLogical = ts.logical;
    }
  }

  /** `update(remote)` and then `now()`: the timestamp of an event caused by a received message. */
  receive(remote: Timestamp): Timestamp {
    this.update(remote);
    return this.now();
  }
}

/** A manual physical clock for tests and simulation. */
export class ManualClock {
  constructor(private micros: number) {}
  readonly read: PhysicalClock = () => this.micros;
  set(micros: number): void {
    this.micros = micros;
  }
  advance(micros: number): void {
    this.micros += micros;
  }
}
