import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createRegistry, SeededRandom } from '@thinklite/base';
import type { Entry, Ready } from '@thinklite/raft';
import { MemoryEngine } from '@thinklite/storage';
import { afterEach, describe, expect, it } from 'vitest';
import { RaftLogStore, RaftWal } from '../src/index.js';

const dirs: string[] = [];
const open: RaftWal[] = [];
afterEach(async () => {
  for (const w of open.splice(0)) await w.close();
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function newDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'tl-wal-'));
  dirs.push(d);
  return d;
}

function openWal(dir: string, segmentBytes?: number, segmentsMax?: number): RaftWal {
  const w = RaftWal.open({ dir, ...(segmentBytes ? { segmentBytes } : {}), ...(segmentsMax ? { segmentsMax } : {}) });
  open.push(w);
  return w;
}

async function reopen(w: RaftWal, segmentBytes?: number, segmentsMax?: number): Promise<RaftWal> {
  await w.close();
  open.splice(open.indexOf(w), 1);
  return openWal(w.dir, segmentBytes, segmentsMax);
}

const entry = (index: number, term: number, data = `v${index}@${term}`): Entry => ({
  index,
  term,
  type: 'normal',
  data: new TextEncoder().encode(data),
});
const text = (es: Entry[]) => es.map((e) => new TextDecoder().decode(e.data));
const files = (dir: string) => fs.readdirSync(dir).filter((f) => f.endsWith('.wal'));

describe('the Raft write-ahead log', () => {
  it('keeps entries and hard states of many ranges across a reopen, a conflicting suffix replaced', async () => {
    let w = openWal(newDir());
    w.stageEntries(1, 0, [entry(1, 1), entry(2, 1), entry(3, 1)]);
    w.stageEntries(2, 0, [entry(10, 4), entry(11, 4)]);
    w.stageHardState(1, 0, { term: 1, vote: 1, commit: 2 });
    await w.flush(true);
    // A new leader's entries from index 2 replace 2..3.
    w.stageEntries(1, 0, [entry(2, 2)]);
    w.stageHardState(1, 0, { term: 2, vote: 3, commit: 2 });
    await w.flush(true);
    for (let round = 0; round < 2; round++) {
      expect(w.span(1)).toEqual({ first: 1, last: 2 });
      expect(text(w.entries(1, 1, 3))).toEqual(['v1@1', 'v2@2']);
      expect(w.term(1, 2)).toBe(2);
      expect(w.term(1, 3)).toBeUndefined();
      expect(w.hardState(1)).toEqual({ term: 2, vote: 3, commit: 2 });
      expect(text(w.entries(2, 10, 12))).toEqual(['v10@4', 'v11@4']);
      expect(w.span(3)).toBeUndefined();
      w = await reopen(w); // the second pass reads from the files, not the cache
    }
  });

  it('writes flushes made while a write is in progress together, with one fdatasync (group commit)', async () => {
    const registry = createRegistry();
    const w = RaftWal.open({ dir: newDir(), registry });
    open.push(w);
    const writes = async () =>
      Number(/thinklite_raft_wal_write_seconds_count\{sync="true"\} (\d+)/.exec(await registry.metrics())?.[1]);
    w.stageEntries(1, 0, [entry(1, 1)]);
    const first = w.flush(true);
    await new Promise((r) => setImmediate(r)); // the first write is under way (or done)
    w.stageEntries(1, 0, [entry(2, 1)]);
    const second = w.flush(true);
    w.stageEntries(2, 0, [entry(7, 3)]);
    w.stageHardState(2, 0, { term: 3, vote: 2, commit: 7 });
    const third = w.flush(true);
    expect(third).toBe(second); // it joined the write that waits
    await Promise.all([first, second, third]);
    expect(await writes()).toBe(2);
    expect(text(w.entries(1, 1, 3))).toEqual(['v1@1', 'v2@1']);
    const reopened = await reopen(w);
    expect(text(reopened.entries(2, 7, 8))).toEqual(['v7@3']);
    expect(reopened.hardState(2)).toEqual({ term: 3, vote: 2, commit: 7 });
  });

  it('cuts a torn write at the tail of the newest file and keeps everything before it', async () => {
    const dir = newDir();
    let w = openWal(dir);
    w.stageEntries(1, 0, [entry(1, 1), entry(2, 1)]);
    await w.flush(true);
    w.stageEntries(1, 0, [entry(3, 1, 'x'.repeat(500))]);
    await w.flush(true);
    await w.close();
    open.splice(0);
    const file = path.join(dir, files(dir)[0] as string);
    const size = fs.statSync(file).size;
    for (const cut of [1, 7, 100, 400]) {
      fs.truncateSync(file, size - cut);
      w = openWal(dir);
      expect(w.span(1)).toEqual({ first: 1, last: 2 });
      // The log goes on after the cut.
      w.stageEntries(1, 0, [entry(3, 1, 'x'.repeat(500))]);
      await w.flush(true);
      await w.close();
      open.splice(0);
      expect(fs.statSync(file).size).toBe(size);
    }
  });

  it('refuses with STORE_CORRUPT a damaged record that is not at the tail, naming file and offset', async () => {
    const dir = newDir();
    const w = openWal(dir, 256);
    for (let i = 1; i <= 20; i++) {
      w.stageEntries(1, 0, [entry(i, 1, 'y'.repeat(100))]);
      await w.flush(true);
    }
    await w.close();
    open.splice(0);
    const first = path.join(dir, files(dir).sort()[0] as string);
    const bytes = fs.readFileSync(first);
    bytes[30] = (bytes[30] as number) ^ 0xff;
    fs.writeFileSync(first, bytes);
    expect(() => RaftWal.open({ dir })).toThrow(expect.objectContaining({ code: 'STORE_CORRUPT' }));
    expect(() => RaftWal.open({ dir })).toThrow(/damaged at offset 8/);
    fs.writeFileSync(first, Buffer.from('not a log at all'));
    expect(() => RaftWal.open({ dir })).toThrow(/is not a ThinkLite Raft log file/);
  });

  it('empties a log with a newer generation and ignores records of an older one', async () => {
    let w = openWal(newDir());
    w.stageEntries(1, 0, [entry(1, 1), entry(2, 1), entry(3, 1)]);
    await w.flush(true);
    w.stageReset(1, 1);
    w.stageEntries(1, 1, [entry(51, 5)]);
    await w.flush(true);
    w = await reopen(w);
    expect(w.generation(1)).toBe(1);
    expect(w.span(1)).toEqual({ first: 51, last: 51 });
    expect(w.term(1, 2)).toBeUndefined();
  });

  it('deletes files once their entries are compacted, carries hard states forward, and rewrites idle ranges', async () => {
    const dir = newDir();
    let w = openWal(dir, 4096, 3);
    // Range 1 is busy and compacts; range 2 wrote once and then stayed idle.
    w.stageEntries(2, 0, [entry(1, 1, 'idle')]);
    w.stageHardState(2, 0, { term: 1, vote: 2, commit: 1 });
    await w.flush(true);
    for (let i = 1; i <= 200; i++) {
      w.stageEntries(1, 0, [entry(i, 1, 'z'.repeat(200))]);
      w.stageHardState(1, 0, { term: 1, vote: 1, commit: i });
      await w.flush(true);
      if (i % 10 === 0) w.setTruncated(1, i - 5);
    }
    // 200 × ~260 bytes is 13 files' worth at 4 KiB; all but a few are gone.
    expect(files(dir).length).toBeLessThanOrEqual(4);
    // The idle range's entry was rewritten forward, so the first file went too.
    expect(files(dir)).not.toContain('0000000000000001.wal');
    w = await reopen(w, 4096, 3);
    expect(w.hardState(2)).toEqual({ term: 1, vote: 2, commit: 1 });
    expect(text(w.entries(2, 1, 2))).toEqual(['idle']);
    expect(w.hardState(1)).toEqual({ term: 1, vote: 1, commit: 200 });
    const span = w.span(1);
    expect(span?.last).toBe(200);
    expect(span?.first).toBeLessThanOrEqual(196);
  });

  it('matches a model log under random appends, overwrites, resets, compactions and reopens', async () => {
    for (let seed = 1; seed <= 12; seed++) {
      const rnd = new SeededRandom(seed);
      let w = openWal(newDir(), 2048, 3);
      const model = new Map<number, { gen: number; first: number; log: Entry[]; truncated: number }>();
      for (let step = 0; step < 150; step++) {
        const rangeId = rnd.int(1, 3);
        const m = model.get(rangeId) ?? { gen: 0, first: 1, log: [], truncated: 0 };
        model.set(rangeId, m);
        const op = rnd.int(0, 9);
        const last = m.first + m.log.length - 1;
        if (op === 0) {
          const at = last + rnd.int(1, 5);
          m.gen += 1;
          m.first = at + 1;
          m.log = [];
          m.truncated = at;
          w.stageReset(rangeId, m.gen);
          w.setTruncated(rangeId, at);
        } else if (op === 1 && m.log.length > 2) {
          const to = m.first + rnd.int(0, m.log.length - 2);
          w.setTruncated(rangeId, to);
          m.log = m.log.slice(to - m.first + 1);
          m.first = to + 1;
          m.truncated = to;
        } else if (op === 2) {
          w = await reopen(w, 2048, 3);
          for (const [r, mm] of model) w.setTruncated(r, mm.truncated);
        } else {
          // Append, or overwrite a suffix from a random point.
          const from = m.log.length > 0 && rnd.int(0, 3) === 0 ? m.first + rnd.int(0, m.log.length - 1) : last + 1;
          const n = rnd.int(1, 4);
          const term = step + 1;
          const es = Array.from({ length: n }, (_, i) =>
            entry(from + i, term, `s${seed}-${step}-${i}`.repeat(rnd.int(1, 20))),
          );
          w.stageEntries(rangeId, m.gen, es);
          m.log = [...m.log.slice(0, from - m.first), ...es];
        }
        await w.flush(rnd.int(0, 1) === 1);
        for (const [r, mm] of model) {
          expect(w.generation(r), `seed ${seed} step ${step}`).toBe(mm.gen);
          if (mm.log.length === 0) continue;
          const got = w.entries(r, mm.first, mm.first + mm.log.length);
          expect(text(got), `seed ${seed} step ${step} range ${r}`).toEqual(text(mm.log));
          expect(w.span(r)?.last).toBe(mm.first + mm.log.length - 1);
        }
      }
      expect(files(w.dir).length).toBeLessThanOrEqual(5);
    }
  });
});

describe('a range store over the log and the engine', () => {
  const ready = (r: Partial<Ready>): Ready => ({
    entries: [],
    committedEntries: [],
    messages: [],
    readStates: [],
    mustSync: true,
    ...r,
  });
  const conf = { voters: [1, 2, 3], votersOutgoing: [], learners: [], learnersNext: [], autoLeave: false };

  it('voids the log a snapshot replaced when the crash came between the engine commit and the log write', async () => {
    const engine = new MemoryEngine();
    let wal = openWal(newDir());
    const b0 = engine.newBatch();
    RaftLogStore.bootstrap(b0, 7, conf);
    await engine.commit(b0);
    let store = RaftLogStore.open(engine, wal, 7, () => ({ index: 1, data: new Uint8Array() }));
    // A divergent log from an old term reaches past where the snapshot will land.
    const old = Array.from({ length: 60 }, (_, i) => entry(i + 2, 2));
    let done = store.stage(engine.newBatch(), ready({ entries: old, hardState: { term: 2, vote: 1, commit: 1 } }));
    await wal.flush(true);
    done();
    expect(store.lastIndex()).toBe(61);
    // The snapshot at 50 (term 3): the engine commits it, then the process dies before the log's write.
    const b1 = engine.newBatch();
    store.stage(b1, ready({ snapshot: { meta: { index: 50, term: 3, conf }, data: new Uint8Array() } }));
    await engine.commit(b1);
    wal = await reopen(wal); // what was staged in the log is lost with the process
    store = RaftLogStore.open(engine, wal, 7, () => ({ index: 50, data: new Uint8Array() }));
    expect(store.firstIndex()).toBe(51);
    expect(store.lastIndex()).toBe(50); // not 61: entries 51..61 of the old log are void
    expect(store.term(50)).toBe(3);
    expect(store.initialState().hardState.commit).toBe(50);
    // The log goes on from the snapshot, and keeps doing so after a reopen.
    done = store.stage(engine.newBatch(), ready({ entries: [entry(51, 3)] }));
    await wal.flush(true);
    done();
    wal = await reopen(wal);
    store = RaftLogStore.open(engine, wal, 7, () => ({ index: 50, data: new Uint8Array() }));
    expect(store.lastIndex()).toBe(51);
    expect(text(store.entries(51, 52))).toEqual(['v51@3']);
  });
});
