import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LmdbEngine } from './lmdb-engine.js';

// The engine reads keys and values through its own copying key encoder and value decoder (see
// BINARY_KEYS / BINARY_VALUES): what it returns must be the caller's own bytes, at every size.

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});
function open(dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tl-lmdb-scan-'))): LmdbEngine {
  dirs.push(dir);
  return LmdbEngine.open({ dir });
}
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const filled = (n: number, seed: number) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 31 + seed) & 255));

describe('LmdbEngine reads', () => {
  it('returns keys and values of every size as independent copies', async () => {
    const e = open();
    const sizes = [0, 1, 63, 64, 65, 200, 4096, 0x8001, 100_000];
    const b = e.newBatch();
    for (const [i, n] of sizes.entries()) b.put('mvcc', Buffer.of(0x10, i), filled(n, i));
    await e.commit(b);

    const rows = [...e.scan('mvcc')];
    expect(rows.map((r) => hex(r.key))).toEqual(sizes.map((_, i) => hex(Buffer.of(0x10, i))));
    const valuesIntact = () => rows.every((r, i) => r.value.equals(filled(sizes[i] as number, i)));
    expect(valuesIntact()).toBe(true);
    // Later reads reuse the package's buffers; what we already hold must not change.
    for (const r of rows) r.key[0] = 0xee;
    const again = [...e.scan('mvcc'), ...[...e.scan('mvcc', { reverse: true })]];
    expect(again.every((r) => r.key[0] === 0x10)).toBe(true);
    expect(valuesIntact()).toBe(true);
    expect(sizes.every((n, i) => e.get('mvcc', Buffer.of(0x10, i))?.equals(filled(n, i)))).toBe(true);

    const snap = e.snapshot();
    const fromSnap = [...snap.scan('mvcc', { reverse: true })];
    snap.close();
    expect(fromSnap.map((r) => r.value.length)).toEqual([...sizes].reverse());
    await e.close();
  });

  it('scans keys below 0x05 in both directions, including open reverse scans', async () => {
    const e = open();
    const keys = [Buffer.of(0, 0), Buffer.of(0, 1), Buffer.of(1), Buffer.of(4, 0xff), Buffer.of(5), Buffer.of(0xff)];
    const b = e.newBatch();
    for (const k of keys) b.put('local', k, Buffer.from('v'));
    await e.commit(b);
    const all = keys.map(hex);
    expect([...e.scan('local')].map((r) => hex(r.key))).toEqual(all);
    expect([...e.scan('local', { reverse: true })].map((r) => hex(r.key))).toEqual([...all].reverse());
    expect([...e.scan('local', { end: Buffer.of(5), reverse: true })].map((r) => hex(r.key))).toEqual(
      all.slice(0, 4).reverse(),
    );
    expect([...e.scan('local', { start: Buffer.of(0, 1), end: Buffer.of(4, 0xff) })].map((r) => hex(r.key))).toEqual(
      all.slice(1, 3),
    );
    await e.close();
  });

  it('reads a store written before the custom key and value handling', async () => {
    // Keys and values are stored byte for byte as before; reopening reads them back unchanged.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tl-lmdb-scan-'));
    const e = open(dir);
    const b = e.newBatch();
    b.put('mvcc', Buffer.of(1, 2, 3), Buffer.of(9, 8, 7));
    await e.commit(b);
    await e.close();
    const again = LmdbEngine.open({ dir });
    expect(hex(again.get('mvcc', Buffer.of(1, 2, 3)) as Buffer)).toBe('090807');
    await again.close();
  });
});
