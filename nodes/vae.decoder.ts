import { defineNode } from './types';
import { denseVars, mlpVars, runMlp, dense } from './lib/dense';
import { archParams, archWhen, DECODER_DEFAULTS, decoderForward, decoderShapes, decoderVars, type DecoderParams } from './lib/arch';
import { lastDim, needFeatures } from './lib/shapes';
import { structureWidth } from '../src/graph/structure';

/** `arch` "mlp" (today's params, byte for byte) | "conv" | "rnn", each with its own params and defaults (DESIGN §8; nodes/lib/arch.ts). */
export const params = archParams(DECODER_DEFAULTS);
export type Params = DecoderParams;

export default defineNode<Params>({
  type: 'vae.decoder',
  category: 'VAE',
  title: 'Decoder p(x|z)',
  description:
    'P_θ(x|z): a network from z to the mean of p(x|z) (Bernoulli pixel probabilities with a sigmoid). arch "mlp": dense layers; "conv": dense layers to a small grid, then 4×4 stride-2 transposed convs up to the image; "rnn": h0 = tanh(dense(z)), a GRU or LSTM fed z at every step, each step\'s state through dense layers to the features.',
  help: {
    formula: String.raw`P_{\theta}(\mathbf{x}\mid\mathbf{z}):\quad \mu_{\mathbf{x}} = \mathrm{sigmoid}\big(f_{\theta}(\mathbf{z})\big) \in [0,1]^{m}`,
    where: 'Takes z from the reparameterization (vae.reparameterize); its xHat (a recon port) feeds the reconstruction loss (loss.reconstruction). The samples from the prior run this node on z ~ N(0, I).',
  },
  role: 'decoder',
  stem: 'dec',
  variantParam: 'arch',
  inputs: [{ name: 'z', kind: 'sample', doc: 'z [B,d] or [K,B,d]' }],
  outputs: [{ name: 'xHat', kind: 'recon', doc: 'x̂, the mean of p(x|z)' }],
  params,
  controls: [
    // first: the params below it are the chosen architecture's
    { param: 'arch', label: 'architecture', help: 'mlp for tables, conv for images, rnn for sequences' },
    { param: 'channels', label: 'channels', help: 'the encoder’s conv channels, x → …: transposed convs run them in reverse, the last to the image’s channels', when: archWhen(DECODER_DEFAULTS, 'channels') },
    { param: 'cell', label: 'cell', help: 'PyTorch’s nn.GRU or nn.LSTM', when: archWhen(DECODER_DEFAULTS, 'cell') },
    { param: 'rnnUnits', label: 'rnn units', help: 'the width of the recurrent state', when: archWhen(DECODER_DEFAULTS, 'rnnUnits') },
    { param: 'hidden', label: 'hidden layers', help: 'widths of the dense hidden layers in forward order, z → … → x (rnn: per step, state → … → features)' },
    { param: 'activation', label: 'activation' },
    { param: 'outputActivation', label: 'output', help: 'sigmoid gives probabilities for a Bernoulli likelihood' },
    { param: 'outputUnits', label: 'output units', help: 'auto: the width of the data the loss compares against', when: archWhen(DECODER_DEFAULTS, 'outputUnits') },
  ],
  inferShapes: ({ inputs, params: p, hint, hintStructure }) => {
    const z = inputs.z;
    if (!z) return { ok: true, outputs: {} };
    const bad = needFeatures('z', z, 'The decoder');
    if (bad) return bad;
    if (p.arch !== 'mlp') return decoderShapes(p, z, hint('xHat'), hintStructure?.('xHat'));
    let units: number | null = p.outputUnits === 'auto' ? null : p.outputUnits!;
    if (units === null) {
      const h = hint('xHat');
      units = h ? lastDim(h) : null;
      if (units === null) {
        return {
          ok: false,
          code: 'BAD_PARAM',
          port: 'xHat',
          message: 'outputUnits is "auto", but xHat feeds no reconstruction loss whose data would give the width.',
          fix: 'Wire xHat into a reconstruction loss, or set outputUnits to a number (784 for MNIST).',
        };
      }
    }
    // x̂ has the structure of the data it is compared with, when it has that data's width
    const s = hintStructure?.('xHat');
    return { ok: true, outputs: { xHat: [...z.slice(0, -1), units] }, ...(s && structureWidth(s) === units ? { structure: { xHat: s } } : {}) };
  },
  variables: (p, inShapes, outShapes, structure) => {
    if (p.arch !== 'mlp') return decoderVars(p, inShapes.z!, structure!.out.xHat!);
    const d = lastDim(inShapes.z!)!;
    const out = lastDim(outShapes.xHat!)!;
    const widths = [d, ...p.hidden];
    return [...mlpVars('hidden', widths), ...denseVars('out', widths[widths.length - 1]!, out)];
  },
  range: (p) => (p.outputActivation === 'sigmoid' ? [0, 1] : null),
  forward: ({ inputs, vars, params: p, fast, structure }) => {
    if (p.arch !== 'mlp') return { xHat: decoderForward(p, inputs.z!, structure!.out.xHat!, vars, fast) };
    const h = runMlp(inputs.z!, vars, 'hidden', p.hidden.length, p.activation, fast);
    return { xHat: dense(h, vars['out/kernel']!, vars['out/bias']!, p.outputActivation, fast) };
  },
});
