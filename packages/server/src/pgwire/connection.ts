import type { Socket } from 'node:net';
import { type SecureContext, TLSSocket } from 'node:tls';
import { type Logger, ThinkLiteError } from '@thinklite/base';
import {
  type Datum,
  formatText,
  parse,
  type QueryResult,
  type ResultColumn,
  type Session,
  type SqlEngine,
  type SqlType,
  Types,
  typeFromOid,
  typeOid,
  typmodOf,
} from '@thinklite/sql';
import { runsAsImplicitTransaction } from '../implicit-transaction.js';
import * as out from './backend-messages.js';
import { binarySupported, decodeBinary, encodeBinary, typeSize } from './binary-format.js';
import { MessageReader, MessageWriter } from './buffers.js';
import { FrameDecoder } from './framing.js';
import { decodeMessage, decodeStartup, type FormatCode, type FrontendMessage } from './frontend-messages.js';
import type { PgWireMetrics } from './metrics.js';
import { ProtocolError, protocolViolation, SqlState, type WireError, wireError } from './protocol-error.js';
import { type Row, RowCursor } from './row-cursor.js';
import { SCRAM_SHA_256, ScramError, ScramExchange, type ScramVerifier } from './scram.js';
import { REPORTED, setStatement, startupSettings } from './startup-settings.js';

/**
 * One client connection: the protocol's state machine (PostgreSQL documentation, "Message
 * Flow"). Startup → authentication → ready; in the ready phase messages are handled strictly one
 * at a time, in order, so pipelined messages (many sent before the client reads anything) are
 * answered in the order they came. Output is buffered and written when the input runs dry, when
 * the buffer passes 64 KiB, or when the connection waits on the engine.
 */

type Statement = ReturnType<typeof parse>[number];
type CopyStatement = Extract<Statement, { kind: 'copy' }>;

/**
 * One COPY … FROM STDIN seen from the protocol: copy-in mode starts when the engine first asks
 * for data (so a COPY that fails before reading — a missing table — answers with just an error)
 * and lasts until the client sends CopyDone or CopyFail, whatever the engine did meanwhile.
 */
interface CopyIn {
  /** CopyInResponse has been sent. */
  started: boolean;
  /** The client has left copy-in mode (CopyDone, CopyFail, an out-of-place message). */
  ended: boolean;
  /** Why the input failed, when it did: reported instead of what the engine makes of it. */
  failure?: unknown;
}

function connectionGone(): ProtocolError {
  return new ProtocolError(SqlState.ADMIN_SHUTDOWN, 'connection closed', true);
}

/** How clients prove who they are. */
export type AuthConfig =
  | { readonly method: 'trust' }
  /** SCRAM-SHA-256: a verifier (or clear-text password, turned into one at start) per user. */
  | { readonly method: 'scram-sha-256'; readonly users: ReadonlyMap<string, ScramVerifier> };

/** What a connection needs from its server. */
export interface ConnectionHost {
  readonly engine: SqlEngine;
  readonly auth: AuthConfig;
  readonly messageBytesMax: number;
  readonly metrics: PgWireMetrics;
  /**
   * TLS: with it an SSLRequest is answered 'S' and the connection continues over TLS; `required`
   * refuses clients that do not ask for it (FATAL 28000, as a pg_hba.conf without a `host` line).
   */
  readonly tls?: { readonly context: SecureContext; readonly required: boolean };
  /** Called for a CancelRequest; the server finds the connection by its key. */
  cancel(processId: number, secretKey: number): void;
}

/** A statement prepared by Parse. */
interface Prepared {
  readonly sql: string;
  /** Undefined for an empty query string. */
  readonly stmt: Statement | undefined;
  /** The types Parse declared (undefined where it sent 0: inferred). */
  readonly declared: readonly (SqlType | undefined)[];
  /** How many parameters Bind must supply: the declared ones or the highest `$n`, whichever is more. */
  readonly paramCount: number;
}

/** The highest `$n` a statement's syntax tree mentions (0 for none). */
function highestParam(node: unknown): number {
  if (node === null || typeof node !== 'object') return 0;
  if (Array.isArray(node)) return node.reduce((m: number, x) => Math.max(m, highestParam(x)), 0);
  const n = node as { kind?: unknown; number?: unknown };
  let max = n.kind === 'param' && typeof n.number === 'number' ? n.number : 0;
  for (const v of Object.values(node)) if (v !== null && typeof v === 'object') max = Math.max(max, highestParam(v));
  return max;
}

/** A portal made by Bind: a prepared statement with its parameters, maybe already running. */
interface Portal {
  readonly prepared: Prepared;
  readonly params: readonly unknown[];
  readonly paramTypes: readonly (SqlType | undefined)[];
  readonly resultFormats: readonly FormatCode[];
  cursor?: RowCursor;
  /** The command tag once the portal has run to completion. */
  completed?: string;
}

const OUTPUT_FLUSH_BYTES = 64 * 1024;
/** Unread input past which a busy connection stops reading its socket. */
const INPUT_PAUSE_BYTES = 1024 * 1024;

let parsedCache: { begin: Statement; commit: Statement; rollback: Statement; select1: Statement } | undefined;
function fixed(): NonNullable<typeof parsedCache> {
  parsedCache ??= {
    begin: parse('BEGIN')[0] as Statement,
    commit: parse('COMMIT')[0] as Statement,
    rollback: parse('ROLLBACK')[0] as Statement,
    select1: parse('SELECT 1')[0] as Statement,
  };
  return parsedCache;
}

/**
 * Replies wait for the end of the event-loop turn (setImmediate runs after every socket the poll
 * found ready has been read and its statements run), then go out back to back. A client process
 * that reads several connections (pgbench -j, a pool) is then woken once for the turn's replies
 * rather than once per reply: each wake-up of a sleeping reader on another CPU is an
 * inter-processor interrupt, and on a virtual machine a costly one — before this, the write that
 * woke pgbench was 29% of the node's CPU profile under select-only load.
 */
const awaitingFlush = new Set<Connection>();
let flushScheduled = false;

function endOfTurnFlush(c: Connection): void {
  awaitingFlush.add(c);
  if (flushScheduled) return;
  flushScheduled = true;
  setImmediate(() => {
    flushScheduled = false;
    const due = [...awaitingFlush];
    awaitingFlush.clear();
    for (const conn of due) conn.flushDeferred();
  });
}

export class Connection {
  readonly processId: number;
  readonly secretKey: number;
  private readonly decoder: FrameDecoder;
  private readonly writer = new MessageWriter();
  private readonly log: Logger;
  /** The client's socket: the TCP socket, or the TLS socket over it after an SSLRequest. */
  private socket: Socket;
  /** The connection runs over TLS. */
  private encrypted = false;
  private readonly onDataListener = (chunk: Buffer) => this.onData(chunk);
  private phase: 'startup' | 'auth' | 'ready' | 'closed' = 'startup';
  private session: Session | undefined;
  private user = '';
  private scram: ScramExchange | undefined;
  private scramStep: 'first' | 'final' = 'first';
  private readonly prepared = new Map<string, Prepared>();
  private readonly portals = new Map<string, Portal>();
  /** After an error in the extended protocol, messages are skipped until Sync. */
  private skipUntilSync = false;
  private readonly reported = new Map<string, string>();
  private processing = false;
  /** The server is shutting down: a COPY waiting for data gives up. */
  private terminating = false;
  /** Wakes a COPY that waits for the client's data. */
  private inputWaiter: (() => void) | undefined;
  /** A message read while draining a failed COPY that was not COPY data: handled next. */
  private pushedBack: FrontendMessage | undefined;
  private loop: Promise<void> = Promise.resolve();
  private closedResolve!: () => void;
  /** Resolves once the connection has closed and its session has been cleaned up. */
  readonly closed: Promise<void>;

  constructor(
    socket: Socket,
    private readonly host: ConnectionHost,
    logger: Logger,
    key: { processId: number; secretKey: number },
    /** Set when the server is at max_connections: the client is told so after its startup packet. */
    private readonly overLimit: boolean,
  ) {
    this.processId = key.processId;
    this.secretKey = key.secretKey;
    this.log = logger;
    this.socket = socket;
    this.decoder = new FrameDecoder(host.messageBytesMax);
    this.closed = new Promise((resolve) => {
      this.closedResolve = resolve;
    });
    socket.setNoDelay(true);
    socket.on('data', this.onDataListener);
    socket.on('error', (e) => this.log.debug({ err: e.message }, 'socket error'));
    socket.on('close', () => void this.onClose());
  }

  /** Ends the connection from the server side (shutdown): a FATAL 57P01 if it is idle. */
  terminate(): void {
    if (this.phase === 'closed') return;
    if (!this.processing) {
      this.sendError({
        severity: 'FATAL',
        sqlstate: SqlState.ADMIN_SHUTDOWN,
        message: 'terminating connection due to administrator command',
      });
      this.flush();
    }
    this.session?.cancel?.();
    this.socket.end();
    this.socket.destroySoon?.();
    // A COPY waiting for the client's data stops waiting.
    this.terminating = true;
    this.wakeInput();
  }

  /** True once startup and authentication have completed. */
  get isReady(): boolean {
    return this.phase === 'ready';
  }

  /** A CancelRequest for this connection: the running statement fails with 57014. */
  cancel(): void {
    this.session?.cancel?.();
  }

  private onData(chunk: Buffer): void {
    if (this.phase === 'closed') return;
    this.decoder.push(chunk);
    if (this.processing) {
      // Pipelined input piles up while a statement runs; stop reading past a bound.
      if (this.decoder.pending > INPUT_PAUSE_BYTES) this.socket.pause();
      this.wakeInput();
      return;
    }
    this.processing = true;
    this.loop = this.process();
  }

  private async process(): Promise<void> {
    try {
      for (;;) {
        if (this.phase === 'closed') return;
        const pushed = this.pushedBack;
        if (pushed) {
          this.pushedBack = undefined;
          await this.handleMessage(pushed);
          continue;
        }
        const frame = this.decoder.next();
        if (!frame) {
          // The input ran dry: send what is buffered, at the end of this event-loop turn (see
          // endOfTurnFlush). A client that does not read its replies fills the socket; then
          // nothing more is read until it drains, so a flood of messages cannot pile up output.
          if (this.writer.length > 0) endOfTurnFlush(this);
          break;
        }
        if (frame.type === '') await this.handleStartup(frame.body);
        else await this.handleMessage(decodeMessage(frame.type, frame.body));
        // Replies to many small messages (errors, ParseComplete, ReadyForQuery…) add up: write
        // them out with backpressure once they pass the flush size.
        if (this.writer.length > OUTPUT_FLUSH_BYTES) await this.flush();
      }
      if (this.socket.isPaused() && !this.outputBlocked) this.socket.resume();
    } catch (e) {
      this.fatal(e);
    } finally {
      // No await separates the last next() from here, so no bytes can be waiting unseen.
      this.processing = false;
    }
  }

  private wakeInput(): void {
    const w = this.inputWaiter;
    this.inputWaiter = undefined;
    w?.();
  }

  /** Sends a FATAL error (for a ProtocolError or anything unexpected) and closes the connection. */
  private fatal(e: unknown): void {
    const w = wireError(e);
    if (w.sqlstate === SqlState.PROTOCOL_VIOLATION) this.host.metrics.connectionsRejected.inc({ reason: 'protocol' });
    this.sendError({ ...w, severity: 'FATAL' });
    if (!(e instanceof ProtocolError)) this.log.error({ err: e }, 'connection failed');
    else this.log.info({ sqlstate: w.sqlstate, message: w.message }, 'connection refused');
    this.flush();
    this.phase = 'closed';
    this.socket.end();
  }

  private sendError(e: WireError): void {
    this.host.metrics.errorsTotal.inc({ sqlstate: e.sqlstate });
    out.errorResponse(this.writer, e);
  }

  /** The client is not reading its replies: its input stays paused until the socket drains. */
  private outputBlocked = false;

  /** Called by endOfTurnFlush: writes what is buffered, pausing input while the socket is full. */
  flushDeferred(): void {
    const draining = this.flush();
    if (!draining) return;
    this.outputBlocked = true;
    this.socket.pause();
    void draining.then(() => {
      this.outputBlocked = false;
      if (this.phase !== 'closed' && this.socket.isPaused() && !this.processing) this.socket.resume();
    });
  }

  /** Writes buffered output; resolves when the socket can take more (backpressure). */
  private flush(): Promise<void> | undefined {
    if (this.writer.length === 0 || this.socket.destroyed || !this.socket.writable) {
      if (this.socket.destroyed) this.writer.take();
      return undefined;
    }
    if (this.socket.write(this.writer.take())) return undefined;
    return new Promise<void>((resolve) => {
      const done = () => {
        this.socket.off('drain', done);
        this.socket.off('close', done);
        resolve();
      };
      this.socket.on('drain', done);
      this.socket.on('close', done);
    });
  }

  // ---- startup and authentication ----

  private async handleStartup(body: Buffer): Promise<void> {
    const packet = decodeStartup(body);
    switch (packet.kind) {
      case 'sslRequest':
        if (this.host.tls) {
          this.startTls();
          return;
        }
        // No TLS configured: 'N' tells the client to go on in plain text.
        out.refuseEncryption(this.writer);
        this.flush();
        return;
      case 'gssEncRequest':
        // No GSSAPI encryption: 'N' as for SSLRequest without TLS.
        if (this.encrypted) throw protocolViolation('GSSENCRequest received over a TLS connection');
        out.refuseEncryption(this.writer);
        this.flush();
        return;
      case 'cancelRequest':
        // Cancel requests get no answer; the connection just closes.
        this.host.cancel(packet.processId, packet.secretKey);
        this.phase = 'closed';
        this.socket.end();
        return;
      case 'startup':
        break;
    }
    this.decoder.untyped = false;
    if (this.overLimit) {
      this.host.metrics.connectionsRejected.inc({ reason: 'limit' });
      throw new ProtocolError(SqlState.TOO_MANY_CONNECTIONS, 'sorry, too many clients already', true);
    }
    const params = packet.params;
    const user = params.get('user');
    if (!user) {
      throw new ProtocolError(
        SqlState.INVALID_AUTHORIZATION,
        'no PostgreSQL user name specified in startup packet',
        true,
      );
    }
    this.user = user;
    const database = params.get('database') || user;
    if (this.host.tls?.required && !this.encrypted) {
      // PostgreSQL's words when no pg_hba.conf line admits a plain connection (only hostssl ones).
      this.host.metrics.connectionsRejected.inc({ reason: 'tls' });
      throw new ProtocolError(
        SqlState.INVALID_AUTHORIZATION,
        `no pg_hba.conf entry for host "${this.socket.remoteAddress ?? ''}", user "${user}", database "${database}", no encryption`,
        true,
        'This server accepts only TLS connections (it has no pg_hba.conf: TLS is required by its configuration); connect with sslmode=require.',
      );
    }
    this.session = this.host.engine.session(database);
    this.startupParams = params;
    this.log.debug({ user, database, application: params.get('application_name') }, 'startup');
    if (this.host.auth.method === 'trust') {
      await this.authenticated();
      return;
    }
    this.phase = 'auth';
    this.scram = new ScramExchange(this.host.auth.users.get(user));
    out.authenticationSasl(this.writer, [SCRAM_SHA_256]);
    this.flush();
  }

  private startupParams: ReadonlyMap<string, string> = new Map();

  /**
   * Answers an SSLRequest with 'S' and continues over TLS (PostgreSQL documentation, "SSL
   * Session Encryption"): the TLS handshake follows on the same socket, then the startup packet
   * inside it. A failed handshake ends only this connection (its socket closes, see onClose).
   */
  private startTls(): void {
    const tls = this.host.tls as NonNullable<ConnectionHost['tls']>;
    if (this.encrypted) throw protocolViolation('SSLRequest received over a TLS connection');
    // Bytes sent after the SSLRequest but before the handshake would be read as if they had come
    // through TLS (CVE-2021-23214): refuse them, as PostgreSQL does.
    if (this.decoder.pending > 0) throw protocolViolation('received unencrypted data after SSL request');
    out.acceptEncryption(this.writer);
    this.flush();
    const raw = this.socket;
    raw.off('data', this.onDataListener);
    const secure = new TLSSocket(raw, { isServer: true, secureContext: tls.context });
    this.socket = secure;
    this.encrypted = true;
    let established = false;
    secure.on('data', this.onDataListener);
    secure.on('error', (e) => {
      // A failed handshake (not TLS, a protocol or certificate alert) or a broken TLS record:
      // the socket is destroyed, onClose cleans up.
      if (!established) this.host.metrics.connectionsRejected.inc({ reason: 'tls' });
      this.log.info({ err: e.message, handshake: !established }, 'TLS error');
    });
    secure.once('secure', () => {
      established = true;
      this.log.debug({ protocol: secure.getProtocol(), cipher: secure.getCipher().name }, 'TLS established');
    });
  }

  private authFailed(): ProtocolError {
    this.host.metrics.connectionsRejected.inc({ reason: 'auth' });
    return new ProtocolError(SqlState.INVALID_PASSWORD, `password authentication failed for user "${this.user}"`, true);
  }

  /** SASLInitialResponse, then SASLResponse: both arrive as 'p' messages. */
  private async handleSasl(data: Buffer): Promise<void> {
    const scram = this.scram as ScramExchange;
    try {
      if (this.scramStep === 'first') {
        const r = new MessageReader(data);
        const mechanism = r.cstring();
        const len = r.int32();
        const response = len === -1 ? '' : r.bytes(len).toString('utf8');
        if (mechanism !== SCRAM_SHA_256) {
          throw protocolViolation('client selected an invalid SASL authentication mechanism');
        }
        out.authenticationSaslContinue(this.writer, scram.clientFirst(response));
        this.scramStep = 'final';
        this.flush();
        return;
      }
      const final = scram.clientFinal(data.toString('utf8'));
      out.authenticationSaslFinal(this.writer, final);
      await this.authenticated();
    } catch (e) {
      if (e instanceof ScramError) {
        if (e.reason === 'password') throw this.authFailed();
        this.host.metrics.connectionsRejected.inc({ reason: 'auth' });
        throw new ProtocolError(
          e.reason === 'unsupported' ? SqlState.FEATURE_NOT_SUPPORTED : SqlState.PROTOCOL_VIOLATION,
          e.message,
          true,
        );
      }
      throw e;
    }
  }

  /** After authentication: apply startup settings, check the database, report status, go ready. */
  private async authenticated(): Promise<void> {
    const session = this.session as Session;
    // The database must exist: any statement fails with 3D000 otherwise.
    try {
      await session.stream(fixed().select1, [], { start: () => undefined, rows: () => true });
    } catch (e) {
      this.host.metrics.connectionsRejected.inc({ reason: 'database' });
      const w = wireError(e);
      throw new ProtocolError(w.sqlstate, w.message, true);
    }
    let settings: [string, string][];
    try {
      settings = startupSettings(this.startupParams);
    } catch (e) {
      throw new ProtocolError(SqlState.FEATURE_NOT_SUPPORTED, (e as Error).message, true);
    }
    for (const [name, value] of settings) {
      try {
        const [stmt] = parse(setStatement(name, value));
        await session.stream(stmt as Statement, [], { start: () => undefined, rows: () => true });
      } catch (e) {
        const w = wireError(e);
        throw new ProtocolError(w.sqlstate, w.message, true);
      }
    }
    out.authenticationOk(this.writer);
    this.phase = 'ready';
    for (const [name, key] of REPORTED) {
      const value = session.settings.get(key) ?? '';
      this.reported.set(name, value);
      out.parameterStatus(this.writer, name, value);
    }
    out.parameterStatus(this.writer, 'is_superuser', 'on');
    out.parameterStatus(this.writer, 'session_authorization', this.user);
    out.backendKeyData(this.writer, this.processId, this.secretKey);
    this.readyForQuery();
    this.log.info({ user: this.user, database: session.database, tls: this.encrypted }, 'connection ready');
  }

  private readyForQuery(): void {
    const status = (this.session as Session).transactionStatus;
    out.readyForQuery(this.writer, status === 'idle' ? 'I' : status === 'open' ? 'T' : 'E');
  }

  /** ParameterStatus for every reported setting a statement changed (SET, RESET). */
  private reportChanges(): void {
    const session = this.session as Session;
    for (const [name, key] of REPORTED) {
      const value = session.settings.get(key) ?? '';
      if (this.reported.get(name) !== value) {
        this.reported.set(name, value);
        out.parameterStatus(this.writer, name, value);
      }
    }
  }

  // ---- the ready phase ----

  private async handleMessage(msg: FrontendMessage): Promise<void> {
    if (this.phase === 'auth') {
      if (msg.kind === 'terminate') {
        // A client may give up during authentication (psql does when it must ask for a password).
        this.phase = 'closed';
        this.socket.end();
        return;
      }
      if (msg.kind !== 'password') throw protocolViolation(`expected SASL response, got message type "${msg.kind}"`);
      await this.handleSasl(msg.data);
      return;
    }
    if (this.phase !== 'ready') throw protocolViolation('unexpected message before startup completed');
    if (msg.kind === 'terminate') {
      this.phase = 'closed';
      this.socket.end();
      return;
    }
    if (msg.kind === 'sync') {
      this.skipUntilSync = false;
      await this.sync();
      return;
    }
    if (this.skipUntilSync) return;
    try {
      switch (msg.kind) {
        case 'query':
          try {
            await this.simpleQuery(msg.sql);
          } catch (e) {
            // simpleQuery reports statement errors itself; anything else still ends with ReadyForQuery.
            if (e instanceof ProtocolError && e.fatal) throw e;
            this.sendError(toWireError(e));
            this.readyForQuery();
          }
          return;
        case 'parse':
          await this.parseMessage(msg.name, msg.sql, msg.paramTypeOids);
          return;
        case 'bind':
          await this.bind(msg);
          return;
        case 'describe':
          await this.describe(msg.target, msg.name);
          return;
        case 'execute':
          await this.execute(msg.portal, msg.maxRows);
          return;
        case 'close':
          await this.closeTarget(msg.target, msg.name);
          return;
        case 'flush':
          await this.flush();
          return;
        case 'password':
          throw protocolViolation('unexpected password message');
        case 'copyData':
        case 'copyDone':
        case 'copyFail':
          // PostgreSQL ignores these outside COPY.
          return;
        case 'functionCall':
          throw new ProtocolError(
            SqlState.FEATURE_NOT_SUPPORTED,
            'the function call protocol message is not supported',
          );
      }
    } catch (e) {
      if (e instanceof ProtocolError && e.fatal) throw e;
      this.sendError(toWireError(e));
      this.skipUntilSync = true;
      this.reportChanges();
    }
  }

  /** Lets any statement still running in a suspended portal finish first: the session runs one at a time. */
  private async settle(): Promise<void> {
    for (const p of this.portals.values()) if (p.cursor?.running) await p.cursor.drain();
  }

  private async closePortal(name: string): Promise<void> {
    const p = this.portals.get(name);
    if (!p) return;
    this.portals.delete(name);
    await p.cursor?.close();
  }

  private async sync(): Promise<void> {
    // Outside a transaction block portals end with their implicit transaction, as in PostgreSQL.
    const session = this.session as Session;
    if (session.transactionStatus === 'idle') {
      for (const name of [...this.portals.keys()]) await this.closePortal(name);
    }
    this.readyForQuery();
    // More messages already here (a pipeline): this reply goes now, not after them. Otherwise the
    // input runs dry next and the reply leaves at the end of the turn with the others.
    if (this.decoder.pending > 0) await this.flush();
  }

  private typeContext(): { timeZone: string } {
    return { timeZone: (this.session as Session).settings.get('timezone') ?? 'UTC' };
  }

  /** One DataRow: each value in its column's format. */
  private dataRow(
    columns: readonly ResultColumn[],
    formats: readonly FormatCode[],
    row: Row,
    ctx: { timeZone: string },
  ): void {
    const w = this.writer;
    w.begin('D').int16(row.length);
    for (let i = 0; i < row.length; i++) {
      const v = row[i] as Datum;
      if (v === null) {
        w.int32(-1);
        continue;
      }
      const type = columns[i]?.type ?? Types.text;
      if (formats[i] === 1) w.value(encodeBinary(type, v));
      else w.textValue(formatText(type, v, ctx));
    }
    w.end();
  }

  private fields(columns: readonly ResultColumn[], formats: readonly FormatCode[]): out.FieldDescription[] {
    return columns.map((c, i) => ({
      name: c.name,
      tableOid: 0,
      columnNumber: 0,
      typeOid: typeOid(c.type),
      typeSize: typeSize(c.type),
      typmod: typmodOf(c.type),
      format: formats[i] ?? 0,
    }));
  }

  /** Runs a statement through a cursor, sending its rows; returns 'suspended' at the row limit. */
  private async runPortal(
    cursor: RowCursor,
    maxRows: number,
    formatsFor: (columns: readonly ResultColumn[]) => readonly FormatCode[],
    describe: boolean,
  ): Promise<'done' | 'suspended'> {
    let columns: readonly ResultColumn[] = [];
    let formats: readonly FormatCode[] = [];
    // Values print in the session's time zone as it is when the rows go out.
    const ctx = this.typeContext();
    return cursor.fetch(
      maxRows,
      (row) => {
        // The client is gone: stop here rather than compute the rest of a result nobody reads.
        if (this.phase === 'closed') throw new ProtocolError(SqlState.ADMIN_SHUTDOWN, 'connection closed', true);
        if (columns.length === 0 && cursor.columns) {
          columns = cursor.columns;
          formats = formatsFor(columns);
        }
        this.dataRow(columns, formats, row, ctx);
        if (this.writer.length > OUTPUT_FLUSH_BYTES) return this.flush();
        return undefined;
      },
      (cols) => {
        columns = cols;
        formats = formatsFor(cols);
        if (describe) out.rowDescription(this.writer, this.fields(cols, formats));
      },
    );
  }

  private countStatement(tag: string): void {
    this.host.metrics.queriesTotal.inc({ command: tag.split(' ')[0] || 'UNKNOWN' });
  }

  /** The simple query protocol: every statement of the string, text results, then ReadyForQuery. */
  private async simpleQuery(sql: string): Promise<void> {
    const session = this.session as Session;
    await this.closePortal('');
    await this.settle();
    let statements: readonly Statement[];
    try {
      statements = parse(sql);
    } catch (e) {
      this.sendError(wireError(e));
      this.readyForQuery();
      return;
    }
    if (statements.length === 0) {
      out.emptyQueryResponse(this.writer);
      this.readyForQuery();
      return;
    }
    // Several statements in one message run as one transaction unless they manage transactions
    // themselves (PostgreSQL's implicit transaction block).
    const implicit = runsAsImplicitTransaction(statements, session);
    const nothing = { start: () => undefined, rows: () => true };
    if (implicit) await session.stream(fixed().begin, [], nothing);
    let failed = false;
    let fatal: unknown;
    for (const stmt of statements) {
      if (stmt.kind === 'copy') {
        try {
          const r = await this.runCopy(stmt, [], {});
          out.commandComplete(this.writer, r.command);
          this.countStatement(r.command);
          continue;
        } catch (e) {
          if (e instanceof ProtocolError && e.fatal) fatal = e;
          else this.sendError(wireError(e, stmt.span));
          failed = true;
          break;
        } finally {
          this.reportChanges();
        }
      }
      const cursor = new RowCursor((sink) => session.stream(stmt, [], sink));
      try {
        await this.runPortal(cursor, 0, (cols) => cols.map(() => 0), true);
        const r = cursor.completion as QueryResult;
        out.commandComplete(this.writer, r.command);
        this.countStatement(r.command);
      } catch (e) {
        await cursor.close();
        this.sendError(wireError(e, stmt.span));
        failed = true;
        break;
      } finally {
        this.reportChanges();
      }
    }
    if (fatal !== undefined) {
      if (implicit) await session.stream(fixed().rollback, [], nothing).catch(() => undefined);
      throw fatal;
    }
    if (implicit) {
      try {
        await session.stream(failed ? fixed().rollback : fixed().commit, [], nothing);
      } catch (e) {
        if (!failed) this.sendError(wireError(e));
      }
    }
    this.readyForQuery();
  }

  private async parseMessage(name: string, sql: string, oids: readonly number[]): Promise<void> {
    if (name !== '' && this.prepared.has(name)) {
      throw new ProtocolError(SqlState.DUPLICATE_PREPARED_STATEMENT, `prepared statement "${name}" already exists`);
    }
    const statements = parse(sql);
    if (statements.length > 1) {
      throw new ProtocolError('42601', 'cannot insert multiple commands into a prepared statement');
    }
    const declared = oids.map((oid) => {
      if (oid === 0) return undefined;
      const t = typeFromOid(oid);
      // An OID ThinkLite does not know (or `unknown`) is left for the engine to infer.
      return t && t.kind !== 'unknown' ? t : undefined;
    });
    const stmt = statements[0];
    const paramCount = Math.max(declared.length, stmt ? highestParam(stmt) : 0);
    this.prepared.set(name, { sql, stmt, declared, paramCount });
    out.parseComplete(this.writer);
  }

  private lookupPrepared(name: string): Prepared {
    const p = this.prepared.get(name);
    if (!p) throw new ProtocolError(SqlState.INVALID_SQL_STATEMENT_NAME, `prepared statement "${name}" does not exist`);
    return p;
  }

  private lookupPortal(name: string): Portal {
    const p = this.portals.get(name);
    if (!p) throw new ProtocolError(SqlState.INVALID_CURSOR_NAME, `portal "${name}" does not exist`);
    return p;
  }

  private async bind(msg: Extract<FrontendMessage, { kind: 'bind' }>): Promise<void> {
    const prepared = this.lookupPrepared(msg.statement);
    if (msg.portal === '') await this.closePortal('');
    else if (this.portals.has(msg.portal)) {
      throw new ProtocolError(SqlState.DUPLICATE_CURSOR, `portal "${msg.portal}" already exists`);
    }
    const n = msg.params.length;
    if (n !== prepared.paramCount) {
      throw new ProtocolError(
        SqlState.PROTOCOL_VIOLATION,
        `bind message supplies ${n} parameters, but prepared statement "${msg.statement}" requires ${prepared.paramCount}`,
      );
    }
    const pf = msg.paramFormats;
    if (pf.length > 1 && pf.length !== n) {
      throw protocolViolation(`bind message has ${pf.length} parameter formats but ${n} parameters`);
    }
    const formatOf = (i: number): FormatCode =>
      pf.length === 0 ? 0 : pf.length === 1 ? (pf[0] as FormatCode) : (pf[i] as FormatCode);
    let types: readonly (SqlType | undefined)[] = prepared.declared;
    const needsTypes = msg.params.some((v, i) => v !== null && formatOf(i) === 1 && types[i] === undefined);
    if (needsTypes && prepared.stmt) {
      // A binary parameter is decoded by its type: ask the engine what it infers.
      await this.settle();
      types = (await (this.session as Session).describe(prepared.stmt, prepared.declared)).params;
    }
    const ctx = this.typeContext();
    const params = msg.params.map((v, i) => {
      if (v === null) return null;
      if (formatOf(i) === 0) return v.toString('utf8');
      const type = types[i] ?? Types.text;
      const d = decodeBinary(type, v);
      // Hand the engine what it parses best: byte arrays as such, everything else as its text.
      if (d === null || d instanceof Uint8Array) return d;
      return formatText(type, d, ctx);
    });
    this.portals.set(msg.portal, {
      prepared,
      params,
      paramTypes: types,
      resultFormats: msg.resultFormats,
    });
    out.bindComplete(this.writer);
  }

  /** The format of each result column from Bind's result format codes. */
  private static formats(codes: readonly FormatCode[], columns: readonly ResultColumn[]): FormatCode[] {
    if (codes.length > 1 && codes.length !== columns.length) {
      throw protocolViolation(
        `bind message has ${codes.length} result formats but query has ${columns.length} columns`,
      );
    }
    return columns.map((c, i) => {
      const f = codes.length === 0 ? 0 : codes.length === 1 ? (codes[0] as FormatCode) : (codes[i] as FormatCode);
      if (f === 1 && !binarySupported(c.type)) {
        throw new ProtocolError(
          SqlState.FEATURE_NOT_SUPPORTED,
          `binary format is not supported for column "${c.name}"`,
        );
      }
      return f;
    });
  }

  private async describe(target: 'S' | 'P', name: string): Promise<void> {
    const session = this.session as Session;
    if (target === 'S') {
      const p = this.lookupPrepared(name);
      if (!p.stmt) {
        out.parameterDescription(this.writer, []);
        out.noData(this.writer);
        return;
      }
      await this.settle();
      const d = await session.describe(p.stmt, p.declared);
      out.parameterDescription(this.writer, d.params.map(typeOid));
      if (d.columns.length === 0) out.noData(this.writer);
      else
        out.rowDescription(
          this.writer,
          this.fields(
            d.columns,
            d.columns.map(() => 0),
          ),
        );
      return;
    }
    const portal = this.lookupPortal(name);
    if (!portal.prepared.stmt) {
      out.noData(this.writer);
      return;
    }
    let columns = portal.cursor?.columns;
    if (!columns) {
      await this.settle();
      columns = (await session.describe(portal.prepared.stmt, portal.paramTypes)).columns;
    }
    if (columns.length === 0) out.noData(this.writer);
    else out.rowDescription(this.writer, this.fields(columns, Connection.formats(portal.resultFormats, columns)));
  }

  private async execute(name: string, maxRows: number): Promise<void> {
    const session = this.session as Session;
    const portal = this.lookupPortal(name);
    const stmt = portal.prepared.stmt;
    if (!stmt) {
      out.emptyQueryResponse(this.writer);
      return;
    }
    if (portal.completed !== undefined) {
      // Executing a finished portal again returns no more rows.
      out.commandComplete(this.writer, portal.completed.startsWith('SELECT') ? 'SELECT 0' : portal.completed);
      return;
    }
    if (stmt.kind === 'copy') {
      await this.settle();
      try {
        const r = await this.runCopy(stmt, portal.params, { paramTypes: portal.paramTypes });
        portal.completed = r.command;
        out.commandComplete(this.writer, r.command);
        this.countStatement(r.command);
      } catch (e) {
        this.portals.delete(name);
        throw e instanceof ProtocolError ? e : wrapWithPosition(e, stmt);
      } finally {
        this.reportChanges();
      }
      return;
    }
    if (!portal.cursor) {
      await this.settle();
      const paramTypes = portal.paramTypes;
      portal.cursor = new RowCursor((sink) => session.stream(stmt, portal.params, sink, { paramTypes }));
    }
    const cursor = portal.cursor;
    try {
      const state = await this.runPortal(
        cursor,
        maxRows,
        (cols) => Connection.formats(portal.resultFormats, cols),
        false,
      );
      if (state === 'suspended') {
        out.portalSuspended(this.writer);
        return;
      }
      const r = cursor.completion as QueryResult;
      portal.completed = r.command;
      portal.cursor = undefined;
      out.commandComplete(this.writer, r.command);
      this.countStatement(r.command);
    } catch (e) {
      portal.cursor = undefined;
      portal.completed = undefined;
      await cursor.close();
      this.portals.delete(name);
      throw e instanceof ProtocolError ? e : wrapWithPosition(e, stmt);
    } finally {
      this.reportChanges();
    }
  }

  // ---- COPY (PostgreSQL documentation, "Message Flow", "COPY Operations") ----

  /**
   * Runs a COPY statement with the client's side of the sub-protocol. TO STDOUT: CopyOutResponse,
   * a CopyData per chunk of output (awaiting the socket: backpressure), CopyDone. FROM STDIN:
   * CopyInResponse when the engine first wants data, then the client's CopyData payloads as the
   * engine's input, read from the socket only as fast as the engine takes them; CopyDone ends
   * the input, CopyFail fails the statement with 57014. After the engine fails or stops early,
   * the client's remaining data is read and dropped up to its CopyDone/CopyFail, so the next
   * message is read in step; the error goes out before that (as soon as it is known).
   */
  private async runCopy(
    stmt: CopyStatement,
    params: readonly unknown[],
    options: { paramTypes?: readonly (SqlType | undefined)[] },
  ): Promise<QueryResult> {
    const session = this.session as Session;
    const nothing = { start: () => undefined, rows: () => true };
    const columns = await this.copyColumnCount(stmt);
    if (stmt.direction === 'to') {
      let started = false;
      const begin = () => {
        if (started) return;
        started = true;
        out.copyResponse(this.writer, 'out', columns);
      };
      const output = (chunk: string): Promise<void> | undefined => {
        if (this.phase === 'closed') throw new ThinkLiteError('QUERY_CANCELED', 'connection closed');
        begin();
        out.copyData(this.writer, chunk);
        return this.writer.length > OUTPUT_FLUSH_BYTES ? this.flush() : undefined;
      };
      try {
        const r = await session.stream(stmt, params, nothing, { ...options, copy: { output } });
        begin(); // no rows and no header: still a (empty) copy-out
        out.copyDone(this.writer);
        return r;
      } catch (e) {
        // Copy-out mode ends with the ErrorResponse itself.
        if (this.phase === 'closed') throw connectionGone();
        throw e;
      }
    }
    const state: CopyIn = { started: false, ended: false };
    let result: QueryResult;
    try {
      result = await session.stream(stmt, params, nothing, {
        ...options,
        copy: { input: this.copyInput(state, columns) },
      });
    } catch (e) {
      const failure = state.failure ?? e;
      if (failure instanceof ProtocolError && failure.fatal) throw failure;
      if (this.phase === 'closed') throw connectionGone();
      // As PostgreSQL does, the error ends copy-in mode at once (then ReadyForQuery, or skipping
      // to Sync in the extended protocol); the client's CopyData, CopyDone or CopyFail still on
      // their way are dropped as they arrive, as outside COPY.
      throw failure;
    }
    // The engine stopped at the end marker `\.`: the rest up to CopyDone is ignored.
    if (state.started && !state.ended) await this.drainCopy(state);
    return result;
  }

  /** How many columns a COPY reads or writes (its CopyIn/OutResponse says so); 0 if unknown — the statement will fail then. */
  private async copyColumnCount(stmt: CopyStatement): Promise<number> {
    const source = stmt.source;
    if (source.kind === 'table' && source.columns.length > 0) return source.columns.length;
    try {
      const query =
        source.kind === 'query'
          ? source.query
          : (parse(
              `SELECT * FROM ${source.table.map((n) => `"${n.replaceAll('"', '""')}"`).join('.')}`,
            )[0] as Statement);
      return (await (this.session as Session).describe(query)).columns.length;
    } catch {
      return 0;
    }
  }

  /** The client's CopyData payloads as the engine's input (one pull, one message). */
  private copyInput(state: CopyIn, columns: number): AsyncIterable<Uint8Array> {
    const fail = (failure: unknown, message: string): never => {
      state.failure = failure;
      state.ended = true;
      // The engine passes a ThinkLiteError on unchanged; runCopy reports `failure` itself.
      throw failure instanceof ThinkLiteError ? failure : new ThinkLiteError('QUERY_CANCELED', message);
    };
    const next = async (): Promise<IteratorResult<Uint8Array>> => {
      if (state.ended) return { done: true, value: undefined };
      if (!state.started) {
        state.started = true;
        out.copyResponse(this.writer, 'in', columns);
        await this.flush();
      }
      for (;;) {
        let msg: FrontendMessage;
        let type: string;
        try {
          ({ msg, type } = await this.nextCopyMessage());
        } catch (e) {
          return fail(e, 'COPY from stdin failed: connection lost');
        }
        switch (msg.kind) {
          case 'copyData':
            if (msg.data.length === 0) continue;
            return { done: false, value: msg.data };
          case 'copyDone':
            state.ended = true;
            return { done: true, value: undefined };
          case 'copyFail':
            return fail(
              new ThinkLiteError('QUERY_CANCELED', `COPY from stdin failed: ${msg.message}`),
              'COPY from stdin failed',
            );
          case 'flush':
          case 'sync':
            // Ignored in copy-in mode (libpq sends Sync right after an extended-protocol COPY).
            continue;
          case 'terminate':
            this.phase = 'closed';
            this.socket.end();
            return fail(connectionGone(), 'COPY from stdin failed: connection closed');
          default: {
            const hex = type.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0');
            return fail(
              new ProtocolError(SqlState.PROTOCOL_VIOLATION, `unexpected message type 0x${hex} during COPY from stdin`),
              'COPY from stdin failed: protocol violation',
            );
          }
        }
      }
    };
    return {
      [Symbol.asyncIterator]: () => ({
        next,
        // The engine stops reading early (end marker, error): runCopy drains what the client still sends.
        return: async () => ({ done: true, value: undefined }),
      }),
    };
  }

  /** The next message while the client is in copy-in mode: read only when the engine wants it. */
  private async nextCopyMessage(): Promise<{ msg: FrontendMessage; type: string }> {
    for (;;) {
      if (this.phase === 'closed' || this.terminating) throw connectionGone();
      const frame = this.decoder.next();
      if (frame) return { msg: decodeMessage(frame.type, frame.body), type: frame.type };
      await this.flush();
      if (this.socket.isPaused()) this.socket.resume();
      await new Promise<void>((resolve) => {
        this.inputWaiter = resolve;
      });
    }
  }

  /** Reads and drops the rest of a COPY's data, up to the client's CopyDone or CopyFail. */
  private async drainCopy(state: CopyIn): Promise<void> {
    while (!state.ended) {
      const { msg } = await this.nextCopyMessage();
      switch (msg.kind) {
        case 'copyData':
        case 'flush':
        case 'sync':
          continue;
        case 'copyDone':
        case 'copyFail':
          state.ended = true;
          break;
        default:
          // Not COPY data: the client has left copy-in mode its own way; handle the message normally.
          state.ended = true;
          this.pushedBack = msg;
      }
    }
  }

  private async closeTarget(target: 'S' | 'P', name: string): Promise<void> {
    if (target === 'S') this.prepared.delete(name);
    else await this.closePortal(name);
    out.closeComplete(this.writer);
  }

  private async onClose(): Promise<void> {
    this.phase = 'closed';
    // A client gone mid-query: stop the statement, then roll back whatever it left open.
    this.session?.cancel?.();
    this.wakeInput();
    try {
      await this.loop;
      for (const p of this.portals.values()) await p.cursor?.close();
      this.portals.clear();
      const session = this.session;
      // (Also after a FATAL protocol error: the phase was already 'closed' then.)
      if (session && session.transactionStatus !== 'idle') {
        await session.stream(fixed().rollback, [], { start: () => undefined, rows: () => true });
        this.log.info('connection closed inside a transaction: rolled back');
      }
    } catch (e) {
      this.log.warn({ err: e }, 'cleanup after close failed');
    } finally {
      this.log.debug('connection closed');
      this.closedResolve();
    }
  }
}

/** An engine error carries its position relative to the statement; keep the statement with it. */
class PositionedError extends Error {
  constructor(
    readonly error: unknown,
    readonly where: { text: string; codePointOffset: number },
  ) {
    super('positioned');
  }
}

function wrapWithPosition(e: unknown, stmt: Statement): unknown {
  return new PositionedError(e, stmt.span);
}

/** Unwraps PositionedError for wireError. */
function toWireError(e: unknown): WireError {
  return e instanceof PositionedError ? wireError(e.error, e.where) : wireError(e);
}
