import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

/**
 * "A proposal is acknowledged only once its entry is on disk", checked at the system-call level:
 * a single-voter group runs under strace, and for every acknowledgement the test finds the write
 * of the Raft log file that carried that value and requires a completed fdatasync of that file
 * between the write and the acknowledgement. (SIGKILL tests cannot see a missing sync: a killed
 * process's writes survive in the page cache; a power cut would lose them.)
 */
const tmpDirs: string[] = [];
afterEach(() => {
  for (const d of tmpDirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

interface Syscall {
  readonly pid: string;
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
        pid: resumed[1] as string,
        name: resumed[2] as string,
        args: (start?.args ?? '') + (resumed[3] as string),
        result: resumed[4] as string,
      });
      continue;
    }
    const whole = /^(\d+)\s+(\w+)\((.*)\)\s+= (.*)$/.exec(line);
    if (whole)
      out.push({
        pid: whole[1] as string,
        name: whole[2] as string,
        args: whole[3] as string,
        result: whole[4] as string,
      });
  }
  return out;
}

/** For each acknowledgement: was the log write carrying its value followed by an fdatasync before it? */
function ackedAfterSync(trace: string[]): { ack: number; written: boolean; synced: boolean }[] {
  const walFds = new Set<string>();
  /** Values written to a log file and not yet synced, by descriptor. */
  const unsynced = new Map<string, Set<number>>();
  const synced = new Set<number>();
  const written = new Set<number>();
  const out: { ack: number; written: boolean; synced: boolean }[] = [];
  for (const c of completedCalls(trace)) {
    const fd = c.args.split(',')[0]?.trim() ?? '';
    if (c.name === 'openat' && /^\d+/.test(c.result)) {
      const opened = c.result.split(' ')[0] as string;
      if (/\.wal"/.test(c.args)) walFds.add(opened);
      else walFds.delete(opened);
    } else if (c.name === 'write' && fd === '1') {
      const m = /"ack (\d+)\\n"/.exec(c.args);
      if (m) {
        const i = Number(m[1]);
        out.push({ ack: i, written: written.has(i), synced: synced.has(i) });
      }
    } else if (/^(pwrite64|pwritev2?|writev|write)$/.test(c.name) && walFds.has(fd) && !c.result.startsWith('-1')) {
      for (const m of c.args.matchAll(/durable-value-(\d+)-end/g)) {
        const i = Number(m[1]);
        written.add(i);
        const set = unsynced.get(fd) ?? new Set<number>();
        set.add(i);
        unsynced.set(fd, set);
      }
    } else if (/^(fsync|fdatasync)$/.test(c.name) && walFds.has(fd) && c.result.startsWith('0')) {
      for (const i of unsynced.get(fd) ?? []) synced.add(i);
      unsynced.delete(fd);
    }
  }
  return out;
}

function traced(mode: 'host' | 'wal-nosync', count: number): string[] {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tl-wal-durable-'));
  tmpDirs.push(dir);
  const log = path.join(dir, 'strace.log');
  const child = path.join(import.meta.dirname, 'children', 'wal-durable-writer.ts');
  try {
    execFileSync(
      'strace',
      [
        '-f',
        '-qq',
        '-s',
        '8192',
        '-o',
        log,
        '-e',
        'trace=openat,write,pwrite64,pwritev,pwritev2,writev,fsync,fdatasync',
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

describe('Raft log durability at the system-call level (strace)', () => {
  it('acknowledges each proposal only after an fdatasync of the log write that carried it', () => {
    const acks = ackedAfterSync(traced('host', 25));
    expect(acks.map((a) => a.ack)).toEqual(Array.from({ length: 25 }, (_, i) => i));
    expect(acks.filter((a) => !a.written || !a.synced)).toEqual([]);
  });

  it('flags a log that acknowledges without syncing (negative control)', () => {
    const acks = ackedAfterSync(traced('wal-nosync', 25));
    expect(acks.length).toBe(25);
    expect(acks.every((a) => a.written)).toBe(true);
    expect(acks.filter((a) => a.synced)).toEqual([]);
  });
});
