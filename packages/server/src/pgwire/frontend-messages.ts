import { MessageReader } from './buffers.js';
import { ProtocolError, protocolViolation, SqlState } from './protocol-error.js';

/**
 * The messages a client sends, decoded from their bodies (PostgreSQL documentation, "Frontend/
 * Backend Protocol", "Message Formats"). A discriminated union on `kind`, so the connection's
 * dispatch must handle each one.
 */

/** Protocol version 3.0 as the StartupMessage carries it (major 3 in the high 16 bits). */
export const PROTOCOL_3_0 = 196608;
/** The magic "versions" of the special startup packets. */
export const SSL_REQUEST_CODE = 80877103;
export const GSSENC_REQUEST_CODE = 80877104;
export const CANCEL_REQUEST_CODE = 80877102;

export type StartupPacket =
  | { readonly kind: 'startup'; readonly params: ReadonlyMap<string, string> }
  | { readonly kind: 'sslRequest' }
  | { readonly kind: 'gssEncRequest' }
  | { readonly kind: 'cancelRequest'; readonly processId: number; readonly secretKey: number };

/** A 0 / 1 format code: text or binary. */
export type FormatCode = 0 | 1;

export type FrontendMessage =
  | { readonly kind: 'query'; readonly sql: string }
  | { readonly kind: 'parse'; readonly name: string; readonly sql: string; readonly paramTypeOids: readonly number[] }
  | {
      readonly kind: 'bind';
      readonly portal: string;
      readonly statement: string;
      readonly paramFormats: readonly FormatCode[];
      readonly params: readonly (Buffer | null)[];
      readonly resultFormats: readonly FormatCode[];
    }
  | { readonly kind: 'describe'; readonly target: 'S' | 'P'; readonly name: string }
  | { readonly kind: 'execute'; readonly portal: string; readonly maxRows: number }
  | { readonly kind: 'close'; readonly target: 'S' | 'P'; readonly name: string }
  | { readonly kind: 'sync' }
  | { readonly kind: 'flush' }
  | { readonly kind: 'terminate' }
  | { readonly kind: 'password'; readonly data: Buffer }
  | { readonly kind: 'copyData'; readonly data: Buffer }
  | { readonly kind: 'copyDone' }
  | { readonly kind: 'copyFail'; readonly message: string }
  | { readonly kind: 'functionCall' };

/** Decodes a startup-phase packet (its body: everything after the length). */
export function decodeStartup(body: Buffer): StartupPacket {
  const r = new MessageReader(body);
  const code = r.int32();
  switch (code) {
    case SSL_REQUEST_CODE:
      return { kind: 'sslRequest' };
    case GSSENC_REQUEST_CODE:
      return { kind: 'gssEncRequest' };
    case CANCEL_REQUEST_CODE: {
      const processId = r.int32();
      const secretKey = r.int32();
      return { kind: 'cancelRequest', processId, secretKey };
    }
    default:
      break;
  }
  if (code >> 16 !== 3) {
    throw new ProtocolError(
      SqlState.FEATURE_NOT_SUPPORTED,
      `unsupported frontend protocol ${code >> 16}.${code & 0xffff}: server supports 3.0 to 3.0`,
      true,
    );
  }
  // Minor versions above 0 are answered as 3.0 would be; PostgreSQL would send
  // NegotiateProtocolVersion, which no driver of protocol 3.0 needs.
  const params = new Map<string, string>();
  for (;;) {
    const name = r.cstring();
    if (name === '') break;
    params.set(name, r.cstring());
  }
  return { kind: 'startup', params };
}

function formatCode(v: number): FormatCode {
  if (v === 0 || v === 1) return v;
  throw protocolViolation(`invalid format code ${v}`);
}

/** A count field: PostgreSQL reads these as unsigned 16-bit. Each counted item is read with bounds checks, so a large count in a short message fails without allocating for it. */
function count(r: MessageReader): number {
  return r.int16() & 0xffff;
}

/** Decodes a typed message; an unknown type byte is a protocol violation. */
export function decodeMessage(type: string, body: Buffer): FrontendMessage {
  const r = new MessageReader(body);
  let msg: FrontendMessage;
  switch (type) {
    case 'Q':
      msg = { kind: 'query', sql: r.cstring() };
      break;
    case 'P': {
      const name = r.cstring();
      const sql = r.cstring();
      const n = count(r);
      const paramTypeOids: number[] = [];
      for (let i = 0; i < n; i++) paramTypeOids.push(r.int32() >>> 0);
      msg = { kind: 'parse', name, sql, paramTypeOids };
      break;
    }
    case 'B': {
      const portal = r.cstring();
      const statement = r.cstring();
      const paramFormats: FormatCode[] = [];
      for (let i = count(r); i > 0; i--) paramFormats.push(formatCode(r.int16()));
      const params: (Buffer | null)[] = [];
      for (let i = count(r); i > 0; i--) {
        const len = r.int32();
        if (len < -1) throw protocolViolation(`invalid parameter length ${len}`);
        params.push(len === -1 ? null : r.bytes(len));
      }
      const resultFormats: FormatCode[] = [];
      for (let i = count(r); i > 0; i--) resultFormats.push(formatCode(r.int16()));
      msg = { kind: 'bind', portal, statement, paramFormats, params, resultFormats };
      break;
    }
    case 'D':
    case 'C': {
      const target = String.fromCharCode(r.byte());
      if (target !== 'S' && target !== 'P')
        throw protocolViolation(`invalid ${type === 'D' ? 'DESCRIBE' : 'CLOSE'} message subtype ${target}`);
      msg = { kind: type === 'D' ? 'describe' : 'close', target, name: r.cstring() };
      break;
    }
    case 'E': {
      const portal = r.cstring();
      const maxRows = r.int32();
      msg = { kind: 'execute', portal, maxRows: maxRows < 0 ? 0 : maxRows };
      break;
    }
    case 'S':
      msg = { kind: 'sync' };
      break;
    case 'H':
      msg = { kind: 'flush' };
      break;
    case 'X':
      msg = { kind: 'terminate' };
      break;
    case 'p':
      return { kind: 'password', data: r.rest() };
    case 'd':
      return { kind: 'copyData', data: r.rest() };
    case 'c':
      return { kind: 'copyDone' };
    case 'f':
      msg = { kind: 'copyFail', message: r.cstring() };
      break;
    case 'F':
      return { kind: 'functionCall' };
    default:
      throw protocolViolation(`invalid frontend message type ${type.charCodeAt(0)}`);
  }
  r.finish();
  return msg;
}
