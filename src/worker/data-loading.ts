/**
 * The worker's data (DESIGN.md section 7): it loads each file-backed data node of the graph
 * it is given itself, with the loaders the CLI uses (runtime/data/graph-data.ts): a sample
 * from the app's built assets, a person's file from IndexedDB by its SHA-256 (or, when that
 * hash is not kept, the latest file kept under the node's file name: DATA_CHANGED). Parsing
 * posts progress; each node's result is a `data` event (what compile needs, a preview, the
 * warnings) or its coded diagnostics. One dataset per node, for the node's current params
 * (dataKey): a load that fails leaves none behind.
 *
 * A picked or dropped file (`dataFile`) is parsed with the node's params first; only a file
 * that loads is kept (under its hash) and reported back, so the page records it on the node
 * (file and sha256, one undoable edit); a bad file changes nothing.
 */
import { error, type Diagnostic } from '../graph/diagnostics';
import type { Graph, GraphNode } from '../graph/schema';
import type { DataInfo, DataSource } from '../../nodes/types';
import { DATA_LIMITS, fileTooLarge, type Dataset } from '../runtime/data/dataset';
import { checkFileName, plainFileName } from '../runtime/data/files';
import { loadNodeData, type FileRead, type FileReader, type NodeDataResult } from '../runtime/data/graph-data';
import { dataKey, fileParamsOf, nodeParams, readsFile } from '../runtime/data/node-files';
import { previewOf } from '../runtime/data/preview';
import { sha256Hex } from '../runtime/data/hash';
import type { WorkerEvent } from './protocol';

/** A file kept in the browser: its size known before its bytes are read. */
export interface KeptFile {
  size: number;
  bytes(): Promise<Uint8Array>;
}

/** Where the worker finds data files (IndexedDB and fetch in the browser; a map and the disk in tests). */
export interface DataFiles {
  /** A built asset under public/data/ (e.g. samples/penguins.csv). */
  asset(path: string): Promise<Uint8Array>;
  /** The file kept under this SHA-256, else the latest kept under this name; null when neither is. */
  kept(sha256: string, name: string): Promise<{ file: KeptFile; sha256: string } | null>;
  /** Keeps a file under its SHA-256 and as the latest of its name. */
  keep(name: string, sha256: string, bytes: Uint8Array): Promise<void>;
}

/** A node's data for the params of `key`: its dataset, or null when it failed to load. */
interface Loaded {
  key: string;
  dataset: Dataset | null;
  source: DataSource | null;
  sha256: string;
  warnings: Diagnostic[];
  /** Why it failed (empty when it loaded). */
  diagnostics?: Diagnostic[];
}

type Post = (ev: WorkerEvent, transfer?: ArrayBuffer[]) => void;

/** Progress events at most this often per node (ms). */
const PROGRESS_EVERY_MS = 100;

export class WorkerData {
  private readonly loaded = new Map<string, Loaded>();

  constructor(
    private readonly files: DataFiles | undefined,
    private readonly post: Post,
  ) {}

  /** The examples of a loaded node, for the trainer. */
  source(nodeId: string): DataSource | undefined {
    return this.loaded.get(nodeId)?.source ?? undefined;
  }

  /**
   * Loads the graph's file-backed data nodes whose params changed since they were loaded
   * (posting a `data` event for each), forgets nodes the graph no longer has, and returns
   * what compile needs of those that loaded. `announce`: post the result of the nodes
   * already loaded too (the page asked).
   */
  async ensure(graph: Graph, announce = false): Promise<Record<string, DataInfo>> {
    const nodes = graph.nodes.filter((n) => readsFile(n.type));
    for (const id of [...this.loaded.keys()]) if (!nodes.some((n) => n.id === id)) this.loaded.delete(id);
    const info: Record<string, DataInfo> = {};
    for (const node of nodes) {
      const key = dataKey(node);
      const have = this.loaded.get(node.id);
      if (!have || have.key !== key) await this.load(node, key);
      else if (announce) this.announce(node, have, have.diagnostics);
      const now = this.loaded.get(node.id);
      if (now?.source) info[node.id] = now.source.info;
    }
    return info;
  }

  /**
   * A picked or dropped file for node `nodeId`'s file param `param`: refused before reading
   * when it is too large, parsed with the node's params, and kept only when it loads.
   */
  async pick(graph: Graph, nodeId: string, param: string, name: string, file: Blob): Promise<void> {
    const node = graph.nodes.find((n) => n.id === nodeId);
    const refuse = (diagnostics: Diagnostic[]) => this.post({ type: 'dataPicked', node: nodeId, param, file: name, ok: false, diagnostics });
    if (!node || !readsFile(node.type) || !fileParamsOf(node.type).includes(param)) {
      return refuse([error('DATA_MISSING', `Node "${nodeId}" reads no data file${node ? ` param ${JSON.stringify(param)}` : ''}.`, { node: node ? nodeId : null })]);
    }
    const plain = plainFileName(name);
    if (file.size > DATA_LIMITS.bytes) {
      return refuse([fileTooLarge(JSON.stringify(plain), file.size, nodeId)]);
    }
    this.progress(nodeId, 0, 'reading');
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(await file.arrayBuffer());
    } catch (err) {
      this.progress(nodeId, 1, 'done');
      return refuse([error('DATA_MISSING', `${JSON.stringify(plain)} could not be read: ${(err as Error).message}.`, { node: nodeId, port: null, fix: 'Pick the file again.' })]);
    }
    const sha256 = param === 'file' ? await sha256Hex(bytes) : '';
    const params: Record<string, unknown> = { ...(nodeParams(node) ?? node.params), [param]: plain };
    if (param === 'file') params.sha256 = sha256;
    const trial: GraphNode = { ...node, params };
    const others = this.reader(trial);
    const result = await this.parse(trial, (p, n, optional) => (p === param ? Promise.resolve({ ok: true, bytes }) : others(p, n, optional)));
    if (!result.ok) return refuse(result.diagnostics); // the node keeps what it had
    if (this.files) await this.files.keep(plain, sha256 || (await sha256Hex(bytes)), bytes);
    const entry: Loaded = { key: dataKey(trial), dataset: result.dataset, source: result.source, sha256: result.sha256, warnings: result.warnings };
    this.loaded.set(nodeId, entry);
    this.announce(trial, entry);
    this.post({ type: 'dataPicked', node: nodeId, param, file: plain, ok: true, sha256: param === 'file' ? sha256 : undefined, diagnostics: [] });
  }

  /** Loads `node` for its params (`key`), keeps what it gives (a dataset, or none and why) and posts its `data` event. */
  private async load(node: GraphNode, key: string): Promise<void> {
    this.loaded.delete(node.id); // never a stale dataset while this one loads
    const result = await this.parse(node, this.reader(node));
    const entry: Loaded = result.ok
      ? { key, dataset: result.dataset, source: result.source, sha256: result.sha256, warnings: result.warnings }
      : { key, dataset: null, source: null, sha256: '', warnings: result.warnings, diagnostics: result.diagnostics };
    this.loaded.set(node.id, entry);
    this.announce(node, entry, entry.diagnostics);
  }

  /** Reads and parses `node`'s files with progress events; a failure is diagnostics on the node, never an exception. */
  private async parse(node: GraphNode, read: FileReader): Promise<NodeDataResult> {
    this.progress(node.id, 0, 'reading');
    let last = 0;
    let result: NodeDataResult;
    try {
      result = await loadNodeData(node, read, {
        onProgress: (fraction) => {
          const now = Date.now();
          if (now - last < PROGRESS_EVERY_MS) return;
          last = now;
          this.progress(node.id, fraction, 'parsing');
        },
      });
    } catch (err) {
      // A bug in a loader, not a data problem: still a diagnostic on the node, never a dead worker.
      const why = err instanceof Error ? err.message : String(err);
      result = { ok: false, diagnostics: [error('DATA_PARSE', `The file could not be read: ${why}`, { node: node.id, port: null })], warnings: [] };
    }
    this.progress(node.id, 1, 'done');
    if (!result.ok && result.diagnostics.length === 0) {
      result.diagnostics.push(error('DATA_MISSING', `Node "${node.id}" has no data it can load.`, { node: node.id, port: null }));
    }
    return result;
  }

  /** Posts a loaded node's `data` event (a failed one is posted where it failed, with its diagnostics, and again here as still failing). */
  private announce(node: GraphNode, entry: Loaded, diagnostics: Diagnostic[] = []): void {
    const file = String(node.params.file ?? '');
    if (!entry.dataset || !entry.source) {
      this.post({ type: 'data', node: node.id, key: entry.key, file, ok: false, diagnostics, warnings: entry.warnings });
      return;
    }
    const preview = previewOf(entry.dataset);
    this.post({ type: 'data', node: node.id, key: entry.key, file, ok: true, sha256: entry.sha256, info: entry.source.info, warnings: entry.warnings, preview, diagnostics: [] });
  }

  private progress(node: string, fraction: number, stage: 'reading' | 'parsing' | 'done'): void {
    this.post({ type: 'dataProgress', node, fraction, stage });
  }

  /** Reads a node's file params: samples from the assets, a person's files from IndexedDB. */
  private reader(node: GraphNode): FileReader {
    return async (param, name, optional): Promise<FileRead | null> => {
      if (optional) return null;
      const at = { node: node.id, port: null };
      const checked = checkFileName(name, { node: node.id, param });
      if (!checked.ok) return checked;
      if (!this.files) return { ok: false, diagnostic: error('DATA_MISSING', `This trainer cannot read data files (${JSON.stringify(name)}).`, at) };
      if (checked.ref.kind === 'sample') {
        try {
          return { ok: true, bytes: await this.files.asset(checked.ref.asset) };
        } catch (err) {
          return { ok: false, diagnostic: error('DATA_MISSING', `The sample ${JSON.stringify(name)} could not be loaded: ${(err as Error).message}.`, { ...at, fix: 'Reload the page; npm install builds the samples.' }) };
        }
      }
      const recorded = param === 'file' ? String(node.params.sha256 ?? '') : '';
      const found = await this.files.kept(recorded, checked.ref.name).catch(() => null);
      if (!found) {
        return {
          ok: false,
          diagnostic: error('DATA_MISSING', `${JSON.stringify(name)} is not in this browser's storage${recorded ? ' (nor a file with the hash the graph recorded)' : ''}.`, {
            ...at,
            fix: `Pick the file ${JSON.stringify(name)} for node "${node.id}".`,
          }),
        };
      }
      if (found.file.size > DATA_LIMITS.bytes) {
        return { ok: false, diagnostic: fileTooLarge(JSON.stringify(name), found.file.size, node.id) };
      }
      return { ok: true, bytes: await found.file.bytes() };
    };
  }
}
