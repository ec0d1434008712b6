/**
 * Where one training step of the compiled standard preset spends its time on tfjs-backend-wasm
 * in Node: every wasm kernel wrapped with a timer, counted and timed by name, split by phase
 * (forward + backward inside variableGrads, the optimizer's update, the rest).
 *
 *   npx tsx bench/profile-step.ts [--steps 200] [--warmup 30]
 */
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '../src/runtime/backends';
import { loadMnistNode } from '../src/runtime/data/mnist-node';
import { Trainer } from '../src/runtime/trainer';
import { standardPlan } from './contenders';
import { arg } from './args.mjs';

const STEPS = Number(arg('steps', '200'));
const WARMUP = Number(arg('warmup', '30'));

await useBackend('wasm');
const mnist = await loadMnistNode();
const trainer = new Trainer(standardPlan(), { mnist, seed: 1 });

type Row = { calls: number; ms: number };
const byKernel = new Map<string, Row>();
let phase = 'other';
const byPhase = new Map<string, Row>();
let depth = 0;
let on = false;
for (const k of tf.getKernelsForBackend('wasm')) {
  const inner = k.kernelFunc;
  tf.unregisterKernel(k.kernelName, 'wasm');
  tf.registerKernel({
    ...k,
    kernelFunc: ((args: Parameters<typeof inner>[0]) => {
      if (!on || depth > 0) return inner(args);
      depth++;
      const t0 = performance.now();
      try {
        return inner(args);
      } finally {
        const dt = performance.now() - t0;
        depth--;
        const shapes = process.argv.includes('--shapes') ? ' ' + Object.values(args.inputs as Record<string, tf.TensorInfo>).filter(Boolean).map((t) => `[${t.shape.join(',')}]`).join('') + (args.attrs && 'transposeA' in args.attrs ? ` tA=${String(args.attrs.transposeA)} tB=${String(args.attrs.transposeB)}` : '') : '';
        const key = `${phase}:${k.kernelName}${shapes}`;
        const r = byKernel.get(key) ?? { calls: 0, ms: 0 };
        r.calls++;
        r.ms += dt;
        byKernel.set(key, r);
        const p = byPhase.get(phase) ?? { calls: 0, ms: 0 };
        p.calls++;
        p.ms += dt;
        byPhase.set(phase, p);
      }
    }) as typeof inner,
  });
}

// Phase markers: the optimizer's applyGradients and variableGrads.
const opt = (trainer as unknown as { optimizer: tf.Optimizer }).optimizer;
const apply = opt.applyGradients.bind(opt);
const wall = new Map<string, number>();
opt.applyGradients = (g) => {
  phase = 'adam';
  const t0 = performance.now();
  apply(g);
  if (on) wall.set('adam', (wall.get('adam') ?? 0) + performance.now() - t0);
  phase = 'other';
};
const engine = tf.engine() as unknown as { gradients: (...a: unknown[]) => unknown };
const grads = engine.gradients.bind(engine);
engine.gradients = (...a: unknown[]) => {
  phase = 'fwd+bwd';
  const t0 = performance.now();
  const r = grads(...a);
  if (on) wall.set('fwd+bwd', (wall.get('fwd+bwd') ?? 0) + performance.now() - t0);
  phase = 'other';
  return r;
};

for (let i = 0; i < WARMUP; i++) trainer.step();
on = true;
const t0 = performance.now();
const c0 = process.cpuUsage();
for (let i = 0; i < STEPS; i++) trainer.step();
const stepMs = (performance.now() - t0) / STEPS;
const c = process.cpuUsage(c0);
on = false;

const rows = [...byKernel].sort((a, b) => b[1].ms - a[1].ms);
const totalKernelMs = rows.reduce((s, [, r]) => s + r.ms, 0) / STEPS;
const totalCalls = rows.reduce((s, [, r]) => s + r.calls, 0) / STEPS;
console.log(`steps ${STEPS}: ${stepMs.toFixed(2)} ms/step wall, ${((c.user + c.system) / 1000 / STEPS).toFixed(2)} CPU ms/step; load ${(await import('node:os')).loadavg()[0]!.toFixed(2)}`);
console.log(`kernels: ${totalCalls.toFixed(1)} calls/step, ${totalKernelMs.toFixed(2)} ms/step inside kernels; outside (dispatch, autograd, JS): ${(stepMs - totalKernelMs).toFixed(2)} ms`);
for (const [p, r] of byPhase) console.log(`phase ${p.padEnd(8)} ${(r.calls / STEPS).toFixed(1).padStart(6)} calls ${(r.ms / STEPS).toFixed(2).padStart(7)} ms in kernels; wall ${((wall.get(p) ?? NaN) / STEPS).toFixed(2)} ms`);
console.log('phase:kernel                         calls/step  ms/step  µs/call');
for (const [k, r] of rows) console.log(`${k.padEnd(60)} ${(r.calls / STEPS).toFixed(1).padStart(8)} ${(r.ms / STEPS).toFixed(3).padStart(8)} ${((r.ms / r.calls) * 1000).toFixed(1).padStart(8)}`);
trainer.dispose();
