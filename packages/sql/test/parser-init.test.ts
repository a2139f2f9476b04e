import { isThinkLiteError } from '@thinklite/base';
import { describe, expect, it } from 'vitest';
import { initParser, isParserReady, parse } from '../src/parser/index.js';

// Runs in its own process (vitest's forks pool), before anything has loaded the WASM module.
describe('parser: initialization', () => {
  it('refuses to parse before initParser() and works after', async () => {
    expect(isParserReady()).toBe(false);
    let error: unknown;
    try {
      parse('SELECT 1');
    } catch (e) {
      error = e;
    }
    expect(isThinkLiteError(error, 'INTERNAL_ERROR')).toBe(true);
    const first = initParser();
    expect(initParser()).toBe(first);
    await first;
    expect(isParserReady()).toBe(true);
    expect(parse('SELECT 1')[0]?.kind).toBe('select');
  });
});
