/**
 * The file-backed data nodes' loaders, by node type (DESIGN.md section 7), and a loaded
 * dataset as the node contract's DataSource: what the CLI (and the worker) use to turn a
 * data node's files into examples. Pure: no tfjs, no Node APIs.
 */
import type { DataInfo, DataSource } from '../../../nodes/types';
import type { Dataset, LoadContext, LoadResult } from './dataset';
import { loadTable, type TableParams } from './table';
import { loadImages, type ImagesParams } from './images';
import { loadSequence, type SequenceParams } from './sequence';

/** A node's files by param (`file`, and e.g. `labelsFile` when given). */
export type NodeFiles = Record<string, Uint8Array>;

type Loader = (files: NodeFiles, params: Record<string, unknown>, ctx: LoadContext) => LoadResult;

const LOADERS: Record<string, Loader> = {
  'data.table': (files, params, ctx) => loadTable(files.file!, params as unknown as TableParams, ctx),
  'data.images': (files, params, ctx) => loadImages(files.file!, files.labelsFile ?? null, params as unknown as ImagesParams, ctx),
  'data.sequence': (files, params, ctx) => loadSequence(files.file!, params as unknown as SequenceParams, ctx),
};

/** The loader of a file-backed node type, or undefined when the runtime has none. */
export function loaderFor(type: string): Loader | undefined {
  return Object.prototype.hasOwnProperty.call(LOADERS, type) ? LOADERS[type] : undefined;
}

/** What compile needs to know of a loaded dataset. */
export function datasetInfo(ds: Dataset): DataInfo {
  return {
    structure: ds.structure,
    n: ds.n,
    columns: ds.columns,
    ...(ds.windows ? { heldOut: ds.heldOut.length } : {}),
    ...(ds.classes ? { labels: ds.classes } : {}),
    ...(ds.standardization ? { scale: { mean: Array.from(ds.standardization.mean), std: Array.from(ds.standardization.std) } } : {}),
  };
}

/** A loaded dataset as the trainer's DataSource: values as floats (image bytes as byte/255), labels (0 without). */
export function datasetSource(ds: Dataset): DataSource {
  const D = ds.dim;
  const values = ds.values;
  const inv = values instanceof Uint8Array ? 1 / 255 : 1;
  return {
    info: datasetInfo(ds),
    ...(ds.windows ? { split: { train: ds.train, heldOut: ds.heldOut } } : {}),
    fill: (indices, out) => {
      for (let i = 0; i < indices.length; i++) {
        const src = indices[i]! * D;
        const o = i * D;
        if (inv === 1) out.set(values.subarray(src, src + D), o);
        else for (let p = 0; p < D; p++) out[o + p] = values[src + p]! * inv;
      }
    },
    labels: (indices) => {
      const out = new Int32Array(indices.length);
      if (ds.labels) for (let i = 0; i < indices.length; i++) out[i] = ds.labels[indices[i]!]!;
      return out;
    },
  };
}
