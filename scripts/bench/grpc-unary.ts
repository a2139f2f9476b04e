import * as http2 from 'node:http2';

/**
 * A lean gRPC unary client for load generators: one HTTP/2 connection, one stream per call, the
 * gRPC framing written by hand (a 5-byte prefix: compressed flag, big-endian length), the status
 * read from the trailers (or from the headers of a trailers-only answer).
 *
 * Why not @grpc/grpc-js here: on this 2-core machine the load generator shares the cores with the
 * servers it measures, and grpc-js's client spends ~120 µs of CPU per call — a quarter of the
 * machine at the rates measured. The servers still speak real gRPC (grpc-js, Go's grpc); only the
 * load generator is trimmed, and it is the same for ThinkLite and the reference.
 */
export class GrpcUnaryClient {
  private session: http2.ClientHttp2Session;
  private failure: Error | undefined;
  private closed = false;

  constructor(private readonly address: string) {
    this.session = this.connect();
  }

  /** A session that failed (a server not listening yet, a dropped connection) is replaced. */
  private connect(): http2.ClientHttp2Session {
    this.failure = undefined;
    const session = http2.connect(`http://${this.address}`);
    session.on('error', (e) => {
      this.failure = e;
    });
    return session;
  }

  call(path: string, message: Uint8Array): Promise<Buffer> {
    if (this.closed) return Promise.reject(new Error('the client is closed'));
    if (this.failure) {
      // This call fails with the cause; the next one tries a new connection.
      const failure = this.failure;
      this.session.destroy();
      this.session = this.connect();
      return Promise.reject(failure);
    }
    if (this.session.closed || this.session.destroyed) this.session = this.connect();
    return new Promise((resolve, reject) => {
      const req = this.session.request({
        ':method': 'POST',
        ':path': path,
        'content-type': 'application/grpc',
        te: 'trailers',
      });
      const frame = Buffer.allocUnsafe(5 + message.length);
      frame[0] = 0;
      frame.writeUInt32BE(message.length, 1);
      frame.set(message, 5);
      req.end(frame);
      const chunks: Buffer[] = [];
      let status: string | undefined;
      let detail = '';
      const take = (h: http2.IncomingHttpHeaders) => {
        const s = h['grpc-status'];
        if (s !== undefined) {
          status = String(s);
          detail = decodeURIComponent(String(h['grpc-message'] ?? ''));
        }
      };
      req.on('response', (h) => {
        if (h[':status'] !== 200) {
          status = 'http';
          detail = `HTTP status ${h[':status']}`;
        }
        take(h);
      });
      req.on('trailers', take);
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('error', reject);
      req.on('end', () => {
        if (status !== '0') {
          reject(new Error(`gRPC status ${status ?? 'missing'}${detail ? `: ${detail}` : ''}`));
          return;
        }
        const body = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
        if (body.length < 5 || body.readUInt32BE(1) !== body.length - 5) {
          reject(new Error(`malformed gRPC response frame of ${body.length} bytes`));
          return;
        }
        resolve(body.subarray(5));
      });
    });
  }

  close(): void {
    this.closed = true;
    this.session.close();
  }
}
