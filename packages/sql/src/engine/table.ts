import { isThinkLiteError, ThinkLiteError } from '@thinklite/base';
import type { KvTxn } from '@thinklite/kv';
import { KEY_SIZE_MAX_BYTES } from '@thinklite/storage';
import { type ColumnDesc, type IndexDesc, PRIMARY_INDEX_ID, type TableDesc } from '../catalog/descriptors.js';
import { indexPrefix, indexSpan } from '../catalog/keys.js';
import { decodeIndexKey, encodeIndexKey, type IndexKeyColumn } from '../rowcodec/key.js';
import { decodeValue, decodeValueInto, encodeValue, type ValueColumn } from '../rowcodec/value.js';
import { DEFAULT_CONTEXT } from '../types/datetime.js';
import type { Datum } from '../types/datum.js';
import { formatText } from '../types/text-io.js';

/** The columns `TableCodec.decodeRow` decodes. */
interface DecodePlan {
  /** Whether the primary key columns are decoded. */
  readonly key: boolean;
  /** The value columns to decode (increasing id), and the row position of each. */
  readonly columns: readonly ValueColumn[];
  readonly positions: readonly number[];
}

/**
 * How a table's rows and index entries sit in the key space (docs/architecture.md §8):
 *   primary index:  /<table>/1/<primary key columns>  → the other columns (value encoding)
 *   unique index:   /<table>/<index>/<index columns>  → the primary key and stored columns
 *                   (with the primary key appended to the key when an index column is NULL, since
 *                   NULLs never conflict)
 *   other index:    /<table>/<index>/<index columns>/<primary key columns> → stored columns
 * A row in memory is an array of Datums in the table's column order (hidden columns included).
 */
export class TableCodec {
  readonly columnIndex = new Map<number, number>();
  private readonly pkPositions: number[];
  private readonly pkColumns: IndexKeyColumn[];
  private readonly valuePositions: number[];
  private readonly valueColumns: ValueColumn[];
  private readonly prefix: Buffer;
  private readonly fullPlan: DecodePlan;
  readonly indexes: readonly IndexCodec[];

  constructor(readonly table: TableDesc) {
    for (const [i, c] of table.columns.entries()) this.columnIndex.set(c.id, i);
    const pk = table.primaryIndex;
    this.pkPositions = pk.columns.map((c) => this.position(c.columnId));
    this.pkColumns = pk.columns.map((c) => keyColumn(this.column(c.columnId), c));
    const inPk = new Set(pk.columns.map((c) => c.columnId));
    const rest = table.columns.filter((c) => !inPk.has(c.id)).sort((a, b) => a.id - b.id);
    this.valuePositions = rest.map((c) => this.position(c.id));
    this.valueColumns = rest.map((c) => ({ id: c.id, type: c.type }));
    this.prefix = indexPrefix(table.id, PRIMARY_INDEX_ID);
    this.fullPlan = { key: true, columns: this.valueColumns, positions: this.valuePositions };
    this.indexes = table.indexes.map((ix) => new IndexCodec(this, ix));
  }

  position(columnId: number): number {
    const p = this.columnIndex.get(columnId);
    if (p === undefined)
      throw new ThinkLiteError('INTERNAL_ERROR', `table ${this.table.name} has no column ${columnId}`);
    return p;
  }

  column(columnId: number): ColumnDesc {
    return this.table.columns[this.position(columnId)] as ColumnDesc;
  }

  get primaryKeyPositions(): readonly number[] {
    return this.pkPositions;
  }

  get primaryKeyColumns(): readonly IndexKeyColumn[] {
    return this.pkColumns;
  }

  primaryKey(row: readonly Datum[]): Buffer {
    return encodeIndexKey(
      this.prefix,
      this.pkColumns,
      this.pkPositions.map((p) => row[p] ?? null),
    );
  }

  /** The key of the row whose primary key columns are `values`. */
  primaryKeyOf(values: readonly Datum[]): Buffer {
    return encodeIndexKey(this.prefix, this.pkColumns, values);
  }

  encodeRow(row: readonly Datum[]): Buffer {
    return encodeValue(
      this.valueColumns,
      this.valuePositions.map((p) => row[p] ?? null),
    );
  }

  /**
   * A row from its primary index entry. With `needed` (row positions), only those columns are
   * decoded — the others read as NULL — for queries that use few of a table's columns; the key is
   * not decoded at all when none of its columns is needed.
   */
  decodeRow(key: Uint8Array, value: Uint8Array, needed?: ReadonlySet<number>): Datum[] {
    const plan = needed ? this.decodePlan(needed) : this.fullPlan;
    const width = this.table.columns.length;
    const row: Datum[] = new Array(width);
    for (let i = 0; i < width; i++) row[i] = null;
    if (plan.key) {
      const pk = decodeIndexKey(key, this.prefix.length, this.pkColumns);
      for (let i = 0; i < this.pkPositions.length; i++) row[this.pkPositions[i] as number] = pk[i] ?? null;
    }
    if (plan.columns.length > 0) decodeValueInto(plan.columns, plan.positions, value, row);
    return row;
  }

  private planCache: (DecodePlan & { needed: ReadonlySet<number> }) | undefined;

  /** What `decodeRow` reads for `needed`: the key or not, and which value columns where. */
  private decodePlan(needed: ReadonlySet<number>): DecodePlan {
    if (this.planCache?.needed === needed) return this.planCache;
    const keep = this.valuePositions.map((p, i) => [p, i] as const).filter(([p]) => needed.has(p));
    this.planCache = {
      needed,
      key: this.pkPositions.some((p) => needed.has(p)),
      columns: keep.map(([, i]) => this.valueColumns[i] as ValueColumn),
      positions: keep.map(([p]) => p),
    };
    return this.planCache;
  }

  span(): { start: Buffer; end: Buffer } {
    return indexSpan(this.table.id, PRIMARY_INDEX_ID);
  }

  /** `Key (a, b)=(1, x)` as PostgreSQL's constraint errors show it. */
  describeKey(positions: readonly number[], row: readonly Datum[]): string {
    const cols = positions.map((p) => (this.table.columns[p] as ColumnDesc).name);
    const vals = positions.map((p) => {
      const v = row[p] ?? null;
      return v === null ? 'null' : formatText((this.table.columns[p] as ColumnDesc).type, v, DEFAULT_CONTEXT);
    });
    return `Key (${cols.join(', ')})=(${vals.join(', ')})`;
  }

  /** Writes a new row and its index entries; a duplicate key fails with UNIQUE_VIOLATION. */
  async insert(txn: KvTxn, row: readonly Datum[]): Promise<void> {
    const key = writableKey(this.primaryKey(row), this.table.primaryIndex);
    await conditional(
      () => txn.cput(key, this.encodeRow(row), undefined),
      () => this.uniqueViolation(this.table.primaryIndex, this.pkPositions, row),
    );
    for (const ix of this.indexes) await ix.insert(txn, row);
  }

  /**
   * Writes a row whose primary key is known to be free (a rebuild of the table's indexes): a plain
   * put, no conditional read; unique secondary indexes are still checked.
   */
  async load(txn: KvTxn, row: readonly Datum[]): Promise<void> {
    txn.put(writableKey(this.primaryKey(row), this.table.primaryIndex), this.encodeRow(row));
    for (const ix of this.indexes) await ix.insert(txn, row);
  }

  async delete(txn: KvTxn, row: readonly Datum[]): Promise<void> {
    txn.del(this.primaryKey(row));
    for (const ix of this.indexes) ix.delete(txn, row);
  }

  /** Replaces `old` with `next` (which may have a new primary key). */
  async update(txn: KvTxn, old: readonly Datum[], next: readonly Datum[]): Promise<void> {
    const oldKey = this.primaryKey(old);
    const newKey = writableKey(this.primaryKey(next), this.table.primaryIndex);
    if (oldKey.equals(newKey)) txn.put(newKey, this.encodeRow(next));
    else {
      txn.del(oldKey);
      await conditional(
        () => txn.cput(newKey, this.encodeRow(next), undefined),
        () => this.uniqueViolation(this.table.primaryIndex, this.pkPositions, next),
      );
    }
    for (const ix of this.indexes) {
      if (ix.unchanged(old, next)) continue;
      ix.delete(txn, old);
      await ix.insert(txn, next);
    }
  }

  uniqueViolation(index: IndexDesc, positions: readonly number[], row: readonly Datum[]): ThinkLiteError {
    return new ThinkLiteError(
      'UNIQUE_VIOLATION',
      `duplicate key value violates unique constraint "${index.constraint ?? index.name}"`,
      { detail: `${this.describeKey(positions, row)} already exists.`, constraint: index.constraint ?? index.name },
    );
  }
}

/**
 * A key to write, refused with PostgreSQL's words (54000) when it is longer than the store allows
 * (a primary key or an indexed value of nearly 2 kB).
 */
function writableKey(key: Buffer, index: IndexDesc): Buffer {
  if (key.length > KEY_SIZE_MAX_BYTES) {
    throw new ThinkLiteError(
      'KEY_TOO_LARGE',
      `index row size ${key.length} exceeds maximum ${KEY_SIZE_MAX_BYTES} for index "${index.name}"`,
      { hint: 'Values this long cannot be keys or indexed; consider an index on md5() of the value.' },
    );
  }
  return key;
}

async function conditional(write: () => Promise<void>, onConflict: () => ThinkLiteError): Promise<void> {
  try {
    await write();
  } catch (e) {
    if (isThinkLiteError(e, 'CONDITION_FAILED')) throw onConflict();
    throw e;
  }
}

function keyColumn(c: ColumnDesc, ic: { direction: 'asc' | 'desc'; nullsFirst?: boolean }): IndexKeyColumn {
  return ic.nullsFirst === undefined
    ? { type: c.type, direction: ic.direction }
    : { type: c.type, direction: ic.direction, nullsFirst: ic.nullsFirst };
}

/** Types whose index key encoding decodes to the very value stored (see IndexCodec.covers). */
const EXACT_KEY_KINDS: ReadonlySet<string> = new Set([
  'bool',
  'int2',
  'int4',
  'int8',
  'text',
  'varchar',
  'date',
  'timestamp',
  'timestamptz',
  'uuid',
]);

/** One secondary index of a table. */
export class IndexCodec {
  readonly positions: number[];
  private readonly keyColumns: IndexKeyColumn[];
  private readonly storingColumns: ValueColumn[];
  private readonly pkValueColumns: ValueColumn[];
  private readonly prefix: Buffer;

  constructor(
    private readonly t: TableCodec,
    readonly index: IndexDesc,
  ) {
    this.positions = index.columns.map((c) => t.position(c.columnId));
    this.keyColumns = index.columns.map((c) => keyColumn(t.column(c.columnId), c));
    this.storingColumns = index.storing.map((id) => ({ id, type: t.column(id).type })).sort((a, b) => a.id - b.id);
    this.pkValueColumns = t.table.primaryIndex.columns.map((c, i) => ({ id: i + 1, type: t.column(c.columnId).type }));
    this.prefix = indexPrefix(t.table.id, index.id);
  }

  private hasNull(row: readonly Datum[]): boolean {
    return this.positions.some((p) => row[p] === null || row[p] === undefined);
  }

  /** Whether the key includes the primary key (non-unique indexes, or a NULL in a unique one). */
  private keyHoldsPk(row: readonly Datum[]): boolean {
    return !this.index.unique || this.hasNull(row);
  }

  key(row: readonly Datum[]): Buffer {
    const cols = this.keyHoldsPk(row) ? [...this.keyColumns, ...this.t.primaryKeyColumns] : this.keyColumns;
    const vals = [...this.positions, ...(this.keyHoldsPk(row) ? this.t.primaryKeyPositions : [])].map(
      (p) => row[p] ?? null,
    );
    return encodeIndexKey(this.prefix, cols, vals);
  }

  value(row: readonly Datum[]): Buffer {
    const storing = encodeValue(
      this.storingColumns,
      this.storingColumns.map((c) => row[this.t.position(c.id)] ?? null),
    );
    if (this.keyHoldsPk(row)) return storing;
    const pk = encodeValue(
      this.pkValueColumns,
      this.t.primaryKeyPositions.map((p) => row[p] ?? null),
    );
    return Buffer.concat([Buffer.of(pk.length >> 8, pk.length & 0xff), pk, storing]);
  }

  async insert(txn: KvTxn, row: readonly Datum[]): Promise<void> {
    const key = writableKey(this.key(row), this.index);
    if (!this.index.unique || this.hasNull(row)) {
      txn.put(key, this.value(row));
      return;
    }
    await conditional(
      () => txn.cput(key, this.value(row), undefined),
      () => this.t.uniqueViolation(this.index, this.positions, row),
    );
  }

  delete(txn: KvTxn, row: readonly Datum[]): void {
    txn.del(this.key(row));
  }

  unchanged(old: readonly Datum[], next: readonly Datum[]): boolean {
    return this.key(old).equals(this.key(next)) && this.value(old).equals(this.value(next));
  }

  /**
   * Whether this index's entries hold every column at `needed` (positions in the table's row):
   * key columns whose key encoding gives back the very value (not numeric's or a float's, whose
   * key form loses the scale or the sign of zero), the primary key, and the STORING columns.
   */
  covers(needed: ReadonlySet<number>): boolean {
    const held = new Set<number>(this.t.primaryKeyPositions);
    this.positions.forEach((p, i) => {
      if (EXACT_KEY_KINDS.has((this.keyColumns[i] as IndexKeyColumn).type.kind)) held.add(p);
    });
    for (const c of this.storingColumns) held.add(this.t.position(c.id));
    for (const p of needed) if (!held.has(p)) return false;
    return true;
  }

  /** A table row from an index entry alone (an index-only scan): columns it does not hold are NULL. */
  decodeRow(key: Uint8Array, value: Uint8Array, width: number): Datum[] {
    const row: Datum[] = new Array(width).fill(null);
    const n = this.keyColumns.length;
    const head = decodeIndexKey(key, this.prefix.length, this.keyColumns, true);
    const pkInKey = !this.index.unique || head.some((v) => v === null);
    const values = pkInKey
      ? decodeIndexKey(key, this.prefix.length, [...this.keyColumns, ...this.t.primaryKeyColumns])
      : head;
    this.positions.forEach((p, i) => {
      row[p] = values[i] ?? null;
    });
    let storing = value;
    const pk: Datum[] = [];
    if (pkInKey) pk.push(...values.slice(n));
    else {
      const len = ((value[0] as number) << 8) | (value[1] as number);
      decodeValue(this.pkValueColumns, value.subarray(2, 2 + len), pk);
      storing = value.subarray(2 + len);
    }
    this.t.primaryKeyPositions.forEach((p, i) => {
      row[p] = pk[i] ?? null;
    });
    if (this.storingColumns.length > 0) {
      const vals: Datum[] = [];
      decodeValue(this.storingColumns, storing, vals);
      this.storingColumns.forEach((c, i) => {
        row[this.t.position(c.id)] = vals[i] ?? null;
      });
    }
    return row;
  }

  /** The primary key values an entry of this index points at. */
  primaryKeyValues(key: Uint8Array, value: Uint8Array): Datum[] {
    const n = this.keyColumns.length;
    const withPk = () =>
      decodeIndexKey(key, this.prefix.length, [...this.keyColumns, ...this.t.primaryKeyColumns]).slice(n);
    if (!this.index.unique) return withPk();
    const head = decodeIndexKey(key, this.prefix.length, this.keyColumns, true);
    if (head.some((v) => v === null)) return withPk();
    const len = ((value[0] as number) << 8) | (value[1] as number);
    const out: Datum[] = [];
    decodeValue(this.pkValueColumns, value.subarray(2, 2 + len), out);
    return out;
  }
}
