/**
 * The numbers on the wires: mean, std and non-finite count of every output a step captured,
 * computed on the backend and read back in one transfer.
 */
import * as tf from '@tensorflow/tfjs';
import type { Captured } from '../runtime/trainer';
import { finiteOrNull } from '../runtime/instruments/summary';
import type { PortStat } from './protocol';

/** "node.port" → its summary; outputs of no values are left out. */
export function portStats(captured: Captured): Record<string, PortStat> {
  const keys: string[] = [];
  const shapes: number[][] = [];
  let data: tf.Tensor | null = null;
  tf.tidy(() => {
    const rows: tf.Tensor[] = [];
    for (const [id, outs] of captured) {
      for (const [port, tensor] of Object.entries(outs)) {
        if (tensor.size === 0) continue;
        const x = tensor.dtype === 'float32' ? tensor : tf.cast(tensor, 'float32');
        const ok = tf.isFinite(x);
        const n = tf.sum(tf.cast(ok, 'float32'));
        const safe = tf.where(ok, x, tf.zerosLike(x));
        const mean = tf.div(tf.sum(safe), tf.maximum(n, 1));
        const dev = tf.where(ok, tf.sub(x, mean), tf.zerosLike(x));
        const variance = tf.div(tf.sum(tf.square(dev)), tf.maximum(n, 1));
        rows.push(tf.stack([mean, tf.sqrt(variance), tf.sub(tensor.size, n)]));
        keys.push(`${id}.${port}`);
        shapes.push(tensor.shape.slice());
      }
    }
    if (rows.length) data = tf.keep(tf.stack(rows));
  });
  if (!data) return {};
  const v = (data as tf.Tensor).dataSync();
  (data as tf.Tensor).dispose();
  const out: Record<string, PortStat> = {};
  keys.forEach((k, i) => {
    const nonFinite = Math.round(v[i * 3 + 2]!);
    const size = shapes[i]!.reduce((a, b) => a * b, 1);
    const allBad = nonFinite >= size;
    out[k] = { shape: shapes[i]!, mean: allBad ? null : finiteOrNull(v[i * 3]!), std: allBad ? null : finiteOrNull(v[i * 3 + 1]!), nonFinite };
  });
  return out;
}
