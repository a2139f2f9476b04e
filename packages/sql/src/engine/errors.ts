import { type ErrorCode, ThinkLiteError } from '@thinklite/base';

/**
 * A SQL error with PostgreSQL's message; `location` (a character offset in the statement) becomes
 * the error position clients show, and `extra` carries detail, hint, constraint and the like.
 */
export function sqlError(
  code: ErrorCode,
  message: string,
  location?: number,
  extra: Record<string, unknown> = {},
): ThinkLiteError {
  return new ThinkLiteError(code, message, {
    ...(location !== undefined && location >= 0 ? { location } : {}),
    ...extra,
  });
}
