import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { type PgbenchRun, parsePgbenchOutput } from './pgbench-output.js';
import { freePort, PrivatePostgres, postgresBin } from './postgres.js';
import { processTreeCpuSeconds, waitedChildrenCpuSeconds } from './proc-cpu.js';
import { type BenchResult, intOption as option, pairedMedian, progress, report } from './report.js';

/**
 * `npm run bench -- pgbench [--scale 10] [--seconds 60] [--clients 8] [--jobs 2] [--rounds 1]`: pgbench 15
 * against a ThinkLite node (`thinklite start`, a child process of its own, so its CPU is not the
 * driver's) and a private PostgreSQL 15 (started by this script, initdb's default settings: read
 * committed, fsync on) in the same run. Both are reached over TCP on 127.0.0.1.
 *
 *  1. `pgbench -i -s SCALE` on each: pgbench's default init steps (drop, create tables, generate
 *     data client-side with COPY, vacuum, primary keys), timed as rows/s;
 *  2. round after round (--rounds, default 1), each workload on both systems back to back, the first
 *     one alternating, each figure from the round whose ratio is the median: TPC-B-like (simple protocol), TPC-B-like (-M prepared),
 *     select-only (-S), each `-c CLIENTS -j JOBS -T SECONDS -P 5 --max-tries=1000` (pgbench's usual
 *     vacuum before each run included). Under ThinkLite's serializable default, clients updating
 *     the same branch row get 40001 at COMMIT: pgbench retries those (--max-tries), as a client of a
 *     serializable database should; PostgreSQL, read committed, waits on the row lock instead;
 *  3. after each TPC-B-like run, a consistency check on each: the account, teller and branch
 *     balances add up to the same total, and pgbench_history holds one row per processed
 *     transaction whose deltas add up to that run's change of the total.
 *
 * Prints tps (without initial connection time), average latency, failed and retried transactions,
 * the ratios against the single-node goals (≥ 0.5× PostgreSQL's tps on TPC-B-like, ≥ 0.7× on
 * select-only, no failed transaction), and one JSON line last.
 */

const MAX_TRIES = 1000;
const PROGRESS_SECONDS = 5;
const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

interface Workload {
  readonly name: string;
  readonly label: string;
  readonly args: readonly string[];
  /** The single-node goal: ThinkLite's tps ÷ PostgreSQL's at least this. */
  readonly goal: number;
}

const WORKLOADS: readonly Workload[] = [
  { name: 'tpcb', label: 'TPC-B-like, simple protocol', args: [], goal: 0.5 },
  { name: 'tpcb-prepared', label: 'TPC-B-like, -M prepared', args: ['-M', 'prepared'], goal: 0.5 },
  { name: 'select-only', label: 'select-only (-S), simple protocol', args: ['-S'], goal: 0.7 },
];

/** Where pgbench connects: -h -p -U and the database. */
interface Endpoint {
  readonly name: 'thinklite' | 'postgresql';
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly database: string;
}

const connArgs = (e: Endpoint) => ['-h', e.host, '-p', String(e.port), '-U', e.user, e.database];

/** The running child processes (pgbench, the node), for cleanup on error or Ctrl-C. */
const children = new Set<ChildProcess>();

/**
 * Runs pgbench, its stderr (progress every few seconds, init progress, errors) passed through as
 * progress lines prefixed with `label`; resolves with its exit code and stdout.
 */
function pgbench(
  bin: string,
  args: readonly string[],
  label: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(path.join(bin, 'pgbench'), args, {
      env: { ...process.env, PGCONNECT_TIMEOUT: '10' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    let partial = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      const lines = (partial + d).split(/\r?\n|\r/);
      partial = lines.pop() ?? '';
      for (const l of lines) if (l.trim() !== '') progress(`${label}: ${l}`);
    });
    child.on('error', (e) => {
      children.delete(child);
      reject(e);
    });
    child.on('close', (code, signal) => {
      children.delete(child);
      if (partial.trim() !== '') progress(`${label}: ${partial}`);
      resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr });
    });
  });
}

/** The first error line of pgbench's stderr, for a one-line message. */
const firstError = (stderr: string) =>
  stderr.split('\n').find((l) => l.includes('error')) ?? stderr.trim().split('\n').pop() ?? '';

/** `thinklite start` as a child process; the bound SQL port from its 'listening' log line. */
class NodeProcess {
  private constructor(
    readonly child: ChildProcess,
    readonly sqlPort: number,
  ) {}

  static async start(store: string, gateways: number): Promise<NodeProcess> {
    const child = spawn(
      process.execPath,
      [
        'packages/cli/dist/main.js',
        'start',
        '--store',
        store,
        '--sql-addr',
        '127.0.0.1:0',
        '--http-addr',
        '127.0.0.1:0',
        // info, not warn: the 'listening' line with the bound ports is an info line. Info lines
        // come once per node start/stop and per connection, not per statement.
        '--log-level',
        'info',
        '--gateways',
        String(gateways),
      ],
      { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    children.add(child);
    const stderrTail: string[] = [];
    child.stderr?.setEncoding('utf8').on('data', (d: string) => {
      stderrTail.push(...d.split('\n').filter((l) => l.trim() !== ''));
      stderrTail.splice(0, Math.max(0, stderrTail.length - 20));
    });
    const lines = readline.createInterface({ input: child.stdout as NodeJS.ReadableStream });
    const sqlPort = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error('the ThinkLite node did not log "listening" within 60 s')),
        60_000,
      );
      lines.on('line', (line) => {
        if (!line.startsWith('{')) return;
        try {
          const log = JSON.parse(line) as { msg?: string; sqlAddr?: string; level?: number };
          if (log.msg === 'listening' && typeof log.sqlAddr === 'string') {
            clearTimeout(timer);
            resolve(Number(log.sqlAddr.slice(log.sqlAddr.lastIndexOf(':') + 1)));
          } else if ((log.level ?? 0) >= 40) progress(`thinklite node log: ${line}`);
        } catch {
          // not a log line
        }
      });
      child.on('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`the ThinkLite node exited (${signal ?? code}) before listening:\n${stderrTail.join('\n')}`));
      });
    });
    child.on('exit', (code, signal) => {
      children.delete(child);
      if (code !== 0) progress(`the ThinkLite node exited (${signal ?? code}): ${stderrTail.slice(-3).join(' | ')}`);
    });
    return new NodeProcess(child, sqlPort);
  }

  /** SIGTERM to its PID, then SIGKILL if it has not stopped within 20 s. */
  async stop(): Promise<void> {
    const child = this.child;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => {
      progress(`the ThinkLite node (pid ${child.pid}) did not stop within 20 s: SIGKILL`);
      child.kill('SIGKILL');
    }, 20_000);
    await exited;
    clearTimeout(timer);
  }
}

async function query(e: Endpoint, sql: string): Promise<Record<string, unknown>[]> {
  const client = new pg.Client({ host: e.host, port: e.port, user: e.user, database: e.database });
  client.on('error', () => {});
  await client.connect();
  try {
    return (await client.query(sql)).rows as Record<string, unknown>[];
  } finally {
    await client.end().catch(() => {});
  }
}

/** `pgbench -i -s scale`, pgbench's default steps: its wall time in seconds. */
async function init(bin: string, e: Endpoint, scale: number): Promise<number> {
  const started = performance.now();
  progress(`${e.name}: pgbench -i -s ${scale}`);
  const r = await pgbench(bin, ['-i', '-s', String(scale), ...connArgs(e)], `${e.name} init`);
  if (r.code !== 0) throw new Error(`pgbench -i failed on ${e.name}: ${firstError(r.stderr)}`);
  return (performance.now() - started) / 1000;
}

const int = (v: unknown) => Number(v ?? 0);

async function checkCounts(e: Endpoint, scale: number): Promise<void> {
  const [row] = await query(
    e,
    `SELECT (SELECT count(*) FROM pgbench_accounts) AS a, (SELECT count(*) FROM pgbench_tellers) AS t,
       (SELECT count(*) FROM pgbench_branches) AS b`,
  );
  const got = [int(row?.a), int(row?.t), int(row?.b)];
  const want = [100_000 * scale, 10 * scale, scale];
  if (got.join() !== want.join())
    throw new Error(`${e.name}: after init accounts/tellers/branches are ${got.join('/')}, expected ${want.join('/')}`);
}

async function balanceTotal(e: Endpoint): Promise<number> {
  const [row] = await query(e, 'SELECT sum(abalance) AS a FROM pgbench_accounts');
  return int(row?.a);
}

/** After a TPC-B-like run: the balances agree and the history holds exactly the run's transactions. */
async function checkConsistency(e: Endpoint, before: number, processed: number): Promise<string | undefined> {
  const [row] = await query(
    e,
    `SELECT (SELECT sum(abalance) FROM pgbench_accounts) AS a, (SELECT sum(tbalance) FROM pgbench_tellers) AS t,
       (SELECT sum(bbalance) FROM pgbench_branches) AS b, (SELECT sum(delta) FROM pgbench_history) AS h,
       (SELECT count(*) FROM pgbench_history) AS n`,
  );
  const [a, t, b, h, n] = [row?.a, row?.t, row?.b, row?.h, row?.n].map(int) as [number, number, number, number, number];
  if (a === t && t === b && h === a - before && n === processed) return undefined;
  return (
    `${e.name}: balances inconsistent after the run: accounts ${a}, tellers ${t}, branches ${b} (before ${before}); ` +
    `history ${n} rows with deltas ${h}, pgbench processed ${processed}`
  );
}

async function isolation(e: Endpoint): Promise<string> {
  try {
    const [row] = await query(e, 'SHOW transaction_isolation');
    return String(Object.values(row ?? {})[0]);
  } catch (err) {
    return `unknown (SHOW transaction_isolation: ${(err as Error).message})`;
  }
}

const round2 = (n: number) => Math.round(n * 100) / 100;
const fmt = (n: number) => (n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(2));

export async function runPgbenchBench(args: string[]): Promise<void> {
  const scale = option(args, 'scale', 10);
  const seconds = option(args, 'seconds', 60);
  const clients = option(args, 'clients', 8);
  const jobs = option(args, 'jobs', 2);
  const rounds = option(args, 'rounds', 1);
  // SQL gateway processes (thinklite start --gateways N); the default 0 runs the node in one
  // process, which on this 2-core machine was as fast on select-only and faster on TPC-B-like
  // (decision 0020 has the measurements).
  const gateways = option(args, 'gateways', 0, 0);
  const tlDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tl-bench-pgbench-'));
  const pgDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tl-bench-pgbench-pg-'));
  let node: NodeProcess | undefined;
  let server: PrivatePostgres | undefined;
  const cleanup = async () => {
    for (const child of children) if (child !== node?.child) child.kill('SIGTERM');
    await node?.stop();
    node = undefined;
    server?.stop();
    server = undefined;
    fs.rmSync(tlDir, { recursive: true, force: true });
    fs.rmSync(pgDir, { recursive: true, force: true });
  };
  const onSignal = () => void cleanup().then(() => process.exit(130));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const bin = postgresBin();

    // The node runs the built JavaScript, as a deployment does (from the sources, tsx's
    // transform adds a function-naming call to every closure: about 6% of a point select's CPU).
    progress('building (npm run build: protobuf code and tsc -b)…');
    execFileSync('npm', ['run', '--silent', 'build'], { cwd: REPO, stdio: ['ignore', 'ignore', 'inherit'] });
    progress(
      `starting a ThinkLite node (thinklite start --gateways ${gateways} from packages/cli/dist, a child process) with its store in ${tlDir}`,
    );
    node = await NodeProcess.start(tlDir, gateways);
    const tl: Endpoint = {
      name: 'thinklite',
      host: '127.0.0.1',
      port: node.sqlPort,
      user: 'thinklite',
      database: 'thinklite',
    };
    progress(`ThinkLite node pid ${node.child.pid} listening on 127.0.0.1:${node.sqlPort}`);

    server = new PrivatePostgres(bin, pgDir, await freePort(), { tcp: true });
    progress(`starting a private PostgreSQL 15 in ${pgDir} (127.0.0.1:${server.port}, default settings)`);
    server.start();
    const ref: Endpoint = {
      name: 'postgresql',
      host: '127.0.0.1',
      port: server.port,
      user: 'postgres',
      database: 'postgres',
    };
    const version = String((await query(ref, 'SHOW server_version'))[0]?.server_version);
    progress(`PostgreSQL ${version} ready`);

    const isolations = { thinklite: await isolation(tl), postgresql: await isolation(ref) };
    progress(`isolation: ThinkLite ${isolations.thinklite}, PostgreSQL ${isolations.postgresql}`);

    const inits: Record<string, number> = {};
    for (const e of [tl, ref]) {
      inits[e.name] = await init(bin, e, scale);
      await checkCounts(e, scale);
      progress(`${e.name}: initialized scale ${scale} in ${inits[e.name]?.toFixed(1)} s`);
    }

    const common = ['-c', String(clients), '-j', String(jobs), '-T', String(seconds), '-P', String(PROGRESS_SECONDS)];
    const retryArgs = [`--max-tries=${MAX_TRIES}`];
    const results: BenchResult[] = [];
    const runs: Array<
      { system: string; workload: string; round: number; serverCores: number; pgbenchCores: number } & PgbenchRun
    > = [];
    const notes: string[] = [];
    const inconsistent: string[] = [];
    const rows = 100_000 * scale;
    results.push({
      name: `init-s${scale}`,
      unit: 'ops/s',
      thinklite: rows / (inits.thinklite ?? 1),
      reference: 'postgresql',
      referenceValue: rows / (inits.postgresql ?? 1),
    });
    // Round after round, each workload runs on both systems back to back, the first system
    // alternating: on a shared machine whose speed drifts, each figure comes from the round whose
    // ratio is the median (pairedMedian).
    for (let round = 0; round < rounds; round++) {
      for (const w of WORKLOADS) {
        for (const e of round % 2 === 0 ? [tl, ref] : [ref, tl]) {
          const label = `${e.name} ${w.name}-c${clients}${rounds > 1 ? ` (round ${round + 1}/${rounds})` : ''}`;
          const before = w.name.startsWith('tpcb') ? await balanceTotal(e) : 0;
          progress(`${label}: ${w.label}, ${clients} clients, ${jobs} threads, ${seconds} s`);
          // CPU of the server (the node; the postmaster and its backends) and of pgbench itself:
          // how much of the machine's cores each system could use.
          const serverPid = e === tl ? node.child.pid : server.postmasterPid;
          const cpu0 = { server: processTreeCpuSeconds(serverPid), pgbench: waitedChildrenCpuSeconds() };
          const wall0 = performance.now();
          const r = await pgbench(bin, [...common, ...w.args, ...retryArgs, ...connArgs(e)], label);
          const wall = (performance.now() - wall0) / 1000;
          const cpu = {
            serverCores: round2((processTreeCpuSeconds(serverPid) - cpu0.server) / wall),
            pgbenchCores: round2((waitedChildrenCpuSeconds() - cpu0.pgbench) / wall),
          };
          let run: PgbenchRun;
          try {
            run = parsePgbenchOutput(r.stdout);
          } catch {
            throw new Error(`pgbench failed on ${e.name} (exit ${r.code}): ${firstError(r.stderr)}`);
          }
          if (r.code !== 0) {
            const msg = `${label}: pgbench exited ${r.code} (a client aborted: ${firstError(r.stderr)}); its figures are incomplete`;
            progress(msg);
            notes.push(msg);
          }
          runs.push({ system: e.name, workload: `${w.name}-c${clients}`, round: round + 1, ...run, ...cpu });
          progress(
            `${label}: ${fmt(run.tps)} tps, latency ${run.latencyMs.toFixed(3)} ms, ${run.processed} transactions, ` +
              `${run.failed} failed, ${run.retried} retried (${run.retries} retries); CPU: server ${cpu.serverCores} cores ` +
              `(${Math.round((cpu.serverCores * wall * 1e6) / Math.max(1, run.processed))} µs per transaction), pgbench ${cpu.pgbenchCores} cores`,
          );
          if (w.name.startsWith('tpcb')) {
            const problem = await checkConsistency(e, before, run.processed);
            if (problem) {
              progress(problem);
              inconsistent.push(problem);
            } else progress(`${label}: consistent (balances agree, one history row per processed transaction)`);
          }
        }
      }
    }
    const runsOf = (system: string, w: Workload) =>
      runs.filter((r) => r.system === system && r.workload === `${w.name}-c${clients}`);
    for (const w of WORKLOADS) {
      const [t, p] = [runsOf('thinklite', w), runsOf('postgresql', w)];
      results.push(
        {
          name: `${w.name}-c${clients}`,
          unit: 'ops/s',
          ...pairedMedian(
            'ops/s',
            t.map((r) => r.tps),
            p.map((r) => r.tps),
          ),
          reference: 'postgresql',
        },
        {
          name: `${w.name}-c${clients}-latency`,
          unit: 'ms',
          ...pairedMedian(
            'ms',
            t.map((r) => r.latencyMs),
            p.map((r) => r.latencyMs),
          ),
          reference: 'postgresql',
        },
      );
    }
    await cleanup();

    // Goals for a single node.
    const goals = WORKLOADS.map((w) => {
      const r = results.find((x) => x.name === `${w.name}-c${clients}`) as BenchResult;
      const ratio = Math.round((r.thinklite / (r.referenceValue || Number.NaN)) * 100) / 100;
      return { name: r.name, min: w.goal, ratio, met: ratio >= w.goal };
    });
    const failed = {
      thinklite: runs.filter((r) => r.system === 'thinklite').reduce((n, r) => n + r.failed, 0),
      postgresql: runs.filter((r) => r.system === 'postgresql').reduce((n, r) => n + r.failed, 0),
    };
    for (const w of WORKLOADS) {
      const sum = (system: string): PgbenchRun => {
        const all = runsOf(system, w);
        const total = (k: 'processed' | 'failed' | 'retried' | 'retries') => all.reduce((n, r) => n + r[k], 0);
        return {
          ...(all[0] as PgbenchRun),
          processed: total('processed'),
          failed: total('failed'),
          retried: total('retried'),
          retries: total('retries'),
        };
      };
      const [t, p] = [sum('thinklite'), sum('postgresql')];
      notes.push(
        `${w.name}-c${clients} transactions: thinklite ${t.processed} processed, ${t.failed} failed, ${t.retried} retried ` +
          `(${t.retries} retries); postgresql ${p.processed} processed, ${p.failed} failed, ${p.retried} retried (${p.retries} retries)`,
      );
      const cores = (system: string, k: 'serverCores' | 'pgbenchCores') => {
        const all = runsOf(system, w);
        return round2(all.reduce((n, r) => n + r[k], 0) / Math.max(1, all.length));
      };
      notes.push(
        `${w.name}-c${clients} CPU (cores, mean of rounds; the machine has ${os.cpus().length}): thinklite server ` +
          `${cores('thinklite', 'serverCores')}, pgbench ${cores('thinklite', 'pgbenchCores')}; postgresql server ` +
          `${cores('postgresql', 'serverCores')}, pgbench ${cores('postgresql', 'pgbenchCores')}`,
      );
    }
    for (const g of goals)
      notes.push(
        `goal (single node): ${g.name} ≥ ${g.min}× PostgreSQL's tps: ${g.ratio}× ${g.met ? 'met' : 'NOT met'}`,
      );
    notes.push(
      `goal: zero failed transactions: thinklite ${failed.thinklite}, postgresql ${failed.postgresql}: ${failed.thinklite === 0 ? 'met' : 'NOT met'}`,
    );
    for (const problem of inconsistent) notes.push(`CONSISTENCY CHECK FAILED: ${problem}`);
    if (inconsistent.length > 0) process.exitCode = 1;

    console.log('');
    console.log(
      `pgbench: scale ${scale} (${rows.toLocaleString('en-US')} accounts), ${clients} clients, ${jobs} threads, ${seconds} s per run, ` +
        `each run with --max-tries=${MAX_TRIES}; ${rounds} round(s), the two systems back to back for each workload, the first one alternating (figures: the round with the median ratio; transaction counts: totals), both over TCP on 127.0.0.1. ` +
        `ThinkLite: one node (thinklite start --gateways ${gateways}: ${gateways === 0 ? 'one process' : `${gateways} SQL gateway processes serving the PostgreSQL protocol and the store's owner process`}), isolation ${isolations.thinklite} (its default: ` +
        `conflicting commits fail with 40001 and pgbench retries them). PostgreSQL ${version}: a private instance with ` +
        `default settings, isolation ${isolations.postgresql}. ops/s = tps without initial connection time ` +
        `(for init: accounts ÷ the wall time of the whole pgbench -i, all its default steps), ms = average latency.`,
    );
    report('pgbench', results, {
      notes,
      json: {
        settings: {
          scale,
          gateways,
          clients,
          jobs,
          seconds,
          maxTries: MAX_TRIES,
          isolation: isolations,
          postgresqlVersion: version,
          initSeconds: { thinklite: round2(inits.thinklite ?? 0), postgresql: round2(inits.postgresql ?? 0) },
        },
        runs: runs.map((r) => ({ ...r, tps: round2(r.tps) })),
        failedTransactions: failed,
        goals,
        consistent: inconsistent.length === 0,
      },
    });
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    await cleanup();
  }
}
