import { ThinkLiteError } from '@thinklite/base';

/** A SYNTAX_ERROR with PostgreSQL's message and its 1-based position (code points), if known. */
export function syntaxError(message: string, position?: number): ThinkLiteError {
  return new ThinkLiteError('SYNTAX_ERROR', message, position === undefined ? {} : { position });
}

/** A FEATURE_NOT_SUPPORTED error: `<feature> is not supported`. */
export function unsupported(feature: string, position?: number): ThinkLiteError {
  const details: Record<string, unknown> = { feature };
  if (position !== undefined) details.position = position;
  return new ThinkLiteError('FEATURE_NOT_SUPPORTED', `${feature} is not supported`, details);
}

/** An INTERNAL_ERROR: libpg-query returned a shape the mapper does not expect (a bug, not bad input). */
export function internalError(message: string): ThinkLiteError {
  return new ThinkLiteError('INTERNAL_ERROR', `SQL parser: ${message}`);
}
