/**
 * How long the command takes to start: `order-bridge --help` (and `check-config`, which loads the
 * configuration schema and every connector) installed from the packed tarball, against the same
 * commands run from the source in this checkout (tsx). It packs and installs first, as
 * test/package/packed-install.test.ts does, then runs the commands in turns so that a busy machine
 * weighs on both alike.
 *
 *   npx tsx bench/start-time.ts [runs]          default 15 runs of each
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { installPackage, packProject, projectRoot } from '../test/helpers/packed-install.js';
import { userEnv } from '../test/helpers/user-env.js';

const runs = Number(process.argv[2] ?? 15);
const targetSeconds = 0.3;

const work = mkdtempSync(join(tmpdir(), 'ob-bench-start-'));
try {
  const packed = await packProject(work);
  const installed = await installPackage(packed.tarball, work);
  const example = join(projectRoot, 'order-bridge.example.json');
  const env = userEnv({ ODOO_API_KEY: 'k', ODOO_HOOK_TOKEN: 'a-hook-token-of-some-length' });

  const ways = [
    { name: 'installed (dist/)', command: installed.bin, args: [] as string[] },
    { name: 'source (tsx)', command: process.execPath, args: [join(projectRoot, 'bin/order-bridge.js')] },
  ];
  const commands = [['--help'], ['check-config', '--config', example]];
  const times = new Map<string, number[]>();
  for (let i = 0; i < runs; i++) {
    for (const command of commands) {
      for (const way of ways) {
        const started = performance.now();
        const result = spawnSync(way.command, [...way.args, ...command], { cwd: installed.dir, env, stdio: 'ignore' });
        const seconds = (performance.now() - started) / 1000;
        if (result.status !== 0) throw new Error(`${way.name} ${command.join(' ')} exited ${result.status}`);
        const key = `${command[0]}\t${way.name}`;
        times.set(key, [...(times.get(key) ?? []), seconds]);
      }
    }
  }

  const stat = (values: number[], q: number): string => {
    const sorted = [...values].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!.toFixed(3);
  };
  console.log(`start time, ${runs} runs each, seconds (Node ${process.version}, package ${packed.files.length} files, ${(packed.unpackedSize / 1024).toFixed(0)} kB unpacked)\n`);
  console.log(['command', 'installed median', 'p90', 'min', 'source median', 'p90', 'min'].join('\t'));
  for (const command of commands) {
    const installedTimes = times.get(`${command[0]}\t${ways[0]!.name}`)!;
    const sourceTimes = times.get(`${command[0]}\t${ways[1]!.name}`)!;
    console.log([command[0], stat(installedTimes, 0.5), stat(installedTimes, 0.9), stat(installedTimes, 0), stat(sourceTimes, 0.5), stat(sourceTimes, 0.9), stat(sourceTimes, 0)].join('\t'));
  }
  const helpMedian = Number(stat(times.get(`--help\t${ways[0]!.name}`)!, 0.5));
  console.log(`\ninstalled --help: median ${helpMedian.toFixed(3)} s, target under ${targetSeconds} s: ${helpMedian < targetSeconds ? 'met' : 'missed'}`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
