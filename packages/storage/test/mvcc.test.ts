import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { compareTimestamps, isThinkLiteError, SeededRandom, ThinkLiteError, type Timestamp } from '@thinklite/base';
import { afterEach, describe, expect, it } from 'vitest';
import {
  computeMvccStats,
  decodeStats,
  type Engine,
  emptyStats,
  encodeStats,
  gcThresholdFor,
  LmdbEngine,
  MemoryEngine,
  type MvccStats,
  mvccDelete,
  mvccDeleteRange,
  mvccGarbageCollect,
  mvccGet,
  mvccPut,
  mvccResolveIntent,
  mvccResolveIntentRange,
  mvccScan,
  type TxnMeta,
} from '../src/index.js';

const tmpDirs: string[] = [];
afterEach(() => {
  for (const d of tmpDirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});
const ENGINES: [string, () => Engine][] = [
  ['memory', () => new MemoryEngine()],
  [
    'lmdb',
    () => {
      const d = fs.mkdtempSync(path.join(os.tmpdir(), 'tl-mvcc-'));
      tmpDirs.push(d);
      return LmdbEngine.open({ dir: d });
    },
  ],
];

const b = (s: string) => Buffer.from(s);
const ts = (wall: number, logical = 0): Timestamp => ({ wall, logical });
const txn = (n: number, epoch = 0): TxnMeta => ({ id: Buffer.alloc(16, n), epoch, anchorKey: b(`anchor${n}`) });
const ALL_START = Buffer.of(0x01);
const ALL_END = Buffer.of(0xff);

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    if (e instanceof ThinkLiteError) return e.code;
    throw e;
  }
  return undefined;
}

/** Runs `fn` on a fresh batch, commits it and checks the stats bookkeeping against a rescan. */
async function write(
  e: Engine,
  stats: MvccStats,
  fn: (batch: ReturnType<Engine['newBatch']>, delta: MvccStats) => void,
) {
  const batch = e.newBatch();
  const delta = emptyStats();
  fn(batch, delta);
  await e.commit(batch);
  for (const k of Object.keys(stats) as (keyof MvccStats)[]) stats[k] += delta[k];
  expect(computeMvccStats(e, ALL_START, ALL_END)).toEqual(stats);
}

const val = (r: { value: Buffer } | undefined) => r?.value.toString();

for (const [name, make] of ENGINES) {
  describe(`MVCC on ${name}`, () => {
    it('reads each timestamp its version, keeps history, and honors tombstones', async () => {
      const e = make();
      const stats = emptyStats();
      await write(e, stats, (bt, d) => mvccPut(bt, d, b('k'), ts(10), b('v10')));
      await write(e, stats, (bt, d) => mvccPut(bt, d, b('k'), ts(20), b('v20')));
      await write(e, stats, (bt, d) => mvccDelete(bt, d, b('k'), ts(30)));
      await write(e, stats, (bt, d) => mvccPut(bt, d, b('k'), ts(40), b('v40')));
      expect(val(mvccGet(e, b('k'), ts(5)))).toBeUndefined();
      expect(val(mvccGet(e, b('k'), ts(10)))).toBe('v10');
      expect(val(mvccGet(e, b('k'), ts(19, 9)))).toBe('v10');
      expect(val(mvccGet(e, b('k'), ts(25)))).toBe('v20');
      expect(mvccGet(e, b('k'), ts(35))).toBeUndefined();
      expect(mvccGet(e, b('k'), ts(40))?.timestamp).toEqual(ts(40));
      expect(stats).toMatchObject({ keyCount: 1, versionCount: 4, liveKeys: 1, intentCount: 0 });
      await e.close();
    });

    it('refuses a write at or below a committed version (WRITE_TOO_OLD) with the timestamp to retry at', async () => {
      const e = make();
      const stats = emptyStats();
      await write(e, stats, (bt, d) => mvccPut(bt, d, b('k'), ts(50), b('v')));
      const batch = e.newBatch();
      let err: ThinkLiteError | undefined;
      try {
        mvccPut(batch, emptyStats(), b('k'), ts(50), b('late'));
      } catch (x) {
        err = x as ThinkLiteError;
      }
      expect(err?.code).toBe('WRITE_TOO_OLD');
      expect(err?.sqlstate).toBe('40001');
      expect(err?.details.actualTimestamp).toEqual(ts(50, 1));
      expect(code(() => mvccPut(e.newBatch(), emptyStats(), b('k'), ts(49), b('x')))).toBe('WRITE_TOO_OLD');
      await e.close();
    });

    it('shows a transaction its own intent, blocks others at or above it, and lets older readers pass beneath', async () => {
      const e = make();
      const stats = emptyStats();
      await write(e, stats, (bt, d) => mvccPut(bt, d, b('k'), ts(10), b('committed')));
      await write(e, stats, (bt, d) => mvccPut(bt, d, b('k'), ts(20), b('mine'), txn(1)));
      expect(val(mvccGet(e, b('k'), ts(15), { txn: txn(1) }))).toBe('mine');
      expect(code(() => mvccGet(e, b('k'), ts(25)))).toBe('WRITE_INTENT_CONFLICT');
      expect(code(() => mvccGet(e, b('k'), ts(25), { txn: txn(2) }))).toBe('WRITE_INTENT_CONFLICT');
      expect(val(mvccGet(e, b('k'), ts(15)))).toBe('committed');
      // An intent inside the reader's uncertainty window also conflicts: it may commit below the limit.
      expect(code(() => mvccGet(e, b('k'), ts(15), { uncertaintyLimit: ts(22) }))).toBe('WRITE_INTENT_CONFLICT');
      expect(val(mvccGet(e, b('k'), ts(25), { inconsistent: true }))).toBe('committed');
      expect(code(() => mvccPut(e.newBatch(), emptyStats(), b('k'), ts(30), b('other'), txn(2)))).toBe(
        'WRITE_INTENT_CONFLICT',
      );
      expect(code(() => mvccPut(e.newBatch(), emptyStats(), b('k'), ts(30), b('plain')))).toBe('WRITE_INTENT_CONFLICT');
      // Rewriting one's own intent keeps it (never moving its timestamp back).
      await write(e, stats, (bt, d) => mvccPut(bt, d, b('k'), ts(18), b('mine2'), txn(1)));
      expect(mvccGet(e, b('k'), ts(1), { txn: txn(1) })?.timestamp).toEqual(ts(20));
      expect(stats).toMatchObject({ intentCount: 1, versionCount: 2 });
      await e.close();
    });

    it('resolves a committed intent at its (pushed) commit timestamp and an aborted one back to history', async () => {
      const e = make();
      const stats = emptyStats();
      await write(e, stats, (bt, d) => mvccPut(bt, d, b('a'), ts(10), b('a10')));
      await write(e, stats, (bt, d) => {
        mvccPut(bt, d, b('a'), ts(20), b('a20'), txn(1));
        mvccPut(bt, d, b('b'), ts(20), b('b20'), txn(1));
      });
      await write(e, stats, (bt, d) => {
        expect(
          mvccResolveIntent(bt, d, b('a'), txn(1).id, { status: 'committed', commitTimestamp: ts(25), epoch: 0 }),
        ).toBe(true);
        expect(mvccResolveIntent(bt, d, b('a'), txn(1).id, { status: 'aborted' })).toBe(false);
      });
      expect(mvccGet(e, b('a'), ts(30))?.timestamp).toEqual(ts(25));
      expect(val(mvccGet(e, b('a'), ts(22)))).toBe('a10');
      await write(e, stats, (bt, d) => {
        expect(mvccResolveIntentRange(bt, d, ALL_START, ALL_END, txn(1).id, { status: 'aborted' })).toBe(1);
      });
      expect(mvccGet(e, b('b'), ts(30))).toBeUndefined();
      expect(stats).toMatchObject({ keyCount: 1, intentCount: 0, versionCount: 2 });
      // Aborting over history restores the previous committed version as newest.
      await write(e, stats, (bt, d) => mvccPut(bt, d, b('a'), ts(40), b('a40'), txn(3)));
      await write(e, stats, (bt, d) => mvccResolveIntent(bt, d, b('a'), txn(3).id, { status: 'aborted' }));
      expect(mvccGet(e, b('a'), ts(50))?.timestamp).toEqual(ts(25));
      expect(stats).toMatchObject({ keyCount: 1, versionCount: 2 });
      await e.close();
    });

    it('discards intents of an earlier epoch: invisible to the restarted transaction, aborted on commit', async () => {
      const e = make();
      const stats = emptyStats();
      await write(e, stats, (bt, d) => mvccPut(bt, d, b('k'), ts(10), b('base')));
      await write(e, stats, (bt, d) => mvccPut(bt, d, b('k'), ts(20), b('epoch0'), txn(1, 0)));
      expect(val(mvccGet(e, b('k'), ts(30), { txn: txn(1, 1) }))).toBe('base');
      await write(e, stats, (bt, d) => {
        mvccResolveIntent(bt, d, b('k'), txn(1).id, { status: 'committed', commitTimestamp: ts(30), epoch: 1 });
      });
      expect(val(mvccGet(e, b('k'), ts(40)))).toBe('base');
      await e.close();
    });

    it('reports versions inside the uncertainty interval, in the newest slot and in history', async () => {
      const e = make();
      const stats = emptyStats();
      await write(e, stats, (bt, d) => mvccPut(bt, d, b('k'), ts(10), b('v10')));
      await write(e, stats, (bt, d) => mvccPut(bt, d, b('k'), ts(20), b('v20')));
      await write(e, stats, (bt, d) => mvccPut(bt, d, b('k'), ts(100), b('v100')));
      let err: ThinkLiteError | undefined;
      try {
        mvccGet(e, b('k'), ts(15), { uncertaintyLimit: ts(30) });
      } catch (x) {
        err = x as ThinkLiteError;
      }
      expect(err?.code).toBe('READ_WITHIN_UNCERTAINTY');
      expect(err?.details.existingTimestamp).toEqual(ts(20));
      expect(code(() => mvccGet(e, b('k'), ts(90), { uncertaintyLimit: ts(100) }))).toBe('READ_WITHIN_UNCERTAINTY');
      expect(val(mvccGet(e, b('k'), ts(21), { uncertaintyLimit: ts(99) }))).toBe('v20');
      expect(val(mvccGet(e, b('k'), ts(5), { uncertaintyLimit: ts(9) }))).toBeUndefined();
      expect(code(() => mvccScan(e, ALL_START, ALL_END, ts(15), { uncertaintyLimit: ts(20) }))).toBe(
        'READ_WITHIN_UNCERTAINTY',
      );
      await e.close();
    });

    it('scans forward and backward with key and byte limits and resumes where it stopped', async () => {
      const e = make();
      const stats = emptyStats();
      await write(e, stats, (bt, d) => {
        for (let i = 0; i < 20; i++) mvccPut(bt, d, b(`k${String(i).padStart(2, '0')}`), ts(10), b(`v${i}`));
        mvccDelete(bt, d, b('k05'), ts(11));
      });
      const keys = (rows: { key: Buffer }[]) => rows.map((r) => r.key.toString());
      const all = mvccScan(e, b('k'), b('l'), ts(20));
      expect(all.rows.length).toBe(19);
      expect(all.resumeSpan).toBeUndefined();
      const collected: string[] = [];
      let span: { start: Buffer; end: Buffer } | undefined = { start: b('k'), end: b('l') };
      while (span) {
        const page = mvccScan(e, span.start, span.end, ts(20), { maxKeys: 4 });
        collected.push(...keys(page.rows));
        span = page.resumeSpan;
      }
      expect(collected).toEqual(keys(all.rows));
      const back: string[] = [];
      span = { start: b('k'), end: b('l') };
      while (span) {
        const page = mvccScan(e, span.start, span.end, ts(20), { maxKeys: 3, reverse: true });
        back.push(...keys(page.rows));
        span = page.resumeSpan;
      }
      expect(back).toEqual(keys(all.rows).reverse());
      const byBytes = mvccScan(e, b('k'), b('l'), ts(20), { targetBytes: 10 });
      expect(byBytes.rows.length).toBe(2);
      expect(byBytes.resumeSpan?.start.toString()).toBe('k02');
      expect(keys(mvccScan(e, b('k'), b('l'), ts(10)).rows)).toContain('k05');
      await e.close();
    });

    it('collects every intent a scan meets into one conflict', async () => {
      const e = make();
      const stats = emptyStats();
      await write(e, stats, (bt, d) => {
        mvccPut(bt, d, b('a'), ts(10), b('1'), txn(1));
        mvccPut(bt, d, b('b'), ts(10), b('2'));
        mvccPut(bt, d, b('c'), ts(10), b('3'), txn(2));
      });
      let err: ThinkLiteError | undefined;
      try {
        mvccScan(e, ALL_START, ALL_END, ts(20));
      } catch (x) {
        err = x as ThinkLiteError;
      }
      expect(err?.code).toBe('WRITE_INTENT_CONFLICT');
      const intents = (err as ThinkLiteError).details.intents as { key: Buffer }[];
      expect(intents.map((i) => i.key.toString())).toEqual(['a', 'c']);
      expect(mvccScan(e, ALL_START, ALL_END, ts(20), { txn: txn(1), inconsistent: true }).rows.length).toBe(2);
      await e.close();
    });

    it('deletes a range with tombstones, in pages, and refuses when a newer write exists', async () => {
      const e = make();
      const stats = emptyStats();
      await write(e, stats, (bt, d) => {
        for (const k of ['a', 'b', 'c', 'd', 'e']) mvccPut(bt, d, b(k), ts(10), b(k));
      });
      let resume: { start: Buffer; end: Buffer } | undefined;
      await write(e, stats, (bt, d) => {
        const r = mvccDeleteRange(bt, d, b('a'), b('e'), ts(20), { maxKeys: 2 });
        expect(r.deleted.map(String)).toEqual(['a', 'b']);
        resume = r.resumeSpan;
      });
      expect(resume?.start.toString()).toBe('c');
      await write(e, stats, (bt, d) => {
        const r = mvccDeleteRange(bt, d, resume?.start as Buffer, resume?.end as Buffer, ts(20));
        expect(r.deleted.map(String)).toEqual(['c', 'd']);
      });
      expect(mvccScan(e, ALL_START, ALL_END, ts(25)).rows.map((r) => r.key.toString())).toEqual(['e']);
      expect(mvccScan(e, ALL_START, ALL_END, ts(15)).rows.length).toBe(5);
      expect(code(() => mvccDeleteRange(e.newBatch(), emptyStats(), b('a'), b('z'), ts(15)))).toBe('WRITE_TOO_OLD');
      await e.close();
    });

    it('garbage-collects what no read at or above the threshold can see', async () => {
      const e = make();
      const stats = emptyStats();
      for (const [w, v] of [
        [10, 'x10'],
        [20, 'x20'],
        [30, null],
        [40, 'x40'],
      ] as const) {
        await write(e, stats, (bt, d) => mvccPut(bt, d, b('x'), ts(w), v === null ? null : b(v)));
      }
      await write(e, stats, (bt, d) => {
        mvccPut(bt, d, b('y'), ts(10), b('y10'));
        mvccDelete(bt, d, b('y'), ts(15));
      });
      await write(e, stats, (bt, d) => {
        mvccPut(bt, d, b('z'), ts(10), b('z10'));
        mvccPut(bt, d, b('z'), ts(12), b('z12'), txn(9));
      });
      const before = { x35: mvccGet(e, b('x'), ts(35)), x45: val(mvccGet(e, b('x'), ts(45))) };
      await write(e, stats, (bt, d) => {
        const r = mvccGarbageCollect(bt, d, ALL_START, ALL_END, ts(35));
        expect(r.versionsRemoved).toBe(5); // x: 30 (tombstone at the threshold), 20, 10; y: both
      });
      expect(mvccGet(e, b('x'), ts(35))).toEqual(before.x35);
      expect(val(mvccGet(e, b('x'), ts(45)))).toBe(before.x45);
      expect(mvccGet(e, b('y'), ts(100))).toBeUndefined();
      expect(val(mvccGet(e, b('z'), ts(11)))).toBe('z10');
      expect(stats).toMatchObject({ keyCount: 2, versionCount: 3, intentCount: 1 });
      await e.close();
    });

    it('matches a reference model over random transactional histories, with stats always equal to a rescan', async () => {
      const seen = new Set<string>();
      for (let seed = 1; seed <= (name === 'memory' ? 25 : 6); seed++) {
        const e = make();
        const rnd = new SeededRandom(seed);
        const stats = emptyStats();
        const model = new MvccModel();
        let now = 100;
        const keys = Array.from({ length: 8 }, (_, i) => b(`key${i}`));
        for (let step = 0; step < 120; step++) {
          now += rnd.int(0, 3);
          const key = rnd.pick(keys);
          const t = rnd.bool(0.5) ? txn(rnd.int(1, 3), rnd.int(0, 1)) : undefined;
          const writeTs = ts(now - rnd.int(0, 5), rnd.int(0, 2));
          const r = rnd.next();
          const batch = e.newBatch();
          const delta = emptyStats();
          let impl: () => string;
          let spec: () => string;
          if (r < 0.45) {
            const v = rnd.bool(0.2) ? null : b(`v${step}`);
            impl = () => {
              mvccPut(batch, delta, key, writeTs, v, t);
              return 'ok';
            };
            spec = () => model.put(key, writeTs, v, t);
          } else if (r < 0.7) {
            const owner = txn(rnd.int(1, 3), rnd.int(0, 1));
            const res = rnd.bool()
              ? { status: 'committed' as const, commitTimestamp: ts(now + rnd.int(0, 3)), epoch: owner.epoch }
              : { status: 'aborted' as const };
            impl = () => (mvccResolveIntent(batch, delta, key, owner.id, res) ? 'resolved' : 'none');
            spec = () => model.resolve(key, owner, res);
          } else if (r < 0.8) {
            const threshold = ts(now - rnd.int(5, 20));
            impl = () => {
              mvccGarbageCollect(batch, delta, ALL_START, ALL_END, threshold);
              return 'ok';
            };
            spec = () => {
              model.gc(threshold);
              return 'ok';
            };
          } else {
            impl = () => 'ok';
            spec = () => 'ok';
          }
          const outcome = (fn: () => string) => {
            try {
              return fn();
            } catch (x) {
              if (!(x instanceof ThinkLiteError)) throw x;
              return x.code;
            }
          };
          const want = outcome(spec);
          const got = outcome(impl);
          expect(got, `seed ${seed} step ${step}`).toBe(want);
          seen.add(got);
          if (/^(WRITE_|READ_)/.test(got)) {
            // Nothing of a failed operation is committed: the batch is dropped.
            model.rollback();
            continue;
          }
          model.commit();
          await e.commit(batch);
          for (const k of Object.keys(stats) as (keyof MvccStats)[]) stats[k] += delta[k];
          // Reads at random timestamps above the GC threshold agree with the model.
          for (let i = 0; i < 4; i++) {
            const k = rnd.pick(keys);
            const readTs = ts(Math.max(model.gcThreshold.wall + 1, now - rnd.int(0, 30)), rnd.int(0, 3));
            const reader = rnd.bool(0.3) ? txn(rnd.int(1, 3), rnd.int(0, 1)) : undefined;
            const want = model.get(k, readTs, reader);
            let got: string | undefined;
            try {
              got = val(mvccGet(e, k, readTs, reader ? { txn: reader } : {}));
            } catch (x) {
              got = (x as ThinkLiteError).code;
            }
            expect(got, `seed ${seed} step ${step} read ${k} at ${readTs.wall}.${readTs.logical}`).toBe(want);
            seen.add(`read:${got === undefined ? 'none' : got.startsWith('v') ? 'value' : got}`);
          }
        }
        expect(computeMvccStats(e, ALL_START, ALL_END), `seed ${seed}`).toEqual(stats);
        expect(decodeStats(encodeStats(stats))).toEqual(stats);
        await e.close();
      }
      // The random histories reach every outcome, so the agreement above means something.
      for (const o of [
        'ok',
        'resolved',
        'none',
        'WRITE_TOO_OLD',
        'WRITE_INTENT_CONFLICT',
        'read:value',
        'read:none',
        'read:WRITE_INTENT_CONFLICT',
      ]) {
        expect(seen, o).toContain(o);
      }
    });
  });
}

/** A plain model of one key space's versions: committed versions per key plus at most one intent. */
class MvccModel {
  private committed = new Map<string, { ts: Timestamp; value: string | null }[]>(); // newest first
  private intents = new Map<string, { txn: TxnMeta; ts: Timestamp; value: string | null }>();
  private saved: [typeof this.committed, typeof this.intents, Timestamp] | undefined;
  gcThreshold: Timestamp = ts(0);

  private save() {
    if (!this.saved) {
      this.saved = [new Map([...this.committed].map(([k, v]) => [k, [...v]])), new Map(this.intents), this.gcThreshold];
    }
  }
  commit() {
    this.saved = undefined;
  }
  rollback() {
    if (this.saved) [this.committed, this.intents, this.gcThreshold] = this.saved;
    this.saved = undefined;
  }
  private fail(codeName: 'WRITE_TOO_OLD' | 'WRITE_INTENT_CONFLICT'): never {
    throw new ThinkLiteError(codeName, 'model');
  }

  put(key: Buffer, t: Timestamp, value: Buffer | null, txn?: TxnMeta): string {
    this.save();
    const k = key.toString();
    const intent = this.intents.get(k);
    const versions = this.committed.get(k) ?? [];
    const v = value === null ? null : value.toString();
    if (intent) {
      if (!txn || Buffer.compare(intent.txn.id, txn.id) !== 0 || intent.txn.epoch > txn.epoch)
        this.fail('WRITE_INTENT_CONFLICT');
      if (intent.txn.epoch === txn.epoch) {
        const keep = compareTimestamps(intent.ts, t) > 0 ? intent.ts : t;
        this.intents.set(k, { txn, ts: keep, value: v });
        return 'ok';
      }
      const top = versions[0];
      if (top && compareTimestamps(t, top.ts) <= 0) this.fail('WRITE_TOO_OLD');
      this.intents.set(k, { txn, ts: t, value: v });
      return 'ok';
    }
    const top = versions[0];
    if (top && compareTimestamps(t, top.ts) <= 0) this.fail('WRITE_TOO_OLD');
    if (txn) this.intents.set(k, { txn, ts: t, value: v });
    else this.committed.set(k, [{ ts: t, value: v }, ...versions]);
    return 'ok';
  }

  resolve(
    key: Buffer,
    owner: TxnMeta,
    res: { status: 'committed'; commitTimestamp: Timestamp; epoch: number } | { status: 'aborted' },
  ) {
    this.save();
    const k = key.toString();
    const intent = this.intents.get(k);
    if (!intent || Buffer.compare(intent.txn.id, owner.id) !== 0) return 'none';
    this.intents.delete(k);
    if (res.status === 'committed' && intent.txn.epoch === res.epoch) {
      const at = compareTimestamps(res.commitTimestamp, intent.ts) > 0 ? res.commitTimestamp : intent.ts;
      this.committed.set(k, [{ ts: at, value: intent.value }, ...(this.committed.get(k) ?? [])]);
    }
    return 'resolved';
  }

  gc(threshold: Timestamp) {
    this.save();
    if (compareTimestamps(threshold, this.gcThreshold) > 0) this.gcThreshold = threshold;
    for (const [k, versions] of this.committed) {
      const i = versions.findIndex((v) => compareTimestamps(v.ts, threshold) <= 0);
      if (i < 0) continue;
      const kept = versions.slice(0, versions[i]?.value === null ? i : i + 1);
      if (kept.length === 0) this.committed.delete(k);
      else this.committed.set(k, kept);
    }
  }

  get(key: Buffer, t: Timestamp, reader?: TxnMeta): string | undefined {
    const k = key.toString();
    const intent = this.intents.get(k);
    if (intent) {
      const own = reader && Buffer.compare(intent.txn.id, reader.id) === 0;
      if (own && intent.txn.epoch === reader.epoch) return intent.value ?? undefined;
      if (!own && compareTimestamps(intent.ts, t) <= 0) return 'WRITE_INTENT_CONFLICT';
    }
    const v = (this.committed.get(k) ?? []).find((x) => compareTimestamps(x.ts, t) <= 0);
    return v?.value ?? undefined;
  }
}

describe('GC threshold from a TTL', () => {
  it('is now minus the TTL, never below zero', () => {
    expect(gcThresholdFor(ts(90_000_000, 3), 25)).toEqual(ts(65_000_000, 3));
    expect(gcThresholdFor(ts(5_000_000), 25)).toEqual(ts(0));
  });
});

describe('MVCC error mapping', () => {
  it('maps every conflict to SQLSTATE 40001 so drivers retry', () => {
    for (const c of ['WRITE_TOO_OLD', 'WRITE_INTENT_CONFLICT', 'READ_WITHIN_UNCERTAINTY'] as const) {
      const err = new ThinkLiteError(c, 'x');
      expect(err.sqlstate).toBe('40001');
      expect(err.retryable).toBe(true);
      expect(isThinkLiteError(err, c)).toBe(true);
    }
  });
});
