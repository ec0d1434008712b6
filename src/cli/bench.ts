/**
 * `vae-lab bench` (`npm run bench`): the compiled standard preset against hand-written tfjs
 * loops, one process, contenders interleaved (bench/run.ts); the same three contenders for the
 * conv-vae and sequence-vae architectures; compile() timings. Prints a
 * table (or one JSON line with --json) and writes bench/results.json.
 */
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { useBackend, type BackendName } from '../runtime/backends';
import { loadMnistNode } from '../runtime/data/mnist-node';
import { runBench, type BenchResult } from '../../bench/run';
import type { ParsedArgs } from './args';
import type { Output } from './output';

export const DEFAULT_RESULTS = fileURLToPath(new URL('../../bench/results.json', import.meta.url));

const GOALS = { compiledOverHandFast: 1.02, stockOverCompiled: 3.5, standardCompileMs: 20, generatedCompileMs: 50 };

export async function benchCommand(args: ParsedArgs, out: Output): Promise<number> {
  const f = args.flags;
  const backend = (f.backend as BackendName | undefined) ?? 'wasm';
  await useBackend(backend);
  const mnist = await loadMnistNode();
  out.note(`Benchmarking on ${backend} (contenders interleaved; this takes a minute)…`);
  const result = await runBench(mnist, {
    rounds: f.rounds as number | undefined,
    block: f.block as number | undefined,
    archRounds: f['arch-rounds'] as number | undefined,
    skipArchitectures: !!f['no-arch'],
    onProgress: (msg) => out.progress(`bench: ${msg}`),
  });
  out.clearBar();
  const target = f['no-write'] ? null : ((f.out as string | undefined) ?? DEFAULT_RESULTS);
  const record = { ...result, goals: GOALS };
  if (target) await writeFile(target, `${JSON.stringify(record, null, 2)}\n`);
  if (out.json) out.raw(record);
  else printTable(out, result, target);
  return 0;
}

function printTable(out: Output, r: BenchResult, target: string | null): void {
  const pad = (s: string, n: number) => s.padEnd(n);
  const num = (x: number, d = 1) => x.toFixed(d).padStart(8);
  out.line(`Training step, standard VAE (784-400-20-400-784, batch 128, Adam), ${r.backend}, Node ${r.node}, ${r.cpus} × ${r.cpuModel}`);
  out.line(`load average ${r.loadAverage[0]} → ${r.loadAverage[1]} (1 min; above ~1 per core the wall times include waiting for a core)`);
  out.line(`${pad('contender', 12)}${'ms/step'.padStart(8)}${'p10'.padStart(8)}${'p90'.padStart(8)}${'cpu ms'.padStart(8)}${'steps'.padStart(7)}  last loss`);
  for (const c of r.contenders) out.line(`${pad(c.name, 12)}${num(c.msPerStep)}${num(c.p10)}${num(c.p90)}${num(c.cpuMsPerStep)}${String(c.steps).padStart(7)}  ${c.lastLoss.toFixed(2)}`);
  const steps = Object.values(r.sameModel.losses)[0]!.map((l) => l.toFixed(3)).join(', ');
  out.line(`same model, weights and noise: losses at steps 1–${Object.values(r.sameModel.losses)[0]!.length} ${steps}; contenders agree to ${r.sameModel.maxRelDiff.toExponential(1)} (relative)`);
  const verdict = (x: number | null, ok: (v: number) => boolean) => (x === null ? '' : ok(x) ? '  met' : '  NOT met');
  const le = (v: number) => v <= GOALS.compiledOverHandFast;
  const ge = (v: number) => v >= GOALS.stockOverCompiled;
  out.line('');
  out.line(`${pad('', 22)}${'wall'.padStart(8)}${'cpu'.padStart(8)}`);
  out.line(`${pad('compiled / handFast', 22)}${String(r.ratios.compiledOverHandFast ?? '–').padStart(8)}${String(r.cpuRatios.compiledOverHandFast ?? '–').padStart(8)}   goal ≤ ${GOALS.compiledOverHandFast}${verdict(r.ratios.compiledOverHandFast, le)}`);
  out.line(`${pad('  paired by round', 22)}${String(r.pairedCompiledOverHandFast.wall ?? '–').padStart(8)}${String(r.pairedCompiledOverHandFast.cpu ?? '–').padStart(8)}`);
  out.line(`${pad('stock / compiled', 22)}${String(r.ratios.stockOverCompiled ?? '–').padStart(8)}${String(r.cpuRatios.stockOverCompiled ?? '–').padStart(8)}   goal ≥ ${GOALS.stockOverCompiled}${verdict(r.ratios.stockOverCompiled, ge)}`);
  for (const a of r.architectures) {
    out.line('');
    out.line(`Training step, ${a.name}: ${a.what}`);
    out.line(`${pad('contender', 12)}${'ms/step'.padStart(8)}${'p10'.padStart(8)}${'p90'.padStart(8)}${'cpu ms'.padStart(8)}${'steps'.padStart(7)}  last loss`);
    for (const c of a.contenders) out.line(`${pad(c.name, 12)}${num(c.msPerStep)}${num(c.p10)}${num(c.p90)}${num(c.cpuMsPerStep)}${String(c.steps).padStart(7)}  ${c.lastLoss.toFixed(2)}`);
    for (const f of a.failed) out.line(`${pad(f.name, 12)}  cannot train on ${r.backend}: ${f.reason}`);
    const agree = Object.keys(a.sameModel.losses).length > 1 ? `; contenders agree at steps 1–3 to ${a.sameModel.maxRelDiff.toExponential(1)} (relative)` : '';
    out.line(`compiled / handFast ${a.ratios.compiledOverHandFast ?? '–'} wall, ${a.cpuRatios.compiledOverHandFast ?? '–'} cpu; stock / compiled ${a.ratios.stockOverCompiled ?? '–'} wall, ${a.cpuRatios.stockOverCompiled ?? '–'} cpu${agree}`);
  }
  out.line('');
  out.line(`${pad('compile()', 16)}${'nodes'.padStart(6)}${'edges'.padStart(6)}${'median ms'.padStart(11)}${'p90 ms'.padStart(9)}${'runs'.padStart(6)}`);
  for (const c of r.compile) out.line(`${pad(c.name, 16)}${String(c.nodes).padStart(6)}${String(c.edges).padStart(6)}${num(c.ms, 2).padStart(11)}${num(c.p90, 2).padStart(9)}${String(c.runs).padStart(6)}`);
  if (target) out.line(`\nwritten to ${target}`);
}
