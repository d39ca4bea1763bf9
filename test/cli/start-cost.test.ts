import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { userEnv } from '../helpers/user-env.js';

const root = new URL('../../', import.meta.url).pathname;
const bin = join(root, 'bin/order-bridge.js');
const dependencies = Object.keys((JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { dependencies: Record<string, string> }).dependencies);

/** A module hook, registered before the command starts, that writes down every module URL it resolves. */
const hooks = `
import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  appendFileSync(process.env.OB_RESOLVED_LOG, result.url + '\\n');
  return result;
}`;
const registerHooks = `import { register } from 'node:module'; register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(hooks)}`)});`;

/** Runs the command and returns the packages (production dependencies) it loaded. */
async function packagesLoaded(t: Test, args: string[]): Promise<{ code: number | null; packages: string[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'ob-start-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const log = join(dir, 'resolved.log');
  const code = await new Promise<number | null>((resolve) => {
    const child = spawn(process.execPath, ['--import', `data:text/javascript,${encodeURIComponent(registerHooks)}`, bin, ...args], {
      env: userEnv({ OB_RESOLVED_LOG: log }),
      stdio: 'ignore',
    });
    child.on('close', resolve);
  });
  const urls = readFileSync(log, 'utf8').split('\n');
  return { code, packages: dependencies.filter((name) => urls.some((url) => url.includes(`/node_modules/${name}/`))) };
}

t.test('order-bridge --help loads none of the service\'s packages (it must start fast)', async (t) => {
  const help = await packagesLoaded(t, ['--help']);
  t.equal(help.code, 0);
  t.same(help.packages, [], 'a value import in src/cli/main.ts belongs in src/cli/command-modules.ts');

  // The hook sees them when a command does load them.
  const config = join(root, 'order-bridge.example.json');
  const check = await packagesLoaded(t, ['check-config', '--config', config]);
  t.ok(check.packages.includes('zod'), `check-config loads zod (seen: ${check.packages.join(', ')})`);
});
