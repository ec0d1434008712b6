import { z } from 'zod';
import { defineNode } from './types';
import { fileDataShapes } from './lib/shapes';
import { binarizeTransform } from './lib/binarize';

export const params = z.strictObject({
  /** IDX images (`.gz` allowed) or a `.zip` of PNG/JPEG files: a file name beside the graph (or bound with --data), never a path (DESIGN §7). */
  file: z.string().max(255).default(''),
  /** The file's SHA-256 as recorded when it was chosen ("" when none); a different file is DATA_CHANGED. */
  sha256: z.string().max(64).default(''),
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
  role: 'data',
  stem: 'images',
  aliases: ['idx', 'zip', 'png', 'jpeg', 'pictures', 'fashion-mnist'],
  inputs: [],
  outputs: [
    { name: 'x', kind: 'data', doc: 'images [B,H·W·C]' },
    { name: 'label', kind: 'tensor', doc: 'classes [B] (0 without labels)' },
  ],
  params,
  controls: [
    { param: 'size', label: 'size (zip)', help: 'images in a zip are resized to size × size; IDX keeps its own' },
    { param: 'binarize', label: 'binarize', help: 'threshold: x > 0.5; sample: x ~ Bernoulli(pixel), drawn anew per batch' },
    { param: 'batchSize', label: 'batch size' },
    { param: 'heldOut', label: 'held-out images' },
  ],
  data: { file: (p) => p.file, batchSize: (p) => p.batchSize, heldOut: (p) => p.heldOut },
  inferShapes: ({ data }) => fileDataShapes(data, 'image', 'images'),
  range: (_p, port) => (port === 'x' ? [0, 1] : null),
  forward: (ctx) => ({
    x: ctx.data.x(ctx.nodeId, binarizeTransform({ binarize: ctx.params.binarize, scale: 1 })),
    label: ctx.data.labels(),
  }),
});
