import { AssertionError, assert } from '@thinklite/base';
import type { Entry, Snapshot } from '../types.js';
import { CompactedError, type RaftStorage, UnavailableError } from './storage.js';

/**
 * The log as the Raft core sees it: the durable part in storage, and in front of it the unstable
 * part — entries (and perhaps a snapshot) accepted but not yet persisted, handed to the driver in
 * the next Ready. `committed` is the highest index known committed, `applied` the highest the
 * application has applied. Invariant: applied ≤ committed ≤ lastIndex().
 */
export class RaftLog {
  committed: number;
  applied: number;
  /** Unstable entries: unstableEntries[i].index === unstableOffset + i. */
  unstableEntries: Entry[] = [];
  unstableOffset: number;
  unstableSnapshot: Snapshot | undefined;
  /**
   * The driver may persist Readies asynchronously (several in flight, reported in order by
   * advance): the last unstable entry already handed out to be persisted, whether the unstable
   * snapshot was, and the last committed entry handed out to be applied. The next Ready holds only
   * what comes after them (etcd/raft's offsetInProgress and applying).
   */
  inProgress: number;
  snapshotInProgress = false;
  applying: number;

  constructor(readonly storage: RaftStorage) {
    const first = storage.firstIndex();
    this.unstableOffset = storage.lastIndex() + 1;
    this.inProgress = this.unstableOffset - 1;
    this.committed = first - 1;
    this.applied = first - 1;
    this.applying = first - 1;
  }

  firstIndex(): number {
    if (this.unstableSnapshot) return this.unstableSnapshot.meta.index + 1;
    return this.storage.firstIndex();
  }

  lastIndex(): number {
    if (this.unstableEntries.length > 0) return this.unstableOffset + this.unstableEntries.length - 1;
    if (this.unstableSnapshot) return this.unstableSnapshot.meta.index;
    return this.storage.lastIndex();
  }

  /** The term of entry i, or undefined when it was compacted or does not exist yet. */
  term(i: number): number | undefined {
    if (i === 0) return 0;
    if (i < this.firstIndex() - 1 || i > this.lastIndex()) return undefined;
    if (i >= this.unstableOffset && this.unstableEntries.length > 0) {
      return this.unstableEntries[i - this.unstableOffset]?.term;
    }
    if (this.unstableSnapshot && i === this.unstableSnapshot.meta.index) return this.unstableSnapshot.meta.term;
    try {
      return this.storage.term(i);
    } catch (e) {
      if (e instanceof CompactedError || e instanceof UnavailableError) return undefined;
      throw e;
    }
  }

  lastTerm(): number {
    return this.term(this.lastIndex()) ?? 0;
  }

  matchTerm(i: number, term: number): boolean {
    return this.term(i) === term;
  }

  /** Whether a log ending at (lastIndex, term) is at least as up to date as ours (§5.4.1). */
  isUpToDate(lastIndex: number, term: number): boolean {
    const ourTerm = this.lastTerm();
    return term > ourTerm || (term === ourTerm && lastIndex >= this.lastIndex());
  }

  /** The first entry whose term disagrees with ours (or is new to us), 0 when all match. */
  findConflict(entries: readonly Entry[]): number {
    for (const e of entries) if (!this.matchTerm(e.index, e.term)) return e.index;
    return 0;
  }

  /**
   * The largest index ≤ `index` whose term is ≤ `term`: where a leader should probe next after a
   * rejection (the fast back-off of the Raft thesis §5.3, as etcd/raft implements it).
   */
  findConflictByTerm(index: number, term: number): number {
    let i = Math.min(index, this.lastIndex());
    for (; i > 0; i--) {
      const t = this.term(i);
      if (t === undefined || t <= term) break;
    }
    return i;
  }

  /**
   * A follower's append: if our entry at `index` has `logTerm`, appends `entries` (truncating a
   * conflicting suffix) and advances commit to min(commit, last new). Returns the last new index,
   * or undefined when the log does not match at `index`.
   */
  maybeAppend(index: number, logTerm: number, commit: number, entries: readonly Entry[]): number | undefined {
    if (!this.matchTerm(index, logTerm)) return undefined;
    const lastNew = index + entries.length;
    const conflict = this.findConflict(entries);
    if (conflict !== 0) {
      assert(
        conflict > this.committed,
        `entry ${conflict} conflicts with the committed log (committed ${this.committed})`,
      );
      this.append(entries.slice(conflict - index - 1));
    }
    this.commitTo(Math.min(commit, lastNew));
    return lastNew;
  }

  /** Appends entries at the end, truncating the unstable log where they start. Returns lastIndex. */
  append(entries: readonly Entry[]): number {
    if (entries.length === 0) return this.lastIndex();
    const after = (entries[0] as Entry).index - 1;
    if (!(after >= this.committed))
      throw new AssertionError(`append after ${after} would overwrite committed ${this.committed}`);
    // Entries being persisted from `after + 1` on are replaced: they go out again in the next Ready.
    this.inProgress = Math.min(this.inProgress, after);
    if (after + 1 === this.unstableOffset + this.unstableEntries.length) {
      this.unstableEntries.push(...entries);
    } else if (after + 1 <= this.unstableOffset) {
      // The new entries replace the whole unstable log, and perhaps part of the stable one: the
      // driver persists them over what storage has from their first index on.
      this.unstableOffset = after + 1;
      this.unstableEntries = [...entries];
    } else {
      this.unstableEntries = [...this.unstableEntries.slice(0, after + 1 - this.unstableOffset), ...entries];
    }
    return this.lastIndex();
  }

  commitTo(index: number): void {
    if (index <= this.committed) return;
    if (!(index <= this.lastIndex()))
      throw new AssertionError(`commit ${index} beyond the last index ${this.lastIndex()}`);
    this.committed = index;
  }

  appliedTo(index: number): void {
    if (index === 0) return;
    assert(
      index <= this.committed && index >= this.applied,
      `applied ${index} outside [${this.applied}, ${this.committed}]`,
    );
    this.applied = index;
    if (this.applying < index) this.applying = index;
  }

  /** Entries [lo, hi), from storage and the unstable log. Undefined when lo was compacted. */
  slice(lo: number, hi: number, maxEntries = Number.POSITIVE_INFINITY): Entry[] | undefined {
    if (lo >= hi) return [];
    if (lo < this.firstIndex()) return undefined;
    if (!(hi <= this.lastIndex() + 1)) throw new AssertionError(`slice to ${hi} beyond last index ${this.lastIndex()}`);
    const out: Entry[] = [];
    if (lo < this.unstableOffset) {
      const stableHi = Math.min(hi, this.unstableOffset, this.storage.lastIndex() + 1);
      if (lo < stableHi) {
        try {
          out.push(...this.storage.entries(lo, stableHi, maxEntries));
        } catch (e) {
          if (e instanceof CompactedError) return undefined;
          throw e;
        }
        if (out.length < stableHi - lo || out.length >= maxEntries) return out.slice(0, maxEntries);
      }
    }
    if (hi > this.unstableOffset) {
      const from = Math.max(lo, this.unstableOffset);
      out.push(...this.unstableEntries.slice(from - this.unstableOffset, hi - this.unstableOffset));
    }
    return out.slice(0, maxEntries);
  }

  /**
   * The committed entries to apply next: only those already persisted. A follower can learn that
   * an entry is committed in the very message that brings it; it applies it one Ready later, once
   * the driver has made it durable, so the state machine never holds an entry its own log could
   * still lose in a crash (etcd's async-storage-writes rule).
   */
  nextCommittedEntries(maxEntries = Number.POSITIVE_INFINITY): Entry[] {
    const lo = Math.max(this.applying + 1, this.firstIndex());
    const hi = this.applyableIndex();
    if (hi < lo) return [];
    return this.slice(lo, hi + 1, maxEntries) ?? [];
  }

  hasNextCommittedEntries(): boolean {
    return this.applyableIndex() > Math.max(this.applying, this.firstIndex() - 1);
  }

  /** The unstable entries not yet handed out to be persisted. */
  entriesToPersist(): Entry[] {
    // inProgress ≥ unstableOffset - 1 always holds; the floor keeps slice() from counting from the end.
    return this.unstableEntries.slice(Math.max(0, this.inProgress + 1 - this.unstableOffset));
  }

  hasEntriesToPersist(): boolean {
    return this.unstableOffset + this.unstableEntries.length - 1 > this.inProgress;
  }

  /** The unstable snapshot, unless it is already being persisted. */
  snapshotToPersist(): Snapshot | undefined {
    return this.snapshotInProgress ? undefined : this.unstableSnapshot;
  }

  /** A Ready handed out the unstable log (through lastIndex) and committed entries through `applying`. */
  accept(applying: number): void {
    if (this.unstableEntries.length > 0) this.inProgress = this.lastIndex();
    if (this.unstableSnapshot) this.snapshotInProgress = true;
    if (this.applying < applying) this.applying = applying;
  }

  /** The last index that may be applied: committed and persisted. */
  applyableIndex(): number {
    return Math.min(this.committed, this.lastStableIndex());
  }

  /** The last index that is persisted (unstable entries are not; an unstable snapshot is not). */
  lastStableIndex(): number {
    if (this.unstableEntries.length > 0) return this.unstableOffset - 1;
    if (this.unstableSnapshot) return this.unstableSnapshot.meta.index - 1;
    return this.lastIndex();
  }

  /** The driver persisted the unstable entries up to (index, term). */
  stableTo(index: number, term: number): void {
    if (this.unstableEntries.length === 0 || index < this.unstableOffset) return;
    const e = this.unstableEntries[index - this.unstableOffset];
    if (!e || e.term !== term) return; // overwritten since: they will come again in a later Ready
    this.unstableEntries = this.unstableEntries.slice(index + 1 - this.unstableOffset);
    this.unstableOffset = index + 1;
    if (this.inProgress < index) this.inProgress = index;
  }

  stableSnapTo(index: number): void {
    if (this.unstableSnapshot?.meta.index !== index) return;
    this.unstableSnapshot = undefined;
    this.snapshotInProgress = false;
  }

  /** The latest snapshot, unstable or stored. */
  snapshot(): Snapshot {
    return this.unstableSnapshot ?? this.storage.snapshot();
  }

  /** Replaces the log with a snapshot received from the leader. */
  restore(snapshot: Snapshot): void {
    this.committed = snapshot.meta.index;
    this.unstableSnapshot = snapshot;
    this.snapshotInProgress = false;
    this.unstableEntries = [];
    this.unstableOffset = snapshot.meta.index + 1;
    this.inProgress = snapshot.meta.index;
  }
}
