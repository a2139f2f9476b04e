import type { Session } from '@thinklite/sql';

/** Statements that manage transactions themselves. */
const TRANSACTION_CONTROL: ReadonlySet<string> = new Set([
  'begin',
  'commit',
  'rollback',
  'savepoint',
  'releaseSavepoint',
  'rollbackToSavepoint',
]);

/**
 * Whether several statements sent together (a simple-protocol Query, an HTTP request, a gRPC
 * Execute) run as one implicit transaction — all or nothing — as PostgreSQL runs a multi-statement
 * Query: when there is more than one, the session is not inside a transaction block, and none of
 * them manages transactions itself.
 */
export function runsAsImplicitTransaction(statements: readonly { kind: string }[], session: Session): boolean {
  return (
    statements.length > 1 &&
    session.transactionStatus === 'idle' &&
    !statements.some((s) => TRANSACTION_CONTROL.has(s.kind))
  );
}
