import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatScramVerifier, scramVerifier } from '../src/index.js';
import { startServer, type TestServer } from './harness.js';
import { pg } from './pg-client.js';

/** SCRAM-SHA-256 logins, unknown databases, the connection limit and the metrics. */

let t: TestServer;
beforeAll(async () => {
  t = await startServer({
    auth: 'scram-sha-256',
    users: { thinklite: 'pencil', app: formatScramVerifier(scramVerifier('s3cret')) },
    maxConnections: 3,
  });
});
afterAll(async () => {
  await t.stop();
});

async function connectError(config: pg.ClientConfig): Promise<{ code: string; message: string }> {
  const c = new pg.Client({ host: '127.0.0.1', port: t.port, ...config });
  c.on('error', () => undefined);
  try {
    await c.connect();
  } catch (e) {
    return e as { code: string; message: string };
  } finally {
    await c.end().catch(() => undefined);
  }
  throw new Error('expected the connection to fail');
}

describe('authentication', () => {
  it('logs in with SCRAM-SHA-256 and the right password (clear text or verifier configured)', async () => {
    const c = await t.client({ user: 'thinklite', password: 'pencil' });
    expect((await c.query('SELECT current_user AS u')).rows).toEqual([{ u: 'thinklite' }]);
    await c.end();
    const app = await t.client({ user: 'app', password: 's3cret', database: 'thinklite' });
    expect((await app.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    await app.end();
  });

  it('refuses a wrong password and an unknown user with 28P01', async () => {
    const wrong = await connectError({ user: 'thinklite', password: 'pencil2', database: 'thinklite' });
    expect(wrong).toMatchObject({ code: '28P01', message: 'password authentication failed for user "thinklite"' });
    const unknown = await connectError({ user: 'nobody', password: 'x', database: 'thinklite' });
    expect(unknown).toMatchObject({ code: '28P01', message: 'password authentication failed for user "nobody"' });
  });

  it('refuses an unknown database with 3D000', async () => {
    const e = await connectError({ user: 'thinklite', password: 'pencil', database: 'nosuchdb' });
    expect(e).toMatchObject({ code: '3D000', message: 'database "nosuchdb" does not exist' });
  });
});

describe('limits and metrics', () => {
  it('refuses the client past max_connections with 53300, and admits one again after a disconnect', async () => {
    const held = [
      await t.client({ user: 'thinklite', password: 'pencil' }),
      await t.client({ user: 'thinklite', password: 'pencil' }),
      await t.client({ user: 'thinklite', password: 'pencil' }),
    ];
    const e = await connectError({ user: 'thinklite', password: 'pencil', database: 'thinklite' });
    expect(e).toMatchObject({ code: '53300', message: 'sorry, too many clients already' });
    await (held.pop() as pg.Client).end();
    // The slot frees once the server has seen the close; retry until it has.
    let c: pg.Client | undefined;
    while (!c) {
      c = await t.client({ user: 'thinklite', password: 'pencil' }).catch(() => undefined);
    }
    expect((await c.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    await Promise.all([c, ...held].map((x) => x.end()));
  });

  it('counts connections, statements and errors', async () => {
    const c = await t.client({ user: 'thinklite', password: 'pencil' });
    await c.query('SELECT 1');
    await c.query('SELECT 1/0').catch(() => undefined);
    const text = await t.registry.metrics();
    expect(text).toMatch(/thinklite_pgwire_statements_total\{command="SELECT"\} [1-9]/);
    expect(text).toMatch(/thinklite_pgwire_errors_total\{sqlstate="22012"\} 1/);
    expect(text).toMatch(/thinklite_pgwire_errors_total\{sqlstate="28P01"\} [1-9]/);
    expect(text).toMatch(/thinklite_pgwire_connections_rejected_total\{reason="limit"\} 1/);
    expect(text).toMatch(/thinklite_pgwire_connections [1-9]/);
    await c.end();
  });
});
