import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import t from 'tap';
import { projectRoot } from '../helpers/packed-install.js';
import { userEnv } from '../helpers/user-env.js';

const run = promisify(execFile);

t.test('npm ci installs no package that declares it does not support this Node', async (t) => {
  // A dry run reads the lock file and reports engines as the real npm ci does, without touching node_modules.
  const { stdout, stderr } = await run('npm', ['ci', '--dry-run', '--no-audit', '--no-fund'], { cwd: projectRoot, env: userEnv(), maxBuffer: 1 << 24 });
  const warned = [...`${stdout}\n${stderr}`.matchAll(/EBADENGINE\s+package: '([^']+)'/g)].map((m) => m[1]);
  t.same(warned, [], 'a package npm warns about needs an override to a version for our Node, or a higher engines minimum');
  const engines = (JSON.parse(readFileSync(`${projectRoot}package.json`, 'utf8')) as { engines: { node: string } }).engines.node;
  t.match(engines, /^>=20\.\d+\.\d+$/, `engines says which Node 20 release it needs (${engines})`);
});
