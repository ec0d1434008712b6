/**
 * The Rete scheme: nodes, sockets and connections as Rete sees them. Their ids are the
 * graph's ids (a node "enc", a connection "enc.mu->rep.mu"), so the view diffs cheaply
 * against the store's document. Rete objects hold no document state of their own.
 */
import { ClassicPreset, type GetSchemes } from 'rete';
import type { NodeCatalog } from '../graph/catalog';
import type { PortKind } from '../graph/ports';
import { nodeSize } from '../graph/geometry';

export class KindSocket extends ClassicPreset.Socket {
  constructor(public kind: PortKind) {
    super(kind);
  }
}

export class ViewNode extends ClassicPreset.Node<Record<string, KindSocket>, Record<string, KindSocket>, Record<string, never>> {
  width: number;
  height: number;
  /** The node type (vae.encoder, …). */
  type: string;

  constructor(id: string, type: string, catalog: NodeCatalog) {
    const info = catalog.get(type);
    super(info?.title ?? type);
    this.id = id;
    this.type = type;
    const size = nodeSize(type, catalog);
    this.width = size.width;
    this.height = size.height;
    info?.inputs.forEach((p, i) => {
      const input = new ClassicPreset.Input(new KindSocket(p.kind), p.name, !!p.multi);
      input.index = i;
      this.addInput(p.name, input);
    });
    info?.outputs.forEach((p, i) => {
      const output = new ClassicPreset.Output(new KindSocket(p.kind), p.name, true);
      output.index = i;
      this.addOutput(p.name, output);
    });
  }
}

export class ViewConnection extends ClassicPreset.Connection<ViewNode, ViewNode> {
  /** Endpoints "node.port". */
  from: string;
  to: string;
  /** Set while the view removes this connection itself (a sync), so it is not read as a gesture. */
  syncing = false;

  constructor(source: ViewNode, sourceOutput: string, target: ViewNode, targetInput: string) {
    super(source, sourceOutput, target, targetInput);
    this.from = `${source.id}.${sourceOutput}`;
    this.to = `${target.id}.${targetInput}`;
    this.id = edgeId(this.from, this.to);
  }
}

export function edgeId(from: string, to: string): string {
  return `${from}->${to}`;
}

export type Schemes = GetSchemes<ViewNode, ViewConnection>;
