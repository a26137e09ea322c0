// The house rules a linter can hold: which folder may import which, and deterministic workflow code.
// `npm run lint` (eslint .) checks the whole tree; test/lint.test.ts runs it with the tests.
import tsParser from '@typescript-eslint/parser';
import { builtinModules } from 'node:module';
import { dirname, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const builtins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];

// Which folder may import which (docs/ARCHITECTURE.md, "Folders and what they may import"; each folder's README
// says the same). A local rule rather than no-restricted-imports: it resolves relative paths against the importing
// file, so it can tell one activities/ stage from another and a type-only import from a value import.
const root = dirname(fileURLToPath(import.meta.url));

// Shared modules of activities/ that any stage may import; everything else in activities/<stage>/ is that stage's
// own. sample-io.ts and stage-io.ts read and write what stages hand each other through the blob store. The
// libraries have no activity of their own (or are the gateway every LLM role goes through); the
// formalize/ paths are the formal-kind registry, its kinds (one file each) and the executable checks, which
// fidelity, QA, reasoning, recording and grounding read too; fidelity/score.ts holds the fidelity metrics the kinds
// name; shards/commit.ts writes every Parquet shard (the build's and evaluation's); heartbeat.ts is how any
// activity heartbeats.
const SHARED_ACTIVITY_MODULES = [
  'activities/sample-io.ts',
  'activities/stage-io.ts',
  'activities/heartbeat.ts',
  'activities/llm/',
  'activities/images/',
  'activities/ocr/',
  'activities/synthetic/',
  'activities/grounding/',
  'activities/formalize/kinds.ts',
  'activities/formalize/kinds/',
  'activities/formalize/validators/',
  'activities/fidelity/score.ts',
  'activities/shards/commit.ts',
];

/** Per top folder: project folders it may import (`*` = any but those in `not`), npm packages it may import. */
const LAYERS = {
  schemas: { folders: ['schemas'], packages: ['zod', '@temporalio/common'] },
  core: { folders: ['core', 'schemas', 'infra/server.ts'], packages: '*' },
  activities: { folders: ['activities', 'core', 'schemas'], packages: '*' },
  workflows: {
    folders: ['workflows', 'schemas'],
    typeOnly: ['activities'],
    packages: ['@temporalio/workflow', '@temporalio/common', 'zod'],
  },
  infra: { folders: '*', not: ['cli', 'test'], packages: '*' },
  cli: { folders: '*', not: ['test'], packages: '*' },
};

const within = (path, prefix) =>
  prefix.endsWith('/') || !prefix.includes('.')
    ? path === prefix || path.startsWith(prefix.replace(/\/?$/, '/'))
    : path === prefix;
const stageOf = (path) => (path.startsWith('activities/') && path.split('/').length > 2 ? path.split('/')[1] : null);
const packageOf = (spec) => (spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]);

function violation(file, spec, typeOnly) {
  const layer = LAYERS[file.split('/')[0]];
  if (!layer) return null;
  if (!spec.startsWith('.')) {
    if (layer.packages === '*' || layer.packages.includes(packageOf(spec))) return null;
    if (layer === LAYERS.workflows && builtins.includes(spec)) return null; // the determinism rule below says why
    return `${file.split('/')[0]}/ may import only ${layer.packages.join(', ')} from npm, not ${spec}`;
  }
  const target = relative(root, resolve(root, dirname(file), spec))
    .split(sep)
    .join('/');
  const folder = target.split('/')[0];
  const allowed = layer.folders === '*' ? !layer.not.includes(folder) : layer.folders.some((f) => within(target, f));
  if (!allowed && !(typeOnly && layer.typeOnly?.includes(folder))) {
    const what = layer.typeOnly?.includes(folder) ? ' except type-only (import type)' : '';
    return `${file.split('/')[0]}/ may not import ${folder}/${what} (${target}); see docs/ARCHITECTURE.md`;
  }
  const [from, to] = [stageOf(file), stageOf(target) ?? (target.startsWith('activities/') ? '' : null)];
  if (from && to !== null && to !== from && !SHARED_ACTIVITY_MODULES.some((m) => within(target, m))) {
    return `activities/${from}/ may not import another stage's module (${target}): move the shared piece to core/ or a shared module (activities/README.md)`;
  }
  return null;
}

const layersRule = {
  meta: { type: 'problem', schema: [] },
  create(context) {
    const file = relative(root, context.filename).split(sep).join('/');
    const check = (node, source, typeOnly) => {
      if (source?.type !== 'Literal' || typeof source.value !== 'string') return;
      const message = violation(file, source.value, typeOnly);
      if (message) context.report({ node: source, message });
    };
    const allTypes = (node, kind) =>
      node[kind] === 'type' || (node.specifiers?.length > 0 && node.specifiers.every((s) => s[kind] === 'type'));
    return {
      ImportDeclaration: (node) => check(node, node.source, allTypes(node, 'importKind')),
      ExportNamedDeclaration: (node) => check(node, node.source, allTypes(node, 'exportKind')),
      ExportAllDeclaration: (node) => check(node, node.source, node.exportKind === 'type'),
      ImportExpression: (node) => check(node, node.source, false),
      TSImportType: (node) => check(node, node.argument?.literal ?? node.argument, true),
    };
  },
};

export default [
  {
    ignores: [
      '.r1ov/**',
      '.r1ov-*/**',
      'test-output/**',
      'bench/out/**',
      'bench/*/out/**',
      'trainer/.venv/**',
      '.gl/**',
      '.whl/**',
    ],
  },
  {
    files: ['**/*.ts'],
    languageOptions: { parser: tsParser, sourceType: 'module' },
    plugins: { r1ov: { rules: { layers: layersRule } } },
    rules: { 'r1ov/layers': 'error' },
  },
  // Workflow code must be deterministic: no Node built-ins (fs, crypto, timers…) in workflows/ (as in
  // temporalio/samples-typescript). The Temporal bundler would also refuse most of them; this says so earlier.
  {
    files: ['workflows/**/*.ts'],
    languageOptions: { parser: tsParser, sourceType: 'module' },
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: builtins.map((name) => ({
            name,
            message: 'workflow code must be deterministic: no Node built-ins in workflows/',
          })),
          patterns: [
            { group: ['node:*'], message: 'workflow code must be deterministic: no Node built-ins in workflows/' },
          ],
        },
      ],
      'no-restricted-globals': [
        'error',
        { name: 'process', message: 'no process in workflow code' },
        { name: 'require', message: 'no require in workflow code' },
        { name: 'setImmediate', message: 'use workflow sleep/condition' },
      ],
    },
  },
];
