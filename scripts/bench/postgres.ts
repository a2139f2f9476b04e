import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { progress } from './report.js';

/**
 * A private PostgreSQL 15 for the benchmarks that compare against it (`sql`, `pgbench`): its own
 * cluster in a temp dir, started and stopped by the benchmark, never any other instance.
 */
export const PG_BIN = '/usr/lib/postgresql/15/bin';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

/** PostgreSQL 15's bin directory, installing the Debian package postgresql-15 when it is missing. */
export function postgresBin(): string {
  if (fs.existsSync(path.join(PG_BIN, 'pg_ctl'))) return PG_BIN;
  progress('PostgreSQL 15 not found: installing Debian package postgresql-15');
  execFileSync(
    'sh',
    ['-c', 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-15'],
    { stdio: 'inherit' },
  );
  if (!fs.existsSync(path.join(PG_BIN, 'pg_ctl'))) throw new Error(`postgresql-15 installed but no ${PG_BIN}/pg_ctl`);
  return PG_BIN;
}

export interface PrivatePostgresOptions {
  /** Also listen on 127.0.0.1:port (default: the unix socket in `dir` only). */
  readonly tcp?: boolean;
}

/**
 * A private PostgreSQL cluster in `dir`: its data directory, socket and log; run as `postgres`
 * under root. initdb's defaults otherwise (trust authentication, fsync=on, synchronous_commit=on,
 * read committed).
 */
export class PrivatePostgres {
  private pid: number | undefined;
  /** The postmaster's PID while it runs (its backends are its children). */
  get postmasterPid(): number | undefined {
    return this.pid;
  }
  private readonly asRoot = process.getuid?.() === 0;
  readonly dataDir: string;

  constructor(
    private readonly bin: string,
    readonly dir: string,
    readonly port: number,
    private readonly options: PrivatePostgresOptions = {},
  ) {
    this.dataDir = path.join(dir, 'data');
  }

  private run(tool: string, args: string[]): void {
    const cmd = path.join(this.bin, tool);
    // initdb and postgres refuse to run as root.
    const [file, argv] = this.asRoot ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args];
    execFileSync(file, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  }

  start(): void {
    if (this.asRoot) {
      const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
      const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
      fs.chownSync(this.dir, uid, gid);
    }
    this.run('initdb', ['-D', this.dataDir, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C']);
    const options = [
      `-p ${this.port}`,
      `-k ${this.dir}`,
      `-c listen_addresses=${this.options.tcp ? '127.0.0.1' : "''"}`,
      '-c fsync=on',
      '-c synchronous_commit=on',
    ].join(' ');
    this.run('pg_ctl', [
      '-D',
      this.dataDir,
      '-l',
      path.join(this.dir, 'postgres.log'),
      '-w',
      '-t',
      '60',
      '-o',
      options,
      'start',
    ]);
    const pidLine = fs.readFileSync(path.join(this.dataDir, 'postmaster.pid'), 'utf8').split('\n')[0];
    this.pid = Number(pidLine);
  }

  /** Stops this cluster's postmaster (the PID in its own postmaster.pid), never any other. */
  stop(): void {
    const pid = this.pid;
    if (pid === undefined) return;
    try {
      this.run('pg_ctl', ['-D', this.dataDir, '-m', 'fast', '-w', '-t', '30', 'stop']);
    } catch (e) {
      progress(`pg_ctl stop failed (${(e as Error).message.split('\n')[0]}); sending SIGQUIT to postmaster ${pid}`);
      try {
        process.kill(pid, 'SIGQUIT');
      } catch {
        // already gone
      }
    }
    this.pid = undefined;
  }
}
