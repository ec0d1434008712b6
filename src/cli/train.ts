/**
 * `vae-lab train <graph.json>`: compile, train on MNIST in Node with the app's Trainer,
 * print step / eval / done events (DESIGN.md section 5), optionally save the weights.
 */
import * as tf from '@tensorflow/tfjs';
import { error, type Diagnostic } from '../graph/diagnostics';
import { useBackend, type BackendName } from '../runtime/backends';
import { loadMnistNode } from '../runtime/data/mnist-node';
import { median } from '../runtime/stats';
import { Trainer, type EvalMetrics, type StepMetrics } from '../runtime/trainer';
import type { ParsedArgs } from './args';
import { loadGraphReporting } from './load';
import { serializeGraph } from '../graph/schema';
import { registry } from '../../nodes';
import { bar, formatDuration, nonFinitePath, type Output } from './output';
import { prepareOutDir, saveModel } from './save';
import { iwaeEvalFields } from './iwae-eval';
import { readWeightsArg } from './export';
import { loadModelWeights } from '../runtime/weights';
import { Recorder } from '../runtime/record';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

const round3 = (x: number) => Math.round(x * 1000) / 1000;

export async function trainCommand(args: ParsedArgs, out: Output): Promise<number> {
  const file = args.positionals['graph.json']!;
  const f = args.flags;
  if (f.steps !== undefined && f.epochs !== undefined) {
    out.diagnostic(error('USAGE', '--steps and --epochs cannot be given together: choose one.', { fix: 'Neither trains one epoch.' }));
    return 1;
  }
  const seed = f.seed as number | undefined;
  const backend = (f.backend as BackendName | undefined) ?? 'wasm';
  const logEvery = (f['log-every'] as number | undefined) ?? 10;
  const outDir = f.out as string | undefined;
  const iwaeK = f.iwae as number | undefined;
  const recordDir = f.record as string | undefined;
  const weightsPath = f.weights as string | undefined;

  const loaded = await loadGraphReporting(file, out, { seed, data: (f.data as string[] | undefined) ?? [] });
  if (!loaded) return 1;
  const { plan, graph } = loaded;
  for (const [dir, flag] of [
    [outDir, '--out'],
    [recordDir, '--record'],
  ] as const) {
    if (dir === undefined) continue;
    const prepared = await prepareOutDir(dir, flag);
    if (prepared) {
      out.diagnostic(prepared);
      return 1;
    }
  }
  const weightsBytes = weightsPath === undefined ? undefined : await readWeightsArg(weightsPath);
  if (weightsBytes && !weightsBytes.ok) {
    out.diagnostic(weightsBytes.diagnostic);
    return 1;
  }

  await useBackend(backend);
  const trainer = new Trainer(plan, loaded.data ? { data: loaded.data, seed } : { mnist: await loadMnistNode(), seed });
  try {
    if (weightsBytes) {
      const loadedWeights = loadModelWeights(trainer.model, weightsBytes.bytes, `The weights file ${weightsPath!}`);
      if (!loadedWeights.ok) {
        out.diagnostic(loadedWeights.diagnostic);
        return 1;
      }
    }
    const recorder = recordDir === undefined ? null : new Recorder(trainer);
    const writeRecord = async (): Promise<void> => {
      if (!recorder) return;
      for (const file of recorder.files(JSON.parse(serializeGraph(graph, registry)))) await writeFile(join(recordDir!, file.name), file.content);
    };
    const perEpoch = trainer.stepsPerEpoch;
    const total = f.steps !== undefined ? (f.steps as number) : ((f.epochs as number | undefined) ?? 1) * perEpoch;
    const epochs = Math.ceil(total / perEpoch);
    out.note(
      `Training "${graph.meta.name}" on ${backend}: ${total} steps (${epochs === 1 && total < perEpoch ? `part of one epoch of ${perEpoch}` : `${(total / perEpoch).toFixed(total % perEpoch ? 2 : 0)} epochs of ${perEpoch} steps`}), batch ${plan.batchSize}, seed ${trainer.seed}, ${plan.parameters.toLocaleString('en-US')} parameters.`,
    );

    const times: number[] = [];
    let afterFirstStep = -1;
    let last: StepMetrics | null = null;
    let lastEval: EvalMetrics | null = null;
    const t0 = performance.now();

    const stop = (d: Diagnostic): number => {
      out.diagnostic(d);
      return 1;
    };

    const runEval = (step: number): Diagnostic | null => {
      const e = trainer.evaluate();
      const bad = nonFinitePath({ heldOutLoss: e.heldOutLoss, recon: e.recon, kl: e.kl });
      if (bad) {
        return error('NON_FINITE', `The held-out evaluation after step ${step} is not finite (${bad} = ${String((e as unknown as Record<string, number>)[bad])}).`, {
          step,
          fix: 'The weights have overflowed: lower the learning rate or check the graph for exploding values.',
        });
      }
      let extra = '';
      let fields = {};
      if (iwaeK !== undefined) {
        const r = iwaeEvalFields(trainer, iwaeK);
        if (!r.ok) return r.diagnostic;
        fields = r.fields;
        extra = `  nll (IWAE, K=${iwaeK}) ${r.fields.nll.toFixed(2)}  active units ${r.fields.activeUnits}/${r.fields.klPerDim.length}`;
      }
      lastEval = e;
      out.event({ event: 'eval', step, heldOutLoss: e.heldOutLoss, recon: e.recon, kl: e.kl, ...fields });
      out.line(`eval  step ${String(step).padStart(String(total).length)}  held-out −ELBO ${e.heldOutLoss.toFixed(2)}  (recon ${e.recon.toFixed(2)}, KL ${e.kl.toFixed(2)}) over ${e.count} held-out examples${extra}`);
      return null;
    };

    for (let step = 1; step <= total; step++) {
      const r = trainer.step();
      if (!r.ok) {
        await writeRecord();
        return stop(r.diagnostic);
      }
      const m = r.metrics;
      recorder?.stepDone(m);
      last = m;
      if (step === 1) afterFirstStep = tf.memory().numTensors;
      else times.push(m.ms);
      const bad = nonFinitePath({ recon: m.recon, kl: m.kl, msPerStep: m.ms });
      if (bad) {
        return stop(error('NON_FINITE', `Step ${step} gave a non-finite ${bad} while the loss stayed finite; training stopped.`, { node: plan.optimizer, port: 'loss', step }));
      }
      const lastStep = step === total;
      if (step % logEvery === 0 || lastStep) {
        out.event({ event: 'step', step, loss: m.loss, recon: m.recon, kl: m.kl, msPerStep: round3(m.ms) });
        const ms = times.length ? median(times.slice(-50)) : m.ms;
        out.line(
          `step ${String(step).padStart(String(total).length)}/${total}  epoch ${m.epoch + 1}/${epochs}  loss ${m.loss.toFixed(2)}  recon ${m.recon.toFixed(2)}  KL ${m.kl.toFixed(2)}  ${ms.toFixed(1)} ms/step  ETA ${formatDuration((total - step) * ms)}`,
        );
      }
      if (!lastStep) {
        const ms = times.length ? median(times.slice(-20)) : m.ms;
        out.progress(`${bar(step / total)} step ${step}/${total}  epoch ${m.epoch + 1}/${epochs}  loss ${m.loss.toFixed(2)}  ${ms.toFixed(1)} ms/step  ETA ${formatDuration((total - step) * ms)}`);
      }
      if (step % perEpoch === 0 || lastStep) {
        const d = runEval(step);
        if (d) return stop(d);
      }
    }
    out.clearBar();
    await writeRecord();
    if (recorder) out.note(`Recorded ${total} steps in ${recordDir!}: replay them with train.py --replay ${recordDir!}.`);
    const end = tf.memory().numTensors;
    const msPerStep = times.length ? median(times) : last!.ms;
    const final = lastEval as EvalMetrics | null;
    if (outDir !== undefined) {
      // Saved before `done`, so that a failed write is an error with no done after it.
      const saved = await saveModel(outDir, trainer, graph, { steps: total, heldOutLoss: final!.heldOutLoss });
      out.note(`Saved ${saved.weights} weight tensors (${saved.bytes.toLocaleString('en-US')} bytes): ${saved.files.join(', ')}.`);
    }
    out.event({
      event: 'done',
      steps: total,
      loss: last!.loss,
      heldOutLoss: final!.heldOutLoss,
      msPerStep: round3(msPerStep),
      numTensors: { afterFirstStep, end },
    });
    out.line(
      `done  ${total} steps in ${formatDuration(performance.now() - t0)}  loss ${last!.loss.toFixed(2)}  held-out −ELBO ${final!.heldOutLoss.toFixed(2)}  ${msPerStep.toFixed(1)} ms/step (median of steps 2…${total})  tensors ${afterFirstStep} → ${end}${end === afterFirstStep ? '' : ' (LEAK)'}`,
    );
    return 0;
  } finally {
    trainer.dispose();
  }
}
