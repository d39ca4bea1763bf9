import { REDACTED } from '../core/redact.js';

/** Query parameters whose values are secrets, whatever the case and however their names were encoded. */
const secretParameter = /^(token|api[_-]?key|apikey|password|secret|access[_-]?token)$/i;

/** Percent-decoded; in a query string, "+" is a space too. */
function decoded(text: string, query = true): string {
  try {
    return decodeURIComponent(query ? text.replace(/\+/g, ' ') : text);
  } catch {
    return text;
  }
}

/**
 * A request URL as logs and error messages may show it: path and query decoded first, so that a secret
 * written in any percent-encoding (`?%74oken=%64…`) is recognised, then secret parameters blanked and
 * known secrets scrubbed.
 */
export function loggableUrl(url: string, scrub: (text: string) => string): string {
  const at = url.indexOf('?');
  const path = scrub(decoded(at === -1 ? url : url.slice(0, at), false));
  if (at === -1) return path;
  const query = url
    .slice(at + 1)
    .split('&')
    .filter((part) => part !== '')
    .map((part) => {
      const eq = part.indexOf('=');
      const name = decoded(eq === -1 ? part : part.slice(0, eq));
      const value = eq === -1 ? null : decoded(part.slice(eq + 1));
      if (value === null) return scrub(name);
      return `${scrub(name)}=${secretParameter.test(name.trim()) ? REDACTED : scrub(value)}`;
    });
  return `${path}?${query.join('&')}`;
}
