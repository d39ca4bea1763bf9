// npm-shrinkwrap.json for the package: written before `npm pack`/`npm publish` pack it (prepack), removed
// after (postpack). It is package-lock.json without the development packages. npm honours a published
// package's shrinkwrap, so users installing from the registry get the dependency tree the tests ran
// against, overrides included (npm applies "overrides" only to the project that declares them).
//
//   node scripts/shrinkwrap.mjs write | remove
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const shrinkwrap = join(root, 'npm-shrinkwrap.json');

const [action] = process.argv.slice(2);
if (action === 'write') {
  const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8'));
  const packages = Object.fromEntries(
    Object.entries(lock.packages).flatMap(([path, entry]) => {
      if (path !== '') return entry.dev === true ? [] : [[path, entry]];
      const { devDependencies: _dev, ...rootEntry } = entry;
      return [[path, rootEntry]];
    }),
  );
  writeFileSync(shrinkwrap, `${JSON.stringify({ ...lock, packages }, null, 2)}\n`);
} else if (action === 'remove') {
  rmSync(shrinkwrap, { force: true });
} else {
  console.error('usage: node scripts/shrinkwrap.mjs write|remove');
  process.exit(2);
}
