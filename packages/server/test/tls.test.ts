import { execFile, execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import type * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tls from 'node:tls';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgServer } from '../src/index.js';
import { startServer, type TestServer } from './harness.js';
import { pg, sendCancel } from './pg-client.js';
import { errorFields, int32, RawClient, startupMessage } from './raw-client.js';

/**
 * TLS on the PostgreSQL protocol: SSLRequest answered 'S' and the startup continuing inside TLS,
 * with psql 15 (libpq) and the `pg` driver, certificate verification, TLS required (hostssl-like),
 * and broken handshakes that must not disturb anyone else.
 */

let dir: string;
let cert: string;
let key: string;
/** A second self-signed certificate, trusted by nobody here, and its key. */
let otherCert: string;
let otherKey: string;
let t: TestServer;

function selfSigned(name: string): { cert: string; key: string; certFile: string } {
  const certFile = path.join(dir, `${name}.crt`);
  const keyFile = path.join(dir, `${name}.key`);
  execFileSync(
    '/usr/bin/openssl',
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-days', '1'].concat([
      '-keyout',
      keyFile,
      '-out',
      certFile,
    ]),
    { stdio: 'ignore' },
  );
  return { cert: fs.readFileSync(certFile, 'utf8'), key: fs.readFileSync(keyFile, 'utf8'), certFile };
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'thinklite-tls-'));
  ({ cert, key } = selfSigned('server'));
  ({ cert: otherCert, key: otherKey } = selfSigned('other'));
  t = await startServer({ auth: 'scram-sha-256', users: { thinklite: 'tls-pass' }, tls: { cert, key } });
});
afterAll(async () => {
  await t?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

function psql(
  port: number,
  conn: string,
  commands: string[],
  password = 'tls-pass',
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      '/usr/bin/psql',
      ['-X', '-A', '-t', `host=127.0.0.1 port=${port} user=thinklite dbname=thinklite ${conn}`].concat(
        commands.flatMap((c) => ['-c', c]),
      ),
      { env: { ...process.env, PGPASSWORD: password, PGCONNECT_TIMEOUT: '10' } },
      (err, stdout, stderr) => {
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
      },
    );
  });
}

async function client(port: number, config: pg.ClientConfig): Promise<pg.Client> {
  const c = new pg.Client({ host: '127.0.0.1', port, user: 'thinklite', database: 'thinklite', ...config });
  c.on('error', () => undefined);
  await c.connect();
  return c;
}

async function connectError(port: number, config: pg.ClientConfig): Promise<{ code?: string; message: string }> {
  try {
    const c = await client(port, config);
    await c.end();
  } catch (e) {
    return e as { code?: string; message: string };
  }
  throw new Error('expected the connection to fail');
}

/** The stream under a pg client: a TLSSocket once it has upgraded. */
function encrypted(c: pg.Client): boolean {
  const stream = (c as unknown as { connection: { stream: net.Socket } }).connection.stream;
  return stream instanceof tls.TLSSocket && stream.encrypted === true;
}

/** A plain client still works (after every broken-handshake case). */
async function healthy(port = t.port): Promise<void> {
  const c = await client(port, { password: 'tls-pass', ssl: { rejectUnauthorized: false } });
  expect((await c.query('SELECT 1 AS ok')).rows).toEqual([{ ok: 1 }]);
  await c.end();
}

describe('TLS with psql 15', () => {
  it('connects with sslmode=require: SELECT 1 works and \\conninfo reports the SSL connection', async () => {
    const r = await psql(t.port, 'sslmode=require', ['SELECT 1', '\\conninfo']);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toMatch(/^1\n/);
    expect(r.stdout).toMatch(/SSL connection \(protocol: TLSv1\.[23], cipher: [A-Z0-9_-]+/);
  });

  it('verifies the certificate with sslmode=verify-full against CN=localhost', async () => {
    const certFile = path.join(dir, 'server.crt');
    const ok = await psql(t.port, `host=localhost hostaddr=127.0.0.1 sslmode=verify-full sslrootcert=${certFile}`, [
      'SELECT 2',
    ]);
    expect(ok).toMatchObject({ code: 0, stdout: '2\n' });
    const otherFile = path.join(dir, 'other.crt');
    const bad = await psql(t.port, `host=localhost hostaddr=127.0.0.1 sslmode=verify-full sslrootcert=${otherFile}`, [
      'SELECT 2',
    ]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/certificate verify failed/);
    await healthy();
  });

  it('still connects in plain text with sslmode=disable when TLS is not required', async () => {
    const r = await psql(t.port, 'sslmode=disable', ['SELECT 3', '\\conninfo']);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toMatch(/^3\n/);
    expect(r.stdout).not.toContain('SSL connection');
  });
});

describe('TLS with the pg driver', () => {
  it('connects with ssl: { rejectUnauthorized: false }', async () => {
    const c = await client(t.port, { password: 'tls-pass', ssl: { rejectUnauthorized: false } });
    expect(encrypted(c)).toBe(true);
    expect((await c.query('SELECT $1::int + 1 AS n', [41])).rows).toEqual([{ n: 42 }]);
    await c.end();
  });

  it('verifies the server against its CA and host name (verify-full), and refuses another CA', async () => {
    const c = await client(t.port, { password: 'tls-pass', ssl: { ca: cert, servername: 'localhost' } });
    expect(encrypted(c)).toBe(true);
    expect((await c.query('SELECT 1 AS ok')).rows).toEqual([{ ok: 1 }]);
    await c.end();
    const wrongName = await connectError(t.port, { password: 'tls-pass', ssl: { ca: cert, servername: 'db.example' } });
    expect(wrongName.message).toMatch(/does not match|altnames/i);
    const wrongCa = await connectError(t.port, {
      password: 'tls-pass',
      ssl: { ca: otherCert, servername: 'localhost' },
    });
    expect(wrongCa.message).toMatch(/self[- ]signed|unable to verify/i);
    await healthy();
  });

  it('runs plain-text clients alongside when TLS is not required', async () => {
    const c = await client(t.port, { password: 'tls-pass' });
    expect(encrypted(c)).toBe(false);
    expect((await c.query('SELECT 1 AS ok')).rows).toEqual([{ ok: 1 }]);
    await c.end();
  });

  it('refuses a wrong password over TLS with 28P01', async () => {
    const e = await connectError(t.port, { password: 'nope', ssl: { rejectUnauthorized: false } });
    expect(e).toMatchObject({ code: '28P01' });
  });
});

describe('TLS with the postgres driver', () => {
  it('connects with ssl, prepares and runs statements over it, and verifies the CA', async () => {
    for (const ssl of [{ rejectUnauthorized: false }, { ca: cert, servername: 'localhost' }]) {
      const sql = postgres({
        host: '127.0.0.1',
        port: t.port,
        user: 'thinklite',
        password: 'tls-pass',
        database: 'thinklite',
        ssl,
        max: 1,
        onnotice: () => undefined,
      });
      expect(await sql`SELECT ${20}::int + 22 AS n`).toEqual([{ n: 42 }]);
      await sql.end();
    }
  });
});

describe('broken TLS', () => {
  it('closes only the connection that sends garbage after S', async () => {
    const other = await client(t.port, { password: 'tls-pass', ssl: { rejectUnauthorized: false } });
    const c = await RawClient.connect(t.port);
    c.send(int32(8, 80877103));
    expect((await c.readBytes(1)).toString()).toBe('S');
    c.send(Buffer.from('this is not a TLS ClientHello\r\n'.repeat(20)));
    await c.waitClosed();
    // A ClientHello cut short, then a disconnect.
    const cut = await RawClient.connect(t.port);
    cut.send(int32(8, 80877103));
    await cut.readBytes(1);
    cut.send(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01]));
    cut.end();
    expect((await other.query('SELECT 1 AS ok')).rows).toEqual([{ ok: 1 }]);
    await other.end();
    await healthy();
    const metrics = await t.registry.metrics();
    expect(metrics).toMatch(/thinklite_pgwire_connections_rejected_total\{reason="tls"\} [1-9]/);
  });

  it('refuses plain-text bytes sent after SSLRequest before the handshake (08P01)', async () => {
    const c = await RawClient.connect(t.port);
    c.send(int32(8, 80877103), startupMessage({ user: 'thinklite', database: 'thinklite' }));
    const msgs = await c.readUntil('E');
    const e = msgs.at(-1);
    expect(e?.type).toBe('E');
    expect(errorFields((e as { body: Buffer }).body)).toMatchObject({
      S: 'FATAL',
      C: '08P01',
      M: 'received unencrypted data after SSL request',
    });
    await c.waitClosed();
    await healthy();
  });

  it('refuses a second SSLRequest inside TLS', async () => {
    const raw = await RawClient.connect(t.port);
    raw.send(int32(8, 80877103));
    expect((await raw.readBytes(1)).toString()).toBe('S');
    raw.socket.removeAllListeners('data');
    const secure = tls.connect({ socket: raw.socket, rejectUnauthorized: false });
    await new Promise<void>((resolve, reject) => {
      secure.once('secureConnect', () => resolve());
      secure.once('error', reject);
    });
    const received: Buffer[] = [];
    secure.on('data', (d: Buffer) => received.push(d));
    secure.write(int32(8, 80877103));
    await new Promise<void>((resolve) => secure.once('close', () => resolve()));
    const reply = Buffer.concat(received);
    expect(reply[0]).toBe('E'.charCodeAt(0));
    expect(errorFields(reply.subarray(5))).toMatchObject({ S: 'FATAL', C: '08P01' });
  });
});

describe('TLS required', () => {
  let req: TestServer;
  beforeAll(async () => {
    req = await startServer({ tls: { cert, key, required: true } });
  });
  afterAll(async () => {
    await req?.stop();
  });

  it('refuses a plain-text client with FATAL 28000, as a pg_hba.conf with only hostssl lines', async () => {
    const e = await connectError(req.port, {});
    expect(e).toMatchObject({
      code: '28000',
      message: 'no pg_hba.conf entry for host "127.0.0.1", user "thinklite", database "thinklite", no encryption',
    });
    const r = await psql(req.port, 'sslmode=disable', ['SELECT 1']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      'no pg_hba.conf entry for host "127.0.0.1", user "thinklite", database "thinklite", no encryption',
    );
    const metrics = await req.registry.metrics();
    expect(metrics).toMatch(/thinklite_pgwire_connections_rejected_total\{reason="tls"\} 2/);
  });

  it('admits TLS clients (psql sslmode=prefer, the default, and pg)', async () => {
    const r = await psql(req.port, '', ['SELECT 1', '\\conninfo']);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toContain('SSL connection');
    const c = await client(req.port, { ssl: { ca: cert, servername: 'localhost' } });
    expect((await c.query('SELECT 1 AS ok')).rows).toEqual([{ ok: 1 }]);
    await c.end();
  });

  it('accepts a plain-text CancelRequest for a TLS connection', async () => {
    const c = await client(req.port, { ssl: { rejectUnauthorized: false } });
    const { processID, secretKey } = c as unknown as { processID: number; secretKey: number };
    let settled = false;
    const running = c.query('SELECT count(*) FROM generate_series(1, 2000000000) AS g').then(
      () => 'completed',
      (e: { code: string }) => e.code,
    );
    void running.finally(() => {
      settled = true;
    });
    // A cancel that arrives before the statement starts is dropped (as in PostgreSQL): retry.
    while (!settled) {
      await sendCancel(req.port, processID, secretKey); // in plain text, as libpq sends it
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(await running).toBe('57014');
    expect((await c.query('SELECT 1 AS ok')).rows).toEqual([{ ok: 1 }]);
    await c.end();
  });
});

describe('TLS lifecycle', () => {
  it('drops a client that stalls in the handshake after the authentication timeout', async () => {
    const own = await startServer({ tls: { cert, key }, authenticationTimeoutMs: 200 });
    try {
      const c = await RawClient.connect(own.port);
      c.send(int32(8, 80877103));
      expect((await c.readBytes(1)).toString()).toBe('S');
      // No ClientHello: the server closes the connection once the timeout passes.
      await c.waitClosed();
      const ok = await client(own.port, { ssl: { rejectUnauthorized: false } });
      expect((await ok.query('SELECT 1 AS ok')).rows).toEqual([{ ok: 1 }]);
      await ok.end();
    } finally {
      await own.stop();
    }
  });

  it('ends TLS connections with 57P01 when the server stops', async () => {
    const own = await startServer({ tls: { cert, key } });
    const c = new pg.Client({
      host: '127.0.0.1',
      port: own.port,
      user: 'thinklite',
      database: 'thinklite',
      ssl: { rejectUnauthorized: false },
    });
    const errors: { code?: string }[] = [];
    c.on('error', (e) => errors.push(e as { code?: string }));
    await c.connect();
    await c.query('BEGIN');
    await own.stop();
    while (errors.length === 0) await new Promise((r) => setTimeout(r, 10));
    expect(errors[0]).toMatchObject({ code: '57P01' });
    await c.end().catch(() => undefined);
  });

  it('refuses a certificate or key that cannot be used when the server is made', () => {
    // The check comes before the engine is touched.
    const engine = {} as ConstructorParameters<typeof PgServer>[0];
    expect(() => new PgServer(engine, { tls: { cert: 'not a certificate', key } })).toThrow(
      /the TLS certificate or key cannot be used/,
    );
    expect(() => new PgServer(engine, { tls: { cert, key: otherKey } })).toThrow(
      /the TLS certificate or key cannot be used/,
    );
  });
});
