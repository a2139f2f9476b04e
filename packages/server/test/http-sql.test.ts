import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Writable } from 'node:stream';
import { createLogger, createRegistry, silentLogger } from '@thinklite/base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpServer, ThinkLiteNode, type ThinkLiteNodeOptions } from '../src/index.js';

/**
 * SQL over HTTP against a real node: a store in a temp directory, HTTP on 127.0.0.1 (port 0),
 * requests with Node's fetch. Every response is recorded and, at the end, checked against the
 * node's own OpenAPI document.
 */
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'thinklite-http-sql-'));
const logger = createLogger({ level: process.env.THINKLITE_LOG_LEVEL ?? 'silent' });
let n = 0;

function options(extra: Partial<ThinkLiteNodeOptions> = {}): ThinkLiteNodeOptions {
  return {
    storeDir: path.join(root, `store-${++n}`),
    sqlAddr: { host: '127.0.0.1', port: 0 },
    httpAddr: { host: '127.0.0.1', port: 0 },
    processMetrics: false,
    logger,
    ...extra,
  };
}

interface Answer {
  status: number;
  headers: Headers;
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: JSON bodies are checked field by field.
  body: any;
}

/** Every answer seen, for the OpenAPI conformance check. */
const recorded: { method: string; route: string; status: number; contentType: string; body: unknown }[] = [];

function routeTemplate(url: string): string {
  const p = new URL(url).pathname;
  return /^\/v1\/sessions\/[^/]+$/.test(p) ? '/v1/sessions/{id}' : p;
}

async function call(
  node: ThinkLiteNode,
  method: string,
  route: string,
  init: { json?: unknown; raw?: string; headers?: Record<string, string>; signal?: AbortSignal } = {},
): Promise<Answer> {
  const url = `http://127.0.0.1:${node.httpAddress.port}${route}`;
  const headers: Record<string, string> = { ...(init.headers ?? {}) };
  let body: string | undefined;
  if (init.json !== undefined) {
    body = JSON.stringify(init.json);
    headers['content-type'] ??= 'application/json';
  } else if (init.raw !== undefined) body = init.raw;
  const r = await fetch(url, { method, headers, ...(body !== undefined ? { body } : {}), signal: init.signal ?? null });
  const text = await r.text();
  const contentType = r.headers.get('content-type') ?? '';
  const parsed = contentType.startsWith('application/json') && text !== '' ? JSON.parse(text) : undefined;
  recorded.push({ method, route: routeTemplate(url), status: r.status, contentType, body: parsed });
  return { status: r.status, headers: r.headers, text, body: parsed };
}

const sql = (node: ThinkLiteNode, json: unknown, headers?: Record<string, string>) =>
  call(node, 'POST', '/v1/sql', { json, ...(headers ? { headers } : {}) });

/** The rows of a one-statement request that must succeed. */
async function rows(node: ThinkLiteNode, text: string, params?: unknown[]): Promise<unknown[][]> {
  const r = await sql(node, params ? { sql: text, params } : { sql: text });
  expect(r.status, r.text).toBe(200);
  return r.body.rows;
}

async function openSession(node: ThinkLiteNode): Promise<string> {
  const r = await call(node, 'POST', '/v1/sessions');
  expect(r.status, r.text).toBe(201);
  return r.body.id;
}

/** Waits until `f` holds (vitest's test timeout bounds the wait). */
async function until(f: () => boolean | Promise<boolean>): Promise<void> {
  while (!(await f())) await new Promise((r) => setTimeout(r, 5));
}

/** A statement that runs until cancelled. */
const ENDLESS = 'SELECT count(*) AS n FROM generate_series(1, 2000000000) g';

let node: ThinkLiteNode;

beforeAll(async () => {
  node = await ThinkLiteNode.start(
    options({ httpSql: { maxSessions: 3, sessionIdleTimeoutMs: 600_000, bodyLimitBytes: 64 * 1024 } }),
  );
});

afterAll(async () => {
  await node?.stop();
  fs.rmSync(root, { recursive: true, force: true });
});

describe('POST /v1/sql', () => {
  it('answers a query with typed columns and every common type as JSON', async () => {
    const r = await sql(node, {
      sql: `SELECT $1::int4 AS i, $2::int8 AS big, 1.50::numeric(5,2) AS n, 2.5::float8 AS f, 0.1::float4 AS f4,
        true AS b, 'héllo' AS t, '\\x01ff'::bytea AS by, '2024-02-29'::date AS d,
        '2024-02-29 12:34:56.5'::timestamp AS ts, '2024-02-29 12:34:56.5+00'::timestamptz AS tz,
        '{"a": [1, 2.5, "x"], "b": null}'::jsonb AS jb, '{"k": true}'::json AS j, ARRAY[1, NULL, 3] AS arr,
        ARRAY['a', 'b']::text[] AS tarr, NULL::text AS nul, '1 day 02:00:00'::interval AS iv,
        'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid AS u, 'NaN'::float8 AS nan, count(*) AS c`,
      params: [42, '9007199254740993'],
    });
    expect(r.status, r.text).toBe(200);
    expect(r.body.command).toBe('SELECT');
    expect(r.body.rowCount).toBe(1);
    expect(r.body.columns).toEqual([
      { name: 'i', type: 'integer' },
      { name: 'big', type: 'bigint' },
      { name: 'n', type: 'numeric(5,2)' },
      { name: 'f', type: 'double precision' },
      { name: 'f4', type: 'real' },
      { name: 'b', type: 'boolean' },
      { name: 't', type: 'text' },
      { name: 'by', type: 'bytea' },
      { name: 'd', type: 'date' },
      { name: 'ts', type: 'timestamp without time zone' },
      { name: 'tz', type: 'timestamp with time zone' },
      { name: 'jb', type: 'jsonb' },
      { name: 'j', type: 'json' },
      { name: 'arr', type: 'integer[]' },
      { name: 'tarr', type: 'text[]' },
      { name: 'nul', type: 'text' },
      { name: 'iv', type: 'interval' },
      { name: 'u', type: 'uuid' },
      { name: 'nan', type: 'double precision' },
      { name: 'c', type: 'bigint' },
    ]);
    expect(r.body.rows).toEqual([
      [
        42,
        '9007199254740993',
        '1.50',
        2.5,
        0.1,
        true,
        'héllo',
        '\\x01ff',
        '2024-02-29',
        '2024-02-29T12:34:56.5',
        '2024-02-29T12:34:56.5+00:00',
        { a: [1, 2.5, 'x'], b: null },
        { k: true },
        [1, null, 3],
        ['a', 'b'],
        null,
        '1 day 02:00:00',
        'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
        'NaN',
        '1',
      ],
    ]);
    expect(r.body.timing.ms).toBeGreaterThanOrEqual(0);
    expect(r.body.results).toBeUndefined();
    expect(r.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('binds JSON params of every kind and reads them back', async () => {
    await rows(
      node,
      `CREATE TABLE typed (id int PRIMARY KEY, b bool, big int8, n numeric, f float8, t text, raw bytea,
        at timestamptz, day date, doc jsonb, tags text[], nums int4[])`,
    );
    const ins = await sql(node, {
      sql: 'INSERT INTO typed VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)',
      params: [
        1,
        true,
        '9223372036854775807',
        '12345678901234567890.123',
        -0.25,
        "it's",
        '\\xdeadbeef',
        '2024-05-06T07:08:09.123Z',
        '2024-05-06',
        { nested: { list: [1, 'two', null] } },
        ['x', 'y z'],
        [3, 1, 2],
      ],
    });
    expect(ins.status, ins.text).toBe(200);
    expect([ins.body.command, ins.body.rowCount]).toEqual(['INSERT', 1]);
    await rows(node, 'INSERT INTO typed (id, t) VALUES ($1, $2)', [2, null]);
    expect(await rows(node, 'SELECT * FROM typed ORDER BY id')).toEqual([
      [
        1,
        true,
        '9223372036854775807',
        '12345678901234567890.123',
        -0.25,
        "it's",
        '\\xdeadbeef',
        '2024-05-06T07:08:09.123+00:00',
        '2024-05-06',
        { nested: { list: [1, 'two', null] } },
        ['x', 'y z'],
        [3, 1, 2],
      ],
      [2, null, null, null, null, null, null, null, null, null, null, null],
    ]);
    // The session's TimeZone decides the offset of timestamptz values.
    const tz = await sql(node, {
      sql: "SET TIME ZONE 'Asia/Kolkata'; SELECT at FROM typed WHERE id = $1",
      params: [1],
    });
    expect(tz.status, tz.text).toBe(200);
    expect(tz.body.rows).toEqual([['2024-05-06T12:38:09.123+05:30']]);
    // A param that does not fit its type is the engine's error.
    const bad = await sql(node, { sql: 'SELECT * FROM typed WHERE id = $1', params: ['one'] });
    expect([bad.status, bad.body.error.code, bad.body.error.sqlstate]).toEqual([
      400,
      'INVALID_TEXT_REPRESENTATION',
      '22P02',
    ]);
  });

  it('runs several statements in one implicit transaction and answers each', async () => {
    await rows(node, 'CREATE TABLE multi (k int PRIMARY KEY, v text)');
    const r = await sql(node, {
      sql: "INSERT INTO multi VALUES (1, 'a'); INSERT INTO multi VALUES (2, 'b'), (3, 'c'); SELECT count(*) AS n FROM multi",
    });
    expect(r.status, r.text).toBe(200);
    // The top level is the last statement's result; `results` holds all of them.
    expect([r.body.command, r.body.rows]).toEqual(['SELECT', [['3']]]);
    expect(r.body.results.map((x: { command: string; rowCount: number }) => [x.command, x.rowCount])).toEqual([
      ['INSERT', 1],
      ['INSERT', 2],
      ['SELECT', 1],
    ]);
  });

  it('rolls the whole request back when one statement fails, and says which one', async () => {
    await rows(node, 'CREATE TABLE atomic (k int PRIMARY KEY, v text)');
    await rows(node, "INSERT INTO atomic VALUES (1, 'kept')");
    const r = await sql(node, {
      sql: "INSERT INTO atomic VALUES (2, 'lost'); UPDATE atomic SET v = 'changed' WHERE k = 1; INSERT INTO atomic VALUES (1, 'dup')",
    });
    expect(r.status, r.text).toBe(409);
    expect(r.body.error).toMatchObject({
      code: 'UNIQUE_VIOLATION',
      sqlstate: '23505',
      statementIndex: 2,
      constraint: 'atomic_pkey',
      detail: 'Key (k)=(1) already exists.',
    });
    // Nothing of the request was written: not the insert before the error, not the update.
    expect(await rows(node, 'SELECT k, v FROM atomic ORDER BY k')).toEqual([[1, 'kept']]);

    // A syntax error anywhere: nothing runs; the position counts from the start of `sql`.
    const syntax = await sql(node, { sql: "INSERT INTO atomic VALUES (3, 'no'); SELEC 1" });
    expect(syntax.status).toBe(400);
    expect(syntax.body.error).toMatchObject({ code: 'SYNTAX_ERROR', sqlstate: '42601', position: 38 });
    expect(await rows(node, 'SELECT count(*) FROM atomic')).toEqual([['1']]);

    // A one-shot request that opens a transaction and leaves it open is rolled back.
    const open = await sql(node, { sql: "BEGIN; INSERT INTO atomic VALUES (4, 'dangling')" });
    expect(open.status, open.text).toBe(200);
    expect(await rows(node, 'SELECT count(*) FROM atomic')).toEqual([['1']]);
  });

  it('maps engine errors to the catalogue status with SQLSTATE, message and position', async () => {
    const cases: [string, number, string, string][] = [
      ['SELECT * FROM no_such_table', 404, 'UNDEFINED_TABLE', '42P01'],
      ['SELECT 1/0', 400, 'DIVISION_BY_ZERO', '22012'],
      ['SELECT no_column FROM atomic', 400, 'UNDEFINED_COLUMN', '42703'],
      ['CREATE TABLE atomic (k int)', 409, 'DUPLICATE_TABLE', '42P07'],
      ['SELECT $2::int', 400, 'UNDEFINED_PARAMETER', '42P02'],
    ];
    for (const [text, status, code, sqlstate] of cases) {
      const r = await sql(node, { sql: text, params: [1] });
      expect([text, r.status, r.body.error.code, r.body.error.sqlstate]).toEqual([text, status, code, sqlstate]);
      expect(typeof r.body.error.message).toBe('string');
    }
    const pos = await sql(node, { sql: 'SELECT 1 +' });
    expect(pos.body.error.position).toBe(11);
  });

  it('cancels a statement past the request timeout with 57014 (body field or header)', async () => {
    const a = await sql(node, { sql: ENDLESS, statementTimeoutMs: 30 });
    expect([a.status, a.body.error.code, a.body.error.sqlstate]).toEqual([408, 'QUERY_CANCELED', '57014']);
    expect(a.body.error.message).toBe('canceling statement due to statement timeout');
    const b = await sql(node, { sql: ENDLESS }, { 'ThinkLite-Statement-Timeout-Ms': '30' });
    expect([b.status, b.body.error.sqlstate]).toEqual([408, '57014']);
    // A generous timeout does not get in the way.
    expect((await sql(node, { sql: 'SELECT 1 AS one', statementTimeoutMs: 60_000 })).body.rows).toEqual([[1]]);
    const bad = await sql(node, { sql: 'SELECT 1' }, { 'ThinkLite-Statement-Timeout-Ms': 'soon' });
    expect([bad.status, bad.body.error.code]).toEqual([400, 'INVALID_REQUEST']);
  });

  it('cancels the statement of a client that goes away', async () => {
    const abort = new AbortController();
    const request = call(node, 'POST', '/v1/sql', { json: { sql: ENDLESS }, signal: abort.signal }).catch(
      (e: Error) => e.name,
    );
    await until(() => node.statementsInFlight > 0);
    abort.abort();
    expect(await request).toBe('AbortError');
    await until(() => node.statementsInFlight === 0);
    expect(node.statementsInFlight).toBe(0);
  });

  it('refuses malformed requests with JSON 4xx errors', async () => {
    const badJson = await call(node, 'POST', '/v1/sql', {
      raw: '{"sql": "SELECT 1",',
      headers: { 'content-type': 'application/json' },
    });
    expect([badJson.status, badJson.body.error.code, badJson.body.error.sqlstate]).toEqual([
      400,
      'INVALID_JSON',
      '08P01',
    ]);
    const plain = await call(node, 'POST', '/v1/sql', { raw: 'SELECT 1', headers: { 'content-type': 'text/plain' } });
    expect([plain.status, plain.body.error.code]).toEqual([415, 'UNSUPPORTED_MEDIA_TYPE']);
    const noSql = await sql(node, { query: 'SELECT 1' });
    expect([noSql.status, noSql.body.error.code, noSql.body.error.message]).toEqual([
      400,
      'INVALID_REQUEST',
      '"sql" is required and must be a string',
    ]);
    const params = await sql(node, { sql: 'SELECT $1', params: { 1: 'x' } });
    expect([params.status, params.body.error.message]).toEqual([400, '"params" must be an array']);
    const array = await sql(node, ['SELECT 1']);
    expect([array.status, array.body.error.code]).toEqual([400, 'INVALID_REQUEST']);
    const empty = await sql(node, { sql: ' -- nothing\n ; ' });
    expect([empty.status, empty.body.error.message]).toEqual([400, '"sql" holds no statement']);
    const noBody = await call(node, 'POST', '/v1/sql');
    expect([noBody.status, noBody.body.error.code]).toEqual([400, 'INVALID_REQUEST']);
  });

  it('answers 413 to a body over the limit', async () => {
    const big = `SELECT '${'x'.repeat(70 * 1024)}' AS s`;
    const r = await sql(node, { sql: big });
    expect([r.status, r.body.error.code, r.body.error.sqlstate]).toEqual([413, 'PAYLOAD_TOO_LARGE', '54000']);
    // Just under the limit is fine.
    const ok = await sql(node, { sql: `SELECT length('${'x'.repeat(60 * 1024)}') AS n` });
    expect(ok.body.rows).toEqual([[60 * 1024]]);
  });
});

describe('sessions', () => {
  it('carry a transaction across requests, isolated from other sessions until COMMIT', async () => {
    await rows(node, 'CREATE TABLE accounts (id int PRIMARY KEY, balance int)');
    await rows(node, 'INSERT INTO accounts VALUES (1, 100), (2, 0)');
    const a = await openSession(node);
    const b = await openSession(node);
    const info = await call(node, 'GET', `/v1/sessions/${a}`);
    expect(info.body).toMatchObject({ id: a, user: 'thinklite', database: 'thinklite', transactionStatus: 'idle' });

    // The session by header, then by body field.
    const begin = await sql(node, { sql: 'BEGIN' }, { 'ThinkLite-Session-Id': a });
    expect([begin.status, begin.body.command, begin.body.transactionStatus]).toEqual([200, 'BEGIN', 'open']);
    await sql(node, { sql: 'UPDATE accounts SET balance = balance - 30 WHERE id = 1', sessionId: a });
    await sql(node, { sql: 'UPDATE accounts SET balance = balance + 30 WHERE id = 2', sessionId: a });
    expect((await call(node, 'GET', `/v1/sessions/${a}`)).body.transactionStatus).toBe('open');

    // A sees its own writes; B and a one-shot request do not.
    const mine = await sql(node, { sql: 'SELECT balance FROM accounts ORDER BY id', sessionId: a });
    expect(mine.body.rows).toEqual([[70], [30]]);
    const theirs = await sql(node, { sql: 'SELECT balance FROM accounts ORDER BY id', sessionId: b });
    expect(theirs.body.rows).toEqual([[100], [0]]);
    expect(await rows(node, 'SELECT balance FROM accounts ORDER BY id')).toEqual([[100], [0]]);

    const commit = await sql(node, { sql: 'COMMIT', sessionId: a });
    expect([commit.body.command, commit.body.transactionStatus]).toEqual(['COMMIT', 'idle']);
    expect(await rows(node, 'SELECT balance FROM accounts ORDER BY id')).toEqual([[70], [30]]);
    expect((await sql(node, { sql: 'SELECT sum(balance) AS s FROM accounts', sessionId: b })).body.rows).toEqual([
      ['100'],
    ]);

    // Settings stay with the session.
    await sql(node, { sql: "SET application_name = 'reports'", sessionId: b });
    expect((await sql(node, { sql: 'SHOW application_name', sessionId: b })).body.rows).toEqual([['reports']]);

    for (const id of [a, b]) expect((await call(node, 'DELETE', `/v1/sessions/${id}`)).status).toBe(204);
  });

  it('keep a failed transaction failed until ROLLBACK, and roll back when deleted', async () => {
    await rows(node, 'CREATE TABLE ledger (id int PRIMARY KEY)');
    const s = await openSession(node);
    await sql(node, { sql: 'BEGIN; INSERT INTO ledger VALUES (1)', sessionId: s });
    const dup = await sql(node, { sql: 'INSERT INTO ledger VALUES (1)', sessionId: s });
    expect([dup.status, dup.body.error.sqlstate]).toEqual([409, '23505']);
    expect((await call(node, 'GET', `/v1/sessions/${s}`)).body.transactionStatus).toBe('failed');
    const aborted = await sql(node, { sql: 'SELECT 1', sessionId: s });
    expect([aborted.status, aborted.body.error.code, aborted.body.error.sqlstate]).toEqual([
      409,
      'IN_FAILED_SQL_TRANSACTION',
      '25P02',
    ]);
    const rb = await sql(node, { sql: 'ROLLBACK', sessionId: s });
    expect([rb.body.command, rb.body.transactionStatus]).toEqual(['ROLLBACK', 'idle']);

    // Open a transaction, write, delete the session: the write is gone, and so is the session.
    await sql(node, { sql: 'BEGIN', sessionId: s });
    await sql(node, { sql: 'INSERT INTO ledger VALUES (2)', sessionId: s });
    expect((await call(node, 'DELETE', `/v1/sessions/${s}`)).status).toBe(204);
    expect(await rows(node, 'SELECT count(*) FROM ledger')).toEqual([['0']]);
    const gone = await sql(node, { sql: 'SELECT 1', sessionId: s });
    expect([gone.status, gone.body.error.code, gone.body.error.sqlstate]).toEqual([404, 'SESSION_NOT_FOUND', '08003']);
    expect((await call(node, 'DELETE', `/v1/sessions/${s}`)).status).toBe(404);
    expect((await call(node, 'GET', '/v1/sessions/no-such-session')).body.error.code).toBe('SESSION_NOT_FOUND');
  });

  it('run one request at a time; deleting a busy session cancels its statement', async () => {
    const s = await openSession(node);
    const running = sql(node, { sql: ENDLESS, sessionId: s });
    await until(() => node.statementsInFlight > 0);
    const busy = await sql(node, { sql: 'SELECT 1', sessionId: s });
    expect([busy.status, busy.body.error.code, busy.body.error.sqlstate]).toEqual([409, 'SESSION_BUSY', '55006']);
    expect((await call(node, 'DELETE', `/v1/sessions/${s}`)).status).toBe(204);
    const r = await running;
    expect([r.status, r.body.error.sqlstate]).toEqual([408, '57014']);
  });

  it('two sessions writing the same row: the second waits for the first, then gets 40001 (it read the row before)', async () => {
    await rows(node, 'CREATE TABLE counter (id int PRIMARY KEY, n int)');
    await rows(node, 'INSERT INTO counter VALUES (1, 0)');
    const a = await openSession(node);
    const b = await openSession(node);
    await sql(node, { sql: 'BEGIN; SELECT n FROM counter WHERE id = 1', sessionId: a });
    await sql(node, { sql: 'BEGIN; SELECT n FROM counter WHERE id = 1', sessionId: b });
    expect((await sql(node, { sql: 'UPDATE counter SET n = n + 1 WHERE id = 1', sessionId: a })).status).toBe(200);
    // b's UPDATE waits for a's row lock…
    const bUpdate = sql(node, { sql: 'UPDATE counter SET n = n + 10 WHERE id = 1', sessionId: b });
    expect((await sql(node, { sql: 'COMMIT', sessionId: a })).status).toBe(200);
    // …and once a has committed, b cannot go on: the n it read is no longer current.
    const failed = await bUpdate;
    expect([failed.status, failed.body.error.sqlstate]).toEqual([409, '40001']);
    await sql(node, { sql: 'ROLLBACK', sessionId: b });
    expect((await rows(node, 'SELECT n FROM counter'))[0]?.[0]).toBe(1);
    for (const id of [a, b]) await call(node, 'DELETE', `/v1/sessions/${id}`);
  });

  it('are limited in number: the next one gets 503 TOO_MANY_SESSIONS', async () => {
    const ids = [await openSession(node), await openSession(node), await openSession(node)];
    const over = await call(node, 'POST', '/v1/sessions');
    expect([over.status, over.body.error.code, over.body.error.sqlstate]).toEqual([503, 'TOO_MANY_SESSIONS', '53300']);
    await call(node, 'DELETE', `/v1/sessions/${ids.pop()}`);
    ids.push(await openSession(node));
    for (const id of ids) expect((await call(node, 'DELETE', `/v1/sessions/${id}`)).status).toBe(204);
  });

  it('expire when idle: the session is gone and its transaction rolled back', async () => {
    const short = await ThinkLiteNode.start(options({ httpSql: { sessionIdleTimeoutMs: 500 } }));
    try {
      await rows(short, 'CREATE TABLE idle_t (id int PRIMARY KEY)');
      const s = await openSession(short);
      const w = await sql(short, { sql: 'BEGIN; INSERT INTO idle_t VALUES (1)', sessionId: s });
      expect(w.body.transactionStatus).toBe('open');
      await until(async () => (await call(short, 'GET', `/v1/sessions/${s}`)).status === 404);
      const after = await sql(short, { sql: 'COMMIT', sessionId: s });
      expect([after.status, after.body.error.code]).toEqual([404, 'SESSION_NOT_FOUND']);
      expect(await rows(short, 'SELECT count(*) FROM idle_t')).toEqual([['0']]);
      const metrics = await (await fetch(`http://127.0.0.1:${short.httpAddress.port}/metrics`)).text();
      expect(metrics).toMatch(/^thinklite_http_sql_sessions 0$/m);
    } finally {
      await short.stop();
    }
  });
});

describe('the node', () => {
  it('checks HTTP Basic credentials when it asks for passwords', async () => {
    const secured = await ThinkLiteNode.start(options({ auth: 'scram-sha-256', users: { app: 'secret' } }));
    const basic = (user: string, password: string) => ({
      authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`,
    });
    try {
      const none = await sql(secured, { sql: 'SELECT 1' });
      expect([none.status, none.body.error.code, none.body.error.sqlstate]).toEqual([
        401,
        'AUTHENTICATION_REQUIRED',
        '28000',
      ]);
      expect(none.headers.get('www-authenticate')).toMatch(/^Basic /);
      const wrong = await sql(secured, { sql: 'SELECT 1' }, basic('app', 'nope'));
      expect([wrong.status, wrong.body.error.sqlstate]).toEqual([401, '28P01']);
      const stranger = await sql(secured, { sql: 'SELECT 1' }, basic('mallory', 'secret'));
      expect([stranger.status, stranger.body.error.sqlstate]).toEqual([401, '28P01']);
      for (let i = 0; i < 2; i++) {
        const ok = await sql(secured, { sql: 'SELECT current_user AS u' }, basic('app', 'secret'));
        expect([ok.status, ok.body.rows]).toEqual([200, [['app']]]);
      }
    } finally {
      await secured.stop();
    }
  });

  it('counts requests by route and status and statements by command, and echoes X-Request-Id', async () => {
    const r = await sql(node, { sql: 'SELECT 1' }, { 'x-request-id': 'trace-abc.1' });
    expect(r.headers.get('x-request-id')).toBe('trace-abc.1');
    expect((await sql(node, { sql: `SELECT '${'x'.repeat(70 * 1024)}'` })).status).toBe(413);
    await rows(node, 'CREATE TABLE metered (id int PRIMARY KEY)');
    expect((await sql(node, { sql: 'INSERT INTO metered VALUES (1), (1)' })).status).toBe(409);
    const text = await (await fetch(`http://127.0.0.1:${node.httpAddress.port}/metrics`)).text();
    expect(text).toMatch(/^thinklite_http_requests_total\{method="POST",route="\/v1\/sql",status="200"\} \d+$/m);
    expect(text).toMatch(/^thinklite_http_requests_total\{method="POST",route="\/v1\/sql",status="413"\} \d+$/m);
    expect(text).toMatch(/^thinklite_http_sql_statement_duration_seconds_count\{command="SELECT"\} \d+$/m);
    expect(text).toMatch(/^thinklite_http_sql_errors_total\{sqlstate="23505"\} \d+$/m);
    expect(text).toMatch(/^thinklite_http_sql_errors_total\{sqlstate="54000"\} \d+$/m);
  });

  it('answers 503 while the engine is not there yet (the node starting)', async () => {
    const http = new HttpServer({
      registry: createRegistry(),
      state: () => 'starting',
      logger: silentLogger(),
      sql: { engine: () => undefined },
    });
    const { port } = await http.start({ host: '127.0.0.1', port: 0 });
    try {
      const r = await fetch(`http://127.0.0.1:${port}/v1/sql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"sql": "SELECT 1"}',
      });
      expect([r.status, await r.json()]).toEqual([
        503,
        { error: { code: 'UNAVAILABLE', sqlstate: '57P03', message: 'the database system is starting up' } },
      ]);
    } finally {
      await http.stop();
    }
  });

  it('logs SQL requests with their request id', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, done) {
        lines.push(
          ...String(chunk)
            .split('\n')
            .filter((l) => l !== ''),
        );
        done();
      },
    });
    const logged = await ThinkLiteNode.start(options({ logger: createLogger({ level: 'debug' }, sink) }));
    try {
      const r = await sql(logged, { sql: 'SELECT * FROM missing_table' }, { 'x-request-id': 'req-42' });
      expect(r.status).toBe(404);
      const mine = lines.map((l) => JSON.parse(l)).filter((l) => l.reqId === 'req-42');
      expect(mine.map((l) => l.msg)).toEqual(['SQL request error', 'request']);
      expect(mine[0]).toMatchObject({ component: 'http', code: 'UNDEFINED_TABLE', sqlstate: '42P01' });
      expect(mine[1]).toMatchObject({ method: 'POST', route: '/v1/sql', status: 404 });
    } finally {
      await logged.stop();
    }
  });

  it('on stop cancels running HTTP statements and rolls back open sessions', async () => {
    const opts = options({ shutdownGraceMs: 0 });
    const first = await ThinkLiteNode.start(opts);
    await rows(first, 'CREATE TABLE survivors (id int PRIMARY KEY)');
    await rows(first, 'INSERT INTO survivors VALUES (1)');
    const s = await openSession(first);
    await sql(first, { sql: 'BEGIN; INSERT INTO survivors VALUES (2)', sessionId: s });
    const running = sql(first, { sql: ENDLESS });
    await until(() => first.statementsInFlight > 0);
    await first.stop();
    const r = await running;
    expect([r.status, r.body.error.sqlstate]).toEqual([408, '57014']);
    expect(first.statementsInFlight).toBe(0);

    const again = await ThinkLiteNode.start({ ...opts, sqlAddr: { host: '127.0.0.1', port: 0 } });
    try {
      expect(await rows(again, 'SELECT id FROM survivors ORDER BY id')).toEqual([[1]]);
    } finally {
      await again.stop();
    }
  });

  it('refuses new SQL requests while stopping with 503 UNAVAILABLE', async () => {
    const stopping = await ThinkLiteNode.start(options({ shutdownGraceMs: 600_000 }));
    const running = sql(stopping, { sql: 'SELECT count(*) AS n FROM generate_series(1, 3000000) g' });
    await until(() => stopping.statementsInFlight > 0);
    const stopped = stopping.stop();
    const refused = await sql(stopping, { sql: 'SELECT 1' });
    expect([refused.status, refused.body.error.code, refused.body.error.sqlstate]).toEqual([
      503,
      'UNAVAILABLE',
      '57P03',
    ]);
    // The statement already running finishes within the grace period.
    const r = await running;
    expect([r.status, r.body.rows]).toEqual([200, [['3000000']]]);
    await stopped;
  });
});

// biome-ignore lint/suspicious/noExplicitAny: the OpenAPI document is walked generically.
type Json = any;

/** A small JSON Schema check: the keywords the document uses ($ref, type, properties, …). */
function validate(doc: Json, schema: Json, value: unknown, at: string): string[] {
  if (schema.$ref) {
    const target = resolveRef(doc, schema.$ref);
    return target === undefined ? [`${at}: unresolved ${schema.$ref}`] : validate(doc, target, value, at);
  }
  const errors: string[] = [];
  const types: string[] = schema.type === undefined ? [] : [schema.type].flat();
  const typeOf = (v: unknown) =>
    v === null ? 'null' : Array.isArray(v) ? 'array' : Number.isInteger(v) ? 'integer' : typeof v;
  if (types.length > 0) {
    const t = typeOf(value);
    if (!types.includes(t) && !(t === 'integer' && types.includes('number'))) {
      return [`${at}: expected ${types.join('|')}, got ${t}`];
    }
  }
  if (schema.enum && !schema.enum.includes(value)) errors.push(`${at}: ${JSON.stringify(value)} not in enum`);
  if (typeof value === 'number' && schema.minimum !== undefined && value < schema.minimum) {
    errors.push(`${at}: below minimum`);
  }
  if (typeof value === 'string' && schema.pattern && !new RegExp(schema.pattern, 'u').test(value)) {
    errors.push(`${at}: does not match ${schema.pattern}`);
  }
  if (Array.isArray(value)) {
    if (schema.minItems !== undefined && value.length < schema.minItems) errors.push(`${at}: too few items`);
    if (schema.items) {
      for (const [i, v] of value.entries()) errors.push(...validate(doc, schema.items, v, `${at}[${i}]`));
    }
  } else if (typeof value === 'object' && value !== null) {
    const obj = value as Record<string, unknown>;
    for (const r of schema.required ?? []) if (!(r in obj)) errors.push(`${at}: missing ${r}`);
    for (const [k, v] of Object.entries(obj)) {
      const sub = schema.properties?.[k];
      if (sub) errors.push(...validate(doc, sub, v, `${at}.${k}`));
      else if (schema.additionalProperties === false) errors.push(`${at}: unexpected property ${k}`);
    }
  }
  return errors;
}

function resolveRef(doc: Json, ref: string): Json {
  if (!ref.startsWith('#/')) return undefined;
  let cur = doc;
  for (const part of ref.slice(2).split('/')) cur = cur?.[part.replace(/~1/g, '/').replace(/~0/g, '~')];
  return cur;
}

function refsIn(v: unknown, out: string[] = []): string[] {
  if (Array.isArray(v)) for (const x of v) refsIn(x, out);
  else if (typeof v === 'object' && v !== null) {
    for (const [k, x] of Object.entries(v)) {
      if (k === '$ref' && typeof x === 'string') out.push(x);
      else refsIn(x, out);
    }
  }
  return out;
}

describe('GET /v1/openapi.json', () => {
  it('is a structurally valid OpenAPI 3.1 document whose references all resolve', async () => {
    const r = await call(node, 'GET', '/v1/openapi.json');
    expect(r.status).toBe(200);
    const doc = r.body;
    expect(doc.openapi).toMatch(/^3\.1\.\d+$/);
    expect(typeof doc.info.title).toBe('string');
    expect(typeof doc.info.version).toBe('string');
    const methods = ['get', 'post', 'put', 'delete', 'patch'];
    const operationIds = new Set<string>();
    for (const [p, item] of Object.entries<Json>(doc.paths)) {
      expect(p.startsWith('/'), p).toBe(true);
      const ops = Object.keys(item).filter((k) => methods.includes(k));
      expect(ops.length, p).toBeGreaterThan(0);
      for (const m of ops) {
        const op = item[m];
        expect(Object.keys(op.responses).length, `${m} ${p}`).toBeGreaterThan(0);
        expect(operationIds.has(op.operationId), op.operationId).toBe(false);
        operationIds.add(op.operationId);
        for (const param of op.parameters ?? []) {
          expect(['path', 'header', 'query', 'cookie']).toContain(param.in);
          if (param.in === 'path') expect(p).toContain(`{${param.name}}`);
        }
      }
    }
    const refs = refsIn(doc);
    expect(refs.length).toBeGreaterThan(10);
    for (const ref of refs) expect(resolveRef(doc, ref), ref).toBeDefined();
    // Every schema is used, and the SQL routes are documented.
    const used = new Set(refs.map((x) => x.split('/').pop()));
    for (const name of Object.keys(doc.components.schemas)) expect(used.has(name), name).toBe(true);
    for (const p of ['/v1/sql', '/v1/sessions', '/v1/sessions/{id}']) expect(doc.paths[p], p).toBeDefined();
  });

  it('describes every response the server gave in these tests', async () => {
    // A few more answers of each kind, so the check does not hang on test order.
    const s = await openSession(node);
    await call(node, 'GET', `/v1/sessions/${s}`);
    await sql(node, { sql: 'SELECT 1 AS a; SELECT 2 AS b', sessionId: s });
    await call(node, 'DELETE', `/v1/sessions/${s}`);
    await call(node, 'DELETE', `/v1/sessions/${s}`);
    await sql(node, { sql: 'SELEC' });
    await sql(node, { sql: ENDLESS, statementTimeoutMs: 1 });
    await sql(node, { sql: 'INSERT INTO no_table VALUES (1)' });
    await sql(node, { sql: `SELECT '${'x'.repeat(70 * 1024)}'` });
    await call(node, 'POST', '/v1/sql', { raw: 'SELECT 1', headers: { 'content-type': 'text/plain' } });
    const busy = await openSession(node);
    const long = sql(node, { sql: ENDLESS, sessionId: busy, statementTimeoutMs: 60_000 });
    await until(() => node.statementsInFlight > 0);
    await sql(node, { sql: 'SELECT 1', sessionId: busy });
    await call(node, 'DELETE', `/v1/sessions/${busy}`);
    await long;
    await call(node, 'GET', '/health');
    await call(node, 'GET', '/ready');

    const doc = (await call(node, 'GET', '/v1/openapi.json')).body;
    const problems: string[] = [];
    const statuses = new Set<number>();
    for (const a of recorded) {
      const op = doc.paths[a.route]?.[a.method.toLowerCase()];
      if (!op) {
        problems.push(`${a.method} ${a.route}: not documented`);
        continue;
      }
      const response = op.responses[String(a.status)] ?? op.responses.default;
      if (!response) {
        problems.push(`${a.method} ${a.route} ${a.status}: status not documented`);
        continue;
      }
      statuses.add(a.status);
      const content = response.content;
      if (!content) {
        if (a.body !== undefined) problems.push(`${a.method} ${a.route} ${a.status}: body not documented`);
        continue;
      }
      const schema = content[a.contentType.split(';')[0] as string]?.schema;
      if (!schema) {
        problems.push(`${a.method} ${a.route} ${a.status}: ${a.contentType} not documented`);
        continue;
      }
      problems.push(...validate(doc, schema, a.body, `${a.method} ${a.route} ${a.status}`));
    }
    expect(problems).toEqual([]);
    // The check saw successes and errors of many kinds (401 and 503 too when the whole file runs).
    expect(recorded.length).toBeGreaterThan(15);
    for (const st of [200, 201, 204, 400, 404, 408, 409, 413, 415]) expect(statuses.has(st), String(st)).toBe(true);
  });

  it('a response that breaks the schema is caught by the check', () => {
    const doc = {
      components: {
        schemas: {
          A: { type: 'object', required: ['x'], additionalProperties: false, properties: { x: { type: 'integer' } } },
        },
      },
    };
    const schema = { $ref: '#/components/schemas/A' };
    expect(validate(doc, schema, { x: 1 }, 'v')).toEqual([]);
    expect(validate(doc, schema, { x: '1' }, 'v')).toEqual(['v.x: expected integer, got string']);
    expect(validate(doc, schema, { x: 1, y: 2 }, 'v')).toEqual(['v: unexpected property y']);
    expect(validate(doc, schema, {}, 'v')).toEqual(['v: missing x']);
  });
});
