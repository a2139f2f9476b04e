import type { MessageWriter } from './buffers.js';
import type { WireError } from './protocol-error.js';

/**
 * The messages the server sends, written into a MessageWriter (PostgreSQL documentation,
 * "Message Formats"). Each function writes one complete message.
 */

/** A result column as RowDescription describes it. */
export interface FieldDescription {
  readonly name: string;
  readonly tableOid: number;
  readonly columnNumber: number;
  readonly typeOid: number;
  /** pg_type.typlen: -1 for variable length. */
  readonly typeSize: number;
  readonly typmod: number;
  readonly format: 0 | 1;
}

/** Authentication request codes ('R' messages). */
const AUTH_OK = 0;
const AUTH_SASL = 10;
const AUTH_SASL_CONTINUE = 11;
const AUTH_SASL_FINAL = 12;

export function authenticationOk(w: MessageWriter): void {
  w.begin('R').int32(AUTH_OK).end();
}

/** AuthenticationSASL: the mechanisms offered, a list of strings ended by an empty one. */
export function authenticationSasl(w: MessageWriter, mechanisms: readonly string[]): void {
  w.begin('R').int32(AUTH_SASL);
  for (const m of mechanisms) w.cstring(m);
  w.byte(0).end();
}

export function authenticationSaslContinue(w: MessageWriter, data: string): void {
  w.begin('R').int32(AUTH_SASL_CONTINUE).bytes(Buffer.from(data, 'utf8')).end();
}

export function authenticationSaslFinal(w: MessageWriter, data: string): void {
  w.begin('R').int32(AUTH_SASL_FINAL).bytes(Buffer.from(data, 'utf8')).end();
}

export function parameterStatus(w: MessageWriter, name: string, value: string): void {
  w.begin('S').cstring(name).cstring(value).end();
}

export function backendKeyData(w: MessageWriter, processId: number, secretKey: number): void {
  w.begin('K').int32(processId).int32(secretKey).end();
}

/** ReadyForQuery with the transaction status: I idle, T in a block, E in a failed block. */
export function readyForQuery(w: MessageWriter, status: 'I' | 'T' | 'E'): void {
  w.begin('Z').byte(status.charCodeAt(0)).end();
}

export function rowDescription(w: MessageWriter, fields: readonly FieldDescription[]): void {
  w.begin('T').int16(fields.length);
  for (const f of fields) {
    w.cstring(f.name).int32(f.tableOid).int16(f.columnNumber).int32(f.typeOid).int16(f.typeSize);
    w.int32(f.typmod).int16(f.format);
  }
  w.end();
}

export function parameterDescription(w: MessageWriter, typeOids: readonly number[]): void {
  w.begin('t').int16(typeOids.length);
  for (const oid of typeOids) w.int32(oid);
  w.end();
}

export function commandComplete(w: MessageWriter, tag: string): void {
  w.begin('C').cstring(tag).end();
}

export function emptyQueryResponse(w: MessageWriter): void {
  w.empty('I');
}

export function parseComplete(w: MessageWriter): void {
  w.empty('1');
}

export function bindComplete(w: MessageWriter): void {
  w.empty('2');
}

export function closeComplete(w: MessageWriter): void {
  w.empty('3');
}

export function noData(w: MessageWriter): void {
  w.empty('n');
}

export function portalSuspended(w: MessageWriter): void {
  w.empty('s');
}

/**
 * CopyInResponse ('G') / CopyOutResponse ('H'): the overall format (0 text — CSV is text too) and
 * a format code per column.
 */
export function copyResponse(w: MessageWriter, direction: 'in' | 'out', columns: number): void {
  w.begin(direction === 'in' ? 'G' : 'H')
    .byte(0)
    .int16(columns);
  for (let i = 0; i < columns; i++) w.int16(0);
  w.end();
}

/** CopyData ('d') carrying text. */
export function copyData(w: MessageWriter, text: string): void {
  w.begin('d').utf8(text).end();
}

export function copyDone(w: MessageWriter): void {
  w.empty('c');
}

/** ErrorResponse ('E') or NoticeResponse ('N'): typed fields, each a code byte and a string. */
export function errorResponse(w: MessageWriter, e: WireError, type: 'E' | 'N' = 'E'): void {
  w.begin(type);
  const field = (code: string, value: string | number | undefined) => {
    if (value === undefined) return;
    w.byte(code.charCodeAt(0)).cstring(String(value));
  };
  field('S', e.severity);
  field('V', e.severity);
  field('C', e.sqlstate);
  field('M', e.message);
  field('D', e.detail);
  field('H', e.hint);
  field('P', e.position);
  field('W', e.where);
  field('s', e.schema);
  field('t', e.table);
  field('c', e.column);
  field('d', e.dataType);
  field('n', e.constraint);
  w.byte(0).end();
}

/** SSLRequest / GSSENCRequest answer: a single byte, not a message. */
export function refuseEncryption(w: MessageWriter): void {
  w.byte('N'.charCodeAt(0));
}

/** The single byte 'S' answering SSLRequest: the TLS handshake follows. */
export function acceptEncryption(w: MessageWriter): void {
  w.byte('S'.charCodeAt(0));
}
