import * as net from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GrpcUnaryClient } from './grpc-unary.js';

// The load generator's lean client against a real grpc-js server on loopback.
describe('the lean gRPC unary client of the benchmarks', () => {
  const server = new grpc.Server();
  let client: GrpcUnaryClient;
  const raw = {
    requestStream: false,
    responseStream: false,
    requestSerialize: (b: Buffer) => b,
    requestDeserialize: (b: Buffer) => b,
    responseSerialize: (b: Buffer) => b,
    responseDeserialize: (b: Buffer) => b,
  };

  beforeAll(async () => {
    server.addService(
      { Echo: { path: '/t.T/Echo', ...raw }, Fail: { path: '/t.T/Fail', ...raw } },
      {
        Echo: (call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) =>
          cb(null, Buffer.concat([Buffer.from('echo:'), call.request])),
        Fail: (_call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) =>
          cb({ code: grpc.status.FAILED_PRECONDITION, details: 'no leader, 100% sure' }),
      },
    );
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
    );
    client = new GrpcUnaryClient(`127.0.0.1:${port}`);
  });

  afterAll(() => {
    client.close();
    server.forceShutdown();
  });

  it('sends a framed message and returns the answer, for many calls in flight at once', async () => {
    const answers = await Promise.all(
      Array.from({ length: 50 }, (_, i) => client.call('/t.T/Echo', Buffer.from(`m${i}`.repeat(i + 1)))),
    );
    expect(answers.map((a) => a.toString())).toEqual(answers.map((_, i) => `echo:${`m${i}`.repeat(i + 1)}`));
    expect((await client.call('/t.T/Echo', new Uint8Array(0))).toString()).toBe('echo:');
  });

  it('rejects with the status and message of a failed call, and of an unknown method', async () => {
    await expect(client.call('/t.T/Fail', Buffer.from('x'))).rejects.toThrow('gRPC status 9: no leader, 100% sure');
    await expect(client.call('/t.T/Nope', Buffer.from('x'))).rejects.toThrow(/gRPC status 12/);
  });

  it('fails while nothing listens, then connects once a server does (a cluster still starting)', async () => {
    const port = await new Promise<number>((resolve) => {
      const probe = net.createServer().listen(0, '127.0.0.1', () => {
        const p = (probe.address() as net.AddressInfo).port;
        probe.close(() => resolve(p));
      });
    });
    const early = new GrpcUnaryClient(`127.0.0.1:${port}`);
    const late = new grpc.Server();
    try {
      await expect(early.call('/t.T/Echo', Buffer.from('x'))).rejects.toThrow(/ECONNREFUSED/);
      late.addService(
        { Echo: { path: '/t.T/Echo', ...raw } },
        {
          Echo: (call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => cb(null, call.request),
        },
      );
      await new Promise<void>((resolve, reject) =>
        late.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), (e) =>
          e ? reject(e) : resolve(),
        ),
      );
      let answer: Buffer | undefined;
      for (let attempt = 0; attempt < 50 && !answer; attempt++) {
        answer = await early.call('/t.T/Echo', Buffer.from('back')).catch(() => undefined);
        if (!answer) await new Promise((r) => setTimeout(r, 20));
      }
      expect(answer?.toString()).toBe('back');
    } finally {
      early.close();
      late.forceShutdown();
    }
  });
});
