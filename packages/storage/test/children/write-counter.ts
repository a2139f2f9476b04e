// Owns a store and commits an increasing counter every few milliseconds, printing each value once
// durable: the owner process in the attach test.
import { LmdbEngine } from '../../src/index.js';

const engine = LmdbEngine.open({ dir: process.argv[2] as string });
process.stdout.write(`ready ${process.pid}\n`);
let n = 0;
setInterval(() => {
  const batch = engine.newBatch();
  batch.put('mvcc', Buffer.from('counter'), Buffer.from(String(++n)));
  const at = n;
  void engine.commit(batch).then(() => process.stdout.write(`wrote ${at}\n`));
}, 10);
