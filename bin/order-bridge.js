#!/usr/bin/env node
// Installed from the package, the command runs the compiled JavaScript in dist/, with its source maps so
// that a stack trace names the TypeScript file and line. In a checkout of the repository (src/ is there)
// it runs the TypeScript source through tsx, a development dependency, in this same process (signals
// reach it directly): what runs there is never an outdated build.
import { existsSync } from 'node:fs';

const source = new URL('../src/cli/main.ts', import.meta.url);
const compiled = new URL('../dist/src/cli/main.js', import.meta.url);

async function registerTsx() {
  try {
    const { register } = await import('tsx/esm/api');
    register();
    return true;
  } catch (err) {
    if (err?.code === 'ERR_MODULE_NOT_FOUND') return false;
    throw err;
  }
}

if (existsSync(source) && (await registerTsx())) {
  await import(source.href);
} else if (existsSync(compiled)) {
  process.setSourceMapsEnabled(true);
  await import(compiled.href);
} else {
  console.error('order-bridge: this checkout has neither tsx (run `npm ci`) nor a build (run `npm run build`)');
  process.exit(1);
}
