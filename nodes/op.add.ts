import * as tf from '@tensorflow/tfjs';
import { binaryOp, binaryParams, type BinaryParams } from './lib/elementwise';

export const params = binaryParams;
export type Params = BinaryParams;

export default binaryOp({
  type: 'op.add',
  title: 'Add',
  description: 'y = a + b element-wise, broadcasting as NumPy (e.g. z = μ + ε ⊙ σ).',
  symbol: 'a + b',
  op: tf.add,
});
