import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import { migrate, openDatabase } from '../../src/store/db.js';
import { installPackage, packProject, projectRoot, type Installed, type PackedPackage } from '../helpers/packed-install.js';
import { userEnv } from '../helpers/user-env.js';

// Packing builds the project and installing fetches the dependencies: minutes on a busy machine.
t.setTimeout(900_000);

const exec = promisify(execFile);

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [relative(projectRoot, path)];
  });
}

/** What the compiled package must hold for every file of the source: its .js and map, or the file itself. */
function expectedInPackage(path: string): string[] {
  return path.endsWith('.ts') ? [`dist/${path.replace(/\.ts$/, '.js')}`, `dist/${path.replace(/\.ts$/, '.js.map')}`] : [`dist/${path}`];
}

const work = mkdtempSync(join(tmpdir(), 'ob-packed-'));
t.teardown(() => rmSync(work, { recursive: true, force: true }));

let packed: PackedPackage;
let installed: Installed;
t.before(async () => {
  packed = await packProject(work);
  t.comment(`package: ${packed.files.length} files, ${(packed.size / 1024).toFixed(0)} kB packed, ${(packed.unpackedSize / 1024).toFixed(0)} kB unpacked`);
  installed = await installPackage(packed.tarball, work);
  t.comment(`installed in ${installed.seconds.toFixed(1)} s; sqlite3 ${installed.sqliteBinaryReused ? "took this checkout's binary through prebuild-install" : 'compiled its own binary'}`);
});

t.test('the package holds what runs and nothing else', async (t) => {
  const files = new Set(packed.files);
  const sources = [...filesUnder(join(projectRoot, 'src')), ...filesUnder(join(projectRoot, 'migrations'))];
  t.same(sources.flatMap(expectedInPackage).filter((path) => !files.has(path)), [], 'every module and migration compiled, every asset (the admin page) copied');
  t.ok(files.has('bin/order-bridge.js') && files.has('order-bridge.example.json'));
  for (const series of ['17.0', '18.0', '19.0']) t.ok(files.has(`odoo-addon-stub/${series}/order_bridge/__manifest__.py`), `the Odoo ${series} module`);
  t.ok(files.has('odoo-addon-stub/README.md'), 'with the page that says which folder is for which Odoo');
  t.ok(files.has('npm-shrinkwrap.json'), 'the dependency tree CI tested goes with it');
  t.same(packed.files.filter((path) => /^(src|test|bench|scripts)\//.test(path) || (path.endsWith('.ts') && !path.endsWith('.d.ts'))), [], 'no source, tests or tooling');
  t.notOk(existsSync(join(projectRoot, 'npm-shrinkwrap.json')), 'the shrinkwrap is removed from the checkout after packing');
});

async function orderBridge(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await exec(installed.bin, args, { cwd: installed.dir, env: userEnv(env), maxBuffer: 1 << 24 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const failed = err as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

t.test('installed from the tarball: no TypeScript tooling, and the commands run', async (t) => {
  for (const tool of ['tsx', 'typescript', 'esbuild']) t.notOk(existsSync(join(installed.dir, 'node_modules', tool)), `${tool} is not installed`);

  const help = await orderBridge(['--help']);
  t.equal(help.code, 0, help.stderr);
  t.match(help.stdout, /order-bridge sandbox/);

  const example = join(installed.dir, 'node_modules/order-bridge/order-bridge.example.json');
  const check = await orderBridge(['check-config', '--config', example], { ODOO_API_KEY: 'k', ODOO_HOOK_TOKEN: 'a-hook-token-of-some-length' });
  t.equal(check.code, 0, check.stderr);
  t.match(check.stdout, /valid \(1 route\(s\), 2 connection\(s\)\)/);

  const demo = await orderBridge(['demo']);
  t.equal(demo.code, 0, `${demo.stdout}\n${demo.stderr}`);
  t.match(demo.stdout, /0 duplicate\(s\)/);

  const sandbox = await orderBridge(['sandbox']);
  t.equal(sandbox.code, 0, sandbox.stderr);
  t.match(sandbox.stderr, /The configuration works/);
  t.match(JSON.parse(sandbox.stdout), { admin: { token: String }, routes: Array }, 'its configuration has an admin token: the admin page files were read from the package');
});

t.test('a database migrated by the source keeps working with the compiled package, and the other way round', async (t) => {
  const migrations = readdirSync(join(projectRoot, 'migrations')).map((file) => file.replace(/\.ts$/, '')).sort();
  const source = join(projectRoot, 'bin/order-bridge.js');
  for (const [first, second] of [
    ['source', 'package'],
    ['package', 'source'],
  ] as const) {
    const dir = mkdtempSync(join(work, `migrate-${first}-`));
    const filename = join(dir, 'store.sqlite');
    const config = join(dir, 'config.json');
    writeFileSync(
      config,
      JSON.stringify({
        database: { client: 'sqlite', filename },
        connections: { odoo: { type: 'odoo', url: 'https://erp.example.com', db: 'x', login: 'y', secret: 'z' }, ysell: { type: 'ysell', baseUrl: 'https://1.eu1.ysell.pro' } },
        routes: [{ name: 'r', from: 'odoo', to: 'ysell' }],
      }),
    );
    const migrateWith = async (which: 'source' | 'package'): Promise<string> =>
      which === 'source'
        ? (await exec(process.execPath, [source, 'migrate', '--config', config], { env: userEnv() })).stdout
        : (await orderBridge(['migrate', '--config', config])).stdout;
    t.match(await migrateWith(first), new RegExp(`applied: ${migrations.join(', ')}`), `${first}: every migration applied`);
    t.match(await migrateWith(second), /database is up to date/, `${second}: nothing left to apply`);
    const db = await openDatabase({ client: 'sqlite', filename });
    t.same((await db('knex_migrations').orderBy('id').pluck('name')) as string[], migrations, 'recorded by name, without .ts or .js');
    t.same(await migrate(db), [], 'and the test suite agrees');
    await db.destroy();
  }
});
