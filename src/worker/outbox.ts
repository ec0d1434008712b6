/**
 * The worker's outbox: the events of a run, posted to the main thread in fewer messages.
 *
 * While Run trains, a 'stepped' event leaves the worker after every step (40 or more a second
 * on wasm). Each postMessage wakes the page's main thread, which then competes with the
 * worker for the cores; on 2 cores the worker's profile showed 1.2 ms of each step spent in
 * postMessage. The outbox holds 'stepped' events and sends them together at most every
 * `intervalMs` (the page shows the numbers at most 10 times a second anyway). The first
 * 'stepped' after a quiet spell goes at once (Run's first step shows without delay); every
 * other kind of event goes at once, right after the steps held before it, so no event ever
 * overtakes an earlier one. A timer sends what is left when no other event comes.
 *
 * One message holds one event, as before, or `{ type: 'batch', events }` (unbatch() on the
 * main thread). No tfjs here.
 */
import type { WorkerEvent } from './protocol';

/** At most this many 'stepped' messages a second leave the worker while it runs. */
export const STEPPED_INTERVAL_MS = 100;

/** What postMessage carries: one event, or several in order. */
export type OutboxMessage = WorkerEvent | { type: 'batch'; events: WorkerEvent[] };

export interface OutboxClock {
  now(): number;
  setTimer(fn: () => void, ms: number): unknown;
  clearTimer(handle: unknown): void;
}

const realClock: OutboxClock = {
  now: () => performance.now(),
  setTimer: (fn, ms) => setTimeout(fn, ms),
  clearTimer: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

export class Outbox {
  /** 'stepped' events not sent yet. */
  private held: WorkerEvent[] = [];
  private lastSteppedSentAt = -Infinity;
  private timer: unknown = null;

  constructor(
    private readonly send: (message: OutboxMessage, transfer: ArrayBuffer[]) => void,
    private readonly intervalMs = STEPPED_INTERVAL_MS,
    private readonly clock: OutboxClock = realClock,
  ) {}

  /** Events held back now (tests, diagnosis). */
  get pending(): number {
    return this.held.length;
  }

  post(ev: WorkerEvent, transfer: ArrayBuffer[] = []): void {
    if (ev.type !== 'stepped') {
      // The held steps first; the event in a message of its own, so that the page handles a
      // heavier event (wire numbers, image grids) in a task of its own too.
      this.flush();
      this.send(ev, transfer);
      return;
    }
    this.held.push(ev);
    const since = this.clock.now() - this.lastSteppedSentAt;
    if (since >= this.intervalMs) this.flush();
    else this.timer ??= this.clock.setTimer(() => {
      this.timer = null;
      this.flush();
    }, this.intervalMs - since);
  }

  /** Sends the held steps now. */
  flush(): void {
    if (this.timer !== null) {
      this.clock.clearTimer(this.timer);
      this.timer = null;
    }
    if (!this.held.length) return;
    const events = this.held;
    this.held = [];
    this.lastSteppedSentAt = this.clock.now();
    this.send(events.length === 1 ? events[0]! : { type: 'batch', events }, []);
  }
}

/** The events of one message from the worker, in order (a batch unpacked; anything else as it is). */
export function unbatch(data: unknown): unknown[] {
  if (data && typeof data === 'object' && (data as { type?: unknown }).type === 'batch' && Array.isArray((data as { events?: unknown }).events)) {
    return (data as { events: unknown[] }).events;
  }
  return [data];
}
