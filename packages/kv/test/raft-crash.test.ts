import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SeededRandom } from '@thinklite/base';
import { LmdbEngine } from '@thinklite/storage';
import { killAllChildren, startChild } from '@thinklite/testkit';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { LoopbackNetwork, RaftLogStore, RaftWal, ReplicationHost } from '../src/index.js';

const childScript = (name: string) => path.join(import.meta.dirname, 'children', name);

import { LogStateMachine } from './test-state-machine.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tl-raft-crash-'));
afterEach(killAllChildren);
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const RUNS = Number(process.env.THINKLITE_CRASH_RUNS ?? 8);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('durable Raft storage under SIGKILL', () => {
  it(`loses no acknowledged entry of any group across ${RUNS} kills, and every group restarts`, async () => {
    const rnd = new SeededRandom(20261123);
    let total = 0;
    for (let run = 0; run < RUNS; run++) {
      const child = startChild(childScript('raft-writer.ts'), [dir, String(run)]);
      await child.waitForLine(/^ready/);
      await child.waitForLine(/^ack /);
      await sleep(rnd.int(20, 300));
      child.kill('SIGKILL');
      await child.exited();
      const acks = child.lines.filter((l) => l.startsWith('ack ')).map((l) => l.split(' '));
      total += acks.length;
      const engine = LmdbEngine.open({ dir });
      const wal = RaftWal.open({ dir: path.join(dir, 'raft-wal'), segmentBytes: 64 * 1024 });
      try {
        for (const r of [1, 2, 3, 4]) {
          const sm = new LogStateMachine(engine, r);
          const store = RaftLogStore.open(engine, wal, r, () => sm.snapshot());
          const { hardState } = store.initialState();
          // The log is whole: contiguous from its first index to its last, commit within it, and
          // every applied entry in the durable log. (With pipelined rounds the applied state may
          // land before the hard state recording its commit — decision 0019 — so the store
          // raises the commit index to it on open, as the host does.)
          const entries = store.entries(store.firstIndex(), store.lastIndex() + 1);
          expect(entries.map((e) => e.index)).toEqual(entries.map((_, i) => store.firstIndex() + i));
          expect(hardState.commit).toBeLessThanOrEqual(store.lastIndex());
          expect(sm.appliedIndex()).toBeLessThanOrEqual(store.lastIndex());
          store.committedThrough(sm.appliedIndex());
          expect(store.initialState().hardState.commit).toBeGreaterThanOrEqual(sm.appliedIndex());
        }
        // Every group comes back: a leader again, the log replayed into the state machine, and
        // every acknowledged value there; then a new write applies.
        const host = new ReplicationHost({
          nodeId: 1,
          engine,
          wal,
          transport: new LoopbackNetwork().transport(1),
          random: new SeededRandom(run),
          tickIntervalMs: 5,
          proposalTimeoutMs: 10_000, // above any disk-sync stall of a shared machine
        });
        const sms = new Map([1, 2, 3, 4].map((r) => [r, new LogStateMachine(engine, r)]));
        for (const [r, sm] of sms) host.addGroup(r, sm);
        host.start();
        for (const r of sms.keys()) host.campaign(r);
        for (const r of sms.keys()) {
          while (host.status(r).role !== 'leader') await sleep(2);
          await host.propose(r, new TextEncoder().encode(`check-${run}`));
          const values = new Set(sms.get(r)?.values);
          for (const [, range, , value] of acks)
            if (Number(range) === r) expect(values.has(value as string), `run ${run}: ${value} lost`).toBe(true);
          expect(sms.get(r)?.values.at(-1)).toBe(`check-${run}`);
        }
        await host.close();
      } finally {
        await wal.close();
        await engine.close();
      }
    }
    expect(total).toBeGreaterThan(RUNS * 10);
  });
});
