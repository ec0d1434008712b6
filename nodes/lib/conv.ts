/**
 * 2-D convolutions, shared by layer.conv2d, layer.conv2dTranspose and the "conv" arch of
 * vae.encoder / vae.decoder. NHWC, as tfjs.
 *
 * Semantics are PyTorch's (DESIGN §8), so a graph and its PyTorch twin compute the same thing:
 * - `padding` p is nn.Conv2d's: p rows/columns of zeros on each side. Output size
 *   floor((n + 2p − k)/s) + 1. (tfjs' 'same'/'valid' are not used.)
 * - the transposed conv is nn.ConvTranspose2d (output_padding 0): output size
 *   (n − 1)s − 2p + k; it is the adjoint (input gradient) of the conv with the same k, s, p.
 * - weights: conv kernel [k, k, Cin, Cout] (tf.conv2d's layout; PyTorch's weight [Cout, Cin, k, k]
 *   is its transpose (3, 2, 0, 1)); transposed-conv kernel [k, k, Cout, Cin] (tf.conv2dTranspose's
 *   layout; PyTorch's weight [Cin, Cout, k, k] is its transpose (3, 2, 0, 1) as well); bias [Cout].
 * - initialisation as PyTorch's: weights and bias uniform in ±1/√fan_in, where fan_in is
 *   Cin·k² for Conv2d and Cout·k² for ConvTranspose2d (PyTorch reads fan_in from the weight's
 *   dimension 1, which for a transposed conv is its out_channels).
 *
 * The fast path (`fast = true`) is one custom gradient per layer over (x, W, b) (over (W, b)
 * when x is data no gradient is asked of), because tfjs-backend-wasm 4.22 falls short on
 * convolution gradients. On wasm:
 * - it registers no Conv2DBackpropFilter: the stock filter gradient throws "kernel not
 *   registered". Here the filter gradient is itself a convolution (XNNPACK): the padded input
 *   with batch and channels swapped, convolved with the output gradient as the filter, dilation s
 *   (see convFilterGrad). (im2col with k² tf.stridedSlice calls measured far slower: wasm's
 *   StridedSlice is a scalar loop too.)
 * - its Conv2DBackpropInput (the input gradient of a conv, and the forward of tf.conv2dTranspose)
 *   is a naive scalar loop. Here the transposed conv is split by output phase (sub-pixel):
 *   output rows ≡ r (mod s) only meet the kernel taps ≡ r + p (mod s), so each of the s² phases
 *   is a plain stride-1 conv (XNNPACK) of the input with a small flipped sub-kernel, and
 *   concats with free reshapes interleave the phases (wasm's DepthToSpace is a scalar loop as
 *   well). Same sums, no multiplications by inserted zeros.
 * On cpu and webgl the fast path uses tf's own Conv2DBackpropFilter and Conv2DBackpropInput
 * kernels inside the same custom gradient.
 * The stock path is tf.conv2d / tf.conv2dTranspose with tf's own gradients (fine on cpu and
 * webgl; on wasm its filter gradient throws). Both compute the same function; they differ in
 * float32 rounding only (tests/unit/conv-rnn-fastpath.test.ts holds them within 1e-5).
 */
import * as tf from '@tensorflow/tfjs';
import type { VarSpec } from '../types';
import { applyActivation } from './activation';
import { isConstant, layoutFor, type Activation, type MatMulLayout } from './dense';

export interface ConvGeometry {
  kernel: number;
  stride: number;
  padding: number;
}

/** nn.Conv2d's output size along one axis. */
export function convOutSize(n: number, g: ConvGeometry): number {
  return Math.floor((n + 2 * g.padding - g.kernel) / g.stride) + 1;
}

/** nn.ConvTranspose2d's output size along one axis (output_padding 0). */
export function convTransposeOutSize(n: number, g: ConvGeometry): number {
  return (n - 1) * g.stride - 2 * g.padding + g.kernel;
}

export function conv2dVars(prefix: string, inChannels: number, filters: number, kernel: number): VarSpec[] {
  const bound = 1 / Math.sqrt(inChannels * kernel * kernel);
  return [
    { name: `${prefix}/kernel`, shape: [kernel, kernel, inChannels, filters], init: { kind: 'uniform', bound } },
    { name: `${prefix}/bias`, shape: [filters], init: { kind: 'uniform', bound } },
  ];
}

export function conv2dTransposeVars(prefix: string, inChannels: number, filters: number, kernel: number): VarSpec[] {
  const bound = 1 / Math.sqrt(filters * kernel * kernel);
  return [
    { name: `${prefix}/kernel`, shape: [kernel, kernel, filters, inChannels], init: { kind: 'uniform', bound } },
    { name: `${prefix}/bias`, shape: [filters], init: { kind: 'uniform', bound } },
  ];
}

type Pad4 = [[number, number], [number, number], [number, number], [number, number]];

function padHW(p: number): Pad4 {
  return [
    [0, 0],
    [p, p],
    [p, p],
    [0, 0],
  ];
}

// ---------------------------------------------------------------------------------------
// The two fast kernels.

/**
 * The filter gradient of y = conv(x, W; k, s, p): dW[ky,kx,ci,co] = Σ_{b,i,j} xpad[b, s·i+ky, s·j+kx, ci]·dy[b,i,j,co].
 * Also the filter gradient of a transposed conv, with the roles of x and dy swapped.
 * On wasm (layout 'xnnpack') it is itself a convolution, run by XNNPACK: with the batch as the
 * channel axis, xpadᵀ [ci, H+2p, W+2p, B] convolved with dyᵀ [Ho, Wo, B, co] as the filter,
 * dilation s, gives [ci, k', k', co] (k' ≥ k; the first k rows and columns are dW).
 * Elsewhere tf's own Conv2DBackpropFilter kernel.
 */
export function convFilterGrad(x: tf.Tensor4D, dy: tf.Tensor4D, g: ConvGeometry, layout: MatMulLayout): tf.Tensor4D {
  const { kernel: k, stride: s, padding: p } = g;
  const ci = x.shape[3];
  const co = dy.shape[3];
  if (layout === 'flags') {
    const attrs = { strides: [s, s], pad: padHW(p), dataFormat: 'NHWC', filterShape: [k, k, ci, co] };
    return tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor4D;
  }
  const xt = tf.transpose(p > 0 ? tf.pad(x, padHW(p)) : x, [3, 1, 2, 0]) as tf.Tensor4D;
  const dyt = tf.transpose(dy, [1, 2, 0, 3]) as tf.Tensor4D;
  let r = tf.conv2d(xt, dyt, 1, 'valid', 'NHWC', s);
  if (r.shape[1] !== k || r.shape[2] !== k) r = tf.slice(r, [0, 0, 0, 0], [ci, k, k, co]);
  return tf.transpose(r, [1, 2, 0, 3]);
}

/** The part of one axis that output phase r (rows ≡ r mod s) reads: which taps, and which window of the input. */
interface Phase {
  /** Kernel taps in the order the stride-1 conv uses them (flipped). */
  taps: number[];
  /** The window of the input starts at `offset` (may be negative: zeros) and is `length` long. */
  offset: number;
  length: number;
}

function phases(out: number, g: ConvGeometry): { phases: Phase[]; m: number } {
  const { kernel: k, stride: s, padding: p } = g;
  const m = Math.ceil(out / s);
  const list: Phase[] = [];
  for (let r = 0; r < s; r++) {
    const kr = (r + p) % s;
    const q = Math.floor((r + p) / s);
    const j = kr < k ? Math.ceil((k - kr) / s) : 0;
    // out[s·m' + r] = Σ_t x[m' + t + q − j + 1]·W[kr + s·(j − 1 − t)], t = 0 … j−1
    const taps = Array.from({ length: j }, (_, t) => kr + s * (j - 1 - t));
    list.push({ taps, offset: q - j + 1, length: m + j - 1 });
  }
  return { phases: list, m };
}

/**
 * Y[b, s·m + ry, s·n + rx, c] = phase[ry·s + rx][b, m, n, c]: tf.depthToSpace of the phases
 * concatenated on channels, as concats and free reshapes (wasm's DepthToSpace is a scalar loop).
 */
function interleave(phase: tf.Tensor4D[], s: number): tf.Tensor4D {
  const [b, m, n, c] = phase[0]!.shape;
  const rows: tf.Tensor4D[] = [];
  for (let ry = 0; ry < s; ry++) {
    // the columns of row phase ry: [B, M, N, s·C] is [B, M, N·s, C]
    rows.push(tf.reshape(tf.concat(phase.slice(ry * s, ry * s + s), 3), [b, m, n * s, c]));
  }
  // [B, M, s·N·s, C] is [B, M·s, N·s, C]
  return tf.reshape(tf.concat(rows, 2), [b, m * s, n * s, c]);
}

/**
 * The transposed conv: y[b, s·i + ky − p, s·j + kx − p, ci] += x[b,i,j,co]·W[ky,kx,ci,co] for W [k,k,ci,co],
 * cropped to [outH, outW] (the input gradient of a conv with kernel W; nn.ConvTranspose2d with
 * weight Wᵀ). Computed phase by phase as stride-1 convs (see the file comment).
 */
export function convTransposeSubPixel(x: tf.Tensor4D, w: tf.Tensor4D, g: ConvGeometry, outH: number, outW: number): tf.Tensor4D {
  const s = g.stride;
  const [b, h, wd, co] = x.shape;
  const ci = w.shape[2];
  const ph = phases(outH, g);
  const pw = phases(outW, g);
  // Pad once by what the widest window needs on each side; each phase is then a slice.
  const before = (list: Phase[]) => Math.max(0, ...list.map((q) => -q.offset));
  const after = (list: Phase[], n: number) => Math.max(0, ...list.map((q) => q.offset + q.length - n));
  const [bh, bw] = [before(ph.phases), before(pw.phases)];
  const padding: Pad4 = [
    [0, 0],
    [bh, after(ph.phases, h)],
    [bw, after(pw.phases, wd)],
    [0, 0],
  ];
  const xp = padding[1][0] + padding[1][1] + padding[2][0] + padding[2][1] > 0 ? tf.pad(x, padding) : x;
  const wT = tf.transpose(w, [0, 1, 3, 2]); // [k, k, co, ci]: a conv kernel from co to ci
  const outs: tf.Tensor4D[] = [];
  for (const py of ph.phases) {
    for (const px of pw.phases) {
      if (py.taps.length === 0 || px.taps.length === 0) {
        outs.push(tf.zeros([b, ph.m, pw.m, ci]));
        continue;
      }
      const win = tf.slice(xp, [0, py.offset + bh, px.offset + bw, 0], [b, py.length, px.length, co]);
      const sub = tf.gather(tf.gather(wT, py.taps, 0), px.taps, 1) as tf.Tensor4D;
      outs.push(tf.conv2d(win, sub, 1, 'valid'));
    }
  }
  let y = s === 1 ? outs[0]! : interleave(outs, s);
  if (y.shape[1] !== outH || y.shape[2] !== outW) y = tf.slice(y, [0, 0, 0, 0], [b, outH, outW, ci]);
  return y;
}

// ---------------------------------------------------------------------------------------
// The layers.

type Conv3 = (x: tf.Tensor4D, w: tf.Tensor4D, bias: tf.Tensor1D) => tf.Tensor4D;
type Conv2 = (w: tf.Tensor4D, bias: tf.Tensor1D) => tf.Tensor4D;

function convForward(x: tf.Tensor4D, w: tf.Tensor4D, bias: tf.Tensor1D, g: ConvGeometry): tf.Tensor4D {
  return tf.add(tf.conv2d(g.padding > 0 ? tf.pad(x, padHW(g.padding)) : x, w, g.stride, 'valid'), bias);
}

/** The transposed conv of x with W [k,k,ci,co] to [B, outH, outW, ci]: sub-pixel on wasm, tf's Conv2DBackpropInput elsewhere. */
function convTranspose(x: tf.Tensor4D, w: tf.Tensor4D, g: ConvGeometry, outH: number, outW: number, layout: MatMulLayout): tf.Tensor4D {
  if (layout === 'xnnpack') return convTransposeSubPixel(x, w, g, outH, outW);
  return tf.conv2dTranspose(x, w, [x.shape[0], outH, outW, w.shape[2]], g.stride, padHW(g.padding));
}

/** One custom gradient for a conv (`transposed` false) or a transposed conv, with or without dL/dx. */
function fastConv(x: tf.Tensor4D, w: tf.Tensor4D, bias: tf.Tensor1D, g: ConvGeometry, transposed: boolean, inputGrad: boolean): tf.Tensor4D {
  const layout = layoutFor(tf.getBackend());
  const run = (xx: tf.Tensor4D, ww: tf.Tensor4D, bb: tf.Tensor1D) =>
    transposed ? tf.add(convTranspose(xx, ww, g, convTransposeOutSize(xx.shape[1], g), convTransposeOutSize(xx.shape[2], g), layout), bb) : convForward(xx, ww, bb, g);
  const grads = (dy: tf.Tensor4D, sx: tf.Tensor4D, sw: tf.Tensor4D, withX: boolean): tf.Tensor[] => {
    const db = tf.sum(dy, [0, 1, 2]);
    if (!transposed) {
      const dw = convFilterGrad(sx, dy, g, layout);
      return withX ? [convTranspose(dy, sw, g, sx.shape[1], sx.shape[2], layout), dw, db] : [dw, db];
    }
    const dw = convFilterGrad(dy, sx, g, layout);
    return withX ? [tf.conv2d(g.padding > 0 ? tf.pad(dy, padHW(g.padding)) : dy, sw, g.stride, 'valid'), dw, db] : [dw, db];
  };
  if (inputGrad) {
    const f = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
      const [cx, cw, cb, save] = args as [tf.Tensor4D, tf.Tensor4D, tf.Tensor1D, tf.GradSaveFunc];
      save([cx, cw]);
      return {
        value: run(cx, cw, cb),
        gradFunc: (dy, saved) => grads(dy as tf.Tensor4D, saved[0] as tf.Tensor4D, saved[1] as tf.Tensor4D, true),
      };
    }) as unknown as Conv3;
    return f(x, w, bias);
  }
  const f = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [cw, cb, save] = args as [tf.Tensor4D, tf.Tensor1D, tf.GradSaveFunc];
    // x is not an input of this gradient, but the backward pass reads it: save (keep) it too.
    save([x, cw]);
    return {
      value: run(x, cw, cb),
      gradFunc: (dy, saved) => grads(dy as tf.Tensor4D, saved[0] as tf.Tensor4D, saved[1] as tf.Tensor4D, false),
    };
  }) as unknown as Conv2;
  return f(w, bias);
}

function stockConv(x: tf.Tensor4D, w: tf.Tensor4D, bias: tf.Tensor1D, g: ConvGeometry, transposed: boolean): tf.Tensor4D {
  if (!transposed) return tf.add(tf.conv2d(x, w, g.stride, padHW(g.padding)), bias);
  const [b, h, wd] = x.shape;
  const out: [number, number, number, number] = [b, convTransposeOutSize(h, g), convTransposeOutSize(wd, g), w.shape[2]];
  return tf.add(tf.conv2dTranspose(x, w, out, g.stride, padHW(g.padding)), bias);
}

export interface ConvOptions extends ConvGeometry {
  activation: Activation;
  fast: boolean;
  /** Skip dL/dx (the input is data no gradient is asked of); also implied by markConstant. */
  constantInput?: boolean;
}

function convLayer(x: tf.Tensor, w: tf.Tensor, bias: tf.Tensor, o: ConvOptions, transposed: boolean): tf.Tensor {
  // A leading K-sample axis folds into the batch: [K,B,H,W,C] → [K·B,H,W,C].
  const lead = x.shape.slice(0, -3);
  const x4 = (x.rank === 4 ? x : tf.reshape<tf.Rank>(x, [-1, ...x.shape.slice(-3)] as number[])) as tf.Tensor4D;
  const g: ConvGeometry = { kernel: o.kernel, stride: o.stride, padding: o.padding };
  const u = o.fast
    ? fastConv(x4, w as tf.Tensor4D, bias as tf.Tensor1D, g, transposed, !(o.constantInput || isConstant(x)))
    : stockConv(x4, w as tf.Tensor4D, bias as tf.Tensor1D, g, transposed);
  const y = applyActivation(u, o.activation);
  return x.rank === 4 ? y : tf.reshape(y, [...lead, ...y.shape.slice(1)]);
}

/** y = act(conv2d(x, W) + b), x [..., H, W, Cin] → [..., Ho, Wo, Cout]; W [k,k,Cin,Cout]. */
export function conv2d(x: tf.Tensor, kernel: tf.Tensor, bias: tf.Tensor, o: ConvOptions): tf.Tensor {
  return convLayer(x, kernel, bias, o, false);
}

/** y = act(convTranspose2d(x, W) + b), x [..., H, W, Cin] → [..., Ho, Wo, Cout]; W [k,k,Cout,Cin]. */
export function conv2dTranspose(x: tf.Tensor, kernel: tf.Tensor, bias: tf.Tensor, o: ConvOptions): tf.Tensor {
  return convLayer(x, kernel, bias, o, true);
}
