/**
 * Data files built in tests: CSV text, IDX bytes, zips of PNG/JPEG images, gzip bombs.
 */
import { gzipSync, zipSync, type Zippable } from 'fflate';
import { encode as encodePng } from 'fast-png';
import jpeg from 'jpeg-js';

export const text = (s: string): Uint8Array => new TextEncoder().encode(s);

/** An IDX file of unsigned bytes: magic 0x00 0x00 0x08 ndim, big-endian dims, then the data. */
export function idx(dims: number[], data?: Uint8Array, type = 0x08): Uint8Array {
  const count = dims.reduce((a, b) => a * b, 1);
  const body = data ?? Uint8Array.from({ length: count }, (_, i) => (i * 37) % 256);
  const out = new Uint8Array(4 + 4 * dims.length + body.length);
  const v = new DataView(out.buffer);
  out[2] = type;
  out[3] = dims.length;
  dims.forEach((d, i) => v.setUint32(4 + 4 * i, d));
  out.set(body, 4 + 4 * dims.length);
  return out;
}

export function gz(bytes: Uint8Array): Uint8Array {
  return gzipSync(bytes);
}

/**
 * A gzip file of `mb` MiB of zeros after `header`: one member per MiB (gzip allows many
 * members back to back), so it is built in milliseconds.
 */
export function gzipBomb(mb: number, header?: Uint8Array): Uint8Array {
  const member = gzipSync(new Uint8Array(1 << 20), { level: 9 });
  const first = header ? gzipSync(header) : new Uint8Array(0);
  const out = new Uint8Array(first.length + mb * member.length);
  out.set(first, 0);
  for (let i = 0; i < mb; i++) out.set(member, first.length + i * member.length);
  return out;
}

/** A w × h PNG: grey (1 channel) or RGB (3), pixel values from `f(x, y, channel)`. */
export function png(w: number, h: number, channels: 1 | 3 | 4, f: (x: number, y: number, c: number) => number): Uint8Array {
  const data = new Uint8Array(w * h * channels);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let c = 0; c < channels; c++) data[(y * w + x) * channels + c] = f(x, y, c);
  return encodePng({ width: w, height: h, data, channels, depth: 8 });
}

/** A w × h JPEG (quality 100) of RGB pixels from `f`. */
export function jpg(w: number, h: number, f: (x: number, y: number, c: number) => number): Uint8Array {
  const data = new Uint8Array(w * h * 4);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let c = 0; c < 4; c++) data[(y * w + x) * 4 + c] = c === 3 ? 255 : f(x, y, c);
  return new Uint8Array(jpeg.encode({ width: w, height: h, data }, 100).data);
}

export function zip(files: Record<string, Uint8Array>, level: 0 | 1 | 6 = 0): Uint8Array {
  const z: Zippable = {};
  for (const [k, v] of Object.entries(files)) z[k] = [v, { level }];
  return zipSync(z);
}
