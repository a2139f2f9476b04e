import { AssertionError, assert, ThinkLiteError } from '@thinklite/base';
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
  decodeHardState,
  decodeSnapshotMeta,
  encodeConfState,
  encodeHardState,
  encodeSnapshotMeta,
} from './raft-codec.js';
import type { RaftWal } from './raft-wal.js';

/**
 * Keys of one range's Raft state in the engine's `raft` space (its log entries and hard state
 * live in the node's RaftWal):
 *   range id (u64) | 0x01                → hard state as bootstrapped (the log's records supersede it)
 *   range id (u64) | 0x02                → truncated state: index, term and configuration of the
 *                                          last entry folded into the range's snapshot
 *   range id (u64) | 0x03                → configuration as of the applied index
 *   range id (u64) | 0x04                → generation of the range's log (u32): bumped, with the
 *                                          truncated state, each time a snapshot replaces the log
 * Big-endian integers keep ranges apart.
 */
const HARD_STATE = 0x01;
const TRUNCATED = 0x02;
const CONF = 0x03;
const GENERATION = 0x04;

function rangePrefix(rangeId: number, suffix: number): Buffer {
  const b = Buffer.alloc(9);
  b.writeUInt32BE(Math.floor(rangeId / 0x1_0000_0000), 0);
  b.writeUInt32BE(rangeId >>> 0, 4);
  b[8] = suffix;
  return b;
}

function encodeGeneration(gen: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(gen >>> 0);
  return b;
}

/**
 * A range's Raft storage (the etcd/raft Storage contract: reads describe only what is durable).
 * The log and hard state are in the node's RaftWal, shared by all its ranges; the snapshot's
 * metadata, the configuration and the log's generation are in the engine, atomically with the
 * state machine's data. Writes are staged — log records into the WAL, the rest into a WriteBatch —
 * and the driver makes them durable for many ranges at once (the engine first when it holds
 * anything this range's log depends on); reads see them through the callback `stage` returns.
 */
export class RaftLogStore implements RaftStorage {
  private hard: HardState;
  private conf: ConfState;
  private truncated: SnapshotMeta;
  private last: number;
  private gen: number;
  /** The generation of what is staged (ahead of `gen` while a snapshot's Ready is being written). */
  private stagedGen: number;

  private constructor(
    engine: Engine,
    private readonly wal: RaftWal,
    readonly rangeId: number,
    private readonly snapshotSource: () => { index: number; data: Uint8Array },
  ) {
    const hs = engine.get('raft', rangePrefix(rangeId, HARD_STATE));
    const tr = engine.get('raft', rangePrefix(rangeId, TRUNCATED));
    const cs = engine.get('raft', rangePrefix(rangeId, CONF));
    const gen = engine.get('raft', rangePrefix(rangeId, GENERATION));
    this.truncated = tr
      ? decodeSnapshotMeta(tr)
      : {
          index: 0,
          term: 0,
          conf: { voters: [], votersOutgoing: [], learners: [], learnersNext: [], autoLeave: false },
        };
    this.conf = cs ? decodeConfState(cs) : this.truncated.conf;
    this.gen = gen ? gen.readUInt32BE(0) : 0;
    this.stagedGen = this.gen;
    const walGen = wal.generation(rangeId);
    if (walGen > this.gen)
      throw new ThinkLiteError(
        'STORE_CORRUPT',
        `range ${rangeId}: the Raft log is of generation ${walGen} but the store knows only ${this.gen}`,
        { path: wal.dir },
      );
    this.last = this.truncated.index;
    // A log of an older generation is the one a snapshot replaced (the crash came between the
    // engine's commit of the snapshot and the log's record of it): it is void.
    const span = walGen === this.gen ? wal.span(rangeId) : undefined;
    if (span && span.last > this.truncated.index) {
      if (span.first > this.truncated.index + 1)
        throw new ThinkLiteError(
          'STORE_CORRUPT',
          `range ${rangeId}: the Raft log starts at ${span.first}, after the snapshot at ${this.truncated.index}`,
          { path: wal.dir },
        );
      this.last = span.last;
    }
    wal.setTruncated(rangeId, this.truncated.index);
    const hard = wal.hardState(rangeId) ?? (hs ? decodeHardState(hs) : EMPTY_HARD_STATE);
    // Everything in the snapshot is committed, even if the hard state saying so was lost with the
    // log's tail after the snapshot landed.
    this.hard = hard.commit < this.truncated.index ? { ...hard, commit: this.truncated.index } : hard;
  }

  /** Loads a range's Raft state (empty for a replica not yet initialized). */
  static open(
    engine: Engine,
    wal: RaftWal,
    rangeId: number,
    snapshotSource: () => { index: number; data: Uint8Array },
  ): RaftLogStore {
    return new RaftLogStore(engine, wal, rangeId, snapshotSource);
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

  /**
   * Raises the commit index to what the state machine has applied: an applied entry is committed,
   * even when the hard state saying so was still on its way to the log (the engine, which holds
   * what was applied, may commit before the log when a snapshot or configuration rides along).
   */
  committedThrough(applied: number): void {
    if (applied <= this.hard.commit) return;
    if (applied > this.last)
      throw new ThinkLiteError(
        'STORE_CORRUPT',
        `range ${this.rangeId}: the state machine applied ${applied}, beyond the Raft log's last index ${this.last}`,
        { path: this.wal.dir },
      );
    this.hard = { ...this.hard, commit: applied };
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
    const t = this.wal.term(this.rangeId, i);
    if (!(t !== undefined))
      throw new AssertionError(`range ${this.rangeId}: log entry ${i} missing below last index ${this.last}`);
    return t;
  }

  entries(lo: number, hi: number, maxEntries = Number.POSITIVE_INFINITY): Entry[] {
    if (lo <= this.truncated.index) throw new CompactedError(`range ${this.rangeId}: entries from ${lo} are compacted`);
    if (!(hi <= this.last + 1))
      throw new AssertionError(`range ${this.rangeId}: entries up to ${hi} beyond last index ${this.last}`);
    const limit = Math.max(1, Math.min(hi - lo, maxEntries));
    const out = this.wal.entries(this.rangeId, lo, Math.min(hi, lo + limit));
    assert(
      out.length === Math.min(hi - lo, limit),
      `range ${this.rangeId}: hole in the log at ${lo + out.length} (asked ${lo}..${hi})`,
    );
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
   * Stages a Ready's durable part: a snapshot's metadata (with a new generation) into `batch`, which
   * must commit BEFORE the log's records; entries and hard state into the log. Returns what to call
   * once both are durable (and only then: reads must describe what is on disk).
   */
  stage(batch: WriteBatch, rd: Ready): () => void {
    // Several Readies may be staged before the first is durable (the driver pipelines): each builds
    // on what the ones before it staged, and each callback sets only what its own Ready changes.
    const snap = rd.snapshot?.meta;
    let last: number | undefined;
    if (snap) {
      this.stagedGen += 1;
      batch.put('raft', rangePrefix(this.rangeId, TRUNCATED), encodeSnapshotMeta(snap));
      batch.put('raft', rangePrefix(this.rangeId, CONF), encodeConfState(snap.conf));
      batch.put('raft', rangePrefix(this.rangeId, GENERATION), encodeGeneration(this.stagedGen));
      this.wal.stageReset(this.rangeId, this.stagedGen);
      last = snap.index;
    }
    const gen = this.stagedGen;
    if (rd.entries.length > 0) {
      this.wal.stageEntries(this.rangeId, gen, rd.entries);
      // A new leader's entries replace a conflicting suffix (the log drops it too).
      last = (rd.entries[rd.entries.length - 1] as Entry).index;
    }
    const hard = rd.hardState;
    if (hard) this.wal.stageHardState(this.rangeId, gen, hard);
    return () => {
      if (snap) {
        this.truncated = snap;
        this.conf = snap.conf;
        this.gen = gen;
        this.wal.setTruncated(this.rangeId, snap.index);
      }
      if (last !== undefined) this.last = last;
      if (hard) this.hard = hard;
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
   * Stages folding the log up to `index` into the applied state that `batch` commits; returns what
   * to call once it has. The entries count as gone at once (a snapshot taken meanwhile starts
   * after them); the log forgets them, and may delete its files, only once the batch is durable.
   */
  stageCompaction(batch: WriteBatch, index: number): () => void {
    if (index <= this.truncated.index) return () => {};
    assert(index <= this.last, `range ${this.rangeId}: compaction to ${index} beyond last index ${this.last}`);
    const truncated = { index, term: this.term(index), conf: this.conf };
    batch.put('raft', rangePrefix(this.rangeId, TRUNCATED), encodeSnapshotMeta(truncated));
    this.truncated = truncated;
    return () => this.wal.setTruncated(this.rangeId, index);
  }

  /** Entries held in the log (for the log-size metric). */
  logEntries(): number {
    return this.last - this.truncated.index;
  }
}
