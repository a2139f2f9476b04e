/**
 * ThinkLite's scalar function library: PostgreSQL 15's common built-in functions with
 * PostgreSQL's overload resolution.
 *
 * Wiring into ExprBinder.bind (engine/expr.ts):
 * - `case 'funcCall'`: after the engine's own aggregate handling,
 *   `return bindFunctionCall(e, e.args.map((a) => this.bind(a.kind === 'namedArg' ? a.value : a, scope)), b);`
 *   (named arguments are passed as their values; bindFunctionCall reads the names from `e.args`);
 * - `case 'sqlValueFunction'`: `return bindSqlValueFunction(e, b);`.
 * Session facts (current_database(), CURRENT_USER, statement_timestamp()...) are read from the
 * optional {@link SessionFields} a session may add to its TypeContext object.
 */
export { bindFunctionCall, bindSqlValueFunction } from './bind.js';
export {
  type CallInfo,
  type FunctionDef,
  type FunctionImpl,
  type FunctionSignature,
  lookupFunction,
  type ParamType,
  type Polymorphic,
  registeredFunctions,
  type SessionFields,
  type Volatility,
} from './registry.js';
export { type Resolution, resolveCandidates, selectCommonType } from './resolve.js';
