// Generates static protobufjs code (and TypeScript declarations) for every .proto file in proto/
// into packages/proto/src/generated. A .proto that does not compile fails this script, and with it
// `npm run build` and `npm test`.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const protoDir = path.join(root, 'proto');
const outDir = path.join(root, 'packages/proto/src/generated');
const files = fs
  .readdirSync(protoDir)
  .filter((f) => f.endsWith('.proto'))
  .sort()
  .map((f) => path.join(protoDir, f));
fs.mkdirSync(outDir, { recursive: true });
const bin = (name) => path.join(root, 'node_modules/.bin', name);
const js = path.join(outDir, 'thinklite.js');
execFileSync(bin('pbjs'), ['-t', 'static-module', '-w', 'es6', '--force-number', '-p', protoDir, '-o', js, ...files], {
  stdio: 'inherit',
});
// protobufjs/minimal has no extension-less ESM entry under Node's resolver.
fs.writeFileSync(js, fs.readFileSync(js, 'utf8').replace('"protobufjs/minimal"', '"protobufjs/minimal.js"'));
execFileSync(bin('pbts'), ['-o', path.join(outDir, 'thinklite.d.ts'), js], { stdio: 'inherit' });
// The build (tsc -b) emits dist/index.js, which imports the generated code from dist/generated.
const distDir = path.join(root, 'packages/proto/dist/generated');
fs.mkdirSync(distDir, { recursive: true });
for (const f of ['thinklite.js', 'thinklite.d.ts']) fs.copyFileSync(path.join(outDir, f), path.join(distDir, f));
console.log(`proto: generated ${path.relative(root, outDir)} from ${files.length} files`);
