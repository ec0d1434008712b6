/**
 * The training worker's message handler (TrainingSession), driven inline in Node on the
 * wasm backend: the same code the Web Worker runs, fed raw messages, its events collected.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../../src/runtime/backends';
import { parseEvent } from '../../src/worker/protocol';
import { SessionHarness } from '../fixtures/session-harness';

const standard = JSON.parse(readFileSync(new URL('../../presets/standard-vae.json', import.meta.url), 'utf8'));
const overflow = JSON.parse(readFileSync(new URL('../e2e/fixtures/training-sigma-overflow.json', import.meta.url), 'utf8'));

function clone<T>(x: T): T {
  return JSON.parse(JSON.stringify(x)) as T;
}

function withParam(graph: typeof standard, node: string, param: string, value: unknown) {
  const g = clone(graph);
  const n = g.nodes.find((x: { id: string }) => x.id === node);
  n.params[param] = value;
  return g;
}

async function started(graph: unknown = standard, seed = 1): Promise<SessionHarness> {
  const h = new SessionHarness();
  await h.send({ type: 'init', graph, backend: 'wasm', seed });
  return h;
}

describe('the training worker handler, inline in Node (wasm)', () => {
  const sessions: SessionHarness[] = [];
  beforeAll(async () => {
    await useBackend('wasm');
  });
  afterAll(async () => {
    for (const h of sessions) await h.send({ type: 'dispose' });
  });

  it('init reports ready with the graph’s roles, then the step-0 image grids', async () => {
    const h = await started();
    sessions.push(h);
    const ready = h.last('ready')!;
    expect(ready).toBeDefined();
    expect(ready.backend).toBe('wasm');
    expect(ready.step).toBe(0);
    expect(ready.decoder).toBe('dec');
    expect(ready.latentDim).toBe(20);
    expect(ready.nodes.find((n) => n.id === 'kl')?.role).toBe('kl');
    const img = h.last('images')!;
    expect(img.step).toBe(0);
    for (const block of [img.inputs, img.recons, img.samples]) {
      expect(block).not.toBeNull();
      expect(block!.count).toBe(16);
      expect(block!.width * block!.height).toBe(784);
      expect(block!.pixels.length).toBe(16 * 784);
    }
    // Untrained decoder: the reconstructions are greyish, nothing like the digits.
    const mean = (a: Uint8Array) => a.reduce((s, x) => s + x, 0) / a.length;
    expect(Math.abs(mean(img.recons!.pixels) - mean(img.inputs!.pixels))).toBeGreaterThan(20);
    expect(h.transfers).toBeGreaterThanOrEqual(3);
    expect(h.of('error')).toEqual([]);
  });

  it('samples from the prior also come from a decoder wired by hand from dense layers (the bug hunt)', async () => {
    const bugHunt = JSON.parse(readFileSync(new URL('../../presets/bug-hunt.json', import.meta.url), 'utf8'));
    const h = await started(bugHunt);
    sessions.push(h);
    const ready = h.last('ready')!;
    expect(ready.decoder).toBe('fc4'); // the node that produces xHat
    expect(ready.latentDim).toBe(16);
    const img = h.last('images')!;
    expect(img.samples).not.toBeNull();
    expect(img.samples!.count).toBe(16);
    expect(img.samples!.pixels.length).toBe(16 * 784);
    // 16 different z give 16 different images.
    const first = img.samples!.pixels.subarray(0, 784);
    const second = img.samples!.pixels.subarray(784, 2 * 784);
    expect(first.some((v, i) => v !== second[i])).toBe(true);
  });

  it('a ready says how many rebuilds are still queued behind it; only the last one skips none', async () => {
    const h = new SessionHarness();
    sessions.push(h);
    const a = h.send({ type: 'init', graph: standard, backend: 'wasm', seed: 1 });
    const b = h.send({ type: 'reset', seed: 2 });
    await Promise.all([a, b]);
    expect(h.of('ready').map((r) => [r.seed, r.queued])).toEqual([
      [1, 1],
      [2, 0],
    ]);
    // The superseded rebuild skipped its image grids.
    expect(h.of('images')).toHaveLength(1);
  });

  it('step(1) three times: exactly three batches, finite metrics, numbers on every wire', async () => {
    const h = await started();
    sessions.push(h);
    for (let i = 0; i < 3; i++) await h.send({ type: 'step' });
    const stepped = h.of('stepped');
    expect(stepped.map((s) => s.metrics.step)).toEqual([1, 2, 3]);
    for (const s of stepped) {
      expect(Number.isFinite(s.metrics.loss)).toBe(true);
      expect(s.metrics.loss).toBeCloseTo(s.metrics.recon + s.metrics.klWeighted, 2);
    }
    expect(h.session.stepsDone).toBe(3);
    const stats = h.last('stats')!;
    expect(stats.step).toBe(3);
    expect(stats.portStats['enc.mu']!.shape).toEqual([128, 20]);
    expect(stats.portStats['dec.xHat']!.shape).toEqual([128, 784]);
    expect(stats.portStats['kl.kl']!.mean).toBeCloseTo(stepped[2]!.metrics.kl, 3);
    // Each single step refreshes the grids.
    expect(h.of('images').map((i) => i.step)).toEqual([0, 1, 2, 3]);
    expect(h.of('state').map((s) => s.reason)).toEqual(['done', 'done', 'done']);
  });

  it('step(n): n batches in one request; the grids and wire numbers are refreshed at its last step', async () => {
    const h = await started();
    sessions.push(h);
    await h.send({ type: 'step', n: 4 });
    expect(h.of('stepped').map((s) => s.metrics.step)).toEqual([1, 2, 3, 4]);
    expect(h.of('images').map((i) => i.step).at(-1)).toBe(4);
    // Not every step: the steps within the request are paced like a run's (at most every few seconds).
    expect(h.of('images').length).toBeLessThan(5);
    expect(h.last('stats')!.step).toBe(4);
    expect(h.of('state').map((s) => s.reason)).toEqual(['done']);
  });

  it('the same seed and graph give the same first losses; another seed does not', async () => {
    const a = await started(standard, 7);
    const b = await started(standard, 7);
    const c = await started(standard, 8);
    sessions.push(a, b, c);
    for (const h of [a, b, c]) await h.send({ type: 'step', n: 2 });
    const losses = (h: SessionHarness) => h.of('stepped').map((s) => s.metrics.loss);
    expect(losses(a)).toHaveLength(2);
    expect(losses(b)).toEqual(losses(a));
    expect(losses(c)[0]).not.toBe(losses(a)[0]);
  });

  it('a probe summarises the μ edge: shape, moments, a histogram over every value', async () => {
    const h = await started();
    sessions.push(h);
    await h.send({ type: 'probe', edge: { from: 'enc.mu', to: 'rep.mu' } });
    expect(h.last('probe')!.summary).toBeNull();
    expect(h.last('probe')!.message).toMatch(/Step/);
    await h.send({ type: 'step' });
    const p = h.last('probe')!;
    expect(p.step).toBe(1);
    const s = p.summary!;
    expect(s.shape).toEqual([128, 20]);
    expect(s.nanCount).toBe(0);
    expect(s.infCount).toBe(0);
    expect(s.min!).toBeLessThanOrEqual(s.mean!);
    expect(s.max!).toBeGreaterThanOrEqual(s.mean!);
    expect(s.histogram!.counts.reduce((a, b) => a + b, 0)).toBe(128 * 20);
    expect(s.thumbnail).toBeNull();
    // An image-shaped tensor gets thumbnails.
    await h.send({ type: 'probe', edge: { from: 'dec.xHat', to: 'recon.xHat' } });
    const img = h.last('probe')!.summary!;
    expect(img.thumbnail!.width).toBe(28);
    expect(img.thumbnail!.pixels.length).toBe(img.thumbnail!.count * 784);
  });

  it('run, then pause: steps advance, then stop; memory stays flat', async () => {
    const h = await started();
    sessions.push(h);
    void h.send({ type: 'run' });
    await h.until(() => h.of('stepped').length >= 6);
    await h.send({ type: 'pause' });
    const stoppedAt = h.session.stepsDone;
    expect(stoppedAt).toBeGreaterThanOrEqual(6);
    expect(h.last('state')).toMatchObject({ running: false, reason: 'pause', step: stoppedAt });
    await new Promise((r) => setTimeout(r, 200));
    expect(h.session.stepsDone).toBe(stoppedAt);
    expect(h.session.isRunning).toBe(false);
    const counts = h.of('stepped').map((s) => s.numTensors);
    expect(counts[counts.length - 1]).toBe(counts[1]);
  });

  it('a β or learning-rate edit applies in place; a structural edit waits for Reset', async () => {
    const h = await started();
    sessions.push(h);
    await h.send({ type: 'step', n: 2 });
    await h.send({ type: 'updateGraph', graph: withParam(standard, 'beta', 'beta', 4) });
    expect(h.last('graphUpdated')).toMatchObject({ hot: true, needsReset: false });
    await h.send({ type: 'updateGraph', graph: withParam(withParam(standard, 'beta', 'beta', 4), 'opt', 'learningRate', 0.0005) });
    expect(h.last('graphUpdated')).toMatchObject({ hot: true });
    await h.send({ type: 'step' });
    const m = h.last('stepped')!.metrics;
    expect(m.step).toBe(3); // weights kept: the counter goes on
    expect(m.loss).toBeCloseTo(m.recon + 4 * m.kl, 1);

    // the message says why: other batches (the data) or other variables (the structure)
    await h.send({ type: 'updateGraph', graph: withParam(standard, 'data', 'batchSize', 64) });
    expect(h.last('graphUpdated')).toMatchObject({ hot: false, needsReset: true, message: expect.stringMatching(/^The data changed/) });
    await h.send({ type: 'updateGraph', graph: withParam(standard, 'enc', 'latentDim', 8) });
    expect(h.last('graphUpdated')).toMatchObject({ hot: false, needsReset: true, message: expect.stringMatching(/structure changed/) });
    h.clear();
    await h.send({ type: 'step' });
    expect(h.of('stepped')).toEqual([]);
    expect(h.last('error')).toMatchObject({ code: 'STALE_GRAPH', fatal: false });
    await h.send({ type: 'probe', edge: { from: 'enc.mu', to: 'rep.mu' } });
    expect(h.last('probe')!.summary).toBeNull(); // nothing stale is shown
    await h.send({ type: 'reset' });
    expect(h.last('ready')).toMatchObject({ step: 0, latentDim: 8 });
    await h.send({ type: 'step' });
    expect(h.last('stepped')!.metrics.step).toBe(1);
    expect(h.last('stats')!.portStats['enc.mu']!.shape).toEqual([128, 8]);
  });

  it('σ overflow stops at a NON_FINITE breakpoint naming the node where Infinity first appeared', async () => {
    const h = await started(overflow);
    sessions.push(h);
    await h.send({ type: 'probe', edge: { from: 'sigma.y', to: 'noise.b' } });
    void h.send({ type: 'run' });
    await h.until(() => h.of('breakpoint').length > 0);
    const bp = h.last('breakpoint')!;
    expect(bp.diagnostic.code).toBe('NON_FINITE');
    expect(bp.diagnostic.node).toBe('sigma');
    expect(bp.diagnostic.port).toBe('y');
    expect(bp.diagnostic.step).toBe(1);
    // The counts cross the worker boundary as fields: the client's parse keeps them.
    const parsed = parseEvent(JSON.parse(JSON.stringify(bp)));
    const crossed = parsed.ok && parsed.value.type === 'breakpoint' ? parsed.value.diagnostic : null;
    expect(crossed?.nanCount).toBe(0);
    expect(crossed?.infCount).toBeGreaterThan(0);
    expect(h.session.stepsDone).toBe(0); // the update was not applied
    expect(h.last('state')).toMatchObject({ running: false, reason: 'breakpoint' });
    // The probe shows the failing step's tensor, Infinity and all.
    const p = h.last('probe')!;
    expect(p.summary!.infCount).toBeGreaterThan(0);
    expect(h.last('stats')!.portStats['big.y']!.nonFinite).toBe(0);
    expect(h.last('stats')!.portStats['sigma.y']!.nonFinite).toBeGreaterThan(0);
  });

  it('a loss jump beyond the chosen factor pauses (LOSS_JUMP); the next step goes on', async () => {
    const h = await started();
    sessions.push(h);
    await h.send({ type: 'setOptions', options: { lossJumpFactor: 3 } });
    await h.send({ type: 'step', n: 5 });
    expect(h.of('breakpoint')).toEqual([]);
    await h.send({ type: 'updateGraph', graph: withParam(standard, 'beta', 'beta', 1000) });
    await h.send({ type: 'step' });
    const bp = h.last('breakpoint')!;
    expect(bp.diagnostic.code).toBe('LOSS_JUMP');
    expect(bp.diagnostic.node).toBe('opt');
    expect(h.session.stepsDone).toBe(5);
    await h.send({ type: 'step' });
    expect(h.last('stepped')!.metrics.step).toBe(6);
  });

  it('evaluate gives the held-out −ELBO; bad requests are coded errors, not exceptions', async () => {
    const h = await started();
    sessions.push(h);
    await h.send({ type: 'evaluate' });
    const ev = h.last('evaluated')!.metrics;
    expect(ev.count).toBe(1000);
    expect(ev.heldOutLoss).toBeGreaterThan(500); // untrained: about 784·ln 2
    expect(ev.heldOutLoss).toBeLessThan(600);
    await h.send({ type: 'step', n: 0 });
    await h.send({ type: 'nonsense' });
    await h.send(null);
    const errors = h.of('error');
    expect(errors.map((e) => e.code)).toEqual(['BAD_REQUEST', 'BAD_REQUEST', 'BAD_REQUEST']);
    const bad = new SessionHarness();
    await bad.send({ type: 'init', graph: { ...clone(standard), nodes: [...clone(standard).nodes, { id: 'x', type: 'nope', params: {} }] }, backend: 'wasm', seed: 1 });
    const e = bad.last('error')!;
    expect(e.code).toBe('COMPILE');
    expect(e.diagnostics?.[0]?.code).toBe('UNKNOWN_NODE_TYPE');
    await bad.send({ type: 'step' });
    expect(bad.last('error')!.code).toBe('NOT_READY');
  });
});
