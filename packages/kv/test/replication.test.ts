import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createRegistry, SeededRandom } from '@thinklite/base';
import { LmdbEngine } from '@thinklite/storage';
import { waitFor } from '@thinklite/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { LoopbackNetwork, RaftWal, ReplicationHost, type ReplicationHostOptions } from '../src/index.js';
import { hostLogMachines, type LogStateMachine } from './test-state-machine.js';

const dirs: string[] = [];
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

const enc = (s: string) => new TextEncoder().encode(s);

interface TestNode {
  id: number;
  dir: string;
  engine: LmdbEngine;
  wal: RaftWal;
  host: ReplicationHost;
  sms: Map<number, LogStateMachine>;
}

async function startNode(
  net: LoopbackNetwork,
  id: number,
  dir: string,
  ranges: number[],
  registry = createRegistry(),
  tickIntervalMs = 10,
  extra: Partial<ReplicationHostOptions> = {},
): Promise<TestNode> {
  const engine = LmdbEngine.open({ dir });
  const wal = RaftWal.open({ dir: path.join(dir, 'raft-wal') });
  const host = new ReplicationHost({
    nodeId: id,
    engine,
    wal,
    transport: net.transport(id),
    random: new SeededRandom(id),
    tickIntervalMs,
    // Generous: a disk-sync stall on a shared machine can outlast five election timeouts of 10 ms ticks.
    proposalTimeoutMs: 10_000,
    maxClockOffsetMs: 20,
    registry,
    logEntriesMax: 50,
    ...extra,
  });
  const sms = hostLogMachines(host, engine, ranges);
  const node = { id, dir, engine, wal, host, sms };
  cleanups.push(async () => {
    await node.host.close();
    await node.wal.close();
    await node.engine.close().catch(() => {});
  });
  return node;
}

async function cluster(
  net: LoopbackNetwork,
  ranges: number[],
  registries = [createRegistry(), createRegistry(), createRegistry()],
  tickIntervalMs = 10,
  extra: Partial<ReplicationHostOptions> = {},
): Promise<TestNode[]> {
  const nodes: TestNode[] = [];
  for (const id of [1, 2, 3]) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `tl-repl-${id}-`));
    dirs.push(dir);
    const engine = LmdbEngine.open({ dir });
    await ReplicationHost.bootstrapRanges(engine, ranges, [1, 2, 3]);
    await engine.close();
  }
  for (const id of [1, 2, 3])
    nodes.push(
      await startNode(
        net,
        id,
        dirs[dirs.length - 3 + id - 1] as string,
        ranges,
        registries[id - 1],
        tickIntervalMs,
        extra,
      ),
    );
  return nodes;
}

function leaderOf(nodes: TestNode[], r: number): TestNode | undefined {
  return nodes.find((n) => n.host.status(r).role === 'leader');
}

describe('multi-Raft replication on real stores', () => {
  it.each([
    ['pipelined rounds', true],
    ['one round at a time', false],
  ])(
    'replicates many groups between three nodes, persisting many groups per storage commit (%s)',
    async (_, pipeline) => {
      const net = new LoopbackNetwork();
      const ranges = Array.from({ length: 40 }, (_, i) => i + 1);
      const registry = createRegistry();
      const nodes = await cluster(net, ranges, [registry, createRegistry(), createRegistry()], 10, { pipeline });
      for (const r of ranges) nodes[r % 3]?.host.campaign(r);
      await waitFor('leaders', () => ranges.every((r) => leaderOf(nodes, r) !== undefined));
      const writes: Promise<number>[] = [];
      for (const r of ranges) {
        const l = leaderOf(nodes, r) as TestNode;
        for (let i = 0; i < 5; i++) writes.push(l.host.propose(r, enc(`r${r}-v${i}`)));
      }
      const indexes = await Promise.all(writes);
      expect(indexes.every((i) => i > 2)).toBe(true);
      await waitFor('every replica applied', () =>
        nodes.every((n) => ranges.every((r) => (n.sms.get(r) as LogStateMachine).values.length === 5)),
      );
      for (const n of nodes) expect(n.sms.get(7)?.values).toEqual(['r7-v0', 'r7-v1', 'r7-v2', 'r7-v3', 'r7-v4']);
      // Acknowledged writes are visible to readers at once, flushed to the engine or not.
      const leader7 = leaderOf(nodes, 7) as TestNode;
      const state = leader7.host.appliedReader().get('local', Buffer.from('test-sm/7'));
      expect(JSON.parse(String(state)).values).toHaveLength(5);
      // Group commit across ranges: on average several groups' Readies shared a storage commit.
      const metrics = await registry.metrics();
      const sum = Number(/thinklite_raft_ready_groups_sum\{node="1"\} (\d+)/.exec(metrics)?.[1]);
      const count = Number(/thinklite_raft_ready_groups_count\{node="1"\} (\d+)/.exec(metrics)?.[1]);
      expect(sum / count).toBeGreaterThan(2);
      expect(metrics).toMatch(/thinklite_raft_entries_applied_total\{node="1"\} \d{3,}/);
      expect(metrics).toMatch(/thinklite_raft_groups\{node="1"\} 40/);
    },
  );

  it('hosts 2,000 groups on each node: all elect and commit, then fall silent while idle, and wake to write', async () => {
    const net = new LoopbackNetwork();
    const ranges = Array.from({ length: 2000 }, (_, i) => i + 1);
    const nodes = await cluster(net, ranges, undefined, 100);
    for (const r of ranges) nodes[r % 3]?.host.campaign(r);
    await waitFor('a leader for every group', () => ranges.every((r) => leaderOf(nodes, r) !== undefined));
    const indexes = await Promise.all(
      ranges.map((r) => (leaderOf(nodes, r) as TestNode).host.propose(r, enc(`r${r}`))),
    );
    expect(indexes.every((i) => i > 2)).toBe(true);
    await waitFor("every replica applied its group's write", () =>
      nodes.every((n) => ranges.every((r) => n.sms.get(r)?.values[0] === `r${r}`)),
    );
    await waitFor('every replica of every group quiesced', () =>
      nodes.every((n) => ranges.every((r) => n.host.status(r).quiesced)),
    );
    // Silent: over three rounds of node liveness (one heartbeat per pair of nodes, range id 0),
    // nothing else moves — 2,000 heartbeating groups would send 24,000 messages.
    const liveness = (rounds: number) => {
      const heartbeats = net.deliveredByType.get('heartbeat') ?? 0;
      return waitFor(
        `${rounds} liveness rounds`,
        () => (net.deliveredByType.get('heartbeat') ?? 0) - heartbeats >= rounds * 6,
      );
    };
    await liveness(1); // the answers to the quiesce heartbeats land
    const messages = net.delivered;
    await liveness(3);
    expect(net.delivered - messages).toBeLessThan(60);
    for (const r of [1, 1000, 2000]) expect(leaderOf(nodes, r)).toBeDefined();
    // A write wakes its group alone, commits, and the group falls silent again.
    const leader = leaderOf(nodes, 1000) as TestNode;
    await leader.host.propose(1000, enc('woken'));
    await waitFor('every replica applied the write', () =>
      nodes.every((n) => n.sms.get(1000)?.values.includes('woken')),
    );
    expect(nodes.every((n) => n.host.status(999).quiesced)).toBe(true);
    await waitFor('group 1000 quiesced again', () => nodes.every((n) => n.host.status(1000).quiesced));
  });

  it('wakes the silent followers of a leader whose node is cut off, and they elect a new one', async () => {
    const net = new LoopbackNetwork();
    const ranges = Array.from({ length: 20 }, (_, i) => i + 1);
    const registries = [createRegistry(), createRegistry(), createRegistry()];
    const nodes = await cluster(net, ranges, registries);
    for (const r of ranges) nodes[0]?.host.campaign(r);
    await waitFor('node 1 leads every group', () => ranges.every((r) => nodes[0]?.host.status(r).role === 'leader'));
    await Promise.all(ranges.map((r) => nodes[0]?.host.propose(r, enc(`r${r}`))));
    await waitFor('every replica quiesced', () => nodes.every((n) => ranges.every((r) => n.host.status(r).quiesced)));
    net.isolate(1, [2, 3]);
    // No heartbeat of any group goes missing; node liveness alone notices node 1 is gone.
    await waitFor('a new leader for every group', () =>
      ranges.every((r) => leaderOf([nodes[1] as TestNode, nodes[2] as TestNode], r) !== undefined),
    );
    const wakeups = async (i: number) =>
      (await registries[i]?.getSingleMetricAsString('thinklite_raft_liveness_wakeups_total')) ?? '';
    const woken = [await wakeups(1), await wakeups(2)].map((t) => Number(/ (\d+)$/m.exec(t)?.[1] ?? 0));
    expect((woken[0] as number) + (woken[1] as number)).toBeGreaterThanOrEqual(ranges.length);
    const leader = leaderOf([nodes[1] as TestNode, nodes[2] as TestNode], 7) as TestNode;
    await leader.host.propose(7, enc('after'));
    net.heal();
    await waitFor('node 1 follows and applies the new write', () =>
      (nodes[0]?.sms.get(7)?.values ?? []).includes('after'),
    );
  });

  it('re-elects the silent groups of a leader node that restarts before liveness finds it dead', async () => {
    const net = new LoopbackNetwork();
    const ranges = [1, 2, 3];
    const nodes = await cluster(net, ranges);
    for (const r of ranges) nodes[0]?.host.campaign(r);
    await waitFor('node 1 leads every group', () => ranges.every((r) => nodes[0]?.host.status(r).role === 'leader'));
    await Promise.all(ranges.map((r) => nodes[0]?.host.propose(r, enc(`r${r}`))));
    await waitFor('every replica quiesced', () => nodes.every((n) => ranges.every((r) => n.host.status(r).quiesced)));
    // Node 1 restarts at once: its node heartbeats resume before the others could miss them, so
    // liveness wakes nobody; its own campaign (it comes back knowing no leader) must.
    const old = nodes[0] as TestNode;
    await old.host.close();
    await old.wal.close();
    await old.engine.close();
    const again = await startNode(net, old.id, old.dir, ranges);
    const current = [again, nodes[1] as TestNode, nodes[2] as TestNode];
    await waitFor('a leader for every group', () => ranges.every((r) => leaderOf(current, r) !== undefined));
    for (const r of ranges) await (leaderOf(current, r) as TestNode).host.propose(r, enc(`after${r}`));
    await waitFor('every replica applied the new writes', () =>
      current.every((n) => ranges.every((r) => n.sms.get(r)?.values.at(-1) === `after${r}`)),
    );
  });

  it('sends the heartbeats of many groups between two nodes in one frame per round', async () => {
    const net = new LoopbackNetwork();
    const ranges = Array.from({ length: 300 }, (_, i) => i + 1);
    const nodes = await cluster(net, ranges, undefined, 20, { quiesce: false });
    for (const r of ranges) nodes[r % 3]?.host.campaign(r);
    await waitFor('a leader for every group', () => ranges.every((r) => leaderOf(nodes, r) !== undefined));
    // Idle, without quiescence: every group heartbeats, and each round sends one frame per peer for all its groups.
    const frames = net.frames;
    const messages = net.delivered;
    const types = new Map(net.deliveredByType);
    await waitFor(
      'a few heartbeat rounds',
      () => (net.deliveredByType.get('heartbeat') ?? 0) - (types.get('heartbeat') ?? 0) >= 3 * 600,
    );
    expect((net.delivered - messages) / (net.frames - frames)).toBeGreaterThan(20);
    for (const r of [1, 150, 300]) expect(leaderOf(nodes, r)).toBeDefined();
  });

  it('hands the proposals of one turn to Raft together: one append to each follower carries them all', async () => {
    const net = new LoopbackNetwork();
    const nodes = await cluster(net, [1]);
    const leader = nodes[0] as TestNode;
    leader.host.campaign(1);
    await waitFor('leader 1', () => leader.host.status(1).role === 'leader');
    await leader.host.propose(1, enc('first'));
    await waitFor('followers replicating', () => nodes.every((n) => n.sms.get(1)?.values.length === 1));
    const appendsBefore = net.deliveredByType.get('app') ?? 0;
    const indexes = await Promise.all(Array.from({ length: 50 }, (_, i) => leader.host.propose(1, enc(`v${i}`))));
    // In order, at consecutive indexes.
    expect(indexes).toEqual(indexes.map((_, i) => (indexes[0] as number) + i));
    await waitFor('every replica applied', () => nodes.every((n) => n.sms.get(1)?.values.length === 51));
    for (const n of nodes) expect(n.sms.get(1)?.values.slice(1)).toEqual(indexes.map((_, i) => `v${i}`));
    // One proposal at a time would have sent each follower 50 appends (and drawn 50 answers).
    const appends = (net.deliveredByType.get('app') ?? 0) - appendsBefore;
    expect(appends).toBeGreaterThan(0);
    expect(appends).toBeLessThan(10);
  });

  it('fails buffered proposals with the reason Raft gives, and proposals after close at once', async () => {
    const net = new LoopbackNetwork();
    const nodes = await cluster(net, [1]);
    // No election yet: nobody knows a leader, so the round refuses the proposals it hands over.
    const refused = await Promise.allSettled([
      nodes[1]?.host.propose(1, enc('a')),
      nodes[1]?.host.propose(1, enc('b')),
    ]);
    for (const r of refused) {
      expect(r.status).toBe('rejected');
      expect(String((r as PromiseRejectedResult).reason)).toMatch(/knows no leader/);
    }
    await nodes[2]?.host.close();
    await expect(nodes[2]?.host.propose(1, enc('c'))).rejects.toThrow(/shutting down/);
  });

  it('elects a new leader when one node is cut off, keeps committing, and catches the node up after', async () => {
    const net = new LoopbackNetwork();
    const nodes = await cluster(net, [1]);
    nodes[0]?.host.campaign(1);
    await waitFor('leader 1', () => nodes[0]?.host.status(1).role === 'leader');
    await nodes[0]?.host.propose(1, enc('before'));
    net.isolate(1, [2, 3]);
    await waitFor('a new leader', () => [nodes[1], nodes[2]].some((n) => n?.host.status(1).role === 'leader'));
    const leader = leaderOf([nodes[1] as TestNode, nodes[2] as TestNode], 1) as TestNode;
    for (let i = 0; i < 60; i++) await leader.host.propose(1, enc(`during${i}`));
    net.heal();
    await waitFor('node 1 caught up', () => (nodes[0]?.sms.get(1)?.values.length ?? 0) === 61);
    expect(nodes[0]?.sms.get(1)?.values.slice(-1)).toEqual(['during59']);
  });

  it('serves linearizable reads: from the leader lease, through a follower, and never from a cut-off leader', async () => {
    const net = new LoopbackNetwork();
    const registry = createRegistry();
    const nodes = await cluster(net, [1], [registry, createRegistry(), createRegistry()]);
    const [n1, n2] = nodes as [TestNode, TestNode, TestNode];
    n1.host.campaign(1);
    await waitFor('leader 1', () => n1.host.status(1).role === 'leader');
    const written = await n1.host.propose(1, enc('w1'));
    await waitFor('a lease', () => n1.host.leaseRemainingTicks(1) > 0);
    expect(await n1.host.readBarrier(1)).toBeGreaterThanOrEqual(written);
    expect(await registry.metrics()).toMatch(/thinklite_raft_reads_total\{node="1",path="lease"\} 1/);
    // A follower's read waits until the follower has applied what the leader had committed.
    const w2 = await n1.host.propose(1, enc('w2'));
    const at = await n2.host.readBarrier(1);
    expect(at).toBeGreaterThanOrEqual(w2);
    expect(n2.sms.get(1)?.values).toEqual(['w1', 'w2']);
    // Cut off, the old leader's lease lapses and its reads are never confirmed; the majority goes on.
    net.isolate(1, [2, 3]);
    await waitFor('lease lapsed', () => n1.host.leaseRemainingTicks(1) === 0);
    const stale = n1.host.readBarrier(1);
    await waitFor('a new leader', () => [nodes[1], nodes[2]].some((n) => n?.host.status(1).role === 'leader'));
    const leader = leaderOf([nodes[1] as TestNode, nodes[2] as TestNode], 1) as TestNode;
    await leader.host.propose(1, enc('w3'));
    await expect(stale).rejects.toMatchObject({ code: 'PROPOSAL_DROPPED' });
  });

  it('restarts a node from its store with its log, term and applied state intact', async () => {
    const net = new LoopbackNetwork();
    const nodes = await cluster(net, [1, 2]);
    nodes[1]?.host.campaign(1);
    nodes[1]?.host.campaign(2);
    // Whoever wins (on a loaded machine another node may time out and campaign first).
    await waitFor('leaders', () => [1, 2].every((r) => leaderOf(nodes, r) !== undefined));
    const proposeTo = (group: readonly TestNode[], value: string) =>
      ((leaderOf([...group], 1) ?? group[0]) as TestNode).host.propose(1, enc(value));
    for (let i = 0; i < 10; i++) await proposeTo(nodes, `a${i}`);
    // Restart a follower of range 1.
    const follower = nodes.find((n) => n.host.status(1).role !== 'leader') as TestNode;
    await waitFor('the follower applied', () => follower.sms.get(1)?.values.length === 10);
    const before = follower.host.status(1);
    await follower.host.close();
    await follower.wal.close();
    await follower.engine.close();
    const again = await startNode(net, follower.id, follower.dir, [1, 2]);
    const after = again.host.status(1);
    expect(after.term).toBe(before.term);
    expect(after.lastIndex).toBe(before.lastIndex);
    expect(again.sms.get(1)?.values).toHaveLength(10);
    const current = [...nodes.filter((n) => n !== follower), again];
    await waitFor('a leader', () => leaderOf(current, 1) !== undefined);
    await proposeTo(current, 'after-restart');
    await waitFor('restarted node applies new writes', () => again.sms.get(1)?.values.at(-1) === 'after-restart');
  });
});
