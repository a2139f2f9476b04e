import { Counter, createRegistry, silentLogger } from '@thinklite/base';
import { describe, expect, it } from 'vitest';
import { HttpServer, type NodeState } from '../src/index.js';

/** The HTTP front end on its own, driven by fastify's inject (no socket) and once over TCP. */
function server(state: () => NodeState = () => 'ready') {
  const registry = createRegistry();
  const hits = new Counter({ name: 'thinklite_test_hits_total', help: 'test', registers: [registry] });
  hits.inc(3);
  return new HttpServer({ registry, state, logger: silentLogger() });
}

describe('HttpServer', () => {
  it('GET /health answers 200 {"status":"ok"} in every state', async () => {
    for (const s of ['starting', 'ready', 'stopping'] as const) {
      const r = await server(() => s).inject('/health');
      expect(r.statusCode).toBe(200);
      expect(JSON.parse(r.body)).toEqual({ status: 'ok' });
    }
  });

  it('GET /ready is 200 when ready and 503 with the state otherwise', async () => {
    let state: NodeState = 'starting';
    const http = server(() => state);
    let r = await http.inject('/ready');
    expect([r.statusCode, JSON.parse(r.body)]).toEqual([503, { status: 'starting' }]);
    state = 'ready';
    r = await http.inject('/ready');
    expect([r.statusCode, JSON.parse(r.body)]).toEqual([200, { status: 'ready' }]);
    state = 'stopping';
    r = await http.inject('/ready');
    expect([r.statusCode, JSON.parse(r.body)]).toEqual([503, { status: 'stopping' }]);
  });

  it("GET /metrics is the registry's Prometheus text", async () => {
    const r = await server().inject('/metrics');
    expect(r.statusCode).toBe(200);
    expect(String(r.headers['content-type'])).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(r.body).toMatch(/^thinklite_test_hits_total 3$/m);
  });

  it('unknown routes and methods get a JSON 404 with a code and a message', async () => {
    const http = server();
    const r = await http.inject('/nope?x=1');
    expect(r.statusCode).toBe(404);
    expect(String(r.headers['content-type'])).toMatch(/^application\/json/);
    expect(JSON.parse(r.body)).toEqual({ error: { code: 'NOT_FOUND', message: 'no route GET /nope?x=1' } });
  });

  it('listens on a real port (0 picks one) and stops', async () => {
    const http = server();
    const a = await http.start({ host: '127.0.0.1', port: 0 });
    expect(a.port).toBeGreaterThan(0);
    const r = await fetch(`http://127.0.0.1:${a.port}/health`, { method: 'POST' });
    expect(r.status).toBe(404);
    expect(((await r.json()) as { error: { code: string } }).error.code).toBe('NOT_FOUND');
    await http.stop();
    await expect(fetch(`http://127.0.0.1:${a.port}/health`)).rejects.toThrow();
  });
});
