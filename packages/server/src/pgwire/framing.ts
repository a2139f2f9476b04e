import { ProtocolError, protocolViolation, SqlState } from './protocol-error.js';

/**
 * Splits the byte stream of a connection into messages. Before startup completes the client
 * sends untyped packets (Int32 length, then the body); afterwards every message has a type byte
 * first. The declared length is checked before any buffer is allocated for it, so a client
 * cannot make the server reserve memory by claiming a huge message.
 */

/** One received message: its type byte ('' for a startup packet) and its body (length excluded). */
export interface Frame {
  readonly type: string;
  readonly body: Buffer;
}

/** PostgreSQL's MAX_STARTUP_PACKET_LENGTH: a startup packet larger than this is refused. */
export const STARTUP_PACKET_BYTES_MAX = 10_000;

export class FrameDecoder {
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** True until the startup phase is over (no type bytes yet). */
  untyped = true;

  constructor(private readonly messageBytesMax: number) {}

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.buffered += chunk.length;
  }

  /** Bytes received but not yet returned as messages. */
  get pending(): number {
    return this.buffered;
  }

  /** The first `n` buffered bytes, without consuming them (n is small: a header). */
  private peek(n: number): Buffer {
    let first = this.chunks[0] as Buffer;
    if (first.length < n) {
      // Merge just enough chunks to see the header.
      let take = 1;
      let size = first.length;
      while (size < n) size += (this.chunks[take++] as Buffer).length;
      first = Buffer.concat(this.chunks.slice(0, take), size);
      this.chunks.splice(0, take, first);
    }
    return first.subarray(0, n);
  }

  private consume(n: number): Buffer {
    this.buffered -= n;
    const first = this.chunks[0] as Buffer;
    if (first.length >= n) {
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
      return first.subarray(0, n);
    }
    const out = Buffer.allocUnsafe(n);
    let off = 0;
    while (off < n) {
      const c = this.chunks[0] as Buffer;
      const k = Math.min(c.length, n - off);
      c.copy(out, off, 0, k);
      off += k;
      if (k === c.length) this.chunks.shift();
      else this.chunks[0] = c.subarray(k);
    }
    return out;
  }

  /** The next complete message, or undefined until more bytes arrive. Throws a FATAL ProtocolError on bad framing. */
  next(): Frame | undefined {
    const headerBytes = this.untyped ? 4 : 5;
    if (this.buffered < headerBytes) return undefined;
    const header = this.peek(headerBytes);
    const type = this.untyped ? '' : String.fromCharCode(header[0] as number);
    const length = header.readInt32BE(this.untyped ? 0 : 1);
    if (this.untyped) {
      if (length < 8 || length > STARTUP_PACKET_BYTES_MAX) throw protocolViolation('invalid length of startup packet');
    } else {
      if (length < 4) throw protocolViolation(`invalid message length ${length}`);
      if (length > this.messageBytesMax) {
        throw new ProtocolError(
          SqlState.PROTOCOL_VIOLATION,
          'message too large',
          true,
          `The message of type "${type}" declares ${length} bytes; the limit is ${this.messageBytesMax}.`,
        );
      }
    }
    const total = (this.untyped ? 0 : 1) + length;
    if (this.buffered < total) return undefined;
    const frame = this.consume(total);
    return { type, body: frame.subarray(headerBytes) };
  }
}
