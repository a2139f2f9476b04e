/**
 * System information and miscellaneous functions (PostgreSQL 15 §9.26, §9.14): pg_typeof,
 * version, current_database, current_schema, gen_random_uuid, num_nulls, num_nonnulls.
 *
 * Session facts come from optional fields of the TypeContext object (see SessionFields):
 * `database`, `user`, `sessionUser`, `schema`; absent ones default to `postgres` / `public`.
 */
import { randomUUID } from 'node:crypto';
import type { TypeContext } from '../types/datetime.js';
import { baseType, Types, typeName } from '../types/type.js';
import { defineFunction, type SessionFields } from './registry.js';

export const VERSION = 'PostgreSQL 15.0 (ThinkLite)';

export function sessionFields(ctx: TypeContext): SessionFields {
  return ctx as TypeContext & SessionFields;
}

defineFunction('pg_typeof', [
  {
    args: ['any'],
    result: 'text',
    strict: false,
    volatility: 'stable',
    impl: (_a, _ctx, info) => typeName(baseType(info.argTypes[0] ?? Types.unknown)),
  },
]);
defineFunction('version', [{ args: [], result: 'text', volatility: 'stable', impl: () => VERSION }]);
defineFunction('current_database', [
  { args: [], result: 'text', volatility: 'stable', impl: (_a, ctx) => sessionFields(ctx).database ?? 'postgres' },
]);
defineFunction('current_schema', [
  { args: [], result: 'text', volatility: 'stable', impl: (_a, ctx) => sessionFields(ctx).schema ?? 'public' },
]);
defineFunction('gen_random_uuid', [{ args: [], result: 'uuid', volatility: 'volatile', impl: () => randomUUID() }]);
defineFunction('num_nulls', [
  {
    args: [],
    variadic: 'any',
    result: 'int4',
    strict: false,
    impl: (args) => args.filter((v) => v === null).length,
  },
]);
defineFunction('num_nonnulls', [
  {
    args: [],
    variadic: 'any',
    result: 'int4',
    strict: false,
    impl: (args) => args.filter((v) => v !== null).length,
  },
]);
