/**
 * MoySklad writes and reads times in Moscow time without an offset ("YYYY-MM-DD HH:mm:ss.SSS", contract
 * notes §3.5); Moscow has kept UTC+3 all year since 2014, so a fixed offset is exact.
 */
const moscowOffsetMs = 3 * 3_600_000;

/** "2026-11-24 13:05:09.042" for 2026-11-24T10:05:09.042Z. */
export function toMoscowTime(date: Date): string {
  return new Date(date.getTime() + moscowOffsetMs).toISOString().slice(0, 23).replace('T', ' ');
}

/** The same, to the second: what filters and writable dates take ("YYYY-MM-DD HH:mm:ss"). */
export function toMoscowSeconds(date: Date): string {
  return toMoscowTime(date).slice(0, 19);
}

const moscowPattern = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?$/;

/** Reads any of MoySklad's forms ("YYYY-MM-DD HH:mm", "…:ss", "…:ss.SSS"); null when it is none of them. */
export function fromMoscowTime(text: string): Date | null {
  const match = moscowPattern.exec(text.trim());
  if (match === null) return null;
  const [, year, month, day, hour, minute, second = '0', fraction = '0'] = match;
  const utc = Date.UTC(Number(year), Number(month) - 1, Number(day), Number(hour), Number(minute), Number(second), Number(fraction.padEnd(3, '0')));
  return Number.isNaN(utc) ? null : new Date(utc - moscowOffsetMs);
}
