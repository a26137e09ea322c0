import { z } from 'zod';
import { RUN_NAME_RE } from '../core/home.ts';

/**
 * One stage's trainer configuration (`r1ov train sft|grpo --config FILE`). Mirrors trainer/r1ov_trainer/config.py
 * field for field: the activity hands the validated object to `python -m r1ov_trainer` unchanged. Unknown keys are
 * errors on both sides. Examples: trainer/examples/.
 */
const positiveInt = z.number().int().positive();
export const LoraSchema = z.strictObject({
  enabled: z.boolean().default(false),
  r: positiveInt.optional(),
  alpha: positiveInt.optional(),
  dropout: z.number().min(0).max(1).optional(),
  target_modules: z.array(z.string()).min(1).optional(),
});

export const REWARD_NAMES = ['accuracy', 'format', 'iou'] as const;

export const StageConfigSchema = z.strictObject({
  /** Model directory or hub id. In a pipeline, GRPO's model may be "sft": the SFT stage's final checkpoint. */
  model: z.string().min(1),
  /** A TRL-layout export: `r1ov export RUN --format trl --out FILE` (.parquet or .arrow). */
  data: z.string().min(1),
  /** Default: $R1OV_HOME/train/<name>/<stage> on the worker. */
  output_dir: z.string().min(1).optional(),
  stage: z.enum(['sft', 'grpo']).optional(),
  name: z.string().optional(),
  epochs: z.number().positive().optional(),
  max_steps: z.number().int().optional(),
  per_device_batch_size: positiveInt.optional(),
  gradient_accumulation_steps: positiveInt.optional(),
  learning_rate: z.number().positive().optional(),
  lr_scheduler: z.string().optional(),
  warmup_ratio: z.number().min(0).max(1).optional(),
  weight_decay: z.number().min(0).optional(),
  max_grad_norm: z.number().positive().optional(),
  seed: z.number().int().optional(),
  max_samples: positiveInt.nullish(),
  bf16: z.boolean().nullish(),
  gradient_checkpointing: z.boolean().optional(),
  freeze_vision: z.boolean().optional(),
  attn_implementation: z.string().nullish(),
  deepspeed: z.string().nullish(),
  /** GPUs (processes) on the worker's machine; > 1 launches torch.distributed.run. */
  num_processes: positiveInt.optional(),
  lora: LoraSchema.optional(),
  min_pixels: positiveInt.optional(),
  max_pixels: positiveInt.optional(),
  save_steps: positiveInt.optional(),
  save_total_limit: positiveInt.nullish(),
  logging_steps: positiveInt.optional(),
  dataloader_num_workers: z.number().int().min(0).optional(),
  max_length: positiveInt.nullish(),
  completion_only_loss: z.boolean().optional(),
  num_generations: z.number().int().min(2).optional(),
  max_completion_length: positiveInt.optional(),
  temperature: z.number().positive().optional(),
  beta: z.number().min(0).optional(),
  epsilon: z.number().positive().optional(),
  loss_type: z.enum(['grpo', 'bnpo', 'dr_grpo', 'dapo']).optional(),
  num_iterations: positiveInt.optional(),
  scale_rewards: z.boolean().optional(),
  mask_truncated_completions: z.boolean().optional(),
  use_vllm: z.boolean().optional(),
  /** Default: a reward service the activity starts on loopback for the stage. */
  reward_url: z.string().url().nullish(),
  reward_weights: z.partialRecord(z.enum(REWARD_NAMES), z.number()).optional(),
  reward_timeout_s: z.number().positive().optional(),
}).superRefine((c, ctx) => {
  if (c.min_pixels !== undefined && c.max_pixels !== undefined && c.min_pixels > c.max_pixels) {
    ctx.addIssue({ code: 'custom', path: ['min_pixels'], message: `min_pixels (${c.min_pixels}) is above max_pixels (${c.max_pixels})` });
  }
  if (c.reward_weights && !Object.values(c.reward_weights).some((w) => w !== 0)) {
    ctx.addIssue({ code: 'custom', path: ['reward_weights'], message: 'every weight is 0' });
  }
});
export type StageConfig = z.infer<typeof StageConfigSchema>;

/** `r1ov train` config file: one stage's fields at the top level, or a pipeline with `sft:` and/or `grpo:` sections. */
export const TrainFileSchema = z.union([
  z.strictObject({ name: z.string().regex(RUN_NAME_RE).optional(), sft: StageConfigSchema.optional(), grpo: StageConfigSchema.optional() })
    .refine((p) => p.sft || p.grpo, { message: 'a pipeline needs an sft or a grpo section' }),
  StageConfigSchema,
]);

export const TrainModelInputSchema = z.object({
  name: z.string().regex(RUN_NAME_RE, 'name: letters, digits, ".", "_" or "-"'),
  sft: StageConfigSchema.optional(),
  grpo: StageConfigSchema.optional(),
  /** GRPO epochs, an activity each (default: grpo.epochs, rounded up, or 1). */
  grpoEpochs: positiveInt.optional(),
  /** How long a silent trainer activity may go before Temporal retries it elsewhere (default 120 s). */
  heartbeatTimeoutSec: positiveInt.optional(),
});
export type TrainModelInput = z.infer<typeof TrainModelInputSchema>;

/** One activity: a trainer process for a stage (or one GRPO epoch). */
export interface TrainStageInput {
  name: string;
  stage: 'sft' | 'grpo';
  config: StageConfig;
  /** Stop with a checkpoint when this epoch ends (GRPO: one activity per epoch). */
  stopAfterEpoch?: number;
  /** Start from this checkpoint (the previous epoch's); a retry prefers the one in its last heartbeat. */
  resumeFrom?: string | null;
  /** Workflow to send progress to (memo), if any. */
  workflowId?: string;
}

/** Heartbeat details and progress signal payload: small, the last values only. */
export interface TrainProgress {
  stage: 'sft' | 'grpo';
  step: number;
  maxSteps: number | null;
  epoch: number | null;
  loss: number | null;
  reward: number | null;
  rewardStd: number | null;
  lr: number | null;
  tokensPerS: number | null;
  gpuMemGb: number | null;
  checkpoint: string | null;
  attempt: number;
  resumedFrom: string | null;
}

export interface TrainStageResult extends TrainProgress {
  outputDir: string;
  trainLoss: number | null;
  rewardCalls: number | null;
}

export interface TrainModelResult {
  name: string;
  sft: TrainStageResult | null;
  grpo: TrainStageResult[];
}

export const trainWorkflowId = (name: string): string => `r1ov-train/${name}`;
