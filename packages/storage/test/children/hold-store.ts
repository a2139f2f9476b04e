// Opens a store and holds it until killed: the other process in the lock tests.
import { LmdbEngine } from '../../src/index.js';

const engine = LmdbEngine.open({ dir: process.argv[2] as string });
process.stdout.write(`ready ${process.pid} ${engine.ident.storeId}\n`);
setInterval(() => {}, 1 << 30);
