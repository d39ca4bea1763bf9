import { z } from 'zod';
import { retryable } from '../../core/errors.js';
import type { ConnectorContext, ConnectorState, SessionInfo } from '../../core/connector.js';
import type { MoySkladClient } from './client.js';
import type { MoySkladConfig } from './config.js';
import type { OpenShift } from './mapper.js';
import type { MoySkladDocument } from './schemas.js';
import { fromMoscowTime, toMoscowSeconds } from './time.js';

const stateKey = 'retailShift';
const lockKey = 'retail-shift';

function noOpenShift(retailStore: string): Error {
  return retryable(
    'NO_OPEN_SHIFT',
    'No retail shift is open in MoySklad for the configured retail store; open one (order-bridge moysklad shift open <route>) or set retailShift.autoOpen',
    { context: { system: 'moysklad', retailStore } },
  );
}
const recordSchema = z.object({ id: z.string(), name: z.string(), moment: z.string(), closedAt: z.string().nullable() });
type ShiftRecord = z.infer<typeof recordSchema>;

function isoOf(moscow: string | undefined): string {
  const date = moscow === undefined ? null : fromMoscowTime(moscow);
  return date === null ? '' : date.toISOString();
}

function toShift(document: MoySkladDocument): OpenShift {
  return { id: document.id, name: document.name ?? document.id, moment: document.moment ?? '' };
}

/**
 * The retail shift sales go into. MoySklad is the truth (a person may open or close a shift in its UI);
 * our record is what we last saw, so that a restart reuses the shift without listing them.
 */
export class ShiftKeeper {
  private current: OpenShift | null = null;
  private pending: Promise<{ shift: OpenShift; existing: boolean }> | null = null;

  constructor(
    private readonly client: MoySkladClient,
    private readonly config: MoySkladConfig,
    private readonly state: ConnectorState,
    /** Opening and closing run in one process at a time: two replicas must not open two shifts. */
    private readonly exclusive: ConnectorContext['exclusive'],
    private readonly now: () => number = Date.now,
  ) {}

  /** The shift to write sales into; opened on demand when the config allows it. */
  async forSales(signal: AbortSignal): Promise<OpenShift> {
    if (this.current !== null) return this.current;
    return (await this.ensure(this.config.retailShift.autoOpen, signal)).shift;
  }

  /** A save failed in a way a closed shift explains: look again before the retry. */
  forget(): void {
    this.current = null;
  }

  async isStillOpen(signal: AbortSignal): Promise<boolean> {
    if (this.current === null) return false;
    const shift = await this.client.getShift(this.current.id, signal);
    if (shift.closeDate === undefined) return true;
    await this.record({ ...this.current, closedAt: isoOf(shift.closeDate) });
    this.current = null;
    return false;
  }

  async open(signal: AbortSignal): Promise<SessionInfo> {
    const { shift, existing } = await this.ensure(true, signal);
    return { id: shift.id, name: shift.name, openedAt: isoOf(shift.moment), closedAt: null, existing };
  }

  close(signal: AbortSignal): Promise<SessionInfo | null> {
    return this.exclusive(lockKey, (locked) => this.closeLocked(AbortSignal.any([signal, locked])));
  }

  private async closeLocked(signal: AbortSignal): Promise<SessionInfo | null> {
    const open = this.current ?? (await this.findOpen(signal));
    if (open === null) return null;
    // MoySklad refuses a close before the opening, and our sales of the opening minute are dated the minute
    // after it (a sale must be later than its shift, to the minute): the close is never before that minute.
    const opened = fromMoscowTime(open.moment)?.getTime() ?? 0;
    const closeDate = toMoscowSeconds(new Date(Math.max(this.now(), Math.floor(opened / 60_000) * 60_000 + 60_000)));
    const closed = await this.client.closeShift(open.id, closeDate, signal);
    const closedAt = isoOf(closed.closeDate ?? closeDate);
    await this.record({ ...open, closedAt });
    this.current = null;
    return { id: open.id, name: open.name, openedAt: isoOf(open.moment), closedAt, existing: false };
  }

  /** One look (and at most one open) at a time, however many orders ask together. */
  private ensure(mayOpen: boolean, signal: AbortSignal): Promise<{ shift: OpenShift; existing: boolean }> {
    this.pending ??= this.lookOrOpen(mayOpen, signal).finally(() => {
      this.pending = null;
    });
    return this.pending;
  }

  private async lookOrOpen(mayOpen: boolean, signal: AbortSignal): Promise<{ shift: OpenShift; existing: boolean }> {
    const found = this.current ?? (await this.findOpen(signal));
    if (found !== null) {
      this.current = found;
      return { shift: found, existing: true };
    }
    if (!mayOpen) throw noOpenShift(this.config.retailStore);
    return this.exclusive(lockKey, (locked) => this.openLocked(AbortSignal.any([signal, locked])));
  }

  /** Under the lock: another process may have opened one since we looked. */
  private async openLocked(signal: AbortSignal): Promise<{ shift: OpenShift; existing: boolean }> {
    const found = await this.findOpen(signal);
    if (found !== null) {
      this.current = found;
      return { shift: found, existing: true };
    }
    const opened = toShift(
      await this.client.openShift(
        {
          organization: this.client.meta('organization', this.config.organization),
          retailStore: this.client.meta('retailstore', this.config.retailStore),
          store: this.client.meta('store', this.config.store),
        },
        signal,
      ),
    );
    await this.record({ ...opened, closedAt: null });
    this.current = opened;
    return { shift: opened, existing: false };
  }

  /** Our record if that shift is still open, else any open shift of the retail store (the newest). */
  private async findOpen(signal: AbortSignal): Promise<OpenShift | null> {
    const recorded = await this.recorded();
    if (recorded !== null && recorded.closedAt === null) {
      const shift = await this.client.getShift(recorded.id, signal);
      if (shift.closeDate === undefined) return toShift(shift);
      await this.record({ ...recorded, closedAt: isoOf(shift.closeDate) });
    }
    const open = await this.client.findOpenShifts(this.config.retailStore, signal);
    const newest = open[0];
    if (newest === undefined) return null;
    const shift = toShift(newest);
    await this.record({ ...shift, closedAt: null });
    return shift;
  }

  private async recorded(): Promise<ShiftRecord | null> {
    const text = await this.state.get(stateKey);
    if (text === null) return null;
    try {
      const parsed = recordSchema.safeParse(JSON.parse(text));
      return parsed.success ? parsed.data : null;
    } catch {
      return null;
    }
  }

  private record(shift: ShiftRecord): Promise<void> {
    return this.state.set(stateKey, JSON.stringify(shift));
  }
}
