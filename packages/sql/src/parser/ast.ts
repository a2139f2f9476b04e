/**
 * ThinkLite's typed SQL AST: what the parser front end produces from libpg-query's JSON and what
 * the planner consumes. Every node is a plain, deeply frozen object, discriminated on `kind`.
 *
 * Conventions:
 * - Names are unresolved. A qualified name is a string array, outermost part first
 *   (`['s', 't']` for `s.t`). Unquoted identifiers arrive lower-cased, as PostgreSQL folds them.
 * - `location` is the 0-based offset of the node in its statement's `span.text`, in UTF-16 code
 *   units (a JS string index), or -1 where PostgreSQL records no position. Turn it into the wire
 *   protocol's error position with `errorPosition(statement, location)`.
 * - Lists are never undefined (empty when absent); optional clauses are `undefined` when absent.
 * - Type names are kept as PostgreSQL's grammar gives them: `int` is `['pg_catalog', 'int4']`,
 *   `serial` is `['serial']`, a user type `s.ty` is `['s', 'ty']`.
 */

/** Fields every node has. */
export interface NodeBase {
  /** Offset of the node in its statement's `span.text` (UTF-16 code units), or -1 if unknown. */
  readonly location: number;
}

/** A possibly qualified name, outermost part first: `['db', 'schema', 'table']`. */
export type QualifiedName = readonly string[];

// ---------------------------------------------------------------------------------------------
// Expressions
// ---------------------------------------------------------------------------------------------

/** Every scalar expression. */
export type Expr =
  | IntegerLiteral
  | NumericLiteral
  | StringLiteral
  | BitStringLiteral
  | BooleanLiteral
  | NullLiteral
  | TypedLiteral
  | ParamRef
  | ColumnRef
  | Star
  | FuncCall
  | NamedArg
  | BinaryOp
  | UnaryOp
  | AndExpr
  | OrExpr
  | NotExpr
  | LikeExpr
  | IsNullExpr
  | IsBoolExpr
  | IsDistinctFromExpr
  | BetweenExpr
  | InListExpr
  | InSubqueryExpr
  | QuantifiedExpr
  | QuantifiedSubqueryExpr
  | ExistsExpr
  | SubqueryExpr
  | ArraySubqueryExpr
  | CaseExpr
  | CoalesceExpr
  | NullIfExpr
  | MinMaxExpr
  | CastExpr
  | ArrayExpr
  | SubscriptExpr
  | SliceExpr
  | FieldAccessExpr
  | RowExpr
  | CollateExpr
  | SqlValueFunction
  | DefaultExpr;

/**
 * An integer literal. PostgreSQL types an integer literal that fits in 32 bits as `int4` and one
 * that fits in 64 bits as `int8`; larger ones are `numeric` (see {@link NumericLiteral}). A minus
 * sign directly in front of a literal is folded into it (`-1` is one literal).
 */
export type IntegerLiteral = Int4Literal | Int8Literal;

export interface Int4Literal extends NodeBase {
  readonly kind: 'integer';
  readonly type: 'int4';
  readonly value: number;
  /** The literal as written (after sign folding), e.g. `'42'`. */
  readonly text: string;
}

export interface Int8Literal extends NodeBase {
  readonly kind: 'integer';
  readonly type: 'int8';
  readonly value: bigint;
  readonly text: string;
}

/** A literal with a decimal point or exponent, or an integer too large for int8: type `numeric`. */
export interface NumericLiteral extends NodeBase {
  readonly kind: 'numeric';
  /** The original literal text (e.g. `'1.50'`, `'1e5'`, `'99999999999999999999'`). */
  readonly text: string;
}

/** A string literal. Its type is `unknown` until the planner resolves it from context. */
export interface StringLiteral extends NodeBase {
  readonly kind: 'string';
  readonly value: string;
  readonly type: 'unknown';
}

/** `B'0101'` or `X'1F'`. */
export interface BitStringLiteral extends NodeBase {
  readonly kind: 'bitString';
  readonly radix: 'binary' | 'hex';
  /** The digits without the prefix: `'0101'`, `'1F'`. */
  readonly digits: string;
}

export interface BooleanLiteral extends NodeBase {
  readonly kind: 'boolean';
  readonly value: boolean;
}

export interface NullLiteral extends NodeBase {
  readonly kind: 'null';
}

/** `type 'string'`, e.g. `date '2024-01-01'`, `interval '1 day'`, `timestamptz '...'`. */
export interface TypedLiteral extends NodeBase {
  readonly kind: 'typedLiteral';
  readonly type: TypeName;
  readonly value: string;
}

/** A positional parameter `$n` (1-based). */
export interface ParamRef extends NodeBase {
  readonly kind: 'param';
  readonly number: number;
}

/** A column reference, possibly qualified: `a`, `t.a`, `s.t.a`. */
export interface ColumnRef extends NodeBase {
  readonly kind: 'columnRef';
  readonly names: QualifiedName;
}

/** `*` or `t.*` in a target list or RETURNING. `qualifier` is empty for a bare `*`. */
export interface Star extends NodeBase {
  readonly kind: 'star';
  readonly qualifier: QualifiedName;
}

/**
 * A function call, aggregate or window function. PostgreSQL rewrites several special syntaxes to
 * calls of `pg_catalog` functions, and they stay in that normalized form, with `sqlSyntax: true`:
 * `EXTRACT(f FROM x)` → `pg_catalog.extract('f', x)`, `POSITION(a IN b)` → `pg_catalog.position(b, a)`,
 * `SUBSTRING(a FROM b FOR c)` → `pg_catalog.substring(a, b, c)`, `TRIM(BOTH x FROM y)` →
 * `pg_catalog.btrim(y, x)` (`ltrim`/`rtrim` for LEADING/TRAILING), `OVERLAY(...)` →
 * `pg_catalog.overlay(...)`, `x AT TIME ZONE z` → `pg_catalog.timezone(z, x)`.
 */
export interface FuncCall extends NodeBase {
  readonly kind: 'funcCall';
  readonly name: QualifiedName;
  readonly args: readonly Expr[];
  /** `count(*)`. */
  readonly star: boolean;
  /** `agg(DISTINCT x)`. */
  readonly distinct: boolean;
  /** `agg(x ORDER BY y)`, or the WITHIN GROUP ordering when `withinGroup`. */
  readonly orderBy: readonly SortItem[];
  /** `percentile_cont(0.5) WITHIN GROUP (ORDER BY x)`. */
  readonly withinGroup: boolean;
  /** `FILTER (WHERE ...)`. */
  readonly filter?: Expr;
  /** `OVER (...)` or `OVER w`. */
  readonly over?: WindowSpec;
  /** `f(VARIADIC arr)`: the last argument is the variadic array. */
  readonly variadic: boolean;
  /** The call came from SQL-standard special syntax that PostgreSQL normalizes (see above). */
  readonly sqlSyntax: boolean;
}

/** A named argument in a call: `f(a => 1)`. */
export interface NamedArg extends NodeBase {
  readonly kind: 'namedArg';
  readonly name: string;
  readonly value: Expr;
}

/**
 * A binary operator applied with its name as text: `=`, `<>`, `+`, `||`, `->>`, `@>`, `~` ...
 * (`!=` arrives as `<>`). LIKE, BETWEEN, IN, IS DISTINCT FROM have their own nodes.
 */
export interface BinaryOp extends NodeBase {
  readonly kind: 'binaryOp';
  readonly op: string;
  /** The schema in `OPERATOR(schema.op)` syntax. */
  readonly opSchema?: string;
  readonly left: Expr;
  readonly right: Expr;
}

/** A prefix operator: `-x`, `+x`, `~x`, `@x`, `|/x`. */
export interface UnaryOp extends NodeBase {
  readonly kind: 'unaryOp';
  readonly op: string;
  readonly opSchema?: string;
  readonly operand: Expr;
}

export interface AndExpr extends NodeBase {
  readonly kind: 'and';
  /** Two or more operands (PostgreSQL flattens `a AND b AND c`). */
  readonly args: readonly Expr[];
}

export interface OrExpr extends NodeBase {
  readonly kind: 'or';
  readonly args: readonly Expr[];
}

export interface NotExpr extends NodeBase {
  readonly kind: 'not';
  readonly arg: Expr;
}

/** `x [NOT] LIKE | ILIKE | SIMILAR TO pattern [ESCAPE e]`. */
export interface LikeExpr extends NodeBase {
  readonly kind: 'like';
  readonly mode: 'like' | 'ilike' | 'similar';
  readonly negated: boolean;
  readonly expr: Expr;
  readonly pattern: Expr;
  readonly escape?: Expr;
}

/** `x IS [NOT] NULL` (also `ISNULL`, `NOTNULL`). */
export interface IsNullExpr extends NodeBase {
  readonly kind: 'isNull';
  readonly negated: boolean;
  readonly expr: Expr;
}

/** `x IS [NOT] TRUE | FALSE | UNKNOWN`. */
export interface IsBoolExpr extends NodeBase {
  readonly kind: 'isBool';
  readonly test: 'true' | 'false' | 'unknown';
  readonly negated: boolean;
  readonly expr: Expr;
}

/** `a IS [NOT] DISTINCT FROM b`. `negated` is true for IS NOT DISTINCT FROM. */
export interface IsDistinctFromExpr extends NodeBase {
  readonly kind: 'isDistinctFrom';
  readonly negated: boolean;
  readonly left: Expr;
  readonly right: Expr;
}

/** `x [NOT] BETWEEN [SYMMETRIC] low AND high`. */
export interface BetweenExpr extends NodeBase {
  readonly kind: 'between';
  readonly negated: boolean;
  readonly symmetric: boolean;
  readonly expr: Expr;
  readonly low: Expr;
  readonly high: Expr;
}

/** `x [NOT] IN (a, b, c)`. */
export interface InListExpr extends NodeBase {
  readonly kind: 'inList';
  readonly negated: boolean;
  readonly expr: Expr;
  readonly list: readonly Expr[];
}

/** `x [NOT] IN (SELECT ...)`; `expr` may be a row: `(a, b) IN (SELECT ...)`. */
export interface InSubqueryExpr extends NodeBase {
  readonly kind: 'inSubquery';
  readonly negated: boolean;
  readonly expr: Expr;
  readonly query: SelectStmt;
}

/** `x op ANY|SOME|ALL (array)`. */
export interface QuantifiedExpr extends NodeBase {
  readonly kind: 'quantified';
  readonly op: string;
  readonly quantifier: 'any' | 'all';
  readonly left: Expr;
  readonly right: Expr;
}

/** `x op ANY|SOME|ALL (SELECT ...)`. */
export interface QuantifiedSubqueryExpr extends NodeBase {
  readonly kind: 'quantifiedSubquery';
  readonly op: string;
  readonly quantifier: 'any' | 'all';
  readonly left: Expr;
  readonly query: SelectStmt;
}

export interface ExistsExpr extends NodeBase {
  readonly kind: 'exists';
  readonly query: SelectStmt;
}

/** A scalar subquery `(SELECT ...)`. */
export interface SubqueryExpr extends NodeBase {
  readonly kind: 'subquery';
  readonly query: SelectStmt;
}

/** `ARRAY(SELECT ...)`. */
export interface ArraySubqueryExpr extends NodeBase {
  readonly kind: 'arraySubquery';
  readonly query: SelectStmt;
}

/** `CASE [operand] WHEN ... THEN ... [ELSE ...] END`; `operand` is set for the simple form. */
export interface CaseExpr extends NodeBase {
  readonly kind: 'case';
  readonly operand?: Expr;
  readonly whens: readonly CaseWhen[];
  readonly else?: Expr;
}

export interface CaseWhen extends NodeBase {
  readonly kind: 'caseWhen';
  /** A boolean condition (searched CASE) or a value compared with the operand (simple CASE). */
  readonly condition: Expr;
  readonly result: Expr;
}

export interface CoalesceExpr extends NodeBase {
  readonly kind: 'coalesce';
  readonly args: readonly Expr[];
}

export interface NullIfExpr extends NodeBase {
  readonly kind: 'nullif';
  readonly left: Expr;
  readonly right: Expr;
}

/** `GREATEST(...)` / `LEAST(...)`. */
export interface MinMaxExpr extends NodeBase {
  readonly kind: 'minMax';
  readonly op: 'greatest' | 'least';
  readonly args: readonly Expr[];
}

/** `CAST(x AS t)` or `x::t` (PostgreSQL does not distinguish the two). */
export interface CastExpr extends NodeBase {
  readonly kind: 'cast';
  readonly expr: Expr;
  readonly type: TypeName;
}

/** `ARRAY[a, b]`; nested `ARRAY[[1], [2]]` has `array` elements. */
export interface ArrayExpr extends NodeBase {
  readonly kind: 'array';
  readonly elements: readonly Expr[];
}

/** `expr[index]`. */
export interface SubscriptExpr extends NodeBase {
  readonly kind: 'subscript';
  readonly expr: Expr;
  readonly index: Expr;
}

/** `expr[lower:upper]`; either bound may be omitted. */
export interface SliceExpr extends NodeBase {
  readonly kind: 'slice';
  readonly expr: Expr;
  readonly lower?: Expr;
  readonly upper?: Expr;
}

/** `(expr).field`. */
export interface FieldAccessExpr extends NodeBase {
  readonly kind: 'fieldAccess';
  readonly expr: Expr;
  readonly field: string;
}

/** `ROW(a, b)` (`explicit`) or `(a, b)`. */
export interface RowExpr extends NodeBase {
  readonly kind: 'row';
  readonly args: readonly Expr[];
  readonly explicit: boolean;
}

/** `expr COLLATE name`. Parsed and kept; the planner decides what to do with it. */
export interface CollateExpr extends NodeBase {
  readonly kind: 'collate';
  readonly expr: Expr;
  readonly collation: QualifiedName;
}

/** The SQL-standard niladic functions. */
export interface SqlValueFunction extends NodeBase {
  readonly kind: 'sqlValueFunction';
  readonly fn:
    | 'current_date'
    | 'current_time'
    | 'current_timestamp'
    | 'localtime'
    | 'localtimestamp'
    | 'current_role'
    | 'current_user'
    | 'user'
    | 'session_user'
    | 'current_catalog'
    | 'current_schema';
  /** `CURRENT_TIMESTAMP(3)`: the fractional-second precision, when given. */
  readonly precision?: number;
}

/** `DEFAULT` as a value: in INSERT ... VALUES rows and in UPDATE SET col = DEFAULT. */
export interface DefaultExpr extends NodeBase {
  readonly kind: 'default';
}

/** A type name as written, e.g. `varchar(10)[]` → names `['pg_catalog','varchar']`, typmods `[10]`, arrayBounds `[-1]`. */
export interface TypeName extends NodeBase {
  readonly kind: 'typeName';
  readonly names: QualifiedName;
  /** Type modifiers: `numeric(10, 2)` → `[10, 2]`. Interval field masks arrive as PostgreSQL encodes them. */
  readonly typmods: readonly number[];
  /** One entry per array dimension: the declared bound, or -1 for `[]`. Empty if not an array. */
  readonly arrayBounds: readonly number[];
}

// ---------------------------------------------------------------------------------------------
// Query parts
// ---------------------------------------------------------------------------------------------

/** One ORDER BY item. */
export interface SortItem extends NodeBase {
  readonly kind: 'sortItem';
  readonly expr: Expr;
  readonly direction: 'default' | 'asc' | 'desc';
  readonly nulls: 'default' | 'first' | 'last';
}

/** A window specification: `OVER (...)`, `OVER w`, or the body of a WINDOW clause entry. */
export interface WindowSpec extends NodeBase {
  readonly kind: 'windowSpec';
  /** `OVER w` or `OVER (w ORDER BY ...)`: the window this one refers to or extends. */
  readonly baseWindow?: string;
  readonly partitionBy: readonly Expr[];
  readonly orderBy: readonly SortItem[];
  /** The frame; `undefined` means the default frame (RANGE UNBOUNDED PRECEDING .. CURRENT ROW). */
  readonly frame?: WindowFrame;
}

export interface WindowFrame {
  readonly mode: 'rows' | 'range' | 'groups';
  readonly start: FrameBound;
  /** Without BETWEEN, PostgreSQL's end bound is CURRENT ROW. */
  readonly end: FrameBound;
  readonly exclude: 'noOthers' | 'currentRow' | 'group' | 'ties';
}

export type FrameBound =
  | { readonly kind: 'unboundedPreceding' }
  | { readonly kind: 'preceding'; readonly offset: Expr }
  | { readonly kind: 'currentRow' }
  | { readonly kind: 'following'; readonly offset: Expr }
  | { readonly kind: 'unboundedFollowing' };

/** A `WINDOW name AS (...)` entry. */
export interface WindowDefinition extends NodeBase {
  readonly kind: 'windowDefinition';
  readonly name: string;
  readonly spec: WindowSpec;
}

/** One item of a target list or RETURNING list. A `*` / `t.*` item has a {@link Star} expr. */
export interface SelectTarget extends NodeBase {
  readonly kind: 'target';
  readonly expr: Expr;
  readonly alias?: string;
}

/** `AS alias (col, ...)` on a FROM item. */
export interface TableAlias {
  readonly name: string;
  readonly columns: readonly string[];
}

export type FromItem = TableRef | SubqueryRef | FunctionRef | JoinRef;

/** A named table (or view, or CTE) in FROM, or the target of INSERT/UPDATE/DELETE. */
export interface TableRef extends NodeBase {
  readonly kind: 'table';
  readonly name: QualifiedName;
  readonly alias?: TableAlias;
  /** `ONLY t` (no inheritance children; ThinkLite has no inheritance, so this is informational). */
  readonly only: boolean;
}

/** `(SELECT ...) AS alias`. */
export interface SubqueryRef extends NodeBase {
  readonly kind: 'subquery';
  readonly query: SelectStmt;
  readonly alias?: TableAlias;
}

/** A set-returning function in FROM: `generate_series(1, 3) [WITH ORDINALITY] AS g(n)`. */
export interface FunctionRef extends NodeBase {
  readonly kind: 'function';
  readonly call: FuncCall;
  readonly ordinality: boolean;
  readonly alias?: TableAlias;
}

/** A join. CROSS JOIN (and a plain `JOIN ... ON TRUE`-less inner join) is `joinType: 'cross'`. */
export interface JoinRef extends NodeBase {
  readonly kind: 'join';
  readonly joinType: 'inner' | 'left' | 'right' | 'full' | 'cross';
  readonly natural: boolean;
  readonly left: FromItem;
  readonly right: FromItem;
  readonly on?: Expr;
  readonly using: readonly string[];
  /** `JOIN ... USING (a) AS j`. */
  readonly usingAlias?: string;
  /** `(a JOIN b ON ...) AS j`. */
  readonly alias?: TableAlias;
}

export interface WithClause extends NodeBase {
  readonly kind: 'with';
  readonly recursive: boolean;
  readonly ctes: readonly CommonTableExpr[];
}

export interface CommonTableExpr extends NodeBase {
  readonly kind: 'cte';
  readonly name: string;
  readonly columns: readonly string[];
  readonly materialized: 'default' | 'always' | 'never';
  /** Usually a SELECT; PostgreSQL also allows data-modifying statements here. */
  readonly query: SelectStmt | InsertStmt | UpdateStmt | DeleteStmt;
}

/** `FOR UPDATE | NO KEY UPDATE | SHARE | KEY SHARE [OF t, ...] [NOWAIT | SKIP LOCKED]`. */
export interface LockingClause {
  readonly strength: 'update' | 'noKeyUpdate' | 'share' | 'keyShare';
  readonly tables: readonly QualifiedName[];
  readonly waitPolicy: 'block' | 'skipLocked' | 'noWait';
}

// ---------------------------------------------------------------------------------------------
// Statements
// ---------------------------------------------------------------------------------------------

/**
 * A query: `[WITH ...] body [ORDER BY ...] [LIMIT ...] [OFFSET ...] [FOR UPDATE ...]`. The body is a
 * plain SELECT, a set operation whose arms are queries themselves, or a VALUES list.
 */
export interface SelectStmt extends NodeBase {
  readonly kind: 'select';
  readonly with?: WithClause;
  readonly body: QueryBody;
  readonly orderBy: readonly SortItem[];
  /** LIMIT n or FETCH FIRST n ROWS ONLY/WITH TIES. `LIMIT ALL` is a null literal. */
  readonly limit?: Expr;
  readonly limitWithTies: boolean;
  readonly offset?: Expr;
  readonly locking: readonly LockingClause[];
  /** CockroachDB's `AS OF SYSTEM TIME expr`, taken out by the pre-parse step. Top level only. */
  readonly asOfSystemTime?: Expr;
}

export type QueryBody = SelectCore | SetOperation | ValuesList;

/** `SELECT [DISTINCT [ON (...)]] targets [FROM ...] [WHERE ...] [GROUP BY ...] [HAVING ...] [WINDOW ...]`. */
export interface SelectCore extends NodeBase {
  readonly kind: 'selectCore';
  readonly distinct: boolean;
  /** `DISTINCT ON (...)` expressions; empty for plain DISTINCT or none. */
  readonly distinctOn: readonly Expr[];
  readonly targets: readonly SelectTarget[];
  readonly from: readonly FromItem[];
  readonly where?: Expr;
  /** Expressions, or integer literals for output positions (`GROUP BY 1`). */
  readonly groupBy: readonly Expr[];
  readonly having?: Expr;
  readonly windows: readonly WindowDefinition[];
}

/** `left UNION|INTERSECT|EXCEPT [ALL] right`; nesting follows SQL precedence. */
export interface SetOperation extends NodeBase {
  readonly kind: 'setOperation';
  readonly op: 'union' | 'intersect' | 'except';
  readonly all: boolean;
  readonly left: SelectStmt;
  readonly right: SelectStmt;
}

/** `VALUES (...), (...)` as a query or as INSERT's source; rows may hold {@link DefaultExpr}. */
export interface ValuesList extends NodeBase {
  readonly kind: 'values';
  readonly rows: readonly (readonly Expr[])[];
}

/** INSERT's `DEFAULT VALUES`. */
export interface DefaultValues extends NodeBase {
  readonly kind: 'defaultValues';
}

/** `SET col = expr` or, for `SET (a, b) = (...)` / `= (SELECT ...)`, `multiple: true` with several columns. */
export type SetClause = SingleAssignment | MultiAssignment;

export interface SingleAssignment extends NodeBase {
  readonly kind: 'assign';
  readonly column: string;
  readonly value: Expr;
}

export interface MultiAssignment extends NodeBase {
  readonly kind: 'multiAssign';
  readonly columns: readonly string[];
  /** A row expression or a scalar subquery returning one row with as many columns. */
  readonly value: Expr;
}

export interface OnConflictClause extends NodeBase {
  readonly kind: 'onConflict';
  readonly target?: ConflictTarget;
  readonly action: { readonly kind: 'nothing' } | OnConflictUpdate;
}

export type ConflictTarget =
  | { readonly kind: 'columns'; readonly columns: readonly IndexElement[]; readonly where?: Expr }
  | { readonly kind: 'constraint'; readonly name: string };

export interface OnConflictUpdate {
  readonly kind: 'update';
  readonly set: readonly SetClause[];
  readonly where?: Expr;
}

export interface InsertStmt extends NodeBase {
  readonly kind: 'insert';
  readonly with?: WithClause;
  readonly table: TableRef;
  /** The column list; empty when not given. */
  readonly columns: readonly string[];
  /** The rows: a query (VALUES lists are a query whose body is `values`), or DEFAULT VALUES. */
  readonly source: SelectStmt | DefaultValues;
  readonly onConflict?: OnConflictClause;
  readonly returning: readonly SelectTarget[];
  /** `OVERRIDING SYSTEM VALUE | USER VALUE`. */
  readonly overriding?: 'system' | 'user';
}

export interface UpdateStmt extends NodeBase {
  readonly kind: 'update';
  readonly with?: WithClause;
  readonly table: TableRef;
  readonly set: readonly SetClause[];
  readonly from: readonly FromItem[];
  readonly where?: Expr;
  readonly returning: readonly SelectTarget[];
}

export interface DeleteStmt extends NodeBase {
  readonly kind: 'delete';
  readonly with?: WithClause;
  readonly table: TableRef;
  readonly using: readonly FromItem[];
  readonly where?: Expr;
  readonly returning: readonly SelectTarget[];
}

// --- DDL --------------------------------------------------------------------------------------

export type ReferentialAction = 'noAction' | 'restrict' | 'cascade' | 'setNull' | 'setDefault';

/** A REFERENCES target, shared by column and table foreign keys. */
export interface ForeignKeyReference {
  readonly table: QualifiedName;
  /** Empty: the referenced table's primary key. */
  readonly columns: readonly string[];
  readonly onDelete: ReferentialAction;
  readonly onUpdate: ReferentialAction;
  readonly match: 'simple' | 'full' | 'partial';
}

/** Sequence options (CREATE SEQUENCE, identity columns). `null` means `NO MINVALUE` etc. */
export interface SequenceOptions {
  readonly as?: TypeName;
  readonly increment?: bigint;
  readonly start?: bigint;
  readonly minValue?: bigint | null;
  readonly maxValue?: bigint | null;
  readonly cache?: bigint;
  readonly cycle?: boolean;
  readonly ownedBy?: QualifiedName;
}

/** Column constraints; `name` is set for `CONSTRAINT name ...`. */
export type ColumnConstraint =
  | (ConstraintBase & { readonly kind: 'notNull' })
  | (ConstraintBase & { readonly kind: 'null' })
  | (ConstraintBase & { readonly kind: 'default'; readonly expr: Expr })
  | (ConstraintBase & { readonly kind: 'primaryKey' })
  | (ConstraintBase & { readonly kind: 'unique'; readonly nullsNotDistinct: boolean })
  | (ConstraintBase & { readonly kind: 'check'; readonly expr: Expr })
  | (ConstraintBase & { readonly kind: 'references'; readonly reference: ForeignKeyReference })
  | (ConstraintBase & {
      readonly kind: 'identity';
      readonly generated: 'always' | 'byDefault';
      readonly options: SequenceOptions;
    })
  | (ConstraintBase & { readonly kind: 'generated'; readonly expr: Expr; readonly stored: boolean });

/** Table constraints (and ALTER TABLE ADD CONSTRAINT). */
export type TableConstraint =
  | (ConstraintBase & {
      readonly kind: 'primaryKey';
      readonly columns: readonly string[];
      readonly include: readonly string[];
    })
  | (ConstraintBase & {
      readonly kind: 'unique';
      readonly columns: readonly string[];
      readonly include: readonly string[];
      readonly nullsNotDistinct: boolean;
    })
  | (ConstraintBase & { readonly kind: 'check'; readonly expr: Expr })
  | (ConstraintBase & {
      readonly kind: 'foreignKey';
      readonly columns: readonly string[];
      readonly reference: ForeignKeyReference;
    });

export interface ConstraintBase extends NodeBase {
  readonly name?: string;
}

export interface ColumnDef extends NodeBase {
  readonly kind: 'columnDef';
  readonly name: string;
  readonly type: TypeName;
  readonly constraints: readonly ColumnConstraint[];
  readonly collation?: QualifiedName;
}

export interface CreateTableStmt extends NodeBase {
  readonly kind: 'createTable';
  readonly name: QualifiedName;
  readonly ifNotExists: boolean;
  readonly persistence: 'permanent' | 'temporary' | 'unlogged';
  readonly columns: readonly ColumnDef[];
  readonly constraints: readonly TableConstraint[];
  /** `WITH (fillfactor=100, …)`: storage parameters, checked as PostgreSQL does and otherwise ignored. */
  readonly storageParams?: readonly StorageParam[];
}

/** A storage parameter (`WITH (toast.autovacuum_enabled = off)`). */
export interface StorageParam extends NodeBase {
  readonly namespace?: string;
  readonly name: string;
  /** The value as PostgreSQL's text form (`true` for a bare name; a number as written). */
  readonly value: string;
}

export type DropObjectType = 'table' | 'view' | 'index' | 'sequence' | 'schema' | 'database';

export interface DropStmt extends NodeBase {
  readonly kind: 'drop';
  readonly objectType: DropObjectType;
  readonly names: readonly QualifiedName[];
  readonly ifExists: boolean;
  /** CASCADE; RESTRICT (the default) is `false`. */
  readonly cascade: boolean;
  /** DROP INDEX CONCURRENTLY. */
  readonly concurrently: boolean;
}

export type AlterTableAction =
  | { readonly kind: 'addColumn'; readonly column: ColumnDef; readonly ifNotExists: boolean }
  | { readonly kind: 'dropColumn'; readonly column: string; readonly ifExists: boolean; readonly cascade: boolean }
  | { readonly kind: 'renameColumn'; readonly column: string; readonly newName: string }
  | { readonly kind: 'renameTable'; readonly newName: string }
  | { readonly kind: 'renameConstraint'; readonly constraint: string; readonly newName: string }
  | { readonly kind: 'addConstraint'; readonly constraint: TableConstraint }
  | {
      readonly kind: 'dropConstraint';
      readonly constraint: string;
      readonly ifExists: boolean;
      readonly cascade: boolean;
    }
  | { readonly kind: 'setDefault'; readonly column: string; readonly expr: Expr }
  | { readonly kind: 'dropDefault'; readonly column: string }
  | { readonly kind: 'setNotNull'; readonly column: string }
  | { readonly kind: 'dropNotNull'; readonly column: string }
  | {
      readonly kind: 'alterColumnType';
      readonly column: string;
      readonly type: TypeName;
      readonly using?: Expr;
      readonly collation?: QualifiedName;
    };

/** ALTER TABLE, including its RENAME forms (which PostgreSQL parses as a separate statement). */
export interface AlterTableStmt extends NodeBase {
  readonly kind: 'alterTable';
  readonly table: QualifiedName;
  readonly ifExists: boolean;
  readonly actions: readonly AlterTableAction[];
}

/** A key column of an index or ON CONFLICT target: a column name or an expression. */
export interface IndexElement extends NodeBase {
  readonly kind: 'indexElement';
  readonly column?: string;
  readonly expr?: Expr;
  readonly direction: 'default' | 'asc' | 'desc';
  readonly nulls: 'default' | 'first' | 'last';
  readonly collation?: QualifiedName;
  readonly opclass?: QualifiedName;
}

export interface CreateIndexStmt extends NodeBase {
  readonly kind: 'createIndex';
  /** Absent for `CREATE INDEX ON t (...)`. */
  readonly name?: string;
  readonly table: QualifiedName;
  readonly unique: boolean;
  readonly ifNotExists: boolean;
  readonly concurrently: boolean;
  /** The access method, `btree` unless `USING ...`. */
  readonly method: string;
  readonly columns: readonly IndexElement[];
  /** INCLUDE (...) columns — CockroachDB's STORING (...) is rewritten to INCLUDE by the pre-parse. */
  readonly include: readonly string[];
  /** The predicate of a partial index. */
  readonly where?: Expr;
  readonly nullsNotDistinct: boolean;
}

export interface CreateViewStmt extends NodeBase {
  readonly kind: 'createView';
  readonly name: QualifiedName;
  readonly orReplace: boolean;
  readonly temporary: boolean;
  readonly columns: readonly string[];
  readonly query: SelectStmt;
  readonly checkOption: 'none' | 'local' | 'cascaded';
}

export interface CreateSequenceStmt extends NodeBase {
  readonly kind: 'createSequence';
  readonly name: QualifiedName;
  readonly ifNotExists: boolean;
  readonly temporary: boolean;
  readonly options: SequenceOptions;
}

export interface CreateDatabaseStmt extends NodeBase {
  readonly kind: 'createDatabase';
  readonly name: string;
  readonly options: readonly GenericOption[];
}

export interface CreateSchemaStmt extends NodeBase {
  readonly kind: 'createSchema';
  /** Absent for `CREATE SCHEMA AUTHORIZATION role` (the schema is named after the role). */
  readonly name?: string;
  readonly ifNotExists: boolean;
  readonly authorization?: string;
}

export interface TruncateStmt extends NodeBase {
  readonly kind: 'truncate';
  readonly tables: readonly QualifiedName[];
  readonly restartIdentity: boolean;
  readonly cascade: boolean;
}

// --- transactions and session -----------------------------------------------------------------

export type IsolationLevel = 'serializable' | 'repeatable read' | 'read committed' | 'read uncommitted';

/** Transaction modes: every field is absent when not given. */
export interface TransactionModes {
  readonly isolationLevel?: IsolationLevel;
  readonly readOnly?: boolean;
  readonly deferrable?: boolean;
}

/** BEGIN / START TRANSACTION, with CockroachDB's `AS OF SYSTEM TIME` as an extra option. */
export interface BeginStmt extends NodeBase, TransactionModes {
  readonly kind: 'begin';
  readonly asOfSystemTime?: Expr;
}

/** COMMIT / END. */
export interface CommitStmt extends NodeBase {
  readonly kind: 'commit';
  readonly chain: boolean;
}

/** ROLLBACK / ABORT. */
export interface RollbackStmt extends NodeBase {
  readonly kind: 'rollback';
  readonly chain: boolean;
}

export interface SavepointStmt extends NodeBase {
  readonly kind: 'savepoint';
  readonly name: string;
}

export interface ReleaseSavepointStmt extends NodeBase {
  readonly kind: 'releaseSavepoint';
  readonly name: string;
}

export interface RollbackToSavepointStmt extends NodeBase {
  readonly kind: 'rollbackToSavepoint';
  readonly name: string;
}

/** `SET TRANSACTION ...` (scope `transaction`) or `SET SESSION CHARACTERISTICS AS TRANSACTION ...` (scope `session`). */
export interface SetTransactionStmt extends NodeBase, TransactionModes {
  readonly kind: 'setTransaction';
  readonly scope: 'transaction' | 'session';
}

/**
 * `SET [LOCAL | SESSION] name = | TO value, ...` or `... TO DEFAULT`. PostgreSQL's special forms
 * arrive under their setting names: `SET TIME ZONE x` is `timezone` (`LOCAL`/`DEFAULT` → default),
 * `SET NAMES x` is `client_encoding`. Bare-word values arrive as string literals.
 */
export interface SetStmt extends NodeBase {
  readonly kind: 'set';
  readonly name: string;
  readonly local: boolean;
  readonly value: { readonly kind: 'default' } | { readonly kind: 'values'; readonly values: readonly Expr[] };
}

/** `RESET name` / `RESET ALL` (`name` absent). */
export interface ResetStmt extends NodeBase {
  readonly kind: 'reset';
  readonly name?: string;
}

/** `SHOW name` / `SHOW ALL` (`name` absent). */
export interface ShowStmt extends NodeBase {
  readonly kind: 'show';
  readonly name?: string;
}

// --- utility ----------------------------------------------------------------------------------

/** An option in `WITH (...)` / `(...)` lists: `value` is undefined for a bare option name. */
export interface GenericOption extends NodeBase {
  readonly name: string;
  readonly value?: string | number | boolean | readonly string[];
}

export interface ExplainStmt extends NodeBase {
  readonly kind: 'explain';
  readonly analyze: boolean;
  readonly verbose: boolean;
  readonly format?: string;
  /** Every option as given (`EXPLAIN ANALYZE` appears as `analyze`). */
  readonly options: readonly GenericOption[];
  readonly statement: StatementNode;
}

export interface AnalyzeTarget {
  readonly table: QualifiedName;
  readonly columns: readonly string[];
}

/** `ANALYZE [table [(cols)], ...]`; no tables means all. */
export interface AnalyzeStmt extends NodeBase {
  readonly kind: 'analyze';
  readonly tables: readonly AnalyzeTarget[];
  readonly options: readonly GenericOption[];
}

/** `VACUUM ...`: nothing to vacuum here (the storage layer collects old versions); with ANALYZE it analyzes. */
export interface VacuumStmt extends NodeBase {
  readonly kind: 'vacuum';
  readonly noOp: true;
  readonly tables: readonly AnalyzeTarget[];
  readonly options: readonly GenericOption[];
}

export interface PrepareStmt extends NodeBase {
  readonly kind: 'prepare';
  readonly name: string;
  readonly paramTypes: readonly TypeName[];
  readonly statement: StatementNode;
}

export interface ExecuteStmt extends NodeBase {
  readonly kind: 'execute';
  readonly name: string;
  readonly params: readonly Expr[];
}

/** `DEALLOCATE [PREPARE] name | ALL` (`name` absent for ALL). */
export interface DeallocateStmt extends NodeBase {
  readonly kind: 'deallocate';
  readonly name?: string;
}

/** COPY to or from the client (STDIN/STDOUT); files and programs are not supported. */
export interface CopyStmt extends NodeBase {
  readonly kind: 'copy';
  readonly direction: 'from' | 'to';
  readonly source:
    | { readonly kind: 'table'; readonly table: QualifiedName; readonly columns: readonly string[] }
    | { readonly kind: 'query'; readonly query: SelectStmt | InsertStmt | UpdateStmt | DeleteStmt };
  readonly format: 'text' | 'csv' | 'binary';
  readonly header: boolean | 'match';
  readonly delimiter?: string;
  readonly null?: string;
  readonly quote?: string;
  readonly escape?: string;
  /** COPY FROM ... WHERE. */
  readonly where?: Expr;
  /** Every option as given, including the ones above. */
  readonly options: readonly GenericOption[];
}

export interface DiscardStmt extends NodeBase {
  readonly kind: 'discard';
  readonly target: 'all' | 'plans' | 'sequences' | 'temp';
}

/** Any statement, as it may also appear nested (EXPLAIN, PREPARE). */
export type StatementNode =
  | SelectStmt
  | InsertStmt
  | UpdateStmt
  | DeleteStmt
  | CreateTableStmt
  | DropStmt
  | AlterTableStmt
  | CreateIndexStmt
  | CreateViewStmt
  | CreateSequenceStmt
  | CreateDatabaseStmt
  | CreateSchemaStmt
  | TruncateStmt
  | BeginStmt
  | CommitStmt
  | RollbackStmt
  | SavepointStmt
  | ReleaseSavepointStmt
  | RollbackToSavepointStmt
  | SetTransactionStmt
  | SetStmt
  | ResetStmt
  | ShowStmt
  | ExplainStmt
  | AnalyzeStmt
  | VacuumStmt
  | PrepareStmt
  | ExecuteStmt
  | DeallocateStmt
  | CopyStmt
  | DiscardStmt;

/** Where a top-level statement came from in the string given to `parse`. */
export interface SourceSpan {
  /** The statement's own text (without the separating `;` and trailing whitespace). */
  readonly text: string;
  /** The UTF-16 offset of `text` in the string given to `parse`. */
  readonly offset: number;
  /** The same offset counted in Unicode code points, as PostgreSQL counts error positions. */
  readonly codePointOffset: number;
}

/** A top-level statement returned by `parse`: a {@link StatementNode} plus its source text. */
export type Statement = StatementNode & { readonly span: SourceSpan };

export type StatementKind = StatementNode['kind'];

/** The top-level statement of one kind, e.g. `StatementOf<'select'>`. */
export type StatementOf<K extends StatementKind> = Extract<StatementNode, { readonly kind: K }> & {
  readonly span: SourceSpan;
};
export type ExprKind = Expr['kind'];
