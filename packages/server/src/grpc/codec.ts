import type * as grpc from '@grpc/grpc-js';
import { thinklite } from '@thinklite/proto';
import {
  arrayOf,
  type Datum,
  DEFAULT_CONTEXT,
  elemOf,
  formatDate,
  formatInterval,
  formatText,
  formatTimestamp,
  formatTimestamptz,
  type Interval,
  type ResultColumn,
  resolveTypeName,
  type SqlType,
  TIMESTAMP_INFINITY,
  TIMESTAMP_NEG_INFINITY,
  Types,
  typeName,
  typeOid,
} from '@thinklite/sql';
import protobuf from 'protobufjs/minimal.js';

/**
 * The wire side of the SQL service (proto/sql.proto): the grpc-js service definition over the
 * generated protobufjs code, and the mapping between the engine's Datums and `Value`s.
 *
 * 64-bit integers: the generated code is built with --force-number (64-bit fields are JavaScript
 * numbers), which would round int8 values beyond 2^53. The service's own (de)serializers keep
 * them exact instead: `sint64` fields are read as bigint by a Reader subclass, and bigints are
 * written as the {low, high} pairs protobufjs's Writer accepts. So on this service an int_value
 * decodes as a bigint, and a client writes one with {@link int64}.
 */

export const pb = thinklite.sql.v1;
export type Value = thinklite.sql.v1.IValue;
export type Param = thinklite.sql.v1.IParam;
export type ExecuteRequest = thinklite.sql.v1.IExecuteRequest;
export type ExecuteResponse = thinklite.sql.v1.IExecuteResponse;
export type QueryRequest = thinklite.sql.v1.IQueryRequest;
export type QueryResponse = thinklite.sql.v1.IQueryResponse;
export type Column = thinklite.sql.v1.IColumn;
export type Row = thinklite.sql.v1.IRow;

/** A 64-bit integer as protobufjs's Writer takes it without loss. */
export type Int64Bits = { low: number; high: number };

/** A bigint for an int64/sint64 field: a number when exact, else its two 32-bit halves. */
export function int64(v: bigint): number {
  if (v >= -9007199254740991n && v <= 9007199254740991n) return Number(v);
  const u = BigInt.asUintN(64, v);
  // The generated types say number; the Writer takes {low, high} (protobufjs's LongBits.from).
  return { low: Number(u & 0xffffffffn) | 0, high: Number(u >> 32n) | 0 } as Int64Bits as unknown as number;
}

interface RawReader {
  buf: Uint8Array;
  pos: number;
  len: number;
}

function readVarint64(r: RawReader): bigint {
  let result = 0n;
  let shift = 0n;
  for (let i = 0; i < 10; i++) {
    if (r.pos >= r.len) throw new RangeError(`index out of range: ${r.pos} + 1 > ${r.len}`);
    const b = r.buf[r.pos++] as number;
    result |= BigInt(b & 0x7f) << shift;
    if (b < 0x80) return BigInt.asUintN(64, result);
    shift += 7n;
  }
  throw new Error('invalid varint encoding');
}

function readSint64(this: RawReader): bigint {
  const u = readVarint64(this);
  return (u >> 1n) ^ -(u & 1n);
}

function readInt64(this: RawReader): bigint {
  return BigInt.asIntN(64, readVarint64(this));
}

/** A Reader whose int64/sint64 are exact bigints (see the module comment). */
class BigIntReader extends protobuf.Reader {}
class BigIntBufferReader extends protobuf.BufferReader {}
for (const C of [BigIntReader, BigIntBufferReader]) {
  Object.assign(C.prototype, { sint64: readSint64, int64: readInt64 });
}

function reader(bytes: Uint8Array): protobuf.Reader {
  return Buffer.isBuffer(bytes) ? new BigIntBufferReader(bytes) : new BigIntReader(bytes);
}

/** A request that did not decode: the handler answers INVALID_ARGUMENT (grpc-js would say INTERNAL). */
export class MalformedRequest {
  constructor(readonly reason: string) {}
}

function decoder<T>(decode: (r: protobuf.Reader) => T): (b: Buffer) => T | MalformedRequest {
  return (b) => {
    try {
      return decode(reader(b));
    } catch (e) {
      return new MalformedRequest(e instanceof Error ? e.message : String(e));
    }
  };
}

const bytes = (u: Uint8Array) => Buffer.from(u.buffer, u.byteOffset, u.byteLength);

/** proto/sql.proto's service `thinklite.sql.v1.Sql`, for grpc-js servers and clients. */
export const SQL_SERVICE = {
  Execute: {
    path: '/thinklite.sql.v1.Sql/Execute',
    requestStream: false,
    responseStream: false,
    requestSerialize: (m: ExecuteRequest) => bytes(pb.ExecuteRequest.encode(m).finish()),
    requestDeserialize: decoder((r) => pb.ExecuteRequest.decode(r)),
    responseSerialize: (m: ExecuteResponse) => bytes(pb.ExecuteResponse.encode(m).finish()),
    responseDeserialize: (b: Buffer) => pb.ExecuteResponse.decode(reader(b)),
  },
  Query: {
    path: '/thinklite.sql.v1.Sql/Query',
    requestStream: false,
    responseStream: true,
    requestSerialize: (m: QueryRequest) => bytes(pb.QueryRequest.encode(m).finish()),
    requestDeserialize: decoder((r) => pb.QueryRequest.decode(r)),
    responseSerialize: (m: QueryResponse) => bytes(pb.QueryResponse.encode(m).finish()),
    responseDeserialize: (b: Buffer) => pb.QueryResponse.decode(reader(b)),
  },
} satisfies grpc.ServiceDefinition;

// --- Datum → Value ---------------------------------------------------------------------------

/** Microseconds from 1970-01-01 to 2000-01-01 (the engine's timestamp epoch). */
const EPOCH_2000_MICROS = 946_684_800_000_000n;
/** Days from 1970-01-01 to 2000-01-01. */
const EPOCH_2000_DAYS = 10_957;

export function columnToPb(c: ResultColumn): Column {
  return { name: c.name, type: typeName(c.type), typeOid: typeOid(c.type) };
}

/**
 * The Value of a Datum of `type` (proto/sql.proto's Value lists which kind each type takes).
 * NULL is the empty Value.
 */
export function valueToPb(type: SqlType, d: Datum): Value {
  if (d === null) return {};
  switch (type.kind) {
    case 'bool':
      return { boolValue: d as boolean };
    case 'int2':
    case 'int4':
      return { intValue: d as number };
    case 'int8':
      return { intValue: int64(d as bigint) };
    case 'float4':
    case 'float8':
      return { floatValue: d as number };
    case 'bytea':
      return { bytesValue: d as Uint8Array };
    case 'text':
    case 'varchar':
    case 'bpchar':
    case 'uuid':
    case 'json':
      return { textValue: d as string };
    case 'timestamp':
    case 'timestamptz': {
      const t = d as bigint;
      if (t === TIMESTAMP_INFINITY) return { textValue: 'infinity' };
      if (t === TIMESTAMP_NEG_INFINITY) return { textValue: '-infinity' };
      return { timestampValue: int64(t + EPOCH_2000_MICROS) };
    }
    case 'date': {
      const days = d as number;
      if (!Number.isFinite(days)) return { textValue: days > 0 ? 'infinity' : '-infinity' };
      return { dateValue: days + EPOCH_2000_DAYS };
    }
    case 'interval': {
      const iv = d as Interval;
      return { intervalValue: { months: iv.months, days: iv.days, micros: int64(iv.micros) } };
    }
    case 'array': {
      const elem = elemOf(type);
      return { arrayValue: { values: (d as readonly Datum[]).map((x) => valueToPb(elem, x)) } };
    }
    default:
      // numeric, jsonb, unknown: PostgreSQL's text output, which loses nothing.
      return { textValue: typeof d === 'string' ? d : formatText(type, d, DEFAULT_CONTEXT) };
  }
}

/** A rough size of an encoded Value, for cutting row batches near a byte budget. */
export function valueSize(v: Value): number {
  if (v.textValue != null) return v.textValue.length + 3;
  if (v.bytesValue != null) return v.bytesValue.length + 3;
  if (v.arrayValue != null) return (v.arrayValue.values ?? []).reduce((n, x) => n + valueSize(x), 3);
  return 11;
}

// --- Param → the engine's parameter value and declared type ----------------------------------

/** What the engine is given for one parameter: a JS value paramDatum understands, and its type. */
export interface EngineParam {
  readonly value: unknown;
  readonly type: SqlType | undefined;
}

/** The type a Value's kind stands for, when the client names none (undefined: the statement decides). */
function kindType(v: Value | null | undefined): SqlType | undefined {
  if (!v) return undefined;
  if (v.boolValue != null) return Types.bool;
  if (v.intValue != null) return Types.int8;
  if (v.floatValue != null) return Types.float8;
  if (v.bytesValue != null) return Types.bytea;
  if (v.timestampValue != null) return Types.timestamptz;
  if (v.dateValue != null) return Types.date;
  if (v.intervalValue != null) return Types.interval;
  if (v.arrayValue != null) {
    const first = (v.arrayValue.values ?? []).map(kindType).find((t) => t !== undefined);
    return first && first.kind !== 'array' ? arrayOf(first) : undefined;
  }
  return undefined;
}

function toBigInt(n: number | bigint | null | undefined): bigint {
  return typeof n === 'bigint' ? n : BigInt(n ?? 0);
}

/** A Value as the engine's parameter input (`target` decides how a timestamp is spelled). */
function paramValue(v: Value | null | undefined, target: SqlType | undefined): unknown {
  if (!v) return null;
  if (v.boolValue != null) return v.boolValue;
  if (v.intValue != null) return toBigInt(v.intValue as number | bigint);
  if (v.floatValue != null) return v.floatValue;
  if (v.textValue != null) return v.textValue;
  if (v.bytesValue != null) return v.bytesValue;
  if (v.timestampValue != null) {
    const t = toBigInt(v.timestampValue as number | bigint) - EPOCH_2000_MICROS;
    return target?.kind === 'timestamp' ? formatTimestamp(t) : formatTimestamptz(t, DEFAULT_CONTEXT);
  }
  if (v.dateValue != null) return formatDate(v.dateValue - EPOCH_2000_DAYS);
  if (v.intervalValue != null) {
    const iv = v.intervalValue;
    return formatInterval({
      months: iv.months ?? 0,
      days: iv.days ?? 0,
      micros: toBigInt(iv.micros as number | bigint | null | undefined),
    });
  }
  if (v.arrayValue != null) {
    const elem = target?.kind === 'array' ? elemOf(target) : undefined;
    return (v.arrayValue.values ?? []).map((x) => paramValue(x, elem));
  }
  return null;
}

/** The engine's parameters of a request. A type name that does not resolve throws (42704). */
export function paramsFromPb(params: readonly Param[] | null | undefined): EngineParam[] {
  return (params ?? []).map((p) => {
    const type = p.type ? resolveTypeName(p.type) : kindType(p.value);
    return { value: paramValue(p.value, type), type };
  });
}

// --- Value → JavaScript (for clients) --------------------------------------------------------

/**
 * A Value as a plain JavaScript value, for clients of the service: null, boolean, bigint
 * (int_value, and timestamp_value as µs since 1970), number (float_value, date_value as days
 * since 1970), string, Uint8Array, {months, days, micros} or an array of these.
 */
export function valueFromPb(v: Value): unknown {
  if (v.boolValue != null) return v.boolValue;
  if (v.intValue != null) return toBigInt(v.intValue as number | bigint);
  if (v.floatValue != null) return v.floatValue;
  if (v.textValue != null) return v.textValue;
  if (v.bytesValue != null) return new Uint8Array(v.bytesValue); // a copy, not a view of the message
  if (v.timestampValue != null) return toBigInt(v.timestampValue as number | bigint);
  if (v.dateValue != null) return v.dateValue;
  if (v.intervalValue != null) {
    const iv = v.intervalValue;
    return { months: iv.months ?? 0, days: iv.days ?? 0, micros: toBigInt(iv.micros as number | bigint) };
  }
  if (v.arrayValue != null) return (v.arrayValue.values ?? []).map(valueFromPb);
  return null;
}
