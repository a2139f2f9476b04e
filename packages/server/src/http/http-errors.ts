import { isThinkLiteError } from '@thinklite/base';
import { ProtocolError, wireError } from '../pgwire/protocol-error.js';

/**
 * The body of every SQL API error. `code` is the catalogue's code (packages/base/src/errors) for
 * an engine error, or one of the HTTP layer's own codes below; `sqlstate` is what PostgreSQL
 * would report; `position` is 1-based, in characters of the request's `sql`.
 */
export interface SqlErrorBody {
  readonly error: {
    readonly code: string;
    readonly sqlstate: string;
    readonly message: string;
    readonly detail?: string;
    readonly hint?: string;
    readonly position?: number;
    readonly where?: string;
    readonly schema?: string;
    readonly table?: string;
    readonly column?: string;
    readonly dataType?: string;
    readonly constraint?: string;
    /** For a request with several statements: the 0-based index of the one that failed. */
    readonly statementIndex?: number;
  };
}

/**
 * An error the HTTP layer raises itself (bad requests, sessions, limits). These have no place in
 * the shared catalogue (they never come out of the engine), but get a SQLSTATE all the same so
 * clients can handle every error by it.
 */
export class HttpApiError extends Error {
  override name = 'HttpApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    readonly sqlstate: string,
    message: string,
  ) {
    super(message);
  }
}

/** The HTTP layer's own error codes. */
export const httpErrors = {
  /** A body that is not the documented JSON object (missing `sql`, `params` not an array, …). */
  invalidRequest: (message: string) => new HttpApiError(400, 'INVALID_REQUEST', '08P01', message),
  /** The body does not parse as JSON. */
  invalidJson: (message: string) => new HttpApiError(400, 'INVALID_JSON', '08P01', message),
  /** A Content-Type other than application/json. */
  unsupportedMediaType: (message: string) => new HttpApiError(415, 'UNSUPPORTED_MEDIA_TYPE', '08P01', message),
  /** The body is larger than the configured limit (program_limit_exceeded). */
  payloadTooLarge: (limit: number) =>
    new HttpApiError(413, 'PAYLOAD_TOO_LARGE', '54000', `request body is larger than ${limit} bytes`),
  /** No open session has that id (connection_does_not_exist). */
  sessionNotFound: (id: string) =>
    new HttpApiError(404, 'SESSION_NOT_FOUND', '08003', `session "${id}" does not exist (closed or expired)`),
  /** The session is running another request (object_in_use): a session runs one at a time. */
  sessionBusy: (id: string) =>
    new HttpApiError(409, 'SESSION_BUSY', '55006', `session "${id}" is running another request`),
  /** As many sessions are open as allowed (too_many_connections). */
  tooManySessions: (max: number) =>
    new HttpApiError(503, 'TOO_MANY_SESSIONS', '53300', `too many open sessions (the limit is ${max})`),
  /** The node is starting or stopping (cannot_connect_now). */
  unavailable: (message: string) => new HttpApiError(503, 'UNAVAILABLE', '57P03', message),
  /** No credentials where the node asks for a password (invalid_authorization_specification). */
  authRequired: () =>
    new HttpApiError(401, 'AUTHENTICATION_REQUIRED', '28000', 'authentication required: use HTTP Basic'),
  /** A wrong user or password (invalid_password): one message for both, as PostgreSQL does. */
  badPassword: (user: string) =>
    new HttpApiError(401, 'INVALID_PASSWORD', '28P01', `password authentication failed for user "${user}"`),
} as const;

/** The error a statement failed with, with the statement it came from (for `position`). */
export class StatementFailed extends Error {
  constructor(
    readonly error: unknown,
    readonly span: { readonly text: string; readonly codePointOffset: number } | undefined,
    readonly statementIndex: number | undefined,
  ) {
    super('statement failed');
  }
}

/** Any thrown value as an HTTP status and JSON error body. `internal` is set for 5xx bugs. */
export function errorResponse(thrown: unknown): { status: number; body: SqlErrorBody; internal: boolean } {
  const failed = thrown instanceof StatementFailed ? thrown : undefined;
  const e = failed ? failed.error : thrown;
  if (e instanceof HttpApiError) {
    return {
      status: e.status,
      body: { error: { code: e.code, sqlstate: e.sqlstate, message: e.message } },
      internal: false,
    };
  }
  if (e instanceof ProtocolError) {
    // The node's gate refusing new sessions while it stops (57P03).
    const status = e.sqlstate.startsWith('57') ? 503 : 400;
    const code = status === 503 ? 'UNAVAILABLE' : 'PROTOCOL_VIOLATION';
    return { status, body: { error: { code, sqlstate: e.sqlstate, message: e.message } }, internal: false };
  }
  if (isThinkLiteError(e)) {
    const { severity: _s, ...fields } = wireError(e, failed?.span);
    const index = failed?.statementIndex;
    return {
      status: e.spec.http,
      body: { error: { code: e.code, ...fields, ...(index !== undefined ? { statementIndex: index } : {}) } },
      internal: e.spec.http >= 500,
    };
  }
  const message = `internal error: ${e instanceof Error ? e.message : String(e)}`;
  return { status: 500, body: { error: { code: 'INTERNAL_ERROR', sqlstate: 'XX000', message } }, internal: true };
}
