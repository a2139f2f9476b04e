import { LocalKv } from '@thinklite/kv';
import { KEY_SIZE_MAX_BYTES, MemoryEngine } from '@thinklite/storage';
import { describe, expect, it } from 'vitest';
import { SqlEngine } from '../src/engine/engine.js';

/**
 * The store's limits are ThinkLite's own (PostgreSQL compresses long index values, so it has no
 * matching .slt answer): a key or indexed value past the store's key size fails with 54000,
 * naming the index, and the session goes on.
 */
describe('values too long to be keys', () => {
  it('fail with 54000 naming the index; lookups of such values find nothing', async () => {
    const s = (await SqlEngine.create(new LocalKv({ engine: new MemoryEngine() }))).session();
    await s.execute('CREATE TABLE longkeys (k text PRIMARY KEY, v text)');
    await s.execute('CREATE INDEX longkeys_v ON longkeys (v)');
    const long = 'k'.repeat(KEY_SIZE_MAX_BYTES + 10);
    await expect(s.execute('INSERT INTO longkeys VALUES ($1, $2)', [long, 'short'])).rejects.toMatchObject({
      code: 'KEY_TOO_LARGE',
      sqlstate: '54000',
      message: expect.stringMatching(/^index row size \d+ exceeds maximum \d+ for index "longkeys_pkey"$/),
    });
    await expect(s.execute('INSERT INTO longkeys VALUES ($1, $2)', ['a', long])).rejects.toMatchObject({
      message: expect.stringContaining('for index "longkeys_v"'),
    });
    await s.execute("INSERT INTO longkeys VALUES ('a', 'b')");
    await expect(s.execute("UPDATE longkeys SET k = $1 WHERE k = 'a'", [long])).rejects.toMatchObject({
      sqlstate: '54000',
    });
    const [n] = await s.execute('SELECT count(*) FROM longkeys WHERE k = $1 OR v = $1', [long]);
    expect(n?.rows).toEqual([[0n]]);
    const [all] = await s.execute('SELECT k, v FROM longkeys');
    expect(all?.rows).toEqual([['a', 'b']]);
  });
});
