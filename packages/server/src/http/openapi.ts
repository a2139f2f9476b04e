/**
 * The OpenAPI 3.1 document of the node's HTTP API, served at GET /v1/openapi.json. Written by
 * hand next to the routes (sql-api.ts, http-server.ts); a test checks that every $ref resolves
 * and that real responses of a running node match the schemas given here.
 */

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: object, description: string) => ({ description, content: { 'application/json': { schema } } });
const errorResponse = (description: string) => json(ref('Error'), description);

/** The usual error answers of the SQL routes. */
const sqlErrors = {
  '400': errorResponse(
    'Bad request (INVALID_JSON, INVALID_REQUEST) or a SQL error mapped to 400 (syntax error 42601, …).',
  ),
  '401': errorResponse('The node asks for a password: HTTP Basic credentials missing or wrong.'),
  '404': errorResponse('SESSION_NOT_FOUND (08003), or a SQL error mapped to 404 (undefined table 42P01, …).'),
  '408': errorResponse('QUERY_CANCELED (57014): the statement timeout passed, or the client went away.'),
  '409': errorResponse(
    'A SQL error mapped to 409: unique violation 23505, serialization failure 40001, SESSION_BUSY (55006), …',
  ),
  '413': errorResponse('PAYLOAD_TOO_LARGE (54000): the body is over the configured limit.'),
  '415': errorResponse('UNSUPPORTED_MEDIA_TYPE: the body is not application/json.'),
  '500': errorResponse('INTERNAL_ERROR (XX000).'),
  '503': errorResponse('UNAVAILABLE (57P03: starting or stopping) or TOO_MANY_SESSIONS (53300).'),
  default: errorResponse('Any other error from the catalogue (docs/errors.md), with its HTTP status.'),
};

const sessionIdParam = {
  name: 'id',
  in: 'path',
  required: true,
  schema: { type: 'string' },
  description: 'The id POST /v1/sessions returned.',
};

const document = {
  openapi: '3.1.0',
  info: {
    title: 'ThinkLite node HTTP API',
    version: '1',
    description:
      'SQL over HTTP (docs/decisions/0013-sql-over-http.md) and the node endpoints. SQL values are JSON as ' +
      'PostgreSQL-savvy clients expect: int8 and numeric as strings, bytea as "\\\\x…" hex, timestamps as ' +
      'ISO 8601 text, json/jsonb as JSON values, arrays as JSON arrays, NULL as null.',
  },
  paths: {
    '/v1/sql': {
      post: {
        operationId: 'executeSql',
        summary: 'Run one or more statements (separated by ;).',
        description:
          'Several statements on an idle session, none of them BEGIN/COMMIT/ROLLBACK/SAVEPOINT, run in one ' +
          'implicit transaction: all or nothing. The answer is the last statement’s result; with several ' +
          'statements `results` holds every statement’s result, in order. Without a session the request runs ' +
          'on a session of its own, and a transaction it leaves open is rolled back.',
        parameters: [
          {
            name: 'ThinkLite-Session-Id',
            in: 'header',
            required: false,
            schema: { type: 'string' },
            description: 'Run on this explicit session (the same as the body field sessionId).',
          },
          {
            name: 'ThinkLite-Statement-Timeout-Ms',
            in: 'header',
            required: false,
            schema: { type: 'string', pattern: '^[0-9]+$' },
            description: 'The request’s statement timeout in milliseconds (the body field statementTimeoutMs wins).',
          },
        ],
        requestBody: {
          required: true,
          content: { 'application/json': { schema: ref('SqlRequest') } },
        },
        responses: { '200': json(ref('SqlResponse'), 'The statements ran.'), ...sqlErrors },
      },
    },
    '/v1/sessions': {
      post: {
        operationId: 'createSession',
        summary: 'Open an explicit session (for transactions across requests).',
        requestBody: {
          required: false,
          content: { 'application/json': { schema: ref('CreateSessionRequest') } },
        },
        responses: { '201': json(ref('Session'), 'The session is open.'), ...sqlErrors },
      },
    },
    '/v1/sessions/{id}': {
      get: {
        operationId: 'getSession',
        summary: 'A session’s state.',
        parameters: [sessionIdParam],
        responses: { '200': json(ref('Session'), 'The session.'), ...sqlErrors },
      },
      delete: {
        operationId: 'closeSession',
        summary: 'Close a session; its open transaction is rolled back.',
        parameters: [sessionIdParam],
        responses: { '204': { description: 'Closed.' }, ...sqlErrors },
      },
    },
    '/v1/openapi.json': {
      get: {
        operationId: 'openApi',
        summary: 'This document.',
        responses: { '200': json({ type: 'object' }, 'The OpenAPI document.') },
      },
    },
    '/health': {
      get: {
        operationId: 'health',
        summary: 'The process runs.',
        responses: { '200': json(ref('Status'), 'Always {"status":"ok"}.') },
      },
    },
    '/ready': {
      get: {
        operationId: 'ready',
        summary: 'The node serves SQL.',
        responses: {
          '200': json(ref('Status'), '{"status":"ready"}'),
          '503': json(ref('Status'), '{"status":"starting"} or {"status":"stopping"}'),
        },
      },
    },
    '/metrics': {
      get: {
        operationId: 'metrics',
        summary: 'Prometheus metrics (text exposition format).',
        responses: { '200': { description: 'Metrics.', content: { 'text/plain': { schema: { type: 'string' } } } } },
      },
    },
  },
  components: {
    schemas: {
      SqlRequest: {
        type: 'object',
        required: ['sql'],
        additionalProperties: false,
        properties: {
          sql: { type: 'string', description: 'One or more statements separated by ;.' },
          params: {
            type: 'array',
            description:
              'Values of $1, $2, …, shared by every statement: JSON values converted to the type the statement ' +
              'gives each parameter (strings through the type’s input function, so "\\\\x0102" is a bytea and ' +
              '"2024-01-01T00:00:00Z" a timestamptz; arrays to SQL arrays; objects to json/jsonb).',
            items: {},
          },
          sessionId: { type: 'string', description: 'Run on this explicit session.' },
          statementTimeoutMs: {
            type: 'integer',
            minimum: 0,
            description: 'The request’s statements must finish within this many milliseconds (0: no limit).',
          },
          database: { type: 'string', description: 'The database of a request without a session (default thinklite).' },
        },
      },
      Column: {
        type: 'object',
        required: ['name', 'type'],
        additionalProperties: false,
        properties: {
          name: { type: 'string' },
          type: { type: 'string', description: 'PostgreSQL’s name of the type (format_type): integer, text[], …' },
        },
      },
      Timing: {
        type: 'object',
        required: ['ms'],
        additionalProperties: false,
        properties: { ms: { type: 'number', minimum: 0 } },
      },
      StatementResult: {
        type: 'object',
        required: ['command', 'rowCount', 'columns', 'rows', 'timing'],
        additionalProperties: false,
        properties: {
          command: { type: 'string', description: 'The command: SELECT, INSERT, CREATE TABLE, …' },
          rowCount: { type: 'integer', minimum: 0, description: 'Rows returned or affected.' },
          columns: { type: 'array', items: ref('Column') },
          rows: { type: 'array', items: { type: 'array', items: {} } },
          timing: ref('Timing'),
        },
      },
      SqlResponse: {
        type: 'object',
        required: ['command', 'rowCount', 'columns', 'rows', 'timing'],
        additionalProperties: false,
        description: 'The last statement’s result; `timing` is the whole request’s.',
        properties: {
          command: { type: 'string' },
          rowCount: { type: 'integer', minimum: 0 },
          columns: { type: 'array', items: ref('Column') },
          rows: { type: 'array', items: { type: 'array', items: {} } },
          timing: ref('Timing'),
          results: {
            type: 'array',
            minItems: 2,
            items: ref('StatementResult'),
            description: 'Present when the request had several statements: each one’s result, in order.',
          },
          sessionId: { type: 'string', description: 'Present when the request ran on an explicit session.' },
          transactionStatus: ref('TransactionStatus'),
        },
      },
      TransactionStatus: {
        type: 'string',
        enum: ['idle', 'open', 'failed'],
        description: 'idle: no transaction; open: inside BEGIN; failed: inside BEGIN after an error (ROLLBACK next).',
      },
      CreateSessionRequest: {
        type: 'object',
        additionalProperties: false,
        properties: { database: { type: 'string', description: 'Default thinklite.' } },
      },
      Session: {
        type: 'object',
        required: ['id', 'user', 'database', 'transactionStatus', 'idleTimeoutMs'],
        additionalProperties: false,
        properties: {
          id: { type: 'string' },
          user: { type: 'string' },
          database: { type: 'string' },
          transactionStatus: ref('TransactionStatus'),
          idleTimeoutMs: { type: 'integer', minimum: 0, description: 'Closed after this long without a request.' },
        },
      },
      Status: {
        type: 'object',
        required: ['status'],
        properties: { status: { type: 'string', enum: ['ok', 'ready', 'starting', 'stopping'] } },
      },
      Error: {
        type: 'object',
        required: ['error'],
        additionalProperties: false,
        properties: {
          error: {
            type: 'object',
            required: ['code', 'sqlstate', 'message'],
            additionalProperties: false,
            properties: {
              code: { type: 'string', description: 'The error catalogue’s code, or the HTTP layer’s own.' },
              sqlstate: { type: 'string', pattern: '^[0-9A-Z]{5}$' },
              message: { type: 'string' },
              detail: { type: 'string' },
              hint: { type: 'string' },
              position: { type: 'integer', minimum: 1, description: '1-based, in characters of `sql`.' },
              where: { type: 'string' },
              schema: { type: 'string' },
              table: { type: 'string' },
              column: { type: 'string' },
              dataType: { type: 'string' },
              constraint: { type: 'string' },
              statementIndex: {
                type: 'integer',
                minimum: 0,
                description: 'With several statements: the 0-based index of the one that failed.',
              },
            },
          },
        },
      },
    },
  },
} as const;

/** The document (one shared frozen object: fastify serializes it per request). */
export function openApiDocument(): typeof document {
  return document;
}
