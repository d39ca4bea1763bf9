import type { App } from '../../src/app.js';
import { countJobsByState } from '../../src/store/jobs.js';

/**
 * Waits until no job is pending or running: each idle turn of the engine is a chance to check, so a
 * retry scheduled a few milliseconds ahead is waited for without a fixed sleep.
 */
export async function settle(app: App, maxTurns = 2000): Promise<void> {
  for (let turn = 0; turn < maxTurns; turn++) {
    await app.engine.whenIdle();
    const counts = await countJobsByState(app.db);
    if (counts.pending === 0 && counts.running === 0) return;
  }
  throw new Error('jobs did not settle');
}
