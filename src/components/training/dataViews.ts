/**
 * Pure helpers of the table and series views (TableReconView, SeriesReconView): numbers
 * as a person reads them, and a series as SVG polyline points. No DOM.
 */

/**
 * A value with about four significant digits ("–" when it is not a number). With `scale`
 * (the largest magnitude of the value's column), a value under a millionth of it is shown
 * as 0: the data are float32 and standardised, so a column whose minimum is 0 comes back
 * from its file units as float noise such as -4.12e-8.
 */
export function fmt(v: number | null | undefined, scale?: number): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '–';
  if (scale !== undefined && Number.isFinite(scale) && Math.abs(v) < Math.abs(scale) * 1e-6) return '0';
  const a = Math.abs(v);
  if (a !== 0 && (a >= 1e6 || a < 1e-3)) return v.toExponential(2);
  return String(Number(v.toPrecision(4)));
}

/** The scale `fmt` rounds a column's values against: the larger magnitude of its extremes. */
export function columnScale(c: { min: number; max: number }): number {
  return Math.max(Math.abs(c.min), Math.abs(c.max));
}

/** The column's error as a share of its spread, clamped to [0, 1.5] for a bar (null without both). */
export function errorShare(rmse: number | null, spread: number | null): number | null {
  if (rmse === null || spread === null || !(spread > 0)) return null;
  return Math.min(1.5, rmse / spread);
}

/** Feature j of time-major T·F values as a list over time. */
export function featureSeries(values: ReadonlyArray<number | null>, f: number, j: number): Array<number | null> {
  const t = Math.floor(values.length / f);
  return Array.from({ length: t }, (_, s) => values[s * f + j] ?? null);
}

/** The range of the finite values of several series (a flat range widened to ±1, and ±0 padding of 5%). */
export function seriesRange(series: ReadonlyArray<ReadonlyArray<number | null>>): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const s of series) {
    for (const v of s) {
      if (v === null || !Number.isFinite(v)) continue;
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
  }
  if (lo === Infinity) return [-1, 1];
  if (hi - lo < 1e-12) return [lo - 1, hi + 1];
  const pad = (hi - lo) * 0.05;
  return [lo - pad, hi + pad];
}

/**
 * SVG polyline points of `values` across [x0, x0 + width], the range [lo, hi] mapped onto
 * [height, 0] (up is larger); a missing value breaks nothing, it is skipped.
 */
export function polylinePoints(values: ReadonlyArray<number | null>, x0: number, width: number, height: number, lo: number, hi: number): string {
  const n = values.length;
  const pts: string[] = [];
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (v === null || v === undefined || !Number.isFinite(v)) continue;
    const x = x0 + (n === 1 ? width / 2 : (i / (n - 1)) * width);
    const y = height - ((v - lo) / (hi - lo)) * height;
    pts.push(`${x.toFixed(1)},${y.toFixed(1)}`);
  }
  return pts.join(' ');
}
