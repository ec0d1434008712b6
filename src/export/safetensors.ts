/**
 * The weights file (DESIGN.md §9): safetensors, float32 only.
 *
 *   8 bytes   N, the header's length (unsigned 64-bit, little-endian)
 *   N bytes   a JSON object: { "<node id>/<variable>": { "dtype": "F32", "shape": [...],
 *             "data_offsets": [begin, end] }, …, "__metadata__": { string: string } }
 *             (padded with spaces to a multiple of 8 bytes)
 *   the data  each tensor's float32 values, little-endian, row-major, back to back
 *
 * Names and shapes are VAE Lab's own layouts (a dense kernel is [in, out]); the exported
 * train.py converts to and from PyTorch's. Reading is parsing only: nothing in a file is run.
 * Pure: no tfjs, no Node APIs (the app and the CLI share it).
 */

export interface NamedArray {
  name: string;
  shape: number[];
  data: Float32Array;
}

export interface WeightsFile {
  tensors: NamedArray[];
  metadata: Record<string, string>;
}

export type DecodeResult = { ok: true; file: WeightsFile } | { ok: false; message: string };

/** Refuse headers beyond this (the format's own reference reader uses 100 MB). */
export const MAX_HEADER_BYTES = 100 * 1024 * 1024;

const encoder = new TextEncoder();

export function encodeSafetensors(tensors: readonly NamedArray[], metadata: Record<string, string> = {}): Uint8Array {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length) header.__metadata__ = metadata;
  let offset = 0;
  for (const t of tensors) {
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (count !== t.data.length) throw new RangeError(`${t.name}: shape [${t.shape.join(', ')}] holds ${count} values, data has ${t.data.length}`);
    if (t.name === '__metadata__' || Object.prototype.hasOwnProperty.call(header, t.name)) throw new RangeError(`${t.name}: a name used twice`);
    header[t.name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + count * 4] };
    offset += count * 4;
  }
  let json = JSON.stringify(header);
  const pad = (8 - (encoder.encode(json).length % 8)) % 8;
  json += ' '.repeat(pad);
  const headerBytes = encoder.encode(json);
  const out = new Uint8Array(8 + headerBytes.length + offset);
  const view = new DataView(out.buffer);
  view.setUint32(0, headerBytes.length, true);
  view.setUint32(4, 0, true);
  out.set(headerBytes, 8);
  let at = 8 + headerBytes.length;
  for (const t of tensors) {
    const bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    if (littleEndian()) out.set(bytes, at);
    else for (let i = 0; i < t.data.length; i++) view.setFloat32(at + i * 4, t.data[i]!, true);
    at += t.data.byteLength;
  }
  return out;
}

export function decodeSafetensors(bytes: Uint8Array): DecodeResult {
  const fail = (message: string): DecodeResult => ({ ok: false, message });
  if (bytes.length < 8) return fail(`the file is ${bytes.length} bytes, shorter than a safetensors header.`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lo = view.getUint32(0, true);
  const hi = view.getUint32(4, true);
  if (hi !== 0 || lo > MAX_HEADER_BYTES) return fail('its header length is implausible: not a safetensors file.');
  if (8 + lo > bytes.length) return fail(`its header claims ${lo} bytes but the file has ${bytes.length - 8} after the length.`);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + lo)));
  } catch (e) {
    return fail(`its header is not JSON (${(e as Error).message}).`);
  }
  if (!header || typeof header !== 'object' || Array.isArray(header)) return fail('its header is not a JSON object.');
  const base = 8 + lo;
  const dataLength = bytes.length - base;
  const metadata: Record<string, string> = {};
  const entries: Array<{ name: string; shape: number[]; begin: number; end: number }> = [];
  for (const [name, spec] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (!spec || typeof spec !== 'object' || Array.isArray(spec)) return fail('__metadata__ is not an object.');
      for (const [k, v] of Object.entries(spec as Record<string, unknown>)) {
        if (typeof v !== 'string') return fail(`__metadata__.${k} is not a string.`);
        metadata[k] = v;
      }
      continue;
    }
    const s = spec as { dtype?: unknown; shape?: unknown; data_offsets?: unknown } | null;
    if (!s || typeof s !== 'object') return fail(`tensor ${JSON.stringify(name)} has no description.`);
    if (s.dtype !== 'F32') return fail(`tensor ${JSON.stringify(name)} is ${JSON.stringify(s.dtype)}; VAE Lab weights are float32 (F32).`);
    if (!Array.isArray(s.shape) || !s.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) return fail(`tensor ${JSON.stringify(name)} has a bad shape.`);
    const off = s.data_offsets;
    if (!Array.isArray(off) || off.length !== 2 || !off.every((d) => Number.isSafeInteger(d) && d >= 0) || off[0] > off[1] || off[1] > dataLength) {
      return fail(`tensor ${JSON.stringify(name)} has data offsets outside the file.`);
    }
    const count = (s.shape as number[]).reduce((a, b) => a * b, 1);
    if ((off[1] - off[0]) !== count * 4) return fail(`tensor ${JSON.stringify(name)}: shape [${(s.shape as number[]).join(', ')}] needs ${count * 4} bytes, its offsets give ${off[1] - off[0]}.`);
    entries.push({ name, shape: s.shape as number[], begin: off[0], end: off[1] });
  }
  // The data must be covered exactly, without overlaps or holes (as the reference reader checks).
  const sorted = [...entries].sort((a, b) => a.begin - b.begin);
  let expect = 0;
  for (const e of sorted) {
    if (e.begin !== expect) return fail(`tensor ${JSON.stringify(e.name)} overlaps another or leaves a hole before it.`);
    expect = e.end;
  }
  if (expect !== dataLength) return fail(`the tensors cover ${expect} bytes of data, the file holds ${dataLength}.`);
  const tensors: NamedArray[] = entries.map((e) => {
    const data = new Float32Array((e.end - e.begin) / 4);
    for (let i = 0; i < data.length; i++) data[i] = view.getFloat32(base + e.begin + i * 4, true);
    return { name: e.name, shape: e.shape, data };
  });
  return { ok: true, file: { tensors, metadata } };
}

let le: boolean | null = null;
function littleEndian(): boolean {
  le ??= new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
  return le;
}
