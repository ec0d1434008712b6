import * as tf from '@tensorflow/tfjs';
import { binaryOp, binaryParams, type BinaryParams } from './lib/elementwise';

export const params = binaryParams;
export type Params = BinaryParams;

export default binaryOp({
  type: 'op.mul',
  title: 'Multiply',
  description: 'y = a ⊙ b element-wise, broadcasting as NumPy (e.g. ε ⊙ σ).',
  help: {
    formula: String.raw`\mathbf{y} = \mathbf{a} \odot \mathbf{b}\qquad\text{e.g. } \epsilon \odot \sigma`,
    where: 'In a hand-built reparameterization: ε from op.noise times σ from op.exp; its y feeds op.add.',
  },
  symbol: 'a ⊙ b',
  op: tf.mul,
});
