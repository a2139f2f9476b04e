import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createRegistry, ThinkLiteError } from '@thinklite/base';
import { killAllChildren, startChild } from '@thinklite/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { LmdbEngine } from '../src/index.js';

const childScript = (name: string) => path.join(import.meta.dirname, 'children', name);

const tmpDirs: string[] = [];
function tmpDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'tl-store-'));
  tmpDirs.push(d);
  return d;
}
afterEach(async () => {
  await killAllChildren();
  for (const d of tmpDirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function openError(dir: string): ThinkLiteError {
  try {
    LmdbEngine.open({ dir }).close();
  } catch (e) {
    if (e instanceof ThinkLiteError) return e;
    throw e;
  }
  throw new Error(`opening ${dir} succeeded`);
}

async function fill(dir: string, keys: number): Promise<void> {
  const e = LmdbEngine.open({ dir });
  const batch = e.newBatch();
  for (let i = 0; i < keys; i++) batch.put('mvcc', Buffer.from(`key${i}`), Buffer.alloc(200, i % 256));
  await e.commit(batch);
  await e.close();
}

describe('LMDB store directory', () => {
  it('keeps committed data across close and reopen, under the same store id', async () => {
    const dir = tmpDir();
    await fill(dir, 100);
    const e = LmdbEngine.open({ dir });
    expect(e.get('mvcc', Buffer.from('key42'))?.length).toBe(200);
    expect([...e.scan('mvcc')].length).toBe(100);
    const id = e.ident.storeId;
    await e.close();
    const again = LmdbEngine.open({ dir });
    expect(again.ident.storeId).toBe(id);
    await again.close();
  });

  it('groups concurrent commits into fewer storage transactions and reports it in its metrics', async () => {
    const registry = createRegistry();
    const e = LmdbEngine.open({ dir: tmpDir(), registry });
    await Promise.all(
      Array.from({ length: 200 }, (_, i) => {
        const b = e.newBatch();
        b.put('mvcc', Buffer.from(`k${i}`), Buffer.from('v'));
        return e.commit(b);
      }),
    );
    const { commits, batches } = e.stats();
    expect(batches).toBe(200);
    expect(commits).toBeLessThan(batches);
    const text = await registry.metrics();
    expect(text).toMatch(/thinklite_storage_commit_seconds_count\{store="[0-9a-f-]+"\} \d+/);
    expect(text).toMatch(/thinklite_storage_batches_committed\{store="[0-9a-f-]+"\} 200/);
    const txns = Number(/thinklite_storage_transactions\{store="[0-9a-f-]+"\} (\d+)/.exec(text)?.[1]);
    expect(txns).toBe(commits);
    await e.close();
  });

  it('refuses a directory holding someone else’s files, and leaves them untouched', () => {
    const dir = tmpDir();
    fs.writeFileSync(path.join(dir, 'important.txt'), 'do not touch');
    const err = openError(dir);
    expect(err.code).toBe('STORE_FOREIGN_DIRECTORY');
    expect(err.message).toContain(dir);
    expect(err.message).toContain('important.txt');
    expect(fs.readdirSync(dir)).toEqual(['important.txt']);
    expect(fs.readFileSync(path.join(dir, 'important.txt'), 'utf8')).toBe('do not touch');
  });

  it('refuses a damaged identity file and an unknown format version, naming the file', async () => {
    const dir = tmpDir();
    await fill(dir, 1);
    const identPath = path.join(dir, 'THINKLITE');
    const good = fs.readFileSync(identPath, 'utf8');
    fs.writeFileSync(identPath, '{ not json');
    let err = openError(dir);
    expect(err.code).toBe('STORE_CORRUPT');
    expect(err.message).toContain(identPath);
    fs.writeFileSync(identPath, JSON.stringify({ ...JSON.parse(good), formatVersion: 99 }));
    err = openError(dir);
    expect(err.code).toBe('STORE_FORMAT_UNSUPPORTED');
    expect(err.message).toMatch(/format version 99; this build reads versions up to 1/);
    fs.writeFileSync(identPath, good);
    const e = LmdbEngine.open({ dir });
    expect(e.get('mvcc', Buffer.from('key0'))).toBeDefined();
    await e.close();
  });

  it('refuses a data file of garbage or a truncated one instead of crashing the process', async () => {
    const dir = tmpDir();
    await fill(dir, 3000);
    const dataPath = path.join(dir, 'data.mdb');
    const original = fs.readFileSync(dataPath);
    fs.writeFileSync(dataPath, Buffer.alloc(original.length, 0x5a));
    let err = openError(dir);
    expect(err.code).toBe('STORE_CORRUPT');
    expect(err.message).toContain(dataPath);
    fs.writeFileSync(dataPath, original.subarray(0, Math.floor(original.length / 2)));
    err = openError(dir);
    expect(err.code).toBe('STORE_CORRUPT');
    expect(err.message).toMatch(/truncated/);
    fs.writeFileSync(dataPath, original);
    const e = LmdbEngine.open({ dir });
    expect([...e.scan('mvcc')].length).toBe(3000);
    await e.close();
  });

  it('refuses a data file that belongs to another store', async () => {
    const a = tmpDir();
    const b = tmpDir();
    await fill(a, 5);
    await fill(b, 5);
    fs.copyFileSync(path.join(a, 'data.mdb'), path.join(b, 'data.mdb'));
    const err = openError(b);
    expect(err.code).toBe('STORE_CORRUPT');
    expect(err.message).toMatch(/belongs to store .* but THINKLITE names store/);
  });

  it('refuses a store open in another live process, and takes over once that process is killed', async () => {
    const dir = tmpDir();
    await fill(dir, 1);
    const holder = startChild(childScript('hold-store.ts'), [dir]);
    await holder.waitForLine(/^ready/);
    const err = openError(dir);
    expect(err.code).toBe('STORE_LOCKED');
    expect(err.message).toContain(`process ${holder.pid}`);
    expect(err.message).toContain(dir);
    holder.kill('SIGKILL');
    await holder.exited();
    const e = LmdbEngine.open({ dir });
    expect(e.get('mvcc', Buffer.from('key0'))).toBeDefined();
    await e.close();
  });

  it('attaches to a store another process owns: reads its commits as they land, takes no lock, never writes', async () => {
    const dir = tmpDir();
    await fill(dir, 1);
    const owner = startChild(childScript('write-counter.ts'), [dir]);
    await owner.waitForLine(/^ready/);
    const reader = LmdbEngine.open({ dir, attach: true });
    try {
      await owner.waitForLine(/^wrote 3$/);
      reader.refreshReads();
      const seen = Number(reader.get('mvcc', Buffer.from('counter'))?.toString());
      expect(seen).toBeGreaterThanOrEqual(3);
      expect(reader.get('mvcc', Buffer.from('key0'))).toBeDefined();
      // A commit acknowledged to the owner after this point is visible once reads are refreshed.
      const line = await owner.waitForLine(new RegExp(`^wrote ${seen + 5}$`));
      reader.refreshReads();
      expect(Number(reader.get('mvcc', Buffer.from('counter'))?.toString())).toBeGreaterThanOrEqual(
        Number(line.split(' ')[1]),
      );
      const batch = reader.newBatch();
      batch.put('mvcc', Buffer.from('counter'), Buffer.from('x'));
      await expect(reader.commit(batch)).rejects.toMatchObject({ code: 'STORE_READ_ONLY' });
      expect(openError(dir).code).toBe('STORE_LOCKED'); // the owner still holds the store
    } finally {
      await reader.close();
    }
    expect(openError(dir).code).toBe('STORE_LOCKED'); // closing the reader released nothing of the owner's
    owner.kill('SIGKILL');
    await owner.exited();
  });

  it('refuses a second open of the same store in this process', async () => {
    const dir = tmpDir();
    const first = LmdbEngine.open({ dir });
    const err = openError(dir);
    expect(err.code).toBe('STORE_LOCKED');
    expect(err.message).toContain('(this process)');
    await first.close();
    const second = LmdbEngine.open({ dir });
    await second.close();
  });

  it('fails a write on a full disk with STORE_FULL, keeps serving reads, and loses nothing acknowledged', async () => {
    const mnt = tmpDir();
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=3m', 'tmpfs', mnt]);
    } catch (e) {
      throw new Error(`this test mounts a 3 MiB tmpfs to fill a disk for real and needs root: ${(e as Error).message}`);
    }
    try {
      const dir = path.join(mnt, 'store');
      const e = LmdbEngine.open({ dir });
      let acked = 0;
      let failure: unknown;
      for (let i = 0; i < 1000 && failure === undefined; i++) {
        const batch = e.newBatch();
        for (let j = 0; j < 10; j++) batch.put('mvcc', Buffer.from(`b${i}-${j}`), Buffer.alloc(1000, 1));
        try {
          await e.commit(batch);
          acked = i + 1;
        } catch (err) {
          failure = err;
        }
      }
      expect(failure).toBeInstanceOf(ThinkLiteError);
      expect((failure as ThinkLiteError).code).toBe('STORE_FULL');
      expect((failure as ThinkLiteError).message).toContain(dir);
      expect((failure as ThinkLiteError).sqlstate).toBe('53100');
      expect(acked).toBeGreaterThan(10);
      expect(e.get('mvcc', Buffer.from(`b${acked - 1}-9`))?.length).toBe(1000);
      await e.close();
      const reopened = LmdbEngine.open({ dir });
      for (let i = 0; i < acked; i++) expect(reopened.get('mvcc', Buffer.from(`b${i}-0`)), `batch ${i}`).toBeDefined();
      await reopened.close();
    } finally {
      execFileSync('umount', [mnt]);
    }
  });

  it('fails a write beyond the configured size limit with STORE_FULL', async () => {
    const e = LmdbEngine.open({ dir: tmpDir(), sizeBytesMax: 1 << 20 });
    let failure: unknown;
    for (let i = 0; i < 200 && failure === undefined; i++) {
      const batch = e.newBatch();
      for (let j = 0; j < 10; j++) batch.put('mvcc', Buffer.from(`b${i}-${j}`), Buffer.alloc(1000, 1));
      await e.commit(batch).catch((err: unknown) => {
        failure = err;
      });
    }
    expect((failure as ThinkLiteError | undefined)?.code).toBe('STORE_FULL');
    await e.close();
  });
});
