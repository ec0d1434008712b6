import { convLayerNode, convParams } from './lib/conv-node';

export const params = convParams;

export default convLayerNode({
  type: 'layer.conv2dTranspose',
  title: 'Transposed conv 2D',
  description: 'The "de-conv" (nn.ConvTranspose2d): the conv run backwards, upsampling [B,H,W,C]; H′ = (H − 1)·s − 2p + k (4×4, stride 2, padding 1 doubles H and W).',
  help: {
    formula: String.raw`H' = (H - 1)\, s - 2p + k,\quad \mathbf{y} = \mathrm{act}(W^{\top} \ast \mathbf{x} + \mathbf{b})`,
    where: 'In a convolutional decoder: after a dense layer from z and an op.reshape to [B,H,W,C]; it upsamples towards the image, the last one with a sigmoid gives xHat\'s pixels.',
  },
  transposed: true,
});
