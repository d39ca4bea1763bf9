/**
 * Fault injection as every fake offers it: a test injects faults (how many requests, what share of them,
 * which ones), the fake draws at most one per arriving request, and the kinds that mean the same in front
 * of any service are applied here. A fake's own kinds stay in the fake.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { send, type Answer, type Delays } from './http.js';

/** An error status from the service or a proxy in front of it, with its usual body for that service. */
export type StatusFault = { kind: 'status'; status: 500 | 502 | 503 | 429; retryAfter?: number };
/** The answer is worked out when the delay ends, as if the request had queued in front of the service. */
export type DelayFault = { kind: 'delay'; ms: number };
/** The socket is destroyed unanswered; nothing is done. */
export type ResetFault = { kind: 'reset' };
/** 200 with a body cut short. */
export type GarbageFault = { kind: 'garbage' };
export type CommonFault = StatusFault | DelayFault | ResetFault | GarbageFault;

export interface FaultOptions<R> {
  /** How many requests the fault hits; 1 when neither this nor `share` is given, unlimited with `share` alone. */
  times?: number;
  match?: (req: R) => boolean;
  /** Probability (0..1) that a matching request is hit. */
  share?: number;
}

interface Planned<F, R> {
  fault: F;
  remaining: number;
  match: ((req: R) => boolean) | undefined;
  share: number | undefined;
}

/** The injected faults of one fake; `R` is what a test's `match` sees of a request. */
export class FaultPlan<F, R> {
  private planned: Planned<F, R>[] = [];

  /** `fits` leaves out requests a kind of fault cannot apply to, before `match` and `share` are asked. */
  constructor(private readonly fits: (fault: F, req: R) => boolean = () => true) {}

  // Bound, so that a fake can hand them out as its own `inject` and `clearFaults`.
  readonly inject = (fault: F, options: FaultOptions<R> = {}): void => {
    const remaining = options.times ?? (options.share === undefined ? 1 : Number.POSITIVE_INFINITY);
    this.planned.push({ fault, remaining, match: options.match, share: options.share });
  };

  readonly clear = (): void => {
    this.planned = [];
  };

  /** The fault that hits this request, spent from its count; the earliest injected wins. */
  take(req: R): F | null {
    for (const candidate of this.planned) {
      if (candidate.remaining <= 0) continue;
      if (!this.fits(candidate.fault, req)) continue;
      if (candidate.match !== undefined && !candidate.match(req)) continue;
      if (candidate.share !== undefined && Math.random() >= candidate.share) continue;
      candidate.remaining -= 1;
      this.planned = this.planned.filter((p) => p.remaining > 0);
      return candidate.fault;
    }
    return null;
  }
}

export interface Exchange {
  req: IncomingMessage;
  res: ServerResponse;
  record: { status: number | null };
}

export interface CommonAnswers {
  /** The fake's own answer; called late under a delay, so that it sees the fake as it is by then. */
  answer: () => Answer;
  /** The fake's body for an injected status; `Retry-After` is added to it here. */
  status: (status: StatusFault['status']) => Answer;
  garbage: Answer;
  delays: Delays;
}

/** Answers a request hit by one of the common faults, or by none (null). */
export function answerUnder(fault: CommonFault | null, { req, res, record }: Exchange, answers: CommonAnswers): void {
  switch (fault?.kind) {
    case undefined:
      send(res, record, answers.answer());
      return;
    case 'status': {
      const page = answers.status(fault.status);
      const headers = fault.retryAfter === undefined ? page.headers : { ...page.headers, 'Retry-After': String(fault.retryAfter) };
      send(res, record, { ...page, headers });
      return;
    }
    case 'delay':
      answers.delays.after(fault.ms, () => send(res, record, answers.answer()));
      return;
    case 'reset':
      req.socket.destroy();
      return;
    case 'garbage':
      send(res, record, answers.garbage);
      return;
  }
}
