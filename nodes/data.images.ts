import { z } from 'zod';
import { defineNode } from './types';
import { fileDataNode, fileParams } from './lib/data-node';
import { binarizeTransform } from './lib/binarize';

export const params = z.strictObject({
  /** file: IDX images (`.gz` allowed) or a `.zip` of PNG/JPEG files. */
  ...fileParams,
  /** IDX labels ("" for none); a zip's labels are its folder names. */
  labelsFile: z.string().max(255).default(''),
  /** Zip only: images are resized to size × size (IDX keeps its own H × W). */
  size: z.number().int().min(4).max(256).default(28),
  /** Zip only: 1 (grey) or 3 (RGB). */
  channels: z.union([z.literal(1), z.literal(3)]).default(1),
  binarize: z.enum(['none', 'threshold', 'sample']).default('none'),
  batchSize: z.number().int().min(1).max(10000).default(128),
  heldOut: z.number().int().min(1).max(1_000_000).default(1000),
});
export type Params = z.infer<typeof params>;

/** Image files (IDX, the MNIST format, or a zip of PNG/JPEG): x [B,H·W·C] in [0,1], label [B] (DESIGN §7). */
export default defineNode<Params>({
  type: 'data.images',
  category: 'Data',
  title: 'Images',
  description: 'x: a batch of images from IDX files (as MNIST and Fashion-MNIST ship) or a zip of PNG/JPEG files (folder names are labels), pixels in [0,1].',
  help: {
    formula: String.raw`\mathbf{x} \in [0,1]^{H \cdot W \cdot C}`,
    where: 'A source for image files (IDX or a zip): its x (a data port, flattened H·W·C pixels) feeds an encoder, or an op.reshape to [B,H,W,C] before a conv; and the reconstruction loss\'s target x.',
  },
  stem: 'images',
  aliases: ['idx', 'zip', 'png', 'jpeg', 'pictures', 'fashion-mnist'],
  ...fileDataNode<Params>({
    docs: { x: 'images [B,H·W·C]', label: 'classes [B] (0 without labels)' },
    kind: 'image',
    expects: 'images',
    heldOut: (p) => p.heldOut,
    transform: (p) => binarizeTransform({ binarize: p.binarize, scale: 1 }),
  }),
  params,
  controls: [
    { param: 'size', label: 'size (zip)', help: 'images in a zip are resized to size × size; IDX keeps its own' },
    { param: 'binarize', label: 'binarize', help: 'threshold: x > 0.5; sample: x ~ Bernoulli(pixel), drawn anew per batch' },
    { param: 'batchSize', label: 'batch size' },
    { param: 'heldOut', label: 'held-out images' },
  ],
  range: (_p, port) => (port === 'x' ? [0, 1] : null),
});
