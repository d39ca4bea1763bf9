import { createHmac } from 'node:crypto';
import { formatWallTime, parseWallTime } from '../../core/wall-time.js';

/**
 * Marketsync's request signing (links/keys.md, links/url.md): every request carries `token`, `timestamp`
 * (Mexico City wall-clock time) and `version=1.0`; `signature` is the HMAC-SHA256, in lowercase hex and
 * keyed with the private key, of the query built from every other parameter sorted by name, each
 * `name=value` URL-encoded, joined by `&`. The signature is appended last and is not itself signed.
 *
 * The encoding is RFC 3986, as the PHP example does it (`rawurlencode`, links/keys.md): a space is `%20`.
 * The Python 2.7 example's `urlencode` writes `+` (and `%7E` for `~`); the two agree on every value without
 * a space, `~` or `*`, which is all the documented parameters carry. A server written in PHP that rebuilds
 * the string with rawurlencode, as its example does, refuses the other encoding.
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
 * PHP's `rawurlencode` (RFC 3986): letters, digits and `-_.~` stay, every other UTF-8 byte becomes `%XX`,
 * a space `%20`. It differs from `encodeURIComponent`, which keeps `!'()*`.
 */
export function rawUrlEncode(value: string): string {
  let out = '';
  for (const byte of Buffer.from(value, 'utf8')) {
    const char = String.fromCharCode(byte);
    out += unreserved.test(char) ? char : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** The signed string: all parameters but `signature`, sorted by name, encoded, joined by `&`. */
export function canonicalQuery(params: Readonly<Record<string, string>>): string {
  return Object.keys(params)
    .filter((name) => name !== 'signature')
    .sort()
    .map((name) => `${rawUrlEncode(name)}=${rawUrlEncode(params[name] ?? '')}`)
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

/** `YYYY-MM-DDTHH:mm:ss` in Mexico City, the format of the `timestamp` parameter and of request dates. */
export function mexicoCityTimestamp(instant: number | Date): string {
  return formatWallTime(instant, marketsyncZone, 'T');
}

/**
 * A Mexico City wall-clock time as written by Marketsync (`YYYY-MM-DD HH:mm:ss`, or with a `T`, with or
 * without seconds) as an instant; null for anything that is not a real date (MySQL's `0000-00-00 00:00:00`).
 */
export function parseMexicoCityTime(text: string): Date | null {
  return parseWallTime(text, marketsyncZone);
}
