/**
 * Diagnostics: failures are data. Every problem VAE Lab reports carries a stable code,
 * the node and port it concerns (null where they do not apply), a message a person
 * understands and, where possible, a fix. Codes are part of the contract (DESIGN.md §5):
 * add more, never rename.
 */

export const ERROR_CODES = [
  'INVALID_JSON',
  'WRONG_FORMAT',
  'UNSUPPORTED_VERSION',
  'SCHEMA',
  'FORBIDDEN_KEY',
  'TOO_LARGE',
  'BAD_NODE_ID',
  'DUPLICATE_NODE_ID',
  'UNKNOWN_NODE_TYPE',
  'BAD_PARAM',
  'PORT_NOT_FOUND',
  'NODE_NOT_FOUND',
  'TOO_MANY_EDGES',
  'MISSING_INPUT',
  'CYCLE',
  'SHAPE_MISMATCH',
  'NO_OPTIMIZER',
  'NO_LOSS',
  'USAGE',
  'FILE_NOT_FOUND',
  'NON_FINITE',
  'KL_NEGATIVE',
  'LOSS_JUMP',
  'DUPLICATE_EDGE',
  'INTERNAL',
  'EXPORT_UNSUPPORTED',
  'WEIGHTS_MISMATCH',
  'WEIGHTS_FORMAT',
  // Sharing (DESIGN.md section 9): a link or a PNG that does not carry a graph
  'SHARE_LINK',
  'PNG_NO_GRAPH',
  // Data (DESIGN.md section 7)
  'DATA_MISSING',
  'DATA_PATH',
  'DATA_PARSE',
  'DATA_NOT_NUMERIC',
  'DATA_EMPTY',
  'DATA_SHAPE',
  'DATA_TOO_LARGE',
] as const;

export const LINT_CODES = [
  'SEMANTIC_MISMATCH',
  'NO_SIGMOID_BERNOULLI',
  'REDUCTION_MISMATCH',
  'BETA_NOT_POSITIVE',
  'DATA_OUT_OF_RANGE',
  'UNUSED_OUTPUT',
] as const;

/** Warnings about a data file (DESIGN.md section 7): not lint, never hidden. */
export const DATA_WARNING_CODES = ['DATA_CHANGED', 'DATA_ROWS_DROPPED', 'DATA_CONSTANT_COLUMN'] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];
export type LintCode = (typeof LINT_CODES)[number];
export type DataWarningCode = (typeof DATA_WARNING_CODES)[number];
export type WarningCode = LintCode | DataWarningCode;
export type DiagnosticCode = ErrorCode | WarningCode;

export interface Diagnostic {
  code: DiagnosticCode;
  severity: 'error' | 'warning';
  /** The node concerned, or null. */
  node: string | null;
  /** The port concerned (an input or output port name of `node`), or null. */
  port: string | null;
  /** One or two sentences a person understands. */
  message: string;
  /** How to fix it, where we know. */
  fix?: string;
  /** JSON path of the offending value (SCHEMA, BAD_PARAM, FORBIDDEN_KEY, TOO_LARGE). */
  path?: string;
  /** 1-based position in the file (INVALID_JSON; DATA_PARSE; the line of a data row). */
  line?: number;
  column?: number;
  /** A data file's column, by its header name (DATA_NOT_NUMERIC, DATA_CONSTANT_COLUMN, …). */
  field?: string;
  /** A JSON data file's record, by its 0-based index in the array. */
  record?: number;
  /** The training step at which a run stopped (NON_FINITE, KL_NEGATIVE, LOSS_JUMP). */
  step?: number;
  /** NON_FINITE: how many values of `node.port`'s output were NaN, and how many ±Infinity. */
  nanCount?: number;
  infCount?: number;
}

const LINT_SET = new Set<string>(LINT_CODES);

export function isLintCode(code: string): code is LintCode {
  return LINT_SET.has(code);
}

/** Where a diagnostic points, and its optional details: every field of a Diagnostic but its code, severity and message. */
export type Where = Partial<Omit<Diagnostic, 'code' | 'severity' | 'message'>>;

export function error(code: ErrorCode, message: string, where: Where = {}): Diagnostic {
  return withOptional({ code, severity: 'error', node: where.node ?? null, port: where.port ?? null, message }, where);
}

export function warning(code: WarningCode, message: string, where: Where = {}): Diagnostic {
  return withOptional({ code, severity: 'warning', node: where.node ?? null, port: where.port ?? null, message }, where);
}

function withOptional(d: Diagnostic, where: Partial<Diagnostic>): Diagnostic {
  if (where.fix !== undefined) d.fix = where.fix;
  if (where.path !== undefined) d.path = where.path;
  if (where.line !== undefined) d.line = where.line;
  if (where.column !== undefined) d.column = where.column;
  if (where.field !== undefined) d.field = where.field;
  if (where.record !== undefined) d.record = where.record;
  if (where.step !== undefined) d.step = where.step;
  if (where.nanCount !== undefined) d.nanCount = where.nanCount;
  if (where.infCount !== undefined) d.infCount = where.infCount;
  return d;
}

/** A diagnostic as one line of text, for the CLI's human mode and for logs. */
export function formatDiagnostic(d: Diagnostic): string {
  const where = d.node ? ` [${d.node}${d.port ? `.${d.port}` : ''}]` : '';
  const pos = position(d);
  const step = d.step !== undefined ? ` (step ${d.step})` : '';
  const fix = d.fix ? `\n    fix: ${d.fix}` : '';
  return `${d.severity} ${d.code}${where}${pos}${step}: ${d.message}${fix}`;
}

/**
 * The first of a list of problems in one line, for a status text or an error message:
 * "CODE at node.port: message", with " (and N more <noun>s)" when `more` names the noun.
 */
export function firstDiagnosticText(list: readonly Pick<Diagnostic, 'code' | 'node' | 'port' | 'message'>[], more?: string): string {
  const first = list[0];
  if (!first) return 'unknown problem';
  const where = first.node ? ` at ${first.node}${first.port ? `.${first.port}` : ''}` : '';
  const rest = list.length - 1;
  const tail = more && rest > 0 ? ` (and ${rest} more ${more}${rest > 1 ? 's' : ''})` : '';
  return `${first.code}${where}: ${first.message}${tail}`;
}

function position(d: Diagnostic): string {
  const field = d.field !== undefined ? `column ${JSON.stringify(d.field)}` : null;
  if (d.record !== undefined) return ` (record ${d.record}${field ? `, ${field}` : ''})`;
  if (d.line !== undefined) return ` (line ${d.line}, ${field ?? `column ${d.column ?? 1}`})`;
  if (field) return ` (${field})`;
  return d.path ? ` (at ${d.path})` : '';
}
