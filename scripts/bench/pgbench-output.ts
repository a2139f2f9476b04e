// pgbench's report, parsed; apart from pgbench.ts so its test loads nothing else.

/** The figures of one pgbench run, from its report on stdout. */
export interface PgbenchRun {
  /** tps, without initial connection time. */
  readonly tps: number;
  readonly latencyMs: number;
  /** Transactions actually processed (committed). */
  readonly processed: number;
  /** Transactions that failed after all their tries. */
  readonly failed: number;
  /** Transactions that succeeded or failed after at least one retry. */
  readonly retried: number;
  /** All retries together. */
  readonly retries: number;
}

/** Parses pgbench 15's report (stdout of a benchmark run, not of -i). Throws when a figure is missing. */
export function parsePgbenchOutput(stdout: string): PgbenchRun {
  const num = (re: RegExp, what: string, fallback?: number): number => {
    const m = re.exec(stdout);
    if (m) return Number(m[1]);
    if (fallback !== undefined) return fallback;
    throw new Error(`pgbench output has no ${what}:\n${stdout}`);
  };
  return {
    tps: num(/^tps = ([\d.]+) \(without initial connection time\)$/m, 'tps'),
    latencyMs: num(/^latency average = ([\d.]+) ms$/m, 'latency average'),
    processed: num(/^number of transactions actually processed: (\d+)/m, 'transactions processed'),
    failed: num(/^number of failed transactions: (\d+)/m, 'failed transactions'),
    // Printed only when retries are enabled (--max-tries ≠ 1).
    retried: num(/^number of transactions retried: (\d+)/m, 'transactions retried', 0),
    retries: num(/^total number of retries: (\d+)/m, 'total retries', 0),
  };
}
