/**
 * Images as they cross the worker boundary, parsed with zod on arrival: the training grids
 * (protocol.ts) and the latent views (instruments-protocol.ts) share this one shape. Grey
 * (one byte a pixel) unless `channels` is 3 (RGB, channels last as a data node gives them).
 */
import { z } from 'zod';

export const ImageBlock = z.object({
  count: z.number().int(),
  width: z.number().int(),
  height: z.number().int(),
  /** 1 (grey, the default) or 3 (RGB). */
  channels: z.union([z.literal(1), z.literal(3)]).optional(),
  /** count × height × width × channels values 0…255, row-major, channels last, image after image. */
  pixels: z.instanceof(Uint8Array),
});
export type ImageBlock = z.infer<typeof ImageBlock>;
