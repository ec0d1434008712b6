/**
 * Port kinds and the connection rule. A `tensor` port connects to and from any kind; two
 * different named kinds are a semantic mismatch (a lint warning, never an error), so that
 * the bug-hunt graph stays buildable (DESIGN.md §3).
 */

export const PORT_KINDS = ['data', 'mean', 'logvar', 'sample', 'recon', 'loss', 'tensor'] as const;
export type PortKind = (typeof PORT_KINDS)[number];

export interface PortSpec {
  name: string;
  kind: PortKind;
  /** Takes any number of edges (only the optimizer's `loss`). Inputs only. */
  multi?: boolean;
  /** May stay unwired (e.g. a recurrent layer's initial state h0: zeros). Inputs only. */
  optional?: boolean;
  /** One line for tooltips: what flows through this port. */
  doc?: string;
}

export type Compatibility = { ok: true; semantic: boolean };

/** Every kind pair may be wired; `semantic` is true when two different named kinds meet. */
export function canConnect(from: PortKind, to: PortKind): Compatibility {
  const semantic = from !== 'tensor' && to !== 'tensor' && from !== to;
  return { ok: true, semantic };
}

/** What each kind is (its label, colour and glyph) and its help popover: its formula and where it flows in the graph. */
export const PORT_KIND_INFO: Record<PortKind, { label: string; color: string; shape: 'circle' | 'square' | 'diamond' | 'triangle' | 'hexagon'; help: { formula: string; where: string } }> = {
  data: {
    label: 'data: a batch of examples x',
    color: '#4e79a7',
    shape: 'square',
    help: {
      formula: String.raw`\{\mathbf{x}^{(i)}\}_{i=1}^{\tilde n} \subset \mathbb{R}^{m}`,
      where: 'Leaves a data node (data.mnist, data.table, data.images, data.sequence) as x, and enters the encoder and the reconstruction loss (its target x).',
    },
  },
  mean: {
    label: 'mean: μ of q(z|x)',
    color: '#59a14f',
    shape: 'circle',
    help: {
      formula: String.raw`\mu = \mu_{\phi}(\mathbf{x}) \in \mathbb{R}^{d}`,
      where: "Leaves the encoder (vae.encoder's mu) and enters the reparameterization and the KL (loss.kl).",
    },
  },
  logvar: {
    label: 'logvar: log σ² of q(z|x)',
    color: '#9c755f',
    shape: 'circle',
    help: {
      formula: String.raw`\log\sigma^2 = \log\sigma^2_{\phi}(\mathbf{x}),\quad \sigma^2 = e^{\log\sigma^2} > 0`,
      where: "Leaves the encoder (vae.encoder's logvar) and enters the reparameterization and the KL (loss.kl): the log keeps σ² positive.",
    },
  },
  sample: {
    label: 'sample: a code z',
    color: '#edc948',
    shape: 'diamond',
    help: {
      formula: String.raw`\mathbf{z} \sim Q_{\phi}(\mathbf{z}\mid\mathbf{x}),\quad \mathbf{z} \in \mathbb{R}^{d}`,
      where: "Leaves the reparameterization (vae.reparameterize's z) and enters the decoder (vae.decoder).",
    },
  },
  recon: {
    label: 'recon: the decoder output, the mean of p(x|z)',
    color: '#b07aa1',
    shape: 'square',
    help: {
      formula: String.raw`\mu_{\mathbf{x}} = \mathbb{E}_{P_{\theta}(\mathbf{x}\mid\mathbf{z})}[\mathbf{x}]`,
      where: "Leaves the decoder (vae.decoder's xHat) and enters the reconstruction loss (loss.reconstruction's xHat).",
    },
  },
  loss: {
    label: 'loss: a per-example loss, shape [B]',
    color: '#e15759',
    shape: 'triangle',
    help: {
      formula: String.raw`\begin{gathered}\ell^{(i)} \in \mathbb{R},\ i = 1, \dots, B\\ \text{the optimizer minimises } \tfrac{1}{B}\textstyle\sum_i \sum_{\text{losses}} \ell^{(i)}\end{gathered}`,
      where: 'Leaves loss.kl, loss.reconstruction and loss.beta, and enters loss.beta (a KL to weight) or the optimizer (train.optimizer), which sums every loss wired into it.',
    },
  },
  tensor: {
    label: 'tensor: anything whose shape fits',
    color: '#9aa0a6',
    shape: 'hexagon',
    help: {
      formula: String.raw`\mathbf{y} \in \mathbb{R}^{B \times \cdots}`,
      where: 'On layers and ops (layer.dense, op.split, op.add, …): connects to and from any kind, so hand-built encoders, reparameterizations and decoders can be wired from primitives.',
    },
  },
};

/** Shapes: numbers, or the symbolic batch dimension 'B'. */
export type Dim = number | 'B';
export type Shape = Dim[];

export function formatShape(shape: Shape | undefined | null): string {
  if (!shape) return '?';
  return `[${shape.join(',')}]`;
}

export function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** NumPy broadcasting of two shapes; null when they do not broadcast. */
export function broadcastShapes(a: Shape, b: Shape): Shape | null {
  const n = Math.max(a.length, b.length);
  const out: Shape = [];
  for (let i = 0; i < n; i++) {
    const da = a[a.length - n + i] ?? 1;
    const db = b[b.length - n + i] ?? 1;
    if (da === db) out.push(da);
    else if (da === 1) out.push(db);
    else if (db === 1) out.push(da);
    else return null;
  }
  return out;
}

/** An endpoint "<nodeId>.<port>" split in two; the node id may not contain a dot. */
export function parseEndpoint(endpoint: string): { node: string; port: string } | null {
  const i = endpoint.indexOf('.');
  if (i <= 0 || i === endpoint.length - 1) return null;
  return { node: endpoint.slice(0, i), port: endpoint.slice(i + 1) };
}

export function endpoint(node: string, port: string): string {
  return `${node}.${port}`;
}
