/**
 * Dense layers, shared by layer.dense, vae.encoder and vae.decoder.
 *
 * Weights are stored as kernel [in, out] and bias [out], initialised as PyTorch's
 * nn.Linear (uniform in ±1/√fan_in for both), so a graph and its PyTorch twin train alike.
 *
 * The fast path: tfjs-wasm's matMul with a transposed operand (what the stock gradient of
 * matMul uses) is ~12× slower than a plain matMul. `dense` computes its gradient with
 * explicit transposes and plain matMuls, and folds the activation's derivative into the
 * same custom gradient, so one tape entry covers the whole layer.
 */
import * as tf from '@tensorflow/tfjs';
import type { VarSpec } from '../types';

export const ACTIVATIONS = ['none', 'relu', 'tanh', 'sigmoid', 'elu'] as const;
export type Activation = (typeof ACTIVATIONS)[number];

export function denseVars(prefix: string, fanIn: number, units: number): VarSpec[] {
  const bound = 1 / Math.sqrt(fanIn);
  return [
    { name: `${prefix}/kernel`, shape: [fanIn, units], init: { kind: 'uniform', bound } },
    { name: `${prefix}/bias`, shape: [units], init: { kind: 'uniform', bound } },
  ];
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

const fused = new Map<Activation, (x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D) => tf.Tensor2D>();

function fastDense2d(activation: Activation): (x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D) => tf.Tensor2D {
  let f = fused.get(activation);
  if (!f) {
    f = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
      const [x, w, b, save] = args as [tf.Tensor2D, tf.Tensor2D, tf.Tensor1D, tf.GradSaveFunc];
      const u = tf.add(tf.matMul(x, w), b);
      const y = activate(u, activation);
      save([x, w, y]);
      return {
        value: y,
        gradFunc: (dy, saved) => {
          const [sx, sw, sy] = saved as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
          const du = activationGrad(dy as tf.Tensor, sy, activation) as tf.Tensor2D;
          return [tf.matMul(du, tf.transpose(sw)), tf.matMul(tf.transpose(sx), du), tf.sum(du, 0)];
        },
      };
    }) as unknown as (x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D) => tf.Tensor2D;
    fused.set(activation, f);
  }
  return f;
}

/**
 * y = act(x·W + b) on the last axis of x (any leading axes, e.g. [K,B,d]).
 * `fast` selects the explicit-transpose gradient; both give the same numbers.
 */
export function dense(x: tf.Tensor, kernel: tf.Tensor, bias: tf.Tensor, activation: Activation, fast: boolean): tf.Tensor {
  const [fanIn, units] = kernel.shape as [number, number];
  const lead = x.shape.slice(0, -1);
  const x2 = x.rank === 2 ? (x as tf.Tensor2D) : (tf.reshape(x, [-1, fanIn]) as tf.Tensor2D);
  let y2: tf.Tensor2D;
  if (fast) {
    y2 = fastDense2d(activation)(x2, kernel as tf.Tensor2D, bias as tf.Tensor1D);
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
