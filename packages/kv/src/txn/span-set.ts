import { compareBytes } from '@thinklite/storage';

export interface KeySpan {
  readonly start: Buffer;
  /** Exclusive. */
  readonly end: Buffer;
}

/** The key just after `key` in byte order: the exclusive end of a point span. */
export function keyNext(key: Uint8Array): Buffer {
  return Buffer.concat([key, Buffer.of(0)]);
}

/**
 * The spans a transaction has read (CockroachDB's refresh spans): at commit, a serializable
 * transaction fails if any write committed after its snapshot falls inside one of them.
 */
export class SpanSet {
  private spans: KeySpan[] = [];
  private merged = true;

  get size(): number {
    return this.spans.length;
  }

  add(start: Uint8Array, end: Uint8Array): void {
    if (compareBytes(start, end) >= 0) return;
    this.spans.push({ start: Buffer.from(start), end: Buffer.from(end) });
    this.merged = false;
  }

  addPoint(key: Uint8Array): void {
    this.add(key, keyNext(key));
  }

  /** Sorts and merges overlapping spans, so lookups are a binary search. */
  private normalize(): KeySpan[] {
    if (this.merged) return this.spans;
    const sorted = [...this.spans].sort((a, b) => compareBytes(a.start, b.start));
    const out: KeySpan[] = [];
    for (const s of sorted) {
      const last = out[out.length - 1];
      if (last && compareBytes(s.start, last.end) <= 0) {
        if (compareBytes(s.end, last.end) > 0) out[out.length - 1] = { start: last.start, end: s.end };
      } else out.push(s);
    }
    this.spans = out;
    this.merged = true;
    return out;
  }

  contains(key: Uint8Array): boolean {
    const spans = this.normalize();
    let lo = 0;
    let hi = spans.length;
    // The last span starting at or before key.
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareBytes((spans[mid] as KeySpan).start, key) <= 0) lo = mid + 1;
      else hi = mid;
    }
    const s = spans[lo - 1];
    return s !== undefined && compareBytes(key, s.end) < 0;
  }

  /** The merged spans flattened (start, end, start, end, …), to send to another process. */
  flat(): Buffer[] {
    const out: Buffer[] = [];
    for (const s of this.normalize()) out.push(s.start, s.end);
    return out;
  }

  /** The first of `keys` inside the set, if any. */
  firstContained(keys: readonly Uint8Array[]): Uint8Array | undefined {
    for (const k of keys) if (this.contains(k)) return k;
    return undefined;
  }
}
