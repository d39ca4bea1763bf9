import { createHmac } from 'node:crypto';

/**
 * Marketsync's request signing (links/keys.md, links/url.md): every request carries `token`, `timestamp`
 * (Mexico City wall-clock time) and `version=1.0`; `signature` is the HMAC-SHA256, in lowercase hex and
 * keyed with the private key, of the query built from every other parameter sorted by name, each
 * `name=value` URL-encoded, joined by `&`. The signature is appended last and is not itself signed.
 */

export const marketsyncZone = 'America/Mexico_City';
export const apiVersion = '1.0';

export interface Credentials {
  /** The public key, sent in the clear as `token`. */
  token: string;
  /** Signs; never sent. */
  privateKey: string;
}

const unreserved = /^[A-Za-z0-9_.~-]$/;

/**
 * Python 3's `quote_plus`, which the documented example encodes with (`urllib.urlencode`): letters,
 * digits and `_.-~` stay, a space becomes `+`, every other UTF-8 byte becomes `%XX`. It differs from
 * `encodeURIComponent`, which keeps `!'()*`, and from PHP's `rawurlencode`, which writes a space as `%20`.
 */
export function quotePlus(value: string): string {
  let out = '';
  for (const byte of Buffer.from(value, 'utf8')) {
    const char = String.fromCharCode(byte);
    if (unreserved.test(char)) out += char;
    else if (byte === 0x20) out += '+';
    else out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** The signed string: all parameters but `signature`, sorted by name, encoded, joined by `&`. */
export function canonicalQuery(params: Readonly<Record<string, string>>): string {
  return Object.keys(params)
    .filter((name) => name !== 'signature')
    .sort()
    .map((name) => `${quotePlus(name)}=${quotePlus(params[name] ?? '')}`)
    .join('&');
}

export function signCanonical(canonical: string, privateKey: string): string {
  return createHmac('sha256', privateKey).update(canonical, 'utf8').digest('hex');
}

/**
 * The whole query string of one request at `instant`: the caller's parameters plus token, timestamp and
 * version, signed. The same string is what is sent, so the server reads back exactly what was signed.
 */
export function signedQuery(params: Readonly<Record<string, string>>, credentials: Credentials, instant: number): string {
  const canonical = canonicalQuery({ ...params, token: credentials.token, timestamp: mexicoCityTimestamp(instant), version: apiVersion });
  return `${canonical}&signature=${signCanonical(canonical, credentials.privateKey)}`;
}

const wallClock = new Intl.DateTimeFormat('en-US', {
  timeZone: marketsyncZone,
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hourCycle: 'h23',
});

interface WallTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

function wallTimeAt(instant: number): WallTime {
  const parts: Record<string, number> = {};
  for (const part of wallClock.formatToParts(new Date(instant))) {
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

const pad = (value: number, width = 2): string => String(value).padStart(width, '0');

/** `YYYY-MM-DDTHH:mm:ss` in Mexico City, the format of the `timestamp` parameter and of request dates. */
export function mexicoCityTimestamp(instant: number | Date): string {
  const t = wallTimeAt(typeof instant === 'number' ? instant : instant.getTime());
  return `${pad(t.year, 4)}-${pad(t.month)}-${pad(t.day)}T${pad(t.hour)}:${pad(t.minute)}:${pad(t.second)}`;
}

function asIfUtc(t: WallTime): number {
  return Date.UTC(t.year, t.month - 1, t.day, t.hour, t.minute, t.second);
}

const wallTimePattern = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?$/;

/**
 * A Mexico City wall-clock time as written by Marketsync (`YYYY-MM-DD HH:mm:ss`, or with a `T`, with or
 * without seconds) as an instant; null for anything that is not a real date (MySQL's `0000-00-00 00:00:00`).
 */
export function parseMexicoCityTime(text: string): Date | null {
  const match = wallTimePattern.exec(text.trim());
  if (match === null) return null;
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map((v) => Number(v ?? '0')) as [number, number, number, number, number, number];
  const wall: WallTime = { year, month, day, hour, minute, second };
  const naive = asIfUtc(wall);
  const check = new Date(naive);
  if (check.getUTCFullYear() !== year || check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day || hour > 23 || minute > 59 || second > 59) {
    return null;
  }
  // The zone's offset at the naive instant, then again at the corrected one: right on both sides of a change.
  const firstGuess = naive - (asIfUtc(wallTimeAt(naive)) - naive);
  const instant = naive - (asIfUtc(wallTimeAt(firstGuess)) - firstGuess);
  return new Date(instant);
}
