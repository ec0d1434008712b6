/**
 * One queue for everything the worker does: every request and every Run tick runs after
 * the one before it has finished, so a step, a probe, a backend switch and a graph update
 * never interleave. A task that throws is handed to `onFailure`, and the queue goes on.
 */
export class TaskQueue {
  private tail: Promise<void> = Promise.resolve();

  constructor(private readonly onFailure: (err: unknown) => void) {}

  /** Runs `task` after every task queued before it; resolves when it has run (or failed). */
  push(task: () => void | Promise<void>): Promise<void> {
    const run = this.tail.then(task).catch((err: unknown) => this.onFailure(err));
    this.tail = run;
    return run;
  }
}

/** Lets the messages that arrived meanwhile in, between two Run steps: a macrotask. */
export function yieldToEvents(): Promise<void> {
  if (typeof setImmediate === 'function') return new Promise((r) => setImmediate(r));
  if (typeof MessageChannel === 'function') {
    return new Promise((r) => {
      const ch = new MessageChannel();
      ch.port1.onmessage = () => {
        ch.port1.close();
        r();
      };
      ch.port2.postMessage(null);
    });
  }
  return new Promise((r) => setTimeout(r, 0));
}
