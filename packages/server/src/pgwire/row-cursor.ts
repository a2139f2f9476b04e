import type { Datum, QueryResult, ResultColumn } from '@thinklite/sql';

/** The engine's RowSink (packages/sql engine/context.ts), restated: it is not exported from @thinklite/sql. */
export interface RowSink {
  start(columns: readonly ResultColumn[]): void;
  rows(batch: readonly (readonly Datum[])[]): Promise<boolean | undefined> | boolean | undefined;
}

export type Row = readonly Datum[];

/** How many batches the producer may run ahead of the reader before it waits. */
const BATCHES_AHEAD_MAX = 2;

/**
 * One running statement seen as a pull-based cursor: the extended protocol's portal. The engine
 * pushes batches into a RowSink; the cursor queues at most two of them and then holds the
 * engine's promise (backpressure), so a portal executed with a row limit keeps its statement
 * paused between Executes without holding the result — the pattern of ThinkLite.stream() in
 * packages/sql/src/thinklite.ts.
 *
 * The session runs one statement at a time, so before another statement starts while this one
 * is suspended, `drain()` lets the engine finish and keeps the remaining rows in memory (as a
 * PostgreSQL portal would stay readable).
 */
export class RowCursor {
  columns: readonly ResultColumn[] | undefined;
  private readonly queue: Row[][] = [];
  /** Rows of queue[0] already handed out. */
  private offset = 0;
  private stopped = false;
  private unbounded = false;
  private finished = false;
  private failure: unknown;
  private result: QueryResult | undefined;
  private wakeConsumer: (() => void) | undefined;
  private wakeProducer: (() => void) | undefined;
  private readonly producer: Promise<void>;
  /** Rows handed out so far. */
  delivered = 0;

  constructor(run: (sink: RowSink) => Promise<QueryResult>) {
    const sink: RowSink = {
      start: (columns) => {
        this.columns = columns;
      },
      rows: async (batch) => {
        if (this.stopped) return false;
        if (batch.length > 0) this.queue.push(batch as Row[]);
        this.wake('consumer');
        if (!this.unbounded && this.queue.length >= BATCHES_AHEAD_MAX) {
          await new Promise<void>((resolve) => {
            this.wakeProducer = resolve;
          });
        }
        return !this.stopped;
      },
    };
    // Start the statement on a later tick, so the constructor never runs engine code synchronously.
    this.producer = Promise.resolve()
      .then(() => run(sink))
      .then(
        (r) => {
          this.result = r;
          if (this.columns === undefined && r.columns.length > 0) this.columns = r.columns;
        },
        (e: unknown) => {
          this.failure = e;
        },
      )
      .finally(() => {
        this.finished = true;
        this.wake('consumer');
      });
  }

  private wake(which: 'consumer' | 'producer'): void {
    const w = which === 'consumer' ? this.wakeConsumer : this.wakeProducer;
    if (which === 'consumer') this.wakeConsumer = undefined;
    else this.wakeProducer = undefined;
    w?.();
  }

  /** True once the statement has ended (all its rows may still be queued). */
  get running(): boolean {
    return !this.finished;
  }

  /** The statement's result once it has ended successfully (its command tag). */
  get completion(): QueryResult | undefined {
    return this.result;
  }

  /**
   * Hands up to `max` rows (0: all) to `emit`, in order. `onColumns` runs once before the first
   * row, or at the end if there were none, when the statement returns columns. Resolves 'done'
   * when the statement has ended (throwing its error if it failed) or 'suspended' at the limit.
   */
  async fetch(
    max: number,
    emit: (row: Row) => void | Promise<void>,
    onColumns?: (columns: readonly ResultColumn[]) => void,
  ): Promise<'done' | 'suspended'> {
    let n = 0;
    let announced = false;
    const announce = () => {
      if (!announced && onColumns && this.columns) onColumns(this.columns);
      announced = true;
    };
    for (;;) {
      const batch = this.queue[0];
      if (batch) {
        announce();
        while (this.offset < batch.length) {
          if (max > 0 && n >= max) return 'suspended';
          const row = batch[this.offset++] as Row;
          n++;
          this.delivered++;
          const wait = emit(row);
          if (wait) await wait;
        }
        this.queue.shift();
        this.offset = 0;
        this.wake('producer');
        continue;
      }
      if (this.finished) {
        if (this.failure !== undefined) throw this.failure;
        announce();
        return 'done';
      }
      if (max > 0 && n >= max) return 'suspended';
      await new Promise<void>((resolve) => {
        this.wakeConsumer = resolve;
      });
    }
  }

  /** Lets the statement run to its end, keeping the rows it has not handed out in memory. */
  async drain(): Promise<void> {
    this.unbounded = true;
    this.wake('producer');
    await this.producer;
  }

  /** Stops the statement (it ends normally, as a closed portal does) and drops queued rows. */
  async close(): Promise<void> {
    this.stopped = true;
    this.queue.length = 0;
    this.wake('producer');
    await this.producer;
  }
}
