/**
 * Canvas helpers for the instrument views: grey image tiles at their native size (an atlas
 * that views draw scaled), and a canvas sized for the device's pixel ratio.
 */
import type { LatentImages } from '../../worker/instruments-protocol';

/** Tiles `images` (count × w × h grey bytes) into a native-size canvas, `cols` per row. */
export function atlas(images: LatentImages, cols: number, gap = 0, background = 216): HTMLCanvasElement {
  const { count, width: w, height: h, pixels } = images;
  const rows = Math.ceil(count / cols);
  const W = cols * w + (cols - 1) * gap;
  const H = rows * h + (rows - 1) * gap;
  const c = document.createElement('canvas');
  c.width = Math.max(1, W);
  c.height = Math.max(1, H);
  const ctx = c.getContext('2d')!;
  const img = ctx.createImageData(c.width, c.height);
  img.data.fill(background);
  for (let i = 0; i < count; i++) {
    const ox = (i % cols) * (w + gap);
    const oy = Math.floor(i / cols) * (h + gap);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const v = pixels[i * w * h + y * w + x]!;
        const o = ((oy + y) * c.width + ox + x) * 4;
        img.data[o] = v;
        img.data[o + 1] = v;
        img.data[o + 2] = v;
      }
    }
  }
  for (let i = 3; i < img.data.length; i += 4) img.data[i] = 255;
  ctx.putImageData(img, 0, 0);
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
export function drawTile(ctx: CanvasRenderingContext2D, images: LatentImages, i: number, x: number, y: number, s: number, smooth = false): void {
  const one = atlas({ count: 1, width: images.width, height: images.height, pixels: images.pixels.subarray(i * images.width * images.height, (i + 1) * images.width * images.height) }, 1);
  ctx.imageSmoothingEnabled = smooth;
  ctx.drawImage(one, x, y, s, s);
}
