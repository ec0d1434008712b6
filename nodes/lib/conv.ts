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
 *   registered". Here the filter gradient is itself a convolution (XNNPACK): the input with batch
 *   and channels swapped, convolved with the output gradient as the filter, dilation s; or, for
 *   few input channels, im2col by a conv with a one-hot kernel and one product (see
 *   convFilterGrad). (im2col with k² tf.stridedSlice calls measured far slower: wasm's
 *   StridedSlice is a scalar loop too.)
 * - its Conv2DBackpropInput (the input gradient of a conv, and the forward of tf.conv2dTranspose)
 *   is a naive scalar loop. Here the transposed conv is split by output phase (sub-pixel):
 *   output rows ≡ r (mod s) only meet the kernel taps ≡ r + p (mod s), so each of the s² phases
 *   is a plain stride-1 conv (XNNPACK) of the input with a small flipped sub-kernel, and one
 *   transpose interleaves the phases (wasm's DepthToSpace is a scalar loop as well). Same sums,
 *   no multiplications by inserted zeros.
 * - PadV2, Slice (not contiguous), GatherV2, Concat on narrow channels and Sum over leading axes
 *   are scalar JS or C++ loops too, and cost as much as the convs around them did: zero borders
 *   are the conv's explicit padding, taps are picked by a product with a one-hot matrix, the
 *   bias gradient is a product with a row of ones (`npx tsx bench/conv-profile.ts` lists a
 *   training step's kernels).
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
// The two fast kernels. On wasm they avoid the kernels that are scalar loops there (PadV2,
// non-contiguous Slice, GatherV2, Concat of narrow channels, Sum over leading axes): zeros
// around an input are the conv's own explicit padding (XNNPACK reads them for free), weight
// taps are picked by a product with a one-hot matrix (BatchMatMul, XNNPACK), sums over the
// batch are products with a row of ones.

/** [[0,0],[top,bottom],[left,right],[0,0]]: tf.conv2d's explicit padding. */
function explicit(top: number, bottom: number, left: number, right: number): Pad4 {
  return [
    [0, 0],
    [top, bottom],
    [left, right],
    [0, 0],
  ];
}

/** Σ over every axis but the last: a product with a row of ones on wasm (its Sum transposes first). */
function sumToChannels(t: tf.Tensor, layout: MatMulLayout): tf.Tensor1D {
  const c = t.shape[t.rank - 1]!;
  if (layout === 'flags') return tf.sum(t, [...Array(t.rank - 1).keys()]);
  const rows = t.size / c;
  return tf.reshape(tf.matMul(tf.ones([1, rows]), tf.reshape(t, [rows, c])), [c]);
}

/** One-hot rows: row i of the result is row idx[i] of an [n, …] matrix (zeros where idx[i] is −1). */
function selector(idx: number[], n: number): tf.Tensor2D {
  const a = new Float32Array(idx.length * n);
  idx.forEach((j, i) => {
    if (j >= 0) a[i * n + j] = 1;
  });
  return tf.tensor2d(a, [idx.length, n]);
}

/**
 * A 'valid' stride-1 (or stride-s, dilation-d) conv of the window of x that starts at (offY, offX)
 * (negative: zeros before) and is lenY × lenX: zeros become the conv's explicit padding; only a
 * window that starts or ends inside x is sliced.
 */
function convWindow(x: tf.Tensor4D, w: tf.Tensor4D, offY: number, lenY: number, offX: number, lenX: number, stride = 1, dilation = 1): tf.Tensor4D {
  const [b, h, wd, c] = x.shape;
  const [cy0, cy1, cx0, cx1] = [Math.max(0, offY), Math.max(0, h - offY - lenY), Math.max(0, offX), Math.max(0, wd - offX - lenX)];
  const xin = cy0 + cy1 + cx0 + cx1 > 0 ? tf.slice(x, [0, cy0, cx0, 0], [b, h - cy0 - cy1, wd - cx0 - cx1, c]) : x;
  const pad = explicit(Math.max(0, -offY), Math.max(0, offY + lenY - h), Math.max(0, -offX), Math.max(0, offX + lenX - wd));
  return tf.conv2d(xin, w, stride, pad, 'NHWC', dilation);
}

/**
 * The filter gradient of y = conv(x, W; k, s, p): dW[ky,kx,ci,co] = Σ_{b,i,j} xpad[b, s·i+ky, s·j+kx, ci]·dy[b,i,j,co].
 * Also the filter gradient of a transposed conv, with the roles of x and dy swapped.
 * On wasm (layout 'xnnpack') XNNPACK runs it, in one of two ways:
 * - few input channels (k²·ci ≤ 64, e.g. the first conv on 1-channel images): im2col. A conv of x
 *   with a one-hot kernel [k,k,ci,k²·ci] gathers each output pixel's patch, and dW is
 *   patchesᵀ·dy, one product [k²·ci, N]×[N, co] (N = B·Ho·Wo).
 * - otherwise a convolution with the batch as the channel axis: xᵀ [ci, H, W, B] (its zero border
 *   as explicit padding) convolved with dyᵀ [Ho, Wo, B, co] as the filter, dilation s, gives
 *   [ci, k', k', co] (k' ≥ k; the first k rows and columns are dW).
 * Elsewhere tf's own Conv2DBackpropFilter kernel.
 */
export function convFilterGrad(x: tf.Tensor4D, dy: tf.Tensor4D, g: ConvGeometry, layout: MatMulLayout): tf.Tensor4D {
  const { kernel: k, stride: s, padding: p } = g;
  const ci = x.shape[3];
  const co = dy.shape[3];
  const [ho, wo] = [dy.shape[1], dy.shape[2]];
  if (layout === 'flags') {
    const attrs = { strides: [s, s], pad: padHW(p), dataFormat: 'NHWC', filterShape: [k, k, ci, co] };
    return tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor4D;
  }
  const span = (n: number) => (n - 1) * s + k; // the rows of xpad the conv reads
  if (k * k * ci <= 64) {
    const taps = k * k * ci;
    const eye = tf.reshape(tf.eye(taps), [k, k, ci, taps]) as tf.Tensor4D;
    const patches = convWindow(x, eye, -p, span(ho), -p, span(wo), s);
    const n = patches.size / taps;
    const dw = tf.matMul(tf.transpose(tf.reshape(patches, [n, taps])), tf.reshape(dy, [n, co]));
    return tf.reshape(dw, [k, k, ci, co]);
  }
  const xt = tf.transpose(x, [3, 1, 2, 0]) as tf.Tensor4D;
  const dyt = tf.transpose(dy, [1, 2, 0, 3]) as tf.Tensor4D;
  // the padded window is k + (Ho − 1)·s rows, so the dilated conv's output is exactly k × k
  let r = convWindow(xt, dyt, -p, span(ho), -p, span(wo), 1, s);
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
 * Y[b, s·m + ry, s·n + rx, c] = P[b, m, n, (ry·s + rx)·C + c]: tf.depthToSpace (wasm's is a
 * scalar loop) as one 4-D transpose between free reshapes.
 */
function depthToSpace(y: tf.Tensor4D, s: number, c: number): tf.Tensor4D {
  const [b, m, n] = y.shape;
  return tf.reshape(tf.transpose(tf.reshape(y, [b * m, n, s, s * c]), [0, 2, 1, 3]), [b, m * s, n * s, c]);
}

/**
 * The transposed conv: y[b, s·i + ky − p, s·j + kx − p, ci] += x[b,i,j,co]·W[ky,kx,ci,co] for W [k,k,ci,co],
 * cropped to [outH, outW] (the input gradient of a conv with kernel W; nn.ConvTranspose2d with
 * weight Wᵀ). Computed phase by phase as stride-1 convs (see the file comment), each phase's
 * flipped sub-kernel picked from W by one product with a one-hot matrix, and interleaved by
 * depthToSpace. Few output channels (s²·ci ≤ 16, e.g. the decoder's last layer to 1 channel)
 * run all phases as ONE conv with a kernel that holds every phase's taps at its window's offset
 * (zeros elsewhere): more multiplications, but XNNPACK is slow at convs to 1 or 2 channels.
 */
export function convTransposeSubPixel(x: tf.Tensor4D, w: tf.Tensor4D, g: ConvGeometry, outH: number, outW: number): tf.Tensor4D {
  const { kernel: k, stride: s } = g;
  const [b, , , co] = x.shape;
  const ci = w.shape[2];
  const ph = phases(outH, g);
  const pw = phases(outW, g);
  const wT = tf.reshape(tf.transpose(w, [0, 1, 3, 2]), [k * k, co * ci]); // tap-major rows of a co → ci kernel
  let y: tf.Tensor4D;
  if (s * s * ci <= 16) {
    const used = (list: Phase[]) => list.filter((q) => q.taps.length > 0);
    const lo = (list: Phase[]) => Math.min(...used(list).map((q) => q.offset));
    const hi = (list: Phase[]) => Math.max(...used(list).map((q) => q.offset + q.length));
    const [oy, ox] = [lo(ph.phases), lo(pw.phases)];
    const [ky, kx] = [hi(ph.phases) - oy - ph.m + 1, hi(pw.phases) - ox - pw.m + 1];
    const idx: number[] = [];
    for (let u = 0; u < ky; u++) {
      for (let v = 0; v < kx; v++) {
        for (const py of ph.phases) {
          for (const px of pw.phases) {
            const [ty, tx] = [u - (py.offset - oy), v - (px.offset - ox)];
            const inside = ty >= 0 && ty < py.taps.length && tx >= 0 && tx < px.taps.length;
            idx.push(inside ? py.taps[ty]! * k + px.taps[tx]! : -1);
          }
        }
      }
    }
    const picked = tf.reshape(tf.matMul(selector(idx, k * k), wT), [ky * kx, s * s, co, ci]);
    const kernel = tf.reshape(tf.transpose(picked, [0, 2, 1, 3]), [ky, kx, co, s * s * ci]) as tf.Tensor4D;
    y = depthToSpace(convWindow(x, kernel, oy, ph.m + ky - 1, ox, pw.m + kx - 1), s, ci);
  } else {
    const idx: number[] = [];
    for (const py of ph.phases) for (const px of pw.phases) for (const ty of py.taps) for (const tx of px.taps) idx.push(ty * k + tx);
    const picked = tf.matMul(selector(idx, k * k), wT);
    const outs: tf.Tensor4D[] = [];
    let row = 0;
    for (const py of ph.phases) {
      for (const px of pw.phases) {
        const [ty, tx] = [py.taps.length, px.taps.length];
        if (ty === 0 || tx === 0) {
          outs.push(tf.zeros([b, ph.m, pw.m, ci]));
          continue;
        }
        const sub = tf.reshape(tf.slice(picked, [row, 0], [ty * tx, co * ci]), [ty, tx, co, ci]) as tf.Tensor4D;
        row += ty * tx;
        outs.push(convWindow(x, sub, py.offset, py.length, px.offset, px.length));
      }
    }
    y = s === 1 ? outs[0]! : depthToSpace(tf.concat(outs, 3), s, ci);
  }
  if (y.shape[1] !== outH || y.shape[2] !== outW) y = tf.slice(y, [0, 0, 0, 0], [b, outH, outW, ci]);
  return y;
}

// ---------------------------------------------------------------------------------------
// The layers.

type Conv3 = (x: tf.Tensor4D, w: tf.Tensor4D, bias: tf.Tensor1D) => tf.Tensor4D;
type Conv2 = (w: tf.Tensor4D, bias: tf.Tensor1D) => tf.Tensor4D;

function convForward(x: tf.Tensor4D, w: tf.Tensor4D, bias: tf.Tensor1D, g: ConvGeometry): tf.Tensor4D {
  return tf.add(tf.conv2d(x, w, g.stride, padHW(g.padding)), bias);
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
    const db = sumToChannels(dy, layout);
    if (!transposed) {
      const dw = convFilterGrad(sx, dy, g, layout);
      return withX ? [convTranspose(dy, sw, g, sx.shape[1], sx.shape[2], layout), dw, db] : [dw, db];
    }
    const dw = convFilterGrad(dy, sx, g, layout);
    return withX ? [tf.conv2d(dy, sw, g.stride, padHW(g.padding)), dw, db] : [dw, db];
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
