/**
 * A node's controls, derived from its params' zod schema: the kind of input, the bounds,
 * integer-ness and the choices all come from the schema, so they are written once. A node
 * module declares only which params get a control, with a label, help and a step.
 */
import type { z } from 'zod';
import type { ControlDecl, ControlSpec, ControlWhen } from './catalog';

/** The zod internals read here (zod 4's `def` and its number/enum/array/union accessors). */
interface Inspectable {
  def: { type: string; innerType?: Inspectable; checks?: Array<{ _zod: { def: { check: string; value?: unknown; inclusive?: boolean } } }>; options?: Inspectable[] };
  minValue?: number | null;
  maxValue?: number | null;
  isInt?: boolean;
  options?: readonly unknown[];
  element?: Inspectable;
  values?: Set<unknown>;
  maxLength?: number | null;
}

/** The schema without its default/optional wrappers. */
function core(field: Inspectable): Inspectable {
  let t = field;
  while ((t.def.type === 'default' || t.def.type === 'optional' || t.def.type === 'prefault') && t.def.innerType) t = t.def.innerType;
  return t;
}

/** A number schema's finite bounds, whether it takes integers only, and whether its lower bound is exclusive. */
function numberBounds(t: Inspectable): { min?: number; max?: number; integer: boolean; minExclusive: boolean } {
  const finite = (v: number | null | undefined) => (v !== null && v !== undefined && Number.isFinite(v) ? v : undefined);
  const lower = t.def.checks?.map((c) => c._zod.def).find((d) => d.check === 'greater_than');
  return { min: finite(t.minValue), max: finite(t.maxValue), integer: t.isInt === true, minExclusive: lower?.inclusive === false };
}

/** One control: the declaration plus what the schema says about its param. Throws for a param the schema lacks or cannot show. */
export function controlSpec<P>(schema: z.ZodObject, decl: ControlDecl<P>): ControlSpec<P> {
  const field = (schema.shape as Record<string, unknown>)[decl.param] as Inspectable | undefined;
  if (!field) throw new Error(`Control "${decl.param}" names no param of the schema.`);
  const t = core(field);
  const base = { param: decl.param, label: decl.label, ...(decl.help !== undefined ? { help: decl.help } : {}), ...(decl.when ? { when: decl.when } : {}) };
  switch (t.def.type) {
    case 'number': {
      const b = numberBounds(t);
      return {
        ...base,
        kind: 'number',
        ...(b.min !== undefined ? { min: b.min } : {}),
        ...(b.max !== undefined ? { max: b.max } : {}),
        ...(b.minExclusive ? { minExclusive: true } : {}),
        ...(b.integer ? { integer: true } : {}),
        ...(decl.step !== undefined || b.integer ? { step: decl.step ?? 1 } : {}),
      };
    }
    case 'enum':
      return { ...base, kind: 'select', options: (t.options ?? []).map(String) };
    case 'boolean':
      return { ...base, kind: 'boolean' };
    case 'string':
      return { ...base, kind: 'text', ...(typeof t.maxLength === 'number' ? { maxLength: t.maxLength } : {}) };
    case 'array': {
      const el = t.element ? core(t.element) : undefined;
      if (el?.def.type !== 'number') break;
      const b = numberBounds(el);
      return { ...base, kind: 'intList', ...(b.min !== undefined ? { min: b.min } : {}), ...(b.max !== undefined ? { max: b.max } : {}) };
    }
    case 'union': {
      const opts = (t.def.options ?? []).map(core);
      const num = opts.find((o) => o.def.type === 'number');
      const auto = opts.some((o) => o.def.type === 'literal' && o.values?.has('auto'));
      if (!num || !auto || opts.length !== 2) break;
      const b = numberBounds(num);
      return { ...base, kind: 'autoOrInt', ...(b.min !== undefined ? { min: b.min } : {}), ...(b.max !== undefined ? { max: b.max } : {}) };
    }
  }
  throw new Error(`Control "${decl.param}": a ${t.def.type} param has no control kind.`);
}

/** Every declared control, in order. */
export function controlsFrom<P>(schema: z.ZodObject, decls: readonly ControlDecl<P>[]): ControlSpec<P>[] {
  return decls.map((d) => controlSpec(schema, d));
}

/** The controls to show for a node's params: those without a `when`, and those whose `when` holds. */
export function visibleControls<C extends { when?: ControlWhen }>(controls: readonly C[], params: Record<string, unknown>): C[] {
  return controls.filter((c) => !c.when || c.when.values.includes(String(params[c.when.param])));
}
