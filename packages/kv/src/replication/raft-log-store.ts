import { assert } from '@thinklite/base';
import {
  CompactedError,
  type ConfState,
  EMPTY_HARD_STATE,
  type Entry,
  type HardState,
  type RaftStorage,
  type Ready,
  type Snapshot,
  type SnapshotMeta,
  UnavailableError,
} from '@thinklite/raft';
import type { Engine, WriteBatch } from '@thinklite/storage';
import {
  decodeConfState,
  decodeEntry,
  decodeHardState,
  decodeSnapshotMeta,
  encodeConfState,
  encodeEntry,
  encodeHardState,
  encodeSnapshotMeta,
} from './raft-codec.js';

/**
 * Keys of one range's Raft state in the engine's `raft` space:
 *   range id (u64) | 0x01                → hard state
 *   range id (u64) | 0x02                → truncated state: index, term and configuration of the
 *                                          last entry folded into the range's snapshot
 *   range id (u64) | 0x03                → configuration as of the applied index
 *   range id (u64) | 0x10 | index (u64)  → log entry
 * Big-endian integers keep one range's entries in index order and ranges apart.
 */
const HARD_STATE = 0x01;
const TRUNCATED = 0x02;
const CONF = 0x03;
const LOG = 0x10;

function rangePrefix(rangeId: number, suffix: number): Buffer {
  const b = Buffer.alloc(9);
  b.writeUInt32BE(Math.floor(rangeId / 0x1_0000_0000), 0);
  b.writeUInt32BE(rangeId >>> 0, 4);
  b[8] = suffix;
  return b;
}

function logKey(rangeId: number, index: number): Buffer {
  const b = Buffer.alloc(17);
  rangePrefix(rangeId, LOG).copy(b, 0);
  b.writeUInt32BE(Math.floor(index / 0x1_0000_0000), 9);
  b.writeUInt32BE(index >>> 0, 13);
  return b;
}

/**
 * A range's Raft log and state, durable in a storage Engine (the etcd/raft Storage contract: reads
 * describe only what is committed to the engine). Writes are staged into a WriteBatch — the
 * driver puts many ranges' Readies into one batch and one fsync — and become visible to reads
 * through `committed()` once that batch's commit resolves.
 */
export class RaftLogStore implements RaftStorage {
  private hard: HardState;
  private conf: ConfState;
  private truncated: SnapshotMeta;
  private last: number;

  private constructor(
    private readonly engine: Engine,
    readonly rangeId: number,
    private readonly snapshotSource: () => { index: number; data: Uint8Array },
  ) {
    const hs = engine.get('raft', rangePrefix(rangeId, HARD_STATE));
    const tr = engine.get('raft', rangePrefix(rangeId, TRUNCATED));
    const cs = engine.get('raft', rangePrefix(rangeId, CONF));
    this.hard = hs ? decodeHardState(hs) : EMPTY_HARD_STATE;
    this.truncated = tr
      ? decodeSnapshotMeta(tr)
      : {
          index: 0,
          term: 0,
          conf: { voters: [], votersOutgoing: [], learners: [], learnersNext: [], autoLeave: false },
        };
    this.conf = cs ? decodeConfState(cs) : this.truncated.conf;
    this.last = this.truncated.index;
    for (const e of engine.scan('raft', {
      start: logKey(rangeId, 0),
      end: rangePrefix(rangeId, LOG + 1),
      reverse: true,
      limit: 1,
    })) {
      this.last = decodeEntry(e.value).index;
    }
  }

  /** Loads a range's Raft state from the engine (empty for a replica not yet initialized). */
  static open(
    engine: Engine,
    rangeId: number,
    snapshotSource: () => { index: number; data: Uint8Array },
  ): RaftLogStore {
    return new RaftLogStore(engine, rangeId, snapshotSource);
  }

  /**
   * Writes the first state of a new range's first replicas: a snapshot at index 1, term 1 with the
   * initial configuration (CockroachDB's initial ranges are created the same way).
   */
  static bootstrap(batch: WriteBatch, rangeId: number, conf: ConfState): void {
    batch.put('raft', rangePrefix(rangeId, TRUNCATED), encodeSnapshotMeta({ index: 1, term: 1, conf }));
    batch.put('raft', rangePrefix(rangeId, CONF), encodeConfState(conf));
    batch.put('raft', rangePrefix(rangeId, HARD_STATE), encodeHardState({ term: 1, vote: 0, commit: 1 }));
  }

  initialState(): { hardState: HardState; confState: ConfState } {
    return { hardState: this.hard, confState: this.conf };
  }

  firstIndex(): number {
    return this.truncated.index + 1;
  }

  lastIndex(): number {
    return this.last;
  }

  term(i: number): number {
    if (i < this.truncated.index) throw new CompactedError(`range ${this.rangeId}: index ${i} is compacted`);
    if (i === this.truncated.index) return this.truncated.term;
    if (i > this.last) throw new UnavailableError(`range ${this.rangeId}: index ${i} is beyond ${this.last}`);
    const raw = this.engine.get('raft', logKey(this.rangeId, i));
    assert(raw !== undefined, `range ${this.rangeId}: log entry ${i} missing below last index ${this.last}`);
    return decodeEntry(raw).term;
  }

  entries(lo: number, hi: number, maxEntries = Number.POSITIVE_INFINITY): Entry[] {
    if (lo <= this.truncated.index) throw new CompactedError(`range ${this.rangeId}: entries from ${lo} are compacted`);
    assert(hi <= this.last + 1, `range ${this.rangeId}: entries up to ${hi} beyond last index ${this.last}`);
    const limit = Math.max(1, Math.min(hi - lo, maxEntries));
    const out: Entry[] = [];
    for (const e of this.engine.scan('raft', {
      start: logKey(this.rangeId, lo),
      end: logKey(this.rangeId, hi),
      limit,
    })) {
      const entry = decodeEntry(e.value);
      assert(entry.index === lo + out.length, `range ${this.rangeId}: hole in the log at ${lo + out.length}`);
      out.push(entry);
    }
    return out;
  }

  /**
   * A snapshot of the state machine as it is now, at its applied index (CockroachDB sends range
   * snapshots the same way): the follower installs exactly that state and continues from there.
   */
  snapshot(): Snapshot {
    const { index, data } = this.snapshotSource();
    if (index <= this.truncated.index) return { meta: this.truncated, data };
    return { meta: { index, term: this.term(index), conf: this.conf }, data };
  }

  /**
   * Stages a Ready's durable part into `batch`; returns what to call once the batch is committed
   * (and only then: reads must describe what is on disk).
   */
  stage(batch: WriteBatch, rd: Ready): () => void {
    let truncated = this.truncated;
    let conf = this.conf;
    let last = this.last;
    if (rd.snapshot) {
      truncated = rd.snapshot.meta;
      conf = rd.snapshot.meta.conf;
      batch.clearRange('raft', logKey(this.rangeId, 0), rangePrefix(this.rangeId, LOG + 1));
      batch.put('raft', rangePrefix(this.rangeId, TRUNCATED), encodeSnapshotMeta(truncated));
      batch.put('raft', rangePrefix(this.rangeId, CONF), encodeConfState(conf));
      last = truncated.index;
    }
    if (rd.entries.length > 0) {
      for (const e of rd.entries) batch.put('raft', logKey(this.rangeId, e.index), encodeEntry(e));
      const newLast = (rd.entries[rd.entries.length - 1] as Entry).index;
      // A new leader's entries replace a conflicting suffix: delete what lies beyond them.
      if (newLast < last) batch.clearRange('raft', logKey(this.rangeId, newLast + 1), logKey(this.rangeId, last + 1));
      last = newLast;
    }
    const hard = rd.hardState ?? this.hard;
    if (rd.hardState) batch.put('raft', rangePrefix(this.rangeId, HARD_STATE), encodeHardState(rd.hardState));
    return () => {
      this.truncated = truncated;
      this.conf = conf;
      this.last = last;
      this.hard = hard;
    };
  }

  /**
   * Stages the configuration produced by applying a conf change, to commit with the applied index.
   * It is the configuration snapshots describe from now on, so it is taken at once.
   */
  stageConfState(batch: WriteBatch, cs: ConfState): void {
    batch.put('raft', rangePrefix(this.rangeId, CONF), encodeConfState(cs));
    this.conf = cs;
  }

  /**
   * Stages dropping the log up to `index` (folded into a snapshot of the applied state). The
   * entries count as gone at once, not when the commit resolves: the engine makes a commit
   * visible to reads slightly before its promise resolves, and a read in between must not find
   * the cache promising entries the engine no longer has. (Appends are the other way round: the
   * cache learns of them only once they are committed.)
   */
  stageCompaction(batch: WriteBatch, index: number): void {
    if (index <= this.truncated.index) return;
    assert(index <= this.last, `range ${this.rangeId}: compaction to ${index} beyond last index ${this.last}`);
    const truncated = { index, term: this.term(index), conf: this.conf };
    batch.clearRange('raft', logKey(this.rangeId, this.truncated.index + 1), logKey(this.rangeId, index + 1));
    batch.put('raft', rangePrefix(this.rangeId, TRUNCATED), encodeSnapshotMeta(truncated));
    this.truncated = truncated;
  }

  /** Entries held in the log (for the log-size metric). */
  logEntries(): number {
    return this.last - this.truncated.index;
  }
}
