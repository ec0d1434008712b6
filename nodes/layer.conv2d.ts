import { convLayerNode, convParams } from './lib/conv-node';

export const params = convParams;

export default convLayerNode({
  type: 'layer.conv2d',
  title: 'Conv 2D',
  description: 'y = act(conv(x, W) + b) on images [B,H,W,C] (nn.Conv2d): k×k kernels, stride s, p zeros on each side; H′ = ⌊(H + 2p − k)/s⌋ + 1.',
  transposed: false,
});
