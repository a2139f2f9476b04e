import type { ToGateway, ToOwner } from '@thinklite/kv';
import type { PgTlsOptions } from '../pgwire/pg-server.js';

/**
 * What a SQL gateway process needs to serve the PostgreSQL protocol on the node's store
 * (docs/decisions/0020). It comes as the first message on the IPC channel, not in the
 * environment or argv, so passwords and TLS keys never show in `ps`.
 */
export interface GatewayConfig {
  /** 1…n: this gateway's number (its rowid slot and the tag of its backend process ids). */
  readonly index: number;
  /** Rowid slots in the node: the owner process's (0) and one per gateway. */
  readonly slots: number;
  readonly storeDir: string;
  readonly sqlAddr: { readonly host: string; readonly port: number };
  readonly auth: 'trust' | 'scram-sha-256';
  readonly users?: Readonly<Record<string, string>>;
  readonly tls?: PgTlsOptions;
  readonly maxConnections?: number;
  readonly nodeId?: string;
  readonly logLevel: string;
}

/** Owner → gateway. */
export type OwnerMessage =
  | { readonly tl: 'config'; readonly config: GatewayConfig }
  | { readonly tl: 'kv'; readonly m: ToGateway }
  /** A CancelRequest another gateway received for one of this gateway's connections. */
  | { readonly tl: 'cancel'; readonly pid: number; readonly secret: number }
  /** Stop gracefully: running statements get `graceMs`, then connections end. */
  | { readonly tl: 'stop'; readonly graceMs: number }
  | { readonly tl: 'metrics'; readonly req: number };

/** Gateway → owner. */
export type GatewayMessage =
  /** Its message handler is installed: send the config (one sent earlier could be lost). */
  | { readonly tl: 'hello' }
  | { readonly tl: 'kv'; readonly m: ToOwner }
  | { readonly tl: 'listening'; readonly port: number }
  | { readonly tl: 'failed'; readonly message: string }
  | { readonly tl: 'cancel'; readonly pid: number; readonly secret: number }
  | { readonly tl: 'metrics'; readonly req: number; readonly json: readonly object[] };
