import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LmdbEngine } from '../src/index.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

describe('LmdbEngine read-after-commit', () => {
  it('shows every resolved commit to the very next read, in the same microtask, under a stream of commits', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tl-rac-'));
    dirs.push(dir);
    const e = LmdbEngine.open({ dir });
    // Keep a read transaction warm, as a busy node does, and commit while reading.
    let misses = 0;
    const writers = Array.from({ length: 8 }, async (_, w) => {
      for (let i = 0; i < 300; i++) {
        const key = Buffer.from(`w${w}-${i}`);
        e.get('mvcc', Buffer.from('warm'));
        const b = e.newBatch();
        b.put('mvcc', key, Buffer.from('v'));
        await e.commit(b);
        if (e.get('mvcc', key) === undefined) misses++;
      }
    });
    await Promise.all(writers);
    expect(misses).toBe(0);
    await e.close();
  });
});
