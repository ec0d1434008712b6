/**
 * Micro-benchmark of the conv and recurrent layers (nodes/lib/conv.ts, nodes/lib/rnn.ts):
 * stock tfjs against the fast paths, forward + backward, contenders interleaved in one process;
 * median wall and CPU (process.cpuUsage) ms per call. On a loaded machine read the CPU column.
 * Shapes are the conv-vae preset's (batch 128, MNIST) and the sequence-vae's (batch 64, T 32).
 *
 *   npx tsx bench/conv-rnn-micro.ts [--backend wasm|cpu] [--rounds 5] [--steps | --steps-only]
 *
 * With --steps it also times whole training steps of compiled graphs (batch 128): the standard
 * MLP preset beside the conv-vae and sequence-vae presets (arch "conv" and "rnn"; sequence-vae
 * keeps its batch of 64) and their twins wired from primitives (tests/fixtures/graphs), fast path.
 *
 * On wasm the stock conv filter gradient does not exist (no Conv2DBackpropFilter kernel), so the
 * stock conv rows there time what stock can run: the forward and the input gradient.
 */
import * as tf from '@tensorflow/tfjs';
import { conv2d, conv2dTranspose, convTransposeSubPixel } from '../nodes/lib/conv';
import { rnn, type Cell } from '../nodes/lib/rnn';
import { useBackend, type BackendName } from '../src/runtime/backends';
import { readFileSync } from 'node:fs';
import { registry } from '../nodes';
import { parseGraph } from '../src/graph/schema';
import { compile } from '../src/compiler/compile';
import { loadMnistNode } from '../src/runtime/data/mnist-node';
import { createTrainer, type Trainer } from '../src/runtime/trainer';
import { loadGraphData } from '../src/cli/graph-data';
import { fileURLToPath } from 'node:url';
import { arg } from './args.mjs';

const backend = arg('backend', 'wasm') as BackendName;
const rounds = Number(arg('rounds', '5'));

interface Contender {
  name: string;
  run: () => tf.Tensor[];
  /** Runs outside tf.tidy (a Trainer keeps tensors across steps and tidies its own). */
  untidy?: boolean;
}

function once(c: Contender): void {
  if (c.untidy) sync(c.run());
  else tf.tidy(() => sync(c.run()));
}

function sync(ts: tf.Tensor[]): void {
  for (const t of ts) t.dataSync();
}

/** Median ms per call of each contender; contenders take turns, `rounds` blocks of `block` calls each. */
function measure(group: string, contenders: Contender[], block = 3): void {
  const times = new Map<string, number[]>(contenders.map((c) => [c.name, []]));
  const cpu = new Map<string, number[]>(contenders.map((c) => [c.name, []]));
  const ok = new Map<string, string | null>();
  for (const c of contenders) {
    try {
      once(c);
      ok.set(c.name, null);
    } catch (e) {
      ok.set(c.name, (e as Error).message.split('\n')[0]!);
    }
  }
  for (let r = 0; r < rounds; r++) {
    for (const c of contenders) {
      if (ok.get(c.name)) continue;
      const t0 = performance.now();
      const c0 = process.cpuUsage();
      for (let i = 0; i < block; i++) once(c);
      const dc = process.cpuUsage(c0);
      times.get(c.name)!.push((performance.now() - t0) / block);
      cpu.get(c.name)!.push((dc.user + dc.system) / 1000 / block);
    }
  }
  console.log(`\n${group}`);
  for (const c of contenders) {
    const err = ok.get(c.name);
    if (err) {
      console.log(`  ${c.name.padEnd(48)} fails: ${err}`);
      continue;
    }
    const ts = times.get(c.name)!.sort((a, b) => a - b);
    const cs = cpu.get(c.name)!.sort((a, b) => a - b);
    const med = (v: number[]) => v[Math.floor(v.length / 2)]!.toFixed(2).padStart(9);
    console.log(`  ${c.name.padEnd(48)} wall ${med(ts)} ms (min ${ts[0]!.toFixed(2)})   cpu ${med(cs)} ms (min ${cs[0]!.toFixed(2)})`);
  }
}

function grads(f: (x: tf.Tensor, ...ws: tf.Tensor[]) => tf.Tensor, x: tf.Tensor, ws: tf.Tensor[], withX = true): tf.Tensor[] {
  const all = withX ? [x, ...ws] : ws;
  return tf.grads((...args: tf.Tensor[]) => {
    const [xx, ...rest] = withX ? args : [x, ...args];
    return tf.sum(tf.square(f(xx!, ...rest)));
  })(all);
}

await useBackend(backend);
console.log(`conv / RNN micro-benchmark on ${tf.getBackend()}, ${rounds} rounds, median ms per call`);
if (process.argv.includes('--steps-only')) {
  await stepRows();
  process.exit(0);
}
const rnd = (shape: number[], seed: number) => tf.randomUniform(shape, -0.5, 0.5, 'float32', seed);
const g = { kernel: 4, stride: 2, padding: 1 };

// The conv-vae encoder's second conv: [128,14,14,32] → [128,7,7,64]; decoder's first transposed conv back.
const x2 = rnd([128, 14, 14, 32], 1);
const w2 = rnd([4, 4, 32, 64], 2);
const b2 = rnd([64], 3);
const dy2 = rnd([128, 7, 7, 64], 4);
const pad: [[number, number], [number, number], [number, number], [number, number]] = [
  [0, 0],
  [1, 1],
  [1, 1],
  [0, 0],
];
measure('conv2d input gradient / transposed-conv forward, [128,7,7,64] → [128,14,14,32]', [
  { name: 'stock tf.conv2dTranspose (Conv2DBackpropInput)', run: () => [tf.conv2dTranspose(dy2 as tf.Tensor4D, w2 as tf.Tensor4D, [128, 14, 14, 32], 2, pad)] },
  { name: 'fast sub-pixel (4 stride-1 convs)', run: () => [convTransposeSubPixel(dy2 as tf.Tensor4D, w2 as tf.Tensor4D, g, 14, 14)] },
]);
measure('conv2d 32→64 on [128,14,14,32], forward + backward (dx, dW, db)', [
  { name: 'stock', run: () => grads((x, w, b) => conv2d(x, w!, b!, { ...g, activation: 'relu', fast: false }), x2, [w2, b2]) },
  { name: 'fast', run: () => grads((x, w, b) => conv2d(x, w!, b!, { ...g, activation: 'relu', fast: true }), x2, [w2, b2]) },
  { name: 'stock forward + dx only', run: () => grads((x) => conv2d(x, w2, b2, { ...g, activation: 'relu', fast: false }), x2, []) },
]);
const x1 = rnd([128, 28, 28, 1], 5);
const w1 = rnd([4, 4, 1, 32], 6);
const b1 = rnd([32], 7);
measure('conv2d 1→32 on data [128,28,28,1], forward + backward (dW, db)', [
  { name: 'stock', run: () => grads((x, w, b) => conv2d(x, w!, b!, { ...g, activation: 'relu', fast: false }), x1, [w1, b1], false) },
  { name: 'fast (constant input: no dx)', run: () => grads((x, w, b) => conv2d(x, w!, b!, { ...g, activation: 'relu', fast: true, constantInput: true }), x1, [w1, b1], false) },
]);
const z7 = rnd([128, 7, 7, 64], 8);
const wt1 = rnd([4, 4, 32, 64], 9);
const bt1 = rnd([32], 10);
measure('conv2dTranspose 64→32 on [128,7,7,64], forward + backward (dx, dW, db)', [
  { name: 'stock', run: () => grads((x, w, b) => conv2dTranspose(x, w!, b!, { ...g, activation: 'relu', fast: false }), z7, [wt1, bt1]) },
  { name: 'fast', run: () => grads((x, w, b) => conv2dTranspose(x, w!, b!, { ...g, activation: 'relu', fast: true }), z7, [wt1, bt1]) },
  { name: 'stock forward only', run: () => [conv2dTranspose(z7, wt1, bt1, { ...g, activation: 'relu', fast: false })] },
  { name: 'fast forward only', run: () => [conv2dTranspose(z7, wt1, bt1, { ...g, activation: 'relu', fast: true })] },
]);
const h14 = rnd([128, 14, 14, 32], 11);
const wt2 = rnd([4, 4, 1, 32], 12);
const bt2 = rnd([1], 13);
measure('conv2dTranspose 32→1 on [128,14,14,32], forward + backward (dx, dW, db)', [
  { name: 'stock', run: () => grads((x, w, b) => conv2dTranspose(x, w!, b!, { ...g, activation: 'sigmoid', fast: false }), h14, [wt2, bt2]) },
  { name: 'fast', run: () => grads((x, w, b) => conv2dTranspose(x, w!, b!, { ...g, activation: 'sigmoid', fast: true }), h14, [wt2, bt2]) },
]);

for (const cell of ['gru', 'lstm'] as Cell[]) {
  const gates = (cell === 'gru' ? 3 : 4) * 64;
  const xs = rnd([64, 32, 4], 20);
  const ws = [rnd([4, gates], 21), rnd([64, gates], 22), rnd([gates], 23), rnd([gates], 24)];
  const f = (fast: boolean, constantInput: boolean) => (x: tf.Tensor, k?: tf.Tensor, rk?: tf.Tensor, bi?: tf.Tensor, bh?: tf.Tensor) =>
    rnn(cell, x, null, { kernel: k!, recurrentKernel: rk!, biasIh: bi!, biasHh: bh! }, { fast, constantInput });
  measure(`${cell} 4→64 over [64,32,4] (encoder on data: no dx), forward + backward`, [
    { name: 'stock', run: () => grads(f(false, true), xs, ws, false) },
    { name: 'fast', run: () => grads(f(true, true), xs, ws, false) },
  ]);
  const zs = rnd([64, 32, 8], 25);
  const wz = [rnd([8, gates], 26), ...ws.slice(1)];
  measure(`${cell} 8→64 over [64,32,8] (decoder: with dx), forward + backward`, [
    { name: 'stock', run: () => grads(f(false, false), zs, wz) },
    { name: 'fast', run: () => grads(f(true, false), zs, wz) },
  ]);
}

if (process.argv.includes('--steps')) await stepRows();

/** Whole training steps of compiled graphs (--steps; --steps-only skips the layer rows). */
async function stepRows(): Promise<void> {
  const mnist = await loadMnistNode();
  const trainerFor = async (path: string, fast: boolean): Promise<Trainer> => {
    const text = readFileSync(new URL(`../${path}`, import.meta.url), 'utf8').replace('"batchSize": 32', '"batchSize": 128');
    const parsed = parseGraph(text, registry);
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.diagnostics));
    // a file-backed data node (sequence-vae's sample:seattle-weather) loads as the CLI loads it
    const data = await loadGraphData(fileURLToPath(new URL(`../${path}`, import.meta.url)), parsed.graph, []);
    if (!data.ok) throw new Error(JSON.stringify(data.diagnostics));
    const r = compile(parsed.graph, registry, data.info);
    if (!r.ok) throw new Error(JSON.stringify(r.diagnostics));
    const source = data.sources[r.plan.data];
    return createTrainer(r.plan, { mnist, seed: 1, fast, ...(source ? { data: source } : {}) });
  };
  const graphs: Array<[string, string]> = [
    ['standard MLP preset (784-400-20)', 'presets/standard-vae.json'],
    ['conv-vae preset (arch "conv")', 'presets/conv-vae.json'],
    ['conv-vae architecture (primitives)', 'tests/fixtures/graphs/conv-primitives-vae.json'],
    ['sequence-vae preset (arch "rnn", batch 64, T 32)', 'presets/sequence-vae.json'],
    ['sequence-vae wired from primitives (batch 64)', 'tests/fixtures/graphs/sequence-primitives-vae.json'],
    ['GRU VAE, 28 steps × 28 px (primitives)', 'tests/fixtures/graphs/gru-primitives-vae.json'],
  ];
  const trainers: Array<readonly [string, Trainer]> = [];
  for (const [name, path] of graphs) trainers.push([name, await trainerFor(path, true)] as const);
  measure(
    'training step, batch 128 (sequence-vae: its 64), compiled graph, fast path (Adam, loss read back)',
    trainers.map(([name, t]) => ({
      name,
      untidy: true,
      run: () => {
        const s = t.step();
        if (!s.ok) throw new Error(JSON.stringify(s.diagnostic));
        return [];
      },
    })),
    2,
  );
  for (const [, t] of trainers) t.dispose();
}
