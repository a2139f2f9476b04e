import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { ConfigError, resolveStartConfig } from '../src/config.js';

/** `thinklite start` with TLS: --tls-cert, --tls-key, --tls-required and their env/file forms. */

const MAIN = path.join(import.meta.dirname, '../src/main.ts');
const REPO = path.join(import.meta.dirname, '../../..');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tl-start-tls-'));
const certFile = path.join(dir, 'server.crt');
const keyFile = path.join(dir, 'server.key');
execFileSync(
  '/usr/bin/openssl',
  [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-subj',
    '/CN=localhost',
    '-days',
    '1',
    '-keyout',
    keyFile,
    '-out',
    certFile,
  ],
  { stdio: 'ignore' },
);
const started = new Set<ChildProcess>();
afterEach(() => {
  for (const c of started) if (c.exitCode === null && c.signalCode === null && c.pid) process.kill(c.pid, 'SIGKILL');
  started.clear();
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('start configuration: TLS', () => {
  const files: Record<string, string> = { '/tls/c.pem': 'CERT', '/tls/k.pem': 'KEY' };
  const readFile = (f: string) => {
    const t = files[f];
    if (t === undefined) throw Object.assign(new Error(`ENOENT: ${f}`), { code: 'ENOENT' });
    return t;
  };
  const resolve = (argv: string[], env: Record<string, string> = {}) => {
    const r = resolveStartConfig({ argv, env, readFile, hostname: 'h' });
    if (r.help) throw new Error('help');
    return r.config;
  };
  const bad = (argv: string[], env: Record<string, string> = {}) => {
    try {
      resolve(argv, env);
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      return (e as Error).message;
    }
    throw new Error('no error');
  };

  it('is off by default, and reads the certificate and key from flags, the environment or the file', () => {
    expect(resolve([]).tls).toBeUndefined();
    expect(resolve(['--tls-cert', '/tls/c.pem', '--tls-key', '/tls/k.pem']).tls).toEqual({
      cert: 'CERT',
      key: 'KEY',
      certFile: '/tls/c.pem',
      keyFile: '/tls/k.pem',
      required: false,
    });
    expect(
      resolve([], { THINKLITE_TLS_CERT: '/tls/c.pem', THINKLITE_TLS_KEY: '/tls/k.pem', THINKLITE_TLS_REQUIRED: 'true' })
        .tls,
    ).toMatchObject({ cert: 'CERT', required: true });
    files['/tls/config.json'] = JSON.stringify({ tlsCert: 'c.pem', tlsKey: 'k.pem', tlsRequired: true });
    expect(resolve(['--config', '/tls/config.json']).tls).toMatchObject({ certFile: '/tls/c.pem', required: true });
    expect(resolve(['--config', '/tls/config.json'], { THINKLITE_TLS_REQUIRED: 'off' }).tls?.required).toBe(false);
    expect(resolve(['--tls-cert', '/tls/c.pem', '--tls-key', '/tls/k.pem', '--tls-required']).tls?.required).toBe(true);
  });

  it('reports a missing half, an unreadable file and a bad boolean', () => {
    expect(bad(['--tls-cert', '/tls/c.pem'])).toBe('--tls-cert: a TLS certificate needs --tls-key too');
    expect(bad([], { THINKLITE_TLS_KEY: '/tls/k.pem' })).toBe('THINKLITE_TLS_KEY: a TLS key needs --tls-cert too');
    expect(bad(['--tls-required'])).toBe('--tls-required: TLS cannot be required without --tls-cert and --tls-key');
    expect(bad(['--tls-cert', '/nope.pem', '--tls-key', '/tls/k.pem'])).toBe(
      '--tls-cert: cannot read TLS certificate file /nope.pem (ENOENT)',
    );
    expect(bad(['--tls-cert', '/tls/c.pem', '--tls-key', '/tls/k.pem'], { THINKLITE_TLS_REQUIRED: 'maybe' })).toBe(
      'THINKLITE_TLS_REQUIRED: expected true or false',
    );
  });
});

function psql(port: number, sslmode: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      '/usr/bin/psql',
      ['-X', '-A', '-t', `host=127.0.0.1 port=${port} user=thinklite dbname=thinklite sslmode=${sslmode}`].concat([
        '-c',
        'SELECT 1',
        '-c',
        '\\conninfo',
      ]),
      { env: { ...process.env, PGCONNECT_TIMEOUT: '10' } },
      (err, stdout, stderr) => resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe('thinklite start --tls-cert --tls-key --tls-required', () => {
  it('serves TLS only, and says so', async () => {
    const env: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('THINKLITE_')) env[k] = v;
    const args = [
      'start',
      '--store',
      path.join(dir, 'store'),
      '--sql-addr',
      '127.0.0.1:0',
      '--http-addr',
      '127.0.0.1:0',
      '--grpc-addr',
      '127.0.0.1:0',
    ];
    const child = spawn(
      process.execPath,
      [
        '--conditions=source',
        '--import',
        'tsx',
        MAIN,
        ...args,
        '--tls-cert',
        certFile,
        '--tls-key',
        keyFile,
        '--tls-required',
      ],
      { cwd: REPO, env: { ...env, HOME: dir }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    started.add(child);
    let stdout = '';
    let stderr = '';
    child.stderr?.on('data', (d) => {
      stderr += d;
    });
    const exited = new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? -1)));
    const listening = await new Promise<Record<string, unknown>>((resolve, reject) => {
      child.stdout?.on('data', (d) => {
        stdout += d;
        for (const line of stdout.split('\n')) {
          if (!line.startsWith('{')) continue;
          const rec = JSON.parse(line) as Record<string, unknown>;
          if (rec.msg === 'listening' && typeof rec.sqlAddr === 'string') resolve(rec);
        }
      });
      void exited.then((code) => reject(new Error(`exited ${code}:\n${stderr}\n${stdout}`)));
    });
    expect(listening.tls).toBe('required');
    const port = Number(/:(\d+)$/.exec(String(listening.sqlAddr))?.[1]);
    expect(stderr).toContain(`/thinklite?sslmode=require"`);
    // The key never appears in the logs.
    expect(stdout).not.toContain('PRIVATE KEY');

    const secure = await psql(port, 'require');
    expect(secure).toMatchObject({ code: 0, stderr: '' });
    expect(secure.stdout).toMatch(/^1\nYou are connected .*\nSSL connection \(protocol: TLSv1\.[23]/);
    const plain = await psql(port, 'disable');
    expect(plain.code).toBe(2);
    expect(plain.stderr).toContain(
      'no pg_hba.conf entry for host "127.0.0.1", user "thinklite", database "thinklite", no encryption',
    );
    process.kill(child.pid as number, 'SIGTERM');
    expect(await exited).toBe(0);
  });
});
