/**
 * The one rule that decides whether a running trainer can take a recompiled plan in place
 * (a hot update: β, learning rate, optimizer, an activation, a rewiring that keeps every
 * weight) or must be rebuilt (its weights no longer fit, or it batches other data).
 *
 * Both sides use it: the graph store labels an edit with it (`structureVersion` or
 * `paramsVersion`), and the trainer's `updatePlan` refuses a plan it rejects. Pure.
 */
import type { Plan } from './compile';

export type PlanChange = 'hot' | 'rebuild';

/**
 * What training depends on and a hot update cannot change: the data source that drives the
 * batches (for a file-backed data node, every param: another file or column is other data),
 * their size, the held-out split, and every variable (node, name, shape) the model
 * holds (it instantiates those of every node in `plan.order`, training or not, so that the
 * instruments can run any node). Everything else (params that keep these, wiring, the
 * optimizer's settings, the seed, which only Reset uses) may change under a running trainer.
 */
export function trainingSignature(plan: Plan): string {
  const variables = plan.order
    .flatMap((id) => plan.nodes.get(id)!.variables.map((v) => `${id}/${v.name}:${v.shape.join('x')}`))
    .sort()
    .join('|');
  return `${dataSignature(plan)};vars=${variables}`;
}

/** The batches' part of the signature: the data source (a file-backed node's every param), the batch size, the held-out split. */
function dataSignature(plan: Plan): string {
  const data = plan.nodes.get(plan.data);
  const source = data?.def.data?.file ? `:${JSON.stringify(data.params)}` : '';
  return `data=${plan.data}:${data?.type ?? ''}${source};batch=${plan.batchSize};heldOut=${plan.heldOut}`;
}

/** Why a trainer built from `before` cannot run `after`: other batches ('data': another file, column, batch size or split), or other variables. */
export function rebuildReason(before: Plan, after: Plan): 'data' | 'variables' {
  return dataSignature(before) === dataSignature(after) ? 'variables' : 'data';
}

/**
 * Going from `before` to `after` (null: the graph does not compile), can a trainer built
 * from `before` keep its weights and run `after`?
 */
export function planChange(before: Plan | null, after: Plan | null): PlanChange {
  if (!before || !after) return 'rebuild';
  return trainingSignature(before) === trainingSignature(after) ? 'hot' : 'rebuild';
}
