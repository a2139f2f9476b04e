export { Catalog } from './catalog/catalog.js';
export type * from './catalog/descriptors.js';
export type { QueryResult, ResultColumn } from './engine/context.js';
export { SqlEngine } from './engine/engine.js';
export { DEFAULT_SETTINGS, Session } from './engine/session.js';
export { initParser, parse, parseOne } from './parser/index.js';
export type { Column, OpenOptions, PreparedStatement, Result } from './thinklite.js';
export { ThinkLite } from './thinklite.js';
export * from './types/index.js';
