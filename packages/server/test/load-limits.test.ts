import type { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from './harness.js';
import { pg } from './pg-client.js';
import {
  cstr,
  dataRow,
  errorFields,
  int16,
  int32,
  message,
  RawClient,
  readyClient,
  startupMessage,
} from './raw-client.js';

/**
 * Load a client can put on the server: a thousand idle connections, startups that never finish,
 * floods of messages whose replies are never read, many pipelining clients. The server must stay
 * bounded (connection limit, authentication timeout, output and input buffering) and keep
 * serving everyone else.
 */

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function query(t: TestServer, text: string): Promise<unknown[]> {
  const c = await t.client();
  try {
    return (await c.query(text)).rows;
  } finally {
    await c.end();
  }
}

/** The server's side of a raw client's connection (the server keeps its accepted sockets). */
function serverSocketOf(t: TestServer, c: RawClient): Socket {
  const sockets = (t.server as unknown as { sockets: Set<Socket> }).sockets;
  for (const s of sockets) if (s.remotePort === c.socket.localPort) return s;
  throw new Error('no server socket for the client');
}

async function gauge(t: TestServer, name: string): Promise<number> {
  const text = await t.registry.getSingleMetricAsString(name);
  return Number(/ (\d+)$/m.exec(text)?.[1] ?? Number.NaN);
}

describe('a thousand idle connections', () => {
  // 1,000 client sockets and their 1,000 server sides live in this one process: ~2,000 file
  // descriptors (ulimit -n is far above that where these tests run).
  const IDLE = 1000;
  let t: TestServer;
  beforeAll(async () => {
    t = await startServer({ maxConnections: IDLE + 1 });
  });
  afterAll(async () => {
    await t.stop();
  });

  it('accepts them up to max_connections, serves a normal client meanwhile, refuses the next with 53300', async () => {
    const idle: RawClient[] = [];
    // In batches, so the listen backlog never overflows: half finish startup, half stay silent.
    for (let i = 0; i < IDLE; i += 50) {
      const batch = Array.from({ length: 50 }, (_, j) =>
        (i + j) % 2 === 0 ? readyClient(t.port) : RawClient.connect(t.port),
      );
      idle.push(...(await Promise.all(batch)));
    }
    while ((await gauge(t, 'thinklite_pgwire_connections')) < IDLE) await sleep(10);
    expect(await gauge(t, 'thinklite_pgwire_connections')).toBe(IDLE);

    // The last slot: a normal client gets it and works.
    const c = await t.client();
    await c.query('CREATE TABLE busy (k int PRIMARY KEY, v text)');
    await c.query("INSERT INTO busy SELECT g, 'v' || g FROM generate_series(1, 500) AS g");
    expect((await c.query('SELECT count(*)::int AS n FROM busy')).rows).toEqual([{ n: 500 }]);

    // One more: FATAL 53300 after its startup packet, from the raw protocol and from pg.
    const extra = await RawClient.connect(t.port);
    extra.send(startupMessage({ user: 'thinklite', database: 'thinklite' }));
    const refused = await extra.readUntil('E');
    expect(errorFields((refused.at(-1) as { body: Buffer }).body)).toMatchObject({
      S: 'FATAL',
      C: '53300',
      M: 'sorry, too many clients already',
    });
    await extra.waitClosed();
    const viaPg = new pg.Client({ host: '127.0.0.1', port: t.port, user: 'thinklite', database: 'thinklite' });
    viaPg.on('error', () => undefined);
    await expect(viaPg.connect()).rejects.toMatchObject({ code: '53300' });
    await viaPg.end().catch(() => undefined);

    // The idle ones that finished startup still answer; the limit held the count.
    const sample = idle[0] as RawClient;
    sample.send(message('Q', cstr('SELECT 7')));
    const msgs = await sample.readUntil('Z');
    expect(dataRow((msgs[1] as { body: Buffer }).body)).toEqual(['7']);
    expect(await gauge(t, 'thinklite_pgwire_connections')).toBe(IDLE + 1);

    await c.end();
    for (const x of idle) x.end();
    while ((await gauge(t, 'thinklite_pgwire_connections')) > 0) await sleep(10);
    expect(await query(t, 'SELECT count(*)::int AS n FROM busy')).toEqual([{ n: 500 }]);
  });
});

describe('authentication timeout', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startServer({ auth: 'scram-sha-256', users: { thinklite: 'pw' }, authenticationTimeoutMs: 300 });
  });
  afterAll(async () => {
    await t.stop();
  });

  it('drops connections that do not finish startup and authentication in time, silently', async () => {
    // Silent from the start.
    const silent = await RawClient.connect(t.port);
    // Half a startup packet.
    const partial = await RawClient.connect(t.port);
    partial.send(startupMessage({ user: 'thinklite', database: 'thinklite' }).subarray(0, 10));
    // A full startup, then no answer to the SASL challenge.
    const noPassword = await RawClient.connect(t.port);
    noPassword.send(startupMessage({ user: 'thinklite', database: 'thinklite' }));
    expect((await noPassword.read())?.type).toBe('R');
    // A client that logged in in time stays.
    const ok = await t.client({ password: 'pw' });

    await Promise.all([silent.waitClosed(), partial.waitClosed(), noPassword.waitClosed()]);
    // No error message: the connection just closes (PostgreSQL's authentication_timeout).
    expect(await partial.read()).toBeUndefined();
    await sleep(600);
    expect((await ok.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    await ok.end();
    expect(await gauge(t, 'thinklite_pgwire_connections')).toBeLessThanOrEqual(1);
  });
});

describe('floods', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startServer();
  });
  afterAll(async () => {
    await t.stop();
  });

  it('refuses a startup packet declaring 2 GB without reading it', async () => {
    const c = await RawClient.connect(t.port);
    c.send(int32(0x7fffffff, 196608));
    const msgs = await c.readUntil('E');
    expect(errorFields((msgs.at(-1) as { body: Buffer }).body)).toMatchObject({
      S: 'FATAL',
      C: '08P01',
      M: 'invalid length of startup packet',
    });
    await c.waitClosed();
  });

  it('bounds the output of a client that does not read its replies, stops reading it, and serves others', async () => {
    const c = await readyClient(t.port);
    // A suspended portal over 300 columns: each Describe of it answers a RowDescription of about
    // 7 KB from a 7-byte message, without running anything.
    const cols = Array.from({ length: 300 }, (_, i) => `${i} AS column_${i}`).join(', ');
    c.send(
      message('P', cstr(''), cstr(`SELECT ${cols} FROM generate_series(1, 10) AS g`), int16(0)),
      message('B', cstr(''), cstr(''), int16(0), int16(0), int16(0)),
      message('E', cstr(''), int32(1)),
      message('H'),
    );
    const head = await c.readUntil('s');
    expect(head.map((m) => m.type).join('')).toBe('12Ds');
    // Stop reading, then send 4,000 Describes (~28 MB of replies) and 2 MB of Flush messages.
    c.socket.pause();
    const DESCRIBES = 4000;
    const FLUSHES = 400_000;
    const describe = message('D', Buffer.from('P'), cstr(''));
    c.send(Buffer.concat(Array.from({ length: DESCRIBES }, () => describe)));
    c.send(Buffer.alloc(FLUSHES * 5, message('H')));
    const sent = DESCRIBES * describe.length + FLUSHES * 5;
    const server = serverSocketOf(t, c);
    const startRead = server.bytesRead;
    // The server fills the socket, stops writing, and then stops reading.
    let maxBuffered = 0;
    while (!(server.isPaused() && server.writableLength > 0)) {
      maxBuffered = Math.max(maxBuffered, server.writableLength);
      if (server.bytesRead - startRead >= sent) break;
      await sleep(5);
    }
    maxBuffered = Math.max(maxBuffered, server.writableLength);
    expect(server.isPaused()).toBe(true);
    expect(server.bytesRead - startRead).toBeLessThan(sent);
    // What waits in the server's memory is bounded: not the megabytes of replies still owed.
    expect(maxBuffered).toBeLessThan(1024 * 1024);

    // Meanwhile everyone else is served.
    expect(await query(t, 'SELECT 1 AS ok')).toEqual([{ ok: 1 }]);

    // Reading again: every reply arrives, in order.
    c.socket.resume();
    c.send(message('S'));
    let rowDescriptions = 0;
    for (;;) {
      const m = await c.read();
      if (!m || m.type === 'Z') break;
      expect(m.type).toBe('T');
      rowDescriptions++;
    }
    expect(rowDescriptions).toBe(DESCRIBES);
    c.send(message('Q', cstr('SELECT 2')));
    expect((await c.readUntil('Z')).map((m) => m.type).join('')).toBe('TDCZ');
    c.end();
  });

  it('answers 100,000 unread Syncs in order once read, serving others meanwhile', async () => {
    const c = await readyClient(t.port);
    c.socket.pause();
    const SYNCS = 100_000;
    c.send(Buffer.alloc(SYNCS * 5, message('S')));
    expect(await query(t, 'SELECT 1 AS ok')).toEqual([{ ok: 1 }]);
    const server = serverSocketOf(t, c);
    expect(server.writableLength).toBeLessThan(1024 * 1024);
    c.socket.resume();
    let n = 0;
    while (n < SYNCS) {
      const m = await c.read();
      expect(m?.type).toBe('Z');
      n++;
    }
    c.send(message('Q', cstr('SELECT 3')));
    const msgs = await c.readUntil('Z');
    expect(dataRow((msgs[1] as { body: Buffer }).body)).toEqual(['3']);
    c.end();
  });

  it('stops reading a client whose replies fill its socket between queries, and answers all once it reads', async () => {
    const c = await readyClient(t.port);
    c.socket.pause();
    const server = serverSocketOf(t, c);
    // Queries one at a time, each answered with ~50 KB (under the size that makes a statement
    // wait for the socket): the replies go out when the input runs dry, until the socket is full.
    const q = message('Q', cstr("SELECT repeat('x', 1000) FROM generate_series(1, 50)"));
    let sent = 0;
    while (!(server.isPaused() && server.writableLength > 0) && sent < 5000) {
      c.send(q);
      sent++;
      await sleep(1);
    }
    expect(server.isPaused()).toBe(true);
    expect(server.writableLength).toBeGreaterThan(0);
    // Meanwhile everyone else is served.
    expect(await query(t, 'SELECT 1 AS ok')).toEqual([{ ok: 1 }]);
    // Reading again: every reply arrives, in order, and the connection goes on.
    c.socket.resume();
    for (let i = 0; i < sent; i++) {
      const msgs = await c.readUntil('Z');
      expect(msgs.length).toBe(53); // RowDescription, 50 DataRows, CommandComplete, ReadyForQuery
    }
    c.send(message('Q', cstr('SELECT 4')));
    const msgs = await c.readUntil('Z');
    expect(dataRow((msgs[1] as { body: Buffer }).body)).toEqual(['4']);
    c.end();
  });

  it('serves many clients each pipelining many queries', async () => {
    const CLIENTS = 20;
    const QUERIES = 300;
    const clients = await Promise.all(Array.from({ length: CLIENTS }, () => readyClient(t.port)));
    await Promise.all(
      clients.map(async (c, k) => {
        const batch = Array.from({ length: QUERIES }, (_, i) => message('Q', cstr(`SELECT ${k * QUERIES + i}`)));
        c.send(Buffer.concat(batch));
        for (let i = 0; i < QUERIES; i++) {
          const msgs = await c.readUntil('Z');
          expect(msgs.map((m) => m.type).join('')).toBe('TDCZ');
          expect(dataRow((msgs[1] as { body: Buffer }).body)).toEqual([String(k * QUERIES + i)]);
        }
        c.end();
      }),
    );
    expect(await query(t, 'SELECT 1 AS ok')).toEqual([{ ok: 1 }]);
  });
});
