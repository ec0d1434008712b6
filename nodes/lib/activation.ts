/**
 * Element-wise activations for the conv and recurrent layers (nodes/lib/conv.ts, rnn.ts).
 * They stay outside those layers' custom gradients: tf's own element-wise gradients are
 * fast on every backend, so only the products and convolutions need a hand-written backward.
 */
import * as tf from '@tensorflow/tfjs';
import type { Activation } from './dense';

const APPLY: Record<Activation, (y: tf.Tensor) => tf.Tensor> = {
  none: (y) => y,
  relu: (y) => tf.relu(y),
  tanh: (y) => tf.tanh(y),
  sigmoid: (y) => tf.sigmoid(y),
  elu: (y) => tf.elu(y),
};

export function applyActivation(y: tf.Tensor, activation: Activation): tf.Tensor {
  return APPLY[activation](y);
}
