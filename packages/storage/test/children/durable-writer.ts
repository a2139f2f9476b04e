// Commits batches one at a time and prints "ack <n>" after each commit resolves. With "raw-nosync"
// it does the same through the lmdb package opened with noSync: the negative control that shows the
// durability test can tell an acknowledgement without fsync from a durable one.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { open } from 'lmdb';
import { LmdbEngine } from '../../src/index.js';

const [dir, mode, countArg] = process.argv.slice(2) as [string, string, string];
const count = Number(countArg);
const value = Buffer.alloc(2000, 0x42);
if (mode === 'thinklite') {
  const engine = LmdbEngine.open({ dir });
  for (let i = 0; i < count; i++) {
    const batch = engine.newBatch();
    batch.put('mvcc', Buffer.from(`key${i}`), value);
    await engine.commit(batch);
    fs.writeSync(1, `ack ${i}\n`);
  }
  await engine.close();
} else {
  fs.mkdirSync(dir, { recursive: true });
  const db = open<Buffer, Buffer>({
    path: path.join(dir, 'raw'),
    keyEncoding: 'binary',
    encoding: 'binary',
    noSync: true,
  });
  for (let i = 0; i < count; i++) {
    await db.put(Buffer.from(`key${i}`), value);
    fs.writeSync(1, `ack ${i}\n`);
  }
  await db.close();
}
