// The validators and executable checks of formal texts, one module per format. Each formal kind
// (../kinds/<kind>.ts) says which of them check its output; `validateFormal` (from the registry, ../kinds.ts) is
// the formalizer's one entry point: the kind's schema, then its validator.
export { validateFormal, type FormalContext, type FormalValidation } from '../kinds.ts';
export { validateSpice } from './spice.ts';
export { simulateOp, refuseUnsafeNetlist } from './spice-sim.ts';
export { runFormalChecks, checkFormal } from './formal-checks.ts';
export { validateMermaid } from './mermaid.ts';
export { validatePlantUml } from './plantuml.ts';
export { validateHtml } from './html.ts';
export { validateCsv, validateJsonTable } from './csv.ts';
export { validateBoxes, checkBox } from './boxes.ts';
export { validateOcrLines, validateObjects, validateMath, validateChart } from './structured.ts';
export type { ValidationResult } from './result.ts';
