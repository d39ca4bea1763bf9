import { z } from 'zod';
import { durationSchema } from '../../config/duration.js';
import { externalUrlSchema } from '../../config/external-url.js';

const path = z.string().regex(/^\/[A-Za-z0-9/_.-]*$/, 'expected a path starting with "/"');

/**
 * The most postings a list gives in one page: `maximum: 100` of `limit` in posting.v4.PostingFbsListRequest
 * and posting.v3.PostingFboListRequest (Ozon's OpenAPI document).
 */
export const ozonMaxPageSize = 100;

export const ozonConfigSchema = z.strictObject({
  baseUrl: externalUrlSchema.default('https://api-seller.ozon.ru'),
  clientId: z.string().min(1),
  apiKey: z.string().min(8),
  /** Which postings to read: FBS (shipped by the seller) and FBO (shipped from Ozon's warehouses). */
  schemes: z.array(z.enum(['fbs', 'fbo'])).min(1).default(['fbs', 'fbo']),
  /**
   * The FBS list: v4 (cursor paging, current) or v3 (offset paging; deprecated, switched off from 2026-06-01),
   * for accounts that still answer it.
   */
  fbsList: z.enum(['v4', 'v3']).default('v4'),
  /**
   * The FBO list: v3 (cursor paging, current) or v2 (offset paging; deprecated, switched off from 2026-06-01),
   * for accounts that still answer it.
   */
  fboList: z.enum(['v3', 'v2']).default('v3'),
  paths: z
    .strictObject({
      fbsListV4: path.default('/v4/posting/fbs/list'),
      fboListV3: path.default('/v3/posting/fbo/list'),
      fbsListV3: path.default('/v3/posting/fbs/list'),
      fboListV2: path.default('/v2/posting/fbo/list'),
      fbsGet: path.default('/v3/posting/fbs/get'),
      accrualPostings: path.default('/v1/finance/accrual/postings'),
      accrualTypes: path.default('/v1/finance/accrual/types'),
    })
    .prefault({}),
  /**
   * Ozon's service charges (logistics, last mile, acquiring, …) from its accruals API. Accruals that carry a
   * unit price are the sale itself (the revenue and the sale commission, which comes from the posting) and are
   * never counted; `excludeTypes` leaves out more accrual types by id.
   */
  serviceCharges: z
    .strictObject({
      enabled: z.boolean().default(true),
      excludeTypes: z.array(z.number().int()).default([]),
      /** The accrual type names are read once and kept this long (an unknown type id reads them again). */
      typesTtl: durationSchema.default(86_400_000),
    })
    .prefault({}),
  /** Postings in these statuses are not exported (they are not sales). */
  skipStatuses: z.array(z.string().min(1)).default(['cancelled', 'cancelled_from_split_pending']),
  timeout: durationSchema.default(30_000),
  /** A read that meets a 429 or a 5xx is repeated this many times in all before the run gives up. */
  readAttempts: z.number().int().min(1).max(10).default(5),
});

export type OzonConfig = z.infer<typeof ozonConfigSchema>;
