import * as grpc from '@grpc/grpc-js';
import { ERROR_CATALOGUE, type GrpcStatusName, isThinkLiteError } from '@thinklite/base';
import { thinklite } from '@thinklite/proto';
import { ProtocolError, wireError } from '../pgwire/protocol-error.js';

/**
 * How an error reaches a gRPC client: a status code from the error catalogue
 * (ThinkLiteError.spec.grpc) and trailing metadata carrying what PostgreSQL's ErrorResponse would:
 * `sqlstate`, `code` (the catalogue code), `detail`, `hint`, `position` (1-based, in the request's
 * SQL), and `thinklite-error-bin` (a thinklite.v1.Error with all of it, details included).
 */
export interface CallError {
  readonly code: grpc.status;
  readonly details: string;
  readonly metadata: grpc.Metadata;
}

/** An error this service raises itself, with its status and SQLSTATE. */
export class ServiceError extends Error {
  constructor(
    readonly status: grpc.status,
    readonly sqlstate: string,
    message: string,
  ) {
    super(message);
  }
}

export const invalidArgument = (message: string) => new ServiceError(grpc.status.INVALID_ARGUMENT, '08P01', message);

/**
 * Text metadata values must be printable ASCII: anything else is percent-encoded (UTF-8), as gRPC
 * encodes grpc-message. `thinklite-error-bin` carries the exact text.
 */
function ascii(s: string): string {
  return /^[ -~]*$/.test(s) ? s : s.replace(/[^ -$&-~]+/g, (m) => encodeURIComponent(m));
}

/** The catalogue's gRPC status for a SQLSTATE the catalogue holds (the protocol layer's errors). */
function statusOfSqlstate(sqlstate: string): grpc.status {
  for (const spec of Object.values(ERROR_CATALOGUE)) if (spec.sqlstate === sqlstate) return statusOf(spec.grpc);
  return grpc.status.INTERNAL;
}

function statusOf(name: GrpcStatusName): grpc.status {
  return grpc.status[name];
}

/**
 * The status of any thrown value. `sql` and the statement's span locate an engine error's
 * position; `override` replaces the status (DEADLINE_EXCEEDED for a statement its deadline
 * cancelled), keeping the SQLSTATE.
 */
export function callError(
  e: unknown,
  where?: { text: string; codePointOffset: number },
  override?: grpc.status,
): CallError {
  let status: grpc.status;
  let code = '';
  let details: Record<string, string> = {};
  const w = wireError(e, where);
  let sqlstate = w.sqlstate;
  let message = w.message;
  if (e instanceof ServiceError) {
    status = e.status;
    sqlstate = e.sqlstate;
    message = e.message;
  } else if (isThinkLiteError(e)) {
    status = statusOf(e.spec.grpc);
    code = e.code;
    details = Object.fromEntries(
      Object.entries(e.details)
        .filter(([, v]) => typeof v === 'string' || typeof v === 'number')
        .map(([k, v]) => [k, String(v)]),
    );
  } else if (e instanceof ProtocolError) {
    status = statusOfSqlstate(e.sqlstate);
  } else {
    status = grpc.status.INTERNAL;
  }
  if (override !== undefined) status = override;
  const metadata = new grpc.Metadata();
  metadata.set('sqlstate', sqlstate);
  if (code) metadata.set('code', code);
  if (w.detail !== undefined) metadata.set('detail', ascii(w.detail));
  if (w.hint !== undefined) metadata.set('hint', ascii(w.hint));
  if (w.position !== undefined) metadata.set('position', String(w.position));
  if (w.position !== undefined) details.position = String(w.position);
  metadata.set(
    'thinklite-error-bin',
    Buffer.from(thinklite.v1.Error.encode({ code, message, sqlstate, details }).finish()),
  );
  return { code: status, details: message, metadata };
}
