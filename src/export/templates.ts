/**
 * One small PyTorch template per node type (DESIGN.md §9). A template writes the node's block
 * of GraphModel.forward (and, for a node with weights, its submodule), computing exactly what
 * the node's tfjs forward computes (nodes/<type>.ts), in the same order of operations.
 * A type without a template is refused by the export (EXPORT_UNSUPPORTED), never guessed.
 * Pure: no tfjs.
 */
import type { PlanNode } from '../compiler/compile';
import { formatShape, type Shape } from '../graph/ports';
import type { DataStructure } from '../graph/structure';

export interface EmitContext {
  node: PlanNode;
  /** The Python variable holding one of this node's outputs. */
  out(port: string): string;
  /** The Python variable wired into an input port (the first wire). */
  input(port: string): string;
  /** Every wire into a multi input, in edge order. */
  inputs(port: string): string[];
  /** The node's submodule, e.g. `self.enc`. */
  self: string;
}

export interface NodeTemplate {
  /** Why this node's params are beyond the template (exported as EXPORT_UNSUPPORTED), or null. */
  unsupported?(node: PlanNode): string | null;
  /** Helper classes of model.py this template uses (emitted once each), for this node. */
  classes?: readonly HelperClass[] | ((node: PlanNode) => readonly HelperClass[]);
  /** The submodule's constructor, for a node with weights. */
  module?(ctx: EmitContext): string;
  /** One line saying what the node computes (after its id and type). */
  summary(ctx: EmitContext): string;
  /** The node's lines of forward (unindented). */
  forward(ctx: EmitContext): string[];
  /** Which batch metric an output feeds: the trainer's reconstruction, KL and β-weighted KL terms. */
  metric?: { kind: 'recon' | 'kl' | 'klWeighted'; port: string };
}

export type HelperClass = 'Dense' | 'Conv2d' | 'ConvTranspose2d' | 'Recurrent' | 'MLPEncoder' | 'MLPDecoder' | 'ConvEncoder' | 'ConvDecoder' | 'RnnEncoder' | 'RnnDecoder' | 'bernoulli_nll';

/** A JSON-like value as a Python literal. */
export function py(v: unknown): string {
  if (v === null || v === undefined) return 'None';
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new RangeError(`py: ${v} is not finite`);
    return String(v);
  }
  if (typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(py).join(', ')}]`;
  return `{${Object.entries(v as Record<string, unknown>)
    .map(([k, x]) => `${JSON.stringify(k)}: ${py(x)}`)
    .join(', ')}}`;
}

/** The batch axis of a symbolic shape counted from the right (e.g. -2 for [K,B,d]), or null when it has none. */
export function batchAxis(shape: Shape | undefined): number | null {
  if (!shape) return null;
  const i = shape.indexOf('B');
  return i < 0 ? null : i - shape.length;
}

const lastDim = (s: Shape | undefined): number => {
  const d = s?.[s.length - 1];
  if (typeof d !== 'number') throw new RangeError('the last axis has no fixed size');
  return d;
};

type P = Record<string, unknown>;
const params = (ctx: EmitContext) => ctx.node.params as P;

type Arch = 'mlp' | 'conv' | 'rnn';
const archOf = (node: PlanNode): Arch => (node.params.arch ?? 'mlp') as Arch;

/** The image or sequence a conv or rnn arch reads (the encoder's x) or draws (the decoder's xHat), DESIGN §8. */
function structureOf(node: PlanNode, which: 'in' | 'out', port: string): DataStructure {
  const s = (which === 'in' ? node.inStructure : node.outStructure)[port];
  if (!s) throw new RangeError(`${node.id}.${port} carries no data structure`);
  return s;
}
const imageOf = (s: DataStructure) => {
  if (s.kind !== 'image') throw new RangeError(`a conv arch needs an image, got a ${s.kind}`);
  return [s.h, s.w, s.c];
};
const sequenceOf = (s: DataStructure) => {
  if (s.kind !== 'sequence') throw new RangeError(`an rnn arch needs a sequence, got a ${s.kind}`);
  return { t: s.t, f: s.f };
};
const CONV_ARCH = '4×4 kernels, stride 2, padding 1';

/**
 * A file-backed data node (data.table, data.sequence, data.images; DESIGN.md §7): its batch is
 * read from the arrays the export writes (data/x.npy: the examples as the model sees them,
 * decoded and standardised; data/train.npy and data/held-out.npy: VAE Lab's split).
 */
function fileData(what: (p: P, c: EmitContext) => string): NodeTemplate {
  return {
    summary: (c) => `${what(params(c), c)}; batch ${String(params(c).batchSize)}`,
    forward: (c) => {
      const p = params(c);
      const binarize = typeof p.binarize === 'string' ? p.binarize : 'none';
      return [`${c.out('x')} = feed.x(${py(c.node.id)}, binarize=${py(binarize)}, scale=1)`, `${c.out('label')} = feed.labels()`];
    },
  };
}

/** The number of axes after the batch axis B of a symbolic shape (all but the first when it has none). */
function afterBatch(shape: Shape | undefined): number {
  if (!shape) throw new RangeError('the input shape is unknown');
  const b = shape.indexOf('B');
  return b < 0 ? shape.length - 1 : shape.length - 1 - b;
}

const pyTuple = (xs: readonly number[]) => `(${xs.map(py).join(', ')}${xs.length === 1 ? ',' : ''})`;

/** layer.conv2d / layer.conv2dTranspose: nn.Conv2d / nn.ConvTranspose2d on NHWC images. */
function convTemplate(transposed: boolean): NodeTemplate {
  const cls: HelperClass = transposed ? 'ConvTranspose2d' : 'Conv2d';
  return {
    classes: [cls],
    module: (c) => {
      const p = params(c);
      return `${cls}(${py(lastDim(c.node.inShapes.x))}, ${py(p.filters)}, kernel=${py(p.kernel)}, stride=${py(p.stride)}, padding=${py(p.padding)}, activation=${py(p.activation)})`;
    },
    summary: (c) => {
      const p = params(c);
      const k = String(p.kernel);
      return `y = ${String(p.activation)}(${transposed ? 'the transposed conv' : 'conv'}(x, W) + b), ${k}×${k} kernels, stride ${String(p.stride)}, padding ${String(p.padding)}: ${formatShape(c.node.inShapes.x)} → ${formatShape(c.node.outShapes.y)} (NHWC)`;
    },
    forward: (c) => [`${c.out('y')} = ${c.self}(${c.input('x')})`],
  };
}

/** layer.gru / layer.lstm: nn.GRU / nn.LSTM over the T steps; y every step's h, h the last. */
function recurrentTemplate(cell: 'gru' | 'lstm'): NodeTemplate {
  return {
    classes: ['Recurrent'],
    module: (c) => `Recurrent(${py(cell)}, ${py(lastDim(c.node.inShapes.x))}, ${py(params(c).units)})`,
    summary: (c) =>
      `nn.${cell.toUpperCase()} over the T steps of ${formatShape(c.node.inShapes.x)} (gates ${cell === 'gru' ? 'r, z, n' : 'i, f, g, o'}; h0 ${c.node.inputs.h0?.length ? 'from the h0 input' : '= 0'}${cell === 'lstm' ? ', c0 = 0' : ''}): y every step's h ${formatShape(c.node.outShapes.y)}, h the last ${formatShape(c.node.outShapes.h)}`,
    forward: (c) => {
      const h0 = c.node.inputs.h0?.length ? `, ${c.input('h0')}` : '';
      return [`${c.out('y')}, ${c.out('h')} = ${c.self}(${c.input('x')}${h0})`];
    },
  };
}

const binary = (symbol: string, op: string): NodeTemplate => ({
  summary: () => `y = ${symbol}, element-wise, broadcasting as NumPy`,
  forward: (c) => [`${c.out('y')} = ${c.input('a')} ${op} ${c.input('b')}`],
});

export const TEMPLATES: Readonly<Record<string, NodeTemplate>> = {
  'data.mnist': {
    summary: (c) => {
      const p = params(c);
      const how = p.binarize === 'threshold' ? ', binarized x > 0.5' : p.binarize === 'sample' ? ', binarized x ~ Bernoulli(pixel) anew each batch' : '';
      return `a batch of MNIST digits [B,784], pixels in [0,1]${how}, times ${String(p.scale)}; batch ${String(p.batchSize)}, ${String(p.heldOut)} held out`;
    },
    forward: (c) => {
      const p = params(c);
      return [`${c.out('x')} = feed.x(${py(c.node.id)}, binarize=${py(p.binarize)}, scale=${py(p.scale)})`, `${c.out('label')} = feed.labels()`];
    },
  },

  'data.table': fileData((p, c) => `a batch of rows [B,${lastDim(c.node.outShapes.x)}] of ${String(p.file)}${(p.columns as string[]).length ? ` (columns ${(p.columns as string[]).join(', ')})` : ''}${p.standardize ? ', standardised with the training rows\' mean and sd' : ''}`),
  'data.sequence': fileData(
    (p) => `a batch of windows of ${String(p.length)} steps of ${String(p.file)}, time-major [B,T·F]${p.standardize ? ', standardised per column with the training windows\' rows' : ''}; the last windows in time held out`,
  ),
  'data.images': fileData((p) => {
    const how = p.binarize === 'threshold' ? ', binarized x > 0.5' : p.binarize === 'sample' ? ', binarized x ~ Bernoulli(pixel) anew each batch' : '';
    return `a batch of images of ${String(p.file)} flattened in H, W, C order, pixels in [0,1]${how}`;
  }),

  'vae.encoder': {
    classes: (n) => [({ mlp: 'MLPEncoder', conv: 'ConvEncoder', rnn: 'RnnEncoder' } as const)[archOf(n)]],
    module: (c) => {
      const p = params(c);
      const arch = archOf(c.node);
      if (arch === 'conv') {
        return `ConvEncoder(${py(imageOf(structureOf(c.node, 'in', 'x')))}, ${py(p.channels)}, ${py(p.hidden)}, latent_dim=${py(p.latentDim)}, activation=${py(p.activation)})`;
      }
      if (arch === 'rnn') {
        const { t, f } = sequenceOf(structureOf(c.node, 'in', 'x'));
        return `RnnEncoder(${py(p.cell)}, steps=${py(t)}, features=${py(f)}, units=${py(p.rnnUnits)}, hidden=${py(p.hidden)}, latent_dim=${py(p.latentDim)}, activation=${py(p.activation)})`;
      }
      return `MLPEncoder(${py([lastDim(c.node.inShapes.x), ...(p.hidden as number[])])}, latent_dim=${py(p.latentDim)}, activation=${py(p.activation)})`;
    },
    summary: (c) => {
      const p = params(c);
      const arch = archOf(c.node);
      const heads = `two linear heads μ and log σ² of ${String(p.latentDim)}`;
      const mlp = (p.hidden as number[]).length ? `, dense ${(p.hidden as number[]).join(' → ')} (${String(p.activation)})` : '';
      if (arch === 'conv') {
        const [h, w, ch] = imageOf(structureOf(c.node, 'in', 'x'));
        return `q(z|x) = N(μ, diag σ²): x as a ${h}×${w}×${ch} image, convs to ${(p.channels as number[]).join(', ')} channels (${CONV_ARCH}, ${String(p.activation)}), flattened in H, W, C order${mlp}, then ${heads}`;
      }
      if (arch === 'rnn') {
        const { t, f } = sequenceOf(structureOf(c.node, 'in', 'x'));
        return `q(z|x) = N(μ, diag σ²): x as ${t} steps of ${f}, a ${String(p.cell).toUpperCase()} of ${String(p.rnnUnits)} from a zero state, its last state${mlp}, then ${heads}`;
      }
      const widths = [lastDim(c.node.inShapes.x), ...(p.hidden as number[])].join(' → ');
      return `q(z|x) = N(μ, diag σ²): an MLP ${widths} (${String(p.activation)}), then ${heads}`;
    },
    forward: (c) => [`${c.out('mu')}, ${c.out('logvar')} = ${c.self}(${c.input('x')})`],
  },

  'vae.reparameterize': {
    summary: (c) => {
      const k = params(c).samples as number;
      return `z = μ + ε ⊙ σ, σ = exp(½ log σ²), ε ~ N(0, I)${k > 1 ? `; K = ${k} samples per example in training (z is [K,B,d]), one in eval` : ''}`;
    },
    forward: (c) => {
      const k = params(c).samples as number;
      const mu = c.input('mu');
      const logvar = c.input('logvar');
      const eps = c.out('eps');
      const axis = py(batchAxis(c.node.outShapes.z));
      const lines = [`${eps}_shape = tuple(torch.broadcast_shapes(${mu}.shape, ${logvar}.shape))`];
      if (k > 1) lines.push(`if mode == "train":`, `    ${eps}_shape = (${k},) + ${eps}_shape`);
      lines.push(`${eps} = noise.normal(${py(c.node.id)}, ${eps}_shape, batch_axis=${axis})`, `${c.out('z')} = ${mu} + ${eps} * torch.exp(${logvar} * 0.5)`);
      return lines;
    },
  },

  'vae.decoder': {
    classes: (n) => [({ mlp: 'MLPDecoder', conv: 'ConvDecoder', rnn: 'RnnDecoder' } as const)[archOf(n)]],
    module: (c) => {
      const p = params(c);
      const arch = archOf(c.node);
      const d = lastDim(c.node.inShapes.z);
      const acts = `activation=${py(p.activation)}, output_activation=${py(p.outputActivation)}`;
      if (arch === 'conv') return `ConvDecoder(${py(d)}, ${py(imageOf(structureOf(c.node, 'out', 'xHat')))}, ${py(p.channels)}, ${py(p.hidden)}, ${acts})`;
      if (arch === 'rnn') {
        const { t, f } = sequenceOf(structureOf(c.node, 'out', 'xHat'));
        return `RnnDecoder(${py(p.cell)}, ${py(d)}, steps=${py(t)}, features=${py(f)}, units=${py(p.rnnUnits)}, hidden=${py(p.hidden)}, ${acts})`;
      }
      return `MLPDecoder(${py([d, ...(p.hidden as number[])])}, out_units=${py(lastDim(c.node.outShapes.xHat))}, ${acts})`;
    },
    summary: (c) => {
      const p = params(c);
      const arch = archOf(c.node);
      const mlp = (p.hidden as number[]).length ? `dense ${(p.hidden as number[]).join(' → ')} (${String(p.activation)}), ` : '';
      if (arch === 'conv') {
        const [h, w, ch] = imageOf(structureOf(c.node, 'out', 'xHat'));
        const chans = [...(p.channels as number[])].reverse();
        const f = 2 ** chans.length;
        return `p(x|z): ${mlp}dense to a ${h / f}×${w / f}×${chans[0]} grid (${String(p.activation)}), transposed convs to ${[...chans.slice(1), ch].join(', ')} channels (${CONV_ARCH}; ${String(p.activation)}, the last ${String(p.outputActivation)}), flattened in H, W, C order`;
      }
      if (arch === 'rnn') {
        const { t, f } = sequenceOf(structureOf(c.node, 'out', 'xHat'));
        return `p(x|z): h0 = tanh(dense(z)), a ${String(p.cell).toUpperCase()} of ${String(p.rnnUnits)} over ${t} steps with z as every step's input, ${mlp}dense to ${f} values per step (${String(p.outputActivation)}), flattened time-major`;
      }
      const widths = [lastDim(c.node.inShapes.z), ...(p.hidden as number[]), lastDim(c.node.outShapes.xHat)].join(' → ');
      return `p(x|z): an MLP ${widths} (${String(p.activation)}; output ${String(p.outputActivation)}), mapped over the last axis`;
    },
    forward: (c) => [`${c.out('xHat')} = ${c.self}(${c.input('z')})`],
  },

  'loss.kl': {
    metric: { kind: 'kl', port: 'kl' },
    summary: (c) => `KL(q(z|x) ‖ N(0, I)) per example, −½ Σ_j (1 + log σ² − μ² − σ²), ${String(params(c).reduction)} over latent dims (eval: the sum)`,
    forward: (c) => {
      const mu = c.input('mu');
      const lv = c.input('logvar');
      const per = `${c.out('kl')}_per_dim`;
      const reduce = params(c).reduction === 'sum' ? `${per}.sum(-1)` : `${per}.sum(-1) if mode == "eval" else ${per}.mean(-1)`;
      return [`${per} = -0.5 * ((1 + ${lv}) - ${mu} ** 2 - torch.exp(${lv}))`, `${c.out('kl')} = ${reduce}`];
    },
  },

  'loss.reconstruction': {
    classes: ['bernoulli_nll'],
    metric: { kind: 'recon', port: 'nll' },
    summary: (c) => {
      const p = params(c);
      const what = p.likelihood === 'bernoulli' ? 'Bernoulli −Σ[x log p + (1−x) log(1−p)] (logs clamped at −100)' : 'Gaussian ½‖x − μ‖²';
      return `−log p(x|z) per example: ${what}, ${String(p.reduction)} over features (eval: the sum), averaged over K samples`;
    },
    forward: (c) => {
      const p = params(c);
      const xHat = c.input('xHat');
      const x = c.input('x');
      const nll = c.out('nll');
      const elem = p.likelihood === 'bernoulli' ? `bernoulli_nll(${xHat}, ${nll}_x)` : `0.5 * (${nll}_x - ${xHat}) ** 2`;
      const reduce = p.reduction === 'sum' ? `${nll}_elem.sum(-1)` : `${nll}_elem.sum(-1) if mode == "eval" else ${nll}_elem.mean(-1)`;
      return [
        `${nll}_x = ${x}.expand_as(${xHat}) if ${xHat}.dim() > ${x}.dim() else ${x}`,
        `${nll}_elem = ${elem}`,
        `${nll} = ${reduce}`,
        `if ${nll}.dim() == 2:  # K samples: the mean over them`,
        `    ${nll} = ${nll}.mean(0)`,
      ];
    },
  },

  'loss.beta': {
    metric: { kind: 'klWeighted', port: 'kl' },
    summary: (c) => {
      const p = params(c);
      const warm = (p.warmupSteps as number) > 0 ? `, warm-up β_t = β·min(1, t/${String(p.warmupSteps)})` : '';
      const free = (p.freeBits as number) > 0 ? `, free bits: max(${String(p.freeBits)}, KL)` : '';
      return `β_t · KL with β = ${String(p.beta)}${warm}${free}; eval: the plain KL`;
    },
    forward: (c) => {
      const p = params(c);
      const kl = c.input('kl');
      const floored = (p.freeBits as number) > 0 ? `torch.clamp(${kl}, min=${py(p.freeBits)})` : kl;
      const beta = (p.warmupSteps as number) > 0 ? `(${py(p.beta)} * min(1, step / ${py(p.warmupSteps)}))` : py(p.beta);
      return [`${c.out('kl')} = ${kl} if mode == "eval" else ${floored} * ${beta}`];
    },
  },

  'train.optimizer': {
    summary: (c) => `minimises the batch mean of the summed per-example losses with ${String(params(c).algorithm)}, learning rate ${String(params(c).learningRate)} (train.py)`,
    forward: (c) => [`${c.out('total')} = ${c.inputs('loss').join(' + ')}`],
  },

  'layer.dense': {
    classes: ['Dense'],
    module: (c) => `Dense(${py(lastDim(c.node.inShapes.x))}, ${py(params(c).units)}, activation=${py(params(c).activation)})`,
    summary: (c) => `y = ${String(params(c).activation)}(x·W + b) on the last axis, ${lastDim(c.node.inShapes.x)} → ${String(params(c).units)}`,
    forward: (c) => [`${c.out('y')} = ${c.self}(${c.input('x')})`],
  },

  'layer.conv2d': convTemplate(false),
  'layer.conv2dTranspose': convTemplate(true),
  'layer.gru': recurrentTemplate('gru'),
  'layer.lstm': recurrentTemplate('lstm'),

  'op.reshape': {
    summary: (c) => `each example ${formatShape(c.node.inShapes.x)} → ${formatShape(c.node.outShapes.y)} (row-major: flattening an image gives H, W, C order)`,
    forward: (c) => {
      // The axes after the batch axis, counted from the right: in eval a [K,B,…] input arrives as [B,…].
      const x = c.input('x');
      const n = afterBatch(c.node.inShapes.x);
      return [`${c.out('y')} = ${x}.reshape(tuple(${x}.shape[:${x}.dim() - ${n}]) + ${pyTuple(params(c).shape as number[])})`];
    },
  },

  'op.repeat': {
    summary: (c) => `each example's vector repeated ${String(params(c).times)} times as a sequence, ${formatShape(c.node.inShapes.x)} → ${formatShape(c.node.outShapes.y)}`,
    forward: (c) => {
      const x = c.input('x');
      return [`${c.out('y')} = ${x}.unsqueeze(-2).expand(tuple(${x}.shape[:-1]) + (${py(params(c).times)}, ${x}.shape[-1]))`];
    },
  },

  'op.split': {
    summary: () => 'the last axis in two halves: a the first, b the second',
    forward: (c) => [`${c.out('a')}, ${c.out('b')} = torch.chunk(${c.input('x')}, 2, dim=-1)`],
  },

  'op.scale': {
    summary: (c) => `y = ${String(params(c).factor)} · x`,
    forward: (c) => [`${c.out('y')} = ${c.input('x')} * ${py(params(c).factor)}`],
  },

  'op.exp': {
    summary: () => 'y = exp(x), element-wise',
    forward: (c) => [`${c.out('y')} = torch.exp(${c.input('x')})`],
  },

  'op.add': binary('a + b', '+'),
  'op.mul': binary('a ⊙ b', '*'),

  'op.noise': {
    summary: (c) => {
      const p = params(c);
      return `ε ~ N(0, ${String(p.std)}² I) shaped like its input, ${p.share === 'batch' ? 'one draw shared by the whole batch' : 'drawn per example'}`;
    },
    forward: (c) => {
      const p = params(c);
      const like = c.input('like');
      const eps = c.out('eps');
      const scaled = p.std === 1 ? [] : [`${eps} = ${eps} * ${py(p.std)}`];
      if (p.share !== 'batch') return [`${eps} = noise.normal(${py(c.node.id)}, tuple(${like}.shape), batch_axis=${py(batchAxis(c.node.inShapes.like))})`, ...scaled];
      // One draw per position outside the batch axis, found from the right (in eval a [K,B,d] input is [B,d]).
      const sym = c.node.inShapes.like;
      const fromRight = sym && sym.includes('B') ? sym.length - sym.indexOf('B') : null;
      const axis = fromRight === null ? '0' : `max(0, ${like}.dim() - ${fromRight})`;
      return [
        `${eps}_shape = list(${like}.shape)`,
        `${eps}_shape[${axis}] = 1`,
        `${eps} = noise.normal(${py(c.node.id)}, tuple(${eps}_shape), batch_axis=None).expand_as(${like})`,
        ...scaled,
      ];
    },
  },
};

/** model.py's helper classes, in the order they are emitted. */
export const HELPERS: Readonly<Record<HelperClass, string>> = {
  Dense: `class Dense(nn.Module):
    """layer.dense: y = activation(x·W + b) on the last axis (VAE Lab's kernel is W, [in, out])."""

    def __init__(self, fan_in, units, activation):
        super().__init__()
        self.dense = nn.Linear(fan_in, units)
        self.activation = activation

    def forward(self, x):
        return ACTIVATIONS[self.activation](self.dense(x))`,
  Conv2d: `class Conv2d(nn.Module):
    """layer.conv2d: y = activation(conv(x, W) + b) on images [..., H, W, C] (NHWC, as VAE Lab;
    nn.Conv2d works on [N, C, H, W], so x is permuted in and out). padding is nn.Conv2d's: that
    many rows and columns of zeros on each side. VAE Lab's kernel is [kh, kw, in, out]; the
    weight of nn.Conv2d is [out, in, kh, kw] (train.py converts)."""

    def __init__(self, in_channels, filters, kernel, stride, padding, activation):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, filters, kernel, stride=stride, padding=padding)
        self.activation = activation

    def forward(self, x):
        lead = tuple(x.shape[:-3])  # [B] or [K, B]: folded into one batch axis
        y = self.conv(x.reshape((-1,) + tuple(x.shape[-3:])).permute(0, 3, 1, 2)).permute(0, 2, 3, 1)
        return ACTIVATIONS[self.activation](y.reshape(lead + tuple(y.shape[1:])))`,
  ConvTranspose2d: `class ConvTranspose2d(nn.Module):
    """layer.conv2dTranspose: the "de-conv", nn.ConvTranspose2d (output_padding 0) on images
    [..., H, W, C] (NHWC); H' = (H - 1) * stride - 2 * padding + kernel. VAE Lab's kernel is
    [kh, kw, out, in]; the weight of nn.ConvTranspose2d is [in, out, kh, kw] (train.py converts)."""

    def __init__(self, in_channels, filters, kernel, stride, padding, activation):
        super().__init__()
        self.conv = nn.ConvTranspose2d(in_channels, filters, kernel, stride=stride, padding=padding)
        self.activation = activation

    def forward(self, x):
        lead = tuple(x.shape[:-3])
        y = self.conv(x.reshape((-1,) + tuple(x.shape[-3:])).permute(0, 3, 1, 2)).permute(0, 2, 3, 1)
        return ACTIVATIONS[self.activation](y.reshape(lead + tuple(y.shape[1:])))`,
  Recurrent: `class Recurrent(nn.Module):
    """layer.gru / layer.lstm: one nn.GRU or nn.LSTM layer (batch first) over the T steps of
    x [..., B, T, F], from h0 [..., B, units] (None: zeros; an LSTM's c0 is zeros). Returns every
    step's h [..., B, T, units] and the last [..., B, units]. VAE Lab's kernel [F, G*units] and
    recurrentKernel [units, G*units] are weight_ih_l0 and weight_hh_l0 transposed (gates r, z, n
    or i, f, g, o); biasIh and biasHh are bias_ih_l0 and bias_hh_l0."""

    def __init__(self, cell, features, units):
        super().__init__()
        self.cell, self.units = cell, units
        self.add_module(cell, (nn.GRU if cell == "gru" else nn.LSTM)(features, units, batch_first=True))

    def forward(self, x, h0=None):
        lead = tuple(x.shape[:-2])
        state = None
        if h0 is not None:
            h = h0.reshape(1, -1, self.units)
            state = h if self.cell == "gru" else (h, torch.zeros_like(h))
        y, _ = getattr(self, self.cell)(x.reshape((-1,) + tuple(x.shape[-2:])), state)
        y = y.reshape(lead + tuple(y.shape[1:]))
        return y, y[..., -1, :]`,
  MLPEncoder: `class MLPEncoder(nn.Module):
    """vae.encoder (mlp): hidden0, hidden1, … then two heads, mu and logvar."""

    def __init__(self, widths, latent_dim, activation):
        super().__init__()
        self.depth = len(widths) - 1
        for i in range(self.depth):
            self.add_module(f"hidden{i}", nn.Linear(widths[i], widths[i + 1]))
        self.mu = nn.Linear(widths[-1], latent_dim)
        self.logvar = nn.Linear(widths[-1], latent_dim)
        self.activation = activation

    def forward(self, x):
        h = x
        for i in range(self.depth):
            h = ACTIVATIONS[self.activation](getattr(self, f"hidden{i}")(h))
        return self.mu(h), self.logvar(h)`,
  MLPDecoder: `class MLPDecoder(nn.Module):
    """vae.decoder (mlp): hidden0, hidden1, … then out (the mean of p(x|z))."""

    def __init__(self, widths, out_units, activation, output_activation):
        super().__init__()
        self.depth = len(widths) - 1
        for i in range(self.depth):
            self.add_module(f"hidden{i}", nn.Linear(widths[i], widths[i + 1]))
        self.out = nn.Linear(widths[-1], out_units)
        self.activation = activation
        self.output_activation = output_activation

    def forward(self, z):
        h = z
        for i in range(self.depth):
            h = ACTIVATIONS[self.activation](getattr(self, f"hidden{i}")(h))
        return ACTIVATIONS[self.output_activation](self.out(h))`,
  ConvEncoder: `class ConvEncoder(nn.Module):
    """vae.encoder (conv): x as an H×W×C image; conv0, conv1, … (4×4, stride 2, padding 1,
    activation), each halving H and W; flattened in H, W, C order (VAE Lab's layout is NHWC);
    hidden0, … (dense, activation); then two heads, mu and logvar."""

    def __init__(self, image, channels, hidden, latent_dim, activation):
        super().__init__()
        self.image, self.activation = tuple(image), activation
        self.n_conv, self.depth = len(channels), len(hidden)
        chans = [image[2]] + list(channels)
        for i in range(self.n_conv):
            self.add_module(f"conv{i}", nn.Conv2d(chans[i], chans[i + 1], 4, stride=2, padding=1))
        f = 2 ** self.n_conv
        widths = [(image[0] // f) * (image[1] // f) * channels[-1]] + list(hidden)
        for i in range(self.depth):
            self.add_module(f"hidden{i}", nn.Linear(widths[i], widths[i + 1]))
        self.mu = nn.Linear(widths[-1], latent_dim)
        self.logvar = nn.Linear(widths[-1], latent_dim)

    def forward(self, x):
        act = ACTIVATIONS[self.activation]
        lead = tuple(x.shape[:-1])
        h = x.reshape((-1,) + self.image).permute(0, 3, 1, 2)  # NHWC -> NCHW for nn.Conv2d
        for i in range(self.n_conv):
            h = act(getattr(self, f"conv{i}")(h))
        h = h.permute(0, 2, 3, 1).reshape(lead + (-1,))  # flatten in H, W, C order
        for i in range(self.depth):
            h = act(getattr(self, f"hidden{i}")(h))
        return self.mu(h), self.logvar(h)`,
  ConvDecoder: `class ConvDecoder(nn.Module):
    """vae.decoder (conv): hidden0, … (dense, activation); grid, a dense layer to the
    (H/2^n)×(W/2^n)×C_n grid (activation); deconv0, deconv1, … (transposed convs 4×4, stride 2,
    padding 1) through the channels in reverse, the last to the image's C (output_activation,
    the others activation); flattened in H, W, C order."""

    def __init__(self, latent_dim, image, channels, hidden, activation, output_activation):
        super().__init__()
        self.activation, self.output_activation = activation, output_activation
        self.depth, self.n_conv = len(hidden), len(channels)
        widths = [latent_dim] + list(hidden)
        for i in range(self.depth):
            self.add_module(f"hidden{i}", nn.Linear(widths[i], widths[i + 1]))
        f = 2 ** self.n_conv
        self.grid_shape = (image[0] // f, image[1] // f, channels[-1])
        self.grid = nn.Linear(widths[-1], self.grid_shape[0] * self.grid_shape[1] * self.grid_shape[2])
        chans = [image[2]] + list(channels)
        for i in range(self.n_conv):
            j = self.n_conv - i  # channels[j - 1] -> channels[j - 2] (the last to C)
            self.add_module(f"deconv{i}", nn.ConvTranspose2d(chans[j], chans[j - 1], 4, stride=2, padding=1))

    def forward(self, z):
        act = ACTIVATIONS[self.activation]
        lead = tuple(z.shape[:-1])
        h = z
        for i in range(self.depth):
            h = act(getattr(self, f"hidden{i}")(h))
        h = act(self.grid(h)).reshape((-1,) + self.grid_shape).permute(0, 3, 1, 2)
        for i in range(self.n_conv):
            last = i == self.n_conv - 1
            h = ACTIVATIONS[self.output_activation if last else self.activation](getattr(self, f"deconv{i}")(h))
        return h.permute(0, 2, 3, 1).reshape(lead + (-1,))`,
  RnnEncoder: `class RnnEncoder(nn.Module):
    """vae.encoder (rnn): x as T steps of F values (time-major); rnn, one nn.GRU or nn.LSTM layer
    from a zero state; its last state -> hidden0, … (dense, activation); two heads, mu and logvar."""

    def __init__(self, cell, steps, features, units, hidden, latent_dim, activation):
        super().__init__()
        self.steps, self.features, self.activation, self.depth = steps, features, activation, len(hidden)
        self.rnn = (nn.GRU if cell == "gru" else nn.LSTM)(features, units, batch_first=True)
        widths = [units] + list(hidden)
        for i in range(self.depth):
            self.add_module(f"hidden{i}", nn.Linear(widths[i], widths[i + 1]))
        self.mu = nn.Linear(widths[-1], latent_dim)
        self.logvar = nn.Linear(widths[-1], latent_dim)

    def forward(self, x):
        lead = tuple(x.shape[:-1])
        y, _ = self.rnn(x.reshape(-1, self.steps, self.features))
        h = y[:, -1].reshape(lead + (-1,))
        for i in range(self.depth):
            h = ACTIVATIONS[self.activation](getattr(self, f"hidden{i}")(h))
        return self.mu(h), self.logvar(h)`,
  RnnDecoder: `class RnnDecoder(nn.Module):
    """vae.decoder (rnn): h0 = tanh(dense(z)) (an LSTM's c0 = 0); rnn, one nn.GRU or nn.LSTM
    layer over T steps with z as the input at every step; each step's state -> hidden0, …
    (dense, activation) -> out (dense to F, output_activation); flattened time-major."""

    def __init__(self, cell, latent_dim, steps, features, units, hidden, activation, output_activation):
        super().__init__()
        self.cell, self.steps, self.depth = cell, steps, len(hidden)
        self.activation, self.output_activation = activation, output_activation
        self.h0 = nn.Linear(latent_dim, units)
        self.rnn = (nn.GRU if cell == "gru" else nn.LSTM)(latent_dim, units, batch_first=True)
        widths = [units] + list(hidden)
        for i in range(self.depth):
            self.add_module(f"hidden{i}", nn.Linear(widths[i], widths[i + 1]))
        self.out = nn.Linear(widths[-1], features)

    def forward(self, z):
        lead = tuple(z.shape[:-1])
        z2 = z.reshape(-1, z.shape[-1])
        h0 = torch.tanh(self.h0(z2)).unsqueeze(0)
        state = h0 if self.cell == "gru" else (h0, torch.zeros_like(h0))
        y, _ = self.rnn(z2.unsqueeze(1).expand(-1, self.steps, -1), state)
        for i in range(self.depth):
            y = ACTIVATIONS[self.activation](getattr(self, f"hidden{i}")(y))
        return ACTIVATIONS[self.output_activation](self.out(y)).reshape(lead + (-1,))`,
  bernoulli_nll: `class BernoulliNLL(torch.autograd.Function):
    """−[x log p + (1−x) log(1−p)] element-wise, each log clamped at −100, as
    F.binary_cross_entropy computes it (and its gradient (p − x) / max(p(1 − p), 1e-12)),
    but NaN for p outside [0, 1] instead of an exception, as in VAE Lab."""

    @staticmethod
    def forward(ctx, p, x):
        log_p = torch.clamp(torch.log(p), min=-100)
        log_1mp = torch.clamp(torch.log(1 - p), min=-100)
        ctx.save_for_backward(p, x, log_p, log_1mp)
        return -(x * log_p + (1 - x) * log_1mp)

    @staticmethod
    def backward(ctx, grad):
        p, x, log_p, log_1mp = ctx.saved_tensors
        dp = grad * ((p - x) / torch.clamp(p * (1 - p), min=1e-12))
        dx = grad * (log_1mp - log_p)
        return dp, dx


def bernoulli_nll(p, x):
    return BernoulliNLL.apply(p, x)`,
};
