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
  | 'OUT_OF_RANGE'
  | 'NOT_FOUND'
  | 'ALREADY_EXISTS'
  | 'UNIMPLEMENTED'
  | 'CANCELLED'
  | 'UNAUTHENTICATED'
  | 'PERMISSION_DENIED';

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
  STORE_READ_ONLY: spec(
    '55000',
    500,
    'FAILED_PRECONDITION',
    'A process attached to a store for reading tried to write to it; only its owner process writes.',
  ),
  KV_OWNER_UNAVAILABLE: spec(
    '58000',
    503,
    'UNAVAILABLE',
    "The node's store-owning process did not answer a SQL gateway process (it is stopping or has stopped).",
  ),
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
  CONDITION_FAILED: spec(
    '55000',
    409,
    'FAILED_PRECONDITION',
    'A conditional write found a value other than the one it expected.',
  ),
  // --- SQL: PostgreSQL's condition names and SQLSTATEs (the answer PostgreSQL gives is the right one).
  SYNTAX_ERROR: spec(
    '42601',
    400,
    'INVALID_ARGUMENT',
    'The statement is not valid SQL; the error carries the position.',
  ),
  FEATURE_NOT_SUPPORTED: spec(
    '0A000',
    400,
    'UNIMPLEMENTED',
    'Valid SQL that ThinkLite does not support (yet); the message names the feature.',
  ),
  UNDEFINED_TABLE: spec('42P01', 404, 'NOT_FOUND', 'A table, view or relation name does not exist.'),
  UNDEFINED_COLUMN: spec('42703', 400, 'INVALID_ARGUMENT', 'A column name does not exist in the tables in scope.'),
  UNDEFINED_FUNCTION: spec(
    '42883',
    400,
    'INVALID_ARGUMENT',
    'No function or operator matches the name and argument types.',
  ),
  UNDEFINED_OBJECT: spec(
    '42704',
    404,
    'NOT_FOUND',
    'A named object (type, index, constraint, setting, sequence) does not exist.',
  ),
  UNDEFINED_PARAMETER: spec(
    '42P02',
    400,
    'INVALID_ARGUMENT',
    'A statement refers to a parameter ($n) that was not supplied.',
  ),
  INVALID_CATALOG_NAME: spec('3D000', 404, 'NOT_FOUND', 'The database does not exist.'),
  INVALID_SCHEMA_NAME: spec('3F000', 404, 'NOT_FOUND', 'The schema does not exist.'),
  DUPLICATE_TABLE: spec(
    '42P07',
    409,
    'ALREADY_EXISTS',
    'A table, view, index or sequence of that name already exists.',
  ),
  DUPLICATE_COLUMN: spec('42701', 409, 'ALREADY_EXISTS', 'A column of that name already exists in the table.'),
  DUPLICATE_OBJECT: spec(
    '42710',
    409,
    'ALREADY_EXISTS',
    'An object (constraint, type, prepared statement) of that name already exists.',
  ),
  DUPLICATE_DATABASE: spec('42P04', 409, 'ALREADY_EXISTS', 'A database of that name already exists.'),
  DUPLICATE_SCHEMA: spec('42P06', 409, 'ALREADY_EXISTS', 'A schema of that name already exists.'),
  DUPLICATE_ALIAS: spec('42712', 400, 'INVALID_ARGUMENT', 'A table name or alias is used twice in one FROM clause.'),
  AMBIGUOUS_COLUMN: spec(
    '42702',
    400,
    'INVALID_ARGUMENT',
    'A column reference matches columns of more than one table in scope.',
  ),
  AMBIGUOUS_FUNCTION: spec(
    '42725',
    400,
    'INVALID_ARGUMENT',
    'More than one function or operator matches the argument types equally well.',
  ),
  DATATYPE_MISMATCH: spec(
    '42804',
    400,
    'INVALID_ARGUMENT',
    "An expression's type is not the one its context requires.",
  ),
  CANNOT_COERCE: spec('42846', 400, 'INVALID_ARGUMENT', 'There is no cast between the two types.'),
  INDETERMINATE_DATATYPE: spec(
    '42P18',
    400,
    'INVALID_ARGUMENT',
    'The type of a parameter or literal cannot be determined.',
  ),
  GROUPING_ERROR: spec(
    '42803',
    400,
    'INVALID_ARGUMENT',
    'A column must appear in GROUP BY or be used in an aggregate; or an aggregate is misplaced.',
  ),
  WINDOWING_ERROR: spec('42P20', 400, 'INVALID_ARGUMENT', 'A window function is used where it is not allowed.'),
  INVALID_RECURSION: spec(
    '42P19',
    400,
    'INVALID_ARGUMENT',
    'A recursive query is not of the form WITH RECURSIVE allows.',
  ),
  WRONG_OBJECT_TYPE: spec(
    '42809',
    400,
    'INVALID_ARGUMENT',
    'The named object is of the wrong kind for the command (a view where a table is needed).',
  ),
  INVALID_TABLE_DEFINITION: spec(
    '42P16',
    400,
    'INVALID_ARGUMENT',
    'A table definition is invalid (two primary keys, no columns, …).',
  ),
  INVALID_COLUMN_REFERENCE: spec(
    '42P10',
    400,
    'INVALID_ARGUMENT',
    'A column reference is not valid here (ON CONFLICT without a matching unique index, an ORDER BY position out of range).',
  ),
  INVALID_FOREIGN_KEY: spec(
    '42830',
    400,
    'INVALID_ARGUMENT',
    'A foreign key refers to columns without a unique constraint, or of other types.',
  ),
  NAME_TOO_LONG: spec('42622', 400, 'INVALID_ARGUMENT', 'An identifier is longer than the 63 bytes allowed.'),
  DEPENDENT_OBJECTS_STILL_EXIST: spec(
    '2BP01',
    409,
    'FAILED_PRECONDITION',
    'An object cannot be dropped because others depend on it (use CASCADE).',
  ),
  NOT_NULL_VIOLATION: spec('23502', 409, 'FAILED_PRECONDITION', 'A NOT NULL column was given a null value.'),
  FOREIGN_KEY_VIOLATION: spec(
    '23503',
    409,
    'FAILED_PRECONDITION',
    'A row refers to a missing row of another table, or a referenced row is still referred to.',
  ),
  UNIQUE_VIOLATION: spec(
    '23505',
    409,
    'ALREADY_EXISTS',
    'A row duplicates the key of a primary key or unique constraint.',
  ),
  CHECK_VIOLATION: spec('23514', 409, 'FAILED_PRECONDITION', 'A row fails a CHECK constraint.'),
  DATA_EXCEPTION: spec(
    '22000',
    400,
    'INVALID_ARGUMENT',
    'A value is invalid for the operation (the general class of data errors).',
  ),
  STRING_DATA_RIGHT_TRUNCATION: spec(
    '22001',
    400,
    'INVALID_ARGUMENT',
    'A string is too long for its type (varchar(n), char(n)).',
  ),
  NULL_VALUE_NOT_ALLOWED: spec(
    '22004',
    400,
    'INVALID_ARGUMENT',
    'A null value where the operation does not allow one.',
  ),
  INVALID_DATETIME_FORMAT: spec('22007', 400, 'INVALID_ARGUMENT', 'Text does not parse as a date, time or timestamp.'),
  DATETIME_FIELD_OVERFLOW: spec(
    '22008',
    400,
    'OUT_OF_RANGE',
    'A date or time field is out of range (month 13, a timestamp beyond the supported years).',
  ),
  INTERVAL_FIELD_OVERFLOW: spec('22015', 400, 'OUT_OF_RANGE', 'An interval field is out of range.'),
  DIVISION_BY_ZERO: spec('22012', 400, 'INVALID_ARGUMENT', 'Division (or modulo) by zero.'),
  INVALID_PRECEDING_OR_FOLLOWING_SIZE: spec(
    '22013',
    400,
    'INVALID_ARGUMENT',
    'A window frame offset is negative (or NaN).',
  ),
  INVALID_PARAMETER_VALUE: spec(
    '22023',
    400,
    'INVALID_ARGUMENT',
    'An argument or setting value is invalid for the function or setting.',
  ),
  BAD_COPY_FILE_FORMAT: spec('22P04', 400, 'INVALID_ARGUMENT', 'COPY data does not match its format or the table.'),
  INVALID_ESCAPE_SEQUENCE: spec('22025', 400, 'INVALID_ARGUMENT', 'A LIKE pattern or string escape is malformed.'),
  INVALID_TEXT_REPRESENTATION: spec(
    '22P02',
    400,
    'INVALID_ARGUMENT',
    'Text does not parse as a value of the type (an integer, a uuid, a boolean, json, …).',
  ),
  INVALID_REGULAR_EXPRESSION: spec('2201B', 400, 'INVALID_ARGUMENT', 'A regular expression is malformed.'),
  INVALID_ARGUMENT_FOR_LOGARITHM: spec('2201E', 400, 'INVALID_ARGUMENT', 'The logarithm of zero or a negative number.'),
  INVALID_ARGUMENT_FOR_POWER_FUNCTION: spec(
    '2201F',
    400,
    'INVALID_ARGUMENT',
    'An invalid argument to power() (zero to a negative power, a negative number to a fractional power).',
  ),
  INVALID_ROW_COUNT_IN_LIMIT_CLAUSE: spec('2201W', 400, 'INVALID_ARGUMENT', 'LIMIT is negative.'),
  INVALID_ROW_COUNT_IN_RESULT_OFFSET_CLAUSE: spec('2201X', 400, 'INVALID_ARGUMENT', 'OFFSET is negative.'),
  ARRAY_SUBSCRIPT_ERROR: spec('2202E', 400, 'INVALID_ARGUMENT', 'An array subscript or dimension is invalid.'),
  CHARACTER_NOT_IN_REPERTOIRE: spec(
    '22021',
    400,
    'INVALID_ARGUMENT',
    'A string holds a character the encoding does not allow (a NUL byte in text).',
  ),
  SEQUENCE_GENERATOR_LIMIT_EXCEEDED: spec(
    '2200H',
    400,
    'OUT_OF_RANGE',
    'A sequence reached its maximum or minimum value.',
  ),
  CARDINALITY_VIOLATION: spec(
    '21000',
    400,
    'INVALID_ARGUMENT',
    'A scalar subquery returned more than one row, or ON CONFLICT DO UPDATE touched a row twice.',
  ),
  ACTIVE_SQL_TRANSACTION: spec(
    '25001',
    409,
    'FAILED_PRECONDITION',
    'The command cannot run inside a transaction block (or one is already open).',
  ),
  NO_ACTIVE_SQL_TRANSACTION: spec(
    '25P01',
    409,
    'FAILED_PRECONDITION',
    'The command needs a transaction block and there is none.',
  ),
  IN_FAILED_SQL_TRANSACTION: spec(
    '25P02',
    409,
    'FAILED_PRECONDITION',
    'The transaction has failed; commands are ignored until ROLLBACK.',
  ),
  READ_ONLY_SQL_TRANSACTION: spec(
    '25006',
    409,
    'FAILED_PRECONDITION',
    'A write in a read-only transaction (or a historical AS OF SYSTEM TIME read).',
  ),
  INVALID_SAVEPOINT: spec('3B001', 400, 'INVALID_ARGUMENT', 'The savepoint does not exist.'),
  INVALID_SQL_STATEMENT_NAME: spec('26000', 400, 'INVALID_ARGUMENT', 'The prepared statement does not exist.'),
  INVALID_CURSOR_NAME: spec('34000', 400, 'INVALID_ARGUMENT', 'The cursor or portal does not exist.'),
  SERIALIZATION_FAILURE: spec(
    '40001',
    409,
    'ABORTED',
    'The transaction could not be serialized with concurrent ones (its reads changed before it committed); run it again.',
    true,
  ),
  DEADLOCK_DETECTED: spec(
    '40P01',
    409,
    'ABORTED',
    'Transactions waited for each other’s locks in a cycle; this one was chosen to fail. Run it again.',
    true,
  ),
  OUT_OF_MEMORY: spec(
    '53200',
    503,
    'RESOURCE_EXHAUSTED',
    'A query exceeded its memory limit (a sort, hash table or aggregation too large).',
  ),
  PROGRAM_LIMIT_EXCEEDED: spec(
    '54000',
    400,
    'INVALID_ARGUMENT',
    'A statement exceeds a limit (too many columns, a value too large, nesting too deep).',
  ),
  OBJECT_IN_USE: spec(
    '55006',
    409,
    'FAILED_PRECONDITION',
    'The object is in use (a session is busy with another statement).',
  ),
  PROTOCOL_VIOLATION: spec(
    '08P01',
    400,
    'INVALID_ARGUMENT',
    'A client broke the wire protocol (a malformed or out-of-place message).',
  ),
  TOO_MANY_CONNECTIONS: spec('53300', 503, 'RESOURCE_EXHAUSTED', 'The server has as many connections as it allows.'),
  INVALID_PASSWORD: spec('28P01', 401, 'UNAUTHENTICATED', 'Password authentication failed.'),
  INVALID_AUTHORIZATION_SPECIFICATION: spec('28000', 401, 'UNAUTHENTICATED', 'The user may not connect this way.'),
  ADMIN_SHUTDOWN: spec('57P01', 503, 'UNAVAILABLE', 'The server is shutting down and ended the connection.'),
  QUERY_CANCELED: spec('57014', 408, 'CANCELLED', 'The statement was cancelled by the client or by its timeout.'),
  OBJECT_NOT_IN_PREREQUISITE_STATE: spec(
    '55000',
    409,
    'FAILED_PRECONDITION',
    "The object is not in a state that allows the operation (a sequence's currval before nextval).",
  ),
  INTERNAL_ERROR: spec(
    'XX000',
    500,
    'INTERNAL',
    'A bug: an invariant inside ThinkLite failed. The message says where.',
  ),
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

export function errorSpec(code: ErrorCode): ErrorSpec {
  return ERROR_CATALOGUE[code];
}
