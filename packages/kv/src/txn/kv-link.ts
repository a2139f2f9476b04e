import { type ErrorCode, isThinkLiteError, ThinkLiteError, type Timestamp } from '@thinklite/base';
import type { Isolation } from './api.js';

/**
 * The messages between a SQL gateway process (RemoteKv) and the process that owns the store
 * (KvOwner), docs/decisions/0020. They travel over Node's IPC channel with its `advanced`
 * serialization (V8's structured clone), so byte strings arrive as plain Uint8Arrays: `bytes()`
 * makes Buffers of them again. Requests carry a number the reply echoes; `register` and `end`
 * need no reply.
 */

/** A gateway's transaction as the owner needs to know it: who, how it validates, and its snapshot. */
export interface TxnRef {
  readonly id: Uint8Array;
  readonly isolation: Isolation;
  readonly readTs: Timestamp;
}

/** The spans a transaction read, flattened: start, end, start, end, … */
export type FlatSpans = readonly Uint8Array[];

export type ToOwner =
  /** Take the key's lock for the transaction (waiting if held); reply `{ stale }`. */
  | { readonly op: 'lock'; readonly req: number; readonly txn: TxnRef; readonly key: Uint8Array }
  /** The gateway gave up the wait of lock request `req` (a cancel or timeout there). */
  | { readonly op: 'lock-cancel'; readonly req: number }
  /** Move the snapshot forward if nothing read or written changed since; reply `{ ts }`. */
  | {
      readonly op: 'refresh';
      readonly req: number;
      readonly txn: TxnRef;
      readonly spans: FlatSpans;
      readonly writeKeys: readonly Uint8Array[];
    }
  /** Validate and commit these writes (null: a deletion); reply `{ ts }`. */
  | {
      readonly op: 'commit';
      readonly req: number;
      readonly txn: TxnRef;
      readonly spans: FlatSpans;
      readonly keys: readonly Uint8Array[];
      readonly values: readonly (Uint8Array | null)[];
    }
  /** Transactions open for a while: keep the commits they must be validated against. */
  | { readonly op: 'register'; readonly txns: readonly TxnRef[] }
  /** Transactions that ended (rolled back, or failed): release their locks. */
  | { readonly op: 'end'; readonly ids: readonly Uint8Array[] }
  /** Reply once every commit at or below `ts` has landed (a historical read's first read). */
  | { readonly op: 'visible'; readonly req: number; readonly ts: Timestamp };

export interface WireError {
  readonly code?: ErrorCode;
  readonly message: string;
  readonly details?: Record<string, unknown>;
}

export type ToGateway =
  | { readonly req: number; readonly ok: { readonly stale?: boolean; readonly ts?: Timestamp } }
  | { readonly req: number; readonly err: WireError };

/** A Buffer over the bytes of a Uint8Array that crossed the channel (no copy). */
export function bytes(u: Uint8Array): Buffer {
  return Buffer.isBuffer(u) ? u : Buffer.from(u.buffer, u.byteOffset, u.byteLength);
}

export function errorToWire(e: unknown): WireError {
  if (isThinkLiteError(e)) return { code: e.code, message: e.message, details: e.details };
  return { message: e instanceof Error ? e.message : String(e) };
}

/** The error as the gateway throws it: a ThinkLiteError with the owner's code, so SQLSTATEs carry over. */
export function errorFromWire(w: WireError): Error {
  return w.code ? new ThinkLiteError(w.code, w.message, w.details ?? {}) : new Error(w.message);
}
