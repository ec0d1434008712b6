/**
 * PNG iTXt chunks (DESIGN.md §9): what addPngText writes, fast-png (an independent decoder)
 * still reads as the same image with valid CRCs, and readPngText gives back the texts
 * exactly; damaged chunks, non-PNGs and texts that inflate past the limit are refused.
 */
import { describe, expect, it } from 'vitest';
import { decode, encode } from 'fast-png';
import { zlibSync } from 'fflate';
import { addPngText, crc32, graphFromPng, iTXtChunk, isPng, PNG_GRAPH_KEY, PNG_SEED_KEY, PNG_STEP_KEY, readPngText } from '../../src/graph/png-text';
import { LIMITS, serializeGraph } from '../../src/graph/schema';
import { registry } from '../../nodes';
import { loadGraph, STANDARD_PATH } from '../fixtures/graph-helpers';

function smallPng(): Uint8Array {
  const data = new Uint8Array(4 * 3 * 4);
  for (let i = 0; i < data.length; i++) data[i] = (i * 37) & 0xff;
  return encode({ width: 4, height: 3, data, channels: 4, depth: 8 });
}

const graphText = () => serializeGraph(loadGraph(STANDARD_PATH), registry);

describe('crc32', () => {
  it('gives the standard check value', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array(0))).toBe(0);
  });
});

describe('addPngText / readPngText', () => {
  it('adds iTXt chunks that an independent decoder accepts (CRCs checked), the image unchanged', () => {
    const png = smallPng();
    const text = graphText();
    const out = addPngText(png, { [PNG_GRAPH_KEY]: text, [PNG_SEED_KEY]: '7', [PNG_STEP_KEY]: '120' });
    expect(isPng(out)).toBe(true);
    const a = decode(png);
    const b = decode(out, { checkCrc: true });
    expect(b.width).toBe(a.width);
    expect(b.height).toBe(a.height);
    expect([...b.data]).toEqual([...a.data]);
    const r = readPngText(out, LIMITS.fileBytes);
    expect(r).toEqual({ ok: true, texts: { [PNG_GRAPH_KEY]: text, [PNG_SEED_KEY]: '7', [PNG_STEP_KEY]: '120' } });
    // the graph (over 1 KB) is compressed: the file grows by far less than its text
    expect(out.length - png.length).toBeLessThan(text.length / 2);
    // IEND stays last
    expect(new TextDecoder().decode(out.subarray(out.length - 8, out.length - 4))).toBe('IEND');
  });

  it('replaces its own keys when stamped again, and keeps UTF-8 text exact', () => {
    const once = addPngText(smallPng(), { [PNG_SEED_KEY]: '1', [PNG_STEP_KEY]: 'ünïcødé ✓' });
    const twice = addPngText(once, { [PNG_SEED_KEY]: '2' });
    const r = readPngText(twice, 1000);
    expect(r).toEqual({ ok: true, texts: { [PNG_SEED_KEY]: '2', [PNG_STEP_KEY]: 'ünïcødé ✓' } });
  });

  it('reads nothing from a PNG without text, and refuses non-PNGs and cut files', () => {
    expect(readPngText(smallPng(), 1000)).toEqual({ ok: true, texts: {} });
    const notPng = readPngText(new TextEncoder().encode('{"format":"vae-lab/graph"}'), 1000);
    expect(notPng.ok).toBe(false);
    const withText = addPngText(smallPng(), { [PNG_SEED_KEY]: '3' });
    const cut = readPngText(withText.subarray(0, withText.length - 20), 1000);
    expect(cut.ok).toBe(false);
  });

  it('refuses a text chunk whose CRC does not match', () => {
    const out = addPngText(smallPng(), { [PNG_SEED_KEY]: '12345' });
    const bad = out.slice();
    const at = new TextDecoder('latin1').decode(bad).indexOf('12345');
    bad[at] = '9'.charCodeAt(0);
    const r = readPngText(bad, 1000);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.message).toMatch(/CRC/);
  });

  it('stops inflating a compressed text at the limit', () => {
    const png = smallPng();
    const big = 'x'.repeat(5000);
    const out = addPngText(png, { [PNG_GRAPH_KEY]: big });
    expect(readPngText(out, 5000).ok).toBe(true);
    const r = readPngText(out, 4999);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.message).toMatch(/more than 4,999 bytes/);
  });

  it('writes the chunk layout of PNG 1.2 §11.3.4.5 (keyword, flags, empty language, zlib body)', () => {
    const c = iTXtChunk(PNG_GRAPH_KEY, 'abc', true);
    const data = c.subarray(8, c.length - 4);
    const k = new TextEncoder().encode(PNG_GRAPH_KEY);
    expect([...data.subarray(0, k.length)]).toEqual([...k]);
    expect([...data.subarray(k.length, k.length + 5)]).toEqual([0, 1, 0, 0, 0]);
    expect([...data.subarray(k.length + 5)]).toEqual([...zlibSync(new TextEncoder().encode('abc'), { level: 9 })]);
    expect(() => iTXtChunk('', 'x', false)).toThrow();
    expect(() => iTXtChunk('a'.repeat(80), 'x', false)).toThrow();
  });
});

describe('graphFromPng', () => {
  it('gives back the graph, seed and step a stamped PNG carries', () => {
    const text = graphText();
    const png = addPngText(smallPng(), { [PNG_GRAPH_KEY]: text, [PNG_SEED_KEY]: '5', [PNG_STEP_KEY]: '42' });
    expect(graphFromPng(png)).toEqual({ ok: true, text, seed: '5', step: '42' });
  });
  it('is a coded error for a PNG without the chunk, a non-PNG, and a graph past 10 MB', () => {
    const none = graphFromPng(smallPng(), '"plain.png"');
    expect(!none.ok && none.diagnostic.code).toBe('PNG_NO_GRAPH');
    expect(!none.ok && none.diagnostic.message).toContain('"plain.png" carries no VAE Lab graph');
    const json = graphFromPng(new TextEncoder().encode(graphText()));
    expect(!json.ok && json.diagnostic.code).toBe('PNG_NO_GRAPH');
    const bomb = addPngText(smallPng(), { [PNG_GRAPH_KEY]: ' '.repeat(LIMITS.fileBytes + 1) });
    const big = graphFromPng(bomb);
    expect(!big.ok && big.diagnostic.code).toBe('TOO_LARGE');
  });
});
