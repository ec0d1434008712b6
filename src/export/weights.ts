/**
 * Does a weights file fit a compiled graph? (DESIGN.md §9.) The graph's variables are named
 * "<node id>/<variable>" in VAE Lab's layouts (src/runtime/model.ts); a file must hold exactly
 * those names with exactly those shapes, or nothing is loaded (WEIGHTS_MISMATCH, listing what
 * differs). Pure: no tfjs.
 */
import { error, type Diagnostic } from '../graph/diagnostics';
import type { Plan } from '../compiler/compile';
import { decodeSafetensors, type NamedArray, type WeightsFile } from './safetensors';

export const WEIGHTS_EXTENSION = 'safetensors';
export const WEIGHTS_FILE_NAME = `weights.${WEIGHTS_EXTENSION}`;

export interface VariableShape {
  name: string;
  shape: number[];
}

/** Every variable the plan's model holds (src/runtime/model.ts creates one per node in plan.order). */
export function planVariables(plan: Plan): VariableShape[] {
  const out: VariableShape[] = [];
  for (const id of plan.order) for (const v of plan.nodes.get(id)!.variables) out.push({ name: `${id}/${v.name}`, shape: [...v.shape] });
  return out;
}

const fmt = (s: readonly number[]) => `[${s.join(', ')}]`;

/** Null when the file holds exactly the plan's names and shapes; else WEIGHTS_MISMATCH listing every difference. */
export function checkWeights(expected: readonly VariableShape[], tensors: readonly NamedArray[], source = 'The weights file'): Diagnostic | null {
  const have = new Map(tensors.map((t) => [t.name, t.shape]));
  const want = new Map(expected.map((v) => [v.name, v.shape]));
  const problems: string[] = [];
  for (const [name, shape] of want) {
    const got = have.get(name);
    if (!got) problems.push(`${name} ${fmt(shape)} is missing`);
    else if (got.length !== shape.length || got.some((d, i) => d !== shape[i])) problems.push(`${name} is ${fmt(got)}, the graph needs ${fmt(shape)}`);
  }
  for (const [name, shape] of have) if (!want.has(name)) problems.push(`${name} ${fmt(shape)} is not a variable of this graph`);
  if (!problems.length) return null;
  const node = firstNode(problems[0]!);
  const shown = problems.slice(0, 20).join('; ') + (problems.length > 20 ? `; and ${problems.length - 20} more` : '');
  return error('WEIGHTS_MISMATCH', `${source} does not fit this graph (${problems.length} difference${problems.length === 1 ? '' : 's'}): ${shown}. Nothing was loaded.`, {
    node,
    fix: 'Load weights saved from this graph (same node ids and sizes), or edit the graph to match them.',
  });
}

function firstNode(problem: string): string | null {
  const slash = problem.indexOf('/');
  return slash > 0 ? problem.slice(0, slash) : null;
}

export type ReadWeightsResult = { ok: true; file: WeightsFile } | { ok: false; diagnostic: Diagnostic };

/** Parse weights bytes and check them against the plan: WEIGHTS_FORMAT for a broken file, WEIGHTS_MISMATCH for one that does not fit. */
export function readWeightsFor(plan: Plan, bytes: Uint8Array, source = 'The weights file'): ReadWeightsResult {
  const decoded = decodeSafetensors(bytes);
  if (!decoded.ok) {
    return {
      ok: false,
      diagnostic: error('WEIGHTS_FORMAT', `${source} is not a VAE Lab weights file: ${decoded.message}`, { fix: 'VAE Lab weights are safetensors (float32), as train --out and train.py --save write them.' }),
    };
  }
  const mismatch = checkWeights(planVariables(plan), decoded.file.tensors, source);
  return mismatch ? { ok: false, diagnostic: mismatch } : { ok: true, file: decoded.file };
}
