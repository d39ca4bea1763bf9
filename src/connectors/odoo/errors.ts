import { z } from 'zod';
import { retryable, type IntegrationError } from '../../core/errors.js';

/** An answer of a shape we cannot read: Odoo answering oddly (retryable), never a crash. */
export function malformed(operation: string, problem: unknown): IntegrationError {
  const text = problem instanceof z.ZodError ? z.prettifyError(problem) : String(problem);
  return retryable('MALFORMED_RESPONSE', `Odoo ${operation} returned data we cannot read: ${text}`, {
    context: { system: 'odoo', operation },
  });
}
