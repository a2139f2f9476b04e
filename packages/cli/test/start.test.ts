import { type ChildProcess, execFile, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { ConfigError, parseHostPort, resolveStartConfig } from '../src/config.js';

/**
 * `thinklite start` as an operator runs it: real processes on 127.0.0.1 with port 0, their bound
 * addresses read from the JSON "listening" log line, HTTP with fetch, SQL with the real psql,
 * SIGTERM, a restart on the same store, a second node on a locked store, bad configuration.
 */
const MAIN = path.join(import.meta.dirname, '../src/main.ts');
const REPO = path.join(import.meta.dirname, '../../..');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tl-start-'));
const started = new Set<ChildProcess>();
afterEach(() => {
  // Stop by PID whatever a failed test left running.
  for (const c of started) if (c.exitCode === null && c.signalCode === null && c.pid) process.kill(c.pid, 'SIGKILL');
  started.clear();
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Environment without the caller's THINKLITE_* settings, so only what a test sets applies. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('THINKLITE_')) env[k] = v;
  return { ...env, HOME: dir, ...extra };
}

interface Node {
  readonly child: ChildProcess;
  readonly sqlPort: number;
  readonly httpPort: number;
  readonly listening: Record<string, unknown>;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code. */
  readonly exited: Promise<number>;
}

interface Exit {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function spawnStart(args: string[], env: NodeJS.ProcessEnv) {
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', MAIN, 'start', ...args], {
    cwd: REPO,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  started.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d) => {
    stdout += d;
  });
  child.stderr?.on('data', (d) => {
    stderr += d;
  });
  const exited = new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? -1)));
  return { child, exited, out: () => stdout, err: () => stderr };
}

/** Starts a node and waits for its "listening" line; fails with its output if it exits first. */
async function startNode(args: string[], env = cleanEnv()): Promise<Node> {
  const p = spawnStart(args, env);
  const listening = await new Promise<Record<string, unknown>>((resolve, reject) => {
    const check = () => {
      for (const line of p.out().split('\n')) {
        if (!line.startsWith('{')) continue;
        const rec = JSON.parse(line) as Record<string, unknown>;
        if (rec.msg === 'listening' && typeof rec.sqlAddr === 'string') {
          p.child.stdout?.off('data', check);
          resolve(rec);
          return;
        }
      }
    };
    p.child.stdout?.on('data', check);
    void p.exited.then((code) => reject(new Error(`exited ${code} before listening:\n${p.err()}\n${p.out()}`)));
  });
  const port = (a: unknown) => Number(/:(\d+)$/.exec(String(a))?.[1]);
  return {
    child: p.child,
    sqlPort: port(listening.sqlAddr),
    httpPort: port(listening.httpAddr),
    listening,
    stdout: p.out,
    stderr: p.err,
    exited: p.exited,
  };
}

/** Runs `thinklite start` expecting it to exit on its own. */
async function runStart(args: string[], env = cleanEnv()): Promise<Exit> {
  const p = spawnStart(args, env);
  const code = await p.exited;
  return { code, stdout: p.out(), stderr: p.err() };
}

async function stop(node: Node): Promise<number> {
  process.kill(node.child.pid as number, 'SIGTERM');
  return node.exited;
}

function psql(port: number, sql: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      '/usr/bin/psql',
      ['-X', '-A', '-t', '-h', '127.0.0.1', '-p', String(port), '-U', 'thinklite', '-d', 'thinklite', '-c', sql],
      { env: { ...process.env, PGCONNECT_TIMEOUT: '10' } },
      (err, stdout, stderr) => resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

const PORT0 = ['--sql-addr', '127.0.0.1:0', '--http-addr', '127.0.0.1:0', '--grpc-addr', '127.0.0.1:0'];

/** The pids of the SQL gateway processes a node logged as listening. */
function gatewayPids(node: Node): number[] {
  return node
    .stdout()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as { msg?: string; pid?: number; gateway?: number })
    .filter((r) => r.msg === 'gateway listening' && typeof r.pid === 'number')
    .map((r) => r.pid as number);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('thinklite start', () => {
  it('with --gateways serves SQL from a gateway process, and never leaves one behind: on SIGTERM, nor when the node is killed', async () => {
    const store = path.join(dir, 'gateway-store');
    let node = await startNode(['--store', store, ...PORT0, '--gateways', '1']);
    expect(node.listening.gateways).toBe(1);
    let [gateway] = gatewayPids(node);
    expect(gateway).toBeGreaterThan(0);
    expect((await psql(node.sqlPort, 'CREATE TABLE g (id int PRIMARY KEY)')).code).toBe(0);
    expect((await psql(node.sqlPort, 'INSERT INTO g VALUES (1)')).stdout).toBe('INSERT 0 1\n');
    expect(await stop(node)).toBe(0);
    expect(alive(gateway as number)).toBe(false);

    node = await startNode(['--store', store, ...PORT0, '--gateways', '1']);
    [gateway] = gatewayPids(node);
    expect((await psql(node.sqlPort, 'SELECT id FROM g')).stdout).toBe('1\n');
    process.kill(node.child.pid as number, 'SIGKILL');
    await node.exited;
    // The gateway sees its channel to the node close, and exits.
    while (alive(gateway as number)) await new Promise((r) => setTimeout(r, 20));
    // The store opens again (no process holds it).
    node = await startNode(['--store', store, ...PORT0]);
    expect((await psql(node.sqlPort, 'SELECT count(*) FROM g')).stdout).toBe('1\n');
    expect(await stop(node)).toBe(0);
  });

  it('serves HTTP and psql, stops on SIGTERM with exit 0, and keeps the data for a restart', async () => {
    const store = path.join(dir, 'main-store');
    const node = await startNode(['--store', store, ...PORT0]);
    expect(node.sqlPort).toBeGreaterThan(0);
    expect(node.listening.nodeId).toBeTypeOf('string');
    expect(node.stderr()).toContain(`psql "postgres://thinklite@127.0.0.1:${node.sqlPort}/thinklite"`);
    expect(node.stderr()).toContain(`thinklite sql --url postgres://thinklite@127.0.0.1:${node.sqlPort}/thinklite`);

    const health = await fetch(`http://127.0.0.1:${node.httpPort}/health`);
    expect([health.status, await health.json()]).toEqual([200, { status: 'ok' }]);
    const ready = await fetch(`http://127.0.0.1:${node.httpPort}/ready`);
    expect([ready.status, await ready.json()]).toEqual([200, { status: 'ready' }]);
    const metrics = await (await fetch(`http://127.0.0.1:${node.httpPort}/metrics`)).text();
    expect(metrics).toMatch(/^thinklite_pgwire_connections \d+$/m);
    expect(metrics).toMatch(/^process_cpu_user_seconds_total [\d.e+-]+$/m);

    const ddl = await psql(node.sqlPort, 'CREATE TABLE notes (id int PRIMARY KEY, body text)');
    expect(ddl).toEqual({ code: 0, stdout: 'CREATE TABLE\n', stderr: '' });
    const ins = await psql(node.sqlPort, "INSERT INTO notes VALUES (1, 'kept'), (2, 'also kept')");
    expect(ins.stdout).toBe('INSERT 0 2\n');
    const sel = await psql(node.sqlPort, 'SELECT id, body FROM notes ORDER BY id');
    expect(sel.stdout).toBe('1|kept\n2|also kept\n');
    // SQL over HTTP on the same node and data.
    const overHttp = await fetch(`http://127.0.0.1:${node.httpPort}/v1/sql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ sql: 'SELECT body FROM notes WHERE id = $1', params: [2] }),
    });
    expect([overHttp.status, ((await overHttp.json()) as { rows: unknown }).rows]).toEqual([200, [['also kept']]]);

    // gRPC is served: the "listening" line has its bound port, and it accepts connections.
    const grpcPort = Number(/:(\d+)$/.exec(String(node.listening.grpcAddr))?.[1]);
    expect(grpcPort).toBeGreaterThan(0);
    expect(node.stderr()).toContain(`gRPC (SQL) on 127.0.0.1:${grpcPort}`);
    await new Promise<void>((resolve, reject) => {
      const sock = net.connect(grpcPort, '127.0.0.1', () => {
        sock.destroy();
        resolve();
      });
      sock.on('error', reject);
    });

    expect(await stop(node)).toBe(0);
    expect(node.stderr()).toContain('thinklite: stopped');

    const again = await startNode(['--store', store, ...PORT0]);
    const after = await psql(again.sqlPort, 'SELECT body FROM notes ORDER BY id');
    expect(after).toEqual({ code: 0, stdout: 'kept\nalso kept\n', stderr: '' });
    expect(await stop(again)).toBe(0);
  });

  it('refuses a store that another node holds: one clear line, exit 2', async () => {
    const store = path.join(dir, 'locked-store');
    const first = await startNode(['--store', store, ...PORT0]);
    const second = await runStart(['--store', store, ...PORT0]);
    expect(second.code).toBe(2);
    const lines = second.stderr.trim().split('\n');
    expect(lines.at(-1)).toMatch(
      new RegExp(`^thinklite start: store .*locked-store is already open in process ${first.child.pid}`),
    );
    expect(second.stderr).not.toMatch(/\n\s+at /);
    // The first node is unharmed.
    expect((await psql(first.sqlPort, 'SELECT 1')).stdout).toBe('1\n');
    expect(await stop(first)).toBe(0);
  });

  it('rejects a bad address with exactly one line on stderr and exit 2', async () => {
    const r = await runStart(['--store', path.join(dir, 'never'), '--sql-addr', 'nonsense']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      'thinklite start: --sql-addr: "nonsense" is not an address of the form HOST:PORT (port 0-65535)\n',
    );
    expect(fs.existsSync(path.join(dir, 'never'))).toBe(false);
  });

  it('rejects an unknown auth mode, an unreadable config file and a port in use with exit 2', async () => {
    const auth = await runStart(['--auth', 'md5'], cleanEnv());
    expect([auth.code, auth.stderr]).toEqual([
      2,
      'thinklite start: --auth: unknown auth mode "md5" (expected trust or scram-sha-256)\n',
    ]);
    const missing = path.join(dir, 'missing.json');
    const cfg = await runStart(['--config', missing]);
    expect([cfg.code, cfg.stderr]).toEqual([2, `thinklite start: config file ${missing}: cannot read it (ENOENT)\n`]);

    const holder = await startNode(['--store', path.join(dir, 'port-holder'), ...PORT0]);
    const clash = await runStart([
      '--store',
      path.join(dir, 'port-clash'),
      '--sql-addr',
      `127.0.0.1:${holder.sqlPort}`,
      '--http-addr',
      '127.0.0.1:0',
      '--grpc-addr',
      '127.0.0.1:0',
    ]);
    expect(clash.code).toBe(2);
    expect(clash.stderr.trim().split('\n').at(-1)).toBe(
      `thinklite start: cannot listen on 127.0.0.1:${holder.sqlPort}: address already in use (another process listens there: pick another port)`,
    );
    expect(await stop(holder)).toBe(0);
  });

  it('takes settings from a config file, the environment and flags: flag > env > file', async () => {
    const fileStore = path.join(dir, 'from-file');
    const envStore = path.join(dir, 'from-env');
    const flagStore = path.join(dir, 'from-flag');
    const config = path.join(dir, 'node.json');
    fs.writeFileSync(
      config,
      JSON.stringify({
        store: fileStore,
        sqlAddr: '127.0.0.1:0',
        httpAddr: '127.0.0.1:0',
        grpcAddr: '127.0.0.1:0',
        nodeId: 'file-node',
      }),
    );

    // File only.
    let node = await startNode(['--config', config]);
    expect([node.listening.storeDir, node.listening.nodeId]).toEqual([fileStore, 'file-node']);
    expect(await stop(node)).toBe(0);

    // The environment beats the file (the config file itself named by THINKLITE_CONFIG).
    const env = cleanEnv({ THINKLITE_CONFIG: config, THINKLITE_STORE: envStore, THINKLITE_NODE_ID: 'env-node' });
    node = await startNode([], env);
    expect([node.listening.storeDir, node.listening.nodeId]).toEqual([envStore, 'env-node']);
    expect(await stop(node)).toBe(0);

    // A flag beats both.
    node = await startNode(['--store', flagStore], env);
    expect([node.listening.storeDir, node.listening.nodeId]).toEqual([flagStore, 'env-node']);
    expect(fs.existsSync(flagStore)).toBe(true);
    expect(await stop(node)).toBe(0);
  });

  it('serves scram-sha-256 with a users file and tells the user name to connect with', async () => {
    const users = path.join(dir, 'users.json');
    fs.writeFileSync(users, JSON.stringify({ app: 's3cret' }));
    const node = await startNode(['--store', path.join(dir, 'scram'), ...PORT0, '--auth', 'scram-sha-256'], {
      ...cleanEnv(),
      THINKLITE_USERS: users,
    });
    expect(node.stderr()).toContain(`psql "postgres://app@127.0.0.1:${node.sqlPort}/thinklite"`);
    const ok = await new Promise<string>((resolve) =>
      execFile(
        '/usr/bin/psql',
        ['-X', '-A', '-t', `postgres://app@127.0.0.1:${node.sqlPort}/thinklite`, '-c', 'SELECT 42'],
        { env: { ...process.env, PGPASSWORD: 's3cret' } },
        (_e, stdout, stderr) => resolve(stdout + stderr),
      ),
    );
    expect(ok).toBe('42\n');
    const bad = await new Promise<string>((resolve) =>
      execFile(
        '/usr/bin/psql',
        ['-X', '-A', '-t', `postgres://app@127.0.0.1:${node.sqlPort}/thinklite`, '-c', 'SELECT 42'],
        { env: { ...process.env, PGPASSWORD: 'wrong' } },
        (_e, stdout, stderr) => resolve(stdout + stderr),
      ),
    );
    expect(bad).toContain('password authentication failed for user "app"');
    expect(await stop(node)).toBe(0);
  });
});

describe('start configuration', () => {
  const files: Record<string, string> = {};
  const readFile = (f: string) => {
    const t = files[f];
    if (t === undefined) throw Object.assign(new Error(`ENOENT: ${f}`), { code: 'ENOENT' });
    return t;
  };
  const resolve = (argv: string[], env: Record<string, string> = {}) => {
    const r = resolveStartConfig({ argv, env, readFile, hostname: 'host-1' });
    if (r.help) throw new Error('help');
    return r.config;
  };

  it('has defaults that do not collide with PostgreSQL', () => {
    const c = resolve([]);
    expect(c).toMatchObject({
      store: './data',
      sqlAddr: { host: '127.0.0.1', port: 26257 },
      httpAddr: { host: '127.0.0.1', port: 8080 },
      grpcAddr: { host: '127.0.0.1', port: 26258 },
      auth: 'trust',
      logLevel: 'info',
      nodeId: 'host-1',
      shutdownGraceMs: 10_000,
    });
  });

  it('takes each setting from the flag, else the environment, else the file', () => {
    files['/etc/tl.json'] = JSON.stringify({
      store: 'file-store',
      sqlAddr: '10.0.0.1:1',
      httpAddr: '10.0.0.1:2',
      logLevel: 'warn',
      shutdownGrace: 3,
    });
    const env = { THINKLITE_CONFIG: '/etc/tl.json', THINKLITE_SQL_ADDR: '10.0.0.2:11', THINKLITE_HTTP_ADDR: ':12' };
    const c = resolve(['--http-addr', '[::1]:13', '--log-level', 'debug'], env);
    expect(c.store).toBe(path.resolve('/etc', 'file-store')); // relative to the file
    expect(c.sqlAddr).toEqual({ host: '10.0.0.2', port: 11 });
    expect(c.httpAddr).toEqual({ host: '::1', port: 13 });
    expect(c.logLevel).toBe('debug');
    expect(c.shutdownGraceMs).toBe(3000);
    expect(c.configFile).toBe('/etc/tl.json');
    expect(resolve([], env).httpAddr).toEqual({ host: '127.0.0.1', port: 12 });
  });

  it('reads users from a file and requires them for scram-sha-256', () => {
    files['/u.json'] = '{"app":"pw"}';
    expect(resolve(['--auth', 'scram-sha-256', '--users', '/u.json']).users).toEqual({ app: 'pw' });
    expect(() => resolve(['--auth', 'scram-sha-256'])).toThrow(/scram-sha-256 needs users/);
    files['/bad-users.json'] = '{"app": 1}';
    expect(() => resolve(['--users', '/bad-users.json'])).toThrow(/user "app" needs a non-empty password/);
  });

  it('reports what is wrong and where it came from', () => {
    const bad = (argv: string[], env: Record<string, string> = {}) => {
      try {
        resolve(argv, env);
      } catch (e) {
        expect(e).toBeInstanceOf(ConfigError);
        return (e as Error).message;
      }
      throw new Error('no error');
    };
    expect(bad(['--sql-addr', 'localhost'])).toBe(
      '--sql-addr: "localhost" is not an address of the form HOST:PORT (port 0-65535)',
    );
    expect(bad([], { THINKLITE_HTTP_ADDR: 'h:70000' })).toMatch(/^THINKLITE_HTTP_ADDR: "h:70000" is not an address/);
    expect(bad([], { THINKLITE_AUTH: 'md5' })).toMatch(/^THINKLITE_AUTH: unknown auth mode "md5"/);
    expect(bad(['--log-level', 'loud'])).toMatch(/^--log-level: unknown log level "loud"/);
    expect(bad(['--shutdown-grace', 'soon'])).toMatch(/^--shutdown-grace: "soon" is not a duration/);
    expect(bad(['--bogus'])).toMatch(/Unknown option '--bogus'/);
    expect(bad(['--config', '/nope.json'])).toBe('config file /nope.json: cannot read it (ENOENT)');
    files['/broken.json'] = '{ store: ';
    expect(bad(['--config', '/broken.json'])).toMatch(/^config file \/broken.json: not valid JSON/);
    files['/extra.json'] = '{"sqlAdr": "x:1"}';
    expect(bad(['--config', '/extra.json'])).toMatch(/^config file \/extra.json: unknown key "sqlAdr"/);
    files['/typed.json'] = '{"store": 5}';
    expect(bad(['--config', '/typed.json'])).toBe('/typed.json: "store": expected a non-empty string');
  });

  it('takes the SQL-over-HTTP limits', () => {
    expect(resolve([]).httpSql).toEqual({ maxSessions: 100, sessionIdleTimeoutMs: 60_000, statementTimeoutMs: 0 });
    files['/http.json'] = JSON.stringify({ httpMaxSessions: 7, httpStatementTimeout: '2s' });
    const c = resolve(['--config', '/http.json', '--http-session-idle-timeout', '500ms'], {
      THINKLITE_HTTP_MAX_SESSIONS: '9',
    });
    expect(c.httpSql).toEqual({ maxSessions: 9, sessionIdleTimeoutMs: 500, statementTimeoutMs: 2000 });
    expect(() => resolve(['--http-max-sessions', 'lots'])).toThrow(
      '--http-max-sessions: "lots" is not a positive whole number',
    );
    expect(() => resolve(['--http-max-sessions', '0'])).toThrow(/is not a positive whole number/);
    expect(() => resolve(['--http-statement-timeout', 'soon'])).toThrow(/^--http-statement-timeout: "soon"/);
  });

  it('takes the number of SQL gateway processes: 0 (one process) by default, at most 127', () => {
    expect(resolve([]).gateways).toBe(0);
    expect(resolve(['--gateways', '2']).gateways).toBe(2);
    expect(resolve([], { THINKLITE_GATEWAYS: '3' }).gateways).toBe(3);
    files['/gw.json'] = JSON.stringify({ gateways: 4 });
    expect(resolve(['--config', '/gw.json']).gateways).toBe(4);
    expect(() => resolve(['--gateways', '128'])).toThrow('--gateways: "128" is not a whole number from 0 to 127');
    expect(() => resolve([], { THINKLITE_GATEWAYS: 'two' })).toThrow(
      /^THINKLITE_GATEWAYS: "two" is not a whole number/,
    );
  });

  it('parses addresses', () => {
    expect(parseHostPort('0.0.0.0:0')).toEqual({ host: '0.0.0.0', port: 0 });
    expect(parseHostPort('[::]:5432')).toEqual({ host: '::', port: 5432 });
    expect(parseHostPort('db.local:26257')).toEqual({ host: 'db.local', port: 26257 });
    expect(() => parseHostPort('::1:80')).toThrow(ConfigError);
    expect(() => parseHostPort('host:')).toThrow(ConfigError);
  });
});
