/**
 * Turns the .slt files under a directory into vitest test cases, one `it` per file. Import this
 * module only from test files: it imports vitest.
 *
 * THINKLITE_REWRITE=1 rewrites each file's expected results from the actual ones (then review the
 * diff like any other change); result mismatches then do not fail, other failures still do.
 */
import { readdirSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { describe, it } from 'vitest';
import { formatSummary, runSlt, type SltRunOptions, type SltTarget } from '../src/slt/runner.js';

/** The .slt files under `dir`, recursively, as sorted paths relative to it. */
export function findSltFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const e of readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const p = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(p);
      else if (e.isFile() && e.name.endsWith('.slt')) out.push(p);
    }
  };
  walk('');
  return out.sort();
}

/**
 * Defines a `describe` block with one test per .slt file under `dir`. `target` is called once per
 * file, so every file starts from a fresh database. A file passes when it has no failures.
 */
export function defineSltSuite(
  dir: string,
  target: () => Promise<SltTarget>,
  options: Omit<SltRunOptions, 'file' | 'rewrite'> & { rewrite?: boolean } = {},
): void {
  const files = findSltFiles(dir);
  const rewrite = options.rewrite ?? process.env.THINKLITE_REWRITE === '1';
  describe(`sqllogictest ${path.basename(dir)}`, () => {
    if (files.length === 0) {
      it('has .slt files', () => {
        throw new Error(`no .slt files under ${dir}`);
      });
    }
    for (const rel of files) {
      it(rel, async () => {
        const file = path.join(dir, rel);
        const text = await readFile(file, 'utf8');
        const summary = await runSlt(text, await target(), { ...options, file: rel, rewrite });
        if (rewrite && summary.output !== undefined && summary.output !== text) await writeFile(file, summary.output);
        if (summary.failed > 0) throw new Error(formatSummary(summary));
      });
    }
  });
}
