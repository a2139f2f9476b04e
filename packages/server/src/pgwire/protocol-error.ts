import { isThinkLiteError } from '@thinklite/base';

/**
 * An error as the wire carries it (ErrorResponse's fields). Engine errors arrive as
 * ThinkLiteError and are converted by {@link wireError}; the protocol layer's own errors (bad
 * framing, authentication, limits) have SQLSTATEs the shared catalogue does not hold yet, so they
 * are built here with their PostgreSQL codes.
 */
export interface WireError {
  readonly severity: 'ERROR' | 'FATAL';
  readonly sqlstate: string;
  readonly message: string;
  readonly detail?: string;
  readonly hint?: string;
  /** 1-based character position in the query string. */
  readonly position?: number;
  /** CONTEXT: where the error happened (the line of COPY data). */
  readonly where?: string;
  readonly schema?: string;
  readonly table?: string;
  readonly column?: string;
  readonly dataType?: string;
  readonly constraint?: string;
}

/** PostgreSQL's SQLSTATEs for the errors the protocol layer raises itself. */
export const SqlState = {
  PROTOCOL_VIOLATION: '08P01',
  TOO_MANY_CONNECTIONS: '53300',
  INVALID_PASSWORD: '28P01',
  INVALID_AUTHORIZATION: '28000',
  INVALID_CATALOG_NAME: '3D000',
  FEATURE_NOT_SUPPORTED: '0A000',
  DUPLICATE_PREPARED_STATEMENT: '42P05',
  DUPLICATE_CURSOR: '42P03',
  INVALID_SQL_STATEMENT_NAME: '26000',
  INVALID_CURSOR_NAME: '34000',
  INVALID_BINARY_REPRESENTATION: '22P03',
  ADMIN_SHUTDOWN: '57P01',
  INTERNAL_ERROR: 'XX000',
} as const;

/** A protocol-level failure: thrown inside the connection and sent as an ErrorResponse. */
export class ProtocolError extends Error {
  override name = 'ProtocolError';
  constructor(
    readonly sqlstate: string,
    message: string,
    /** FATAL errors end the connection after the ErrorResponse is sent. */
    readonly fatal = false,
    readonly detail?: string,
  ) {
    super(message);
  }
}

/** A malformed or out-of-order message: always FATAL, as PostgreSQL treats them. */
export function protocolViolation(message: string): ProtocolError {
  return new ProtocolError(SqlState.PROTOCOL_VIOLATION, message, true);
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : undefined;
}

function codePoints(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/**
 * The ErrorResponse of any thrown value. `statementText`/`statementOffset` locate the statement
 * inside the query string so an engine error's `details.location` (an offset inside the statement)
 * becomes the 1-based position psql underlines; a syntax error already carries `details.position`.
 */
export function wireError(e: unknown, where?: { text: string; codePointOffset: number }): WireError {
  if (e instanceof ProtocolError) {
    return {
      severity: e.fatal ? 'FATAL' : 'ERROR',
      sqlstate: e.sqlstate,
      message: e.message,
      ...(e.detail !== undefined ? { detail: e.detail } : {}),
    };
  }
  if (isThinkLiteError(e)) {
    const d = e.details;
    let position: number | undefined;
    if (typeof d.position === 'number') position = d.position;
    else if (typeof d.location === 'number' && where && d.location >= 0 && d.location <= where.text.length) {
      position = where.codePointOffset + codePoints(where.text.slice(0, d.location)) + 1;
    }
    const out: { -readonly [K in keyof WireError]: WireError[K] } = {
      severity: 'ERROR',
      sqlstate: e.sqlstate,
      message: e.message,
    };
    const detail = str(d.detail);
    const hint = str(d.hint);
    if (detail !== undefined) out.detail = detail;
    if (hint !== undefined) out.hint = hint;
    if (position !== undefined) out.position = position;
    const context = str(d.where);
    if (context !== undefined) out.where = context;
    const schema = str(d.schema);
    const table = str(d.table);
    const column = str(d.column);
    const dataType = str(d.dataType ?? d.datatype);
    const constraint = str(d.constraint);
    if (schema !== undefined) out.schema = schema;
    if (table !== undefined) out.table = table;
    if (column !== undefined) out.column = column;
    if (dataType !== undefined) out.dataType = dataType;
    if (constraint !== undefined) out.constraint = constraint;
    return out;
  }
  return {
    severity: 'ERROR',
    sqlstate: SqlState.INTERNAL_ERROR,
    message: `internal error: ${e instanceof Error ? e.message : String(e)}`,
  };
}
