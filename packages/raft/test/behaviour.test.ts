import { isThinkLiteError, SeededRandom, ThinkLiteError } from '@thinklite/base';
import { describe, expect, it } from 'vitest';
import { MemoryRaftStorage, type Message, RawNode } from '../src/index.js';
import { EMPTY_CONF } from '../src/log/storage.js';
import { Harness } from './harness.js';

const enc = (s: string) => new TextEncoder().encode(s);

function dropReason(fn: () => void): string | undefined {
  try {
    fn();
  } catch (e) {
    if (isThinkLiteError(e, 'PROPOSAL_DROPPED')) return e.details.reason as string;
    throw e;
  }
  return undefined;
}

/** One node driven by hand (no harness): the test persists and advances its Readies itself. */
function lone(id: number, storage: MemoryRaftStorage): RawNode {
  return new RawNode({
    id,
    storage,
    electionTicks: 10,
    heartbeatTicks: 1,
    preVote: true,
    checkQuorum: true,
    readOnly: 'safe',
    maxClockOffsetTicks: 0,
    random: new SeededRandom(7),
  });
}

describe('raft behaviours', () => {
  it('elects a leader by pre-vote then vote, and commits its empty entry on every node', () => {
    const h = new Harness([1, 2, 3]);
    h.elect(1);
    expect(h.raft(1).role).toBe('leader');
    expect(h.raft(1).term).toBe(2);
    // The first commit of a term goes to every follower at once.
    for (const id of [2, 3]) {
      expect(h.raft(id).lead).toBe(1);
      expect(h.raft(id).log.committed).toBe(2);
    }
    // The pre-vote round asked at term 2 without moving anyone's term first.
    expect(h.sent.filter((m) => m.type === 'pre-vote').map((m) => m.term)).toEqual([2, 2]);
  });

  it('applies an entry only once persisted, even when the message that brings it also commits it', () => {
    const storage = MemoryRaftStorage.bootstrap({ ...EMPTY_CONF, voters: [1, 2, 3] });
    const raw = lone(2, storage);
    const last = storage.lastIndex();
    const entry = { term: 2, index: last + 1, type: 'normal' as const, data: enc('x') };
    raw.step({
      type: 'app',
      from: 1,
      to: 2,
      term: 2,
      logTerm: storage.term(last) ?? 0,
      index: last,
      entries: [entry],
      commit: last + 1,
      lease: 0,
    });
    const first = raw.ready();
    expect(first.entries.map((e) => e.index)).toEqual([last + 1]);
    expect(raw.raft.log.committed).toBe(last + 1);
    expect(first.committedEntries.map((e) => e.index)).not.toContain(last + 1);
    storage.append(first.entries);
    raw.advance(first);
    expect(raw.hasReady()).toBe(true);
    const second = raw.ready();
    expect(second.entries).toEqual([]);
    expect(second.committedEntries.map((e) => e.index)).toContain(last + 1);
  });

  it('pipelines Readies: each holds only what the ones before it did not, and commits wait for the write', () => {
    const storage = MemoryRaftStorage.bootstrap({ ...EMPTY_CONF, voters: [1] });
    const raw = lone(1, storage);
    const settle = () => {
      while (raw.hasReady()) {
        const rd = raw.ready();
        storage.append(rd.entries);
        if (rd.hardState) storage.setHardState(rd.hardState);
        raw.advance(rd);
      }
    };
    raw.campaign();
    settle();
    expect(raw.raft.role).toBe('leader');
    const base = raw.raft.log.lastIndex();
    const data = (es: readonly { data: Uint8Array }[]) => es.map((e) => new TextDecoder().decode(e.data));
    raw.propose(enc('a'));
    const rd1 = raw.ready(); // its write is now in flight
    expect(data(rd1.entries)).toEqual(['a']);
    raw.propose(enc('b'));
    expect(raw.hasReady()).toBe(true);
    const rd2 = raw.ready(); // taken before rd1 is durable: only what is new
    expect(data(rd2.entries)).toEqual(['b']);
    expect(rd2.committedEntries).toEqual([]);
    expect(raw.hasReady()).toBe(false);
    // A single voter commits its entry once its own write is durable, not before.
    expect(raw.raft.log.committed).toBe(base);
    storage.append(rd1.entries);
    raw.advance(rd1);
    expect(raw.raft.log.committed).toBe(base + 1);
    const rd3 = raw.ready();
    expect(data(rd3.committedEntries)).toEqual(['a']); // b is committed by no one yet, nor durable
    expect(rd3.entries).toEqual([]);
    storage.append(rd2.entries);
    raw.advance(rd2);
    raw.advance(rd3);
    const rd4 = raw.ready();
    expect(data(rd4.committedEntries)).toEqual(['b']); // a is not handed out twice
    raw.advance(rd4);
    expect(raw.raft.log.applied).toBe(base + 2);
    expect(raw.hasReady()).toBe(false);
  });

  it('takes back Readies in flight that a new leader overwrites: the replaced entries are written again', () => {
    const storage = MemoryRaftStorage.bootstrap({ ...EMPTY_CONF, voters: [1, 2, 3] });
    const raw = lone(2, storage);
    const last = storage.lastIndex();
    const lastTerm = storage.term(last) ?? 0;
    const entry = (term: number, index: number, s: string) => ({ term, index, type: 'normal' as const, data: enc(s) });
    const app = (term: number, entries: ReturnType<typeof entry>[]) =>
      raw.step({
        type: 'app',
        from: term === 2 ? 1 : 3,
        to: 2,
        term,
        logTerm: lastTerm,
        index: last,
        entries,
        commit: last,
        lease: 0,
      });
    app(2, [entry(2, last + 1, 'x'), entry(2, last + 2, 'y')]);
    const rd1 = raw.ready();
    expect(rd1.entries.map((e) => e.index)).toEqual([last + 1, last + 2]);
    // Before that write is durable, a leader of term 3 replaces both entries.
    app(3, [entry(3, last + 1, 'z')]);
    const rd2 = raw.ready();
    expect(rd2.entries.map((e) => [e.index, e.term])).toEqual([[last + 1, 3]]);
    storage.append(rd1.entries);
    raw.advance(rd1); // the replaced entries were written; they do not count as the log's
    expect(raw.raft.log.lastStableIndex()).toBe(last);
    storage.append(rd2.entries);
    raw.advance(rd2);
    expect(raw.raft.log.lastStableIndex()).toBe(last + 1);
    expect(raw.raft.log.term(last + 1)).toBe(3);
    expect(storage.lastIndex()).toBe(last + 1);
  });

  it('refuses a vote to a candidate with a stale log, and a leader steps down on a higher term', () => {
    const h = new Harness([1, 2, 3], { preVote: false, checkQuorum: false });
    h.elect(1);
    h.isolate(3);
    h.propose(1, 'x');
    h.heal();
    h.elect(3);
    expect(h.raft(3).role).not.toBe('leader');
    const answers = h.sent.filter((m): m is Message & { type: 'vote-resp' } => m.type === 'vote-resp' && m.to === 3);
    expect(answers.map((m) => [m.from, m.reject])).toEqual([
      [1, true],
      [2, true],
    ]);
    expect(h.raft(1).role).toBe('follower');
    expect(h.raft(1).term).toBe(3);
  });

  it('does not let a partitioned node raise its term or disrupt the leader when it returns (pre-vote)', () => {
    const h = new Harness([1, 2, 3]);
    h.elect(1);
    h.isolate(3);
    for (let i = 0; i < 50; i++) {
      h.tick(3);
      h.settle();
    }
    expect(h.raft(3).term).toBe(2);
    expect(h.sent.some((m) => m.from === 3 && m.type === 'pre-vote')).toBe(true);
    h.heal();
    h.tickAll(5);
    expect(h.raft(1).role).toBe('leader');
    expect(h.raft(1).term).toBe(2);
    expect(h.raft(3).lead).toBe(1);
  });

  it('makes a leader cut off from its quorum step down (check-quorum)', () => {
    const h = new Harness([1, 2, 3]);
    h.elect(1);
    h.isolate(1);
    for (let i = 0; i < 25 && h.raft(1).role === 'leader'; i++) {
      h.tick(1);
      h.settle();
    }
    expect(h.raft(1).role).toBe('follower');
  });

  it('commits only entries of the current term by counting replicas (Raft §5.4.2, Figure 8)', () => {
    const storage = MemoryRaftStorage.bootstrap({ ...EMPTY_CONF, voters: [1, 2, 3] });
    storage.append([
      { index: 2, term: 1, type: 'normal', data: enc('a') },
      { index: 3, term: 2, type: 'normal', data: enc('b') },
    ]);
    storage.setHardState({ term: 2, vote: 0, commit: 1 });
    const raw = new RawNode({ id: 1, storage, electionTicks: 10, heartbeatTicks: 1, random: new SeededRandom(1) });
    raw.campaign();
    raw.step({ type: 'pre-vote-resp', from: 2, to: 1, term: 3, reject: false });
    raw.step({ type: 'vote-resp', from: 2, to: 1, term: 3, reject: false });
    expect(raw.raft.role).toBe('leader');
    expect(raw.raft.log.lastIndex()).toBe(4); // its empty entry of term 3
    const rd = raw.ready();
    storage.append(rd.entries); // the leader's own entries count once persisted
    raw.advance(rd);
    const ack = (index: number): Message => ({
      type: 'app-resp',
      from: 2,
      to: 1,
      term: 3,
      index,
      reject: false,
      rejectHint: 0,
      logTerm: 0,
      lease: 0,
    });
    raw.step(ack(3));
    expect(raw.raft.log.committed).toBe(1); // a majority holds entry 3, but it is from term 2
    raw.step(ack(4));
    expect(raw.raft.log.committed).toBe(4);
  });

  it('fails proposals fast with a reason: no leader yet, and a leader that removed itself', () => {
    const h = new Harness([1, 2, 3]);
    expect(dropReason(() => h.node(1).raw.propose(enc('x')))).toBe('no-leader');
    h.elect(1);
    h.node(1).raw.proposeConfChange({ changes: [{ kind: 'remove', node: 1 }] });
    h.settle();
    expect(h.raft(1).role).toBe('follower');
    expect(h.raft(2).confState().voters).toEqual([2, 3]);
    h.tickAll(40);
    const leader = [2, 3].find((id) => h.raft(id).role === 'leader');
    expect(leader).toBeDefined();
    expect(h.raft(1).promotable()).toBe(false);
    expect(dropReason(() => h.node(1).raw.propose(enc('y')))).toBe('no-leader');
    h.propose(leader as number, 'after');
    h.tickAll(2); // the followers learn the commit index from a heartbeat once writes stop
    expect(h.node(2).applied).toContain('after');
  });

  it('sends a commit index where it is waited for, else with the next append or heartbeat', () => {
    const h = new Harness([1, 2, 3]);
    h.elect(1);
    h.tickAll(1);
    const commitOnly = (from: number) =>
      h.sent.slice(from).filter((m) => m.type === 'app' && m.entries.length === 0).length;
    // A write at the leader: applied there at once; the followers hold the entry and learn that
    // it committed from the next heartbeat, without an append that carries only the commit.
    let mark = h.sent.length;
    h.propose(1, 'a');
    expect(h.node(1).applied).toEqual(['a']);
    expect(h.node(2).applied).toEqual([]);
    expect(h.raft(2).log.lastIndex()).toBe(h.raft(1).log.lastIndex());
    expect(commitOnly(mark)).toBe(0);
    // The next write's append carries the commit of the one before it.
    h.propose(1, 'b');
    for (const id of [2, 3]) expect(h.node(id).applied).toEqual(['a']);
    // Idle, a heartbeat brings it once the last append's answer is a heartbeat interval old.
    h.tickAll(1);
    for (const id of [2, 3]) expect(h.node(id).applied).toEqual(['a']);
    h.tickAll(1);
    for (const id of [2, 3]) expect(h.node(id).applied).toEqual(['a', 'b']);
    // A write forwarded by follower 2: 2 waits for it, so it is told the commit at once; 3 is not.
    mark = h.sent.length;
    h.propose(2, 'c');
    expect(h.node(2).applied).toEqual(['a', 'b', 'c']);
    expect(h.node(3).applied).toEqual(['a', 'b']);
    expect(commitOnly(mark)).toBe(1);
    h.tickAll(2);
    expect(h.node(3).applied).toEqual(['a', 'b', 'c']);
  });

  it('sends no heartbeats to followers that answer appends, and heartbeats again when writes stop', () => {
    const h = new Harness([1, 2, 3], { readOnly: 'lease', maxClockOffsetTicks: 3 });
    h.elect(1);
    h.tickAll(2);
    const beats = (from: number) => h.sent.slice(from).filter((m) => m.type === 'heartbeat').length;
    const mark = h.sent.length;
    for (let i = 0; i < 30; i++) {
      h.propose(1, `w${i}`);
      h.tickAll(1);
      expect(h.node(1).raw.leaseRemainingTicks()).toBeGreaterThan(0);
    }
    expect(beats(mark)).toBe(0);
    expect(h.raft(1).role).toBe('leader');
    // Each append brought the commit of the write before it; the last commit is still to come.
    for (const id of [2, 3]) expect(h.node(id).applied).toHaveLength(29);
    // Idle, the group heartbeats every interval again, and a heartbeat brings the last commit.
    const idle = h.sent.length;
    h.tickAll(3);
    expect(beats(idle)).toBe(6);
    for (const id of [2, 3]) expect(h.node(id).applied).toHaveLength(30);
  });

  it('extends the leader lease with the answers to appends, as with those to heartbeats', () => {
    const h = new Harness([1, 2, 3], { readOnly: 'lease', maxClockOffsetTicks: 3 });
    h.elect(1);
    h.tickAll(2);
    expect(h.node(1).raw.leaseRemainingTicks()).toBeGreaterThan(0);
    // Heartbeats are lost from here on; writes keep the lease, one per tick.
    h.filter = (m) => m.type !== 'heartbeat';
    for (let i = 0; i < 30; i++) {
      h.propose(1, `w${i}`);
      h.tickAll(1);
      expect(h.node(1).raw.leaseRemainingTicks()).toBeGreaterThan(0);
      expect(h.raft(1).role).toBe('leader');
    }
    // Without writes, the lease runs out.
    h.tick(1, 10);
    expect(h.node(1).raw.leaseRemainingTicks()).toBe(0);
  });

  it('lets an idle group fall silent once every member holds the whole log, and wakes it with a proposal', () => {
    const h = new Harness([1, 2, 3], { quiesce: true });
    h.elect(1);
    h.propose(1, 'x');
    const quiesced = () => [1, 2, 3].map((id) => h.node(id).raw.quiesced);
    // Not at once: a group falls silent only after an election timeout without writes or reads.
    h.tickAll(5);
    expect(quiesced()).toEqual([false, false, false]);
    h.tickAll(10);
    expect(quiesced()).toEqual([true, true, true]);
    expect(h.sent.filter((m) => m.type === 'heartbeat' && m.quiesce).map((m) => m.to)).toEqual([2, 3]);
    // Silent: no heartbeats, no elections, no check-quorum step-down, however long it idles.
    const sentBefore = h.sent.length;
    h.tickAll(100);
    expect(h.sent.length).toBe(sentBefore);
    expect(h.raft(1).role).toBe('leader');
    expect(h.raft(2).term).toBe(h.raft(1).term);
    // A proposal through a follower wakes the leader, whose append wakes the followers.
    h.propose(2, 'y');
    for (const id of [1, 2, 3]) expect(h.node(id).applied).toEqual(['x', 'y']);
    expect(quiesced()).toEqual([false, false, false]);
    h.tickAll(15);
    expect(quiesced()).toEqual([true, true, true]);
  });

  it('keeps a silent group from quiescing while a member lags, and its followers from campaigning until woken', () => {
    const h = new Harness([1, 2, 3], { quiesce: true });
    h.elect(1);
    h.filter = (m) => !(m.type === 'app' && m.to === 3); // node 3 answers heartbeats but misses the write
    h.propose(1, 'x');
    h.tickAll(15);
    expect(h.node(1).raw.quiesced).toBe(false);
    h.heal();
    h.tickAll(15);
    expect([1, 2, 3].map((id) => h.node(id).raw.quiesced)).toEqual([true, true, true]);
    // Node 1 dies. Its silent followers do not notice: no heartbeat is missing.
    const term = h.raft(1).term;
    h.isolate(1);
    h.tickAll(60);
    expect(h.raft(2).lead).toBe(1);
    expect(h.raft(2).term).toBe(term);
    // Node liveness finds node 1 dead and wakes them: they elect a new leader.
    h.node(2).raw.unquiesce();
    h.node(3).raw.unquiesce();
    h.tickAll(60);
    const leaders = [2, 3].filter((id) => h.raft(id).role === 'leader');
    expect(leaders).toHaveLength(1);
    expect(h.raft(leaders[0] as number).term).toBeGreaterThan(term);
  });

  it('gives a leader woken from silence no lease from answers to heartbeats it sent before', () => {
    const h = new Harness([1, 2, 3], { quiesce: true, readOnly: 'lease', maxClockOffsetTicks: 3 });
    h.elect(1);
    h.propose(1, 'x');
    // The answers to the quiesce heartbeat are held up on the way.
    const held: Message[] = [];
    const told = new Set<number>();
    h.filter = (m) => {
      if (m.type === 'heartbeat' && m.quiesce) told.add(m.to);
      if (m.type !== 'heartbeat-resp' || !told.has(m.from)) return true;
      held.push(m);
      return false;
    };
    h.tickAll(15);
    expect(h.node(1).raw.quiesced).toBe(true);
    expect(h.node(1).raw.leaseRemainingTicks()).toBe(0);
    // Much later (its ticks stood still meanwhile) the leader wakes, cut off; the old answers land.
    h.isolate(1);
    h.node(1).raw.unquiesce();
    h.settle();
    for (const m of held) h.node(1).raw.step(m);
    expect(held.length).toBeGreaterThan(0);
    expect(h.node(1).raw.leaseRemainingTicks()).toBe(0);
    h.node(1).raw.readIndex(enc('after-silence'));
    h.settle();
    expect(h.node(1).readIndexes).toEqual([]);
  });

  it('transfers leadership to a caught-up follower', () => {
    const h = new Harness([1, 2, 3]);
    h.elect(1);
    h.propose(1, 'x');
    h.node(1).raw.transferLeadership(2);
    h.settle();
    expect(h.raft(2).role).toBe('leader');
    expect(h.raft(2).term).toBe(3);
    expect(h.raft(1).lead).toBe(2);
  });

  it('serves ReadIndex at the commit index after a heartbeat quorum, and never on a cut-off leader', () => {
    const h = new Harness([1, 2, 3]);
    h.elect(1);
    h.propose(1, 'x');
    h.node(2).raw.readIndex(enc('r1'));
    h.settle();
    expect(h.node(2).readIndexes).toEqual([3]);
    h.isolate(1);
    h.node(1).raw.readIndex(enc('r2'));
    h.settle();
    expect(h.node(1).readIndexes).toEqual([]);
  });

  it('answers reads from a leader lease bounded by the clock offset, which ends on isolation and on handover', () => {
    const h = new Harness([1, 2, 3], { readOnly: 'lease', maxClockOffsetTicks: 3 });
    const leader = 1;
    h.elect(leader);
    expect(h.raft(leader).role).toBe('leader');
    h.propose(leader, 'x');
    h.tickAll(1); // a heartbeat round answered by the quorum starts the lease
    const lease = h.node(leader).raw.leaseRemainingTicks();
    // electionTicks 10 − 2 ticks of quantization and slack − 3 of clock offset.
    expect(lease).toBeGreaterThan(0);
    expect(lease).toBeLessThanOrEqual(5);
    const sentBefore = h.sent.length;
    h.node(leader).raw.readIndex(enc('lease-read'));
    h.settle();
    expect(h.node(leader).readIndexes).toEqual([h.raft(leader).log.committed]);
    // No heartbeat round was needed.
    expect(h.sent.slice(sentBefore).some((m) => m.type === 'heartbeat' && m.context.length > 0)).toBe(false);

    // Cut off, the lease runs out after exactly its remaining ticks, still well inside the
    // followers' election timeout; then reads need a quorum round, which cannot complete.
    h.isolate(leader);
    h.tick(leader, lease - 1);
    h.settle();
    expect(h.node(leader).raw.leaseRemainingTicks()).toBe(1);
    h.tick(leader, 1);
    h.settle();
    expect(h.raft(leader).role).toBe('leader');
    expect(h.node(leader).raw.leaseRemainingTicks()).toBe(0);
    h.node(leader).raw.readIndex(enc('expired'));
    h.settle();
    expect(h.node(leader).readIndexes).toHaveLength(1);

    // Healed, the next heartbeat round renews it; handing leadership over ends it at once.
    h.heal();
    h.tickAll(1);
    expect(h.node(leader).raw.leaseRemainingTicks()).toBeGreaterThan(0);
    h.filter = (m) => m.type !== 'timeout-now';
    const to = leader === 1 ? 2 : 1;
    h.node(leader).raw.transferLeadership(to);
    h.settle();
    expect(h.sent.some((m) => m.type === 'timeout-now' && m.to === to)).toBe(true);
    expect(h.raft(leader).role).toBe('leader');
    expect(h.node(leader).raw.leaseRemainingTicks()).toBe(0);

    // A restarted node honours for an election timeout a lease it may have acknowledged before
    // it crashed: it ignores a pre-vote, then answers the same one.
    const n3 = h.node(3);
    n3.raw = new RawNode({
      id: 3,
      storage: n3.storage,
      electionTicks: 10,
      heartbeatTicks: 1,
      checkQuorum: true,
      readOnly: 'lease',
      maxClockOffsetTicks: 3,
      random: new SeededRandom(3),
    });
    const r3 = n3.raw.raft;
    const preVote: Message = {
      type: 'pre-vote',
      from: 2,
      to: 3,
      term: r3.term + 1,
      logTerm: r3.log.lastTerm(),
      index: r3.log.lastIndex(),
      transfer: false,
    };
    n3.raw.step(preVote);
    expect(n3.raw.hasReady() ? n3.raw.ready().messages : []).toEqual([]);
    for (let i = 0; i < 10; i++) n3.raw.tick();
    n3.raw.step(preVote);
    const answers = n3.raw.ready().messages.filter((m) => m.type === 'pre-vote-resp');
    expect(answers.map((m) => m.type === 'pre-vote-resp' && m.reject)).toEqual([false]);
  });

  it('catches a follower up from a snapshot when the leader has compacted its log', () => {
    const h = new Harness([1, 2, 3]);
    h.elect(1);
    h.isolate(3);
    for (let i = 0; i < 20; i++) h.propose(1, `e${i}`);
    const leader = h.node(1);
    leader.storage.createSnapshot(leader.appliedIndex, h.raft(1).confState(), enc('state'));
    h.heal();
    h.tickAll(3);
    expect(h.node(3).storage.snapshot().meta.index).toBe(leader.appliedIndex - 0);
    expect(h.raft(3).log.committed).toBe(h.raft(1).log.committed);
    expect(h.sent.filter((m) => m.type === 'snap').length).toBe(1);
  });

  it('overwrites a long divergent follower log in a few round trips (fast back-off)', () => {
    const h = new Harness([1, 2, 3]);
    h.elect(1);
    h.isolate(1);
    for (let i = 0; i < 50; i++) h.node(1).raw.propose(enc(`lost${i}`));
    h.settle();
    h.tickAll(30); // 2 and 3 elect a new leader
    const leader = h.raft(2).role === 'leader' ? 2 : 3;
    for (let i = 0; i < 5; i++) h.propose(leader, `kept${i}`);
    const before = h.sent.length;
    h.heal();
    h.tickAll(3);
    const rejections = h.sent.slice(before).filter((m) => m.type === 'app-resp' && m.from === 1 && m.reject);
    expect(rejections.length).toBeLessThanOrEqual(2);
    expect(h.raft(1).log.committed).toBe(h.raft(leader).log.committed);
    expect(h.node(1).applied.filter((d) => d.startsWith('lost'))).toEqual([]);
    expect(h.node(1).applied.filter((d) => d.startsWith('kept'))).toHaveLength(5);
  });

  it('replaces voters through joint consensus, including the leader itself', () => {
    const h = new Harness([1, 2, 3], { spares: [4, 5] });
    h.elect(1);
    h.node(1).raw.proposeConfChange({ changes: [{ kind: 'add-learner', node: 4 }] });
    h.settle();
    expect(h.raft(1).confState().learners).toEqual([4]);
    h.node(1).raw.proposeConfChange({
      changes: [
        { kind: 'add-voter', node: 4 },
        { kind: 'add-voter', node: 5 },
        { kind: 'remove', node: 3 },
      ],
    });
    h.settle();
    // Entered joint consensus and, with auto-leave, left it again.
    expect(h.raft(1).confState()).toMatchObject({ voters: [1, 2, 4, 5], votersOutgoing: [], learners: [] });
    expect(h.raft(4).confState().voters).toEqual([1, 2, 4, 5]);
    h.node(1).raw.proposeConfChange({
      changes: [
        { kind: 'remove', node: 1 },
        { kind: 'add-voter', node: 3 },
      ],
    });
    h.settle();
    expect(h.raft(2).confState()).toMatchObject({ voters: [2, 3, 4, 5], votersOutgoing: [] });
    expect(h.raft(1).role).toBe('follower');
    h.tickAll(40);
    const leader = [2, 3, 4, 5].find((id) => h.raft(id).role === 'leader') as number;
    expect(leader).toBeDefined();
    h.propose(leader, 'after-swap');
    h.tickAll(2); // the followers learn the commit index from a heartbeat once writes stop
    for (const id of [2, 3, 4, 5]) expect(h.node(id).applied).toContain('after-swap');
  });

  it('refuses invalid configuration changes with a coded error', () => {
    const h = new Harness([1]);
    h.elect(1);
    let caught: unknown;
    try {
      h.node(1).raw.proposeConfChange({ changes: [{ kind: 'remove', node: 1 }] });
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(ThinkLiteError);
    expect((caught as ThinkLiteError).code).toBe('CONF_CHANGE_INVALID');
    expect(dropReason(() => h.node(1).raw.proposeConfChange({ changes: [] }))).toBe('conf-change-pending');
  });
});
