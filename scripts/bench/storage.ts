import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { HybridLogicalClock, SeededRandom, systemPhysicalClock, type Timestamp } from '@thinklite/base';
import { emptyStats, LmdbEngine, mvccGet, mvccPut, mvccScan, prefixEnd } from '@thinklite/storage';
import { open as openLmdb } from 'lmdb';
import { type BenchResult, measure, measureConcurrent, parseSeconds, progress, report } from './report.js';

/**
 * `npm run bench -- storage`: the MVCC layer on LmdbEngine against raw lmdb doing the same work on
 * the same machine, in alternating turns. Both write durably (fsync before the promise resolves:
 * overlappingSync off), both use binary keys and values, both batch the writes of one event turn
 * into one transaction.
 *
 *  - durable-write-batch100-c4: 4 writers, each committing batches of 100 fresh keys (100-byte
 *    values) one after another
 *  - durable-write-batch1-c16: 16 writers committing single-key batches (group commit at work)
 *  - point-read: random keys out of 100,000
 *  - scan-100: 100 consecutive keys from a random start
 */
const KEYS = 100_000;
const VALUE = Buffer.alloc(100, 0x61);
const keyOf = (i: number) => Buffer.from(`user/${String(i).padStart(8, '0')}`);

export async function runStorageBench(args: string[]): Promise<void> {
  const seconds = parseSeconds(args, 5);
  const turns = 2;
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tl-bench-storage-'));
  const engine = LmdbEngine.open({ dir: path.join(root, 'thinklite') });
  const raw = openLmdb<Buffer, Buffer>({
    path: path.join(root, 'lmdb'),
    keyEncoding: 'binary',
    encoding: 'binary',
    overlappingSync: false,
  });
  const clock = new HybridLogicalClock({ physicalClock: systemPhysicalClock, maxOffsetUs: 0 });
  const stats = emptyStats();
  let nextKey = KEYS;
  let rawNextKey = KEYS;

  /** One writer's step: a batch of `perBatch` fresh keys, committed durably. */
  const tlWrite = async (perBatch: number): Promise<number> => {
    const batch = engine.newBatch();
    const ts = clock.now();
    for (let i = 0; i < perBatch; i++) mvccPut(batch, stats, keyOf(nextKey++), ts, VALUE);
    await engine.commit(batch);
    return perBatch;
  };
  const rawWrite = async (perBatch: number): Promise<number> => {
    let last: Promise<boolean> | undefined;
    for (let i = 0; i < perBatch; i++) last = raw.put(keyOf(rawNextKey++), VALUE);
    await last;
    return perBatch;
  };

  try {
    progress(`loading ${KEYS.toLocaleString('en-US')} keys into each store (${root})`);
    for (let loaded = 0; loaded < KEYS; loaded += 1000) {
      const batch = engine.newBatch();
      const ts = clock.now();
      const puts: Promise<boolean>[] = [];
      for (let i = loaded; i < loaded + 1000; i++) {
        mvccPut(batch, stats, keyOf(i), ts, VALUE);
        puts.push(raw.put(keyOf(i), VALUE));
      }
      await Promise.all([engine.commit(batch), ...puts]);
      if ((loaded + 1000) % 25_000 === 0)
        progress(`  loaded ${(loaded + 1000).toLocaleString('en-US')} / ${KEYS.toLocaleString('en-US')}`);
    }

    const rnd = new SeededRandom(1);
    let readTs: Timestamp = clock.now();
    const tlPointRead = () => {
      for (let i = 0; i < 1000; i++)
        if (!mvccGet(engine, keyOf(rnd.int(0, KEYS - 1)), readTs)) throw new Error('missing key');
      return 1000;
    };
    const rawPointRead = () => {
      for (let i = 0; i < 1000; i++) if (!raw.get(keyOf(rnd.int(0, KEYS - 1)))) throw new Error('missing key');
      return 1000;
    };
    const scanEnd = prefixEnd(Buffer.from('user/')) as Buffer;
    const tlScan = () => {
      for (let i = 0; i < 20; i++) {
        const r = mvccScan(engine, keyOf(rnd.int(0, KEYS - 101)), scanEnd, readTs, { maxKeys: 100 });
        if (r.rows.length !== 100) throw new Error(`scan returned ${r.rows.length}`);
      }
      return 20;
    };
    const rawScan = () => {
      for (let i = 0; i < 20; i++) {
        let n = 0;
        for (const e of raw.getRange({ start: keyOf(rnd.int(0, KEYS - 101)), end: scanEnd, limit: 100 }))
          n += e.value.length > 0 ? 1 : 0;
        if (n !== 100) throw new Error(`scan returned ${n}`);
      }
      return 20;
    };

    const writers = (clients: number, step: () => Promise<number>) => () => measureConcurrent(seconds, clients, step);
    const serial = (step: () => number) => () => measure(seconds, step);
    const cases: { name: string; tl: () => Promise<number>; ref: () => Promise<number> }[] = [
      { name: 'durable-write-batch100-c4', tl: writers(4, () => tlWrite(100)), ref: writers(4, () => rawWrite(100)) },
      { name: 'durable-write-batch1-c16', tl: writers(16, () => tlWrite(1)), ref: writers(16, () => rawWrite(1)) },
      { name: 'point-read', tl: serial(tlPointRead), ref: serial(rawPointRead) },
      { name: 'scan-100', tl: serial(tlScan), ref: serial(rawScan) },
    ];
    const onlyAt = args.indexOf('--only');
    const only = onlyAt >= 0 ? args[onlyAt + 1] : undefined;
    const results: BenchResult[] = [];
    for (const c of cases.filter((x) => only === undefined || x.name === only)) {
      let tlTotal = 0;
      let refTotal = 0;
      for (let turn = 1; turn <= turns; turn++) {
        readTs = clock.now();
        const tl = await c.tl();
        const ref = await c.ref();
        progress(`${c.name} turn ${turn}/${turns}: thinklite ${Math.round(tl)} ops/s, lmdb ${Math.round(ref)} ops/s`);
        tlTotal += tl;
        refTotal += ref;
      }
      results.push({
        name: c.name,
        unit: 'ops/s',
        thinklite: tlTotal / turns,
        reference: 'lmdb',
        referenceValue: refTotal / turns,
      });
    }
    report('storage', results);
  } finally {
    await engine.close();
    await raw.close();
    fs.rmSync(root, { recursive: true, force: true });
  }
}
