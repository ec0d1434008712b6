/**
 * The commands the CLI knows (specs only: pure, no tfjs), and their help.
 */
import type { CommandSpec } from './args';

const json = { kind: 'switch', help: 'print only JSON lines on stdout (one event per line)' } as const;
const data = {
  kind: 'list',
  meta: 'NODE=PATH',
  help: "a data node's file (repeatable; NODE.PARAM=PATH binds another file param, e.g. labelsFile); default: the node's file beside the graph",
} as const;

export const COMMANDS: readonly CommandSpec[] = [
  {
    name: 'check',
    summary: 'validate and compile a graph file; prints its lint warnings and its size.',
    positionals: ['graph.json'],
    flags: { json, data },
  },
  {
    name: 'train',
    summary: 'train a graph on its data (MNIST, or its data node\'s file) in Node (neither --steps nor --epochs: one epoch); evaluates the held-out −ELBO after every epoch and after the last step.',
    positionals: ['graph.json'],
    flags: {
      steps: { kind: 'int', min: 1, max: 10_000_000, meta: 'N', help: 'train N steps (batches)' },
      epochs: { kind: 'int', min: 1, max: 100_000, meta: 'N', help: 'train N epochs' },
      seed: { kind: 'int', min: 0, max: 2 ** 32 - 1, meta: 'S', help: "override the file's training.seed" },
      backend: { kind: 'choice', choices: ['wasm', 'cpu'], help: 'tfjs backend (default wasm)' },
      'log-every': { kind: 'int', min: 1, max: 10_000_000, meta: 'N', help: 'print a step every N steps (default 10; the last step always)' },
      json,
      out: { kind: 'string', meta: 'DIR', help: 'save the trained weights (weights.safetensors) and graph.json in DIR' },
      weights: { kind: 'string', meta: 'W', help: 'start from saved weights (a safetensors weights file)' },
      record: { kind: 'string', meta: 'REC', help: 'record initial weights, batches, noise and losses in REC (for train.py --replay)' },
      iwae: { kind: 'int', min: 1, max: 5000, meta: 'K', help: 'every eval also reports nll (importance-weighted, K samples), activeUnits, klPerDim' },
      data,
    },
  },
  {
    // Parsed by src/cli/compare.ts itself; listed here for the help.
    name: 'compare',
    summary: 'train two graphs in lockstep (same batches, ε, matching weights) and report the first node whose output differs.',
    positionals: ['a.json', 'b.json'],
    flags: {
      steps: { kind: 'int', min: 1, max: 10_000_000, meta: 'N', help: 'lockstep steps (default 20)' },
      seed: { kind: 'int', min: 0, max: 2 ** 32 - 1, meta: 'S', help: "override the files' training.seed" },
      tolerance: { kind: 'string', meta: 'T', help: 'relative tolerance (default 1e-4)' },
      json,
      data: { ...data, help: `${data.help}; binds the node of that id in both graphs` },
    },
  },
  {
    name: 'bench',
    summary: 'time the compiled standard preset, conv-vae and sequence-vae against hand-written tfjs loops (wasm), and compile(); writes bench/results.json.',
    positionals: [],
    flags: {
      json,
      rounds: { kind: 'int', min: 1, max: 1000, meta: 'N', help: 'rounds of interleaved steps (default 12)' },
      block: { kind: 'int', min: 1, max: 1000, meta: 'N', help: 'steps of each fast contender per round (default 8; stock: 3)' },
      'arch-rounds': { kind: 'int', min: 1, max: 1000, meta: 'N', help: 'rounds of the conv-vae and sequence-vae rows (default 4, blocks of 3 steps)' },
      'no-arch': { kind: 'switch', help: 'leave out the conv-vae and sequence-vae rows' },
      backend: { kind: 'choice', choices: ['wasm', 'cpu'], help: 'tfjs backend (default wasm)' },
      out: { kind: 'string', meta: 'FILE', help: 'where to write the results (default bench/results.json)' },
      'no-write': { kind: 'switch', help: 'do not write a results file' },
    },
  },
  {
    name: 'eval',
    summary: 'evaluate saved weights on the held-out digits: one eval event (the −ELBO, its recon and KL), then done.',
    positionals: ['graph.json'],
    flags: {
      weights: { kind: 'string', meta: 'W', help: 'the weights file (safetensors), required' },
      iwae: { kind: 'int', min: 1, max: 5000, meta: 'K', help: 'also report nll (importance-weighted, K samples), activeUnits, klPerDim' },
      seed: { kind: 'int', min: 0, max: 2 ** 32 - 1, meta: 'S', help: "override the file's training.seed" },
      backend: { kind: 'choice', choices: ['wasm', 'cpu'], help: 'tfjs backend (default wasm)' },
      json,
      data,
    },
  },
  {
    name: 'export',
    summary: 'write the graph as a standalone PyTorch program (model.py, train.py, the data, a README) in DIR.',
    positionals: ['graph.json'],
    flags: {
      to: { kind: 'choice', choices: ['pytorch'], help: 'the target (pytorch)' },
      out: { kind: 'string', meta: 'DIR', help: 'where to write the program (created when missing)' },
      weights: { kind: 'string', meta: 'W', help: 'ship a weights file (safetensors) with the program' },
      json,
      data,
    },
  },
  {
    name: 'help',
    summary: 'print this help.',
    positionals: [],
    flags: {},
  },
];
