import { ERROR_CATALOGUE, type ErrorCode, type ErrorSpec } from './catalogue.js';

/**
 * An operating error: bad input, a conflict, a full disk. It carries a catalogue code (and so its
 * SQLSTATE, HTTP and gRPC mappings), structured details for logs and clients, and the `cause`.
 */
export class ThinkLiteError extends Error {
  override name = 'ThinkLiteError';
  readonly code: ErrorCode;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: ErrorCode, message: string, details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.details = details;
  }

  get spec(): ErrorSpec {
    return ERROR_CATALOGUE[this.code];
  }

  get sqlstate(): string {
    return this.spec.sqlstate;
  }

  get retryable(): boolean {
    return this.spec.retryable;
  }
}

export function isThinkLiteError(e: unknown, code?: ErrorCode): e is ThinkLiteError {
  return e instanceof ThinkLiteError && (code === undefined || e.code === code);
}
