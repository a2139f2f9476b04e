/** Small helpers shared by the function modules. */
import { type ErrorCode, ThinkLiteError } from '@thinklite/base';
import type { Datum } from '../types/datum.js';
import { Numeric } from '../types/numeric.js';

export function sqlErr(code: ErrorCode, message: string, details: Record<string, unknown> = {}): ThinkLiteError {
  return new ThinkLiteError(code, message, details);
}

/**
 * PostgreSQL's 22011 (substring_error) is not in the error catalogue: its class, 22000
 * (data_exception), is used instead.
 */
export function substringError(): ThinkLiteError {
  return sqlErr('DATA_EXCEPTION', 'negative substring length not allowed', { sqlstate: '22011' });
}

export const str = (d: Datum | undefined): string => d as string;
export const num = (d: Datum | undefined): number => d as number;
export const big = (d: Datum | undefined): bigint => d as bigint;
export const dec = (d: Datum | undefined): Numeric => d as Numeric;

/** The code points of a string (PostgreSQL counts characters, not UTF-16 units). */
export function codePoints(s: string): string[] {
  return Array.from(s);
}

export function charCount(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0xd800 || c > 0xdbff) n++;
  }
  return n;
}

export function utf8Length(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}

export const INT4_MIN = -2147483648;
export const INT4_MAX = 2147483647;

export function checkInt4(v: number, word = 'integer'): number {
  if (!Number.isFinite(v) || v < INT4_MIN || v > INT4_MAX) throw sqlErr('VALUE_OUT_OF_RANGE', `${word} out of range`);
  return v === 0 ? 0 : v;
}

export function checkInt2(v: number): number {
  if (v < -32768 || v > 32767) throw sqlErr('VALUE_OUT_OF_RANGE', 'smallint out of range');
  return v === 0 ? 0 : v;
}

export const INT8_MIN = -(2n ** 63n);
export const INT8_MAX = 2n ** 63n - 1n;

export function checkInt8(v: bigint): bigint {
  if (v < INT8_MIN || v > INT8_MAX) throw sqlErr('VALUE_OUT_OF_RANGE', 'bigint out of range');
  return v;
}

/** float8 results: overflow of finite inputs is `value out of range: overflow`. */
export function checkFloat(r: number, ...inputs: number[]): number {
  if (!Number.isFinite(r) && !Number.isNaN(r) && inputs.every((x) => Number.isFinite(x))) {
    throw sqlErr('VALUE_OUT_OF_RANGE', 'value out of range: overflow');
  }
  return r;
}

export function numericOf(n: number | bigint): Numeric {
  return Numeric.fromInt(n);
}
