/** Where progress lines go: stderr, so that a command's own output on stdout stays clean for scripts. */
export interface ProgressStream {
  write(text: string): unknown;
  /** On a terminal the line is rewritten in place; elsewhere (a log file, CI) each update is a new line. */
  isTTY?: boolean;
}

export interface ProgressOptions {
  /** What runs, e.g. "poll odoo-to-ysell". */
  label: string;
  stream: ProgressStream;
  /** The count the rate is computed from, e.g. "seen"; the first count when absent. */
  rateOf?: string;
  /** At most one line per this many milliseconds (the final line is always written). */
  everyMs?: number;
  now?: () => number;
}

export type ProgressCounts = Readonly<Record<string, number>>;

const numberFormat = new Intl.NumberFormat('en-US');

function words(name: string): string {
  return name.replace(/[A-Z]/g, (c) => ` ${c.toLowerCase()}`);
}

function seconds(ms: number): string {
  return ms < 60_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

/** One progress line: "poll r: 300 seen, 280 queued · 150/s · 2.0 s". */
export function formatProgress(label: string, counts: ProgressCounts, rateOf: string | undefined, elapsedMs: number, final: boolean): string {
  const parts = Object.entries(counts).map(([name, value]) => `${numberFormat.format(value)} ${words(name)}`);
  const rateKey = rateOf ?? Object.keys(counts)[0];
  const rateCount = rateKey === undefined ? undefined : counts[rateKey];
  const rate = rateCount === undefined || elapsedMs <= 0 ? null : (rateCount * 1000) / elapsedMs;
  const tail = [rate === null ? null : `${rate >= 10 ? Math.round(rate) : rate.toFixed(1)}/s`, final ? `done in ${seconds(elapsedMs)}` : seconds(elapsedMs)];
  return `${label}: ${parts.join(', ') || 'nothing yet'} · ${tail.filter((t) => t !== null).join(' · ')}`;
}

/**
 * A progress line for a long CLI run: the run reports its counts as often as it likes, the line is
 * written at most once per `everyMs`, and `finish` always writes the final line.
 */
export class Progress {
  private readonly started: number;
  private lastWritten: number;
  private latest: ProgressCounts = {};
  private finished = false;
  private readonly now: () => number;

  constructor(private readonly options: ProgressOptions) {
    this.now = options.now ?? (() => Date.now());
    this.started = this.now();
    this.lastWritten = this.started;
  }

  update(counts: ProgressCounts): void {
    if (this.finished) return;
    this.latest = { ...counts };
    const now = this.now();
    if (now - this.lastWritten < (this.options.everyMs ?? 1000)) return;
    this.lastWritten = now;
    this.write(formatProgress(this.options.label, this.latest, this.options.rateOf, now - this.started, false), false);
  }

  finish(counts?: ProgressCounts): void {
    if (this.finished) return;
    this.finished = true;
    if (counts !== undefined) this.latest = { ...counts };
    this.write(formatProgress(this.options.label, this.latest, this.options.rateOf, this.now() - this.started, true), true);
  }

  private write(line: string, final: boolean): void {
    const { stream } = this.options;
    if (stream.isTTY === true) stream.write(`\r\x1b[K${line}${final ? '\n' : ''}`);
    else stream.write(`${line}\n`);
  }
}
