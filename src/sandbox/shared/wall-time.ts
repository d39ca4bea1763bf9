/**
 * Services that write dates on their own clock, without an offset (Marketsync in Mexico City, SaleApp in
 * Kyiv). The fakes keep their own formatter rather than the application's (src/core/wall-time.ts), so
 * that a mistake there shows up against the fake instead of being repeated by it.
 */

/** "YYYY-MM-DD HH:mm:ss" as a clock in `timeZone` shows an instant; an unknown zone throws here, at once. */
export function wallClock(timeZone: string): (instant: number | Date) => string {
  const format = new Intl.DateTimeFormat('en-US', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
  });
  return (instant) => {
    const p: Record<string, string> = {};
    for (const part of format.formatToParts(instant)) p[part.type] = part.value;
    return `${p['year']}-${p['month']}-${p['day']} ${p['hour']}:${p['minute']}:${p['second']}`;
  };
}
