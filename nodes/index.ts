/**
 * The explicit node registry. Adding a node type: its module, its test, one line here.
 */
import type { NodeCatalog } from '../src/graph/catalog';
import type { AnyNodeDef } from './types';
import dataMnist from './data.mnist';
import dataTable from './data.table';
import dataImages from './data.images';
import dataSequence from './data.sequence';
import vaeEncoder from './vae.encoder';
import vaeReparameterize from './vae.reparameterize';
import vaeDecoder from './vae.decoder';
import lossKl from './loss.kl';
import lossReconstruction from './loss.reconstruction';
import lossBeta from './loss.beta';
import trainOptimizer from './train.optimizer';
import layerDense from './layer.dense';
import opSplit from './op.split';
import opScale from './op.scale';
import opExp from './op.exp';
import opAdd from './op.add';
import opMul from './op.mul';
import opNoise from './op.noise';
import layerConv2d from './layer.conv2d';
import layerConv2dTranspose from './layer.conv2dTranspose';
import layerGru from './layer.gru';
import layerLstm from './layer.lstm';
import opReshape from './op.reshape';
import opRepeat from './op.repeat';
import noteText from './note.text';

export interface NodeRegistry extends NodeCatalog {
  get(type: string): AnyNodeDef | undefined;
  all(): readonly AnyNodeDef[];
}

export function createRegistry(defs: readonly AnyNodeDef[]): NodeRegistry {
  const map = new Map<string, AnyNodeDef>();
  for (const def of defs) {
    if (map.has(def.type)) throw new Error(`Node type "${def.type}" is registered twice.`);
    map.set(def.type, def);
  }
  const types = [...map.keys()];
  return {
    get: (type) => map.get(type),
    types: () => types,
    all: () => [...map.values()],
  };
}

export const registry: NodeRegistry = createRegistry([
  dataMnist,
  vaeEncoder,
  vaeReparameterize,
  vaeDecoder,
  lossKl,
  lossReconstruction,
  lossBeta,
  trainOptimizer,
  layerDense,
  opSplit,
  opScale,
  opExp,
  opAdd,
  opMul,
  opNoise,
  layerConv2d,
  layerConv2dTranspose,
  layerGru,
  layerLstm,
  opReshape,
  opRepeat,
  noteText,
  dataTable,
  dataImages,
  dataSequence,
]);
