import { thinklite } from '@thinklite/proto';
import type { Entry, Message } from '@thinklite/raft';
import { messageFromPb, messageToPb } from './raft-codec.js';
import type { RangeMessage } from './replication-host.js';

/**
 * The Raft transport's frames (`MessageBatch` of proto/raft.proto) encoded and decoded by hand,
 * straight between our Message objects and protobuf's wire format: no intermediate protobufjs
 * objects, one buffer per frame. Every message type but snapshots is written here; a snapshot
 * (rare, and carrying nested configuration) goes through the generated code. The bytes are the
 * protobuf encoding of the same schema — proto3 rules, zero values omitted — so either side can
 * read the other's (a property test checks it against protobufjs).
 */

const pb = thinklite.raft.v1;

const TYPE_CODE: Record<Message['type'], number> = {
  app: 0,
  'app-resp': 1,
  vote: 2,
  'vote-resp': 3,
  'pre-vote': 4,
  'pre-vote-resp': 5,
  heartbeat: 6,
  'heartbeat-resp': 7,
  snap: 8,
  'timeout-now': 9,
  'read-index': 10,
  'read-index-resp': 11,
  prop: 12,
  'transfer-leader': 13,
};
const TYPE_NAME: Message['type'][] = [];
for (const [name, code] of Object.entries(TYPE_CODE)) TYPE_NAME[code] = name as Message['type'];

// ---- sizes ---------------------------------------------------------------------------------

function varintSize(v: number): number {
  let n = 1;
  while (v >= 128) {
    v = Math.floor(v / 128);
    n++;
  }
  return n;
}

/** Size of a varint field with a one-byte tag, 0 when the value is the default. */
const vf = (v: number) => (v === 0 ? 0 : 1 + varintSize(v));
const bf = (b: Uint8Array | undefined) => (!b || b.length === 0 ? 0 : 1 + varintSize(b.length) + b.length);

function entrySize(e: Entry): number {
  return vf(e.term) + vf(e.index) + (e.type === 'conf-change' ? 2 : 0) + bf(e.data);
}

/** The message's fields in wire order, as [field number, value] pairs of varints and bytes. */
function messageSize(m: Message): number {
  let n = vf(TYPE_CODE[m.type]) + vf(m.from) + vf(m.to) + vf(m.term);
  switch (m.type) {
    case 'app':
      n += vf(m.logTerm) + vf(m.index) + vf(m.commit) + vf(m.lease);
      for (const e of m.entries) {
        const s = entrySize(e);
        n += 1 + varintSize(s) + s;
      }
      return n;
    case 'app-resp':
      return n + vf(m.logTerm) + vf(m.index) + (m.reject ? 2 : 0) + vf(m.rejectHint) + vf(m.lease);
    case 'vote':
    case 'pre-vote':
      return n + vf(m.logTerm) + vf(m.index) + (m.transfer ? 3 : 0);
    case 'vote-resp':
    case 'pre-vote-resp':
      return n + (m.reject ? 2 : 0);
    case 'heartbeat':
      return n + vf(m.commit) + bf(m.context) + vf(m.lease) + (m.quiesce ? 2 : 0);
    case 'heartbeat-resp':
      return n + bf(m.context) + vf(m.lease);
    case 'prop':
      for (const e of m.entries) {
        const s = entrySize(e);
        n += 1 + varintSize(s) + s;
      }
      return n;
    case 'read-index':
      return n + bf(m.context);
    case 'read-index-resp':
      return n + vf(m.index) + bf(m.context);
    default:
      return n;
  }
}

// ---- writing -------------------------------------------------------------------------------

class Out {
  pos = 0;
  constructor(readonly buf: Buffer) {}
  varint(v: number): void {
    const b = this.buf;
    while (v >= 128) {
      b[this.pos++] = (v % 128) | 128;
      v = Math.floor(v / 128);
    }
    b[this.pos++] = v;
  }
  /** A varint field (tag < 128), omitted when 0. */
  field(tag: number, v: number): void {
    if (v === 0) return;
    this.buf[this.pos++] = tag;
    this.varint(v);
  }
  bytes(tag: number, b: Uint8Array | undefined): void {
    if (!b || b.length === 0) return;
    this.buf[this.pos++] = tag;
    this.varint(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }
}

const tag = (field: number, wire: number) => (field << 3) | wire;

function writeEntry(o: Out, e: Entry): void {
  o.field(tag(1, 0), e.term);
  o.field(tag(2, 0), e.index);
  o.field(tag(3, 0), e.type === 'conf-change' ? 1 : 0);
  o.bytes(tag(4, 2), e.data);
}

function writeEntries(o: Out, entries: readonly Entry[]): void {
  for (const e of entries) {
    o.buf[o.pos++] = tag(7, 2);
    o.varint(entrySize(e));
    writeEntry(o, e);
  }
}

function writeMessage(o: Out, m: Message): void {
  o.field(tag(1, 0), TYPE_CODE[m.type]);
  o.field(tag(2, 0), m.from);
  o.field(tag(3, 0), m.to);
  o.field(tag(4, 0), m.term);
  switch (m.type) {
    case 'app':
      o.field(tag(5, 0), m.logTerm);
      o.field(tag(6, 0), m.index);
      writeEntries(o, m.entries);
      o.field(tag(8, 0), m.commit);
      o.field(tag(13, 0), m.lease);
      return;
    case 'app-resp':
      o.field(tag(5, 0), m.logTerm);
      o.field(tag(6, 0), m.index);
      o.field(tag(9, 0), m.reject ? 1 : 0);
      o.field(tag(10, 0), m.rejectHint);
      o.field(tag(13, 0), m.lease);
      return;
    case 'vote':
    case 'pre-vote':
      o.field(tag(5, 0), m.logTerm);
      o.field(tag(6, 0), m.index);
      if (m.transfer) o.bytes(tag(12, 2), TRANSFER_CONTEXT);
      return;
    case 'vote-resp':
    case 'pre-vote-resp':
      o.field(tag(9, 0), m.reject ? 1 : 0);
      return;
    case 'heartbeat':
      o.field(tag(8, 0), m.commit);
      o.bytes(tag(12, 2), m.context);
      o.field(tag(13, 0), m.lease);
      if (m.quiesce) o.field(tag(14, 0), 1);
      return;
    case 'heartbeat-resp':
      o.bytes(tag(12, 2), m.context);
      o.field(tag(13, 0), m.lease);
      return;
    case 'prop':
      writeEntries(o, m.entries);
      return;
    case 'read-index':
      o.bytes(tag(12, 2), m.context);
      return;
    case 'read-index-resp':
      o.field(tag(6, 0), m.index);
      o.bytes(tag(12, 2), m.context);
      return;
    default:
      return;
  }
}

const TRANSFER_CONTEXT = new Uint8Array([1]);

/** One transport frame: `MessageBatch{from_node, to_node, messages}`. */
export function encodeMessageBatch(fromNode: number, toNode: number, messages: readonly RangeMessage[]): Buffer {
  // Snapshots are rare and nest a configuration: the generated code writes those messages.
  const bodies: (Uint8Array | number)[] = messages.map(({ message }) =>
    message.type === 'snap' ? pb.Message.encode(messageToPb(message)).finish() : messageSize(message),
  );
  let size = vf(fromNode) + vf(toNode);
  const rmSizes: number[] = [];
  for (const [i, { rangeId }] of messages.entries()) {
    const body = bodies[i] as Uint8Array | number;
    const ms = typeof body === 'number' ? body : body.length;
    const rs = vf(rangeId) + 1 + varintSize(ms) + ms;
    rmSizes.push(rs);
    size += 1 + varintSize(rs) + rs;
  }
  const o = new Out(Buffer.allocUnsafe(size));
  o.field(tag(1, 0), fromNode);
  o.field(tag(2, 0), toNode);
  for (const [i, { rangeId, message }] of messages.entries()) {
    o.buf[o.pos++] = tag(3, 2);
    o.varint(rmSizes[i] as number);
    o.field(tag(1, 0), rangeId);
    const body = bodies[i] as Uint8Array | number;
    o.buf[o.pos++] = tag(2, 2);
    if (typeof body === 'number') {
      o.varint(body);
      writeMessage(o, message);
    } else {
      o.varint(body.length);
      o.buf.set(body, o.pos);
      o.pos += body.length;
    }
  }
  if (o.pos !== size) throw new Error(`raft frame encoding: wrote ${o.pos} bytes of ${size}`);
  return o.buf;
}

// ---- reading -------------------------------------------------------------------------------

class In {
  pos: number;
  constructor(
    readonly buf: Uint8Array,
    start: number,
    readonly end: number,
  ) {
    this.pos = start;
  }
  varint(): number {
    let v = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new Error('raft frame: a varint runs past its end');
      const b = this.buf[this.pos++] as number;
      v += (b & 127) * mul;
      if (b < 128) return v;
      mul *= 128;
    }
    throw new Error('raft frame: a varint longer than 10 bytes');
  }
  /** A length-delimited field's extent: [start, end). */
  span(): [number, number] {
    const len = this.varint();
    const start = this.pos;
    if (start + len > this.end) throw new Error('raft frame: a field runs past its end');
    this.pos = start + len;
    return [start, start + len];
  }
  skip(wire: number): void {
    if (wire === 0) this.varint();
    else if (wire === 1) this.pos += 8;
    else if (wire === 2) this.span();
    else if (wire === 5) this.pos += 4;
    else throw new Error(`raft frame: unsupported wire type ${wire}`);
    if (this.pos > this.end) throw new Error('raft frame: a field runs past its end');
  }
}

function readEntry(buf: Uint8Array, start: number, end: number): Entry {
  const r = new In(buf, start, end);
  let term = 0;
  let index = 0;
  let type = 0;
  let data: Uint8Array = EMPTY;
  while (r.pos < end) {
    const t = r.varint();
    switch (t) {
      case 8: // field 1, wire type 0
        term = r.varint();
        break;
      case 16: // field 2, wire type 0
        index = r.varint();
        break;
      case 24: // field 3, wire type 0
        type = r.varint();
        break;
      case 34: {
        // field 4, wire type 2
        const [s, e] = r.span();
        data = buf.subarray(s, e);
        break;
      }
      default:
        r.skip(t & 7);
    }
  }
  return { term, index, type: type === 1 ? 'conf-change' : 'normal', data };
}

const EMPTY = new Uint8Array(0);

function readMessage(buf: Uint8Array, start: number, end: number): Message {
  const r = new In(buf, start, end);
  let type = 0;
  let from = 0;
  let to = 0;
  let term = 0;
  let logTerm = 0;
  let index = 0;
  let commit = 0;
  let reject = false;
  let rejectHint = 0;
  let context: Uint8Array = EMPTY;
  let lease = 0;
  let quiesce = false;
  let entries: Entry[] | undefined;
  while (r.pos < end) {
    const t = r.varint();
    switch (t) {
      case 8: // field 1, wire type 0
        type = r.varint();
        break;
      case 16: // field 2, wire type 0
        from = r.varint();
        break;
      case 24: // field 3, wire type 0
        to = r.varint();
        break;
      case 32: // field 4, wire type 0
        term = r.varint();
        break;
      case 40: // field 5, wire type 0
        logTerm = r.varint();
        break;
      case 48: // field 6, wire type 0
        index = r.varint();
        break;
      case 58: {
        // field 7, wire type 2
        const [s, e] = r.span();
        if (!entries) entries = [];
        entries.push(readEntry(buf, s, e));
        break;
      }
      case 64: // field 8, wire type 0
        commit = r.varint();
        break;
      case 72: // field 9, wire type 0
        reject = r.varint() !== 0;
        break;
      case 80: // field 10, wire type 0
        rejectHint = r.varint();
        break;
      case 90: // field 11, wire type 2
        // A snapshot: the generated code reads the whole message.
        return messageFromPb(pb.Message.decode(buf.subarray(start, end)));
      case 98: {
        // field 12, wire type 2
        const [s, e] = r.span();
        context = buf.subarray(s, e);
        break;
      }
      case 104: // field 13, wire type 0
        lease = r.varint();
        break;
      case 112: // field 14, wire type 0
        quiesce = r.varint() !== 0;
        break;
      default:
        r.skip(t & 7);
    }
  }
  const name = TYPE_NAME[type];
  if (!name) throw new Error(`unknown raft message type ${type}`);
  switch (name) {
    case 'app':
      return { type: name, from, to, term, logTerm, index, commit, entries: entries ?? NO_ENTRIES, lease };
    case 'app-resp':
      return { type: name, from, to, term, index, reject, rejectHint, logTerm, lease };
    case 'vote':
    case 'pre-vote':
      return { type: name, from, to, term, logTerm, index, transfer: context.length > 0 };
    case 'vote-resp':
    case 'pre-vote-resp':
      return { type: name, from, to, term, reject };
    case 'heartbeat':
      return quiesce
        ? { type: name, from, to, term, commit, context, lease, quiesce }
        : { type: name, from, to, term, commit, context, lease };
    case 'heartbeat-resp':
      return { type: name, from, to, term, context, lease };
    case 'prop':
      return { type: name, from, to, term, entries: entries ?? NO_ENTRIES };
    case 'read-index':
      return { type: name, from, to, term, context };
    case 'read-index-resp':
      return { type: name, from, to, term, index, context };
    case 'snap':
      return messageFromPb(pb.Message.decode(buf.subarray(start, end)));
    case 'timeout-now':
    case 'transfer-leader':
      return { type: name, from, to, term };
  }
}

const NO_ENTRIES: readonly Entry[] = Object.freeze([]);

export interface DecodedBatch {
  readonly fromNode: number;
  readonly toNode: number;
  readonly messages: RangeMessage[];
  /** Messages that did not decode (each is dropped on its own; Raft recovers from loss). */
  readonly malformed: unknown[];
  readonly snapshotChunk?: thinklite.raft.v1.ISnapshotChunk;
}

/**
 * Reads one transport frame. A frame whose outer structure is broken throws; a message inside it
 * that does not decode is reported in `malformed` and the others are kept.
 */
export function decodeMessageBatch(buf: Uint8Array): DecodedBatch {
  const r = new In(buf, 0, buf.length);
  let fromNode = 0;
  let toNode = 0;
  const messages: RangeMessage[] = [];
  const malformed: unknown[] = [];
  let snapshotChunk: thinklite.raft.v1.ISnapshotChunk | undefined;
  while (r.pos < buf.length) {
    const t = r.varint();
    if (t === 8 /* field 1 */) fromNode = r.varint();
    else if (t === 16 /* field 2 */) toNode = r.varint();
    else if (t === 26 /* field 3 */) {
      const [s, e] = r.span();
      try {
        const m = new In(buf, s, e);
        let rangeId = 0;
        let message: Message | undefined;
        while (m.pos < e) {
          const mt = m.varint();
          if (mt === 8 /* field 1 */) rangeId = m.varint();
          else if (mt === 18 /* field 2 */) {
            const [ms, me] = m.span();
            message = readMessage(buf, ms, me);
          } else m.skip(mt & 7);
        }
        message ??= readMessage(buf, e, e);
        messages.push({ rangeId, message });
      } catch (err) {
        malformed.push(err);
      }
    } else if (t === 50 /* field 6 */) {
      const [s, e] = r.span();
      snapshotChunk = pb.SnapshotChunk.decode(buf.subarray(s, e));
    } else r.skip(t & 7);
  }
  return { fromNode, toNode, messages, malformed, ...(snapshotChunk ? { snapshotChunk } : {}) };
}
