/**
 * The one failure the worker throws: a code the UI can act on, a message a person reads,
 * and where there are any, the diagnostics (node, port). The session posts it as an `error`
 * event (`fatal`: the worker can no longer train); an instrument's handler posts it as an
 * `instrumentError` for the panel that asked, where the code may be a diagnostic code.
 */
import type { Diagnostic } from '../graph/diagnostics';
import { WORKER_ERROR_CODES, type WorkerErrorCode } from './protocol';

export class WorkerError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly options: { fatal?: boolean; diagnostics?: Diagnostic[] } = {},
  ) {
    super(message);
  }

  get fatal(): boolean {
    return this.options.fatal ?? false;
  }

  get diagnostics(): Diagnostic[] | undefined {
    return this.options.diagnostics;
  }
}

const CODES = new Set<string>(WORKER_ERROR_CODES);

/** Whether a failure's code is one an `error` event may carry (else it is reported as INTERNAL). */
export function isWorkerErrorCode(code: string): code is WorkerErrorCode {
  return CODES.has(code);
}
