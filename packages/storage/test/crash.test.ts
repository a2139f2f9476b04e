import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { formatTimestamp, MAX_TIMESTAMP, SeededRandom } from '@thinklite/base';
import { killAllChildren, startChild } from '@thinklite/testkit';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { computeMvccStats, decodeStats, LmdbEngine, mvccGet } from '../src/index.js';

const childScript = (name: string) => path.join(import.meta.dirname, 'children', name);

import { batchKey, KEYS_PER_BATCH, PIPELINE_DEPTH, parseBatchKey, STATS_KEY } from './crash-layout.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tl-crash-'));
afterEach(killAllChildren);
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const RUNS = Number(process.env.THINKLITE_CRASH_RUNS ?? 12);
const SEED = Number(process.env.THINKLITE_CRASH_SEED ?? 20261123);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('crash safety (real process, real SIGKILL)', () => {
  it(`keeps every acknowledged batch, whole and in order, across ${RUNS} SIGKILLs at random moments (seed ${SEED})`, async () => {
    const rnd = new SeededRandom(SEED);
    let totalAcked = 0;
    for (let run = 0; run < RUNS; run++) {
      const child = startChild(childScript('crash-writer.ts'), [dir, String(run)]);
      await child.waitForLine(/^ready/);
      await child.waitForLine(/^ack /);
      await sleep(rnd.int(0, 250));
      child.kill('SIGKILL');
      const { signal } = await child.exited();
      expect(signal, child.stderr()).toBe('SIGKILL');
      const acked = child.lines.filter((l) => l.startsWith(`ack ${run} `)).map((l) => Number(l.split(' ')[2]));
      totalAcked += acked.length;

      const engine = LmdbEngine.open({ dir });
      try {
        const perBatch = new Map<number, number>();
        for (const e of engine.scan('mvcc')) {
          const k = parseBatchKey(e.key);
          if (k?.run === run) perBatch.set(k.batch, (perBatch.get(k.batch) ?? 0) + 1);
        }
        const present = [...perBatch.keys()].sort((a, b) => a - b);
        // No batch is half there.
        for (const [batch, n] of perBatch) expect(n, `run ${run} batch ${batch}`).toBe(KEYS_PER_BATCH);
        // Batches apply in order, so what survived is a prefix 0..k with no gaps.
        expect(present, `run ${run}`).toEqual(present.map((_, i) => i));
        // Every acknowledged batch survived.
        for (const a of acked) expect(perBatch.has(a), `run ${run}: acknowledged batch ${a} lost`).toBe(true);
        // The overwrites of each surviving batch are there, over the version they replaced.
        for (const batch of present) {
          if (batch < PIPELINE_DEPTH) continue;
          const row = mvccGet(engine, batchKey(run, batch - PIPELINE_DEPTH, 0), MAX_TIMESTAMP);
          expect(row?.value.toString(), `run ${run} batch ${batch} at ${row && formatTimestamp(row.timestamp)}`).toBe(
            `overwritten-by-${batch}`,
          );
        }
        // The stats record committed with the data still describes the data exactly.
        const stored = engine.get('local', STATS_KEY);
        expect(stored).toBeDefined();
        expect(decodeStats(stored as Buffer)).toEqual(computeMvccStats(engine, Buffer.of(0x01), Buffer.of(0xff)));
      } finally {
        await engine.close();
      }
    }
    expect(totalAcked).toBeGreaterThan(RUNS);
  });
});
