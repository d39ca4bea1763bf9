import { Cron } from 'croner';

/** The shortest gap between the next few occurrences of a cron expression: its period, for an uneven one the tightest. */
export function cronPeriodMs(expression: string): number {
  const cron = new Cron(expression, { paused: true });
  const runs = cron.nextRuns(4).map((date) => date.getTime());
  cron.stop();
  const gaps = runs.slice(1).map((time, i) => time - runs[i]!);
  return gaps.length === 0 ? 0 : Math.min(...gaps);
}
