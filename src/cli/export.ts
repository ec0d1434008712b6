/**
 * `vae-lab export <graph.json> --to pytorch --out DIR [--weights W] [--data NODE=PATH]`
 * (DESIGN.md §9): the compiled graph as a standalone PyTorch program (src/export), with the
 * examples as the model sees them (a data file's, loaded as train loads it, or the MNIST digits). A node type the export does not know is EXPORT_UNSUPPORTED and nothing is
 * written.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { error } from '../graph/diagnostics';
import { serializeGraph } from '../graph/schema';
import { exportPytorch } from '../export/pytorch';
import { readWeightsFor } from '../export/weights';
import { loadMnistNode } from '../runtime/data/mnist-node';
import { exportDataOf } from '../runtime/data/examples';
import { registry } from '../../nodes';
import type { ParsedArgs } from './args';
import { loadGraphReporting } from './load';
import type { Output } from './output';
import { prepareOutDir } from './save';

export async function exportCommand(args: ParsedArgs, out: Output): Promise<number> {
  const file = args.positionals['graph.json']!;
  const f = args.flags;
  if (f.to !== 'pytorch') {
    out.diagnostic(error('USAGE', 'export needs --to pytorch (the one target there is).', { fix: 'vae-lab export graph.json --to pytorch --out DIR' }));
    return 1;
  }
  if (f.out === undefined) {
    out.diagnostic(error('USAGE', 'export needs --out DIR (where to write the program).'));
    return 1;
  }
  const dir = f.out as string;
  const loaded = await loadGraphReporting(file, out, { data: (f.data as string[] | undefined) ?? [] });
  if (!loaded) return 1;
  const { plan, graph } = loaded;
  let weights: Uint8Array | undefined;
  if (f.weights !== undefined) {
    const w = await readWeightsArg(f.weights as string);
    if (!w.ok) {
      out.diagnostic(w.diagnostic);
      return 1;
    }
    const checked = readWeightsFor(plan, w.bytes, `The weights file ${f.weights as string}`);
    if (!checked.ok) {
      out.diagnostic(checked.diagnostic);
      return 1;
    }
    weights = w.bytes;
  }
  // the examples as the model sees them: a data file's (decoded, standardised, split), else the MNIST digits
  const data = loaded.data ? { data: exportDataOf(loaded.data, plan.heldOut) } : { mnist: await loadMnistNode() };
  const result = exportPytorch(plan, { graphJson: serializeGraph(graph, registry), ...data, weights });
  if (!result.ok) {
    for (const d of result.diagnostics) out.diagnostic(d);
    return 1;
  }
  const prepared = await prepareOutDir(dir);
  if (prepared) {
    out.diagnostic(prepared);
    return 1;
  }
  for (const x of result.files) {
    const path = join(dir, x.path);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, x.content);
  }
  const files = result.files.map((x) => x.path);
  out.event({ event: 'exported', to: 'pytorch', dir, files });
  out.line(`Exported "${graph.meta.name}" to ${dir}: ${files.join(', ')}.`);
  out.line(`Run it: /usr/bin/python3 ${join(dir, 'train.py')} --epochs 5`);
  return 0;
}

/** Read a --weights file: FILE_NOT_FOUND when it cannot be read. */
export async function readWeightsArg(path: string): Promise<{ ok: true; bytes: Uint8Array } | { ok: false; diagnostic: ReturnType<typeof error> }> {
  try {
    const buf = await readFile(path);
    return { ok: true, bytes: new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength) };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return { ok: false, diagnostic: error('FILE_NOT_FOUND', `Cannot read the weights file ${path}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : (e as Error).message}.`) };
  }
}
