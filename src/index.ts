/**
 * VAE Lab as a library, for Node users: parse, compile, create a trainer, step, evaluate, dispose.
 *
 *   const parsed = parseGraph(text, registry);
 *   const compiled = compile(parsed.graph, registry);
 *   const trainer = createTrainer(compiled.plan, { mnist: await loadMnistNode() });
 *   trainer.step(); trainer.evaluate(); trainer.dispose();
 */
export { parseGraph, serializeGraph, validateGraph, GRAPH_FORMAT, GRAPH_VERSION, LIMITS, type Graph, type GraphNode, type GraphEdge } from './graph/schema';
export { applyCommand, applyCommands, type Command } from './graph/commands';
export { type Diagnostic, formatDiagnostic } from './graph/diagnostics';
export { compile, type Plan, type CompileResult } from './compiler/compile';
export { registry, createRegistry } from '../nodes';
export { Trainer, createTrainer, type StepMetrics, type EvalMetrics, type StepResult } from './runtime/trainer';
export { instantiate, Model } from './runtime/model';
export { useBackend, type BackendName } from './runtime/backends';
export { loadMnistNode } from './runtime/data/mnist-node';
export { compareGraphs, latentStats, collapseAlarm, iwaeNll, type CompareEvent, type LatentStats, type IwaeNllResult } from './runtime/instruments';
