import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * The layers of ThinkLite, bottom to top, and what each may import. A package may import only the
 * packages listed for it; every import names a package's public entry (`@thinklite/x`), never a
 * path inside it. docs/architecture.md draws the same table.
 */
export const LAYERS: Record<string, readonly string[]> = {
  base: [],
  proto: [],
  storage: ['base'],
  raft: ['base', 'proto'],
  kv: ['base', 'proto', 'storage', 'raft'],
  sql: ['base', 'storage', 'kv'],
  server: ['base', 'proto', 'storage', 'raft', 'kv', 'sql'],
  operator: ['base', 'proto'],
  cli: ['base', 'proto', 'storage', 'kv', 'sql', 'server'],
  testkit: ['base', 'proto', 'storage', 'raft', 'kv', 'sql', 'server', 'operator'],
};

/**
 * Code that must stay pure and deterministic so simulation can drive it: no real time, no
 * ambient randomness, no timers. Time and randomness are injected (PhysicalClock, SeededRandom).
 */
export const PURE_PATHS = [
  'packages/base/src/hlc/clock.ts',
  'packages/base/src/hlc/timestamp.ts',
  'packages/base/src/random.ts',
  'packages/storage/src/encoding',
  'packages/storage/src/mvcc',
  'packages/raft/src',
];

const IMPURE_RE =
  /\b(Date\.now|new Date|Math\.random|performance\.now|setTimeout|setInterval|setImmediate|process\.hrtime)\b/;

/** The impure calls in a pure file's source (comments included: keep them out of those too). */
export function impureCalls(source: string): string[] {
  return source
    .split('\n')
    .filter((l) => !/^\s*(\/\/|\*)/.test(l) && IMPURE_RE.test(l))
    .map((l) => (IMPURE_RE.exec(l) as RegExpExecArray)[1] as string);
}

export interface Violation {
  readonly file: string;
  readonly specifier: string;
  readonly reason: string;
}

const IMPORT_RE = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

/** The import specifiers of a TypeScript source text. */
export function importsOf(source: string): string[] {
  const out: string[] = [];
  for (const m of source.matchAll(IMPORT_RE)) out.push((m[1] ?? m[2]) as string);
  return out;
}

/**
 * Checks one file of package `pkg` (its path relative to the package root) against the layer
 * table. Tests (files under test/) may also use the test harness, @thinklite/testkit.
 */
export function checkFile(pkg: string, relPath: string, source: string): Violation[] {
  const layer = LAYERS[pkg];
  const allowed = layer && relPath.startsWith('test/') && pkg !== 'testkit' ? [...layer, 'testkit'] : layer;
  const file = `packages/${pkg}/${relPath}`;
  if (!allowed) return [{ file, specifier: '', reason: `package ${pkg} is not in the layer table` }];
  const violations: Violation[] = [];
  for (const spec of importsOf(source)) {
    if (spec.startsWith('@thinklite/')) {
      const [, name, ...rest] = spec.split('/');
      if (rest.length > 0) violations.push({ file, specifier: spec, reason: 'imports a path inside another package' });
      else if (name === pkg) violations.push({ file, specifier: spec, reason: 'imports its own package by name' });
      else if (!allowed.includes(name as string)) {
        violations.push({
          file,
          specifier: spec,
          reason: `${pkg} may not import ${name} (allowed: ${allowed.join(', ') || 'none'})`,
        });
      }
    } else if (spec.startsWith('.')) {
      const resolved = path.posix.normalize(path.posix.join(path.posix.dirname(relPath), spec));
      if (resolved.startsWith('..'))
        violations.push({ file, specifier: spec, reason: 'relative import leaves its package' });
    }
  }
  return violations;
}

function walk(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const p = path.join(dir, d.name);
    if (d.isDirectory()) return d.name === 'generated' || d.name === 'node_modules' ? [] : walk(p);
    return d.name.endsWith('.ts') ? [p] : [];
  });
}

/** Every violation in the repository's packages. */
export function checkRepository(root: string): Violation[] {
  const pkgsDir = path.join(root, 'packages');
  const out: Violation[] = [];
  for (const pkg of fs.readdirSync(pkgsDir)) {
    const pkgRoot = path.join(pkgsDir, pkg);
    if (!fs.existsSync(path.join(pkgRoot, 'package.json'))) continue;
    const manifest = JSON.parse(fs.readFileSync(path.join(pkgRoot, 'package.json'), 'utf8')) as {
      dependencies?: Record<string, string>;
      devDependencies?: Record<string, string>;
    };
    for (const file of [...walk(path.join(pkgRoot, 'src')), ...walk(path.join(pkgRoot, 'test'))]) {
      const rel = path.relative(pkgRoot, file).split(path.sep).join('/');
      const source = fs.readFileSync(file, 'utf8');
      out.push(...checkFile(pkg, rel, source));
      const repoPath = `packages/${pkg}/${rel}`;
      if (!rel.endsWith('.test.ts') && PURE_PATHS.some((p) => repoPath === p || repoPath.startsWith(`${p}/`))) {
        for (const call of impureCalls(source)) {
          out.push({ file: repoPath, specifier: call, reason: 'pure code may not read time, randomness or timers' });
        }
      }
      // A package uses only the ThinkLite packages its manifest declares (tests included).
      for (const spec of importsOf(source)) {
        const declared =
          manifest.dependencies?.[spec] ?? (rel.startsWith('test/') ? manifest.devDependencies?.[spec] : undefined);
        if (spec.startsWith('@thinklite/') && spec.split('/').length === 2 && !declared) {
          out.push({
            file: `packages/${pkg}/${rel}`,
            specifier: spec,
            reason: 'not declared in package.json dependencies',
          });
        }
      }
    }
  }
  return out;
}
