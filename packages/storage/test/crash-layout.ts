/** The key layout shared by the crash test and its writer child. */
export const KEYS_PER_BATCH = 8;
export const PIPELINE_DEPTH = 4;
export const STATS_KEY = Buffer.from('crash-test/stats');

export function batchKey(run: number, batch: number, k: number): Buffer {
  return Buffer.from(`r${String(run).padStart(3, '0')}/b${String(batch).padStart(7, '0')}/k${k}`);
}

export function parseBatchKey(key: Buffer): { run: number; batch: number; k: number } | undefined {
  const m = /^r(\d{3})\/b(\d{7})\/k(\d+)$/.exec(key.toString());
  return m ? { run: Number(m[1]), batch: Number(m[2]), k: Number(m[3]) } : undefined;
}
