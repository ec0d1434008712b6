/**
 * Compare in lockstep inside conv and recurrent graphs (issue 19, point 5): a bug planted in a
 * conv VAE wired from primitives — a transposed conv with the wrong stride or the wrong kernel
 * (with a padding that keeps the output size, so the graph still compiles and trains), or the
 * wrong activation after a conv — is found at the node where the two graphs first differ, by compareGraphs (what the
 * app's compare panel runs in its worker) and by the `compare` command. The same graph against
 * itself is "same"; so is the GRU VAE against itself, and a GRU decoder whose initial state is
 * left unwired diverges at that decoder.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { registry } from '../../nodes';
import { serializeGraph, type Graph } from '../../src/graph/schema';
import type { Command } from '../../src/graph/commands';
import { useBackend } from '../../src/runtime/backends';
import { loadMnistNode } from '../../src/runtime/data/mnist-node';
import type { MnistRaw } from '../../src/runtime/data/mnist';
import { compareGraphs } from '../../src/runtime/instruments';
import { runCompare } from '../../src/cli/compare';
import { loadGraph } from '../fixtures/graph-helpers';
import { edit, planOf } from './instruments-graphs';

let mnist: MnistRaw;
beforeAll(async () => {
  await useBackend('wasm');
  mnist = await loadMnistNode();
});

const setParam = (node: string, param: string, value: unknown): Command => ({ op: 'setParam', node, param, value });

/** tests/fixtures/graphs/conv-primitives-vae.json, narrowed for two cores (channels 8, 16; dense 64). */
function convVae(): Graph {
  return edit(loadGraph('tests/fixtures/graphs/conv-primitives-vae.json'), [
    setParam('c1', 'filters', 8),
    setParam('c2', 'filters', 16),
    setParam('d1', 'filters', 8),
    setParam('h', 'units', 64),
    setParam('dh', 'units', 64),
    setParam('dwide', 'units', 784),
    setParam('grid', 'shape', [7, 7, 16]),
  ]);
}

const BUGS: Array<{ name: string; plant: Command[]; node: string; port: string }> = [
  // (7 − 1)·3 − 2·4 + 4 = 14: the same 14×14 output and the same kernel shape (so the same weights) as stride 2, padding 1
  { name: 'a transposed conv with the wrong stride (3, padding 4)', plant: [setParam('d1', 'stride', 3), setParam('d1', 'padding', 4)], node: 'd1', port: 'y' },
  // (7 − 1)·2 − 2·2 + 6 = 14: the same 14×14 output as 4×4 with padding 1
  { name: 'a transposed conv with the wrong kernel (6×6, padding 2)', plant: [setParam('d1', 'kernel', 6), setParam('d1', 'padding', 2)], node: 'd1', port: 'y' },
  { name: 'a conv with tanh instead of relu', plant: [setParam('c2', 'activation', 'tanh')], node: 'c2', port: 'y' },
];

describe('compare in lockstep inside a conv graph', () => {
  it('finds nothing between the conv VAE and itself, and leaves no tensors', async () => {
    const before = tf.memory().numTensors;
    const ev = await compareGraphs(planOf(convVae()), planOf(convVae()), { mnist, steps: 2 });
    expect(ev).toMatchObject({ event: 'same', steps: 2, maxDiff: 0 });
    expect(tf.memory().numTensors).toBe(before);
  });

  for (const bug of BUGS) {
    it(`names ${bug.node}.${bug.port} for ${bug.name}`, async () => {
      const ev = await compareGraphs(planOf(edit(convVae(), bug.plant)), planOf(convVae()), { mnist, steps: 2 });
      expect(ev.event).toBe('diverged');
      if (ev.event !== 'diverged') return;
      expect({ step: ev.step, node: ev.node, port: ev.port, reason: ev.reason }).toEqual({ step: 1, node: bug.node, port: bug.port, reason: 'value' });
      expect(ev.diff).toBeGreaterThan(1e-4);
    });
  }

  describe('the compare command', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vae-compare-conv-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('prints the diverged event naming the transposed conv', async () => {
      const a = join(dir, 'bug.json');
      const b = join(dir, 'fixed.json');
      writeFileSync(a, serializeGraph(edit(convVae(), BUGS[0]!.plant), registry));
      writeFileSync(b, serializeGraph(convVae(), registry));
      const lines: string[] = [];
      const code = await runCompare([a, b, '--steps', '1', '--json'], (l) => lines.push(l));
      expect(code).toBe(0);
      expect(JSON.parse(lines[0]!)).toMatchObject({ event: 'diverged', step: 1, node: 'd1', port: 'y', a: { shape: [32, 14, 14, 8] }, b: { shape: [32, 14, 14, 8] } });
    });
  });
});

describe('compare in lockstep inside a GRU graph', () => {
  const gru = () => loadGraph('tests/fixtures/graphs/gru-primitives-vae.json');

  it('finds nothing between the GRU VAE and itself', async () => {
    expect(await compareGraphs(planOf(gru()), planOf(gru()), { mnist, steps: 1 })).toMatchObject({ event: 'same', maxDiff: 0 });
  });

  it('names the decoder GRU when its initial state h0 is left unwired (zeros)', async () => {
    const bug = edit(gru(), [{ op: 'disconnect', from: 'h0.y', to: 'dec.h0' }]);
    const ev = await compareGraphs(planOf(bug), planOf(gru()), { mnist, steps: 1 });
    expect(ev).toMatchObject({ event: 'diverged', step: 1, node: 'dec', port: 'y' });
  });
});
