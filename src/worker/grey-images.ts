/**
 * Tensor values as grey images for the views: the training grids, the latent views and the
 * probe's thumbnails all post `ImageBlock`s (count × width × height bytes 0…255).
 */
import type { ImageBlock } from './image-block';

/** The side of a square image of `features` pixels (at least 4×4), or null when it is not one. */
export function squareSide(features: number): number | null {
  const s = Math.round(Math.sqrt(features));
  return s * s === features && s >= 4 ? s : null;
}

/** Floats (clamped to [0,1]; NaN and ±Infinity as 0) as grey bytes; `count` square images of `features` pixels. */
export function greyImages(v: ArrayLike<number>, count: number, features: number): ImageBlock {
  const side = Math.round(Math.sqrt(features));
  const px = new Uint8Array(count * features);
  for (let i = 0; i < px.length; i++) {
    const x = v[i]!;
    px[i] = Number.isFinite(x) ? Math.round(Math.min(1, Math.max(0, x)) * 255) : 0;
  }
  return { count, width: side, height: side, pixels: px };
}
