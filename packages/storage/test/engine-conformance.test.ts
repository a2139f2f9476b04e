import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { isThinkLiteError, SeededRandom } from '@thinklite/base';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type Engine,
  KEY_SIZE_MAX_BYTES,
  LmdbEngine,
  MemoryEngine,
  type Reader,
  type Space,
  WriteBatch,
} from '../src/index.js';

/** One suite, every engine: the port's contract holds for each implementation. */
const tmpDirs: string[] = [];
function tmpDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'tl-engine-'));
  tmpDirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of tmpDirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

const ENGINES: [string, () => Engine][] = [
  ['memory', () => new MemoryEngine()],
  ['lmdb', () => LmdbEngine.open({ dir: tmpDir() })],
];

const b = (s: string) => Buffer.from(s);
const str = (x: Buffer | undefined) => x?.toString();
const keysOf = (r: Reader, space: Space, opts = {}) => [...r.scan(space, opts)].map((e) => e.key.toString());

/** A reference model: a plain map per space, sorted on demand. */
class Model {
  readonly data = new Map<Space, Map<string, string>>();
  space(s: Space) {
    const m = this.data.get(s) ?? new Map<string, string>();
    this.data.set(s, m);
    return m;
  }
  clone(): Model {
    const c = new Model();
    for (const [s, m] of this.data) c.data.set(s, new Map(m));
    return c;
  }
  scan(s: Space, start?: string, end?: string, reverse = false, limit = Number.POSITIVE_INFINITY): string[] {
    const keys = [...this.space(s).keys()]
      .filter(
        (k) =>
          (start === undefined || Buffer.compare(b(k), b(start)) >= 0) &&
          (end === undefined || Buffer.compare(b(k), b(end)) < 0),
      )
      .sort((x, y) => Buffer.compare(b(x), b(y)));
    if (reverse) keys.reverse();
    return keys.slice(0, limit);
  }
}

for (const [name, make] of ENGINES) {
  describe(`engine conformance: ${name}`, () => {
    it('puts, gets and deletes, with the key spaces kept apart', async () => {
      const e = make();
      const batch = e.newBatch();
      batch.put('mvcc', b('a'), b('1'));
      batch.put('raft', b('a'), b('raft-1'));
      await e.commit(batch);
      expect(str(e.get('mvcc', b('a')))).toBe('1');
      expect(str(e.get('raft', b('a')))).toBe('raft-1');
      expect(e.get('local', b('a'))).toBeUndefined();
      const del = e.newBatch();
      del.delete('mvcc', b('a'));
      await e.commit(del);
      expect(e.get('mvcc', b('a'))).toBeUndefined();
      expect(str(e.get('raft', b('a')))).toBe('raft-1');
      await e.close();
    });

    it('matches a reference model under random batches of puts, deletes and range clears, read through batches too', async () => {
      const e = make();
      const model = new Model();
      const rnd = new SeededRandom(42);
      const spaces: Space[] = ['mvcc', 'history', 'raft'];
      const key = () => `k${String(rnd.int(0, 60)).padStart(2, '0')}${rnd.bool(0.2) ? '\u0000x' : ''}`;
      for (let round = 0; round < 60; round++) {
        const batch = e.newBatch();
        const next = model.clone();
        for (let i = rnd.int(1, 12); i > 0; i--) {
          const s = rnd.pick(spaces);
          const r = rnd.next();
          if (r < 0.6) {
            const k = key();
            const v = `v${round}.${i}`;
            batch.put(s, b(k), b(v));
            next.space(s).set(k, v);
          } else if (r < 0.85) {
            const k = key();
            batch.delete(s, b(k));
            next.space(s).delete(k);
          } else {
            const [lo, hi] = [key(), key()].sort((x, y) => Buffer.compare(b(x), b(y))) as [string, string];
            batch.clearRange(s, b(lo), b(hi));
            for (const k of [...next.space(s).keys()])
              if (Buffer.compare(b(k), b(lo)) >= 0 && Buffer.compare(b(k), b(hi)) < 0) next.space(s).delete(k);
          }
          // The batch reads its own writes over the engine.
          const probe = key();
          expect(str(batch.get(s, b(probe)))).toBe(next.space(s).get(probe));
        }
        for (const s of spaces) {
          const [lo, hi] = [key(), key()].sort((x, y) => Buffer.compare(b(x), b(y))) as [string, string];
          const reverse = rnd.bool();
          const limit = rnd.bool(0.3) ? rnd.int(0, 5) : undefined;
          const opts = { start: b(lo), end: b(hi), reverse, ...(limit === undefined ? {} : { limit }) };
          expect(keysOf(batch, s, opts), `batch scan round ${round}`).toEqual(next.scan(s, lo, hi, reverse, limit));
          expect(keysOf(e, s, opts), `engine scan before commit round ${round}`).toEqual(
            model.scan(s, lo, hi, reverse, limit),
          );
        }
        await e.commit(batch);
        for (const [s, m] of next.data) model.data.set(s, m);
        for (const s of spaces) {
          expect(keysOf(e, s), `full scan round ${round}`).toEqual(model.scan(s));
          expect(keysOf(e, s, { reverse: true })).toEqual(model.scan(s, undefined, undefined, true));
          for (const k of model.scan(s).slice(0, 5)) expect(str(e.get(s, b(k)))).toBe(model.space(s).get(k));
        }
      }
      await e.close();
    });

    it('gives a snapshot that later commits do not change', async () => {
      const e = make();
      const w1 = e.newBatch();
      w1.put('mvcc', b('a'), b('old'));
      await e.commit(w1);
      const snap = e.snapshot();
      const w2 = e.newBatch();
      w2.put('mvcc', b('a'), b('new'));
      w2.put('mvcc', b('b'), b('added'));
      await e.commit(w2);
      expect(str(snap.get('mvcc', b('a')))).toBe('old');
      expect(keysOf(snap, 'mvcc')).toEqual(['a']);
      expect(str(e.get('mvcc', b('a')))).toBe('new');
      snap.close();
      expect(() => snap.get('mvcc', b('a'))).toThrow(/snapshot is closed/);
      await e.close();
    });

    it('commits concurrent batches in call order, each one whole', async () => {
      const e = make();
      const commits: Promise<void>[] = [];
      for (let i = 0; i < 100; i++) {
        const batch = e.newBatch();
        batch.put('mvcc', b('shared'), b(String(i)));
        for (let j = 0; j < 5; j++) batch.put('mvcc', b(`b${String(i).padStart(3, '0')}-${j}`), b('x'));
        commits.push(e.commit(batch));
      }
      await Promise.all(commits);
      expect(str(e.get('mvcc', b('shared')))).toBe('99');
      expect(keysOf(e, 'mvcc').length).toBe(501);
      expect(e.stats().batches).toBe(100);
      await e.close();
    });

    it('round-trips a batch through its serialized form and rejects damaged bytes', async () => {
      const e = make();
      const src = e.newBatch();
      src.put('local', b('k1'), b('v1'));
      src.put('local', b('k2'), Buffer.alloc(300, 7));
      src.delete('local', b('k1'));
      src.clearRange('mvcc', b('a'), b('z'));
      const repr = src.repr();
      const copy = WriteBatch.fromRepr(repr, e);
      expect(copy.ops).toEqual(src.ops);
      await e.commit(copy);
      expect(e.get('local', b('k1'))).toBeUndefined();
      expect(e.get('local', b('k2'))?.length).toBe(300);
      const rnd = new SeededRandom(7);
      for (let i = 0; i < 300; i++) {
        const damaged = Buffer.from(repr);
        if (rnd.bool()) {
          const at = rnd.int(0, damaged.length - 1);
          damaged[at] = (damaged[at] as number) ^ (1 << rnd.int(0, 7));
        }
        const cut = rnd.bool() ? damaged.subarray(0, rnd.int(0, damaged.length - 1)) : damaged;
        try {
          WriteBatch.fromRepr(cut, e);
        } catch (err) {
          expect(isThinkLiteError(err, 'BATCH_CORRUPT'), String(err)).toBe(true);
        }
      }
      await e.close();
    });

    it('refuses keys over the size limit and empty keys with coded errors', async () => {
      const e = make();
      const batch = e.newBatch();
      expect(() => batch.put('mvcc', Buffer.alloc(KEY_SIZE_MAX_BYTES + 1, 1), b('v'))).toThrow(
        /exceeds the 1978-byte limit/,
      );
      expect(() => batch.put('mvcc', Buffer.alloc(0), b('v'))).toThrow(/empty key/);
      batch.put('mvcc', Buffer.alloc(KEY_SIZE_MAX_BYTES, 1), b('v'));
      await e.commit(batch);
      expect(str(e.get('mvcc', Buffer.alloc(KEY_SIZE_MAX_BYTES, 1)))).toBe('v');
      await e.close();
    });

    it('rejects use after close with STORE_CLOSED', async () => {
      const e = make();
      await e.close();
      let caught: unknown;
      try {
        e.get('mvcc', b('a'));
      } catch (err) {
        caught = err;
      }
      expect(isThinkLiteError(caught, 'STORE_CLOSED')).toBe(true);
    });
  });
}
