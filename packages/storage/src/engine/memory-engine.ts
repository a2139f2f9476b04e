import { ThinkLiteError } from '@thinklite/base';
import {
  type Engine,
  type EngineStats,
  type Entry,
  type ScanOptions,
  type Snapshot,
  SPACES,
  type Space,
} from './engine.js';
import { WriteBatch } from './write-batch.js';

/** One space's sorted entries. Shared with snapshots until the next write copies it. */
interface SortedTable {
  keys: Buffer[];
  values: Buffer[];
  shared: boolean;
}

function lowerBound(keys: Buffer[], key: Uint8Array): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (Buffer.compare(keys[mid] as Buffer, key) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function tableGet(t: SortedTable, key: Uint8Array): Buffer | undefined {
  const i = lowerBound(t.keys, key);
  const k = t.keys[i];
  return k !== undefined && Buffer.compare(k, key) === 0 ? Buffer.from(t.values[i] as Buffer) : undefined;
}

function* tableScan(t: SortedTable, options: ScanOptions = {}): IterableIterator<Entry> {
  const { start, end, reverse = false, limit = Number.POSITIVE_INFINITY } = options;
  const lo = start ? lowerBound(t.keys, start) : 0;
  const hi = end ? lowerBound(t.keys, end) : t.keys.length;
  // Snapshot the bounds' arrays: a write during iteration copies rather than mutates them.
  const { keys, values } = t;
  let n = 0;
  if (reverse) {
    for (let i = hi - 1; i >= lo && n < limit; i--, n++) {
      yield { key: Buffer.from(keys[i] as Buffer), value: Buffer.from(values[i] as Buffer) };
    }
  } else {
    for (let i = lo; i < hi && n < limit; i++, n++) {
      yield { key: Buffer.from(keys[i] as Buffer), value: Buffer.from(values[i] as Buffer) };
    }
  }
}

/**
 * An in-memory engine behind the same interface as LmdbEngine, for tests and deterministic
 * simulation. Sorted arrays per space with binary search; snapshots share the arrays
 * copy-on-write. Not durable by design: `commit` resolves on the next microtask.
 */
export class MemoryEngine implements Engine {
  readonly kind = 'memory' as const;
  private tables = new Map<Space, SortedTable>(SPACES.map((s) => [s, { keys: [], values: [], shared: false }]));
  private closed = false;
  private counters = { commits: 0, batches: 0, bytesWritten: 0 };

  private table(space: Space): SortedTable {
    this.checkOpen();
    return this.tables.get(space) as SortedTable;
  }

  private checkOpen(): void {
    if (this.closed) throw new ThinkLiteError('STORE_CLOSED', 'in-memory store is closed');
  }

  get(space: Space, key: Uint8Array): Buffer | undefined {
    return tableGet(this.table(space), key);
  }

  scan(space: Space, options?: ScanOptions): IterableIterator<Entry> {
    // Like an LMDB cursor, a scan reads one consistent state: a write during it copies the table.
    const t = this.table(space);
    t.shared = true;
    return tableScan(t, options);
  }

  newBatch(): WriteBatch {
    this.checkOpen();
    return new WriteBatch(this);
  }

  async commit(batch: WriteBatch): Promise<void> {
    this.checkOpen();
    for (const op of batch.ops) {
      const t = this.writable(op.space);
      if (op.kind === 'put') {
        const i = lowerBound(t.keys, op.key);
        if (i < t.keys.length && Buffer.compare(t.keys[i] as Buffer, op.key) === 0) t.values[i] = op.value;
        else {
          t.keys.splice(i, 0, op.key);
          t.values.splice(i, 0, op.value);
        }
      } else if (op.kind === 'delete') {
        const i = lowerBound(t.keys, op.key);
        if (i < t.keys.length && Buffer.compare(t.keys[i] as Buffer, op.key) === 0) {
          t.keys.splice(i, 1);
          t.values.splice(i, 1);
        }
      } else {
        const lo = lowerBound(t.keys, op.start);
        const hi = lowerBound(t.keys, op.end);
        t.keys.splice(lo, hi - lo);
        t.values.splice(lo, hi - lo);
      }
    }
    this.counters.commits++;
    this.counters.batches++;
    this.counters.bytesWritten += batch.byteSize;
    await Promise.resolve();
  }

  /** The space's table, copied first if a snapshot still shares it. */
  private writable(space: Space): SortedTable {
    const t = this.table(space);
    if (!t.shared) return t;
    const copy = { keys: t.keys.slice(), values: t.values.slice(), shared: false };
    this.tables.set(space, copy);
    return copy;
  }

  snapshot(): Snapshot {
    this.checkOpen();
    const frozen = new Map<Space, SortedTable>();
    for (const [space, t] of this.tables) {
      t.shared = true;
      frozen.set(space, t);
    }
    let open = true;
    const table = (space: Space) => {
      if (!open) throw new ThinkLiteError('STORE_CLOSED', 'snapshot is closed');
      return frozen.get(space) as SortedTable;
    };
    return {
      get: (space, key) => tableGet(table(space), key),
      scan: (space, options) => tableScan(table(space), options),
      close: () => {
        open = false;
      },
    };
  }

  /** Reads always see the latest commit. */
  refreshReads(): void {}

  stats(): EngineStats {
    return { ...this.counters };
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}
