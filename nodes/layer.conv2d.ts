import { convLayerNode, convParams } from './lib/conv-node';

export const params = convParams;

export default convLayerNode({
  type: 'layer.conv2d',
  title: 'Conv 2D',
  description: 'y = act(conv(x, W) + b) on images [B,H,W,C] (nn.Conv2d): k×k kernels, stride s, p zeros on each side; H′ = ⌊(H + 2p − k)/s⌋ + 1.',
  help: {
    formula: String.raw`H' = \Big\lfloor \frac{H + 2p - k}{s} \Big\rfloor + 1,\quad \mathbf{y} = \mathrm{act}(W \ast \mathbf{x} + \mathbf{b})`,
    where: 'In a convolutional encoder: after an op.reshape of the data\'s x to [B,H,W,C]; its y feeds another conv, or an op.reshape to [B,-1] and a dense head for μ and log σ².',
  },
  transposed: false,
});
