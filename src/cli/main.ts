/**
 * The `vae-lab` command line (DESIGN.md section 5): check, train, bench, compare.
 *
 *   npm run --silent cli -- check presets/standard-vae.json --json
 *
 * stdout is reserved for results: with --json it holds nothing but JSON lines. So, before
 * anything loads tfjs (which prints a banner in Node), console.log/info/debug/warn all go
 * to stderr; the commands themselves write to process.stdout directly. Every failure is a
 * coded diagnostic (INTERNAL as the last resort), never a stack trace, and exits 1.
 */
import { format } from 'node:util';
import { error } from '../graph/diagnostics';
import { helpText, parseArgs } from './args';
import { COMMANDS } from './commands';
import { Output } from './output';

const toStderr = (...parts: unknown[]): void => {
  process.stderr.write(`${format(...parts)}\n`);
};
console.log = toStderr;
console.info = toStderr;
console.debug = toStderr;
console.warn = toStderr;

const argv = process.argv.slice(2);
const out = new Output(argv.includes('--json'), process.stdout, process.stderr);
let exiting = false;

function exit(code: number): void {
  if (exiting) return;
  exiting = true;
  out.clearBar();
  // Let stdout drain (a pipe or a file) before leaving.
  process.stdout.write('', () => process.exit(code));
}

function crash(e: unknown): void {
  if (exiting) return;
  const message = e instanceof Error ? e.message : String(e);
  try {
    out.diagnostic(error('INTERNAL', `Internal error: ${message.split('\n')[0]!.slice(0, 500)}`, { fix: 'Please report this with the command you ran.' }));
  } catch {
    process.stderr.write(`error INTERNAL: ${message}\n`);
  }
  exit(1);
}

// Ours come first; the wasm backend adds handlers that rethrow (and print its source).
process.on('uncaughtException', crash);
process.on('unhandledRejection', crash);
process.stdout.on('error', () => process.exit(exiting ? 0 : 1));

async function main(): Promise<number> {
  if (argv.length === 0 || ['help', '--help', '-h'].includes(argv[0]!)) {
    const asked = argv.length > 0;
    (asked ? process.stdout : process.stderr).write(`${helpText(COMMANDS)}\n`);
    return asked ? 0 : 1;
  }
  if (argv[0] === 'compare') {
    // compare parses its own options (src/cli/compare.ts).
    const { runCompare } = await import('./compare');
    return runCompare(argv, (line) => process.stdout.write(`${line}\n`), (line) => process.stderr.write(`${line}\n`));
  }
  const parsed = parseArgs(argv, COMMANDS);
  if (!parsed.ok) {
    out.diagnostic(parsed.diagnostic);
    return 1;
  }
  const { runCommand } = await import('./run');
  return runCommand(parsed.args, out);
}

main().then(exit, crash);
