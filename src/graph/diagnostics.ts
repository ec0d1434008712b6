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
] as const;

export const LINT_CODES = [
  'SEMANTIC_MISMATCH',
  'NO_SIGMOID_BERNOULLI',
  'REDUCTION_MISMATCH',
  'BETA_NOT_POSITIVE',
  'DATA_OUT_OF_RANGE',
  'UNUSED_OUTPUT',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];
export type LintCode = (typeof LINT_CODES)[number];
export type DiagnosticCode = ErrorCode | LintCode;

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
  /** 1-based position in the file (INVALID_JSON). */
  line?: number;
  column?: number;
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

export function error(
  code: ErrorCode,
  message: string,
  where: {
    node?: string | null;
    port?: string | null;
    fix?: string;
    path?: string;
    line?: number;
    column?: number;
    step?: number;
    nanCount?: number;
    infCount?: number;
  } = {},
): Diagnostic {
  return withOptional({ code, severity: 'error', node: where.node ?? null, port: where.port ?? null, message }, where);
}

export function warning(
  code: LintCode,
  message: string,
  where: { node?: string | null; port?: string | null; fix?: string } = {},
): Diagnostic {
  return withOptional({ code, severity: 'warning', node: where.node ?? null, port: where.port ?? null, message }, where);
}

function withOptional(d: Diagnostic, where: Partial<Diagnostic>): Diagnostic {
  if (where.fix !== undefined) d.fix = where.fix;
  if (where.path !== undefined) d.path = where.path;
  if (where.line !== undefined) d.line = where.line;
  if (where.column !== undefined) d.column = where.column;
  if (where.step !== undefined) d.step = where.step;
  if (where.nanCount !== undefined) d.nanCount = where.nanCount;
  if (where.infCount !== undefined) d.infCount = where.infCount;
  return d;
}

/** A diagnostic as one line of text, for the CLI's human mode and for logs. */
export function formatDiagnostic(d: Diagnostic): string {
  const where = d.node ? ` [${d.node}${d.port ? `.${d.port}` : ''}]` : '';
  const pos = d.line !== undefined ? ` (line ${d.line}, column ${d.column ?? 1})` : d.path ? ` (at ${d.path})` : '';
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
