/**
 * @thinklite/server: the node process's front ends. For now the PostgreSQL wire protocol v3
 * server over a SqlEngine (see README.md and docs/decisions/0012-postgres-wire-protocol.md).
 */

export {
  type ExecuteRequest,
  type ExecuteResponse,
  int64,
  type Param,
  type QueryRequest,
  type QueryResponse,
  SQL_SERVICE,
  type Value,
  valueFromPb,
} from './grpc/codec.js';
export { GrpcSqlServer, type GrpcSqlServerOptions } from './grpc/grpc-sql-server.js';
export type { SqlErrorBody } from './http/http-errors.js';
export { type HttpErrorBody, HttpServer, type HttpServerOptions, type NodeState } from './http/http-server.js';
export { openApiDocument } from './http/openapi.js';
export type { SqlApiOptions, StatementResultJson } from './http/sql-api.js';
export { type ListenAddress, ThinkLiteNode, type ThinkLiteNodeOptions } from './node.js';
export { PgServer, type PgServerOptions, type PgTlsOptions } from './pgwire/pg-server.js';
export { formatScramVerifier, parseScramVerifier, type ScramVerifier, scramVerifier } from './pgwire/scram.js';
