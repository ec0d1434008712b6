/**
 * Grey images as they cross the worker boundary, parsed with zod on arrival: the training
 * grids (protocol.ts) and the latent views (instruments-protocol.ts) share this one shape.
 */
import { z } from 'zod';

export const ImageBlock = z.object({
  count: z.number().int(),
  width: z.number().int(),
  height: z.number().int(),
  /** count × width × height grey values 0…255, row-major, image after image. */
  pixels: z.instanceof(Uint8Array),
});
export type ImageBlock = z.infer<typeof ImageBlock>;
