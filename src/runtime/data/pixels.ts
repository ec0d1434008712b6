/**
 * PNG and JPEG files to pixels, with pure-JS decoders (fast-png, jpeg-js), so that the app's
 * worker and the CLI give the same numbers (DESIGN.md section 7): RGB → grey as
 * 0.299R + 0.587G + 0.114B, a bilinear resize with half-pixel centres (PyTorch's
 * F.interpolate(mode="bilinear", align_corners=False), no antialiasing), rounded to bytes.
 * Alpha is ignored, as PIL's convert("L") / convert("RGB") ignore it. Pure: no DOM, no Node.
 */
import { convertIndexedToRgb, decode as decodePng } from 'fast-png';
import jpeg from 'jpeg-js';

/** A decoded image: h × w × c floats in 0…255, channels last. */
export interface Pixels {
  w: number;
  h: number;
  c: 1 | 3;
  data: Float32Array;
}

export function isPng(b: Uint8Array): boolean {
  return b.length >= 8 && b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47;
}

export function isJpeg(b: Uint8Array): boolean {
  return b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff;
}

/** Width and height from a PNG's IHDR or a JPEG's SOF marker, without decoding; null if not found. */
export function imageSize(b: Uint8Array): { w: number; h: number } | null {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (isPng(b)) return b.length >= 24 ? { w: v.getUint32(16), h: v.getUint32(20) } : null;
  if (isJpeg(b)) {
    let i = 2;
    while (i + 9 < b.length) {
      if (b[i] !== 0xff) return null;
      const marker = b[i + 1]!;
      if (marker === 0xff) {
        i++;
        continue;
      }
      const len = v.getUint16(i + 2);
      // SOF0…SOF15 except DHT (C4), JPG (C8) and DAC (CC)
      if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
        return { h: v.getUint16(i + 5), w: v.getUint16(i + 7) };
      }
      i += 2 + len;
    }
  }
  return null;
}

/** Decodes a PNG or JPEG (sniffed from its bytes) to floats 0…255 with 1 or 3 channels. Throws an Error saying why it cannot. */
export function decodeImage(b: Uint8Array, maxPixels: number): Pixels {
  if (isPng(b)) return fromPng(b);
  if (isJpeg(b)) {
    const img = jpeg.decode(b, { useTArray: true, formatAsRGBA: false, maxResolutionInMP: maxPixels / 1e6, maxMemoryUsageInMB: 1024 });
    const data = new Float32Array(img.width * img.height * 3);
    for (let i = 0; i < data.length; i++) data[i] = img.data[i]!;
    return { w: img.width, h: img.height, c: 3, data };
  }
  throw new Error('it is neither a PNG nor a JPEG');
}

function fromPng(b: Uint8Array): Pixels {
  const png = decodePng(b);
  const { width: w, height: h } = png;
  let src: ArrayLike<number> = png.data;
  let channels = png.channels;
  let max = png.depth === 16 ? 65535 : 255;
  if (png.palette) {
    src = convertIndexedToRgb(png);
    channels = png.palette[0]!.length;
    max = 255;
  } else if (png.depth < 8) {
    src = unpackBits(png.data as Uint8Array, w, h, channels, png.depth);
    max = (1 << png.depth) - 1;
  }
  const grey = channels <= 2;
  const c = grey ? 1 : 3;
  const data = new Float32Array(w * h * c);
  const k = 255 / max;
  for (let p = 0; p < w * h; p++) {
    for (let j = 0; j < c; j++) data[p * c + j] = src[p * channels + j]! * k;
  }
  return { w, h, c, data };
}

/** Rows of 1-, 2- or 4-bit samples (each row starts on a byte) to one number per sample. */
function unpackBits(packed: Uint8Array, w: number, h: number, channels: number, depth: number): Uint8Array {
  const perRow = w * channels;
  const rowBytes = Math.ceil((perRow * depth) / 8);
  const out = new Uint8Array(perRow * h);
  const mask = (1 << depth) - 1;
  for (let y = 0; y < h; y++) {
    for (let i = 0; i < perRow; i++) {
      const bit = i * depth;
      const byte = packed[y * rowBytes + (bit >> 3)]!;
      out[y * perRow + i] = (byte >> (8 - depth - (bit & 7))) & mask;
    }
  }
  return out;
}

/** The same image with `c` channels: RGB → grey as 0.299R + 0.587G + 0.114B; grey → RGB by copying. */
export function toChannels(img: Pixels, c: 1 | 3): Pixels {
  if (img.c === c) return img;
  const n = img.w * img.h;
  const data = new Float32Array(n * c);
  if (c === 1) {
    for (let p = 0; p < n; p++) data[p] = 0.299 * img.data[p * 3]! + 0.587 * img.data[p * 3 + 1]! + 0.114 * img.data[p * 3 + 2]!;
  } else {
    for (let p = 0; p < n; p++) data[p * 3] = data[p * 3 + 1] = data[p * 3 + 2] = img.data[p]!;
  }
  return { w: img.w, h: img.h, c, data };
}

/** Source coordinate, lower index, upper index and weight for each output index (half-pixel centres, clamped below at 0). */
function axis(inSize: number, outSize: number): { i0: Int32Array; i1: Int32Array; t: Float32Array } {
  const scale = inSize / outSize;
  const i0 = new Int32Array(outSize);
  const i1 = new Int32Array(outSize);
  const t = new Float32Array(outSize);
  for (let o = 0; o < outSize; o++) {
    const s = Math.max(0, (o + 0.5) * scale - 0.5);
    const a = Math.min(Math.floor(s), inSize - 1);
    i0[o] = a;
    i1[o] = a < inSize - 1 ? a + 1 : a;
    t[o] = s - a;
  }
  return { i0, i1, t };
}

/** Bilinear resize to size × size, rounded and clamped to bytes 0…255, written at `out[offset…]`. */
export function resizeToBytes(img: Pixels, size: number, out: Uint8Array, offset: number): void {
  const { w, h, c, data } = img;
  if (w === size && h === size) {
    for (let i = 0; i < data.length; i++) out[offset + i] = clampByte(data[i]!);
    return;
  }
  const ax = axis(w, size);
  const ay = axis(h, size);
  for (let y = 0; y < size; y++) {
    const r0 = ay.i0[y]! * w;
    const r1 = ay.i1[y]! * w;
    const ty = ay.t[y]!;
    for (let x = 0; x < size; x++) {
      const x0 = ax.i0[x]!;
      const x1 = ax.i1[x]!;
      const tx = ax.t[x]!;
      for (let k = 0; k < c; k++) {
        const top = data[(r0 + x0) * c + k]! * (1 - tx) + data[(r0 + x1) * c + k]! * tx;
        const bottom = data[(r1 + x0) * c + k]! * (1 - tx) + data[(r1 + x1) * c + k]! * tx;
        out[offset + (y * size + x) * c + k] = clampByte(top * (1 - ty) + bottom * ty);
      }
    }
  }
}

function clampByte(v: number): number {
  return v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v);
}
