/**
 * `train --record REC` (DESIGN.md §9): everything a PyTorch replay needs to recompute VAE
 * Lab's run step by step — the initial weights, each step's batch (example indices), every
 * noise tensor and binarization draw, and each step's loss — in files numpy reads without
 * pickle. It decorates the trainer's data feed and the model's RandomSource; training itself
 * is unchanged.
 *
 *   REC/record.json          format, seed, batchSize, graph, and per step: loss, recon, kl,
 *                            batch [offset, count] into indices.npy, noise [{node, stream,
 *                            shape, offset}] into noise.npy, binarized [{node, shape, offset}]
 *   REC/indices.npy          int32, every step's digits (indices into the MNIST package order)
 *   REC/noise.npy            float32, every noise tensor, flat, in draw order
 *   REC/binarized.npy        uint8 0/1, data.mnist "sample" binarizations, flat
 *   REC/initial.safetensors  the weights before step 1 (the weights file format)
 */
import type * as tf from '@tensorflow/tfjs';
import type { DataFeed, RandomSource } from '../../nodes/types';
import { encodeNpy } from '../export/npy';
import type { StepMetrics, Trainer } from './trainer';
import { encodeModelWeights } from './weights';

export const RECORD_FORMAT = 'vae-lab/record';

interface NoiseEntry {
  node: string;
  stream: string;
  shape: number[];
  offset: number;
}

interface StepRecord {
  step: number;
  loss: number;
  recon: number;
  kl: number;
  batch: [number, number];
  noise: NoiseEntry[];
  binarized: Array<{ node: string; shape: number[]; offset: number }>;
}

class Chunks<T extends Float32Array | Int32Array | Uint8Array> {
  parts: T[] = [];
  length = 0;
  push(a: T): number {
    const at = this.length;
    this.parts.push(a);
    this.length += a.length;
    return at;
  }
  /** Drop everything from `length` on (a step re-run or not applied). */
  truncate(length: number): void {
    while (this.length > length) {
      const last = this.parts.pop()!;
      this.length -= last.length;
      if (this.length < length) {
        this.parts.push(last.subarray(0, length - this.length) as T);
        this.length = length;
      }
    }
  }
  join(make: (n: number) => T): T {
    const out = make(this.length);
    let at = 0;
    for (const p of this.parts) {
      out.set(p as never, at);
      at += p.length;
    }
    return out;
  }
}

export class Recorder {
  readonly initial: Uint8Array;
  private readonly steps: StepRecord[] = [];
  private readonly indices = new Chunks<Int32Array>();
  private readonly noise = new Chunks<Float32Array>();
  private readonly binarized = new Chunks<Uint8Array>();
  private current: StepRecord | null = null;
  private marks = { indices: 0, noise: 0, binarized: 0 };

  constructor(private readonly trainer: Trainer) {
    this.initial = encodeModelWeights(trainer.model, { seed: trainer.seed, steps: 0 });
    const model = trainer.model;
    model.randomDecorator = (random, at) => (at.mode === 'train' && at.streamKey === 'train' ? this.watch(random, at.nodeId, at.step) : random);
    const trainFeed = trainer.trainFeed.bind(trainer);
    trainer.trainFeed = (step: number): DataFeed => this.feed(trainFeed(step), step);
  }

  /** Called with each applied step's metrics, after Trainer.step(). */
  stepDone(m: StepMetrics): void {
    const cur = this.current;
    if (!cur || cur.step !== m.step) throw new Error(`record: step ${m.step} was not watched`);
    Object.assign(cur, { loss: m.loss, recon: m.recon, kl: m.kl });
    this.steps.push(cur);
    this.current = null;
    this.marks = { indices: this.indices.length, noise: this.noise.length, binarized: this.binarized.length };
  }

  private begin(step: number): StepRecord {
    // A step's feed is built again when the trainer re-runs it (locating a non-finite value): start over.
    this.indices.truncate(this.marks.indices);
    this.noise.truncate(this.marks.noise);
    this.binarized.truncate(this.marks.binarized);
    const { indices } = this.trainer.dataset.batchIndices(this.trainer.seed, step, this.trainer.plan.batchSize);
    const offset = this.indices.push(Int32Array.from(indices));
    this.current = { step, loss: NaN, recon: NaN, kl: NaN, batch: [offset, indices.length], noise: [], binarized: [] };
    return this.current;
  }

  private feed(inner: DataFeed, step: number): DataFeed {
    const cur = this.begin(step);
    return {
      size: inner.size,
      labels: () => inner.labels(),
      x: (nodeId, transform) => {
        const t = inner.x(nodeId, transform);
        // a random transform (binarize "sample"): record what it drew, as a 0/1 mask
        if (transform?.random && !cur.binarized.some((b) => b.node === nodeId)) {
          const v = t.dataSync() as Float32Array;
          const mask = new Uint8Array(v.length);
          for (let i = 0; i < v.length; i++) mask[i] = v[i] !== 0 ? 1 : 0;
          cur.binarized.push({ node: nodeId, shape: [...t.shape], offset: this.binarized.push(mask) });
        }
        return t;
      },
    };
  }

  private watch(random: RandomSource, nodeId: string, step: number): RandomSource {
    const keep = (t: tf.Tensor, stream: string): tf.Tensor => {
      const cur = this.current;
      if (!cur || cur.step !== step) return t; // a draw outside a training step (instruments): not part of the run
      cur.noise.push({ node: nodeId, stream, shape: [...t.shape], offset: this.noise.push(Float32Array.from(t.dataSync() as Float32Array)) });
      return t;
    };
    return {
      normal: (shape, stream = '') => keep(random.normal(shape, stream), stream),
      uniform: (shape, stream = '') => keep(random.uniform(shape, stream), `${stream}|uniform`),
    };
  }

  /** The record's files, by name (the caller writes them into REC). */
  files(graphJson: unknown): Array<{ name: string; content: string | Uint8Array }> {
    const t = this.trainer;
    const meta = {
      format: RECORD_FORMAT,
      version: 1,
      seed: t.seed,
      batchSize: t.plan.batchSize,
      heldOut: t.plan.heldOut,
      graph: graphJson,
      steps: this.steps,
    };
    this.indices.truncate(this.marks.indices);
    this.noise.truncate(this.marks.noise);
    this.binarized.truncate(this.marks.binarized);
    return [
      { name: 'record.json', content: `${JSON.stringify(meta)}\n` },
      { name: 'indices.npy', content: encodeNpy(this.indices.join((n) => new Int32Array(n)), [this.indices.length]) },
      { name: 'noise.npy', content: encodeNpy(this.noise.join((n) => new Float32Array(n)), [this.noise.length]) },
      { name: 'binarized.npy', content: encodeNpy(this.binarized.join((n) => new Uint8Array(n)), [this.binarized.length]) },
      { name: 'initial.safetensors', content: this.initial },
    ];
  }
}
