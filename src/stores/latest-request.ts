/**
 * One request of a kind in flight at a time, the newest one waiting: asking again while an
 * answer is due sends once more when it comes (with the newest value), never a pile of
 * requests behind a slow worker. Optionally at least `minIntervalMs` between two sends
 * (a hover that follows the mouse). The instruments' panels use one per kind of request.
 */
export interface LatestRequestOptions {
  /** The least time between two sends (default 0). */
  minIntervalMs?: number;
  now?: () => number;
}

export class LatestRequest<T = void> {
  private inFlight = false;
  private waiting: { value: T } | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private lastSent = -Infinity;
  private readonly minIntervalMs: number;
  private readonly now: () => number;

  /** `send` posts the request and returns false when it could not (then nothing is in flight). */
  constructor(
    private readonly send: (value: T) => boolean,
    options: LatestRequestOptions = {},
  ) {
    this.minIntervalMs = options.minIntervalMs ?? 0;
    this.now = options.now ?? (() => Date.now());
  }

  /** Whether an answer is due. */
  get busy(): boolean {
    return this.inFlight;
  }

  /** Sends `value` now, or when the answer in flight comes (replacing what waited). */
  request(value: T): void {
    this.waiting = { value };
    this.pump();
  }

  /** The answer (or a failure) came: send what waits. */
  answered(): void {
    this.inFlight = false;
    this.pump();
  }

  /** Forgets what waits (nothing more is wanted); an answer due still comes. */
  withdraw(): void {
    this.waiting = null;
  }

  /** Forgets everything: no answer is due any more (a new trainer, a crash), nothing waits. */
  abandon(): void {
    this.inFlight = false;
    this.waiting = null;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private pump(): void {
    if (this.inFlight || !this.waiting || this.timer) return;
    const wait = this.minIntervalMs - (this.now() - this.lastSent);
    if (wait > 0) {
      this.timer = setTimeout(() => {
        this.timer = null;
        this.pump();
      }, wait);
      return;
    }
    const { value } = this.waiting;
    this.waiting = null;
    this.lastSent = this.now();
    this.inFlight = this.send(value);
  }
}
