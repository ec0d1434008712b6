import * as tf from '@tensorflow/tfjs';
import { binaryOp, binaryParams, type BinaryParams } from './lib/elementwise';

export const params = binaryParams;
export type Params = BinaryParams;

export default binaryOp({
  type: 'op.mul',
  title: 'Multiply',
  description: 'y = a ⊙ b element-wise, broadcasting as NumPy (e.g. ε ⊙ σ).',
  symbol: 'a ⊙ b',
  op: tf.mul,
});
