import { z } from 'zod';
import { durationSchema } from '../../config/duration.js';
import { externalUrlSchema } from '../../config/external-url.js';

const path = z.string().regex(/^\/[A-Za-z0-9/_.-]*$/, 'expected a path starting with "/"');

export const ozonConfigSchema = z.strictObject({
  baseUrl: externalUrlSchema.default('https://api-seller.ozon.ru'),
  clientId: z.string().min(1),
  apiKey: z.string().min(8),
  /** Which postings to read: FBS (shipped by the seller) and FBO (shipped from Ozon's warehouses). */
  schemes: z.array(z.enum(['fbs', 'fbo'])).min(1).default(['fbs', 'fbo']),
  /**
   * The FBS list: v4 (cursor paging, current) or v3 (offset paging; Ozon announced it disabled on
   * 2026-06-01, kept for accounts that still answer it).
   */
  fbsList: z.enum(['v4', 'v3']).default('v4'),
  paths: z
    .strictObject({
      fbsListV4: path.default('/v4/posting/fbs/list'),
      fbsListV3: path.default('/v3/posting/fbs/list'),
      fboList: path.default('/v2/posting/fbo/list'),
      fbsGet: path.default('/v3/posting/fbs/get'),
      fboGet: path.default('/v2/posting/fbo/get'),
    })
    .prefault({}),
  /** Postings in these statuses are not exported (they are not sales). */
  skipStatuses: z.array(z.string().min(1)).default(['cancelled', 'cancelled_from_split_pending']),
  timeout: durationSchema.default(30_000),
  /** A read that meets a 429 or a 5xx is repeated this many times in all before the run gives up. */
  readAttempts: z.number().int().min(1).max(10).default(5),
});

export type OzonConfig = z.infer<typeof ozonConfigSchema>;
