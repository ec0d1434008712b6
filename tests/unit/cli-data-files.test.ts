import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDataBindings, readDataFile } from '../../src/cli/data-files';
import { isFileParam } from '../../src/runtime/data/node-files';
import { parseArgs, type CommandSpec } from '../../src/cli/args';

let root: string;
let graphDir: string;
let graph: string;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'vae-lab-data-'));
  graphDir = join(root, 'project');
  mkdirSync(graphDir);
  graph = join(graphDir, 'graph.json');
  writeFileSync(graph, '{}');
  writeFileSync(join(graphDir, 'table.csv'), 'a,b\n1,2\n');
  writeFileSync(join(root, 'secret.csv'), 'secret\n1\n');
  symlinkSync(join(root, 'secret.csv'), join(graphDir, 'out.csv'));
  symlinkSync(join(graphDir, 'table.csv'), join(graphDir, 'alias.csv'));
  mkdirSync(join(graphDir, 'sub'));
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

const text = (b: Uint8Array) => new TextDecoder().decode(b);

describe('readDataFile', () => {
  it('reads a file named in the graph from the graph file’s folder (a link that stays inside is fine)', async () => {
    const r = await readDataFile(graph, 'data', 'file', 'table.csv', []);
    expect(r.ok && text(r.bytes)).toBe('a,b\n1,2\n');
    const a = await readDataFile(graph, 'data', 'file', 'alias.csv', []);
    expect(a.ok).toBe(true);
  });

  it('refuses a link that leads out of the folder with DATA_PATH', async () => {
    const r = await readDataFile(graph, 'data', 'file', 'out.csv', []);
    expect(r).toMatchObject({ ok: false, diagnostic: { code: 'DATA_PATH', node: 'data' } });
  });

  it('refuses paths in the graph with DATA_PATH, before touching the disk', async () => {
    for (const name of ['../secret.csv', join(root, 'secret.csv'), 'sub/../table.csv', 'file:///etc/passwd']) {
      const r = await readDataFile(graph, 'data', 'file', name, []);
      expect(r, name).toMatchObject({ ok: false, diagnostic: { code: 'DATA_PATH' } });
    }
  });

  it('says DATA_MISSING for an empty name, a missing file or a folder, with the --data to give', async () => {
    const empty = await readDataFile(graph, 'data', 'labelsFile', '', []);
    expect(empty).toMatchObject({ ok: false, diagnostic: { code: 'DATA_MISSING', node: 'data' } });
    if (!empty.ok) expect(empty.diagnostic.fix).toContain('--data data.labelsFile=PATH');
    expect(await readDataFile(graph, 'data', 'file', 'nope.csv', [])).toMatchObject({ ok: false, diagnostic: { code: 'DATA_MISSING' } });
    expect(await readDataFile(graph, 'data', 'file', 'sub', [])).toMatchObject({ ok: false, diagnostic: { code: 'DATA_MISSING' } });
  });

  it('takes a --data binding from anywhere, for that node and param only', async () => {
    const bindings = [{ node: 'data', param: 'file', path: join(root, 'secret.csv') }];
    const r = await readDataFile(graph, 'data', 'file', '', bindings);
    expect(r.ok && text(r.bytes)).toBe('secret\n1\n');
    expect(await readDataFile(graph, 'data', 'labelsFile', '', bindings)).toMatchObject({ ok: false, diagnostic: { code: 'DATA_MISSING' } });
  });

  it('reads the samples built at install', async () => {
    const r = await readDataFile(graph, 'data', 'file', 'sample:penguins', []);
    expect(r.ok && text(r.bytes).split('\n')[0]).toBe('Species,Island,Beak Length (mm),Beak Depth (mm),Flipper Length (mm),Body Mass (g),Sex');
  });

  it('refuses a file over the byte limit with DATA_TOO_LARGE without reading it', async () => {
    expect(await readDataFile(graph, 'data', 'file', 'table.csv', [], 4)).toMatchObject({ ok: false, diagnostic: { code: 'DATA_TOO_LARGE' } });
  });
});

describe('--data bindings', () => {
  const nodes = [{ id: 'data' }, { id: 'enc' }];
  const fileParamsOf = (id: string) => (id === 'data' ? ['file', 'labelsFile'] : []);

  it('binds NODE=PATH to file and NODE.PARAM=PATH to another file param', () => {
    const r = parseDataBindings(['data=a/x.gz', 'data.labelsFile=b=c.gz'], nodes, fileParamsOf);
    expect(r).toEqual({ ok: true, bindings: [{ node: 'data', param: 'file', path: 'a/x.gz' }, { node: 'data', param: 'labelsFile', path: 'b=c.gz' }] });
  });

  it('is USAGE for an unknown node, a param that is not a file param, a node without files, a repeat or a malformed value', () => {
    for (const v of [['nodata=x'], ['data.size=x'], ['enc=x'], ['data=x', 'data.file=y'], ['=x'], ['data'], ['data=']]) {
      const r = parseDataBindings(v, nodes, fileParamsOf);
      expect(r, v.join(' ')).toMatchObject({ ok: false, diagnostic: { code: 'USAGE' } });
    }
  });

  it('knows file params by name', () => {
    expect(['file', 'labelsFile'].every(isFileParam)).toBe(true);
    expect(['files', 'size', 'File', 'sha256'].some(isFileParam)).toBe(false);
  });

  it('may be repeated on the command line (a list flag)', () => {
    const spec: CommandSpec[] = [{ name: 'check', summary: '', positionals: ['graph.json'], flags: { data: { kind: 'list', help: '' }, json: { kind: 'switch', help: '' } } }];
    const r = parseArgs(['check', 'g.json', '--data', 'data=x', '--data=data.labelsFile=y'], spec);
    expect(r).toMatchObject({ ok: true, args: { flags: { data: ['data=x', 'data.labelsFile=y'] } } });
    expect(parseArgs(['check', 'g.json', '--json', '--json'], spec)).toMatchObject({ ok: false, diagnostic: { code: 'USAGE' } });
  });
});
