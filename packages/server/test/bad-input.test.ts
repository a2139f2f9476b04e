import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from './harness.js';
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

/** Bad input over raw sockets: each gets PostgreSQL's error and never harms other connections. */

let t: TestServer;
beforeAll(async () => {
  t = await startServer({ messageBytesMax: 1024 * 1024 });
});
afterAll(async () => {
  await t.stop();
});

/** A normal client still works (after every bad-input case). */
async function healthy(): Promise<void> {
  const c = await t.client();
  expect((await c.query('SELECT 1 AS ok')).rows).toEqual([{ ok: 1 }]);
  await c.end();
}

async function fatalOf(c: RawClient): Promise<Record<string, string>> {
  const msgs = await c.readUntil('E');
  const e = msgs.at(-1);
  expect(e?.type).toBe('E');
  await c.waitClosed();
  return errorFields((e as { body: Buffer }).body);
}

describe('bad input', () => {
  it('refuses a startup packet with an impossible length', async () => {
    const c = await RawClient.connect(t.port);
    c.send(int32(3, 0));
    expect(await fatalOf(c)).toMatchObject({ S: 'FATAL', C: '08P01', M: 'invalid length of startup packet' });
    await healthy();
  });

  it('refuses an unknown protocol version with 0A000', async () => {
    const c = await RawClient.connect(t.port);
    c.send(startupMessage({ user: 'thinklite' }, 2 << 16));
    expect(await fatalOf(c)).toMatchObject({ S: 'FATAL', C: '0A000' });
    await healthy();
  });

  it('answers SSLRequest and GSSENCRequest with N and goes on in plain text', async () => {
    const c = await RawClient.connect(t.port);
    c.send(int32(8, 80877103));
    expect((await c.readBytes(1)).toString()).toBe('N');
    c.send(int32(8, 80877104));
    expect((await c.readBytes(1)).toString()).toBe('N');
    c.send(startupMessage({ user: 'thinklite', database: 'thinklite' }));
    const msgs = await c.readUntil('Z');
    expect(msgs.map((m) => m.type)).toContain('K');
    expect(msgs.at(-1)?.type).toBe('Z');
    c.end();
  });

  it('refuses a message declaring more than the size limit without reading it', async () => {
    const c = await readyClient(t.port);
    // Declares 2 GiB but sends only the header: the server must answer from the header alone.
    c.send(Buffer.from('Q'), int32(0x7ffffff0));
    expect(await fatalOf(c)).toMatchObject({ S: 'FATAL', C: '08P01', M: 'message too large' });
    await healthy();
  });

  it('refuses a message length below 4', async () => {
    const c = await readyClient(t.port);
    c.send(Buffer.from('Q'), int32(2));
    expect(await fatalOf(c)).toMatchObject({ S: 'FATAL', C: '08P01' });
    await healthy();
  });

  it('refuses an unknown message type', async () => {
    const c = await readyClient(t.port);
    c.send(message('!', Buffer.from('x')));
    expect(await fatalOf(c)).toMatchObject({ S: 'FATAL', C: '08P01', M: 'invalid frontend message type 33' });
    await healthy();
  });

  it('refuses a malformed message body (a Bind with a truncated parameter)', async () => {
    const c = await readyClient(t.port);
    c.send(message('B', cstr(''), cstr(''), int16(0), int16(1), int32(100), Buffer.from('short')));
    expect(await fatalOf(c)).toMatchObject({ S: 'FATAL', C: '08P01' });
    await healthy();
  });

  it('survives a truncated message followed by a disconnect, mid-transaction', async () => {
    const c = await readyClient(t.port);
    c.send(message('Q', cstr('CREATE TABLE trunc (k int PRIMARY KEY)')));
    await c.readUntil('Z');
    c.send(message('Q', cstr('BEGIN; INSERT INTO trunc VALUES (1)')));
    const msgs = await c.readUntil('Z');
    expect(msgs.at(-1)?.body.toString()).toBe('T');
    const q = message('Q', cstr('SELECT * FROM trunc'));
    c.send(q.subarray(0, 8));
    c.end();
    const other = await t.client();
    // The open transaction was rolled back: the row is not there and its key is free.
    expect((await other.query('SELECT count(*)::int AS n FROM trunc')).rows).toEqual([{ n: 0 }]);
    await other.query('INSERT INTO trunc VALUES (1)');
    await other.end();
  });

  it('stops the statement of a client that disconnects while rows stream', async () => {
    const c = await readyClient(t.port);
    c.send(message('Q', cstr('SELECT g, repeat($$x$$, 100) FROM generate_series(1, 5000000) AS g')));
    const first = await c.read();
    expect(first?.type).toBe('T');
    c.end();
    await healthy();
  });

  it('refuses a Bind whose parameter count claims more than the message holds', async () => {
    const c = await readyClient(t.port);
    c.send(message('P', cstr(''), cstr('SELECT 1'), int16(0)), message('B', cstr(''), cstr(''), int16(0), int16(-1)));
    const msgs = await c.readUntil('E');
    expect(msgs.map((m) => m.type).join('')).toBe('1E');
    expect(errorFields((msgs[1] as { body: Buffer }).body)).toMatchObject({ S: 'FATAL', C: '08P01' });
    await c.waitClosed();
    await healthy();
  });

  it('skips everything after an extended-protocol error until Sync', async () => {
    const c = await readyClient(t.port);
    c.send(
      message('P', cstr('s1'), cstr('SELECT 1/0'), int16(0)),
      message('B', cstr(''), cstr('s1'), int16(0), int16(0), int16(0)),
      message('E', cstr(''), int32(0)),
      // Skipped: the Execute above failed.
      message('P', cstr('s2'), cstr('SELECT 2'), int16(0)),
      message('S'),
      message('P', cstr('s2'), cstr('SELECT 2'), int16(0)),
      message('S'),
    );
    const first = await c.readUntil('Z');
    expect(first.map((m) => m.type).join('')).toBe('12EZ');
    expect(errorFields((first[2] as { body: Buffer }).body)).toMatchObject({ S: 'ERROR', C: '22012' });
    // s2 was not created by the skipped Parse, so this one succeeds.
    const second = await c.readUntil('Z');
    expect(second.map((m) => m.type).join('')).toBe('1Z');
    c.end();
  });

  it('keeps a suspended portal readable while other statements run', async () => {
    const c = await readyClient(t.port);
    c.send(message('Q', cstr('BEGIN')));
    await c.readUntil('Z');
    c.send(
      message('P', cstr('big'), cstr('SELECT g FROM generate_series(1, 2000) AS g'), int16(0)),
      message('B', cstr('p1'), cstr('big'), int16(0), int16(0), int16(0)),
      message('E', cstr('p1'), int32(3)),
      message('S'),
    );
    const part1 = await c.readUntil('Z');
    expect(part1.map((m) => m.type).join('')).toBe('12DDDsZ');
    expect(part1.filter((m) => m.type === 'D').map((m) => dataRow(m.body)[0])).toEqual(['1', '2', '3']);
    // Another statement while p1 is suspended: p1's rest is kept, then read.
    c.send(
      message('P', cstr(''), cstr('SELECT 42'), int16(0)),
      message('B', cstr(''), cstr(''), int16(0), int16(0), int16(0)),
      message('E', cstr(''), int32(0)),
      message('E', cstr('p1'), int32(2)),
      message('E', cstr('p1'), int32(0)),
      message('C', Buffer.from('P'), cstr('p1')),
      message('S'),
    );
    const part2 = await c.readUntil('Z');
    const types = part2.map((m) => m.type).join('');
    expect(types.startsWith('12DCDDs')).toBe(true);
    expect(types.endsWith('C3Z')).toBe(true);
    const rows = part2.filter((m) => m.type === 'D').map((m) => dataRow(m.body)[0]);
    expect(rows[0]).toBe('42');
    expect(rows.slice(1, 3)).toEqual(['4', '5']);
    expect(rows.length).toBe(1 + 2 + 1995);
    expect(rows.at(-1)).toBe('2000');
    expect(part2.at(-1)?.body.toString()).toBe('T');
    c.send(message('Q', cstr('COMMIT')), message('X'));
    await c.waitClosed();
    await healthy();
  });

  it('answers misuse of the extended protocol with errors, the connection going on', async () => {
    const c = await readyClient(t.port);
    const cases: [Buffer[], string][] = [
      [[message('E', cstr('nope'), int32(0))], '34000'],
      [[message('B', cstr(''), cstr('nope'), int16(0), int16(0), int16(0))], '26000'],
      [[message('D', Buffer.from('S'), cstr('nope'))], '26000'],
      [[message('P', cstr(''), cstr('SELECT 1; SELECT 2'), int16(0))], '42601'],
      [
        [
          message('P', cstr('twice'), cstr('SELECT 1'), int16(0)),
          message('P', cstr('twice'), cstr('SELECT 1'), int16(0)),
        ],
        '42P05',
      ],
      // A binary int4 parameter of the wrong length.
      [
        [
          message('P', cstr(''), cstr('SELECT $1::int4 AS v'), int16(1), int32(23)),
          message('B', cstr(''), cstr(''), int16(1, 1), int16(1), int32(2), Buffer.from([0, 1]), int16(0)),
        ],
        '22P03',
      ],
      [[message('F', int32(0))], '0A000'],
    ];
    for (const [msgs, code] of cases) {
      c.send(...msgs, message('S'));
      const got = await c.readUntil('Z');
      const e = got.find((m) => m.type === 'E');
      expect(e && errorFields(e.body).C).toBe(code);
      expect(got.at(-1)?.type).toBe('Z');
    }
    // Binary int4 parameter done right, and a Close of things that do not exist.
    c.send(
      message('P', cstr(''), cstr('SELECT $1::int4 + 1 AS v'), int16(1), int32(23)),
      message('B', cstr(''), cstr(''), int16(1, 1), int16(1), int32(4), int32(41), int16(0)),
      message('E', cstr(''), int32(0)),
      message('C', Buffer.from('S'), cstr('never')),
      message('C', Buffer.from('P'), cstr('never')),
      message('S'),
    );
    const ok = await c.readUntil('Z');
    expect(ok.map((m) => m.type).join('')).toBe('12DC33Z');
    expect(dataRow((ok[2] as { body: Buffer }).body)).toEqual(['42']);
    c.end();
  });

  it('ends open connections with 57P01 when the server stops', async () => {
    const own = await startServer();
    const c = await RawClient.connect(own.port);
    c.send(startupMessage({ user: 'thinklite', database: 'thinklite' }));
    await c.readUntil('Z');
    c.send(message('Q', cstr('BEGIN')));
    await c.readUntil('Z');
    await own.stop();
    expect(await fatalOf(c)).toMatchObject({ S: 'FATAL', C: '57P01' });
  });

  it('describes statements and portals', async () => {
    const c = await readyClient(t.port);
    c.send(
      message('P', cstr('d1'), cstr('SELECT $1::int8 + 1 AS n, $2::text AS s'), int16(0)),
      message('D', Buffer.from('S'), cstr('d1')),
      message(
        'B',
        cstr(''),
        cstr('d1'),
        int16(1, 1),
        int16(2),
        int32(8),
        Buffer.from('0000000000000029', 'hex'),
        int32(1),
        Buffer.from('x'),
        int16(2, 1, 0),
      ),
      message('D', Buffer.from('P'), cstr('')),
      message('E', cstr(''), int32(0)),
      message('P', cstr(''), cstr('CREATE TABLE IF NOT EXISTS nd (k int)'), int16(0)),
      message('D', Buffer.from('S'), cstr('')),
      message('S'),
    );
    const msgs = await c.readUntil('Z');
    expect(msgs.map((m) => m.type).join('')).toBe('1tT2TDC1tnZ');
    const params = msgs[1] as { body: Buffer };
    expect([params.body.readInt16BE(0), params.body.readInt32BE(2), params.body.readInt32BE(6)]).toEqual([2, 20, 25]);
    const row = msgs[5] as { body: Buffer };
    // n is int8 in binary (42), s text.
    expect(row.body.readBigInt64BE(6)).toBe(42n);
    expect(row.body.toString('utf8', 18, 19)).toBe('x');
    c.end();
  });
});
