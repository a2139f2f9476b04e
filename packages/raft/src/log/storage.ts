import { assert } from '@thinklite/base';
import { type ConfState, EMPTY_HARD_STATE, type Entry, type HardState, type Snapshot } from '../types.js';

/** An index below the log's first index: its entry was compacted into a snapshot. */
export class CompactedError extends Error {
  override name = 'CompactedError';
}

/** An index above the log's last index. */
export class UnavailableError extends Error {
  override name = 'UnavailableError';
}

export const EMPTY_CONF: ConfState = Object.freeze({
  voters: [],
  votersOutgoing: [],
  learners: [],
  learnersNext: [],
  autoLeave: false,
});

/**
 * What the Raft core reads of the persisted log, synchronously. The driver writes to the durable
 * store first and then makes the same change visible here (the etcd/raft `Storage` contract):
 * `entries`, `term`, `firstIndex`, `lastIndex` describe only what is durable.
 */
export interface RaftStorage {
  /** The persisted hard state, and the configuration as of the applied index. */
  initialState(): { hardState: HardState; confState: ConfState };
  /** Entries [lo, hi), at most `maxEntries` (at least one when any exist). */
  entries(lo: number, hi: number, maxEntries?: number): Entry[];
  /** The term of entry i; valid for firstIndex()-1 ≤ i ≤ lastIndex(). */
  term(i: number): number;
  firstIndex(): number;
  lastIndex(): number;
  /** The most recent snapshot. */
  snapshot(): Snapshot;
}

/**
 * A RaftStorage held in memory: the simulation's "disk" and, in a real node, the cache in front of
 * the durable log. `entries[0]` is a dummy holding the index and term of the last compacted entry.
 */
export class MemoryRaftStorage implements RaftStorage {
  private hardState: HardState = EMPTY_HARD_STATE;
  /** The configuration as of the applied index, which a restarting node resumes with. */
  private conf: ConfState;
  private snap: Snapshot;
  private ents: Entry[];

  constructor(conf: ConfState = EMPTY_CONF) {
    this.conf = conf;
    this.snap = { meta: { index: 0, term: 0, conf }, data: new Uint8Array(0) };
    this.ents = [{ index: 0, term: 0, type: 'normal', data: new Uint8Array(0) }];
  }

  /**
   * A new group's first replicas: a snapshot at index 1, term 1 holding the initial configuration
   * (and the application's initial state), the way CockroachDB creates a range's first replicas.
   * Nodes added later start empty and receive that snapshot (or a newer one) from the leader.
   */
  static bootstrap(conf: ConfState, data: Uint8Array = new Uint8Array(0)): MemoryRaftStorage {
    const s = new MemoryRaftStorage();
    s.snap = { meta: { index: 1, term: 1, conf }, data };
    s.conf = conf;
    s.ents = [{ index: 1, term: 1, type: 'normal', data: new Uint8Array(0) }];
    s.hardState = { term: 1, vote: 0, commit: 1 };
    return s;
  }

  initialState(): { hardState: HardState; confState: ConfState } {
    return { hardState: this.hardState, confState: this.conf };
  }

  setHardState(hs: HardState): void {
    this.hardState = hs;
  }

  /**
   * Records the configuration produced by applying a conf-change entry. The driver persists it
   * with the applied index: a node restarting after it applied the change must resume with it,
   * since the entry will not be applied again.
   */
  setConfState(cs: ConfState): void {
    this.conf = cs;
  }

  private get offset(): number {
    return (this.ents[0] as Entry).index;
  }

  firstIndex(): number {
    return this.offset + 1;
  }

  lastIndex(): number {
    return this.offset + this.ents.length - 1;
  }

  term(i: number): number {
    if (i < this.offset) throw new CompactedError(`index ${i} is compacted (offset ${this.offset})`);
    if (i > this.lastIndex()) throw new UnavailableError(`index ${i} is beyond the last index ${this.lastIndex()}`);
    return (this.ents[i - this.offset] as Entry).term;
  }

  entries(lo: number, hi: number, maxEntries = Number.POSITIVE_INFINITY): Entry[] {
    if (lo <= this.offset) throw new CompactedError(`entries from ${lo}: compacted up to ${this.offset}`);
    assert(hi <= this.lastIndex() + 1, `entries up to ${hi} beyond last index ${this.lastIndex()}`);
    const n = Math.max(1, Math.min(hi - lo, maxEntries));
    return this.ents.slice(lo - this.offset, Math.min(hi, lo + n) - this.offset);
  }

  snapshot(): Snapshot {
    return this.snap;
  }

  /** Appends entries, replacing any conflicting suffix (what persisting a Ready does). */
  append(entries: readonly Entry[]): void {
    if (entries.length === 0) return;
    const first = (entries[0] as Entry).index;
    assert(first <= this.lastIndex() + 1, `append at ${first} leaves a gap after ${this.lastIndex()}`);
    if (first + entries.length - 1 <= this.offset) return; // entirely compacted already
    const skip = Math.max(0, this.offset + 1 - first);
    const kept = this.ents.slice(0, first + skip - this.offset);
    this.ents = kept.concat(entries.slice(skip));
  }

  /** Replaces the whole log with a snapshot (a follower installing one). */
  applySnapshot(snapshot: Snapshot): void {
    if (snapshot.meta.index <= this.snap.meta.index) return;
    this.snap = snapshot;
    this.conf = snapshot.meta.conf;
    this.ents = [{ index: snapshot.meta.index, term: snapshot.meta.term, type: 'normal', data: new Uint8Array(0) }];
  }

  /** Records a snapshot of the application at `index` and drops the log up to it. */
  createSnapshot(index: number, conf: ConfState, data: Uint8Array): Snapshot {
    assert(index > this.snap.meta.index && index <= this.lastIndex(), `snapshot index ${index} out of range`);
    this.snap = { meta: { index, term: this.term(index), conf }, data };
    this.compact(index);
    return this.snap;
  }

  /** Drops entries up to and including `index` (they are in a snapshot). */
  compact(index: number): void {
    if (index <= this.offset) return;
    assert(index <= this.lastIndex(), `compact ${index} beyond last index ${this.lastIndex()}`);
    const term = this.term(index);
    this.ents = [{ index, term, type: 'normal', data: new Uint8Array(0) }, ...this.ents.slice(index - this.offset + 1)];
  }
}
