/**
 * The instruments' worker requests (src/worker/instruments.ts) through TrainingSession,
 * inline in Node on wasm: the same code the Web Worker runs. Compare leaves the session's
 * weights alone; latent statistics, IWAE, codes, encode and decode answer with events the
 * protocol accepts.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '../../src/runtime/backends';
import { parseGraph } from '../../src/graph/schema';
import { applyFixes, parseAnswerKey } from '../../src/graph/answers';
import { registry } from '../../nodes';
import { SessionHarness } from '../fixtures/session-harness';

const read = (name: string) => JSON.parse(readFileSync(new URL(`../../presets/${name}`, import.meta.url), 'utf8')) as Record<string, unknown>;
const latent2d = read('latent-2d.json');

describe('instrument requests in the training session (wasm)', () => {
  const h = new SessionHarness();
  beforeAll(async () => {
    await useBackend('wasm');
    await h.send({ type: 'init', graph: latent2d, backend: 'wasm', seed: 1 });
    await h.send({ type: 'step', n: 30 });
  }, 120_000);
  afterAll(async () => {
    await h.send({ type: 'dispose' });
  });

  it('latentStats: one KL per dimension (d = 2) summing to the eval KL, active units, the alarm', async () => {
    await h.send({ type: 'latentStats' });
    const s = h.last('latentStats')!;
    expect(s.step).toBe(30);
    expect(s.klPerDim).toHaveLength(2);
    await h.send({ type: 'evaluate' });
    const ev = h.last('evaluated')!;
    expect(Math.abs(s.klTotal - ev.metrics.kl)).toBeLessThan(1e-3 * Math.max(1, ev.metrics.kl));
    expect(s.activeUnits).toBe(s.muVariance.filter((v) => v > s.activeThreshold).length);
    expect(s.alarm).toBe(s.activeUnits === 0 || s.klTotal < s.collapseKl);
  });

  it('compare leaves the session untouched: same weights, same next step as without it', async () => {
    const other = new SessionHarness();
    try {
      await other.send({ type: 'init', graph: latent2d, backend: 'wasm', seed: 1 });
      await other.send({ type: 'step', n: 30 });
      const beta2 = structuredClone(latent2d) as { nodes: Array<{ id: string; params: Record<string, unknown> }> };
      beta2.nodes.find((n) => n.id === 'beta')!.params.beta = 2;
      await h.send({ type: 'compare', graph: beta2, reference: latent2d, steps: 2 });
      const r = h.last('compareResult')!;
      expect(r.result).toMatchObject({ event: 'diverged', step: 1, node: 'beta', port: 'kl' });
      expect(h.of('compareProgress').length).toBeGreaterThanOrEqual(1);
      // The session trains on exactly as the twin that never compared.
      await h.send({ type: 'step', n: 1 });
      await other.send({ type: 'step', n: 1 });
      expect(h.last('stepped')!.metrics.loss).toBe(other.last('stepped')!.metrics.loss);
    } finally {
      await other.send({ type: 'dispose' });
    }
  }, 120_000);

  it('compare of a graph with itself is "same"; a reference that does not compile is an instrumentError with diagnostics', async () => {
    await h.send({ type: 'compare', graph: latent2d, reference: latent2d, steps: 1 });
    expect(h.last('compareResult')!.result).toMatchObject({ event: 'same', steps: 1 });
    const broken = structuredClone(latent2d) as { edges: Array<{ from: string; to: string }> };
    broken.edges = broken.edges.filter((e) => e.to !== 'dec.z');
    await h.send({ type: 'compare', graph: latent2d, reference: broken, steps: 1 });
    const err = h.last('instrumentError')!;
    expect(err.request).toBe('compare');
    expect(err.code).toBe('COMPILE');
    expect(err.message).toMatch(/reference graph does not compile: MISSING_INPUT at dec\.z/);
    expect(err.diagnostics?.[0]).toMatchObject({ code: 'MISSING_INPUT', node: 'dec', port: 'z' });
  });

  it('latentCodes: μ and log σ² of all held-out digits with their labels and thumbnails', async () => {
    await h.send({ type: 'latentCodes', thumbnails: 8 });
    const c = h.last('latentCodes')!;
    expect(c.latentDim).toBe(2);
    expect(c.count).toBe(1000);
    expect(c.mu.length).toBe(2000);
    expect(c.logvar.length).toBe(2000);
    expect(c.labels.length).toBe(1000);
    // DESIGN.md: the held-out classes 0–9 count 95, 113, 109, 82, 111, 91, 108, 108, 90, 93.
    const counts = new Array(10).fill(0);
    for (const l of c.labels) counts[l]++;
    expect(counts).toEqual([95, 113, 109, 82, 111, 91, 108, 108, 90, 93]);
    expect(c.thumbnails).toMatchObject({ count: 8, width: 28, height: 28 });
    // The codes differ between digits (the encoder reads its input).
    let spread = 0;
    for (let i = 0; i < 1000; i++) spread += Math.abs(c.mu[2 * i]! - c.mu[0]!);
    expect(spread / 1000).toBeGreaterThan(1e-3);
  });

  it('latentEncode of a held-out digit gives the codes latentCodes gave it, samples near μ and their decodings', async () => {
    const c = h.last('latentCodes')!;
    await h.send({ type: 'latentEncode', id: 7, heldOut: 3, pixels: null, samples: 4 });
    const e = h.last('latentEncoded')!;
    expect(e.id).toBe(7);
    expect(e.label).toBe(c.labels[3]);
    expect(e.mu[0]).toBeCloseTo(c.mu[6]!, 4);
    expect(e.mu[1]).toBeCloseTo(c.mu[7]!, 4);
    expect(e.logvar[0]).toBeCloseTo(c.logvar[6]!, 4);
    expect(e.z.length).toBe(8);
    expect(e.decodedMean).toMatchObject({ count: 1, width: 28, height: 28 });
    expect(e.decodedSamples).toMatchObject({ count: 4, width: 28, height: 28 });
    expect(e.input).toMatchObject({ count: 1, width: 28, height: 28 });
    // The input shown is the held-out thumbnail.
    expect(Array.from(e.input!.pixels)).toEqual(Array.from(c.thumbnails!.pixels.subarray(3 * 784, 4 * 784)));
    // A drawing (the same pixels) encodes the same.
    const px = Float32Array.from(e.input!.pixels, (v) => v / 255);
    await h.send({ type: 'latentEncode', id: 8, heldOut: null, pixels: px, samples: 0 });
    const d = h.last('latentEncoded')!;
    expect(d.mu[0]).toBeCloseTo(e.mu[0]!, 2);
    expect(d.decodedSamples).toBeNull();
    // A drawing of the wrong size is refused with a code.
    await h.send({ type: 'latentEncode', id: 9, heldOut: null, pixels: new Float32Array(10), samples: 0 });
    expect(h.last('instrumentError')).toMatchObject({ request: 'latentEncode', id: 9, code: 'BAD_REQUEST' });
  });

  it('latentDecode runs the decoder path on given z: decode(μ) as in latentEncode, and a grid of 225', async () => {
    const e = h.of('latentEncoded').find((x) => x.id === 7)!;
    await h.send({ type: 'latentDecode', id: 11, purpose: 'hover', z: Float32Array.from(e.mu), count: 1 });
    const one = h.last('latentDecoded')!;
    expect(one).toMatchObject({ id: 11, purpose: 'hover' });
    expect(Array.from(one.images!.pixels)).toEqual(Array.from(e.decodedMean!.pixels));
    const before = tf.memory().numTensors;
    const grid = new Float32Array(225 * 2).map((_, i) => ((i % 15) - 7) / 3);
    await h.send({ type: 'latentDecode', id: 12, purpose: 'manifold', z: grid, count: 225 });
    expect(h.last('latentDecoded')!.images).toMatchObject({ count: 225, width: 28, height: 28 });
    expect(tf.memory().numTensors).toBe(before);
    await h.send({ type: 'latentDecode', id: 13, purpose: 'x', z: new Float32Array(3), count: 1 });
    expect(h.last('instrumentError')).toMatchObject({ request: 'latentDecode', id: 13, code: 'BAD_REQUEST' });
  });

  it('iwae: progress, then −log p(x) at most the −ELBO up to noise, finite', async () => {
    const before = tf.memory().numTensors;
    const n = h.of('iwaeProgress').length;
    await h.send({ type: 'iwae', k: 5 });
    const r = h.last('iwaeResult')!;
    expect(h.of('iwaeProgress').length - n).toBeGreaterThanOrEqual(3);
    expect(r.k).toBe(5);
    expect(r.count).toBe(1000);
    expect(Number.isFinite(r.nll)).toBe(true);
    expect(r.nll).toBeLessThan(r.heldOutLoss + 1.5);
    expect(r.nll).toBeLessThanOrEqual(r.elboSameDraws);
    expect(tf.memory().numTensors).toBe(before);
  }, 120_000);
});

describe('decoding through a hand-wired decoder path: the bug hunt, fixed', () => {
  it('decodes z through add → fc3 → fc4 and encodes through split', async () => {
    const g = parseGraph(read('bug-hunt.json'), registry);
    const key = parseAnswerKey(read('bug-hunt.answers.json'));
    if (!g.ok || !key.ok) throw new Error('preset or key does not parse');
    const fixed = applyFixes(g.graph, key.key.bugs, registry);
    if (!fixed.ok) throw new Error(fixed.diagnostic.message);
    const h = new SessionHarness();
    try {
      await h.send({ type: 'init', graph: JSON.parse(JSON.stringify(fixed.graph)), backend: 'wasm', seed: 1 });
      expect(h.last('ready')).toBeDefined();
      await h.send({ type: 'latentEncode', id: 1, heldOut: 0, pixels: null, samples: 2 });
      const e = h.last('latentEncoded')!;
      expect(e.mu.length).toBe(16);
      expect(e.decodedSamples).toMatchObject({ count: 2, width: 28, height: 28 });
      await h.send({ type: 'latentDecode', id: 2, purpose: 'traversal', z: new Float32Array(16 * 3), count: 3 });
      expect(h.last('latentDecoded')!.images).toMatchObject({ count: 3 });
    } finally {
      await h.send({ type: 'dispose' });
    }
  }, 120_000);
});
