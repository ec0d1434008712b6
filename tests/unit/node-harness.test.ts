/**
 * The per-node "leaves no tensor behind" tests rely on leakCheck (tests/fixtures/node-harness.ts).
 * These tests prove it can fail: a node that leaks is reported with the exact count, while
 * inputs, variables and outputs (what a node may leave alive) are not counted.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import opExp from '../../nodes/op.exp';
import { defineNode, type AnyNodeDef } from '../../nodes/types';
import { forward, leakCheck, useCpu } from '../fixtures/node-harness';

beforeAll(useCpu);

/** op.exp's declaration with another forward, NOT wrapped by defineNode (as a hand-written node would be). */
function fakeNode(fwd: AnyNodeDef['forward']): AnyNodeDef {
  return { ...opExp, forward: fwd };
}

const leaks50 = fakeNode(({ inputs }) => {
  for (let i = 0; i < 50; i++) tf.ones([2, 2]);
  return { y: tf.exp(inputs.x!) };
});

describe('leakCheck', () => {
  it('reports a node that leaves 50 intermediate tensors behind', () => {
    expect(leakCheck(() => forward(leaks50, { inputs: { x: tf.ones([2, 2]) } })).leaked).toBe(50);
  });

  it('reports each intermediate of a chain and leaves the leaked tensors alive (it counts outside any tidy)', () => {
    const before = tf.memory().numTensors;
    const { leaked } = leakCheck(() => forward(fakeNode(({ inputs }) => ({ y: tf.exp(tf.neg(tf.neg(inputs.x!))) })), { inputs: { x: tf.ones([3]) } }));
    expect(leaked).toBe(2);
    // leakCheck frees what forward saw (inputs and outputs made inside it), not the leaked tensors
    expect(tf.memory().numTensors - before).toBe(2);
  });

  it('counts neither inputs, variables nor outputs, even an input passed straight through', () => {
    const x = tf.ones([2, 2]);
    const v = tf.variable(tf.zeros([2]), true, `leak_harness_${Math.random().toString(36).slice(2)}`);
    const before = tf.memory().numTensors;
    const passThrough = fakeNode(({ inputs, vars }) => ({ y: inputs.x!, w: vars.w!, z: tf.exp(inputs.x!) }));
    expect(leakCheck(() => forward(passThrough, { inputs: { x }, vars: { w: v } })).leaked).toBe(0);
    expect(leakCheck(() => forward(passThrough, { inputs: { x: tf.zeros([4]) }, vars: { w: v } })).leaked).toBe(0);
    // tensors from before the check survive it; those made inside it are freed
    expect(x.isDisposed || v.isDisposed).toBe(false);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, v]);
  });

  it('defineNode runs forward in tf.tidy, so the same leaking forward declared through it leaves nothing', () => {
    const declared = defineNode({ ...leaks50 });
    expect(leakCheck(() => forward(declared, { inputs: { x: tf.ones([2, 2]) } })).leaked).toBe(0);
  });

  it('counts tensors the test itself makes but does not hand to forward', () => {
    expect(
      leakCheck(() => {
        tf.zeros([1]);
        return forward(opExp, { inputs: { x: tf.ones([2]) } });
      }).leaked,
    ).toBe(1);
  });
});
