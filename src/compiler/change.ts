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
  const data = plan.nodes.get(plan.data);
  const variables = plan.order
    .flatMap((id) => plan.nodes.get(id)!.variables.map((v) => `${id}/${v.name}:${v.shape.join('x')}`))
    .sort()
    .join('|');
  const source = data?.def.data?.file ? `:${JSON.stringify(data.params)}` : '';
  return `data=${plan.data}:${data?.type ?? ''}${source};batch=${plan.batchSize};heldOut=${plan.heldOut};vars=${variables}`;
}

/**
 * Going from `before` to `after` (null: the graph does not compile), can a trainer built
 * from `before` keep its weights and run `after`?
 */
export function planChange(before: Plan | null, after: Plan | null): PlanChange {
  if (!before || !after) return 'rebuild';
  return trainingSignature(before) === trainingSignature(after) ? 'hot' : 'rebuild';
}
