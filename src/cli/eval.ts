/**
 * `vae-lab eval <graph.json> --weights W [--iwae K]` (DESIGN.md §5, §9): load saved weights
 * (VAE Lab's or train.py's), evaluate the held-out −ELBO as train does, print one `eval` event
 * (its step is the step count stored with the weights, else 0) and `done`.
 */
import { error } from '../graph/diagnostics';
import { useBackend, type BackendName } from '../runtime/backends';
import { loadMnistNode } from '../runtime/data/mnist-node';
import { Trainer } from '../runtime/trainer';
import { loadModelWeights } from '../runtime/weights';
import type { ParsedArgs } from './args';
import { readWeightsArg } from './export';
import { iwaeEvalFields } from './iwae-eval';
import { loadGraphReporting } from './load';
import { nonFinitePath, type Output } from './output';

export async function evalCommand(args: ParsedArgs, out: Output): Promise<number> {
  const file = args.positionals['graph.json']!;
  const f = args.flags;
  if (f.weights === undefined) {
    out.diagnostic(error('USAGE', 'eval needs --weights W (a weights file: train --out writes DIR/weights.safetensors, train.py --save W).'));
    return 1;
  }
  const seed = f.seed as number | undefined;
  const loaded = await loadGraphReporting(file, out, { seed, data: (f.data as string[] | undefined) ?? [] });
  if (!loaded) return 1;
  const bytes = await readWeightsArg(f.weights as string);
  if (!bytes.ok) {
    out.diagnostic(bytes.diagnostic);
    return 1;
  }
  await useBackend((f.backend as BackendName | undefined) ?? 'wasm');
  const trainer = new Trainer(loaded.plan, loaded.data ? { data: loaded.data, seed } : { mnist: await loadMnistNode(), seed });
  try {
    const w = loadModelWeights(trainer.model, bytes.bytes, `The weights file ${f.weights as string}`);
    if (!w.ok) {
      out.diagnostic(w.diagnostic);
      return 1;
    }
    const stored = Number(w.metadata.steps);
    const step = Number.isSafeInteger(stored) && stored >= 0 ? stored : 0;
    const e = trainer.evaluate();
    let fields = {};
    let extra = '';
    if (f.iwae !== undefined) {
      const r = iwaeEvalFields(trainer, f.iwae as number);
      if (!r.ok) {
        out.diagnostic(r.diagnostic);
        return 1;
      }
      fields = r.fields;
      extra = `  nll (IWAE, K=${String(f.iwae)}) ${r.fields.nll.toFixed(2)}  active units ${r.fields.activeUnits}/${r.fields.klPerDim.length}`;
    }
    const bad = nonFinitePath({ heldOutLoss: e.heldOutLoss, recon: e.recon, kl: e.kl });
    if (bad) {
      out.diagnostic(error('NON_FINITE', `The held-out evaluation of these weights is not finite (${bad}).`, { fix: 'The weights have overflowed.' }));
      return 1;
    }
    out.event({ event: 'eval', step, heldOutLoss: e.heldOutLoss, recon: e.recon, kl: e.kl, ...fields });
    out.event({ event: 'done', steps: step, heldOutLoss: e.heldOutLoss });
    out.line(`eval  ${String(f.weights)} (step ${step})  held-out −ELBO ${e.heldOutLoss.toFixed(2)}  (recon ${e.recon.toFixed(2)}, KL ${e.kl.toFixed(4)}) over ${e.count} held-out examples${extra}`);
    return 0;
  } finally {
    trainer.dispose();
  }
}
