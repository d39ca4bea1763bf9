// Runs the type check, then the tap suite, and ends with the plain "N passed, N failed" line that CI
// reads (tap's own summary is a JS object literal, not a format CI understands).
import { spawn } from 'node:child_process';

function run(command, args) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let tail = '';
    child.stdout.on('data', (chunk) => {
      process.stdout.write(chunk);
      tail = (tail + chunk.toString()).slice(-4000);
    });
    child.on('close', (code) => resolve({ code: code ?? 1, tail }));
  });
}

const typecheck = await run('npx', ['--no-install', 'tsc', '--noEmit']);
if (typecheck.code !== 0) {
  console.log('type check failed');
  console.log('0 passed, 1 failed');
  process.exit(1);
}

const tap = await run('npx', ['--no-install', 'tap', ...process.argv.slice(2)]);
const summary = [...tap.tail.matchAll(/# \{ total: (\d+)(?:, pass: (\d+))?(?:, fail: (\d+))?/g)].pop();
const passed = summary ? Number(summary[2] ?? 0) : 0;
const failed = summary ? Number(summary[3] ?? 0) : 1;
console.log(`${passed} passed, ${failed} failed`);
process.exit(tap.code !== 0 ? tap.code : failed > 0 ? 1 : 0);
