import { createLogger, type Logger } from '@thinklite/base';
import type { KvDb } from '@thinklite/kv';
import { Catalog } from '../catalog/catalog.js';
import { initParser } from '../parser/parse.js';
import type { RowIdSource, SequenceSource } from './context.js';
import { clockRowIds, kvSequences, type RowIdSlot, Session, type SessionHost } from './session.js';
import { computeStats, readStats, storeStats, type TableStats } from './stats.js';

/** The SQL engine over a transactional KV store: it bootstraps the catalog and opens sessions. */
export class SqlEngine implements SessionHost {
  readonly rowIds: RowIdSource;
  readonly sequences: SequenceSource;

  private constructor(
    readonly kv: KvDb,
    readonly logger: Logger,
    rowIdSlot: RowIdSlot,
  ) {
    this.rowIds = clockRowIds(kv, rowIdSlot);
    this.sequences = kvSequences(kv);
  }

  /**
   * `rowIdSlot`: where several processes insert into one store (a node's SQL gateway processes),
   * each takes its own slot, so the rowids they make never collide. Default: the only one.
   */
  static async create(kv: KvDb, options: { logger?: Logger; rowIdSlot?: RowIdSlot } = {}): Promise<SqlEngine> {
    await initParser();
    await Catalog.bootstrap(kv);
    return new SqlEngine(
      kv,
      options.logger ?? createLogger({ level: 'silent' }),
      options.rowIdSlot ?? { index: 0, count: 1 },
    );
  }

  /** A session on `database` as `user` (what current_user and the catalog's owners report). */
  session(database = 'thinklite', user = 'thinklite'): Session {
    return new Session(this, database, user);
  }

  /** Rows written per table since its statistics were last gathered. */
  private readonly changed = new Map<number, number>();
  private readonly analyzing = new Set<number>();
  /** Each table's row count in the statistics last read here (a manual ANALYZE may be newer: the task re-reads). */
  private readonly knownRows = new Map<number, number>();
  private readonly inFlight = new Set<Promise<void>>();

  /**
   * Keeps statistics roughly current: once the rows written to a table since it was last
   * analyzed pass a tenth of its row count (plus 100), it is analyzed again in the background.
   */
  tableWritten(_database: string, tableId: number, rows: number): void {
    const n = (this.changed.get(tableId) ?? 0) + rows;
    this.changed.set(tableId, n);
    if (this.analyzing.has(tableId)) return;
    // Most commits are far from the threshold: decided from the row count last seen, no read.
    const known = this.knownRows.get(tableId);
    if (known !== undefined && n < 0.1 * known + 100) return;
    const task = (async () => {
      this.analyzing.add(tableId);
      try {
        // Read from a read-only snapshot, which never conflicts with the writers it follows, then
        // store the result in a transaction of its own that reads nothing.
        const snapshot = this.kv.begin({ readOnly: true });
        let stats: TableStats | undefined;
        try {
          const before = await readStats(snapshot, tableId);
          this.knownRows.set(tableId, before?.rowCount ?? 0);
          if (n < 0.1 * (before?.rowCount ?? 0) + 100) return;
          const t = await new Catalog(snapshot).byId(tableId);
          if (t?.kind !== 'table') return;
          this.changed.set(tableId, 0);
          stats = await computeStats(snapshot, t);
        } finally {
          await snapshot.rollback();
        }
        const done = stats;
        if (done) {
          await this.kv.txn(async (txn) => storeStats(txn, tableId, done));
          this.knownRows.set(tableId, done.rowCount);
        }
      } catch (e) {
        this.logger.warn({ err: e, tableId }, 'automatic ANALYZE failed');
      } finally {
        this.analyzing.delete(tableId);
      }
    })();
    this.inFlight.add(task);
    void task.finally(() => this.inFlight.delete(task));
  }

  /** Resolves when no automatic ANALYZE is running (for tests and orderly shutdown). */
  async backgroundIdle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }
}
