import type { KvTxn } from '@thinklite/kv';
import { encodeKey } from '@thinklite/storage';
import type { ColumnDesc, DescriptorId, TableDesc } from '../catalog/descriptors.js';
import { hashKey } from '../types/compare.js';
import type { Datum } from '../types/datum.js';
import type { AccessPath } from './access.js';
import { TableCodec } from './table.js';

/**
 * Table statistics, gathered by ANALYZE (and again automatically once enough of a table has
 * changed): the row count and, per column, the number of distinct values and the fraction of
 * NULLs. Stored in the key space beside the descriptors (`0x04 'a' <table id>`), so every node
 * would see them. The planner uses them to estimate rows for EXPLAIN; a cost model that chooses
 * between plans with them is future work.
 */
export interface ColumnStats {
  readonly distinct: number;
  readonly nullFraction: number;
}

export interface TableStats {
  readonly rowCount: number;
  readonly columns: Readonly<Record<string, ColumnStats>>;
  /** When they were gathered, ms since 1970. */
  readonly analyzedAt: number;
}

export function statsKey(tableId: DescriptorId): Buffer {
  return Buffer.concat([Buffer.of(0x04, 'a'.charCodeAt(0)), encodeKey([{ type: 'int8' }], [BigInt(tableId)])]);
}

export async function readStats(txn: KvTxn, tableId: DescriptorId): Promise<TableStats | undefined> {
  const raw = await txn.get(statsKey(tableId));
  return raw ? (JSON.parse(raw.toString('utf8')) as TableStats) : undefined;
}

/** Scans a table and stores its statistics (only `columnIds` when given). */
export async function analyzeTable(
  txn: KvTxn,
  table: TableDesc,
  columnIds?: readonly number[],
  now = Date.now(),
): Promise<TableStats> {
  const stats = await computeStats(txn, table, columnIds, now);
  storeStats(txn, table.id, stats);
  return stats;
}

export function storeStats(txn: KvTxn, tableId: DescriptorId, stats: TableStats): void {
  txn.put(statsKey(tableId), Buffer.from(JSON.stringify(stats), 'utf8'));
}

/** Scans a table for its statistics (only `columnIds` when given), writing nothing. */
export async function computeStats(
  txn: KvTxn,
  table: TableDesc,
  columnIds?: readonly number[],
  now = Date.now(),
): Promise<TableStats> {
  const codec = new TableCodec(table);
  const cols = table.columns.filter((c) => !c.hidden && (!columnIds || columnIds.includes(c.id)));
  const positions = cols.map((c) => codec.position(c.id));
  const seen = cols.map(() => new Set<string>());
  const nulls = cols.map(() => 0);
  let rows = 0;
  const span = codec.span();
  for await (const batch of txn.scanBatches(span.start, span.end)) {
    for (const kv of batch) {
      const row = codec.decodeRow(kv.key, kv.value);
      rows++;
      positions.forEach((p, i) => {
        const v = row[p] ?? null;
        if (v === null) nulls[i] = (nulls[i] as number) + 1;
        else (seen[i] as Set<string>).add(hashKey((cols[i] as ColumnDesc).type, v as Datum));
      });
    }
  }
  const columns: Record<string, ColumnStats> = {};
  cols.forEach((c, i) => {
    columns[String(c.id)] = {
      distinct: (seen[i] as Set<string>).size,
      nullFraction: rows === 0 ? 0 : (nulls[i] as number) / rows,
    };
  });
  return { rowCount: rows, columns, analyzedAt: now };
}

/**
 * Estimated rows an access path reads: the table's count for a full scan; one for a point
 * lookup; count ÷ distinct values of the fixed columns for an equality prefix; a third of the
 * table for a range (PostgreSQL's default inequality selectivity). Undefined without statistics.
 */
export function estimateRows(path: AccessPath, stats: TableStats | undefined): number | undefined {
  if (!stats) return undefined;
  switch (path.kind) {
    case 'full':
      return stats.rowCount;
    case 'point':
      return Math.min(1, stats.rowCount);
    case 'prefix': {
      let rows = stats.rowCount;
      for (const ic of path.index.columns.slice(0, path.values.length)) {
        const d = stats.columns[String(ic.columnId)]?.distinct;
        rows = d ? rows / d : rows * 0.005;
      }
      return Math.max(1, Math.round(rows));
    }
    case 'range':
      return Math.max(1, Math.round(stats.rowCount / 3));
  }
}
