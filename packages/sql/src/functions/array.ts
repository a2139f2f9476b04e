/** Array functions (PostgreSQL 15 §9.19). ThinkLite's arrays are one-dimensional with lower bound 1. */
import { equals } from '../types/compare.js';
import type { Datum } from '../types/datum.js';
import { elemOf, type SqlType, Types } from '../types/type.js';
import { defineFunction } from './registry.js';
import { num, sqlErr } from './util.js';

const arr = (d: Datum | undefined): readonly Datum[] => d as readonly Datum[];
const elemType = (info: { readonly argTypes: readonly SqlType[] }, i: number): SqlType => {
  const t = info.argTypes[i];
  return t?.kind === 'array' ? elemOf(t) : (t ?? Types.text);
};

/** IS NOT DISTINCT FROM on elements. */
function same(t: SqlType, a: Datum, b: Datum): boolean {
  if (a === null || b === null) return a === b;
  return equals(t, a, b);
}

defineFunction('array_length', [
  {
    args: ['anyarray', 'int4'],
    result: 'int4',
    impl: ([a, d]) => (num(d) === 1 && arr(a).length > 0 ? arr(a).length : null),
  },
]);
defineFunction('array_upper', [
  {
    args: ['anyarray', 'int4'],
    result: 'int4',
    impl: ([a, d]) => (num(d) === 1 && arr(a).length > 0 ? arr(a).length : null),
  },
]);
defineFunction('array_lower', [
  { args: ['anyarray', 'int4'], result: 'int4', impl: ([a, d]) => (num(d) === 1 && arr(a).length > 0 ? 1 : null) },
]);
defineFunction('array_ndims', [{ args: ['anyarray'], result: 'int4', impl: ([a]) => (arr(a).length > 0 ? 1 : null) }]);
defineFunction('array_dims', [
  { args: ['anyarray'], result: 'text', impl: ([a]) => (arr(a).length > 0 ? `[1:${arr(a).length}]` : null) },
]);
defineFunction('cardinality', [{ args: ['anyarray'], result: 'int4', impl: ([a]) => arr(a).length }]);

defineFunction('array_append', [
  {
    args: ['anycompatiblearray', 'anycompatible'],
    result: 'anycompatiblearray',
    strict: false,
    impl: ([a, x]) => [...(a === null || a === undefined ? [] : arr(a)), x ?? null],
  },
]);
defineFunction('array_prepend', [
  {
    args: ['anycompatible', 'anycompatiblearray'],
    result: 'anycompatiblearray',
    strict: false,
    impl: ([x, a]) => [x ?? null, ...(a === null || a === undefined ? [] : arr(a))],
  },
]);
defineFunction('array_cat', [
  {
    args: ['anycompatiblearray', 'anycompatiblearray'],
    result: 'anycompatiblearray',
    strict: false,
    impl: ([a, b]) => {
      if (a === null && b === null) return null;
      return [...(a === null ? [] : arr(a)), ...(b === null ? [] : arr(b))];
    },
  },
]);

function position(a: Datum, x: Datum, start: number, t: SqlType): Datum {
  if (a === null) return null;
  const items = arr(a);
  for (let i = Math.max(start, 1) - 1; i < items.length; i++) if (same(t, items[i] as Datum, x)) return i + 1;
  return null;
}

defineFunction('array_position', [
  {
    args: ['anycompatiblearray', 'anycompatible'],
    result: 'int4',
    strict: false,
    impl: ([a, x], _ctx, info) => position(a ?? null, x ?? null, 1, elemType(info, 0)),
  },
  {
    args: ['anycompatiblearray', 'anycompatible', 'int4'],
    result: 'int4',
    strict: false,
    impl: ([a, x, s], _ctx, info) => {
      if (s === null) throw sqlErr('NULL_VALUE_NOT_ALLOWED', 'initial position must not be null');
      return position(a ?? null, x ?? null, num(s), elemType(info, 0));
    },
  },
]);
defineFunction('array_positions', [
  {
    args: ['anycompatiblearray', 'anycompatible'],
    result: 'int4[]',
    strict: false,
    impl: ([a, x], _ctx, info) => {
      if (a === null || a === undefined) return null;
      const t = elemType(info, 0);
      const out: number[] = [];
      arr(a).forEach((y, i) => {
        if (same(t, y, x ?? null)) out.push(i + 1);
      });
      return out;
    },
  },
]);
defineFunction('array_remove', [
  {
    args: ['anycompatiblearray', 'anycompatible'],
    result: 'anycompatiblearray',
    strict: false,
    impl: ([a, x], _ctx, info) => {
      if (a === null || a === undefined) return null;
      const t = elemType(info, 0);
      return arr(a).filter((y) => !same(t, y, x ?? null));
    },
  },
]);
defineFunction('array_replace', [
  {
    args: ['anycompatiblearray', 'anycompatible', 'anycompatible'],
    result: 'anycompatiblearray',
    strict: false,
    impl: ([a, x, y], _ctx, info) => {
      if (a === null || a === undefined) return null;
      const t = elemType(info, 0);
      return arr(a).map((v) => (same(t, v, x ?? null) ? (y ?? null) : v));
    },
  },
]);
defineFunction('array_fill', [
  {
    args: ['anyelement', 'int4[]'],
    result: 'anyarray',
    strict: false,
    impl: ([x, dims]) => {
      if (dims === null || dims === undefined) {
        throw sqlErr('NULL_VALUE_NOT_ALLOWED', 'dimension array or low bound array cannot be null');
      }
      const d = arr(dims);
      if (d.length === 0) return [];
      if (d.length > 1) throw sqlErr('FEATURE_NOT_SUPPORTED', 'multidimensional arrays are not supported');
      const n = num(d[0]);
      return new Array<Datum>(Math.max(n, 0)).fill(x ?? null);
    },
  },
]);
