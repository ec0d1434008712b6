// Types for bench/args.mjs.
export function arg(name: string, fallback: string): string;
