/**
 * A/B of the fused wasm kernels (nodes/lib/fused.ts) on the compiled standard preset, in one
 * process: two Trainers from the same weights, one with the fused kernels and one without,
 * interleaved in blocks so that a slow moment of a shared machine hits both alike. Prints
 * each one's median CPU and wall ms/step and the ratio fused / stock.
 *
 *   npx tsx bench/fused-ab.ts [--rounds 12] [--block 10]
 */
import { loadavg } from 'node:os';
import { useBackend } from '../src/runtime/backends';
import { loadMnistNode } from '../src/runtime/data/mnist-node';
import { Trainer } from '../src/runtime/trainer';
import { median } from '../src/runtime/stats';
import { setFusedKernels } from '../nodes/lib/fused';
import { standardPlan } from './contenders';
import { arg } from './args.mjs';

const ROUNDS = Number(arg('rounds', '12'));
const BLOCK = Number(arg('block', '10'));

await useBackend('wasm');
const mnist = await loadMnistNode();
const plan = standardPlan();
const contenders = [
  { name: 'fused', on: true, trainer: new Trainer(plan, { mnist, seed: 1 }), cpu: [] as number[], wall: [] as number[], losses: [] as number[] },
  { name: 'stock', on: false, trainer: new Trainer(plan, { mnist, seed: 1 }), cpu: [] as number[], wall: [] as number[], losses: [] as number[] },
];
const load0 = loadavg()[0]!;
for (let round = 0; round < ROUNDS + 1; round++) {
  for (const c of contenders) {
    setFusedKernels(c.on);
    for (let i = 0; i < BLOCK; i++) {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      const r = c.trainer.step();
      const wall = performance.now() - t0;
      const cu = process.cpuUsage(c0);
      if (!r.ok) throw new Error(r.diagnostic.message);
      c.losses.push(r.metrics.loss);
      if (round > 0) {
        c.cpu.push((cu.user + cu.system) / 1000);
        c.wall.push(wall);
      }
    }
  }
}
setFusedKernels(true);
const [f, s] = contenders;
let maxRel = 0;
for (let i = 0; i < f!.losses.length; i++) maxRel = Math.max(maxRel, Math.abs(f!.losses[i]! - s!.losses[i]!) / Math.abs(s!.losses[i]!));
console.log(`${ROUNDS} rounds × ${BLOCK} steps each, interleaved; load average ${load0.toFixed(1)} → ${loadavg()[0]!.toFixed(1)}`);
for (const c of contenders) console.log(`${c.name.padEnd(6)} cpu ${median(c.cpu).toFixed(2)} ms/step, wall ${median(c.wall).toFixed(2)} ms/step (medians of ${c.cpu.length})`);
console.log(`fused / stock: cpu ${(median(f!.cpu) / median(s!.cpu)).toFixed(3)}, wall ${(median(f!.wall) / median(s!.wall)).toFixed(3)}`);
console.log(`losses over ${f!.losses.length} steps agree to ${maxRel.toExponential(1)} (relative)`);
for (const c of contenders) c.trainer.dispose();
