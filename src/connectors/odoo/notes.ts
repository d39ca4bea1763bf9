export function escapeHtml(text: string): string {
  return text.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
}

/** "order S1 cannot be sent: a; b" → a heading and its items, so that each problem is on a line of its own. */
function paragraph(text: string): string {
  const colon = text.indexOf(': ');
  const rest = colon < 0 ? '' : text.slice(colon + 2);
  const items = rest.split(/;\s+/).filter((item) => item.trim() !== '');
  if (colon < 0 || items.length < 2) return `<p>${escapeHtml(text)}</p>`;
  return `<p>${escapeHtml(text.slice(0, colon + 1))}</p><ul>${items.map((item) => `<li>${escapeHtml(item)}</li>`).join('')}</ul>`;
}

/**
 * A chatter note a person can read at a glance: the title in bold, each line of the message as a
 * paragraph (a list of problems as a list), and the marker that makes the note findable small at the end.
 */
export function chatterNote(title: string, message: string, marker: string): string {
  const body = message
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .map(paragraph)
    .join('');
  return `<p><b>${escapeHtml(title)}</b></p>${body}<p><small>${escapeHtml(marker)}</small></p>`;
}
