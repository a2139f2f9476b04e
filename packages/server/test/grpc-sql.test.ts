import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { createLogger, createRegistry } from '@thinklite/base';
import { thinklite } from '@thinklite/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ExecuteRequest,
  type ExecuteResponse,
  int64,
  type Param,
  type QueryRequest,
  type QueryResponse,
  SQL_SERVICE,
  ThinkLiteNode,
  type ThinkLiteNodeOptions,
  type Value,
  valueFromPb,
} from '../src/index.js';

/**
 * The gRPC SQL service (proto/sql.proto) on a real node: a temp store, 127.0.0.1 port 0, and a
 * real @grpc/grpc-js client over the generated protobufjs code.
 */
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'thinklite-grpc-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
let n = 0;
const logger = createLogger({ level: process.env.THINKLITE_LOG_LEVEL ?? 'silent' });

const SqlClient = grpc.makeGenericClientConstructor(SQL_SERVICE, 'Sql');

interface Client {
  readonly raw: grpc.Client;
  execute(req: ExecuteRequest, options?: grpc.CallOptions): Promise<ExecuteResponse>;
  query(req: QueryRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<QueryResponse>;
  close(): void;
}

function connect(port: number, options: grpc.ClientOptions = {}): Client {
  const raw = new SqlClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), options);
  const c = raw as unknown as {
    Execute(
      r: ExecuteRequest,
      m: grpc.Metadata,
      o: grpc.CallOptions,
      cb: (e: grpc.ServiceError | null, r?: ExecuteResponse) => void,
    ): grpc.ClientUnaryCall;
    Query(r: QueryRequest, m: grpc.Metadata, o: grpc.CallOptions): grpc.ClientReadableStream<QueryResponse>;
  };
  return {
    raw,
    execute: (req, options = {}) =>
      new Promise((resolve, reject) =>
        c.Execute(req, new grpc.Metadata(), options, (e, r) => (e ? reject(e) : resolve(r as ExecuteResponse))),
      ),
    query: (req, options = {}) => c.Query(req, new grpc.Metadata(), options),
    close: () => raw.close(),
  };
}

async function nodeWith(extra: Partial<ThinkLiteNodeOptions> = {}): Promise<ThinkLiteNode> {
  return ThinkLiteNode.start({
    storeDir: path.join(root, `store-${++n}`),
    sqlAddr: { host: '127.0.0.1', port: 0 },
    httpAddr: { host: '127.0.0.1', port: 0 },
    grpcAddr: { host: '127.0.0.1', port: 0 },
    processMetrics: false,
    logger,
    ...extra,
  });
}

/** The values of the first result's rows, as plain JavaScript. */
function rowsOf(r: ExecuteResponse, i = 0): unknown[][] {
  return (r.results?.[i]?.rows ?? []).map((row) => (row.values ?? []).map((v) => valueFromPb(v)));
}

async function statusOf(p: Promise<unknown>): Promise<grpc.ServiceError> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e, 'the call should fail').toBeDefined();
  return e as grpc.ServiceError;
}

/** Reads a Query stream to its end: every message, in order. */
function collect(stream: grpc.ClientReadableStream<QueryResponse>): Promise<QueryResponse[]> {
  return new Promise((resolve, reject) => {
    const out: QueryResponse[] = [];
    stream.on('data', (m: QueryResponse) => out.push(m));
    stream.on('error', reject);
    stream.on('end', () => resolve(out));
  });
}

async function until(f: () => boolean | Promise<boolean>): Promise<void> {
  while (!(await f())) await new Promise((r) => setTimeout(r, 5));
}

/** A statement that runs far longer than any test (counting a huge series, in constant memory). */
const SLOW = 'SELECT count(*) FROM generate_series(1, 10000000000) g';

const text = (s: string): Param => ({ value: { textValue: s } });

describe('gRPC SQL service', () => {
  let node: ThinkLiteNode;
  let client: Client;

  beforeAll(async () => {
    node = await nodeWith();
    client = connect(node.grpcAddress?.port as number);
    return async () => {
      client.close();
      await node.stop();
    };
  });

  it('runs DDL, DML and SELECT with parameters of every kind, losslessly', async () => {
    const ddl = await client.execute({
      sql: `CREATE TABLE vals (id int PRIMARY KEY, b bool, i8 bigint, f float8, t text, by bytea,
              n numeric(30,10), ts timestamptz, d date, iv interval, arr int[], tsl timestamp)`,
    });
    expect(ddl.results?.[0]?.commandTag).toBe('CREATE TABLE');

    const big = 9223372036854775807n; // int8's maximum: beyond 2^53, so it must not pass through a double
    const micros = 1_700_000_000_123_456n; // 2023-11-14 22:13:20.123456 UTC
    const params: Param[] = [
      { value: { intValue: 1 } },
      { value: { boolValue: true } },
      { value: { intValue: int64(big) } },
      { value: { floatValue: 0.1 } },
      text('héllo'),
      { value: { bytesValue: new Uint8Array([0, 1, 254, 255]) } },
      { value: { textValue: '12345678901234567890.0123456789' }, type: 'numeric' },
      { value: { timestampValue: int64(micros) } },
      { value: { dateValue: 19_000 } }, // days since 1970: 2022-01-08
      { value: { intervalValue: { months: 14, days: 3, micros: int64(4_000_001n) } } },
      { value: { arrayValue: { values: [{ intValue: 1 }, {}, { intValue: -3 }] } } },
      { value: { textValue: '2001-02-03 04:05:06.7' }, type: 'timestamp' },
    ];
    const ins = await client.execute({
      sql: 'INSERT INTO vals VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)',
      params,
    });
    expect(ins.results?.[0]).toMatchObject({ commandTag: 'INSERT 0 1', rowCount: 1 });
    // NULL is the empty Value; another row with NULLs everywhere but its key.
    await client.execute({ sql: 'INSERT INTO vals (id, b) VALUES ($1, $2)', params: [{ value: { intValue: 2 } }, {}] });

    const sel = await client.execute({
      sql: 'SELECT * FROM vals WHERE id = $1 OR id = $2 ORDER BY id',
      params: [params[0] as Param, { value: { intValue: 2 } }],
    });
    const result = sel.results?.[0];
    expect(result?.commandTag).toBe('SELECT 2');
    expect(result?.rowCount).toBe(2);
    expect(result?.columns?.map((c) => [c.name, c.type, c.typeOid])).toEqual([
      ['id', 'integer', 23],
      ['b', 'boolean', 16],
      ['i8', 'bigint', 20],
      ['f', 'double precision', 701],
      ['t', 'text', 25],
      ['by', 'bytea', 17],
      ['n', 'numeric(30,10)', 1700],
      ['ts', 'timestamp with time zone', 1184],
      ['d', 'date', 1082],
      ['iv', 'interval', 1186],
      ['arr', 'integer[]', 1007],
      ['tsl', 'timestamp without time zone', 1114],
    ]);
    const [row1, row2] = rowsOf(sel);
    expect(row1).toEqual([
      1n,
      true,
      big,
      0.1,
      'héllo',
      new Uint8Array([0, 1, 254, 255]),
      '12345678901234567890.0123456789',
      micros,
      19_000,
      { months: 14, days: 3, micros: 4_000_001n },
      [1n, null, -3n],
      BigInt(Date.UTC(2001, 1, 3, 4, 5, 6, 700)) * 1000n,
    ]);
    expect(row2).toEqual([2n, null, null, null, null, null, null, null, null, null, null, null]);
    // The kinds on the wire, not just what valueFromPb makes of them.
    const v = result?.rows?.[0]?.values as Value[];
    expect(v[0]?.kind).toBe('intValue');
    expect(v[6]?.kind).toBe('textValue');
    expect(v[7]?.kind).toBe('timestampValue');
    expect(result?.rows?.[1]?.values?.[1]?.kind).toBeUndefined();

    // Parameters round-trip through SELECT too, typed by their kind (or the type named).
    const echo = await client.execute({
      sql: 'SELECT $1 AS a, $2 AS b, $3 AS c, $4 AS d',
      params: [
        { value: { intValue: int64(-big - 1n) } },
        text('x'),
        { value: { textValue: '42' }, type: 'int4' },
        { value: { floatValue: Number.NaN } },
      ],
    });
    expect(echo.results?.[0]?.columns?.map((c) => c.type)).toEqual(['bigint', 'text', 'integer', 'double precision']);
    expect(rowsOf(echo)).toEqual([[-big - 1n, 'x', 42n, Number.NaN]]);

    const upd = await client.execute({
      sql: "UPDATE vals SET t = 'y' WHERE id >= $1",
      params: [{ value: { intValue: 1 } }],
    });
    expect(upd.results?.[0]).toMatchObject({ commandTag: 'UPDATE 2', rowCount: 2 });
  });

  it('runs several statements in one implicit transaction: an error rolls all of them back', async () => {
    await client.execute({ sql: 'CREATE TABLE acct (id int PRIMARY KEY, v int)' });
    const ok = await client.execute({
      sql: 'INSERT INTO acct VALUES (1, 10); INSERT INTO acct VALUES (2, 20); SELECT sum(v) AS s FROM acct',
    });
    expect(ok.results?.map((r) => r.commandTag)).toEqual(['INSERT 0 1', 'INSERT 0 1', 'SELECT 1']);
    expect(rowsOf(ok, 2)).toEqual([[30n]]);

    const e = await statusOf(
      client.execute({
        sql: 'INSERT INTO acct VALUES (3, 30); UPDATE acct SET v = v + 1; INSERT INTO acct VALUES (1, 0)',
      }),
    );
    expect(e.code).toBe(grpc.status.ALREADY_EXISTS);
    expect(e.metadata.get('sqlstate')).toEqual(['23505']);
    // Nothing of the failed call was written: not row 3, not the update.
    const after = await client.execute({ sql: 'SELECT id, v FROM acct ORDER BY id' });
    expect(rowsOf(after)).toEqual([
      [1n, 10n],
      [2n, 20n],
    ]);
  });

  it('rolls back a transaction the call leaves open', async () => {
    await client.execute({ sql: 'CREATE TABLE open_txn (id int PRIMARY KEY)' });
    const r = await client.execute({ sql: 'BEGIN; INSERT INTO open_txn VALUES (1)' });
    expect(r.results?.map((x) => x.commandTag)).toEqual(['BEGIN', 'INSERT 0 1']);
    expect(rowsOf(await client.execute({ sql: 'SELECT count(*) FROM open_txn' }))).toEqual([[0n]]);
  });

  it('streams a large result in several messages: header, row batches, trailer', async () => {
    const messages = await collect(
      client.query({
        sql: 'SELECT g, g * 2 AS twice FROM generate_series(1, $1) g',
        params: [{ value: { intValue: 50_000 } }],
      }),
    );
    expect(messages[0]?.kind).toBe('header');
    expect(messages[0]?.header?.columns?.map((c) => c.name)).toEqual(['g', 'twice']);
    const last = messages[messages.length - 1];
    expect(last?.kind).toBe('trailer');
    expect(last?.trailer).toMatchObject({ commandTag: 'SELECT 50000', rowCount: 50_000 });
    const batches = messages.slice(1, -1);
    expect(batches.every((m) => m.kind === 'rows')).toBe(true);
    expect(batches.length).toBeGreaterThanOrEqual(50); // 1000 rows per batch by default
    const rows = batches.flatMap((m) => m.rows?.rows ?? []);
    expect(rows.length).toBe(50_000);
    expect(rows.every((r) => (r.values?.length ?? 0) === 2)).toBe(true);
    expect(valueFromPb(rows[49_999]?.values?.[1] as Value)).toBe(100_000n);
    expect(batches.every((m) => (m.rows?.rows?.length ?? 0) <= 1000)).toBe(true);
  });

  it('cuts batches near the byte budget and by max_rows_per_batch', async () => {
    const wide = await collect(client.query({ sql: "SELECT repeat('x', 10000) AS w FROM generate_series(1, 40) g" }));
    const wideBatches = wide.filter((m) => m.kind === 'rows');
    // ~10 KB rows, 64 KiB per batch: 7 rows at most each.
    expect(wideBatches.length).toBeGreaterThanOrEqual(6);
    expect(wideBatches.every((m) => (m.rows?.rows?.length ?? 0) <= 7)).toBe(true);
    const small = await collect(client.query({ sql: 'SELECT g FROM generate_series(1, 10) g', maxRowsPerBatch: 3 }));
    expect(small.filter((m) => m.kind === 'rows').map((m) => m.rows?.rows?.length)).toEqual([3, 3, 3, 1]);
  });

  it('answers Query for a statement without rows with an empty header and its tag', async () => {
    await client.execute({ sql: 'CREATE TABLE q_ins (id int PRIMARY KEY)' });
    const m = await collect(client.query({ sql: 'INSERT INTO q_ins VALUES (1), (2)' }));
    expect(m.map((x) => x.kind)).toEqual(['header', 'trailer']);
    expect(m[1]?.trailer).toMatchObject({ commandTag: 'INSERT 0 2', rowCount: 2 });
  });

  it('pauses the statement while the client does not read (backpressure), and finishes once it does', async () => {
    const registry = node.registry;
    const metric = async (name: string) => {
      const m = (await registry.getMetricsAsJSON()).find((x) => x.name === name);
      return (m?.values ?? []).reduce((s, v) => s + Number(v.value), 0);
    };
    const sentBefore = await metric('thinklite_grpc_sql_rows_sent_total');
    const waitsBefore = await metric('thinklite_grpc_sql_backpressure_waits_total');
    const total = 200_000;
    // ~200 bytes a row: 40 MB in all, far more than the socket and HTTP/2 windows hold.
    const stream = client.query({ sql: `SELECT g, repeat('y', 200) AS pad FROM generate_series(1, ${total}) g` });
    let received = 0;
    let first = true;
    const done = new Promise<void>((resolve, reject) => {
      stream.on('data', (m: QueryResponse) => {
        received += m.rows?.rows?.length ?? 0;
        if (first) {
          first = false;
          stream.pause(); // a slow reader: nothing more is read until resume()
        }
      });
      stream.on('error', reject);
      stream.on('end', () => resolve());
    });
    // Wait until the server has stopped sending: the sent counter holds still.
    let last = -1;
    await until(async () => {
      await new Promise((r) => setTimeout(r, 150));
      const now = await metric('thinklite_grpc_sql_rows_sent_total');
      const still = now === last && now > sentBefore;
      last = now;
      return still;
    });
    // The statement is paused mid-way: still running, a small part of its rows handed to gRPC.
    expect(node.statementsInFlight).toBe(1);
    expect(last - sentBefore).toBeLessThan(total / 2);
    expect(await metric('thinklite_grpc_sql_backpressure_waits_total')).toBeGreaterThan(waitsBefore);
    stream.resume();
    await done;
    expect(received).toBe(total);
    expect((await metric('thinklite_grpc_sql_rows_sent_total')) - sentBefore).toBe(total);
  });

  it('cancels a statement past its deadline with DEADLINE_EXCEEDED, and keeps serving', async () => {
    const slow = SLOW;
    const e = await statusOf(client.execute({ sql: slow }, { deadline: Date.now() + 300 }));
    expect(e.code).toBe(grpc.status.DEADLINE_EXCEEDED);
    // The statement itself was stopped, not left running behind the client's back.
    await until(() => node.statementsInFlight === 0);
    const registry = node.registry;
    await until(async () => {
      const m = (await registry.getMetricsAsJSON()).find((x) => x.name === 'thinklite_grpc_sql_calls_total');
      return (m?.values ?? []).some((v) => v.labels.method === 'Execute' && v.labels.code === 'DEADLINE_EXCEEDED');
    });
    // A streamed Query too.
    const q = await statusOf(collect(client.query({ sql: slow }, { deadline: Date.now() + 300 })));
    expect(q.code).toBe(grpc.status.DEADLINE_EXCEEDED);
    await until(() => node.statementsInFlight === 0);
    expect(rowsOf(await client.execute({ sql: 'SELECT 1 + 1' }))).toEqual([[2n]]);
  });

  it('stops the statement and the stream when the client cancels, and rolls its transaction back', async () => {
    await client.execute({ sql: 'CREATE TABLE cancelled (id int PRIMARY KEY)' });
    const stream = client.query({
      sql: 'INSERT INTO cancelled SELECT g FROM generate_series(1, 10000000000) g',
    });
    const ended = collect(stream).then(
      () => undefined,
      (e: grpc.ServiceError) => e,
    );
    await until(() => node.statementsInFlight === 1);
    stream.cancel();
    const e = await ended;
    expect(e?.code).toBe(grpc.status.CANCELLED);
    await until(() => node.statementsInFlight === 0);
    expect(rowsOf(await client.execute({ sql: 'SELECT count(*) FROM cancelled' }))).toEqual([[0n]]);
    // A cancelled unary call the same way.
    const call = (
      client.raw as unknown as {
        Execute(r: ExecuteRequest, cb: (e: grpc.ServiceError | null) => void): grpc.ClientUnaryCall;
      }
    ).Execute({ sql: SLOW }, () => undefined);
    await until(() => node.statementsInFlight === 1);
    call.cancel();
    await until(() => node.statementsInFlight === 0);
  });

  it('maps errors through the catalogue, with SQLSTATE, detail and position in the trailers', async () => {
    const syntax = await statusOf(client.execute({ sql: 'SELEC 1' }));
    expect(syntax.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(syntax.metadata.get('sqlstate')).toEqual(['42601']);
    expect(syntax.metadata.get('code')).toEqual(['SYNTAX_ERROR']);
    expect(syntax.details).toMatch(/syntax error/);
    expect(syntax.metadata.get('position')).toEqual(['1']);

    await client.execute({ sql: 'CREATE TABLE uniq (id int PRIMARY KEY)' });
    await client.execute({ sql: 'INSERT INTO uniq VALUES (1)' });
    const dup = await statusOf(client.execute({ sql: 'INSERT INTO uniq VALUES (1)' }));
    expect(dup.code).toBe(grpc.status.ALREADY_EXISTS);
    expect(dup.metadata.get('sqlstate')).toEqual(['23505']);
    expect(String(dup.metadata.get('detail')[0])).toContain('already exists');
    const bin = dup.metadata.get('thinklite-error-bin')[0] as Buffer;
    const decoded = thinklite.v1.Error.decode(bin);
    expect(decoded).toMatchObject({ code: 'UNIQUE_VIOLATION', sqlstate: '23505' });
    expect(decoded.message).toBe(dup.details);

    const missing = await statusOf(client.execute({ sql: 'SELECT * FROM nowhere' }));
    expect(missing.code).toBe(grpc.status.NOT_FOUND);
    expect(missing.metadata.get('sqlstate')).toEqual(['42P01']);

    // Streaming: the error ends the stream with the same mapping.
    const q = await statusOf(collect(client.query({ sql: 'SELECT 1 / (g - 3) FROM generate_series(1, 5) g' })));
    expect(q.metadata.get('sqlstate')).toEqual(['22012']);
  });

  it('refuses malformed requests with INVALID_ARGUMENT', async () => {
    const two = await statusOf(collect(client.query({ sql: 'SELECT 1; SELECT 2' })));
    expect(two.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(two.details).toMatch(/exactly one statement/);

    const badType = await statusOf(
      client.execute({ sql: 'SELECT $1', params: [{ value: { textValue: '1' }, type: 'no_such_type' }] }),
    );
    expect(badType.metadata.get('sqlstate')).toEqual(['42704']);

    // Bytes that are not an ExecuteRequest: a truncated length-delimited field.
    const Garbage = grpc.makeGenericClientConstructor(
      {
        Execute: {
          ...SQL_SERVICE.Execute,
          requestSerialize: (b: Buffer) => b,
        },
      },
      'Sql',
    );
    const g = new Garbage(`127.0.0.1:${node.grpcAddress?.port}`, grpc.credentials.createInsecure());
    try {
      const e = await statusOf(
        new Promise((resolve, reject) =>
          (g as unknown as { Execute(b: Buffer, cb: (e: unknown, r: unknown) => void): void }).Execute(
            Buffer.from([0x0a, 0xff, 0x01, 0x41]),
            (err, r) => (err ? reject(err) : resolve(r)),
          ),
        ),
      );
      expect(e.code).toBe(grpc.status.INVALID_ARGUMENT);
      expect(e.details).toMatch(/malformed request/);
    } finally {
      g.close();
    }
  });
});

describe('gRPC SQL service limits', () => {
  it('refuses an oversized request and calls past the concurrency limit with RESOURCE_EXHAUSTED', async () => {
    const node = await nodeWith({ grpc: { maxConcurrentCalls: 1, maxRequestBytes: 64 * 1024 }, shutdownGraceMs: 100 });
    const client = connect(node.grpcAddress?.port as number);
    try {
      const big = await statusOf(client.execute({ sql: `SELECT '${'x'.repeat(100_000)}'` }));
      expect(big.code).toBe(grpc.status.RESOURCE_EXHAUSTED);

      const slow = client.execute({ sql: SLOW }, { deadline: Date.now() + 60_000 });
      const slowDone = slow.catch((e: grpc.ServiceError) => e);
      await until(() => node.statementsInFlight === 1);
      const second = await statusOf(client.execute({ sql: 'SELECT 1' }));
      expect(second.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
      expect(second.metadata.get('sqlstate')).toEqual(['53300']);
      // Stopping the node cancels the running call (a short grace period) and its session.
      const stopping = node.stop();
      const e = (await slowDone) as grpc.ServiceError;
      expect([grpc.status.CANCELLED, grpc.status.UNAVAILABLE]).toContain(e.code);
      await stopping;
      expect(node.state).toBe('stopped');
    } finally {
      client.close();
      await node.stop();
    }
  });

  it('lets a running call finish when the node stops gracefully, and refuses new ones with UNAVAILABLE', async () => {
    const node = await nodeWith({ shutdownGraceMs: 600_000 });
    const client = connect(node.grpcAddress?.port as number);
    try {
      const running = client.execute({ sql: 'SELECT count(*) AS n FROM generate_series(1, 3000000) g' });
      await until(() => node.statementsInFlight === 1);
      const stopped = node.stop();
      expect(node.state).toBe('stopping');
      const refused = await statusOf(client.execute({ sql: 'SELECT 1' }));
      expect(refused.code).toBe(grpc.status.UNAVAILABLE);
      expect(refused.metadata.get('sqlstate')).toEqual(['57P03']);
      // The node's statement gate counted the gRPC statement: it ran to its end.
      expect(rowsOf(await running)).toEqual([[3_000_000n]]);
      await stopped;
      expect(node.state).toBe('stopped');
    } finally {
      client.close();
      await node.stop();
    }
  });

  it('needs Basic credentials when the node authenticates with scram-sha-256', async () => {
    const node = await nodeWith({ auth: 'scram-sha-256', users: { app: 'secret' } });
    const client = connect(node.grpcAddress?.port as number);
    const call = (auth: string | undefined) =>
      new Promise<ExecuteResponse>((resolve, reject) => {
        const md = new grpc.Metadata();
        if (auth !== undefined) md.set('authorization', auth);
        (
          client.raw as unknown as {
            Execute(
              r: ExecuteRequest,
              m: grpc.Metadata,
              cb: (e: grpc.ServiceError | null, r?: ExecuteResponse) => void,
            ): void;
          }
        ).Execute({ sql: 'SELECT current_user' }, md, (e, r) => (e ? reject(e) : resolve(r as ExecuteResponse)));
      });
    const basic = (s: string) => `Basic ${Buffer.from(s).toString('base64')}`;
    try {
      expect((await statusOf(call(undefined))).code).toBe(grpc.status.UNAUTHENTICATED);
      expect((await statusOf(call(basic('app:wrong')))).code).toBe(grpc.status.UNAUTHENTICATED);
      expect(rowsOf(await call(basic('app:secret')))).toEqual([['app']]);
    } finally {
      client.close();
      await node.stop();
    }
  });

  it('counts calls by method and code, and registers on the node registry', async () => {
    const registry = createRegistry();
    const node = await nodeWith({ registry });
    const client = connect(node.grpcAddress?.port as number);
    try {
      await client.execute({ sql: 'SELECT 1' });
      await statusOf(client.execute({ sql: 'SELEC' }));
      const text = await registry.metrics();
      expect(text).toMatch(/thinklite_grpc_sql_calls_total\{method="Execute",code="OK"\} 1/);
      expect(text).toMatch(/thinklite_grpc_sql_calls_total\{method="Execute",code="INVALID_ARGUMENT"\} 1/);
      expect(text).toMatch(/thinklite_grpc_sql_call_seconds_count\{method="Execute"\} 2/);
    } finally {
      client.close();
      await node.stop();
    }
  });
});
