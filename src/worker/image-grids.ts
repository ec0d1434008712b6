/**
 * The training panel's image grids: reconstructions of a fixed held-out batch beside their
 * inputs, and decodes of fixed z ~ N(0, I) through the graph's own decoder path (as the
 * latent views decode them). The same z are drawn again only when the seed or the latent
 * width changes, so the grids show one model's progress on the same examples.
 *
 * Images of any H × W × C are drawn in their own size (RGB included). Tables and sequences
 * get a view instead (src/runtime/instruments/data-views.ts): per-column errors over the
 * held-out rows (up to VIEW_COUNT) in the file's units, a few rows or windows beside their
 * reconstructions, and the decoded samples as rows or series.
 */
import * as tf from '@tensorflow/tfjs';
import type { DataFeed } from '../../nodes/types';
import type { Trainer } from '../runtime/trainer';
import { hashKey, mulberry32 } from '../runtime/random';
import { decodeLatent } from './instruments';
import { findDecoder } from './plan-info';
import { imagesOf } from './grey-images';
import type { ImageBlock } from './image-block';
import type { DataView } from './data-view-schema';
import type { WorkerEventOf } from './protocol';
import { sampleRows, seriesView, tableView } from '../runtime/instruments/data-views';
import { structureWidth, type DataInfo } from '../graph/structure';

/** Images in the grids. */
export const GRID_COUNT = 16;
/** Held-out rows (tables) or windows (sequences) the per-column errors are taken over, at most. */
export const VIEW_COUNT = 500;

export class ImageGrids {
  private fixedZ: { dim: number; seed: number; data: Float32Array } | null = null;

  /** The grids of `trainer`'s current weights, and the pixel buffers to transfer. */
  render(t: Trainer, seed: number): { event: WorkerEventOf<'images'>; transfer: ArrayBuffer[] } {
    const plan = t.plan;
    const ds = t.dataset;
    const info = plan.dataInfo;
    const kind = info.structure.kind;
    const count = Math.min(kind === 'image' ? GRID_COUNT : VIEW_COUNT, ds.heldOutCount);
    const indices = ds.heldOutIndices.subarray(0, count);
    let inputs: ImageBlock | null = null;
    let recons: ImageBlock | null = null;
    let samples: ImageBlock | null = null;
    let view: DataView | null = null;
    const notes: string[] = [];
    const reconNode = plan.activeOrder.find((id) => plan.nodes.get(id)!.def.role === 'reconstruction');
    const feed: DataFeed = {
      size: count,
      x: (nodeId, transform) => {
        const values = ds.fill(indices);
        transform?.apply(values, transform.random ? mulberry32(hashKey(seed, 'grid', nodeId)) : undefined);
        return tf.tensor2d(values, [count, ds.width]);
      },
      labels: () => tf.tensor1d(ds.labels(indices), 'int32'),
    };
    if (reconNode) {
      const rn = plan.nodes.get(reconNode)!;
      const xHatSrc = rn.inputs.xHat?.[0];
      const xSrc = rn.inputs.x?.[0];
      const pair: Array<tf.Tensor | null> = [null, null];
      tf.tidy(() => {
        const r = t.model.forward({ mode: 'eval', step: 0, streamKey: 'grid', data: feed, fast: t.fast, nodes: 'all' });
        const xh = xHatSrc ? r.outputs.get(xHatSrc.node)?.[xHatSrc.port] : undefined;
        const x = xSrc ? r.outputs.get(xSrc.node)?.[xSrc.port] : undefined;
        if (x) pair[0] = tf.keep(x);
        if (xh) pair[1] = tf.keep(firstSample(xh, count));
      });
      if (kind === 'image') {
        inputs = pair[0] ? toImages(pair[0], info, notes, 'inputs') : null;
        recons = pair[1] ? toImages(pair[1], info, notes, 'reconstructions') : null;
      } else if (pair[0] && pair[1]) {
        view = dataView(pair[0], pair[1], info, classNames(info, ds.labels(indices)), notes);
      }
      tf.dispose(pair.filter((x): x is tf.Tensor => !!x));
    } else {
      notes.push('No reconstruction loss trains, so there is nothing to reconstruct.');
    }
    const dec = findDecoder(plan);
    if (dec) {
      if (!this.fixedZ || this.fixedZ.dim !== dec.dim || this.fixedZ.seed !== seed) {
        this.fixedZ = { dim: dec.dim, seed, data: gaussian(GRID_COUNT * dec.dim, hashKey(seed, 'prior-grid')) };
      }
      const decoded = decodeLatent(t, this.fixedZ.data, GRID_COUNT);
      samples = decoded.images;
      if (view && decoded.values && decoded.features === structureWidth(info.structure)) view.samples = sampleRows(decoded.values, GRID_COUNT, info);
      else if (decoded.note) notes.push(decoded.note);
    } else {
      notes.push('No z feeds a reconstruction loss, so there is nothing to decode from the prior.');
    }
    const event: WorkerEventOf<'images'> = { type: 'images', step: t.stepsDone, inputs, recons, samples, view, note: notes.length ? notes.join(' ') : null };
    const transfer = [inputs?.pixels.buffer, recons?.pixels.buffer, samples?.pixels.buffer].filter((b): b is ArrayBuffer => b instanceof ArrayBuffer);
    return { event, transfer };
  }
}

/** Standard normal draws (Box–Muller over mulberry32), fixed by the key. */
export function gaussian(n: number, key: number): Float32Array {
  const rand = mulberry32(key);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    const u = Math.max(rand(), 1e-12);
    const v = rand();
    const r = Math.sqrt(-2 * Math.log(u));
    out[i] = r * Math.cos(2 * Math.PI * v);
    if (i + 1 < n) out[i + 1] = r * Math.sin(2 * Math.PI * v);
  }
  return out;
}

/** [K,B,F] → [B,F] (the first sample); [B,F] unchanged. */
function firstSample(t: tf.Tensor, count: number): tf.Tensor {
  if (t.rank === 3) return tf.squeeze(tf.slice(t, [0, 0, 0], [1, Math.min(count, t.shape[1]!), t.shape[2]!]), [0]);
  return t;
}

/** A [N, H·W·C] tensor as images of the data's H × W × C (values clamped to [0,1]). */
function toImages(t: tf.Tensor, info: DataInfo, notes: string[], what: string): ImageBlock | null {
  const f = t.shape[t.shape.length - 1]!;
  const images = t.rank === 2 ? imagesOf(t.dataSync(), t.shape[0]!, f, info.structure) : null;
  if (!images) notes.push(`The ${what} are not images (shape [${t.shape.join(',')}]).`);
  return images;
}

/** Each example's class name (null without label classes). */
function classNames(info: DataInfo, labels: Int32Array): Array<string | null> | null {
  const classes = info.labels;
  if (!classes?.length) return null;
  return Array.from(labels, (l) => classes[l] ?? null);
}

/** The table or series view of held-out inputs x and reconstructions xHat ([n, D] each). */
function dataView(x: tf.Tensor, xHat: tf.Tensor, info: DataInfo, labels: Array<string | null> | null, notes: string[]): DataView | null {
  const D = structureWidth(info.structure);
  if (x.rank !== 2 || xHat.rank !== 2 || x.shape[1] !== D || xHat.shape[1] !== D || x.shape[0] !== xHat.shape[0]) {
    notes.push(`The reconstructions [${xHat.shape.join(',')}] do not pair with the inputs [${x.shape.join(',')}] value for value.`);
    return null;
  }
  const n = x.shape[0]!;
  const input = { x: x.dataSync(), xHat: xHat.dataSync(), n, info };
  if (info.structure.kind === 'table') return { ...tableView({ ...input, labels }), samples: null };
  if (info.structure.kind === 'sequence') return { ...seriesView(input), samples: null };
  return null;
}
