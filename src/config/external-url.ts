import { z } from 'zod';
import { checkExternalUrl } from '../core/url.js';

/** A base URL of another system: HTTPS, or plain http to this machine only (tests, the demo). */
export const externalUrlSchema = z.string().superRefine((value, ctx) => {
  const problem = checkExternalUrl(value);
  if (problem !== null) ctx.addIssue({ code: 'custom', message: problem });
});
