import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { processCpuSeconds, processTreeCpuSeconds, waitedChildrenCpuSeconds } from './proc-cpu.js';

describe('CPU accounting from /proc', () => {
  it('counts a child that burned CPU and exited into its parent tree, and into the waited-for children', () => {
    const tree0 = processTreeCpuSeconds(process.pid);
    const waited0 = waitedChildrenCpuSeconds();
    // A fixed amount of work (not a fixed time): about half a second of CPU on this machine.
    const r = spawnSync(process.execPath, [
      '-e',
      'let x = 0; for (let i = 0; i < 4e8; i++) x ^= i; process.exit(x & 0)',
    ]);
    expect(r.status).toBe(0);
    const waited = waitedChildrenCpuSeconds() - waited0;
    const tree = processTreeCpuSeconds(process.pid) - tree0;
    expect(waited).toBeGreaterThan(0.1);
    expect(tree).toBeGreaterThanOrEqual(waited);
    expect(processCpuSeconds(process.pid)).toBeGreaterThan(0);
    expect(processTreeCpuSeconds(2 ** 22 + 12345)).toBe(0); // no such process
  });
});
