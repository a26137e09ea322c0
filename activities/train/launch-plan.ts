/**
 * What the GPU activity runs for one trainer stage, as data (unit-tested without GPUs): the trainer command
 * (plain, `torch.distributed.run` on one node, or on several with a c10d rendezvous) and, for GRPO with
 * `rollout: { engine: vllm, mode: server }`, the `trl vllm-serve` process for the policy, on the GPUs after the
 * training ones.
 */
import type { StageConfig } from '../../schemas/train.ts';

export interface Launch {
  command: string;
  args: string[];
  /** Added to the worker's environment. */
  env: Record<string, string>;
}

export interface VllmServerLaunch extends Launch {
  /** GET this until it answers 200: the server has loaded the policy. */
  healthUrl: string;
  /** What the trainer's GRPOConfig.vllm_server_base_url becomes (R1OV_VLLM_URL). */
  baseUrl: string;
}

export interface LaunchPlan {
  trainer: Launch;
  vllm: VllmServerLaunch | null;
  /** Validate first with `--check`: torch.distributed.run hides the trainer's exit code 2. */
  checkFirst: boolean;
}

export interface LaunchInput {
  python: string;
  /** `STAGE --config FILE [--resume-from …] …` */
  trainerArgs: string[];
  stage: 'sft' | 'grpo';
  config: StageConfig;
  /** The node this activity runs (multi-node): from the workflow's per-node activity, else $R1OV_NODE_RANK. */
  nodeRank?: number;
  /** Rendezvous id shared by the nodes of one try of one stage (the workflow's name and stage). */
  rdzvId: string;
  /** Port for a vLLM server the activity starts (0: not yet chosen; the caller picks a free one). */
  vllmPort: number;
  /** GPUs of this machine ($CUDA_VISIBLE_DEVICES or a count), to place the vLLM server after the trainer's. */
  gpus: string[];
}

export class LaunchPlanError extends Error {
  override name = 'LaunchPlanError';
}

const range = (n: number) => Array.from({ length: n }, (_, i) => String(i));

/** The machine's GPUs as CUDA_VISIBLE_DEVICES names: the worker's own setting, else 0..count-1. */
export function visibleGpus(env: NodeJS.ProcessEnv, count: number): string[] {
  const v = env.CUDA_VISIBLE_DEVICES?.trim();
  return v
    ? v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    : range(count);
}

export function planLaunch(input: LaunchInput): LaunchPlan {
  const c = input.config;
  const nproc = c.num_processes ?? 1;
  const nodes = c.nodes ?? 1;
  const rollout = input.stage === 'grpo' && c.rollout?.engine === 'vllm' ? c.rollout : null;
  const env: Record<string, string> = {};

  let vllm: VllmServerLaunch | null = null;
  if (rollout?.mode === 'server' && !rollout.server_url) {
    const tp = rollout.tensor_parallel_size ?? 1;
    if (input.gpus.length < nproc + tp) {
      throw new LaunchPlanError(
        `rollout.mode server: the trainer's ${nproc} GPU(s) and the vLLM server's ${tp} need ${nproc + tp}, this worker has ${input.gpus.length} (${input.gpus.join(',') || 'none'})`,
      );
    }
    const baseUrl = `http://127.0.0.1:${input.vllmPort}`;
    vllm = {
      command: input.python,
      // TRL's own server (`trl vllm-serve`, wrapped to die with the worker): the weight-sync endpoints GRPO calls.
      args: [
        '-m',
        'r1ov_trainer',
        'vllm-serve',
        '--model',
        c.model,
        '--host',
        '127.0.0.1',
        '--port',
        String(input.vllmPort),
        '--tensor_parallel_size',
        String(tp),
        '--gpu_memory_utilization',
        String(rollout.gpu_memory_utilization ?? 0.9),
        ...(c.bf16 === false ? ['--dtype', 'float32'] : []),
      ],
      env: { CUDA_VISIBLE_DEVICES: input.gpus.slice(nproc, nproc + tp).join(',') },
      healthUrl: `${baseUrl}/health/`,
      baseUrl,
    };
    env.CUDA_VISIBLE_DEVICES = input.gpus.slice(0, nproc).join(',');
    env.R1OV_VLLM_URL = baseUrl;
  }

  const trainer = ['-m', 'r1ov_trainer', ...input.trainerArgs];
  let args: string[];
  if (nodes > 1) {
    const rank = c.node_rank ?? input.nodeRank;
    if (rank === undefined || rank === null || !(rank >= 0 && rank < nodes)) {
      throw new LaunchPlanError(
        `nodes ${nodes}: this worker has no node rank in [0, ${nodes}) (set node_rank, or R1OV_NODE_RANK on the worker)`,
      );
    }
    if (!c.rdzv_endpoint) throw new LaunchPlanError(`nodes ${nodes}: rdzv_endpoint is required`);
    args = [
      '-m',
      'torch.distributed.run',
      `--nnodes=${nodes}`,
      `--nproc_per_node=${nproc}`,
      `--node_rank=${rank}`,
      '--rdzv_backend=c10d',
      `--rdzv_endpoint=${c.rdzv_endpoint}`,
      `--rdzv_id=${input.rdzvId}`,
      ...trainer,
    ];
    env.R1OV_NODE_RANK = String(rank);
  } else if (nproc > 1) {
    args = ['-m', 'torch.distributed.run', '--standalone', `--nproc_per_node=${nproc}`, ...trainer];
  } else {
    args = trainer;
  }
  return { trainer: { command: input.python, args, env }, vllm, checkFirst: nodes > 1 || nproc > 1 };
}
