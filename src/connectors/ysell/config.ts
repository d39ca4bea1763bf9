import { z } from 'zod';
import { durationSchema } from '../../config/duration.js';
import { externalUrlSchema } from '../../config/external-url.js';
import { odooDefaults } from '../odoo/fields.js';
import { defaultYsellPaths } from './client.js';

const path = z.string().regex(/^\/[A-Za-z0-9/_.-]*$/, 'expected a path starting with "/"');

export const ysellConfigSchema = z.strictObject({
  /** The account's own host, e.g. https://719.eu6.ysell.pro: Ysell has no shared API host. */
  baseUrl: externalUrlSchema,
  /**
   * Where the API key comes from: by default the system parameter ysell.api_key of the Odoo connection
   * "odoo", so that it is kept (and rotated) in Odoo's settings. A literal key (from ${ENV}) also works.
   */
  apiKey: z
    .union([
      z.strictObject({ fromConnection: z.string().min(1), parameter: z.string().min(1).default(odooDefaults.ysellApiKeyParameter) }),
      z.strictObject({ value: z.string().min(8) }),
    ])
    .prefault({ fromConnection: 'odoo' }),
  /** How long a key read from the source is trusted; a 401 re-reads it at once. */
  apiKeyTtl: durationSchema.default(600_000),
  timeout: durationSchema.default(15_000),
  paths: z
    .strictObject({
      create: path.default(defaultYsellPaths.create),
      status: path.default(defaultYsellPaths.status),
      find: path.default(defaultYsellPaths.find),
    })
    .prefault({}),
});

export type YsellConfig = z.infer<typeof ysellConfigSchema>;
