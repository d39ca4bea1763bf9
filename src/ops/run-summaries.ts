import type { PollSummary } from '../routes/poll.js';
import type { ReconcileSummary } from '../routes/reconcile.js';
import type { StatusCheckSummary } from '../routes/status-check.js';

/** What a poll did, as the counts a person (or a progress line) reads. */
export function pollCounts(summary: PollSummary): Record<string, number> {
  return {
    pages: summary.pages,
    seen: summary.seen,
    queued: summary.queued,
    alreadyExported: summary.alreadyExported,
    unchanged: summary.unchanged,
    skipped: summary.skipped,
  };
}

/** What a status check did, as counts. */
export function statusCheckCounts(summary: StatusCheckSummary): Record<string, number> {
  return { checked: summary.checked, changed: summary.changed.length, delivered: summary.delivered, failed: summary.failed.length };
}

/** What a status reconciliation did, as counts. */
export function reconcileCounts(summary: ReconcileSummary): Record<string, number> {
  return { checked: summary.checked, changed: summary.changed, unchanged: summary.unchanged, missing: summary.missing, chargesChanged: summary.chargesChanged };
}
