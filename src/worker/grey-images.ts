/**
 * Tensor values as grey images for the views: the training grids, the latent views and the
 * probe's thumbnails all post `ImageBlock`s (count × width × height bytes 0…255).
 */
import type { ImageBlock } from './image-block';
import { structureWidth, type DataStructure } from '../graph/structure';

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

/** Floats in [0,1] (clamped; NaN and ±Infinity as 0) as `count` images of h × w × c (c 1 or 3, channels last). */
export function imageBlock(v: ArrayLike<number>, count: number, h: number, w: number, c: 1 | 3): ImageBlock {
  const px = new Uint8Array(count * h * w * c);
  for (let i = 0; i < px.length; i++) {
    const x = v[i]!;
    px[i] = Number.isFinite(x) ? Math.round(Math.min(1, Math.max(0, x)) * 255) : 0;
  }
  return c === 1 ? { count, width: w, height: h, pixels: px } : { count, width: w, height: h, channels: 3, pixels: px };
}

/**
 * `count` examples of `features` values as images: in the data's own H × W × C when it is an
 * image of that width (any size, grey or RGB), else square grey images when `features` is a
 * square and the data is not a table or a sequence; null when they are not images.
 */
export function imagesOf(v: ArrayLike<number>, count: number, features: number, structure?: DataStructure): ImageBlock | null {
  if (structure?.kind === 'image' && structureWidth(structure) === features && (structure.c === 1 || structure.c === 3)) {
    return imageBlock(v, count, structure.h, structure.w, structure.c);
  }
  if (structure && structure.kind !== 'image') return null;
  return squareSide(features) ? greyImages(v, count, features) : null;
}
