import * as fs from 'node:fs';

/** Seconds of CPU from one /proc/PID/stat: utime + stime, and with `children` the waited-for children's too. */
function statCpu(pid: number | string, children: boolean): { ppid: number; seconds: number } | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces): state is field 3, ppid 4, utime 14,
    // stime 15, cutime 16, cstime 17 (proc(5)); USER_HZ is 100 on Linux.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(f[11]) + Number(f[12]) + (children ? Number(f[13]) + Number(f[14]) : 0);
    return { ppid: Number(f[1]), seconds: ticks / 100 };
  } catch {
    return undefined;
  }
}

/** CPU seconds a process has used (all its threads); 0 once it is gone. */
export function processCpuSeconds(pid: number | undefined): number {
  return pid === undefined ? 0 : (statCpu(pid, false)?.seconds ?? 0);
}

/**
 * CPU seconds used by a process and every process under it: the live ones, and those that
 * exited and were waited for (PostgreSQL's backends, one per connection, end with their clients).
 * A delta of two readings is what the tree spent in between.
 */
export function processTreeCpuSeconds(root: number | undefined): number {
  if (root === undefined) return 0;
  const parent = new Map<number, number>();
  const own = new Map<number, number>();
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const s = statCpu(name, true);
    if (!s) continue;
    parent.set(Number(name), s.ppid);
    own.set(Number(name), s.seconds);
  }
  const inTree = (pid: number): boolean => {
    for (let p: number | undefined = pid, hops = 0; p !== undefined && p > 1 && hops < 64; hops++) {
      if (p === root) return true;
      p = parent.get(p);
    }
    return false;
  };
  let total = 0;
  for (const [pid, seconds] of own) if (inTree(pid)) total += seconds;
  return total;
}

/** CPU seconds of this process's children that exited and were waited for (pgbench runs). */
export function waitedChildrenCpuSeconds(): number {
  const s = statCpu('self', true);
  const mine = statCpu('self', false);
  return s && mine ? s.seconds - mine.seconds : 0;
}
