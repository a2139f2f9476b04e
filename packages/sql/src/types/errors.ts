/**
 * Error helpers for the type library. Messages follow PostgreSQL's wording so that clients and the
 * conformance suite see the text PostgreSQL gives; codes come from the base error catalogue.
 */
import { type ErrorCode, ThinkLiteError } from '@thinklite/base';

export function sqlError(code: ErrorCode, message: string, details: Record<string, unknown> = {}): ThinkLiteError {
  return new ThinkLiteError(code, message, details);
}

/** `invalid input syntax for type <name>: "<text>"` (22P02). */
export function invalidSyntax(typeName: string, text: string, detail?: string): ThinkLiteError {
  return sqlError(
    'INVALID_TEXT_REPRESENTATION',
    `invalid input syntax for type ${typeName}: "${text}"`,
    detail === undefined ? {} : { detail },
  );
}

/** `<what> out of range` (22003), e.g. `integer out of range`. */
export function outOfRange(message: string, detail?: string): ThinkLiteError {
  return sqlError('VALUE_OUT_OF_RANGE', message, detail === undefined ? {} : { detail });
}

export function divisionByZero(): ThinkLiteError {
  return sqlError('DIVISION_BY_ZERO', 'division by zero');
}
