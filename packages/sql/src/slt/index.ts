/**
 * sqllogictest support for ThinkLite's SQL engine: the file parser, result formatting and the
 * runner. `defineSltSuite` (vitest) lives in packages/sql/test/slt-suite.ts so that this module does not import vitest.
 */
export * from './format.js';
export * from './parser.js';
export * from './runner.js';
