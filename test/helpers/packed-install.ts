import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { userEnv } from './user-env.js';

const run = promisify(execFile);
export const projectRoot = new URL('../../', import.meta.url).pathname;

export interface PackedPackage {
  tarball: string;
  /** Paths inside the package. */
  files: string[];
  /** Bytes: the tarball, and its content unpacked. */
  size: number;
  unpackedSize: number;
}

/** `npm pack` of this checkout into `dest`: npm builds dist/ first (prepare) and writes the shrinkwrap (prepack). */
export async function packProject(dest: string): Promise<PackedPackage> {
  const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', dest], { cwd: projectRoot, env: userEnv(), maxBuffer: 1 << 26 });
  const [info] = JSON.parse(stdout) as [{ filename: string; size: number; unpackedSize: number; files: { path: string }[] }];
  return { tarball: join(dest, info.filename), files: info.files.map((f) => f.path), size: info.size, unpackedSize: info.unpackedSize };
}

/**
 * sqlite3's install script asks prebuild-install for a prebuilt binary before compiling one (about 80 s
 * here, where its download host is unreachable). This offers it the binary `npm ci` just compiled in
 * this checkout, through prebuild-install's own local-prebuilds setting, read from a
 * .prebuild-installrc in a folder above the installation. The file is named after the sqlite3 version
 * of this checkout: should the package install another version, no file matches and it compiles.
 */
function offerSqliteBinary(workDir: string): Promise<unknown> | undefined {
  const sqlite = join(projectRoot, 'node_modules/sqlite3');
  if (!existsSync(join(sqlite, 'build/Release/node_sqlite3.node'))) return undefined;
  const nameScript =
    "process.argv.push('-r', 'napi'); const pkg = require('./package.json'); const rc = require('prebuild-install/rc')(pkg);" +
    "console.log(require('node:path').basename(require('prebuild-install/util').getDownloadUrl({ ...rc, pkg })));";
  const prebuilds = join(workDir, 'prebuilds');
  mkdirSync(prebuilds, { recursive: true });
  writeFileSync(join(workDir, '.prebuild-installrc'), `${JSON.stringify({ 'local-prebuilds': prebuilds })}\n`);
  return run(process.execPath, ['-e', nameScript], { cwd: sqlite }).then(({ stdout }) =>
    run('tar', ['czf', join(prebuilds, stdout.trim()), '-C', sqlite, 'build/Release/node_sqlite3.node']),
  );
}

export interface Installed {
  /** The empty folder it was installed into. */
  dir: string;
  /** node_modules/.bin/order-bridge */
  bin: string;
  seconds: number;
  /** Whether sqlite3 took this checkout's binary (same version) instead of compiling its own. */
  sqliteBinaryReused: boolean;
}

/** `npm install <tarball>` in an empty folder `app/` made inside `workDir`, as a user installs it. */
export async function installPackage(tarball: string, workDir: string): Promise<Installed> {
  await offerSqliteBinary(workDir);
  const dir = join(workDir, 'app');
  mkdirSync(dir);
  const started = performance.now();
  await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', tarball], { cwd: dir, env: userEnv(), maxBuffer: 1 << 26 });
  const seconds = (performance.now() - started) / 1000;
  // A compiled sqlite3 leaves its object files beside the binary; an unpacked prebuilt is the binary alone.
  const release = join(dir, 'node_modules/sqlite3/build/Release');
  return {
    dir,
    bin: join(dir, 'node_modules/.bin/order-bridge'),
    seconds,
    sqliteBinaryReused: existsSync(join(release, 'node_sqlite3.node')) && !existsSync(join(release, 'obj.target')),
  };
}
