// Plain constants (no zod) so deterministic workflow code can import them cheaply.
export type RoleName = 'router' | 'formalizer' | 'reasoner' | 'judge' | 'model';
export const CPU_QUEUE = 'r1ov-cpu';
export const GPU_QUEUE = 'r1ov-gpu';
export const llmQueue = (role: RoleName): string => `r1ov-llm-${role}`;
export const ROLE_NAMES: readonly RoleName[] = ['router', 'formalizer', 'reasoner', 'judge', 'model'];
export const ALL_QUEUES: readonly string[] = [CPU_QUEUE, ...ROLE_NAMES.map(llmQueue), GPU_QUEUE];
/** Deterministic child workflow id (DESIGN.md rule 3). Long or odd ids are hashed by the caller first. */
export const sampleWorkflowId = (run: string, sampleId: string): string => `r1ov/${run}/${sampleId}`;
export const buildWorkflowId = (run: string): string => `r1ov/${run}`;
