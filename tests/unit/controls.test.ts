import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { registry } from '../../nodes';
import dataMnist from '../../nodes/data.mnist';
import trainOptimizer from '../../nodes/train.optimizer';
import vaeDecoder from '../../nodes/vae.decoder';
import opScale from '../../nodes/op.scale';
import { controlSpec, controlsFrom } from '../../src/graph/controls';

const control = (def: { controls: readonly { param: string }[] }, param: string) => def.controls.find((c) => c.param === param);

describe('controls derived from the params schema', () => {
  it('numbers take their bounds, integer-ness and step from the schema and the declaration', () => {
    expect(control(dataMnist, 'batchSize')).toEqual({ param: 'batchSize', label: 'batch size', kind: 'number', min: 1, max: 10000, integer: true, step: 1 });
    expect(control(dataMnist, 'heldOut')).toMatchObject({ kind: 'number', min: 1, max: 5000, integer: true });
    expect(control(trainOptimizer, 'learningRate')).toEqual({ param: 'learningRate', label: 'learning rate', kind: 'number', min: 0, minExclusive: true, max: 10, step: 0.0001 });
    // z.number().refine(Number.isFinite): no bounds
    expect(control(opScale, 'factor')).toEqual({ param: 'factor', label: 'factor c', kind: 'number', step: 0.1 });
  });

  it('enums become selects with their options; int arrays and "auto"|int unions keep their element bounds', () => {
    expect(control(dataMnist, 'binarize')).toMatchObject({ kind: 'select', options: ['none', 'threshold', 'sample'] });
    expect(control(trainOptimizer, 'algorithm')).toMatchObject({ kind: 'select', options: ['adam', 'sgd', 'rmsprop'] });
    expect(control(vaeDecoder, 'hidden')).toMatchObject({ kind: 'intList', min: 1, max: 16384 });
    expect(control(vaeDecoder, 'outputUnits')).toMatchObject({ kind: 'autoOrInt', min: 1, max: 16384 });
    expect(controlSpec(z.strictObject({ on: z.boolean().default(true) }), { param: 'on', label: 'on' })).toEqual({ param: 'on', label: 'on', kind: 'boolean' });
    // a string is free text (a note's body), its maxLength read from the schema
    expect(controlSpec(z.strictObject({ s: z.string().max(12).default('') }), { param: 's', label: 's' })).toEqual({ param: 's', label: 's', kind: 'text', maxLength: 12 });
    expect(controlSpec(z.strictObject({ s: z.string() }), { param: 's', label: 's' })).toEqual({ param: 's', label: 's', kind: 'text' });
  });

  it('every control of the registry agrees with its schema at its bounds', () => {
    for (const def of registry.all()) {
      const shape = def.params.shape as Record<string, z.ZodType>;
      for (const c of def.controls) {
        const field = shape[c.param]!;
        expect(field, `${def.type}.${c.param}`).toBeDefined();
        const at = (v: unknown) => field.safeParse(v).success;
        if (c.kind === 'number') {
          if (c.min !== undefined) expect([at(c.min), at(c.min - 1)], `${def.type}.${c.param} min`).toEqual([!c.minExclusive, false]);
          if (c.max !== undefined) expect([at(c.max), at(c.max + 1)], `${def.type}.${c.param} max`).toEqual([true, false]);
          if (c.integer) expect(at((c.min ?? 0) + 1.5), `${def.type}.${c.param} integer`).toBe(false);
        } else if (c.kind === 'select') {
          for (const o of c.options) expect(at(o), `${def.type}.${c.param} ${o}`).toBe(true);
          expect(at('not-an-option')).toBe(false);
        } else if (c.kind === 'text') {
          if (c.maxLength !== undefined) expect([at('x'.repeat(c.maxLength)), at('x'.repeat(c.maxLength + 1))], `${def.type}.${c.param} maxLength`).toEqual([true, false]);
        } else if (c.kind === 'intList' || c.kind === 'autoOrInt') {
          const one = (v: number) => (c.kind === 'intList' ? [v] : v);
          expect([at(one(c.min!)), at(one(c.min! - 1)), at(one(c.max!)), at(one(c.max! + 1))], `${def.type}.${c.param}`).toEqual([true, false, true, false]);
        }
      }
    }
  });

  it('a control naming no param of the schema, or a param no control can show, is a programming error', () => {
    const schema = z.strictObject({ n: z.number(), o: z.object({ a: z.number() }) });
    // @ts-expect-error: the param is a key of the params type
    expect(() => controlsFrom<{ n: number }>(schema, [{ param: 'm', label: 'm' }])).toThrow(/"m" names no param/);
    expect(() => controlsFrom(schema, [{ param: 'o', label: 'o' }])).toThrow(/a object param has no control kind/);
  });

  it('a node with variants (encoder, decoder: arch) lists its variant control first, so the params below it are the chosen variant’s', () => {
    const variants = registry.all().filter((d) => d.variantParam);
    expect(variants.map((d) => d.type).sort()).toEqual(['vae.decoder', 'vae.encoder']);
    for (const def of variants) expect(def.controls[0]?.param, def.type).toBe(def.variantParam);
  });
});
