import { convLayerNode, convParams } from './lib/conv-node';

export const params = convParams;

export default convLayerNode({
  type: 'layer.conv2dTranspose',
  title: 'Transposed conv 2D',
  description: 'The "de-conv" (nn.ConvTranspose2d): the conv run backwards, upsampling [B,H,W,C]; H′ = (H − 1)·s − 2p + k (4×4, stride 2, padding 1 doubles H and W).',
  transposed: true,
});
