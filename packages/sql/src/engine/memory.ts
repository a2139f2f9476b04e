import { ThinkLiteError } from '@thinklite/base';
import type { Datum } from '../types/datum.js';

/**
 * A statement's memory account: the rows a query holds at once (results, sort input, the build
 * side of a hash join, aggregation groups, window partitions, materialized subqueries) are
 * charged here by an estimate of their size, and the statement fails with OUT_OF_MEMORY (53200)
 * when it would pass the session's `query_memory_limit` — a clear error instead of a process
 * that runs out of heap. (Spilling to disk is future work.)
 */
export class MemoryAccount {
  private used = 0;

  constructor(readonly limitBytes: number) {}

  get usedBytes(): number {
    return this.used;
  }

  charge(bytes: number, what: string): void {
    this.used += bytes;
    if (this.used > this.limitBytes) {
      throw new ThinkLiteError(
        'OUT_OF_MEMORY',
        `query exceeded its memory limit of ${formatBytes(this.limitBytes)} while ${what}`,
        {
          hint: 'Raise query_memory_limit, or let the query read fewer rows (a narrower WHERE clause, an index).',
          limitBytes: this.limitBytes,
        },
      );
    }
  }

  chargeRow(row: readonly Datum[], what: string): void {
    this.charge(rowBytes(row), what);
  }

  /** Gives back what rows no longer held had been charged (a top-N sort discarding rows). */
  release(bytes: number): void {
    this.used = Math.max(0, this.used - bytes);
  }
}

/** A rough size of a value in memory. */
export function datumBytes(d: Datum): number {
  if (d === null || typeof d === 'boolean' || typeof d === 'number') return 8;
  if (typeof d === 'bigint') return 16;
  if (typeof d === 'string') return 16 + 2 * d.length;
  if (d instanceof Uint8Array) return 16 + d.length;
  if (Array.isArray(d)) return 16 + d.reduce((n: number, x: Datum) => n + datumBytes(x), 0);
  return 64;
}

export function rowBytes(row: readonly Datum[]): number {
  let n = 32;
  for (const d of row) n += datumBytes(d);
  return n;
}

const UNITS: Record<string, number> = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3, tb: 1024 ** 4 };

/** PostgreSQL-style memory sizes: `64MB`, `1GB`, `512kB`, or a number of kilobytes. */
export function parseBytes(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?b)?\s*$/i.exec(text);
  if (!m) return undefined;
  const unit = (m[2] ?? 'kb').toLowerCase();
  const mult = UNITS[unit];
  return mult === undefined ? undefined : Math.floor(Number(m[1]) * mult);
}

export function formatBytes(n: number): string {
  for (const [u, m] of [
    ['TB', 1024 ** 4],
    ['GB', 1024 ** 3],
    ['MB', 1024 ** 2],
    ['kB', 1024],
  ] as const) {
    if (n >= m && n % m === 0) return `${n / m}${u}`;
  }
  return `${n}B`;
}
