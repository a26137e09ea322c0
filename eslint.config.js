// Workflow code must be deterministic: no Node built-ins (fs, crypto, timers…) in workflows/ (as in
// temporalio/samples-typescript). The Temporal bundler would also refuse most of them; this says so earlier.
import tsParser from '@typescript-eslint/parser';
import { builtinModules } from 'node:module';

const builtins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];

export default [
  {
    files: ['workflows/**/*.ts'],
    languageOptions: { parser: tsParser, sourceType: 'module' },
    rules: {
      'no-restricted-imports': ['error', {
        paths: builtins.map((name) => ({ name, message: 'workflow code must be deterministic: no Node built-ins in workflows/' })),
        patterns: [{ group: ['node:*'], message: 'workflow code must be deterministic: no Node built-ins in workflows/' }],
      }],
      'no-restricted-globals': ['error',
        { name: 'process', message: 'no process in workflow code' },
        { name: 'require', message: 'no require in workflow code' },
        { name: 'setImmediate', message: 'use workflow sleep/condition' }],
    },
  },
];
