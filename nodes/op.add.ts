import * as tf from '@tensorflow/tfjs';
import { binaryOp, binaryParams, type BinaryParams } from './lib/elementwise';

export const params = binaryParams;
export type Params = BinaryParams;

export default binaryOp({
  type: 'op.add',
  title: 'Add',
  description: 'y = a + b element-wise, broadcasting as NumPy (e.g. z = μ + ε ⊙ σ).',
  help: {
    formula: String.raw`\mathbf{y} = \mathbf{a} + \mathbf{b}\qquad\text{e.g. } \mathbf{z} = \mu + \epsilon \odot \sigma`,
    where: 'The last node of a hand-built reparameterization: μ from the encoder plus ε ⊙ σ from op.mul; its y is z, for the decoder.',
  },
  symbol: 'a + b',
  op: tf.add,
});
