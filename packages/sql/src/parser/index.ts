/**
 * ThinkLite's SQL parser front end: PostgreSQL's grammar (libpg-query) mapped into a typed AST.
 *
 *     await initParser();                 // once, at engine start
 *     const [stmt] = parse('SELECT 1');   // synchronous, cached, frozen
 */
export type * from './ast.js';
export { errorPosition, initParser, isParserReady, parse, parseCache, parseOne } from './parse.js';
