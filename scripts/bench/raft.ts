import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { thinklite } from '@thinklite/proto';
import protobuf from 'protobufjs/minimal.js';
import { GrpcUnaryClient } from './grpc-unary.js';
import { processCpuSeconds } from './proc-cpu.js';
import { type BenchResult, intOption, pairedMedian, parseSeconds, progress, report } from './report.js';

/**
 * `npm run bench -- raft`: three ThinkLite replication nodes (real processes on loopback, LMDB
 * stores, the gRPC Raft transport) against a three-member etcd cluster (Debian's etcd-server,
 * installed if missing) on the same machine in the same run. Load: 256-byte values from 16 and 256
 * concurrent proposers, through Raft to durable apply, over 1 and 100 groups for ThinkLite (etcd
 * has one). Prints commits/s and p50/p99 latency, the ratio, and one JSON line.
 */
const VALUE = Buffer.alloc(256, 0x61);

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

interface Proc {
  readonly child: ChildProcess;
  readonly lines: string[];
}

function startProc(cmd: string, args: string[], logFile: string): Proc {
  const out = fs.openSync(logFile, 'a');
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', out] });
  const lines: string[] = [];
  let partial = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => {
    partial += d;
    const parts = partial.split('\n');
    partial = parts.pop() ?? '';
    lines.push(...parts);
  });
  return { child, lines };
}

async function waitFor(what: string, cond: () => boolean | Promise<boolean>, limitMs = 60_000): Promise<void> {
  const start = Date.now();
  while (!(await cond())) {
    if (Date.now() - start > limitMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function stopAll(procs: Proc[]): Promise<void> {
  return Promise.all(
    procs.map(
      (p) =>
        new Promise<void>((resolve) => {
          if (p.child.exitCode !== null || p.child.signalCode !== null) return resolve();
          p.child.once('exit', () => resolve());
          p.child.kill('SIGTERM');
          setTimeout(() => p.child.kill('SIGKILL'), 5000).unref();
        }),
    ),
  ).then(() => {});
}

type Call = (worker: number, n: number) => Promise<void>;

interface LoadResult {
  readonly opsPerSec: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly errors: number;
  readonly cpuMsPerK: { readonly client: number; readonly servers: readonly number[] };
}

function cpuText(r: LoadResult): string {
  const servers = r.cpuMsPerK.servers.map((s) => s.toFixed(0)).join('/');
  return `CPU ms per 1,000 commits: client ${r.cpuMsPerK.client.toFixed(0)}, servers ${servers}`;
}

/** CPU seconds (user + system) a process has used so far, from /proc (0 where unreadable). */
async function runLoad(
  seconds: number,
  concurrency: number,
  call: Call,
  servers: readonly Proc[],
): Promise<LoadResult> {
  const cpu0 = { client: process.cpuUsage(), servers: servers.map((p) => processCpuSeconds(p.child.pid)) };
  const latencies: number[] = [];
  let errors = 0;
  const deadline = performance.now() + seconds * 1000;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async (_, w) => {
      for (let n = 0; performance.now() < deadline; n++) {
        const t0 = performance.now();
        try {
          await call(w, n);
          latencies.push(performance.now() - t0);
        } catch (e) {
          if (errors++ === 0) progress(`first error: ${(e as Error).message}`);
        }
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  const client = process.cpuUsage(cpu0.client);
  const serverCpu = servers.map((p, i) => processCpuSeconds(p.child.pid) - (cpu0.servers[i] ?? 0));
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? 0;
  const perK = (s: number) => (s / Math.max(1, latencies.length)) * 1000;
  return {
    opsPerSec: latencies.length / elapsed,
    p50Ms: pct(0.5),
    p99Ms: pct(0.99),
    errors,
    // CPU per 1,000 commits: where the machine's cores go (client, then each server process).
    cpuMsPerK: {
      client: perK((client.user + client.system) / 1e3),
      servers: serverCpu.map((s) => perK(s * 1000)),
    },
  };
}

async function thinkliteCluster(
  root: string,
  ranges: number,
  all: Proc[],
): Promise<{ procs: Proc[]; clientAddr: string }> {
  const ids = [1, 2, 3];
  const raftPorts = await Promise.all(ids.map(freePort));
  const peers = ids.map((id, i) => `${id}=127.0.0.1:${raftPorts[i]}`).join(',');
  const node = path.join(import.meta.dirname, 'raft-node.ts');
  const procs: Proc[] = [];
  for (const [i, id] of ids.entries()) {
    const dir = path.join(root, `thinklite-g${ranges}-n${id}`);
    const clientPort = await freePort();
    procs.push(
      startProc(
        process.execPath,
        [
          // THINKLITE_BENCH_PROFILE=DIR writes a CPU profile of each node there (open in DevTools).
          ...(process.env.THINKLITE_BENCH_PROFILE
            ? ['--cpu-prof', `--cpu-prof-dir=${process.env.THINKLITE_BENCH_PROFILE}`]
            : []),
          ...(process.env.THINKLITE_BENCH_NODE_FLAGS?.split(' ').filter(Boolean) ?? []),
          // Without the `source` condition the packages resolve to their built JavaScript, as in a
          // deployment; tsx transforms only this bench's own node script.
          '--import',
          'tsx',
          node,
          '--id',
          String(id),
          '--dir',
          dir,
          '--ranges',
          String(ranges),
          '--peers',
          peers,
          '--client',
          `127.0.0.1:${clientPort}`,
          '--bootstrap',
        ],
        path.join(root, `node${id}.log`),
      ),
    );
    all.push(procs[procs.length - 1] as Proc); // stopped by PID whatever happens next
    void i;
  }
  await waitFor('ThinkLite nodes ready', () => procs.every((p) => p.lines.some((l) => l.startsWith('ready'))), 120_000);
  const port = (procs[0] as Proc).lines.find((l) => l.startsWith('ready'))?.split(' ')[2];
  return { procs, clientAddr: `127.0.0.1:${port}` };
}

function etcdBinary(): string {
  try {
    return execFileSync('sh', ['-c', 'command -v etcd'], { encoding: 'utf8' }).trim();
  } catch {
    progress('etcd not found: installing Debian package etcd-server');
    execFileSync(
      'sh',
      ['-c', 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq etcd-server'],
      { stdio: 'inherit' },
    );
    return execFileSync('sh', ['-c', 'command -v etcd'], { encoding: 'utf8' }).trim();
  }
}

async function etcdCluster(root: string, all: Proc[]): Promise<{ procs: Proc[]; clientAddr: string }> {
  const etcd = etcdBinary();
  const names = ['e1', 'e2', 'e3'];
  const peerPorts = await Promise.all(names.map(freePort));
  const clientPorts = await Promise.all(names.map(freePort));
  const initial = names.map((n, i) => `${n}=http://127.0.0.1:${peerPorts[i]}`).join(',');
  const procs = names.map((n, i) =>
    startProc(
      etcd,
      [
        '--name',
        n,
        '--data-dir',
        path.join(root, `etcd-${n}`),
        '--listen-client-urls',
        `http://127.0.0.1:${clientPorts[i]}`,
        '--advertise-client-urls',
        `http://127.0.0.1:${clientPorts[i]}`,
        '--listen-peer-urls',
        `http://127.0.0.1:${peerPorts[i]}`,
        '--initial-advertise-peer-urls',
        `http://127.0.0.1:${peerPorts[i]}`,
        '--initial-cluster',
        initial,
        '--initial-cluster-state',
        'new',
        '--initial-cluster-token',
        'thinklite-bench',
        '--logger',
        'zap',
        '--log-level',
        'error',
      ],
      path.join(root, `${n}.log`),
    ),
  );
  all.push(...procs);
  const clientAddr = `127.0.0.1:${clientPorts[0]}`;
  const client = new GrpcUnaryClient(clientAddr);
  await waitFor('etcd cluster ready', async () => {
    try {
      await client.call(ETCD_PUT, etcdPut(Buffer.from('ping'), Buffer.from('1')));
      return true;
    } catch {
      return false;
    }
  });
  client.close();
  return { procs, clientAddr };
}

const PROPOSE = '/thinklite.replication.v1.Replication/Propose';
const ETCD_PUT = '/etcdserverpb.KV/Put';

/** An etcd PutRequest: key = field 1, value = field 2 (etcd's api/etcdserverpb/rpc.proto). */
function etcdPut(key: Buffer, value: Buffer): Buffer {
  return Buffer.from(protobuf.Writer.create().uint32(10).bytes(key).uint32(18).bytes(value).finish());
}

/** A system under load: a name for the progress lines, its processes, and one call. */
interface Target {
  readonly label: string;
  readonly procs: readonly Proc[];
  readonly call: Call;
}

/**
 * Every system is started first and stays up; then, round after round, each case runs on
 * ThinkLite (1 and 100 groups) and on etcd back to back, in an order that turns each round. On a
 * shared machine whose speed drifts over minutes, measuring one system after the other would
 * compare different machines; alternating, and taking for each figure the round whose ratio is the
 * median, does not.
 */
export async function runRaftBench(args: string[]): Promise<void> {
  const seconds = parseSeconds(args, 10);
  const onlyAt = args.indexOf('--only');
  const only = onlyAt >= 0 ? args[onlyAt + 1] : undefined; // e.g. c256-g1: one ThinkLite case, no etcd
  const rounds = intOption(args, 'rounds', only ? 1 : 5);
  // Unmeasured load per case and system before the first round: ThinkLite's code is compiled by
  // V8's JIT as it runs and its heap grows to the load (the first seconds of a cold node ran at
  // 55–60% of its steady rate); etcd, compiled ahead of time, loses nothing by it.
  const warmup = intOption(args, 'warmup', 5);
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tl-bench-raft-'));
  const results: BenchResult[] = [];
  const concurrencies = [16, 256].filter((c) => !only || only.startsWith(`c${c}-`));
  const measured = new Map<string, LoadResult[]>();
  const all: Proc[] = [];
  const clients: GrpcUnaryClient[] = [];
  const cleanup = async () => {
    for (const c of clients) c.close();
    await stopAll(all);
  };
  process.once('SIGINT', () => void cleanup().then(() => process.exit(130)));
  try {
    // The nodes run the built packages (from the sources, tsx's transform adds a function-naming
    // call to every closure the hot path creates).
    if (process.env.THINKLITE_BENCH_ALLOC_PROFILE)
      fs.mkdirSync(process.env.THINKLITE_BENCH_ALLOC_PROFILE, { recursive: true });
    progress('building (npm run build: protobuf code and tsc -b)…');
    execFileSync('npm', ['run', '--silent', 'build'], {
      cwd: path.resolve(import.meta.dirname, '../..'),
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const targets: Target[] = [];
    for (const groups of [1, 100].filter((g) => !only || only.endsWith(`-g${g}`))) {
      progress(`starting 3 ThinkLite nodes with ${groups} Raft group(s) each (${root})`);
      const { procs, clientAddr } = await thinkliteCluster(root, groups, all);
      const client = new GrpcUnaryClient(clientAddr);
      clients.push(client);
      targets.push({
        label: `thinklite g${groups}`,
        procs,
        call: async (w, n) => {
          const rangeId = ((w * 7919 + n) % groups) + 1;
          await client.call(PROPOSE, thinklite.replication.v1.ProposeRequest.encode({ rangeId, data: VALUE }).finish());
        },
      });
    }
    if (!only) {
      progress('starting a 3-member etcd cluster');
      const { procs, clientAddr } = await etcdCluster(root, all);
      const client = new GrpcUnaryClient(clientAddr);
      clients.push(client);
      targets.push({
        label: 'etcd',
        procs,
        call: async (w, n) => {
          await client.call(ETCD_PUT, etcdPut(Buffer.from(`bench/${w}/${n % 1000}`), VALUE));
        },
      });
    }
    if (warmup > 0) {
      for (const c of concurrencies) {
        for (const t of targets) {
          const r = await runLoad(warmup, c, t.call, t.procs);
          progress(
            `warm-up (not measured), ${t.label} c${c}: ${Math.round(r.opsPerSec)} commits/s, ${r.errors} errors`,
          );
        }
      }
    }
    for (let round = 0; round < rounds; round++) {
      for (const c of concurrencies) {
        for (let k = 0; k < targets.length; k++) {
          const t = targets[(k + round) % targets.length] as Target;
          const r = await runLoad(seconds, c, t.call, t.procs);
          const key = `${t.label} c${c}`;
          measured.set(key, [...(measured.get(key) ?? []), r]);
          progress(
            `round ${round + 1}/${rounds}, ${t.label} c${c}: ${Math.round(r.opsPerSec)} commits/s, p50 ${r.p50Ms.toFixed(1)} ms, p99 ${r.p99Ms.toFixed(1)} ms, ${r.errors} errors; ${cpuText(r)}`,
          );
        }
      }
    }
    if (only) {
      progress(`--only ${only}: done (no etcd run, no table)`);
      return;
    }
    for (const groups of [1, 100]) {
      for (const c of concurrencies) {
        const t = measured.get(`thinklite g${groups} c${c}`) ?? [];
        const e = measured.get(`etcd c${c}`) ?? [];
        for (const [suffix, unit, figure] of [
          ['', 'ops/s', (r: LoadResult) => r.opsPerSec],
          ['-p50', 'ms', (r: LoadResult) => r.p50Ms],
          ['-p99', 'ms', (r: LoadResult) => r.p99Ms],
        ] as const) {
          results.push({
            name: `replicated-write-c${c}-g${groups}${suffix}`,
            unit,
            ...pairedMedian(unit, t.map(figure), e.map(figure)),
            reference: 'etcd',
          });
        }
      }
    }
    const errors = [...measured.values()].flat().reduce((n, r) => n + r.errors, 0);
    report('raft', results, {
      notes: [
        `${rounds} round(s) of ${seconds} s per case, after ${warmup} s of unmeasured load per case and system; within a round the systems ran back to back, in an order that turned each round. Each row is the round whose ratio is the median for that figure (every round is in the JSON). Failed proposals in all: ${errors}.`,
      ],
      json: {
        rounds: Object.fromEntries(
          [...measured].map(([k, rs]) => [
            k,
            rs.map((r) => ({ opsPerSec: Math.round(r.opsPerSec), p50Ms: r.p50Ms, p99Ms: r.p99Ms, errors: r.errors })),
          ]),
        ),
      },
    });
  } catch (e) {
    progress(`failed; node and etcd logs are kept in ${root}`);
    throw e;
  } finally {
    await cleanup();
  }
  if (!process.env.THINKLITE_BENCH_KEEP) fs.rmSync(root, { recursive: true, force: true });
}
