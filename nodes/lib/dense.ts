/**
 * Dense layers, shared by layer.dense, vae.encoder and vae.decoder.
 *
 * Weights are stored as kernel [in, out] and bias [out], initialised as PyTorch's
 * nn.Linear (uniform in ±1/√fan_in for both), so a graph and its PyTorch twin train alike.
 *
 * The fast path (`fast = true`): one custom gradient covers the whole layer (matmul, bias
 * and the activation's derivative, expressed through the saved output), and the products
 * of the backward pass are laid out for the backend:
 * - wasm: a matMul with a transpose flag falls off XNNPACK onto a naive loop (~12× slower),
 *   and XNNPACK re-packs the right operand of every product whose right operand is a new
 *   tensor (every step: the weights change). So the gradient uses explicit transposes and
 *   plain products, and for a wide layer the forward and dx = du·Wᵀ are computed as
 *   (Wᵀ·xᵀ)ᵀ and (W·duᵀ)ᵀ, which pack batch-sized operands instead of the weights.
 * - cpu and webgl: the transpose flags are used directly (no extra transpose passes). On
 *   cpu this measured ~2% less CPU per step than explicit transposes; webgl's matMul shader
 *   takes the transposes as parameters (not measured here: Node has no WebGL).
 * - A layer whose input is a constant (a data batch marked with `markConstant`) skips
 *   the gradient with respect to its input: nothing asks for it. For the standard VAE that
 *   is one of the three largest products of the backward pass ([128,400]·[400,784]).
 * - On wasm the bias gradient Σ_B du is one pass of nodes/lib/fused.ts (tfjs-wasm's sum over
 *   axis 0 transposes first), and so is the transpose of a wide matrix ([B, 784]: 6× faster).
 *   The other element-wise ops stay tfjs-wasm's: its XNNPACK binary ops (~0.3 ns an element)
 *   beat a JavaScript loop (~1.2 ns), fused or not.
 * The fast and stock paths compute the same functions; they differ only in float32
 * rounding (tests/unit/fastpath.test.ts holds them within 1e-5 relative).
 */
import * as tf from '@tensorflow/tfjs';
import type { VarSpec } from '../types';
import { colSum, fusedKernels, transpose2d } from './fused';

export const ACTIVATIONS = ['none', 'relu', 'tanh', 'sigmoid', 'elu'] as const;
export type Activation = (typeof ACTIVATIONS)[number];

export function denseVars(prefix: string, fanIn: number, units: number): VarSpec[] {
  const bound = 1 / Math.sqrt(fanIn);
  return [
    { name: `${prefix}/kernel`, shape: [fanIn, units], init: { kind: 'uniform', bound } },
    { name: `${prefix}/bias`, shape: [units], init: { kind: 'uniform', bound } },
  ];
}

// ---------------------------------------------------------------------------------------
// Constants: tensors no gradient is ever asked of.

const constants = new WeakSet<tf.Tensor>();

/**
 * Declare that no gradient will ever be asked with respect to `t` (a data batch built from
 * a typed array). A fast dense layer fed `t` directly then skips computing dL/dx. Do not
 * mark a tensor you pass to tf.grads as an x.
 */
export function markConstant<T extends tf.Tensor>(t: T): T {
  constants.add(t);
  return t;
}

export function isConstant(t: tf.Tensor): boolean {
  return constants.has(t);
}

// ---------------------------------------------------------------------------------------
// Per-backend layout of the fast path's products.

export type MatMulLayout = 'xnnpack' | 'flags';

/** How the fast path lays out its products on each backend (see the file comment). */
export function layoutFor(backend: string): MatMulLayout {
  return backend === 'wasm' ? 'xnnpack' : 'flags';
}

function activate(y: tf.Tensor, activation: Activation): tf.Tensor {
  switch (activation) {
    case 'none':
      return y;
    case 'relu':
      return tf.relu(y);
    case 'tanh':
      return tf.tanh(y);
    case 'sigmoid':
      return tf.sigmoid(y);
    case 'elu':
      return tf.elu(y);
  }
}

/** d act(u) / du expressed through the output y = act(u), times dy. */
function activationGrad(dy: tf.Tensor, y: tf.Tensor, activation: Activation): tf.Tensor {
  switch (activation) {
    case 'none':
      return dy;
    case 'relu':
      return tf.mul(dy, tf.step(y));
    case 'tanh':
      return tf.mul(dy, tf.sub(1, tf.square(y)));
    case 'sigmoid':
      return tf.mul(dy, tf.mul(y, tf.sub(1, y)));
    case 'elu':
      // y > 0: 1; else e^u = y + 1
      return tf.mul(dy, tf.where(tf.greater(y, 0), tf.onesLike(y), tf.add(y, 1)));
  }
}

/**
 * XNNPACK packs the right operand of a product anew whenever that operand is a new tensor
 * (every step, for the weights). Packing W [in, out] costs more than transposing the small
 * operands and packing a batch-sized one instead once in·out > B·(in + out).
 */
function packsLess(fanIn: number, units: number, batch: number): boolean {
  return fanIn * units > batch * (fanIn + units);
}

/**
 * The forward, act(x·W + b). On wasm, for a wide layer, as (Wᵀ·xᵀ)ᵀ + b (see packsLess);
 * otherwise the bias is folded into the product. Only the bias: XNNPACK's fused relu (a
 * clamp) turns NaN into 0, which would hide a non-finite value from the NON_FINITE check,
 * so the activation is always a separate op.
 */
function forward2d(x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D, activation: Activation, layout: MatMulLayout): Forward {
  const [fanIn, units] = w.shape;
  if (layout === 'xnnpack' && packsLess(fanIn, units, x.shape[0])) {
    // xᵀ is kept for the backward pass: the kernel's gradient is xᵀ·du (one transpose less per step).
    const xT = transpose2d(x);
    return { y: activate(tf.add(transpose2d(tf.matMul(transpose2d(w), xT)), b), activation) as tf.Tensor2D, xT };
  }
  return { y: activate(tf.fused.matMul({ a: x, b: w, bias: b, activation: 'linear' }), activation) as tf.Tensor2D, xT: null };
}

/** The layer's output, and xᵀ when the forward computed it. */
interface Forward {
  y: tf.Tensor2D;
  xT: tf.Tensor2D | null;
}

/** du·Wᵀ [B, in] for du [B, out], W [in, out]. */
function inputGrad(du: tf.Tensor2D, w: tf.Tensor2D, layout: MatMulLayout): tf.Tensor2D {
  if (layout === 'flags') return tf.matMul(du, w, false, true);
  // (W·duᵀ)ᵀ packs duᵀ [out, B] instead of Wᵀ [out, in].
  if (packsLess(w.shape[0], w.shape[1], du.shape[0])) return transpose2d(tf.matMul(w, transpose2d(du)));
  return tf.matMul(du, transpose2d(w));
}

/**
 * The bias gradient Σ_B du: on wasm one pass (nodes/lib/fused.ts; tfjs-wasm reduces axis 0
 * through a transpose, ~3× slower).
 */
function biasGrad(du: tf.Tensor2D): tf.Tensor1D {
  return fusedKernels('colSum') ? colSum(du) : tf.sum(du, 0);
}

/**
 * xᵀ, once per buffer within a backward pass: two layers that read the same input (the
 * encoder's μ and log σ² heads) share one transpose. Keyed by the buffer (a saved copy of x
 * shares it on wasm, see nodes/lib/fused.ts); a disposed entry is made anew.
 */
const transposes = new WeakMap<object, tf.Tensor2D>();
function transposeOnce(x: tf.Tensor2D): tf.Tensor2D {
  const hit = transposes.get(x.dataId);
  if (hit && !hit.isDisposed && hit.shape[0] === x.shape[1] && hit.shape[1] === x.shape[0]) return hit;
  const t = transpose2d(x);
  transposes.set(x.dataId, t);
  return t;
}

/** xᵀ·du [in, out] (packs du [B, out]: small); xT: the forward's xᵀ, when it made one. */
function kernelGrad(x: tf.Tensor2D, du: tf.Tensor2D, layout: MatMulLayout, xT: tf.Tensor2D | null): tf.Tensor2D {
  if (layout === 'flags') return tf.matMul(x, du, true, false);
  return tf.matMul(xT ?? transposeOnce(x), du);
}

type Dense3 = (x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D) => tf.Tensor2D;
const withInputGrad = new Map<string, Dense3>();

/** The fast layer as a custom gradient over (x, W, b). */
function fastDense2d(activation: Activation, layout: MatMulLayout): Dense3 {
  const key = `${activation}|${layout}`;
  let f = withInputGrad.get(key);
  if (!f) {
    f = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
      const [x, w, b, save] = args as [tf.Tensor2D, tf.Tensor2D, tf.Tensor1D, tf.GradSaveFunc];
      const { y, xT } = forward2d(x, w, b, activation, layout);
      save(xT ? [x, w, y, xT] : [x, w, y]);
      return {
        value: y,
        gradFunc: (dy, saved) => {
          const [sx, sw, sy, sxT] = saved as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.Tensor2D | undefined];
          const du = activationGrad(dy as tf.Tensor, sy, activation) as tf.Tensor2D;
          return [inputGrad(du, sw, layout), kernelGrad(sx, du, layout, sxT ?? null), biasGrad(du)];
        },
      };
    }) as unknown as Dense3;
    withInputGrad.set(key, f);
  }
  return f;
}

/** The fast layer on a constant input: a custom gradient over (W, b) only. */
function fastDense2dConstantInput(x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D, activation: Activation, layout: MatMulLayout): tf.Tensor2D {
  const f = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [cw, cb, save] = args as [tf.Tensor2D, tf.Tensor1D, tf.GradSaveFunc];
    const { y, xT } = forward2d(x, cw, cb, activation, layout);
    // x is not an input of this gradient, but the backward pass reads it: save (keep) it too.
    save(xT ? [x, y, xT] : [x, y]);
    return {
      value: y,
      gradFunc: (dy, saved) => {
        const [sx, sy, sxT] = saved as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D | undefined];
        const du = activationGrad(dy as tf.Tensor, sy, activation) as tf.Tensor2D;
        return [kernelGrad(sx, du, layout, sxT ?? null), biasGrad(du)];
      },
    };
  }) as unknown as (w: tf.Tensor2D, b: tf.Tensor1D) => tf.Tensor2D;
  return f(w, b);
}

/**
 * y = act(x·W + b) on the last axis of x (any leading axes, e.g. [K,B,d]).
 * `fast` selects the custom-gradient path; both give the same numbers up to float32 rounding.
 */
export function dense(x: tf.Tensor, kernel: tf.Tensor, bias: tf.Tensor, activation: Activation, fast: boolean): tf.Tensor {
  const [fanIn, units] = kernel.shape as [number, number];
  const lead = x.shape.slice(0, -1);
  const x2 = x.rank === 2 ? (x as tf.Tensor2D) : (tf.reshape(x, [-1, fanIn]) as tf.Tensor2D);
  let y2: tf.Tensor2D;
  if (fast) {
    const layout = layoutFor(tf.getBackend());
    y2 = isConstant(x)
      ? fastDense2dConstantInput(x2, kernel as tf.Tensor2D, bias as tf.Tensor1D, activation, layout)
      : fastDense2d(activation, layout)(x2, kernel as tf.Tensor2D, bias as tf.Tensor1D);
  } else {
    y2 = activate(tf.add(tf.matMul(x2, kernel as tf.Tensor2D), bias), activation) as tf.Tensor2D;
  }
  return x.rank === 2 ? y2 : tf.reshape(y2, [...lead, units]);
}

/** Variables of an MLP trunk: layer i maps widths[i] → widths[i+1]. */
export function mlpVars(prefix: string, widths: number[]): VarSpec[] {
  const out: VarSpec[] = [];
  for (let i = 0; i + 1 < widths.length; i++) out.push(...denseVars(`${prefix}${i}`, widths[i]!, widths[i + 1]!));
  return out;
}

export function runMlp(
  x: tf.Tensor,
  vars: Record<string, tf.Variable>,
  prefix: string,
  layers: number,
  activation: Activation,
  fast: boolean,
  lastActivation: Activation = activation,
): tf.Tensor {
  let h = x;
  for (let i = 0; i < layers; i++) {
    h = dense(h, vars[`${prefix}${i}/kernel`]!, vars[`${prefix}${i}/bias`]!, i === layers - 1 ? lastActivation : activation, fast);
  }
  return h;
}

export function activationRange(a: Activation): [number, number] | null {
  if (a === 'sigmoid') return [0, 1];
  if (a === 'tanh') return [-1, 1];
  return null;
}
