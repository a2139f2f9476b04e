import { prefixEnd } from '@thinklite/storage';
import type { ColumnDesc, ForeignKeyDesc, IndexDesc, ReferentialAction, TableDesc } from '../catalog/descriptors.js';
import { indexPrefix } from '../catalog/keys.js';
import type { ReferentialAction as AstAction, ForeignKeyReference } from '../parser/ast.js';
import { encodeIndexKey } from '../rowcodec/key.js';
import { equals } from '../types/compare.js';
import type { Datum } from '../types/datum.js';
import { sameType, typeName } from '../types/type.js';
import type { StatementContext } from './context.js';
import { sqlError as err } from './errors.js';
import { TableCodec } from './table.js';

/**
 * Foreign keys (MATCH SIMPLE): a child row whose key columns are all non-null must match a row of
 * the parent's primary key or a unique constraint; deleting or changing a referenced parent row
 * is refused (NO ACTION, RESTRICT) or carried to the children (CASCADE, SET NULL, SET DEFAULT).
 * Checks run per row, at once. Like CockroachDB, the child's key columns get an index when none
 * starts with them, so that finding a parent's children is a prefix scan, not a table scan.
 */

export function actionOf(a: AstAction): ReferentialAction {
  switch (a) {
    case 'noAction':
      return 'no-action';
    case 'restrict':
      return 'restrict';
    case 'cascade':
      return 'cascade';
    case 'setNull':
      return 'set-null';
    case 'setDefault':
      return 'set-default';
  }
}

/** The parent index (primary key or unique) whose columns are exactly `columns`, in order. */
function uniqueIndexOn(t: TableDesc, columns: readonly number[]): IndexDesc | undefined {
  return [t.primaryIndex, ...t.indexes].find(
    (ix) => ix.unique && ix.columns.length === columns.length && ix.columns.every((c, i) => c.columnId === columns[i]),
  );
}

/**
 * Resolves a FOREIGN KEY clause of `child` (whose descriptor may still be in the making):
 * checks the referenced columns and types and returns the constraint. `self` is the child itself,
 * for a table that refers to itself.
 */
export async function foreignKeyFor(
  sc: StatementContext,
  child: TableDesc,
  columns: readonly string[],
  ref: ForeignKeyReference,
  name: string | undefined,
  location: number,
): Promise<{ fk: ForeignKeyDesc; parent: TableDesc }> {
  if (ref.match !== 'simple')
    throw err('FEATURE_NOT_SUPPORTED', `MATCH ${ref.match.toUpperCase()} is not supported yet`, location);
  const selfRef = ref.table.length === 1 && ref.table[0] === child.name;
  const parent = selfRef ? child : await sc.catalog.resolveTable(sc.database, sc.searchPath, ref.table);
  const childCols = columns.map((n) => {
    const c = child.columns.find((x) => x.name === n && !x.hidden);
    if (!c)
      throw err('UNDEFINED_COLUMN', `column "${n}" referenced in foreign key constraint does not exist`, location);
    return c;
  });
  let parentCols: ColumnDesc[];
  if (ref.columns.length === 0) {
    parentCols = parent.primaryIndex.columns.map(
      (ic) => parent.columns.find((c) => c.id === ic.columnId) as ColumnDesc,
    );
    if (parentCols.some((c) => c.hidden)) {
      throw err('UNDEFINED_OBJECT', `there is no primary key for referenced table "${parent.name}"`, location);
    }
  } else {
    parentCols = ref.columns.map((n) => {
      const c = parent.columns.find((x) => x.name === n && !x.hidden);
      if (!c)
        throw err('UNDEFINED_COLUMN', `column "${n}" referenced in foreign key constraint does not exist`, location);
      return c;
    });
  }
  if (parentCols.length !== childCols.length) {
    throw err('INVALID_FOREIGN_KEY', 'number of referencing and referenced columns for foreign key disagree', location);
  }
  if (
    !uniqueIndexOn(
      parent,
      parentCols.map((c) => c.id),
    )
  ) {
    throw err(
      'INVALID_FOREIGN_KEY',
      `there is no unique constraint matching given keys for referenced table "${parent.name}"`,
      location,
    );
  }
  childCols.forEach((c, i) => {
    const p = parentCols[i] as ColumnDesc;
    if (!sameType({ kind: c.type.kind }, { kind: p.type.kind })) {
      throw err(
        'DATATYPE_MISMATCH',
        `foreign key constraint "${name ?? `${child.name}_${c.name}_fkey`}" cannot be implemented`,
        location,
        {
          detail: `Key columns "${c.name}" and "${p.name}" are of incompatible types: ${typeName(c.type)} and ${typeName(p.type)}.`,
        },
      );
    }
  });
  const fk: ForeignKeyDesc = {
    name: name ?? `${child.name}_${columns.join('_')}_fkey`,
    columns: childCols.map((c) => c.id),
    referencedTableId: parent.id,
    referencedColumns: parentCols.map((c) => c.id),
    onDelete: actionOf(ref.onDelete),
    onUpdate: actionOf(ref.onUpdate),
  };
  return { fk, parent };
}

/** An index of `child` whose leading columns are the FK's, adding one if there is none. */
export function withFkIndex(child: TableDesc, fk: ForeignKeyDesc): TableDesc {
  const covers = (ix: IndexDesc) => fk.columns.every((id, i) => ix.columns[i]?.columnId === id);
  if ([child.primaryIndex, ...child.indexes].some(covers)) return child;
  const names = fk.columns.map((id) => child.columns.find((c) => c.id === id)?.name).join('_');
  const index: IndexDesc = {
    id: child.nextIndexId,
    name: `${child.name}_${names}_idx`,
    unique: false,
    columns: fk.columns.map((columnId) => ({ columnId, direction: 'asc' as const })),
    storing: [],
  };
  return { ...child, indexes: [...child.indexes, index], nextIndexId: child.nextIndexId + 1 };
}

function describe(t: TableDesc, ids: readonly number[], values: readonly Datum[]): string {
  const codec = new TableCodec(t);
  const row: Datum[] = new Array(t.columns.length).fill(null);
  ids.forEach((id, i) => {
    row[codec.position(id)] = values[i] ?? null;
  });
  return codec.describeKey(
    ids.map((id) => codec.position(id)),
    row,
  );
}

/** A child row's check: its key must exist in the parent (unless a key column is NULL). */
export async function checkReferences(sc: StatementContext, child: TableDesc, row: readonly Datum[]): Promise<void> {
  if (child.foreignKeys.length === 0) return;
  const codec = new TableCodec(child);
  for (const fk of child.foreignKeys) {
    const values = fk.columns.map((id) => row[codec.position(id)] ?? null);
    if (values.some((v) => v === null)) continue;
    const parent =
      fk.referencedTableId === child.id ? child : ((await sc.catalog.byId(fk.referencedTableId)) as TableDesc);
    if (!(await parentHas(sc, parent, fk.referencedColumns, values))) {
      throw err(
        'FOREIGN_KEY_VIOLATION',
        `insert or update on table "${child.name}" violates foreign key constraint "${fk.name}"`,
        undefined,
        {
          detail: `${describe(child, fk.columns, values)} is not present in table "${parent.name}".`,
          constraint: fk.name,
        },
      );
    }
  }
}

async function parentHas(
  sc: StatementContext,
  parent: TableDesc,
  columns: readonly number[],
  values: readonly Datum[],
): Promise<boolean> {
  const codec = new TableCodec(parent);
  const ix = uniqueIndexOn(parent, columns) as IndexDesc;
  if (ix === parent.primaryIndex) return (await sc.txn.get(codec.primaryKeyOf(values))) !== undefined;
  const ic = codec.indexes.find((c) => c.index === ix);
  if (!ic) return false;
  const row: Datum[] = new Array(parent.columns.length).fill(null);
  columns.forEach((id, i) => {
    row[codec.position(id)] = values[i] ?? null;
  });
  return (await sc.txn.get(ic.key(row))) !== undefined;
}

/** The child rows whose FK columns equal `values`, through the FK's index. */
async function childRows(
  sc: StatementContext,
  child: TableDesc,
  fk: ForeignKeyDesc,
  values: readonly Datum[],
): Promise<Datum[][]> {
  const codec = new TableCodec(child);
  const ix = [child.primaryIndex, ...child.indexes].find((i) =>
    fk.columns.every((id, k) => i.columns[k]?.columnId === id),
  ) as IndexDesc;
  const keyCols = fk.columns.map((id, k) => ({
    type: codec.column(id).type,
    direction: ix.columns[k]?.direction ?? ('asc' as const),
    ...(ix.columns[k]?.nullsFirst !== undefined ? { nullsFirst: ix.columns[k]?.nullsFirst as boolean } : {}),
  }));
  const start = encodeIndexKey(indexPrefix(child.id, ix.id), keyCols, values);
  const end = prefixEnd(start) as Buffer;
  const out: Datum[][] = [];
  if (ix === child.primaryIndex) {
    for await (const kv of sc.txn.scan(start, end)) out.push(codec.decodeRow(kv.key, kv.value));
    return out;
  }
  const ic = codec.indexes.find((c) => c.index === ix);
  if (!ic) return out;
  const pks: Datum[][] = [];
  for await (const kv of sc.txn.scan(start, end)) pks.push(ic.primaryKeyValues(kv.key, kv.value));
  for (const pk of pks) {
    const key = codec.primaryKeyOf(pk);
    const raw = await sc.txn.get(key);
    if (raw) out.push(codec.decodeRow(key, raw));
  }
  return out;
}

/**
 * A parent row is going away (`next` undefined) or changing: apply each inbound foreign key's
 * action to the children that refer to it.
 */
export async function onParentChange(
  sc: StatementContext,
  parent: TableDesc,
  old: readonly Datum[],
  next?: readonly Datum[],
): Promise<void> {
  if (parent.inboundForeignKeys.length === 0) return;
  const pcodec = new TableCodec(parent);
  for (const inbound of parent.inboundForeignKeys) {
    const child =
      inbound.tableId === parent.id ? parent : ((await sc.catalog.byId(inbound.tableId)) as TableDesc | undefined);
    if (!child) continue;
    const fk = child.foreignKeys.find((f) => f.name === inbound.name);
    if (!fk) continue;
    const oldValues = fk.referencedColumns.map((id) => old[pcodec.position(id)] ?? null);
    if (oldValues.some((v) => v === null)) continue;
    const newValues = next ? fk.referencedColumns.map((id) => next[pcodec.position(id)] ?? null) : undefined;
    if (
      newValues?.every(
        (v, i) => v !== null && equals(pcodec.column(fk.referencedColumns[i] as number).type, v, oldValues[i] as Datum),
      )
    )
      continue;
    const children = await childRows(sc, child, fk, oldValues);
    if (children.length === 0) continue;
    const action = next ? fk.onUpdate : fk.onDelete;
    const ccodec = new TableCodec(child);
    if (action === 'no-action' || action === 'restrict') {
      throw err(
        'FOREIGN_KEY_VIOLATION',
        `update or delete on table "${parent.name}" violates foreign key constraint "${fk.name}" on table "${child.name}"`,
        undefined,
        {
          detail: `${describe(parent, fk.referencedColumns, oldValues)} is still referenced from table "${child.name}".`,
          constraint: fk.name,
        },
      );
    }
    for (const c of children) {
      if (action === 'cascade' && !next) {
        await onParentChange(sc, child, c);
        await ccodec.delete(sc.txn, c);
        continue;
      }
      const updated = [...c];
      fk.columns.forEach((id, i) => {
        const pos = ccodec.position(id);
        updated[pos] = action === 'cascade' ? ((newValues as Datum[])[i] ?? null) : null;
      });
      if (action === 'set-default') {
        throw err('FEATURE_NOT_SUPPORTED', 'ON DELETE/UPDATE SET DEFAULT is not supported yet', undefined);
      }
      for (const id of fk.columns) {
        const col = ccodec.column(id);
        if (!col.nullable && updated[ccodec.position(id)] === null) {
          throw err(
            'NOT_NULL_VIOLATION',
            `null value in column "${col.name}" of relation "${child.name}" violates not-null constraint`,
          );
        }
      }
      await onParentChange(sc, child, c, updated);
      await ccodec.update(sc.txn, c, updated);
    }
  }
}
