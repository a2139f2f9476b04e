import { describe, expect, it } from 'vitest';
import { thinklite } from './index.js';

describe('generated protobuf code', () => {
  it('round-trips a KV batch request with a oneof, nested messages and bytes', () => {
    const { BatchRequest } = thinklite.v1;
    const req = BatchRequest.create({
      rangeId: 42,
      timestamp: { wall: 1_732_363_200_000_000, logical: 3 },
      txn: { id: new Uint8Array(16).fill(9), epoch: 1, priority: 7 },
      requests: [
        { put: { key: Buffer.from('k'), value: Buffer.from('v') } },
        { scan: { span: { start: Buffer.from('a'), end: Buffer.from('z') }, maxKeys: 10 } },
      ],
    });
    const bytes = BatchRequest.encode(req).finish();
    const back = BatchRequest.decode(bytes);
    expect(back.rangeId).toBe(42);
    expect(back.timestamp?.wall).toBe(1_732_363_200_000_000);
    expect(back.requests[0]?.value).toBe('put');
    expect(Buffer.from(back.requests[0]?.put?.value ?? []).toString()).toBe('v');
    expect(back.requests[1]?.scan?.maxKeys).toBe(10);
  });

  it('round-trips a Raft message batch between two nodes', () => {
    const { MessageBatch, MessageType } = thinklite.raft.v1;
    const batch = MessageBatch.create({
      fromNode: 1,
      toNode: 2,
      messages: [
        {
          rangeId: 7,
          message: {
            type: MessageType.MSG_APP,
            term: 3,
            index: 10,
            entries: [{ term: 3, index: 11, data: Buffer.from('x') }],
          },
        },
      ],
      heartbeatRanges: [1, 2, 3],
    });
    const back = MessageBatch.decode(MessageBatch.encode(batch).finish());
    expect(back.messages[0]?.message?.entries?.[0]?.index).toBe(11);
    expect(back.heartbeatRanges).toEqual([1, 2, 3]);
  });

  it('rejects truncated bytes with an error instead of returning garbage', () => {
    const { BatchRequest } = thinklite.v1;
    const bytes = BatchRequest.encode({ rangeId: 1, requests: [{ get: { key: Buffer.from('abc') } }] }).finish();
    expect(() => BatchRequest.decode(bytes.subarray(0, bytes.length - 2))).toThrow();
  });
});
