/**
 * The `arch` variants of vae.encoder and vae.decoder (DESIGN §8): "mlp" (today's, byte for byte),
 * "conv" and "rnn". Their params are one flat zod object whose fields other than `arch` are
 * optional: a superRefine makes a param of another arch BAD_PARAM, then an overwrite fills the
 * current arch's defaults. So every consumer of NodeTypeInfo.params (the inspector's controls, the
 * file walk, setParam) sees a plain object schema, and an "mlp" node parses to exactly today's
 * params, in today's key order.
 *
 * The layers are nodes/lib's (dense.ts, conv.ts, rnn.ts), with PyTorch's initialisation; a
 * leading K-sample axis folds into the batch inside them.
 * - conv encoder: per channel count, conv 4×4 / stride 2 / padding 1 + activation; flatten in
 *   H, W, C order; dense `hidden` (activation); the two heads.
 * - conv decoder: dense `hidden` (activation); dense to C_n·(H/2^n)·(W/2^n) (activation); reshape
 *   to H/2^n × W/2^n × C_n; transposed convs 4×4 / 2 / 1 through the channels in reverse, the last
 *   to the data's C (outputActivation, the others activation); flatten to [B,H·W·C].
 * - rnn encoder: the cell over the T steps from a zero state; its last h → dense `hidden`
 *   (activation) → the two heads.
 * - rnn decoder: h0 = tanh(dense(z)) of width rnnUnits (LSTM: c0 = 0); the cell runs T steps with
 *   z as the input at every step; each step's state → dense `hidden` (activation) → dense to F
 *   (outputActivation); flatten time-major to [B,T·F].
 */
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import type { Shape, ShapeResult, VarSpec } from '../types';
import { formatShape } from '../../src/graph/ports';
import { formatStructure, structureWidth, type DataStructure } from '../../src/graph/structure';
import { dense, denseVars, isConstant, markConstant, mlpVars, runMlp, type Activation } from './dense';
import { conv2d, conv2dTranspose, conv2dTransposeVars, conv2dVars } from './conv';
import { CELLS, lastStep, rnn, rnnVars, rnnWeights, type Cell } from './rnn';
import { lastDim, mismatch } from './shapes';

export const ARCHS = ['mlp', 'conv', 'rnn'] as const;
export type Arch = (typeof ARCHS)[number];

/** The conv arch's layers: 4×4 kernels, stride 2, one pixel of zeros on each side (each halves H and W). */
export const CONV_GEOMETRY = { kernel: 4, stride: 2, padding: 1 } as const;

const FIELDS = {
  channels: z.array(z.number().int().min(1).max(1024)).min(1).max(6),
  cell: z.enum(CELLS),
  rnnUnits: z.number().int().min(1).max(4096),
  hidden: z.array(z.number().int().min(1).max(16384)).max(16),
  activation: z.enum(['relu', 'tanh', 'sigmoid', 'elu']),
  latentDim: z.number().int().min(1).max(16384),
  outputActivation: z.enum(['sigmoid', 'none']),
  outputUnits: z.union([z.literal('auto'), z.number().int().min(1).max(16384)]),
};
type Field = keyof typeof FIELDS;
type Defaults = Record<Arch, Partial<Record<Field, unknown>>>;

/** Each arch's params and defaults (DESIGN §8), in the order the file writes them. */
export const ENCODER_DEFAULTS: Defaults = {
  mlp: { hidden: [400], activation: 'relu', latentDim: 20 },
  conv: { channels: [32, 64], hidden: [256], activation: 'relu', latentDim: 20 },
  rnn: { cell: 'gru', rnnUnits: 64, hidden: [], activation: 'relu', latentDim: 8 },
};
export const DECODER_DEFAULTS: Defaults = {
  mlp: { hidden: [400], activation: 'relu', outputActivation: 'sigmoid', outputUnits: 'auto' },
  conv: { channels: [32, 64], hidden: [256], activation: 'relu', outputActivation: 'sigmoid', outputUnits: 'auto' },
  rnn: { cell: 'gru', rnnUnits: 64, hidden: [], activation: 'relu', outputActivation: 'none' },
};

/** Which archs take a param. */
export function archsOf(defaults: Defaults, param: Field): Arch[] {
  return ARCHS.filter((a) => param in defaults[a]);
}

/**
 * The params schema of an arch-variant node: `arch` (default "mlp") and every other field
 * optional; a field of another arch is a BAD_PARAM issue on that field; the arch's defaults fill the rest.
 */
export function archParams(defaults: Defaults) {
  const fields = [...new Set(ARCHS.flatMap((a) => Object.keys(defaults[a]) as Field[]))];
  // shape order: the arch-specific params first, then today's ("mlp") in today's order
  const order = [...fields.filter((f) => !(f in defaults.mlp)), ...(Object.keys(defaults.mlp) as Field[])];
  const shape = Object.fromEntries(order.map((f) => [f, FIELDS[f].optional()]));
  return z
    .strictObject({ arch: z.enum(ARCHS).default('mlp'), ...shape })
    .superRefine((v, ctx) => {
      const own = defaults[v.arch as Arch];
      for (const f of order) {
        if ((v as Record<string, unknown>)[f] !== undefined && !(f in own)) {
          const takes = archsOf(defaults, f);
          ctx.addIssue({ code: 'custom', path: [f], message: `belongs to arch ${takes.map((a) => `"${a}"`).join(' or ')}, not "${v.arch}" (arch "${v.arch}" takes ${Object.keys(own).join(', ')})` });
        }
      }
    })
    .overwrite((v) => {
      const own = defaults[v.arch as Arch];
      const out: Record<string, unknown> = { arch: v.arch };
      for (const f of order) {
        const given = (v as Record<string, unknown>)[f];
        if (given !== undefined) out[f] = given;
        else if (f in own) out[f] = structuredClone(own[f]);
      }
      return out as typeof v;
    });
}

/** The controls of the arch-specific params: shown only while `arch` is one that takes them. */
export function archWhen(defaults: Defaults, param: Field): { param: 'arch'; values: Arch[] } {
  return { param: 'arch', values: archsOf(defaults, param) };
}

export interface EncoderParams {
  arch: Arch;
  channels?: number[];
  cell?: Cell;
  rnnUnits?: number;
  hidden: number[];
  activation: Exclude<Activation, 'none'>;
  latentDim: number;
}

export interface DecoderParams {
  arch: Arch;
  channels?: number[];
  cell?: Cell;
  rnnUnits?: number;
  hidden: number[];
  activation: Exclude<Activation, 'none'>;
  outputActivation: 'sigmoid' | 'none';
  outputUnits?: 'auto' | number;
}

// ---------------------------------------------------------------------------------------
// Shapes and structure.

type Image = Extract<DataStructure, { kind: 'image' }>;
type Sequence = Extract<DataStructure, { kind: 'sequence' }>;

/** What the other archs would do with this structure, for messages. */
function suggestion(s: DataStructure | undefined): string {
  if (!s) return 'Feed the data node\'s x directly (its structure says how to read the values), or use arch "mlp".';
  if (s.kind === 'image') return 'For images use arch "conv" (or "mlp").';
  if (s.kind === 'sequence') return 'For sequences use arch "rnn" (or "mlp").';
  return 'For tables use arch "mlp".';
}

/** How many conv layers an H×W image allows (each halves both). */
export function maxConvLayers(h: number, w: number): number {
  let n = 0;
  while (h % 2 ** (n + 1) === 0 && w % 2 ** (n + 1) === 0 && n < 6) n++;
  return n;
}

/** The image a conv arch reads, or why it cannot (no image structure, H or W not divisible by 2^n). */
export function convImage(port: string, s: DataStructure | undefined, channels: number[], what: string, seen: string): Image | ShapeResult {
  if (s?.kind !== 'image') {
    return mismatch(port, `${what} with arch "conv" needs images, but ${seen} ${s ? `is a ${formatStructure(s)}` : 'carries no image structure'}.`, suggestion(s));
  }
  const n = channels.length;
  const f = 2 ** n;
  if (s.h % f !== 0 || s.w % f !== 0) {
    const most = maxConvLayers(s.h, s.w);
    return mismatch(
      port,
      `${what} with ${n} conv layers (channels [${channels.join(', ')}]) halves H and W ${n} times, so they must be divisible by 2^${n} = ${f}; the image is ${s.h}×${s.w}.`,
      most > 0 ? `Use at most ${most} channel ${most === 1 ? 'entry' : 'entries'}, e.g. channels [${channels.slice(0, most).join(', ')}].` : `A ${s.h}×${s.w} image cannot be halved: use arch "mlp", or images of even size.`,
    );
  }
  return s;
}

export function rnnSequence(port: string, s: DataStructure | undefined, what: string, seen: string): Sequence | ShapeResult {
  if (s?.kind !== 'sequence') {
    return mismatch(port, `${what} with arch "rnn" needs sequences, but ${seen} ${s ? `is a ${formatStructure(s)}` : 'carries no sequence structure'}.`, suggestion(s));
  }
  return s;
}

function flatInput(port: string, x: Shape, what: string): ShapeResult | null {
  if (x.length < 2 || lastDim(x) === null) return mismatch(port, `${what} expects a batch of examples [B,n] on "${port}", got ${formatShape(x)}.`);
  return null;
}

export function encoderShapes(p: EncoderParams, x: Shape, s: DataStructure | undefined): ShapeResult {
  const what = 'The encoder';
  const bad = flatInput('x', x, what);
  if (bad) return bad;
  const seen = `x (${formatShape(x)})`;
  const st = p.arch === 'conv' ? convImage('x', s, p.channels!, what, seen) : rnnSequence('x', s, what, seen);
  if ('ok' in st) return st;
  if (structureWidth(st) !== lastDim(x)) return mismatch('x', `${what}: x is ${formatShape(x)}, but its ${formatStructure(st)} holds ${structureWidth(st)} values per example.`);
  const out = [...x.slice(0, -1), p.latentDim];
  return { ok: true, outputs: { mu: out, logvar: out } };
}

export function decoderShapes(p: DecoderParams, z: Shape, hint: Shape | undefined, s: DataStructure | undefined): ShapeResult {
  const what = 'The decoder';
  if (!hint) {
    return {
      ok: false,
      code: 'BAD_PARAM',
      port: 'xHat',
      message: `a decoder with arch "${p.arch}" takes its output's ${p.arch === 'conv' ? 'image size' : 'length and features'} from the data a reconstruction loss compares xHat with, and xHat feeds none.`,
      fix: 'Wire xHat into a loss.reconstruction whose x is the data.',
    };
  }
  const seen = `the data the loss compares xHat with (${formatShape(hint)})`;
  const st = p.arch === 'conv' ? convImage('xHat', s, p.channels!, what, seen) : rnnSequence('xHat', s, what, seen);
  if ('ok' in st) return st;
  const width = structureWidth(st);
  if (typeof p.outputUnits === 'number' && p.outputUnits !== width) {
    return mismatch('xHat', `${what} draws a ${formatStructure(st)} (${width} values), but outputUnits is ${p.outputUnits}.`, 'Set outputUnits to "auto".');
  }
  return { ok: true, outputs: { xHat: [...z.slice(0, -1), width] }, structure: { xHat: st } };
}

// ---------------------------------------------------------------------------------------
// Variables.

export function encoderVars(p: EncoderParams, x: Shape, s: DataStructure): VarSpec[] {
  const heads = (top: number) => [...denseVars('mu', top, p.latentDim), ...denseVars('logvar', top, p.latentDim)];
  if (p.arch === 'conv') {
    const img = s as Image;
    const ch = p.channels!;
    const k = CONV_GEOMETRY.kernel;
    const convs = ch.flatMap((c, i) => conv2dVars(`conv${i}`, i === 0 ? img.c : ch[i - 1]!, c, k));
    const f = 2 ** ch.length;
    const widths = [(img.h / f) * (img.w / f) * ch[ch.length - 1]!, ...p.hidden];
    return [...convs, ...mlpVars('hidden', widths), ...heads(widths[widths.length - 1]!)];
  }
  const seq = s as Sequence;
  const widths = [p.rnnUnits!, ...p.hidden];
  return [...rnnVars('rnn', p.cell!, seq.f, p.rnnUnits!), ...mlpVars('hidden', widths), ...heads(widths[widths.length - 1]!)];
}

export function decoderVars(p: DecoderParams, zShape: Shape, s: DataStructure): VarSpec[] {
  const d = lastDim(zShape)!;
  if (p.arch === 'conv') {
    const img = s as Image;
    const ch = p.channels!;
    const f = 2 ** ch.length;
    const widths = [d, ...p.hidden];
    const top = widths[widths.length - 1]!;
    const deconvs: VarSpec[] = [];
    for (let i = ch.length - 1; i >= 0; i--) {
      deconvs.push(...conv2dTransposeVars(`deconv${ch.length - 1 - i}`, ch[i]!, i === 0 ? img.c : ch[i - 1]!, CONV_GEOMETRY.kernel));
    }
    return [...mlpVars('hidden', widths), ...denseVars('grid', top, (img.h / f) * (img.w / f) * ch[ch.length - 1]!), ...deconvs];
  }
  const seq = s as Sequence;
  const widths = [p.rnnUnits!, ...p.hidden];
  return [...denseVars('h0', d, p.rnnUnits!), ...rnnVars('rnn', p.cell!, d, p.rnnUnits!), ...mlpVars('hidden', widths), ...denseVars('out', widths[widths.length - 1]!, seq.f)];
}

// ---------------------------------------------------------------------------------------
// Forward.

type Vars = Record<string, tf.Variable>;

/** [..., D] → [..., ...dims], keeping a data batch's "no gradient asked" mark. */
function reshapeTail(x: tf.Tensor, dims: number[]): tf.Tensor {
  const y = tf.reshape(x, [...x.shape.slice(0, -1), ...dims]);
  return isConstant(x) ? markConstant(y) : y;
}

/** [..., a, b, c] → [..., a·b·c]. */
function flatten(x: tf.Tensor, axes: number): tf.Tensor {
  const tail = x.shape.slice(-axes).reduce((a, b) => a * b, 1);
  return tf.reshape(x, [...x.shape.slice(0, -axes), tail]);
}

export function encoderForward(p: EncoderParams, x: tf.Tensor, s: DataStructure, vars: Vars, fast: boolean): { mu: tf.Tensor; logvar: tf.Tensor } {
  let h: tf.Tensor;
  if (p.arch === 'conv') {
    const img = s as Image;
    h = reshapeTail(x, [img.h, img.w, img.c]);
    p.channels!.forEach((_, i) => {
      h = conv2d(h, vars[`conv${i}/kernel`]!, vars[`conv${i}/bias`]!, { ...CONV_GEOMETRY, activation: p.activation, fast });
    });
    h = flatten(h, 3);
  } else {
    const seq = s as Sequence;
    h = lastStep(rnn(p.cell!, reshapeTail(x, [seq.t, seq.f]), null, rnnWeights(vars, 'rnn'), { fast }));
  }
  h = runMlp(h, vars, 'hidden', p.hidden.length, p.activation, fast);
  return {
    mu: dense(h, vars['mu/kernel']!, vars['mu/bias']!, 'none', fast),
    logvar: dense(h, vars['logvar/kernel']!, vars['logvar/bias']!, 'none', fast),
  };
}

export function decoderForward(p: DecoderParams, zIn: tf.Tensor, s: DataStructure, vars: Vars, fast: boolean): tf.Tensor {
  if (p.arch === 'conv') {
    const img = s as Image;
    const ch = p.channels!;
    const f = 2 ** ch.length;
    let h = runMlp(zIn, vars, 'hidden', p.hidden.length, p.activation, fast);
    h = dense(h, vars['grid/kernel']!, vars['grid/bias']!, p.activation, fast);
    h = reshapeTail(h, [img.h / f, img.w / f, ch[ch.length - 1]!]);
    for (let i = 0; i < ch.length; i++) {
      const last = i === ch.length - 1;
      h = conv2dTranspose(h, vars[`deconv${i}/kernel`]!, vars[`deconv${i}/bias`]!, { ...CONV_GEOMETRY, activation: last ? p.outputActivation : p.activation, fast });
    }
    return flatten(h, 3);
  }
  const seq = s as Sequence;
  const h0 = dense(zIn, vars['h0/kernel']!, vars['h0/bias']!, 'tanh', fast);
  const steps = tf.tile(tf.expandDims(zIn, -2), [...zIn.shape.slice(0, -1).map(() => 1), seq.t, 1]);
  let y = rnn(p.cell!, steps, h0, rnnWeights(vars, 'rnn'), { fast });
  y = runMlp(y, vars, 'hidden', p.hidden.length, p.activation, fast);
  y = dense(y, vars['out/kernel']!, vars['out/bias']!, p.outputActivation, fast);
  return flatten(y, 2);
}
