// `<data_dir>/ca/<type>/state.json`: which CA generation signs, and which earlier ones are still
// trusted until when. Certificates sit next to it as `<id>.crt`, private keys as `<id>.key` (0600).
import { z } from 'zod';
import { CA_TYPES } from './create-ca.js';
import { KEY_ALGORITHMS } from './keys.js';

const Timestamp = z.iso.datetime({ offset: true });

export const CaEntrySchema = z.strictObject({
  id: z.string().regex(/^[0-9a-f]{16}$/),
  algorithm: z.enum(KEY_ALGORITHMS),
  created: Timestamp,
  /** Set on a rotated-out CA: it verifies certificates until then, and signs nothing. */
  trusted_until: Timestamp.optional(),
});

export const CaStateSchema = z.strictObject({
  version: z.literal(1),
  type: z.enum(CA_TYPES),
  active: CaEntrySchema,
  previous: z.array(CaEntrySchema),
});

export type CaEntry = z.infer<typeof CaEntrySchema>;
export type CaState = z.infer<typeof CaStateSchema>;
