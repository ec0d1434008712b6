/**
 * What the command line prints. With --json: one JSON object per line on stdout and nothing
 * else there (DESIGN.md section 5); the events never hold NaN or Infinity. Without: readable
 * lines on stdout, problems on stderr, and a progress bar on stderr when it is a terminal.
 */
import { formatDiagnostic, type Diagnostic } from '../graph/diagnostics';

export interface Sink {
  write(text: string): void;
  isTTY?: boolean;
  columns?: number;
}

export type CliEvent =
  | { event: 'warning'; code: string; node: string | null; port: string | null; message: string }
  | { event: 'ok'; nodes: number; edges: number; parameters: number }
  | { event: 'step'; step: number; loss: number; recon: number; kl: number; msPerStep: number }
  | {
      event: 'eval';
      step: number;
      heldOutLoss: number;
      recon: number;
      kl: number;
      /** With train --iwae K. */
      nll?: number;
      activeUnits?: number;
      klPerDim?: number[];
    }
  | {
      event: 'done';
      steps: number;
      loss: number;
      heldOutLoss: number;
      msPerStep: number;
      numTensors: { afterFirstStep: number; end: number };
    }
  | { event: 'done'; steps: number; heldOutLoss: number }
  | { event: 'exported'; to: 'pytorch'; dir: string; files: string[] }
  | ErrorEvent;

export interface ErrorEvent {
  event: 'error';
  code: string;
  node: string | null;
  port: string | null;
  message: string;
  step?: number;
  line?: number;
  column?: number;
  field?: string;
  record?: number;
  path?: string;
}

/** The error event of a diagnostic: code, node, port, message, plus step / line, column / field, record (data) / path where the diagnostic has them. */
export function errorEvent(d: Diagnostic): ErrorEvent {
  const e: ErrorEvent = { event: 'error', code: d.code, node: d.node ?? null, port: d.port ?? null, message: d.message };
  if (d.step !== undefined) e.step = d.step;
  if (d.line !== undefined) e.line = d.line;
  if (d.column !== undefined) e.column = d.column;
  if (d.field !== undefined) e.field = d.field;
  if (d.record !== undefined) e.record = d.record;
  if (d.path !== undefined) e.path = d.path;
  return e;
}

export function warningEvent(d: Diagnostic): CliEvent {
  return { event: 'warning', code: d.code, node: d.node ?? null, port: d.port ?? null, message: d.message };
}

/** The first number in `v` (depth-first) that is NaN or ±Infinity, as a path; null when all are finite. */
export function nonFinitePath(v: unknown, path = ''): string | null {
  if (typeof v === 'number') return Number.isFinite(v) ? null : path || '(value)';
  if (v && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) {
      const p = nonFinitePath(x, path ? `${path}.${k}` : k);
      if (p) return p;
    }
  }
  return null;
}

export class Output {
  private barShown = false;

  constructor(
    readonly json: boolean,
    private readonly out: Sink,
    private readonly err: Sink,
  ) {}

  /** One JSON line (JSON mode). Throws on a non-finite number: callers turn those into NON_FINITE first. */
  event(e: CliEvent): void {
    if (!this.json) return;
    const bad = nonFinitePath(e);
    if (bad) throw new Error(`internal: a ${e.event} event holds a non-finite number at ${bad}`);
    this.out.write(`${JSON.stringify(e)}\n`);
  }

  /** A JSON object of any shape on one line (bench). */
  raw(value: unknown): void {
    this.out.write(`${JSON.stringify(value)}\n`);
  }

  /** A readable line on stdout (text mode only). */
  line(text: string): void {
    if (this.json) return;
    this.clearBar();
    this.out.write(`${text}\n`);
  }

  /** A problem: an error event (JSON) or a formatted diagnostic on stderr (text). */
  diagnostic(d: Diagnostic): void {
    if (this.json) {
      this.event(d.severity === 'warning' ? warningEvent(d) : errorEvent(d));
      return;
    }
    this.clearBar();
    this.err.write(`${formatDiagnostic(d)}\n`);
  }

  /** A note on stderr in text mode (never in JSON mode: stderr stays quiet there too). */
  note(text: string): void {
    if (this.json) return;
    this.clearBar();
    this.err.write(`${text}\n`);
  }

  /** Redraw the progress bar (text mode, stderr a terminal). */
  progress(text: string): void {
    if (this.json || !this.err.isTTY) return;
    const width = Math.max(20, (this.err.columns || 100) - 1);
    this.err.write(`\r${text.slice(0, width).padEnd(width)}`);
    this.barShown = true;
  }

  clearBar(): void {
    if (!this.barShown) return;
    const width = Math.max(20, (this.err.columns || 100) - 1);
    this.err.write(`\r${' '.repeat(width)}\r`);
    this.barShown = false;
  }
}

/** "12.3 s", "4 min 05 s". */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '?';
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(s < 10 ? 1 : 0)} s`;
  const m = Math.floor(s / 60);
  return `${m} min ${String(Math.round(s - m * 60)).padStart(2, '0')} s`;
}

/** A text bar of `width` cells for a fraction in [0, 1]. */
export function bar(fraction: number, width = 24): string {
  const f = Math.min(1, Math.max(0, fraction));
  const full = Math.round(f * width);
  return `[${'#'.repeat(full)}${'.'.repeat(width - full)}]`;
}
