/**
 * MoySklad's request budget, kept on our side (contract notes §3.2): at most `units` request units in any
 * `windowMs`, each request costing `weight()` units, and at most `maxParallel` requests in flight. The
 * account is switched off after hundreds of 429s a minute, so a 429 here means our accounting was wrong;
 * no well-kept library does weighted sliding windows synchronised from server headers, hence this class.
 *
 * A request's units leave the window `windowMs` after its answer arrived, not after it was sent: the server
 * counted it somewhere in between, and the later moment is the safe one.
 *
 * The server's own count (X-RateLimit-Remaining) wins over ours when it is lower: someone else spends from
 * the same budget. While it says the budget is spent, requests go one at a time, no faster than the
 * window refills, until an answer says there is room again.
 */
export interface BudgetOptions {
  units: number;
  windowMs: number;
  maxParallel: number;
  /** What the next request costs; MoySklad changes user-token weights by date. */
  weight: () => number;
  now?: () => number;
}

export interface BudgetStats {
  requests: number;
  /** 429s the server sent us despite the budget. */
  rejected: number;
  /** Time requests spent waiting for room, in all. */
  waitedMs: number;
}

/** What the server said about the budget in its answer (headers), read by the client. */
export interface BudgetFeedback {
  /** X-RateLimit-Remaining: units left in the server's window after this request. */
  remaining?: number | undefined;
  /** The server refused the request for its rate: pause everyone for this long. */
  rejectedForMs?: number | undefined;
}

interface Waiter {
  weight: number;
  queuedAt: number;
  resolve: (ticket: BudgetTicket) => void;
  reject: (err: unknown) => void;
  signal: AbortSignal | undefined;
  onAbort: () => void;
}

export interface BudgetTicket {
  /** Call once the answer (or the failure) arrived. */
  release(feedback?: BudgetFeedback): void;
}

export class RequestBudget {
  readonly stats: BudgetStats = { requests: 0, rejected: 0, waitedMs: 0 };
  private readonly now: () => number;
  /** Completed requests still inside the window, oldest first. */
  private spent: { at: number; units: number }[] = [];
  private inFlightUnits = 0;
  private inFlight = 0;
  private pausedUntil = 0;
  /** The server's last word on what is left, and what we sent since (or had in flight then). */
  private server: { remaining: number; at: number; sentSince: number } | null = null;
  private nextProbeAt = 0;
  private readonly queue: Waiter[] = [];
  /** Callers waiting for room without a request yet (see `whenRoom`). */
  private roomWaiters: (() => void)[] = [];
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly options: BudgetOptions) {
    this.now = options.now ?? Date.now;
  }

  acquire(signal?: AbortSignal): Promise<BudgetTicket> {
    if (signal?.aborted === true) return Promise.reject(signal.reason);
    return new Promise<BudgetTicket>((resolve, reject) => {
      const waiter: Waiter = {
        weight: this.nextWeight(),
        queuedAt: this.now(),
        resolve,
        reject,
        signal,
        onAbort: () => {
          const index = this.queue.indexOf(waiter);
          if (index >= 0) this.queue.splice(index, 1);
          reject(signal?.reason);
          this.pump();
        },
      };
      signal?.addEventListener('abort', waiter.onAbort, { once: true });
      this.queue.push(waiter);
      this.pump();
    });
  }

  private nextWeight(): number {
    return Math.min(this.options.units, Math.max(1, this.options.weight()));
  }

  /**
   * Resolves once a request could be sent at once: nobody is queued ahead and the window and the parallel
   * limit have room. A batch that waits for this goes on gathering work while the budget is spent, so the
   * requests grow larger instead of more numerous.
   */
  whenRoom(): Promise<void> {
    return new Promise<void>((resolve) => {
      this.roomWaiters.push(resolve);
      this.pump();
    });
  }

  /** Units used in the window right now (answered and in flight). */
  used(): number {
    this.prune();
    return this.spent.reduce((sum, s) => sum + s.units, 0) + this.inFlightUnits;
  }

  private prune(): void {
    const horizon = this.now() - this.options.windowMs;
    while (this.spent.length > 0 && (this.spent[0]?.at ?? 0) <= horizon) this.spent.shift();
  }

  /**
   * What keeps a request of `weight` units from going now: nothing (null), a release of one in flight
   * ('release', which pumps again), or a moment to look again.
   */
  private blocked(weight: number, now: number): number | 'release' | null {
    if (now < this.pausedUntil) return this.pausedUntil;
    if (this.inFlight >= this.options.maxParallel) return 'release';
    if (this.serverLeft(now) < weight) {
      if (this.inFlight > 0) return 'release'; // its answer will say how much is left
      if (now < this.nextProbeAt) return this.nextProbeAt;
    }
    if (this.used() + weight > this.options.units) {
      const oldest = this.spent[0];
      return oldest === undefined ? 'release' : oldest.at + this.options.windowMs + 1;
    }
    return null;
  }

  /** Lets waiting requests go, in order, while there is room; otherwise sleeps until room appears. */
  private pump(): void {
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    for (;;) {
      const head = this.queue[0];
      if (head === undefined && this.roomWaiters.length === 0) return;
      const now = this.now();
      const blocked = this.blocked(head?.weight ?? this.nextWeight(), now);
      if (blocked !== null) {
        if (typeof blocked === 'number') this.wakeAt(blocked);
        return;
      }
      if (head === undefined) {
        const waiters = this.roomWaiters;
        this.roomWaiters = [];
        for (const resolve of waiters) resolve();
        return;
      }
      this.queue.shift();
      head.signal?.removeEventListener('abort', head.onAbort);
      this.inFlight += 1;
      this.inFlightUnits += head.weight;
      if (this.server !== null) this.server.sentSince += head.weight;
      this.stats.requests += 1;
      this.stats.waitedMs += now - head.queuedAt;
      head.resolve(this.ticket(head.weight));
    }
  }

  /** Units the server has left by its last answer; unknown (infinite) once a whole window passed since. */
  private serverLeft(now: number): number {
    if (this.server === null || now - this.server.at > this.options.windowMs) return Number.POSITIVE_INFINITY;
    return this.server.remaining - this.server.sentSince;
  }

  private wakeAt(at: number): void {
    this.timer = setTimeout(() => {
      this.timer = null;
      this.pump();
    }, Math.max(1, at - this.now()));
  }

  private ticket(units: number): BudgetTicket {
    let released = false;
    return {
      release: (feedback) => {
        if (released) return;
        released = true;
        const now = this.now();
        this.inFlight -= 1;
        this.inFlightUnits -= units;
        this.spent.push({ at: now, units });
        // The window refills one request's worth about this often.
        const refillMs = Math.ceil((this.options.windowMs / this.options.units) * units);
        if (feedback?.rejectedForMs !== undefined) {
          this.stats.rejected += 1;
          this.pausedUntil = Math.max(this.pausedUntil, now + feedback.rejectedForMs);
          this.server = { remaining: 0, at: now, sentSince: this.inFlightUnits };
          this.nextProbeAt = this.pausedUntil;
        } else if (feedback?.remaining !== undefined && Number.isFinite(feedback.remaining)) {
          this.server = { remaining: feedback.remaining, at: now, sentSince: this.inFlightUnits };
          // Spent: the next unit frees when the oldest request still in the window leaves it (ours are the
          // ones we know of), and never sooner than the average refill.
          const oldest = this.spent[0];
          this.nextProbeAt = Math.max(now + refillMs, feedback.remaining < units && oldest !== undefined ? oldest.at + this.options.windowMs : 0);
        }
        this.pump();
      },
    };
  }
}
