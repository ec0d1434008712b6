/**
 * Weights in and out and the PyTorch export in the training worker (issue 15, DESIGN.md §9),
 * driven inline in Node on the wasm backend: saveWeights gives the weights file `train --out`
 * writes; loadWeights refuses a file that does not fit (WEIGHTS_MISMATCH listing the names,
 * WEIGHTS_FORMAT) and then changes nothing, and otherwise starts a fresh trainer from the
 * file's weights; exportPytorch zips the program, with the trained weights.
 */
import { readFileSync } from 'node:fs';
import { unzipSync, strFromU8 } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../../src/runtime/backends';
import { decodeSafetensors } from '../../src/export/safetensors';
import { DATA_FILES } from '../../src/export/pytorch';
import { SessionHarness, sampleFiles } from '../fixtures/session-harness';

const preset = (name: string) => JSON.parse(readFileSync(new URL(`../../presets/${name}`, import.meta.url), 'utf8')) as Record<string, unknown>;
const standard = preset('standard-vae.json');
const latent2d = preset('latent-2d.json');

async function saved(h: SessionHarness): Promise<Uint8Array> {
  h.clear();
  await h.send({ type: 'saveWeights' });
  const ev = h.last('weightsSaved');
  if (!ev) throw new Error(`no weightsSaved: ${JSON.stringify(h.events.map((e) => e.type))}`);
  return ev.bytes;
}

function tensors(bytes: Uint8Array) {
  const d = decodeSafetensors(bytes);
  if (!d.ok) throw new Error(d.message);
  return d.file;
}

describe('weights in and out, and the export, in the training worker (wasm, inline)', () => {
  const h = new SessionHarness({ dataFiles: sampleFiles });
  const other = new SessionHarness({ dataFiles: sampleFiles });
  beforeAll(async () => {
    await useBackend('wasm');
    await h.send({ type: 'init', graph: standard, backend: 'wasm', seed: 3 });
    await other.send({ type: 'init', graph: latent2d, backend: 'wasm', seed: 3 });
  }, 120_000);
  afterAll(async () => {
    await h.send({ type: 'dispose' });
    await other.send({ type: 'dispose' });
  });

  it('saveWeights writes the weights file: every variable by "<node>/<variable>", the steps and seed in its metadata', async () => {
    await h.send({ type: 'step', n: 2 });
    const file = tensors(await saved(h));
    expect(file.metadata).toMatchObject({ format: 'vae-lab/weights', seed: '3', steps: '2', backend: 'wasm' });
    expect(file.tensors.map((t) => t.name)).toContain('enc/hidden0/kernel');
    const k = file.tensors.find((t) => t.name === 'enc/hidden0/kernel')!;
    expect(k.shape).toEqual([784, 400]);
    expect(h.last('weightsSaved')!.step).toBe(2);
  }, 120_000);

  it('refuses weights of another graph with WEIGHTS_MISMATCH naming what differs, and loads nothing', async () => {
    const before = await saved(h);
    const foreign = await saved(other);
    h.clear();
    await h.send({ type: 'loadWeights', bytes: foreign, name: 'latent2d.safetensors' });
    const ev = h.last('weightsLoaded')!;
    expect(ev.ok).toBe(false);
    expect(ev.diagnostic!.code).toBe('WEIGHTS_MISMATCH');
    expect(ev.diagnostic!.message).toMatch(/enc\/mu\/kernel is \[\d+, 2\], the graph needs \[\d+, 20\]/);
    expect(ev.diagnostic!.message).toContain('Nothing was loaded');
    expect(h.last('ready')).toBeUndefined(); // no new trainer
    expect(tensors(await saved(h)).tensors).toEqual(tensors(before).tensors);
    expect(h.session.stepsDone).toBe(2);
  }, 120_000);

  it('refuses a file that is not a weights file with WEIGHTS_FORMAT', async () => {
    h.clear();
    await h.send({ type: 'loadWeights', bytes: new TextEncoder().encode('{"format":"vae-lab/graph"}'), name: 'graph.json' });
    const ev = h.last('weightsLoaded')!;
    expect(ev.ok).toBe(false);
    expect(ev.diagnostic!.code).toBe('WEIGHTS_FORMAT');
  });

  it('loads a file that fits into a fresh trainer (step 0) and evaluates it: the same held-out KL as the saved model', async () => {
    await h.send({ type: 'step', n: 3 });
    h.clear();
    await h.send({ type: 'evaluate' });
    const trainedEval = h.last('evaluated')!.metrics;
    const bytes = await saved(h);
    await h.send({ type: 'reset' });
    expect(h.session.stepsDone).toBe(0);
    h.clear();
    await h.send({ type: 'evaluate' });
    const freshKl = h.last('evaluated')!.metrics.kl;
    h.clear();
    await h.send({ type: 'loadWeights', bytes, name: 'trained.safetensors' });
    const types = h.events.map((e) => e.type);
    expect(types.indexOf('ready')).toBeLessThan(types.indexOf('weightsLoaded'));
    expect(types.indexOf('weightsLoaded')).toBeLessThan(types.lastIndexOf('evaluated'));
    const ev = h.last('weightsLoaded')!;
    expect(ev).toMatchObject({ ok: true, name: 'trained.safetensors', tensors: tensors(bytes).tensors.length });
    expect(ev.metadata!.steps).toBe('5');
    const loadedEval = h.last('evaluated')!.metrics;
    expect(loadedEval.step).toBe(0);
    // KL depends on μ and log σ² only: the same weights give the same held-out KL.
    expect(Math.abs(loadedEval.kl - trainedEval.kl) / trainedEval.kl).toBeLessThan(1e-5);
    expect(Math.abs(loadedEval.kl - freshKl)).toBeGreaterThan(1e-3);
    expect(h.last('images')!.recons).not.toBeNull();
    expect(tensors(await saved(h)).tensors).toEqual(tensors(bytes).tensors);
  }, 120_000);

  it('exportPytorch zips the program in one folder, with the loaded weights', async () => {
    h.clear();
    await h.send({ type: 'exportPytorch', graph: standard });
    const ev = h.last('exported')!;
    expect(ev.ok).toBe(true);
    expect(ev.withWeights).toBe(true);
    const files = unzipSync(ev.zip!);
    const folder = ev.folder!;
    expect(folder).toBe('Standard-VAE-(MNIST)-pytorch');
    for (const f of ['model.py', 'train.py', 'README.md', 'graph.json', 'weights.safetensors', 'data/mnist-images.npy', 'data/mnist-labels.npy']) {
      expect(Object.keys(files)).toContain(`${folder}/${f}`);
    }
    expect(strFromU8(files[`${folder}/model.py`]!)).toContain('class GraphModel(nn.Module)');
    expect(tensors(files[`${folder}/weights.safetensors`]!).tensors).toEqual(tensors(await saved(h)).tensors);
  }, 120_000);

  it('exports an untrained graph without weights, and a graph that does not fit the trainer without them', async () => {
    other.clear();
    await other.send({ type: 'exportPytorch', graph: latent2d });
    expect(other.last('exported')).toMatchObject({ ok: true, withWeights: false });
    h.clear();
    await h.send({ type: 'exportPytorch', graph: latent2d });
    expect(h.last('exported')).toMatchObject({ ok: true, withWeights: false });
  }, 120_000);

  it('exports a file-backed graph (the tabular preset, sample:penguins) with its examples as loaded', async () => {
    const tab = new SessionHarness({ dataFiles: sampleFiles });
    await tab.send({ type: 'init', graph: preset('tabular-vae.json'), backend: 'wasm', seed: 1 });
    expect(tab.last('ready')).toBeDefined();
    tab.clear();
    await tab.send({ type: 'exportPytorch', graph: preset('tabular-vae.json') });
    const ev = tab.last('exported')!;
    expect(ev.diagnostics).toBeUndefined();
    expect(ev.ok).toBe(true);
    const names = Object.keys(unzipSync(ev.zip!)).map((p) => p.slice(ev.folder!.length + 1));
    for (const f of Object.values(DATA_FILES)) expect(names).toContain(f);
    expect(names).not.toContain('data/mnist-images.npy');
    await tab.send({ type: 'dispose' });
  }, 120_000);

  it('answers a graph that does not compile with its diagnostics', async () => {
    h.clear();
    const broken = JSON.parse(JSON.stringify(standard)) as { edges: unknown[] };
    broken.edges = broken.edges.slice(1);
    await h.send({ type: 'exportPytorch', graph: broken });
    const ev = h.last('exported')!;
    expect(ev.ok).toBe(false);
    expect(ev.diagnostics!.length).toBeGreaterThan(0);
  });
});
