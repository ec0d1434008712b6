/**
 * The lecture's formulas (shared/lecture/vae-lecture.md) as KaTeX source, in one place: the
 * bug hunt's feedback, the help popovers and the node modules' help all cite them from here.
 */
export const LECTURE = {
  elbo: String.raw`\begin{aligned}\log P(\mathbf{x}) \;\ge\;& -D_{\mathrm{KL}}\big(Q_{\phi}(\mathbf{z}\mid\mathbf{x}) \,\|\, P(\mathbf{z})\big) \\ &+ \mathbb{E}_{Q_{\phi}}\big[\log P_{\theta}(\mathbf{x}\mid\mathbf{z})\big] \;=\; \mathrm{ELBO}\end{aligned}`,
  kSample: String.raw`\begin{gathered}\mathbb{E}_{Q_{\phi}}\big[\log P_{\theta}(\mathbf{x}\mid\mathbf{z})\big] \approx \frac{1}{K}\sum_{k=1}^{K} \log P_{\theta}\big(\mathbf{x}\mid\mathbf{z}^{(k)}\big) \\ \mathbf{z}^{(k)} \sim Q_{\phi}(\mathbf{z}\mid\mathbf{x}),\quad k = 1, \dots, K\end{gathered}`,
  kl: String.raw`D_{\mathrm{KL}}\big(Q(\mathbf{z}) \,\|\, P(\mathbf{z})\big) = -\frac{1}{2}\sum_{j=1}^{d}\big(1 + \log\sigma_j^2 - \mu_j^2 - \sigma_j^2\big)`,
  reparam: String.raw`\mathbf{z} = \mu + \epsilon \odot \sigma,\quad \epsilon \sim \mathcal{N}(\mathbf{0}, \mathbf{I}),\quad \sigma = \exp\!\big(\tfrac{1}{2}\log\sigma^2\big)`,
  prior: String.raw`P(\mathbf{z}) = \mathcal{N}(\mathbf{0}, \mathbf{I}),\ \mathbf{z} \in \mathbb{R}^{d};\quad (\mu, \sigma^2) = Q_{\phi}(\mathbf{z}\mid\mathbf{x})`,
  pipeline: String.raw`\mathbf{x} \xrightarrow{\;Q_{\phi}(\mathbf{z}\mid\mathbf{x})\;} (\mu, \sigma^2) \to \epsilon\odot\sigma + \mu \to P_{\theta}(\mathbf{x}\mid\mathbf{z})`,
  /** The β-weighted objective (lecture: "Avoiding posterior collapse"). */
  beta: String.raw`-\beta\, D_{\mathrm{KL}}\big(Q_{\phi}(\mathbf{z}\mid\mathbf{x}) \,\|\, P(\mathbf{z})\big) + \log P_{\theta}(\mathbf{x}\mid\mathbf{z})`,
  /** Bernoulli decoder: binary cross-entropy summed over the m pixels. */
  bce: String.raw`-\log P_{\theta}(\mathbf{x}\mid\mathbf{z}) = -\sum_{i=1}^{m}\big(x_i \log \mu_{\mathbf{x},i} + (1 - x_i)\log(1 - \mu_{\mathbf{x},i})\big)`,
  /** Gaussian decoder N(μ_x, I): half the squared error (plus a constant). */
  gaussian: String.raw`-\log \mathcal{N}(\mathbf{x};\, \mu_{\mathbf{x}}, \mathbf{I}) = \tfrac{1}{2}\lVert \mathbf{x} - \mu_{\mathbf{x}} \rVert^2 + \tfrac{m}{2}\log 2\pi`,
  /** One SGD update of both networks on the negative ELBO. */
  update: String.raw`(\theta, \phi) \leftarrow (\theta, \phi) - \eta\, \nabla_{\theta,\phi}\, \frac{1}{\tilde n}\sum_{i=1}^{\tilde n} -\mathrm{ELBO}\big(\mathbf{x}^{(i)}\big)`,
} as const;

export type LectureFormula = keyof typeof LECTURE;
