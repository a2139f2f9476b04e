// `npm run sim -- --seeds N [--from S] [--voters 3|5|7]`: a long soak of the deterministic Raft
// simulation, printing progress; `npm run sim -- --seed S` replays one seed exactly and prints its
// figures (or the invariant it broke). A failing seed prints the command that replays it.
import { InvariantViolation, simulate } from '@thinklite/testkit';

function flag(name: string): number | undefined {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return undefined;
  const v = Number(process.argv[i + 1]);
  if (!Number.isSafeInteger(v)) {
    console.error(`--${name} wants an integer, got ${process.argv[i + 1]}`);
    process.exit(2);
  }
  return v;
}

const one = flag('seed');
const voterSizes = flag('voters') !== undefined ? [flag('voters') as number] : [3, 5, 7];
const options = (seed: number) => {
  const voters = voterSizes[seed % voterSizes.length] as number;
  return { initialVoters: voters, nodeCount: voters + 2 };
};

if (one !== undefined) {
  try {
    console.log(JSON.stringify(simulate(one, options(one))));
  } catch (e) {
    console.error(String(e));
    process.exit(1);
  }
  process.exit(0);
}

const seeds = flag('seeds') ?? 1000;
const from = flag('from') ?? 1;
const started = performance.now();
let ticks = 0;
let acked = 0;
let failures = 0;
for (let seed = from; seed < from + seeds; seed++) {
  try {
    const r = simulate(seed, options(seed));
    ticks += r.ticks;
    acked += r.proposalsAcked;
  } catch (e) {
    if (!(e instanceof InvariantViolation)) throw e;
    failures++;
    console.error(`FAIL ${e.message}\n  replay: npm run sim -- --seed ${seed}`);
  }
  const done = seed - from + 1;
  if (done % 500 === 0 || done === seeds) {
    const s = (performance.now() - started) / 1000;
    console.log(
      `[sim] ${done}/${seeds} seeds, ${ticks} ticks, ${acked} acknowledged proposals, ${failures} failures, ${s.toFixed(1)}s`,
    );
  }
}
console.log(`${seeds - failures} passed, ${failures} failed`);
process.exit(failures > 0 ? 1 : 0);
