/**
 * The share link (DESIGN.md §9): base64url of raw DEFLATE of the graph as Save writes it; a
 * fragment over 65,536 characters, or one that is not base64url / DEFLATE / UTF-8, is refused
 * with a coded diagnostic, and inflating stops at the 10 MB file limit.
 */
import { describe, expect, it } from 'vitest';
import { deflateSync, inflateSync, strToU8 } from 'fflate';
import { base64url, decodeShareFragment, encodeShareFragment, fromBase64url, isShareHash, MAX_SHARE_FRAGMENT, shareUrl } from '../../src/graph/share';
import { inflateLimited } from '../../src/graph/inflate';
import { LIMITS, parseGraph, serializeGraph } from '../../src/graph/schema';
import { registry } from '../../nodes';
import { loadGraph, STANDARD_PATH } from '../fixtures/graph-helpers';

const standardText = () => serializeGraph(loadGraph(STANDARD_PATH), registry);

function refused(fragment: string) {
  const r = decodeShareFragment(fragment);
  expect(r.ok).toBe(false);
  return (r as { ok: false; diagnostic: { code: string; message: string } }).diagnostic;
}

describe('base64url', () => {
  it('matches Node’s base64url (no padding) for every length mod 3, and decodes back', () => {
    for (let n = 0; n < 40; n++) {
      const bytes = Uint8Array.from({ length: n }, (_, i) => (i * 97 + n * 13) & 0xff);
      const text = base64url(bytes);
      expect(text).toBe(Buffer.from(bytes).toString('base64url'));
      expect(text).not.toMatch(/[=+/]/);
      expect(fromBase64url(text)).toEqual(bytes);
    }
  });
  it('refuses characters outside the alphabet, an impossible length and non-zero spare bits', () => {
    expect(fromBase64url('ab+c')).toBeNull();
    expect(fromBase64url('ab/c')).toBeNull();
    expect(fromBase64url('abc=')).toBeNull();
    expect(fromBase64url('abcde')).toBeNull(); // 5 ≡ 1 (mod 4)
    expect(fromBase64url('AB')).toBeNull(); // 'B' leaves a spare bit set
    expect(fromBase64url('AA')).toEqual(new Uint8Array([0]));
  });
});

describe('share fragment', () => {
  it('is g= + base64url of raw DEFLATE of the saved text, and round-trips it exactly', () => {
    const text = standardText();
    const frag = encodeShareFragment(text);
    expect(frag.startsWith('g=')).toBe(true);
    const raw = Buffer.from(frag.slice(2), 'base64url');
    expect(new TextDecoder().decode(inflateSync(new Uint8Array(raw)))).toBe(text);
    const back = decodeShareFragment(`#${frag}`);
    expect(back).toEqual({ ok: true, text });
    expect(frag.length).toBeLessThan(text.length); // compression pays
  });

  it('builds an absolute URL from the app URL, replacing its fragment', () => {
    const text = standardText();
    const url = shareUrl('https://example.org/vae-lab/?x=1#old', text);
    expect(url.startsWith('https://example.org/vae-lab/?x=1#g=')).toBe(true);
    expect(isShareHash(new URL(url).hash)).toBe(true);
    expect(isShareHash('#other')).toBe(false);
    const r = decodeShareFragment(new URL(url).hash);
    expect(r.ok && r.text).toBe(text);
  });

  it('refuses a fragment over 65,536 characters before decoding it (TOO_LARGE)', () => {
    const d = refused(`g=${'A'.repeat(MAX_SHARE_FRAGMENT - 1)}`);
    expect(d.code).toBe('TOO_LARGE');
    expect(d.message).toMatch(/65,536/);
    // exactly at the limit is decoded (and here fails as damaged, not as too long)
    expect(refused(`g=${'A'.repeat(MAX_SHARE_FRAGMENT - 2)}`).code).toBe('SHARE_LINK');
  });

  it('refuses what does not decode: no g=, bad base64url, not DEFLATE, cut short, not UTF-8', () => {
    expect(refused('#x=abc').code).toBe('SHARE_LINK');
    expect(refused('g=').code).toBe('SHARE_LINK');
    expect(refused('g=ab*cd').code).toBe('SHARE_LINK');
    expect(refused(`g=${base64url(strToU8('plain text, not deflate at all'))}`).code).toBe('SHARE_LINK');
    const full = encodeShareFragment(standardText());
    expect(refused(full.slice(0, Math.floor(full.length / 2))).code).toBe('SHARE_LINK');
    const notUtf8 = `g=${base64url(deflateSync(new Uint8Array([0xff, 0xfe, 0x00, 0xc3])))}`;
    expect(refused(notUtf8).code).toBe('SHARE_LINK');
  });

  it('stops inflating at the 10 MB file limit (a small link that inflates past it is TOO_LARGE)', () => {
    const bomb = new Uint8Array(LIMITS.fileBytes + 1).fill(0x20);
    const frag = `g=${base64url(deflateSync(bomb, { level: 9 }))}`;
    expect(frag.length).toBeLessThan(MAX_SHARE_FRAGMENT);
    const d = refused(frag);
    expect(d.code).toBe('TOO_LARGE');
    expect(d.message).toMatch(/10 MB/);
    // one byte under the limit still inflates (the limit counts inflated bytes, not the link)
    const under = inflateLimited(deflateSync(new Uint8Array(LIMITS.fileBytes).fill(0x20)), LIMITS.fileBytes);
    expect(under.ok && under.bytes.length).toBe(LIMITS.fileBytes);
  });

  it('hands back text that is then validated exactly as a file (a forbidden key is refused by parseGraph)', () => {
    const evil = standardText().replace('"meta": {', '"meta": {\n    "__proto__": { "x": 1 },');
    const r = decodeShareFragment(encodeShareFragment(evil));
    expect(r.ok).toBe(true);
    const parsed = parseGraph((r as { text: string }).text, registry);
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.diagnostics[0]!.code).toBe('FORBIDDEN_KEY');
  });
});
