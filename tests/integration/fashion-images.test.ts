/**
 * Fashion-MNIST from Debian's IDX files (/usr/share/datasets/fashion-mnist/) on a data.images
 * node with the standard VAE's architecture (DESIGN §7, issue 14): the graph names no file,
 * the CLI's loader binds them as `--data data=… --data data.labelsFile=…` do, compiles with
 * what loading learned (28×28×1, 10,000 images, 10 classes) and trains; the held-out −ELBO
 * falls over the first few dozen steps.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadGraph } from '../../src/cli/load';
import { useBackend } from '../../src/runtime/backends';
import { createTrainer, type Trainer } from '../../src/runtime/trainer';
import { describeWithTool, FASHION_MNIST_DIR } from '../fixtures/tools';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

describeWithTool('fashion-mnist', 'data.images: Fashion-MNIST IDX trains the standard VAE', () => {
  let dir: string;
  let trainer: Trainer;
  let before: number;
  let after: number;
  const losses: number[] = [];

  beforeAll(async () => {
    await useBackend('wasm');
    const standard = JSON.parse(readFileSync(join(ROOT, 'presets', 'standard-vae.json'), 'utf8')) as { nodes: Array<{ id: string; type: string; params: unknown }> };
    const data = standard.nodes.find((n) => n.id === 'data')!;
    data.type = 'data.images';
    data.params = { batchSize: 128, heldOut: 1000 };
    dir = mkdtempSync(join(tmpdir(), 'vae-lab-fashion-'));
    writeFileSync(join(dir, 'fashion.json'), JSON.stringify(standard));
    const loaded = await loadGraph(join(dir, 'fashion.json'), {
      seed: 1,
      data: [`data=${join(FASHION_MNIST_DIR, 't10k-images-idx3-ubyte.gz')}`, `data.labelsFile=${join(FASHION_MNIST_DIR, 't10k-labels-idx1-ubyte.gz')}`],
    });
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.diagnostics));
    expect(loaded.data?.info).toMatchObject({ structure: { kind: 'image', h: 28, w: 28, c: 1 }, n: 10000, labels: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'] });
    expect(loaded.plan.nodes.get('dec')!.outShapes.xHat).toEqual(['B', 784]);
    trainer = createTrainer(loaded.plan, { data: loaded.data });
    before = trainer.evaluate().heldOutLoss;
    for (let i = 0; i < 40; i++) {
      const r = trainer.step();
      if (!r.ok) throw new Error(r.diagnostic.message);
      losses.push(r.metrics.loss);
    }
    after = trainer.evaluate().heldOutLoss;
  }, 240_000);
  afterAll(() => {
    trainer?.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('splits 9,000 / 1,000 and batches 128 images of 784 pixels in [0,1] with their classes', () => {
    expect([trainer.dataset.trainCount, trainer.dataset.heldOutCount, trainer.stepsPerEpoch]).toEqual([9000, 1000, Math.ceil(9000 / 128)]);
    const feed = trainer.trainFeed(1);
    const x = feed.x('data');
    const v = x.dataSync();
    expect(x.shape).toEqual([128, 784]);
    expect(Math.min(...v)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...v)).toBeLessThanOrEqual(1);
    expect(Math.max(...v)).toBeGreaterThan(0.9);
    const labels = feed.labels();
    expect(new Set(labels.dataSync()).size).toBeGreaterThan(5);
    x.dispose();
    labels.dispose();
  });

  it('the held-out −ELBO falls over 40 steps, and the training loss with it', () => {
    expect(Number.isFinite(before) && Number.isFinite(after)).toBe(true);
    expect(after).toBeLessThan(0.8 * before);
    const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
    expect(mean(losses.slice(-5))).toBeLessThan(mean(losses.slice(0, 5)));
  });
});
