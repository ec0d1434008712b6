/**
 * What every PNG the app exports carries (DESIGN.md §9): the open graph exactly as Save writes
 * it, the seed and the step, as iTXt chunks (src/graph/png-text.ts). Dropping such a PNG on
 * the canvas opens its graph.
 */
import { PNG_GRAPH_KEY, PNG_SEED_KEY, PNG_STEP_KEY } from '../../graph/png-text';
import { useGraphStore } from '../../stores/graph';
import { useTrainingStore } from '../../stores/training';

/** The chunks for a PNG of the open graph at `step` (default: the step the training panel shows). */
export function pngStamp(step?: number | null): Record<string, string> {
  const graph = useGraphStore();
  const training = useTrainingStore();
  return { [PNG_GRAPH_KEY]: graph.serialize(), [PNG_SEED_KEY]: String(training.seed), [PNG_STEP_KEY]: String(step ?? training.step) };
}
