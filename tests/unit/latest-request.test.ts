/**
 * LatestRequest: one request in flight, the newest waiting, an optional least interval.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LatestRequest } from '../../src/stores/latest-request';

describe('LatestRequest', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('sends at once when idle; asks made while an answer is due become one more send, with the newest value', () => {
    const sent: number[] = [];
    const r = new LatestRequest<number>((v) => (sent.push(v), true));
    r.request(1);
    r.request(2);
    r.request(3);
    expect(sent).toEqual([1]);
    expect(r.busy).toBe(true);
    r.answered();
    expect(sent).toEqual([1, 3]);
    r.answered();
    expect(sent).toEqual([1, 3]);
    expect(r.busy).toBe(false);
  });

  it('a send that could not go leaves nothing in flight; withdraw and abandon forget what waits', () => {
    let ok = false;
    const sent: string[] = [];
    const r = new LatestRequest<string>((v) => (ok ? (sent.push(v), true) : false));
    r.request('a');
    expect(r.busy).toBe(false);
    ok = true;
    r.request('b');
    r.request('c');
    r.withdraw();
    r.answered();
    expect(sent).toEqual(['b']);
    r.request('d');
    r.request('e');
    r.abandon();
    expect(r.busy).toBe(false);
    r.answered();
    expect(sent).toEqual(['b', 'd']);
  });

  it('keeps the least interval between two sends', () => {
    let t = 1000;
    const sent: number[] = [];
    const r = new LatestRequest<number>((v) => (sent.push(v), true), { minIntervalMs: 40, now: () => t });
    r.request(1);
    r.answered();
    r.request(2);
    expect(sent).toEqual([1]); // too soon: it waits for the interval
    t += 40;
    vi.advanceTimersByTime(40);
    expect(sent).toEqual([1, 2]);
  });
});
