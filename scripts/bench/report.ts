import * as os from 'node:os';

/** One measured figure, ThinkLite beside its reference. */
export interface BenchResult {
  readonly name: string;
  readonly unit: 'ops/s' | 'ms';
  readonly thinklite: number;
  readonly reference?: string;
  readonly referenceValue?: number;
}

/** Throughput ratios are ThinkLite ÷ reference, latency ratios reference ÷ ThinkLite: higher is better. */
export function ratioOf(r: BenchResult): number | undefined {
  if (r.referenceValue === undefined || r.referenceValue === 0 || r.thinklite === 0) return undefined;
  const x = r.unit === 'ops/s' ? r.thinklite / r.referenceValue : r.referenceValue / r.thinklite;
  return Math.round(x * 100) / 100;
}

export function progress(message: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

const fmt = (n: number) => (n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(2));

/** What a benchmark adds to the standard report: lines printed under the table, fields in the JSON. */
export interface ReportExtras {
  /** Printed after the table (goals, failure counts …), before the JSON line. */
  readonly notes?: readonly string[];
  /** Merged into the JSON object after `results`. */
  readonly json?: Readonly<Record<string, unknown>>;
}

/** Prints the human table, then the machine-readable JSON line last. */
export function report(bench: string, results: BenchResult[], extras: ReportExtras = {}): void {
  const rows = results.map((r) => [
    r.name,
    r.unit,
    fmt(r.thinklite),
    r.reference ?? '',
    r.referenceValue === undefined ? '' : fmt(r.referenceValue),
    ratioOf(r)?.toFixed(2) ?? '',
  ]);
  const header = ['benchmark', 'unit', 'thinklite', 'reference', 'reference value', 'ratio'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i >= 2 ? c.padStart(widths[i] as number) : c.padEnd(widths[i] as number))).join('  ');
  console.log('');
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) console.log(line(r));
  console.log('');
  if (extras.notes?.length) {
    for (const n of extras.notes) console.log(n);
    console.log('');
  }
  const json = {
    bench,
    machine: { cores: os.cpus().length, node: process.version },
    results: results.map((r) => {
      const ratio = ratioOf(r);
      return {
        name: r.name,
        unit: r.unit,
        thinklite: Math.round(r.thinklite * 100) / 100,
        ...(r.reference
          ? { reference: r.reference, referenceValue: Math.round((r.referenceValue ?? 0) * 100) / 100 }
          : {}),
        ...(ratio === undefined ? {} : { ratio }),
      };
    }),
    ...extras.json,
  };
  console.log(JSON.stringify(json));
}

/** Runs `step` repeatedly for `seconds`, returning operations per second (step returns its op count). */
export async function measure(seconds: number, step: () => number | Promise<number>): Promise<number> {
  const deadline = performance.now() + seconds * 1000;
  const started = performance.now();
  let ops = 0;
  while (performance.now() < deadline) ops += await step();
  return ops / ((performance.now() - started) / 1000);
}

/**
 * Runs `clients` concurrent loops of `step` for `seconds` (like pgbench's clients): each loop issues
 * its next operation as soon as its previous one completes. Returns operations per second.
 */
export async function measureConcurrent(
  seconds: number,
  clients: number,
  step: () => Promise<number>,
): Promise<number> {
  const deadline = performance.now() + seconds * 1000;
  const started = performance.now();
  let ops = 0;
  const client = async () => {
    while (performance.now() < deadline) {
      // Not `ops += await step()`: that reads `ops` before the await and loses other clients' counts.
      const n = await step();
      ops += n;
    }
  };
  await Promise.all(Array.from({ length: clients }, client));
  return ops / ((performance.now() - started) / 1000);
}

/**
 * Paired rounds folded into one figure each: the round whose ratio is the median (the lower one
 * for an even count) and its two values, so `thinklite ÷ referenceValue` is that median ratio.
 * Each round measured both systems back to back, so a ratio within a round compares one machine;
 * medians of each system taken apart would pair a fast minute of one with a slow one of the other.
 */
export function pairedMedian(
  unit: BenchResult['unit'],
  thinklite: readonly number[],
  reference: readonly number[],
): { thinklite: number; referenceValue: number } {
  const ratio = (i: number) => {
    const t = thinklite[i] as number;
    const r = reference[i] as number;
    return unit === 'ops/s' ? t / r : r / t;
  };
  const rounds = thinklite.map((_, i) => i).filter((i) => (thinklite[i] ?? 0) > 0 && (reference[i] ?? 0) > 0);
  rounds.sort((a, b) => ratio(a) - ratio(b));
  const i = rounds[Math.floor((rounds.length - 1) / 2)] ?? 0;
  return { thinklite: thinklite[i] ?? 0, referenceValue: reference[i] ?? 0 };
}

/** An option's value: `--name N`, an integer of at least `min` (default 1). */
export function intOption(args: readonly string[], name: string, fallback: number, min = 1): number {
  const i = args.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const v = Number(args[i + 1]);
  if (!Number.isInteger(v) || v < min)
    throw new Error(`--${name} wants an integer of at least ${min}, got ${args[i + 1]}`);
  return v;
}

export function parseSeconds(args: string[], fallback: number): number {
  const i = args.indexOf('--seconds');
  const v = i >= 0 ? Number(args[i + 1]) : fallback;
  if (!Number.isFinite(v) || v <= 0) throw new Error(`--seconds wants a positive number, got ${args[i + 1]}`);
  return v;
}
