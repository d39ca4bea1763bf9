import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

const bin = new URL('../../bin/order-bridge.js', import.meta.url).pathname;

/** A real `order-bridge serve` process, its JSON log lines as events. */
export interface ServiceProcess {
  child: ChildProcess;
  /** Resolves with the first line from now on that matches. */
  logged(pattern: RegExp): Promise<string>;
  /** Called with every line from now on. */
  onLine(listener: (line: string) => void): void;
  /** Lines matching each pattern given to `count`, since the start. */
  count(pattern: RegExp): number;
  /** The exit code (null when killed by a signal). */
  exited: Promise<number | null>;
}

export function serve(config: string, options: { countPatterns?: RegExp[] } = {}): ServiceProcess {
  const child = spawn(process.execPath, [bin, 'serve', '--config', config], { stdio: ['ignore', 'pipe', 'inherit'] });
  const waiters: { pattern: RegExp; resolve: (line: string) => void }[] = [];
  const listeners: ((line: string) => void)[] = [];
  const counts = new Map<RegExp, number>((options.countPatterns ?? []).map((p) => [p, 0]));
  createInterface({ input: child.stdout! }).on('line', (line) => {
    for (const [pattern, n] of counts) if (pattern.test(line)) counts.set(pattern, n + 1);
    for (const waiter of waiters.filter((w) => w.pattern.test(line))) {
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve(line);
    }
    for (const listener of listeners) listener(line);
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    child,
    exited,
    logged: (pattern) => new Promise((resolve) => waiters.push({ pattern, resolve })),
    onLine: (listener) => listeners.push(listener),
    count(pattern) {
      const n = counts.get(pattern);
      if (n === undefined) throw new Error(`${pattern} was not given to serve() to count`);
      return n;
    },
  };
}

/**
 * Resolves when `check` holds, asking again after each line matching `pattern` from any of the
 * services (one check at a time; lines that arrive meanwhile lead to one more check).
 */
export function whenLogged(services: ServiceProcess[], pattern: RegExp, check: () => Promise<boolean>): Promise<void> {
  return new Promise((resolve, reject) => {
    let running = false;
    let again = false;
    let done = false;
    const attempt = (): void => {
      if (done) return;
      if (running) {
        again = true;
        return;
      }
      running = true;
      check().then(
        (ok) => {
          running = false;
          if (ok) {
            done = true;
            resolve();
          } else if (again) {
            again = false;
            attempt();
          }
        },
        (err: unknown) => {
          done = true;
          reject(err instanceof Error ? err : new Error(String(err)));
        },
      );
    };
    for (const service of services) service.onLine((line) => pattern.test(line) && attempt());
    attempt();
  });
}
