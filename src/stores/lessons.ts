/**
 * The guided lesson of the open preset (issue 17 point 2): which lesson goes with the open
 * graph (the preset of the same name, as the bug hunt finds its answer key), whether its side
 * panel is open, and the student's way through its steps: answers, the readings a prediction
 * started from, and each step's verdict. The lessons are lessons/*.json (lesson-schema.ts);
 * the numbers come from the live readings (readings-live.ts).
 */
import { defineStore } from 'pinia';
import { computed, ref, shallowRef, watch } from 'vue';
import { useGraphStore } from './graph';
import { useTrainingStore } from './training';
import { useReadingsStore } from './readings-live';
import { PRESETS } from './presets';
import { checkLessonPrediction, checkReading, parseLesson, type LessonResult, type LessonVerdict } from './lesson-schema';
import type { Readings } from './readings';

const lessonModules = import.meta.glob('../../lessons/*.json', { eager: true, import: 'default' }) as Record<string, unknown>;

/** Every lesson file by its name (without .json), parsed. */
export const LESSONS: ReadonlyMap<string, LessonResult> = new Map(
  Object.entries(lessonModules).map(([path, value]) => {
    const id = path.replace(/^.*\//, '').replace(/\.json$/, '');
    return [id, parseLesson(value, `The lesson ${id}.json`)] as const;
  }),
);

/** The preset id whose lesson goes with a graph of this name, or null. */
export function lessonIdFor(graphName: string): string | null {
  const p = PRESETS.find((x) => x.name === graphName && LESSONS.has(x.id));
  return p ? p.id : null;
}

export type StepPhase = 'idle' | 'collecting' | 'training' | 'checking' | 'done';

export interface StepProgress {
  /** The typed reading (a reading step). */
  answer: string;
  /** The picked choice (a prediction step). */
  choice: number | null;
  phase: StepPhase;
  before: Readings | null;
  /** A prediction is checked at this step. */
  target: number | null;
  verdict: LessonVerdict | null;
  /** A word for the student (e.g. "train to step 200 first"). */
  note: string | null;
}

function freshProgress(): StepProgress {
  return { answer: '', choice: null, phase: 'idle', before: null, target: null, verdict: null, note: null };
}

export const useLessonStore = defineStore('lessons', () => {
  const graphStore = useGraphStore();
  const training = useTrainingStore();
  const live = useReadingsStore();

  const lessonId = computed(() => lessonIdFor(graphStore.graph.meta.name));
  const result = computed<LessonResult | null>(() => (lessonId.value ? LESSONS.get(lessonId.value)! : null));
  const lesson = computed(() => (result.value?.ok ? result.value.lesson : null));
  const diagnostics = computed(() => (result.value && !result.value.ok ? result.value.diagnostics : []));
  const available = computed(() => result.value !== null);
  /** The side panel is open. */
  const open = ref(false);
  const current = ref(0);
  const progress = shallowRef<StepProgress[]>([]);
  const cancels = new Map<number, () => void>();

  const score = computed(() => {
    const done = progress.value.filter((p) => p.verdict);
    return { right: done.filter((p) => p.verdict!.right).length, checked: done.length, steps: lesson.value?.steps.length ?? 0 };
  });

  function patch(i: number, change: Partial<StepProgress>): void {
    const next = [...progress.value];
    next[i] = { ...(next[i] ?? freshProgress()), ...change };
    progress.value = next;
  }

  function cancelAll(): void {
    for (const c of cancels.values()) c();
    cancels.clear();
  }

  function restart(): void {
    cancelAll();
    current.value = 0;
    progress.value = (lesson.value?.steps ?? []).map(() => freshProgress());
  }

  function go(i: number): void {
    const n = lesson.value?.steps.length ?? 0;
    if (i >= 0 && i < n) current.value = i;
  }

  function setAnswer(i: number, answer: string): void {
    patch(i, { answer, note: null });
  }

  function choose(i: number, choice: number): void {
    const p = progress.value[i];
    if (p && p.phase !== 'idle' && p.phase !== 'done') return; // committed: the pick stands
    patch(i, { choice, note: null, ...(p?.phase === 'done' ? { phase: 'idle', verdict: null, before: null, target: null } : {}) });
  }

  /** Checks step i's reading against the instruments now (asking the worker for fresh numbers). */
  function check(i: number): void {
    const step = lesson.value?.steps[i];
    if (!step || step.ask.kind !== 'reading') return;
    const ask = step.ask;
    const text = progress.value[i]?.answer.trim() ?? '';
    const answer = Number(text.replace(',', '.'));
    if (!text || !Number.isFinite(answer)) return patch(i, { note: 'Type a number first.' });
    if (training.step < ask.minStep) return patch(i, { note: `Train to step ${ask.minStep} or later first (now ${training.step}).` });
    if (training.running) return patch(i, { note: 'Pause training first: the answer is checked on a stopped run.' });
    cancels.get(i)?.();
    patch(i, { phase: 'checking', note: null, verdict: null });
    cancels.set(
      i,
      live.waitFor({
        minStep: ask.minStep,
        metrics: [ask.metric],
        done: (r) => {
          cancels.delete(i);
          const verdict = checkReading(ask, answer, r);
          patch(i, verdict ? { phase: 'done', verdict } : { phase: 'idle', note: 'This graph has no such number to check against.' });
        },
      }),
    );
  }

  /** Commits step i's predicted choice: the metric now is the start; the check follows after the step's training. */
  function commit(i: number): void {
    const step = lesson.value?.steps[i];
    const p = progress.value[i];
    if (!step || step.ask.kind !== 'prediction' || !p) return;
    const ask = step.ask;
    if (p.choice === null) return patch(i, { note: 'Pick a choice first.' });
    if (!live.idle) return patch(i, { note: 'Pause training first: a prediction starts from a stopped run.' });
    const choice = p.choice;
    cancels.get(i)?.();
    patch(i, { phase: 'collecting', note: null, verdict: null, before: null, target: null });
    cancels.set(
      i,
      live.waitFor({
        minStep: training.step,
        metrics: [ask.metric],
        done: (before) => {
          const target = before.step + ask.steps;
          patch(i, { phase: 'training', before, target });
          cancels.set(
            i,
            live.waitFor({
              minStep: target,
              metrics: [ask.metric],
              done: (after) => {
                cancels.delete(i);
                const verdict = checkLessonPrediction(ask, choice, before, after);
                patch(i, verdict ? { phase: 'done', verdict } : { phase: 'idle', note: 'This graph has no such number to check against.' });
              },
            }),
          );
        },
      }),
    );
  }

  /** Steps still to train for step i (a prediction waiting for its steps, or a reading before its minStep). */
  function stepsToGo(i: number): number {
    const step = lesson.value?.steps[i];
    const p = progress.value[i];
    if (!step || !p) return 0;
    if (step.ask.kind === 'prediction') return p.phase === 'training' && p.target !== null ? Math.max(0, p.target - training.step) : 0;
    return Math.max(0, step.ask.minStep - training.step);
  }

  /** Trains exactly the steps step i still needs. */
  function trainFor(i: number): void {
    const n = stepsToGo(i);
    if (n > 0) training.stepBy(n);
  }

  function close(): void {
    open.value = false;
  }

  function show(): void {
    if (available.value) open.value = true;
  }

  // A new document: the lesson of its preset (if any) opens from its first step.
  watch(
    () => graphStore.documentVersion,
    () => {
      restart();
      open.value = available.value;
    },
    { flush: 'sync' },
  );
  // Renaming the graph may make it (or stop it being) a preset's graph.
  watch(lesson, () => restart(), { flush: 'sync' });
  // A Reset (or a new backend) starts the run over: pending predictions lose their start.
  watch(
    () => training.step,
    (s) => {
      progress.value.forEach((p, i) => {
        if ((p.phase === 'training' || p.phase === 'collecting') && p.before && s < p.before.step) {
          cancels.get(i)?.();
          cancels.delete(i);
          patch(i, { phase: 'idle', before: null, target: null, note: 'Training was reset: commit the prediction again.' });
        }
      });
    },
  );
  restart();

  return {
    lessonId,
    lesson,
    diagnostics,
    available,
    open,
    current,
    progress,
    score,
    go,
    restart,
    setAnswer,
    choose,
    check,
    commit,
    stepsToGo,
    trainFor,
    close,
    show,
  };
});
