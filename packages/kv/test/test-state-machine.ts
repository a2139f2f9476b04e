import type { Entry, Snapshot } from '@thinklite/raft';
import type { Engine, WriteBatch } from '@thinklite/storage';
import type { ReplicatedStateMachine, ReplicationHost } from '../src/index.js';

const text = new TextDecoder();

/** A replicated log of strings, durable in the engine's `local` space with its applied index. */
export class LogStateMachine implements ReplicatedStateMachine {
  values: string[] = [];
  private applied = 0;
  private readonly key: Buffer;

  constructor(
    engine: Engine,
    readonly rangeId: number,
  ) {
    this.key = Buffer.from(`test-sm/${rangeId}`);
    const raw = engine.get('local', this.key);
    if (raw) {
      const s = JSON.parse(raw.toString()) as { applied: number; values: string[] };
      this.applied = s.applied;
      this.values = s.values;
    }
  }

  apply(batch: WriteBatch, entries: readonly Entry[], appliedIndex: number): void {
    for (const e of entries) this.values.push(text.decode(e.data));
    this.applied = appliedIndex;
    batch.put('local', this.key, Buffer.from(JSON.stringify({ applied: this.applied, values: this.values })));
  }

  appliedIndex(): number {
    return this.applied;
  }

  snapshot(): { index: number; data: Uint8Array } {
    return { index: this.applied, data: Buffer.from(JSON.stringify({ applied: this.applied, values: this.values })) };
  }

  applySnapshot(batch: WriteBatch, snapshot: Snapshot): void {
    const s = JSON.parse(text.decode(snapshot.data)) as { applied: number; values: string[] };
    this.values = s.values;
    this.applied = snapshot.meta.index;
    batch.put('local', this.key, Buffer.from(JSON.stringify({ applied: this.applied, values: this.values })));
  }
}

/** Hosts a LogStateMachine replica of each range on `host`, starts it, and returns the machines. */
export function hostLogMachines(
  host: ReplicationHost,
  engine: Engine,
  ranges: readonly number[],
): Map<number, LogStateMachine> {
  const sms = new Map<number, LogStateMachine>();
  for (const r of ranges) {
    const sm = new LogStateMachine(engine, r);
    sms.set(r, sm);
    host.addGroup(r, sm);
  }
  host.start();
  return sms;
}
