/**
 * The probe view's picture of one tensor: finite statistics, NaN and ±Infinity counts, a
 * histogram and, when the last dimension is a square image, a few grey thumbnails.
 * (Compare's JSON-safe summary with the first values is another thing: jsonSummary in
 * src/runtime/instruments/summary.ts.)
 */
import type * as tf from '@tensorflow/tfjs';
import { finiteOrNull } from '../runtime/instruments/summary';
import { squareSide } from './grey-images';
import type { ProbeSummary } from './protocol';

const HIST_BINS = 24;
const THUMBS = 8;

export function probeSummary(t: tf.Tensor): ProbeSummary {
  const v = t.dataSync() as Float32Array | Int32Array | Uint8Array;
  let n = 0;
  let nan = 0;
  let inf = 0;
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < v.length; i++) {
    const x = v[i]!;
    if (Number.isNaN(x)) nan++;
    else if (!Number.isFinite(x)) inf++;
    else {
      n++;
      sum += x;
      if (x < min) min = x;
      if (x > max) max = x;
    }
  }
  const mean = n ? sum / n : null;
  let sq = 0;
  if (mean !== null) {
    for (let i = 0; i < v.length; i++) {
      const x = v[i]!;
      if (Number.isFinite(x)) sq += (x - mean) * (x - mean);
    }
  }
  let histogram: ProbeSummary['histogram'] = null;
  if (n > 0) {
    const counts = new Array<number>(HIST_BINS).fill(0);
    const width = max > min ? (max - min) / HIST_BINS : 1;
    for (let i = 0; i < v.length; i++) {
      const x = v[i]!;
      if (!Number.isFinite(x)) continue;
      const b = max > min ? Math.min(HIST_BINS - 1, Math.floor((x - min) / width)) : Math.floor(HIST_BINS / 2);
      counts[b]!++;
    }
    histogram = { min, max, counts };
  }
  let thumbnail: ProbeSummary['thumbnail'] = null;
  const f = t.shape[t.shape.length - 1] ?? 0;
  const side = t.rank >= 2 ? squareSide(f) : null;
  if (side) {
    const rows = Math.min(THUMBS, v.length / f);
    const lo = n ? min : 0;
    const hi = n ? max : 1;
    const unit = lo >= 0 && hi <= 1;
    const px = new Uint8Array(rows * f);
    for (let i = 0; i < px.length; i++) {
      const x = v[i]!;
      const y = !Number.isFinite(x) ? (x > 0 ? 1 : 0) : unit ? x : hi > lo ? (x - lo) / (hi - lo) : 0.5;
      px[i] = Math.round(Math.min(1, Math.max(0, y)) * 255);
    }
    thumbnail = { count: rows, width: side, height: side, pixels: px };
  }
  return {
    shape: t.shape.slice(),
    size: t.size,
    mean: mean === null ? null : finiteOrNull(mean),
    std: mean === null ? null : finiteOrNull(Math.sqrt(sq / n)),
    min: n ? min : null,
    max: n ? max : null,
    nanCount: nan,
    infCount: inf,
    histogram,
    thumbnail,
  };
}
