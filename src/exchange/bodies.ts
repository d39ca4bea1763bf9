import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { deflateRaw, inflateRawSync } from 'node:zlib';

/**
 * Exchange bodies are stored compressed: at 10,000 orders a day their calls carry some 380 MB of XML and
 * JSON a day, which a week's retention would keep; deflate with a preset dictionary of that traffic's
 * shape (XML-RPC markup, the field names of Odoo, Ysell, Ozon, MoySklad) stores them about 18 times
 * smaller. A stored value is one version byte, then the request and the response as a JSON array,
 * deflated with that version's dictionary. A dictionary never changes once released: a better one is a
 * new version (scripts/body-dictionary.ts), and the old ones stay here to read what they stored.
 */
const dictionaries = new Map<number, Buffer>([[1, readFileSync(new URL('./body-dictionary-1.txt', import.meta.url))]]);
const current = 1;

const deflate = promisify(deflateRaw);

/** Compresses a call's bodies for storing; off the main thread (libuv's pool), as it runs for every call. */
export async function packBodies(request: string, response: string): Promise<Buffer> {
  const packed = await deflate(Buffer.from(JSON.stringify([request, response]), 'utf8'), { dictionary: dictionaries.get(current)! });
  return Buffer.concat([Buffer.from([current]), packed]);
}

/** The request and response bodies of a stored call. */
export function unpackBodies(stored: Buffer | Uint8Array): [string, string] {
  const bytes = Buffer.from(stored);
  const dictionary = dictionaries.get(bytes[0] ?? 0);
  if (dictionary === undefined) throw new Error(`exchange bodies stored in an unknown format (version ${bytes[0]})`);
  const [request, response] = JSON.parse(inflateRawSync(bytes.subarray(1), { dictionary }).toString('utf8')) as [string, string];
  return [request, response];
}
