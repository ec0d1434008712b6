/**
 * Per-kernel profile of one conv-vae training step on wasm in Node (tf.profile): which tfjs
 * kernels the step spends its time in, summed over the step, slowest first.
 *
 *   npx tsx bench/conv-profile.ts [--backend wasm|cpu] [--graph presets/conv-vae.json] [--steps 5] [--time]
 *
 * --time: no profiler, only CPU and wall ms per step (compare two checkouts by alternating runs).
 */
import * as tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { registry } from '../nodes';
import { parseGraph } from '../src/graph/schema';
import { compile } from '../src/compiler/compile';
import { loadMnistNode } from '../src/runtime/data/mnist-node';
import { createTrainer } from '../src/runtime/trainer';
import { loadGraphData } from '../src/cli/graph-data';
import { useBackend, type BackendName } from '../src/runtime/backends';
import { arg } from './args.mjs';

await useBackend(arg('backend', 'wasm') as BackendName);
const path = arg('graph', 'presets/conv-vae.json');
const steps = Number(arg('steps', '5'));
const url = new URL(`../${path}`, import.meta.url);
const parsed = parseGraph(readFileSync(url, 'utf8'), registry);
if (!parsed.ok) throw new Error(JSON.stringify(parsed.diagnostics));
const data = await loadGraphData(fileURLToPath(url), parsed.graph, []);
if (!data.ok) throw new Error(JSON.stringify(data.diagnostics));
const r = compile(parsed.graph, registry, data.info);
if (!r.ok) throw new Error(JSON.stringify(r.diagnostics));
const source = data.sources[r.plan.data];
const t = createTrainer(r.plan, { mnist: await loadMnistNode(), seed: 1, fast: true, ...(source ? { data: source } : {}) });
for (let i = 0; i < 3; i++) t.step();
if (process.argv.includes('--time')) {
  // no profiler: CPU and wall ms per step over `steps` steps
  const before = tf.memory().numTensors;
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) t.step();
  const dc = process.cpuUsage(c0);
  console.log(
    `${path} on ${tf.getBackend()}: ${steps} steps, ${((dc.user + dc.system) / 1000 / steps).toFixed(1)} CPU ms/step, ${((performance.now() - t0) / steps).toFixed(1)} wall ms/step, numTensors ${before} → ${tf.memory().numTensors}`,
  );
  t.dispose();
  process.exit(0);
}
const byKernel = new Map<string, { ms: number; n: number; shapes: Map<string, number> }>();
let total = 0;
for (let i = 0; i < steps; i++) {
  const c0 = process.cpuUsage();
  const info = await tf.profile(() => {
    t.step();
  });
  const dc = process.cpuUsage(c0);
  total += (dc.user + dc.system) / 1000;
  for (const k of info.kernels) {
    const ms = typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
    const e = byKernel.get(k.name) ?? { ms: 0, n: 0, shapes: new Map() };
    e.ms += ms;
    e.n += 1;
    const key = `${k.inputShapes.map((s) => `[${s}]`).join(' ')} → [${k.outputShapes.map((s) => s)}]`;
    e.shapes.set(key, (e.shapes.get(key) ?? 0) + ms);
    byKernel.set(k.name, e);
  }
}
const rows = [...byKernel.entries()].sort((a, b) => b[1].ms - a[1].ms);
const sum = rows.reduce((a, [, e]) => a + e.ms, 0);
console.log(`${path} on ${tf.getBackend()}: ${steps} steps, ${(total / steps).toFixed(1)} CPU ms/step (profiled), kernels ${(sum / steps).toFixed(1)} ms/step`);
for (const [name, e] of rows.slice(0, 25)) {
  console.log(`${name.padEnd(24)} ${(e.ms / steps).toFixed(2).padStart(8)} ms/step  ${String(e.n / steps).padStart(4)} calls`);
  for (const [s, ms] of [...e.shapes.entries()].sort((a, b) => b[1] - a[1]).slice(0, 4)) console.log(`    ${(ms / steps).toFixed(2).padStart(8)}  ${s}`);
}
t.dispose();
