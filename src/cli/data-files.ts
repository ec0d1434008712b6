/**
 * Where the CLI finds a data node's files (DESIGN.md sections 5 and 7): `--data NODE=PATH`
 * (binds the node's `file`) and `--data NODE.PARAM=PATH` (another file param, e.g.
 * `labelsFile`), or else the name in the graph, resolved in the graph file's folder: its
 * real path must stay inside that folder (a symlink out is DATA_PATH), so a graph file can
 * never make the program read somewhere else. `sample:<name>` reads the asset built at install.
 */
import { realpathSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { error, type Diagnostic } from '../graph/diagnostics';
import { checkFileName } from '../runtime/data/files';
import { DATA_LIMITS, fileTooLarge } from '../runtime/data/dataset';

/** public/data/, where the samples are built (scripts/build-samples.mjs). */
export const ASSET_DIR: string = fileURLToPath(new URL('../../public/data/', import.meta.url));

export interface DataBinding {
  node: string;
  /** `file` unless NODE.PARAM named another. */
  param: string;
  /** As given on the command line (relative to the working directory). */
  path: string;
}

/**
 * Parses the --data values against the graph's nodes: `NODE=PATH` or `NODE.PARAM=PATH`.
 * An unknown node, a param that is not one of the node's file params, or the same binding
 * twice is USAGE.
 */
export function parseDataBindings(
  values: readonly string[],
  nodes: ReadonlyArray<{ id: string; params?: Record<string, unknown> }>,
  fileParamsOf: (nodeId: string) => readonly string[],
): { ok: true; bindings: DataBinding[] } | { ok: false; diagnostic: Diagnostic } {
  const usage = (message: string, fix?: string) => ({ ok: false as const, diagnostic: error('USAGE', message, { fix }) });
  const bindings: DataBinding[] = [];
  for (const value of values) {
    const m = /^([A-Za-z][A-Za-z0-9_-]*)(?:\.([A-Za-z][A-Za-z0-9]*))?=(.+)$/s.exec(value);
    if (!m) return usage(`--data takes NODE=PATH or NODE.PARAM=PATH, got ${JSON.stringify(value)}.`, 'For example --data data=penguins.csv or --data data.labelsFile=train-labels-idx1-ubyte.gz.');
    const [, node, param = 'file', path] = m as unknown as [string, string, string | undefined, string];
    if (!nodes.some((n) => n.id === node)) {
      return usage(`--data names node ${JSON.stringify(node)}, which the graph does not have.`, `The graph's nodes: ${nodes.map((n) => n.id).join(', ')}.`);
    }
    const params = fileParamsOf(node);
    if (!params.includes(param)) {
      return usage(
        params.length ? `Node ${JSON.stringify(node)} has no file param ${JSON.stringify(param)}.` : `Node ${JSON.stringify(node)} reads no data file.`,
        params.length ? `Its file params: ${params.join(', ')}.` : 'Bind --data to a data.table, data.images or data.sequence node.',
      );
    }
    if (bindings.some((b) => b.node === node && b.param === param)) return usage(`--data binds ${node}.${param} twice.`);
    bindings.push({ node, param, path });
  }
  return { ok: true, bindings };
}

/** Where a data file was found. */
export type DataFileResult = { ok: true; path: string; bytes: Uint8Array } | { ok: false; diagnostic: Diagnostic };

/**
 * The bytes of node `node`'s file param `param`: from its --data binding, else the name in
 * the graph (`name`) resolved beside the graph file. DATA_MISSING, DATA_PATH, DATA_TOO_LARGE.
 */
export async function readDataFile(
  graphPath: string,
  node: string,
  param: string,
  name: string,
  bindings: readonly DataBinding[],
  limitBytes: number = DATA_LIMITS.bytes,
): Promise<DataFileResult> {
  const at = { node, port: null };
  const bound = bindings.find((b) => b.node === node && b.param === param);
  let path: string;
  if (bound) {
    path = resolve(bound.path); // the person chose it on the command line: anywhere they can read
  } else {
    const checked = checkFileName(name, { node, param });
    if (!checked.ok) {
      const d = checked.diagnostic;
      if (d.code === 'DATA_MISSING' && name === '') d.fix = `Give the file: --data ${param === 'file' ? node : `${node}.${param}`}=PATH.`;
      return { ok: false, diagnostic: d };
    }
    if (checked.ref.kind === 'sample') {
      path = join(ASSET_DIR, checked.ref.asset);
    } else {
      const folder = dirname(resolve(graphPath));
      path = join(folder, checked.ref.name);
      const inside = insideFolder(folder, path);
      if (inside === 'missing') {
        return {
          ok: false,
          diagnostic: error('DATA_MISSING', `${param} ${JSON.stringify(name)} is not in the graph's folder (${folder}).`, {
            ...at,
            fix: `Put it beside the graph, or give it: --data ${param === 'file' ? node : `${node}.${param}`}=PATH.`,
          }),
        };
      }
      if (!inside) {
        return {
          ok: false,
          diagnostic: error('DATA_PATH', `${param} ${JSON.stringify(name)} is a link that leads out of the graph's folder; a graph may only name files beside it.`, {
            ...at,
            fix: `Copy the file beside the graph, or give it: --data ${param === 'file' ? node : `${node}.${param}`}=PATH.`,
          }),
        };
      }
    }
  }
  try {
    const s = statSync(path);
    if (!s.isFile()) return { ok: false, diagnostic: error('DATA_MISSING', `${path} is not a file.`, at) };
    if (s.size > limitBytes) {
      return { ok: false, diagnostic: fileTooLarge(path, s.size, node, limitBytes) };
    }
    const buf = await readFile(path);
    return { ok: true, path, bytes: new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength) };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (e as Error).message;
    const fix = path.startsWith(ASSET_DIR) ? 'Run npm install (postinstall builds the samples into public/data/samples/).' : undefined;
    return { ok: false, diagnostic: error('DATA_MISSING', `Cannot read ${param} ${JSON.stringify(bound ? bound.path : name)} (${path}): ${why}.`, { ...at, fix }) };
  }
}

/** Whether `path`'s real path (links followed) lies inside `folder`'s; 'missing' when it does not exist. */
function insideFolder(folder: string, path: string): boolean | 'missing' {
  let real: string;
  try {
    real = realpathSync(path);
  } catch {
    return 'missing';
  }
  const rel = relative(realpathSync(folder), real);
  return rel !== '' && !rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel);
}
