const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const longHex = /^[0-9a-f]{16,}$/i;
const number = /^\d+$/;
/** Long opaque tokens (posting numbers, base64 ids) with at least one digit. */
const opaque = /^(?=.*\d)[A-Za-z0-9_.~-]{16,}$/;

function isIdSegment(segment: string): boolean {
  return number.test(segment) || uuid.test(segment) || longHex.test(segment) || opaque.test(segment);
}

/**
 * The operation as a metric label: ids in paths become ":id" and query strings go, so that
 * "GET /entity/customerorder/7944ef04-…" is one series, not one per order.
 */
export function operationLabel(operation: string): string {
  const withoutQuery = operation.split('?')[0] ?? '';
  return withoutQuery
    .split(' ')
    .map((word) => (word.includes('/') ? word.split('/').map((s) => (isIdSegment(s) ? ':id' : s)).join('/') : isIdSegment(word) ? ':id' : word))
    .join(' ')
    .slice(0, 120);
}

/** Caps the distinct operations per connection: past the cap, new ones are counted together as "other". */
export class OperationLabels {
  private readonly seen = new Map<string, Set<string>>();

  constructor(private readonly maxPerConnection = 100) {}

  label(connection: string, operation: string): string {
    const label = operationLabel(operation);
    let known = this.seen.get(connection);
    if (known === undefined) {
      known = new Set();
      this.seen.set(connection, known);
    }
    if (known.has(label)) return label;
    if (known.size >= this.maxPerConnection) return 'other';
    known.add(label);
    return label;
  }
}
