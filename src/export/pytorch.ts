/**
 * `vae-lab export G --to pytorch`: the compiled plan as a standalone PyTorch program
 * (DESIGN.md §9): model.py (GraphModel, an nn.Module whose submodules are named by node id;
 * one commented block per node, written by its template in ./templates), train.py (the
 * split, batches, losses, eval and optimizers as VAE Lab runs them; --replay, --save,
 * --weights, torchrun), the data as the model sees it, and a README. Pure: no tfjs, no Node
 * APIs; the caller writes the files.
 */
import { error, type Diagnostic } from '../graph/diagnostics';
import type { Plan, PlanNode } from '../compiler/compile';
import { encodeNpy } from './npy';
import { HELPERS, TEMPLATES, py, type EmitContext, type HelperClass } from './templates';
import { TRAIN_PY } from './train-py';
import { exportReadme } from './readme';
import { WEIGHTS_FILE_NAME } from './weights';

export interface ExportFile {
  path: string;
  content: string | Uint8Array;
}

export interface ExportOptions {
  /** The graph file as saved (copied beside the program). */
  graphJson: string;
  /** The MNIST digits in the package's order (uint8 pixels, labels): written as data/*.npy. */
  mnist?: { images: Uint8Array; labels: Uint8Array; count: number; pixels: number };
  /**
   * The examples of a file-backed data node (data.table, data.images, data.sequence) as the
   * model sees them: decoded and standardised, with VAE Lab's split. Written as data/*.npy.
   */
  data?: ExportData;
  /** A weights file to ship with the program (train.py starts from it when present). */
  weights?: Uint8Array;
}

/** A loaded data file's examples as the trainer holds them (src/runtime/data/examples.ts). */
export interface ExportData {
  /** count × dim float32 values, example after example. */
  values: Float32Array;
  dim: number;
  /** The class of every example (0 without labels). */
  labels: Int32Array;
  /** Indices of the training and the held-out examples, in VAE Lab's order. */
  train: Uint32Array;
  heldOut: Uint32Array;
}

/** Where train.py finds the examples of a file-backed data node. */
export const DATA_FILES = { x: 'data/x.npy', labels: 'data/labels.npy', train: 'data/train.npy', heldOut: 'data/held-out.npy' } as const;

export type ExportResult = { ok: true; files: ExportFile[] } | { ok: false; diagnostics: Diagnostic[] };

const PY_KEYWORDS = new Set(
  'False None True and as assert async await break class continue def del elif else except finally for from global if import in is lambda nonlocal not or pass raise return try while with yield'.split(' '),
);
/** nn.Module's own attributes: a node id among them cannot be an attribute of GraphModel. */
const MODULE_ATTRS = new Set(
  'T_destination add_module apply bfloat16 buffers children cpu cuda double dump_patches eval extra_repr float forward get_buffer get_extra_state get_parameter get_submodule half ipu load_state_dict modules named_buffers named_children named_modules named_parameters parameters register_backward_hook register_buffer register_forward_hook register_forward_pre_hook register_full_backward_hook register_load_state_dict_post_hook register_module register_parameter requires_grad_ set_extra_state share_memory state_dict to to_empty train type xpu zero_grad training'.split(
    ' ',
  ),
);

export function exportPytorch(plan: Plan, opts: ExportOptions): ExportResult {
  const unsupported: Diagnostic[] = [];
  // notes (DESIGN.md §9) are skipped: the compiler leaves them out of the plan
  for (const id of plan.order) {
    const n = plan.nodes.get(id)!;
    const t = TEMPLATES[n.type];
    const why = t ? (t.unsupported?.(n) ?? null) : 'the export has no template for this node type yet';
    if (why) {
      unsupported.push(
        error('EXPORT_UNSUPPORTED', `Node "${id}" (${n.type}) cannot be exported to PyTorch: ${why}. Nothing was written.`, {
          node: id,
          fix: 'Remove the node or replace it with nodes the export knows, or train it in VAE Lab.',
        }),
      );
    }
  }
  const fileBacked = plan.nodes.get(plan.data)!.type !== 'data.mnist';
  if (fileBacked && !opts.data) {
    unsupported.push(
      error('EXPORT_UNSUPPORTED', `Node "${plan.data}" reads a data file, but its examples were not given to the export. Nothing was written.`, {
        node: plan.data,
        fix: 'Export with the data loaded (vae-lab export graph.json --data NODE=PATH).',
      }),
    );
  }
  if (unsupported.length) return { ok: false, diagnostics: unsupported };

  const files: ExportFile[] = [
    { path: 'model.py', content: modelPy(plan, fileBacked) },
    { path: 'train.py', content: TRAIN_PY },
    { path: 'graph.json', content: opts.graphJson },
    { path: 'README.md', content: exportReadme(plan, { weights: !!opts.weights, data: fileBacked ? 'arrays' : opts.mnist ? 'mnist' : null }) },
  ];
  if (fileBacked) {
    const d = opts.data!;
    const n = d.values.length / d.dim;
    const int32 = (a: Uint32Array) => Int32Array.from(a);
    files.push({ path: DATA_FILES.x, content: encodeNpy(d.values, [n, d.dim]) });
    files.push({ path: DATA_FILES.labels, content: encodeNpy(d.labels, [n]) });
    files.push({ path: DATA_FILES.train, content: encodeNpy(int32(d.train), [d.train.length]) });
    files.push({ path: DATA_FILES.heldOut, content: encodeNpy(int32(d.heldOut), [d.heldOut.length]) });
  } else if (opts.mnist) {
    const m = opts.mnist;
    files.push({ path: 'data/mnist-images.npy', content: encodeNpy(m.images.subarray(0, m.count * m.pixels), [m.count, m.pixels]) });
    files.push({ path: 'data/mnist-labels.npy', content: encodeNpy(m.labels.subarray(0, m.count), [m.count]) });
  }
  if (opts.weights) files.push({ path: WEIGHTS_FILE_NAME, content: opts.weights });
  return { ok: true, files };
}

/** Python names for the nodes' outputs and submodules, unique and readable. */
function namer(plan: Plan) {
  const used = new Set<string>();
  const base = new Map<string, string>();
  for (const id of plan.order) {
    let b = id.replace(/[^A-Za-z0-9_]/g, '_');
    if (!/^[A-Za-z_]/.test(b)) b = `n_${b}`;
    let name = b;
    for (let i = 2; used.has(name); i++) name = `${b}${i}`;
    used.add(name);
    base.set(id, name);
  }
  const attr = (id: string) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(id) && !PY_KEYWORDS.has(id) && !MODULE_ATTRS.has(id) && !id.startsWith('_');
  return {
    out: (id: string, port: string) => `${base.get(id)!}_${port}`,
    self: (id: string) => (attr(id) ? `self.${id}` : `self._modules[${py(id)}]`),
    assign: (id: string, ctor: string) => (attr(id) ? `self.${id} = ${ctor}` : `self.add_module(${py(id)}, ${ctor})`),
  };
}

function contextFor(plan: Plan, n: PlanNode, names: ReturnType<typeof namer>): EmitContext {
  return {
    node: n,
    out: (port) => names.out(n.id, port),
    input: (port) => {
      const w = n.inputs[port]?.[0];
      if (!w) throw new Error(`${n.id}.${port} is not wired`);
      return names.out(w.node, w.port);
    },
    inputs: (port) => (n.inputs[port] ?? []).map((w) => names.out(w.node, w.port)),
    self: names.self(n.id),
  };
}

function modelPy(plan: Plan, fileBacked: boolean): string {
  const names = namer(plan);
  const g = plan.graph;
  const opt = plan.nodes.get(plan.optimizer)!;
  const runs = plan.order;
  const active = new Set(plan.activeOrder);
  const helpers = new Set<HelperClass>();
  const init: string[] = [];
  const forward: string[] = [];
  const metrics: Record<'recon' | 'kl' | 'klWeighted', string[]> = { recon: [], kl: [], klWeighted: [] };
  let unusedParameters = false;

  for (const id of runs) {
    const n = plan.nodes.get(id)!;
    const t = TEMPLATES[n.type]!;
    const ctx = contextFor(plan, n, names);
    for (const h of typeof t.classes === 'function' ? t.classes(n) : (t.classes ?? [])) helpers.add(h);
    const head = `# ${id} (${n.type}): ${t.summary(ctx)}`;
    if (t.module && n.variables.length) {
      init.push(head, names.assign(id, t.module(ctx)));
      if (!active.has(id)) unusedParameters = true;
    }
    if (!active.has(id)) continue;
    forward.push('', head, ...t.forward(ctx));
    if (t.metric) metrics[t.metric.kind].push(ctx.out(t.metric.port));
  }
  const total = names.out(plan.optimizer, 'total');
  const sum = (xs: string[], fallback: string) => (xs.length ? xs.join(' + ') : fallback);
  const config = {
    name: g.meta.name,
    seed: plan.seed,
    batchSize: plan.batchSize,
    heldOut: plan.heldOut,
    data: plan.data,
    // where the examples come from: the MNIST digits (split by train.py as VAE Lab splits them), or a data file's arrays
    dataset: fileBacked ? { kind: 'arrays', ...DATA_FILES } : { kind: 'mnist' },
    optimizer: { node: plan.optimizer, algorithm: opt.params.algorithm, learningRate: opt.params.learningRate },
    unusedParameters,
  };
  const description = (g.meta.description ?? '').trim();
  const order = [...helpers].sort((a, b) => Object.keys(HELPERS).indexOf(a) - Object.keys(HELPERS).indexOf(b));
  const indent = (lines: string[], by: string) => lines.map((l) => (l ? by + l : l));
  return `"""
${g.meta.name}: the PyTorch twin of a VAE Lab graph, written by \`vae-lab export\` from the compiled graph.
${description ? `\n${wrap(description.replace(/"""/g, "'''"), 92)}\n` : ''}
GraphModel.forward runs the graph's nodes in the order VAE Lab runs them, one block per node,
each headed by its node id and type. Nodes with weights are submodules named by their node id.
Weights are stored in VAE Lab's layout (a dense kernel is [in, out], nn.Linear's weight
[out, in]; a conv kernel [kh, kw, in, out], nn.Conv2d's weight [out, in, kh, kw]): train.py
converts them (load_weights, model_weights).
"""
import torch
from torch import nn
import torch.nn.functional as F

CONFIG = ${py(config)}

ACTIVATIONS = {
    "none": lambda t: t,
    "relu": torch.relu,
    "tanh": torch.tanh,
    "sigmoid": torch.sigmoid,
    "elu": F.elu,
}


${order.map((h) => HELPERS[h]).join('\n\n\n')}${order.length ? '\n\n\n' : ''}class GraphModel(nn.Module):
    def __init__(self):
        super().__init__()
${init.length ? indent(init, '        ').join('\n') : '        pass'}

    def forward(self, feed, noise, step=1, mode="train"):
        """One pass over a batch.

        feed gives each data node its batch (train.py's Feed), noise every random draw
        (train.py's Noise: fresh, or replayed from a VAE Lab record); step counts from 1
        (β warm-up); mode "eval" computes the held-out −ELBO terms: sums over features and
        latent dims, β = 1, no free bits, one z sample.
        Returns per-example tensors [B]: the objective and its parts.
        """${indent(forward, '        ').join('\n')}

        return {
            "total": ${total},  # what the optimizer minimises (its batch mean)
            "recon": ${sum(metrics.recon, `torch.zeros_like(${total})`)},
            "kl": ${sum(metrics.kl, `torch.zeros_like(${total})`)},
            "kl_weighted": ${sum(metrics.klWeighted, sum(metrics.kl, `torch.zeros_like(${total})`))},
        }
`;
}

function wrap(text: string, width: number): string {
  const out: string[] = [];
  for (const para of text.split('\n')) {
    let line = '';
    for (const word of para.split(/\s+/).filter(Boolean)) {
      if (line && line.length + 1 + word.length > width) {
        out.push(line);
        line = word;
      } else line = line ? `${line} ${word}` : word;
    }
    out.push(line);
  }
  return out.join('\n');
}
