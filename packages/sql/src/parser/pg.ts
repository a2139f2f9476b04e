/**
 * Helpers over libpg-query's JSON: nodes are one-key wrapper objects (`{ "SelectStmt": {...} }`)
 * and every field equal to its protobuf default (0, false, '', empty list) is omitted.
 */
import type { Node } from 'libpg-query';
import { internalError, unsupported } from './errors.js';
import type { SourceMap } from './source-map.js';

type KeysOfUnion<T> = T extends unknown ? keyof T : never;

/** The name of a node type, e.g. `'SelectStmt'`. */
export type NodeTag = KeysOfUnion<Node>;

/** The fields of the node type named `K`. */
export type NodeOf<K extends NodeTag> = Extract<Node, { [P in K]: unknown }>[K];

/** The node type name of a wrapped node (undefined for PostgreSQL's empty placeholder `{}`). */
export function tagOf(n: Node): NodeTag | undefined {
  for (const k in n) return k as NodeTag;
  return undefined;
}

/** The fields of `n` if it is a `K` node. */
export function get<K extends NodeTag>(n: Node | undefined, k: K): NodeOf<K> | undefined {
  if (n === undefined) return undefined;
  return (n as unknown as Partial<Record<K, NodeOf<K>>>)[k];
}

/** A node unwrapped into a discriminated union on its type name: `switch (u.tag)` narrows `u.v`. */
export type Unwrapped = { [K in NodeTag]: { readonly tag: K; readonly v: NodeOf<K> } }[NodeTag];

/** Unwraps a node (undefined for PostgreSQL's empty placeholder `{}`). */
export function unwrap(n: Node): Unwrapped | undefined {
  for (const k in n) return { tag: k, v: (n as unknown as Record<string, unknown>)[k] } as Unwrapped;
  return undefined;
}

/** The text of a `String` node (identifiers and name parts). */
export function str(n: Node | undefined): string {
  const s = get(n, 'String');
  if (s === undefined) throw internalError(`expected a String node, got ${n === undefined ? 'nothing' : tagOf(n)}`);
  return s.sval ?? '';
}

/** The texts of a list of `String` nodes. */
export function strs(list: readonly Node[] | undefined): string[] {
  return (list ?? []).map(str);
}

/**
 * Per-statement mapping context: converts byte locations into UTF-16 offsets relative to the
 * statement's start, and builds errors with positions in the original text.
 */
export class Ctx {
  constructor(
    readonly map: SourceMap,
    private readonly stmtStartUtf16: number,
  ) {}

  /** A node's location relative to its statement; -1 stays -1 (unknown). Omitted means 0. */
  loc(byteOffset: number | undefined): number {
    const b = byteOffset ?? 0;
    if (b < 0) return -1;
    return this.map.utf16(b) - this.stmtStartUtf16;
  }

  /** A FEATURE_NOT_SUPPORTED error for valid SQL ThinkLite does not handle. */
  unsupported(feature: string, byteOffset?: number): Error {
    return unsupported(feature, byteOffset === undefined || byteOffset < 0 ? undefined : this.map.position(byteOffset));
  }
}

/** Human names of node types, for FEATURE_NOT_SUPPORTED messages. */
const FEATURE_NAMES: Partial<Record<string, string>> = {
  MergeStmt: 'MERGE',
  CreateFunctionStmt: 'CREATE FUNCTION',
  CreateTableAsStmt: 'CREATE TABLE AS',
  CreateRoleStmt: 'CREATE ROLE',
  AlterRoleStmt: 'ALTER ROLE',
  DropRoleStmt: 'DROP ROLE',
  GrantStmt: 'GRANT and REVOKE',
  GrantRoleStmt: 'GRANT and REVOKE of roles',
  DoStmt: 'DO',
  CreateTrigStmt: 'CREATE TRIGGER',
  LockStmt: 'LOCK',
  DeclareCursorStmt: 'DECLARE CURSOR',
  FetchStmt: 'FETCH',
  ClosePortalStmt: 'CLOSE',
  ListenStmt: 'LISTEN',
  UnlistenStmt: 'UNLISTEN',
  NotifyStmt: 'NOTIFY',
  CallStmt: 'CALL',
  CreateExtensionStmt: 'CREATE EXTENSION',
  CommentStmt: 'COMMENT',
  AlterSeqStmt: 'ALTER SEQUENCE',
  CreateEnumStmt: 'CREATE TYPE ... AS ENUM',
  CompositeTypeStmt: 'CREATE TYPE',
  CreateDomainStmt: 'CREATE DOMAIN',
  RefreshMatViewStmt: 'REFRESH MATERIALIZED VIEW',
  ReindexStmt: 'REINDEX',
  ClusterStmt: 'CLUSTER',
  CheckPointStmt: 'CHECKPOINT',
  LoadStmt: 'LOAD',
  AlterDatabaseStmt: 'ALTER DATABASE',
  AlterDatabaseSetStmt: 'ALTER DATABASE SET',
  AlterOwnerStmt: 'ALTER ... OWNER TO',
  AlterObjectSchemaStmt: 'ALTER ... SET SCHEMA',
  RuleStmt: 'CREATE RULE',
  CreatePolicyStmt: 'CREATE POLICY',
  CreateStatsStmt: 'CREATE STATISTICS',
  ReturnStmt: 'RETURN',
  PLAssignStmt: 'PL/pgSQL assignment',
  // expressions and clauses
  XmlExpr: 'XML functions',
  XmlSerialize: 'XMLSERIALIZE',
  JsonObjectConstructor: 'SQL/JSON constructors',
  JsonArrayConstructor: 'SQL/JSON constructors',
  JsonArrayQueryConstructor: 'SQL/JSON constructors',
  JsonObjectAgg: 'JSON_OBJECTAGG',
  JsonArrayAgg: 'JSON_ARRAYAGG',
  JsonFuncExpr: 'SQL/JSON query functions',
  JsonIsPredicate: 'IS JSON',
  JsonParseExpr: 'JSON()',
  JsonScalarExpr: 'JSON_SCALAR',
  JsonSerializeExpr: 'JSON_SERIALIZE',
  JsonTable: 'JSON_TABLE',
  GroupingFunc: 'GROUPING()',
  GroupingSet: 'GROUPING SETS, ROLLUP and CUBE',
  CurrentOfExpr: 'WHERE CURRENT OF',
  MergeSupportFunc: 'MERGE_ACTION()',
  RangeTableSample: 'TABLESAMPLE',
  RangeTableFunc: 'XMLTABLE',
  TableLikeClause: 'CREATE TABLE ... LIKE',
};

/** The name to use in "... is not supported" for a node type. */
export function featureName(tag: string | undefined): string {
  if (tag === undefined) return 'an empty node';
  return FEATURE_NAMES[tag] ?? (tag.endsWith('Stmt') ? `the ${tag.slice(0, -4)} statement` : `the ${tag} expression`);
}
