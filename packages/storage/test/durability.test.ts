import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

/**
 * "Acknowledged only once on disk", checked at the system-call level: the writer runs under
 * strace, and for every acknowledgement the test finds the page writes of that commit and requires
 * a completed fdatasync/fsync between them and the acknowledgement. SIGKILL tests cannot see this
 * (a killed process's writes survive in the page cache); a power cut would.
 */
const tmpDirs: string[] = [];
afterEach(() => {
  for (const d of tmpDirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

interface Syscall {
  readonly name: string;
  readonly args: string;
  readonly result: string;
}

/** Completed system calls in completion order, joining strace's "<unfinished ...>" and "resumed" halves. */
function completedCalls(trace: string[]): Syscall[] {
  const pending = new Map<string, { name: string; args: string }>();
  const out: Syscall[] = [];
  for (const line of trace) {
    const unfinished = /^(\d+)\s+(\w+)\((.*) <unfinished \.\.\.>$/.exec(line);
    if (unfinished) {
      pending.set(unfinished[1] as string, { name: unfinished[2] as string, args: unfinished[3] as string });
      continue;
    }
    const resumed = /^(\d+)\s+<\.\.\. (\w+) resumed>(.*)\)\s+= (.*)$/.exec(line);
    if (resumed) {
      const start = pending.get(resumed[1] as string);
      pending.delete(resumed[1] as string);
      out.push({
        name: resumed[2] as string,
        args: (start?.args ?? '') + (resumed[3] as string),
        result: resumed[4] as string,
      });
      continue;
    }
    const whole = /^(\d+)\s+(\w+)\((.*)\)\s+= (.*)$/.exec(line);
    if (whole) out.push({ name: whole[2] as string, args: whole[3] as string, result: whole[4] as string });
  }
  return out;
}

/**
 * For each acknowledgement: was everything its commit wrote to the data file on disk? A write
 * through an ordinary descriptor of data.mdb makes it dirty until a completed fsync/fdatasync of
 * it; a write through a descriptor opened O_DSYNC or O_SYNC (LMDB's meta page) is durable when it
 * returns.
 */
function ackedAfterSync(trace: string[]): { ack: number; synced: boolean }[] {
  const dataFds = new Set<string>(); // descriptors of a data file, opened without O_DSYNC/O_SYNC
  const syncFds = new Set<string>(); // descriptors of a data file whose writes are synchronous
  const out: { ack: number; synced: boolean }[] = [];
  let dirty = false;
  let wroteSinceAck = false;
  for (const c of completedCalls(trace)) {
    const fd = c.args.split(',')[0]?.trim() ?? '';
    if (c.name === 'openat' && /^\d+/.test(c.result)) {
      const opened = c.result.split(' ')[0] as string;
      dataFds.delete(opened);
      syncFds.delete(opened);
      if (/data\.mdb"/.test(c.args)) (/O_DSYNC|O_SYNC/.test(c.args) ? syncFds : dataFds).add(opened);
    } else if (c.name === 'write' && fd === '1') {
      const m = /"ack (\d+)\\n"/.exec(c.args);
      if (m) {
        out.push({ ack: Number(m[1]), synced: wroteSinceAck && !dirty });
        wroteSinceAck = false;
      }
    } else if (/^(pwrite64|pwritev2?|writev|write)$/.test(c.name) && !c.result.startsWith('-1')) {
      if (dataFds.has(fd)) {
        wroteSinceAck = true;
        dirty = true;
      } else if (syncFds.has(fd)) {
        wroteSinceAck = true;
      }
    } else if (/^(fsync|fdatasync)$/.test(c.name) && dataFds.has(fd) && c.result.startsWith('0')) {
      dirty = false;
    }
  }
  return out;
}

function traced(mode: 'thinklite' | 'raw-nosync', count: number): string[] {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tl-durable-'));
  tmpDirs.push(dir);
  const log = path.join(dir, 'strace.log');
  const child = path.join(import.meta.dirname, 'children', 'durable-writer.ts');
  try {
    execFileSync(
      'strace',
      [
        '-f',
        '-qq',
        '-o',
        log,
        '-e',
        'trace=openat,write,pwrite64,pwritev,pwritev2,writev,fsync,fdatasync,msync',
        '--',
        process.execPath,
        '--conditions=source',
        '--import',
        'tsx',
        child,
        path.join(dir, 'store'),
        mode,
        String(count),
      ],
      { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, THINKLITE_LOG_LEVEL: 'silent' } },
    );
  } catch (e) {
    throw new Error(`strace run failed (is strace installed? .ci/run installs it): ${(e as Error).message}`);
  }
  return fs.readFileSync(log, 'utf8').split('\n');
}

describe('durability at the system-call level (strace)', () => {
  it('acknowledges each commit only after an fsync that follows its page writes', () => {
    const acks = ackedAfterSync(traced('thinklite', 25));
    expect(acks.map((a) => a.ack)).toEqual(Array.from({ length: 25 }, (_, i) => i));
    expect(acks.filter((a) => !a.synced)).toEqual([]);
  });

  it('flags a store that acknowledges without syncing (negative control: lmdb with noSync)', () => {
    const acks = ackedAfterSync(traced('raw-nosync', 25));
    expect(acks.length).toBe(25);
    expect(acks.filter((a) => a.synced)).toEqual([]);
  });
});
