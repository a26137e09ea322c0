// Workflow entry point for the bundler: deterministic code only (no Node built-ins; enforced by eslint).
export { buildDataset } from './build-dataset.ts';
export { sampleLifecycle } from './sample-lifecycle.ts';
export { evaluate } from './evaluate.ts';
export { trainModel } from './train-model.ts';
