/**
 * Pure helpers for the latent views: the Gaussian CDF and its inverse (the manifold grid),
 * PCA to two components (codes of d > 2), q(z|x)'s 1-σ ellipse in a 2-D view, traversal z,
 * and turning a drawing into an MNIST-like 28×28 digit. No DOM, no tfjs.
 */

/** Ten colours for the digits 0…9 (Tableau 10). */
export const DIGIT_COLOURS = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#7f7f7f'] as const;

/** The points' colour when the data has no labels. */
export const UNLABELLED_COLOUR = '#4e79a7';

/** The colour of class `label` (the ten colours repeat from the eleventh class on). */
export function classColour(label: number): string {
  return DIGIT_COLOURS[((label % DIGIT_COLOURS.length) + DIGIT_COLOURS.length) % DIGIT_COLOURS.length]!;
}

/**
 * The scatter's legend: each class name with its colour, the first `max`; `more` counts the
 * rest. `classes` undefined (an older worker) means MNIST's digits; null means no labels (no legend).
 */
export function classLegend(classes: readonly string[] | null | undefined, max = 12): { items: Array<{ name: string; colour: string }>; more: number } {
  const names = classes === undefined ? DIGIT_COLOURS.map((_, i) => String(i)) : (classes ?? []);
  return { items: names.slice(0, max).map((name, i) => ({ name, colour: classColour(i) })), more: Math.max(0, names.length - max) };
}

/** Φ⁻¹(p), the standard normal quantile (Acklam's rational approximation, |error| < 1.2e-9). */
export function normalPpf(p: number): number {
  if (!(p > 0 && p < 1)) return p <= 0 ? -Infinity : p >= 1 ? Infinity : NaN;
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const lo = 0.02425;
  if (p < lo) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  }
  if (p > 1 - lo) {
    const q = Math.sqrt(-2 * Math.log(1 - p));
    return -(((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  }
  const q = p - 0.5;
  const r = q * q;
  return ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) / (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1);
}

/** Φ(x), the standard normal CDF (erf by Abramowitz–Stegun 7.1.26, |error| < 1.5e-7). */
export function normalCdf(x: number): number {
  if (x === Infinity) return 1;
  if (x === -Infinity) return 0;
  const t = 1 / (1 + 0.3275911 * (Math.abs(x) / Math.SQRT2));
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-(x * x) / 2);
  return x >= 0 ? 0.5 * (1 + y) : 0.5 * (1 - y);
}

/**
 * The decoded-manifold grid for d = 2 (Kingma & Welling's figure): n × n z through the
 * inverse Gaussian CDF of evenly spaced probabilities (i + ½)/n, row-major from the top
 * left; z₁ grows to the right, z₂ upwards. Returns [n·n, 2].
 */
export function manifoldGrid(n: number): Float32Array {
  const z = new Float32Array(n * n * 2);
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < n; c++) {
      const i = (r * n + c) * 2;
      z[i] = normalPpf((c + 0.5) / n);
      z[i + 1] = normalPpf(1 - (r + 0.5) / n);
    }
  }
  return z;
}

export interface Pca2 {
  /** Mean of the codes, [d]. */
  mean: Float64Array;
  /** Two unit directions, each [d] (for d = 1 the second is zero). */
  axes: [Float64Array, Float64Array];
  /** Variance along each axis. */
  variance: [number, number];
  /** Share of the total variance the two axes explain. */
  explained: number;
}

/** PCA of n codes of d dims (row-major) to two components, by power iteration with deflation. */
export function pca2(x: ArrayLike<number>, n: number, d: number): Pca2 {
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += x[i * d + j]! / n;
  const cov = new Float64Array(d * d);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) {
      const a = x[i * d + j]! - mean[j]!;
      for (let k = j; k < d; k++) cov[j * d + k] += (a * (x[i * d + k]! - mean[k]!)) / n;
    }
  }
  for (let j = 0; j < d; j++) for (let k = 0; k < j; k++) cov[j * d + k] = cov[k * d + j]!;
  let total = 0;
  for (let j = 0; j < d; j++) total += cov[j * d + j]!;
  const axes: Float64Array[] = [];
  const variance: number[] = [];
  for (let c = 0; c < 2; c++) {
    if (c >= d) {
      axes.push(new Float64Array(d));
      variance.push(0);
      continue;
    }
    // Start from the basis vector of the largest remaining diagonal (deterministic).
    let v = new Float64Array(d);
    let best = 0;
    for (let j = 1; j < d; j++) if (cov[j * d + j]! > cov[best * d + best]!) best = j;
    v[best] = 1;
    for (let j = 0; j < d; j++) v[j] += 1e-3 * ((j % 7) - 3);
    let lambda = 0;
    for (let it = 0; it < 300; it++) {
      const w = new Float64Array(d);
      for (let j = 0; j < d; j++) {
        let s = 0;
        for (let k = 0; k < d; k++) s += cov[j * d + k]! * v[k]!;
        w[j] = s;
      }
      const norm = Math.hypot(...w);
      if (norm < 1e-300) break;
      for (let j = 0; j < d; j++) w[j] /= norm;
      let change = 0;
      for (let j = 0; j < d; j++) change = Math.max(change, Math.abs(w[j]! - v[j]!));
      v = w;
      lambda = norm;
      if (change < 1e-10) break;
    }
    // Sign convention: the largest entry positive (a stable picture from one refresh to the next).
    let big = 0;
    for (let j = 1; j < d; j++) if (Math.abs(v[j]!) > Math.abs(v[big]!)) big = j;
    if (v[big]! < 0) for (let j = 0; j < d; j++) v[j] = -v[j]!;
    axes.push(v);
    variance.push(lambda);
    for (let j = 0; j < d; j++) for (let k = 0; k < d; k++) cov[j * d + k] -= lambda * v[j]! * v[k]!;
  }
  return {
    mean,
    axes: [axes[0]!, axes[1]!],
    variance: [variance[0]!, variance[1]!],
    explained: total > 0 ? (variance[0]! + variance[1]!) / total : 0,
  };
}

/** A code's coordinates in the PCA plane. */
export function project(p: Pca2, z: ArrayLike<number>, offset = 0): [number, number] {
  let u = 0;
  let v = 0;
  for (let j = 0; j < p.mean.length; j++) {
    const c = z[offset + j]! - p.mean[j]!;
    u += c * p.axes[0][j]!;
    v += c * p.axes[1][j]!;
  }
  return [u, v];
}

/** The code at (u, v) in the PCA plane: mean + u·axis₁ + v·axis₂. */
export function unproject(p: Pca2, u: number, v: number): Float32Array {
  const z = new Float32Array(p.mean.length);
  for (let j = 0; j < z.length; j++) z[j] = p.mean[j]! + u * p.axes[0][j]! + v * p.axes[1][j]!;
  return z;
}

/**
 * The 1-σ ellipse of N(μ, diag σ²) seen in a 2-D view with orthonormal directions a and b
 * (the first two coordinates for d = 2, the PCA axes otherwise): the projected covariance
 * [aᵀΣa, aᵀΣb; bᵀΣa, bᵀΣb]'s eigen-decomposition. Returns `points` (x, y) pairs on the
 * ellipse, in view coordinates centred on μ's projection.
 */
export function ellipse(centre: [number, number], logvar: ArrayLike<number>, a: ArrayLike<number>, b: ArrayLike<number>, points = 48): Array<[number, number]> {
  let saa = 0;
  let sab = 0;
  let sbb = 0;
  for (let j = 0; j < logvar.length; j++) {
    const s2 = Math.exp(logvar[j]!);
    saa += a[j]! * a[j]! * s2;
    sab += a[j]! * b[j]! * s2;
    sbb += b[j]! * b[j]! * s2;
  }
  const tr = saa + sbb;
  const det = saa * sbb - sab * sab;
  const disc = Math.sqrt(Math.max(0, (tr * tr) / 4 - det));
  const l1 = Math.max(0, tr / 2 + disc);
  const l2 = Math.max(0, tr / 2 - disc);
  // Eigenvector of l1.
  let ex = sab;
  let ey = l1 - saa;
  if (Math.abs(ex) < 1e-12 && Math.abs(ey) < 1e-12) {
    ex = saa >= sbb ? 1 : 0;
    ey = saa >= sbb ? 0 : 1;
  }
  const n = Math.hypot(ex, ey);
  ex /= n;
  ey /= n;
  const r1 = Math.sqrt(l1);
  const r2 = Math.sqrt(l2);
  const out: Array<[number, number]> = [];
  for (let i = 0; i <= points; i++) {
    const t = (2 * Math.PI * i) / points;
    const u = r1 * Math.cos(t);
    const v = r2 * Math.sin(t);
    out.push([centre[0] + u * ex - v * ey, centre[1] + u * ey + v * ex]);
  }
  return out;
}

/** The unit vector e_j of length d. */
export function basis(d: number, j: number): Float64Array {
  const e = new Float64Array(d);
  if (j < d) e[j] = 1;
  return e;
}

/** Traversal z: one row per dimension in `dims`, one column per value; each z is `base` with that dimension set to the value. */
export function traversalZ(base: ArrayLike<number>, dims: readonly number[], values: readonly number[]): Float32Array {
  const d = base.length;
  const z = new Float32Array(dims.length * values.length * d);
  dims.forEach((dim, r) => {
    values.forEach((v, c) => {
      const o = (r * values.length + c) * d;
      for (let j = 0; j < d; j++) z[o + j] = base[j]!;
      z[o + dim] = v;
    });
  });
  return z;
}

/** n evenly spaced values from lo to hi (inclusive). */
export function linspace(lo: number, hi: number, n: number): number[] {
  if (n <= 1) return [(lo + hi) / 2];
  return Array.from({ length: n }, (_, i) => lo + ((hi - lo) * i) / (n - 1));
}

/**
 * A drawing as an MNIST digit (LeCun's preprocessing): the ink's bounding box scaled to fit a
 * 20 × 20 box (aspect kept, box-filtered), placed in 28 × 28 with its centre of mass at the
 * centre. `ink` is w × h values in [0, 1]. An empty drawing gives all zeros.
 */
export function mnistify(ink: ArrayLike<number>, w: number, h: number): Float32Array {
  const out = new Float32Array(28 * 28);
  let x0 = w;
  let y0 = h;
  let x1 = -1;
  let y1 = -1;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      if (ink[y * w + x]! > 0.05) {
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        if (y > y1) y1 = y;
      }
    }
  }
  if (x1 < 0) return out;
  const bw = x1 - x0 + 1;
  const bh = y1 - y0 + 1;
  const scale = 20 / Math.max(bw, bh);
  const tw = Math.max(1, Math.round(bw * scale));
  const th = Math.max(1, Math.round(bh * scale));
  // Box filter: each target pixel averages the source pixels its footprint covers.
  const small = new Float32Array(tw * th);
  for (let ty = 0; ty < th; ty++) {
    const sy0 = y0 + (ty * bh) / th;
    const sy1 = y0 + ((ty + 1) * bh) / th;
    for (let tx = 0; tx < tw; tx++) {
      const sx0 = x0 + (tx * bw) / tw;
      const sx1 = x0 + ((tx + 1) * bw) / tw;
      let sum = 0;
      let area = 0;
      for (let sy = Math.floor(sy0); sy < Math.ceil(sy1); sy++) {
        const fy = Math.min(sy + 1, sy1) - Math.max(sy, sy0);
        if (fy <= 0) continue;
        for (let sx = Math.floor(sx0); sx < Math.ceil(sx1); sx++) {
          const fx = Math.min(sx + 1, sx1) - Math.max(sx, sx0);
          if (fx <= 0) continue;
          sum += ink[sy * w + sx]! * fx * fy;
          area += fx * fy;
        }
      }
      small[ty * tw + tx] = area > 0 ? Math.min(1, sum / area) : 0;
    }
  }
  let mass = 0;
  let cx = 0;
  let cy = 0;
  for (let y = 0; y < th; y++) {
    for (let x = 0; x < tw; x++) {
      const v = small[y * tw + x]!;
      mass += v;
      cx += v * (x + 0.5);
      cy += v * (y + 0.5);
    }
  }
  cx = mass > 0 ? cx / mass : tw / 2;
  cy = mass > 0 ? cy / mass : th / 2;
  const ox = Math.round(14 - cx);
  const oy = Math.round(14 - cy);
  for (let y = 0; y < th; y++) {
    for (let x = 0; x < tw; x++) {
      const X = x + ox;
      const Y = y + oy;
      if (X >= 0 && X < 28 && Y >= 0 && Y < 28) out[Y * 28 + X] = small[y * tw + x]!;
    }
  }
  return out;
}

/** Nice axis ticks between lo and hi (about `count` of them). */
export function ticks(lo: number, hi: number, count = 5): number[] {
  const span = hi - lo;
  if (!(span > 0)) return [lo];
  const raw = span / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => span / s <= count * 1.2) ?? 10 * mag;
  const out: number[] = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + 1e-9; t += step) out.push(Math.abs(t) < 1e-12 ? 0 : Number(t.toPrecision(6)));
  return out;
}
