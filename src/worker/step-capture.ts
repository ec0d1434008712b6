/**
 * The tensors kept from the last step for the read-outs (numbers on wires, probes): every
 * node's outputs, and the step they belong to. After a breakpoint they are the failing
 * step's, re-run, since that step's update was not applied.
 */
import * as tf from '@tensorflow/tfjs';
import { disposeCaptured, type Captured, type Trainer } from '../runtime/trainer';

export class StepCapture {
  private kept: Captured | undefined;
  private at = 0;

  /** The captured outputs, or undefined when nothing is kept. */
  get tensors(): Captured | undefined {
    return this.kept;
  }

  /** The step the tensors belong to (it stays after free(), for the probe's message). */
  get step(): number {
    return this.at;
  }

  /** Keeps a step's captured outputs in place of the ones before. */
  keep(captured: Captured | undefined, step: number): void {
    disposeCaptured(this.kept);
    this.kept = captured;
    this.at = step;
  }

  /** Keeps step `step`'s outputs, re-running its forward (same batch, same ε) on the current weights. */
  recapture(trainer: Trainer, step: number): void {
    const captured: Captured = new Map();
    tf.tidy(() => {
      const r = trainer.model.forward({ mode: 'train', step, data: trainer.trainFeed(step), fast: trainer.fast, nodes: 'all' });
      for (const [id, outs] of r.outputs) {
        const kept: Record<string, tf.Tensor> = {};
        for (const [port, tensor] of Object.entries(outs)) kept[port] = tf.keep(tensor);
        captured.set(id, kept);
      }
    });
    this.keep(captured, step);
  }

  /** One output, by node and port. */
  output(node: string, port: string): tf.Tensor | undefined {
    return this.kept?.get(node)?.[port];
  }

  /** Frees the tensors (the step number stays). */
  free(): void {
    disposeCaptured(this.kept);
    this.kept = undefined;
  }

  /** Frees the tensors and forgets the step (a new trainer). */
  reset(): void {
    this.free();
    this.at = 0;
  }
}
