/**
 * The lecture's formulas (shared/lecture/vae-lecture.md), as KaTeX source, and which one
 * explains each of the group exercise's questions.
 */
export const FORMULAS = {
  elbo: String.raw`\begin{aligned}\log P(\mathbf{x}) \;\ge\;& -D_{\mathrm{KL}}\big(Q_{\phi}(\mathbf{z}\mid\mathbf{x}) \,\|\, P(\mathbf{z})\big) \\ &+ \mathbb{E}_{Q_{\phi}}\big[\log P_{\theta}(\mathbf{x}\mid\mathbf{z})\big] \;=\; \mathrm{ELBO}\end{aligned}`,
  kSample: String.raw`\begin{gathered}\mathbb{E}_{Q_{\phi}}\big[\log P_{\theta}(\mathbf{x}\mid\mathbf{z})\big] \approx \frac{1}{K}\sum_{k=1}^{K} \log P_{\theta}\big(\mathbf{x}\mid\mathbf{z}^{(k)}\big) \\ \mathbf{z}^{(k)} \sim Q_{\phi}(\mathbf{z}\mid\mathbf{x}),\quad k = 1, \dots, K\end{gathered}`,
  kl: String.raw`D_{\mathrm{KL}}\big(Q(\mathbf{z}) \,\|\, P(\mathbf{z})\big) = -\frac{1}{2}\sum_{j=1}^{d}\big(1 + \log\sigma_j^2 - \mu_j^2 - \sigma_j^2\big)`,
  reparam: String.raw`\mathbf{z} = \mu + \epsilon \odot \sigma,\quad \epsilon \sim \mathcal{N}(\mathbf{0}, \mathbf{I}),\quad \sigma = \exp\!\big(\tfrac{1}{2}\log\sigma^2\big)`,
  prior: String.raw`P(\mathbf{z}) = \mathcal{N}(\mathbf{0}, \mathbf{I}),\ \mathbf{z} \in \mathbb{R}^{d};\quad (\mu, \sigma^2) = Q_{\phi}(\mathbf{z}\mid\mathbf{x})`,
  pipeline: String.raw`\mathbf{x} \xrightarrow{\;Q_{\phi}(\mathbf{z}\mid\mathbf{x})\;} (\mu, \sigma^2) \to \epsilon\odot\sigma + \mu \to P_{\theta}(\mathbf{x}\mid\mathbf{z})`,
} as const;

export type FormulaId = keyof typeof FORMULAS;

export const FORMULA_TITLES: Record<FormulaId, string> = {
  elbo: 'The ELBO',
  kSample: 'The K-sample estimate',
  kl: 'The KL of two diagonal Gaussians (closed form)',
  reparam: 'The reparameterization',
  prior: 'The prior and the encoder',
  pipeline: 'The encoder, the sample, the decoder',
};

/** The formulas shown with a question's feedback (by the answer key's question id). */
export const QUESTION_FORMULAS: Record<string, FormulaId[]> = {
  q1: ['elbo'],
  q2: ['kSample'],
  q2b: ['kSample'],
  q3: ['kl'],
  q4: ['prior'],
  q5: ['pipeline'],
  q6: ['reparam'],
};
