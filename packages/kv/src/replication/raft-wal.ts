import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import {
  Counter,
  createRegistry,
  Gauge,
  Histogram,
  LATENCY_BUCKETS_SECONDS,
  type Logger,
  type Registry,
  silentLogger,
  ThinkLiteError,
} from '@thinklite/base';
import type { Entry, HardState } from '@thinklite/raft';
import { fsyncDir } from '@thinklite/storage';

/**
 * The Raft logs of every range on a node, in one append-only write-ahead log (the shape of etcd's
 * WAL, made multi-Raft as TiKV's raft-engine is). A round of the replication host appends the new
 * entries and hard states of all its groups as records and makes them durable with ONE
 * fdatasync of one file: a few kilobytes written sequentially, where storing the same entries in
 * LMDB dirtied a B-tree page per range and synced twice.
 *
 * Files: `<dir>/<16 hex digits>.wal`, each starting with an 8-byte magic. Records:
 *   u32 payload length | u32 CRC-32 of the payload | payload
 *   payload = u8 type | u32 range id (high) | u32 range id (low) | u32 generation | body
 *     ENTRIES (1): u32 count, then per entry: u8 type | u32×2 term | u32×2 index | u32 length | data
 *                  Entries replace the range's log from their first index on (a new leader's
 *                  entries overwrite a conflicting suffix); a count of 0 with a higher generation
 *                  empties the log (a snapshot was installed).
 *     HARD_STATE (2): u32×2 term | u32×2 vote | u32×2 commit
 *     REMOVE (3): the range left this node; forget its log.
 *
 * A range's generation goes up each time a snapshot replaces its log. The generation is also kept
 * with the snapshot's metadata in the engine, so a crash between the engine's commit of a snapshot
 * and this log's record of it is detected on open: entries of an older generation are void.
 *
 * Recovery replays every file in order. A torn or corrupt record at the tail of the newest file is
 * where the last write stopped (a crash before its fsync): the file is cut there. Anywhere else it
 * is damage, and opening fails with STORE_CORRUPT naming file and offset.
 *
 * Files are deleted once every entry in them is below its range's truncated index (compacted into
 * a snapshot of the applied state), of an older generation, or of a removed range. Each new file
 * starts with every range's hard state and generation, so old files are never needed for those. Entries of an idle
 * range that would pin an old file are rewritten into the newest one.
 *
 * Reads: terms are kept in memory; entries come from a cache of recent appends, else one pread.
 */

const MAGIC = Buffer.from('TLRWAL01', 'latin1');
const RECORD_HEADER = 8;
const PAYLOAD_HEADER = 13;
const ENTRY_HEADER = 21;
const T_ENTRIES = 1;
const T_HARD_STATE = 2;
const T_REMOVE = 3;
/** Refuse a record claiming more than this: a length that large is damage, not data. */
const RECORD_MAX = 1 << 30;

export interface RaftWalOptions {
  readonly dir: string;
  /** Start a new file once the current one holds this many bytes. Default 64 MiB. */
  readonly segmentBytes?: number;
  /** Decoded recent entries kept in memory, in bytes of entry data. Default 64 MiB. */
  readonly cacheBytes?: number;
  /** Keep at most this many files before rewriting idle ranges' entries forward. Default 8. */
  readonly segmentsMax?: number;
  readonly logger?: Logger;
  readonly registry?: Registry;
}

interface RangeLog {
  gen: number;
  /** Index of terms[0]; meaningless while terms is empty. */
  first: number;
  terms: number[];
  segs: number[];
  offs: number[];
  lens: number[];
  cache: (Entry | undefined)[];
  hard: HardState | undefined;
  /** Entries at or below this index may be forgotten (the range's log is compacted to it). */
  truncated: number;
}

interface Segment {
  readonly seq: number;
  readonly file: string;
  readonly fd: number;
  size: number;
}

type Staged =
  | {
      readonly type: typeof T_ENTRIES;
      readonly rangeId: number;
      readonly gen: number;
      readonly entries: readonly Entry[];
    }
  | { readonly type: typeof T_HARD_STATE; readonly rangeId: number; readonly gen: number; readonly hs: HardState }
  | { readonly type: typeof T_REMOVE; readonly rangeId: number };

function writeU64(b: Buffer, v: number, at: number): void {
  b.writeUInt32BE(Math.floor(v / 0x1_0000_0000), at);
  b.writeUInt32BE(v >>> 0, at + 4);
}

function readU64(b: Buffer, at: number): number {
  return b.readUInt32BE(at) * 0x1_0000_0000 + b.readUInt32BE(at + 4);
}

function encodeRecord(s: Staged): { buf: Buffer; entryOffs: number[] } {
  const entryOffs: number[] = [];
  let bodyLen = 0;
  if (s.type === T_ENTRIES) {
    bodyLen = 4;
    for (const e of s.entries) bodyLen += ENTRY_HEADER + e.data.length;
  } else if (s.type === T_HARD_STATE) bodyLen = 24;
  const payloadLen = PAYLOAD_HEADER + bodyLen;
  const buf = Buffer.allocUnsafe(RECORD_HEADER + payloadLen);
  let at = RECORD_HEADER;
  buf.writeUInt32BE(payloadLen, 0);
  buf[at] = s.type;
  writeU64(buf, s.rangeId, at + 1);
  buf.writeUInt32BE(s.type === T_REMOVE ? 0 : s.gen, at + 9);
  at += PAYLOAD_HEADER;
  if (s.type === T_ENTRIES) {
    buf.writeUInt32BE(s.entries.length, at);
    at += 4;
    for (const e of s.entries) {
      entryOffs.push(at);
      buf[at] = e.type === 'conf-change' ? 1 : 0;
      writeU64(buf, e.term, at + 1);
      writeU64(buf, e.index, at + 9);
      buf.writeUInt32BE(e.data.length, at + 17);
      buf.set(e.data, at + ENTRY_HEADER);
      at += ENTRY_HEADER + e.data.length;
    }
  } else if (s.type === T_HARD_STATE) {
    writeU64(buf, s.hs.term, at);
    writeU64(buf, s.hs.vote, at + 8);
    writeU64(buf, s.hs.commit, at + 16);
  }
  buf.writeUInt32BE(zlib.crc32(buf.subarray(RECORD_HEADER)), 4);
  return { buf, entryOffs };
}

function decodeEntryAt(b: Buffer, at: number): Entry {
  const len = b.readUInt32BE(at + 17);
  return {
    type: b[at] === 1 ? 'conf-change' : 'normal',
    term: readU64(b, at + 1),
    index: readU64(b, at + 9),
    // A copy: the entry outlives the read buffer, which may be large.
    data: Uint8Array.prototype.slice.call(b, at + ENTRY_HEADER, at + ENTRY_HEADER + len),
  };
}

const segmentName = (seq: number) => `${seq.toString(16).padStart(16, '0')}.wal`;

export class RaftWal {
  readonly dir: string;
  private readonly ranges = new Map<number, RangeLog>();
  private readonly segments = new Map<number, Segment>();
  private active!: Segment;
  private staged: Staged[] = [];
  private flushing: Promise<void> = Promise.resolve();
  /** The write that waits for the one in progress: later flushes join it (group commit). */
  private next: { staged: Staged[]; sync: boolean; done: Promise<void> } | undefined;
  private closed = false;
  private readonly segmentBytes: number;
  private readonly segmentsMax: number;
  private readonly cacheBytes: number;
  private cached = 0;
  /** Cached entries in insertion order, for eviction: [range log, entry]. */
  private readonly cacheQueue: [RangeLog, Entry][] = [];
  private cacheHead = 0;
  private readonly log: Logger;
  private readonly metrics: { syncSeconds: Histogram; bytes: Counter; rewritten: Counter };

  private constructor(options: RaftWalOptions) {
    this.dir = path.resolve(options.dir);
    this.segmentBytes = options.segmentBytes ?? 64 * 1024 * 1024;
    this.segmentsMax = Math.max(2, options.segmentsMax ?? 8);
    this.cacheBytes = options.cacheBytes ?? 64 * 1024 * 1024;
    this.log = (options.logger ?? silentLogger()).child({ component: 'raft-wal' });
    const registers = [options.registry ?? createRegistry()];
    this.metrics = {
      syncSeconds: new Histogram({
        name: 'thinklite_raft_wal_write_seconds',
        help: 'Latency of one Raft log write (all groups of a round), from write to fdatasync done',
        labelNames: ['sync'],
        buckets: LATENCY_BUCKETS_SECONDS,
        registers,
      }),
      bytes: new Counter({ name: 'thinklite_raft_wal_bytes_total', help: 'Bytes appended to the Raft log', registers }),
      rewritten: new Counter({
        name: 'thinklite_raft_wal_rewritten_entries_total',
        help: 'Entries of idle ranges rewritten forward so that an old Raft log file could be deleted',
        registers,
      }),
    };
    const segments = this.segments;
    new Gauge({
      name: 'thinklite_raft_wal_files',
      help: 'Raft log files on this node',
      registers,
      collect() {
        this.set(segments.size);
      },
    });
  }

  /** Opens (creating if missing) the log in `options.dir`, replaying every file. */
  static open(options: RaftWalOptions): RaftWal {
    const wal = new RaftWal(options);
    wal.recover();
    return wal;
  }

  private recover(): void {
    fs.mkdirSync(this.dir, { recursive: true });
    const seqs = fs
      .readdirSync(this.dir)
      .filter((f) => /^[0-9a-f]{16}\.wal$/.test(f))
      .map((f) => Number.parseInt(f.slice(0, 16), 16))
      .sort((a, b) => a - b);
    for (const [i, seq] of seqs.entries()) this.replay(seq, i === seqs.length - 1);
    const lastSeq = seqs.length > 0 ? (seqs[seqs.length - 1] as number) : 0;
    const last = this.segments.get(lastSeq);
    if (last) this.active = last;
    else this.startSegment(lastSeq + 1);
  }

  private replay(seq: number, newest: boolean): void {
    const file = path.join(this.dir, segmentName(seq));
    const data = fs.readFileSync(file);
    if (data.length < MAGIC.length && newest) {
      // Created, but its header never reached the disk: nothing in it was acknowledged.
      fs.rmSync(file);
      return;
    }
    if (!data.subarray(0, MAGIC.length).equals(MAGIC))
      throw new ThinkLiteError('STORE_CORRUPT', `${file} is not a ThinkLite Raft log file`, { path: file });
    const fd = fs.openSync(file, 'r+');
    const seg: Segment = { seq, file, fd, size: data.length };
    this.segments.set(seq, seg);
    let at = MAGIC.length;
    while (at < data.length) {
      const bad = this.badRecordAt(data, at);
      if (bad) {
        if (!newest)
          throw new ThinkLiteError('STORE_CORRUPT', `${file} is damaged at offset ${at}: ${bad}`, {
            path: file,
            offset: at,
          });
        this.log.warn(
          { file, offset: at, reason: bad, droppedBytes: data.length - at },
          'Raft log cut at a torn write',
        );
        fs.ftruncateSync(fd, at);
        fs.fsyncSync(fd);
        seg.size = at;
        break;
      }
      const payloadLen = data.readUInt32BE(at);
      this.applyRecord(seg, data, at + RECORD_HEADER, undefined);
      at += RECORD_HEADER + payloadLen;
    }
  }

  /** Why the record at `at` cannot be read, or undefined when it is whole. */
  private badRecordAt(data: Buffer, at: number): string | undefined {
    if (data.length - at < RECORD_HEADER) return 'a record header cut short';
    const len = data.readUInt32BE(at);
    if (len < PAYLOAD_HEADER || len > RECORD_MAX) return `an impossible record length ${len}`;
    if (at + RECORD_HEADER + len > data.length) return 'a record cut short';
    const payload = data.subarray(at + RECORD_HEADER, at + RECORD_HEADER + len);
    if (zlib.crc32(payload) !== data.readUInt32BE(at + 4)) return 'a checksum mismatch';
    const type = payload[0];
    if (type !== T_ENTRIES && type !== T_HARD_STATE && type !== T_REMOVE) return `an unknown record type ${type}`;
    return undefined;
  }

  private rangeLog(rangeId: number): RangeLog {
    let r = this.ranges.get(rangeId);
    if (!r) {
      r = { gen: 0, first: 0, terms: [], segs: [], offs: [], lens: [], cache: [], hard: undefined, truncated: 0 };
      this.ranges.set(rangeId, r);
    }
    return r;
  }

  /**
   * Applies one record (at `payloadAt` in `data`, which is the file's bytes from `dataOffset`) to
   * the in-memory index. `fresh` holds the decoded entries when the record was just written here.
   */
  private applyRecord(
    seg: Segment,
    data: Buffer,
    payloadAt: number,
    fresh: readonly Entry[] | undefined,
    dataOffset = 0,
  ): void {
    const type = data[payloadAt];
    const rangeId = readU64(data, payloadAt + 1);
    if (type === T_REMOVE) {
      this.ranges.delete(rangeId);
      return;
    }
    const gen = data.readUInt32BE(payloadAt + 9);
    const r = this.rangeLog(rangeId);
    if (gen < r.gen) return; // void: a snapshot replaced this log since
    if (gen > r.gen) {
      r.gen = gen;
      this.truncateFrom(r, 0);
    }
    const body = payloadAt + PAYLOAD_HEADER;
    if (type === T_HARD_STATE) {
      r.hard = { term: readU64(data, body), vote: readU64(data, body + 8), commit: readU64(data, body + 16) };
      return;
    }
    const count = data.readUInt32BE(body);
    if (count === 0) return;
    let at = body + 4;
    for (let i = 0; i < count; i++) {
      const term = readU64(data, at + 1);
      const index = readU64(data, at + 9);
      const len = data.readUInt32BE(at + 17);
      if (i === 0) {
        if (r.terms.length === 0 || index < r.first || index > r.first + r.terms.length) {
          // An empty log, one replaced from before its start, or a gap (the files holding the
          // entries in between were deleted: everything before the gap was compacted away).
          this.truncateFrom(r, 0);
          r.first = index;
        } else this.truncateFrom(r, index - r.first);
      }
      r.terms.push(term);
      r.segs.push(seg.seq);
      r.offs.push(dataOffset + at);
      r.lens.push(ENTRY_HEADER + len);
      const e = fresh?.[i];
      r.cache.push(e);
      if (e) this.remember(r, e);
      at += ENTRY_HEADER + len;
    }
  }

  /** Drops the entries of `r` from position `pos` on. */
  private truncateFrom(r: RangeLog, pos: number): void {
    if (pos >= r.terms.length) return;
    r.terms.length = pos;
    r.segs.length = pos;
    r.offs.length = pos;
    r.lens.length = pos;
    r.cache.length = pos;
  }

  private remember(r: RangeLog, e: Entry): void {
    this.cacheQueue.push([r, e]);
    this.cached += e.data.length + 64;
    while (this.cached > this.cacheBytes && this.cacheHead < this.cacheQueue.length) {
      const [or, oe] = this.cacheQueue[this.cacheHead++] as [RangeLog, Entry];
      this.cached -= oe.data.length + 64;
      const pos = oe.index - or.first;
      if (or.cache[pos] === oe) or.cache[pos] = undefined;
    }
    if (this.cacheHead > 4096 && this.cacheHead * 2 > this.cacheQueue.length) {
      this.cacheQueue.splice(0, this.cacheHead);
      this.cacheHead = 0;
    }
  }

  private startSegment(seq: number): void {
    const file = path.join(this.dir, segmentName(seq));
    const fd = fs.openSync(file, 'wx+');
    fs.writeSync(fd, MAGIC, 0, MAGIC.length, 0);
    fs.fdatasyncSync(fd);
    fsyncDir(this.dir);
    const seg: Segment = { seq, file, fd, size: MAGIC.length };
    this.segments.set(seq, seg);
    this.active = seg;
  }

  // ---- reads -------------------------------------------------------------------------------

  /** The generation of a range's log (0 for a range this log has never seen). */
  generation(rangeId: number): number {
    return this.ranges.get(rangeId)?.gen ?? 0;
  }

  hardState(rangeId: number): HardState | undefined {
    return this.ranges.get(rangeId)?.hard;
  }

  /** The first and last index held for a range, or undefined when it holds none. */
  span(rangeId: number): { first: number; last: number } | undefined {
    const r = this.ranges.get(rangeId);
    if (!r || r.terms.length === 0) return undefined;
    return { first: r.first, last: r.first + r.terms.length - 1 };
  }

  /** The term of entry `index`; undefined when this log does not hold it. */
  term(rangeId: number, index: number): number | undefined {
    const r = this.ranges.get(rangeId);
    if (!r) return undefined;
    return r.terms[index - r.first];
  }

  /** Entries [lo, hi) of a range, all of which this log must hold. */
  entries(rangeId: number, lo: number, hi: number): Entry[] {
    const r = this.ranges.get(rangeId);
    const out: Entry[] = [];
    if (!r) return out;
    for (let i = lo; i < hi; i++) {
      const pos = i - r.first;
      const cached = r.cache[pos];
      if (cached) {
        out.push(cached);
        continue;
      }
      const seg = this.segments.get(r.segs[pos] as number);
      if (!seg || pos < 0 || pos >= r.terms.length) break;
      const len = r.lens[pos] as number;
      const b = Buffer.allocUnsafe(len);
      fs.readSync(seg.fd, b, 0, len, r.offs[pos] as number);
      out.push(decodeEntryAt(b, 0));
    }
    return out;
  }

  // ---- writes ------------------------------------------------------------------------------

  /** Stages entries (replacing the range's log from their first index on) for the next flush. */
  stageEntries(rangeId: number, gen: number, entries: readonly Entry[]): void {
    this.staged.push({ type: T_ENTRIES, rangeId, gen, entries });
  }

  /** Stages an empty log of generation `gen`: the range's log was replaced by a snapshot. */
  stageReset(rangeId: number, gen: number): void {
    this.staged.push({ type: T_ENTRIES, rangeId, gen, entries: [] });
  }

  stageHardState(rangeId: number, gen: number, hs: HardState): void {
    this.staged.push({ type: T_HARD_STATE, rangeId, gen, hs });
  }

  stageRemove(rangeId: number): void {
    this.staged.push({ type: T_REMOVE, rangeId });
  }

  /** Whether anything is staged. */
  get pending(): boolean {
    return this.staged.length > 0;
  }

  /**
   * Entries at or below `index` of a range are no longer needed (compacted into a snapshot that is
   * durable in the engine): forget them, and delete files that hold nothing else.
   */
  setTruncated(rangeId: number, index: number): void {
    const r = this.ranges.get(rangeId);
    if (!r || index <= r.truncated) return;
    r.truncated = index;
    const drop = Math.min(r.terms.length, index - r.first + 1);
    if (r.terms.length > 0 && drop > 0) {
      r.terms.splice(0, drop);
      r.segs.splice(0, drop);
      r.offs.splice(0, drop);
      r.lens.splice(0, drop);
      r.cache.splice(0, drop);
      r.first += drop;
    }
  }

  /**
   * Writes what is staged as one append to the current file, and with `sync` waits for
   * fdatasync. The index (and so reads) sees the new records once the promise resolves. Writes
   * run one at a time, in call order; flushes made while one is in progress share the next write
   * and its fdatasync (group commit: a driver that pipelines its rounds issues one flush per round,
   * and the disk's latency, not the rounds, sets how many fdatasyncs there are).
   */
  flush(sync: boolean): Promise<void> {
    let next = this.next;
    if (!next) {
      const n: { staged: Staged[]; sync: boolean; done: Promise<void> } = {
        staged: [],
        sync: false,
        done: Promise.resolve(),
      };
      n.done = this.flushing.then(() => {
        this.next = undefined; // flushes from now on wait for a later write
        return this.write(n.staged, n.sync);
      });
      this.flushing = n.done.catch(() => {});
      this.next = next = n;
    }
    for (const s of this.staged) next.staged.push(s);
    this.staged = [];
    if (sync) next.sync = true;
    return next.done;
  }

  private async write(staged: Staged[], sync: boolean): Promise<void> {
    if (this.closed) throw new ThinkLiteError('STORE_CLOSED', `the Raft log in ${this.dir} is closed`);
    if (staged.length === 0 && !sync) return;
    if (this.active.size >= this.segmentBytes) await this.rotate();
    const seg = this.active;
    const encoded = staged.map(encodeRecord);
    const total = encoded.reduce((n, e) => n + e.buf.length, 0);
    const buf =
      encoded.length === 1
        ? (encoded[0] as { buf: Buffer }).buf
        : Buffer.concat(
            encoded.map((e) => e.buf),
            total,
          );
    const startedAt = performance.now();
    const base = seg.size;
    if (total > 0) writeAllSync(seg.fd, buf, base);
    if (sync) await new Promise<void>((resolve, reject) => fs.fdatasync(seg.fd, (e) => (e ? reject(e) : resolve())));
    seg.size = base + total;
    this.metrics.syncSeconds.observe({ sync: String(sync) }, (performance.now() - startedAt) / 1000);
    this.metrics.bytes.inc(total);
    let at = 0;
    for (const [i, s] of staged.entries()) {
      this.applyRecord(seg, buf, at + RECORD_HEADER, s.type === T_ENTRIES ? s.entries : undefined, base);
      at += (encoded[i] as { buf: Buffer }).buf.length;
    }
  }

  /**
   * Starts a new file, written first with every range's hard state, and deletes the old files
   * nothing needs. When too many files remain, the entries pinning the oldest one are rewritten
   * into the new file, so it can go the next time.
   */
  private async rotate(): Promise<void> {
    await new Promise<void>((resolve, reject) => fs.fdatasync(this.active.fd, (e) => (e ? reject(e) : resolve())));
    this.startSegment(this.active.seq + 1);
    const carry: Staged[] = [];
    for (const [rangeId, r] of this.ranges) {
      if (r.hard) carry.push({ type: T_HARD_STATE, rangeId, gen: r.gen, hs: r.hard });
      else if (r.gen > 0) carry.push({ type: T_ENTRIES, rangeId, gen: r.gen, entries: [] });
    }
    if (this.segments.size > this.segmentsMax) {
      const oldest = Math.min(...this.segments.keys());
      for (const [rangeId, r] of this.ranges) {
        if (!r.segs.includes(oldest)) continue;
        const entries = this.entries(rangeId, r.first, r.first + r.terms.length);
        carry.push({ type: T_ENTRIES, rangeId, gen: r.gen, entries });
        this.metrics.rewritten.inc(entries.length);
      }
    }
    if (carry.length > 0) await this.write(carry, true);
    this.purge();
  }

  /** Deletes the files (other than the current one) that hold no entry of any range's live log. */
  private purge(): void {
    const live = this.liveSegments();
    for (const seg of [...this.segments.values()]) {
      if (seg === this.active || live.has(seg.seq)) continue;
      fs.closeSync(seg.fd);
      fs.rmSync(seg.file);
      this.segments.delete(seg.seq);
      this.log.debug({ file: seg.file }, 'Raft log file deleted');
    }
    fsyncDir(this.dir);
  }

  /** The files holding entries of some range's live log (above its truncated index, current generation). */
  private liveSegments(): Set<number> {
    const live = new Set<number>();
    for (const r of this.ranges.values()) for (const seq of r.segs) live.add(seq);
    return live;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.flushing;
    this.closed = true;
    for (const seg of this.segments.values()) fs.closeSync(seg.fd);
  }
}

function writeAllSync(fd: number, buf: Buffer, position: number): void {
  let done = 0;
  while (done < buf.length) done += fs.writeSync(fd, buf, done, buf.length - done, position + done);
}
