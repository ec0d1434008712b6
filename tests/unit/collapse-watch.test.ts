/**
 * The posterior-collapse alarm's rule (watchCollapse, issue 17 point 4): no alarm early in a
 * healthy run, an alarm once collapse is established over consecutive held-out statistics
 * after the minimum number of steps, and none any more once the run recovers.
 */
import { describe, expect, it } from 'vitest';
import {
  COLLAPSE_CALM,
  COLLAPSE_CONSECUTIVE,
  COLLAPSE_MIN_STEPS,
  collapseRuleText,
  watchCollapse,
  type CollapseWatch,
} from '../../src/runtime/instruments/collapse';

interface Stat {
  step: number;
  activeUnits: number;
  klTotal: number;
}

/** The alarm after each statistic, in order. */
function alarms(trajectory: Stat[], from: CollapseWatch = COLLAPSE_CALM): boolean[] {
  const out: boolean[] = [];
  let w = from;
  for (const s of trajectory) {
    w = watchCollapse(w, s);
    out.push(w.alarm);
  }
  return out;
}

/**
 * Like the standard preset on the cpu backend: single steps paused one by one (the issue's
 * "0/20 units active · KL 0.26 nats" at step 12), then the evaluations every 50 steps, the
 * KL rising and the units waking up (the integration test measures KL 18, 20/20 at step 300).
 */
const healthy: Stat[] = [
  ...Array.from({ length: 12 }, (_, i) => ({ step: i + 1, activeUnits: 0, klTotal: 0.02 * (i + 1) + 0.02 })),
  { step: 12, activeUnits: 0, klTotal: 0.26 },
  { step: 50, activeUnits: 0, klTotal: 0.41 },
  { step: 100, activeUnits: 2, klTotal: 1.9 },
  { step: 150, activeUnits: 6, klTotal: 5.2 },
  { step: 200, activeUnits: 11, klTotal: 9.7 },
  { step: 250, activeUnits: 16, klTotal: 14.1 },
  { step: 300, activeUnits: 20, klTotal: 18.0 },
];

/** Like the posterior-collapse preset: the KL falls to ~0 (0.006 nats measured at 300) and no unit stays active. */
const collapsed: Stat[] = [50, 100, 150, 200, 250, 300, 350, 400].map((step) => ({ step, activeUnits: 0, klTotal: step < 150 ? 0.3 : 0.006 }));

describe('watchCollapse', () => {
  it('never alarms on a healthy standard-like run, however early it looks collapsed', () => {
    expect(alarms(healthy)).toEqual(healthy.map(() => false));
  });

  it('alarms on a collapsed run only after the minimum steps and consecutive evaluations', () => {
    const a = alarms(collapsed);
    const counted = collapsed.map((s) => s.step >= COLLAPSE_MIN_STEPS);
    const firstCounted = counted.indexOf(true);
    const firstAlarm = a.indexOf(true);
    expect(firstAlarm).toBe(firstCounted + COLLAPSE_CONSECUTIVE - 1);
    expect(collapsed[firstAlarm]!.step).toBe(300);
    expect(a.slice(firstAlarm)).toEqual(a.slice(firstAlarm).map(() => true));
    expect(a.slice(0, firstAlarm)).toEqual(a.slice(0, firstAlarm).map(() => false));
  });

  it('counts the same step twice once (a pause right after an evaluation)', () => {
    const w = alarms([200, 200, 200, 250].map((step) => ({ step, activeUnits: 0, klTotal: 0.001 })));
    expect(w).toEqual([false, false, false, false]);
  });

  it('clears when the run recovers, and needs consecutive collapsed statistics again', () => {
    const run: Stat[] = [
      ...collapsed.slice(0, 6), // alarm at 300
      { step: 350, activeUnits: 3, klTotal: 2.5 }, // recovered (e.g. KL warm-up)
      { step: 400, activeUnits: 0, klTotal: 0.01 },
      { step: 450, activeUnits: 0, klTotal: 0.01 },
      { step: 500, activeUnits: 0, klTotal: 0.01 },
    ];
    expect(alarms(run).slice(5)).toEqual([true, false, false, false, true]);
  });

  it('starts over when the steps go back (a Reset)', () => {
    let w = COLLAPSE_CALM;
    for (const s of collapsed) w = watchCollapse(w, s);
    expect(w.alarm).toBe(true);
    w = watchCollapse(w, { step: 250, activeUnits: 0, klTotal: 0.001 });
    expect(w.alarm).toBe(false);
    expect(w.streak).toBe(1);
  });

  it('either sign of collapse counts: no active unit, or a total KL under half a nat', () => {
    const few = [200, 250, 300].map((step) => ({ step, activeUnits: 4, klTotal: 0.2 }));
    expect(alarms(few).at(-1)).toBe(true);
    const none = [200, 250, 300].map((step) => ({ step, activeUnits: 0, klTotal: 3 }));
    expect(alarms(none).at(-1)).toBe(true);
  });

  it('takes its thresholds as options and states its rule', () => {
    const w = watchCollapse(COLLAPSE_CALM, { step: 10, activeUnits: 0, klTotal: 0 }, { minSteps: 5, consecutive: 1 });
    expect(w.alarm).toBe(true);
    expect(collapseRuleText()).toContain(`from step ${COLLAPSE_MIN_STEPS} on, ${COLLAPSE_CONSECUTIVE} consecutive held-out evaluations`);
  });
});
