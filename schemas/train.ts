import { z } from 'zod';
import { RUN_NAME_RE } from './queues.ts';
import { BenchKindSchema, PromptStyleSchema } from './eval.ts';

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

/**
 * How GRPO generates completions (mirrors RolloutConfig in trainer/r1ov_trainer/config.py): `transformers`
 * (model.generate) or vLLM, inside the training processes (`colocate`) or as a `trl vllm-serve` server that the GPU
 * activity starts on the GPUs after the training ones and stops with the run (`server`).
 */
export const RolloutSchema = z.strictObject({
  engine: z.enum(['transformers', 'vllm']).default('transformers'),
  mode: z.enum(['colocate', 'server']).default('colocate'),
  /** Fraction of each GPU vLLM may take (colocate: shared with training; server: the server's own GPUs). */
  gpu_memory_utilization: z.number().gt(0).lt(1).optional(),
  tensor_parallel_size: positiveInt.optional(),
  /** Server mode: a vLLM server already running (required with several nodes); else the activity starts one. */
  server_url: z.string().url().nullish(),
  server_port: z.number().int().min(0).max(65535).optional(),
  server_timeout_s: z.number().positive().optional(),
  enable_sleep_mode: z.boolean().optional(),
});
export type Rollout = z.infer<typeof RolloutSchema>;

// The traps a real run falls into, checked by trainer/r1ov_trainer/config.py with the same numbers.
/** Qwen2.5-VL: one visual token per 28 × 28 pixels. */
export const PIXELS_PER_VISUAL_TOKEN = 28 * 28;
/** Visual tokens one device may hold per step (per_device_batch_size × max_pixels / 784). */
export const MAX_VISUAL_TOKENS_PER_DEVICE = 65536;
/** GRPO after SFT: max_completion_length ≥ this × the SFT max_length, or the traces SFT taught get cut. */
export const MIN_COMPLETION_FRACTION_OF_SFT_LENGTH = 0.25;
const DEFAULT_MAX_PIXELS = 401408;
const HOST_PORT_RE = /^[A-Za-z0-9.\-_[\]:]+:[0-9]{1,5}$/;

export const StageConfigSchema = z
  .strictObject({
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
    /** Machines: nodes × num_processes ranks; each node's GPU worker runs one activity of the stage. */
    nodes: positiveInt.optional(),
    /** This machine's rank; default: the workflow's per-node activity index (or the worker's $R1OV_NODE_RANK). */
    node_rank: z.number().int().min(0).nullish(),
    /** host:port of the rendezvous (node 0), required with nodes > 1. */
    rdzv_endpoint: z.string().nullish(),
    lora: LoraSchema.optional(),
    min_pixels: positiveInt.optional(),
    max_pixels: positiveInt.optional(),
    save_steps: positiveInt.optional(),
    save_total_limit: positiveInt.nullish(),
    logging_steps: positiveInt.optional(),
    dataloader_num_workers: z.number().int().min(0).optional(),
    max_length: positiveInt.nullish(),
    completion_only_loss: z.boolean().optional(),
    /** GRPO prompt cap; default none: a cap below an image's visual tokens cuts them (TRL's own default is 512). */
    max_prompt_length: positiveInt.nullish(),
    num_generations: z.number().int().min(2).optional(),
    max_completion_length: positiveInt.optional(),
    temperature: z.number().positive().optional(),
    beta: z.number().min(0).optional(),
    epsilon: z.number().positive().optional(),
    loss_type: z.enum(['grpo', 'bnpo', 'dr_grpo', 'dapo']).optional(),
    num_iterations: positiveInt.optional(),
    scale_rewards: z.boolean().optional(),
    mask_truncated_completions: z.boolean().optional(),
    rollout: RolloutSchema.optional(),
    /** Default: a reward service the activity starts on loopback for the stage. */
    reward_url: z.string().url().nullish(),
    reward_weights: z.partialRecord(z.enum(REWARD_NAMES), z.number()).optional(),
    reward_timeout_s: z.number().positive().optional(),
  })
  .superRefine((c, ctx) => {
    if (c.min_pixels !== undefined && c.max_pixels !== undefined && c.min_pixels > c.max_pixels) {
      ctx.addIssue({
        code: 'custom',
        path: ['min_pixels'],
        message: `min_pixels (${c.min_pixels}) is above max_pixels (${c.max_pixels})`,
      });
    }
    if (c.reward_weights && !Object.values(c.reward_weights).some((w) => w !== 0)) {
      ctx.addIssue({ code: 'custom', path: ['reward_weights'], message: 'every weight is 0' });
    }
    const batch = c.per_device_batch_size ?? 1;
    const visual = Math.floor((c.max_pixels ?? DEFAULT_MAX_PIXELS) / PIXELS_PER_VISUAL_TOKEN);
    if (visual * batch > MAX_VISUAL_TOKENS_PER_DEVICE) {
      ctx.addIssue({
        code: 'custom',
        path: ['max_pixels'],
        message: `max_pixels × per_device_batch_size is ${visual * batch} visual tokens per device step, above ${MAX_VISUAL_TOKENS_PER_DEVICE}: lower max_pixels or the batch`,
      });
    }
    for (const name of ['max_length', 'max_prompt_length'] as const) {
      const limit = c[name];
      if (limit != null && limit <= visual)
        ctx.addIssue({
          code: 'custom',
          path: [name],
          message: `${name} (${limit}) does not hold one image at max_pixels (${visual} visual tokens)`,
        });
    }
    const nodes = c.nodes ?? 1;
    if (nodes > 1 && !(c.rdzv_endpoint && HOST_PORT_RE.test(c.rdzv_endpoint))) {
      ctx.addIssue({
        code: 'custom',
        path: ['rdzv_endpoint'],
        message: `nodes ${nodes} needs the rendezvous host:port of node 0`,
      });
    }
    if (c.node_rank != null && c.node_rank >= nodes) {
      ctx.addIssue({
        code: 'custom',
        path: ['node_rank'],
        message: `node_rank ${c.node_rank} needs nodes > ${c.node_rank}`,
      });
    }
    const r = c.rollout;
    if (r?.engine === 'vllm' && r.mode === 'colocate' && (c.num_processes ?? 1) % (r.tensor_parallel_size ?? 1) !== 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['rollout', 'tensor_parallel_size'],
        message: `must divide num_processes (${c.num_processes ?? 1}) in colocate mode`,
      });
    }
    if (r?.engine === 'vllm' && r.mode === 'server' && nodes > 1 && !r.server_url) {
      ctx.addIssue({
        code: 'custom',
        path: ['rollout', 'server_url'],
        message: 'with several nodes, server mode needs the URL of one vLLM server every node reaches',
      });
    }
  });

/** GRPO's checks (the stage is known only where the config is used): group size against the global batch. */
export function grpoIssues(c: StageConfig): Array<{ path: string; message: string }> {
  const out: Array<{ path: string; message: string }> = [];
  const gens = c.num_generations ?? 8;
  const batch =
    (c.per_device_batch_size ?? 1) * (c.gradient_accumulation_steps ?? 1) * (c.num_processes ?? 1) * (c.nodes ?? 1);
  if (batch % gens !== 0) {
    out.push({
      path: 'num_generations',
      message: `num_generations (${gens}) must divide per_device_batch_size × gradient_accumulation_steps × num_processes × nodes (${batch})`,
    });
  }
  return out;
}

/** GRPO after SFT: the completion budget must hold the traces SFT taught. */
export function completionLengthIssue(sft: StageConfig, grpo: StageConfig): string | null {
  if (sft.max_length == null) return null;
  const need = Math.ceil(sft.max_length * MIN_COMPLETION_FRACTION_OF_SFT_LENGTH);
  const have = grpo.max_completion_length ?? 256;
  return have < need
    ? `max_completion_length (${have}) is below ${MIN_COMPLETION_FRACTION_OF_SFT_LENGTH} × the SFT max_length (${sft.max_length}) = ${need}: completions would be cut before the answer and the format reward collapses`
    : null;
}
export type StageConfig = z.infer<typeof StageConfigSchema>;

/** One held-out benchmark file, as `r1ov eval` takes it. */
export const TrainEvalBenchSchema = z.strictObject({
  /** A benchmark file in its published format (relative to the config file). */
  file: z.string().min(1),
  /** Default: detected from the file's columns (like `r1ov eval --bench-kind`). */
  kind: BenchKindSchema.optional(),
  /** Suffix of the eval run names when there are several benches (default: the kind, or bench<i> when kinds repeat). */
  name: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$/, 'name: letters, digits, "_" or "-" (≤ 40)')
    .optional(),
  /** Only the first N rows. */
  limit: positiveInt.optional(),
});
export type TrainEvalBench = z.infer<typeof TrainEvalBenchSchema>;

/** How a checkpoint is served for its evaluation (`python -m r1ov_trainer serve`, on the r1ov-gpu worker). */
export const ServeConfigSchema = z.strictObject({
  /** transformers (default; generate with request batching) or vllm (when installed in the trainer's venv). */
  backend: z.enum(['transformers', 'vllm']).optional(),
  /** Listen address (default 127.0.0.1: the r1ov-llm-model worker runs on the GPU worker's machine). 0.0.0.0 to serve other machines. */
  host: z.string().min(1).optional(),
  /** Host name in the URL handed to the evaluation (default: host, or the machine's name for 0.0.0.0). */
  advertise_host: z.string().min(1).optional(),
  /** Default 0: any free port. */
  port: z.number().int().min(0).max(65535).optional(),
  max_batch_size: positiveInt.optional(),
  dtype: z.enum(['auto', 'bfloat16', 'float16', 'float32']).optional(),
  /** How long model loading may take before the try counts as failed (default 1800). */
  ready_timeout_s: positiveInt.optional(),
  /**
   * Heartbeat timeout of the serve activity (default 30). Its beats come from a timer, so it can be short; a
   * cancellation reaches the activity with a heartbeat, throttled to 0.8 × this: the GPU is handed back that soon.
   */
  heartbeat_timeout_s: positiveInt.min(2).optional(),
});
export type ServeConfig = z.infer<typeof ServeConfigSchema>;

/**
 * Evaluation of every epoch's checkpoint (SFT, then each GRPO epoch) on held-out benchmarks: the checkpoint is
 * served on the GPU queue and the evaluate workflow runs against it as a child. Eval run `<name>.<label>` (label
 * `sft`, `grpo-e1`, …; `.<bench name>` appended with several benches), model `<name>/<label>`.
 */
export const TrainEvalSchema = z
  .strictObject({
    benches: z.array(TrainEvalBenchSchema).min(1),
    prompt_style: PromptStyleSchema.optional(),
    /** Answer length cap per item (default 1024). */
    max_tokens: positiveInt.optional(),
    /** Default 0 (greedy). */
    temperature: z.number().min(0).max(2).optional(),
    batch_size: positiveInt.max(256).optional(),
    parallel: positiveInt.max(64).optional(),
    item_attempts: positiveInt.max(20).optional(),
    /** Per-request timeout at the served endpoint (default 600). */
    timeout_s: positiveInt.optional(),
    /** Requests in flight per evaluation worker (default 16). */
    concurrency: positiveInt.optional(),
    /** Serve + evaluate tries per epoch when the server dies under the evaluation (default 3). */
    attempts: positiveInt.max(10).optional(),
    /** Evaluate while the next epoch trains (needs room for both on the GPU worker; default false: one after the other). */
    overlap: z.boolean().optional(),
    serve: ServeConfigSchema.optional(),
  })
  .superRefine((e, ctx) => {
    const names = e.benches.map((b) => b.name).filter(Boolean);
    if (new Set(names).size !== names.length)
      ctx.addIssue({ code: 'custom', path: ['benches'], message: 'bench names repeat' });
  });
export type TrainEval = z.infer<typeof TrainEvalSchema>;

/** A pipeline file: `sft:` and/or `grpo:` sections, and optionally `eval:` (held-out evaluation of each epoch). */
export const TrainPipelineSchema = z
  .strictObject({
    name: z.string().regex(RUN_NAME_RE).optional(),
    sft: StageConfigSchema.optional(),
    grpo: StageConfigSchema.optional(),
    eval: TrainEvalSchema.optional(),
  })
  .refine((p) => p.sft || p.grpo, { message: 'a pipeline needs an sft or a grpo section' });

/** `r1ov train` config file: one stage's fields at the top level, or a pipeline. */
export const TrainFileSchema = z.union([TrainPipelineSchema, StageConfigSchema]);

export const TrainModelInputSchema = z.object({
  name: z.string().regex(RUN_NAME_RE, 'name: letters, digits, ".", "_" or "-"'),
  sft: StageConfigSchema.optional(),
  grpo: StageConfigSchema.optional(),
  /** GRPO epochs, an activity each (default: grpo.epochs, rounded up, or 1). */
  grpoEpochs: positiveInt.optional(),
  /** How long a silent trainer activity may go before Temporal retries it elsewhere (default 120 s). */
  heartbeatTimeoutSec: positiveInt.optional(),
  /** Held-out evaluation of each epoch (bench kinds filled in by the CLI). */
  eval: TrainEvalSchema.optional(),
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
  /** Multi-node: which node this activity is (the workflow starts one per node). */
  nodeRank?: number;
  /** `config.model` is a checkpoint of this stage (GRPO after SFT): fetched from the object store when not on this host. */
  modelFrom?: { stage: 'sft'; nodes: number };
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

/** The serve activity: one checkpoint behind an OpenAI-compatible endpoint until cancelled. */
export interface ServeCheckpointInput {
  name: string;
  /** The epoch: `sft`, `grpo-e1`, … */
  label: string;
  /** Identifies this try; the activity signals it back with the URL (a stale try's signal is ignored). */
  serveId: string;
  checkpoint: string;
  /** The model name the endpoint answers to (`<name>/<label>`). */
  modelName: string;
  /** The trainModel workflow to signal the URL to. */
  workflowId: string;
  serve: ServeConfig;
  minPixels?: number;
  maxPixels?: number;
  /** Default answer length when a request names none. */
  maxTokens?: number;
}

/** Signal payload: a served checkpoint is answering at `url`. */
export interface CheckpointServed {
  serveId: string;
  url: string;
  model: string;
}

/** One epoch × benchmark evaluation, as the workflow's memo, query and result show it. */
export interface EpochEval {
  label: string;
  run: string;
  bench: string;
  model: string;
  checkpoint: string;
  status: 'completed' | 'failed';
  accuracy: number | null;
  items: number;
  correct: number;
  errored: number;
  error: string | null;
}

export interface TrainModelResult {
  name: string;
  sft: TrainStageResult | null;
  grpo: TrainStageResult[];
  /** Per-epoch held-out evaluations (empty without an eval section). */
  evals: EpochEval[];
}

export const trainWorkflowId = (name: string): string => `r1ov-train/${name}`;
