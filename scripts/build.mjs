// Compiles src/ and migrations/ to dist/ (JavaScript with source maps) and copies every other file found
// under them (the admin page's html/css/js, anything a module reads beside itself) to the same place in
// dist/, so that a file added there is built and shipped without being listed anywhere.
// Run by `npm run build` and by npm's prepare (a local `npm ci`/`npm install`, `npm pack`, and an
// install from git). In a checkout the command still runs the source; the installed package runs dist/.
import { spawnSync } from 'node:child_process';
import { cpSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const compiledFrom = ['src', 'migrations'];

let tsc;
try {
  tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
} catch {
  console.error('build: TypeScript is not installed (a development dependency); install with them, or install order-bridge from its package');
  process.exit(1);
}

rmSync(join(root, 'dist'), { recursive: true, force: true });
const run = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
if (run.status !== 0) {
  console.error('build: tsc failed');
  process.exit(run.status ?? 1);
}
for (const dir of compiledFrom) {
  cpSync(join(root, dir), join(root, 'dist', dir), {
    recursive: true,
    filter: (path) => statSync(path).isDirectory() || !path.endsWith('.ts'),
  });
}
