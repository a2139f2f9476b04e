// Writes MVCC batches as fast as it can, several commits in flight, and prints "ack <run> <batch>"
// the moment each commit resolves. The crash test SIGKILLs it at a random moment and checks that
// every acknowledged batch survived whole and nothing survived in part.
import * as fs from 'node:fs';
import { addStats, decodeStats, emptyStats, encodeStats, LmdbEngine, mvccPut } from '../../src/index.js';
import { batchKey, KEYS_PER_BATCH, PIPELINE_DEPTH, STATS_KEY } from '../crash-layout.js';

const [dir, runArg] = process.argv.slice(2) as [string, string];
const run = Number(runArg);
const engine = LmdbEngine.open({ dir });
const raw = engine.get('local', STATS_KEY);
const stats = raw ? decodeStats(raw) : emptyStats();
fs.writeSync(1, `ready ${process.pid}\n`);

const inflight: Promise<void>[] = [];
for (let i = 0; ; i++) {
  // Batch i overwrites a key of batch i - PIPELINE_DEPTH, whose commit is awaited first, so each
  // batch is evaluated on a state that holds everything it touches.
  if (inflight.length >= PIPELINE_DEPTH) await inflight.shift();
  const batch = engine.newBatch();
  const delta = emptyStats();
  const wall = Date.now() * 1000 + i;
  for (let k = 0; k < KEYS_PER_BATCH; k++) {
    mvccPut(batch, delta, batchKey(run, i, k), { wall, logical: 0 }, Buffer.from(`r${run}-b${i}-`.padEnd(64 + k, 'x')));
  }
  if (i >= PIPELINE_DEPTH) {
    mvccPut(
      batch,
      delta,
      batchKey(run, i - PIPELINE_DEPTH, 0),
      { wall, logical: 1 },
      Buffer.from(`overwritten-by-${i}`),
    );
  }
  addStats(stats, delta);
  batch.put('local', STATS_KEY, encodeStats(stats));
  const n = i;
  inflight.push(engine.commit(batch).then(() => void fs.writeSync(1, `ack ${run} ${n}\n`)));
}
