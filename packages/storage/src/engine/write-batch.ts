import { assert, ThinkLiteError } from '@thinklite/base';
import { ByteReader, ByteWriter, toBuffer } from '../encoding/bytes.js';
import { readIntNumber, writeInt } from '../encoding/key-encoding.js';
import { type Entry, KEY_SIZE_MAX_BYTES, type Reader, type ScanOptions, SPACES, type Space } from './engine.js';

export type BatchOp =
  | { readonly kind: 'put'; readonly space: Space; readonly key: Buffer; readonly value: Buffer }
  | { readonly kind: 'delete'; readonly space: Space; readonly key: Buffer }
  | { readonly kind: 'clearRange'; readonly space: Space; readonly start: Buffer; readonly end: Buffer };

/** Keys as latin1 strings: one char per byte, so JavaScript string order is byte order. */
const asMapKey = (key: Uint8Array): string => toBuffer(key).toString('latin1');
const fromMapKey = (key: string): Buffer => Buffer.from(key, 'latin1');

interface Overlay {
  /** The batch's latest write to each key: a value, or null for a delete. */
  readonly writes: Map<string, Buffer | null>;
  /** Spans cleared by clearRange; keys written after the clear live in `writes`. */
  readonly cleared: [Buffer, Buffer][];
}

const REPR_MAGIC = 0x544c4231; // "TLB1"
const OP_PUT = 1;
const OP_DELETE = 2;
const OP_CLEAR = 3;

/**
 * An ordered list of writes applied atomically by Engine.commit. Reads through the batch see the
 * base reader overlaid with the batch's own writes, so a command can read what it just wrote —
 * the shape CockroachDB's proposer-evaluated KV needs: evaluate into a batch on the leaseholder,
 * replicate `repr()`, apply it on every replica.
 *
 * A batch is single-use: once committed (or abandoned after an error), make a new one.
 */
export class WriteBatch implements Reader {
  readonly ops: BatchOp[] = [];
  private readonly overlays = new Map<Space, Overlay>();
  private bytes = 0;
  private clears = 0;
  private lastKey: Buffer | undefined;
  private lastKeyString = '';

  constructor(private base: Reader) {}

  /**
   * Reads fall through to `base` from now on. For a batch stacked on another batch whose commit
   * has landed: the engine now holds what that batch held, so the chain can end there.
   */
  rebase(base: Reader): void {
    this.base = base;
  }

  get count(): number {
    return this.ops.length;
  }

  /** Approximate payload bytes: keys and values written. */
  get byteSize(): number {
    return this.bytes;
  }

  private overlay(space: Space): Overlay {
    let o = this.overlays.get(space);
    if (!o) {
      o = { writes: new Map(), cleared: [] };
      this.overlays.set(space, o);
    }
    return o;
  }

  /** Whether the batch holds a clearRange (engines apply those with reads inside the transaction). */
  get hasClearRange(): boolean {
    return this.clears > 0;
  }

  put(space: Space, key: Uint8Array, value: Uint8Array): void {
    this.putOwned(space, Buffer.from(key), Buffer.from(value));
  }

  /**
   * `put` without copying: the batch keeps `key` and `value`, which the caller must never modify
   * afterwards. For buffers the caller just built (the MVCC layer's encoded versions).
   */
  putOwned(space: Space, key: Buffer, value: Buffer): void {
    checkKey(key);
    this.ops.push({ kind: 'put', space, key, value });
    this.overlay(space).writes.set(this.ownedMapKey(key), value);
    this.bytes += key.length + value.length;
  }

  delete(space: Space, key: Uint8Array): void {
    checkKey(key);
    const k = Buffer.from(key);
    this.ops.push({ kind: 'delete', space, key: k });
    this.overlay(space).writes.set(asMapKey(k), null);
    this.bytes += k.length;
  }

  /** Deletes every key in [start, end) of the space. */
  clearRange(space: Space, start: Uint8Array, end: Uint8Array): void {
    assert(Buffer.compare(start, end) <= 0, 'clearRange start after end');
    const s = Buffer.from(start);
    const e = Buffer.from(end);
    this.ops.push({ kind: 'clearRange', space, start: s, end: e });
    this.clears++;
    const o = this.overlay(space);
    const lo = asMapKey(s);
    const hi = asMapKey(e);
    for (const k of [...o.writes.keys()]) if (k >= lo && k < hi) o.writes.delete(k);
    o.cleared.push([s, e]);
    this.bytes += s.length + e.length;
  }

  /**
   * The overlay key of an owned (never modified) key, reusing the last one computed: a
   * read-modify-write — every MVCC write — reads a key and then writes it, and the conversion is a
   * measurable part of its cost.
   */
  private ownedMapKey(key: Buffer): string {
    if (this.lastKey === key) return this.lastKeyString;
    this.lastKey = key;
    this.lastKeyString = asMapKey(key);
    return this.lastKeyString;
  }

  get(space: Space, key: Uint8Array): Buffer | undefined {
    return this.read(space, key, asMapKey(key));
  }

  /** `get` of a key the batch may keep: the caller must never modify it afterwards. */
  getOwned(space: Space, key: Buffer): Buffer | undefined {
    return this.read(space, key, this.ownedMapKey(key));
  }

  private read(space: Space, key: Uint8Array, mapKey: string): Buffer | undefined {
    const o = this.overlays.get(space);
    if (o) {
      const w = o.writes.get(mapKey);
      if (w !== undefined) return w === null ? undefined : Buffer.from(w);
      if (isCleared(o, key)) return undefined;
    }
    return this.base.get(space, key);
  }

  *scan(space: Space, options: ScanOptions = {}): IterableIterator<Entry> {
    const o = this.overlays.get(space);
    if (!o) {
      yield* this.base.scan(space, options);
      return;
    }
    const { start, end, reverse = false, limit = Number.POSITIVE_INFINITY } = options;
    if (limit <= 0) return;
    const lo = start ? asMapKey(start) : undefined;
    const hi = end ? asMapKey(end) : undefined;
    const mine = [...o.writes.entries()]
      .filter(([k]) => (lo === undefined || k >= lo) && (hi === undefined || k < hi))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    if (reverse) mine.reverse();
    const baseIter = this.base.scan(space, { ...(start ? { start } : {}), ...(end ? { end } : {}), reverse });
    let baseNext = nextVisible(baseIter, o);
    let i = 0;
    let emitted = 0;
    const before = (a: string, b: string) => (reverse ? a > b : a < b);
    while (emitted < limit) {
      const m = mine[i];
      if (baseNext === undefined && m === undefined) return;
      const bk = baseNext ? asMapKey(baseNext.key) : undefined;
      if (m !== undefined && (bk === undefined || !before(bk, m[0]))) {
        // The batch's write wins over the base entry with the same key.
        if (bk === m[0]) baseNext = nextVisible(baseIter, o);
        i++;
        if (m[1] !== null) {
          emitted++;
          yield { key: fromMapKey(m[0]), value: Buffer.from(m[1]) };
        }
      } else if (baseNext !== undefined) {
        emitted++;
        yield baseNext;
        baseNext = nextVisible(baseIter, o);
      }
    }
  }

  /** The batch serialized for replication: magic, op count, then each op. */
  repr(): Buffer {
    const w = new ByteWriter(this.bytes + 16 * this.ops.length + 16);
    w.u32(REPR_MAGIC);
    w.u32(this.ops.length);
    for (const op of this.ops) {
      const kind = op.kind === 'put' ? OP_PUT : op.kind === 'delete' ? OP_DELETE : OP_CLEAR;
      w.u8(kind);
      w.u8(SPACES.indexOf(op.space));
      if (op.kind === 'clearRange') {
        writeBytes(w, op.start);
        writeBytes(w, op.end);
      } else {
        writeBytes(w, op.key);
        if (op.kind === 'put') writeBytes(w, op.value);
      }
    }
    return w.finish();
  }

  /** Rebuilds a batch from `repr()` bytes, checking every field: they arrive over the network. */
  static fromRepr(repr: Uint8Array, base: Reader): WriteBatch {
    const r: ByteReader = new ByteReader(repr);
    try {
      if (r.u32() !== REPR_MAGIC) r.fail('bad batch magic');
      const n = r.u32();
      const batch = new WriteBatch(base);
      for (let i = 0; i < n; i++) {
        const kind = r.u8();
        const space = SPACES[r.u8()];
        if (space === undefined) r.fail('unknown space');
        if (kind === OP_PUT) batch.put(space, readBytes(r), readBytes(r));
        else if (kind === OP_DELETE) batch.delete(space, readBytes(r));
        else if (kind === OP_CLEAR) batch.clearRange(space, readBytes(r), readBytes(r));
        else r.fail(`unknown op ${kind}`);
      }
      if (r.remaining !== 0) r.fail('trailing bytes');
      return batch;
    } catch (e) {
      throw new ThinkLiteError(
        'BATCH_CORRUPT',
        `write batch does not decode: ${(e as Error).message}`,
        {},
        { cause: e },
      );
    }
  }
}

function writeBytes(w: ByteWriter, b: Buffer): void {
  writeInt(w, b.length);
  w.bytes(b);
}

function readBytes(r: ByteReader): Buffer {
  const n = readIntNumber(r);
  if (n < 0 || n > r.remaining) r.fail(`length ${n} beyond the batch`);
  return r.take(n);
}

function isCleared(o: Overlay, key: Uint8Array): boolean {
  for (const [s, e] of o.cleared) if (Buffer.compare(key, s) >= 0 && Buffer.compare(key, e) < 0) return true;
  return false;
}

/** The next base entry that the batch neither cleared nor overwrote (overwrites merge separately). */
function nextVisible(iter: Iterator<Entry>, o: Overlay): Entry | undefined {
  for (;;) {
    const n = iter.next();
    if (n.done) return undefined;
    const e = n.value;
    if (o.writes.has(asMapKey(e.key))) return e; // merged against the batch's write by the caller
    if (!isCleared(o, e.key)) return e;
  }
}

export function checkKey(key: Uint8Array): void {
  if (key.length > KEY_SIZE_MAX_BYTES) {
    throw new ThinkLiteError(
      'KEY_TOO_LARGE',
      `key of ${key.length} bytes exceeds the ${KEY_SIZE_MAX_BYTES}-byte limit`,
      { keyBytes: key.length, limitBytes: KEY_SIZE_MAX_BYTES },
    );
  }
  if (key.length === 0) throw new ThinkLiteError('ENCODING_INVALID', 'empty key', {});
}
