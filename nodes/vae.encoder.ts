import { defineNode } from './types';
import { denseVars, mlpVars, runMlp, dense } from './lib/dense';
import { archParams, archWhen, ENCODER_DEFAULTS, encoderForward, encoderShapes, encoderVars, type EncoderParams } from './lib/arch';
import { lastDim, needFeatures } from './lib/shapes';

/** `arch` "mlp" (today's params, byte for byte) | "conv" | "rnn", each with its own params and defaults (DESIGN §8; nodes/lib/arch.ts). */
export const params = archParams(ENCODER_DEFAULTS);
export type Params = EncoderParams;

export default defineNode<Params>({
  type: 'vae.encoder',
  category: 'VAE',
  title: 'Encoder q(z|x)',
  description:
    'Q_φ(z|x) = N(μ, diag σ²): a network from x to the mean μ and the log-variance log σ² (two linear heads). arch "mlp": dense layers; "conv": 4×4 stride-2 convs over an image, then dense layers; "rnn": a GRU or LSTM over a sequence, its last state into dense layers.',
  help: {
    formula: String.raw`Q_{\phi}(\mathbf{z}\mid\mathbf{x}) = \mathcal{N}\big(\mu_{\phi}(\mathbf{x}),\ \mathrm{diag}\,\sigma^2_{\phi}(\mathbf{x})\big)`,
    where: 'Takes x from the data node; its mu (a mean port) and logvar (a logvar port) feed the reparameterization (vae.reparameterize) and the KL (loss.kl). Its weights φ are trained by the optimizer through both.',
  },
  role: 'encoder',
  stem: 'enc',
  variantParam: 'arch',
  inputs: [{ name: 'x', kind: 'data', doc: 'the examples [B,n]' }],
  outputs: [
    { name: 'mu', kind: 'mean', doc: 'μ [B,d]' },
    { name: 'logvar', kind: 'logvar', doc: 'log σ² [B,d]' },
  ],
  params,
  controls: [
    // first: the params below it are the chosen architecture's
    { param: 'arch', label: 'architecture', help: 'mlp for tables, conv for images, rnn for sequences' },
    { param: 'channels', label: 'channels', help: 'one 4×4, stride-2 conv per entry (each halves H and W), x → …', when: archWhen(ENCODER_DEFAULTS, 'channels') },
    { param: 'cell', label: 'cell', help: 'PyTorch’s nn.GRU or nn.LSTM', when: archWhen(ENCODER_DEFAULTS, 'cell') },
    { param: 'rnnUnits', label: 'rnn units', help: 'the width of the recurrent state', when: archWhen(ENCODER_DEFAULTS, 'rnnUnits') },
    { param: 'hidden', label: 'hidden layers', help: 'widths of the dense hidden layers, … → heads' },
    { param: 'activation', label: 'activation' },
    { param: 'latentDim', label: 'latent dim d' },
  ],
  inferShapes: ({ inputs, params: p, structures }) => {
    const x = inputs.x;
    if (!x) return { ok: true, outputs: {} };
    if (p.arch !== 'mlp') return encoderShapes(p, x, structures?.x);
    const bad = needFeatures('x', x, 'The encoder');
    if (bad) return bad;
    const out = [...x.slice(0, -1), p.latentDim];
    return { ok: true, outputs: { mu: out, logvar: out } };
  },
  variables: (p, inShapes, _outShapes, structure) => {
    if (p.arch !== 'mlp') return encoderVars(p, inShapes.x!, structure!.in.x!);
    const n = lastDim(inShapes.x!)!;
    const widths = [n, ...p.hidden];
    const top = widths[widths.length - 1]!;
    return [...mlpVars('hidden', widths), ...denseVars('mu', top, p.latentDim), ...denseVars('logvar', top, p.latentDim)];
  },
  forward: ({ inputs, vars, params: p, fast, structure }) => {
    if (p.arch !== 'mlp') return encoderForward(p, inputs.x!, structure!.in.x!, vars, fast);
    const h = runMlp(inputs.x!, vars, 'hidden', p.hidden.length, p.activation, fast);
    return {
      mu: dense(h, vars['mu/kernel']!, vars['mu/bias']!, 'none', fast),
      logvar: dense(h, vars['logvar/kernel']!, vars['logvar/bias']!, 'none', fast),
    };
  },
});
