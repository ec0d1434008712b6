/**
 * The share link (DESIGN.md §9): the graph file's text, exactly as Save writes it (ui
 * included; a graph never holds data), compressed with DEFLATE (raw, fflate) and written as
 * base64url without padding after `#g=`. Decoding refuses a fragment over 65,536 characters,
 * one that is not base64url or not DEFLATE, and stops inflating at the file limit (10 MB of
 * inflated bytes); what it returns is then validated by parseGraph exactly as a file is.
 * Pure: no DOM, no tfjs.
 */
import { deflateSync, strToU8 } from 'fflate';
import { error, type Diagnostic } from './diagnostics';
import { inflateLimited } from './inflate';
import { LIMITS } from './schema';

/** The longest fragment (the part after `#`) a link may have. */
export const MAX_SHARE_FRAGMENT = 65_536;
export const SHARE_PREFIX = 'g=';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const INDEX = new Int16Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) INDEX[ALPHABET.charCodeAt(i)] = i;

/** base64url (RFC 4648 §5) without padding. */
export function base64url(bytes: Uint8Array): string {
  let out = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]! + ALPHABET[(n >> 6) & 63]! + ALPHABET[n & 63]!;
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i]! << 16;
    out += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]!;
  } else if (rest === 2) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    out += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]! + ALPHABET[(n >> 6) & 63]!;
  }
  return out;
}

/** The bytes of base64url text without padding; null when it is not that. */
export function fromBase64url(text: string): Uint8Array | null {
  if (text.length % 4 === 1) return null;
  const out = new Uint8Array(Math.floor((text.length * 3) / 4));
  let acc = 0;
  let bits = 0;
  let o = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const v = c < 128 ? INDEX[c]! : -1;
    if (v < 0) return null;
    acc = ((acc << 6) | v) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
  }
  // The leftover bits of the last character must be zero (one spelling per byte string).
  if (bits > 0 && (acc & ((1 << bits) - 1)) !== 0) return null;
  return out;
}

/** The fragment (without '#') that carries a graph file's text. */
export function encodeShareFragment(graphText: string): string {
  return SHARE_PREFIX + base64url(deflateSync(strToU8(graphText), { level: 9 }));
}

/** The absolute link: the app's URL (its own fragment dropped) + '#' + the fragment. */
export function shareUrl(appUrl: string, graphText: string): string {
  const hash = appUrl.indexOf('#');
  return `${hash >= 0 ? appUrl.slice(0, hash) : appUrl}#${encodeShareFragment(graphText)}`;
}

/** Does this location hash (with or without '#') carry a shared graph? */
export function isShareHash(hash: string): boolean {
  return hash.replace(/^#/, '').startsWith(SHARE_PREFIX);
}

export type DecodeShareResult = { ok: true; text: string } | { ok: false; diagnostic: Diagnostic };

/**
 * The graph file's text a fragment carries ('#g=…' or 'g=…'); the caller parses it with
 * parseGraph like any file. Refused: over MAX_SHARE_FRAGMENT characters (TOO_LARGE), not
 * base64url / DEFLATE / UTF-8 (SHARE_LINK), inflating past LIMITS.fileBytes (TOO_LARGE).
 */
export function decodeShareFragment(fragment: string): DecodeShareResult {
  const frag = fragment.startsWith('#') ? fragment.slice(1) : fragment;
  const fix = 'Ask for the link again (copy all of it), or for the graph as a .json file.';
  if (frag.length > MAX_SHARE_FRAGMENT) {
    return {
      ok: false,
      diagnostic: error('TOO_LARGE', `The shared link's graph is ${frag.length.toLocaleString('en-US')} characters long; links are limited to ${MAX_SHARE_FRAGMENT.toLocaleString('en-US')}.`, {
        fix: 'Share the graph as a .json file instead.',
      }),
    };
  }
  if (!frag.startsWith(SHARE_PREFIX)) return { ok: false, diagnostic: error('SHARE_LINK', 'The link does not carry a graph (it has no "#g=" part).', { fix }) };
  const bytes = fromBase64url(decodeURIComponentSafe(frag.slice(SHARE_PREFIX.length)));
  if (!bytes || bytes.length === 0) return { ok: false, diagnostic: error('SHARE_LINK', 'The shared link is damaged: its graph is not base64url text.', { fix }) };
  const inflated = inflateLimited(bytes, LIMITS.fileBytes, 'raw');
  if (!inflated.ok) {
    return inflated.reason === 'too-large'
      ? { ok: false, diagnostic: error('TOO_LARGE', `The shared link's graph is over 10 MB once inflated; graphs are limited to 10 MB.`) }
      : { ok: false, diagnostic: error('SHARE_LINK', `The shared link is damaged: ${inflated.message}.`, { fix }) };
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(inflated.bytes);
  } catch {
    return { ok: false, diagnostic: error('SHARE_LINK', 'The shared link is damaged: its graph is not UTF-8 text.', { fix }) };
  }
  return { ok: true, text };
}

function decodeURIComponentSafe(s: string): string {
  // A mail client may percent-encode the fragment; base64url itself never needs it.
  if (!s.includes('%')) return s;
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
