/**
 * The main thread's side of the training worker: starts it, sends typed requests, parses
 * every event with zod, and turns a crash (onerror, messageerror) into a fatal coded error
 * event so the UI can offer a restart. No tfjs is imported here.
 */
import { parseEvent, type Request, type WorkerEvent } from './protocol';
import { unbatch } from './outbox';

export type EventListener = (ev: WorkerEvent) => void;

/** Something that looks like a Worker (tests may pass a fake). */
export interface WorkerLike {
  postMessage(message: unknown): void;
  terminate(): void;
  onmessage: ((ev: MessageEvent) => void) | null;
  onerror: ((ev: ErrorEvent | Event) => void) | null;
  onmessageerror: ((ev: MessageEvent) => void) | null;
}

export function createTrainingWorker(): WorkerLike {
  return new Worker(new URL('./training.worker.ts', import.meta.url), { type: 'module', name: 'vae-lab-training' }) as unknown as WorkerLike;
}

export class TrainingClient {
  private worker: WorkerLike | null = null;
  private generation = 0;

  constructor(
    private readonly listener: EventListener,
    private readonly factory: () => WorkerLike = createTrainingWorker,
  ) {}

  get started(): boolean {
    return this.worker !== null;
  }

  /** Starts the worker (a no-op when it runs). */
  start(): void {
    if (this.worker) return;
    const gen = ++this.generation;
    let w: WorkerLike;
    try {
      w = this.factory();
    } catch (err) {
      this.listener({ type: 'error', code: 'WORKER_CRASHED', message: `The training worker could not start: ${(err as Error).message}`, fatal: true });
      return;
    }
    this.worker = w;
    w.onmessage = (ev) => {
      // One message may carry several events (the worker's outbox batches Run's steps).
      for (const data of unbatch(ev.data)) {
        if (gen !== this.generation) return;
        const parsed = parseEvent(data);
        if (parsed.ok) this.listener(parsed.value);
        else this.listener({ type: 'error', code: 'BAD_EVENT', message: parsed.message, fatal: false });
      }
    };
    w.onerror = (ev) => {
      if (gen !== this.generation) return;
      const msg = (ev as ErrorEvent).message || 'the worker script failed';
      (ev as Event).preventDefault?.();
      this.crashed(`The training worker crashed: ${msg}`);
    };
    w.onmessageerror = () => {
      if (gen !== this.generation) return;
      this.listener({ type: 'error', code: 'BAD_EVENT', message: 'A message from the training worker could not be read.', fatal: false });
    };
  }

  private crashed(message: string): void {
    this.terminate();
    this.listener({ type: 'error', code: 'WORKER_CRASHED', message, fatal: true });
  }

  send(req: Request): void {
    if (!this.worker) this.start();
    this.worker?.postMessage(req);
  }

  /** Stops the worker; later sends start a fresh one. */
  terminate(): void {
    this.generation++;
    if (this.worker) {
      this.worker.onmessage = null;
      this.worker.onerror = null;
      this.worker.onmessageerror = null;
      this.worker.terminate();
    }
    this.worker = null;
  }

  /** A fresh worker (after a crash or a lost context). */
  restart(): void {
    this.terminate();
    this.start();
  }
}
