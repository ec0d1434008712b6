/**
 * PNG text chunks (DESIGN.md §9): every PNG VAE Lab exports carries the graph, the seed and
 * the step in iTXt chunks (`vae-lab:graph`, `vae-lab:seed`, `vae-lab:step`), and a PNG
 * dropped on the canvas opens the graph it carries. fast-png writes only Latin-1 tEXt, so
 * this small module adds and reads iTXt (PNG 1.2 §11.3.4.5; UTF-8, the graph zlib-compressed)
 * on a PNG's bytes as the browser encoded them. Reading checks the signature and each text
 * chunk's CRC, and inflates with the file limit as its ceiling. Pure: no DOM, no tfjs.
 */
import { zlibSync } from 'fflate';
import { error, type Diagnostic } from './diagnostics';
import { inflateLimited } from './inflate';
import { LIMITS } from './schema';

export const PNG_GRAPH_KEY = 'vae-lab:graph';
export const PNG_SEED_KEY = 'vae-lab:seed';
export const PNG_STEP_KEY = 'vae-lab:step';

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 (ISO 3309, as PNG and zlib use it). */
export function crc32(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let c = 0xffffffff;
  for (let i = start; i < end; i++) c = CRC_TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

export function isPng(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && SIGNATURE.every((b, i) => bytes[i] === b);
}

interface Chunk {
  type: string;
  /** Offset of the chunk's length field. */
  at: number;
  dataStart: number;
  dataEnd: number;
  /** Offset just past its CRC. */
  end: number;
}

function readChunks(png: Uint8Array): Chunk[] | string {
  if (!isPng(png)) return 'it is not a PNG image (its signature is wrong)';
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  const chunks: Chunk[] = [];
  let at = 8;
  while (at + 12 <= png.length) {
    const length = view.getUint32(at);
    const type = String.fromCharCode(png[at + 4]!, png[at + 5]!, png[at + 6]!, png[at + 7]!);
    const dataStart = at + 8;
    const dataEnd = dataStart + length;
    if (dataEnd + 4 > png.length) return `its ${type} chunk runs past the end of the file`;
    chunks.push({ type, at, dataStart, dataEnd, end: dataEnd + 4 });
    at = dataEnd + 4;
    if (type === 'IEND') return chunks;
  }
  return 'it has no IEND chunk (the file is cut short)';
}

const latin1 = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));
const utf8 = new TextEncoder();

function checkKeyword(key: string): void {
  if (!/^[\x20-\x7e\xa1-\xff]{1,79}$/.test(key) || key.startsWith(' ') || key.endsWith(' ') || key.includes('  ')) {
    throw new RangeError(`"${key}" is not a PNG text keyword (1–79 Latin-1 characters)`);
  }
}

/** One iTXt chunk: keyword, compression flag and method, empty language and translated keyword, the text. */
export function iTXtChunk(key: string, text: string, compress: boolean): Uint8Array {
  checkKeyword(key);
  const k = latin1(key);
  const raw = utf8.encode(text);
  const body = compress ? zlibSync(raw, { level: 9 }) : raw;
  const data = new Uint8Array(k.length + 5 + body.length);
  data.set(k, 0);
  let o = k.length;
  data[o++] = 0; // keyword terminator
  data[o++] = compress ? 1 : 0;
  data[o++] = 0; // compression method: zlib
  data[o++] = 0; // language tag: none
  data[o++] = 0; // translated keyword: none
  data.set(body, o);
  const chunk = new Uint8Array(12 + data.length);
  const view = new DataView(chunk.buffer);
  view.setUint32(0, data.length);
  chunk.set(latin1('iTXt'), 4);
  chunk.set(data, 8);
  view.setUint32(8 + data.length, crc32(chunk, 4, 8 + data.length));
  return chunk;
}

/**
 * The PNG with these iTXt entries added just before IEND (an existing iTXt chunk with one of
 * these keywords is dropped). Texts over 1 KB are zlib-compressed.
 */
export function addPngText(png: Uint8Array, entries: Record<string, string>): Uint8Array {
  const chunks = readChunks(png);
  if (typeof chunks === 'string') throw new RangeError(`addPngText: ${chunks}`);
  const keys = new Set(Object.keys(entries));
  const kept: Uint8Array[] = [png.subarray(0, 8)];
  for (const c of chunks) {
    if (c.type === 'IEND') break;
    if (c.type === 'iTXt') {
      const parsed = parseITXt(png.subarray(c.dataStart, c.dataEnd));
      if (parsed && keys.has(parsed.key)) continue;
    }
    kept.push(png.subarray(c.at, c.end));
  }
  for (const [k, v] of Object.entries(entries)) kept.push(iTXtChunk(k, v, utf8.encode(v).length > 1024));
  const iend = chunks[chunks.length - 1]!;
  kept.push(png.subarray(iend.at, iend.end));
  const out = new Uint8Array(kept.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of kept) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

interface ParsedITXt {
  key: string;
  compressed: boolean;
  body: Uint8Array;
}

function parseITXt(data: Uint8Array): ParsedITXt | null {
  const z1 = data.indexOf(0);
  if (z1 < 1 || z1 > 79 || z1 + 3 > data.length) return null;
  const key = String.fromCharCode(...data.subarray(0, z1));
  const compressed = data[z1 + 1] === 1;
  if (compressed && data[z1 + 2] !== 0) return null;
  const z2 = data.indexOf(0, z1 + 3); // end of the language tag
  if (z2 < 0) return null;
  const z3 = data.indexOf(0, z2 + 1); // end of the translated keyword
  if (z3 < 0) return null;
  return { key, compressed, body: data.subarray(z3 + 1) };
}

export type ReadPngTextResult = { ok: true; texts: Record<string, string> } | { ok: false; message: string; tooLarge?: boolean };

/**
 * Every iTXt entry of a PNG whose CRC holds, keyed by keyword (the first of a keyword wins).
 * A compressed text inflates to at most `maxBytes` (else the read fails: nothing is returned).
 */
export function readPngText(png: Uint8Array, maxBytes: number): ReadPngTextResult {
  const chunks = readChunks(png);
  if (typeof chunks === 'string') return { ok: false, message: chunks };
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  const texts: Record<string, string> = Object.create(null) as Record<string, string>;
  const decoder = new TextDecoder('utf-8', { fatal: true });
  for (const c of chunks) {
    if (c.type !== 'iTXt') continue;
    if (crc32(png, c.at + 4, c.dataEnd) !== view.getUint32(c.dataEnd)) return { ok: false, message: 'a text chunk is damaged (its CRC does not match)' };
    const parsed = parseITXt(png.subarray(c.dataStart, c.dataEnd));
    if (!parsed || parsed.key in texts) continue;
    let body = parsed.body;
    if (parsed.compressed) {
      const r = inflateLimited(body, maxBytes, 'zlib');
      if (!r.ok) return { ok: false, message: `its ${parsed.key} text ${r.message}`, tooLarge: r.reason === 'too-large' };
      body = r.bytes;
    } else if (body.length > maxBytes) {
      return { ok: false, message: `its ${parsed.key} text is over ${maxBytes.toLocaleString('en-US')} bytes`, tooLarge: true };
    }
    try {
      texts[parsed.key] = decoder.decode(body);
    } catch {
      return { ok: false, message: `its ${parsed.key} text is not UTF-8` };
    }
  }
  return { ok: true, texts };
}

export type GraphFromPngResult = { ok: true; text: string; seed: string | null; step: string | null } | { ok: false; diagnostic: Diagnostic };

/**
 * The graph file's text a VAE Lab PNG carries (its `vae-lab:graph` chunk, inflated to at most
 * the 10 MB file limit); the caller parses it as a file. PNG_NO_GRAPH when the image carries
 * none or is damaged, TOO_LARGE when the graph inflates past the limit.
 */
export function graphFromPng(png: Uint8Array, name = 'The image'): GraphFromPngResult {
  const fix = 'Drop a PNG that VAE Lab exported (a chart or an image grid), or open the graph’s .json file.';
  if (!isPng(png)) return { ok: false, diagnostic: error('PNG_NO_GRAPH', `${name} is not a PNG image.`, { fix }) };
  const r = readPngText(png, LIMITS.fileBytes);
  if (!r.ok) {
    return r.tooLarge
      ? { ok: false, diagnostic: error('TOO_LARGE', `${name}: ${r.message}; graphs are limited to 10 MB.`) }
      : { ok: false, diagnostic: error('PNG_NO_GRAPH', `${name} cannot be read: ${r.message}.`, { fix }) };
  }
  const text = r.texts[PNG_GRAPH_KEY];
  if (text === undefined) return { ok: false, diagnostic: error('PNG_NO_GRAPH', `${name} carries no VAE Lab graph (it has no "${PNG_GRAPH_KEY}" text chunk).`, { fix }) };
  return { ok: true, text, seed: r.texts[PNG_SEED_KEY] ?? null, step: r.texts[PNG_STEP_KEY] ?? null };
}
