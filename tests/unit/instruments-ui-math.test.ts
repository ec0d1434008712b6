/**
 * The latent views' pure helpers: Φ and Φ⁻¹, the manifold grid, PCA to two components, the
 * projected 1-σ ellipse, traversal z, and a drawing turned into an MNIST-like digit.
 */
import { describe, expect, it } from 'vitest';
import { ellipse, linspace, manifoldGrid, mnistify, normalCdf, normalPpf, pca2, project, ticks, traversalZ, unproject } from '../../src/components/instruments/latent-math';
import { mulberry32 } from '../../src/runtime/random';

describe('normalPpf and normalCdf', () => {
  it('match known quantiles and invert each other', () => {
    expect(normalPpf(0.5)).toBeCloseTo(0, 9);
    expect(normalPpf(0.975)).toBeCloseTo(1.959964, 5);
    expect(normalPpf(0.025)).toBeCloseTo(-1.959964, 5);
    expect(normalPpf(0.001)).toBeCloseTo(-3.090232, 5);
    expect(normalCdf(1)).toBeCloseTo(0.841345, 6);
    expect(normalCdf(-2)).toBeCloseTo(0.0227501, 6);
    for (const p of [0.001, 0.01, 0.1, 0.3, 0.5, 0.77, 0.99, 0.9999]) expect(normalCdf(normalPpf(p))).toBeCloseTo(p, 6);
    expect(normalPpf(0)).toBe(-Infinity);
    expect(normalPpf(1)).toBe(Infinity);
  });
});

describe('manifoldGrid', () => {
  it('spaces z by equal probability: Φ(z) = (i + ½)/n, z₁ to the right, z₂ upwards', () => {
    const n = 15;
    const z = manifoldGrid(n);
    expect(z.length).toBe(n * n * 2);
    for (let c = 0; c < n; c++) expect(normalCdf(z[2 * c]!)).toBeCloseTo((c + 0.5) / n, 5);
    for (let r = 0; r < n; r++) expect(normalCdf(z[2 * r * n + 1]!)).toBeCloseTo(1 - (r + 0.5) / n, 5);
    // The centre tile is z = 0; the grid is symmetric.
    const mid = (7 * n + 7) * 2;
    expect(z[mid]).toBeCloseTo(0, 6);
    expect(z[mid + 1]).toBeCloseTo(0, 6);
    expect(z[0]).toBeCloseTo(-z[2 * (n - 1)]!, 5);
  });
});

describe('pca2', () => {
  it('finds the directions of largest variance of correlated codes, and project/unproject invert on the plane', () => {
    const rand = mulberry32(3);
    const g = () => Math.sqrt(-2 * Math.log(Math.max(rand(), 1e-12))) * Math.cos(2 * Math.PI * rand());
    const n = 2000;
    const d = 5;
    const x = new Float32Array(n * d);
    for (let i = 0; i < n; i++) {
      const a = 3 * g();
      const b = 1 * g();
      // Main axis (1,1,0,0,0)/√2 with sd 3, second (0,0,1,0,0) with sd 1, small noise elsewhere.
      x[i * d] = a / Math.SQRT2 + 0.05 * g() + 2;
      x[i * d + 1] = a / Math.SQRT2 + 0.05 * g();
      x[i * d + 2] = b;
      x[i * d + 3] = 0.05 * g();
      x[i * d + 4] = 0.05 * g() - 1;
    }
    const p = pca2(x, n, d);
    expect(p.mean[0]).toBeCloseTo(2, 0);
    expect(Math.abs(p.axes[0][0]!)).toBeCloseTo(Math.SQRT1_2, 1);
    expect(Math.abs(p.axes[0][1]!)).toBeCloseTo(Math.SQRT1_2, 1);
    expect(Math.abs(p.axes[1][2]!)).toBeCloseTo(1, 1);
    // Orthonormal axes.
    const dot = (u: ArrayLike<number>, v: ArrayLike<number>) => Array.from(u).reduce((s, ui, j) => s + ui * v[j]!, 0);
    expect(dot(p.axes[0], p.axes[0])).toBeCloseTo(1, 6);
    expect(dot(p.axes[0], p.axes[1])).toBeCloseTo(0, 4);
    expect(p.variance[0]).toBeGreaterThan(7);
    expect(p.variance[0]).toBeLessThan(11);
    expect(p.variance[1]).toBeGreaterThan(0.8);
    expect(p.variance[1]).toBeLessThan(1.2);
    expect(p.explained).toBeGreaterThan(0.99);
    const [u, v] = project(p, unproject(p, 1.5, -0.5));
    expect(u).toBeCloseTo(1.5, 5);
    expect(v).toBeCloseTo(-0.5, 5);
  });
});

describe('ellipse', () => {
  it('is the axis-aligned μ ± σ ellipse in the first two coordinates, and a circle for equal σ', () => {
    const pts = ellipse([1, -1], [Math.log(4), Math.log(0.25)], [1, 0], [0, 1], 4);
    // radii σ₁ = 2, σ₂ = 0.5
    const xs = pts.map((p) => p[0]);
    const ys = pts.map((p) => p[1]);
    expect(Math.max(...xs)).toBeCloseTo(3, 6);
    expect(Math.min(...xs)).toBeCloseTo(-1, 6);
    expect(Math.max(...ys)).toBeCloseTo(-0.5, 6);
    expect(Math.min(...ys)).toBeCloseTo(-1.5, 6);
    const circle = ellipse([0, 0], [0, 0, 0], [Math.SQRT1_2, Math.SQRT1_2, 0], [0, 0, 1], 16);
    for (const [x, y] of circle) expect(Math.hypot(x, y)).toBeCloseTo(1, 6);
  });

  it('projects a diagonal covariance onto oblique directions', () => {
    // Σ = diag(4, 1); a = (1,1)/√2: aᵀΣa = 2.5; b = (1,−1)/√2: bᵀΣb = 2.5; aᵀΣb = 1.5 → eigenvalues 4 and 1.
    const a = [Math.SQRT1_2, Math.SQRT1_2];
    const b = [Math.SQRT1_2, -Math.SQRT1_2];
    const pts = ellipse([0, 0], [Math.log(4), 0], a, b, 64);
    const r = pts.map(([x, y]) => Math.hypot(x, y));
    expect(Math.max(...r)).toBeCloseTo(2, 3);
    expect(Math.min(...r)).toBeCloseTo(1, 2);
  });
});

describe('traversalZ and linspace', () => {
  it('sets one dimension per row to each value, keeping the rest of the base code', () => {
    expect(linspace(-3, 3, 9)).toEqual([-3, -2.25, -1.5, -0.75, 0, 0.75, 1.5, 2.25, 3]);
    const base = [0.5, -1, 2];
    const z = traversalZ(base, [2, 0], [-3, 3]);
    expect(Array.from(z)).toEqual([0.5, -1, -3, 0.5, -1, 3, -3, -1, 2, 3, -1, 2]);
  });
});

describe('mnistify', () => {
  it('fits the ink into a 20-pixel box and centres its mass in 28 × 28', () => {
    const w = 200;
    const h = 200;
    const ink = new Float32Array(w * h);
    // A filled rectangle 40 wide, 120 tall, in the top-left corner.
    for (let y = 10; y < 130; y++) for (let x = 5; x < 45; x++) ink[y * w + x] = 1;
    const out = mnistify(ink, w, h);
    expect(out.length).toBe(784);
    let rows = 0;
    let cols = 0;
    let mass = 0;
    let cx = 0;
    let cy = 0;
    for (let y = 0; y < 28; y++) {
      let any = false;
      for (let x = 0; x < 28; x++) {
        const v = out[y * 28 + x]!;
        if (v > 0.5) any = true;
        mass += v;
        cx += v * (x + 0.5);
        cy += v * (y + 0.5);
      }
      if (any) rows++;
    }
    for (let x = 0; x < 28; x++) if (Array.from({ length: 28 }, (_, y) => out[y * 28 + x]!).some((v) => v > 0.5)) cols++;
    expect(rows).toBe(20);
    expect(cols).toBeGreaterThanOrEqual(6);
    expect(cols).toBeLessThanOrEqual(8);
    // Shifted by whole pixels: the centre of mass within half a pixel of the centre.
    expect(Math.abs(cx / mass - 14)).toBeLessThanOrEqual(0.5);
    expect(Math.abs(cy / mass - 14)).toBeLessThanOrEqual(0.5);
    for (const v of out) {
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThanOrEqual(1);
    }
  });

  it('gives zeros for an empty drawing', () => {
    expect(Array.from(mnistify(new Float32Array(100), 10, 10)).every((v) => v === 0)).toBe(true);
  });
});

describe('ticks', () => {
  it('gives round numbers inside the range', () => {
    expect(ticks(-3.2, 3.2, 6)).toEqual([-3, -2, -1, 0, 1, 2, 3]);
    expect(ticks(0, 1, 5)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
  });
});
