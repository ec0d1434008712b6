/**
 * Inflating untrusted bytes (a share link, a PNG's text chunk) with a ceiling: the output is
 * counted as it comes, and inflating stops as soon as it passes `maxBytes` (a small input can
 * inflate a thousandfold). fflate's streaming inflaters, fed a little input at a time, so the
 * output of one push stays bounded (DEFLATE expands at most ~1,032×: 512 input bytes give at
 * most ~0.5 MB).
 */
import { Inflate, Unzlib } from 'fflate';

export type InflateResult = { ok: true; bytes: Uint8Array } | { ok: false; reason: 'too-large' | 'corrupt'; message: string };

const PUSH_BYTES = 512;

/** Raw DEFLATE ('raw', as the share link) or zlib-wrapped ('zlib', as a compressed PNG iTXt chunk). */
export function inflateLimited(input: Uint8Array, maxBytes: number, wrapper: 'raw' | 'zlib' = 'raw'): InflateResult {
  const parts: Uint8Array[] = [];
  let total = 0;
  let over = false;
  let ended = false;
  const onData = (chunk: Uint8Array, final: boolean) => {
    if (over) return;
    total += chunk.length;
    if (total > maxBytes) {
      over = true;
      return;
    }
    parts.push(chunk);
    if (final) ended = true;
  };
  const stream = wrapper === 'raw' ? new Inflate(onData) : new Unzlib(onData);
  try {
    for (let at = 0; at < input.length && !over; at += PUSH_BYTES) {
      const end = Math.min(input.length, at + PUSH_BYTES);
      stream.push(input.subarray(at, end), end === input.length);
    }
    if (input.length === 0) stream.push(new Uint8Array(0), true);
  } catch (e) {
    return { ok: false, reason: 'corrupt', message: `it is not valid compressed data (${e instanceof Error ? e.message : String(e)})` };
  }
  if (over) return { ok: false, reason: 'too-large', message: `it inflates to more than ${maxBytes.toLocaleString('en-US')} bytes` };
  if (!ended) return { ok: false, reason: 'corrupt', message: 'the compressed data ends early' };
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return { ok: true, bytes: out };
}
