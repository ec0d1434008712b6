import { describe, expect, it } from 'vitest';
import { parseEvent, parseRequest, transferablesOf, type WorkerEvent } from '../../src/worker/protocol';
import { FakeWorker, clientOverFakes } from '../fixtures/fake-worker';

describe('worker protocol: requests are parsed at the boundary', () => {
  it('accepts every request type with its fields, filling defaults', () => {
    const ok = [
      { type: 'init', graph: { any: 'thing' }, backend: 'webgl', seed: 3 },
      { type: 'init', graph: {}, backend: 'wasm', seed: 0, options: { lossJumpFactor: 2, evalEvery: 50 } },
      { type: 'step', n: 5 },
      { type: 'run' },
      { type: 'pause' },
      { type: 'reset' },
      { type: 'reset', seed: 42 },
      { type: 'setBackend', backend: 'cpu' },
      { type: 'updateGraph', graph: {} },
      { type: 'probe', edge: { from: 'enc.mu', to: 'rep.mu' } },
      { type: 'probe', edge: null, watch: false },
      { type: 'evaluate' },
      { type: 'images' },
      { type: 'setOptions', options: { lossJumpFactor: null, breakOnKlNegative: false } },
      { type: 'memory' },
      { type: 'dispose' },
    ];
    for (const r of ok) expect(parseRequest(r), JSON.stringify(r)).toMatchObject({ ok: true });
    const step = parseRequest({ type: 'step' });
    expect(step.ok && step.value.type === 'step' && step.value.n).toBe(1);
    const probe = parseRequest({ type: 'probe', edge: { from: 'a.b', to: 'c.d' } });
    expect(probe.ok && probe.value.type === 'probe' && probe.value.watch).toBe(true);
  });

  it('refuses malformed requests with a message naming the field', () => {
    const bad: Array<[unknown, RegExp]> = [
      [null, /Bad request/],
      [{ type: 'explode' }, /type/],
      [{ type: 'step', n: 0 }, /n/],
      [{ type: 'step', n: 1.5 }, /n/],
      [{ type: 'init', graph: {}, backend: 'cuda', seed: 1 }, /backend/],
      [{ type: 'init', graph: {}, backend: 'wasm', seed: -1 }, /seed/],
      [{ type: 'setOptions', options: { lossJumpFactor: 0.5 } }, /lossJumpFactor/],
      [{ type: 'run', extra: true }, /extra|Unrecognized/i],
    ];
    for (const [msg, re] of bad) {
      const r = parseRequest(msg);
      expect(r.ok, JSON.stringify(msg)).toBe(false);
      if (!r.ok) expect(r.message).toMatch(re);
    }
  });
});

describe('worker protocol: events', () => {
  const stepped = { type: 'stepped', metrics: { step: 1, epoch: 0, loss: 540, recon: 530, kl: 10, klWeighted: 10, ms: 70 }, numTensors: 42 };

  it('parses well-formed events and rejects non-finite metrics', () => {
    expect(parseEvent(stepped).ok).toBe(true);
    expect(parseEvent({ ...stepped, metrics: { ...stepped.metrics, loss: NaN } }).ok).toBe(false);
    expect(parseEvent({ ...stepped, metrics: { ...stepped.metrics, loss: Infinity } }).ok).toBe(false);
    expect(parseEvent({ type: 'breakpoint', diagnostic: { code: 'NON_FINITE', severity: 'error', node: 'sigma', port: 'y', message: 'x', step: 1 }, loss: null }).ok).toBe(true);
    expect(parseEvent({ type: 'error', code: 'NOPE', message: 'x', fatal: false }).ok).toBe(false);
  });

  it('image events carry Uint8Array pixels and name their buffers for transfer', () => {
    const block = (n: number) => ({ count: n, width: 28, height: 28, pixels: new Uint8Array(n * 784) });
    const ev = { type: 'images', step: 3, inputs: block(2), recons: block(2), samples: block(4), note: null } as WorkerEvent;
    expect(parseEvent(ev).ok).toBe(true);
    expect(transferablesOf(ev)).toHaveLength(3);
    expect(parseEvent({ ...ev, samples: { ...block(1), pixels: [1, 2, 3] } }).ok).toBe(false);
  });
});

describe('TrainingClient', () => {
  it("the store tests' fake worker refuses what the worker's parseRequest refuses", () => {
    const w = new FakeWorker();
    expect(() => w.postMessage({ type: 'reset', seed: 'one' })).toThrow(/would refuse/);
    expect(() => w.postMessage({ type: 'no-such-request' })).toThrow(/would refuse/);
    w.postMessage({ type: 'run' });
    expect(w.sent).toEqual([{ type: 'run' }]);
  });

  it('forwards parsed events, reports malformed ones as BAD_EVENT, and a crash as a fatal WORKER_CRASHED', () => {
    const { client, workers, got } = clientOverFakes();
    client.send({ type: 'run' });
    expect(workers).toHaveLength(1);
    expect(workers[0]!.sent).toEqual([{ type: 'run' }]);
    workers[0]!.emit({ type: 'memory', numTensors: 3, numBytes: 12 });
    workers[0]!.emitRaw({ type: 'memory', numTensors: 'many' });
    expect(got.map((e) => e.type)).toEqual(['memory', 'error']);
    expect(got[1]).toMatchObject({ code: 'BAD_EVENT', fatal: false });

    workers[0]!.onerror?.({ message: 'boom', preventDefault() {} } as unknown as ErrorEvent);
    expect(got[2]).toMatchObject({ type: 'error', code: 'WORKER_CRASHED', fatal: true });
    expect(got[2]!.type === 'error' && got[2]!.message).toMatch(/boom/);
    expect(workers[0]!.terminated).toBe(true);
    expect(client.started).toBe(false);
    // Late messages from the dead worker are ignored; a restart makes a fresh one.
    const before = got.length;
    workers[0]!.emit({ type: 'memory', numTensors: 1, numBytes: 1 });
    expect(got.length).toBe(before);
    client.restart();
    expect(workers).toHaveLength(2);
    workers[1]!.emit({ type: 'disposed' });
    expect(got[got.length - 1]!.type).toBe('disposed');
  });
});
