/**
 * Browser entry of bench/webgl-step.mjs (bundled by esbuild, run in Chromium): the compiled
 * standard preset's Trainer on tfjs-backend-webgl with synthetic MNIST-shaped digits, and what
 * its steps cost the GPU side: shader programs compiled (the backend's binary cache grows by
 * one per program) and programs dispatched (MathBackendWebGL.runWebGLProgram calls).
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgl';
import preset from '../presets/standard-vae.json';
import { registry } from '../nodes';
import { setFusedKernels } from '../nodes/lib/fused';
import { parseGraph } from '../src/graph/schema';
import { compile } from '../src/compiler/compile';
import { Trainer } from '../src/runtime/trainer';
import { MNIST_PIXELS } from '../src/runtime/data/mnist';

interface WebGLBackendParts {
  binaryCache: Record<string, unknown>;
  runWebGLProgram: (...args: unknown[]) => unknown;
  gpgpu: { gl: WebGLRenderingContext };
}

async function run(opts: { steps: number; fused: boolean }) {
  setFusedKernels(opts.fused);
  await tf.setBackend('webgl');
  await tf.ready();
  const backend = tf.backend() as unknown as WebGLBackendParts;
  const gl = backend.gpgpu.gl;
  const dbg = gl.getExtension('WEBGL_debug_renderer_info');
  const renderer = dbg ? String(gl.getParameter(dbg.UNMASKED_RENDERER_WEBGL)) : String(gl.getParameter(gl.RENDERER));
  let dispatches = 0;
  const programs = new Map<string, number>();
  const inner = backend.runWebGLProgram.bind(backend);
  backend.runWebGLProgram = (...args: unknown[]) => {
    dispatches++;
    const name = (args[0] as { constructor: { name: string } }).constructor.name;
    programs.set(name, (programs.get(name) ?? 0) + 1);
    const before = Object.keys(backend.binaryCache).length;
    const out = inner(...args);
    if (Object.keys(backend.binaryCache).length > before) newPrograms.push(name);
    return out;
  };
  const newPrograms: string[] = [];
  const parsed = parseGraph(JSON.stringify(preset), registry);
  if (!parsed.ok) throw new Error(parsed.diagnostics[0]!.message);
  const compiled = compile(parsed.graph, registry);
  if (!compiled.ok) throw new Error(compiled.diagnostics[0]!.message);
  const count = 12000;
  const images = new Uint8Array(count * MNIST_PIXELS);
  let s = 1;
  for (let i = 0; i < images.length; i++) images[i] = (s = (s * 1103515245 + 12345) >>> 0) >>> 24;
  const trainer = new Trainer(compiled.plan, { mnist: { images, labels: new Uint8Array(count), count, pixels: MNIST_PIXELS }, seed: 1 });
  const cached = () => Object.keys(backend.binaryCache).length;
  const c0 = cached();
  const t0 = performance.now();
  const r1 = trainer.step();
  const firstMs = performance.now() - t0;
  const compiledFirst = cached() - c0;
  const firstDispatches = dispatches;
  if (!r1.ok) throw new Error('step 1 failed');
  const losses = [r1.metrics.loss];
  const tally = () => Object.fromEntries(newPrograms.splice(0).reduce((m, k) => m.set(k, (m.get(k) ?? 0) + 1), new Map<string, number>()));
  const compiledFirstByKind = tally();
  // Step 2 (the moments are textures from here on), then the measured steps.
  trainer.step();
  dispatches = 0;
  programs.clear();
  const c2 = cached();
  const n0 = tf.memory().numTensors;
  const t2 = performance.now();
  for (let i = 0; i < opts.steps; i++) {
    const r = trainer.step();
    if (r.ok) losses.push(r.metrics.loss);
  }
  const msPerStep = (performance.now() - t2) / opts.steps;
  const out = {
    renderer,
    fused: opts.fused,
    firstStepMs: Math.round(firstMs),
    programsCompiledFirstStep: compiledFirst,
    dispatchesFirstStep: firstDispatches,
    /** Compiled in steps 3…: none expected (no new shapes). */
    programsCompiledLater: cached() - c2,
    dispatchesPerStep: dispatches / opts.steps,
    msPerStep: Math.round(msPerStep * 10) / 10,
    numTensorsDrift: tf.memory().numTensors - n0,
    lossFirst: losses[0],
    lossLast: losses[losses.length - 1],
    compiledFirstByKind,
    dispatchedPerStepByKind: Object.fromEntries([...programs].sort((a, b) => b[1] - a[1]).map(([k, v]) => [k, v / opts.steps])),
  };
  trainer.dispose();
  return out;
}

(globalThis as unknown as { webglStep: typeof run }).webglStep = run;
