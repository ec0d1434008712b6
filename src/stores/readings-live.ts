/**
 * The live readings (readings.ts) of the open run, and waiters: "tell me the readings of
 * these metrics once training has stopped at step ≥ N". A waiter asks the worker for what is
 * missing at that step (a held-out evaluation, the latent statistics, the image grids), once
 * per step and source, and is answered when all of it has arrived. The prediction panel and
 * the lesson panel check their answers this way; a student who uses neither costs nothing.
 */
import { defineStore } from 'pinia';
import { computed, watch } from 'vue';
import { useTrainingStore } from './training';
import { useInstrumentsStore } from './instruments';
import { freshSources, readingsFrom, sourcesOf, type MetricId, type Readings, type ReadingSources, type Source } from './readings';

export interface Waiter {
  /** Answer only when stopped at this step or later. */
  minStep: number;
  metrics: MetricId[];
  done: (r: Readings) => void;
}

export const useReadingsStore = defineStore('readings', () => {
  const training = useTrainingStore();
  const instruments = useInstrumentsStore();

  const sources = computed<ReadingSources>(() => ({
    step: training.step,
    last: training.last,
    lastEval: training.lastEval,
    stats: instruments.stats,
    images: training.images,
    msPerStep: training.msPerStep,
  }));
  const readings = computed<Readings>(() => readingsFrom(sources.value));
  /** Training has stopped and the trainer describes the open graph: numbers can be asked for. */
  const idle = computed(
    () => training.phase === 'ready' && !training.busy && training.canTrain && !training.needsReset && !training.fatal && !training.detached,
  );

  const waiters = new Set<Waiter>();
  /** The step each source was last asked for (asked once per step). */
  const asked = new Map<Source, number>();

  function ask(src: Source, step: number): void {
    if (asked.get(src) === step) return;
    asked.set(src, step);
    if (src === 'eval') training.evaluate();
    else if (src === 'stats') instruments.refreshStats();
    else if (src === 'images') training.refreshImages();
  }

  /** Sources asked for at a step whose answer was an error (e.g. a held-out −ELBO that is NaN). */
  const failed = new Map<Source, number>();
  training.onWorkerEvent((ev) => {
    if (ev.type !== 'error' || ev.fatal) return;
    const fresh = freshSources(sources.value);
    for (const [src, step] of asked) if (step === training.step && !fresh.has(src)) failed.set(src, step);
    queueMicrotask(service);
  });

  /** Sources that will not come at this step: the statistics failed (a graph without a latent), or the worker answered with an error. */
  function given(src: Source, step: number): boolean {
    if (failed.get(src) === step) return true;
    return src === 'stats' && !!instruments.statsError && asked.get('stats') === step;
  }

  function service(): void {
    if (!waiters.size || !idle.value) return;
    const step = training.step;
    const fresh = freshSources(sources.value);
    for (const w of [...waiters]) {
      if (step < w.minStep) continue;
      const missing = sourcesOf(w.metrics).filter((s) => !fresh.has(s) && !given(s, step) && s !== 'batch' && s !== 'timing');
      if (missing.length) {
        for (const s of missing) ask(s, step);
        continue;
      }
      waiters.delete(w);
      w.done(readings.value);
    }
  }

  /** Calls `done` with the readings once stopped at step ≥ minStep with every metric fresh; returns a cancel. */
  function waitFor(w: Waiter): () => void {
    waiters.add(w);
    queueMicrotask(service);
    return () => {
      waiters.delete(w);
    };
  }

  watch([readings, idle, () => instruments.statsError], () => service());

  return { readings, idle, waitFor };
});
