import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

const bin = new URL('../../bin/order-bridge.js', import.meta.url).pathname;

export interface ServeProcess {
  child: ChildProcess;
  /** Resolves with the first log line (after this call) that matches. */
  logged(pattern: RegExp): Promise<string>;
  /** Resolves once `count` log lines since the start matched. */
  loggedTimes(pattern: RegExp, count: number): Promise<void>;
  exited: Promise<number | null>;
}

/** A real `order-bridge serve` process, for tests that kill it. */
export function serve(config: string): ServeProcess {
  const child = spawn(process.execPath, [bin, 'serve', '--config', config], { stdio: ['ignore', 'pipe', 'inherit'] });
  const waiters: { pattern: RegExp; resolve: (line: string) => void }[] = [];
  const lines: string[] = [];
  const counters: { pattern: RegExp; count: number; resolve: () => void }[] = [];
  const settleCounters = (): void => {
    for (const counter of [...counters]) {
      if (lines.filter((l) => counter.pattern.test(l)).length >= counter.count) {
        counters.splice(counters.indexOf(counter), 1);
        counter.resolve();
      }
    }
  };
  createInterface({ input: child.stdout! }).on('line', (line) => {
    lines.push(line);
    for (const waiter of waiters.filter((w) => w.pattern.test(line))) {
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve(line);
    }
    settleCounters();
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    child,
    exited,
    logged: (pattern) => new Promise((resolve) => waiters.push({ pattern, resolve })),
    loggedTimes: (pattern, count) =>
      new Promise((resolve) => {
        counters.push({ pattern, count, resolve });
        settleCounters();
      }),
  };
}
