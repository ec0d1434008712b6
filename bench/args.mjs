/**
 * The command-line flags of the bench scripts (bench/*.mjs, bench/*.ts): the value after
 * `--name`, or `fallback` when the flag or its value is absent.
 */
export function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}
