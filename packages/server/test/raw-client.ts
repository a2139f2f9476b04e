import * as net from 'node:net';

/**
 * A byte-level protocol client for tests that must send what no driver would: malformed
 * packets, huge lengths, unknown types, or interleavings drivers never produce.
 */
export interface RawMessage {
  readonly type: string;
  readonly body: Buffer;
}

export class RawClient {
  private buf = Buffer.alloc(0);
  private waiter: (() => void) | undefined;
  closed = false;

  private constructor(readonly socket: net.Socket) {
    socket.on('data', (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', () => undefined);
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }

  static connect(port: number): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = net.connect(port, '127.0.0.1', () => resolve(new RawClient(s)));
      s.once('error', reject);
    });
  }

  send(...parts: Buffer[]): void {
    this.socket.write(Buffer.concat(parts));
  }

  /** Reads `n` raw bytes (the answer to SSLRequest). */
  async readBytes(n: number): Promise<Buffer> {
    while (this.buf.length < n) {
      if (this.closed) throw new Error('connection closed');
      await new Promise<void>((r) => {
        this.waiter = r;
      });
    }
    const out = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(n);
    return out;
  }

  /** The next message, or undefined once the server has closed the connection. */
  async read(): Promise<RawMessage | undefined> {
    for (;;) {
      if (this.buf.length >= 5) {
        const len = this.buf.readInt32BE(1);
        if (this.buf.length >= 1 + len) {
          const m = { type: String.fromCharCode(this.buf[0] as number), body: this.buf.subarray(5, 1 + len) };
          this.buf = this.buf.subarray(1 + len);
          return m;
        }
      }
      if (this.closed) return undefined;
      await new Promise<void>((r) => {
        this.waiter = r;
      });
    }
  }

  /** Messages up to and including the first of type `type` (or until the connection closes). */
  async readUntil(type: string): Promise<RawMessage[]> {
    const out: RawMessage[] = [];
    for (;;) {
      const m = await this.read();
      if (!m) return out;
      out.push(m);
      if (m.type === type) return out;
    }
  }

  /** Resolves when the server has closed the connection. */
  async waitClosed(): Promise<void> {
    while (!this.closed) {
      await new Promise<void>((r) => {
        this.waiter = r;
      });
    }
  }

  end(): void {
    this.socket.destroy();
  }
}

/** ErrorResponse fields by code letter. */
export function errorFields(body: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  let pos = 0;
  while (pos < body.length && body[pos] !== 0) {
    const code = String.fromCharCode(body[pos] as number);
    const end = body.indexOf(0, pos + 1);
    out[code] = body.toString('utf8', pos + 1, end);
    pos = end + 1;
  }
  return out;
}

export function startupMessage(params: Record<string, string>, version = 196608): Buffer {
  const parts = Object.entries(params).flatMap(([k, v]) => [Buffer.from(`${k}\0${v}\0`)]);
  const body = Buffer.concat([...parts, Buffer.from([0])]);
  const b = Buffer.alloc(8);
  b.writeInt32BE(8 + body.length, 0);
  b.writeInt32BE(version, 4);
  return Buffer.concat([b, body]);
}

/** A typed message: type byte, Int32 length, body. */
export function message(type: string, ...body: Buffer[]): Buffer {
  const payload = Buffer.concat(body);
  const head = Buffer.alloc(5);
  head[0] = type.charCodeAt(0);
  head.writeInt32BE(4 + payload.length, 1);
  return Buffer.concat([head, payload]);
}

export const cstr = (s: string): Buffer => Buffer.from(`${s}\0`);
export function int16(...vs: number[]): Buffer {
  const b = Buffer.alloc(2 * vs.length);
  for (const [i, v] of vs.entries()) b.writeInt16BE(v, 2 * i);
  return b;
}
export function int32(...vs: number[]): Buffer {
  const b = Buffer.alloc(4 * vs.length);
  for (const [i, v] of vs.entries()) b.writeInt32BE(v, 4 * i);
  return b;
}

/** A client past startup (trust authentication), having read up to ReadyForQuery. */
export async function readyClient(port: number): Promise<RawClient> {
  const c = await RawClient.connect(port);
  c.send(startupMessage({ user: 'thinklite', database: 'thinklite' }));
  const msgs = await c.readUntil('Z');
  if (msgs.at(-1)?.type !== 'Z') throw new Error(`startup failed: ${msgs.map((m) => m.type).join('')}`);
  return c;
}

/** The text values of a DataRow. */
export function dataRow(body: Buffer): (string | null)[] {
  const n = body.readInt16BE(0);
  const out: (string | null)[] = [];
  let pos = 2;
  for (let i = 0; i < n; i++) {
    const len = body.readInt32BE(pos);
    pos += 4;
    if (len === -1) out.push(null);
    else {
      out.push(body.toString('utf8', pos, pos + len));
      pos += len;
    }
  }
  return out;
}
