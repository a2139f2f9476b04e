import { ThinkLiteError } from '@thinklite/base';

/** A growable byte buffer for building keys and values without intermediate arrays. */
export class ByteWriter {
  private buf: Buffer;
  length = 0;

  constructor(capacity = 64) {
    this.buf = Buffer.allocUnsafe(capacity);
  }

  private ensure(extra: number): void {
    const need = this.length + extra;
    if (need <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < need) cap *= 2;
    const next = Buffer.allocUnsafe(cap);
    this.buf.copy(next, 0, 0, this.length);
    this.buf = next;
  }

  u8(b: number): void {
    this.ensure(1);
    this.buf[this.length++] = b;
  }

  u32(v: number): void {
    this.ensure(4);
    this.buf.writeUInt32BE(v >>> 0, this.length);
    this.length += 4;
  }

  /** A non-negative integer below 2^53 as 8 big-endian bytes. */
  u64(v: number): void {
    this.ensure(8);
    this.buf.writeUInt32BE(Math.floor(v / 0x1_0000_0000), this.length);
    this.buf.writeUInt32BE(v >>> 0, this.length + 4);
    this.length += 8;
  }

  f64(v: number): void {
    this.ensure(8);
    this.buf.writeDoubleBE(v, this.length);
    this.length += 8;
  }

  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }

  /** Inverts bytes [from, length): turns an ascending encoding into a descending one. */
  invertFrom(from: number): void {
    for (let i = from; i < this.length; i++) this.buf[i] = (this.buf[i] as number) ^ 0xff;
  }

  /** XORs one already written byte. */
  xorAt(index: number, mask: number): void {
    this.buf[index] = (this.buf[index] as number) ^ mask;
  }

  /** A copy of the written bytes, owned by the caller. */
  finish(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.length));
  }

  reset(): void {
    this.length = 0;
  }
}

/**
 * Reads bytes, optionally inverted (descending key columns are stored bit-inverted). Running off
 * the end is an ENCODING_INVALID error, not an exception from Buffer: the bytes may come from disk.
 */
export class ByteReader {
  pos: number;
  mask = 0;

  constructor(
    readonly buf: Uint8Array,
    start = 0,
  ) {
    this.pos = start;
  }

  get remaining(): number {
    return this.buf.length - this.pos;
  }

  fail(what: string): never {
    throw new ThinkLiteError('ENCODING_INVALID', `malformed encoding at byte ${this.pos}: ${what}`, {
      offset: this.pos,
      length: this.buf.length,
    });
  }

  peek(): number {
    if (this.pos >= this.buf.length) this.fail('unexpected end');
    return (this.buf[this.pos] as number) ^ this.mask;
  }

  u8(): number {
    if (this.pos >= this.buf.length) this.fail('unexpected end');
    return (this.buf[this.pos++] as number) ^ this.mask;
  }

  take(n: number): Buffer {
    if (this.pos + n > this.buf.length) this.fail(`wanted ${n} bytes, ${this.remaining} left`);
    const out = Buffer.from(this.buf.subarray(this.pos, this.pos + n));
    this.pos += n;
    if (this.mask !== 0) for (let i = 0; i < n; i++) out[i] = (out[i] as number) ^ this.mask;
    return out;
  }

  u32(): number {
    const b = this.take(4);
    return b.readUInt32BE(0);
  }

  u64(): number {
    const b = this.take(8);
    return b.readUInt32BE(0) * 0x1_0000_0000 + b.readUInt32BE(4);
  }
}

/** Bytewise comparison, the order LMDB keeps keys in. */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  return Buffer.compare(a, b);
}

/**
 * The first key after every key that starts with `prefix` (the end of a prefix span), or undefined
 * when there is none (the prefix is all 0xff bytes).
 */
export function prefixEnd(prefix: Uint8Array): Buffer | undefined {
  const out = Buffer.from(prefix);
  for (let i = out.length - 1; i >= 0; i--) {
    if ((out[i] as number) < 0xff) {
      out[i] = (out[i] as number) + 1;
      return out.subarray(0, i + 1);
    }
  }
  return undefined;
}

export function toBuffer(b: Uint8Array): Buffer {
  return Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}
