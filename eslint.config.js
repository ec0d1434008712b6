// @ts-check
import tseslint from 'typescript-eslint';
import vueParser from 'vue-eslint-parser';

/**
 * Layer direction (DESIGN.md section 1): a layer imports only from the layers listed
 * above it, in this order. Everything else is enforced with no-restricted-imports.
 */
const LAYERS = [
  { dir: 'src/graph', name: 'graph' },
  { dir: 'nodes', name: 'nodes' },
  { dir: 'src/compiler', name: 'compiler' },
  { dir: 'src/export', name: 'export' },
  { dir: 'src/runtime', name: 'runtime' },
  { dir: 'src/worker', name: 'worker' },
  { dir: 'src/stores', name: 'stores' },
  { dir: 'src/editor', name: 'editor' },
  { dir: 'src/components', name: 'components' },
  { dir: 'src/cli', name: 'cli' },
];

/** Extra forbidden packages per layer. */
const FORBIDDEN_PACKAGES = {
  graph: ['@tensorflow/*'], // pure schema, ports, diagnostics and edit commands
  compiler: ['@tensorflow/*'], // "Pure, no tfjs state"
  export: ['@tensorflow/*', 'node:*'], // "pure, imports no tfjs": the app and the CLI share it
};

/**
 * A regex matching a relative import of layer `target` (…/src/runtime/…, ../runtime, …).
 * Only `../` paths can leave a layer, so `./` imports inside a layer never match.
 */
function importOf(target) {
  const last = target.dir.split('/').at(-1);
  const prefix = target.dir.startsWith('src/') ? '(src/)?' : '';
  return `^(\\.\\./)+${prefix}${last}(/|$)`;
}

const layerConfigs = LAYERS.map((layer, i) => {
  const below = LAYERS.slice(i + 1);
  const patterns = below.map((t) => ({
    regex: importOf(t),
    message: `${layer.dir} may not import ${t.dir}: a layer imports only from the layers listed above it (DESIGN.md section 1).`,
  }));
  for (const pkg of FORBIDDEN_PACKAGES[layer.name] ?? []) {
    patterns.push({ group: [pkg], message: `${layer.dir} must not depend on ${pkg} (DESIGN.md section 1).` });
  }
  return {
    name: `vae-lab/layer-${layer.name}`,
    files: [`${layer.dir}/**/*.{ts,mts,js,mjs,vue}`],
    rules: { 'no-restricted-imports': ['error', { patterns }] },
  };
});

export default tseslint.config(
  {
    ignores: ['node_modules/', 'dist/', 'public/', 'test-results/', 'coverage/', 'bench-results/', 'bench-output/'],
  },
  ...tseslint.configs.recommended,
  {
    // Single-file components: vue-eslint-parser reads the <script> blocks, TypeScript inside them.
    files: ['**/*.vue'],
    languageOptions: {
      parser: vueParser,
      parserOptions: { parser: tseslint.parser, sourceType: 'module', extraFileExtensions: ['.vue'] },
    },
  },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  ...layerConfigs,
);
