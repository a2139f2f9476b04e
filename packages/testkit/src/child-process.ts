import { type ChildProcess, spawn } from 'node:child_process';
import * as path from 'node:path';

/**
 * Runs a TypeScript test child in its own Node process, with the workspace's "source" condition so
 * it runs against src/ like the tests do. Every child started is killed by PID when the test that
 * started it ends (killAllChildren in afterEach).
 */
export interface Child {
  readonly proc: ChildProcess;
  readonly pid: number;
  /** Every stdout line so far. */
  readonly lines: string[];
  stderr(): string;
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<string>;
  exited(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(signal?: NodeJS.Signals): void;
}

const live = new Set<ChildProcess>();

export function startChild(file: string, args: string[]): Child {
  const script = path.basename(file);
  const proc = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', file, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, THINKLITE_LOG_LEVEL: 'silent' },
  });
  live.add(proc);
  const lines: string[] = [];
  let partial = '';
  let err = '';
  const waiters: { pattern: RegExp; resolve: (l: string) => void }[] = [];
  proc.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    partial += chunk;
    const parts = partial.split('\n');
    partial = parts.pop() ?? '';
    for (const line of parts) {
      lines.push(line);
      for (const w of [...waiters]) {
        if (w.pattern.test(line)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(line);
        }
      }
    }
  });
  proc.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    err += chunk;
  });
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    proc.on('exit', (code, signal) => {
      live.delete(proc);
      resolve({ code, signal });
    });
  });
  return {
    proc,
    pid: proc.pid as number,
    lines,
    stderr: () => err,
    waitForLine(pattern, timeoutMs = 30_000) {
      const seen = lines.find((l) => pattern.test(l));
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () =>
            reject(new Error(`child ${script} printed no line matching ${pattern} in ${timeoutMs}ms; stderr: ${err}`)),
          timeoutMs,
        );
        waiters.push({
          pattern,
          resolve: (l) => {
            clearTimeout(timer);
            resolve(l);
          },
        });
        void exit.then(({ code, signal }) => {
          clearTimeout(timer);
          reject(new Error(`child ${script} exited (${code ?? signal}) before printing ${pattern}; stderr: ${err}`));
        });
      });
    },
    exited: () => exit,
    kill(signal = 'SIGKILL') {
      if (proc.exitCode === null && proc.signalCode === null) process.kill(proc.pid as number, signal);
    },
  };
}

/** Kills every child still running; call from afterEach. */
export async function killAllChildren(): Promise<void> {
  const waits: Promise<void>[] = [];
  for (const p of live) {
    waits.push(new Promise((resolve) => p.once('exit', () => resolve())));
    try {
      process.kill(p.pid as number, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  await Promise.all(waits);
}
