/**
 * Programmer errors fail loudly. An AssertionError means ThinkLite itself is wrong, never the
 * caller's input: input errors are ThinkLiteErrors with a code from the catalogue.
 */
export class AssertionError extends Error {
  override name = 'AssertionError';
}

export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new AssertionError(message);
}

export function unreachable(value: never, message = 'unreachable'): never {
  throw new AssertionError(`${message}: ${JSON.stringify(value)}`);
}
