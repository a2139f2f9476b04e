/**
 * The one catalogue of ThinkLite's coded errors. Every error a caller can receive has a code here,
 * documented in docs/errors.md (a test holds the two together), and one mapping to each wire:
 * a PostgreSQL SQLSTATE, an HTTP status and a gRPC status code name.
 *
 * `retryable` marks the errors a client is expected to retry as a whole transaction: these map to
 * SQLSTATE 40001, which drivers and pgbench understand.
 */
export interface ErrorSpec {
  readonly sqlstate: string;
  readonly http: number;
  readonly grpc: GrpcStatusName;
  readonly retryable: boolean;
  readonly summary: string;
}

export type GrpcStatusName =
  | 'INVALID_ARGUMENT'
  | 'FAILED_PRECONDITION'
  | 'ABORTED'
  | 'UNAVAILABLE'
  | 'RESOURCE_EXHAUSTED'
  | 'DATA_LOSS'
  | 'INTERNAL'
  | 'OUT_OF_RANGE';

function spec(sqlstate: string, http: number, grpc: GrpcStatusName, summary: string, retryable = false): ErrorSpec {
  return { sqlstate, http, grpc, retryable, summary };
}

export const ERROR_CATALOGUE = {
  STORE_LOCKED: spec('55006', 409, 'FAILED_PRECONDITION', 'The store directory is already open in another process.'),
  STORE_FOREIGN_DIRECTORY: spec(
    '58030',
    409,
    'FAILED_PRECONDITION',
    'The directory holds files but is not a ThinkLite store; ThinkLite refuses to write into it.',
  ),
  STORE_CORRUPT: spec('XX001', 500, 'DATA_LOSS', 'A store file is damaged or belongs to another store.'),
  STORE_FORMAT_UNSUPPORTED: spec(
    'XX000',
    500,
    'FAILED_PRECONDITION',
    'The store was written in an on-disk format version this build does not know.',
  ),
  STORE_FULL: spec('53100', 507, 'RESOURCE_EXHAUSTED', 'The disk or the configured store size limit is full.'),
  STORE_IO: spec('58030', 500, 'UNAVAILABLE', 'The operating system reported an I/O error on a store file.'),
  STORE_CLOSED: spec('55000', 503, 'UNAVAILABLE', 'The store was used after it was closed.'),
  KEY_TOO_LARGE: spec('54000', 400, 'INVALID_ARGUMENT', 'A key is longer than the storage engine allows.'),
  BATCH_CORRUPT: spec('XX001', 500, 'DATA_LOSS', 'A serialized write batch failed its checks.'),
  ENCODING_INVALID: spec(
    '22P03',
    400,
    'INVALID_ARGUMENT',
    'Bytes do not decode as the expected key or value encoding.',
  ),
  VALUE_OUT_OF_RANGE: spec('22003', 400, 'OUT_OF_RANGE', 'A value is outside the range its type can encode.'),
  CLOCK_OFFSET_EXCEEDED: spec(
    '58000',
    503,
    'UNAVAILABLE',
    "A remote timestamp is further ahead of this node's clock than the maximum clock offset allows.",
  ),
  PROPOSAL_DROPPED: spec(
    '57P03',
    503,
    'UNAVAILABLE',
    'A Raft proposal was refused: the group has no leader, this replica was removed, or leadership is moving.',
  ),
  CONF_CHANGE_INVALID: spec(
    '22023',
    400,
    'INVALID_ARGUMENT',
    'A Raft configuration change is not allowed from the current configuration.',
  ),
  WRITE_TOO_OLD: spec(
    '40001',
    409,
    'ABORTED',
    'A write found a committed version at or above its timestamp; the transaction must move its timestamp forward.',
    true,
  ),
  WRITE_INTENT_CONFLICT: spec(
    '40001',
    409,
    'ABORTED',
    "An operation met another transaction's uncommitted write (intent).",
    true,
  ),
  READ_WITHIN_UNCERTAINTY: spec(
    '40001',
    409,
    'ABORTED',
    "A read found a version above its timestamp but within the clock's uncertainty interval.",
    true,
  ),
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

export function errorSpec(code: ErrorCode): ErrorSpec {
  return ERROR_CATALOGUE[code];
}
