/**
 * `vae-lab compare <a.json> <b.json> [--steps N] [--seed S] [--tolerance T] [--data NODE=PATH]… [--json]`
 * (DESIGN.md §5): trains both graphs in lockstep and prints where they first differ.
 * Exit 0 whether they diverge or not; 1 for a bad file, graph or flag (a coded error).
 * Each graph's data nodes load as `train` loads them (src/cli/load.ts); a --data binding
 * binds the node of that id in both graphs, so both train on the same examples (a graph
 * without that node is USAGE).
 *
 * Self-contained (its own flag parsing and file reading) so that the dispatcher only has to
 * call runCompare(argv, out).
 */
import { error, formatDiagnostic, type Diagnostic } from '../graph/diagnostics';
import type { Plan } from '../compiler/compile';
import type { DataSource } from '../../nodes/types';
import { loadGraph } from './load';
import { useBackend } from '../runtime/backends';
import { loadMnistNode } from '../runtime/data/mnist-node';
import { compareGraphs, DEFAULT_COMPARE_STEPS, DEFAULT_COMPARE_TOLERANCE, type CompareEvent, type TensorSummary } from '../runtime/instruments';

export const COMPARE_USAGE = 'compare <a.json> <b.json> [--steps N] [--seed S] [--tolerance T] [--data NODE=PATH]… [--json]';

interface CompareArgs {
  a: string;
  b: string;
  steps: number;
  seed?: number;
  tolerance: number;
  /** The --data values, in order (NODE=PATH, NODE.PARAM=PATH). */
  data: string[];
  json: boolean;
}

const usage = (message: string): Diagnostic => error('USAGE', message, { fix: `Usage: vae-lab ${COMPARE_USAGE}` });

/** Parses compare's arguments (with or without the leading "compare"). */
export function parseCompareArgs(argv: readonly string[]): { ok: true; args: CompareArgs } | { ok: false; diagnostic: Diagnostic; json: boolean } {
  const rest = argv[0] === 'compare' ? argv.slice(1) : [...argv];
  const json = rest.includes('--json');
  const fail = (message: string) => ({ ok: false as const, diagnostic: usage(message), json });
  const positionals: string[] = [];
  const seen = new Set<string>();
  let steps = DEFAULT_COMPARE_STEPS;
  let seed: number | undefined;
  let tolerance = DEFAULT_COMPARE_TOLERANCE;
  const data: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i]!;
    if (!arg.startsWith('--')) {
      if (arg.startsWith('-') && arg.length > 1) return fail(`Unknown option ${JSON.stringify(arg)} for compare.`);
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
    if (name === 'data') {
      // repeatable: one binding each
      const raw = eq >= 0 ? arg.slice(eq + 1) : rest[++i];
      if (raw === undefined || raw === '') return fail('--data needs a value: NODE=PATH or NODE.PARAM=PATH.');
      data.push(raw);
      continue;
    }
    if (seen.has(name)) return fail(`--${name} is given twice.`);
    seen.add(name);
    if (name === 'json') {
      if (eq >= 0) return fail('--json is a switch and takes no value.');
      continue;
    }
    if (!['steps', 'seed', 'tolerance'].includes(name)) return fail(`Unknown option --${name} for compare. Options: --steps, --seed, --tolerance, --data, --json.`);
    let raw: string | undefined;
    if (eq >= 0) raw = arg.slice(eq + 1);
    else raw = rest[++i];
    if (raw === undefined || raw === '') return fail(`--${name} needs a value.`);
    if (name === 'tolerance') {
      const t = Number(raw);
      if (!/^[0-9.eE+-]+$/.test(raw) || !Number.isFinite(t) || t < 0) return fail(`--tolerance takes a relative tolerance ≥ 0 such as 1e-4, got ${JSON.stringify(raw)}.`);
      tolerance = t;
    } else {
      const max = name === 'steps' ? 10_000_000 : 2 ** 32 - 1;
      const min = name === 'steps' ? 1 : 0;
      if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) return fail(`--${name} takes a whole number between ${min} and ${max}, got ${JSON.stringify(raw)}.`);
      if (name === 'steps') steps = Number(raw);
      else seed = Number(raw);
    }
  }
  if (positionals.length !== 2) {
    return fail(positionals.length < 2 ? `compare needs two graph files, got ${positionals.length}.` : `compare takes two graph files; unexpected ${JSON.stringify(positionals[2])}.`);
  }
  return { ok: true, args: { a: positionals[0]!, b: positionals[1]!, steps, seed, tolerance, data, json } };
}

/** A graph read, its data loaded (--data bound) and compiled, as `train` does it. */
async function loadPlan(path: string, data: readonly string[]): Promise<{ ok: true; plan: Plan; data?: DataSource } | { ok: false; diagnostics: Diagnostic[] }> {
  const r = await loadGraph(path, { data });
  return r.ok ? { ok: true, plan: r.plan, ...(r.data ? { data: r.data } : {}) } : { ok: false, diagnostics: r.diagnostics };
}

function errorEvent(d: Diagnostic, file?: string): Record<string, unknown> {
  const e: Record<string, unknown> = { event: 'error', code: d.code, node: d.node ?? null, port: d.port ?? null, message: d.message };
  if (file !== undefined) e.file = file;
  if (d.line !== undefined) e.line = d.line;
  if (d.column !== undefined) e.column = d.column;
  if (d.path !== undefined) e.path = d.path;
  return e;
}

/**
 * Runs `compare`. `argv` is what follows the command name (a leading "compare" is
 * skipped). Lines go to `out` (stdout) and, in text mode, problems to `err` (default `out`).
 * Resolves to the exit status.
 */
export async function runCompare(argv: string[], out: (line: string) => void, err: (line: string) => void = out): Promise<number> {
  const parsed = parseCompareArgs(argv);
  if (!parsed.ok) {
    if (parsed.json) out(JSON.stringify(errorEvent(parsed.diagnostic)));
    else err(formatDiagnostic(parsed.diagnostic));
    return 1;
  }
  const args = parsed.args;
  const plans: Plan[] = [];
  const sources: Array<DataSource | undefined> = [];
  let failed = false;
  for (const path of [args.a, args.b]) {
    const r = await loadPlan(path, args.data);
    if (r.ok) {
      plans.push(r.plan);
      sources.push(r.data);
      continue;
    }
    failed = true;
    for (const d of r.diagnostics) {
      if (args.json) out(JSON.stringify(errorEvent(d, path)));
      else err(`${path}: ${formatDiagnostic(d)}`);
    }
  }
  if (failed) return 1;
  try {
    await useBackend('wasm');
    // MNIST only for a graph that trains on it (not on a data file).
    const mnist = sources.every((s) => s) ? undefined : await loadMnistNode();
    const ev = await compareGraphs(plans[0]!, plans[1]!, { mnist, data: { a: sources[0], b: sources[1] }, steps: args.steps, seed: args.seed, tolerance: args.tolerance });
    if (args.json) out(JSON.stringify(ev));
    else for (const line of describeEvent(ev, args)) out(line);
    return 0;
  } catch (e) {
    const d = error('INTERNAL', `compare failed: ${(e as Error).message}`);
    if (args.json) out(JSON.stringify(errorEvent(d)));
    else err(formatDiagnostic(d));
    return 1;
  }
}

function describeEvent(ev: CompareEvent, args: CompareArgs): string[] {
  if (ev.event === 'same') {
    return [
      `same: ${args.a} and ${args.b} agree for ${ev.steps} lockstep steps within a relative ${args.tolerance} ` +
        `(largest difference ${ev.maxDiff.toExponential(2)}; ${ev.sharedVariables} variables shared).`,
    ];
  }
  const where = ev.port === null ? `${ev.node} (the update)` : `${ev.node}.${ev.port}`;
  const lines = [`diverged at step ${ev.step}: ${where}${ev.variable ? `, variable ${ev.variable}` : ''}`, `  ${ev.message}`];
  const show = (label: string, s: TensorSummary | null) =>
    s === null
      ? `  ${label}: (absent)`
      : `  ${label}: shape [${s.shape.join(',')}], mean ${s.mean === null ? '—' : s.mean.toPrecision(5)}` +
        `${s.nonFinite ? `, ${s.nonFinite} NaN/Inf` : ''}, first values ${s.values.map((v) => (typeof v === 'number' ? v.toPrecision(4) : v)).join(' ')}`;
  lines.push(show('a', ev.a), show('b', ev.b));
  return lines;
}
