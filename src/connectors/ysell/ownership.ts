import type { YsellCreateOrder, YsellOrder } from './schemas.js';

export type Ownership = { kind: 'ours' } | { kind: 'other' } | { kind: 'foreign'; reason: string };

function productIds(ids: Iterable<number>): string {
  return [...new Set(ids)].sort((a, b) => a - b).join(', ');
}

/**
 * Whether an order Ysell listed for our number is the one we sent. Ysell documents no look-up, no marker
 * field and no echo of what it stores (our assumption throughout), so the proof is what its answer shows
 * of what we sent:
 * - the number: when shown, it must be ours; an order showing another number is simply another order;
 * - the products: when its items show `p_id`s, they must be the ones we send (as a set: quantities may be
 *   edited in Ysell, the products of an order are not).
 * An answer that shows neither is taken on the word of Ysell's `order_num` filter. Showing our number with
 * other products is someone else's order under our number: foreign, never ours.
 */
export function judgeOwnership(found: YsellOrder, sent: YsellCreateOrder): Ownership {
  const number = found.order_num ?? null;
  if (number !== null && number !== sent.order_num) return { kind: 'other' };
  const listed = (found.items ?? []).flatMap((item) => (item.p_id === undefined || item.p_id === null ? [] : [item.p_id]));
  if (listed.length > 0) {
    const theirs = productIds(listed);
    const ours = productIds(sent.items.map((item) => item.p_id));
    if (theirs !== ours) {
      return number === null ? { kind: 'other' } : { kind: 'foreign', reason: `it holds Ysell products ${theirs}, the order we send holds ${ours}` };
    }
  }
  return { kind: 'ours' };
}
