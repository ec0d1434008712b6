/**
 * Guided lessons: every file in lessons/ passes the lesson schema, goes with a preset, checks
 * only metrics the app provides, and its formulas are valid KaTeX; a lesson is never a graph;
 * a broken lesson is a coded error; the checks of readings and predictions; and the lesson
 * store against a fake worker (posterior-collapse: "the KL will rise" is marked wrong).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { beforeEach, describe, expect, it } from 'vitest';
import { nextTick } from 'vue';
import { createPinia, setActivePinia } from 'pinia';
import katex from 'katex';
import { checkLessonPrediction, checkReading, conditionHolds, parseLesson, splitMath, type Lesson, type PredictionAsk, type ReadingAsk } from '../../src/stores/lesson-schema';
import { METRICS, METRIC_IDS, readingsFrom, type Readings } from '../../src/stores/readings';
import { LESSONS, useLessonStore } from '../../src/stores/lessons';
import { PRESETS } from '../../src/stores/presets';
import { parseGraph } from '../../src/graph/schema';
import { registry } from '../../nodes';
import { helpEntry } from '../../src/components/help/catalogue';
import { useGraphStore } from '../../src/stores/graph';
import { useTrainingStore } from '../../src/stores/training';
import { useInstrumentsStore } from '../../src/stores/instruments';
import { FakeWorker } from '../fixtures/fake-worker';
import type { WorkerEvent } from '../../src/worker/protocol';

const DIR = new URL('../../lessons/', import.meta.url);
const FILES = readdirSync(DIR).filter((f) => f.endsWith('.json'));
const REQUIRED = ['standard-vae', 'bug-hunt', 'beta-vae', 'posterior-collapse', 'kl-warmup', 'gaussian-decoder', 'k-samples', 'latent-2d', 'conv-vae'];

function lessonFile(f: string): Lesson {
  const r = parseLesson(readFileSync(new URL(f, DIR), 'utf8'), f);
  if (!r.ok) throw new Error(`${f}: ${r.diagnostics.map((d) => `${d.code} ${d.message}`).join('; ')}`);
  return r.lesson;
}

/** Every source of the live app, fresh at one step, with a latent and image grids. */
const FULL = readingsFrom({
  step: 300,
  last: { step: 300, epoch: 4, loss: 140, recon: 120, kl: 20, klWeighted: 20, ms: 20 },
  lastEval: { step: 300, heldOutLoss: 140, recon: 122, kl: 18, count: 1000 },
  stats: { step: 300, klPerDim: [1, 2], muVariance: [0.5, 0.001], activeUnits: 1, latentDim: 2, activeThreshold: 0.01 },
  images: { step: 300, inputs: { count: 1, width: 1, height: 1, pixels: Uint8Array.from([255]) }, recons: { count: 1, width: 1, height: 1, pixels: Uint8Array.from([200]) } },
  msPerStep: 20,
});

function katexOk(tex: string): void {
  expect(() => katex.renderToString(tex, { throwOnError: true, strict: 'error' }), tex).not.toThrow();
}

describe('the lesson files', () => {
  it('there is one per preset the issue names, named after its preset, and no other', () => {
    expect(FILES.map((f) => f.replace(/\.json$/, '')).sort()).toEqual([...REQUIRED].sort());
  });

  for (const f of FILES) {
    describe(f, () => {
      const lesson = lessonFile(f);

      it('passes the schema and goes with an existing preset of its own name', () => {
        expect(lesson.preset).toBe(f.replace(/\.json$/, ''));
        expect(PRESETS.map((p) => p.id)).toContain(lesson.preset);
        expect(lesson.steps.length).toBeGreaterThanOrEqual(3);
        expect(lesson.steps.length).toBeLessThanOrEqual(8);
      });

      it('checks only metrics the app provides', () => {
        for (const s of lesson.steps) {
          expect(METRIC_IDS, `${s.id}: ${s.ask.metric}`).toContain(s.ask.metric);
          expect(FULL[s.ask.metric], `${s.id}: the app gives no number for ${s.ask.metric}`).not.toBeNull();
        }
      });

      it('links only help topics the app has', () => {
        for (const s of lesson.steps) for (const t of s.help) expect(helpEntry(registry, t), `${s.id}: help-${t}`).toBeDefined();
      });

      it('its formulas are valid KaTeX, display and inline', () => {
        for (const s of lesson.steps) {
          if (s.formula) katexOk(s.formula);
          for (const t of [s.text, s.do, s.explain]) for (const part of splitMath(t)) if (part.tex) katexOk(part.value);
        }
      });

      it('every prediction can come out either way: some change makes each choice true', () => {
        for (const s of lesson.steps) {
          if (s.ask.kind !== 'prediction') continue;
          const values = [-1e6, -1, 0, 0.001, 0.5, 1, 5, 10, 50, 100, 150, 200, 300, 1e6];
          for (const c of s.ask.choices) {
            const possible = values.some((b) => values.some((a) => conditionHolds(c.when, b, a)));
            expect(possible, `${s.id}: “${c.label}” can never be right`).toBe(true);
          }
        }
      });

      it('is never a graph', () => {
        const g = parseGraph(readFileSync(new URL(f, DIR), 'utf8'), registry);
        expect(g.ok).toBe(false);
        if (!g.ok) expect(g.diagnostics[0]!.code).toBe('WRONG_FORMAT');
      });
    });
  }

  it('the app loads every lesson file, all of them valid, and offers none as a preset', () => {
    expect([...LESSONS.keys()].sort()).toEqual(FILES.map((f) => f.replace(/\.json$/, '')).sort());
    for (const [id, r] of LESSONS) expect(r.ok, id).toBe(true);
    for (const p of PRESETS) expect((p.value as { format?: string }).format).toBe('vae-lab/graph');
  });
});

describe('a broken lesson is a coded error', () => {
  const good = lessonFile('posterior-collapse.json');
  const withAsk = (ask: unknown) => ({ ...good, steps: good.steps.map((s, i) => (i === 1 ? { ...s, ask } : s)) });

  it('an unknown metric: SCHEMA at its path', () => {
    const r = parseLesson(withAsk({ ...good.steps[1]!.ask, metric: 'sharpness' }));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.diagnostics[0]).toMatchObject({ code: 'SCHEMA', path: 'steps[1].ask.metric' });
  });

  it('too few steps, an unknown key, a bad condition: SCHEMA', () => {
    for (const bad of [
      { ...good, steps: good.steps.slice(0, 2) },
      { ...good, extra: 1 },
      withAsk({ ...good.steps[1]!.ask, choices: [{ label: 'x', when: { test: 'between', min: 2, max: 1 } }, { label: 'y', when: { test: 'rises' } }] }),
    ]) {
      const r = parseLesson(bad);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.diagnostics[0]!.code).toBe('SCHEMA');
    }
  });

  it('a graph, a newer version, broken JSON: WRONG_FORMAT, UNSUPPORTED_VERSION, INVALID_JSON', () => {
    const graph = readFileSync(new URL('../../presets/posterior-collapse.json', import.meta.url), 'utf8');
    const g = parseLesson(graph);
    expect(!g.ok && g.diagnostics[0]!.code).toBe('WRONG_FORMAT');
    expect(!g.ok && g.diagnostics[0]!.message).toContain('it is a graph');
    const v = parseLesson({ ...good, version: 2 });
    expect(!v.ok && v.diagnostics[0]!.code).toBe('UNSUPPORTED_VERSION');
    const j = parseLesson('{"format": ');
    expect(!j.ok && j.diagnostics[0]!.code).toBe('INVALID_JSON');
  });
});

describe('lesson checks', () => {
  const r = (over: Partial<Readings>): Readings => ({ ...FULL, ...over });

  it('a reading is right within its tolerance of the value now, and says the value', () => {
    const ask: ReadingAsk = { kind: 'reading', question: 'KL?', metric: 'heldOutKl', tolerance: { abs: 0.01, rel: 0.1 }, minStep: 0 };
    expect(checkReading(ask, 18.5, r({}))!.right).toBe(true); // 10% of 18 = 1.8
    const wrong = checkReading(ask, 21, r({}))!;
    expect(wrong.right).toBe(false);
    expect(wrong.reason).toContain('18 nats');
    const exact: ReadingAsk = { ...ask, metric: 'activeUnits', tolerance: { abs: 0, rel: 0 } };
    expect(checkReading(exact, 1, r({}))!.right).toBe(true);
    expect(checkReading(exact, 2, r({}))!.right).toBe(false);
    expect(checkReading(exact, 1, r({ activeUnits: null }))).toBeNull();
  });

  it('a prediction is right when the picked choice holds for the change, and names what was true', () => {
    const ask: PredictionAsk = {
      kind: 'prediction',
      question: 'Will the KL rise?',
      metric: 'heldOutKl',
      steps: 20,
      choices: [
        { label: 'rises', when: { test: 'rises' } },
        { label: 'falls', when: { test: 'falls' } },
      ],
    };
    const before = r({ step: 0, heldOutKl: 0.098 });
    const after = r({ step: 20, heldOutKl: 0.047 });
    const v = checkLessonPrediction(ask, 0, before, after)!;
    expect(v.right).toBe(false);
    expect(v.reason).toContain('0.098 nats → 0.047 nats from step 0 to 20: it fell');
    expect(v.reason).toContain('True: “falls”');
    expect(checkLessonPrediction(ask, 1, before, after)!.right).toBe(true);
    expect(conditionHolds({ test: 'between', min: 1, max: 2 }, 0, 2)).toBe(true);
    expect(conditionHolds({ test: 'below', value: 200 }, 0, 200)).toBe(false);
    expect(conditionHolds({ test: 'atLeast', value: 200 }, 0, 200)).toBe(true);
  });

  it('splits $…$ into formulas and leaves an odd $ as text', () => {
    expect(splitMath('a $x$ b $y')).toEqual([
      { tex: false, value: 'a ' },
      { tex: true, value: 'x' },
      { tex: false, value: ' b $y' },
    ]);
  });

  it('every metric has where-to-read text', () => {
    for (const id of METRIC_IDS) expect(METRICS[id].where.length).toBeGreaterThan(5);
  });
});

describe('lesson store (posterior-collapse, fake worker)', () => {
  beforeEach(() => setActivePinia(createPinia()));

  function ready(): WorkerEvent {
    return { type: 'ready', backend: 'wasm', renderer: null, seed: 1, step: 0, stepsPerEpoch: 71, parameters: 1, nodes: [], decoder: 'dec', latentDim: 20, numTensors: 1 };
  }
  const evaluated = (step: number, kl: number): WorkerEvent => ({ type: 'evaluated', metrics: { step, heldOutLoss: 500, recon: 500 - kl, kl, count: 1000 }, epochEnd: false });
  const settle = async () => {
    for (let i = 0; i < 4; i++) await nextTick();
  };

  it('opens with the preset, and marks “the KL will rise” wrong once the 20 steps are trained', async () => {
    const graph = useGraphStore();
    graph.useStorage(null);
    const training = useTrainingStore();
    let worker: FakeWorker | null = null;
    training.useWorkerFactory(() => (worker = new FakeWorker()));
    useInstrumentsStore();
    const store = useLessonStore();
    expect(store.open).toBe(false);
    expect(graph.loadPreset('posterior-collapse').ok).toBe(true);
    expect(store.lessonId).toBe('posterior-collapse');
    expect(store.open).toBe(true);
    training.start();
    const w = worker as unknown as FakeWorker;
    w.emit(ready());

    const i = store.lesson!.steps.findIndex((s) => s.ask.kind === 'prediction' && s.ask.metric === 'heldOutKl');
    store.go(i);
    const ask = store.lesson!.steps[i]!.ask as PredictionAsk;
    store.choose(i, ask.choices.findIndex((c) => c.when.test === 'rises'));
    store.commit(i);
    await settle();
    expect(store.progress[i]!.note).toBeNull();
    expect(store.progress[i]!.phase).toBe('collecting');
    w.emit(evaluated(0, 0.098));
    await settle();
    expect(store.progress[i]).toMatchObject({ phase: 'training', target: 20 });
    expect(store.stepsToGo(i)).toBe(20);
    store.trainFor(i);
    expect(w.of('step')).toEqual([{ type: 'step', n: 20 }]);
    for (let s = 1; s <= 20; s++) w.emit({ type: 'stepped', metrics: { step: s, epoch: 0, loss: 300, recon: 299, kl: 0.05, klWeighted: 2.5, ms: 20 }, numTensors: 5 });
    w.emit({ type: 'state', running: false, step: 20, reason: 'done' });
    await settle();
    expect(w.of('evaluate')).toHaveLength(2);
    w.emit(evaluated(20, 0.047));
    await settle();
    const p = store.progress[i]!;
    expect(p.phase).toBe('done');
    expect(p.verdict!.right).toBe(false);
    expect(p.verdict!.reason).toContain('it fell');
    expect(store.score).toMatchObject({ right: 0, checked: 1 });

    store.close();
    expect(store.open).toBe(false);
    graph.newGraph();
    expect(store.available).toBe(false);
    expect(store.open).toBe(false);
  });
});
