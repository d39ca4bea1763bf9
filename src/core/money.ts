import { BigNumber } from 'bignumber.js';
import { z } from 'zod';

/**
 * Money is carried as decimal text ("1234.50", "-12.3456") and computed with decimal arithmetic, never
 * with binary floats: a price of 0.1 × 3 must be 0.30, and an amount must reach the destination as the
 * customer paid it. Amounts are compared at the currency's minor unit (kopeck, cent, yen).
 */
export type Amount = string;

/** Decimal arithmetic (bignumber.js): exact for sums and products, 20 decimal places for quotients. */
export type Decimal = BigNumber;
export type DecimalValue = BigNumber.Value;

export const amountSchema = z.string().regex(/^-?\d+(\.\d+)?$/, 'must be a decimal amount such as "12.50"');

/** A decimal for arithmetic; amounts from other systems arrive as text or as JSON numbers. */
export function dec(value: DecimalValue): Decimal {
  return new BigNumber(value);
}

/** Reads an external amount (a number or numeric text); null when it is not one. */
export function readAmount(value: unknown): Amount | null {
  if (typeof value === 'number') return Number.isFinite(value) ? amount(value) : null;
  if (typeof value !== 'string') return null;
  const text = value.trim();
  if (!/^[+-]?(\d+(\.\d*)?|\.\d+)$/.test(text)) return null;
  return amount(text);
}

/** The canonical text of an amount: plain notation, no exponent, no trailing zeros. */
export function amount(value: DecimalValue): Amount {
  const d = new BigNumber(value);
  return d.isZero() ? '0' : d.toFixed();
}

export function sum(values: Iterable<DecimalValue>): Decimal {
  let total = new BigNumber(0);
  for (const value of values) total = total.plus(value);
  return total;
}

/** Digits after the decimal point in the currency's minor unit (RUB 2, JPY 0, KWD 3); 2 when unknown. */
export function minorDigits(currency: string | null): number {
  if (currency === null) return 2;
  try {
    return new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
  } catch {
    return 2;
  }
}

/** Rounded to the currency's minor unit, half away from zero (how shops and tills round). */
export function toMinor(value: DecimalValue, currency: string | null): Decimal {
  return new BigNumber(value).dp(minorDigits(currency), BigNumber.ROUND_HALF_UP);
}

/** The amount in minor units as an integer (kopecks, cents). */
export function minorUnits(value: DecimalValue, currency: string | null): number {
  return toMinor(value, currency).times(new BigNumber(10).exponentiatedBy(minorDigits(currency))).toNumber();
}

export function sameAmount(a: DecimalValue, b: DecimalValue, currency: string | null): boolean {
  return toMinor(a, currency).isEqualTo(toMinor(b, currency));
}

/** For messages: "1234.50 EUR". */
export function formatMoney(value: DecimalValue, currency: string | null): string {
  return `${toMinor(value, currency).toFixed(minorDigits(currency))}${currency === null ? '' : ` ${currency}`}`;
}

/**
 * Splits `total` over `weights` in whole minor units, largest remainder first, so the parts add up to
 * exactly `total` (e.g. an order discount spread over its lines).
 */
export function allocate(total: DecimalValue, weights: readonly DecimalValue[], currency: string | null): Decimal[] {
  const digits = minorDigits(currency);
  const unit = new BigNumber(10).exponentiatedBy(-digits);
  const whole = toMinor(total, currency);
  const weightSum = sum(weights);
  if (weights.length === 0) return [];
  if (weightSum.isZero()) return weights.map((_, i) => (i === 0 ? whole : new BigNumber(0)));
  const exact = weights.map((w) => whole.times(w).dividedBy(weightSum));
  const parts = exact.map((e) => e.dp(digits, BigNumber.ROUND_DOWN));
  let rest = whole.minus(sum(parts));
  const step = rest.isNegative() ? unit.negated() : unit;
  const order = exact
    .map((e, i) => ({ i, remainder: e.minus(parts[i] ?? 0).abs() }))
    .sort((a, b) => b.remainder.comparedTo(a.remainder) || a.i - b.i);
  for (let k = 0; !rest.isZero() && k < order.length * 2; k++) {
    const index = order[k % order.length]!.i;
    parts[index] = parts[index]!.plus(step);
    rest = rest.minus(step);
  }
  return parts;
}
