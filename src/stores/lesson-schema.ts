/**
 * Guided lessons (issue 17 point 2): one JSON file per preset in lessons/, parsed here with a
 * zod schema, and the pure checks of a student's answers against the instruments.
 *
 * A lesson is never a graph: its `format` is "vae-lab/lesson" (a graph file's parser refuses
 * it, and the presets menu never lists lessons/). A lesson that fails its schema is a coded
 * error (INVALID_JSON, WRONG_FORMAT, UNSUPPORTED_VERSION or SCHEMA with the JSON path), shown
 * in the lesson panel instead of the lesson.
 *
 * A step says what to do and asks one of:
 * - a reading: "how many units are active now?" The student types a number; it is right when
 *   it is within the tolerance of the metric's value at the current step (after at least
 *   `minStep` steps);
 * - a prediction: "will the held-out KL rise over the next 20 steps?" The student picks a
 *   choice before training; each choice has a condition on the metric after the steps
 *   (rises, falls, below, atLeast, between); the pick is right when its condition holds.
 *
 * Metrics are the ids of readings.ts (METRICS): the schema accepts nothing else.
 */
import { z } from 'zod';
import { error, type Diagnostic } from '../graph/diagnostics';
import { GRAPH_FORMAT, formatPath } from '../graph/schema';
import { METRICS, METRIC_IDS, formatReading, type MetricId, type Readings } from './readings';

export const LESSON_FORMAT = 'vae-lab/lesson';
export const LESSON_VERSION = 1;
/** The most steps a prediction may look ahead (the panels' "Step N" runs them in one go). */
export const MAX_LESSON_STEPS_AHEAD = 1000;

const text = (max: number) => z.string().trim().min(1).max(max);

const Condition = z.discriminatedUnion('test', [
  z.strictObject({ test: z.literal('rises') }),
  z.strictObject({ test: z.literal('falls') }),
  z.strictObject({ test: z.literal('below'), value: z.number() }),
  z.strictObject({ test: z.literal('atLeast'), value: z.number() }),
  z
    .strictObject({ test: z.literal('between'), min: z.number(), max: z.number() })
    .refine((c) => c.min <= c.max, { message: 'min must not exceed max' }),
]);
export type Condition = z.infer<typeof Condition>;

const Metric = z.enum(METRIC_IDS);

const ReadingAsk = z.strictObject({
  kind: z.literal('reading'),
  question: text(300),
  metric: Metric,
  /** Right when |answer − value| ≤ max(abs, rel·|value|). */
  tolerance: z.strictObject({ abs: z.number().min(0).default(0), rel: z.number().min(0).max(1).default(0) }).default({ abs: 0, rel: 0 }),
  /** The reading counts only after this many training steps. */
  minStep: z.number().int().min(0).max(100000).default(0),
});

const PredictionAsk = z.strictObject({
  kind: z.literal('prediction'),
  question: text(300),
  metric: Metric,
  /** Checked after this many more steps. */
  steps: z.number().int().min(1).max(MAX_LESSON_STEPS_AHEAD),
  choices: z.array(z.strictObject({ label: text(120), when: Condition })).min(2).max(6),
});

const Ask = z.discriminatedUnion('kind', [ReadingAsk, PredictionAsk]);
export type ReadingAsk = z.infer<typeof ReadingAsk>;
export type PredictionAsk = z.infer<typeof PredictionAsk>;
export type Ask = z.infer<typeof Ask>;

const LessonStep = z.strictObject({
  id: z.string().regex(/^[a-z][a-z0-9-]{0,39}$/, 'a step id is lower-case letters, digits and "-"'),
  title: text(80),
  /** What this step is about. `$…$` is inline KaTeX. */
  text: text(1500),
  /** A display formula (KaTeX source), when the step needs one. */
  formula: text(800).optional(),
  /** What to do in the app before answering. */
  do: text(400),
  ask: Ask,
  /** Shown once the answer is checked: why the instruments say what they say. `$…$` is inline KaTeX. */
  explain: text(1500),
  /** Help topics (the `help-<topic>` popovers) worth opening at this step. */
  help: z.array(z.string().regex(/^[a-z][a-zA-Z0-9.-]{0,79}$/)).max(4).default([]),
});
export type LessonStep = z.infer<typeof LessonStep>;

export const LessonSchema = z
  .strictObject({
    format: z.literal(LESSON_FORMAT),
    version: z.literal(LESSON_VERSION),
    /** The preset this lesson goes with (its file name without .json). */
    preset: z.string().regex(/^[a-z0-9][a-z0-9-]*$/),
    title: text(100),
    summary: text(600),
    steps: z.array(LessonStep).min(3).max(8),
  })
  .superRefine((l, ctx) => {
    const seen = new Set<string>();
    l.steps.forEach((s, i) => {
      if (seen.has(s.id)) ctx.addIssue({ code: 'custom', path: ['steps', i, 'id'], message: `duplicate step id "${s.id}"` });
      seen.add(s.id);
    });
  });
export type Lesson = z.infer<typeof LessonSchema>;

export type LessonResult = { ok: true; lesson: Lesson } | { ok: false; diagnostics: Diagnostic[] };

/** Parses a lesson (its text or a JSON value). Never throws on input. */
export function parseLesson(input: unknown, source = 'The lesson'): LessonResult {
  let value = input;
  if (typeof input === 'string') {
    try {
      value = JSON.parse(input);
    } catch (e) {
      return { ok: false, diagnostics: [error('INVALID_JSON', `${source} is not valid JSON: ${e instanceof Error ? e.message : String(e)}.`)] };
    }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, diagnostics: [error('WRONG_FORMAT', `${source} is not a VAE Lab lesson: expected an object with "format": "${LESSON_FORMAT}".`)] };
  }
  const doc = value as Record<string, unknown>;
  if (doc.format !== LESSON_FORMAT) {
    const what = doc.format === GRAPH_FORMAT ? ' (it is a graph, not a lesson)' : '';
    return {
      ok: false,
      diagnostics: [error('WRONG_FORMAT', `${source} is not a VAE Lab lesson${what}: "format" is ${JSON.stringify(doc.format ?? null)}, expected "${LESSON_FORMAT}".`, { path: 'format' })],
    };
  }
  if (typeof doc.version === 'number' && doc.version > LESSON_VERSION) {
    return { ok: false, diagnostics: [error('UNSUPPORTED_VERSION', `${source} is version ${doc.version}; this VAE Lab reads lessons up to version ${LESSON_VERSION}.`, { path: 'version' })] };
  }
  const r = LessonSchema.safeParse(doc);
  if (!r.success) {
    return {
      ok: false,
      diagnostics: r.error.issues.slice(0, 20).map((issue) => {
        const path = formatPath(issue.path);
        return error('SCHEMA', `${source}: ${path ? `${path}: ` : ''}${issue.message}`, { path });
      }),
    };
  }
  return { ok: true, lesson: r.data };
}

/** The metrics a lesson's checks read. */
export function lessonMetrics(lesson: Lesson): MetricId[] {
  return [...new Set(lesson.steps.map((s) => s.ask.metric))];
}

// ---------------------------------------------------------------- checks

export interface LessonVerdict {
  right: boolean;
  /** The numbers that decide it, in words. */
  reason: string;
}

export function conditionHolds(c: Condition, before: number, after: number): boolean {
  switch (c.test) {
    case 'rises':
      return after > before;
    case 'falls':
      return after < before;
    case 'below':
      return after < c.value;
    case 'atLeast':
      return after >= c.value;
    case 'between':
      return after >= c.min && after <= c.max;
  }
}

/** A reading typed by the student against the metric's value now. Null: the metric has no value here. */
export function checkReading(ask: ReadingAsk, answer: number, r: Readings): LessonVerdict | null {
  const value = r[ask.metric];
  if (value === null) return null;
  const tol = Math.max(ask.tolerance.abs, ask.tolerance.rel * Math.abs(value));
  const right = Number.isFinite(answer) && Math.abs(answer - value) <= tol + 1e-12;
  const shown = formatReading(ask.metric, value);
  const within = tol > 0 ? ` (answers within ${Number(tol.toPrecision(3))} count)` : '';
  return { right, reason: `At step ${r.step} the ${METRICS[ask.metric].label} is ${shown}${within}; you answered ${answer}.` };
}

/** A picked choice against the metric before and after the steps. Null: the metric has no value here. */
export function checkLessonPrediction(ask: PredictionAsk, choice: number, before: Readings, after: Readings): LessonVerdict | null {
  const b = before[ask.metric];
  const a = after[ask.metric];
  const picked = ask.choices[choice];
  if (b === null || a === null || !picked) return null;
  const holds = ask.choices.map((c) => conditionHolds(c.when, b, a));
  const right = holds[choice]!;
  const trueLabels = ask.choices.filter((_, i) => holds[i]).map((c) => `“${c.label}”`);
  const moved = a > b ? 'rose' : a < b ? 'fell' : 'did not change';
  const label = METRICS[ask.metric].label;
  return {
    right,
    reason: `The ${label} went ${formatReading(ask.metric, b)} → ${formatReading(ask.metric, a)} from step ${before.step} to ${after.step}: it ${moved}. ${
      trueLabels.length ? `True: ${trueLabels.join(', ')}.` : 'None of the choices holds.'
    }`,
  };
}

/** Splits text at `$…$` into plain and TeX parts (an unmatched `$` stays text). */
export function splitMath(s: string): Array<{ tex: boolean; value: string }> {
  const out: Array<{ tex: boolean; value: string }> = [];
  let rest = s;
  while (rest.length) {
    const a = rest.indexOf('$');
    const b = a >= 0 ? rest.indexOf('$', a + 1) : -1;
    if (a < 0 || b < 0) {
      out.push({ tex: false, value: rest });
      break;
    }
    if (a > 0) out.push({ tex: false, value: rest.slice(0, a) });
    out.push({ tex: true, value: rest.slice(a + 1, b) });
    rest = rest.slice(b + 1);
  }
  return out;
}
