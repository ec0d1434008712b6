/**
 * What the data nodes share (DESIGN §3, §7): role 'data', no inputs; x (a data port: the
 * batch's examples, flattened) and label (a tensor [B]) out; a forward that reads the batch's
 * x, through the node's feed transform, and its labels. The file-backed ones (data.table,
 * data.sequence, data.images) also share the `file` and `sha256` params, their data hooks
 * (file, batch size, held-out count) and their shapes (nothing until the file is loaded).
 */
import { z } from 'zod';
import type { DataNodeSpec, DataStructure, FeedTransform, NodeDecl } from '../types';
import { fileDataShapes } from './shapes';

/** The params naming a file-backed data node's file (spread into its params schema). */
export const fileParams = {
  /** A file name beside the graph (or bound with --data), or a bundled sample:<name>; never a path (DESIGN §7). */
  file: z.string().max(255).default(''),
  /** The file's SHA-256 as recorded when it was chosen ("" when none); a different file is DATA_CHANGED. */
  sha256: z.string().max(64).default(''),
};

export type DataNodeParts<P> = Pick<NodeDecl<P>, 'role' | 'inputs' | 'outputs' | 'data' | 'forward'>;

/** The ports, role, data hooks and forward of a data node; `docs` describe its two outputs. */
export function dataNode<P>(docs: { x: string; label: string }, data: DataNodeSpec<P>, transform?: (params: P) => FeedTransform | undefined): DataNodeParts<P> {
  return {
    role: 'data',
    inputs: [],
    outputs: [
      { name: 'x', kind: 'data', doc: docs.x },
      { name: 'label', kind: 'tensor', doc: docs.label },
    ],
    data,
    forward: (ctx) => ({ x: ctx.data.x(ctx.nodeId, transform?.(ctx.params)), label: ctx.data.labels() }),
  };
}

/**
 * A file-backed data node's parts: dataNode's, its file and batch size from its params, its
 * held-out count from `heldOut`, and the shapes of a loaded file of `kind` (another kind is
 * BAD_PARAM: "expects `expects`").
 */
export function fileDataNode<P extends { file: string; batchSize: number }>(o: {
  docs: { x: string; label: string };
  kind: DataStructure['kind'];
  expects: string;
  heldOut: DataNodeSpec<P>['heldOut'];
  transform?: (params: P) => FeedTransform | undefined;
}): DataNodeParts<P> & Pick<NodeDecl<P>, 'inferShapes'> {
  return {
    ...dataNode<P>(o.docs, { file: (p) => p.file, batchSize: (p) => p.batchSize, heldOut: o.heldOut }, o.transform),
    inferShapes: ({ data }) => fileDataShapes(data, o.kind, o.expects),
  };
}
