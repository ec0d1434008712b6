import { describe, expect, it } from 'vitest';
import { Outbox, unbatch, type OutboxClock, type OutboxMessage } from '../../src/worker/outbox';
import type { WorkerEvent } from '../../src/worker/protocol';
import { clientOverFakes } from '../fixtures/fake-worker';

/** A clock the test moves by hand, with at most one timer (what the outbox sets). */
class FakeClock implements OutboxClock {
  t = 0;
  timers: Array<{ at: number; fn: () => void } | null> = [];
  now() {
    return this.t;
  }
  setTimer(fn: () => void, ms: number) {
    this.timers.push({ at: this.t + ms, fn });
    return this.timers.length - 1;
  }
  clearTimer(h: unknown) {
    this.timers[h as number] = null;
  }
  advance(ms: number) {
    this.t += ms;
    for (let i = 0; i < this.timers.length; i++) {
      const tm = this.timers[i];
      if (tm && tm.at <= this.t) {
        this.timers[i] = null;
        tm.fn();
      }
    }
  }
  get live() {
    return this.timers.filter(Boolean).length;
  }
}

const stepped = (step: number): WorkerEvent => ({ type: 'stepped', metrics: { step, epoch: 0, loss: 500 - step, recon: 490, kl: 10, klWeighted: 10, ms: 20 }, numTensors: 41 });
const state = (step: number): WorkerEvent => ({ type: 'state', running: false, step, reason: 'pause' });
const stepsOf = (m: OutboxMessage) => unbatch(m).map((e) => ((e as WorkerEvent).type === 'stepped' ? (e as { metrics: { step: number } }).metrics.step : (e as WorkerEvent).type));

function setup(interval = 100) {
  const clock = new FakeClock();
  const sent: Array<{ message: OutboxMessage; transfer: ArrayBuffer[] }> = [];
  const box = new Outbox((message, transfer) => sent.push({ message, transfer }), interval, clock);
  return { clock, sent, box };
}

describe('worker outbox: Run’s steps leave in batches', () => {
  it('sends the first step at once, then at most one message of steps per interval, in order', () => {
    const { clock, sent, box } = setup(100);
    box.post(stepped(1));
    expect(sent.map((s) => stepsOf(s.message))).toEqual([[1]]);
    // 25 ms steps: 2, 3, 4 are held, then leave together when the interval has passed.
    for (let s = 2; s <= 4; s++) {
      clock.advance(25);
      box.post(stepped(s));
    }
    expect(sent).toHaveLength(1);
    expect(box.pending).toBe(3);
    clock.advance(25);
    expect(sent.map((s) => stepsOf(s.message))).toEqual([[1], [2, 3, 4]]);
    expect(sent[1]!.message.type).toBe('batch');
    // Ten seconds of 25 ms steps: at most one message per 100 ms.
    const before = sent.length;
    for (let s = 5; s < 405; s++) {
      clock.advance(25);
      box.post(stepped(s));
    }
    clock.advance(100);
    const messages = sent.length - before;
    expect(messages).toBeLessThanOrEqual(101);
    expect(messages).toBeGreaterThanOrEqual(99);
    const all = sent.flatMap((s) => stepsOf(s.message));
    expect(all).toEqual(Array.from({ length: 404 }, (_, i) => i + 1));
    expect(clock.live).toBe(0);
  });

  it('any other event goes at once, in a message of its own right after the steps held before it, with its transfer list', () => {
    const { clock, sent, box } = setup(100);
    box.post(stepped(1));
    clock.advance(20);
    box.post(stepped(2));
    clock.advance(20);
    box.post(stepped(3));
    const buf = new ArrayBuffer(8);
    box.post(state(3), [buf]);
    expect(sent.map((s) => stepsOf(s.message))).toEqual([[1], [2, 3], ['state']]);
    expect(sent[1]!.transfer).toEqual([]);
    expect(sent[2]!.transfer).toEqual([buf]);
    // Nothing left behind: the pending timer was cleared, and an event alone is sent as itself.
    expect(clock.live).toBe(0);
    clock.advance(500);
    expect(sent).toHaveLength(3);
    box.post(state(3));
    expect(sent[3]!.message).toEqual(state(3));
  });

  it('a step after a quiet spell is not held (Run’s first step shows at once)', () => {
    const { clock, sent, box } = setup(100);
    box.post(state(0));
    clock.advance(10);
    box.post(stepped(1));
    expect(sent.map((s) => stepsOf(s.message))).toEqual([['state'], [1]]);
  });
});

describe('TrainingClient unpacks a batch', () => {
  it('delivers each event of a batch in order, and a malformed one as BAD_EVENT', () => {
    const { client, workers, got } = clientOverFakes();
    client.start();
    workers[0]!.emitRaw({ type: 'batch', events: [stepped(1), stepped(2), { type: 'stepped', metrics: 'bad' }, state(2)] });
    expect(got.map((e) => (e.type === 'stepped' ? e.metrics.step : e.type))).toEqual([1, 2, 'error', 'state']);
    expect(got[2]).toMatchObject({ code: 'BAD_EVENT' });
  });
});
