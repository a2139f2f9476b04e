import { compareBytes } from '@thinklite/storage';

/** A buffered write: a value, or null for a deletion. */
export interface BufferedWrite {
  readonly key: Buffer;
  readonly value: Buffer | null;
}

interface Undo {
  readonly id: string;
  readonly prev: BufferedWrite | undefined;
}

const idOf = (key: Uint8Array) => Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('latin1');

/**
 * A transaction's writes, held until commit: the newest write per key, an undo log for savepoints,
 * and the keys in order (sorted lazily, so a bulk load that never scans never sorts).
 */
export class WriteBuffer {
  private readonly writes = new Map<string, BufferedWrite>();
  private readonly undo: Undo[] = [];
  private sorted: BufferedWrite[] | undefined;

  get size(): number {
    return this.writes.size;
  }

  get(key: Uint8Array): BufferedWrite | undefined {
    return this.writes.get(idOf(key));
  }

  set(key: Uint8Array, value: Buffer | null): void {
    const id = idOf(key);
    const prev = this.writes.get(id);
    this.undo.push({ id, prev });
    if (!prev) this.sorted = undefined;
    const w = { key: Buffer.from(key), value };
    this.writes.set(id, w);
    if (prev && this.sorted) {
      const i = this.indexOf(w.key);
      this.sorted[i] = w;
    }
  }

  /** A position to roll back to. */
  mark(): number {
    return this.undo.length;
  }

  rollbackTo(mark: number): void {
    while (this.undo.length > mark) {
      const u = this.undo.pop() as Undo;
      if (u.prev) this.writes.set(u.id, u.prev);
      else this.writes.delete(u.id);
    }
    this.sorted = undefined;
  }

  /** Every write, in key order. */
  ordered(): readonly BufferedWrite[] {
    if (!this.sorted) this.sorted = [...this.writes.values()].sort((a, b) => compareBytes(a.key, b.key));
    return this.sorted;
  }

  /** The writes in [start, end), in key order (or reverse). */
  range(start: Uint8Array, end: Uint8Array, reverse: boolean): BufferedWrite[] {
    const all = this.ordered();
    const lo = this.lowerBound(all, start);
    const hi = this.lowerBound(all, end);
    const out = all.slice(lo, hi);
    return reverse ? out.reverse() : out;
  }

  private indexOf(key: Buffer): number {
    return this.lowerBound(this.sorted as BufferedWrite[], key);
  }

  private lowerBound(all: readonly BufferedWrite[], key: Uint8Array): number {
    let lo = 0;
    let hi = all.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareBytes((all[mid] as BufferedWrite).key, key) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
