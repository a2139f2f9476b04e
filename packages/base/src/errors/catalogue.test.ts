import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ERROR_CATALOGUE, type ErrorCode } from './catalogue.js';
import { ThinkLiteError } from './thinklite-error.js';

const DOC = path.resolve(import.meta.dirname, '../../../../docs/errors.md');

/** The table rows of docs/errors.md: code → its SQLSTATE, HTTP, gRPC and retryable columns. */
function documented(): Map<string, string[]> {
  const rows = new Map<string, string[]>();
  for (const line of fs.readFileSync(DOC, 'utf8').split('\n')) {
    const m = /^\|\s*`([A-Z_]+)`\s*\|(.*)\|\s*$/.exec(line);
    if (m)
      rows.set(
        m[1] as string,
        (m[2] as string).split('|').map((c) => c.trim()),
      );
  }
  return rows;
}

describe('the error catalogue', () => {
  it('and docs/errors.md list the same codes with the same mappings', () => {
    const doc = documented();
    expect([...doc.keys()].sort()).toEqual(Object.keys(ERROR_CATALOGUE).sort());
    for (const [code, spec] of Object.entries(ERROR_CATALOGUE)) {
      const [sqlstate, http, grpc, retryable] = doc.get(code) as string[];
      expect({ code, sqlstate, http: Number(http), grpc, retryable: retryable === 'yes' }).toEqual({
        code,
        sqlstate: spec.sqlstate,
        http: spec.http,
        grpc: spec.grpc,
        retryable: spec.retryable,
      });
    }
  });

  it('uses well-formed SQLSTATEs and maps exactly the retryable codes to 40001 or 40P01 (what drivers and pgbench retry)', () => {
    for (const [code, spec] of Object.entries(ERROR_CATALOGUE)) {
      expect(spec.sqlstate, code).toMatch(/^[0-9A-Z]{5}$/);
      expect(spec.sqlstate === '40001' || spec.sqlstate === '40P01', code).toBe(spec.retryable);
      expect(spec.http >= 400 && spec.http < 600, code).toBe(true);
    }
  });

  it('carries code, details and cause on every error', () => {
    const cause = new Error('disk');
    const e = new ThinkLiteError('STORE_IO' as ErrorCode, 'write failed', { path: '/x' }, { cause });
    expect(e.sqlstate).toBe('58030');
    expect(e.details).toEqual({ path: '/x' });
    expect(e.cause).toBe(cause);
    expect(e.spec.grpc).toBe('UNAVAILABLE');
  });
});
