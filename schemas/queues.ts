// Plain constants (no zod) so deterministic workflow code can import them cheaply.
export type RoleName = 'router' | 'formalizer' | 'reasoner' | 'judge' | 'model';
/** Run names: also the last part of workflow ids and a folder name under runs/. */
export const RUN_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;
export const CPU_QUEUE = 'r1ov-cpu';
export const GPU_QUEUE = 'r1ov-gpu';
export const llmQueue = (role: RoleName): string => `r1ov-llm-${role}`;
export const ROLE_NAMES: readonly RoleName[] = ['router', 'formalizer', 'reasoner', 'judge', 'model'];
export const ALL_QUEUES: readonly string[] = [CPU_QUEUE, ...ROLE_NAMES.map(llmQueue), GPU_QUEUE];
/** FNV-1a (32-bit, twice with different seeds): a pure, deterministic hash usable inside workflow code. */
function fnv(s: string, seed: number): string {
  let h = seed >>> 0;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}

/** Longest sample id kept verbatim in a workflow id (the server refuses ids over 1,000 characters). */
const MAX_ID_IN_WORKFLOW_ID = 200;

/**
 * Deterministic child workflow id (docs/ARCHITECTURE.md hard rule 3): `r1ov/<run>/<sampleId>`; a longer sample id keeps a readable
 * prefix and gets a hash of the whole id, so any input id yields a valid, unique-in-practice workflow id.
 */
export const sampleWorkflowId = (run: string, sampleId: string): string =>
  sampleId.length <= MAX_ID_IN_WORKFLOW_ID
    ? `r1ov/${run}/${sampleId}`
    : `r1ov/${run}/${sampleId.slice(0, 120)}~${fnv(sampleId, 0x811c9dc5)}${fnv(sampleId, 0x01234567)}`;
export const buildWorkflowId = (run: string): string => `r1ov/${run}`;
export const evalWorkflowId = (run: string): string => `r1ov-eval/${run}`;
/** Label of a training epoch's checkpoint: `sft`, `grpo-e1`, `grpo-e2`, … */
export const epochLabel = (stage: 'sft' | 'grpo', epoch?: number): string =>
  stage === 'sft' ? 'sft' : `grpo-e${epoch ?? 1}`;
/**
 * Eval run of one training epoch on one held-out bench: `<train>.<label>[.<bench>]`, so that
 * `select run, accuracy from eval_runs where run like '<train>.%' order by started_at` lists the epochs.
 */
export const trainEvalRunName = (train: string, label: string, bench?: string): string =>
  `${train}.${label}${bench ? `.${bench}` : ''}`;
