/**
 * Fused kernels for tfjs-backend-wasm: one JavaScript pass over the wasm heap where the stock
 * ops are slow, and fewer dispatches (~5–10 µs each in the engine) where they are many.
 *
 * What was measured (Node, wasm SIMD, one core; bench/profile-step.ts): tfjs-wasm's
 * XNNPACK-backed binary ops (add, mul, sub, div, also with a scalar) take ~0.3 ns an element,
 * faster than any JavaScript loop (~1.2 ns for the simplest; V8 does not vectorise), so they
 * stay. Its max(x, c), its reductions (a sum over axis 0 transposes first) and its Identity
 * (a malloc and a copy) are slow (3–4 ns an element), and Math.log and Math.exp cost 11–18 ns
 * in V8 against 3.4 for tf.log: the kernels here replace the slow ones and take logs as inputs.
 *
 * Each kernel is registered with tf.registerKernel for the 'wasm' backend and writes fresh
 * output buffers (never its inputs: a buffer may be shared with other tensors, and XNNPACK
 * caches packed weights by tensor id); some also for 'webgl', as GPU programs
 * (nodes/lib/fused-webgl.ts). On any other backend `fusedKernels()` is false
 * and the callers compose the stock ops, which compute the same function within float32
 * rounding (tests/unit/fused-kernels.test.ts, tests/unit/fastpath.test.ts,
 * nodes/train.optimizer.test.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { adamSimd } from './simd';
import { WEBGL_KERNELS } from './fused-webgl';

/** The part of tfjs-backend-wasm's BackendWasm the kernels use. */
interface WasmBackend {
  makeOutput(shape: number[], dtype: 'float32'): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array;
  dataIdMap: { get(dataId: tf.DataId): { memoryOffset: number } };
  /** The Emscripten module: its memory is `asm.memory`, or `wasmMemory` in the threaded build. */
  wasm: { asm?: { memory?: WebAssembly.Memory }; wasmMemory?: WebAssembly.Memory };
}

function wasmMemory(backend: WasmBackend): WebAssembly.Memory | undefined {
  return backend.wasm.asm?.memory ?? backend.wasm.wasmMemory;
}

type Inputs = Record<string, tf.TensorInfo>;
type Attrs = Record<string, number | string>;

/** Kernel names (prefixed: they share tfjs's global kernel registry). */
export const KERNELS = {
  adam: 'VaeLabAdam',
  bceRows: 'VaeLabBceRows',
  bceGrad: 'VaeLabBceGrad',
  colSum: 'VaeLabColSum',
  transpose: 'VaeLabTranspose',
  reparam: 'VaeLabReparam',
  reparamGrad: 'VaeLabReparamGrad',
  klRows: 'VaeLabKlRows',
  klGrad: 'VaeLabKlGrad',
} as const;

function register(name: string, fn: (inputs: Inputs, attrs: Attrs, backend: WasmBackend) => tf.TensorInfo | tf.TensorInfo[]): void {
  if (tf.getKernel(name, 'wasm')) return;
  tf.registerKernel({
    kernelName: name,
    backendName: 'wasm',
    kernelFunc: ({ inputs, attrs, backend }) => fn(inputs as Inputs, (attrs ?? {}) as Attrs, backend as unknown as WasmBackend),
  });
}

for (const [role, kernelFunc] of Object.entries(WEBGL_KERNELS)) {
  const kernelName = KERNELS[role as keyof typeof KERNELS];
  if (!tf.getKernel(kernelName, 'webgl')) {
    tf.registerKernel({ kernelName, backendName: 'webgl', kernelFunc: ({ inputs, attrs, backend }) => kernelFunc(inputs as Inputs, (attrs ?? {}) as Attrs, backend as never) });
  }
}

let enabled = true;

// ---------------------------------------------------------------------------------------
// Identity (tf.clone, and every tensor a gradient saves: customGrad's save() and the kernels'
// inputsToSave/outputsToSave, ~50 a step for the standard VAE) shares the buffer, as the cpu
// and webgl backends' Identity does, instead of tfjs-wasm's malloc and copy. Tensors are
// immutable and the buffer is reference-counted, so sharing is safe; wasm's Reshape shares
// buffers the same way.

let identityShared = false;

/** Replace tfjs-wasm's Identity once its kernels are registered (on first use: import order does not matter). */
function shareIdentity(): void {
  if (identityShared) return;
  const stock = tf.getKernel('Identity', 'wasm');
  if (!stock) return;
  identityShared = true;
  tf.unregisterKernel('Identity', 'wasm');
  tf.registerKernel({
    ...stock,
    kernelFunc: (args) => {
      const x = args.inputs.x as tf.TensorInfo;
      if (!enabled || x.dtype === 'string') return stock.kernelFunc(args);
      (args.backend as unknown as { incRef(dataId: tf.DataId): void }).incRef(x.dataId);
      return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
    },
  });
}

/** Turn the fused kernels off (and on again): the bench's A/B of the same step (bench/fused-ab.ts). */
export function setFusedKernels(on: boolean): void {
  enabled = on;
}

/**
 * Whether the fused kernels run on the current backend; elsewhere callers use stock ops. On
 * wasm all of them; on webgl those of `needs` when each has a GPU program there
 * (nodes/lib/fused-webgl.ts; a caller that names none keeps the stock ops on webgl).
 */
export function fusedKernels(...needs: Array<keyof typeof KERNELS>): boolean {
  if (!enabled) return false;
  const backend = tf.getBackend();
  if (backend === 'wasm') {
    shareIdentity();
    return true;
  }
  return backend === 'webgl' && needs.length > 0 && needs.every((k) => tf.getKernel(KERNELS[k], 'webgl') != null);
}

function run(name: string, inputs: Record<string, tf.Tensor>, attrs: Attrs = {}): tf.Tensor[] {
  const out = tf.engine().runKernel(name, inputs as unknown as tf.NamedTensorMap, attrs as unknown as tf.NamedAttrMap);
  return Array.isArray(out) ? out : [out as tf.Tensor];
}

// ---------------------------------------------------------------------------------------
// Adam: θ' = θ + (m' / (√v' + ε)) · stepSize, m' = β₁m + (1 − β₁)g, v' = β₂v + (1 − β₂)g².
// Three fresh outputs (θ', m', v'); the caller assigns them to its variables.

function adamLoop(p0: Float32Array, g: Float32Array, m0: Float32Array, v0: Float32Array, p1: Float32Array, m1: Float32Array, v1: Float32Array, b1: number, b2: number, step: number, eps: number): void {
  const c1 = 1 - b1;
  const c2 = 1 - b2;
  const fr = Math.fround;
  const n = p0.length;
  for (let i = 0; i < n; i++) {
    const gi = g[i]!;
    const mi = b1 * m0[i]! + c1 * gi;
    const vi = b2 * v0[i]! + c2 * gi * gi;
    m1[i] = mi;
    v1[i] = vi;
    // As tf.train.adam: the update reads the stored (float32) moments.
    p1[i] = p0[i]! + (fr(mi) / (Math.sqrt(fr(vi)) + eps)) * step;
  }
}

register(KERNELS.adam, ({ param, grad, m, v }, attrs, backend) => {
  const shape = param!.shape;
  const outs = [backend.makeOutput(shape, 'float32'), backend.makeOutput(shape, 'float32'), backend.makeOutput(shape, 'float32')];
  const b1 = attrs.beta1 as number;
  const b2 = attrs.beta2 as number;
  const step = attrs.stepSize as number;
  const eps = attrs.epsilon as number;
  const ins = [param!, grad!, m!, v!];
  const n = backend.typedArrayFromHeap(param!).length;
  // WebAssembly SIMD for the groups of four (nodes/lib/simd.ts), JavaScript for the rest.
  const simd = adamSimd(wasmMemory(backend));
  const n4 = simd ? n - (n % 4) : 0;
  if (simd && n4 > 0) {
    const at = (t: tf.TensorInfo) => backend.dataIdMap.get(t.dataId).memoryOffset;
    simd(at(ins[0]!), at(ins[1]!), at(ins[2]!), at(ins[3]!), at(outs[0]!), at(outs[1]!), at(outs[2]!), n4 * 4, b1, 1 - b1, b2, 1 - b2, step, eps);
  }
  if (n4 < n) {
    // Views after every allocation (a growing heap detaches older ones).
    const view = (t: tf.TensorInfo) => backend.typedArrayFromHeap(t).subarray(n4);
    adamLoop(view(ins[0]!), view(ins[1]!), view(ins[2]!), view(ins[3]!), view(outs[0]!), view(outs[1]!), view(outs[2]!), b1, b2, step, eps);
  }
  return outs;
});

/**
 * Without WebAssembly SIMD, above this many elements tfjs-wasm's own kernels run Adam's 12
 * passes faster than one JavaScript loop (its square root and division in double precision:
 * ~5 ns an element, against ~4.5 for the 12 kernels); below it their dispatch cost (~10 µs a
 * kernel) dominates. Measured on the standard preset's variables: the loop for all ten took
 * 4.0 ms of CPU, the 12 kernels 2.9 ms; the eight small ones (≤ 8,000 elements) take 96 kernels.
 */
export const ADAM_FUSED_MAX_SIZE = 65536;

/** Whether one fused Adam kernel is the faster way to update a variable of `size` elements here (on webgl always: three programs instead of 12). */
export function adamFusedFor(size: number): boolean {
  if (!fusedKernels('adam')) return false;
  if (tf.getBackend() === 'webgl') return true;
  return size <= ADAM_FUSED_MAX_SIZE || adamSimd(wasmMemory(tf.backend() as unknown as WasmBackend)) !== null;
}

/**
 * One Adam step of a variable on wasm: [θ', m', v'] from θ, its gradient and its moments
 * (β's, stepSize = −lr·√c₂/c₁ and ε·√c₂ as nodes/train.optimizer.ts folds the bias corrections).
 */
export function adamStep(param: tf.Tensor, grad: tf.Tensor, m: tf.Tensor, v: tf.Tensor, beta1: number, beta2: number, stepSize: number, epsilon: number): tf.Tensor[] {
  return run(KERNELS.adam, { param, grad, m, v }, { beta1, beta2, stepSize, epsilon });
}

// ---------------------------------------------------------------------------------------
// Bernoulli BCE summed over the last axis, from p, x and the two logs (computed by tf.log):
//   row r: −Σ_j [x log p + (1 − x) log(1 − p)], each log clamped at −100 (PyTorch's BCE).
// Its gradient with respect to p: dy_r · (p − x) / max(p(1 − p), 1e-12).

const LOG_FLOOR = -100;

register(KERNELS.bceRows, ({ x, logP, log1mP }, _attrs, backend) => {
  const [rows, cols] = x!.shape as [number, number];
  const out = backend.makeOutput([rows], 'float32');
  const [xs, lp, l1p, o] = [x!, logP!, log1mP!, out].map((t) => backend.typedArrayFromHeap(t));
  for (let r = 0, k = 0; r < rows; r++) {
    let s = 0;
    for (let j = 0; j < cols; j++, k++) {
      const a = Math.max(lp![k]!, LOG_FLOOR);
      const b = Math.max(l1p![k]!, LOG_FLOOR);
      const xi = xs![k]!;
      s += xi * a + (1 - xi) * b;
    }
    o![r] = -s;
  }
  return out;
});

register(KERNELS.bceGrad, ({ p, x, dy }, _attrs, backend) => {
  const [rows, cols] = p!.shape as [number, number];
  const out = backend.makeOutput([rows, cols], 'float32');
  const [ps, xs, d, o] = [p!, x!, dy!, out].map((t) => backend.typedArrayFromHeap(t));
  for (let r = 0, k = 0; r < rows; r++) {
    const dr = d![r]!;
    for (let j = 0; j < cols; j++, k++) {
      const pi = ps![k]!;
      o![k] = (dr * (pi - xs![k]!)) / Math.max(pi * (1 - pi), 1e-12);
    }
  }
  return out;
});

/** Per-row (last-axis) sums of the clamped BCE terms: [rows] from x, log p, log(1 − p) [rows, cols]. */
export function bceRowSums(x: tf.Tensor2D, logP: tf.Tensor2D, log1mP: tf.Tensor2D): tf.Tensor1D {
  return run(KERNELS.bceRows, { x, logP, log1mP })[0] as tf.Tensor1D;
}

/** dL/dp of bceRowSums for per-row upstream gradients dy [rows]. */
export function bceRowGrad(p: tf.Tensor2D, x: tf.Tensor2D, dy: tf.Tensor1D): tf.Tensor2D {
  return run(KERNELS.bceGrad, { p, x, dy })[0] as tf.Tensor2D;
}

// ---------------------------------------------------------------------------------------
// Column sums (a dense layer's bias gradient, Σ_B du): tfjs-wasm reduces axis 0 by a
// transpose and a scalar reduction (~3 ns an element); one pass here (~0.5).

register(KERNELS.colSum, ({ x }, _attrs, backend) => {
  const [rows, cols] = x!.shape as [number, number];
  const out = backend.makeOutput([cols], 'float32');
  colSumLoop(backend.typedArrayFromHeap(x!), backend.typedArrayFromHeap(out), rows, cols);
  return out;
});

function colSumLoop(x: Float32Array, out: Float32Array, rows: number, cols: number): void {
  const acc = new Float64Array(cols);
  const c = cols;
  let r = 0;
  // Eight rows a time: one read and write of the accumulator per eight elements (2.6× faster).
  for (; r + 8 <= rows; r += 8) {
    for (let j = 0, k = r * cols; j < cols; j++, k++) {
      acc[j] += x[k]! + x[k + c]! + (x[k + 2 * c]! + x[k + 3 * c]!) + (x[k + 4 * c]! + x[k + 5 * c]! + (x[k + 6 * c]! + x[k + 7 * c]!));
    }
  }
  for (; r < rows; r++) for (let j = 0, k = r * cols; j < cols; j++, k++) acc[j] += x[k]!;
  for (let j = 0; j < cols; j++) out[j] = acc[j]!;
}

/** Σ over axis 0 of x [rows, cols]: [cols]. */
export function colSum(x: tf.Tensor2D): tf.Tensor1D {
  return run(KERNELS.colSum, { x })[0] as tf.Tensor1D;
}

// ---------------------------------------------------------------------------------------
// 2-D transpose of a wide matrix whose row count is a multiple of 128 (a batch of 128).
// tfjs-wasm's transpose writes output rows of `rows` floats; at a multiple of 128 (512-byte
// strides) its writes alias in the cache and it takes ~3 ns an element ([128, 784]: 302 µs,
// [256, 784]: 671 µs) against ~0.3–0.6 otherwise ([100, 784]: 43 µs, [400, 784]: 164 µs).
// This loop reads 8 input rows at a time and writes 8 consecutive outputs: 82 and 159 µs
// there, but slower than tfjs-wasm's elsewhere ([400, 784]: 250 µs), which keeps those.

register(KERNELS.transpose, ({ x }, _attrs, backend) => {
  const [rows, cols] = x!.shape as [number, number];
  const out = backend.makeOutput([cols, rows], 'float32');
  transposeLoop(backend.typedArrayFromHeap(x!), backend.typedArrayFromHeap(out), rows, cols);
  return out;
});

function transposeLoop(x: Float32Array, o: Float32Array, rows: number, cols: number): void {
  const c = cols;
  let r = 0;
  for (; r + 8 <= rows; r += 8) {
    for (let j = 0; j < cols; j++) {
      const k = j * rows + r;
      const s = r * cols + j;
      o[k] = x[s]!;
      o[k + 1] = x[s + c]!;
      o[k + 2] = x[s + 2 * c]!;
      o[k + 3] = x[s + 3 * c]!;
      o[k + 4] = x[s + 4 * c]!;
      o[k + 5] = x[s + 5 * c]!;
      o[k + 6] = x[s + 6 * c]!;
      o[k + 7] = x[s + 7 * c]!;
    }
  }
  for (; r < rows; r++) for (let j = 0; j < cols; j++) o[j * rows + r] = x[r * cols + j]!;
}

/**
 * xᵀ for x [rows, cols]: on wasm, a wide x with rows a multiple of 128 through the loop
 * above, otherwise tf.transpose. Not differentiable: for the insides of custom gradients.
 */
export function transpose2d(x: tf.Tensor2D): tf.Tensor2D {
  const [rows, cols] = x.shape;
  if (rows % 128 === 0 && cols > rows && fusedKernels()) return run(KERNELS.transpose, { x })[0] as tf.Tensor2D;
  return tf.transpose(x);
}

// ---------------------------------------------------------------------------------------
// The latent code's small ops ([B, d]: a few thousand elements, where each of the ~25 stock
// kernels of the reparameterization and the closed-form KL, forward and backward, costs its
// dispatch more than its arithmetic).

register(KERNELS.reparam, ({ mu, logvar, eps }, _attrs, backend) => {
  const shape = mu!.shape;
  const outs = [backend.makeOutput(shape, 'float32'), backend.makeOutput(shape, 'float32')];
  const [m, lv, e, z, std] = [mu!, logvar!, eps!, outs[0]!, outs[1]!].map((t) => backend.typedArrayFromHeap(t));
  for (let i = 0; i < m!.length; i++) {
    std![i] = Math.exp(lv![i]! * 0.5);
    z![i] = m![i]! + e![i]! * std![i]!;
  }
  return outs;
});

register(KERNELS.reparamGrad, ({ dz, eps, std }, _attrs, backend) => {
  const shape = dz!.shape;
  const outs = [backend.makeOutput(shape, 'float32'), backend.makeOutput(shape, 'float32')];
  const [d, e, s, dmu, dlv] = [dz!, eps!, std!, outs[0]!, outs[1]!].map((t) => backend.typedArrayFromHeap(t));
  for (let i = 0; i < d!.length; i++) {
    dmu![i] = d![i]!;
    dlv![i] = d![i]! * e![i]! * s![i]! * 0.5;
  }
  return outs;
});

/**
 * z = μ + ε ⊙ exp(½ log σ²) for μ, log σ² and ε of one shape, with its gradient: one kernel
 * each way on wasm. Call only when fusedKernels() holds.
 */
export function reparameterize(mu: tf.Tensor, logvar: tf.Tensor, eps: tf.Tensor): tf.Tensor {
  const f = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [m, lv, save] = args as [tf.Tensor, tf.Tensor, tf.GradSaveFunc];
    const [z, std] = run(KERNELS.reparam, { mu: m, logvar: lv, eps });
    // ε is not an input of the gradient, but the backward pass reads it: save (keep) it too.
    save([eps, std!]);
    return { value: z!, gradFunc: (dz, saved) => run(KERNELS.reparamGrad, { dz: dz as tf.Tensor, eps: saved[0]!, std: saved[1]! }) };
  }) as unknown as (m: tf.Tensor, lv: tf.Tensor) => tf.Tensor;
  return f(mu, logvar);
}

register(KERNELS.klRows, ({ mu, logvar }, attrs, backend) => {
  const [rows, cols] = mu!.shape as [number, number];
  const out = backend.makeOutput([rows], 'float32');
  const [m, lv, o] = [mu!, logvar!, out].map((t) => backend.typedArrayFromHeap(t));
  const scale = attrs.scale as number;
  for (let r = 0, k = 0; r < rows; r++) {
    let s = 0;
    for (let j = 0; j < cols; j++, k++) {
      const mi = m![k]!;
      const li = lv![k]!;
      s += 1 + li - mi * mi - Math.exp(li);
    }
    o![r] = -0.5 * s * scale;
  }
  return out;
});

register(KERNELS.klGrad, ({ dy, mu, logvar }, attrs, backend) => {
  const [rows, cols] = mu!.shape as [number, number];
  const outs = [backend.makeOutput([rows, cols], 'float32'), backend.makeOutput([rows, cols], 'float32')];
  const [d, m, lv, dmu, dlv] = [dy!, mu!, logvar!, outs[0]!, outs[1]!].map((t) => backend.typedArrayFromHeap(t));
  const scale = attrs.scale as number;
  for (let r = 0, k = 0; r < rows; r++) {
    const dr = d![r]! * scale;
    for (let j = 0; j < cols; j++, k++) {
      dmu![k] = dr * m![k]!;
      dlv![k] = -0.5 * dr * (1 - Math.exp(lv![k]!));
    }
  }
  return outs;
});

/**
 * Per row of μ, log σ² [B, d]: −½ Σ_j (1 + log σ² − μ² − σ²), times `scale` (1 for the sum,
 * 1/d for the mean), with its gradient: one kernel each way on wasm. Call only when
 * fusedKernels() holds.
 */
export function klRows(mu: tf.Tensor2D, logvar: tf.Tensor2D, scale: number): tf.Tensor1D {
  const f = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [m, lv, save] = args as [tf.Tensor2D, tf.Tensor2D, tf.GradSaveFunc];
    save([m, lv]);
    return {
      value: run(KERNELS.klRows, { mu: m, logvar: lv }, { scale })[0]!,
      gradFunc: (dy, saved) => run(KERNELS.klGrad, { dy: dy as tf.Tensor, mu: saved[0]!, logvar: saved[1]! }, { scale }),
    };
  }) as unknown as (m: tf.Tensor2D, lv: tf.Tensor2D) => tf.Tensor1D;
  return f(mu, logvar);
}
