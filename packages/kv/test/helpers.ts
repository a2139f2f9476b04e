import { isThinkLiteError, type ThinkLiteError } from '@thinklite/base';
import type { MemoryEngine } from '@thinklite/storage';
import { type GatewayConnection, type KvOwner, RemoteKv, type RemoteKvOptions } from '../src/index.js';

/** A gateway's RemoteKv wired to the owner's KvOwner, each message cloned and delivered a turn later. */
export function gatewayOf(
  owner: KvOwner,
  engine: MemoryEngine,
  options: Partial<RemoteKvOptions> = {},
): { gateway: RemoteKv; connection: GatewayConnection } {
  let conn: GatewayConnection | undefined;
  const gateway = new RemoteKv({
    ...options,
    engine,
    send: (m) => {
      const copy = structuredClone(m);
      setImmediate(() => conn?.receive(copy));
    },
  });
  conn = owner.connect((m) => {
    const copy = structuredClone(m);
    setImmediate(() => gateway.receive(copy));
  });
  return { gateway, connection: conn };
}

/** The ThinkLiteError a promise rejects with (anything else fails the test). */
export async function failure(p: Promise<unknown>): Promise<ThinkLiteError> {
  try {
    await p;
  } catch (e) {
    if (isThinkLiteError(e)) return e;
    throw e;
  }
  throw new Error('expected a failure');
}
