import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from './harness.js';
import {
  cstr,
  dataRow,
  errorFields,
  int16,
  int32,
  message,
  type RawClient,
  type RawMessage,
  readyClient,
} from './raw-client.js';

/** The COPY sub-protocol message by message (PostgreSQL documentation, "COPY Operations"). */

let t: TestServer;
beforeAll(async () => {
  t = await startServer();
  const c = await t.client();
  for (const name of ['c_fail', 'c_gone', 'c_bad', 'c_ext', 'c_sync', 'c_out', 'c_stray']) {
    await c.query(`CREATE TABLE ${name} (id int PRIMARY KEY, name text)`);
  }
  await c.end();
});
afterAll(async () => {
  await t.stop();
});

const query = (sql: string): Buffer => message('Q', cstr(sql));
const copyData = (text: string): Buffer => message('d', Buffer.from(text));
const copyDone = (): Buffer => message('c');
const copyFail = (why: string): Buffer => message('f', cstr(why));
const sync = (): Buffer => message('S');
const flush = (): Buffer => message('H');
const types = (msgs: readonly RawMessage[]): string => msgs.map((m) => m.type).join('');
const tag = (m: RawMessage | undefined): string => (m ? m.body.toString('utf8', 0, m.body.length - 1) : '');

/** The first ErrorResponse's fields. */
function errorOf(msgs: readonly RawMessage[]): Record<string, string> {
  const e = msgs.find((m) => m.type === 'E');
  expect(e).toBeDefined();
  return errorFields((e as RawMessage).body);
}

/** CopyInResponse / CopyOutResponse: overall format and the per-column format codes. */
function copyResponse(m: RawMessage): { format: number; columns: number[] } {
  const n = m.body.readInt16BE(1);
  return { format: m.body[0] as number, columns: Array.from({ length: n }, (_, i) => m.body.readInt16BE(3 + 2 * i)) };
}

async function rowsOf(sql: string): Promise<unknown[]> {
  const c = await t.client();
  try {
    return (await c.query(sql)).rows;
  } finally {
    await c.end();
  }
}

/** Enters copy-in mode with a simple Query; returns the CopyInResponse (after `before`: the earlier statements' answers). */
async function copyIn(c: RawClient, sql: string, before = ''): Promise<RawMessage> {
  c.send(query(sql));
  const msgs = await c.readUntil('G');
  expect(types(msgs)).toBe(`${before}G`);
  return msgs.at(-1) as RawMessage;
}

/** Resolves once the server has finished with every connection but `open` of them (cleanup included). */
async function connectionsDownTo(open: number): Promise<void> {
  for (;;) {
    const m = /^thinklite_pgwire_connections (\d+)$/m.exec(await t.registry.metrics());
    if (Number(m?.[1]) <= open) return;
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('COPY over the wire', () => {
  it('loads text data sent in pieces that split lines, answering CopyInResponse and COPY n', async () => {
    const c = await readyClient(t.port);
    const g = await copyIn(c, 'COPY c_sync FROM STDIN');
    expect(copyResponse(g)).toEqual({ format: 0, columns: [0, 0] });
    // Flush and Sync are ignored in copy-in mode; a row may straddle CopyData messages.
    c.send(copyData('1\tone\n2\tt'), flush(), copyData('wo\n3\t\\N\n'), sync(), copyDone());
    const msgs = await c.readUntil('Z');
    expect(types(msgs)).toBe('CZ');
    expect(tag(msgs[0])).toBe('COPY 3');
    expect(msgs[1]?.body.toString()).toBe('I');
    expect(await rowsOf('SELECT id, name FROM c_sync ORDER BY id')).toEqual([
      { id: 1, name: 'one' },
      { id: 2, name: 'two' },
      { id: 3, name: null },
    ]);
    c.end();
  });

  it('takes CopyData messages larger than the 1 MiB input bound, and many small ones', async () => {
    const c = await readyClient(t.port);
    c.send(query('CREATE TABLE c_big (id int PRIMARY KEY, pad text)'));
    await c.readUntil('Z');
    await copyIn(c, 'COPY c_big FROM STDIN');
    const pad = 'p'.repeat(100);
    const big = Array.from({ length: 30000 }, (_, i) => `${i + 1}\t${pad}\n`).join('');
    expect(big.length).toBeGreaterThan(3 * 1024 * 1024);
    const small = Array.from({ length: 3000 }, (_, i) => copyData(`${30001 + i}\t${pad}\n`));
    c.send(copyData(big), ...small, copyDone());
    const msgs = await c.readUntil('Z');
    expect(types(msgs)).toBe('CZ');
    expect(tag(msgs[0])).toBe('COPY 33000');
    c.end();
  });

  it('fails the COPY with 57014 on CopyFail and keeps none of its rows', async () => {
    const c = await readyClient(t.port);
    await copyIn(c, 'COPY c_fail FROM STDIN (FORMAT csv)');
    c.send(copyData('1,a\n2,b\n'), copyFail('user gave up'));
    const msgs = await c.readUntil('Z');
    expect(types(msgs)).toBe('EZ');
    expect(errorOf(msgs)).toMatchObject({ S: 'ERROR', C: '57014', M: 'COPY from stdin failed: user gave up' });
    // The connection goes on; stray COPY messages outside copy mode are dropped.
    c.send(copyData('3,c\n'), copyDone(), query('SELECT count(*) FROM c_fail'));
    const after = await c.readUntil('Z');
    expect(types(after)).toBe('TDCZ');
    expect(dataRow((after[1] as RawMessage).body)).toEqual(['0']);
    c.end();
  });

  it('rolls back an explicit transaction block to "failed" on CopyFail', async () => {
    const c = await readyClient(t.port);
    c.send(query('BEGIN'));
    await c.readUntil('Z');
    await copyIn(c, 'COPY c_fail FROM STDIN');
    c.send(copyFail('no'));
    const msgs = await c.readUntil('Z');
    expect(errorOf(msgs).C).toBe('57014');
    expect(msgs.at(-1)?.body.toString()).toBe('E');
    c.send(query('ROLLBACK'));
    expect(types(await c.readUntil('Z'))).toBe('CZ');
    c.end();
  });

  it('keeps nothing of a COPY whose client disconnects mid-way, in or outside a transaction block', async () => {
    const lines = Array.from({ length: 2000 }, (_, i) => `${i + 1}\tname ${i + 1}\n`).join('');
    const a = await readyClient(t.port);
    await copyIn(a, 'COPY c_gone FROM STDIN');
    a.send(copyData(lines), copyData('2001\tunfinished'));
    const b = await readyClient(t.port);
    b.send(query('BEGIN'));
    await b.readUntil('Z');
    await copyIn(b, 'COPY c_gone (id, name) FROM STDIN');
    b.send(copyData(lines.replaceAll('name', 'other')));
    a.end();
    b.end();
    await connectionsDownTo(0);
    expect(await rowsOf('SELECT count(*)::int AS n FROM c_gone')).toEqual([{ n: 0 }]);
    // Nothing is left holding the table: the same rows load now.
    const c = await readyClient(t.port);
    await copyIn(c, 'COPY c_gone FROM STDIN');
    c.send(copyData(lines), copyDone());
    expect(tag((await c.readUntil('Z'))[0])).toBe('COPY 2000');
    c.end();
  });

  it('after bad data reports 22P04 and ReadyForQuery at once, then drops the copy data still coming (as PostgreSQL)', async () => {
    const c = await readyClient(t.port);
    await copyIn(c, 'COPY c_bad FROM STDIN');
    c.send(copyData('1\tone\n2\ttwo\textra\n'));
    const failed = await c.readUntil('Z');
    expect(types(failed)).toBe('EZ');
    expect(errorFields((failed[0] as RawMessage).body)).toMatchObject({
      S: 'ERROR',
      C: '22P04',
      M: 'extra data after last expected column',
      W: 'COPY c_bad, line 2',
    });
    expect(failed[1]?.body.toString()).toBe('I');
    // The client sent more before it saw the error: CopyData (even one that reads like SQL),
    // CopyDone and CopyFail outside copy-in mode are dropped without an answer.
    c.send(copyData('3\tthree\n'), copyData('SELECT 1;\n'), copyDone(), copyFail('late'));
    c.send(query('SELECT count(*) FROM c_bad'));
    const next = await c.readUntil('Z');
    expect(types(next)).toBe('TDCZ');
    expect(dataRow((next[1] as RawMessage).body)).toEqual(['0']);
    c.end();
  });

  it('after the end marker \\. ignores data up to CopyDone', async () => {
    const c = await readyClient(t.port);
    await copyIn(c, 'COPY c_stray FROM STDIN');
    c.send(copyData('7\tseven\n\\.\n'), copyData('not\ta\trow\n'), copyDone());
    const msgs = await c.readUntil('Z');
    expect(types(msgs)).toBe('CZ');
    expect(tag(msgs[0])).toBe('COPY 1');
    c.end();
  });

  it('answers a message other than CopyData/CopyDone/CopyFail/Flush/Sync in copy-in mode with 08P01', async () => {
    const c = await readyClient(t.port);
    await copyIn(c, 'COPY c_stray FROM STDIN');
    c.send(copyData('8\teight\n'), query('SELECT 1'));
    const msgs = await c.readUntil('Z');
    expect(types(msgs)).toBe('EZ');
    expect(errorOf(msgs)).toMatchObject({
      S: 'ERROR',
      C: '08P01',
      M: 'unexpected message type 0x51 during COPY from stdin',
    });
    c.send(query('SELECT count(*) FROM c_stray WHERE id = 8'));
    const after = await c.readUntil('Z');
    expect(dataRow((after[1] as RawMessage).body)).toEqual(['0']);
    c.end();
  });

  it('runs the rest of a multi-statement Query after its COPY, or none of it when the COPY fails', async () => {
    const c = await readyClient(t.port);
    await copyIn(c, "COPY c_out FROM STDIN (FORMAT csv, HEADER); SELECT name FROM c_out WHERE id = 2; SELECT 'end'");
    c.send(copyData('id,name\n1,"a,b"\n2,"say ""hi"""\n3,\n'), copyDone());
    const msgs = await c.readUntil('Z');
    expect(types(msgs)).toBe('CTDCTDCZ');
    expect(tag(msgs[0])).toBe('COPY 3');
    expect(dataRow((msgs[2] as RawMessage).body)).toEqual(['say "hi"']);
    // A failing COPY rolls back the Query's implicit transaction and skips the statements after it.
    await copyIn(c, "INSERT INTO c_out VALUES (10, 'x'); COPY c_out FROM STDIN; SELECT 'not run'", 'C');
    c.send(copyData('11\n'), copyDone());
    const failed = await c.readUntil('Z');
    expect(types(failed)).toBe('EZ');
    expect(errorOf(failed)).toMatchObject({ C: '22P04', M: 'missing data for column "name"' });
    expect(await rowsOf('SELECT count(*)::int AS n FROM c_out')).toEqual([{ n: 3 }]);
    c.end();
  });

  it('sends COPY TO STDOUT as CopyOutResponse, CopyData, CopyDone, COPY n', async () => {
    const c = await readyClient(t.port);
    c.send(query('COPY (SELECT id, name FROM c_out ORDER BY id) TO STDOUT (FORMAT csv, HEADER)'));
    const msgs = await c.readUntil('Z');
    expect(types(msgs).replace(/d+/, 'd')).toBe('HdcCZ');
    expect(copyResponse(msgs[0] as RawMessage)).toEqual({ format: 0, columns: [0, 0] });
    const text = msgs
      .filter((m) => m.type === 'd')
      .map((m) => m.body.toString())
      .join('');
    expect(text).toBe('id,name\n1,"a,b"\n2,"say ""hi"""\n3,\n');
    expect(tag(msgs.at(-2))).toBe('COPY 3');
    // No rows: still copy-out mode, empty.
    c.send(query('COPY (SELECT id FROM c_out WHERE false) TO STDOUT'));
    const empty = await c.readUntil('Z');
    expect(types(empty)).toBe('HcCZ');
    expect(copyResponse(empty[0] as RawMessage).columns).toEqual([0]);
    expect(tag(empty[2])).toBe('COPY 0');
    // A COPY that fails before it starts answers with just the error.
    c.send(query('COPY no_such_table TO STDOUT'));
    const missing = await c.readUntil('Z');
    expect(types(missing)).toBe('EZ');
    expect(errorOf(missing).C).toBe('42P01');
    c.end();
  });

  it('streams a large COPY TO STDOUT in many CopyData messages', async () => {
    const c = await readyClient(t.port);
    c.send(query("COPY (SELECT g, repeat('x', 100) FROM generate_series(1, 20000) g) TO STDOUT"));
    const msgs = await c.readUntil('Z');
    const data = msgs.filter((m) => m.type === 'd');
    expect(data.length).toBeGreaterThan(1);
    const lines = data
      .map((m) => m.body.toString())
      .join('')
      .split('\n');
    expect(lines.length).toBe(20001);
    expect(lines[19999]).toBe(`20000\t${'x'.repeat(100)}`);
    expect(tag(msgs.at(-2))).toBe('COPY 20000');
    c.end();
  });

  it('runs COPY in the extended protocol: CopyInResponse after Execute, the messages resume after CopyDone', async () => {
    const c = await readyClient(t.port);
    const parse = (sql: string) => message('P', cstr(''), cstr(sql), int16(0));
    const bind = () => message('B', cstr(''), cstr(''), int16(0), int16(0), int16(0));
    const describe = () => message('D', Buffer.from('P'), cstr(''));
    const execute = () => message('E', cstr(''), int32(0));
    // As libpq does it: Sync right after Execute (ignored in copy-in mode), then data, CopyDone, Sync.
    c.send(parse('COPY c_ext FROM STDIN'), bind(), describe(), execute(), sync());
    const head = await c.readUntil('G');
    expect(types(head)).toBe('12nG');
    expect(copyResponse(head.at(-1) as RawMessage).columns).toEqual([0, 0]);
    c.send(copyData('1\tone\n2\ttwo\n'), copyDone(), sync());
    const done = await c.readUntil('Z');
    expect(types(done)).toBe('CZ');
    expect(tag(done[0])).toBe('COPY 2');

    // An error: reported, the rest of the data drained, then everything skipped until Sync.
    c.send(parse('COPY c_ext FROM STDIN'), bind(), execute(), sync());
    expect(types(await c.readUntil('G'))).toBe('12G');
    c.send(copyData('1\tduplicate\n'));
    const [e] = await c.readUntil('E');
    expect(errorFields((e as RawMessage).body).C).toBe('23505');
    c.send(copyData('5\tfive\n'), copyDone(), parse('SELECT 1'), bind(), execute(), sync());
    expect(types(await c.readUntil('Z'))).toBe('Z');

    // COPY TO STDOUT through Execute.
    c.send(parse('COPY c_ext TO STDOUT'), bind(), execute(), sync());
    const outMsgs = await c.readUntil('Z');
    expect(types(outMsgs).replace(/d+/, 'd')).toBe('12HdcCZ');
    const text = outMsgs
      .filter((m) => m.type === 'd')
      .map((m) => m.body.toString())
      .join('');
    expect(text.split('\n').sort()).toEqual(['', '1\tone', '2\ttwo']);
    c.end();
  });

  it('lets the server stop while a client is in copy-in mode', async () => {
    const own = await startServer();
    let stopped = false;
    try {
      const setup = await readyClient(own.port);
      setup.send(query('CREATE TABLE stop_copy (id int PRIMARY KEY)'));
      expect(types(await setup.readUntil('Z'))).toBe('CZ');
      setup.end();
      const c = await readyClient(own.port);
      await copyIn(c, 'COPY stop_copy FROM STDIN');
      c.send(copyData('1\n2\n'));
      // The client never sends CopyDone: stopping must not wait for it.
      await own.stop();
      stopped = true;
      await c.waitClosed();
      expect(c.closed).toBe(true);
    } finally {
      if (!stopped) await own.stop();
    }
  });
});
