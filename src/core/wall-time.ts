/**
 * Several systems write times on their own clock without an offset (Marketsync in Mexico City, SaleApp in
 * Kyiv). These convert between such wall-clock text and instants, correctly on both sides of a DST change.
 */

interface WallTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let found = formatters.get(timeZone);
  if (found === undefined) {
    found = new Intl.DateTimeFormat('en-US', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
    });
    formatters.set(timeZone, found);
  }
  return found;
}

function wallTimeAt(instant: number, timeZone: string): WallTime {
  const parts: Record<string, number> = {};
  for (const part of formatter(timeZone).formatToParts(new Date(instant))) {
    if (part.type !== 'literal') parts[part.type] = Number(part.value);
  }
  return {
    year: parts['year'] ?? 0,
    month: parts['month'] ?? 0,
    day: parts['day'] ?? 0,
    hour: parts['hour'] ?? 0,
    minute: parts['minute'] ?? 0,
    second: parts['second'] ?? 0,
  };
}

function asIfUtc(t: WallTime): number {
  return Date.UTC(t.year, t.month - 1, t.day, t.hour, t.minute, t.second);
}

const pad = (value: number, width = 2): string => String(value).padStart(width, '0');

/** "YYYY-MM-DD HH:mm:ss" (or with "T" as `separator`) on the clock of `timeZone`. */
export function formatWallTime(instant: number | Date, timeZone: string, separator: ' ' | 'T' = ' '): string {
  const t = wallTimeAt(typeof instant === 'number' ? instant : instant.getTime(), timeZone);
  return `${pad(t.year, 4)}-${pad(t.month)}-${pad(t.day)}${separator}${pad(t.hour)}:${pad(t.minute)}:${pad(t.second)}`;
}

const wallTimePattern = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?$/;

/**
 * Wall-clock text on `timeZone`'s clock ("YYYY-MM-DD HH:mm:ss", or with a "T", with or without seconds)
 * as an instant; null for anything that is not a real date (e.g. MySQL's "0000-00-00 00:00:00").
 */
export function parseWallTime(text: string, timeZone: string): Date | null {
  const match = wallTimePattern.exec(text.trim());
  if (match === null) return null;
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map((v) => Number(v ?? '0')) as [number, number, number, number, number, number];
  const naive = asIfUtc({ year, month, day, hour, minute, second });
  const check = new Date(naive);
  if (check.getUTCFullYear() !== year || check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day || hour > 23 || minute > 59 || second > 59) {
    return null;
  }
  // The zone's offset at the naive instant, then again at the corrected one: right on both sides of a change.
  const firstGuess = naive - (asIfUtc(wallTimeAt(naive, timeZone)) - naive);
  return new Date(naive - (asIfUtc(wallTimeAt(firstGuess, timeZone)) - firstGuess));
}
