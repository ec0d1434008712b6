/**
 * The training panel's reconstructions and samples for every kind of data (DESIGN §7: "image
 * grids; series drawn over their inputs; for tables, per-column error and a few rows side by
 * side") and the latent codes' classes, as the worker posts them (ImageGrids.render and the
 * latentCodes handler, run in Node on wasm), on data loaded the CLI's way. Every event passes
 * the protocol's parser, as the client parses it.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { registry } from '../../nodes';
import type { DataSource } from '../../nodes/types';
import { loadGraph } from '../../src/cli/load';
import { compile } from '../../src/compiler/compile';
import { parseGraph } from '../../src/graph/schema';
import { useBackend } from '../../src/runtime/backends';
import { createTrainer, type Trainer } from '../../src/runtime/trainer';
import { ImageGrids, GRID_COUNT } from '../../src/worker/image-grids';
import { InstrumentHandlers } from '../../src/worker/instruments';
import { parseEvent, type WorkerEvent, type WorkerEventOf } from '../../src/worker/protocol';
import { vaeEdges, weatherWindowsGraph } from '../fixtures/small-graphs';
import { SessionHarness, sampleFiles } from '../fixtures/session-harness';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const LONG = 300_000;

beforeAll(async () => {
  await useBackend('wasm');
}, LONG);

function train(t: Trainer, steps: number): void {
  for (let i = 0; i < steps; i++) {
    const r = t.step();
    if (!r.ok) throw new Error(r.diagnostic.message);
  }
}

/** The images event of a trainer, checked by the protocol's parser. */
function render(t: Trainer): WorkerEventOf<'images'> {
  const { event } = new ImageGrids().render(t, t.seed);
  const parsed = parseEvent(event);
  if (!parsed.ok) throw new Error(parsed.message);
  return event;
}

/** The rows of a CSV as strings (a simple file: no quoted commas). */
const csv = (name: string) =>
  readFileSync(`${ROOT}public/data/samples/${name}`, 'utf8')
    .trim()
    .split('\n')
    .map((l) => l.split(','));

describe('tables: per-column error in the file’s units and rows side by side (tabular-vae on sample:penguins)', () => {
  it(
    'the held-out rows come back as the CSV’s own numbers beside their reconstructions; training lowers every column’s error below its spread',
    async () => {
      const loaded = await loadGraph(`${ROOT}presets/tabular-vae.json`);
      if (!loaded.ok) throw new Error(JSON.stringify(loaded.diagnostics));
      const t = createTrainer(loaded.plan, { data: loaded.data });
      const before = render(t).view!;
      train(t, 300);
      const ev = render(t);
      expect(ev.inputs).toBeNull();
      expect(ev.recons).toBeNull();
      expect(ev.note).toBeNull();
      const v = ev.view!;
      if (v.kind !== 'table' || before.kind !== 'table') throw new Error(`a ${v.kind} view`);
      expect(v.columns).toEqual(['Beak Length (mm)', 'Beak Depth (mm)', 'Flipper Length (mm)', 'Body Mass (g)']);
      expect(v.units).toBe('file');
      expect(v.count).toBe(35); // every held-out row
      // The rows shown are held-out rows of penguins.csv, in the file's units, with their species.
      const [header, ...rows] = csv('penguins.csv');
      const complete = rows.filter((r) => v.columns.every((c) => r[header!.indexOf(c)] !== ''));
      expect(complete).toHaveLength(342);
      const held = t.dataset.heldOutIndices;
      v.rows.forEach((r, i) => {
        const src = complete[held[i]!]!;
        expect(r.label).toBe(src[header!.indexOf('Species')]);
        v.columns.forEach((c, j) => expect(r.input[j]!).toBeCloseTo(Number(src[header!.indexOf(c)]), 3));
      });
      // Measured after 300 steps (RMSE / spread): beak length 4.6 / 5.5 mm, depth 1.5 / 1.7 mm,
      // flipper 8.6 / 13.4 mm, mass 483 / 792 g; the untrained model's errors are larger.
      for (const e of v.errors) expect(e.rmse!, e.column).toBeLessThan(e.spread!);
      const share = (w: typeof v) => w.errors.reduce((s, e) => s + e.rmse! / e.spread!, 0);
      expect(share(v)).toBeLessThan(0.9 * share(before));
      // Rows decoded from the prior, in grams and millimetres: penguin-sized.
      expect(v.samples).toHaveLength(GRID_COUNT);
      for (const s of v.samples!) {
        expect(s[3]!).toBeGreaterThan(2000);
        expect(s[3]!).toBeLessThan(7000);
      }

      // The latent codes name the species for the scatter's colours and legend; a table has no thumbnails.
      const posted: WorkerEvent[] = [];
      const handlers = new InstrumentHandlers({ trainer: () => t, mnist: () => { throw new Error('no MNIST here'); }, seed: () => 1, post: (e) => void posted.push(e) });
      await handlers.handle({ type: 'latentCodes', thumbnails: 24 });
      const codes = posted.find((e): e is WorkerEventOf<'latentCodes'> => e.type === 'latentCodes')!;
      expect(parseEvent(codes).ok).toBe(true);
      expect(codes.classes).toEqual(['Adelie', 'Chinstrap', 'Gentoo']);
      expect(codes.thumbnails).toBeNull();
      expect(codes.count).toBe(35);
      expect(new Set(codes.labels)).toEqual(new Set([0, 1, 2]));
      t.dispose();
    },
    LONG,
  );
});

describe('sequences: held-out windows drawn over their inputs (sample:seattle-weather)', () => {
  it(
    'three of the ten held-out windows, first and last included, as the CSV’s rows in time order; per-feature errors over all ten',
    async () => {
      const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
      const { tmpdir } = await import('node:os');
      const dir = mkdtempSync(`${tmpdir()}/vae-lab-views-`);
      writeFileSync(`${dir}/weather.json`, JSON.stringify(weatherWindowsGraph()));
      const loaded = await loadGraph(`${dir}/weather.json`);
      rmSync(dir, { recursive: true, force: true });
      if (!loaded.ok) throw new Error(JSON.stringify(loaded.diagnostics));
      const t = createTrainer(loaded.plan, { data: loaded.data });
      train(t, 100);
      const v = render(t).view!;
      if (v.kind !== 'series') throw new Error(`a ${v.kind} view`);
      expect(v.columns).toEqual(['precipitation', 'temp_max', 'temp_min', 'wind']);
      expect(v.steps).toBe(16);
      expect(v.count).toBe(10);
      expect(v.windows.map((w) => w.index)).toEqual([0, 5, 9]);
      const [header, ...rows] = csv('seattle-weather.csv');
      const held = t.dataset.heldOutIndices;
      for (const w of v.windows) {
        const start = held[w.index]! * 16; // window i covers rows [16i, 16i + 16)
        for (let s = 0; s < 16; s++) {
          v.columns.forEach((c, j) => expect(w.input[s * 4 + j]!).toBeCloseTo(Number(rows[start + s]![header!.indexOf(c)]), 3));
        }
        expect(w.recon).toHaveLength(64);
      }
      // The held-out windows are the last in time: the last one ends at most a window before the file's end.
      expect(held[9]! * 16 + 16).toBeGreaterThan(rows.length - 16);
      // Temperatures follow the seasons and a 100-step model gets them roughly: measured RMSE 4.7 °C
      // (temp_max) against a spread of 7.4.
      const tmax = v.errors[1]!;
      expect(tmax.rmse!).toBeLessThan(tmax.spread!);
      expect(v.samples).toHaveLength(GRID_COUNT);
      expect(v.samples![0]).toHaveLength(64);
      t.dispose();
    },
    LONG,
  );
});

describe('images of any H × W × C: an RGB data.images source of 6 × 10 × 3', () => {
  it('inputs, reconstructions and samples are drawn in the data’s own size and colours', () => {
    const H = 6;
    const W = 10;
    const C = 3;
    const D = H * W * C;
    const n = 60;
    // Example k: red rises along x, green along y, blue is k / n.
    const value = (k: number, p: number) => {
      const c = p % C;
      const x = Math.floor(p / C) % W;
      const y = Math.floor(p / (C * W));
      return c === 0 ? x / (W - 1) : c === 1 ? y / (H - 1) : k / n;
    };
    const source: DataSource = {
      info: { structure: { kind: 'image', h: H, w: W, c: C }, n },
      fill: (indices, out) => {
        for (let i = 0; i < indices.length; i++) for (let p = 0; p < D; p++) out[i * D + p] = value(indices[i]!, p);
      },
      labels: (indices) => new Int32Array(indices.length),
    };
    const graph = parseGraph(
      JSON.stringify({
        format: 'vae-lab/graph',
        version: 1,
        meta: { name: 'rgb' },
        nodes: [
          { id: 'img', type: 'data.images', params: { file: 'colours.zip', channels: 3, size: 6, batchSize: 16, heldOut: 20 } },
          { id: 'enc', type: 'vae.encoder', params: { hidden: [16], latentDim: 2 } },
          { id: 'rep', type: 'vae.reparameterize' },
          { id: 'dec', type: 'vae.decoder', params: { hidden: [16] } },
          { id: 'rec', type: 'loss.reconstruction' },
          { id: 'kl', type: 'loss.kl' },
          { id: 'opt', type: 'train.optimizer' },
        ],
        edges: vaeEdges('img'),
      }),
      registry,
    );
    if (!graph.ok) throw new Error(JSON.stringify(graph.diagnostics));
    const c = compile(graph.graph, registry, { img: source.info });
    if (!c.ok) throw new Error(JSON.stringify(c.diagnostics));
    const t = createTrainer(c.plan, { data: source });
    train(t, 5);
    const ev = render(t);
    expect(ev.view ?? null).toBeNull();
    for (const block of [ev.inputs, ev.recons, ev.samples]) expect(block).toMatchObject({ width: W, height: H, channels: 3 });
    expect(ev.inputs!.count).toBe(GRID_COUNT);
    const k = t.dataset.heldOutIndices[3]!;
    const px = ev.inputs!.pixels.subarray(3 * D, 4 * D);
    expect(Array.from(px)).toEqual(Array.from({ length: D }, (_, p) => Math.round(value(k, p) * 255)));
    t.dispose();
  });
});

describe('the instruments’ compare in the worker on a data file graph (tabular-vae)', () => {
  it(
    'compares the open graph with a reference on the session’s loaded penguins: itself is the same, another learning rate diverges at the update',
    async () => {
      const h = new SessionHarness({ dataFiles: sampleFiles });
      const graph = JSON.parse(readFileSync(`${ROOT}presets/tabular-vae.json`, 'utf8')) as { nodes: Array<{ id: string; params: Record<string, unknown> }> };
      await h.send({ type: 'init', graph, backend: 'wasm', seed: 1 });
      expect(h.of('error')).toEqual([]);
      const lr = JSON.parse(JSON.stringify(graph)) as typeof graph;
      lr.nodes.find((n) => n.id === 'opt')!.params.learningRate = 0.01;
      const results: Array<WorkerEventOf<'compareResult'>['result']> = [];
      for (const reference of [graph, lr]) {
        await h.send({ type: 'compare', graph, reference, steps: 3 });
        const ev = h.last('compareResult');
        expect(ev, JSON.stringify(h.of('instrumentError'))).toBeDefined();
        expect(parseEvent(ev!).ok).toBe(true);
        results.push(ev!.result);
      }
      expect(results[0]).toMatchObject({ event: 'same', steps: 3 });
      expect(results[1]).toMatchObject({ event: 'diverged', step: 1, node: 'opt', port: null });
      await h.send({ type: 'dispose' });
    },
    LONG,
  );
});
