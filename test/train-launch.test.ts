/**
 * What the GPU activity launches for a trainer stage (activities/train/launch-plan.ts), without GPUs: one process,
 * torch.distributed.run on one node or several (c10d rendezvous), and GRPO's vLLM server in server mode on the
 * GPUs after the training ones, with the trainer pointed at it. The real path runs on a GPU machine
 * (trainer/tests/test_transitions.py::test_grpo_vllm_colocate_5_steps_3b_on_gpu).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { LaunchPlanError, planLaunch, visibleGpus, type LaunchInput } from '../activities/train/launch-plan.ts';
import { StageConfigSchema, type StageConfig } from '../schemas/train.ts';

const cfg = (c: Record<string, unknown>): StageConfig =>
  StageConfigSchema.parse({ model: '/m', data: '/d.parquet', ...c });
const base = (over: Partial<LaunchInput>): LaunchInput => ({
  python: '/venv/bin/python',
  trainerArgs: ['grpo', '--config', '/c.json'],
  stage: 'grpo',
  config: cfg({}),
  rdzvId: 'run1-grpo-e1',
  vllmPort: 8123,
  gpus: ['0', '1', '2', '3', '4', '5', '6', '7'],
  ...over,
});

describe('trainer launch plan', () => {
  test('one GPU: the trainer module, no launcher, no check first', () => {
    const p = planLaunch(base({}));
    assert.deepEqual(p.trainer.args, ['-m', 'r1ov_trainer', 'grpo', '--config', '/c.json']);
    assert.equal(p.vllm, null);
    assert.equal(p.checkFirst, false);
    assert.deepEqual(p.trainer.env, {});
  });

  test('one node, 8 GPUs: torch.distributed.run --standalone', () => {
    const p = planLaunch(base({ config: cfg({ num_processes: 8 }) }));
    assert.deepEqual(p.trainer.args.slice(0, 4), ['-m', 'torch.distributed.run', '--standalone', '--nproc_per_node=8']);
    assert.deepEqual(p.trainer.args.slice(4), ['-m', 'r1ov_trainer', 'grpo', '--config', '/c.json']);
    assert.equal(p.checkFirst, true);
  });

  test('two nodes: --nnodes, the node rank, a c10d rendezvous shared by the nodes of the stage', () => {
    const c = cfg({ num_processes: 8, nodes: 2, rdzv_endpoint: 'r1ov-trainer-0.r1ov-trainer:29500' });
    const p = planLaunch(base({ config: c, nodeRank: 1 }));
    assert.deepEqual(p.trainer.args.slice(0, 8), [
      '-m',
      'torch.distributed.run',
      '--nnodes=2',
      '--nproc_per_node=8',
      '--node_rank=1',
      '--rdzv_backend=c10d',
      '--rdzv_endpoint=r1ov-trainer-0.r1ov-trainer:29500',
      '--rdzv_id=run1-grpo-e1',
    ]);
    assert.equal(p.trainer.env.R1OV_NODE_RANK, '1');
    // The config's node_rank wins over the workflow's activity index.
    assert.ok(planLaunch(base({ config: { ...c, node_rank: 0 }, nodeRank: 1 })).trainer.args.includes('--node_rank=0'));
    assert.throws(
      () => planLaunch(base({ config: c })),
      (e: unknown) => e instanceof LaunchPlanError && /no node rank/.test(e.message),
    );
  });

  test('vLLM colocate: nothing extra to start (the trainer hosts vLLM)', () => {
    const p = planLaunch(
      base({ config: cfg({ rollout: { engine: 'vllm', mode: 'colocate', gpu_memory_utilization: 0.3 } }) }),
    );
    assert.equal(p.vllm, null);
    assert.deepEqual(p.trainer.env, {});
  });

  test("vLLM server: trl vllm-serve on the GPUs after the trainer's, the trainer pointed at it", () => {
    const c = cfg({
      num_processes: 6,
      rollout: { engine: 'vllm', mode: 'server', tensor_parallel_size: 2, gpu_memory_utilization: 0.85 },
    });
    const p = planLaunch(base({ config: c }));
    assert.ok(p.vllm);
    assert.deepEqual(p.vllm.args, [
      '-m',
      'r1ov_trainer',
      'vllm-serve',
      '--model',
      '/m',
      '--host',
      '127.0.0.1',
      '--port',
      '8123',
      '--tensor_parallel_size',
      '2',
      '--gpu_memory_utilization',
      '0.85',
    ]);
    assert.equal(p.vllm.env.CUDA_VISIBLE_DEVICES, '6,7');
    assert.equal(p.vllm.healthUrl, 'http://127.0.0.1:8123/health/');
    assert.equal(p.trainer.env.CUDA_VISIBLE_DEVICES, '0,1,2,3,4,5');
    assert.equal(p.trainer.env.R1OV_VLLM_URL, 'http://127.0.0.1:8123');
    // Too few GPUs for both is refused before anything starts; SFT never starts a server.
    assert.throws(() => planLaunch(base({ config: { ...c, num_processes: 7 } })), /need 9, this worker has 8/);
    assert.equal(planLaunch(base({ config: c, stage: 'sft' })).vllm, null);
    // A server given by URL is used as is.
    assert.equal(
      planLaunch(base({ config: cfg({ rollout: { engine: 'vllm', mode: 'server', server_url: 'http://vllm:8000' } }) }))
        .vllm,
      null,
    );
  });

  test('the GPUs a worker sees: CUDA_VISIBLE_DEVICES, else a count', () => {
    assert.deepEqual(visibleGpus({ CUDA_VISIBLE_DEVICES: '2, 3' }, 8), ['2', '3']);
    assert.deepEqual(visibleGpus({}, 2), ['0', '1']);
  });
});
