/**
 * The command line's arguments: `<command> [positionals] [--flag value | --flag=value | --switch]`.
 * Pure: no I/O, no tfjs. Every mistake is a USAGE diagnostic that says what was expected.
 */
import { error, type Diagnostic } from '../graph/diagnostics';

/** 'list': a string flag that may be given more than once (e.g. --data), collected in order. */
export type FlagKind = 'switch' | 'count' | 'int' | 'string' | 'choice' | 'list';

export interface FlagSpec {
  kind: FlagKind;
  /** For 'choice'. */
  choices?: readonly string[];
  /** For 'int': inclusive bounds. */
  min?: number;
  max?: number;
  help: string;
  /** Shown in the usage line, e.g. N, S, DIR. */
  meta?: string;
}

export interface CommandSpec {
  name: string;
  summary: string;
  /** Positional arguments, by name; all required. */
  positionals: string[];
  flags: Record<string, FlagSpec>;
}

export type FlagValue = boolean | number | string | string[];

export interface ParsedArgs {
  command: string;
  positionals: Record<string, string>;
  flags: Record<string, FlagValue>;
}

export type ParseResult = { ok: true; args: ParsedArgs } | { ok: false; diagnostic: Diagnostic; command: string | null };

const usage = (message: string, fix?: string): Diagnostic => error('USAGE', message, { fix });

function parseIntFlag(name: string, raw: string, spec: FlagSpec): number | Diagnostic {
  if (!/^\d+$/.test(raw)) {
    return usage(`--${name} takes a whole number, got ${JSON.stringify(raw)}.`, `For example --${name} ${spec.min ?? 1}.`);
  }
  const n = Number(raw);
  const min = spec.min ?? 0;
  const max = spec.max ?? Number.MAX_SAFE_INTEGER;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    return usage(`--${name} must be between ${min} and ${max}, got ${raw}.`);
  }
  return n;
}

/** Parse argv (without node and the script) against the commands. */
export function parseArgs(argv: readonly string[], commands: readonly CommandSpec[]): ParseResult {
  const [name, ...rest] = argv;
  const known = commands.map((c) => c.name).join(', ');
  if (name === undefined) return { ok: false, diagnostic: usage(`No command given. Commands: ${known}.`, 'Run vae-lab help.'), command: null };
  const cmd = commands.find((c) => c.name === name);
  if (!cmd) {
    return { ok: false, diagnostic: usage(`Unknown command ${JSON.stringify(name)}. Commands: ${known}.`, 'Run vae-lab help.'), command: null };
  }
  const fail = (d: Diagnostic): ParseResult => ({ ok: false, diagnostic: d, command: cmd.name });
  const flags: Record<string, FlagValue> = {};
  const positionals: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i]!;
    if (arg === '--') {
      positionals.push(...rest.slice(i + 1));
      break;
    }
    if (!arg.startsWith('--') || arg === '--') {
      if (arg.startsWith('-') && arg.length > 1) return fail(usage(`Unknown option ${JSON.stringify(arg)} for ${cmd.name}.`, flagHint(cmd)));
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const flagName = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
    const spec = Object.prototype.hasOwnProperty.call(cmd.flags, flagName) ? cmd.flags[flagName] : undefined;
    if (!spec) return fail(usage(`Unknown option --${flagName} for ${cmd.name}.`, flagHint(cmd)));
    if (spec.kind !== 'list' && Object.prototype.hasOwnProperty.call(flags, flagName)) return fail(usage(`--${flagName} is given twice.`));
    if (spec.kind === 'switch') {
      if (eq >= 0) return fail(usage(`--${flagName} is a switch and takes no value.`));
      flags[flagName] = true;
      continue;
    }
    let raw: string;
    if (eq >= 0) {
      raw = arg.slice(eq + 1);
    } else {
      const next = rest[i + 1];
      if (next === undefined || (next.startsWith('--') && next.length > 2)) return fail(usage(`--${flagName} needs a value (${spec.meta ?? 'VALUE'}).`));
      raw = next;
      i++;
    }
    if (spec.kind === 'int' || spec.kind === 'count') {
      const n = parseIntFlag(flagName, raw, spec);
      if (typeof n !== 'number') return fail(n);
      flags[flagName] = n;
    } else if (spec.kind === 'list') {
      if (raw === '') return fail(usage(`--${flagName} needs a non-empty value.`));
      flags[flagName] = [...((flags[flagName] as string[] | undefined) ?? []), raw];
    } else if (spec.kind === 'choice') {
      if (!spec.choices!.includes(raw)) return fail(usage(`--${flagName} must be one of ${spec.choices!.join(', ')}, got ${JSON.stringify(raw)}.`));
      flags[flagName] = raw;
    } else {
      if (raw === '') return fail(usage(`--${flagName} needs a non-empty value.`));
      flags[flagName] = raw;
    }
  }
  if (positionals.length < cmd.positionals.length) {
    const missing = cmd.positionals.slice(positionals.length).map((p) => `<${p}>`).join(' ');
    return fail(usage(`${cmd.name} needs ${missing}.`, `Usage: vae-lab ${usageLine(cmd)}`));
  }
  if (positionals.length > cmd.positionals.length) {
    return fail(usage(`${cmd.name} takes ${cmd.positionals.length || 'no'} argument${cmd.positionals.length === 1 ? '' : 's'}; unexpected ${JSON.stringify(positionals[cmd.positionals.length])}.`, `Usage: vae-lab ${usageLine(cmd)}`));
  }
  const named: Record<string, string> = {};
  cmd.positionals.forEach((p, i) => (named[p] = positionals[i]!));
  return { ok: true, args: { command: cmd.name, positionals: named, flags } };
}

function flagHint(cmd: CommandSpec): string {
  const names = Object.keys(cmd.flags);
  return names.length ? `Options of ${cmd.name}: ${names.map((n) => `--${n}`).join(', ')}.` : `${cmd.name} takes no options.`;
}

export function usageLine(cmd: CommandSpec): string {
  const pos = cmd.positionals.map((p) => `<${p}>`).join(' ');
  const flags = Object.entries(cmd.flags)
    .map(([n, s]) => (s.kind === 'switch' ? `[--${n}]` : `[--${n} ${s.meta ?? (s.kind === 'choice' ? s.choices!.join('|') : 'VALUE')}]`))
    .join(' ');
  return [cmd.name, pos, flags].filter(Boolean).join(' ');
}

export function helpText(commands: readonly CommandSpec[]): string {
  const lines = ['vae-lab: the VAE Lab command line (the same compiler and trainer as the app).', '', 'Usage:'];
  for (const c of commands) lines.push(`  vae-lab ${usageLine(c)}`);
  lines.push('');
  for (const c of commands) {
    lines.push(`${c.name}: ${c.summary}`);
    for (const [n, s] of Object.entries(c.flags)) lines.push(`  --${n}${s.kind === 'switch' ? '' : ` ${s.meta ?? (s.kind === 'choice' ? s.choices!.join('|') : 'VALUE')}`}`.padEnd(28) + s.help);
    lines.push('');
  }
  lines.push('Exit status: 0 on success, 1 on any bad file, graph or option. With --json, stdout holds only JSON lines.');
  return lines.join('\n');
}
