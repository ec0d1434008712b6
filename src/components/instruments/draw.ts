/**
 * Canvas helpers for the instrument views: grey image tiles at their native size (an atlas
 * that views draw scaled), and a canvas sized for the device's pixel ratio.
 */
import type { ImageBlock } from '../../worker/image-block';
import { blankImage, pixelContext, putGrey } from '../greyImages';

/** Tiles `images` (count × w × h grey bytes) into a native-size canvas, `cols` per row. */
export function atlas(images: ImageBlock, cols: number, gap = 0, background = 216): HTMLCanvasElement {
  const { count, width: w, height: h } = images;
  const rows = Math.ceil(count / cols);
  const c = document.createElement('canvas');
  c.width = Math.max(1, cols * w + (cols - 1) * gap);
  c.height = Math.max(1, rows * h + (rows - 1) * gap);
  const img = blankImage(c.width, c.height, [background, background, background]);
  for (let i = 0; i < count; i++) putGrey(img, images, i, (i % cols) * (w + gap), Math.floor(i / cols) * (h + gap));
  pixelContext(c).putImageData(img, 0, 0);
  return c;
}

/** Sizes a canvas to css × devicePixelRatio and returns its context scaled to CSS pixels. */
export function fitCanvas(canvas: HTMLCanvasElement, cssW: number, cssH: number): CanvasRenderingContext2D {
  const dpr = Math.min(3, Math.max(1, window.devicePixelRatio || 1));
  const W = Math.round(cssW * dpr);
  const H = Math.round(cssH * dpr);
  if (canvas.width !== W) canvas.width = W;
  if (canvas.height !== H) canvas.height = H;
  canvas.style.width = `${cssW}px`;
  canvas.style.height = `${cssH}px`;
  const ctx = canvas.getContext('2d')!;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  return ctx;
}

/** Draws image i of `images` at (x, y), size s × s (CSS px), smoothed or pixelated. */
export function drawTile(ctx: CanvasRenderingContext2D, images: ImageBlock, i: number, x: number, y: number, s: number, smooth = false): void {
  const size = images.width * images.height * (images.channels ?? 1);
  const one = atlas({ ...images, count: 1, pixels: images.pixels.subarray(i * size, (i + 1) * size) }, 1);
  ctx.imageSmoothingEnabled = smooth;
  ctx.drawImage(one, x, y, s, s);
}
