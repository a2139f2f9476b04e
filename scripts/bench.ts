// `npm run bench -- <name>`: runs one benchmark. Each prints progress and a table while it runs and
// ends with one JSON line of all figures (see ../shared/benchmarks.md). Benchmarks never run in
// `npm test`.
import { runPgbenchBench } from './bench/pgbench.js';
import { runRaftBench } from './bench/raft.js';
import { runSqlBench } from './bench/sql.js';
import { runStorageBench } from './bench/storage.js';

const BENCHES: Record<string, (args: string[]) => Promise<void>> = {
  storage: runStorageBench,
  raft: runRaftBench,
  sql: runSqlBench,
  pgbench: runPgbenchBench,
};

const [name, ...rest] = process.argv.slice(2);
const bench = name ? BENCHES[name] : undefined;
if (!bench) {
  console.error(`usage: npm run bench -- <${Object.keys(BENCHES).join('|')}> [--seconds N]`);
  process.exit(2);
}
await bench(rest);
