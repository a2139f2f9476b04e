import { thinklite } from '@thinklite/proto';
import type { Entry, Message } from '@thinklite/raft';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { messageFromPb, messageToPb, type RangeMessage } from '../src/index.js';
import { decodeMessageBatch, encodeMessageBatch } from '../src/replication/raft-wire.js';

const pb = thinklite.raft.v1;
// Numbers as Raft uses them: node ids, terms and indexes up to 2^53 (varints of 1 to 8 bytes).
const n = fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 300 }), fc.maxSafeNat());
const bytes = fc.uint8Array({ maxLength: 40 });
const entry: fc.Arbitrary<Entry> = fc.record({
  term: n,
  index: n,
  type: fc.constantFrom('normal' as const, 'conf-change' as const),
  data: bytes,
});
const base = { from: n, to: n, term: n };
const message: fc.Arbitrary<Message> = fc.oneof(
  fc.record({
    ...base,
    type: fc.constant('app' as const),
    logTerm: n,
    index: n,
    commit: n,
    entries: fc.array(entry, { maxLength: 4 }),
    lease: n,
  }),
  fc.record({
    ...base,
    type: fc.constant('app-resp' as const),
    index: n,
    reject: fc.boolean(),
    rejectHint: n,
    logTerm: n,
    lease: n,
  }),
  fc.record({
    ...base,
    type: fc.constantFrom('vote' as const, 'pre-vote' as const),
    logTerm: n,
    index: n,
    transfer: fc.boolean(),
  }),
  fc.record({ ...base, type: fc.constantFrom('vote-resp' as const, 'pre-vote-resp' as const), reject: fc.boolean() }),
  fc.record({ ...base, type: fc.constant('heartbeat' as const), commit: n, context: bytes, lease: n }),
  fc.record({
    ...base,
    type: fc.constant('heartbeat' as const),
    commit: n,
    context: bytes,
    lease: n,
    quiesce: fc.constant(true),
  }),
  fc.record({ ...base, type: fc.constant('heartbeat-resp' as const), context: bytes, lease: n }),
  fc.record({ ...base, type: fc.constant('prop' as const), entries: fc.array(entry, { maxLength: 3 }) }),
  fc.record({ ...base, type: fc.constant('read-index' as const), context: bytes }),
  fc.record({ ...base, type: fc.constant('read-index-resp' as const), index: n, context: bytes }),
  fc.record({ ...base, type: fc.constantFrom('timeout-now' as const, 'transfer-leader' as const) }),
  fc.record({
    ...base,
    type: fc.constant('snap' as const),
    snapshot: fc.record({
      meta: fc.record({
        index: n,
        term: n,
        conf: fc.record({
          voters: fc.array(n, { maxLength: 3 }),
          votersOutgoing: fc.array(n, { maxLength: 3 }),
          learners: fc.array(n, { maxLength: 2 }),
          learnersNext: fc.array(n, { maxLength: 2 }),
          autoLeave: fc.boolean(),
        }),
      }),
      data: bytes,
    }),
  }),
);
const batch = fc.array(fc.record({ rangeId: n, message }), { maxLength: 6 });

/** Byte fields compared by content. */
const plain = (x: unknown): unknown => {
  if (x instanceof Uint8Array) return Buffer.from(x).toString('hex');
  if (Array.isArray(x)) return x.map(plain);
  if (x && typeof x === 'object') return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, plain(v)]));
  return x;
};

function generatedEncode(from: number, to: number, ms: readonly RangeMessage[]): Uint8Array {
  return pb.MessageBatch.encode({
    fromNode: from,
    toNode: to,
    messages: ms.map((m) => ({ rangeId: m.rangeId, message: messageToPb(m.message) })),
  }).finish();
}

describe('the hand-written Raft frame codec', () => {
  it('writes exactly the bytes protobufjs reads back, and reads what protobufjs writes', () => {
    fc.assert(
      fc.property(n, n, batch, (from, to, ms) => {
        const ours = encodeMessageBatch(from, to, ms);
        const theirs = pb.MessageBatch.decode(ours);
        expect(Number(theirs.fromNode)).toBe(from);
        expect(Number(theirs.toNode)).toBe(to);
        expect(
          plain(theirs.messages.map((m) => ({ rangeId: Number(m.rangeId), message: messageFromPb(m.message ?? {}) }))),
        ).toEqual(plain(ms));
        const back = decodeMessageBatch(generatedEncode(from, to, ms));
        expect(back.malformed).toEqual([]);
        expect([back.fromNode, back.toNode]).toEqual([from, to]);
        expect(plain(back.messages)).toEqual(plain(ms));
        expect(plain(decodeMessageBatch(ours).messages)).toEqual(plain(ms));
      }),
      { numRuns: 2000, seed: 20261201 },
    );
  });

  it('refuses damaged frames with an error, never a wrong message, and keeps the good messages of a frame', () => {
    fc.assert(
      fc.property(n, n, batch, fc.nat(), fc.integer({ min: 1, max: 255 }), (from, to, ms, at, flip) => {
        const frame = Buffer.from(encodeMessageBatch(from, to, ms));
        if (frame.length === 0) return;
        // Cut short: either an error or a decoded prefix of the messages.
        const cut = frame.subarray(0, at % frame.length);
        try {
          const got = decodeMessageBatch(cut);
          expect(plain(ms.slice(0, got.messages.length))).toEqual(plain(got.messages));
        } catch (e) {
          expect((e as Error).message).toMatch(
            /raft frame|unknown raft message type|index out of range|invalid wire type/,
          );
        }
        // A flipped byte: decoding returns or throws, and never hangs or crashes.
        const i = at % frame.length;
        frame[i] = (frame[i] as number) ^ flip;
        try {
          decodeMessageBatch(frame);
        } catch (e) {
          expect(e).toBeInstanceOf(Error);
        }
      }),
      { numRuns: 2000, seed: 7 },
    );
  });
});
