/**
 * Predict, then step (issue 17 point 1): the prediction a student commits before a Step or a
 * Run, its check against the run's own numbers once the steps are done, the score and the
 * history (kept in localStorage, exported as JSON or CSV). The checking rules are pure, in
 * prediction-check.ts; the numbers come from the live readings (readings-live.ts).
 *
 * Nothing here blocks training: a student who never predicts never sees a difference, and
 * one who predicts steps with the usual Step and Run (or the panel's "Step N").
 */
import { defineStore } from 'pinia';
import { computed, ref, shallowRef, watch } from 'vue';
import { useGraphStore } from './graph';
import { useTrainingStore } from './training';
import { useReadingsStore } from './readings-live';
import type { Readings } from './readings';
import {
  HISTORY_LIMIT,
  checkPrediction,
  historyCsv,
  historyJson,
  isEmpty,
  metricsFor,
  parseHistory,
  scoreOf,
  type HistoryEntry,
  type LossDirection,
  type LossSize,
  type Prediction,
  type ReconChange,
} from './prediction-check';

const HISTORY_KEY = 'vae-lab:predictions';
export const MAX_HORIZON = 1000;

/** The form's fields ('' = no prediction for that item). */
export interface PredictionDraft {
  horizon: number;
  loss: LossDirection | '';
  lossSize: LossSize | '';
  /** Predict the inactive dimensions (the set below). */
  predictInactive: boolean;
  inactive: number[];
  recon: ReconChange | '';
  kl: 'rises' | 'not' | '';
}

export function emptyDraft(): PredictionDraft {
  return { horizon: 1, loss: '', lossSize: '', predictInactive: false, inactive: [], recon: '', kl: '' };
}

export function draftToPrediction(d: PredictionDraft): Prediction {
  return {
    horizon: Math.max(1, Math.min(MAX_HORIZON, Math.floor(d.horizon) || 1)),
    loss: d.loss ? { direction: d.loss, size: d.lossSize || null } : null,
    inactive: d.predictInactive ? [...new Set(d.inactive)].sort((a, b) => a - b) : null,
    recon: d.recon || null,
    klRises: d.kl === '' ? null : d.kl === 'rises',
  };
}

export interface PendingPrediction {
  prediction: Prediction;
  graph: string;
  committedStep: number;
  /** The readings at the start (null while they are collected). */
  before: Readings | null;
  /** Checked at this step or later (null until the start is known). */
  target: number | null;
}

function readHistory(): HistoryEntry[] {
  try {
    return typeof localStorage !== 'undefined' ? parseHistory(localStorage.getItem(HISTORY_KEY)) : [];
  } catch {
    return [];
  }
}

export const usePredictStore = defineStore('predict', () => {
  const graphStore = useGraphStore();
  const training = useTrainingStore();
  const live = useReadingsStore();

  /** The panel is open (it starts collapsed: nothing is asked of a student who does not predict). */
  const open = ref(false);
  const draft = ref<PredictionDraft>(emptyDraft());
  const pending = shallowRef<PendingPrediction | null>(null);
  /** The last checked prediction, shown until the next commit. */
  const lastResult = shallowRef<HistoryEntry | null>(null);
  const history = shallowRef<HistoryEntry[]>(readHistory());
  /** Why the last prediction did not get checked (a new graph, a Reset), or null. */
  const notice = ref<string | null>(null);
  let cancelWait: (() => void) | null = null;

  const score = computed(() => scoreOf(history.value.flatMap((e) => e.verdicts)));
  const canCommit = computed(() => !pending.value && live.idle && !isEmpty(draftToPrediction(draft.value)));
  /** Steps still to train before the check (null while the start is collected). */
  const stepsToGo = computed(() => {
    const p = pending.value;
    if (!p || p.target === null) return null;
    return Math.max(0, p.target - training.step);
  });

  function saveHistory(): void {
    try {
      localStorage.setItem(HISTORY_KEY, historyJson(history.value));
    } catch {
      // best effort: the history still lives in the page
    }
  }

  /** Commits the form's prediction from the current step; false when it cannot (running, nothing predicted, one pending). */
  function commit(): boolean {
    if (!canCommit.value) return false;
    const prediction = draftToPrediction(draft.value);
    const metrics = metricsFor(prediction);
    const start: PendingPrediction = { prediction, graph: graphStore.graph.meta.name, committedStep: training.step, before: null, target: null };
    pending.value = start;
    lastResult.value = null;
    notice.value = null;
    cancelWait = live.waitFor({
      minStep: training.step,
      metrics,
      done: (before) => {
        const withStart = { ...start, before, target: before.step + prediction.horizon };
        pending.value = withStart;
        cancelWait = live.waitFor({ minStep: withStart.target, metrics, done: (after) => resolve(withStart, before, after) });
      },
    });
    return true;
  }

  /** Commits, then trains exactly the horizon's steps once the start is known. */
  function commitAndStep(): boolean {
    if (!commit()) return false;
    const stepWhenReady = watch(
      () => pending.value,
      (p) => {
        if (!p) return stepWhenReady();
        if (p.before && p.target !== null) {
          stepWhenReady();
          training.stepBy(p.target - training.step);
        }
      },
    );
    return true;
  }

  function resolve(p: PendingPrediction, before: Readings, after: Readings): void {
    cancelWait = null;
    const entry: HistoryEntry = {
      at: new Date().toISOString(),
      graph: p.graph,
      fromStep: before.step,
      toStep: after.step,
      horizon: p.prediction.horizon,
      verdicts: checkPrediction(p.prediction, before, after),
    };
    pending.value = null;
    lastResult.value = entry;
    history.value = [...history.value, entry].slice(-HISTORY_LIMIT);
    saveHistory();
  }

  function cancel(reason: string | null = null): void {
    cancelWait?.();
    cancelWait = null;
    if (pending.value && reason) notice.value = reason;
    pending.value = null;
  }

  function clearHistory(): void {
    history.value = [];
    lastResult.value = null;
    saveHistory();
  }

  const exportJson = () => historyJson(history.value);
  const exportCsv = () => historyCsv(history.value);

  // A new graph, or a Reset below the start: the prediction no longer describes this run.
  watch(
    () => graphStore.documentVersion,
    () => cancel('The prediction was dropped: another graph was opened.'),
  );
  watch(
    () => training.step,
    (step) => {
      const p = pending.value;
      if (p && step < (p.before?.step ?? p.committedStep)) cancel('The prediction was dropped: training was reset.');
    },
  );

  return {
    open,
    draft,
    pending,
    lastResult,
    history,
    notice,
    score,
    canCommit,
    stepsToGo,
    commit,
    commitAndStep,
    cancel,
    clearHistory,
    exportJson,
    exportCsv,
  };
});
