import { createLogger, type Logger } from '@thinklite/base';
import type { KvDb } from '@thinklite/kv';
import { Catalog } from '../catalog/catalog.js';
import { initParser } from '../parser/parse.js';
import type { RowIdSource, SequenceSource } from './context.js';
import { clockRowIds, kvSequences, Session, type SessionHost } from './session.js';

/** The SQL engine over a transactional KV store: it bootstraps the catalog and opens sessions. */
export class SqlEngine implements SessionHost {
  readonly rowIds: RowIdSource;
  readonly sequences: SequenceSource;

  private constructor(
    readonly kv: KvDb,
    readonly logger: Logger,
  ) {
    this.rowIds = clockRowIds(kv);
    this.sequences = kvSequences(kv);
  }

  static async create(kv: KvDb, options: { logger?: Logger } = {}): Promise<SqlEngine> {
    await initParser();
    await Catalog.bootstrap(kv);
    return new SqlEngine(kv, options.logger ?? createLogger({ level: 'silent' }));
  }

  session(database = 'thinklite'): Session {
    return new Session(this, database);
  }
}
