/**
 * The merge join: both inputs in ascending order of the join keys, walked side by side; each run
 * of equal keys on the right is held while the left rows with that key pass over it. An input
 * that already arrives in key order (a scan of a primary key that leads with the join columns)
 * streams through without being held; any other input is gathered and sorted first (a sort-merge
 * join), its rows with a NULL key set aside — NULL never joins — to come out unmatched.
 */
import { compare } from '../types/compare.js';
import type { Datum } from '../types/datum.js';
import type { SqlType } from '../types/type.js';
import type { StatementContext } from './context.js';
import type { BoundExpr } from './expr.js';

type JoinType = 'inner' | 'left' | 'right' | 'full';
type Rows = AsyncIterable<Datum[][]> | Iterable<Datum[][]>;

export interface MergeKey {
  /** The key's value from a left row (positions 0…nl-1 of the combined row). */
  readonly l: BoundExpr;
  /** The key's value from a right row (positions nl… of the combined row). */
  readonly r: BoundExpr;
  readonly type: SqlType;
}

export interface MergeJoinSpec {
  readonly type: JoinType;
  readonly keys: readonly MergeKey[];
  readonly nl: number;
  readonly nr: number;
  /** Whether each input already arrives in key order (else it is sorted here). */
  readonly leftSorted: boolean;
  readonly rightSorted: boolean;
  /** The join's other conditions, on the combined row. */
  readonly matches: (row: Datum[]) => boolean;
  /** Builds an output row from a left and a right row (either may be NULL padding). */
  readonly output: (l: readonly Datum[], r: readonly Datum[]) => Datum[];
}

/** A read position in a stream of row batches. */
class Cursor {
  private batch: Datum[][] = [];
  private i = 0;
  private done = false;
  private readonly it: AsyncIterator<Datum[][]> | Iterator<Datum[][]>;

  constructor(rows: Rows) {
    this.it =
      Symbol.asyncIterator in rows
        ? (rows as AsyncIterable<Datum[][]>)[Symbol.asyncIterator]()
        : (rows as Iterable<Datum[][]>)[Symbol.iterator]();
  }

  /** The current row, reading the next batch when needed; undefined at the end. */
  async current(): Promise<Datum[] | undefined> {
    while (this.i >= this.batch.length) {
      if (this.done) return undefined;
      const next = await this.it.next();
      if (next.done) {
        this.done = true;
        return undefined;
      }
      this.batch = next.value;
      this.i = 0;
    }
    return this.batch[this.i];
  }

  advance(): void {
    this.i++;
  }

  async close(): Promise<void> {
    if (!this.done) await this.it.return?.();
  }
}

export async function* mergeJoin(
  sc: StatementContext,
  spec: MergeJoinSpec,
  left: Rows,
  right: Rows,
): AsyncGenerator<Datum[][]> {
  const { keys, nl, nr, type } = spec;
  const env = sc.env;
  const nullsL: Datum[] = new Array(nl).fill(null);
  const nullsR: Datum[] = new Array(nr).fill(null);
  const keyOfLeft = (row: readonly Datum[]) => keys.map((k) => k.l.eval([...row, ...nullsR], env));
  const keyOfRight = (row: readonly Datum[]) => keys.map((k) => k.r.eval([...nullsL, ...row], env));
  const cmp = (a: readonly Datum[], b: readonly Datum[]): number => {
    for (let i = 0; i < keys.length; i++) {
      const c = compare((keys[i] as MergeKey).type, a[i] ?? null, b[i] ?? null);
      if (c !== 0) return c;
    }
    return 0;
  };
  const hasNull = (k: readonly Datum[]) => k.some((v) => v === null);
  const keepLeft = type === 'left' || type === 'full';
  const keepRight = type === 'right' || type === 'full';

  // Unsorted inputs are gathered and sorted; rows whose key has a NULL come out unmatched at the end.
  const unmatchedL: Datum[][] = [];
  const unmatchedR: Datum[][] = [];
  const sorted = async (rows: Rows, keyOf: (r: readonly Datum[]) => Datum[], nulls: Datum[][], what: string) => {
    const held: { row: Datum[]; key: Datum[] }[] = [];
    for await (const batch of rows) {
      for (const row of batch) {
        sc.memory.chargeRow(row, what);
        const key = keyOf(row);
        if (hasNull(key)) nulls.push(row);
        else held.push({ row, key });
      }
    }
    held.sort((a, b) => cmp(a.key, b.key));
    return [held.map((h) => h.row)];
  };
  const lc = new Cursor(spec.leftSorted ? left : await sorted(left, keyOfLeft, unmatchedL, 'sorting for a merge join'));
  const rc = new Cursor(
    spec.rightSorted ? right : await sorted(right, keyOfRight, unmatchedR, 'sorting for a merge join'),
  );

  let out: Datum[][] = [];
  const flush = function* () {
    if (out.length > 0) {
      yield out;
      out = [];
    }
  };
  try {
    let l = await lc.current();
    let r = await rc.current();
    while (l !== undefined && r !== undefined) {
      const kl = keyOfLeft(l);
      if (hasNull(kl)) {
        if (keepLeft) out.push(spec.output(l, nullsR));
        lc.advance();
        l = await lc.current();
        continue;
      }
      const kr = keyOfRight(r);
      if (hasNull(kr)) {
        if (keepRight) out.push(spec.output(nullsL, r));
        rc.advance();
        r = await rc.current();
        continue;
      }
      const c = cmp(kl, kr);
      if (c < 0) {
        if (keepLeft) out.push(spec.output(l, nullsR));
        lc.advance();
        l = await lc.current();
      } else if (c > 0) {
        if (keepRight) out.push(spec.output(nullsL, r));
        rc.advance();
        r = await rc.current();
      } else {
        // The run of right rows with this key, held while the left rows with the same key pass.
        const group: Datum[][] = [];
        while (r !== undefined && cmp(keyOfRight(r), kl) === 0) {
          sc.memory.chargeRow(r, 'holding a merge join group');
          group.push(r);
          rc.advance();
          r = await rc.current();
        }
        const matched = keepRight ? new Uint8Array(group.length) : undefined;
        while (l !== undefined && cmp(keyOfLeft(l), kr) === 0) {
          let any = false;
          for (let i = 0; i < group.length; i++) {
            const g = group[i] as Datum[];
            if (!spec.matches([...l, ...g])) continue;
            any = true;
            if (matched) matched[i] = 1;
            out.push(spec.output(l, g));
          }
          if (!any && keepLeft) out.push(spec.output(l, nullsR));
          lc.advance();
          l = await lc.current();
        }
        if (matched)
          for (let i = 0; i < group.length; i++) if (!matched[i]) out.push(spec.output(nullsL, group[i] as Datum[]));
      }
      if (out.length >= 1024) yield* flush();
    }
    // One side is done: the rest of the other is unmatched.
    for (; l !== undefined && keepLeft; lc.advance(), l = await lc.current()) {
      out.push(spec.output(l, nullsR));
      if (out.length >= 1024) yield* flush();
    }
    for (; r !== undefined && keepRight; rc.advance(), r = await rc.current()) {
      out.push(spec.output(nullsL, r));
      if (out.length >= 1024) yield* flush();
    }
    if (keepLeft) for (const row of unmatchedL) out.push(spec.output(row, nullsR));
    if (keepRight) for (const row of unmatchedR) out.push(spec.output(nullsL, row));
    yield* flush();
  } finally {
    await lc.close();
    await rc.close();
  }
}
