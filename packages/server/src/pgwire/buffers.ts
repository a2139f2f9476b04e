import { protocolViolation } from './protocol-error.js';

/**
 * Byte-level reading and writing of protocol messages. All integers on the wire are big-endian
 * ("network byte order"); strings are NUL-terminated (PostgreSQL's "String" type); a message is a
 * type byte, an Int32 length that counts itself but not the type byte, and the body.
 */

/** Builds outgoing messages into one growing buffer, so a burst of messages is one socket write. */
export class MessageWriter {
  private buf = Buffer.allocUnsafe(16 * 1024);
  private pos = 0;
  private start = -1;

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  /** Starts a message of the given type byte; `end()` patches its length. */
  begin(type: string): this {
    if (this.start !== -1) throw new Error('MessageWriter: begin() inside a message');
    this.ensure(5);
    this.buf[this.pos] = type.charCodeAt(0);
    this.start = this.pos + 1;
    this.pos += 5;
    return this;
  }

  end(): this {
    if (this.start === -1) throw new Error('MessageWriter: end() without begin()');
    this.buf.writeInt32BE(this.pos - this.start, this.start);
    this.start = -1;
    return this;
  }

  /** A message with no body (ParseComplete, NoData, …). */
  empty(type: string): this {
    return this.begin(type).end();
  }

  byte(v: number): this {
    this.ensure(1);
    this.buf[this.pos++] = v;
    return this;
  }

  int16(v: number): this {
    this.ensure(2);
    this.buf.writeInt16BE(v, this.pos);
    this.pos += 2;
    return this;
  }

  int32(v: number): this {
    this.ensure(4);
    this.buf.writeInt32BE(v, this.pos);
    this.pos += 4;
    return this;
  }

  cstring(s: string): this {
    const n = Buffer.byteLength(s);
    this.ensure(n + 1);
    this.buf.write(s, this.pos, 'utf8');
    this.pos += n;
    this.buf[this.pos++] = 0;
    return this;
  }

  bytes(b: Uint8Array): this {
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
    return this;
  }

  /** A UTF-8 string without terminator or length (CopyData's payload). */
  utf8(s: string): this {
    const n = Buffer.byteLength(s);
    this.ensure(n);
    this.buf.write(s, this.pos, 'utf8');
    this.pos += n;
    return this;
  }

  /** A length-prefixed value (Int32 length, then the bytes; -1 for NULL), as in DataRow. */
  value(b: Uint8Array | null): this {
    if (b === null) return this.int32(-1);
    return this.int32(b.length).bytes(b);
  }

  /** A length-prefixed UTF-8 string value, encoded straight into the buffer. */
  textValue(s: string): this {
    const n = Buffer.byteLength(s);
    this.ensure(n + 4);
    this.buf.writeInt32BE(n, this.pos);
    this.buf.write(s, this.pos + 4, 'utf8');
    this.pos += n + 4;
    return this;
  }

  get length(): number {
    return this.pos;
  }

  /** The complete messages written so far (a copy), leaving the writer empty. */
  take(): Buffer {
    if (this.start !== -1) throw new Error('MessageWriter: take() inside a message');
    const out = Buffer.from(this.buf.subarray(0, this.pos));
    this.pos = 0;
    // Do not keep a huge buffer alive after one big result.
    if (this.buf.length > 1024 * 1024) this.buf = Buffer.allocUnsafe(16 * 1024);
    return out;
  }
}

/** Reads the fields of one received message body; any overrun is a protocol violation. */
export class MessageReader {
  private pos = 0;

  constructor(private readonly buf: Buffer) {}

  private need(n: number): void {
    if (n < 0 || this.pos + n > this.buf.length) throw protocolViolation('invalid message format');
  }

  get remaining(): number {
    return this.buf.length - this.pos;
  }

  byte(): number {
    this.need(1);
    return this.buf[this.pos++] as number;
  }

  int16(): number {
    this.need(2);
    const v = this.buf.readInt16BE(this.pos);
    this.pos += 2;
    return v;
  }

  int32(): number {
    this.need(4);
    const v = this.buf.readInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  cstring(): string {
    const end = this.buf.indexOf(0, this.pos);
    if (end === -1) throw protocolViolation('invalid string in message');
    const s = this.buf.toString('utf8', this.pos, end);
    this.pos = end + 1;
    return s;
  }

  bytes(n: number): Buffer {
    this.need(n);
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }

  /** Everything left in the message. */
  rest(): Buffer {
    return this.bytes(this.remaining);
  }

  /** PostgreSQL rejects messages with bytes left over after their last field. */
  finish(): void {
    if (this.pos !== this.buf.length) throw protocolViolation('invalid message format');
  }
}
