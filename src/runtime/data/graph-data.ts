/**
 * Loading one file-backed data node (DESIGN.md section 7), the same way in the CLI and in the
 * worker: its file params read (by whoever knows where the bytes are: the graph's folder or
 * `--data` for the CLI, the built assets and IndexedDB for the app), the file's SHA-256
 * checked against the one the node recorded (DATA_CHANGED), the bytes parsed by the node
 * type's loader, and the dataset handed over as what compile needs (DataInfo) and what the
 * trainer needs (DataSource). Pure: no tfjs, no Node APIs, no DOM.
 */
import type { Diagnostic } from '../../graph/diagnostics';
import type { GraphNode } from '../../graph/schema';
import type { DataSource } from '../../../nodes/types';
import type { Dataset, LoadContext } from './dataset';
import { changedWarning, sha256Hex } from './hash';
import { datasetSource, loaderFor, type NodeFiles } from './node-data';
import { fileParamsOf, nodeParams } from './node-files';


/** A file param's bytes, a diagnostic on why there are none, or null for an optional file left out. */
export type FileRead = { ok: true; bytes: Uint8Array; /** How to name it in DATA_CHANGED (default: the param's value). */ label?: string } | { ok: false; diagnostic: Diagnostic };

/** Reads node `node`'s file param `param`, whose value is `name`; `optional` when it may be left out (a `…File` param that is empty). */
export type FileReader = (param: string, name: string, optional: boolean) => Promise<FileRead | null>;

export type NodeDataResult =
  | { ok: true; dataset: Dataset; source: DataSource; /** The SHA-256 of the `file` param's bytes. */ sha256: string; warnings: Diagnostic[] }
  | { ok: false; diagnostics: Diagnostic[]; warnings: Diagnostic[] };

/**
 * Loads a file-backed data node: reads its file params with `read`, warns DATA_CHANGED when
 * the `file`'s hash is not the recorded `sha256`, and parses them with the node type's
 * loader. Data problems are diagnostics on the node; nothing is kept of a file that fails.
 */
export async function loadNodeData(node: GraphNode, read: FileReader, ctx: Omit<LoadContext, 'nodeId' | 'fileName'> = {}): Promise<NodeDataResult> {
  const warnings: Diagnostic[] = [];
  const params = nodeParams(node);
  const load = loaderFor(node.type);
  if (!params || !load) return { ok: false, diagnostics: [], warnings }; // compile reports the bad params, or DATA_MISSING
  const files: NodeFiles = {};
  const diagnostics: Diagnostic[] = [];
  let sha256 = '';
  for (const param of fileParamsOf(node.type)) {
    const name = String(params[param] ?? '');
    const r = await read(param, name, param !== 'file' && name === '');
    if (r === null) continue;
    if (!r.ok) {
      diagnostics.push(r.diagnostic);
      continue;
    }
    files[param] = r.bytes;
    if (param === 'file') {
      sha256 = await sha256Hex(r.bytes);
      const changed = changedWarning(node.id, r.label ?? name, String(params.sha256 ?? ''), sha256);
      if (changed) warnings.push(changed);
    }
  }
  if (diagnostics.length) return { ok: false, diagnostics, warnings };
  const loaded = load(files, params, { ...ctx, nodeId: node.id, fileName: String(params.file ?? '') });
  if (!loaded.ok) return { ok: false, diagnostics: loaded.diagnostics, warnings };
  warnings.push(...loaded.dataset.warnings);
  return { ok: true, dataset: loaded.dataset, source: datasetSource(loaded.dataset), sha256, warnings };
}
