/**
 * The help catalogue (issue 17 point 3): one entry per thing on screen that a student may ask
 * about — what it is, the lecture's formula (KaTeX source) and where in the graph it comes
 * from. App-level topics (metrics, charts, grids, the collapse alarm, badges) are written
 * here; node types and port kinds bring their own help (NodeTypeInfo.help in nodes/*,
 * PORT_KIND_INFO in src/graph/ports.ts) and are read from the registry, never copied.
 * Test ids: `help-<topic>` (DESIGN §6).
 */
import type { NodeCatalog } from '../../graph/catalog';
import { LECTURE } from '../../graph/formulas';
import { PORT_KINDS, PORT_KIND_INFO } from '../../graph/ports';
import { COLLAPSE_CONSECUTIVE, COLLAPSE_KL_NATS, COLLAPSE_MIN_STEPS, collapseRuleText } from '../../runtime/instruments/collapse';

export interface HelpEntry {
  topic: string;
  title: string;
  /** What it is. */
  what: string;
  /** The lecture's formula for it, KaTeX source. */
  formula: string;
  /** Where in the graph it comes from. */
  where: string;
  /** More to say (a node's badge, the alarm's rule). */
  note?: string;
}

/** Var μ_j over the held-out set above which a latent unit counts as active (src/runtime/instruments/latent.ts's ACTIVE_UNIT_THRESHOLD; that module loads tfjs). */
const ACTIVE_VAR = 0.01;

const APP_ENTRIES: readonly HelpEntry[] = [
  {
    topic: 'metric-step',
    title: 'Step',
    what: 'How many batches the optimizer has trained on since the last Reset: one Step is one gradient update on one batch of examples.',
    formula: String.raw`t \leftarrow t + 1:\quad (\theta, \phi) \leftarrow (\theta, \phi) - \eta\,\nabla_{\theta,\phi}\,\mathcal{L}_t`,
    where: 'Counted by the optimizer node (train.optimizer): each step draws one batch from the data node and updates every weight upstream of the losses.',
  },
  {
    topic: 'metric-loss',
    title: 'Loss (the training objective)',
    what: "The last step's training loss per example: the reconstruction term plus the (β-weighted) KL, the negative ELBO when β = 1. Training pushes it down.",
    formula: String.raw`\mathcal{L} = \frac{1}{B}\sum_{i=1}^{B}\Big(-\log P_{\theta}\big(\mathbf{x}^{(i)}\mid\mathbf{z}^{(i)}\big) + \beta\, D_{\mathrm{KL}}\big(Q_{\phi}(\mathbf{z}\mid\mathbf{x}^{(i)}) \,\|\, P(\mathbf{z})\big)\Big)`,
    where: 'The sum of every loss wired into the optimizer (train.optimizer): the reconstruction loss (loss.reconstruction) and the KL through the β weight (loss.beta), averaged over the batch.',
  },
  {
    topic: 'metric-recon',
    title: 'Reconstruction term',
    what: 'How badly the decoder reproduces each input from its sampled code: the negative log-likelihood of x under p(x|z), in nats per example. Sharper reconstructions lower it.',
    formula: LECTURE.bce,
    where: "The batch mean of the reconstruction loss node's nll output (loss.reconstruction), which reads the decoder's xHat and the data's x.",
  },
  {
    topic: 'metric-kl',
    title: 'KL term',
    what: 'How far the encoder’s q(z|x) is from the prior N(0, I), in nats per example, before β: the price of putting information about x into z.',
    formula: LECTURE.kl,
    where: "The batch mean of the KL node's kl output (loss.kl), computed from the encoder's μ and log σ².",
  },
  {
    topic: 'metric-klw',
    title: 'β·KL',
    what: 'The KL as the loss counts it: multiplied by β (with warm-up) and floored by free bits. Shown only when it differs from the plain KL.',
    formula: LECTURE.beta,
    where: "The batch mean of the β weight node's output (loss.beta), which takes the KL node's kl and feeds the optimizer.",
  },
  {
    topic: 'metric-heldout',
    title: 'Held-out −ELBO',
    what: 'The negative ELBO on the held-out examples the model never trains on, at β = 1 with one z sample: the honest measure of the fit (lower is better). A gap to the training loss that grows means overfitting.',
    formula: LECTURE.elbo,
    where: "The reconstruction loss (loss.reconstruction) plus the KL (loss.kl), run in eval mode over the data node's held-out split every 50 steps and at each epoch's end.",
  },
  {
    topic: 'metric-ms',
    title: 'ms per step',
    what: 'The median wall time of the last 20 training steps on the chosen backend (webgl, wasm or cpu): how fast this graph trains here, not part of the model.',
    formula: String.raw`\mathrm{median}\big(\Delta t_{t-19}, \dots, \Delta t_{t}\big)`,
    where: 'Measured around the whole compiled graph in the training worker: every node from the data node (data.mnist, …) to the optimizer (train.optimizer), forward and backward.',
  },
  {
    topic: 'metric-tensors',
    title: 'Tensors in memory',
    what: 'How many tfjs tensors the training worker holds (tf.memory().numTensors). It must stay flat over steps; a number that grows every step is a leak.',
    formula: String.raw`N_{\text{tensors}}(t+1) = N_{\text{tensors}}(t)`,
    where: "The weights of every node with variables (vae.encoder, vae.decoder, layer.dense, …), the optimizer's moments (train.optimizer) and the cached held-out batches.",
  },
  {
    topic: 'chart-loss',
    title: 'Loss chart',
    what: 'Per step: the training loss, its reconstruction term, the KL and β·KL; green dots: the held-out −ELBO. The previous run stays as a faint overlay for comparison. Log scale shows the late, slow part of training.',
    formula: String.raw`-\mathrm{ELBO} = -\mathbb{E}_{Q_{\phi}}\big[\log P_{\theta}(\mathbf{x}\mid\mathbf{z})\big] + D_{\mathrm{KL}}\big(Q_{\phi}(\mathbf{z}\mid\mathbf{x}) \,\|\, P(\mathbf{z})\big)`,
    where: 'The loss from the optimizer (train.optimizer), recon from loss.reconstruction, KL from loss.kl, β·KL from loss.beta; the held-out −ELBO from the same nodes in eval mode on the held-out split.',
  },
  {
    topic: 'recon-grid',
    title: 'Reconstructions',
    what: 'Top row: held-out digits x; below each, the decoder’s mean μ_x for a code drawn from q(z|x). Blurry reconstructions are the average of the images a code could stand for.',
    formula: LECTURE.pipeline,
    where: 'The held-out x from the data node, through the encoder (vae.encoder), the reparameterization (vae.reparameterize) and the decoder (vae.decoder)’s xHat.',
  },
  {
    topic: 'recon-table',
    title: 'Reconstructions of table rows',
    what: 'For held-out rows of a table: each column’s root-mean-square reconstruction error beside its own spread (always guessing the column mean scores the spread), then a few rows with their reconstructions. A bar past the spread means the code tells the decoder nothing about that column.',
    formula: String.raw`\mathrm{RMSE}_j = \sqrt{\frac{1}{n}\sum_{i=1}^{n}\big(x^{(i)}_j - \mu^{(i)}_{\mathbf{x},j}\big)^2}\quad\text{vs.}\quad s_j = \sqrt{\frac{1}{n}\sum_{i=1}^{n}\big(x^{(i)}_j - \bar{x}_j\big)^2}`,
    where: "The held-out rows of the table node (data.table) through the encoder, the reparameterization and the decoder (vae.decoder's xHat), column by column.",
  },
  {
    topic: 'recon-series',
    title: 'Reconstructions of time windows',
    what: 'For held-out windows of a series: each feature over the window’s T steps, the input beside its reconstruction, with the RMSE over all held-out windows and the feature’s spread for scale.',
    formula: String.raw`\hat{\mathbf{s}}_{t} = \mu_{\mathbf{x}}\big(\mathbf{z}\big)_{t},\quad \mathbf{z} \sim Q_{\phi}\big(\mathbf{z}\mid \mathbf{s}_{1:T}\big),\quad t = 1, \dots, T`,
    where: "The held-out windows of the sequence node (data.sequence) through the encoder (often a layer.gru or layer.lstm inside vae.encoder) and the decoder's xHat, reshaped to [T, F].",
  },
  {
    topic: 'sample-grid',
    title: 'Samples from the prior',
    what: 'The decoder’s mean for 16 fixed codes z drawn from the prior N(0, I), the same z at every refresh: what the VAE generates. They look like digits only where q(z|x) covers the prior.',
    formula: String.raw`\mathbf{z} \sim P(\mathbf{z}) = \mathcal{N}(\mathbf{0}, \mathbf{I}),\quad \mathbf{x} = \mu_{\mathbf{x}} = P_{\theta}(\mathbf{x}\mid\mathbf{z})`,
    where: 'Only the decoder (vae.decoder, or the node that produces the reconstruction loss’s xHat) runs, on z from N(0, I) instead of the reparameterization’s output.',
  },
  {
    topic: 'collapse-alarm',
    title: 'Posterior-collapse alarm',
    what:
      'Posterior collapse: q(z|x) ≈ p(z) for every x, so z carries (almost) nothing about x and the decoder draws the same blur for every input. It happens when the KL term wins (a large β, a too-strong decoder).',
    formula: String.raw`\begin{gathered}A = \#\big\{\, j : \mathrm{Var}_{\mathbf{x}}\big[\mu_j(\mathbf{x})\big] > ${ACTIVE_VAR} \,\big\}\\ \text{collapsed} \iff A = 0 \ \lor\ \overline{D}_{\mathrm{KL}} < ${COLLAPSE_KL_NATS}\ \text{nats}\end{gathered}`,
    where: "The encoder's μ (vae.encoder's mu) and the KL (loss.kl) on the held-out split, measured with every held-out evaluation.",
    note: `${collapseRuleText()} (Rule: src/runtime/instruments/collapse.ts: minimum step ${COLLAPSE_MIN_STEPS}, ${COLLAPSE_CONSECUTIVE} consecutive evaluations.)`,
  },
  {
    topic: 'kl-bars',
    title: 'KL per latent dimension',
    what: 'One bar per dimension z_j of the code: its held-out KL in nats. Dark bars are active units (μ_j moves with x); flat bars are dimensions the model has stopped using. The count of active units sums them up.',
    formula: String.raw`\begin{gathered}D_{\mathrm{KL},j} = \frac{1}{n}\sum_{i=1}^{n} -\frac{1}{2}\Big(1 + \log\sigma_j^{2\,(i)} - \big(\mu_j^{(i)}\big)^2 - \sigma_j^{2\,(i)}\Big)\\ \text{active} \iff \mathrm{Var}_i\big[\mu_j^{(i)}\big] > ${ACTIVE_VAR}\end{gathered}`,
    where: "The encoder's μ and log σ² (vae.encoder, or the nodes wired into loss.kl's mu and logvar) on every held-out example, summed per dimension instead of per example.",
  },
  {
    topic: 'iwae',
    title: 'Held-out log-likelihood (IWAE)',
    what: 'An estimate of −log p(x) itself with K importance samples from q(z|x) (Burda et al.): a tighter bound than the ELBO. The gap between the two is how loose the ELBO is.',
    formula: String.raw`\log P(\mathbf{x}) \;\ge\; \mathbb{E}\Big[\log \frac{1}{K}\sum_{k=1}^{K} \frac{P_{\theta}(\mathbf{x}\mid\mathbf{z}^{(k)})\,P(\mathbf{z}^{(k)})}{Q_{\phi}(\mathbf{z}^{(k)}\mid\mathbf{x})}\Big] \;\ge\; \mathrm{ELBO}`,
    where: 'The encoder (vae.encoder), then K codes per held-out example through the decoder (vae.decoder) and the reconstruction loss (loss.reconstruction), weighted by the prior over q(z|x).',
  },
  {
    topic: 'compare',
    title: 'Compare with a reference',
    what: 'Trains this graph and a reference side by side on the same batches, the same ε and the same initial weights, and names the first node whose output differs beyond the tolerance: where a bug enters.',
    formula: String.raw`\frac{\max\lvert a - b\rvert}{\max\big(\max\lvert a\rvert, \max\lvert b\rvert\big)} > \text{tol}`,
    where: 'Every output port of every node, matched by node id between the two graphs, in topological order from the data node to the optimizer (train.optimizer).',
  },
  {
    topic: 'latent-view',
    title: 'Latent view: manifold or traversal',
    what: 'With d = 2: the decoder’s output over a grid of z through the inverse normal CDF, the whole learned manifold. With d > 2: each row moves one z_j from −3 to 3 around a digit’s μ, rows ordered by KL (an inactive dimension changes nothing).',
    formula: String.raw`\mathbf{x}(u, v) = P_{\theta}\big(\mathbf{x} \mid \mathbf{z} = (\Phi^{-1}(u), \Phi^{-1}(v))\big),\quad u, v \in (0, 1)`,
    where: 'Only the decoder path (vae.decoder, from the reparameterization’s z to the reconstruction loss’s xHat) runs, on the chosen z.',
  },
  {
    topic: 'latent-codes',
    title: 'Held-out codes',
    what: 'Each held-out digit as a dot at its code μ(x), coloured by its label: with d = 2 the code itself, with d > 2 its first two principal components. Classes that separate mean z carries what the digit is.',
    formula: String.raw`\begin{gathered}\mu^{(i)} = \mu_{\phi}\big(\mathbf{x}^{(i)}\big),\ \text{projected on the top two}\\ \text{eigenvectors of } \mathrm{Cov}_i\big[\mu^{(i)}\big]\end{gathered}`,
    where: "The encoder's mu (vae.encoder, or the node wired into the reparameterization's mu) on the data node's held-out split; the colour is the data node's label.",
  },
  {
    topic: 'latent-posterior',
    title: 'q(z|x) of one digit',
    what: 'For one held-out digit you click, or one you draw: the ellipse is μ ± σ of q(z|x) in the view’s two axes, the dots are codes drawn from it, and beside them what the decoder makes of each.',
    formula: LECTURE.reparam,
    where: 'The encoder (vae.encoder) on that one image, then the reparameterization’s sampling (vae.reparameterize) and the decoder (vae.decoder).',
  },
  {
    topic: 'probe',
    title: 'Probe',
    what: 'The tensor on one wire at the last step: its shape, mean, standard deviation, min and max, how many NaN or ±Inf values, and a histogram. NaN or Inf here is where a numerical bug starts.',
    formula: String.raw`\bar{v} = \frac{1}{N}\sum_{k=1}^{N} v_k,\quad s = \sqrt{\frac{1}{N}\sum_{k=1}^{N} (v_k - \bar{v})^2}`,
    where: 'Any wire of the graph you click, e.g. vae.encoder’s mu → loss.kl: the output port of the node it leaves, measured during the last training step in the worker.',
  },
  {
    topic: 'badges',
    title: 'Node badges',
    what: 'While training, a loss node shows its last value on its title bar: KL on the KL node, recon on the reconstruction loss, β·KL on the β weight, loss on the optimizer. Each node’s help says what its badge means.',
    formula: String.raw`\text{badge} = \frac{1}{B}\sum_{i=1}^{B} \ell^{(i)}\quad\text{(the batch mean of the node's loss output)}`,
    where: "The node's own output port at the last step: loss.kl's kl, loss.reconstruction's nll, loss.beta's kl and the optimizer's (train.optimizer) total.",
  },
  {
    topic: 'wire-values',
    title: 'Values on wires',
    what: 'Each wire shows the mean ± standard deviation of its tensor at the last step (where there is room), so a blow-up or a dead layer shows where it happens. Off: only the selected wire.',
    formula: String.raw`\bar{v} \pm s\ \ \text{over all } B \times \cdots \text{ entries of the tensor on the wire}`,
    where: 'Every output port with a wire, from the data node’s x (data.mnist, …) to the losses (loss.kl, loss.reconstruction), measured in the training worker after each step.',
  },
];

/** The app-level topics, in display order. */
export const APP_TOPICS: readonly string[] = APP_ENTRIES.map((e) => e.topic);

export function nodeTopic(type: string): string {
  return `node-${type}`;
}
export function portTopic(kind: string): string {
  return `port-${kind}`;
}

/** Every help entry: the app's, then one per node type of the catalogue, then one per port kind. */
export function helpEntries(catalog: NodeCatalog): HelpEntry[] {
  const nodes: HelpEntry[] = [];
  for (const type of catalog.types()) {
    const info = catalog.get(type);
    if (!info) continue;
    nodes.push({
      topic: nodeTopic(type),
      title: `${info.title} (${type})`,
      what: info.description,
      formula: info.help.formula,
      where: info.help.where,
      ...(info.help.badge ? { note: `Badge: ${info.help.badge}` } : {}),
    });
  }
  const ports: HelpEntry[] = PORT_KINDS.map((kind) => {
    const k = PORT_KIND_INFO[kind];
    return { topic: portTopic(kind), title: `Port kind: ${kind}`, what: `${k.label}. Its sockets are drawn as a ${k.shape}.`, formula: k.help.formula, where: k.help.where };
  });
  return [...APP_ENTRIES, ...nodes, ...ports];
}

/** One entry by topic, or undefined when there is none. */
export function helpEntry(catalog: NodeCatalog, topic: string): HelpEntry | undefined {
  if (topic.startsWith('node-')) return helpEntries({ get: catalog.get, types: () => [topic.slice(5)] }).find((e) => e.topic === topic);
  if (topic.startsWith('port-')) return helpEntries({ get: () => undefined, types: () => [] }).find((e) => e.topic === topic);
  return APP_ENTRIES.find((e) => e.topic === topic);
}
