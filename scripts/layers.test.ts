import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkFile, checkRepository, importsOf, impureCalls, LAYERS } from './layers.js';

describe('layering', () => {
  it('holds across the repository: imports point down the layers only', () => {
    const violations = checkRepository(path.resolve(import.meta.dirname, '..'));
    expect(violations.map((v) => `${v.file}: ${v.specifier}: ${v.reason}`)).toEqual([]);
  });

  it('catches an import that points up, one that points sideways, a deep import and an escaping path', () => {
    const src = [
      "import { Store } from '@thinklite/kv';",
      "import { x } from '@thinklite/operator';",
      "import { y } from '@thinklite/base/src/hlc/clock.js';",
      "export { z } from '../../sql/src/index.js';",
      "import { ok } from '@thinklite/base';",
      "import { fine } from './engine/engine.js';",
    ].join('\n');
    const v = checkFile('storage', 'src/index.ts', src);
    expect(v.map((x) => x.specifier)).toEqual([
      '@thinklite/kv',
      '@thinklite/operator',
      '@thinklite/base/src/hlc/clock.js',
      '../../sql/src/index.js',
    ]);
    expect(checkFile('sql', 'src/a.ts', "import { Raft } from '@thinklite/raft';")[0]?.reason).toMatch(
      /sql may not import raft/,
    );
  });

  it('finds real time, ambient randomness and timers in pure code, but not in comments', () => {
    const src = [
      'const t = Date.now();',
      '// Date.now is not called here',
      'x = Math.random() + performance.now();',
      'setTimeout(f, 1);',
    ].join('\n');
    expect(impureCalls(src)).toEqual(['Date.now', 'Math.random', 'setTimeout']);
  });

  it('parses static, re-export and dynamic imports', () => {
    expect(importsOf("import a from 'x';\nexport * from \"y\";\nconst m = await import('z');")).toEqual([
      'x',
      'y',
      'z',
    ]);
  });

  it('has a layer table that is acyclic', () => {
    const visiting = new Set<string>();
    const visit = (p: string, trail: string[]): void => {
      expect(visiting.has(p), `cycle ${[...trail, p].join(' -> ')}`).toBe(false);
      visiting.add(p);
      for (const d of LAYERS[p] ?? []) visit(d, [...trail, p]);
      visiting.delete(p);
    };
    for (const p of Object.keys(LAYERS)) visit(p, []);
  });
});
