// The input schemas of the workflows that validate a caller's input (build, evaluate, train), loaded when one of
// them starts rather than with the bundle. The worker's sandbox initialises a workflow's modules for every workflow
// it creates: importing zod at the top would set zod and every schema up again for each sample workflow (most
// workflows of a build), which validates nothing. `webpackMode: "eager"` keeps them in the one bundle; the import
// resolves within the same activation, so replay sees the same order.
export const buildInput = () => import(/* webpackMode: "eager" */ '../schemas/workflow.ts');
export const evalInput = async () => ({
  ...(await import(/* webpackMode: "eager" */ '../schemas/eval.ts')),
  ...(await buildInput()),
});
export const trainInput = async () => ({
  ...(await import(/* webpackMode: "eager" */ '../schemas/train.ts')),
  ...(await buildInput()),
});
