export const REDACTED = '[REDACTED]';

/** Field names whose values are secrets wherever they appear (JSON bodies, query strings, form bodies). */
const secretNames = 'api[_-]?key|apikey|password|passwd|secret(?:_key)?|token|access[_-]?token|authorization|private[_-]?key';
const jsonField = new RegExp(`("(?:${secretNames})"\\s*:\\s*)"(?:[^"\\\\]|\\\\.)*"`, 'gi');
const queryField = new RegExp(`([?&](?:${secretNames})=)[^&#\\s"]*`, 'gi');
const bearer = /(Bearer\s+)[A-Za-z0-9._~+/=-]+/gi;

/**
 * Removes secrets from text before it reaches a log, the exchange table or an error message. Known
 * secret values (configured keys, the Ysell key read from Odoo) are replaced wherever they appear; on top
 * of that, values of fields whose names say "secret" are replaced even when we never saw the value.
 */
export class SecretScrubber {
  private readonly secrets = new Set<string>();

  /** Values shorter than 4 characters would blank out ordinary text, and are no protection anyway. */
  add(value: string | null | undefined): void {
    if (typeof value === 'string' && value.length >= 4) this.secrets.add(value);
  }

  scrub(text: string): string {
    let out = text;
    for (const secret of this.secrets) {
      if (out.includes(secret)) out = out.split(secret).join(REDACTED);
      const encoded = encodeURIComponent(secret);
      if (encoded !== secret && out.includes(encoded)) out = out.split(encoded).join(REDACTED);
    }
    return out.replace(jsonField, `$1"${REDACTED}"`).replace(queryField, `$1${REDACTED}`).replace(bearer, `$1${REDACTED}`);
  }
}
