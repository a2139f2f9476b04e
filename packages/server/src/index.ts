/**
 * @thinklite/server: the node process's front ends. For now the PostgreSQL wire protocol v3
 * server over a SqlEngine (see README.md and docs/decisions/0012-postgres-wire-protocol.md).
 */

export { type HttpErrorBody, HttpServer, type HttpServerOptions, type NodeState } from './http/http-server.js';
export { type ListenAddress, ThinkLiteNode, type ThinkLiteNodeOptions } from './node.js';
export { PgServer, type PgServerOptions } from './pgwire/pg-server.js';
export { formatScramVerifier, parseScramVerifier, type ScramVerifier, scramVerifier } from './pgwire/scram.js';
